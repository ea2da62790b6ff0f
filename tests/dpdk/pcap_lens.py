#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Print "<records> <sum of caplen> <records cut by snaplen> <records above 65535 bytes>" for a
# pcap or pcapng file: what tells the DPDK parity test which documented differences apply.
# Reads only record headers (pcap) and EPB/SPB/PB blocks (pcapng).
import struct
import sys


def pcap(f, magic):
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    f.read(20)
    while True:
        h = f.read(16)
        if len(h) < 16:
            return
        _, _, caplen, length = struct.unpack(endian + "IIII", h)
        if len(f.read(caplen)) < caplen:
            return
        yield caplen, length


def pcapng(f):
    endian, snaplens = "<", []
    while True:
        h = f.read(8)
        if len(h) < 8:
            return
        if h[:4] == b"\x0a\x0d\x0d\x0a":
            bom = f.read(4)
            endian = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            (total,) = struct.unpack(endian + "I", h[4:])
            body = bom + f.read(total - 12)
            snaplens = []
            continue
        btype, total = struct.unpack(endian + "II", h)
        body = f.read(total - 8)
        if len(body) < total - 8:
            return
        if btype == 1:  # IDB: linktype(2) reserved(2) snaplen(4)
            snaplens.append(struct.unpack(endian + "I", body[4:8])[0])
        elif btype == 6:  # EPB: if(4) ts(8) caplen(4) len(4)
            yield struct.unpack(endian + "II", body[12:20])
        elif btype == 2:  # PB: if(2) drops(2) ts(8) caplen(4) len(4)
            yield struct.unpack(endian + "II", body[12:20])
        elif btype == 3:  # SPB: len(4); caplen = min(len, snaplen of interface 0)
            (length,) = struct.unpack(endian + "I", body[0:4])
            snap = snaplens[0] if snaplens and snaplens[0] else length
            yield min(length, snap), length


def main():
    with open(sys.argv[1], "rb") as f:
        magic = f.read(4)
        recs = pcapng(f) if magic == b"\x0a\x0d\x0d\x0a" else pcap(f, magic)
        if magic == b"\x0a\x0d\x0d\x0a":
            f.seek(0)
        n = total = cut = big = 0
        for caplen, length in recs:
            n += 1
            total += caplen
            cut += caplen < length
            big += caplen > 65535
    print(n, total, cut, big)


main()
