/* SPDX-License-Identifier: MIT */
/*
 * Flow keys: both directions of a conversation land in one flow (IPv4, IPv6, with VLAN), the
 * initiator becomes src, VLAN ids split flows only when keyed, ICMP echo request and reply
 * meet, non-first fragments form their own (proto, 0/0) flow, and packets without an IP layer
 * are counted as untracked. The key builder of the burst pipeline is checked word for word
 * against the straightforward one it replaced, on random IPv4 and IPv6 tuples.
 */
#include "flow_priv.h"
#include "flow_test.h"

static void
test_symmetry_v4(void)
{
	struct ns_flow_table *t = table_new(1024, NULL);
	struct ns_pkt a = udp_pkt("10.0.0.2", 5000, "10.0.0.1", 53, 20);
	struct ns_pkt b = udp_pkt("10.0.0.1", 53, "10.0.0.2", 5000, 60);
	const struct ns_flow_record *r;

	CU_ASSERT_EQUAL(feed(t, &a, T0), 1);
	CU_ASSERT_EQUAL(feed(t, &b, T0 + MS), 1);
	CU_ASSERT_EQUAL(feed(t, &a, T0 + 2 * MS), 1);
	CU_ASSERT_EQUAL(flush_all(t), 1);
	r = &g_log.recs[0];
	CU_ASSERT_EQUAL(r->proto, 17);
	CU_ASSERT_EQUAL(r->ip_version, 4);
	CU_ASSERT_EQUAL(r->src_port, 5000); /* the first sender initiates a UDP flow */
	CU_ASSERT_EQUAL(r->dst_port, 53);
	CU_ASSERT_EQUAL(r->pkts[NS_FLOW_TOSERVER], 2);
	CU_ASSERT_EQUAL(r->pkts[NS_FLOW_TOCLIENT], 1);
	CU_ASSERT_EQUAL(r->bytes[NS_FLOW_TOSERVER], 2 * 62);
	CU_ASSERT_EQUAL(r->bytes[NS_FLOW_TOCLIENT], 102);
	CU_ASSERT_EQUAL(r->first_ns, T0);
	CU_ASSERT_EQUAL(r->last_ns, T0 + 2 * MS);
	CU_ASSERT_EQUAL(r->end_reason, NS_FLOW_END_SHUTDOWN);
	ns_flow_table_destroy(t);
}

static void
test_symmetry_v6(void)
{
	struct ns_flow_table *t = table_new(1024, NULL);
	struct ns_pkt a =
		tcp_pkt("2001:db8::9", 40000, "2001:db8::1", 443, NS_TCP_SYN, 1, 0, 1000, 0);
	struct ns_pkt b = tcp_pkt("2001:db8::1", 443, "2001:db8::9", 40000, NS_TCP_SYN | NS_TCP_ACK,
				  77, 2, 1000, 0);
	/* the same numbers as IPv4-mapped: must stay a different flow */
	struct ns_pkt c =
		tcp_pkt("::ffff:10.1.1.1", 1, "::ffff:10.1.1.2", 2, NS_TCP_ACK, 5, 5, 100, 0);
	struct ns_pkt d = tcp_pkt("10.1.1.1", 1, "10.1.1.2", 2, NS_TCP_ACK, 5, 5, 100, 0);

	feed(t, &a, T0);
	feed(t, &b, T0 + MS);
	feed(t, &c, T0 + 2 * MS);
	feed(t, &d, T0 + 3 * MS);
	CU_ASSERT_EQUAL(flush_all(t), 3);
	const struct ns_flow_record *r = rec_find("2001:db8::9", 40000);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->ip_version, 6);
	CU_ASSERT_EQUAL(r->pkts[NS_FLOW_TOSERVER], 1);
	CU_ASSERT_EQUAL(r->pkts[NS_FLOW_TOCLIENT], 1);
	CU_ASSERT_EQUAL(r->tcp_state, NS_FLOW_TCP_SYN_RECEIVED);
	ns_flow_table_destroy(t);
}

static void
test_synack_receiver_is_client(void)
{
	struct ns_flow_table *t = table_new(64, NULL);
	/* capture starts at the SYN/ACK: its receiver is the initiator */
	struct ns_pkt sa = tcp_pkt("10.0.0.1", 80, "10.0.0.9", 33000, NS_TCP_SYN | NS_TCP_ACK, 500,
				   101, 1000, 0);
	struct ns_pkt ack =
		tcp_pkt("10.0.0.9", 33000, "10.0.0.1", 80, NS_TCP_ACK, 101, 501, 1000, 0);

	feed(t, &sa, T0);
	feed(t, &ack, T0 + MS);
	CU_ASSERT_EQUAL(flush_all(t), 1);
	CU_ASSERT_PTR_NOT_NULL(rec_find("10.0.0.9", 33000));
	CU_ASSERT_EQUAL(g_log.recs[0].pkts[NS_FLOW_TOSERVER], 1);
	CU_ASSERT_EQUAL(g_log.recs[0].tcp_state, NS_FLOW_TCP_ESTABLISHED);
	CU_ASSERT_FALSE(g_log.recs[0].flags & NS_FLOW_REC_MIDSTREAM);
	ns_flow_table_destroy(t);
}

static void
test_vlan_keyed(void)
{
	struct ns_flow_table *t = table_new(64, NULL);
	struct ns_pkt a = udp_pkt("10.0.0.1", 1000, "10.0.0.2", 2000, 10);
	struct ns_pkt b = udp_pkt("10.0.0.2", 2000, "10.0.0.1", 1000, 10);

	a.vlan_count = b.vlan_count = 1;
	a.vlan[0] = b.vlan[0] = 42;
	feed(t, &a, T0);
	feed(t, &b, T0 + 1);
	b.vlan[0] = 43;
	feed(t, &b, T0 + 2);
	CU_ASSERT_EQUAL(flush_all(t), 2);
	for (unsigned i = 0; i < g_log.n; i++) {
		const struct ns_flow_record *r = &g_log.recs[i];

		if (r->vlan == 42) {
			CU_ASSERT_EQUAL(r->pkts[0] + r->pkts[1], 2);
		} else {
			CU_ASSERT_EQUAL(r->vlan, 43);
			CU_ASSERT_EQUAL(r->pkts[0], 1);
		}
	}
	ns_flow_table_destroy(t);
}

static void
test_vlan_not_keyed(void)
{
	struct ns_flow_params p;
	struct ns_flow_table *t;
	struct ns_pkt a = udp_pkt("10.0.0.1", 1000, "10.0.0.2", 2000, 10);

	ns_flow_params_default(&p);
	p.key_vlan = false;
	t = table_new(64, &p);
	a.vlan_count = 1;
	a.vlan[0] = 42;
	feed(t, &a, T0);
	a.vlan[0] = 43;
	feed(t, &a, T0 + 1);
	CU_ASSERT_EQUAL(flush_all(t), 1);
	CU_ASSERT_EQUAL(g_log.recs[0].vlan, 0);
	CU_ASSERT_EQUAL(g_log.recs[0].pkts[0], 2);
	ns_flow_table_destroy(t);
}

static struct ns_pkt
icmp_pkt(const char *src, const char *dst, uint8_t type, uint8_t code, uint16_t id)
{
	bool v6 = strchr(src, ':') != NULL;
	struct ns_pkt p = pkt_ip(src, dst, v6 ? 58 : 1, 98);

	p.l4 = v6 ? NS_L4_ICMPV6 : NS_L4_ICMP;
	p.icmp_type = type;
	p.icmp_code = code;
	p.icmp_id = id;
	return p;
}

static void
test_icmp_echo_meets(void)
{
	struct ns_flow_table *t = table_new(64, NULL);
	struct ns_pkt req = icmp_pkt("10.0.0.1", "10.0.0.2", 8, 0, 0x1234);
	struct ns_pkt rep = icmp_pkt("10.0.0.2", "10.0.0.1", 0, 0, 0x1234);
	struct ns_pkt other = icmp_pkt("10.0.0.1", "10.0.0.2", 8, 0, 0x1235);
	struct ns_pkt unreach = icmp_pkt("10.0.0.2", "10.0.0.1", 3, 3, 0);
	struct ns_pkt req6 = icmp_pkt("fe80::1", "fe80::2", 128, 0, 7);
	struct ns_pkt rep6 = icmp_pkt("fe80::2", "fe80::1", 129, 0, 7);

	feed(t, &req, T0);
	feed(t, &rep, T0 + 1);
	feed(t, &other, T0 + 2);
	feed(t, &unreach, T0 + 3);
	feed(t, &req6, T0 + 4);
	feed(t, &rep6, T0 + 5);
	CU_ASSERT_EQUAL(flush_all(t), 4);
	for (unsigned i = 0; i < g_log.n; i++) {
		const struct ns_flow_record *r = &g_log.recs[i];

		CU_ASSERT_EQUAL(r->src_port, 0);
		CU_ASSERT_EQUAL(r->dst_port, 0);
		if ((r->flags & NS_FLOW_REC_ICMP_ECHO) && r->icmp_id != 0x1235) {
			CU_ASSERT_EQUAL(r->pkts[0], 1);
			CU_ASSERT_EQUAL(r->pkts[1], 1);
			CU_ASSERT_EQUAL(r->icmp_type, r->proto == 1 ? 8 : 128);
		} else if (!(r->flags & NS_FLOW_REC_ICMP_ECHO)) {
			CU_ASSERT_EQUAL(r->icmp_type, 3);
			CU_ASSERT_EQUAL(r->icmp_code, 3);
		}
	}
	ns_flow_table_destroy(t);
}

static void
test_fragments(void)
{
	struct ns_flow_table *t = table_new(64, NULL);
	struct ns_pkt first = udp_pkt("10.0.0.1", 7000, "10.0.0.2", 7001, 1472);
	struct ns_pkt rest = pkt_ip("10.0.0.1", "10.0.0.2", 17, 600);
	struct ns_flow_stats st;

	first.frag = NS_FRAG_IS | NS_FRAG_FIRST | NS_FRAG_MORE;
	rest.l4 = NS_L4_FRAGMENT;
	rest.frag = NS_FRAG_IS;
	rest.frag_off = 1480;
	feed(t, &first, T0);
	feed(t, &rest, T0 + 1);
	CU_ASSERT_EQUAL(flush_all(t), 2);
	for (unsigned i = 0; i < g_log.n; i++) {
		const struct ns_flow_record *r = &g_log.recs[i];

		CU_ASSERT_EQUAL(r->proto, 17);
		CU_ASSERT_EQUAL(r->pkts[0], 1);
		if (r->src_port == 0)
			CU_ASSERT_EQUAL(r->bytes[0], 600);
	}
	ns_flow_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.created, 2);
	ns_flow_table_destroy(t);
}

static void
test_not_ip(void)
{
	struct ns_flow_table *t = table_new(64, NULL);
	struct ns_pkt pk[3];
	uint64_t ts[3] = { T0, T0 + 1, T0 + 2 };
	struct ns_flow_stats st;

	memset(pk, 0, sizeof(pk));
	pk[0].l3 = NS_L3_ARP; /* ARP: no flow */
	pk[1] = udp_pkt("10.0.0.1", 1, "10.0.0.2", 2, 0);
	pk[2].l3 = NS_L3_IPV4; /* IPv4 header cut short: addresses never read */
	pk[2].reason = NS_PARSE_R_IPV4_SHORT;
	CU_ASSERT_EQUAL(ns_flow_table_process_burst(t, pk, ts, 3), 1);
	ns_flow_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.packets, 3);
	CU_ASSERT_EQUAL(st.tracked, 1);
	CU_ASSERT_EQUAL(st.untracked[NS_FLOW_UNTRACKED_NOT_IP], 2);
	CU_ASSERT_EQUAL(flush_all(t), 1);
	ns_flow_table_destroy(t);
}

/* A TCP header cut short: counted under the ports read from the frame, never analysed. */
static void
test_truncated_tcp_header(void)
{
	struct ns_flow_table *t = table_new(64, NULL);
	uint8_t frame[34 + 12] = { 0 };
	struct ns_pkt p = pkt_ip("10.0.0.1", "10.0.0.2", 6, 1000);
	struct ns_flow_stats st;

	frame[34] = 0x30; /* sport 12336 */
	frame[35] = 0x30;
	frame[36] = 0x00; /* dport 80 */
	frame[37] = 0x50;
	p.data = frame;
	p.caplen = sizeof(frame);
	p.l4 = NS_L4_TCP;
	p.reason = NS_PARSE_R_TCP_SHORT;
	p.verdict = NS_PARSE_TRUNCATED;
	feed(t, &p, T0);
	CU_ASSERT_EQUAL(flush_all(t), 1);
	CU_ASSERT_EQUAL(g_log.recs[0].src_port, 12336);
	CU_ASSERT_EQUAL(g_log.recs[0].dst_port, 80);
	CU_ASSERT_EQUAL(g_log.recs[0].bytes[0], 1000);
	ns_flow_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.tcp_skipped[NS_FLOW_TCP_SKIP_HEADER], 1);
	ns_flow_table_destroy(t);
}

/*
 * A first IPv4 fragment that ends 8 bytes into its TCP header, as ns_parse() leaves it (TCP,
 * no payload offset, verdict OK): keyed under the ports read from the frame, never analysed.
 */
static void
test_first_fragment_short_tcp_header(void)
{
	static const uint8_t frame[60] = {
		2,    0,    0,    0,    0,    2,    2,    0,    0,  0, 0, 1, 0x08,
		0x00, /* Ethernet */
		0x45, 0,    0,    28,   0x12, 0x34, 0x20, 0x00, /* Total Length 28, MF, offset 0 */
		64,   6,    0,    0,    10,   0,    0,    1,    10, 0, 0, 2, /* TCP, 10.0.0.1
										-> 10.0.0.2 */
		0x0f, 0xa0, 0x00, 0x50, 0,    0,    0,    1, /* 4000 -> 80, sequence 1; the rest
								follows */
	};
	struct ns_flow_table *t = table_new(64, NULL);
	struct ns_flow_stats st;
	struct ns_pkt p;

	CU_ASSERT_EQUAL(ns_parse(NS_LINK_EN10MB, frame, sizeof(frame), sizeof(frame), &p),
			NS_PARSE_OK);
	CU_ASSERT_EQUAL(p.l4, NS_L4_TCP);
	CU_ASSERT_EQUAL(p.payload_off, 0);
	feed(t, &p, T0);
	ns_flow_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.tracked, 1);
	CU_ASSERT_EQUAL(st.tcp_skipped[NS_FLOW_TCP_SKIP_FRAGMENT], 1);
	CU_ASSERT_EQUAL(flush_all(t), 1);
	CU_ASSERT_EQUAL(g_log.recs[0].proto, 6);
	CU_ASSERT_EQUAL(g_log.recs[0].src_port, 4000);
	CU_ASSERT_EQUAL(g_log.recs[0].dst_port, 80);
	CU_ASSERT_EQUAL(g_log.recs[0].tcp_state, NS_FLOW_TCP_MIDSTREAM);
	CU_ASSERT_EQUAL(g_log.recs[0].tcp_flags[0] | g_log.recs[0].tcp_flags[1], 0);
	ns_flow_table_destroy(t);
}

/* ---- the key builder against the reference (the straightforward key it replaced) ---- */

static uint16_t
ref_rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static int
ref_addr_cmp(const struct ns_addr *a, const struct ns_addr *b)
{
	return memcmp(a->b, b->b, 16);
}

/* flow_table.c's build_key() before the one-pass key_make(): field by field, with branches. */
static bool
ref_build_key(bool key_vlan, const struct ns_pkt *p, struct flow_key *k, unsigned *dir)
{
	uint16_t sport = 0, dport = 0;
	uint8_t kind = 0;
	int c;

	memset(k, 0, sizeof(*k));
	if (p->ip_version != 4 && p->ip_version != 6)
		return false;
	switch (p->l4) {
	case NS_L4_TCP:
	case NS_L4_UDP:
		sport = p->sport;
		dport = p->dport;
		if (sport == 0 && dport == 0 && p->payload_off == 0 && p->data != NULL &&
		    p->l4_off != 0 && p->caplen >= p->l4_off + 4) {
			sport = ref_rd16(p->data + p->l4_off);
			dport = ref_rd16(p->data + p->l4_off + 2);
		}
		break;
	case NS_L4_ICMP:
	case NS_L4_ICMPV6:
		if (p->l4 == NS_L4_ICMP ? p->icmp_type == 8 || p->icmp_type == 0
					: p->icmp_type == 128 || p->icmp_type == 129) {
			sport = dport = p->icmp_id;
			kind = KEY_KIND_ICMP_ECHO;
		} else if (p->sport != 0 || p->dport != 0) {
			sport = p->sport;
			dport = p->dport;
			kind = KEY_KIND_ICMP_QUOTE;
		} else {
			sport = dport = (uint16_t)(p->icmp_type << 8 | p->icmp_code);
		}
		break;
	default:
		break;
	}
	c = ref_addr_cmp(&p->src, &p->dst);
	if (c < 0 || (c == 0 && sport <= dport)) {
		memcpy(k->addr_lo, p->src.b, 16);
		memcpy(k->addr_hi, p->dst.b, 16);
		k->port_lo = sport;
		k->port_hi = dport;
		*dir = 0;
	} else {
		memcpy(k->addr_lo, p->dst.b, 16);
		memcpy(k->addr_hi, p->src.b, 16);
		k->port_lo = dport;
		k->port_hi = sport;
		*dir = 1;
	}
	k->vlan = (key_vlan && p->vlan_count != 0) ? p->vlan[0] : 0;
	k->proto = p->ip_proto;
	k->ip_ver = (uint8_t)(p->ip_version | kind);
	return true;
}

/*
 * The table's hash as it stood when stage 1 got its IPv4 path (frozen here, so a change to
 * either hash or to the words fed to it fails): two CRC32C lanes, the second over every word
 * with its halves swapped, or the portable multiply-rotate mix; an IPv4 key skips words 0 and 2.
 */
static uint64_t
ref_rotl(uint64_t v, unsigned r)
{
	return (v << r) | (v >> (64 - r));
}

static uint64_t
ref_finish(uint64_t x, uint64_t s)
{
	x = (x ^ s) * 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 32);
}

#if defined(__x86_64__)
static uint64_t
ref_crc32q(uint64_t crc, uint64_t v)
{
	__asm__("crc32q %1, %0" : "+r"(crc) : "r"(v));
	return crc;
}
#endif

static uint64_t
ref_mix(uint64_t h, uint64_t w)
{
	h ^= w * 0xc2b2ae3d27d4eb4full;
	return ref_rotl(h, 31) * 0x9e3779b185ebca87ull;
}

static uint64_t
ref_hash(const struct ns_flow_table *t, const struct flow_key *k)
{
	uint64_t w[5];
	bool v4 = (k->ip_ver & KEY_VER_MASK) == 4;

	memcpy(w, k, sizeof(w));
	if (t->hash_crc) {
#if defined(__x86_64__)
		uint64_t a = (uint32_t)t->seed[0], b = (uint32_t)t->seed[1];

		for (unsigned i = 0; i < 5; i++) {
			if (v4 && (i == 0 || i == 2))
				continue;
			a = ref_crc32q(a, w[i]);
			b = ref_crc32q(b, ref_rotl(w[i], 32));
		}
		return ref_finish(a << 32 | (uint32_t)b, t->seed[2]);
#else
		CU_FAIL("CRC32C hash selected on a CPU without it");
		return 0;
#endif
	}
	uint64_t h = t->seed[0];

	for (unsigned i = 0; i < 5; i++)
		if (!v4 || (i != 0 && i != 2))
			h = ref_mix(h, w[i]);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	return ref_finish(h, t->seed[2]);
}

static uint64_t krng = 0x243f6a8885a308d3ull;

static uint32_t
krnd(uint32_t n)
{
	krng ^= krng >> 12;
	krng ^= krng << 25;
	krng ^= krng >> 27;
	return (uint32_t)((krng * 0x2545f4914f6cdd1dull) >> 33) % n;
}

/* An address from a small pool, so equal addresses, equal prefixes and equal /80s all occur. */
static void
rand_addr(struct ns_addr *a, unsigned ver)
{
	static const char *const v6[] = {
		"2001:db8::1", "2001:db8::2",     "2001:db8:0:0:1::1", "2001:db8:0:0:ffff::7",
		"fe80::1",     "::ffff:10.0.0.1", "2001:db8:1::1",     "::",
	};

	if (ver == 4) {
		uint32_t v = krnd(4) == 0 ? 0x0a000001u + krnd(3) : (uint32_t)krnd(1u << 31) << 1;

		addr_of(a, "0.0.0.0");
		a->b[12] = (uint8_t)(v >> 24);
		a->b[13] = (uint8_t)(v >> 16);
		a->b[14] = (uint8_t)(v >> 8);
		a->b[15] = (uint8_t)v;
	} else {
		addr_of(a, v6[krnd(sizeof(v6) / sizeof(v6[0]))]);
		if (krnd(3) == 0)
			a->b[krnd(16)] ^= (uint8_t)(1u << krnd(8));
	}
}

/*
 * A parsed packet as ns_parse() could fill it, or worse: IPv4 with TCP/UDP ports in most (the
 * stage's IPv4 path), ports 0 on one or both sides, ICMP echo, errors and others, fragments,
 * other protocols, no IP layer, VLAN ids with and without a tag counted, and now and then an
 * "IPv4" packet whose addresses are not mapped (the same bit flipped in the first 12 bytes of
 * both, which the IPv4 path keeps, or of one, bytes 8..11 included, which it must leave to the
 * general path).
 */
static struct ns_pkt
rand_pkt(uint8_t frame[64])
{
	static const enum ns_l4 l4s[] = { NS_L4_TCP,      NS_L4_UDP,   NS_L4_ICMP, NS_L4_ICMPV6,
					  NS_L4_FRAGMENT, NS_L4_OTHER, NS_L4_NONE };
	static const uint8_t protos[] = { 6, 17, 1, 58, 6, 47, 0 };
	unsigned ver = krnd(8) == 0 ? 7 * krnd(2) : (krnd(3) ? 4 : 6); /* some not IP */
	unsigned l = krnd(4) ? krnd(2) : krnd(7);
	struct ns_pkt p;

	memset(&p, 0, sizeof(p));
	rand_addr(&p.src, ver == 6 ? 6 : 4);
	rand_addr(&p.dst, ver == 6 ? 6 : 4);
	if (krnd(6) == 0)
		p.dst = p.src;
	if (ver == 4 && krnd(8) == 0) {
		unsigned at = krnd(12), bit = krnd(8), who = krnd(3);

		if (who != 1)
			p.src.b[at] ^= (uint8_t)(1u << bit);
		if (who != 0)
			p.dst.b[at] ^= (uint8_t)(1u << bit);
	}
	p.ip_version = (uint8_t)ver;
	p.l4 = l4s[l];
	p.ip_proto = krnd(8) ? protos[l] : (uint8_t)krnd(256);
	p.sport = (uint16_t)(krnd(4) == 0 ? krnd(3) : krnd(65536));
	p.dport = (uint16_t)(krnd(4) == 0 ? krnd(3) : krnd(65536));
	if (krnd(3) == 0)
		p.dport = p.sport;
	p.icmp_type = (uint8_t)(krnd(2) ? krnd(4) * 8 % 9 : 128 + krnd(3));
	p.icmp_code = (uint8_t)krnd(4);
	p.icmp_id = (uint16_t)krnd(65536);
	p.vlan_count = (uint8_t)krnd(3);
	p.vlan[0] = (uint16_t)(krnd(8) ? krnd(4096) : krnd(65536));
	p.vlan[1] = (uint16_t)krnd(4096);
	p.ttl = (uint8_t)krnd(256);
	p.frag = (uint8_t)(krnd(4) == 0 ? NS_FRAG_IS | NS_FRAG_FIRST : 0);
	/* a transport header cut short: ports 0/0, the first 4 bytes in the frame */
	p.l4_off = 34;
	p.payload_off = krnd(2) ? 0 : 54;
	for (unsigned i = 0; i < 64; i++)
		frame[i] = (uint8_t)krnd(256);
	p.data = frame;
	p.caplen = 30 + krnd(34);
	return p;
}

/* What stage 1's IPv4 path takes (the rest goes the general way). */
static bool
takes_v4_path(const struct ns_pkt *p)
{
	return p->ip_version == 4 && (p->l4 == NS_L4_TCP || p->l4 == NS_L4_UDP) &&
	       (p->sport | p->dport) != 0 && memcmp(p->src.b, p->dst.b, 12) == 0;
}

struct key_run_counts {
	unsigned ok, swapped, v4_path, v4_unmapped, other;
};

/*
 * One packet's results from stage 1 against the reference builder, the frozen hash and the
 * general builder alone.
 */
static void
key_check(struct ns_flow_table *t, bool key_vlan, const struct ns_pkt *p,
	  const struct flow_key *got, unsigned gdir, uint64_t h, struct key_run_counts *c)
{
	struct flow_key want, gen;
	unsigned wdir = 9, edir = 9;
	uint64_t eh = 1, hb = 1;
	bool w = ref_build_key(key_vlan, p, &want, &wdir);

	memset(&gen, 0x5a, sizeof(gen));
	CU_ASSERT_EQUAL_FATAL(flow_key_of_general(t, p, &gen, &edir, &eh), w);
	if (!w) {
		CU_ASSERT_EQUAL_FATAL(got->ip_ver, 0);
		CU_ASSERT_EQUAL_FATAL(h, 0);
		return;
	}
	c->ok++;
	c->swapped += wdir;
	if (takes_v4_path(p)) {
		c->v4_path++;
		c->v4_unmapped += !ns_addr_is_v4(&p->src);
	} else {
		c->other++;
	}
	CU_ASSERT_EQUAL_FATAL(memcmp(got, &want, sizeof(*got)), 0);
	CU_ASSERT_EQUAL_FATAL(gdir, wdir);
	CU_ASSERT_EQUAL_FATAL(h, ref_hash(t, &want));
	/* the IPv4 path against the general one, byte for byte */
	CU_ASSERT_EQUAL_FATAL(memcmp(&gen, got, sizeof(gen)), 0);
	CU_ASSERT_EQUAL_FATAL(edir, gdir);
	CU_ASSERT_EQUAL_FATAL(eh, h);
	/* the fused hash is the one flow_unlink() and the bulk path compute */
	flow_hash_keys(t, got, 1, &hb);
	CU_ASSERT_EQUAL_FATAL(h, hb);
}

/* Random bursts of 1..32 packets through stage 1, every packet checked. */
static void
key_equal_run(bool key_vlan, bool portable)
{
	struct ns_flow_params pp;
	struct ns_flow_table *t;
	struct key_run_counts c = { 0 };
	unsigned total = 0;

	ns_flow_params_default(&pp);
	pp.key_vlan = key_vlan;
	t = table_new(1024, &pp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	if (portable)
		CU_ASSERT_EQUAL(flow_hash_use_portable(t), 0);
#if defined(__x86_64__)
	CU_ASSERT_EQUAL(t->hash_crc, !portable && __builtin_cpu_supports("sse4.2"));
#endif
	while (total < 200000) {
		uint8_t frames[NS_FLOW_BURST][64];
		struct ns_pkt pk[NS_FLOW_BURST];
		struct flow_key got[NS_FLOW_BURST];
		unsigned dirs[NS_FLOW_BURST];
		uint64_t hv[NS_FLOW_BURST];
		unsigned n = 1 + krnd(NS_FLOW_BURST);

		for (unsigned i = 0; i < n; i++)
			pk[i] = rand_pkt(frames[i]);
		memset(got, 0xa5, sizeof(got));
		flow_keys_of(t, pk, n, got, dirs, hv);
		for (unsigned i = 0; i < n; i++)
			key_check(t, key_vlan, &pk[i], &got[i], dirs[i], hv[i], &c);
		total += n;
	}
	CU_ASSERT_TRUE(c.ok > 150000);
	CU_ASSERT_TRUE(c.swapped > c.ok / 4 && c.swapped < c.ok * 3 / 4);
	CU_ASSERT_TRUE(c.v4_path > 60000);
	CU_ASSERT_TRUE(c.v4_unmapped > 1000);
	CU_ASSERT_TRUE(c.other > 60000);
	ns_flow_table_destroy(t);
}

static void
test_key_builder_vlan_keyed(void)
{
	key_equal_run(true, false);
}

static void
test_key_builder_vlan_not_keyed(void)
{
	key_equal_run(false, false);
}

static void
test_key_builder_portable_hash(void)
{
	key_equal_run(true, true);
}

static void
test_key_builder_portable_hash_vlan_not_keyed(void)
{
	key_equal_run(false, true);
}

/*
 * Hand-picked IPv4 edges through both paths: equal addresses with ports deciding (and equal
 * ports), one port 0, addresses differing only in their top or bottom byte, all-ones, VLAN ids
 * past 12 bits and a stale id without a tag, ICMP echo and an error quoting ports, a non-first
 * fragment, each in both directions and in one burst.
 */
static void
test_key_builder_v4_edges(void)
{
	static const struct {
		const char *a, *b;
		uint16_t pa, pb;
	} tup[] = {
		{ "10.0.0.1", "10.0.0.1", 5, 6 },
		{ "10.0.0.1", "10.0.0.1", 7, 7 },
		{ "10.0.0.1", "10.0.0.2", 0, 80 },
		{ "10.0.0.1", "10.0.0.2", 80, 0 },
		{ "1.0.0.0", "2.0.0.0", 65535, 1 },
		{ "0.0.0.1", "0.0.0.2", 1, 65535 },
		{ "0.0.0.0", "255.255.255.255", 1, 1 },
		{ "255.255.255.255", "255.255.255.254", 65535, 65535 },
		{ "128.0.0.0", "127.255.255.255", 2, 1 },
	};
	for (unsigned portable = 0; portable < 2; portable++)
		for (unsigned kv = 0; kv < 2; kv++) {
			struct ns_flow_params pp;
			struct ns_flow_table *t;
			struct ns_pkt pk[NS_FLOW_BURST];
			struct flow_key got[NS_FLOW_BURST];
			unsigned dirs[NS_FLOW_BURST], n = 0;
			uint64_t hv[NS_FLOW_BURST];
			struct key_run_counts c = { 0 };

			ns_flow_params_default(&pp);
			pp.key_vlan = kv;
			t = table_new(64, &pp);
			if (portable)
				CU_ASSERT_EQUAL(flow_hash_use_portable(t), 0);
			for (unsigned i = 0; i < NS_ARRAY_SIZE(tup); i++)
				for (unsigned rev = 0; rev < 2; rev++) {
					struct ns_pkt *p = &pk[n++];

					*p = rev ? udp_pkt(tup[i].b, tup[i].pb, tup[i].a, tup[i].pa, 1)
						 : tcp_pkt(tup[i].a, tup[i].pa, tup[i].b, tup[i].pb,
							   NS_TCP_ACK, 1, 1, 100, 0);
					p->vlan_count = (uint8_t)(i % 3 != 0);
					p->vlan[0] = (uint16_t)(i % 2 ? 0xffff : 0x0fff);
				}
			pk[n] = icmp_pkt("10.0.0.2", "10.0.0.1", 8, 0, 9);
			pk[n + 1] = icmp_pkt("10.0.0.2", "10.0.0.1", 3, 3, 0);
			pk[n + 1].sport = 53;
			pk[n + 1].dport = 4000;
			pk[n + 2] = pkt_ip("10.0.0.1", "10.0.0.2", 17, 600);
			pk[n + 2].l4 = NS_L4_FRAGMENT;
			pk[n + 2].frag = NS_FRAG_IS;
			n += 3;
			CU_ASSERT_FATAL(n <= NS_FLOW_BURST);
			flow_keys_of(t, pk, n, got, dirs, hv);
			for (unsigned i = 0; i < n; i++)
				key_check(t, kv, &pk[i], &got[i], dirs[i], hv[i], &c);
			CU_ASSERT_EQUAL(c.ok, n);
			CU_ASSERT_EQUAL(c.v4_path, n - 3); /* all but ICMP and the fragment */
			/* both directions of a conversation share one key but for the protocol */
			for (unsigned i = 0; i < n - 3; i += 2) {
				unsigned same = tup[i / 2].pa == tup[i / 2].pb &&
						strcmp(tup[i / 2].a, tup[i / 2].b) == 0;

				CU_ASSERT_EQUAL(memcmp(&got[i], &got[i + 1], 38), 0);
				CU_ASSERT_EQUAL(dirs[i] ^ dirs[i + 1], !same);
			}
			ns_flow_table_destroy(t);
		}
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_symmetry_v4),
	NS_TEST(test_symmetry_v6),
	NS_TEST(test_synack_receiver_is_client),
	NS_TEST(test_vlan_keyed),
	NS_TEST(test_vlan_not_keyed),
	NS_TEST(test_icmp_echo_meets),
	NS_TEST(test_fragments),
	NS_TEST(test_not_ip),
	NS_TEST(test_truncated_tcp_header),
	NS_TEST(test_first_fragment_short_tcp_header),
	NS_TEST(test_key_builder_vlan_keyed),
	NS_TEST(test_key_builder_vlan_not_keyed),
	NS_TEST(test_key_builder_portable_hash),
	NS_TEST(test_key_builder_portable_hash_vlan_not_keyed),
	NS_TEST(test_key_builder_v4_edges),
};

NS_TEST_MAIN("flow_key", cases)
