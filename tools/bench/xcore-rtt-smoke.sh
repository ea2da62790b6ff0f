#!/bin/sh
# SPDX-License-Identifier: MIT
# Smoke test of xcore-rtt (meson suite 'bench'): a positive round trip between CPUs 0 and 1,
# and a clear refusal of one CPU for both sides. Skipped on a single-CPU machine.
# Usage: xcore-rtt-smoke.sh XCORE_RTT
set -eu
rtt=$1
[ "$(nproc)" -ge 2 ] || { echo "SKIP: one CPU online"; exit 77; }
v=$("$rtt" -n 2000 -r 3)
echo "round trip CPU 0 <-> 1: $v ns"
awk -v v="$v" 'BEGIN { exit !(v ~ /^[0-9]+\.[0-9]$/ && v > 0) }'
if "$rtt" -a 1 -b 1 2>/dev/null; then
	echo "FAIL: -a 1 -b 1 accepted" >&2
	exit 1
fi
