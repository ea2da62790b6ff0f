#!/bin/sh
# SPDX-License-Identifier: MIT
# Smoke test of xcore-rtt (meson suite 'bench'): a positive round trip between CPUs 0 and 1,
# and a clear refusal of one CPU for both sides. Skipped unless CPUs 0 and 1 are both allowed.
# Usage: xcore-rtt-smoke.sh XCORE_RTT
set -eu
rtt=$1
# CPUs 0 and 1 both in this process's affinity list (e.g. "0-1", "0,1,4-7")
allowed=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
if ! echo "$allowed" | awk -F, '{ for (i = 1; i <= NF; i++) { n = split($i, r, "-");
		lo = r[1] + 0; hi = (n > 1 ? r[2] : r[1]) + 0
		if (lo <= 0 && 0 <= hi) z = 1; if (lo <= 1 && 1 <= hi) o = 1 } }
		END { exit !(z && o) }'; then
	echo "SKIP: CPUs 0 and 1 are not both allowed here ($allowed)"
	exit 77
fi
v=$("$rtt" -n 2000 -r 3)
echo "round trip CPU 0 <-> 1: $v ns"
awk -v v="$v" 'BEGIN { exit !(v ~ /^[0-9]+\.[0-9]$/ && v > 0) }'
if "$rtt" -a 1 -b 1 2>/dev/null; then
	echo "FAIL: -a 1 -b 1 accepted" >&2
	exit 1
fi
