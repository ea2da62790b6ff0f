#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end tests of the netscope command line: flags, configuration errors, files, -c, -w,
# BPF filters and privileges. libpcap (through tcpdump) is the oracle for filter verdicts.
# Usage: test_cli.sh NETSCOPE SAMPLE_PCAP CORPUS_DIR
set -u
ns=$1
sample=$2
corpus=$3
tmp=$(mktemp -d)
trap 'umount "$tmp/full" 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# run WANT_RC ARGS...: runs netscope, stdout/stderr into $tmp/out and $tmp/err
run() {
	local want=$1
	shift
	"$ns" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		bad "netscope $* exited $rc, want $want"
		sed 's/^/    stderr: /' "$tmp/err" | head -5
		return 1
	fi
	ok
}

# contains FILE TEXT DESC
contains() {
	if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not in $(basename "$1")"; sed 's/^/    | /' "$1" | head -5; fi
}

equal() { # equal GOT WANT DESC
	if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', want '$2'"; fi
}

json() { # json FILE KEY[/SUBKEY] -> value
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); k=sys.argv[2].split("/")
for p in k: d=d[p]
print(d)' "$1" "$2"
}

# --- help, version, bad flags
run 0 --help && contains "$tmp/out" "Usage: netscope" "help"
run 0 --version && contains "$tmp/out" "netscope " "version"
contains "$tmp/out" "(capture backends: pcap" "--version names the backends built in"
run 2 --no-such-flag && contains "$tmp/err" "no-such-flag" "unknown flag named"
run 2 -c && contains "$tmp/err" "requires an argument" "missing argument"
run 2 -r "$sample" -c notanumber && contains "$tmp/err" "-c" "bad -c names the flag"
run 2 -r "$sample" -s 300000 && contains "$tmp/err" "-s" "out-of-range snaplen names the flag"
run 2 && contains "$tmp/err" "no capture source" "no source"
run 2 -r "$sample" -i lo && contains "$tmp/err" "capture.interface" "two sources"
run 2 -r "$sample" -f tcp udp && contains "$tmp/err" "filter was given twice" "filter twice"
run 2 -r "$sample" --set capture.filter=tcp udp && contains "$tmp/err" "filter was given twice" \
	"filter twice (--set)"
# --duration ends a read blocked on a quiet pipe (-r -): the pipe stays open 4 s more
t0=$(date +%s%N)
(cat "$sample"; sleep 4) | { "$ns" -r - -q --duration 1 >/dev/null 2>&1; date +%s%N >"$tmp/end"; }
took=$((($(cat "$tmp/end") - t0) / 1000000))
if [ "$took" -lt 3000 ]; then ok; else bad "--duration 1 on a quiet pipe took $took ms"; fi
run 0 -r "$sample" -q --linger && contains "$tmp/err" "without --web there is none" \
	"--linger without --web warns"
# --check-config finds what a run would refuse at start: a filter no link type takes, a flow
# export whose name gives no format (which a run now refuses as a configuration error, 2)
run 2 -r "$sample" --check-config 'tcp and and' && contains "$tmp/err" "key 'capture.filter'" \
	"--check-config compiles the filter"
run 0 -r "$sample" --check-config 'inbound' # Linux cooked captures take it: left to the run
run 2 -r "$sample" --export-flows "$tmp/f.txt" --check-config &&
	contains "$tmp/err" "key 'export.flows_file'" "--check-config: flow export format"
run 0 --check-config && contains "$tmp/out" "a run also needs a source" "--check-config: no source"
run 2 -r "$sample" -q --set pipeline.mode=per-queue --check-config &&
	contains "$tmp/err" "key 'pipeline.mode'" "--check-config: per-queue on a file (pcap backend)"
run 2 -r "$sample" -q --backend pcap --set pipeline.mode=per-queue --check-config &&
	contains "$tmp/err" "pcap backend" "--check-config: per-queue with --backend pcap"
# help wins over a configuration file that cannot be read
run 0 --config "$tmp/no-such.yaml" --help && contains "$tmp/out" "Usage: netscope" "help first"
# the command line's source wins over the file's
printf 'capture:\n  interface: eth0\n' >"$tmp/src.yaml"
run 0 --config "$tmp/src.yaml" -r "$sample" -q && contains "$tmp/err" "packets" "-r over a file's interface"
printf 'capture:\n  read_file: %s\n' "$sample" >"$tmp/src.yaml"
run 0 --config "$tmp/src.yaml" -i lo --check-config
run 2 --config "$tmp/src.yaml" -r "$sample" -i lo --check-config &&
	contains "$tmp/err" "both are set" "two sources on the command line"
# /dev/stdout is standard output: no packet lines in the pcap stream, no second output there
"$ns" -r "$sample" -w /dev/stdout >"$tmp/so.pcap" 2>"$tmp/err"
equal "$(head -c 4 "$tmp/so.pcap" | od -An -tx1 | tr -d ' ')" "d4c3b2a1" "-w /dev/stdout is a pcap"
run 2 -r "$sample" -w /dev/stdout --summary-json - --check-config &&
	contains "$tmp/err" "standard output" "/dev/stdout and - clash"
run 2 -r "$sample" -q --export-flows "$tmp/o.json" --summary-json "$tmp/./o.json" &&
	contains "$tmp/err" "both write to" "two spellings of one new file"
run 2 -r "$sample" -q --export-flows "$tmp/f.txt" &&
	contains "$tmp/err" "key 'export.flows_file'" "run: flow export format is a usage error"
# -v raises the log level; it does not lower a debug level set with --set
run 0 --set output.log_level=debug -v --dump-config && contains "$tmp/out" 'log_level: "debug"' \
	"-v after --set output.log_level=debug"
run 0 -v --dump-config && contains "$tmp/out" 'log_level: "info"' "-v: info"
# a trailing filter overrides the config file's, as any command-line value does
printf 'capture:\n  filter: tcp\n' >"$tmp/filter.yaml"
run 0 --config "$tmp/filter.yaml" -r "$sample" -q --summary-json "$tmp/f.json" udp &&
	equal "$(json "$tmp/f.json" packets)" "$(tcpdump -r "$sample" -nn udp 2>/dev/null | wc -l)" \
		"trailing filter over the config file's"

# --- pipeline.mode: per-queue is DPDK's (tests/dpdk covers it); dispatch is the pcap pipeline
run 2 -r "$sample" -q --pipeline-mode per-queue &&
	contains "$tmp/err" "key 'pipeline.mode': per-queue cannot run: the capture uses the pcap backend" \
		"per-queue on a file names the key and why"
run 2 -r "$sample" -q --pipeline-mode sideways && contains "$tmp/err" "--pipeline-mode" "bad mode names the flag"
run 0 -r "$sample" -q --pipeline --workers 2 --pipeline-mode dispatch -v --stats &&
	contains "$tmp/err" "dispatch: 2 worker thread(s) fed by the capture thread from 1 RX queue(s)" \
		"-v and --stats name the dispatch mode" &&
	contains "$tmp/err" "  worker 1: " "--stats lists each worker"

# --- configuration files: each rejection names file, line and key; --check-config exits 2
cfg="$tmp/bad.yaml"
printf 'capture:\n  snaplen: 64\n  bogus: 1\n' >"$cfg"
run 2 --config "$cfg" --check-config && contains "$tmp/err" "bad.yaml:3" "unknown key line" &&
	contains "$tmp/err" "capture.bogus" "unknown key named"
printf 'flow:\n  capacity: lots\n' >"$cfg"
run 2 --config "$cfg" --check-config && contains "$tmp/err" "bad.yaml:2" "wrong type line" &&
	contains "$tmp/err" "flow.capacity" "wrong type key"
printf 'pipeline:\n  workers: 1000\n' >"$cfg"
run 2 --config "$cfg" --check-config && contains "$tmp/err" "pipeline.workers" "range key"
printf 'web: [1, 2]\n' >"$cfg"
run 2 --config "$cfg" --check-config && contains "$tmp/err" "web" "sequence where a section belongs"
printf 'capture:\n  snaplen: 64\n    x: [\n' >"$cfg"
run 2 --config "$cfg" --check-config && contains "$tmp/err" "bad.yaml" "syntax error names the file"
run 2 --config "$tmp/missing.yaml" --check-config && contains "$tmp/err" "--config $tmp/missing.yaml: No such file" "missing config names the flag"
run 2 --set capture.nope=1 --check-config && contains "$tmp/err" "capture.nope" "--set unknown key"
run 2 --set capture.snaplen --check-config && contains "$tmp/err" "capture.snaplen" "--set without ="
printf 'capture:\n  snaplen: 128\n' >"$tmp/good.yaml"
run 0 --config "$tmp/good.yaml" --check-config && contains "$tmp/out" "configuration OK" "good config"
# precedence: file < command line
run 0 --config "$tmp/good.yaml" -s 96 --dump-config && contains "$tmp/out" "snaplen: 96" "CLI wins over file"
run 0 --config "$tmp/good.yaml" --dump-config && contains "$tmp/out" "snaplen: 128" "file wins over default"

# --- unreadable files: a clean error, exit 1, no crash
run 1 -r "$tmp/none.pcap" && contains "$tmp/err" "none.pcap" "missing file named"
for f in "$corpus"/pcaps/*-invalid-*; do
	run 1 -r "$f" -q && contains "$tmp/err" "cannot read" "invalid file $(basename "$f")"
done
head -c 100 "$sample" >"$tmp/cut.pcap" # a file cut inside a record
"$ns" -r "$tmp/cut.pcap" -q >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -le 1 ]; then ok; else bad "cut file exited $rc (crash?)"; fi

# --- every corpus capture end to end: totals equal tshark's (tests/corpus/expected), and the
# per-protocol counts are checked against tshark frame by frame in tests/unit/proto.
for f in "$corpus"/pcaps/*; do
	name=$(basename "$f")
	exp="$corpus/expected/$name.json"
	want_pk=$(json "$exp" packets)
	if [ "$(json "$exp" tshark_rc)" != 0 ] && [ "$want_pk" = 0 ]; then
		continue # the invalid files, checked above
	fi
	run 0 -r "$f" -q --summary-json "$tmp/c.json" || continue
	equal "$(json "$tmp/c.json" packets)" "$want_pk" "$name packets"
	equal "$(json "$tmp/c.json" bytes)" "$(json "$exp" bytes_wire)" "$name bytes (frame length on the wire)"
	equal "$(json "$tmp/c.json" truncated)" "$(json "$exp" truncated_frames)" "$name truncated frames"
	# tshark flags none of these as _ws.malformed: it shows bogus headers as expert notes.
	# We count a frame malformed when its own bytes contradict themselves, which is exactly
	# these fuzz-case files (version nibble wrong, IPv4 header in a 1-byte frame, IPv6
	# lengths beyond the frame).
	case $name in
	tcpdump-bad-ipv4-version-pgm-heapoverflow.pcap | tcpdump-heap-overflow-1.pcap | \
		tcpdump-ipv6_frag6_negative_len.pcap | tcpdump-ipv6_invalid_length.pcap) want_mal=1 ;;
	tcpdump-ipv6-bad-version.pcap) want_mal=2 ;;
	*) want_mal=$(json "$exp" protocol_frames_any_layer/_ws.malformed) ;;
	esac
	equal "$(json "$tmp/c.json" malformed)" "$want_mal" "$name malformed frames"
done

# --- the pipeline: two worker threads export exactly the flow records one thread does (flow
# ids aside), for every corpus capture: both directions of every flow meet on one worker, ICMP
# errors meet the flow they quote, and end reasons depend on packet times only.
same_flows() { # same_flows A.jsonl B.jsonl
	python3 - "$1" "$2" <<'PY'
import json, sys
def load(path):
    recs = [json.loads(line) for line in open(path)]
    for r in recs:
        r.pop("flow_id")
    return sorted(json.dumps(r, sort_keys=True) for r in recs)
a, b = load(sys.argv[1]), load(sys.argv[2])
sys.exit(0 if a == b and len(a) > 0 else 1)
PY
}
for f in "$corpus"/pcaps/*; do
	name=$(basename "$f")
	"$ns" -r "$f" -q --export-flows "$tmp/one.jsonl" 2>/dev/null || continue
	grep -q . "$tmp/one.jsonl" || continue # no flows in this capture
	run 0 -r "$f" -q --pipeline --workers 2 --export-flows "$tmp/two.jsonl" || continue
	if same_flows "$tmp/one.jsonl" "$tmp/two.jsonl"; then ok; else bad "$name: flows differ with --pipeline --workers 2"; fi
done
# ...and when a snaplen cut a flow's SYN inside its TCP header: the parser leaves the ports
# out, the flow key reads them from the bytes captured, and dispatch must use the same ones
# (40 connections, each SYN cut 10 bytes into the header; before the fix, 22 split in two)
python3 - "$tmp/cut.pcap" <<'PY'
import struct, sys
def frame(c, s, sp, dp, flags, seq, ack, rev):
    src, dst = (s, c) if rev else (c, s)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 1, 0, 64, 6, 0, bytes(src), bytes(dst))
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)
    return b"\x00\x01\x02\x03\x04\x05\x00\x01\x02\x03\x04\x06\x08\x00" + ip + tcp
out, t = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)], 0
for i in range(40):
    c, s, cp = [10, 0, 0, 1], [10, 0, 1, i + 1], 10000 + i
    for f, cut in ((frame(c, s, cp, 80, 0x02, 100, 0, False), 44),
                   (frame(c, s, 80, cp, 0x12, 500, 101, True), 54),
                   (frame(c, s, cp, 80, 0x10, 101, 501, False), 54),
                   (frame(c, s, 80, cp, 0x10, 501, 101, True), 54)):
        t += 1000
        out.append(struct.pack("<IIII", 1, t, cut, len(f)) + f[:cut])
open(sys.argv[1], "wb").write(b"".join(out))
PY
if run 0 -r "$tmp/cut.pcap" -q --export-flows "$tmp/one.jsonl" &&
	run 0 -r "$tmp/cut.pcap" -q --pipeline --workers 2 --export-flows "$tmp/two.jsonl"; then
	if [ "$(wc -l < "$tmp/one.jsonl")" -eq 40 ] && same_flows "$tmp/one.jsonl" "$tmp/two.jsonl"; then
		ok
	else
		bad "cut SYNs: $(wc -l < "$tmp/one.jsonl") flows with one thread, $(wc -l < "$tmp/two.jsonl") with --workers 2"
	fi
fi

# ...and when packet time jumps: two captures of the same 12000 UDP 5-tuples a week apart
# (past 2^39 us, where a flow's 40-bit last time reads as an older packet) in one file are
# 24000 flows, the first 12000 ended idle at their own last packets, in one thread and in two
# workers, each of whose shards ends more flows at the jump than its ring to management holds
# (4096): it waits for management. The second week visits the 5-tuples in reverse order, so
# the expiry sweep (which walks the records in creation order) is no help: before the fix one
# thread gave 12672 flows, two workers 14048.
python3 - "$tmp/week.pcap" <<'PY'
import struct, sys
out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
for week in (0, 7 * 86400):
    for k in range(2):
        for i in range(12000) if week == 0 else range(11999, -1, -1):
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 1, 0, 64, 17, 0,
                             bytes([10, 3, i >> 8, i & 255]), bytes([10, 4, 0, 1]))
            f = b"\x00\x01\x02\x03\x04\x05\x00\x01\x02\x03\x04\x06\x08\x00" + ip + \
                struct.pack("!HHHH", 2000 + i, 53, 8, 0)
            out.append(struct.pack("<IIII", 1700000000 + week + k, i, len(f), len(f)) + f)
open(sys.argv[1], "wb").write(b"".join(out))
PY
if run 0 -r "$tmp/week.pcap" -q --export-flows "$tmp/one.jsonl" &&
	run 0 -r "$tmp/week.pcap" -q --pipeline --workers 2 --export-flows "$tmp/two.jsonl"; then
	idle=$(grep -c '"end_reason":"idle"' "$tmp/one.jsonl")
	if [ "$(wc -l < "$tmp/one.jsonl")" -eq 24000 ] && [ "$idle" -ge 12000 ] &&
		same_flows "$tmp/one.jsonl" "$tmp/two.jsonl"; then
		ok
	else
		bad "a week's jump: $(wc -l < "$tmp/one.jsonl") flows ($idle idle) with one thread, $(wc -l < "$tmp/two.jsonl") with --workers 2"
	fi
	contains "$tmp/err" "packet time jumped 7.0 days ahead" "the jump is logged"
fi

# ...and when an older packet follows the newest one: in one burst, 20 UDP flows at T, one at
# T+120 s, then one at T+2. Every flow idle past the UDP timeout (60 s) at the newest packet
# ends idle, whichever worker holds it; before the fix the workers' shared clock took the
# burst's last time (T+2) and the other worker ended its flows as shutdown.
python3 - "$tmp/late.pcap" <<'PY'
import struct, sys
out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
for i, t in [(i, 0) for i in range(20)] + [(20, 120), (21, 2)]:
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 1, 0, 64, 17, 0,
                     bytes([10, 5, 0, i + 1]), bytes([10, 6, 0, 1]))
    f = b"\x00\x01\x02\x03\x04\x05\x00\x01\x02\x03\x04\x06\x08\x00" + ip + \
        struct.pack("!HHHH", 3000 + i, 53, 8, 0)
    out.append(struct.pack("<IIII", 1700000000 + t, i, len(f), len(f)) + f)
open(sys.argv[1], "wb").write(b"".join(out))
PY
if run 0 -r "$tmp/late.pcap" -q --export-flows "$tmp/one.jsonl" &&
	run 0 -r "$tmp/late.pcap" -q --pipeline --workers 2 --pipeline-mode dispatch \
		--export-flows "$tmp/two.jsonl"; then
	idle=$(grep -c '"end_reason":"idle"' "$tmp/one.jsonl")
	if [ "$idle" -eq 21 ] && same_flows "$tmp/one.jsonl" "$tmp/two.jsonl"; then
		ok
	else
		bad "newest packet before an older one: $idle idle with one thread, $(grep -c '"end_reason":"idle"' "$tmp/two.jsonl") with --workers 2"
	fi
fi

# --- reading: lines, summary, -c
total=$(tcpdump -r "$sample" -nn 2>/dev/null | wc -l)
run 0 -r "$sample" --summary-json "$tmp/sum.json"
equal "$(wc -l <"$tmp/out")" "$total" "one line per packet"
equal "$(json "$tmp/sum.json" packets)" "$total" "summary packets"
contains "$tmp/err" "$total packets" "human summary on stderr"
contains "$tmp/out" "[S]" "TCP flags printed"
contains "$tmp/out" "vlan 42" "VLAN tag printed"
head -1 "$tmp/out" | grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} ' && ok || bad "timestamp format"
run 0 -r "$sample" -c 5 --summary-json -
equal "$(json "$tmp/out" packets)" 5 "-c 5 stops at 5"
run 0 -r "$sample" -c 7
equal "$(wc -l <"$tmp/out")" 7 "-c 7 prints 7 lines"
run 0 -r "$sample" -q
equal "$(wc -c <"$tmp/out")" 0 "--quiet prints no packet lines"

# --- -w round trip: the written file reads back as the same packets
run 0 -r "$sample" -w "$tmp/copy.pcap" -q --summary-json "$tmp/a.json"
run 0 -r "$tmp/copy.pcap" --summary-json "$tmp/b.json" && cp "$tmp/out" "$tmp/copy.txt"
run 0 -r "$sample" && cp "$tmp/out" "$tmp/orig.txt"
if cmp -s "$tmp/orig.txt" "$tmp/copy.txt"; then ok; else bad "-w copy prints differently"; fi
if cmp -s "$tmp/a.json" "$tmp/b.json"; then ok; else bad "-w copy summary differs"; fi
equal "$(tcpdump -r "$tmp/copy.pcap" -nn -x 2>/dev/null | md5sum)" \
	"$(tcpdump -r "$sample" -nn -x 2>/dev/null | md5sum)" "-w copy is byte-identical to tcpdump"
nano="$corpus/pcaps/tcpdump-tcp-handshake-nano.pcap"
run 0 -r "$nano" -w "$tmp/nano.pcap" -q
equal "$(tcpdump -r "$tmp/nano.pcap" --nano -tt -nn 2>/dev/null | md5sum)" \
	"$(tcpdump -r "$nano" --nano -tt -nn 2>/dev/null | md5sum)" "nanosecond timestamps kept"
# ...and through libpcap: from standard input, and from pcapng (their precision unknown)
"$ns" -r - -w "$tmp/nano-stdin.pcap" -q <"$nano" 2>"$tmp/err"
equal "$(tcpdump -r "$tmp/nano-stdin.pcap" --nano -tt -nn 2>/dev/null | md5sum)" \
	"$(tcpdump -r "$nano" --nano -tt -nn 2>/dev/null | md5sum)" "nanosecond timestamps kept from stdin"
editcap -F pcapng "$nano" "$tmp/nano.pcapng" 2>/dev/null
run 0 -r "$tmp/nano.pcapng" -w "$tmp/nano-ng.pcap" -q
equal "$(tcpdump -r "$tmp/nano-ng.pcap" --nano -tt -nn 2>/dev/null | md5sum)" \
	"$(tcpdump -r "$nano" --nano -tt -nn 2>/dev/null | md5sum)" "nanosecond timestamps kept from pcapng"
# a microsecond file from stdin keeps its times (written with nanosecond timestamps)
"$ns" -r - -w "$tmp/usec-stdin.pcap" -q <"$sample" 2>"$tmp/err"
equal "$(tcpdump -r "$tmp/usec-stdin.pcap" --nano -tt -nn 2>/dev/null | md5sum)" \
	"$(tcpdump -r "$sample" --nano -tt -nn 2>/dev/null | md5sum)" "microsecond file from stdin: same times"
run 0 -r "$corpus/pcaps/tcpdump-bgp-role.pcapng" -w "$tmp/ng.pcap" -q
equal "$(tcpdump -r "$tmp/ng.pcap" -nn 2>/dev/null | wc -l)" 9 "pcapng input written as pcap"

# --- which reader: classic pcap files are read in place (the zero-copy reader), pcapng, stdin
# --- the flow table's memory report (-v): at most 200 bytes per flow, and flow.capacity is a
# minimum that a table of several 2 MB pages rounds up to fill its last page
for c in 131072 1179648 1048576; do
	run 0 -v -r "$sample" -q --top-flows 1 --set flow.capacity=$c || continue
	line=$(sed -n 's/.*table of \([0-9]*\) flows: \([0-9]*\) bytes (\([0-9.]*\) per flow).*/\1 \2 \3/p' "$tmp/err" | head -1)
	read -r held bytes per <<<"$line"
	if [ -n "$line" ] && [ "$held" -ge "$c" ] &&
		awk -v p="$per" -v b="$bytes" -v h="$held" 'BEGIN { exit !(p <= 200 && b / h <= 200) }'; then
		ok
	else
		bad "-v memory report at flow.capacity=$c: '$line' (want >= $c flows, <= 200 bytes each)"
	fi
done
run 0 -v -r "$sample" -q --top-flows 1 --set flow.capacity=4096 &&
	contains "$tmp/err" "table of 4096 flows:" "a one-page table keeps its capacity"

# and pipes through libpcap; -v names the reader and why. Both give the same packets.
run 0 -v -r "$sample" -q --summary-json "$tmp/mm.json" &&
	contains "$tmp/err" "reading $sample with the zero-copy reader (pcap, native byte order, microsecond" "-v: classic pcap read in place"
run 0 -v -r "$corpus/pcaps/tcpdump-bgp-role.pcapng" -q &&
	contains "$tmp/err" "with libpcap: not a classic pcap file" "-v: pcapng through libpcap"
run 0 -v -r "$nano" -q && contains "$tmp/err" "zero-copy reader (pcap, native byte order, nanosecond" "-v: nanosecond pcap read in place"
"$ns" -v -r - -q --summary-json "$tmp/stdin.json" <"$sample" >/dev/null 2>"$tmp/err"
contains "$tmp/err" "reading - with libpcap: standard input" "-v: stdin through libpcap"
if cmp -s "$tmp/mm.json" "$tmp/stdin.json"; then ok; else bad "stdin (libpcap) and file (mmap) summaries differ"; fi
run 0 -v -r <(cat "$sample") -q --summary-json "$tmp/pipe.json" &&
	contains "$tmp/err" "with libpcap: not a regular file" "-v: a pipe through libpcap"
if cmp -s "$tmp/mm.json" "$tmp/pipe.json"; then ok; else bad "pipe (libpcap) and file (mmap) summaries differ"; fi

# byte-swapped (big-endian) files: every header field swapped, read in place to the same result
swap_pcap() { # swap_pcap IN OUT
	python3 - "$1" "$2" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
o = ">" if e == "<" else "<"
out = [struct.pack(o + "IHHiIII", *struct.unpack(e + "IHHiIII", d[:24]))]
i = 24
while i + 16 <= len(d):
    sec, frac, cap, length = struct.unpack(e + "IIII", d[i:i + 16])
    out.append(struct.pack(o + "IIII", sec, frac, cap, length) + d[i + 16:i + 16 + cap])
    i += 16 + cap
open(sys.argv[2], "wb").write(b"".join(out))
PY
}
swap_pcap "$sample" "$tmp/be.pcap"
run 0 -v -r "$tmp/be.pcap" --summary-json "$tmp/be.json" && cp "$tmp/out" "$tmp/be.txt" &&
	contains "$tmp/err" "zero-copy reader (pcap, byte-swapped, microsecond" "-v: big-endian pcap read in place"
run 0 -r "$sample" && cp "$tmp/out" "$tmp/le.txt"
if cmp -s "$tmp/le.txt" "$tmp/be.txt"; then ok; else bad "big-endian copy prints differently"; fi
if cmp -s "$tmp/mm.json" "$tmp/be.json"; then ok; else bad "big-endian copy summary differs"; fi
swap_pcap "$nano" "$tmp/be-nano.pcap"
run 0 -r "$tmp/be-nano.pcap" -w "$tmp/be-nano-copy.pcap" -q
equal "$(tcpdump -r "$tmp/be-nano-copy.pcap" --nano -tt -nn 2>/dev/null | md5sum)" \
	"$(tcpdump -r "$nano" --nano -tt -nn 2>/dev/null | md5sum)" "big-endian nanosecond timestamps kept"

# cut and corrupt files: the frames before the damage are counted (as many as tcpdump
# prints), libpcap's message is reported, exit 1
cut_check() { # cut_check FILE DESC MESSAGE
	"$ns" -r "$1" -q --summary-json "$tmp/cut.json" >/dev/null 2>"$tmp/err"
	equal "$?" 1 "$2: exit status"
	contains "$tmp/err" "$3" "$2: reported"
	equal "$(json "$tmp/cut.json" packets)" "$(tcpdump -r "$1" -nn 2>/dev/null | wc -l)" "$2: packets before the damage"
}
head -c 1000 "$sample" >"$tmp/cut-body.pcap"
cut_check "$tmp/cut-body.pcap" "file cut inside a record" "truncated dump file; tried to read 1502 captured bytes, only got 119"
head -c 870 "$sample" >"$tmp/cut-hdr.pcap"
cut_check "$tmp/cut-hdr.pcap" "file cut inside a record header" "truncated dump file; tried to read 16 header bytes, only got"
python3 - "$sample" "$tmp/corrupt.pcap" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
i, n = 24, 0
while n < 5: # the 6th record claims a 4 GB frame
    i += 16 + struct.unpack("<I", d[i + 8:i + 12])[0]
    n += 1
d[i + 8:i + 12] = struct.pack("<I", 0xffffffff)
open(sys.argv[2], "wb").write(d)
PY
cut_check "$tmp/corrupt.pcap" "corrupt record header" "invalid packet capture length 4294967295"

# --- BPF filters on a file: same verdicts as libpcap; rejected frames counted as filtered
for expr in "tcp" "icmp or icmp6" "vlan and tcp" "ip6 and tcp" "tcp[13]&0x18=0x18" \
	"tcp[13] & 8 != 0" "udp port 53" "arp" "ip broadcast or ip multicast"; do
	want=$(tcpdump -r "$sample" -nn "$expr" 2>/dev/null | wc -l)
	run 0 -r "$sample" -f "$expr" --summary-json "$tmp/f.json"
	equal "$(json "$tmp/f.json" packets)" "$want" "filter '$expr' packets"
	equal "$(json "$tmp/f.json" filtered)" "$((total - want))" "filter '$expr' filtered count"
done
run 0 -r "$sample" tcp and port 80 --summary-json "$tmp/f.json"
equal "$(json "$tmp/f.json" packets)" "$(tcpdump -r "$sample" -nn tcp and port 80 2>/dev/null | wc -l)" \
	"trailing filter expression"
run 0 -r "$sample" -f "tcp" -w "$tmp/tcp.pcap" -q
equal "$(tcpdump -r "$tmp/tcp.pcap" -nn 2>/dev/null | wc -l)" \
	"$(tcpdump -r "$sample" -nn tcp 2>/dev/null | wc -l)" "-w keeps only what passed the filter"
run 2 -r "$sample" -f "tcp and and" && contains "$tmp/err" "filter" "bad filter rejected"

# --- a full disk under -w: reported and counted, the capture and the flow export go on, and
# the pcap keeps the whole records that fitted
big="$corpus/pcaps/local-tcp-impaired-vlan42.pcap"
if [ "$(id -u)" -eq 0 ] && mkdir -p "$tmp/full" && mount -t tmpfs -o size=512k tmpfs "$tmp/full"; then
	run 1 -r "$big" -q -w "$tmp/full/x.pcap" --export-flows "$tmp/full-flows.json" \
		--summary-json "$tmp/full.json"
	contains "$tmp/err" "No space left on device" "full disk reported"
	contains "$tmp/err" "packets could not be written" "lost packets counted"
	equal "$(json "$tmp/full.json" packets)" "$(json "$corpus/expected/$(basename "$big").json" packets)" \
		"capture went on past the full disk"
	kept=$(tcpdump -r "$tmp/full/x.pcap" -nn 2>/dev/null | wc -l)
	if [ "$kept" -gt 0 ] && [ "$kept" -lt 2046 ]; then ok; else bad "full disk: $kept records kept"; fi
	python3 -c 'import json,sys; sys.exit(0 if len(json.load(open(sys.argv[1]))) > 0 else 1)' \
		"$tmp/full-flows.json" && ok || bad "flow export after a full -w disk"
	umount "$tmp/full"
	# the flow export itself on a full disk: cut back to its last whole record, never a
	# broken row or line (it kept the part of a record that fitted, and appended to it)
	python3 - "$tmp/many.pcap" <<'PY'
import struct, sys
out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
for i in range(6000):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 1, 0, 64, 17, 0,
                     bytes([10, 1, i >> 8, i & 255]), bytes([10, 2, 0, 1]))
    f = b"\x00\x01\x02\x03\x04\x05\x00\x01\x02\x03\x04\x06\x08\x00" + ip + \
        struct.pack("!HHHH", 1024 + i % 1000, 53, 8, 0)
    out.append(struct.pack("<IIII", 1, i, len(f), len(f)) + f)
open(sys.argv[1], "wb").write(b"".join(out))
PY
	for fmt in csv jsonl; do
		mount -t tmpfs -o size=256k tmpfs "$tmp/full" || break
		"$ns" -r "$tmp/many.pcap" -q --export-flows "$tmp/full/f.$fmt" >"$tmp/out" 2>"$tmp/err"
		contains "$tmp/err" "flow records could not be written" "full disk under the $fmt flow export reported"
		if python3 - "$tmp/full/f.$fmt" "$fmt" <<'PY'; then ok; else bad "$fmt export on a full disk: broken last record"; fi
import csv, json, sys
path, fmt = sys.argv[1], sys.argv[2]
data = open(path).read()
assert data.endswith("\n"), "ends inside a record"
if fmt == "csv":
    rows = list(csv.reader(data.splitlines()))
    assert len(rows) > 100 and all(len(r) == len(rows[0]) for r in rows), "a short row"
else:
    lines = data.splitlines()
    assert len(lines) > 100 and all(json.loads(l)["proto"] == "udp" for l in lines)
PY
		umount "$tmp/full"
	done
else
	echo "SKIP: full-disk test needs root (tmpfs mount)"
fi

# --- live: an ended flow reaches the export file within about a second, not at exit (the
# exporter writes 64 KiB at a time; a live capture flushes it every second)
if [ "$(id -u)" -eq 0 ] && command -v python3 >/dev/null; then
	"$ns" -i lo -q -f "udp port 40999" --set flow.udp_timeout=1 --set flow.capacity=1024 \
		--export-flows "$tmp/live.jsonl" 2>"$tmp/live.err" &
	pid=$!
	for _ in $(seq 50); do grep -q "listening on" "$tmp/live.err" && break; sleep 0.1; done
	python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 40999))'
	for _ in $(seq 50); do grep -q '"dst_port":40999' "$tmp/live.jsonl" && break; sleep 0.1; done
	grep -q '"dst_port":40999' "$tmp/live.jsonl" && ok || bad "live flow record not in the export file within 5 s"
	kill -INT "$pid"
	wait "$pid"
	equal "$?" 0 "live export: exit status after SIGINT"
	equal "$(grep -c . "$tmp/live.jsonl")" 1 "live export: the record written once"
else
	echo "SKIP: live export flush test needs root (capture on lo)"
fi

# --- live capture needs privileges: the message names CAP_NET_RAW / sudo
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
	cp "$ns" "$tmp/netscope-unpriv" && chmod 755 "$tmp" "$tmp/netscope-unpriv"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$tmp/netscope-unpriv" -i lo -c 1 >"$tmp/out" 2>"$tmp/err"
	rc=$?
	equal "$rc" 1 "unprivileged live capture exit status"
	contains "$tmp/err" "CAP_NET_RAW" "unprivileged message names the capability"
	contains "$tmp/err" "sudo" "unprivileged message names sudo"
else
	echo "SKIP: privilege test needs root and setpriv"
fi

echo
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
