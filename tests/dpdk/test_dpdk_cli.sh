#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end tests of netscope's DPDK backend over net_pcap virtual devices: the same counts as
# the pcap backend on every readable corpus file (with the documented net_pcap differences),
# BPF verdicts equal to libpcap's (tcpdump is the oracle), -D listing, backend auto selection,
# SIGINT shutdown that leaves nothing in /dev/hugepages or /var/run/dpdk, and EAL errors.
# Usage: test_dpdk_cli.sh NETSCOPE SAMPLE_PCAP CORPUS_DIR HAVE_DPDK
set -u
ns=$1
sample=$2
corpus=$3
have_dpdk=$4
here=$(cd "$(dirname "$0")" && pwd)

if [ "$have_dpdk" != "true" ]; then
	echo "SKIP: netscope was built without the DPDK backend (-Ddpdk=disabled or DPDK not found)"
	exit 77
fi

tmp=$(mktemp -d)
prefix="nstest-cli-$$"
# Every run gets its own --file-prefix; all of them start with $prefix.
cleanup() {
	rm -rf "$tmp"
	rm -rf /var/run/dpdk/"$prefix"-*
}
trap cleanup EXIT
pass=0
fail=0
runs=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
equal() { # equal GOT WANT DESC
	if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', want '$2'"; fi
}
contains() { # contains FILE TEXT DESC
	if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not in $(basename "$1")"; sed 's/^/    | /' "$1" | head -5; fi
}
lacks() { # lacks FILE TEXT DESC
	if grep -qF -- "$2" "$1"; then bad "$3: '$2' in $(basename "$1")"; else ok; fi
}
json() { # json FILE KEY: a top-level number of the summary JSON (one key per line, 2 spaces)
	sed -n "s/^  \"$2\": \([0-9]*\),\{0,1\}\$/\1/p" "$1"
}
# Nothing of a run may stay behind: no runtime directory, no hugepage files.
no_leftovers() { # no_leftovers PREFIX DESC
	if [ -e "/var/run/dpdk/$1" ]; then bad "$2: /var/run/dpdk/$1 left behind"; else ok; fi
	if ls /dev/hugepages/"$1"* >/dev/null 2>&1; then bad "$2: /dev/hugepages/$1* left behind"; else ok; fi
}

# The recommended test EAL arguments (docs/platform.md) with a unique prefix per run; small pools.
# EAL_EXTRA adds EAL arguments (an lcore map) to the runs it is set for.
eal() { # eal NAME -> EAL arguments
	echo "--no-huge -m 256 --no-pci --no-shconf --no-telemetry --log-level=lib.eal:warning --file-prefix=$prefix-$1 ${EAL_EXTRA:-}"
}
# two worker lcores on CPU 0 besides the main lcore: per-queue runs work on any machine
lcores3="--lcores=0@0,1@0,2@0"
small=(--set dpdk.mbufs=8191 --set dpdk.mbuf_cache=128)

# dpdk WANT_RC NAME ARGS...: netscope with the DPDK backend; stdout/stderr to $tmp/out, $tmp/err
dpdk() {
	local want=$1 name=$2
	shift 2
	runs=$((runs + 1))
	"$ns" --backend dpdk --dpdk-args "$(eal "$name")" "${small[@]}" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		bad "netscope --backend dpdk $* exited $rc, want $want"
		sed 's/^/    stderr: /' "$tmp/err" | head -5
		no_leftovers "$prefix-$name" "$name"
		return 1
	fi
	ok
	no_leftovers "$prefix-$name" "$name"
}

# tcpdump's verdict count for EXPR on FILE, or "" when libpcap cannot compile it for the file
oracle() { # oracle FILE EXPR
	local out
	out=$(tcpdump -r "$1" -nn --count "$2" 2>/dev/null) || return 0
	echo "${out%% *}"
}

# same_flows A.jsonl B.jsonl DESC: the same flow records (flow ids aside)
same_flows() {
	if python3 - "$1" "$2" <<'PY'; then ok; else bad "$3 differ from the pcap backend's"; fi
import json, sys
def load(path):
    recs = [json.loads(line) for line in open(path)]
    for r in recs:
        r.pop("flow_id")
    return sorted(json.dumps(r, sort_keys=True) for r in recs)
sys.exit(0 if load(sys.argv[1]) == load(sys.argv[2]) else 1)
PY
}
flows=(--set flow.capacity=65536)

# --- --version names both backends of this build (tests/web picks its replay by it)
"$ns" --version >"$tmp/out" 2>&1
contains "$tmp/out" "(capture backends: pcap, dpdk)" "--version of a DPDK build"

# --- (a) every corpus file libpcap can read: the same summary as the pcap backend
# net_pcap differences (docs/pipeline.md): a record cut by the file's snaplen arrives with
# pkt_len = caplen (the wire length is lost), and a record above 64 KiB arrives cut; for those
# files only the packet count and bytes = sum of captured lengths are compared.
files=0
chained=0
for f in "$sample" "$corpus"/pcaps/*; do
	b=$(basename "$f")
	if ! "$ns" -r "$f" -q --summary-json "$tmp/pcap.json" 2>/dev/null; then
		echo "skip $b: libpcap cannot read it"
		continue
	fi
	files=$((files + 1))
	read -r n capbytes cut big <<<"$(python3 "$here/pcap_lens.py" "$f")"
	dpdk 0 "c$files" -i "net_pcap0,rx_pcap=$f" -q --summary-json "$tmp/dpdk.json" || continue
	equal "$(json "$tmp/dpdk.json" packets)" "$(json "$tmp/pcap.json" packets)" "$b packets"
	if [ "$cut" -eq 0 ] && [ "$big" -eq 0 ]; then
		if cmp -s "$tmp/pcap.json" "$tmp/dpdk.json"; then ok; else
			bad "$b: summary differs from the pcap backend"
			diff "$tmp/pcap.json" "$tmp/dpdk.json" | head -8 | sed 's/^/    /'
		fi
		# the same flow records as the pcap backend, with one worker and with two
		"$ns" -r "$f" -q "${flows[@]}" --export-flows "$tmp/pcap.jsonl" 2>/dev/null
		# compact mbufs (128 bytes of data room): longer frames arrive chained, and whole
		[ "$capbytes" -gt $((n * 128)) ] && chained=$((chained + 1))
		dpdk 0 "m$files" -i "net_pcap0,rx_pcap=$f" -q --set dpdk.mbuf_size=256 \
			--summary-json "$tmp/dm.json" &&
			if cmp -s "$tmp/pcap.json" "$tmp/dm.json"; then ok; else
				bad "$b: summary with dpdk.mbuf_size=256 differs from the pcap backend"
				diff "$tmp/pcap.json" "$tmp/dm.json" | head -8 | sed 's/^/    /'
			fi
		if grep -q . "$tmp/pcap.jsonl"; then
			dpdk 0 "f$files" -i "net_pcap0,rx_pcap=$f" -q "${flows[@]}" \
				--export-flows "$tmp/d1.jsonl" &&
				same_flows "$tmp/pcap.jsonl" "$tmp/d1.jsonl" "$b flows (1 worker)"
			dpdk 0 "h$files" -i "net_pcap0,rx_pcap=$f" -q "${flows[@]}" \
				--set dpdk.mbuf_size=256 --export-flows "$tmp/dm.jsonl" &&
				same_flows "$tmp/pcap.jsonl" "$tmp/dm.jsonl" "$b flows (dpdk.mbuf_size=256)"
			dpdk 0 "g$files" -i "net_pcap0,rx_pcap=$f" -q "${flows[@]}" --pipeline \
				--workers 2 --export-flows "$tmp/d2.jsonl" &&
				same_flows "$tmp/pcap.jsonl" "$tmp/d2.jsonl" "$b flows (2 workers)"
			# one worker on its own lcore polling the port's queue (per-queue mode)
			EAL_EXTRA=$lcores3 dpdk 0 "q$files" -i "net_pcap0,rx_pcap=$f" -q "${flows[@]}" \
				--pipeline-mode per-queue --export-flows "$tmp/dq.jsonl" -v &&
				contains "$tmp/err" "per-queue: 1 worker(s) on EAL lcore 1" "$b per-queue mode" &&
				same_flows "$tmp/pcap.jsonl" "$tmp/dq.jsonl" "$b flows (per-queue worker)"
		fi
	else
		equal "$(json "$tmp/dpdk.json" bytes)" "$capbytes" "$b bytes (net_pcap: captured length)"
	fi
done
echo "corpus parity: $files files"
if [ "$chained" -ge 3 ]; then ok; else bad "only $chained corpus files have frames above 128 bytes"; fi

# --- per-packet output and -w: identical lines, and a byte-identical pcap copy
dpdk 0 out -i "net_pcap0,rx_pcap=$sample" && cp "$tmp/out" "$tmp/dpdk.txt"
"$ns" -r "$sample" >"$tmp/pcap.txt" 2>/dev/null
if cmp -s "$tmp/dpdk.txt" "$tmp/pcap.txt"; then ok; else bad "packet lines differ from -r"; diff "$tmp/pcap.txt" "$tmp/dpdk.txt" | head -4; fi
dpdk 0 w -i "net_pcap0,rx_pcap=$sample" -q -w "$tmp/copy.pcap"
equal "$(tcpdump -r "$tmp/copy.pcap" -nn -x 2>/dev/null | md5sum)" \
	"$(tcpdump -r "$sample" -nn -x 2>/dev/null | md5sum)" "-w copy of a net_pcap port"
dpdk 0 count -i "net_pcap0,rx_pcap=$sample" -c 5 --summary-json -
equal "$(json "$tmp/out" packets)" 5 "-c 5 on a DPDK port"
# a count that is not a multiple of the burst, over two queues: requests below 32 ask the PMD
# for 32 (vector PMDs return nothing for fewer than 4 or 8) and hand the rest out next
dpdk 0 count2 -i "net_pcap0,rx_pcap=$sample,rx_pcap=$sample" -c 77 --summary-json -
equal "$(json "$tmp/out" packets)" 77 "-c 77 over two DPDK queues"

# two rx_pcap files: two queues, read by the single-threaded loop in turn
dpdk 0 twoq -i "net_pcap0,rx_pcap=$sample,rx_pcap=$corpus/pcaps/tcpdump-ssh.pcap" -q \
	--summary-json "$tmp/two.json" -v
equal "$(json "$tmp/two.json" packets)" \
	"$(($(oracle "$sample" "") + $(oracle "$corpus/pcaps/tcpdump-ssh.pcap" "")))" "two queues: both files"
contains "$tmp/err" "2 RX queue(s)" "two queues configured"
# ...with --no-huge and no -m: EAL's memory is sized for the two pools the files make, not for
# the one queue asked for (default pools: the second did not fit, exit 1)
"$ns" --backend dpdk -i "net_pcap0,rx_pcap=$sample,rx_pcap=$sample" -q --summary-json "$tmp/two.json" \
	--dpdk-args "--no-huge --no-pci --no-shconf --no-telemetry --log-level=lib.eal:warning --file-prefix=$prefix-twoqmem" \
	>"$tmp/out" 2>"$tmp/err"
equal $? 0 "two rx_pcap files, --no-huge without -m"
equal "$(json "$tmp/two.json" packets)" "$((2 * $(oracle "$sample" "")))" "EAL memory for two queues: both files"
no_leftovers "$prefix-twoqmem" "EAL memory for two queues"
# ...and with the files in a --vdev of the EAL arguments and -i naming its port: the --vdev's
# device string makes the queues, so it sizes the memory too (sized for one pool before: exit 1)
"$ns" --backend dpdk -i net_pcap0 -q --summary-json "$tmp/twov.json" \
	--dpdk-args "--no-huge --no-pci --no-shconf --no-telemetry --log-level=lib.eal:warning --file-prefix=$prefix-twoqvdev --vdev=net_pcap0,rx_pcap=$sample,rx_pcap=$sample" \
	>"$tmp/out" 2>"$tmp/err"
equal $? 0 "two rx_pcap files in a --vdev, --no-huge without -m"
equal "$(json "$tmp/twov.json" packets)" "$((2 * $(oracle "$sample" "")))" "EAL memory for the --vdev's two queues: both files"
no_leftovers "$prefix-twoqvdev" "EAL memory for the --vdev's two queues"

# --- pipeline.mode: per-queue needs queues that hold whole flows (net_pcap's queues are files),
# a worker lcore per queue, a worker per queue, and no single-thread output
twoq="net_pcap0,rx_pcap=$sample,rx_pcap=$corpus/pcaps/tcpdump-ssh.pcap"
two_total=$(($(oracle "$sample" "") + $(oracle "$corpus/pcaps/tcpdump-ssh.pcap" "")))
EAL_EXTRA=$lcores3 dpdk 0 mode-auto -i "$twoq" -q --pipeline --workers 2 --summary-json "$tmp/m.json"
contains "$tmp/err" "dispatch mode (one reader spreads flows to the workers), not per-queue: the port's 2 queues are filled by the driver's own rule" \
	"auto mode falls back to dispatch on queues not spread by flow"
equal "$(json "$tmp/m.json" packets)" "$two_total" "dispatch over two queues: both files"
EAL_EXTRA=$lcores3 dpdk 0 mode-forced -i "$twoq" -q --pipeline-mode per-queue --workers 2 \
	--summary-json "$tmp/m.json" --stats -v
contains "$tmp/err" "per-queue on a port whose queues are filled by the driver's own rule" \
	"forced per-queue on such a port warns"
contains "$tmp/err" "per-queue: 2 worker(s) on EAL lcores 1,2, one per RX queue of 2" "-v names the mode"
contains "$tmp/err" "  worker 1 (queue 1, lcore 2): " "--stats lists each worker with its queue and lcore"
equal "$(json "$tmp/m.json" packets)" "$two_total" "per-queue over two queues: both files"
EAL_EXTRA="--lcores=0@0,1@0" dpdk 2 mode-lcores -i "$twoq" -q --pipeline-mode per-queue --workers 2
contains "$tmp/err" "key 'pipeline.mode': per-queue cannot run: key 'dpdk.eal_args': EAL has 1 worker lcore(s) besides the main one for 2 RX queue(s)" \
	"per-queue with too few lcores names the key"
EAL_EXTRA="--lcores=0@0,1@0" dpdk 0 mode-lcores-auto -i "$twoq" -q --pipeline --workers 2
contains "$tmp/err" "not per-queue: key 'dpdk.eal_args': EAL has 1 worker lcore(s)" \
	"auto mode with too few lcores: dispatch, and says why"
EAL_EXTRA=$lcores3 dpdk 2 mode-workers -i "net_pcap0,rx_pcap=$sample" -q --pipeline-mode per-queue --workers 2
contains "$tmp/err" "key 'pipeline.workers': the port has 1 RX queue(s)" "per-queue with more workers than queues"
EAL_EXTRA=$lcores3 dpdk 2 mode-w -i "net_pcap0,rx_pcap=$sample" -q --pipeline-mode per-queue -w "$tmp/x.pcap"
contains "$tmp/err" "-w (capture.write_file)" "per-queue refuses -w"
EAL_EXTRA=$lcores3 dpdk 0 mode-w-auto -i "net_pcap0,rx_pcap=$sample" -q --pipeline -w "$tmp/x.pcap"
contains "$tmp/err" "not per-queue: -w (capture.write_file)" "auto mode with -w: dispatch, and says why"
EAL_EXTRA=$lcores3 dpdk 2 mode-print -i "net_pcap0,rx_pcap=$sample" --pipeline-mode per-queue
contains "$tmp/err" "per-packet lines" "per-queue refuses per-packet lines"
EAL_EXTRA=$lcores3 dpdk 2 mode-count -i "net_pcap0,rx_pcap=$sample" -q -c 3 --pipeline-mode per-queue
contains "$tmp/err" "-c (capture.count)" "per-queue refuses -c"
"$ns" -r "$sample" -q --pipeline-mode per-queue 2>"$tmp/err"
equal "$?" 2 "per-queue on a file read by libpcap: exit 2"
contains "$tmp/err" "per-queue cannot run: the capture uses the pcap backend" "per-queue needs DPDK"

# --- (b) BPF on the DPDK path: libpcap's verdicts, rejected frames counted as filtered
bpf_files=("$sample")
for b in local-tcp-impaired-vlan42.pcap tcpdump-802.1ad_QinQ.pcap tcpdump-ipv4_tcp_http_xml.pcap \
	tcpdump-icmpv6.pcap tcpdump-vxlan.pcap tcpdump-mptcp-v1.pcap tcpdump-LINKTYPE_RAW_ipv4.pcap \
	local-sll2_any.pcap tcpdump-tcp_rst_data-trunc.pcap tcpdump-bgp-role.pcapng; do
	bpf_files+=("$corpus/pcaps/$b")
done
exprs=("tcp[13]&0x18=0x18" "tcp[13] & 8 != 0" "vlan and tcp" "ip6 and udp" "tcp port 80" "icmp")
checked=0
for f in "${bpf_files[@]}"; do
	total=$(oracle "$f" "")
	for e in "${exprs[@]}"; do
		want=$(oracle "$f" "$e")
		if [ -z "$want" ]; then # libpcap cannot compile it for this link type: so must we
			dpdk 2 bpf -i "net_pcap0,rx_pcap=$f" -q -f "$e"
			contains "$tmp/err" "filter" "'$e' on $(basename "$f") rejected like libpcap"
			continue
		fi
		checked=$((checked + 1))
		dpdk 0 bpf -i "net_pcap0,rx_pcap=$f" -q -f "$e" --summary-json "$tmp/f.json" || continue
		equal "$(json "$tmp/f.json" packets)" "$want" "'$e' on $(basename "$f")"
		equal "$(json "$tmp/f.json" filtered)" "$((total - want))" "'$e' filtered on $(basename "$f")"
	done
done
echo "bpf parity: $checked file/filter pairs"
# A filter that rejects every frame of a busy port must not make the loop nap as on an idle
# one (it slept 100 us per poll after 1024 such polls, and examined ~1/170 of the frames): on
# net_null (endless UDP-less frames, no tcp) the rate examined with the filter is of the order
# of the rate without it, single-threaded and with a worker on the queue (per-queue mode).
for mode in single per-queue; do
	extra=()
	[ "$mode" = per-queue ] && extra=(--pipeline --workers 1 --pipeline-mode per-queue)
	EAL_EXTRA="--lcores=0@0,1@0" dpdk 0 "busy-$mode" -i net_null0 -q --duration 1 "${extra[@]}" \
		--summary-json "$tmp/all.json"
	EAL_EXTRA="--lcores=0@0,1@0" dpdk 0 "busyf-$mode" -i net_null0 -q --duration 1 "${extra[@]}" \
		-f tcp --summary-json "$tmp/none.json"
	all=$(json "$tmp/all.json" packets)
	rejected=$(json "$tmp/none.json" filtered)
	equal "$(json "$tmp/none.json" packets)" 0 "$mode: -f tcp on net_null passes nothing"
	if [ "${rejected:-0}" -gt $((${all:-0} / 10)) ]; then ok; else
		bad "$mode: a filter rejecting everything examined $rejected frames in 1 s, $all pass unfiltered"
	fi
done

# --- (c) -D lists DPDK ports only when asked
"$ns" -D --dpdk-args "$(eal list1) --vdev=net_pcap0,rx_pcap=$sample" >"$tmp/out" 2>"$tmp/err"
equal $? 0 "-D with --dpdk-args"
contains "$tmp/out" "net_pcap0 [dpdk port 0] driver net_pcap" "-D lists the --vdev port"
contains "$tmp/out" "rss none" "-D shows RSS capability"
contains "$tmp/out" "[pcap" "-D still lists pcap interfaces"
no_leftovers "$prefix-list1" "-D"
"$ns" -D --backend dpdk -i "net_pcap3,rx_pcap=$sample" --dpdk-args "$(eal list2)" >"$tmp/out" 2>"$tmp/err"
contains "$tmp/out" "net_pcap3 [dpdk port" "-D hot-plugs and lists the -i vdev"
no_leftovers "$prefix-list2" "-D -i"
"$ns" -D --set dpdk.eal_args="$(eal list3) --vdev=net_null0" >"$tmp/out" 2>"$tmp/err"
contains "$tmp/out" "net_null0 [dpdk port 0] driver net_null" "-D with dpdk.eal_args from --set"
contains "$tmp/out" "max rx queues 1024" "-D shows max rx queues"
"$ns" -D >"$tmp/out" 2>"$tmp/err"
lacks "$tmp/out" "[dpdk" "plain -D does not start EAL"
lacks "$tmp/err" "EAL" "plain -D prints nothing from EAL"
"$ns" -D --backend pcap --dpdk-args "$(eal list4) --vdev=net_null0" >"$tmp/out" 2>"$tmp/err"
lacks "$tmp/out" "[dpdk" "-D --backend pcap lists no DPDK ports"

# --- (d) SIGINT during an endless net_pcap run: exit 0, summary, nothing left behind
for sig in INT TERM; do
	"$ns" --backend dpdk --dpdk-args "$(eal sig$sig)" "${small[@]}" -q \
		-i "net_pcap0,rx_pcap=$sample,infinite_rx=1" --summary-json "$tmp/sig.json" \
		>"$tmp/out" 2>"$tmp/err" &
	pid=$!
	sleep 1.5
	kill -"$sig" "$pid"
	wait "$pid"
	equal $? 0 "SIG$sig exit status"
	contains "$tmp/err" " packets, " "SIG$sig prints the summary"
	if [ "$(json "$tmp/sig.json" packets)" -gt 1000 ]; then ok; else bad "SIG$sig: too few packets"; fi
	no_leftovers "$prefix-sig$sig" "SIG$sig"
done
# A stop asked for while EAL comes up (its runtime directory just created) is honoured once
# the capture is open: exit 0, nothing left behind. Before, SIGINT's default action (or, in a
# background job, SIG_IGN) was still in place there: killed half set up, or never stopping.
"$ns" --backend dpdk --dpdk-args "$(eal early)" "${small[@]}" -q \
	-i "net_pcap0,rx_pcap=$sample,infinite_rx=1" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 20000); do [ -e "/var/run/dpdk/$prefix-early" ] && break; sleep 0.001; done
kill -INT "$pid"
for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
	kill -KILL "$pid"
	bad "SIGINT during EAL set-up: still running 20 s later"
fi
wait "$pid"
equal $? 0 "SIGINT during EAL set-up: exit status"
no_leftovers "$prefix-early" "SIGINT during EAL set-up"
# Without --file-prefix netscope picks netscope-<pid> and removes it too.
"$ns" -i "net_pcap0,rx_pcap=$sample,infinite_rx=1" -q "${small[@]}" \
	--dpdk-args "--no-huge -m 256 --no-pci --no-telemetry" >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 1.5
if [ -d "/var/run/dpdk/netscope-$pid" ]; then ok; else bad "default prefix netscope-$pid not used"; fi
kill -INT "$pid"
wait "$pid"
equal $? 0 "default prefix run exit status"
no_leftovers "netscope-$pid" "default --file-prefix"

# --- (e) backend auto
"$ns" -i "net_pcap0,rx_pcap=$sample" --dpdk-args "$(eal auto1)" "${small[@]}" -q >"$tmp/out" 2>"$tmp/err"
equal $? 0 "auto on a vdev"
contains "$tmp/err" "backend auto: using dpdk ('net_pcap0' names a DPDK virtual device)" "auto picks dpdk for a vdev"
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: backend auto on lo needs root (live capture)"
else
	"$ns" -i lo --duration 1 -q >"$tmp/out" 2>"$tmp/err"
	equal $? 0 "auto on lo"
	contains "$tmp/err" "backend auto: using pcap" "auto picks pcap for lo"
	lacks "$tmp/err" "EAL" "auto on lo without EAL arguments does not start EAL"
	"$ns" -i lo --duration 1 -q --dpdk-args "$(eal auto2)" >"$tmp/out" 2>"$tmp/err"
	equal $? 0 "auto on lo with EAL arguments"
	contains "$tmp/err" "not using dpdk: no DPDK port named 'lo'" "auto says why not dpdk"
	contains "$tmp/err" "backend auto: using pcap" "auto falls back to pcap"
	no_leftovers "$prefix-auto2" "auto fallback"
fi

# --- errors: the request's own (exit 2, as the pcap backend's bad filter) or the source's (1)
dpdk 2 e1 -r "$sample"
contains "$tmp/err" "reads ports, not files" "--backend dpdk -r"
dpdk 1 e2 -i lo
contains "$tmp/err" "no DPDK port named 'lo'" "--backend dpdk on a kernel interface"
"$ns" --backend dpdk -i "net_pcap0,rx_pcap=$sample" --dpdk-args "--no-huge --bogus-eal-flag --file-prefix=$prefix-e3" \
	>"$tmp/out" 2>"$tmp/err"
equal $? 2 "bad EAL arguments exit status"
contains "$tmp/err" "DPDK EAL did not start: EAL: Invalid 'command line' arguments" "EAL's reason quoted"
equal "$(wc -c <"$tmp/out")" 0 "EAL usage kept off stdout"
no_leftovers "$prefix-e3" "failed EAL"
"$ns" --backend dpdk -i "net_pcap0,rx_pcap=$sample" --dpdk-args "--vdev 'net_null0" >"$tmp/out" 2>"$tmp/err"
equal $? 2 "unterminated quote exit status"
contains "$tmp/err" "unterminated '" "unterminated quote named"
# quoted words reach EAL whole: a --vdev with a quoted path, then -i by port name
cp "$sample" "$tmp/a b.pcap"
dpdk 0 q -i net_pcap7 -q --summary-json "$tmp/q.json" --dpdk-args \
	"$(eal q) --vdev 'net_pcap7,rx_pcap=$tmp/a b.pcap'"
equal "$(json "$tmp/q.json" packets)" "$(oracle "$sample" "")" "quoted --vdev argument"
head -c 130 "$sample" >"$tmp/cut.pcap" # cut inside the second record
dpdk 1 cut -i "net_pcap0,rx_pcap=$tmp/cut.pcap" -q
contains "$tmp/err" "could not read or store 1 record" "cut file is a read error, as with -r"
# pool sizes the ring cannot be filled from are configuration errors (exit 2), named by key
dpdk 2 mbufs -i "net_pcap0,rx_pcap=$sample" --set dpdk.rx_desc=16384
contains "$tmp/err" "dpdk.mbufs" "too few mbufs for the ring named"
# the pools are made with the configured data room
dpdk 0 mbuflog -i "net_pcap0,rx_pcap=$sample" -q --set dpdk.mbuf_size=320
contains "$tmp/err" "8191 mbufs of 320 bytes each" "dpdk.mbuf_size reaches the pool"
# an mbuf smaller than the headroom and a minimum frame: a named-key configuration error
dpdk 2 mbufsize -i "net_pcap0,rx_pcap=$sample" --set dpdk.mbuf_size=191
contains "$tmp/err" "key 'dpdk.mbuf_size': 191 is out of range 192..65535" "small mbuf_size named"
# infinite_rx cannot chain: a record larger than one mbuf is refused with the key named
dpdk 1 mbufinf -i "net_pcap0,rx_pcap=$sample,infinite_rx=1" --set dpdk.mbuf_size=192
contains "$tmp/err" "infinite_rx=1 needs every record in one mbuf: dpdk.mbuf_size 192" \
	"infinite_rx with small mbufs named"

# --- hugepages: when free ones exist, --in-memory is chosen and nothing stays in /dev/hugepages
free_mb=0
for d in /sys/kernel/mm/hugepages/hugepages-*kB; do
	[ -r "$d/free_hugepages" ] || continue
	kb=${d##*hugepages-}
	kb=${kb%kB}
	free_mb=$((free_mb + kb * $(cat "$d/free_hugepages") / 1024))
done
if [ "$free_mb" -ge 128 ]; then
	"$ns" -v -i "net_pcap0,rx_pcap=$sample" -q --set dpdk.mbufs=8191 \
		--dpdk-args "--no-pci --no-telemetry --file-prefix=$prefix-huge" >"$tmp/out" 2>"$tmp/err"
	equal $? 0 "hugepage run"
	contains "$tmp/err" "--in-memory" "free hugepages: --in-memory added"
	no_leftovers "$prefix-huge" "hugepage run"
else
	echo "SKIP: no free hugepages (echo 256 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)"
fi

echo
echo "$pass passed, $fail failed ($runs DPDK runs)"
[ "$fail" -eq 0 ]
