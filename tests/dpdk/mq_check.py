#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks of the multi-queue live test (test_dpdk_queues.sh), standard library only.

  mq_check.py TCPDUMP.pcap FLOWS.jsonl SUMMARY.json WORKERS PORT...

tcpdump captured the same veth as netscope. For every IPv4 TCP/UDP flow that touches one of
the PORTs, tcpdump's packets per direction must equal the packets of exactly one netscope flow
record (no flow split across workers: a split would show as two records, one per shard, or as
one record missing the other direction); every worker must have tracked flows; netscope's
packet total must equal tcpdump's. Prints one line per failure and "ok N flows" at the end.
"""
import json
import struct
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        raise SystemExit(f"{path}: not a pcap file (tcpdump -w writes pcap)")
    linktype = struct.unpack(end + "I", data[20:24])[0]
    if linktype != 1:
        raise SystemExit(f"{path}: link type {linktype}, want Ethernet")
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def five_tuple(frame):
    """(src, sport, dst, dport, proto) of an untagged IPv4 TCP/UDP frame, else None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 0x0F) * 4
    proto = frame[23]
    frag = struct.unpack("!H", frame[20:22])[0] & 0x3FFF
    if proto not in (6, 17) or frag != 0 or len(frame) < 14 + ihl + 4:
        return None
    src = ".".join(str(b) for b in frame[26:30])
    dst = ".".join(str(b) for b in frame[30:34])
    sport, dport = struct.unpack("!HH", frame[14 + ihl:18 + ihl])
    return src, sport, dst, dport, proto


def main():
    pcap, flows_path, summary_path, workers = sys.argv[1:5]
    ports = {int(p) for p in sys.argv[5:]}
    workers = int(workers)
    fails = []

    total = 0
    seen = {}  # (src, sport, dst, dport, proto) -> packets in that direction
    for frame in read_pcap(pcap):
        total += 1
        t = five_tuple(frame)
        if t is not None and (t[1] in ports or t[3] in ports):
            seen[t] = seen.get(t, 0) + 1

    names = {6: "tcp", 17: "udp"}
    records = {}  # canonical key -> list of records
    shards = {}
    for line in open(flows_path):
        r = json.loads(line)
        if r["proto"] not in ("tcp", "udp"):
            continue
        if r["src_port"] not in ports and r["dst_port"] not in ports:
            continue
        a = (r["src_ip"], r["src_port"])
        b = (r["dst_ip"], r["dst_port"])
        key = (min(a, b), max(a, b), r["proto"])
        records.setdefault(key, []).append(r)
        shard = r["flow_id"] >> 56
        shards[shard] = shards.get(shard, 0) + 1

    flows = 0
    checked = set()
    for (src, sport, dst, dport, proto) in seen:
        a, b = (src, sport), (dst, dport)
        key = (min(a, b), max(a, b), names[proto])
        if key in checked:
            continue
        checked.add(key)
        flows += 1
        recs = records.get(key, [])
        if len(recs) != 1:
            where = sorted(r["flow_id"] >> 56 for r in recs)
            fails.append(f"{key}: {len(recs)} records (workers {where}), want 1")
            continue
        r = recs[0]
        cli = (r["src_ip"], r["src_port"])
        srv = (r["dst_ip"], r["dst_port"])
        want_ts = seen.get((cli[0], cli[1], srv[0], srv[1], proto), 0)
        want_tc = seen.get((srv[0], srv[1], cli[0], cli[1], proto), 0)
        if (r["pkts_toserver"], r["pkts_toclient"]) != (want_ts, want_tc):
            fails.append(f"{key}: netscope {r['pkts_toserver']}/{r['pkts_toclient']} packets "
                         f"(to server/to client), tcpdump {want_ts}/{want_tc}")
    for key in records:
        if key not in checked:
            fails.append(f"{key}: netscope has a flow tcpdump did not see")

    for w in range(workers):
        if shards.get(w, 0) == 0:
            fails.append(f"worker {w} tracked none of the test flows (shards: {shards})")

    summary = json.load(open(summary_path))
    if summary["packets"] != total:
        fails.append(f"netscope counted {summary['packets']} packets, tcpdump {total}")
    if summary.get("dropped", 0) != 0:
        fails.append(f"netscope dropped {summary['dropped']} packets")

    for f in fails:
        print("FAIL:", f)
    per = ", ".join(f"worker {w}: {shards.get(w, 0)}" for w in range(workers))
    print(f"{'ok' if not fails else 'not ok'} {flows} flows ({per}), {total} packets")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
