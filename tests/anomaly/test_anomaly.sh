#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Anomaly detection against real attack traffic. Two network namespaces joined by a veth:
#
#   attacker (10.78.0.1, fd78::1) --- veth --- victim (10.78.0.2, fd78::2: http.server on :80)
#
# nmap -sS (IPv4 and IPv6), nmap -sU and an hping3 SYN flood run from the attacker. Each attack
# is captured twice on the victim's side: by tcpdump, then replayed with
# `netscope -r cap.pcap --anomalies --export-alerts out.jsonl -q`, and live by
# `netscope -i VETH --anomalies --export-alerts ... -q --duration N`. Every run must raise
# exactly the expected alert with the right attacker and victim, and clear it. Benign traffic
# raises nothing: every corpus capture without a scan or flood, the sample capture, and busy
# normal traffic in the namespaces (hundreds of HTTP connections per second, iperf3).
#
# Usage: test_anomaly.sh NETSCOPE SAMPLE_PCAP CORPUS_DIR   (root; exit 77 = skipped)
# ANOMALY_KEEP=1 keeps the work directory (captures, alert files, logs); it is kept on failure.
set -u

NETSCOPE=$(realpath "$1")
SAMPLE=$(realpath "$2")
CORPUS=$(realpath "$3")
PY=/usr/bin/python3
A4=10.78.0.1 V4=10.78.0.2 A6=fd78::1 V6=fd78::2
ID=$$
NSA=nsanA$ID NSV=nsanV$ID VA=anA$ID VV=anV$ID

PIDS=()
WORK=""

. "$(dirname "$0")/../lib/report.sh"

. "$(dirname "$0")/../lib/procs.sh"

cleanup() {
	stop_all TERM
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSV" 2>/dev/null
	if [ -n "$WORK" ]; then
		if [ "$failed" -eq 0 ] && [ "${ANOMALY_KEEP:-0}" = 0 ]; then
			rm -rf "$WORK"
		else
			echo "work directory kept: $WORK"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skip() {
	echo "SKIP: $*"
	exit 77
}

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, live capture)"
for tool in ip tcpdump nmap hping3 curl ethtool; do
	command -v "$tool" >/dev/null || skip "$tool not installed (tools/install-deps.sh test)"
done
[ -x "$PY" ] || PY=python3
WORK=$(mktemp -d /tmp/ns-anomaly.XXXXXX)

# ---- namespaces
setup() {
	ip netns add "$NSA" && ip netns add "$NSV" || return 1
	ip link add "$VA" type veth peer name "$VV" || return 1
	ip link set "$VA" netns "$NSA" && ip link set "$VV" netns "$NSV" || return 1
	ip -n "$NSA" addr add "$A4/24" dev "$VA" && ip -n "$NSV" addr add "$V4/24" dev "$VV" &&
		ip -n "$NSA" addr add "$A6/64" dev "$VA" nodad &&
		ip -n "$NSV" addr add "$V6/64" dev "$VV" nodad || return 1
	ip -n "$NSA" link set "$VA" up && ip -n "$NSV" link set "$VV" up &&
		ip -n "$NSA" link set lo up && ip -n "$NSV" link set lo up || return 1
	# real-sized frames on the wire, not GSO super-packets
	ip netns exec "$NSA" ethtool -K "$VA" tso off gso off gro off >/dev/null 2>&1
	ip netns exec "$NSV" ethtool -K "$VV" tso off gso off gro off >/dev/null 2>&1
	# the victim answers every closed UDP port (the kernel rate-limits ICMP errors by default)
	ip netns exec "$NSV" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 \
		net.ipv4.icmp_msgs_burst=10000 net.ipv4.icmp_msgs_per_sec=100000
	mkdir -p "$WORK/www" && head -c 20000 /dev/urandom >"$WORK/www/blob"
	ip netns exec "$NSV" "$PY" -m http.server 80 --bind :: --directory "$WORK/www" \
		>"$WORK/http.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 50); do
		ip netns exec "$NSA" curl -s -o /dev/null "http://$V4/blob" && return 0
		sleep 0.1
	done
	return 1
}
setup || {
	bad "namespace setup"
	echo "$passed passed, $failed failed"
	exit 1
}

# ---- capture helpers
cap_pid=""
capture_start() { # capture_start NAME: tcpdump on the victim's side into $WORK/NAME.pcap
	: >"$WORK/$1.tcpdump.log"
	ip netns exec "$NSV" tcpdump -i "$VV" -n -U -s 256 -w "$WORK/$1.pcap" \
		2>"$WORK/$1.tcpdump.log" &
	cap_pid=$!
	PIDS+=("$cap_pid")
	for _ in $(seq 100); do
		grep -q "listening on" "$WORK/$1.tcpdump.log" && return 0
		sleep 0.05
	done
	return 1
}
capture_stop() {
	sleep 1 # the last answers
	stop_pid "$cap_pid" INT
}

live_pid=""
live_start() { # live_start NAME DURATION [ARGS...]: netscope -i on the victim's side
	local name=$1 dur=$2
	shift 2
	: >"$WORK/$name.err"
	ip netns exec "$NSV" "$NETSCOPE" -i "$VV" --anomalies --export-alerts "$WORK/$name.jsonl" \
		-q --duration "$dur" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	live_pid=$!
	PIDS+=("$live_pid")
	for _ in $(seq 100); do
		grep -q "listening on" "$WORK/$name.err" && return 0
		sleep 0.05
	done
	return 1
}
# netscope stops itself after --duration, but the pcap backend only looks at the clock when a
# packet arrives (libpcap's Linux read timeout starts with the first packet of a block): on a
# link gone quiet, SIGINT it 2 s past the duration, as an operator's Ctrl-C would.
live_wait() { # live_wait DURATION
	local i
	for ((i = 0; i < ($1 + 2) * 10; i++)); do
		kill -0 "$live_pid" 2>/dev/null || break
		sleep 0.1
	done
	stop_pid "$live_pid" INT
}

replay() { # replay NAME [ARGS...]: netscope -r NAME.pcap -> NAME.replay.jsonl
	local name=$1
	shift
	rm -f "$WORK/$name.replay.jsonl"
	"$NETSCOPE" -r "$WORK/$name.pcap" --anomalies --export-alerts "$WORK/$name.replay.jsonl" -q \
		"$@" >"$WORK/$name.replay.out" 2>"$WORK/$name.replay.err"
}

# expect FILE.jsonl DESC SIGNATURE SRC DST [PROTO]: exactly one alert raised, this one, with
# its attacker and victim, and cleared; no other alert.
expect() {
	local file=$1 desc=$2 msg
	shift 2
	if msg=$("$PY" - "$file" "$@" 2>&1 <<'EOF'
import json, sys
path, sig, src, dst = sys.argv[1:5]
proto = sys.argv[5] if len(sys.argv) > 5 else None
try:
    ev = [json.loads(l) for l in open(path) if l.strip()]
except (OSError, ValueError) as e:
    sys.exit("cannot read %s: %s" % (path, e))
raised = [e for e in ev if e["alert"]["state"] == "raised"]
if len(raised) != 1:
    sys.exit("%d alerts raised, want 1: %s" % (len(raised),
             [(e["alert"]["signature"], e.get("src_ip"), e.get("dst_ip")) for e in raised]))
r = raised[0]
if r["alert"]["signature"] != sig:
    sys.exit("signature %s, want %s" % (r["alert"]["signature"], sig))
if r.get("src_ip") != src or r.get("dst_ip") != dst:
    sys.exit("src %s dst %s, want %s -> %s" % (r.get("src_ip"), r.get("dst_ip"), src, dst))
if proto and r["proto"] != proto:
    sys.exit("proto %s, want %s" % (r["proto"], proto))
if r["event_type"] != "alert" or not r["timestamp"].endswith("Z"):
    sys.exit("bad envelope: %s" % r)
cleared = [e for e in ev if e["alert"]["state"] == "cleared"]
if len(cleared) != 1 or cleared[0]["alert"]["id"] != r["alert"]["id"]:
    sys.exit("%d cleared events" % len(cleared))
if any(e["alert"]["id"] != r["alert"]["id"] for e in ev):
    sys.exit("events of other alerts")
d = r["details"]
if sig == "syn_flood":
    print("%s: %.0f SYN/s, %d SYNs in %d s, %.0f%% completed, cleared (%s)" % (
        r["severity"], d["syn_rate"], d["window_syns"], d["window_s"],
        100 * d["completion_ratio"], cleared[0]["details"]["clear_reason"]))
else:
    print("%s: %s %s, %d ports, failures %s, cleared (%s)" % (
        r["severity"], d["protocol"], d["scan_type"], d["ports"],
        {k: v for k, v in d["failures"].items() if v}, cleared[0]["details"]["clear_reason"]))
EOF
	); then
		ok "$desc: $msg"
	else
		bad "$desc: $msg"
	fi
}

# none FILE.jsonl DESC: no alert at all (the file may be missing: nothing was written)
none() {
	local n=0
	[ -f "$1" ] && n=$(grep -c . "$1")
	if [ "$n" -eq 0 ]; then ok "$2: no alert"; else bad "$2: $n alert lines: $(head -c 300 "$1")"; fi
}

# clear_reason FILE.jsonl REASON DESC
clear_reason() {
	if grep -q "\"state\":\"cleared\"" "$1" && grep "\"state\":\"cleared\"" "$1" |
		grep -q "\"clear_reason\":\"$2\""; then
		ok "$3: cleared ($2)"
	else
		bad "$3: not cleared with reason $2"
	fi
}

# ---- attacks, captured by tcpdump and replayed
# hping3 exits 1 when nothing answers its SYNs (the attacker's kernel resets the SYN-ACKs)
flood() {
	ip netns exec "$NSA" hping3 -S --faster -c 5000 -p 80 "$V4" >"$WORK/hping3.log" 2>&1
	grep -q "5000 packets transmitted" "$WORK/hping3.log"
}
scan_tcp() { ip netns exec "$NSA" nmap -sS -n -Pn -p 1-1000 "$V4" >/dev/null 2>&1; }
scan_tcp6() { ip netns exec "$NSA" nmap -6 -sS -n -Pn -p 1-300 "$V6" >/dev/null 2>&1; }
scan_udp() {
	ip netns exec "$NSA" nmap -sU -n -Pn -p 1-200 --max-retries 1 --min-rate 300 "$V4" \
		>/dev/null 2>&1
}

echo "# captures replayed with netscope -r ($SECONDS s)"
for attack in flood scan_tcp scan_tcp6 scan_udp; do
	capture_start "$attack" || bad "$attack: tcpdump did not start"
	$attack || bad "$attack: the attack tool failed"
	capture_stop
	replay "$attack" || bad "$attack: netscope -r exited $?"
done
expect "$WORK/flood.replay.jsonl" "hping3 SYN flood (pcap)" syn_flood "$A4" "$V4" tcp
expect "$WORK/scan_tcp.replay.jsonl" "nmap -sS 1000 ports (pcap)" port_scan "$A4" "$V4" tcp
expect "$WORK/scan_tcp6.replay.jsonl" "nmap -6 -sS 300 ports (pcap)" port_scan "$A6" "$V6" tcp
expect "$WORK/scan_udp.replay.jsonl" "nmap -sU 200 ports (pcap)" port_scan "$A4" "$V4" udp

# replays are deterministic: the same capture gives the same lines
cp "$WORK/flood.replay.jsonl" "$WORK/flood.first.jsonl"
replay flood
if cmp -s "$WORK/flood.first.jsonl" "$WORK/flood.replay.jsonl"; then
	ok "replaying a capture twice gives identical alert lines"
else
	bad "replaying a capture twice gave different alert lines"
fi
# two workers (one anomaly shard each, merged by the engine) give the same alert lines as one
for name in flood scan_tcp scan_udp; do
	replay "$name"
	cp "$WORK/$name.replay.jsonl" "$WORK/$name.one.jsonl"
	replay "$name" --pipeline --workers 2 || bad "$name --pipeline --workers 2: netscope -r \
exited $?: $(grep -m1 -E 'ERROR|netscope:' "$WORK/$name.replay.err")"
	if cmp -s "$WORK/$name.one.jsonl" "$WORK/$name.replay.jsonl"; then
		ok "$name: identical alert lines with one worker and with two"
	else
		bad "$name: alert lines differ between one and two workers: \
$(diff "$WORK/$name.one.jsonl" "$WORK/$name.replay.jsonl" | head -4)"
	fi
done
expect "$WORK/flood.one.jsonl" "hping3 SYN flood (pcap, one worker)" syn_flood "$A4" "$V4" tcp
# thresholds come from the config and the command line
replay flood --set anomaly.syn_flood.rate=2000
none "$WORK/flood.replay.jsonl" "flood under --set anomaly.syn_flood.rate=2000"
replay scan_tcp --set anomaly.port_scan.ports=2000
none "$WORK/scan_tcp.replay.jsonl" "nmap under --set anomaly.port_scan.ports=2000"
# terminal lines without -q: one per raised and cleared alert
"$NETSCOPE" -r "$WORK/flood.pcap" --anomalies >"$WORK/flood.lines" 2>/dev/null
n=$(grep -c " ALERT " "$WORK/flood.lines")
if [ "$n" -eq 2 ] && grep -q "ALERT raised syn_flood #1 \[[a-z]*\] $A4 -> $V4:80" "$WORK/flood.lines" &&
	grep -q "ALERT cleared syn_flood #1 " "$WORK/flood.lines"; then
	ok "terminal: raised and cleared lines"
else
	bad "terminal: $n ALERT lines: $(grep ' ALERT ' "$WORK/flood.lines" | head -3)"
fi

# ---- busy normal traffic between the namespaces
benign() {
	# hundreds of short HTTP connections (http.server closes each), then a bulk transfer
	ip netns exec "$NSA" curl -s -o /dev/null "http://$V4/blob?[1-600]" || return 1
	ip netns exec "$NSA" curl -s -o /dev/null "http://[$V6]/blob?[1-200]" || return 1
	if command -v iperf3 >/dev/null; then
		ip netns exec "$NSV" iperf3 -s -1 -B "$V4" -p 5299 >/dev/null 2>&1 &
		PIDS+=($!)
		sleep 0.5
		ip netns exec "$NSA" iperf3 -c "$V4" -p 5299 -P 4 -t 2 >/dev/null 2>&1
		stop_pid "${PIDS[-1]}" TERM
	fi
	return 0
}
echo "# busy normal traffic ($SECONDS s)"
capture_start benign || bad "benign: tcpdump did not start"
benign || bad "benign traffic failed"
capture_stop
replay benign || bad "benign: netscope -r exited $?"
none "$WORK/benign.replay.jsonl" "busy HTTP + iperf3 (pcap)"
tcpdump -tt -nn -r "$WORK/benign.pcap" 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn' 2>/dev/null |
	awk '{ n++; s[int($1)]++ } END { for (k in s) if (s[k] > m) m = s[k];
		printf "# benign capture: %d IPv4 connections, at most %d per second\n", n, m }'

echo "# benign captures from the corpus and the sample ($SECONDS s)"
rm -f "$WORK/corpus.jsonl"
benign_files=$("$PY" - "$CORPUS" <<'EOF'
import glob, json, os, sys
corpus = sys.argv[1]
for exp in sorted(glob.glob(os.path.join(corpus, "expected", "*.json"))):
    d = json.load(open(exp))
    pcap = os.path.join(corpus, "pcaps", os.path.basename(exp)[:-5])
    # no scan or flood by the oracle's count: few SYNs per second, few ports per source
    busy = [s for s in d.get("syn_sources", [])
            if s["max_syn_per_second"] > 200 or s["distinct_dst_ports"] >= 50
            or s["distinct_dst_hosts"] >= 50]
    if not busy and os.path.exists(pcap):
        print(pcap)
EOF
)
nb=0
for f in $benign_files "$SAMPLE"; do
	"$NETSCOPE" -r "$f" --anomalies --export-alerts "$WORK/corpus.jsonl" -q >/dev/null 2>&1
	nb=$((nb + 1))
done
none "$WORK/corpus.jsonl" "$nb benign captures (corpus + sample)"

# ---- live: netscope -i on the victim's veth while the attack runs
echo "# live capture with netscope -i ($SECONDS s)"
# A live link is never silent for long: a web request every 0.3 s (completed handshakes, no
# alert) keeps packets, and so packet time, flowing after the attack, so alerts clear on time.
trickle() {
	while :; do
		curl -s -o /dev/null "http://$V4/" 2>/dev/null
		sleep 0.3
	done
}
live_case() { # live_case NAME DURATION ATTACK [ARGS...]
	local name=$1 dur=$2 attack=$3 tpid
	shift 3
	rm -f "$WORK/$name.jsonl"
	live_start "$name" "$dur" "$@" || bad "$name: netscope -i did not start: $(head -3 "$WORK/$name.err")"
	ip netns exec "$NSA" bash -c "$(declare -f trickle); V4=$V4 trickle" &
	tpid=$!
	PIDS+=("$tpid")
	sleep 0.5
	$attack || bad "$name: the attack tool failed"
	live_wait "$dur"
	stop_pid "$tpid" TERM
}
# a short window and clear_after (--set) so the alert clears on its own while capturing
live_case live_flood 12 flood --set anomaly.syn_flood.window=2 --set anomaly.clear_after=2
expect "$WORK/live_flood.jsonl" "hping3 SYN flood (live)" syn_flood "$A4" "$V4" tcp
clear_reason "$WORK/live_flood.jsonl" quiet "hping3 SYN flood (live)"
live_case live_scan_tcp 6 scan_tcp
expect "$WORK/live_scan_tcp.jsonl" "nmap -sS 1000 ports (live)" port_scan "$A4" "$V4" tcp
live_case live_scan_udp 6 scan_udp
expect "$WORK/live_scan_udp.jsonl" "nmap -sU 200 ports (live)" port_scan "$A4" "$V4" udp
live_case live_benign 10 benign
none "$WORK/live_benign.jsonl" "busy HTTP + iperf3 (live)"
grep -q "alerts raised" "$WORK/live_benign.err" && ok "live: exit summary names the alert count" ||
	bad "live: no alert summary on stderr"

echo "# done ($SECONDS s)"
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
