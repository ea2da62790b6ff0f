/* SPDX-License-Identifier: MIT */
/*
 * The software RSS hash: symmetric for random IPv4 and IPv6 5-tuples, and even enough over
 * 2 and 4 workers that no worker gets more than its share plus 5%; a frame cut inside its
 * transport header hashes with its flow.
 */
#include <stdlib.h>
#include <string.h>

#include "ns_pipeline.h"
#include "ns_test.h"

static uint64_t rng = 0x853c49e6748fea9bULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void
random_pkt(struct ns_pkt *p, bool v6)
{
	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < 16; i++) {
		p->src.b[i] = (uint8_t)rnd();
		p->dst.b[i] = (uint8_t)rnd();
	}
	if (!v6) { /* ::ffff:a.b.c.d */
		memset(p->src.b, 0, 10);
		memset(p->dst.b, 0, 10);
		p->src.b[10] = p->src.b[11] = p->dst.b[10] = p->dst.b[11] = 0xff;
	}
	p->ip_version = v6 ? 6 : 4;
	p->ip_proto = rnd() & 1 ? 6 : 17;
	p->sport = (uint16_t)rnd();
	p->dport = (uint16_t)rnd();
}

static void
swap_dirs(const struct ns_pkt *p, struct ns_pkt *r)
{
	*r = *p;
	r->src = p->dst;
	r->dst = p->src;
	r->sport = p->dport;
	r->dport = p->sport;
}

static void
check_family(bool v6)
{
	unsigned asym = 0, per2[2] = { 0 }, per4[4] = { 0 };
	const unsigned n = 100000;

	for (unsigned i = 0; i < n; i++) {
		struct ns_pkt p, r;
		uint32_t h;

		random_pkt(&p, v6);
		swap_dirs(&p, &r);
		h = ns_pipeline_sym_hash(&p);
		if (h != ns_pipeline_sym_hash(&r))
			asym++;
		per2[h % 2]++;
		per4[h % 4]++;
	}
	CU_ASSERT_EQUAL(asym, 0);
	for (unsigned i = 0; i < 2; i++)
		CU_ASSERT(per2[i] < n / 2 + n / 20);
	for (unsigned i = 0; i < 4; i++)
		CU_ASSERT(per4[i] < n / 4 + n / 20);
}

static void
test_symmetric_ipv4(void)
{
	check_family(false);
}

static void
test_symmetric_ipv6(void)
{
	check_family(true);
}

static void
test_same_endpoints_distinct_ports(void)
{
	struct ns_pkt a, b;

	random_pkt(&a, false);
	a.dst = a.src; /* a flow to itself: ports decide the order */
	swap_dirs(&a, &b);
	CU_ASSERT_EQUAL(ns_pipeline_sym_hash(&a), ns_pipeline_sym_hash(&b));
	b = a;
	b.dport++;
	CU_ASSERT_NOT_EQUAL(ns_pipeline_sym_hash(&a), ns_pipeline_sym_hash(&b));
}

/* Ethernet, IPv4 (10.0.0.1 -> 10.0.0.2, or reversed), TCP @sport -> @dport, 20-byte header. */
static void
tcp_frame(uint8_t f[54], bool reverse, uint16_t sport, uint16_t dport)
{
	static const uint8_t eth_ip[34] = {
		0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00, /* Ethernet, IPv4 */
		0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, /* 40 bytes, TTL 64, TCP */
		10, 0, 0, 1, 10, 0, 0, 2,
	};

	memset(f, 0, 54);
	memcpy(f, eth_ip, sizeof(eth_ip));
	if (reverse) {
		f[29] = 2;
		f[33] = 1;
	}
	f[34] = (uint8_t)(sport >> 8);
	f[35] = (uint8_t)sport;
	f[36] = (uint8_t)(dport >> 8);
	f[37] = (uint8_t)dport;
	f[46] = 5 << 4; /* data offset */
	f[47] = 0x10; /* ACK */
}

/*
 * A frame cut inside its TCP header (snaplen) has no parsed ports, yet the flow key files it
 * under the ports in the bytes it has (ns_pkt_ports()): it must hash like the flow's whole
 * frames, in both directions, or dispatch splits the flow over two workers.
 */
static void
test_cut_transport_header(void)
{
	uint8_t whole[54], cut[54];
	struct ns_pkt a, b;

	tcp_frame(whole, false, 40000, 443);
	CU_ASSERT_EQUAL(ns_parse(NS_LINK_EN10MB, whole, 54, 54, &a), NS_PARSE_OK);
	CU_ASSERT_EQUAL(a.sport, 40000);
	for (unsigned caplen = 38; caplen < 54; caplen += 5) {
		tcp_frame(cut, true, 443, 40000);
		ns_parse(NS_LINK_EN10MB, cut, caplen, 54, &b);
		CU_ASSERT_EQUAL(b.sport, 0); /* the parser left them out */
		CU_ASSERT_EQUAL(ns_pkt_ports(&b), 443u << 16 | 40000);
		CU_ASSERT_EQUAL(ns_pipeline_sym_hash(&b), ns_pipeline_sym_hash(&a));
	}
	/* another flow's cut frame hashes apart (its ports do count) */
	tcp_frame(cut, true, 443, 40001);
	ns_parse(NS_LINK_EN10MB, cut, 40, 54, &b);
	CU_ASSERT_NOT_EQUAL(ns_pipeline_sym_hash(&b), ns_pipeline_sym_hash(&a));
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_symmetric_ipv4),
	NS_TEST(test_symmetric_ipv6),
	NS_TEST(test_same_endpoints_distinct_ports),
	NS_TEST(test_cut_transport_header),
};

NS_TEST_MAIN("pipeline_hash", cases)
