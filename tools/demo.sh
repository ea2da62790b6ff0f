#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# README command 1: install what is missing, build NetScope, and run it on the bundled sample
# capture: every packet and the summary are printed, then the dashboard stays up on the
# capture (http://127.0.0.1:8080/ unless NETSCOPE_WEB says otherwise) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh build
[ -d build ] || meson setup build >/dev/null
ninja -C build
echo
web=${NETSCOPE_WEB:-127.0.0.1:8080}
echo "== netscope -r tools/sample/netscope-sample.pcap --anomalies --web $web --linger =="
echo "== the dashboard: http://$web/ (Ctrl-C to stop) =="
exec ./build/app/netscope/netscope -r tools/sample/netscope-sample.pcap --anomalies \
	--web "$web" --linger "$@"
