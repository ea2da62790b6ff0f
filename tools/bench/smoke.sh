#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Smoke test of the benchmark tools (meson test --suite bench), a few seconds: gen-bench's fast
# frame builder writes the same bytes as the pktgen reference, both mixes parse clean, and
# bench-flow runs, tracks the expected flows and sees no TCP analysis event in clean traffic.
# Usage: smoke.sh GEN_BENCH BENCH_FLOW
set -euo pipefail

gen=$1
bench=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0

check() {
	local name=$1
	shift
	if "$@"; then
		echo "ok: $name"
	else
		echo "FAIL: $name"
		fail=$((fail + 1))
	fi
}

field() {
	sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2"
}

for mix in min imix; do
	"$gen" -q -o "$dir/fast-$mix.pcap" -n 20000 -f 500 -m "$mix" -s 7
	"$gen" -q -o "$dir/ref-$mix.pcap" -n 20000 -f 500 -m "$mix" -s 7 --reference
	check "$mix: fast builder writes the pktgen reference bytes" \
		cmp -s "$dir/fast-$mix.pcap" "$dir/ref-$mix.pcap"

	"$bench" -r 1 -c 4096 "$dir/fast-$mix.pcap" >"$dir/out-$mix" 2>/dev/null
	check "$mix: bench-flow read every packet" \
		test "$(field packets "$dir/out-$mix")" = 20000
	check "$mix: every frame parses OK" test "$(field parse_not_ok "$dir/out-$mix")" = 0
	check "$mix: every packet tracked, nothing evicted" \
		test "$(field untracked "$dir/out-$mix")-$(field evicted "$dir/out-$mix")" = 0-0
	check "$mix: all 500 connections live at once" \
		test "$(field peak_active "$dir/out-$mix")" -ge 500
	check "$mix: clean traffic, no retransmission/ooo/lost/dup-ACK" \
		test "$(field analysis_events "$dir/out-$mix")" = 0
	check "$mix: a non-zero flow-table rate" \
		awk -v v="$(field flow_mpps "$dir/out-$mix")" 'BEGIN { exit !(v > 0) }'
done

# --steady (replay loops): exactly N flows, all created by the first N packets, none ended
"$gen" -q -o "$dir/steady.pcap" -n 3000 -f 1000 --steady
"$bench" -r 1 -c 4096 "$dir/steady.pcap" >"$dir/out-steady" 2>/dev/null
check "steady: 1000 flows created, 1000 live at the end" \
	test "$(field created "$dir/out-steady")-$(field peak_active "$dir/out-steady")" = 1000-1000

echo "$((15 - fail)) passed, $fail failed"
test "$fail" -eq 0
