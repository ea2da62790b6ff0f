#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Flow-tracking benchmark, one command (tools/bench/README.md): generates the synthetic
# captures in a scratch directory, times netscope next to tcpdump (the libpcap read floor),
# argus, ndpiReader and tshark on the same files in the same run, pinned to one core, then
# runs bench-flow (parser and flow table alone, in memory) and prints the table of medians and
# the verdict on each target. Repetitions are interleaved (rep 1 of every tool, then rep 2...)
# so a burst of load from other users of the machine hits all tools alike.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build-bench}
scratch=${SCRATCH:-${TMPDIR:-/tmp}/netscope-bench}
cpu=1
reps=
fast_reps=
peer_reps=1
mode=default
peers="tcpdump argus ndpiReader tshark"
# tshark runs at ~0.07 Mpps and needs GBs on the 1M-flow files: outside --full it runs on the
# 100k-flow scenarios only, which keeps the default run near 10 minutes
heavy_peers="tshark"
heavy_on="min-100k,imix-100k"
keep=0
build_it=1
peer_timeout=900
only=""

usage() {
	cat <<EOF
Usage: tools/bench/run.sh [options]
  --quick            small captures, 1 repetition: a few minutes, for checking the set-up
  --full             large captures, 5 repetitions, tshark on every capture (over an hour)
  --reps N           repetitions of argus and bench-flow (default 3)
  --fast-reps N      repetitions of tcpdump and the netscope rows, which run for 0.1-1 s and
                     vary most on a shared machine (default 9)
  --peer-reps N      repetitions of tshark and ndpiReader, the slow peers (default 1)
  --peers "LIST"     peers to run (default: "$peers"; "" for none)
  --only LIST        scenarios to run, comma-separated (min-100k,imix-100k,min-1m,imix-1m)
  --cpu N            core to pin every tool to with taskset (default 1)
  --build DIR        meson build directory (default build-bench; built if missing)
  --scratch DIR      where captures and logs go (default \$TMPDIR/netscope-bench)
  --no-build         use the binaries already in the build directory as they are
  --keep             keep the captures (they are reused when their parameters match)
Environment: BUILD, SCRATCH as the options.
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	--quick) mode=quick ;;
	--full) mode=full ;;
	--reps) reps=$2; shift ;;
	--fast-reps) fast_reps=$2; shift ;;
	--peer-reps) peer_reps=$2; shift ;;
	--peers) peers=$2; shift ;;
	--only) only=$2; shift ;;
	--cpu) cpu=$2; shift ;;
	--build) build=$2; shift ;;
	--scratch) scratch=$2; shift ;;
	--no-build) build_it=0 ;;
	--keep) keep=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

# Scenarios: name mix concurrent-connections packets flow-table-capacity.
# Capacity is the flows the table holds (records are preallocated): the connections plus the
# ones that closed less than tcp_closed_timeout (2 s of capture time) ago, with margin.
# The 1M files need more packets: the first 1M are the SYNs that open every connection.
case $mode in
quick)
	reps=${reps:-1}
	fast_reps=${fast_reps:-1}
	scenarios="min-100k min 100000 1000000 131072
imix-100k imix 100000 1000000 131072
min-1m min 1000000 2000000 1179648
imix-1m imix 1000000 2000000 1179648"
	;;
full)
	reps=${reps:-5}
	fast_reps=${fast_reps:-9}
	heavy_on="min-100k,imix-100k,min-1m,imix-1m"
	scenarios="min-100k min 100000 10000000 131072
imix-100k imix 100000 10000000 131072
min-1m min 1000000 16000000 1179648
imix-1m imix 1000000 16000000 1179648"
	;;
*)
	reps=${reps:-3}
	fast_reps=${fast_reps:-9}
	scenarios="min-100k min 100000 2000000 131072
imix-100k imix 100000 2000000 131072
min-1m min 1000000 4000000 1179648
imix-1m imix 1000000 4000000 1179648"
	;;
esac
if [ -n "$only" ]; then
	scenarios=$(echo "$scenarios" | awk -v only=",$only," 'index(only, "," $1 ",")')
fi
# Capture time between packets: 1 s / connections, so each connection sees a packet about once
# a second whatever N is. Then a handshake spans ~2 s (under the 10 s SYN timeout, which a
# fixed 10 us gap broke at 1M connections) and the flows closed in the last 2 s
# (tcp_closed_timeout) are ~N/12: the table holds about 1.1 N flows.

mkdir -p "$scratch"
raw=$scratch/runs.tsv
log=$scratch/log
mkdir -p "$log"
: >"$raw"

# ---- build ----
netscope=$build/app/netscope/netscope
gen=$build/tools/gen-bench
benchflow=$build/tools/bench-flow
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$root" --buildtype=release -Ddpdk=disabled >"$log/meson-setup.log"
fi
if [ "$build_it" -eq 1 ]; then
	ninja -C "$build" app/netscope/netscope tools/gen-bench tools/bench-flow >"$log/ninja.log" ||
		{ cat "$log/ninja.log" >&2; exit 1; }
fi
buildtype=$(meson introspect --buildoptions "$build" 2>/dev/null |
	python3 -c 'import json,sys; o={x["name"]:x["value"] for x in json.load(sys.stdin)}; print(o["buildtype"], o.get("b_ndebug",""), o["optimization"])' 2>/dev/null || echo "?")

# ---- machine facts ----
facts() {
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- lib app 2>/dev/null || echo ' (lib/app have uncommitted changes)')"
	echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) vCPU, $(lscpu | sed -n 's/^L3 cache: *//p') L3, $(lscpu | sed -n 's/^Hypervisor vendor: *//p') guest"
	echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB total, " $7 " GiB available"}')"
	echo "kernel: $(uname -r); THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null); 2M hugepages reserved: $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages 2>/dev/null || echo 0)"
	echo "build: $build ($buildtype), $(cc --version | head -1)"
	echo "pinned to core $cpu (taskset); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	for t in tcpdump tshark argus ndpiReader; do
		case $t in
		tcpdump) v=$(tcpdump --version 2>&1 | head -1) || true ;;
		tshark) v=$(tshark --version 2>/dev/null | head -1) || true ;;
		argus) v=$(argus -h 2>&1 | sed -n 's/^Argus Version /argus /p' | head -1) || true ;;
		ndpiReader) v=$(ndpiReader -h 2>&1 | sed -n 's/^Welcome to //p' | head -1) || true ;;
		esac
		command -v "$t" >/dev/null 2>&1 && echo "peer: $v"
	done
	return 0
}
facts | tee "$scratch/facts.txt"
echo "mode: $mode, $reps rep(s), tcpdump and netscope $fast_reps, slow peers $peer_reps, scratch $scratch"

# ---- captures ----
declare -A file flows pkts cap
order=()
while read -r name mix nflows npkts capacity; do
	[ -n "$name" ] || continue
	f=$scratch/$name-$npkts.pcap
	gap_ns=$((1000000000 / nflows))
	params="$mix $nflows $npkts $gap_ns seed=1"
	if [ ! -s "$f" ] || [ "$(cat "$f.params" 2>/dev/null)" != "$params" ]; then
		echo "generating $f ..."
		"$gen" -o "$f" -m "$mix" -f "$nflows" -n "$npkts" -g "$gap_ns" -s 1 2>&1 |
			tee "$log/gen-$name.log"
		echo "$params" >"$f.params"
	fi
	file[$name]=$f
	flows[$name]=$nflows
	pkts[$name]=$npkts
	cap[$name]=$capacity
	order+=("$name")
done <<<"$scenarios"

# ---- tools ----
have() {
	command -v "$1" >/dev/null 2>&1
}

# the command line of @tool on scenario @name, or nothing when the tool cannot run
tool_cmd() {
	local tool=$1 name=$2 f=${file[$2]}
	case $tool in
	tcpdump) echo "tcpdump -r $f -w /dev/null" ;;
	netscope-read) echo "$netscope -r $f -q" ;;
	netscope-track) echo "$netscope -r $f -q -v --top-flows 1 --set flow.capacity=${cap[$name]}" ;;
	netscope) echo "$netscope -r $f -q -v --export-flows $scratch/flows.csv --set flow.capacity=${cap[$name]}" ;;
	argus) echo "argus -r $f -w /dev/null" ;;
	ndpiReader) echo "ndpiReader -i $f -q" ;;
	tshark) echo "tshark -r $f -q -z conv,tcp" ;;
	esac
}

unavailable=()
tools=(tcpdump netscope-read netscope-track netscope)
for p in $peers; do
	case $p in
	tcpdump) ;;
	argus | ndpiReader | tshark)
		if have "$p"; then
			tools+=("$p")
		else
			case $p in
			argus) pkg=argus-server ;;
			ndpiReader) pkg=libndpi-bin ;;
			tshark) pkg=tshark ;;
			esac
			unavailable+=("$p: not available: '$p' is not installed (Debian package $pkg)")
		fi
		;;
	*) unavailable+=("$p: not available: unknown peer") ;;
	esac
done
if ! have tcpdump; then
	echo "tcpdump is not installed (apt-get install tcpdump): it is the read floor" >&2
	exit 1
fi

# touch (and free) about the peak RSS @tool reaches on the 1M files (tools/bench/README.md)
warm_memory() {
	local mb
	case $1 in
	netscope-track | netscope) mb=256 ;;
	argus) mb=1800 ;;
	tshark) mb=1500 ;;
	ndpiReader) mb=4700 ;;
	*) return 0 ;;
	esac
	dd if=/dev/zero of=/dev/null bs="${mb}M" count=1 iflag=fullblock 2>/dev/null || true
}

# one timed run: appends "scenario tool rep status wall user sys maxrss_kb pages" to runs.tsv
# (pages: where netscope's flow table lives, "huge" or "normal", from its -v log)
run_one() {
	local tool=$1 name=$2 rep=$3 cmd out status=ok pages=- times TIMEFORMAT='%3R %3U %3S'
	cmd=$(tool_cmd "$tool" "$name")
	out=$log/$name-$tool-$rep
	rm -f "$scratch/flows.csv"
	# every tool starts from the same machine state:
	# - no dirty page cache: no writeback of the previous export's 250 MB overlaps the run;
	# - memory the host has backed: this guest's virtio_balloon reports free 2 MB blocks to the
	#   host (free page reporting, ~2 s after they are freed), which takes them away, so the
	#   first big allocation after argus or ndpiReader exited paid up to 0.7 s of sys time
	#   faulting them back (netscope's 200 MB table, argus's 1.6 GB alike). Touching about
	#   the tool's peak RSS just before the run hands it blocks freed a moment ago, as a
	#   long-running capture has.
	sync
	warm_memory "$tool"
	# bash's time gives the CPU to the millisecond (GNU time prints hundredths, too coarse
	# for 0.2 s runs); GNU time still gives the peak RSS
	if ! { time /usr/bin/time -f "%e %U %S %M" -o "$out.time" timeout "$peer_timeout" \
		taskset -c "$cpu" $cmd >"$out.out" 2>"$out.err"; } 2>"$out.ms"; then
		status=fail
		grep -q "non-zero status 124" "$out.time" && status=timeout
	fi
	# keep the size of what the tool printed, not the text (tshark lists every conversation)
	wc -l <"$out.out" >"$out.lines"
	rm -f "$out.out"
	if grep -q "per flow) on huge pages" "$out.err"; then
		pages=huge
	elif grep -q "per flow) on normal pages" "$out.err"; then
		pages=normal
	fi
	if [ "$tool" = netscope ] && [ "$rep" = 1 ]; then
		echo "$cmd --export-flows $scratch/flows.csv" >"$log/$name-netscope.cmd"
		if [ -s "$scratch/flows.csv" ]; then
			echo "$(($(wc -l <"$scratch/flows.csv") - 1))" >"$log/$name-netscope.flows"
		else
			echo "none" >"$log/$name-netscope.flows"
		fi
	fi
	times="$(tail -1 "$out.ms") $(tail -1 "$out.time" | cut -d' ' -f4)"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$tool" "$rep" "$status" \
		"$(echo "$times" | tr ' ' '\t')" "$pages" >>"$raw"
	printf '  %-10s %-14s rep %s: %s %s %s\n' "$name" "$tool" "$rep" "$status" "$times" "$pages"
}

# repetitions of @tool: the slow peers, the fast rows (tcpdump, netscope), everything else
reps_of() {
	case $1 in
	tshark | ndpiReader) echo "$peer_reps" ;;
	tcpdump | netscope*) echo "$fast_reps" ;;
	*) echo "$reps" ;;
	esac
}
NS_MAX_REPS=$((fast_reps > reps ? fast_reps : reps))
NS_MAX_REPS=$((peer_reps > NS_MAX_REPS ? peer_reps : NS_MAX_REPS))

# false when a heavy peer is left out of scenario @2 in this mode
heavy_runs() {
	[[ " $heavy_peers " != *" $1 "* ]] || [[ ",$heavy_on," == *",$2,"* ]]
}

for name in "${order[@]}"; do
	cat "${file[$name]}" >/dev/null # page cache: no tool pays for the disk
	# netscope's own memory report (-v: "bytes per flow") on the scenario's table
	"$netscope" -r "${file[$name]}" -q -v -c 1 --set "flow.capacity=${cap[$name]}" \
		--stats 2>&1 | sed -n 's/.*table of \([0-9]*\) flows: \([0-9]*\) bytes (\([0-9.]*\) per flow).*/\1 \2 \3/p' |
		head -1 >"$log/$name-netscope.mem"
	for ((rep = 1; rep <= NS_MAX_REPS; rep++)); do
		for tool in "${tools[@]}"; do
			if [ "$rep" -gt "$(reps_of "$tool")" ]; then
				continue
			fi
			if ! heavy_runs "$tool" "$name"; then
				[ "$rep" -eq 1 ] && printf '%s\t%s\t1\tskipped\n' "$name" "$tool" >>"$raw"
				continue
			fi
			run_one "$tool" "$name" "$rep"
		done
	done
	echo "  $name bench-flow ($reps reps) ..."
	taskset -c "$cpu" "$benchflow" -r "$reps" -c "${cap[$name]}" "${file[$name]}" \
		>"$log/$name-bench-flow.out" 2>"$log/$name-bench-flow.err" || true
	grep -v "emergency" "$log/$name-bench-flow.err" | sed 's/^/    /' || true
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$scratch/facts.txt"

# ---- table ----
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "";
		else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# median of column @col over the ok runs of @tool on @name
med() {
	awk -F'\t' -v n="$1" -v t="$2" -v c="$3" '$1 == n && $2 == t && $4 == "ok" { print $c }' \
		"$raw" | median
}

runs_ok() {
	awk -F'\t' -v n="$1" -v t="$2" '$1 == n && $2 == t && $4 == "ok"' "$raw" | wc -l
}

status_of() {
	awk -F'\t' -v n="$1" -v t="$2" '$1 == n && $2 == t && $4 != "ok" { print $4; exit }' "$raw"
}

bf() {
	sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$log/$1-bench-flow.out" 2>/dev/null
}

summary=$scratch/summary.md
declare -A mpps_cpu mpps_wall rss pages
{
	echo "| capture | tool | runs | Mpps (CPU) | Mpps (wall) | CPU s | wall s | peak RSS MB | vs tcpdump (CPU) |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for name in "${order[@]}"; do
		for tool in "${tools[@]}"; do
			n=$(runs_ok "$name" "$tool")
			if [ "$n" -eq 0 ]; then
				st=$(status_of "$name" "$tool")
				[ "$st" = skipped ] && st="skipped (only --full runs it here)"
				echo "| $name | $tool | 0 | ${st:-not run} | | | | | |"
				continue
			fi
			wall=$(med "$name" "$tool" 5)
			cpus=$(awk -F'\t' -v n="$name" -v t="$tool" \
				'$1 == n && $2 == t && $4 == "ok" { print $6 + $7 }' "$raw" | median)
			kb=$(med "$name" "$tool" 8)
			p=${pkts[$name]}
			mpps_cpu[$name,$tool]=$(awk -v p="$p" -v s="$cpus" 'BEGIN { printf "%.2f", (s > 0 ? p / s / 1e6 : 0) }')
			mpps_wall[$name,$tool]=$(awk -v p="$p" -v s="$wall" 'BEGIN { printf "%.2f", (s > 0 ? p / s / 1e6 : 0) }')
			rss[$name,$tool]=$kb
			pg=$(awk -F'\t' -v n="$name" -v t="$tool" '$1 == n && $2 == t && $4 == "ok" && $9 != "-" && $9 != "" { print $9 }' "$raw" | sort -u | paste -sd/)
			pages[$name,$tool]=$pg
			echo "| $name | $tool${pg:+ (table on $pg pages)} | $n | ${mpps_cpu[$name,$tool]} | ${mpps_wall[$name,$tool]} | $cpus | $wall | $((kb / 1024)) | x |"
		done
		if [ -s "$log/$name-bench-flow.out" ]; then
			echo "| $name | bench-flow: parse alone | $(bf "$name" reps) | $(bf "$name" parse_mpps) | $(bf "$name" parse_wall_mpps) | | | | |"
			echo "| $name | bench-flow: flow table alone | $(bf "$name" reps) | $(bf "$name" flow_mpps) | $(bf "$name" flow_wall_mpps) | | | | |"
			echo "| $name | bench-flow: parse+flow, no reader | $(bf "$name" reps) | $(bf "$name" inline_mpps) | $(bf "$name" inline_wall_mpps) | | | | |"
		fi
	done
} >"$summary.tmp"
# fill the "vs tcpdump" column now that every tcpdump median is known
while IFS= read -r line; do
	name=$(echo "$line" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }')
	tool=$(echo "$line" | awk -F'|' '{ gsub(/^ +| +$/, "", $3); print $3 }')
	tool=${tool%% (*}
	if [[ $line == *"| x |" ]]; then
		floor=${mpps_cpu[$name,tcpdump]:-0}
		pct=$(awk -v a="${mpps_cpu[$name,$tool]}" -v b="$floor" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b }')
		line=${line%"| x |"}"| $pct |"
	fi
	echo "$line"
done <"$summary.tmp" >"$summary"
rm -f "$summary.tmp"

# ---- memory and targets ----
{
	echo
	echo "Flow table memory (netscope -v \"bytes per flow\", and netscope's peak RSS above the"
	echo "same run without flow tracking, per flow the table held at its peak):"
	echo
	echo "| capture | capacity | table bytes | bytes per flow (netscope) | peak live flows | extra RSS per live flow |"
	echo "|---|---|---|---|---|---|"
	for name in "${order[@]}"; do
		read -r capn bytes per <"$log/$name-netscope.mem" || true
		peak=$(bf "$name" peak_active)
		extra=$(awk -v a="${rss[$name,netscope]:-0}" -v b="${rss[$name,netscope-read]:-0}" -v f="${peak:-0}" \
			'BEGIN { if (f > 0 && a > 0) printf "%.0f", (a - b) * 1024 / f }')
		# hugetlb pages are not in RSS: the difference means nothing then
		[[ ${pages[$name,netscope]:-} == *huge* ]] && extra="n/a (table on hugepages, not in RSS)"
		echo "| $name | ${capn:-?} | ${bytes:-?} | ${per:-?} | ${peak:-?} | $extra |"
	done
	echo
	echo "Flows exported by netscope (--export-flows, rows in the CSV of rep 1): $(for n in "${order[@]}"; do printf '%s=%s ' "$n" "$(cat "$log/$n-netscope.flows" 2>/dev/null)"; done)"
	for u in "${unavailable[@]}"; do
		echo "- $u"
	done
	echo
	echo "Targets (one core, medians, Mpps by CPU time):"
	verdict() { awk -v v="$1" -v t="$2" 'BEGIN { if (v == "" || t == "") print "n/a"; else if (v + 0 >= t + 0) print "MET"; else print "MISSED" }'; }
	v=${mpps_cpu[min-100k,netscope]:-}
	a=${mpps_cpu[min-100k,argus]:-}
	[ -n "$v" ] && echo "- min-size, 100k flows: netscope $v Mpps, target >= 10: $(verdict "$v" 10) (flow tracking without the export: ${mpps_cpu[min-100k,netscope-track]:-?} Mpps; reader + parser alone: ${mpps_cpu[min-100k,netscope-read]:-?} Mpps)"
	[ -n "$v" ] && [ -n "$a" ] && echo "- min-size, 100k flows: $(awk -v a="$v" -v b="$a" 'BEGIN { printf "%.1f", a / b }')x argus ($a Mpps), target >= 20x: $(verdict "$(awk -v a="$v" -v b="$a" 'BEGIN { print a / b }')" 20)"
	v=${mpps_cpu[imix-100k,netscope]:-}
	f=${mpps_cpu[imix-100k,tcpdump]:-}
	[ -n "$v" ] && [ -n "$f" ] && echo "- IMIX, 100k flows: netscope $v Mpps = $(awk -v a="$v" -v b="$f" 'BEGIN { printf "%.0f", 100 * a / b }')% of tcpdump's $f, target >= 85%: $(verdict "$(awk -v a="$v" -v b="$f" 'BEGIN { print a / b }')" 0.85)"
	t=${mpps_cpu[imix-100k,netscope-track]:-}
	[ -n "$t" ] && [ -n "$f" ] && echo "  (flow tracking without the export: $t Mpps = $(awk -v a="$t" -v b="$f" 'BEGIN { printf "%.0f", 100 * a / b }')% of tcpdump)"
	v1=${mpps_cpu[imix-1m,netscope]:-}
	f1=${mpps_cpu[imix-1m,tcpdump]:-}
	[ -n "$v1" ] && [ -n "$v" ] && echo "- IMIX, 1M flows: netscope $v1 Mpps = $(awk -v a="$v1" -v b="$v" 'BEGIN { printf "%.0f", 100 * a / b }')% of its 100k rate, target >= 80%: $(verdict "$(awk -v a="$v1" -v b="$v" 'BEGIN { print a / b }')" 0.80)"
	t1=${mpps_cpu[imix-1m,netscope-track]:-}
	[ -n "$t1" ] && [ -n "$t" ] && echo "  (flow tracking without the export: $t1 Mpps = $(awk -v a="$t1" -v b="$t" 'BEGIN { printf "%.0f", 100 * a / b }')% of its 100k rate)"
	[ -n "$v1" ] && [ -n "$f1" ] && echo "- IMIX, 1M flows: netscope = $(awk -v a="$v1" -v b="$f1" 'BEGIN { printf "%.0f", 100 * a / b }')% of tcpdump on the same file, target >= 68% (80% of 85%): $(verdict "$(awk -v a="$v1" -v b="$f1" 'BEGIN { print a / b }')" 0.68)"
	for name in "${order[@]}"; do
		read -r capn bytes per <"$log/$name-netscope.mem" || true
		[ -n "${per:-}" ] && echo "- memory, $name: $per bytes per flow (netscope), target <= 200: $(verdict "$(awk -v p="$per" 'BEGIN { print 200 - p }')" 0)"
	done
	echo
	echo "Command: tools/bench/run.sh $(case $mode in quick) echo --quick ;; full) echo --full ;; esac) (reps $reps, tcpdump and netscope $fast_reps, slow peers $peer_reps, core $cpu)"
} >>"$summary"

echo
cat "$summary"
echo
echo "raw runs: $raw; logs: $log; table: $summary"
if [ "$keep" -eq 0 ]; then
	for name in "${order[@]}"; do
		rm -f "${file[$name]}" "${file[$name]}.params"
	done
	rm -f "$scratch/flows.csv"
fi
