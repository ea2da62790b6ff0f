#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Live flow-tracking test: real TCP transfers (curl from python's http.server, iperf3 uploads)
# cross an impaired path between network namespaces while `netscope -i` and tcpdump capture
# the same link; the exported flows must show the packets, bytes, retransmissions and
# out-of-order segments tshark finds in tcpdump's capture. Our kernels have no netem and no
# VLAN devices, so tools/impair (AF_PACKET forwarders) loses, delays, reorders and tags:
#
#   client --- mid [impair] ==capture link== [impair] edge --- server
#        cli0  mid0      mid1             edg1      edg0  srv0
#
# mid impairs client->server frames before the capture point, edge impairs server->client
# frames before it, so the capture sees the effects of both. With tags both forwarders push
# them toward the capture link and pop them coming back; the hosts stay untagged.
# Phases: plain (IPv4+IPv6), VLAN 42, and QinQ 100/42 where netscope gets SIGINT mid-transfer.
# docs/live-testing.md explains all of it and how to run each step by hand.
#
# Usage: test_live_tcp.sh NETSCOPE IMPAIR ORACLE_PY    (root; exit 77 = skipped)
# LIVE_KEEP=1 keeps the work directory (captures, exports, logs); it is kept on failure.
# LIVE_NETSCOPE_ARGS adds netscope options, e.g. "--pipeline --workers 2".
set -u

NETSCOPE=$(realpath "$1")
IMPAIR=$(realpath "$2")
ORACLE=$(realpath "$3")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3 # Debian's interpreter: http.server, and oracle.py's modules
PORT_HTTP=8080
PORT_IPERF=5201
IMPAIRMENT=(--one-way --drop 2 --reorder 3 --delay-ms 3)
V4C=10.199.77.1 V4S=10.199.77.2 V6C=fd00:77::1 V6S=fd00:77::2

skipped=0
PIDS=()
NAMESPACES=()
WORK=""

. "$(dirname "$0")/../lib/report.sh"
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

. "$(dirname "$0")/../lib/procs.sh"

cleanup() {
	local ns
	stop_all TERM
	for ns in "${NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$WORK" ]; then
		if [ "$failed" -eq 0 ] && [ -z "${LIVE_KEEP:-}" ]; then
			rm -rf "$WORK"
		else
			echo "# work directory kept: $WORK"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skip() {
	echo "SKIP: $*"
	exit 77
}

summary() {
	echo "# run time $((($(date +%s%N) - START_NS) / 1000000)) ms"
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
}

# A phase that cannot set up leaves processes behind that would disturb the next one: stop.
fatal() {
	bad "$*"
	summary
	exit 1
}

# Wait until FILE contains PATTERN (grep -E), at most SECONDS.
wait_for() {
	local file=$1 pattern=$2 secs=$3 i
	for ((i = 0; i < secs * 20; i++)); do
		grep -qE "$pattern" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "# timed out waiting for '$pattern' in $file:" >&2
	sed 's/^/#   /' "$file" >&2
	return 1
}

# Wait until something listens on TCP PORT in namespace NS, at most 5 s.
wait_listen() {
	local ns=$1 port=$2 i
	for ((i = 0; i < 100; i++)); do
		ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# in NS CMD...: run in a namespace, in the background; remembers the pid for cleanup.
bg_in() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" &
	PIDS+=($!)
}

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, AF_PACKET sockets)"
for tool in ip ethtool tcpdump tshark capinfos curl iperf3 "$PY"; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL - $tool is missing (tools/install-deps.sh test installs it)"
		echo "0 passed, 1 failed"
		exit 1
	fi
done

START_NS=$(date +%s%N)
WORK=$(mktemp -d /tmp/netscope-live.XXXXXX)
NS_C=nslive$$c NS_M=nslive$$m NS_E=nslive$$e NS_S=nslive$$s
for ns in "$NS_C" "$NS_M" "$NS_E" "$NS_S"; do
	err=$(ip netns add "$ns" 2>&1) || skip "cannot create network namespaces: $err"
	NAMESPACES+=("$ns")
	ip -n "$ns" link set lo up
done
for pair in "$NS_C cli0 $NS_M mid0" "$NS_M mid1 $NS_E edg1" "$NS_E edg0 $NS_S srv0"; do
	read -r ns1 dev1 ns2 dev2 <<<"$pair"
	err=$(ip link add "$dev1" netns "$ns1" type veth peer name "$dev2" netns "$ns2" 2>&1) ||
		skip "cannot create veth pairs: $err"
done
# The forwarders' namespaces stay silent: no addresses, no IPv6 router/MLD chatter.
for ns in "$NS_M" "$NS_E"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
# Room for two tags on full-size frames (the kernel checks MTU + 4 on send and receive).
ip -n "$NS_M" link set mid1 mtu 1600
ip -n "$NS_E" link set edg1 mtu 1600
# MTU-sized frames with real checksums: no TSO/GSO/GRO super-packets, no checksum offload
# (a CHECKSUM_PARTIAL frame forwarded as raw bytes would reach the far host unfinished).
for dev in "$NS_C cli0" "$NS_M mid0" "$NS_M mid1" "$NS_E edg1" "$NS_E edg0" "$NS_S srv0"; do
	read -r ns1 dev1 <<<"$dev"
	ip netns exec "$ns1" ethtool -K "$dev1" tx off tso off gso off gro off >/dev/null 2>&1 ||
		bad "ethtool -K $dev1 tx/tso/gso/gro off"
	ip -n "$ns1" link set "$dev1" up
done
ip -n "$NS_C" addr add "$V4C/24" dev cli0
ip -n "$NS_S" addr add "$V4S/24" dev srv0
ip -n "$NS_C" addr add "$V6C/64" dev cli0 nodad
ip -n "$NS_S" addr add "$V6S/64" dev srv0 nodad

mkdir -p "$WORK/www"
head -c 3000000 /dev/urandom >"$WORK/www/blob.bin"
FILE_SIZE=3000000
bg_in "$NS_S" "$PY" -m http.server "$PORT_HTTP" --bind :: --directory "$WORK/www" \
	>"$WORK/http.log" 2>&1
bg_in "$NS_S" iperf3 -s -p "$PORT_IPERF" >"$WORK/iperf3-server.log" 2>&1
wait_listen "$NS_S" "$PORT_IPERF" || fatal "iperf3 server listening"
wait_listen "$NS_S" "$PORT_HTTP" || fatal "http.server listening"

# Forwarders for one phase: the same impairment, its own seed per side, optional tags.
start_forwarders() {
	local dir=$1 seed=$2
	shift 2
	bg_in "$NS_M" "$IMPAIR" mid0 mid1 "${IMPAIRMENT[@]}" --seed "$seed" "$@" \
		2>"$dir/impair-mid.log"
	FWD_MID=$!
	bg_in "$NS_E" "$IMPAIR" edg0 edg1 "${IMPAIRMENT[@]}" --seed "$((seed + 1))" "$@" \
		2>"$dir/impair-edge.log"
	FWD_EDGE=$!
	wait_for "$dir/impair-mid.log" "impair: ready" 5 &&
		wait_for "$dir/impair-edge.log" "impair: ready" 5
}

stop_forwarders() {
	local dir=$1 rc1 rc2
	stop_pid "$FWD_MID" TERM
	rc1=$?
	stop_pid "$FWD_EDGE" TERM
	rc2=$?
	check "$(basename "$dir"): forwarders exit 0" [ "$rc1" -eq 0 -a "$rc2" -eq 0 ]
	grep -h '^impair: .*forwarded' "$dir"/impair-*.log | sed 's/^/# /'
}

start_captures() {
	local dir=$1
	# Immediate mode: TPACKET_V3 would hold a partly filled block back for up to 1 s.
	bg_in "$NS_M" tcpdump -i mid1 -Z root -U --immediate-mode -B 32768 -s 200 \
		--time-stamp-precision=nano -w "$dir/cap.pcap" 2>"$dir/tcpdump.log"
	TCPDUMP=$!
	# shellcheck disable=SC2086 # extra options split into words on purpose
	# -w: what netscope itself captured, with its own timestamps (compare_flows.py --ours-pcap)
	bg_in "$NS_M" "$NETSCOPE" -i mid1 -q ${LIVE_NETSCOPE_ARGS:-} --export-flows "$dir/flows.json" \
		--summary-json "$dir/summary.json" -w "$dir/ours.pcap" 2>"$dir/netscope.log"
	NETSCOPE_PID=$!
	wait_for "$dir/tcpdump.log" "listening on" 5 &&
		wait_for "$dir/netscope.log" "listening on" 5
}

# The link is idle: tcpdump (-U writes each packet) has not grown its file for 1 s, so late
# retransmissions (a FIN after its timeout) are in, and both captures can stop together.
wait_quiet() {
	local f=$1 last="" size i still=0
	for ((i = 0; i < 80 && still < 4; i++)); do
		sleep 0.25
		size=$(stat -c %s "$f" 2>/dev/null)
		if [ "$size" = "$last" ]; then still=$((still + 1)); else still=0; fi
		last=$size
	done
}

download() { # download PHASE_DIR URL
	local out
	out=$(ip netns exec "$NS_C" curl -sS -g -m 30 -o /dev/null \
		-w '%{http_code} %{size_download}' "$2" 2>&1)
	check "$(basename "$1"): curl $2 ($out)" [ "$out" = "200 $FILE_SIZE" ]
}

upload() { # upload PHASE_DIR ADDR SECONDS
	local log
	log="$1/iperf3-$(echo "$2" | tr ':.' '__').log"
	timeout 30 ip netns exec "$NS_C" iperf3 -c "$2" -p "$PORT_IPERF" -t "$3" -b 10M >"$log" 2>&1
	check "$(basename "$1"): iperf3 upload to $2 for $3 s" [ $? -eq 0 ]
}

compare() { # compare PHASE_DIR ARGS...: oracle + compare_flows.py, counts its results
	local dir=$1 out res p f s
	shift
	"$PY" "$ORACLE" "$dir/cap.pcap" -o "$dir/expected.json" ||
		{ bad "$(basename "$dir"): oracle.py on the capture"; return; }
	out=$("$PY" "$HERE/compare_flows.py" --label "$(basename "$dir")" \
		--oracle "$dir/expected.json" --pcap "$dir/cap.pcap" --flows "$dir/flows.json" \
		--summary "$dir/summary.json" --tcpdump-log "$dir/tcpdump.log" \
		--ours-pcap "$dir/ours.pcap" "$@" 2>&1)
	echo "$out" | grep -v '^RESULT '
	res=$(echo "$out" |
		sed -En 's/^RESULT passed=([0-9]+) failed=([0-9]+) skipped=([0-9]+)$/\1 \2 \3/p')
	if [ -z "$res" ]; then
		bad "$(basename "$dir"): compare_flows.py ran"
		return
	fi
	read -r p f s <<<"$res"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

# One phase where netscope sees the transfers from start to end.
full_phase() { # full_phase NAME SEED "TAG ARGS" "COMPARE ARGS" TRAFFIC...
	local name=$1 seed=$2 tags=$3 cmp=$4 dir="$WORK/$1" rc
	shift 4
	mkdir -p "$dir"
	echo "# phase $name"
	# shellcheck disable=SC2086 # option strings split into words on purpose
	start_forwarders "$dir" "$seed" $tags || fatal "$name: forwarders ready"
	start_captures "$dir" || fatal "$name: captures ready"
	"$@"
	wait_quiet "$dir/cap.pcap"
	kill -INT "$NETSCOPE_PID" "$TCPDUMP"
	reap "$NETSCOPE_PID"
	rc=$?
	reap "$TCPDUMP"
	check "$name: netscope -i exits 0 after SIGINT" [ "$rc" -eq 0 ]
	stop_forwarders "$dir"
	# shellcheck disable=SC2086
	compare "$dir" $cmp
}

traffic_plain() {
	local d="$WORK/plain"
	download "$d" "http://$V4S:$PORT_HTTP/blob.bin"
	download "$d" "http://[$V6S]:$PORT_HTTP/blob.bin"
	upload "$d" "$V6S" 3
}

traffic_vlan() {
	local d="$WORK/vlan42"
	download "$d" "http://[$V6S]:$PORT_HTTP/blob.bin"
	upload "$d" "$V4S" 2
}

# SIGINT mid-transfer: netscope must exit 0 and export every flow it saw; tcpdump goes on.
sigint_phase() {
	local name=sigint-qinq dir="$WORK/sigint-qinq" rc up stopped
	mkdir -p "$dir"
	echo "# phase $name"
	start_forwarders "$dir" 31 --qinq 100,42 || fatal "$name: forwarders ready"
	start_captures "$dir" || fatal "$name: captures ready"
	ip netns exec "$NS_C" timeout 30 iperf3 -c "$V4S" -p "$PORT_IPERF" -t 4 -b 10M \
		>"$dir/iperf3.log" 2>&1 &
	up=$!
	sleep 2
	stopped=$(date +%s.%N)
	stop_pid "$NETSCOPE_PID" INT
	rc=$?
	check "$name: netscope -i exits 0 after SIGINT mid-transfer" [ "$rc" -eq 0 ]
	check "$name: the transfer was still running at SIGINT" kill -0 "$up"
	wait "$up"
	check "$name: iperf3 upload through QinQ 100/42" [ $? -eq 0 ]
	wait_quiet "$dir/cap.pcap"
	stop_pid "$TCPDUMP" INT
	stop_forwarders "$dir"
	check "$name: flow export written" test -s "$dir/flows.json"
	compare "$dir" --qinq 100,42 --stopped-at "$stopped"
}

full_phase plain 11 "" "" traffic_plain
full_phase vlan42 21 "--vlan 42" "--vlan 42" traffic_vlan
sigint_phase

summary
[ "$failed" -eq 0 ]
