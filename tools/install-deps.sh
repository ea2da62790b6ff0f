#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install the Debian 12 packages NetScope needs to build and test, skipping what is present.
# Usage: tools/install-deps.sh [build|test]   (test adds the tools the test suite runs)
set -euo pipefail

want=(meson ninja-build pkg-config gcc libc6-dev libpcap-dev libnuma-dev libdpdk-dev dpdk-dev
      libjson-c-dev libyaml-dev libcunit1-dev libh2o-evloop-dev libwslay-dev)
if [ "${1:-build}" = test ]; then
	want+=(clang libclang-rt-14-dev tcpdump tshark iproute2 iputils-ping util-linux iperf3 curl ethtool python3 nmap hping3)
	# tests/web: headless browser, promtool (in prometheus), wrk; node + npm for playwright-core
	want+=(chromium prometheus wrk)
	command -v npm >/dev/null || want+=(nodejs npm)
fi

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
