#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# README command 2 (and .ci/run): install what is missing, then build and run the whole test
# suite twice: a gcc build with warnings as errors, and a clang AddressSanitizer +
# UndefinedBehaviorSanitizer build that also runs the parser fuzzer. Any failure fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh test

# A stale build dir from another machine or meson version is rebuilt from scratch.
setup() {
	local dir=$1
	shift
	if [ -d "$dir" ] && ! meson setup --reconfigure "$dir" "$@" >/dev/null 2>&1; then
		rm -rf "$dir"
	fi
	[ -d "$dir" ] || meson setup "$dir" "$@"
}

echo "== gcc build (werror) =="
setup build-ci -Dwerror=true
ninja -C build-ci
meson test -C build-ci --print-errorlogs --num-processes 2

echo "== clang ASan+UBSan build, with the fuzzer =="
(export CC=clang; setup build-ci-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
	-Dfuzz=enabled)
ninja -C build-ci-asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
meson test -C build-ci-asan --print-errorlogs --num-processes 2
