/* SPDX-License-Identifier: MIT */
/*
 * ns_pkt_format(): the exact one-line text for TCP over VLAN, IPv6 with options, UDP, ICMP and
 * ICMPv6 echo, ARP, fragments, other protocols and ethertypes, truncated, malformed and
 * unsupported frames, and snprintf semantics on a short buffer.
 */
#include <stdio.h>

#include "ns_test.h"
#include "pkt_build.h"

/* Parse @p (caplen @cap, wire @wire) from an exact-size copy, print it, compare with @want. */
static void
expect_line(int linktype, const struct pb *p, uint32_t cap, uint32_t wire, const char *want)
{
	uint8_t *copy = calloc(1, cap != 0 ? cap : 1);
	struct ns_pkt pkt;
	char line[256];
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	memcpy(copy, p->b, cap);
	ns_parse(linktype, copy, cap, wire, &pkt);
	n = ns_pkt_format(&pkt, line, sizeof(line));
	free(copy);
	CU_ASSERT_EQUAL(n, (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(line, want);
	if (strcmp(line, want) != 0)
		fprintf(stderr, "\n  got  \"%s\"\n  want \"%s\"", line, want);
}

static void
test_vlan_tcp_synack(void)
{
	struct pb p = { .len = 0 };
	uint32_t ip;

	pb_eth(&p, 0x8100);
	pb_vlan(&p, 42, 0x0800);
	ip = pb_ipv4(&p, 6, 0x4000, 0);
	pb_tcp(&p, 443, 51234, 1, 2, NS_TCP_SYN | NS_TCP_ACK, 65535, NULL, 0);
	pb_put(&p, NULL, 16);
	pb_ipv4_done(&p, ip);
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len,
		    "vlan 42 IPv4 TCP 10.0.0.1:443 > 10.0.0.2:51234 [S.] seq 1 ack 2 win 65535, "
		    "length 74");
}

static void
test_ipv6_tcp_options(void)
{
	static const uint8_t opts[] = { 2, 4, 5, 0xa0, 1, 3, 3, 7, 4, 2, 8, 10,
					0, 0, 0, 9,    0, 0, 0, 0, 1, 1, 0, 0 };
	struct pb p = { .len = 0 };
	uint32_t ip;

	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 6);
	pb_tcp(&p, 51000, 443, 1000, 0, NS_TCP_SYN | NS_TCP_ECE | NS_TCP_CWR, 64800, opts,
	       sizeof(opts));
	pb_ipv6_done(&p, ip);
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len,
		    "IPv6 TCP [2001:db8::1]:51000 > [2001:db8::2]:443 [SEW] seq 1000 win 64800 "
		    "options [mss 1440,wscale 7,sackOK,TS val 9 ecr 0], length 98");
}

static void
test_tcp_flags_and_sack(void)
{
	static const uint8_t opts[] = { 1, 1, 5, 26, 0, 0, 0, 1, 0, 0, 0, 2, 0,  0, 0,    3,
					0, 0, 0, 4,  0, 0, 0, 5, 0, 0, 0, 6, 30, 3, 0x50, 0 };
	struct pb p = { .len = 0 };
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 6, 0, 0);
	pb_tcp(&p, 1, 2, 7, 8, NS_TCP_FIN | NS_TCP_PSH | NS_TCP_ACK | NS_TCP_URG, 3, opts,
	       sizeof(opts));
	pb_ipv4_done(&p, ip);
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len,
		    "IPv4 TCP 10.0.0.1:1 > 10.0.0.2:2 [FP.U] seq 7 ack 8 win 3 "
		    "options [sack 3,mptcp], length 86");
	/* no flag at all */
	p.b[14 + 20 + 13] = 0;
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len,
		    "IPv4 TCP 10.0.0.1:1 > 10.0.0.2:2 [none] seq 7 win 3 "
		    "options [sack 3,mptcp], length 86");
}

static void
test_udp_sll(void)
{
	struct pb p = { .len = 0 };
	uint32_t ip;

	pb_put(&p, NULL, 14);
	pb_u16(&p, 0x0800);
	ip = pb_ipv4(&p, 17, 0, 0);
	pb_udp(&p, 5353, 53, 20);
	pb_ipv4_done(&p, ip);
	expect_line(NS_LINK_LINUX_SLL, &p, p.len, p.len,
		    "IPv4 UDP 10.0.0.1:5353 > 10.0.0.2:53, length 64");
}

static void
test_icmp_echo(void)
{
	struct pb p = { .len = 0 };
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 1, 0, 0);
	pb_icmp(&p, 8, 0, 5, 56);
	pb_ipv4_done(&p, ip);
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len,
		    "IPv4 ICMP 10.0.0.1 > 10.0.0.2 echo request id 5, length 98");
	p.b[34] = 3; /* destination unreachable, port */
	p.b[35] = 3;
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len,
		    "IPv4 ICMP 10.0.0.1 > 10.0.0.2 unreachable code 3, length 98");
	p.b[34] = 42;
	p.b[35] = 0;
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len,
		    "IPv4 ICMP 10.0.0.1 > 10.0.0.2 type 42 code 0, length 98");
}

static void
test_icmpv6(void)
{
	struct pb p = { .len = 0 };
	uint32_t ip;

	ip = pb_ipv6(&p, 58);
	pb_icmp(&p, 129, 0, 0x1234, 4);
	pb_ipv6_done(&p, ip);
	expect_line(NS_LINK_RAW, &p, p.len, p.len,
		    "IPv6 ICMPv6 2001:db8::1 > 2001:db8::2 echo reply id 4660, length 52");
	p.b[40] = 135;
	expect_line(NS_LINK_IPV6, &p, p.len, p.len,
		    "IPv6 ICMPv6 2001:db8::1 > 2001:db8::2 neighbor solicitation, length 52");
}

static void
test_arp(void)
{
	struct pb p = { .len = 0 };

	pb_eth(&p, 0x0806);
	pb_arp(&p, 1);
	pb_put(&p, NULL, 18);
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len,
		    "ARP who-has 10.0.0.2 tell 10.0.0.1, length 60");
	p.len = 0;
	pb_eth(&p, 0x88a8);
	pb_vlan(&p, 100, 0x8100);
	pb_vlan(&p, 200, 0x0806);
	pb_arp(&p, 2);
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len,
		    "vlan 100,200 ARP reply 10.0.0.1 is-at 02:00:00:00:00:01, length 50");
}

static void
test_fragments(void)
{
	struct pb p = { .len = 0 };
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 17, 0x2000 | 185, 0);
	pb_put(&p, NULL, 28);
	pb_ipv4_done(&p, ip);
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len,
		    "IPv4 UDP 10.0.0.1 > 10.0.0.2 frag id 4660 off 1480+, length 62");
	p.len = 0;
	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 17, 0x2000, 0);
	pb_udp(&p, 7, 9, 20);
	pb_ipv4_done(&p, ip);
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len,
		    "IPv4 UDP 10.0.0.1:7 > 10.0.0.2:9 frag id 4660 off 0+, length 62");
	p.len = 0;
	ip = pb_ipv6(&p, 44);
	pb_frag6(&p, 6, 2048, 0, 77);
	pb_put(&p, NULL, 8);
	pb_ipv6_done(&p, ip);
	expect_line(NS_LINK_IPV6, &p, p.len, p.len,
		    "IPv6 TCP 2001:db8::1 > 2001:db8::2 frag id 77 off 2048, length 56");
}

static void
test_other_protocols(void)
{
	struct pb p = { .len = 0 };
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 47, 0, 0);
	pb_put(&p, NULL, 26);
	pb_ipv4_done(&p, ip);
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len, "IPv4 GRE 10.0.0.1 > 10.0.0.2, length 60");
	p.b[14 + 9] = 253;
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len,
		    "IPv4 proto 253 10.0.0.1 > 10.0.0.2, length 60");
	p.len = 0;
	pb_eth(&p, 0x88cc);
	pb_put(&p, NULL, 46);
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len, "ethertype 0x88cc, length 60");
	pb_set16(&p, 12, 0x0026);
	expect_line(NS_LINK_EN10MB, &p, p.len, p.len, "LLC, length 60");
}

static void
test_truncated_and_malformed(void)
{
	struct pb p = { .len = 0 };
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 6, 0, 0);
	pb_tcp(&p, 1, 2, 3, 4, NS_TCP_ACK, 5, NULL, 0);
	pb_put(&p, NULL, 1460);
	pb_ipv4_done(&p, ip);
	expect_line(NS_LINK_EN10MB, &p, 40, p.len,
		    "IPv4 TCP 10.0.0.1 > 10.0.0.2, length 1514 [truncated: TCP header cut short]");
	expect_line(NS_LINK_EN10MB, &p, 20, p.len,
		    "IPv4, length 1514 [truncated: IPv4 header cut short]");
	expect_line(NS_LINK_EN10MB, &p, 10, p.len,
		    "EN10MB, length 1514 [truncated: link header cut short]");
	p.b[14] = 0x44;
	expect_line(NS_LINK_EN10MB, &p, 60, 60,
		    "IPv4, length 60 [malformed: IPv4 header length below 20]");
	p.b[14] = 0x45;
	p.b[14 + 20 + 12] = 0x30;
	expect_line(
		NS_LINK_EN10MB, &p, p.len, p.len,
		"IPv4 TCP 10.0.0.1 > 10.0.0.2, length 1514 [malformed: TCP data offset below 20]");
	p.len = 0;
	pb_u8(&p, 0x30);
	expect_line(NS_LINK_RAW, &p, 1, 1000,
		    "RAW, length 1000 [malformed: IP version does not match link type]");
	p.len = 0;
	pb_u32(&p, 99);
	expect_line(NS_LINK_LOOP, &p, 4, 4,
		    "LOOP, length 4 [unsupported: unknown loopback address family]");
}

static void
test_unsupported_linktype(void)
{
	struct pb p = { .len = 0 };

	pb_put(&p, NULL, 60);
	expect_line(147, &p, p.len, p.len, "unsupported link type 147, length 60");
}

static void
test_short_buffer(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	char small[10];
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 1, 0, 0);
	pb_icmp(&p, 8, 0, 5, 56);
	pb_ipv4_done(&p, ip);
	ns_parse(NS_LINK_EN10MB, p.b, p.len, p.len, &pkt);
	CU_ASSERT_EQUAL(ns_pkt_format(&pkt, small, sizeof(small)), 58);
	CU_ASSERT_STRING_EQUAL(small, "IPv4 ICMP");
	CU_ASSERT_EQUAL(ns_pkt_format(&pkt, NULL, 0), 58);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_vlan_tcp_synack),
	NS_TEST(test_ipv6_tcp_options),
	NS_TEST(test_tcp_flags_and_sack),
	NS_TEST(test_udp_sll),
	NS_TEST(test_icmp_echo),
	NS_TEST(test_icmpv6),
	NS_TEST(test_arp),
	NS_TEST(test_fragments),
	NS_TEST(test_other_protocols),
	NS_TEST(test_truncated_and_malformed),
	NS_TEST(test_unsupported_linktype),
	NS_TEST(test_short_buffer),
};

NS_TEST_MAIN("proto_format", cases)
