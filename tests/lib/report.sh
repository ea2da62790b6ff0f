# SPDX-License-Identifier: MIT
# The TAP-like check lines the shell tests print: ok and bad count into passed and failed,
# which the test sums up at its end. Sourced by the live, anomaly and DPDK tests.
passed=0
failed=0

ok() {
	passed=$((passed + 1))
	echo "ok - $*"
}

bad() {
	failed=$((failed + 1))
	echo "FAIL - $*"
}
