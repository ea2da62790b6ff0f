#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Multi-queue live test (root): a veth pair between two network namespaces made here, netscope
# with --backend dpdk on net_af_packet0,iface=<veth>,qpairs=2 and two worker lcores, real TCP
# and UDP flows in both directions (tests/dpdk/mq_traffic.py), tcpdump on the same veth as the
# oracle. The kernel's fanout hash spreads flows over the two queues; the checks
# (tests/dpdk/mq_check.py): every flow is one record whose packets per direction equal
# tcpdump's (no flow split across workers), both workers tracked flows, the packet totals
# match, nothing dropped. Run in per-queue mode (a worker per queue on its own lcore) and in
# dispatch mode (one reader over both queues, software hash). The machine may have 2 CPUs: EAL
# maps lcores 1 and 2 onto CPU 1 (--lcores=0@0,1@1,2@1).
# Usage: test_dpdk_queues.sh NETSCOPE HAVE_DPDK    (exit 77 = skipped, with the reason)
# DQ_KEEP=1 keeps the work directory (captures, exports, logs); it is kept on failure.
set -u
NETSCOPE=$(realpath "$1")
HAVE_DPDK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
TPORT=9300 UPORT=9301 TPORT2=9302 UPORT2=9303
FLOWS_EACH=40 # TCP connections and UDP exchanges per direction

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$HAVE_DPDK" = "true" ] || skip "netscope was built without the DPDK backend"
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, AF_PACKET)"
command -v ip >/dev/null || skip "no 'ip' command"
command -v tcpdump >/dev/null || skip "no tcpdump (the oracle)"
[ -x "$PY" ] || PY=$(command -v python3) || skip "no python3"

ID=$$
NSA="nsdq${ID}a" NSB="nsdq${ID}b"
VA="dq${ID}a" VB="dq${ID}b"
A=10.197.$((ID % 200)).1 B=10.197.$((ID % 200)).2
PREFIX="nstest-dq-$ID"
WORK=$(mktemp -d)
PIDS=()
. "$(dirname "$0")/../lib/report.sh"

. "$(dirname "$0")/../lib/procs.sh"

cleanup() {
	stop_all TERM 10
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf /var/run/dpdk/"$PREFIX"-*
	if [ "$failed" -eq 0 ] && [ -z "${DQ_KEEP:-}" ]; then
		rm -rf "$WORK"
	else
		echo "# work directory kept: $WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # wait_for FILE PATTERN SECONDS
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# --- the link: no IPv6 (no ND/MLD chatter that one capture might see and the other not) and
# no offloads (frames as they are on the wire, not GSO super-packets)
ip netns add "$NSA" || skip "cannot create network namespaces"
ip netns add "$NSB" || skip "cannot create network namespaces"
ip link add "$VA" type veth peer name "$VB" || skip "cannot create a veth pair"
ip link set "$VA" netns "$NSA"
ip link set "$VB" netns "$NSB"
for n in "$NSA" "$NSB"; do
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$n" link set lo up
done
ip -n "$NSA" addr add "$A/24" dev "$VA"
ip -n "$NSB" addr add "$B/24" dev "$VB"
ip -n "$NSA" link set "$VA" up
ip -n "$NSB" link set "$VB" up
ip netns exec "$NSA" ethtool -K "$VA" tso off gso off gro off >/dev/null 2>&1
ip netns exec "$NSB" ethtool -K "$VB" tso off gso off gro off >/dev/null 2>&1
# static neighbours: no ARP while the captures start and stop
MACA=$(ip -n "$NSA" -o link show "$VA" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
MACB=$(ip -n "$NSB" -o link show "$VB" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip -n "$NSA" neigh replace "$B" lladdr "$MACB" dev "$VA" nud permanent
ip -n "$NSB" neigh replace "$A" lladdr "$MACA" dev "$VB" nud permanent

# echo servers on both sides: flows start in both directions
ip netns exec "$NSA" "$PY" "$HERE/mq_traffic.py" serve "$A" $TPORT $UPORT >"$WORK/srv-a.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NSB" "$PY" "$HERE/mq_traffic.py" serve "$B" $TPORT2 $UPORT2 >"$WORK/srv-b.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/srv-a.log" ready 10 && wait_for "$WORK/srv-b.log" ready 10 ||
	{ bad "echo servers did not start"; exit 1; }

# run MODE: netscope on VA (2 queues, 2 workers) and tcpdump on VA while the flows run
run() {
	local mode=$1 dir="$WORK/$1" ns_pid td_pid rc
	mkdir -p "$dir"
	ip netns exec "$NSA" tcpdump -i "$VA" -nn -U -s 256 -w "$dir/tcpdump.pcap" \
		>"$dir/tcpdump.log" 2>&1 &
	td_pid=$!
	PIDS+=("$td_pid")
	ip netns exec "$NSA" "$NETSCOPE" --backend dpdk \
		-i "net_af_packet0,iface=$VA,qpairs=2,blocksz=4096,framesz=2048,framecnt=4096" \
		--dpdk-args "--no-huge -m 512 --no-pci --no-shconf --no-telemetry --file-prefix=$PREFIX-$mode --lcores=0@0,1@1,2@1" \
		--set dpdk.mbufs=8191 --set dpdk.mbuf_cache=128 --set flow.capacity=65536 \
		--pipeline --workers 2 --pipeline-mode "$mode" -q -v --stats \
		--export-flows "$dir/flows.jsonl" --summary-json "$dir/summary.json" \
		>"$dir/netscope.out" 2>"$dir/netscope.log" &
	ns_pid=$!
	PIDS+=("$ns_pid")
	if ! wait_for "$dir/tcpdump.log" "listening on" 10 ||
		! wait_for "$dir/netscope.log" "listening on" 30; then
		bad "$mode: netscope or tcpdump did not start"
		sed 's/^/    | /' "$dir/netscope.log" | tail -5
		stop_pid "$ns_pid" KILL
		stop_pid "$td_pid" KILL
		return
	fi
	sleep 0.5
	ip netns exec "$NSB" "$PY" "$HERE/mq_traffic.py" client "$A" $TPORT $UPORT $FLOWS_EACH \
		>"$dir/client-b.log" 2>&1 &
	local c1=$!
	ip netns exec "$NSA" "$PY" "$HERE/mq_traffic.py" client "$B" $TPORT2 $UPORT2 $FLOWS_EACH \
		>"$dir/client-a.log" 2>&1
	local rc_a=$?
	wait "$c1"
	local rc_b=$?
	[ "$rc_a" -eq 0 ] && [ "$rc_b" -eq 0 ] && ok "$mode: $((FLOWS_EACH * 4)) flows ran" ||
		bad "$mode: traffic failed: $(cat "$dir/client-a.log" "$dir/client-b.log" | tr '\n' ' ')"
	sleep 1 # the last FIN/ACKs reach both captures
	stop_pid "$ns_pid" INT 10
	rc=$?
	stop_pid "$td_pid" INT 10
	[ "$rc" -eq 0 ] && ok "$mode: netscope exit 0" || bad "$mode: netscope exited $rc"
	if [ "$mode" = per-queue ]; then
		grep -q "per-queue: 2 worker(s) on EAL lcores 1,2, one per RX queue of 2" \
			"$dir/netscope.log" && ok "$mode: -v names the mode, workers, lcores, queues" ||
			bad "$mode: no per-queue line in the log"
	else
		grep -q "dispatch: 2 worker thread(s) fed by the capture thread from 2 RX queue(s)" \
			"$dir/netscope.log" && ok "$mode: -v names the mode" ||
			bad "$mode: no dispatch line in the log"
	fi
	[ "$(grep -c '^  worker [01]' "$dir/netscope.log")" -eq 2 ] &&
		ok "$mode: --stats lists both workers" || bad "$mode: --stats per-worker lines missing"
	if "$PY" "$HERE/mq_check.py" "$dir/tcpdump.pcap" "$dir/flows.jsonl" "$dir/summary.json" 2 \
		$TPORT $UPORT $TPORT2 $UPORT2 >"$dir/check.txt" 2>&1; then
		ok "$mode: $(tail -1 "$dir/check.txt")"
	else
		bad "$mode: flows against tcpdump"
		sed 's/^/    | /' "$dir/check.txt" | tail -12
		grep -E "^(pipeline|  worker)" "$dir/netscope.log" | sed 's/^/    | /'
	fi
	[ -e "/var/run/dpdk/$PREFIX-$mode" ] && bad "$mode: /var/run/dpdk/$PREFIX-$mode left behind" ||
		ok "$mode: nothing left in /var/run/dpdk"
}

# net_af_packet cannot spread a frame over several mbufs (no RX scatter): mbufs smaller than a
# standard frame are refused at start, naming the key and the size it needs (a port that
# started would run until the timeout)
timeout -s INT 20 ip netns exec "$NSA" "$NETSCOPE" --backend dpdk -i "net_af_packet0,iface=$VA" \
	--dpdk-args "--no-huge -m 512 --no-pci --no-shconf --no-telemetry --file-prefix=$PREFIX-mbuf" \
	--set dpdk.mbufs=8191 --set dpdk.mbuf_cache=128 --set dpdk.mbuf_size=256 -q \
	>"$WORK/mbuf.out" 2>"$WORK/mbuf.log" </dev/null
rc=$?
if [ "$rc" -ne 0 ] && grep -q "dpdk.mbuf_size 256 holds frames of up to 128 bytes.*no RX scatter.*set dpdk.mbuf_size to at least 1650" "$WORK/mbuf.log"; then
	ok "af_packet: dpdk.mbuf_size 256 refused (no scatter), exit $rc"
else
	bad "af_packet: dpdk.mbuf_size 256 gave exit $rc: $(tail -1 "$WORK/mbuf.log")"
fi

run per-queue
run dispatch
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
