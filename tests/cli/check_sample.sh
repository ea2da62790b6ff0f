#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The bundled sample capture must be byte-identical to a fresh run of tools/gen-sample.
set -eu
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$1" "$tmp"
if cmp "$tmp" "$2"; then
	echo "1 passed, 0 failed"
else
	echo "tools/sample capture differs from gen-sample output: regenerate it"
	echo "0 passed, 1 failed"
	exit 1
fi
