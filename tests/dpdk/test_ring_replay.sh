#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The ring replay that tools/bench/run-dpdk.sh measures (root): netscope owns a net_ring port
# as a DPDK primary process, tools/bench/ring-feed attaches as a secondary and puts a
# gen-bench --steady capture on the port's RX ring PASSES times, every pass with each
# connection's sequence and acknowledgement numbers moved on by what its direction sent in one
# pass. Checks: netscope receives exactly PASSES x the file's packets, one flow record per
# connection, and its TCP analysis finds the streams in order (no retransmission, out-of-order
# segment, lost segment or dup ACK), which is what makes the benchmark measure the in-order
# path. The control replays the passes unchanged (ring-feed -R): the same analysis must then
# flag retransmissions, or the first check proves nothing. The test mounts its own hugetlbfs
# (the two processes share hugepage files, so no --in-memory), reserves 2 MB hugepages if too
# few are free, and gives both back.
# Usage: test_ring_replay.sh NETSCOPE RING_FEED GEN_BENCH HAVE_DPDK  (exit 77 = skipped)
set -u
NETSCOPE=$(realpath "$1")
FEED=$2
GEN=$(realpath "$3")
HAVE_DPDK=$4
FLOWS=300
PACKETS=3001 # per pass; 4 x 3001 is no multiple of ring-feed's 32-packet bursts
PASSES=4

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$HAVE_DPDK" = "true" ] || skip "netscope was built without the DPDK backend"
[ "$(id -u)" -eq 0 ] || skip "needs root (hugetlbfs mount, hugepages)"
FEED=$(realpath "$FEED")

ID=$$
PREFIX="nstest-ring-$ID"
WORK=$(mktemp -d)
HUGE=$WORK/huge
HP=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
HP_BEFORE=$(cat "$HP" 2>/dev/null || echo 0)
PIDS=()
. "$(dirname "$0")/../lib/report.sh"

. "$(dirname "$0")/../lib/procs.sh"

cleanup() {
	stop_all INT 10
	rm -f "$HUGE"/* 2>/dev/null
	mountpoint -q "$HUGE" 2>/dev/null && umount "$HUGE"
	# pages of files just removed can take a moment to be free: retry the restore briefly
	for _ in $(seq 50); do
		[ "$(cat "$HP")" = "$HP_BEFORE" ] && break
		echo "$HP_BEFORE" >"$HP" 2>/dev/null
		sleep 0.1
	done
	rm -rf /var/run/dpdk/"$PREFIX"-*
	if [ "$failed" -eq 0 ]; then
		rm -rf "$WORK"
	else
		echo "# work directory kept: $WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$HUGE"
mount -t hugetlbfs -o pagesize=2M nodev "$HUGE" || skip "cannot mount hugetlbfs"
free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
if [ "$free" -lt 256 ]; then
	echo $((HP_BEFORE + 256 - free)) >"$HP"
	free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
	[ "$free" -ge 256 ] || skip "cannot reserve 256 free 2 MB hugepages ($free free)"
fi

"$GEN" -q -o "$WORK/steady.pcap" -m min -f "$FLOWS" -n "$PACKETS" --steady ||
	{ bad "gen-bench --steady failed"; exit 1; }

# replay NAME [FEED OPTIONS]: netscope (primary, one worker) with ring-feed feeding PASSES
# passes; leaves $WORK/NAME.{json,csv,pcap,err,feed}
replay() {
	local name=$1 pfx=$PREFIX-$1 ns_pid feed_pid i
	shift
	local eal="--no-pci --no-telemetry --log-level=lib.eal:warning --huge-dir=$HUGE --file-prefix=$pfx"
	"$NETSCOPE" --backend dpdk -i net_ring0 --dpdk-args "-l 0 --proc-type=primary $eal" \
		--set dpdk.mbufs=8192 --set flow.capacity=4096 -q \
		--summary-json "$WORK/$name.json" --export-flows "$WORK/$name.csv" \
		-w "$WORK/$name.pcap" --stats >/dev/null 2>"$WORK/$name.err" &
	ns_pid=$!
	PIDS+=("$ns_pid")
	for ((i = 0; i < 400; i++)); do
		[ -e "/var/run/dpdk/$pfx/config" ] && grep -q "listening on" "$WORK/$name.err" && break
		sleep 0.05
	done
	grep -q "listening on" "$WORK/$name.err" ||
		bad "$name: netscope did not start within 20 s: $(tail -3 "$WORK/$name.err")"
	# its own core when there is one: lcore 7, so its mempool cache is not netscope's. A
	# secondary must map the shared memory at the primary's addresses; when its own layout
	# (ASLR, a sanitizer's shadow) already uses them, EAL fails before feeding anything
	# ("Cannot init memory" or "config"): try again, up to five times; each try gets a new
	# randomised layout.
	local try rc
	for try in 1 2 3 4 5; do
		timeout 60 "$FEED" --lcores="7@$(($(nproc) > 1 ? 1 : 0))" \
			--proc-type=secondary $eal -- -n "$PASSES" "$@" "$WORK/steady.pcap" \
			>"$WORK/$name.feed" 2>&1 &
		feed_pid=$!
		PIDS+=("$feed_pid")
		reap "$feed_pid" 60
		rc=$?
		[ "$rc" -ne 0 ] && grep -qE "Cannot init (memory|config)" "$WORK/$name.feed" || break
		echo "# $name: ring-feed could not map the primary's memory (attempt $try)"
	done
	[ "$rc" -eq 0 ] || bad "$name: ring-feed failed: $(tail -2 "$WORK/$name.feed")"
	# the ring may still hold up to 1023 packets: wait for a --stats second that received
	# nothing, begun after the feeder ended, so the ring is drained before SIGINT
	local seen
	seen=$(grep -c "^stats " "$WORK/$name.err")
	for ((i = 0; i < 400; i++)); do
		awk -v n="$seen" '/^stats / && ++k > n + 1 && / rate: 0 pps/ { f = 1 } END { exit !f }' \
			"$WORK/$name.err" && break
		sleep 0.05
	done
	stop_pid "$ns_pid" INT 20 || bad "$name: netscope exited with an error: $(tail -3 "$WORK/$name.err")"
	# without --in-memory the primary's hugepage files outlive it: give the pages back
	rm -f "$HUGE/$pfx"*
}

# sum of the CSV columns whose names match the regex $2
csv_sum() {
	awk -F, -v re="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ re) c[i] = 1; next }
		{ for (i in c) s += $i } END { print s + 0 }' "$1"
}
FLAGS='^(retrans_|fast_retrans|spurious_retrans|ooo_|lost_|dupack_)'

replay advance
ncol=$(head -1 "$WORK/advance.csv" | tr , '\n' | grep -cE "$FLAGS")
[ "$ncol" -eq 10 ] && ok "the export has the 10 analysis-flag columns" ||
	bad "the export has $ncol analysis-flag columns matching $FLAGS, expected 10"
want=$((PASSES * PACKETS))
fed=$(sed -n 's/.*fed=\([0-9]*\).*/\1/p' "$WORK/advance.feed")
[ "$fed" = "$want" ] && ok "ring-feed fed $PASSES passes: $fed packets" ||
	bad "ring-feed fed ${fed:-nothing}, wanted $want"
got=$(sed -n 's/^ *"packets": *\([0-9]*\).*/\1/p' "$WORK/advance.json" | head -1)
[ "$got" = "$want" ] && ok "netscope received $got packets" ||
	bad "netscope received ${got:-nothing} packets, wanted $want"
recs=$(($(wc -l <"$WORK/advance.csv") - 1))
[ "$recs" -eq "$FLOWS" ] && ok "$recs flow records, one per connection" ||
	bad "$recs flow records, wanted $FLOWS"
pk=$(csv_sum "$WORK/advance.csv" '^pkts_to')
[ "$pk" = "$want" ] && ok "the records hold all $pk packets" || bad "the records hold $pk packets, wanted $want"
fl=$(csv_sum "$WORK/advance.csv" "$FLAGS")
[ "$fl" -eq 0 ] && ok "advancing sequence numbers: the analysis flags nothing (in order)" ||
	bad "advancing sequence numbers: $fl analysis flags (retransmission, out-of-order, lost, dup ACK)"

# the advanced segments keep valid checksums (tshark recomputes them; skipped without it)
if command -v tshark >/dev/null; then
	# checksum status 1 is "good" (0 bad, 2 unverified)
	good=$(tshark -r "$WORK/advance.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
		-Y "tcp.checksum.status == 1 && ip.checksum.status == 1" 2>/dev/null | wc -l)
	[ "$good" -eq "$want" ] &&
		ok "tshark: all $good written frames have valid IP and TCP checksums" ||
		bad "tshark: $good of $want written frames have valid IP and TCP checksums"
else
	echo "# tshark not installed: checksum check skipped"
fi

replay same -R
fl=$(csv_sum "$WORK/same.csv" "$FLAGS")
re=$(csv_sum "$WORK/same.csv" '^retrans_')
# every pass after the first repeats the first: each data segment a retransmission
[ "$re" -gt 0 ] && ok "control (-R, passes unchanged): $re retransmissions, $fl flags in all" ||
	bad "control (-R): no retransmission flagged, so the in-order check cannot fail"

echo "# $passed passed, $failed failed"
[ "$failed" -eq 0 ]
