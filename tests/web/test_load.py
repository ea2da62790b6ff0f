#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The dashboard under load while a capture runs: netscope replays a capture without end for
16 s and wrk hammers /api/summary and /api/flows for 10 s. With the DPDK backend built (as in
CI) the replay is net_pcap's in-memory one (infinite_rx=1), the appliance's layout: the capture
polls on its lcore, the dashboard's thread and wrk share the other core. Without DPDK it is a
pipe (pcap-pipe --loop | netscope -r -), whose feeder process needs a core of its own: the
feeder and wrk (the network and the remote browsers) are pinned to the first CPU and netscope
to the others, so its dashboard thread answers in the capture's gaps (a few hundred req/s on
two CPUs). Left floating, feeder, capture, wrk and server crowded each other on two CPUs and
the rig read 77-89% whatever the dashboard did. Passes when nothing crashes, wrk sees no error response and no socket
error, and the capture's packets/s with load is at least 90% of the rate without it. The
machines are shared (other builds run beside the tests) and swing by 20-50% within minutes, so
each round runs one capture without load and one with it back to back, and the check takes the
median of the rounds' ratios: a cost of the load itself shows in every round, while a swing of
the host that hits one capture of one round (one unloaded run at 1.71M pkt/s against 1.11-1.50M
in the others made best-against-best read 74.9% once) moves only that round. wrk runs under SCHED_IDLE, as the server's own thread does: on this
2-core box the load generator is a stand-in for browsers on other machines, and must not be
what takes the capture's core. At nice 10 it did: on a host fast enough that the feeder and
the capture fill both vCPUs (8-9M pkt/s), wrk's share of them cost the capture 15-20% of its
rate while the capture thread's packets per CPU second did not change. Numbers go to stdout and WORKDIR/load-results.txt."""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webtest import Checks, Netscope, get, tool  # noqa: E402

NETSCOPE = tool("netscope", "NETSCOPE")
GEN = tool("gen-web-pcap", "GEN_WEB_PCAP")
PIPE = tool("pcap-pipe", "PCAP_PIPE")
BUILD = os.environ.get("WORKDIR", tempfile.gettempdir())
HERE = os.path.dirname(os.path.abspath(__file__))
# The capture outlives the load by several seconds: netscope's start-up (tables, server) on a
# busy 2-core machine must not let wrk run into a capture that has already ended.
DURATION = 16
WRK_SECONDS = 10
ROUNDS = 5  # median of five paired rounds: the 2-core machine is shared by wrk, the feeder and netscope
c = Checks("web_load")


def has_dpdk():
    """Whether this netscope has the DPDK backend: --version names the backends built in (its
    --help lists --dpdk-args in every build, so that cannot tell)."""
    p = subprocess.run([NETSCOPE, "--version"], capture_output=True, text=True, check=True)
    m = re.search(r"capture backends: ([^)]*)\)", p.stdout)
    if m is None:
        raise RuntimeError(f"netscope --version names no backends: {p.stdout!r}")
    return "dpdk" in m.group(1).split(", ")


DPDK = has_dpdk()
# Without DPDK: the CPU the feeder and wrk are pinned to (the first this process may use),
# leaving the others to netscope's capture; with DPDK, wrk is not pinned.
_cpus = sorted(os.sched_getaffinity(0))
LOAD_CPU = ["taskset", "-c", str(_cpus[0])] if not DPDK and len(_cpus) > 1 else []
CAPTURE_CPU = (["taskset", "-c", ",".join(str(x) for x in _cpus[1:])]
               if not DPDK and len(_cpus) > 1 else [])


def capture_run(work, pcap, with_load):
    """One capture of DURATION seconds; returns (packets/s, wrk result or None, exit code)."""
    sj = os.path.join(work, "summary.json")
    common = ["-q", "--duration", str(DURATION), "--summary-json", sj]
    feeder = None
    if DPDK:
        eal = ("--no-huge -m 1024 --no-pci --no-shconf --no-telemetry "
               f"--log-level=lib.eal:warning --file-prefix=nsweb{os.getpid()}")
        ns = Netscope(NETSCOPE, ["--backend", "dpdk", "-i",
                                 f"net_pcap0,rx_pcap={pcap},infinite_rx=1", "--dpdk-args", eal,
                                 "--set", "dpdk.mbufs=131071"] + common)
    else:
        # the feeder plays the network: it and the load (remote browsers) share one CPU, so
        # that the capture has the other, as it has its lcore in the DPDK layout
        feeder = subprocess.Popen(LOAD_CPU + [PIPE, "--loop", pcap], stdout=subprocess.PIPE)
        cmd = CAPTURE_CPU + [NETSCOPE, "-r", "-"] + common
        ns = Netscope(cmd[0], cmd[1:], stdin=feeder.stdout)
        feeder.stdout.close()
    t0 = time.time()
    wrk = None
    if with_load:
        p = subprocess.run(LOAD_CPU + ["chrt", "--idle", "0", "wrk", "-t1", "-c8", f"-d{WRK_SECONDS}s",
                            "--latency", "-s", os.path.join(HERE, "load.lua"),
                            f"http://127.0.0.1:{ns.port}/"],
                           capture_output=True, text=True, timeout=WRK_SECONDS + 30)
        wrk = parse_wrk(p.stdout + p.stderr)
        wrk["rc"] = p.returncode
        # the server is still there and answering
        wrk["after"] = get(ns.port, "/api/summary")[0] if ns.proc.poll() is None else 0
    rc = ns.proc.wait(DURATION + 30)
    took = time.time() - t0
    if feeder is not None:
        feeder.kill()
        feeder.wait()
    ns.proc.stderr.read()
    packets = json.load(open(sj))["packets"] if os.path.exists(sj) else 0
    if os.path.exists(sj):
        os.unlink(sj)
    return packets / DURATION, wrk, rc, took


def parse_wrk(out):
    r = {"text": out, "rps": 0.0, "requests": 0, "non2xx": 0, "socket_errors": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        r["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    if m:
        r["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        r["socket_errors"] = sum(int(x) for x in m.groups())
    m = re.search(r"99%\s+([\d.]+\w+)", out)
    r["p99"] = m.group(1) if m else "?"
    return r


def main():
    if shutil.which("wrk") is None:
        print("FAIL: wrk is missing: tools/install-deps.sh test installs it")
        c.ok(False, "wrk installed")
        c.finish()
    work = tempfile.mkdtemp(prefix="web-load-", dir=BUILD)
    pcap = os.path.join(work, "load.pcap")
    # capture time at 40k packets/s over 64 connections, small segments: 5 s for the pipe,
    # 1 s (61k frames, one mbuf each) for net_pcap's in-memory replay
    subprocess.run([GEN, "mix", pcap, "1" if DPDK else "5", "40000", "64", "64"], check=True)
    print(f"replay: {'DPDK net_pcap infinite_rx' if DPDK else 'pcap-pipe | netscope -r -'}",
          flush=True)
    base, loaded, wrks = [], [], []
    for i in range(ROUNDS):
        pps, _, rc, _ = capture_run(work, pcap, False)
        c.eq(rc, 0, f"round {i + 1} without load: exit status")
        base.append(pps)
        pps, wrk, rc, _ = capture_run(work, pcap, True)
        c.eq(rc, 0, f"round {i + 1} under load: netscope exit status")
        loaded.append(pps)
        wrks.append(wrk)
        c.eq(wrk["rc"], 0, f"round {i + 1}: wrk exit status")
        c.ok(wrk["requests"] > 0, f"round {i + 1}: wrk made requests")
        c.eq(wrk["non2xx"], 0, f"round {i + 1}: error responses")
        c.eq(wrk["socket_errors"], 0, f"round {i + 1}: socket errors")
        c.eq(wrk["after"], 200, f"round {i + 1}: dashboard answers after the load")
        print(f"round {i + 1}: {base[-1]:,.0f} pkt/s without load, {pps:,.0f} pkt/s with "
              f"{wrk['rps']:,.0f} req/s (p99 {wrk['p99']})", flush=True)
    ratios = [l / b if b else 0 for b, l in zip(base, loaded)]
    ratio = statistics.median(ratios)
    mb, ml = statistics.median(base), statistics.median(loaded)
    rps = statistics.median(w["rps"] for w in wrks)
    rates = ["{:,.0f}".format(w["rps"]) for w in wrks]
    lines = [
        f"capture without load: {', '.join(f'{x:,.0f}' for x in base)} pkt/s (median {mb:,.0f})",
        f"capture with load:    {', '.join(f'{x:,.0f}' for x in loaded)} pkt/s (median {ml:,.0f})",
        f"capture throughput with load, per round: {', '.join(f'{r * 100:.1f}%' for r in ratios)}"
        f" of without (median {ratio * 100:.1f}%)",
        f"wrk /api/summary + /api/flows: {', '.join(rates)} req/s "
        f"(median {rps:,.0f}), {sum(w['requests'] for w in wrks)} requests, "
        f"{sum(w['non2xx'] for w in wrks)} errors",
    ]
    print("\n".join(lines), flush=True)
    with open(os.path.join(BUILD, "load-results.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    c.ok(ratio >= 0.9, f"capture keeps >= 90% of its packet rate under load ({ratio * 100:.1f}%)")
    shutil.rmtree(work, ignore_errors=True)
    c.finish()


main()
