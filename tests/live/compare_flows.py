#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Compare NetScope's live flow export with tshark's view of the same link.

usage: compare_flows.py --label NAME --oracle exp.json --pcap cap.pcap --flows flows.json
                        --summary summary.json --tcpdump-log tcpdump.log [--vlan ID]
                        [--qinq OUTER,INNER] [--stopped-at EPOCH]

Both captures ran on one interface at the same time: tcpdump's pcap went through
tests/corpus/oracle.py (tcp_streams[]), and netscope -i wrote flows.json. One extra tshark
pass, with the oracle's preferences, splits the analysis flags per direction. Prints one
line per check ("ok - ", "FAIL - ", "skip - "), "# " lines for information, and last
"RESULT passed=N failed=N skipped=N". Exit status 0 when nothing failed.

Without --stopped-at, NetScope saw the whole transfer: every tshark TCP stream must be one
record with equal packets, bytes, retransmissions, out-of-order segments, lost segments,
duplicate ACKs, fast/spurious retransmissions and handshake RTT. Equal packet counts come
first; analysis is compared only for streams whose packets agree.

The two tools stamp each packet on their own, microseconds apart, and tshark's choice between
a retransmission and an out-of-order segment depends on time (the segment's gap against the
handshake RTT, docs/tcp-analysis.md), so a segment close to that boundary can be classified
one way in tcpdump's capture and the other in netscope's. With --ours-pcap (what netscope -i
wrote with -w, its own timestamps), such a difference passes only when tshark on netscope's
own capture gives exactly our counts and the two captures differ only by segments moved
between those time-dependent classes (retransmissions plus out-of-order segments per
direction, lost segments and duplicate ACKs all equal). When a capture reports
kernel drops, differing counts are skipped, not failed. With --stopped-at (NetScope got
SIGINT mid-transfer while tcpdump ran on), every stream tshark saw begin before that moment
must be exported once, with no more packets than tshark saw.
"""
import argparse, ipaddress, json, re, subprocess, sys

PREFS = ['-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE']  # as oracle.py
FLAGS = ['retransmission', 'fast_retransmission', 'spurious_retransmission', 'out_of_order',
         'lost_segment', 'duplicate_ack']


class Report:
    def __init__(self, label):
        self.label = label
        self.n = {'ok': 0, 'FAIL': 0, 'skip': 0}

    def check(self, cond, what, detail=''):
        self.line('ok' if cond else 'FAIL', what, detail)
        return cond

    def line(self, kind, what, detail=''):
        self.n[kind] += 1
        print('%s - %s: %s%s' % (kind, self.label, what, (' (%s)' % detail) if detail else ''))

    def info(self, text):
        print('# %s: %s' % (self.label, text))


def ep(ip, port):
    return (ipaddress.ip_address(ip), int(port))


def tshark_rows(pcap, fields, extra=()):
    """One list per frame: @fields, then the analysis flags (FLAGS), '' where absent."""
    fields = fields + ['tcp.analysis.' + f for f in FLAGS]
    cmd = ['tshark', '-n', '-r', pcap] + PREFS + list(extra) + \
        ['-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f']
    for f in fields:
        cmd += ['-e', f]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         check=True).stdout.decode()
    return [line.split('\t') + [''] * len(fields) for line in out.splitlines()]


def per_direction(pcap, streams):
    """tshark flags per stream and direction (c2s/s2c), and the first initial_rtt (s)."""
    res = {}
    for c in tshark_rows(pcap, ['tcp.stream', 'ip.src', 'ipv6.src', 'tcp.srcport',
                                'tcp.analysis.initial_rtt']):
        if c[0] == '':
            continue
        sid = int(c[0])
        st = streams.get(sid)
        if st is None:
            continue
        d = res.setdefault(sid, {'c2s': dict.fromkeys(FLAGS, 0), 's2c': dict.fromkeys(FLAGS, 0),
                                 'irtt': None})
        src = c[1] or c[2]
        dd = 'c2s' if ep(src, c[3]) == ep(st['client_ip'], st['client_port']) else 's2c'
        for i, f in enumerate(FLAGS):
            if c[5 + i]:
                d[dd][f] += 1
        if c[4] and d['irtt'] is None:
            d['irtt'] = float(c[4])
    return res


def per_direction_by_ep(pcap):
    """tshark flags per endpoint pair and sending endpoint, for a capture without an oracle."""
    res = {}
    for c in tshark_rows(pcap, ['ip.src', 'ipv6.src', 'tcp.srcport', 'ip.dst', 'ipv6.dst',
                                'tcp.dstport'], ['-Y', 'tcp']):
        src, dst = ep(c[0] or c[1], c[2]), ep(c[3] or c[4], c[5])
        d = res.setdefault(frozenset((src, dst)), {}).setdefault(src, dict.fromkeys(FLAGS, 0))
        for i, f in enumerate(FLAGS):
            if c[6 + i]:
                d[f] += 1
    return res


def own_captures(ours_pcap):
    """netscope's own capture, and a copy with its timestamps cut to the microseconds our
    analysis keeps (editcap -F pcap truncates): a segment stamped within the same microsecond
    as, but before, the ACK it follows is a fast retransmission to us and to tshark on the copy,
    not to tshark on the nanoseconds (docs/flow-tracking.md, time resolution)."""
    us = re.sub(r'(\.pcap)?$', '-us.pcap', ours_pcap, count=1)
    subprocess.run(['editcap', '-F', 'pcap', ours_pcap, us], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (ours_pcap, us)


def own_counts(eps, cli, srv):
    """Our count layout from tshark's per-endpoint flags (per_direction_by_ep())."""
    o = eps.get(frozenset((cli, srv)), {})
    oc, os_ = (o.get(cli, dict.fromkeys(FLAGS, 0)), o.get(srv, dict.fromkeys(FLAGS, 0)))
    return {'retrans': (oc['retransmission'], os_['retransmission']),
            'ooo': (oc['out_of_order'], os_['out_of_order']),
            'lost': (oc['lost_segment'], os_['lost_segment']),
            'dupack': (oc['duplicate_ack'], os_['duplicate_ack']),
            'fast': oc['fast_retransmission'] + os_['fast_retransmission'],
            'spurious': oc['spurious_retransmission'] + os_['spurious_retransmission']}


def timing_only(ours, theirs, mine):
    """True when our counts equal tshark's on netscope's own capture (@mine) and differ from
    tshark's on tcpdump's capture (@theirs) only between the time-dependent classes."""
    if any(ours[k] != mine[k] for k in ('retrans', 'ooo', 'lost', 'dupack', 'fast',
                                        'spurious')):
        return False
    return (all(m[0] + m[1] == t[0] + t[1] for m, t in
                zip(zip(mine['retrans'], mine['ooo']), zip(theirs['retrans'], theirs['ooo'])))
            and mine['lost'] == theirs['lost'] and mine['dupack'] == theirs['dupack'])


def conv_frames(exp, cli, srv):
    """(c2s, s2c) frames of tshark's own -z conv,tcp row for this endpoint pair, or None."""
    for row in exp.get('tshark_conv', {}).get('tcp', []):
        a, b = (ep(*x.rsplit(':', 1)) for x in (row['a'], row['b']))
        if (a, b) == (cli, srv):
            return (row['frames_a_to_b'], row['frames_b_to_a'])
        if (a, b) == (srv, cli):
            return (row['frames_b_to_a'], row['frames_a_to_b'])
    return None


def capture_drops(tcpdump_log, summary):
    """Reasons to distrust packet equality: kernel drops or unwritten packets in either tool."""
    why = []
    text = open(tcpdump_log, errors='replace').read()
    nums = {k: int(m.group(1)) for k, pat in (('captured', r'(\d+) packets? captured'),
                                              ('received', r'(\d+) packets? received by filter'),
                                              ('dropped', r'(\d+) packets? dropped by kernel'))
            for m in [re.search(pat, text)] if m}
    if len(nums) < 3:
        why.append('tcpdump printed no statistics')
    else:
        if nums['dropped']:
            why.append('tcpdump: %d dropped by kernel' % nums['dropped'])
        if nums['captured'] != nums['received']:
            why.append('tcpdump: %d received but %d written' % (nums['received'], nums['captured']))
    if summary.get('dropped'):
        why.append('netscope: %d dropped' % summary['dropped'])
    return why


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--label', required=True)
    ap.add_argument('--oracle', required=True)
    ap.add_argument('--pcap', required=True)
    ap.add_argument('--flows', required=True)
    ap.add_argument('--summary', required=True)
    ap.add_argument('--tcpdump-log', required=True)
    ap.add_argument('--vlan', type=int, default=0)
    ap.add_argument('--qinq')
    ap.add_argument('--stopped-at', type=float)
    ap.add_argument('--ours-pcap')
    a = ap.parse_args()
    R = Report(a.label)

    exp = json.load(open(a.oracle))
    summary = json.load(open(a.summary))
    try:
        recs = json.load(open(a.flows))
        R.check(isinstance(recs, list), 'flow export is one JSON array')
    except (OSError, ValueError) as e:
        R.check(False, 'flow export is one JSON array', str(e))
        recs = []
    tcp_recs = [r for r in recs if isinstance(r, dict) and r.get('ip_proto') == 6]
    R.info('netscope: %d records (%d TCP), %d packets; tshark: %d frames, %d TCP streams'
           % (len(recs), len(tcp_recs), summary.get('packets', -1), exp['packets'],
              len(exp['tcp_streams'])))

    drops = capture_drops(a.tcpdump_log, summary)
    for d in drops:
        R.info('capture loss: ' + d)

    # Tags: tshark must see them on every frame, and NetScope keys flows on the outer VID.
    want_vlan = a.vlan
    if a.qinq:
        outer, inner = (int(x) for x in a.qinq.split(','))
        want_vlan = outer
        R.check(exp['protocol_frames_any_layer'].get('qinq_2plus_tags') == exp['packets'],
                'tshark sees two tags on every frame')
        R.check(exp['vlan_ids'].get(str(outer)) == exp['packets'] and
                exp['vlan_ids'].get(str(inner)) == exp['packets'],
                'tshark sees VLAN %d and %d on every frame' % (outer, inner), exp['vlan_ids'])
    elif a.vlan:
        R.check(exp['vlan_ids'] == {str(a.vlan): exp['packets']},
                'tshark sees VLAN %d on every frame' % a.vlan, exp['vlan_ids'])
    bad_vlan = [r for r in tcp_recs if r.get('vlan') != want_vlan]
    R.check(tcp_recs and not bad_vlan, 'every TCP record has vlan %d' % want_vlan,
            '%d of %d differ, e.g. %s' % (len(bad_vlan), len(tcp_recs),
                                          bad_vlan[0].get('vlan') if bad_vlan else '-'))

    streams = {s['stream']: s for s in exp['tcp_streams']}
    by_key = {}
    for r in tcp_recs:
        k = (r['ip_version'], frozenset((ep(r['src_ip'], r['src_port']),
                                         ep(r['dst_ip'], r['dst_port']))))
        by_key.setdefault(k, []).append(r)
    flags = per_direction(a.pcap, streams)

    matched = set()
    own = None  # per_direction_by_ep() of own_captures(--ours-pcap), read when first needed
    tot = dict.fromkeys(FLAGS, 0)
    for sid in sorted(streams):
        s = streams[sid]
        cli, srv = ep(s['client_ip'], s['client_port']), ep(s['server_ip'], s['server_port'])
        name = 'stream %d %s:%d > %s:%d' % (sid, s['client_ip'], s['client_port'],
                                             s['server_ip'], s['server_port'])
        f = flags.get(sid, {'c2s': dict.fromkeys(FLAGS, 0), 's2c': dict.fromkeys(FLAGS, 0),
                            'irtt': None})
        for k in FLAGS:
            tot[k] += f['c2s'][k] + f['s2c'][k]
        if a.stopped_at is not None and s['first_ts'] >= a.stopped_at:
            R.info('%s began after netscope stopped; not expected' % name)
            continue
        k = (4 if cli[0].version == 4 else 6, frozenset((cli, srv)))
        rs = by_key.get(k, [])
        matched.add(k)
        if not R.check(len(rs) == 1, name + ' exported once',
                       '%d records%s' % (len(rs), ', end_reason ' +
                                         ','.join(r.get('end_reason', '?') for r in rs)
                                         if rs else '')):
            continue
        r = rs[0]
        t = r.get('tcp') or {}
        fwd = ep(r['src_ip'], r['src_port']) == cli
        R.check(fwd, name + ' same client as tshark', 'netscope src %s:%s' %
                (r['src_ip'], r['src_port']))
        ts, tc = ('toserver', 'toclient') if fwd else ('toclient', 'toserver')
        ours = {'pkts': (r['pkts_' + ts], r['pkts_' + tc]),
                'bytes': (r['bytes_' + ts], r['bytes_' + tc])}
        theirs = {'pkts': (s['packets_c2s'], s['packets_s2c']),
                  'bytes': (s['bytes_c2s'], s['bytes_s2c'])}
        fl = {'retrans': ('retransmission', 'retrans_'), 'ooo': ('out_of_order', 'ooo_'),
              'lost': ('lost_segment', 'lost_'), 'dupack': ('duplicate_ack', 'dupack_')}
        for key, (tf, nf) in fl.items():
            ours[key] = (t.get(nf + ts), t.get(nf + tc))
            theirs[key] = (f['c2s'][tf], f['s2c'][tf])
        ours['fast'] = t.get('fast_retrans')
        theirs['fast'] = f['c2s']['fast_retransmission'] + f['s2c']['fast_retransmission']
        ours['spurious'] = t.get('spurious_retrans')
        theirs['spurious'] = (f['c2s']['spurious_retransmission'] +
                              f['s2c']['spurious_retransmission'])
        R.info('%s ours/tshark (c2s,s2c): %s' % (name, '  '.join(
            '%s %s/%s' % (k, ours[k], theirs[k]) for k in ours)))
        # Cross-check the per-direction pass against the oracle's per-stream totals.
        for tf in ('retransmission', 'out_of_order'):
            if f['c2s'][tf] + f['s2c'][tf] != s[tf]:
                R.info('%s: per-direction %s %d != oracle %d' % (name, tf,
                       f['c2s'][tf] + f['s2c'][tf], s[tf]))

        if a.stopped_at is not None:
            R.check(0 < sum(ours['pkts']) and all(o <= e for o, e in zip(ours['pkts'],
                                                                        theirs['pkts'])),
                    name + ' packets seen before SIGINT', 'ours %s, tshark later %s' %
                    (ours['pkts'], theirs['pkts']))
            continue
        same = ours['pkts'] == theirs['pkts']
        if not same and drops:
            R.line('skip', name + ' packets per direction equal',
                   'ours %s tshark %s, capture loss: %s' % (ours['pkts'], theirs['pkts'],
                                                            '; '.join(drops)))
            continue
        R.check(same, name + ' packets per direction equal', 'ours %s tshark %s' %
                (ours['pkts'], theirs['pkts']))
        conv = conv_frames(exp, cli, srv)
        R.check(conv == ours['pkts'], name + ' packets equal tshark -z conv,tcp',
                'ours %s conv %s' % (ours['pkts'], conv))
        R.check(ours['bytes'] == theirs['bytes'], name + ' bytes per direction equal',
                'ours %s tshark %s' % (ours['bytes'], theirs['bytes']))
        if not same:
            R.info('%s: analysis not compared (different packets)' % name)
            continue
        keys = ('retrans', 'ooo', 'lost', 'dupack', 'fast', 'spurious')
        if any(ours[k] != theirs[k] for k in keys) and a.ours_pcap:
            if own is None:
                own = [per_direction_by_ep(p) for p in own_captures(a.ours_pcap)]
            for own_eps, what in zip(own, ('netscope\'s own capture',
                                           'netscope\'s own capture in microseconds')):
                mine = own_counts(own_eps, cli, srv)
                R.info('%s tshark on %s: %s' % (name, what, '  '.join(
                    '%s %s' % (k, mine[k]) for k in keys)))
                if timing_only(ours, theirs, mine):
                    theirs = dict(theirs, **{k: mine[k] for k in keys})
                    R.info('%s: analysis compared with tshark on %s (the captures differ '
                           'only by time-dependent classes)' % (name, what))
                    break
        for key in keys:
            R.check(ours[key] == theirs[key], '%s %s equal' % (name, key),
                    'ours %s tshark %s' % (ours[key], theirs[key]))
        irtt = t.get('rtt_handshake_us')
        want = None if f['irtt'] is None else f['irtt'] * 1e6
        R.check((irtt is None and want is None) or
                (irtt is not None and want is not None and abs(irtt - want) <= 1.0),
                name + ' handshake RTT equal', 'ours %s us, tshark %s us' % (irtt, want))

    extra = [k for k in by_key if k not in matched]
    if a.stopped_at is None:
        R.check(not extra, 'no TCP record without a tshark stream',
                '; '.join(str(sorted(map(str, k[1]))) for k in extra))
        R.check(tot['retransmission'] > 0, 'the impaired path caused retransmissions',
                'tshark: %d' % tot['retransmission'])
        R.check(tot['out_of_order'] > 0, 'the impaired path caused out-of-order segments',
                'tshark: %d' % tot['out_of_order'])
    else:
        rec_pkts = sum(r['pkts_toserver'] + r['pkts_toclient'] for r in tcp_recs)
        R.check(rec_pkts == summary['protocols']['tcp'],
                'every TCP packet counted is in a record', 'records %d, summary tcp %d' %
                (rec_pkts, summary['protocols']['tcp']))
    print('RESULT passed=%d failed=%d skipped=%d' % (R.n['ok'], R.n['FAIL'], R.n['skip']))
    return 1 if R.n['FAIL'] else 0


if __name__ == '__main__':
    sys.exit(main())
