/* SPDX-License-Identifier: MIT */
/*
 * Every reason code in NS_PARSE_REASONS, triggered by a crafted frame, with the TRUNCATED
 * (snaplen cut, header within the wire length) versus MALFORMED (frame too short or lengths
 * inconsistent) split checked on both sides. The last tests parse every prefix of valid frames
 * from an exact-size heap copy, so AddressSanitizer proves no read past caplen, and check that
 * a test above triggered each reason.
 */
#include <stdio.h>

#include "ns_core.h"
#include "ns_test.h"
#include "pkt_build.h"

#define BIT(name) NS_LAYER_BIT(name)

static bool seen[NS_PARSE_REASON_MAX];

/* Parse and check verdict and reason; CUnit reports the caller's line. */
#define EXPECT(lt, p, cap, wire, v, r)                      \
	do {                                                \
		struct ns_pkt x_;                           \
		parse_exact((lt), (p), (cap), (wire), &x_); \
		CU_ASSERT_EQUAL(x_.verdict, (v));           \
		CU_ASSERT_EQUAL(x_.reason, (r));            \
		if (x_.reason == (r) && x_.verdict == (v))  \
			seen[r] = true;                     \
	} while (0)

/* A header cut at @cap: TRUNCATED when the wire had the whole frame, MALFORMED when not. */
#define EXPECT_CUT(lt, p, cap, r)                                            \
	do {                                                                 \
		EXPECT((lt), (p), (cap), (p)->len, NS_PARSE_TRUNCATED, (r)); \
		EXPECT((lt), (p), (cap), (cap), NS_PARSE_MALFORMED, (r));    \
	} while (0)

static void
build_tcp4(struct pb *p, const uint8_t *opts, uint8_t optlen)
{
	uint32_t ip;

	pb_eth(p, 0x0800);
	ip = pb_ipv4(p, 6, 0, 0);
	pb_tcp(p, 1, 2, 3, 4, NS_TCP_ACK, 5, opts, optlen);
	pb_put(p, NULL, 10);
	pb_ipv4_done(p, ip);
}

static void
build_l4_in_ipv4(struct pb *p, uint8_t proto, uint16_t l4len)
{
	uint32_t ip;

	pb_eth(p, 0x0800);
	ip = pb_ipv4(p, proto, 0, 0);
	pb_put(p, NULL, l4len);
	pb_ipv4_done(p, ip);
}

static void
test_reason_none(void)
{
	struct pb p = { .len = 0 };

	build_tcp4(&p, NULL, 0);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_OK, NS_PARSE_R_NONE);
	/* payload cut by the snaplen is not a header cut: still OK */
	EXPECT(NS_LINK_EN10MB, &p, p.len - 5, p.len, NS_PARSE_OK, NS_PARSE_R_NONE);
}

static void
test_linktype(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	build_tcp4(&p, NULL, 0);
	EXPECT(147, &p, p.len, p.len, NS_PARSE_UNSUPPORTED, NS_PARSE_R_LINKTYPE);
	EXPECT(-1, &p, p.len, p.len, NS_PARSE_UNSUPPORTED, NS_PARSE_R_LINKTYPE);
	parse_all(147, &p, &pkt);
	CU_ASSERT_EQUAL(pkt.layers, 0);
}

static void
test_link_short(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	build_tcp4(&p, NULL, 0);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 13, NS_PARSE_R_LINK_SHORT);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 0, NS_PARSE_R_LINK_SHORT);
	EXPECT_CUT(NS_LINK_LINUX_SLL, &p, 15, NS_PARSE_R_LINK_SHORT);
	EXPECT_CUT(NS_LINK_LINUX_SLL2, &p, 19, NS_PARSE_R_LINK_SHORT);
	EXPECT_CUT(NS_LINK_NULL, &p, 3, NS_PARSE_R_LINK_SHORT);
	EXPECT_CUT(NS_LINK_LOOP, &p, 2, NS_PARSE_R_LINK_SHORT);
	/* the link type announced the layer: it is counted */
	parse_exact(NS_LINK_EN10MB, &p, 10, 10, &pkt);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH));
}

static void
test_null_family(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	pb_put(&p, (const uint8_t[]){ 99, 0, 0, 0 }, 4);
	pb_put(&p, NULL, 40);
	EXPECT(NS_LINK_NULL, &p, p.len, p.len, NS_PARSE_UNSUPPORTED, NS_PARSE_R_NULL_FAMILY);
	/* LOOP reads network order: 99 << 24 is no family */
	EXPECT(NS_LINK_LOOP, &p, p.len, p.len, NS_PARSE_UNSUPPORTED, NS_PARSE_R_NULL_FAMILY);
	parse_all(NS_LINK_NULL, &p, &pkt);
	CU_ASSERT_EQUAL(pkt.layers, BIT(OTHER));
	CU_ASSERT_EQUAL(pkt.l3, NS_L3_OTHER);
}

static void
test_vlan_short(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	pb_eth(&p, 0x8100);
	pb_vlan(&p, 5, 0x88a8);
	pb_vlan(&p, 6, 0x0806);
	pb_arp(&p, 1);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 16, NS_PARSE_R_VLAN_SHORT);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 21, NS_PARSE_R_VLAN_SHORT);
	parse_exact(NS_LINK_EN10MB, &p, 21, 21, &pkt);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(VLAN) | BIT(QINQ));
	CU_ASSERT_EQUAL(pkt.vlan_count, 1);
}

static void
test_vlan_depth(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	pb_eth(&p, 0x8100);
	for (unsigned i = 0; i < NS_PROTO_VLAN_MAX; i++)
		pb_vlan(&p, (uint16_t)(i + 1), i + 1 < NS_PROTO_VLAN_MAX ? 0x8100 : 0x0806);
	pb_arp(&p, 1);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.vlan_count, NS_PROTO_VLAN_MAX);

	p.len = 0;
	pb_eth(&p, 0x8100);
	for (unsigned i = 0; i <= NS_PROTO_VLAN_MAX; i++)
		pb_vlan(&p, (uint16_t)(i + 1), i < NS_PROTO_VLAN_MAX ? 0x8100 : 0x0806);
	pb_arp(&p, 1);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_UNSUPPORTED, NS_PARSE_R_VLAN_DEPTH);
	parse_all(NS_LINK_EN10MB, &p, &pkt);
	CU_ASSERT_EQUAL(pkt.vlan_count, NS_PROTO_VLAN_MAX);
	CU_ASSERT_EQUAL(pkt.vlan[0], 1);
	CU_ASSERT_EQUAL(pkt.vlan[1], 2);
}

static void
test_arp_short(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	pb_eth(&p, 0x0806);
	pb_arp(&p, 1);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 14 + 7, NS_PARSE_R_ARP_SHORT);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 14 + 27, NS_PARSE_R_ARP_SHORT);
	parse_exact(NS_LINK_EN10MB, &p, 20, 20, &pkt);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(ARP));
}

static void
test_ip_version(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	/* ethertype IPv4, version 6: wrong bytes, so MALFORMED even when the snaplen cut it */
	build_tcp4(&p, NULL, 0);
	p.b[14] = 0x65;
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_IP_VERSION);
	EXPECT(NS_LINK_EN10MB, &p, 20, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_IP_VERSION);
	parse_all(NS_LINK_EN10MB, &p, &pkt);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV4));
	CU_ASSERT_EQUAL(pkt.ip_version, 0);

	/* raw link, version 3: no layer at all */
	p.len = 0;
	pb_u8(&p, 0x30);
	EXPECT(NS_LINK_RAW, &p, 1, 1000, NS_PARSE_MALFORMED, NS_PARSE_R_IP_VERSION);
	parse_exact(NS_LINK_RAW, &p, 1, 1000, &pkt);
	CU_ASSERT_EQUAL(pkt.layers, 0);

	/* IPV6 link type carrying IPv4, ethertype IPv6 with version 0 */
	p.len = 0;
	ip = pb_ipv4(&p, 17, 0, 0);
	pb_udp(&p, 1, 2, 0);
	pb_ipv4_done(&p, ip);
	EXPECT(NS_LINK_IPV6, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_IP_VERSION);
	p.len = 0;
	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 59);
	pb_ipv6_done(&p, ip);
	p.b[14] = 0x00;
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_IP_VERSION);
}

static void
test_ipv4_short(void)
{
	struct pb p = { .len = 0 };

	build_tcp4(&p, NULL, 0);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 14, NS_PARSE_R_IPV4_SHORT);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 14 + 19, NS_PARSE_R_IPV4_SHORT);
	EXPECT_CUT(NS_LINK_IPV4, &p, 0, NS_PARSE_R_IPV4_SHORT);
}

static void
test_ipv4_ihl(void)
{
	struct pb p = { .len = 0 };

	build_tcp4(&p, NULL, 0);
	p.b[14] = 0x44;
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_IPV4_IHL);
}

static void
test_ipv4_totlen(void)
{
	struct pb p = { .len = 0 };

	build_tcp4(&p, NULL, 0);
	pb_set16(&p, 16, 19);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_IPV4_TOTLEN);
	/* 0 is BIG TCP only for frames longer than 65535 */
	pb_set16(&p, 16, 0);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_IPV4_TOTLEN);
	/* below IHL * 4 */
	p.b[14] = 0x46;
	pb_set16(&p, 16, 22);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_IPV4_TOTLEN);
}

static void
test_ipv4_options(void)
{
	struct pb p = { .len = 0 };
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 6, 0, 40); /* IHL 15 */
	pb_tcp(&p, 1, 2, 3, 4, NS_TCP_ACK, 5, NULL, 0);
	pb_ipv4_done(&p, ip);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 14 + 20, NS_PARSE_R_IPV4_OPTIONS);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 14 + 59, NS_PARSE_R_IPV4_OPTIONS);
}

/* Total Length beyond the wire: dissected within the wire, reported MALFORMED at the end. */
static void
test_ipv4_totlen_long(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	build_tcp4(&p, NULL, 0);
	pb_set16(&p, 16, 1500);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_IPV4_TOTLEN_LONG);
	EXPECT(NS_LINK_EN10MB, &p, p.len - 4, p.len, NS_PARSE_MALFORMED,
	       NS_PARSE_R_IPV4_TOTLEN_LONG);
	parse_all(NS_LINK_EN10MB, &p, &pkt);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV4) | BIT(TCP));
	CU_ASSERT_EQUAL(pkt.ip_len, 1500);
	CU_ASSERT_EQUAL(pkt.sport, 1);
	CU_ASSERT_EQUAL(pkt.payload_len, 10); /* what the wire carried, not 1460 */
	/* a stop further on wins over the length note */
	p.b[14 + 20 + 12] = 0x40;
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_DOFF);
}

static void
test_ipv6_short(void)
{
	struct pb p = { .len = 0 };
	uint32_t ip;

	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 59);
	pb_ipv6_done(&p, ip);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 14, NS_PARSE_R_IPV6_SHORT);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 14 + 39, NS_PARSE_R_IPV6_SHORT);
	EXPECT_CUT(NS_LINK_IPV6, &p, 0, NS_PARSE_R_IPV6_SHORT);
}

static void
test_ipv6_payload_len(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 17);
	pb_udp(&p, 1, 2, 4);
	pb_ipv6_done(&p, ip);
	pb_set16(&p, 18, 100);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_IPV6_PAYLEN);
	parse_all(NS_LINK_EN10MB, &p, &pkt);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV6) | BIT(UDP));
	CU_ASSERT_EQUAL(pkt.ip_len, 140);
	CU_ASSERT_EQUAL(pkt.payload_len, 4);
}

static void
test_ipv6_ext_short(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 0);
	pb_ext6(&p, 44, 1);
	pb_frag6(&p, 17, 0, 1, 1);
	pb_udp(&p, 1, 2, 0);
	pb_ipv6_done(&p, ip);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 54 + 4, NS_PARSE_R_IPV6_EXT_SHORT);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 54 + 12, NS_PARSE_R_IPV6_EXT_SHORT);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 54 + 16 + 6, NS_PARSE_R_IPV6_EXT_SHORT);
	parse_exact(NS_LINK_EN10MB, &p, 54 + 16 + 6, p.len, &pkt);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV6));
	CU_ASSERT_EQUAL(pkt.frag, 0);
	CU_ASSERT_EQUAL(pkt.ip6_ext, NS_IP6EXT_HOPOPTS);
}

static void
test_ipv6_ext_len(void)
{
	struct pb p = { .len = 0 };
	uint32_t ip;

	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 43);
	pb_ext6(&p, 59, 1); /* 16 bytes */
	pb_ipv6_done(&p, ip);
	pb_set16(&p, 18, 8); /* payload says 8 */
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_IPV6_EXT_LEN);
	pb_set16(&p, 18, 4); /* not even the first 8 bytes */
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_IPV6_EXT_LEN);
	/* payload length 0 with a fragment header (tcpdump's ipv6_frag6_negative_len) */
	p.len = 0;
	pb_eth(&p, 0x86dd);
	pb_ipv6(&p, 44);
	pb_frag6(&p, 2, 1280, 0, 0x80000074);
	pb_put(&p, NULL, 8);
	EXPECT(NS_LINK_EN10MB, &p, p.len, 32896, NS_PARSE_MALFORMED, NS_PARSE_R_IPV6_EXT_LEN);
}

static void
test_ipv6_jumbo_invalid(void)
{
	struct pb p = { .len = 0 };
	uint32_t wire = 14 + 40 + 70000;

	/* payload length 0 and a hop-by-hop header without the option */
	pb_eth(&p, 0x86dd);
	pb_ipv6(&p, 0);
	pb_ext6(&p, 17, 0);
	pb_udp(&p, 1, 2, 0);
	EXPECT(NS_LINK_EN10MB, &p, p.len, wire, NS_PARSE_MALFORMED, NS_PARSE_R_IPV6_JUMBO);

	/* jumbo length not above 65535 (RFC 2675 section 3) */
	p.len = 0;
	pb_eth(&p, 0x86dd);
	pb_ipv6(&p, 0);
	pb_put(&p, (const uint8_t[]){ 17, 0, 0xc2, 4, 0, 0, 0xff, 0xff }, 8);
	pb_udp(&p, 1, 2, 0);
	EXPECT(NS_LINK_EN10MB, &p, p.len, wire, NS_PARSE_MALFORMED, NS_PARSE_R_IPV6_JUMBO);

	/* option data length other than 4 */
	p.b[54 + 3] = 3;
	EXPECT(NS_LINK_EN10MB, &p, p.len, wire, NS_PARSE_MALFORMED, NS_PARSE_R_IPV6_JUMBO);

	/* a valid jumbo option, then a fragment header */
	p.len = 0;
	pb_eth(&p, 0x86dd);
	pb_ipv6(&p, 0);
	pb_put(&p, (const uint8_t[]){ 44, 0, 0xc2, 4, 0, 1, 0x11, 0x70 }, 8);
	pb_frag6(&p, 17, 0, 1, 1);
	pb_udp(&p, 1, 2, 0);
	EXPECT(NS_LINK_EN10MB, &p, p.len, wire, NS_PARSE_MALFORMED, NS_PARSE_R_IPV6_JUMBO);
	/* the same without the fragment header parses */
	p.b[54] = 17;
	memmove(p.b + 62, p.b + 70, 8);
	p.len -= 8;
	EXPECT(NS_LINK_EN10MB, &p, p.len, wire, NS_PARSE_OK, NS_PARSE_R_NONE);
	/* jumbo length beyond the wire */
	EXPECT(NS_LINK_EN10MB, &p, p.len, wire - 1, NS_PARSE_MALFORMED, NS_PARSE_R_IPV6_PAYLEN);
}

static void
test_ipv6_ext_depth(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 60);
	for (unsigned i = 0; i < NS_PROTO_IP6_EXT_MAX; i++)
		pb_ext6(&p, i + 1 < NS_PROTO_IP6_EXT_MAX ? 60 : 17, 0);
	pb_udp(&p, 1, 2, 0);
	pb_ipv6_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_UDP);

	p.len = 0;
	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 60);
	for (unsigned i = 0; i <= NS_PROTO_IP6_EXT_MAX; i++)
		pb_ext6(&p, i < NS_PROTO_IP6_EXT_MAX ? 60 : 17, 0);
	pb_udp(&p, 1, 2, 0);
	pb_ipv6_done(&p, ip);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_UNSUPPORTED, NS_PARSE_R_IPV6_EXT_DEPTH);
}

/* An IPv4 Authentication Header (RFC 4302 section 2) cut by the capture. */
static void
test_ah_short(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 51, 0, 0);
	pb_ah(&p, 6);
	pb_tcp(&p, 1, 2, 3, 4, NS_TCP_ACK, 5, NULL, 0);
	pb_ipv4_done(&p, ip);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 34 + 4, NS_PARSE_R_AH_SHORT);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 34 + 20, NS_PARSE_R_AH_SHORT);
	/* the IP header was read, the transport not identified */
	parse_exact(NS_LINK_EN10MB, &p, 34 + 20, p.len, &pkt);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV4));
	CU_ASSERT_EQUAL(pkt.l4_off, 0);
	CU_ASSERT_EQUAL(pkt.ip_proto, 51);
}

/* An IPv4 Authentication Header longer than the IP payload (RFC 4302 section 2.2). */
static void
test_ah_len(void)
{
	struct pb p = { .len = 0 };
	uint32_t ip;

	build_l4_in_ipv4(&p, 51, 6); /* not even the 8 bytes every AH has */
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_AH_LEN);
	p.len = 0;
	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 51, 0, 0);
	pb_ah(&p, 6);
	pb_ipv4_done(&p, ip);
	p.b[34 + 1] = 5; /* 28 bytes in a 24-byte payload */
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_AH_LEN);
	/* Total Length, not caplen, bounds it: the same with trailer bytes after the packet */
	pb_put(&p, NULL, 8);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_AH_LEN);
	p.b[34 + 1] = 4; /* 24 bytes exactly, then no room for TCP */
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_LEN);
}

static void
test_tcp_short(void)
{
	static const uint8_t opts[] = { 2, 4, 5, 0xb4 };
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	build_tcp4(&p, opts, sizeof(opts));
	EXPECT_CUT(NS_LINK_EN10MB, &p, 34 + 12, NS_PARSE_R_TCP_SHORT);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 34 + 22, NS_PARSE_R_TCP_SHORT);
	/* the transport was identified: counted, but its fields are not valid */
	parse_exact(NS_LINK_EN10MB, &p, 34 + 12, p.len, &pkt);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV4) | BIT(TCP));
	CU_ASSERT_EQUAL(pkt.payload_off, 0);
	CU_ASSERT_EQUAL(pkt.l4_off, 34);
}

static void
test_tcp_doff(void)
{
	struct pb p = { .len = 0 };

	build_tcp4(&p, NULL, 0);
	p.b[34 + 12] = 0x40;
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_DOFF);
	EXPECT(NS_LINK_EN10MB, &p, 34 + 20, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_DOFF);
}

static void
test_tcp_len(void)
{
	struct pb p = { .len = 0 };

	build_l4_in_ipv4(&p, 6, 10); /* IP payload shorter than a TCP header */
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_LEN);
	p.len = 0;
	build_tcp4(&p, NULL, 0);
	p.b[34 + 12] = 0xf0; /* 60-byte header in a 30-byte IP payload */
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_LEN);
	EXPECT(NS_LINK_EN10MB, &p, 34 + 20, 2000, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_LEN);
}

/*
 * A first fragment (more follow, offset 0) may end inside the TCP header: RFC 791 section 2.3
 * and RFC 8200 section 4.5 cut at any multiple of 8 bytes. It stays TCP without a payload
 * (header not read in full), OK; the same lengths without fragmentation stay TCP_LEN.
 */
static void
test_tcp_len_first_fragment(void)
{
	static const uint8_t opts[12] = { 1, 1, 8, 10 };
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	/* IPv4, MF, 8 bytes of a 20-byte header: ports and sequence number only */
	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 6, 0x2000, 0);
	pb_tcp(&p, 4000, 80, 3, 4, NS_TCP_ACK, 5, NULL, 0);
	p.len = 34 + 8;
	pb_ipv4_done(&p, ip);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_OK, NS_PARSE_R_NONE);
	ns_parse(NS_LINK_EN10MB, p.b, p.len, p.len, &pkt); /* in place: ns_pkt_ports() reads */
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV4) | BIT(TCP));
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_TCP);
	CU_ASSERT_EQUAL(pkt.l4_off, 34);
	CU_ASSERT_EQUAL(pkt.payload_off, 0);
	CU_ASSERT_EQUAL(pkt.payload_len, 0);
	CU_ASSERT_EQUAL(pkt.tcp_hlen, 0);
	CU_ASSERT_EQUAL(pkt.frag, NS_FRAG_IS | NS_FRAG_FIRST | NS_FRAG_MORE);
	CU_ASSERT_EQUAL(ns_pkt_ports(&pkt), 4000u << 16 | 80);
	/* 16 bytes; cut by the snaplen within them: TRUNCATED / MALFORMED by the wire */
	pb_put(&p, NULL, 8);
	pb_ipv4_done(&p, ip);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_OK, NS_PARSE_R_NONE);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 34 + 12, NS_PARSE_R_TCP_SHORT);
	/* the last fragment, or no fragment at all: the header must fit */
	pb_set16(&p, 20, 0x0000);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_LEN);
	pb_set16(&p, 20, 0x4000); /* DF */
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_LEN);
	/* less than one 8-byte fragment unit cannot be a first fragment */
	pb_set16(&p, 20, 0x2000);
	p.len = 34 + 4;
	pb_ipv4_done(&p, ip);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_LEN);

	/* IPv4, MF, a 32-byte header (options) in a 24-byte fragment */
	p.len = 0;
	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 6, 0x2000, 0);
	pb_tcp(&p, 4000, 80, 3, 4, NS_TCP_ACK, 5, opts, sizeof(opts));
	p.len = 34 + 24;
	pb_ipv4_done(&p, ip);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_OK, NS_PARSE_R_NONE);
	parse_all(NS_LINK_EN10MB, &p, &pkt);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_TCP);
	CU_ASSERT_EQUAL(pkt.payload_off, 0);
	CU_ASSERT_EQUAL(pkt.tcp_hlen, 0);
	pb_set16(&p, 20, 0x0000);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_LEN);

	/* IPv6 Fragment header, M set, offset 0, 8 bytes of TCP */
	p.len = 0;
	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 44);
	pb_frag6(&p, 6, 0, 1, 77);
	pb_tcp(&p, 4000, 80, 3, 4, NS_TCP_ACK, 5, NULL, 0);
	p.len = 62 + 8;
	pb_ipv6_done(&p, ip);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_OK, NS_PARSE_R_NONE);
	ns_parse(NS_LINK_EN10MB, p.b, p.len, p.len, &pkt);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV6) | BIT(TCP));
	CU_ASSERT_EQUAL(pkt.l4_off, 62);
	CU_ASSERT_EQUAL(pkt.payload_off, 0);
	CU_ASSERT_EQUAL(ns_pkt_ports(&pkt), 4000u << 16 | 80);
	/* an atomic fragment (M clear) is a whole packet: TCP_LEN */
	pb_set16(&p, 54 + 2, 0);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_LEN);
}

static void
test_tcp_options(void)
{
	static const uint8_t bad[][8] = {
		{ 1, 1, 1, 1, 1, 1, 1, 2 }, /* kind without its length byte */
		{ 99, 1, 0, 0, 0, 0, 0, 0 }, /* length below 2 */
		{ 99, 9, 0, 0, 0, 0, 0, 0 }, /* length past the header */
		{ 2, 3, 5, 0, 0, 0, 0, 0 }, /* MSS of 3 bytes */
		{ 3, 4, 7, 0, 0, 0, 0, 0 }, /* window scale of 4 bytes */
		{ 4, 3, 0, 0, 0, 0, 0, 0 }, /* SACK-permitted of 3 bytes */
		{ 5, 6, 0, 0, 0, 1, 0, 0 }, /* SACK without a whole block */
		{ 8, 8, 0, 0, 0, 1, 0, 0 }, /* timestamps of 8 bytes */
		{ 30, 2, 0, 0, 0, 0, 0, 0 }, /* MPTCP without a subtype */
	};

	for (size_t i = 0; i < NS_ARRAY_SIZE(bad); i++) {
		struct pb p = { .len = 0 };
		struct ns_pkt pkt;

		build_tcp4(&p, bad[i], 8);
		EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED,
		       NS_PARSE_R_TCP_OPTIONS);
		/* the fixed header was valid and is kept */
		parse_all(NS_LINK_EN10MB, &p, &pkt);
		CU_ASSERT_EQUAL(pkt.sport, 1);
		CU_ASSERT_EQUAL(pkt.payload_off, 34 + 28);
		CU_ASSERT_EQUAL(pkt.payload_len, 10);
	}
}

static void
test_udp_short(void)
{
	struct pb p = { .len = 0 };
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 17, 0, 0);
	pb_udp(&p, 1, 2, 10);
	pb_ipv4_done(&p, ip);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 34, NS_PARSE_R_UDP_SHORT);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 34 + 7, NS_PARSE_R_UDP_SHORT);
}

static void
test_udp_len(void)
{
	struct pb p = { .len = 0 };
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 17, 0, 0);
	pb_udp(&p, 1, 2, 10);
	pb_ipv4_done(&p, ip);
	pb_set16(&p, 34 + 4, 7); /* below the header */
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_UDP_LEN);
	pb_set16(&p, 34 + 4, 19); /* beyond the IP payload */
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_UDP_LEN);
	p.len = 0;
	build_l4_in_ipv4(&p, 17, 6); /* IP payload shorter than a UDP header */
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_UDP_LEN);
}

static void
test_icmp_short(void)
{
	struct pb p = { .len = 0 };

	build_l4_in_ipv4(&p, 1, 16);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 34 + 4, NS_PARSE_R_ICMP_SHORT);
	p.len = 0;
	build_l4_in_ipv4(&p, 1, 4);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_ICMP_SHORT);
}

static void
test_icmpv6_short(void)
{
	struct pb p = { .len = 0 };
	uint32_t ip;

	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 58);
	pb_put(&p, NULL, 16);
	pb_ipv6_done(&p, ip);
	EXPECT_CUT(NS_LINK_EN10MB, &p, 54 + 7, NS_PARSE_R_ICMPV6_SHORT);
	pb_set16(&p, 18, 6);
	EXPECT(NS_LINK_EN10MB, &p, p.len, p.len, NS_PARSE_MALFORMED, NS_PARSE_R_ICMPV6_SHORT);
}

static void
test_raw_empty(void)
{
	struct pb p = { .len = 0 };

	pb_u8(&p, 0x45);
	EXPECT(NS_LINK_RAW, &p, 0, 40, NS_PARSE_TRUNCATED, NS_PARSE_R_RAW_EMPTY);
	EXPECT(NS_LINK_RAW_FILE, &p, 0, 0, NS_PARSE_MALFORMED, NS_PARSE_R_RAW_EMPTY);
}

/*
 * Every prefix of valid frames, each from an exact-size heap copy: with the full wire length a
 * prefix is never MALFORMED, with wirelen == caplen it is never TRUNCATED, and the printer
 * copes with whatever was parsed. Full frames must satisfy the layer invariant: ARP, OTHER
 * alone, or one IP layer with exactly one of TCP/UDP/ICMP/ICMPv6/OTHER.
 */
struct sample {
	int linktype;
	struct pb p;
	uint32_t wirelen; /* 0: the frame's length */
};

static void
build_samples(struct sample *s, size_t *n)
{
	static const uint8_t opts[] = { 2, 4, 5, 0xb4, 1, 3, 3,  7, 4, 2,    8, 10,
					0, 0, 0, 1,    0, 0, 0,  2, 5, 10,   0, 0,
					0, 1, 0, 0,    0, 2, 30, 4, 1, 0x81, 0, 0 };
	struct pb *p;
	uint32_t ip;
	size_t i = 0;

	p = &s[i].p, s[i++].linktype = NS_LINK_EN10MB; /* VLAN + IPv4 options + TCP options */
	pb_eth(p, 0x8100);
	pb_vlan(p, 42, 0x0800);
	ip = pb_ipv4(p, 6, 0, 12);
	pb_tcp(p, 1, 2, 3, 4, NS_TCP_SYN, 5, opts, sizeof(opts));
	pb_put(p, NULL, 5);
	pb_ipv4_done(p, ip);

	p = &s[i].p, s[i++].linktype = NS_LINK_EN10MB; /* QinQ ARP */
	pb_eth(p, 0x88a8);
	pb_vlan(p, 1, 0x8100);
	pb_vlan(p, 2, 0x0806);
	pb_arp(p, 1);

	p = &s[i].p, s[i++].linktype = NS_LINK_EN10MB; /* IPv6 extension chain + TCP */
	pb_eth(p, 0x86dd);
	ip = pb_ipv6(p, 0);
	pb_ext6(p, 43, 1);
	pb_ext6(p, 44, 0);
	pb_frag6(p, 51, 0, 1, 3);
	pb_ah(p, 60);
	pb_ext6(p, 6, 0);
	pb_tcp(p, 1, 2, 3, 4, NS_TCP_ACK, 5, opts, 8);
	pb_ipv6_done(p, ip);

	p = &s[i].p, s[i].wirelen = 14 + 40 + 70000, s[i++].linktype = NS_LINK_EN10MB; /* jumbo */
	pb_eth(p, 0x86dd);
	pb_ipv6(p, 0);
	pb_put(p, (const uint8_t[]){ 17, 0, 0xc2, 4, 0, 1, 0x11, 0x70 }, 8);
	pb_u16(p, 1);
	pb_u16(p, 2);
	pb_u16(p, 0);
	pb_u16(p, 0);

	p = &s[i].p, s[i].wirelen = 80066, s[i++].linktype = NS_LINK_EN10MB; /* BIG TCP v4 */
	pb_eth(p, 0x0800);
	pb_ipv4(p, 6, 0, 0);
	pb_tcp(p, 1, 2, 3, 4, NS_TCP_ACK, 5, NULL, 0);

	p = &s[i].p, s[i++].linktype = NS_LINK_LINUX_SLL; /* SLL IPv4 fragment */
	pb_put(p, NULL, 14);
	pb_u16(p, 0x0800);
	ip = pb_ipv4(p, 17, 0x2000 | 10, 0);
	pb_put(p, NULL, 30);
	pb_ipv4_done(p, ip);

	p = &s[i].p, s[i++].linktype = NS_LINK_LINUX_SLL2; /* SLL2 IPv6 ICMPv6 */
	pb_u16(p, 0x86dd);
	pb_put(p, NULL, 18);
	ip = pb_ipv6(p, 58);
	pb_icmp(p, 128, 0, 9, 4);
	pb_ipv6_done(p, ip);

	p = &s[i].p, s[i++].linktype = NS_LINK_RAW; /* raw IPv4 ICMP */
	ip = pb_ipv4(p, 1, 0, 0);
	pb_icmp(p, 8, 0, 1, 4);
	pb_ipv4_done(p, ip);

	p = &s[i].p, s[i++].linktype = NS_LINK_IPV6; /* raw IPv6 fragment, non-first */
	ip = pb_ipv6(p, 44);
	pb_frag6(p, 17, 64, 0, 5);
	pb_put(p, NULL, 12);
	pb_ipv6_done(p, ip);

	p = &s[i].p, s[i++].linktype = NS_LINK_NULL; /* NULL IPv6 UDP */
	pb_put(p, (const uint8_t[]){ 30, 0, 0, 0 }, 4);
	ip = pb_ipv6(p, 17);
	pb_udp(p, 1, 2, 3);
	pb_ipv6_done(p, ip);

	p = &s[i].p, s[i++].linktype = NS_LINK_EN10MB; /* IPv4 AH + TCP */
	pb_eth(p, 0x0800);
	ip = pb_ipv4(p, 51, 0, 0);
	pb_ah(p, 6);
	pb_tcp(p, 1, 2, 3, 4, NS_TCP_ACK, 5, opts, 8);
	pb_put(p, NULL, 3);
	pb_ipv4_done(p, ip);

	p = &s[i].p, s[i++].linktype = NS_LINK_LOOP; /* LOOP IPv4 ESP-like other */
	pb_u32(p, 2);
	ip = pb_ipv4(p, 50, 0, 0);
	pb_put(p, NULL, 12);
	pb_ipv4_done(p, ip);

	p = &s[i].p, s[i++].linktype = NS_LINK_EN10MB; /* LLDP */
	pb_eth(p, 0x88cc);
	pb_put(p, NULL, 10);
	*n = i;
}

static void
check_invariant(const struct ns_pkt *pkt)
{
	uint16_t l3 = pkt->layers & (BIT(ARP) | BIT(IPV4) | BIT(IPV6));
	uint16_t l4 = pkt->layers & (BIT(TCP) | BIT(UDP) | BIT(ICMP) | BIT(ICMPV6) | BIT(OTHER));

	if (l3 == BIT(IPV4) || l3 == BIT(IPV6)) {
		CU_ASSERT(l4 != 0 && (l4 & (l4 - 1)) == 0);
	} else if (l3 == BIT(ARP)) {
		CU_ASSERT_EQUAL(l4, 0);
	} else {
		CU_ASSERT_EQUAL(l4, BIT(OTHER));
	}
}

static void
test_every_prefix(void)
{
	static struct sample s[16];
	size_t n;
	char line[256];

	memset(s, 0, sizeof(s));
	build_samples(s, &n);
	for (size_t i = 0; i < n; i++) {
		uint32_t len = s[i].p.len;
		uint32_t wire = s[i].wirelen != 0 ? s[i].wirelen : len;

		for (uint32_t cap = 0; cap <= len; cap++) {
			uint8_t *copy = malloc(cap != 0 ? cap : 1);
			struct ns_pkt pkt;
			int v;

			CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
			memcpy(copy, s[i].p.b, cap);
			v = ns_parse(s[i].linktype, copy, cap, wire, &pkt);
			CU_ASSERT(v == NS_PARSE_OK || v == NS_PARSE_TRUNCATED);
			if (cap == len) {
				CU_ASSERT_EQUAL(v, NS_PARSE_OK);
				check_invariant(&pkt);
			}
			CU_ASSERT(ns_pkt_format(&pkt, line, sizeof(line)) > 0);
			v = ns_parse(s[i].linktype, copy, cap, cap, &pkt);
			CU_ASSERT(v == NS_PARSE_OK || v == NS_PARSE_MALFORMED);
			CU_ASSERT(ns_pkt_format(&pkt, line, sizeof(line)) > 0);
			/* a record claiming less on the wire than captured must not upset it */
			ns_parse(s[i].linktype, copy, cap, 0, &pkt);
			CU_ASSERT(ns_pkt_format(&pkt, line, sizeof(line)) > 0);
			free(copy);
		}
	}
}

/* Runs last: a reason no test above produced means a check without a test. */
static void
test_every_reason_triggered(void)
{
	for (unsigned r = 0; r < NS_PARSE_REASON_MAX; r++) {
		if (!seen[r])
			fprintf(stderr, "\n  reason %s never triggered", ns_parse_reason_name(r));
		CU_ASSERT_TRUE(seen[r]);
	}
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_reason_none),
	NS_TEST(test_linktype),
	NS_TEST(test_link_short),
	NS_TEST(test_null_family),
	NS_TEST(test_vlan_short),
	NS_TEST(test_vlan_depth),
	NS_TEST(test_arp_short),
	NS_TEST(test_ip_version),
	NS_TEST(test_ipv4_short),
	NS_TEST(test_ipv4_ihl),
	NS_TEST(test_ipv4_totlen),
	NS_TEST(test_ipv4_options),
	NS_TEST(test_ipv4_totlen_long),
	NS_TEST(test_ipv6_short),
	NS_TEST(test_ipv6_payload_len),
	NS_TEST(test_ipv6_ext_short),
	NS_TEST(test_ipv6_ext_len),
	NS_TEST(test_ipv6_jumbo_invalid),
	NS_TEST(test_ipv6_ext_depth),
	NS_TEST(test_ah_short),
	NS_TEST(test_ah_len),
	NS_TEST(test_tcp_short),
	NS_TEST(test_tcp_doff),
	NS_TEST(test_tcp_len),
	NS_TEST(test_tcp_len_first_fragment),
	NS_TEST(test_tcp_options),
	NS_TEST(test_udp_short),
	NS_TEST(test_udp_len),
	NS_TEST(test_icmp_short),
	NS_TEST(test_icmpv6_short),
	NS_TEST(test_raw_empty),
	NS_TEST(test_every_prefix),
	NS_TEST(test_every_reason_triggered),
};

NS_TEST_MAIN("proto_malformed", cases)
