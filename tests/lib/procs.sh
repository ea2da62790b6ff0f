# SPDX-License-Identifier: MIT
# Processes a test script starts in the background: it appends their pids to PIDS, and these
# stop them. Sourced by the live, anomaly and DPDK traffic tests.

# reap PID [GRACE_S]: wait up to GRACE_S (default 5) seconds for PID (already signalled) to
# exit, then SIGKILL it; drop it from PIDS. Returns its exit status.
reap() {
	local pid=$1 grace=${2:-5} i rest=()
	for ((i = 0; i < grace * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	for i in "${PIDS[@]}"; do
		[ "$i" = "$pid" ] || rest+=("$i")
	done
	PIDS=("${rest[@]}")
	{ wait "$pid"; } 2>/dev/null
}

# stop_pid PID SIGNAL [GRACE_S]: send SIGNAL, then reap. Returns its exit status.
stop_pid() {
	kill "-$2" "$1" 2>/dev/null
	reap "$1" "${3:-5}"
}

# stop_all SIGNAL [GRACE_S]: stop_pid every process in PIDS (a test's cleanup).
stop_all() {
	local pid
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid" "$1" "${2:-5}"
	done
}
