#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the parser fuzzer for a fixed time: cuts seeds from the capture corpus, then lets
# libFuzzer mutate them. New inputs and crash artifacts stay in WORK_DIR (under the build
# directory), never in the source tree. Exits 1 on any crash, leak, timeout or sanitizer
# report, which fails the meson test.
# Usage: run_fuzz.sh FUZZER SEEDS_TOOL PCAP_DIR WORK_DIR SECONDS
set -eu
fuzzer=$1
seeds_tool=$2
pcaps=$3
work=$4
seconds=$5

rm -rf "$work"
mkdir -p "$work/seeds" "$work/corpus" "$work/artifacts"
"$seeds_tool" "$pcaps" "$work/seeds"
# libFuzzer's own exit status for a crash is 77, which meson reads as "skipped": a crash
# passed as a skip once (2026-11-28). Any finding exits 1.
exec "$fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" "$work/seeds"
