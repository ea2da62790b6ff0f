#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# DPDK pipeline benchmark (tools/bench/README.md): netscope --backend dpdk on an in-memory
# replay (net_pcap, infinite_rx=1) of --steady captures (N established connections, one or two
# packets each per pass), min-size and IMIX, 1k / 100k / 1M flows, 1 and 2 workers, with flow
# tracking and full TCP analysis on (--stats), next to dpdk-testpmd --forward-mode=rxonly on
# the same vdev as the ceiling, each with the default mbufs (2176 B of data room) and with compact
# ones (dpdk.mbuf_size / testpmd --mbuf-size: the file's largest frame plus the 128 B headroom,
# rounded up to 64 B). Rates come from the steady state only (the table full, see
# sampled_run): per wall second (the median of the per-second counters) and per CPU second of
# the whole process (that rate divided by the CPU the process got over the same window).
# The ring replay (--replay ring or both) feeds a net_ring port from ring-feed, a DPDK secondary
# process on the other core that plays the NIC: it writes each frame into an mbuf of the
# primary's pool and advances every connection's sequence numbers per pass, so the analyser
# sees in-order streams rather than net_pcap's replayed retransmissions; one worker only (the
# feeder has the other core).
# Every run is bracketed by xcore-rtt, the cache-line round trip between cores 0 and 1: on a
# virtual machine the two vCPUs may sit on cores that share an L3 or on cores that do not, and
# the replay's rates depend on which (docs/performance.md, "Machine"). Under each target line
# the summary gives the ratio to testpmd per host state as well as over all repetitions.
# Each per-repetition ratio comes with a distribution-free 95% interval of its median once
# there are 6 repetitions or more: within 2x is MET when the interval lies at or below 2x,
# MISSED when above, and AT THE LINE when it contains 2x. --append pools the repetitions of
# several invocations (of the same binary and settings) into one summary.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DPDK:-$root/build-bench-dpdk}
scratch=${SCRATCH:-${TMPDIR:-/tmp}/netscope-bench}/dpdk
reps=3
dur=6
quick=0
only=""
prefix=nsbench$$
build_it=1
capacity_all=
ns_args=()
replay=both
feed_pid=
rtt_split=250
append=0

usage() {
	cat <<EOF
Usage: tools/bench/run-dpdk.sh [options]   (root: reserves 2 MB hugepages, restores them after)
  --quick          1 repetition, durations 1 s and 3 s, 1k and 100k flows only
  --reps N         repetitions (default 3), median reported
  --only LIST      scenarios, comma-separated (min-1k,min-100k,min-1m,imix-1k,imix-100k,imix-1m)
  --build DIR      meson build with DPDK (default build-bench-dpdk; built if missing)
  --scratch DIR    where captures and logs go (default \$TMPDIR/netscope-bench/dpdk)
  --replay KIND    pcap (net_pcap infinite_rx), ring (net_ring fed by ring-feed) or both
                   (default)
  --ns-arg ARG     one more argument for every netscope run (repeat for several), e.g.
                   --ns-arg --set --ns-arg pipeline.burst=64
  --capacity N     flow.capacity for every scenario (default: sized per scenario, 131072
                   up to 100k flows, 1179648 at 1M, as run.sh does)
  --rtt-split NS   core-to-core round trip (xcore-rtt, cores 0 and 1) below which a run
                   counts as "near" (the vCPUs share an L3), at or above as "far" (default 250)
  --no-build         use the binaries already in the build directory as they are
  --append         keep the repetitions already in runs.tsv and add this run's (numbered
                   after them); the summary pools the rows of the same binary and settings
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--reps) reps=$2; shift ;;
	--only) only=$2; shift ;;
	--build) build=$2; shift ;;
	--scratch) scratch=$2; shift ;;
	--no-build) build_it=0 ;;
	--replay) replay=$2; shift ;;
	--capacity) capacity_all=$2; shift ;;
	--rtt-split) rtt_split=$2; shift ;;
	--ns-arg) ns_args+=("$2"); shift ;;
	--append) append=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

# name mix flows packets-per-pass ring-packets-per-pass: one packet per flow per pass at 1M for
# net_pcap (mbufs hold the whole file: 1M mbufs are ~2.3 GB of hugepages), more at smaller N so
# a pass is not trivially short. The ring replay's feeder holds the file in its own memory, 64 or
# 128 bytes a frame, so its 1M file has two packets per connection like the 100k one: with one,
# every connection is seen from one side only (a data stream without its ACKs), a lighter TCP
# path than the 100k file's mix. The last column is flow.capacity, sized as run.sh sizes it
# for the same connections: the table an operator would configure for that many flows. At 100k
# flows its buckets (0.8 MB) then stay in the worker's L2; a 1.2M-flow table spreads the same
# flows over 7 MB of buckets (--capacity overrides it for every scenario).
scenarios="min-1k min 1000 32768 32768 131072
min-100k min 100000 200000 200000 131072
min-1m min 1000000 1000000 2000000 1179648
imix-1k imix 1000 32768 32768 131072
imix-100k imix 100000 200000 200000 131072
imix-1m imix 1000000 1000000 2000000 1179648"
if [ "$quick" -eq 1 ]; then
	reps=1
	dur=3
	scenarios=$(echo "$scenarios" | grep -v -- "-1m ")
fi
if [ -n "$only" ]; then
	scenarios=$(echo "$scenarios" | awk -v only=",$only," 'index(only, "," $1 ",")')
fi

mkdir -p "$scratch/log"
[ "$append" -eq 1 ] || rm -f "$scratch/log/"*.flags
raw=$scratch/runs.tsv
[ "$append" -eq 1 ] && [ -f "$raw" ] || : >"$raw"
log=$scratch/log

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$root" --buildtype=release -Ddpdk=enabled >"$log/meson-setup.log"
fi
if [ "$build_it" -eq 1 ]; then
	ninja -C "$build" app/netscope/netscope tools/gen-bench tools/ring-feed tools/xcore-rtt \
		>"$log/ninja.log" ||
		{ cat "$log/ninja.log" >&2; exit 1; }
fi
netscope=$build/app/netscope/netscope
gen=$build/tools/gen-bench
feed=$build/tools/ring-feed
xrtt=$build/tools/xcore-rtt
case $replay in
pcap | ring | both) ;;
*) usage >&2; exit 2 ;;
esac
if ! [[ $rtt_split =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
	echo "run-dpdk.sh: --rtt-split takes nanoseconds, a number: '$rtt_split'" >&2
	exit 2
fi
if ! "$netscope" --help 2>&1 | grep -q -- "--dpdk-args"; then
	echo "run-dpdk.sh: $netscope has no DPDK backend (meson -Ddpdk=enabled)" >&2
	exit 1
fi
testpmd=$(command -v dpdk-testpmd || true)
# what was measured (runs.tsv column 10): the netscope binary and the settings that change its
# rates; --append pools only the rows of the same
code=$({
	sha256sum <"$netscope"
	printf '%s\n' ${ns_args[@]+"${ns_args[@]}"} "capacity=$capacity_all" "dur=$dur"
} | sha256sum | cut -c1-12)

# ---- hugepages: enough for the largest mempool plus the flow tables, restored on exit ----
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
hp_before=$(cat "$hp")
max_pkts=$(echo "$scenarios" | awk '{ if ($4 > m) m = $4 } END { print m + 0 }')
# mbufs of ~2.3 KB each (dpdk.mbufs is per RX queue: the two-queue runs size both pools for
# the whole file), two 1.2M-flow tables (200 MB each), 256 MB of slack
hp_need=$(((2 * max_pkts * 2304 + 2 * 240000000 + 268435456) / 2097152))
# the ring replay shares memory between two processes: hugetlbfs files, not --in-memory
huge=$scratch/huge
# wait_gone PATTERN SECONDS: wait for the processes whose command line matches to exit
wait_gone() {
	for _ in $(seq $(($2 * 10))); do
		pgrep -f -- "$1" >/dev/null || return 0
		sleep 0.1
	done
	pkill -KILL -f -- "$1" 2>/dev/null || true
}
# On any exit (an interrupted run too): the feeder first, then the primaries of this run, so
# that nothing maps the hugetlbfs files when they are removed and the mount goes.
cleanup() {
	pkill -INT -f -- "ring-feed.*--file-prefix=$prefix-ring" 2>/dev/null || true
	wait_gone "ring-feed.*--file-prefix=$prefix-ring" 5
	pkill -INT -f -- "--file-prefix=$prefix" 2>/dev/null || true
	wait_gone "--file-prefix=$prefix" 30
	if mountpoint -q "$huge" 2>/dev/null; then
		rm -f "$huge"/* 2>/dev/null || true
		umount "$huge" || echo "run-dpdk.sh: could not unmount $huge" >&2
	fi
	echo "$hp_before" >"$hp" 2>/dev/null || true
	rm -rf "/var/run/dpdk/$prefix"*
}
trap cleanup EXIT
if [ "$hp_before" -lt "$hp_need" ]; then
	echo "$hp_need" >"$hp"
fi
echo "2 MB hugepages: $(cat "$hp") reserved ($hp_before before, $hp_need wanted)"
eal_common="--in-memory --no-pci --no-telemetry --log-level=lib.eal:warning"
if [ "$replay" != pcap ]; then
	mkdir -p "$huge"
	mountpoint -q "$huge" || mount -t hugetlbfs -o pagesize=2M nodev "$huge"
fi
eal_ring="--no-pci --no-telemetry --log-level=lib.eal:warning --huge-dir=$huge"

# The cache-line round trip between cores 0 and 1 in ns (0 when xcore-rtt cannot run: every
# run is then "mixed" and the summary leaves the per-state lines out): the host's state, taken
# right before and right after each run
host_rtt() {
	"$xrtt" -a 0 -b 1 2>/dev/null || echo 0
}
rtt_ok=1
if ! "$xrtt" -a 0 -b 1 -n 100 -r 1 >/dev/null; then
	echo "run-dpdk.sh: $xrtt cannot measure CPU 0 <-> 1: no per-host-state lines in the summary" >&2
	rtt_ok=0
fi

{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- lib app 2>/dev/null || echo ' (lib/app have uncommitted changes)')"
	echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) vCPU; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "DPDK: $(pkg-config --modversion libdpdk 2>/dev/null || echo '?'); testpmd: ${testpmd:-not installed (Debian package dpdk)}"
	echo "core 0 <-> core 1 cache-line round trip at start: $([ "$rtt_ok" -eq 1 ] && echo "$(host_rtt) ns (near below $rtt_split)" || echo "n/a")"
} | tee "$scratch/facts.txt"

declare -A file rfile npk flows_of msize capacity
order=()
while read -r name mix nflows npkts rpkts cap; do
	[ -n "$name" ] || continue
	f=$scratch/steady-$name.pcap
	if [ ! -s "$f" ]; then
		"$gen" -q -o "$f" -m "$mix" -f "$nflows" -n "$npkts" --steady
	fi
	file[$name]=$f
	rfile[$name]=$f
	if [ "$rpkts" != "$npkts" ] && [ "$replay" != pcap ]; then
		rfile[$name]=$scratch/steady-$name-$rpkts.pcap
		[ -s "${rfile[$name]}" ] ||
			"$gen" -q -o "${rfile[$name]}" -m "$mix" -f "$nflows" -n "$rpkts" --steady
	fi
	# two halves by flow for the two-queue runs: the parity of the sum of both addresses' low
	# 16 bits and both ports, the same for both directions of a connection (--steady files
	# vary the addresses, not the ports)
	for h in 0 1; do
		[ -s "$f.q$h" ] || tcpdump -r "$f" -w "$f.q$h" \
			"((ip[14] + ip[15] + ip[18] + ip[19] + tcp[0] + tcp[1] + tcp[2] + tcp[3]) & 1) = $h" 2>/dev/null
		[ "$(stat -c %s "$f.q$h")" -gt 24 ] || { echo "run-dpdk.sh: $f.q$h is empty" >&2; exit 1; }
	done
	npk[$name]=$npkts
	# compact mbufs: the largest record plus the headroom, rounded up to 64 bytes
	msize[$name]=$(python3 - "$f" <<'PY'
import struct, sys
with open(sys.argv[1], "rb") as fh:
    hdr = fh.read(24)
    end = "<" if hdr[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    big = 0
    while True:
        rec = fh.read(16)
        if len(rec) < 16:
            break
        caplen = struct.unpack(end + "4I", rec)[2]
        big = max(big, caplen)
        fh.seek(caplen, 1)
print((big + 128 + 63) // 64 * 64)
PY
)
	flows_of[$name]=$nflows
	capacity[$name]=${capacity_all:-$cap}
	order+=("$name")
done <<<"$scenarios"

# Run "$@" in the background and sample its CPU ticks (all threads) 5 times a second. The
# steady state starts when the table holds all @flows flows (netscope's --stats line) or
# testpmd reports a non-zero Rx-pps; @dur seconds later the run gets SIGINT. Prints
# "mpps_wall cpu_share": the median per-second rate of the steady state (netscope: packets the
# flow shards processed, i.e. received minus dropped on a full worker ring) and the CPU the
# process used per wall second over the same window. Start-up (EAL, loading the file into
# mbufs, creating the table) and the final flush are outside the window.
sampled_run() {
	local kind=$1 flows=$2 out=$3 pid t ticks steady=0 t_steady=0
	shift 3
	"$@" >"$out.out" 2>"$out.err" </dev/null &
	pid=$!
	: >"$out.cpu"
	while kill -0 "$pid" 2>/dev/null; do
		t=$(date +%s.%N)
		ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo "")
		[ -n "$ticks" ] || break
		if [ "$steady" -eq 0 ]; then
			if [ "$kind" = netscope ]; then
				awk -v n="$flows" '/^stats / { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^active/ && $i + 0 >= n) f = 1 } END { exit !f }' "$out.err" 2>/dev/null && steady=1
			else
				grep -q "Rx-pps: *[1-9]" "$out.out" 2>/dev/null && steady=1
			fi
			[ "$steady" -eq 1 ] && t_steady=$t
		fi
		echo "$t $ticks $steady" >>"$out.cpu"
		if [ "$steady" -eq 1 ] && awk -v a="$t" -v b="$t_steady" -v d="$dur" 'BEGIN { exit !(a - b >= d + 1) }'; then
			feed_halt
			kill -INT "$pid" 2>/dev/null || true
			break
		fi
		if awk -v a="$t" -v b="$(head -1 "$out.cpu" | cut -d' ' -f1)" 'BEGIN { exit !(a - b > 180) }'; then
			feed_halt
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	wait "$pid" 2>/dev/null || true
	# CPU share over [steady + 1 s, last sample]
	local share
	share=$(awk -v hz="$(getconf CLK_TCK)" '$3 == 1 { if (s == "") s = $1; if ($1 - s >= 1 && t0 == "") { t0 = $1; c0 = $2 } t1 = $1; c1 = $2 }
		END { if (t0 != "" && t1 > t0) printf "%.3f", (c1 - c0) / hz / (t1 - t0); else print 0 }' "$out.cpu")
	local rate
	if [ "$kind" = netscope ]; then
		# per-second rates after the first full-table line; the ring drop counter is cumulative
		rate=$(awk -v n="$flows" '/^stats / {
				r = 0; for (i = 1; i <= NF; i++) {
					if ($i == "rate:") { r = $(i + 1); u = $(i + 2);
						r *= (u == "Mpps,") ? 1e6 : (u == "kpps,") ? 1e3 : 1 }
					if ($i == "ring") ring = $(i + 1) + 0
					if ($(i + 1) ~ /^active/) fl = $i + 0 }
				if (fl >= n) { if (seen) print (r - (ring - pring)) / 1e6; seen = 1 }
				pring = ring }' "$out.err" | median)
	else
		rate=$(sed -n 's/.*Rx-pps: *\([0-9]*\).*/\1/p' "$out.out" | awk '$1 > 0 { if (seen++) print $1 / 1e6 }' | median)
	fi
	echo "${rate:-0} ${share:-0}"
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "";
		else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# One worker: the capture thread is the flow shard, EAL main lcore on core 1. Two workers:
# per-queue mode (docs/pipeline.md), the port replaying the file's two halves by flow on two
# RX queues, one worker lcore per queue (1 on core 0, 2 on core 1) and the management thread
# on the main lcore sharing core 0. net_pcap does not say its queues hold whole flows, so the
# mode is asked for explicitly (netscope warns; the split above guarantees it).
run_netscope() {
	local name=$1 workers=$2 out=$3 msz=$4 cores lcores pl=() dev
	if [ "$workers" -eq 1 ]; then
		cores=1
		lcores="-l 1"
		dev="net_pcap0,rx_pcap=${file[$name]},infinite_rx=1"
	else
		cores=0-1
		lcores="--lcores=0@0,1@0,2@1"
		pl=(--pipeline --workers 2 --pipeline-mode per-queue)
		dev="net_pcap0,rx_pcap=${file[$name]}.q0,rx_pcap=${file[$name]}.q1,infinite_rx=1"
	fi
	sampled_run netscope "${flows_of[$name]}" "$out" taskset -c "$cores" "$netscope" \
		--backend dpdk -i "$dev" \
		--dpdk-args "$lcores $eal_common --file-prefix=$prefix" \
		--set "dpdk.mbufs=$((npk[$name] + 8192))" --set "dpdk.mbuf_size=$msz" \
		--set "flow.capacity=${capacity[$name]}" ${ns_args[@]+"${ns_args[@]}"} \
		"${pl[@]}" -q --stats
}

run_testpmd() {
	local name=$1 out=$2 msz=$3
	sampled_run testpmd 0 "$out" "$testpmd" -l 0-1 $eal_common --file-prefix="$prefix-tp" \
		--vdev "net_pcap0,rx_pcap=${file[$name]},infinite_rx=1" -- \
		--forward-mode=rxonly --nb-cores=1 --stats-period=1 \
		--total-num-mbufs=$((npk[$name] + 8192)) --mbuf-size="$msz"
}

# The ring replay: the primary (netscope or testpmd) owns net_ring0; ring-feed attaches as a
# secondary once the primary's runtime config exists, and feeds it from core 0 (EAL lcore 7, so
# its mempool cache is not one of the primary's) until the run is over. Sets feed_pid.
feed_start() {
	local pfx=$1 pool=$2 name=$3 out=$4
	(
		for _ in $(seq 600); do
			[ -e "/var/run/dpdk/$pfx/config" ] && break
			sleep 0.1
		done
		sleep 1
		exec taskset -c 0 "$feed" --lcores=7@0 --proc-type=secondary $eal_ring \
			--file-prefix="$pfx" -- -p "$pool" "${rfile[$name]}"
	) >"$out.feed" 2>&1 &
	feed_pid=$!
}

# Stop the feeder and wait for it to exit: it must be gone before the primary frees the ring
# and the pool (EAL then unmaps that memory in every secondary, under the feeder's feet).
feed_halt() {
	[ -n "${feed_pid:-}" ] || return 0
	kill -0 "$feed_pid" 2>/dev/null || return 0
	kill -INT "$feed_pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$feed_pid" 2>/dev/null || return 0
		sleep 0.05
	done
	echo "run-dpdk.sh: ring-feed ($feed_pid) ignored SIGINT for 5 s; killed" >&2
	kill -KILL "$feed_pid" 2>/dev/null || true
}

feed_stop() {
	local pfx=$1
	feed_halt
	wait "$feed_pid" 2>/dev/null || true
	feed_pid=
	rm -f "$huge/$pfx"*
	rm -rf "/var/run/dpdk/$pfx"
}

# netscope on the ring replay, one worker on core 1, exporting its flows (the analysis flags in
# them must all be 0: the replayed streams are in order); prints what sampled_run prints
run_netscope_ring() {
	local name=$1 out=$2 pfx=$prefix-ring res
	feed_start "$pfx" ns_rx_p0_q0 "$name" "$out"
	res=$(sampled_run netscope "${flows_of[$name]}" "$out" taskset -c 1 "$netscope" \
		--backend dpdk -i net_ring0 \
		--dpdk-args "-l 1 --proc-type=primary $eal_ring --file-prefix=$pfx" \
		--set "flow.capacity=${capacity[$name]}" ${ns_args[@]+"${ns_args[@]}"} -q --stats \
		--export-flows "$out.csv")
	feed_stop "$pfx"
	echo "$res"
}

run_testpmd_ring() {
	local name=$1 out=$2 pfx=$prefix-ringtp res
	feed_start "$pfx" mb_pool_0 "$name" "$out"
	res=$(sampled_run testpmd 0 "$out" "$testpmd" -l 0-1 --proc-type=primary $eal_ring \
		--file-prefix="$pfx" --vdev net_ring0 -- \
		--forward-mode=rxonly --nb-cores=1 --stats-period=1)
	feed_stop "$pfx"
	echo "$res"
}

# The TCP analysis flags (retransmissions, out-of-order, lost segments, dup ACKs) summed over a
# flow export; "?" when the export is missing
analysis_flags() {
	[ -s "$1" ] || { echo "?"; return; }
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^(retrans_|fast_retrans|spurious_retrans|ooo_|lost_|dupack_)/) c[i] = 1; next }
		{ for (i in c) s += $i } END { print s + 0 }' "$1"
}

# one measurement with mbufs of @msz bytes of data room (or "ring": the ring replay): appends
# "name tool workers rep mpps_wall cpu_share mpps_cpu rtt_before rtt_after" to runs.tsv, the
# name with "/mbuf<msz>" for compact mbufs and "/ring" for the ring replay
measure() {
	local what=$1 name=$2 workers=$3 rep=$4 msz=$5 res key=$2 rb ra
	rb=$(host_rtt)
	[ "$msz" = ring ] || [ "$msz" -eq "$default_msz" ] || key=$name/mbuf$msz
	if [ "$msz" = ring ]; then
		key=$name/ring
		if [ "$what" = testpmd ]; then
			res=$(run_testpmd_ring "$name" "$log/$name-ring-testpmd-$rep")
		else
			res=$(run_netscope_ring "$name" "$log/$name-ring-w1-$rep")
			echo "$(analysis_flags "$log/$name-ring-w1-$rep.csv")" >"$log/$name-ring-w1-$rep.flags"
		fi
	elif [ "$what" = testpmd ]; then
		res=$(run_testpmd "$name" "$log/${key/\//-}-testpmd-$rep" "$msz")
	else
		res=$(run_netscope "$name" "$workers" "$log/${key/\//-}-w$workers-$rep" "$msz")
	fi
	read -r mw share <<<"$res"
	ra=$(host_rtt)
	awk -v n="$key" -v t="$what" -v w="$workers" -v r="$rep" -v mw="$mw" -v sh="$share" \
		-v rb="$rb" -v ra="$ra" -v c="$code" 'BEGIN {
		printf "%s\t%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%s\t%s\t%s\n", n, t, w, r, mw, sh,
			(sh > 0 ? mw / sh : 0), rb, ra, c }' |
		tee -a "$raw"
}

default_msz=2176 # RTE_MBUF_DEFAULT_BUF_SIZE, both tools' default
rows=()
# --append: this run's repetitions are numbered after those already in runs.tsv, and pooled
# with the rows of the same code (prev)
rep0=$(awk -F'\t' '$4 + 0 > m { m = $4 + 0 } END { print m + 0 }' "$raw")
prev=$(awk -F'\t' -v c="$code" '$10 == c' "$raw" | wc -l)
for name in "${order[@]}"; do
	[ "$replay" = ring ] || rows+=("$name" "$name/mbuf${msize[$name]}")
	[ "$replay" = pcap ] || rows+=("$name/ring")
	for ((rep = rep0 + 1; rep <= rep0 + reps; rep++)); do
		if [ "$replay" != ring ]; then
			for msz in "$default_msz" "${msize[$name]}"; do
				measure netscope "$name" 1 "$rep" "$msz"
				measure netscope "$name" 2 "$rep" "$msz"
				[ -n "$testpmd" ] && measure testpmd "$name" 1 "$rep" "$msz"
			done
		fi
		if [ "$replay" != pcap ]; then
			measure netscope "$name" 1 "$rep" ring
			[ -n "$testpmd" ] && measure testpmd "$name" 1 "$rep" ring
		fi
	done
done

med() {
	awk -F'\t' -v n="$1" -v t="$2" -v w="$3" -v c="$4" '$1 == n && $2 == t && $3 == w && $7 > 0 { print $c }' "$pool" | median
}

# testpmd's CPU rate / netscope's (1 worker) in each repetition, one a line: the two runs are
# seconds apart, so the host's swings between repetitions (up to 1.5x) cancel, which they do
# not in the ratio of the two medians
pair_ratios() {
	awk -F'\t' -v n="$1" '$1 == n && $3 == 1 && $7 > 0 { v[$2 "/" $4] = $7; r[$4] = 1 }
		END { for (k in r) if (("netscope/" k) in v && ("testpmd/" k) in v) printf "%.3f\n", v["testpmd/" k] / v["netscope/" k] }' "$pool"
}

# Per-repetition ratios on stdin: their median, and whether it is within 2x. The 95% interval
# of the median is the sign test's: the order statistics x(k) and x(n+1-k) for the largest k
# with 1 - 2 P(Bin(n, 1/2) < k) >= 0.95, which needs 6 repetitions; with fewer the median
# alone decides, and the line says so.
ratio_verdict() {
	sort -g | awk '{ v[NR] = $1 }
	END {
		n = NR
		if (n == 0) { print "n/a"; exit }
		med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		p = 0.5 ^ n; c = 0; k = 0
		for (j = 0; j <= n; j++) { c += p; cdf[j] = c; p = p * (n - j) / (j + 1) }
		for (j = 1; j <= n / 2; j++) if (1 - 2 * cdf[j - 1] >= 0.95) k = j
		if (k == 0) {
			printf "%.3fx over %d repetitions (too few for a 95%% interval): %s", med, n,
				(med <= 2) ? "MET" : "MISSED"
			exit
		}
		lo = v[k]; hi = v[n + 1 - k]
		printf "%.3fx over %d repetitions, 95%% interval %.3f-%.3fx: %s", med, n, lo, hi,
			(hi <= 2) ? "MET" : (lo > 2) ? "MISSED" : "AT THE LINE (the interval contains 2x)"
	}'
}

# The host state of each run (runs.tsv columns 8 and 9, the round trip before and after it):
# near, far, or mixed when it changed during the run (or xcore-rtt could not run)
run_state='function state(b, a) { if (b <= 0 || a <= 0) return "mixed";
		if (b < thr && a < thr) return "near"; if (b >= thr && a >= thr) return "far";
		return "mixed" }'

# by_state NAME STATE: "netscope testpmd ratio", one line per repetition whose netscope (1
# worker) and testpmd runs were both in STATE
by_state() {
	awk -F'\t' -v n="$1" -v want="$2" -v thr="$rtt_split" "$run_state"'
		$1 == n && $3 == 1 && $7 > 0 && state($8, $9) == want { v[$2 "/" $4] = $7; r[$4] = 1 }
		END { for (k in r) if (("netscope/" k) in v && ("testpmd/" k) in v)
			print v["netscope/" k], v["testpmd/" k], v["testpmd/" k] / v["netscope/" k] }' "$pool"
}

# Repetitions of NAME with netscope and testpmd in different states, or one of them mixed
state_split() {
	awk -F'\t' -v n="$1" -v thr="$rtt_split" "$run_state"'
		$1 == n && $3 == 1 && $7 > 0 { s[$2 "/" $4] = state($8, $9); r[$4] = 1 }
		END { c = 0; for (k in r) if (("netscope/" k) in s && ("testpmd/" k) in s &&
			(s["netscope/" k] != s["testpmd/" k] || s["netscope/" k] == "mixed")) c++; print c }' "$pool"
}

# the summary's rows: those of this binary and settings, this run's and (--append) earlier runs'
pool=$scratch/runs-pooled.tsv
awk -F'\t' -v c="$code" '$10 == c' "$raw" >"$pool"
other=$(awk -F'\t' -v c="$code" '$10 != c' "$raw" | wc -l)
summary=$scratch/summary.md
{
	echo "| replay | netscope 1 worker, Mpps (CPU) | (wall) | netscope 2 workers per-queue, Mpps (CPU, whole process) | (wall) | testpmd rxonly, Mpps (CPU) | (wall) | 1 worker vs testpmd (CPU) | (per repetition) |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for name in "${rows[@]}"; do
		c1=$(med "$name" netscope 1 7)
		w1=$(med "$name" netscope 1 5)
		c2=$(med "$name" netscope 2 7)
		w2=$(med "$name" netscope 2 5)
		ct=$(med "$name" testpmd 1 7)
		wt=$(med "$name" testpmd 1 5)
		ratio=$(awk -v a="$c1" -v b="$ct" 'BEGIN { if (a > 0 && b > 0) printf "1/%.1f", b / a }')
		pr=$(pair_ratios "$name" | median | awk '{ printf "1/%.1f", $1 }')
		label=${name/\/mbuf/, mbuf_size }
		label=${label/\/ring/, ring replay}
		echo "| $label | $c1 | $w1 | ${c2:-n/a} | ${w2:-n/a} | ${ct:-n/a} | ${wt:-n/a} | $ratio | ${pr:-n/a} |"
	done
	echo
	echo "Targets (one worker, full TCP analysis): >= 15 Mpps at 100k flows, >= 10 Mpps at 1M,"
	echo "within 2x of testpmd rxonly."
	for n in min-100k min-1m min-100k/ring min-1m/ring; do
		c=$(med "$n" netscope 1 7)
		t=$(med "$n" testpmd 1 7)
		want=15
		[ "${n%/ring}" = min-1m ] && want=10
		p=$(pair_ratios "$n")
		[ -n "$c" ] && echo "- $n: $c Mpps, target >= $want: $(awk -v a="$c" -v b="$want" 'BEGIN { print (a >= b) ? "MET" : "MISSED" }')$([ -n "$t" ] && awk -v a="$c" -v b="$t" 'BEGIN { printf "; testpmd %s, ratio %.2fx, target <= 2x: %s", b, b / a, (b / a <= 2) ? "MET" : "MISSED" }')$([ -n "$p" ] && echo "; per-repetition ratio $(echo "$p" | ratio_verdict)")"
		if [ -n "$c" ] && [ -n "$t" ] && [ "$rtt_ok" -eq 1 ]; then
			for st in near far; do
				v=$(by_state "$n" "$st")
				[ -n "$v" ] && echo "  - host $st (both runs' core round trip $([ "$st" = near ] && echo "< $rtt_split" || echo ">= $rtt_split") ns): netscope $(echo "$v" | cut -d' ' -f1 | median) Mpps, testpmd $(echo "$v" | cut -d' ' -f2 | median), per-repetition ratio $(echo "$v" | cut -d' ' -f3 | ratio_verdict)"
			done
			k=$(state_split "$n")
			[ "$k" -gt 0 ] && echo "  - $k repetitions with the two runs in different host states or one changing state, in neither line above"
		fi
	done
	if [ "$replay" != pcap ]; then
		echo
		echo "Ring replay: testpmd's rate is ring-feed's, the device's ceiling (it writes each frame's"
		echo "first 128 bytes into an mbuf on the other core). TCP analysis flags (retransmissions,"
		echo "out-of-order, lost, dup ACKs) in netscope's exports of the ring runs, which must be 0:"
		echo "$(awk -F'\t' '$2 == "netscope" && $1 ~ /\/ring$/ { sub(/\/ring$/, "", $1); print $1 "-ring-w1-" $4 }' "$pool" |
			while read -r f; do printf '%s %s, ' "$f" "$(cat "$log/$f.flags" 2>/dev/null || echo '?')"; done | sed 's/, $//')."
	fi
	echo
	echo "Command: tools/bench/run-dpdk.sh$([ "$quick" -eq 1 ] && echo " --quick")$([ "$replay" != both ] && echo " --replay $replay")$([ -n "$capacity_all" ] && echo " --capacity $capacity_all")$([ "$rtt_split" != 250 ] && echo " --rtt-split $rtt_split")$([ "$append" -eq 1 ] && echo " --append")$([ ${#ns_args[@]} -gt 0 ] && printf ' --ns-arg %s' "${ns_args[@]}") (reps $reps, ${dur} s of steady state per run)"
	if [ "$prev" -gt 0 ]; then
		echo "Pooled with the $prev rows already in runs.tsv of the same netscope binary and settings ($code)."
	fi
	if [ "$other" -gt 0 ]; then
		echo "Left out: $other rows of runs.tsv from another binary or other settings."
	fi
} >"$summary"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$scratch/facts.txt"
echo
cat "$summary"
echo "raw runs: $raw (name tool workers rep mpps_wall cpu_share mpps_cpu rtt_before_ns rtt_after_ns code)"
