#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# README command 1: install what is missing, build NetScope, and run it on the bundled sample
# capture, printing every packet and the summary.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh build
[ -d build ] || meson setup build >/dev/null
ninja -C build
echo
echo "== netscope -r tools/sample/netscope-sample.pcap =="
exec ./build/app/netscope/netscope -r tools/sample/netscope-sample.pcap "$@"
