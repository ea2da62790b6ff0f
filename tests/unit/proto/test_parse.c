/* SPDX-License-Identifier: MIT */
/*
 * ns_parse() on well-formed crafted frames: every link type, VLAN stacks, IPv4 options and
 * fragments, each IPv6 extension header and a chain of them, the jumbo option, BIG TCP, TCP
 * options, UDP, ICMP, ICMPv6 and ARP. Each test builds its own frame (its own fixture) and
 * checks offsets, layer bits and the decoded summary.
 */
#include <stdio.h>

#include "ns_core.h"
#include "ns_test.h"
#include "pkt_build.h"

#define BIT(name) NS_LAYER_BIT(name)

static const struct ns_addr v4_src = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1 } };
static const struct ns_addr v6_dst = { { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					 2 } };

/* Ethernet/IPv4/UDP with @payload bytes: the frame most tests start from. */
static void
build_udp4(struct pb *p, uint16_t payload)
{
	uint32_t ip;

	pb_eth(p, 0x0800);
	ip = pb_ipv4(p, 17, 0, 0);
	pb_udp(p, 5353, 53, payload);
	pb_ipv4_done(p, ip);
}

static void
test_eth_ipv4_tcp(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;
	char a[64];

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 6, 0x4000, 0);
	pb_tcp(&p, 443, 51234, 1, 2, NS_TCP_SYN | NS_TCP_ACK, 65535, NULL, 0);
	pb_put(&p, NULL, 100);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.verdict, NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.reason, NS_PARSE_R_NONE);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV4) | BIT(TCP));
	CU_ASSERT_EQUAL(pkt.link_proto, 0x0800);
	CU_ASSERT_EQUAL(pkt.l3, NS_L3_IPV4);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_TCP);
	CU_ASSERT_EQUAL(pkt.l3_off, 14);
	CU_ASSERT_EQUAL(pkt.l4_off, 34);
	CU_ASSERT_EQUAL(pkt.payload_off, 54);
	CU_ASSERT_EQUAL(pkt.payload_len, 100);
	CU_ASSERT_EQUAL(pkt.ip_len, 140);
	CU_ASSERT_EQUAL(pkt.ip_version, 4);
	CU_ASSERT_EQUAL(pkt.ip_proto, 6);
	CU_ASSERT_EQUAL(pkt.ttl, 64);
	CU_ASSERT_EQUAL(pkt.frag, 0); /* DF alone is not a fragment */
	CU_ASSERT_EQUAL(memcmp(&pkt.src, &v4_src, sizeof(v4_src)), 0);
	CU_ASSERT_STRING_EQUAL(ns_addr_format(&pkt.dst, a, sizeof(a)), "10.0.0.2");
	CU_ASSERT_EQUAL(pkt.sport, 443);
	CU_ASSERT_EQUAL(pkt.dport, 51234);
	CU_ASSERT_EQUAL(pkt.tcp_seq, 1);
	CU_ASSERT_EQUAL(pkt.tcp_ack, 2);
	CU_ASSERT_EQUAL(pkt.tcp_flags, NS_TCP_SYN | NS_TCP_ACK);
	CU_ASSERT_EQUAL(pkt.tcp_win, 65535);
	CU_ASSERT_EQUAL(pkt.tcp_hlen, 20);
	CU_ASSERT_EQUAL(pkt.tcp_opts.present, 0);
	CU_ASSERT_EQUAL(pkt.vlan_count, 0);
	CU_ASSERT_EQUAL(pkt.caplen, p.len);
	CU_ASSERT_EQUAL(pkt.wirelen, p.len);
	CU_ASSERT_EQUAL(pkt.linktype, NS_LINK_EN10MB);
}

static void
test_tcp_all_options(void)
{
	/* MSS, NOP, WS, SACK-permitted, TS, SACK 1 block, MPTCP MP_CAPABLE, EOL, padding */
	static const uint8_t opts[] = {
		2,  4,  0x05, 0xb4, /* MSS 1460 */
		1,  3,  3,    7, /* NOP, WS 7 */
		4,  2, /* SACK permitted */
		8,  10, 0,    0,    0, 5, 0, 0, 0, 6, /* TS 5 6 */
		5,  10, 0,    0,    0, 1, 0, 0, 0, 2, /* SACK block */
		30, 4,  0x01, 0x81, /* MPTCP MP_CAPABLE v1 */
		0,  0, /* EOL, padding */
	};
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	CU_ASSERT_EQUAL_FATAL(sizeof(opts), 36);
	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 6, 0, 0);
	pb_tcp(&p, 1, 2, 3, 4, NS_TCP_ACK, 5, opts, sizeof(opts));
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.tcp_hlen, 56);
	CU_ASSERT_EQUAL(pkt.payload_off, 14 + 20 + 56);
	CU_ASSERT_EQUAL(pkt.payload_len, 0);
	CU_ASSERT_EQUAL(pkt.tcp_opts.present, NS_TCPOPT_MSS | NS_TCPOPT_WSCALE |
						      NS_TCPOPT_SACK_PERM | NS_TCPOPT_SACK |
						      NS_TCPOPT_TS | NS_TCPOPT_MPTCP);
	CU_ASSERT_EQUAL(pkt.tcp_opts.mss, 1460);
	CU_ASSERT_EQUAL(pkt.tcp_opts.wscale, 7);
	CU_ASSERT_EQUAL(pkt.tcp_opts.tsval, 5);
	CU_ASSERT_EQUAL(pkt.tcp_opts.tsecr, 6);
	CU_ASSERT_EQUAL(pkt.tcp_opts.sack_blocks, 1);
}

/* Bytes after EOL are padding, not options (RFC 9293 section 3.2). */
static void
test_tcp_options_after_eol_ignored(void)
{
	static const uint8_t opts[] = { 0, 2, 4, 5, 0xb4, 0, 0, 0 };
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 6, 0, 0);
	pb_tcp(&p, 1, 2, 3, 4, NS_TCP_SYN, 5, opts, sizeof(opts));
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.tcp_opts.present, 0);
}

static void
test_udp(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	build_udp4(&p, 12);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV4) | BIT(UDP));
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_UDP);
	CU_ASSERT_EQUAL(pkt.sport, 5353);
	CU_ASSERT_EQUAL(pkt.dport, 53);
	CU_ASSERT_EQUAL(pkt.payload_off, 42);
	CU_ASSERT_EQUAL(pkt.payload_len, 12);
}

/* Ethernet pads short frames to 60 bytes: the lengths come from IP, not from caplen. */
static void
test_payload_len_from_ip_not_caplen(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 6, 0, 0);
	pb_tcp(&p, 1, 2, 3, 4, NS_TCP_ACK, 5, NULL, 0);
	pb_ipv4_done(&p, ip);
	pb_put(&p, NULL, 6); /* padding to 60 */
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.payload_len, 0);

	/* snaplen 54 of a 1514-byte segment: headers complete, payload from the IP header */
	p.len = 0;
	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 6, 0, 0);
	pb_tcp(&p, 1, 2, 3, 4, NS_TCP_ACK, 5, NULL, 0);
	pb_put(&p, NULL, 1460);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_exact(NS_LINK_EN10MB, &p, 54, p.len, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.payload_len, 1460);
	CU_ASSERT_EQUAL(pkt.payload_off, 54);
}

static void
test_icmp_echo(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 1, 0, 0);
	pb_icmp(&p, 8, 0, 5, 56);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV4) | BIT(ICMP));
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_ICMP);
	CU_ASSERT_EQUAL(pkt.icmp_type, 8);
	CU_ASSERT_EQUAL(pkt.icmp_code, 0);
	CU_ASSERT_EQUAL(pkt.icmp_id, 5);
	CU_ASSERT_EQUAL(pkt.payload_len, 56);
	CU_ASSERT_EQUAL(pkt.sport, 0);

	/* an error message carries no identifier */
	p.len = 0;
	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 1, 0, 0);
	pb_icmp(&p, 3, 3, 77, 28);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.icmp_type, 3);
	CU_ASSERT_EQUAL(pkt.icmp_code, 3);
	CU_ASSERT_EQUAL(pkt.icmp_id, 0);
}

/* Port unreachable from 10.0.0.1 about UDP @qsrc:5353 -> 10.0.0.1:161. */
static void
build_port_unreachable(struct pb *p, uint32_t qsrc)
{
	uint32_t ip;

	p->len = 0;
	pb_eth(p, 0x0800);
	ip = pb_ipv4(p, 1, 0, 0);
	pb_u8(p, 3);
	pb_u8(p, 3);
	pb_u16(p, 0);
	pb_u32(p, 0);
	/* the quoted IPv4 header and the first 8 bytes of its UDP datagram (RFC 792) */
	pb_u32(p, 0x45000030);
	pb_u32(p, 0);
	pb_u32(p, 0x40110000);
	pb_u32(p, qsrc);
	pb_u32(p, 0x0a000001);
	pb_udp(p, 5353, 161, 0);
	pb_ipv4_done(p, ip);
}

static void
test_icmp_error_takes_quoted_ports(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	struct ns_icmp_quote q;

	/* parse_all() checks the frame from an exact-size copy it frees again; the quote is read
	 * later from pkt.data, so those checks parse the builder's buffer in place */
#define PARSE_IN_PLACE() ns_parse(NS_LINK_EN10MB, p.b, p.len, p.len, &pkt)

	/* from the probed host back to the prober: the probe's ports, swapped */
	build_port_unreachable(&p, 0x0a000002);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_ICMP);
	CU_ASSERT_EQUAL(pkt.sport, 161);
	CU_ASSERT_EQUAL(pkt.dport, 5353);
	PARSE_IN_PLACE();
	CU_ASSERT_TRUE_FATAL(ns_icmp_quote(&pkt, &q));
	CU_ASSERT_EQUAL(q.proto, 17);
	CU_ASSERT_EQUAL(q.sport, 5353);
	CU_ASSERT_EQUAL(q.dport, 161);
	CU_ASSERT_EQUAL(q.ip_version, 4);
	CU_ASSERT_EQUAL(memcmp(&q.src, &pkt.dst, sizeof(q.src)), 0);

	/* about a packet somebody else sent (a router's error): no ports, the quote still reads */
	build_port_unreachable(&p, 0x0a000009);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.sport, 0);
	CU_ASSERT_EQUAL(pkt.dport, 0);
	PARSE_IN_PLACE();
	CU_ASSERT_TRUE(ns_icmp_quote(&pkt, &q));

	/* an echo request is no error: nothing quoted */
	p.len = 0;
	pb_eth(&p, 0x0800);
	pb_ipv4_done(&p, pb_ipv4(&p, 1, 0, 0));
	pb_icmp(&p, 8, 0, 5, 56);
	PARSE_IN_PLACE();
	CU_ASSERT_FALSE(ns_icmp_quote(&pkt, &q));

	/* a quote cut before its ports */
	build_port_unreachable(&p, 0x0a000002);
	p.len -= 6;
	pb_ipv4_done(&p, 14);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	PARSE_IN_PLACE();
	CU_ASSERT_FALSE(ns_icmp_quote(&pkt, &q));
	CU_ASSERT_EQUAL(pkt.sport, 0);
#undef PARSE_IN_PLACE
}

/*
 * The quote ends with the IP packet: bytes after it (Ethernet padding, a trailer, the FCS) are
 * never read as the quoted ports, even when they were captured.
 */
static void
test_icmp_quote_ends_with_ip_packet(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	struct ns_icmp_quote q;
	uint32_t ip;

	/* IPv4: the quoted UDP header stops after 2 bytes; its other 6 follow as a trailer */
	build_port_unreachable(&p, 0x0a000002);
	pb_set16(&p, 16, (uint16_t)(p.len - 14 - 6));
	CU_ASSERT_EQUAL(ns_parse(NS_LINK_EN10MB, p.b, p.len, p.len, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.payload_len, 20 + 2);
	CU_ASSERT_FALSE(ns_icmp_quote(&pkt, &q));
	CU_ASSERT_EQUAL(pkt.sport, 0);
	CU_ASSERT_EQUAL(pkt.dport, 0);
	/* 4 bytes of it inside the packet are enough */
	pb_set16(&p, 16, (uint16_t)(p.len - 14 - 4));
	ns_parse(NS_LINK_EN10MB, p.b, p.len, p.len, &pkt);
	CU_ASSERT_TRUE(ns_icmp_quote(&pkt, &q));
	CU_ASSERT_EQUAL(pkt.sport, 161);
	CU_ASSERT_EQUAL(pkt.dport, 5353);

	/* IPv6: a packet-too-big whose quoted IPv6 header is cut, the rest as a trailer */
	p.len = 0;
	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 58);
	pb_icmp(&p, 2, 0, 0, 0);
	pb_u32(&p, 0x60000000);
	pb_u16(&p, 8);
	pb_u8(&p, 17);
	pb_u8(&p, 64);
	pb_put(&p, &p.b[14 + 24], 16); /* the error's destination sent the quoted packet */
	pb_put(&p, &p.b[14 + 8], 16);
	pb_udp(&p, 5353, 161, 0);
	pb_ipv6_done(&p, ip);
	ns_parse(NS_LINK_EN10MB, p.b, p.len, p.len, &pkt);
	CU_ASSERT_TRUE(ns_icmp_quote(&pkt, &q));
	CU_ASSERT_EQUAL(pkt.sport, 161);
	pb_set16(&p, 14 + 4, (uint16_t)(8 + 40 - 1)); /* the packet ends inside the quote */
	ns_parse(NS_LINK_EN10MB, p.b, p.len, p.len, &pkt);
	CU_ASSERT_EQUAL(pkt.verdict, NS_PARSE_OK);
	CU_ASSERT_FALSE(ns_icmp_quote(&pkt, &q));
	CU_ASSERT_EQUAL(pkt.sport, 0);
}

static void
test_icmpv6_echo(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;
	char a[64];

	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 58);
	pb_icmp(&p, 129, 0, 0x4242, 8);
	pb_ipv6_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV6) | BIT(ICMPV6));
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_ICMPV6);
	CU_ASSERT_EQUAL(pkt.icmp_type, 129);
	CU_ASSERT_EQUAL(pkt.icmp_id, 0x4242);
	CU_ASSERT_EQUAL(pkt.ip_version, 6);
	CU_ASSERT_EQUAL(pkt.ip_len, 40 + 16);
	CU_ASSERT_EQUAL(pkt.payload_len, 8);
	CU_ASSERT_EQUAL(memcmp(&pkt.dst, &v6_dst, sizeof(v6_dst)), 0);
	CU_ASSERT_FALSE(ns_addr_is_v4(&pkt.src));
	CU_ASSERT_STRING_EQUAL(ns_addr_format(&pkt.src, a, sizeof(a)), "2001:db8::1");
}

static void
test_arp(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	pb_eth(&p, 0x0806);
	pb_arp(&p, 1);
	pb_put(&p, NULL, 18);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(ARP));
	CU_ASSERT_EQUAL(pkt.l3, NS_L3_ARP);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_NONE);
	CU_ASSERT_EQUAL(pkt.l3_off, 14);
	CU_ASSERT_EQUAL(pkt.arp_op, 1);
	CU_ASSERT_EQUAL(memcmp(&pkt.src, &v4_src, sizeof(v4_src)), 0);
	CU_ASSERT_TRUE(ns_addr_is_v4(&pkt.dst));

	/* RARP shares the layer */
	p.len = 0;
	pb_eth(&p, 0x8035);
	pb_arp(&p, 3);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(ARP));
	CU_ASSERT_EQUAL(pkt.arp_op, 3);
}

static void
test_linux_sll(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_u16(&p, 0); /* packet type: to us */
	pb_u16(&p, 1); /* ARPHRD_ETHER */
	pb_u16(&p, 6); /* address length */
	pb_put(&p, NULL, 8); /* address */
	pb_u16(&p, 0x0800);
	ip = pb_ipv4(&p, 17, 0, 0);
	pb_udp(&p, 1, 2, 4);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_LINUX_SLL, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(SLL) | BIT(IPV4) | BIT(UDP));
	CU_ASSERT_EQUAL(pkt.l3_off, 16);
	CU_ASSERT_EQUAL(pkt.link_proto, 0x0800);
	CU_ASSERT_EQUAL(pkt.payload_len, 4);
}

static void
test_linux_sll2(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_u16(&p, 0x86dd); /* protocol */
	pb_u16(&p, 0); /* reserved */
	pb_u32(&p, 3); /* interface index */
	pb_u16(&p, 1); /* ARPHRD_ETHER */
	pb_u8(&p, 4); /* packet type: outgoing */
	pb_u8(&p, 6); /* address length */
	pb_put(&p, NULL, 8); /* address */
	ip = pb_ipv6(&p, 6);
	pb_tcp(&p, 80, 40000, 9, 0, NS_TCP_SYN, 1000, NULL, 0);
	pb_ipv6_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_LINUX_SLL2, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(SLL) | BIT(IPV6) | BIT(TCP));
	CU_ASSERT_EQUAL(pkt.l3_off, 20);
	CU_ASSERT_EQUAL(pkt.l4_off, 60);
	CU_ASSERT_EQUAL(pkt.sport, 80);
	CU_ASSERT_EQUAL(pkt.tcp_seq, 9);
}

static void
test_raw_links(void)
{
	static const int raw[] = { NS_LINK_RAW, NS_LINK_RAW_OPENBSD, NS_LINK_RAW_FILE };
	struct pb p4 = { .len = 0 }, p6 = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	ip = pb_ipv4(&p4, 17, 0, 0);
	pb_udp(&p4, 1, 2, 0);
	pb_ipv4_done(&p4, ip);
	ip = pb_ipv6(&p6, 17);
	pb_udp(&p6, 1, 2, 0);
	pb_ipv6_done(&p6, ip);
	for (size_t i = 0; i < NS_ARRAY_SIZE(raw); i++) {
		CU_ASSERT_EQUAL(parse_all(raw[i], &p4, &pkt), NS_PARSE_OK);
		CU_ASSERT_EQUAL(pkt.layers, BIT(IPV4) | BIT(UDP));
		CU_ASSERT_EQUAL(pkt.l3_off, 0);
		CU_ASSERT_EQUAL(pkt.link_proto, 0);
		CU_ASSERT_EQUAL(parse_all(raw[i], &p6, &pkt), NS_PARSE_OK);
		CU_ASSERT_EQUAL(pkt.layers, BIT(IPV6) | BIT(UDP));
		CU_ASSERT_EQUAL(pkt.l4_off, 40);
	}
	CU_ASSERT_EQUAL(parse_all(NS_LINK_IPV4, &p4, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(IPV4) | BIT(UDP));
	CU_ASSERT_EQUAL(parse_all(NS_LINK_IPV6, &p6, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(IPV6) | BIT(UDP));
}

/* NULL: host-order family written by either byte order; LOOP: network order. */
static void
test_null_and_loop(void)
{
	static const uint32_t inet6[] = { 10, 24, 28, 30 };
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	/* little-endian writer, AF_INET */
	pb_put(&p, (const uint8_t[]){ 2, 0, 0, 0 }, 4);
	ip = pb_ipv4(&p, 17, 0, 0);
	pb_udp(&p, 1, 2, 0);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_NULL, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(IPV4) | BIT(UDP));
	CU_ASSERT_EQUAL(pkt.l3_off, 4);
	/* big-endian writer */
	pb_set32(&p, 0, 2);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_NULL, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(IPV4) | BIT(UDP));
	/* LOOP is always network order */
	CU_ASSERT_EQUAL(parse_all(NS_LINK_LOOP, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(IPV4) | BIT(UDP));

	p.len = 0;
	pb_u32(&p, 0);
	ip = pb_ipv6(&p, 17);
	pb_udp(&p, 1, 2, 0);
	pb_ipv6_done(&p, ip);
	for (size_t i = 0; i < NS_ARRAY_SIZE(inet6); i++) {
		p.b[0] = (uint8_t)inet6[i]; /* little-endian */
		p.b[3] = 0;
		CU_ASSERT_EQUAL(parse_all(NS_LINK_NULL, &p, &pkt), NS_PARSE_OK);
		CU_ASSERT_EQUAL(pkt.layers, BIT(IPV6) | BIT(UDP));
		p.b[0] = 0;
		p.b[3] = (uint8_t)inet6[i]; /* big-endian */
		CU_ASSERT_EQUAL(parse_all(NS_LINK_NULL, &p, &pkt), NS_PARSE_OK);
		CU_ASSERT_EQUAL(pkt.layers, BIT(IPV6) | BIT(UDP));
		CU_ASSERT_EQUAL(parse_all(NS_LINK_LOOP, &p, &pkt), NS_PARSE_OK);
		CU_ASSERT_EQUAL(pkt.layers, BIT(IPV6) | BIT(UDP));
	}
}

static void
test_vlan_8021q(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_eth(&p, 0x8100);
	pb_vlan(&p, 0x2000 | 42, 0x0800); /* PCP 1, VID 42 */
	ip = pb_ipv4(&p, 17, 0, 0);
	pb_udp(&p, 1, 2, 0);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(VLAN) | BIT(IPV4) | BIT(UDP));
	CU_ASSERT_EQUAL(pkt.vlan_count, 1);
	CU_ASSERT_EQUAL(pkt.vlan[0], 42);
	CU_ASSERT_EQUAL(pkt.l3_off, 18);
	CU_ASSERT_EQUAL(pkt.link_proto, 0x0800);
}

static void
test_qinq_8021ad(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	pb_eth(&p, 0x88a8);
	pb_vlan(&p, 100, 0x8100);
	pb_vlan(&p, 200, 0x0806);
	pb_arp(&p, 2);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(VLAN) | BIT(QINQ) | BIT(ARP));
	CU_ASSERT_EQUAL(pkt.vlan_count, 2);
	CU_ASSERT_EQUAL(pkt.vlan[0], 100);
	CU_ASSERT_EQUAL(pkt.vlan[1], 200);
	CU_ASSERT_EQUAL(pkt.l3_off, 22);
	CU_ASSERT_EQUAL(pkt.arp_op, 2);
}

static void
test_three_stacked_tags(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_eth(&p, 0x9100);
	pb_vlan(&p, 10, 0x8100);
	pb_vlan(&p, 20, 0x8100);
	pb_vlan(&p, 30, 0x86dd);
	ip = pb_ipv6(&p, 17);
	pb_udp(&p, 1, 2, 0);
	pb_ipv6_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(VLAN) | BIT(QINQ) | BIT(IPV6) | BIT(UDP));
	CU_ASSERT_EQUAL(pkt.vlan_count, 3);
	CU_ASSERT_EQUAL(pkt.vlan[0], 10);
	CU_ASSERT_EQUAL(pkt.vlan[1], 20);
	CU_ASSERT_EQUAL(pkt.l3_off, 26);
}

/* TPID 0x9200, another pre-802.1ad S-tag: a VLAN tag like 0x9100 (tcpdump: 802.1Q-9200). */
static void
test_vlan_9200(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;
	char line[256];

	pb_eth(&p, 0x9200);
	pb_vlan(&p, 42, 0x0800);
	ip = pb_ipv4(&p, 6, 0, 0);
	pb_tcp(&p, 1, 2, 3, 4, NS_TCP_SYN, 5, NULL, 0);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(VLAN) | BIT(IPV4) | BIT(TCP));
	CU_ASSERT_EQUAL(pkt.vlan_count, 1);
	CU_ASSERT_EQUAL(pkt.vlan[0], 42);
	CU_ASSERT_EQUAL(pkt.link_proto, 0x0800);
	CU_ASSERT_EQUAL(pkt.l3_off, 18);
	CU_ASSERT_EQUAL(pkt.sport, 1);
	ns_pkt_format(&pkt, line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "vlan 42 IPv4 TCP 10.0.0.1:1 > 10.0.0.2:2 [S] seq 3 win 5, "
				     "length 58");

	/* as the outer tag of a stack */
	p.len = 0;
	pb_eth(&p, 0x9200);
	pb_vlan(&p, 100, 0x8100);
	pb_vlan(&p, 200, 0x0806);
	pb_arp(&p, 1);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(VLAN) | BIT(QINQ) | BIT(ARP));
	CU_ASSERT_EQUAL(pkt.vlan[0], 100);
	CU_ASSERT_EQUAL(pkt.vlan[1], 200);
	CU_ASSERT_EQUAL(pkt.l3_off, 22);
}

static void
test_vlan_after_sll(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	pb_u16(&p, 0x8100); /* SLL2 protocol: tag not stripped */
	pb_put(&p, NULL, 18);
	pb_vlan(&p, 7, 0x0806);
	pb_arp(&p, 1);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_LINUX_SLL2, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(SLL) | BIT(VLAN) | BIT(ARP));
	CU_ASSERT_EQUAL(pkt.vlan[0], 7);
}

static void
test_other_ethertypes(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	pb_eth(&p, 0x88cc); /* LLDP */
	pb_put(&p, NULL, 46);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(OTHER));
	CU_ASSERT_EQUAL(pkt.l3, NS_L3_OTHER);
	CU_ASSERT_EQUAL(pkt.l3_off, 14);
	CU_ASSERT_EQUAL(pkt.link_proto, 0x88cc);

	/* IEEE 802.3 length field (STP over LLC) */
	pb_set16(&p, 12, 0x0026);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(OTHER));
	CU_ASSERT_EQUAL(pkt.link_proto, 0x0026);
}

static void
test_ipv4_options(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 6, 0, 8); /* IHL 7 */
	pb_tcp(&p, 1, 2, 3, 4, NS_TCP_ACK, 5, NULL, 0);
	pb_put(&p, NULL, 10);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.l4_off, 14 + 28);
	CU_ASSERT_EQUAL(pkt.payload_off, 14 + 28 + 20);
	CU_ASSERT_EQUAL(pkt.payload_len, 10);
	CU_ASSERT_EQUAL(pkt.ip_len, 58);
}

static void
test_ipv4_fragments(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	/* first fragment: MF, offset 0 -> transport parsed */
	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 17, 0x2000, 0);
	pb_udp(&p, 1000, 2000, 1472);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.frag, NS_FRAG_IS | NS_FRAG_FIRST | NS_FRAG_MORE);
	CU_ASSERT_EQUAL(pkt.frag_off, 0);
	CU_ASSERT_EQUAL(pkt.frag_id, 0x1234);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_UDP);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV4) | BIT(UDP));
	CU_ASSERT_EQUAL(pkt.sport, 1000);

	/* first fragment whose UDP Length covers the whole datagram (3008 > 1480): not malformed */
	pb_set16(&p, 14 + 20 + 4, 3008);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_UDP);
	CU_ASSERT_EQUAL(pkt.payload_len, 1472);
	CU_ASSERT_EQUAL(pkt.dport, 2000);
	/* the same Length in an unfragmented datagram is malformed */
	pb_set16(&p, 14 + 6, 0);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_MALFORMED);
	CU_ASSERT_EQUAL(pkt.reason, NS_PARSE_R_UDP_LEN);

	/* later fragment, MF still set: no transport header */
	p.len = 0;
	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 17, 0x2000 | 185, 0);
	pb_put(&p, NULL, 1480);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.frag, NS_FRAG_IS | NS_FRAG_MORE);
	CU_ASSERT_EQUAL(pkt.frag_off, 1480);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_FRAGMENT);
	CU_ASSERT_EQUAL(pkt.ip_proto, 17);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV4) | BIT(OTHER));
	CU_ASSERT_EQUAL(pkt.l4_off, 34);
	CU_ASSERT_EQUAL(pkt.payload_len, 1480);
	CU_ASSERT_EQUAL(pkt.sport, 0);

	/* last fragment: offset only */
	pb_set16(&p, 14 + 6, 370);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.frag, NS_FRAG_IS);
	CU_ASSERT_EQUAL(pkt.frag_off, 2960);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_FRAGMENT);
}

/* One frame per IPv6 extension header kind, each followed by UDP. */
static void
test_ipv6_each_extension(void)
{
	static const struct {
		uint8_t nh;
		uint8_t bit;
		uint32_t len;
	} ext[] = {
		{ 0, NS_IP6EXT_HOPOPTS, 16 },  { 43, NS_IP6EXT_ROUTING, 16 },
		{ 60, NS_IP6EXT_DSTOPTS, 16 }, { 44, NS_IP6EXT_FRAG, 8 },
		{ 51, NS_IP6EXT_AH, 24 },
	};

	for (size_t i = 0; i < NS_ARRAY_SIZE(ext); i++) {
		struct pb p = { .len = 0 };
		struct ns_pkt pkt;
		uint32_t ip;

		pb_eth(&p, 0x86dd);
		ip = pb_ipv6(&p, ext[i].nh);
		if (ext[i].nh == 44)
			pb_frag6(&p, 17, 0, 1, 99);
		else if (ext[i].nh == 51)
			pb_ah(&p, 17);
		else
			pb_ext6(&p, 17, 1);
		pb_udp(&p, 1, 2, 3);
		pb_ipv6_done(&p, ip);
		CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
		CU_ASSERT_EQUAL(pkt.ip6_ext, ext[i].bit);
		CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV6) | BIT(UDP));
		CU_ASSERT_EQUAL(pkt.l4_off, 54 + ext[i].len);
		CU_ASSERT_EQUAL(pkt.ip_proto, 17);
		CU_ASSERT_EQUAL(pkt.payload_len, 3);
		if (ext[i].nh == 44) {
			CU_ASSERT_EQUAL(pkt.frag, NS_FRAG_IS | NS_FRAG_FIRST | NS_FRAG_MORE);
			CU_ASSERT_EQUAL(pkt.frag_id, 99);
		} else {
			CU_ASSERT_EQUAL(pkt.frag, 0);
		}
	}
}

static void
test_ipv6_extension_chain(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 0);
	pb_ext6(&p, 60, 0); /* HBH, 8 */
	pb_ext6(&p, 43, 2); /* DST, 24 */
	pb_ext6(&p, 44, 0); /* RT, 8 */
	pb_frag6(&p, 51, 0, 1, 7); /* FRAG, 8 */
	pb_ah(&p, 60); /* AH, 24 */
	pb_ext6(&p, 6, 0); /* DST, 8 */
	pb_tcp(&p, 22, 1022, 1, 1, NS_TCP_ACK | NS_TCP_PSH, 100, NULL, 0);
	pb_put(&p, NULL, 33);
	pb_ipv6_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.ip6_ext, NS_IP6EXT_HOPOPTS | NS_IP6EXT_DSTOPTS | NS_IP6EXT_ROUTING |
					     NS_IP6EXT_FRAG | NS_IP6EXT_AH);
	CU_ASSERT_EQUAL(pkt.l4_off, 54 + 80);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_TCP);
	CU_ASSERT_EQUAL(pkt.ip_proto, 6);
	CU_ASSERT_EQUAL(pkt.payload_len, 33);
	CU_ASSERT_EQUAL(pkt.ip_len, 40 + 80 + 20 + 33);
	CU_ASSERT_EQUAL(pkt.frag, NS_FRAG_IS | NS_FRAG_FIRST | NS_FRAG_MORE);
}

static void
test_ipv6_fragments(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 44);
	pb_frag6(&p, 6, 1448, 1, 0xdeadbeef);
	pb_put(&p, NULL, 200);
	pb_ipv6_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.frag, NS_FRAG_IS | NS_FRAG_MORE);
	CU_ASSERT_EQUAL(pkt.frag_off, 1448);
	CU_ASSERT_EQUAL(pkt.frag_id, 0xdeadbeef);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_FRAGMENT);
	CU_ASSERT_EQUAL(pkt.ip_proto, 6);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV6) | BIT(OTHER));
	CU_ASSERT_EQUAL(pkt.l4_off, 62);
	CU_ASSERT_EQUAL(pkt.payload_len, 200);

	/* atomic fragment (offset 0, M=0): a whole packet, RFC 6946 */
	p.len = 0;
	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 44);
	pb_frag6(&p, 17, 0, 0, 5);
	pb_udp(&p, 1, 2, 0);
	pb_ipv6_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.frag, 0);
	CU_ASSERT_EQUAL(pkt.ip6_ext, NS_IP6EXT_FRAG);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_UDP);
}

/* ESP, No Next Header and unknown protocols end the walk cleanly. */
static void
test_ipv6_stop_headers(void)
{
	static const uint8_t stops[] = { 50, 59, 253, 47 };

	for (size_t i = 0; i < NS_ARRAY_SIZE(stops); i++) {
		struct pb p = { .len = 0 };
		struct ns_pkt pkt;
		uint32_t ip;

		pb_eth(&p, 0x86dd);
		ip = pb_ipv6(&p, 60);
		pb_ext6(&p, stops[i], 0);
		pb_put(&p, NULL, 16);
		pb_ipv6_done(&p, ip);
		CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
		CU_ASSERT_EQUAL(pkt.l4, NS_L4_OTHER);
		CU_ASSERT_EQUAL(pkt.ip_proto, stops[i]);
		CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV6) | BIT(OTHER));
		CU_ASSERT_EQUAL(pkt.l4_off, 62);
		CU_ASSERT_EQUAL(pkt.payload_off, 62);
		CU_ASSERT_EQUAL(pkt.payload_len, 16);
	}
}

static void
test_ipv4_other_protocol(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 47, 0, 0); /* GRE */
	pb_put(&p, NULL, 24);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_OTHER);
	CU_ASSERT_EQUAL(pkt.ip_proto, 47);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV4) | BIT(OTHER));
	CU_ASSERT_EQUAL(pkt.payload_len, 24);
}

/* RFC 4302: an Authentication Header between IPv4 and the transport is walked, as in IPv6. */
static void
test_ipv4_ah(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip;
	char line[256];

	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 51, 0, 0);
	pb_ah(&p, 6);
	pb_tcp(&p, 40000, 443, 7, 0, NS_TCP_SYN, 1000, NULL, 0);
	pb_put(&p, NULL, 12);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.layers, BIT(ETH) | BIT(IPV4) | BIT(TCP));
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_TCP);
	CU_ASSERT_EQUAL(pkt.ip_proto, 6);
	CU_ASSERT_EQUAL(pkt.l4_off, 34 + 24);
	CU_ASSERT_EQUAL(pkt.payload_off, 34 + 24 + 20);
	CU_ASSERT_EQUAL(pkt.payload_len, 12);
	CU_ASSERT_EQUAL(pkt.sport, 40000);
	CU_ASSERT_EQUAL(pkt.dport, 443);
	CU_ASSERT_EQUAL(pkt.tcp_seq, 7);
	CU_ASSERT_EQUAL(pkt.ip6_ext, 0);
	ns_pkt_format(&pkt, line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "IPv4 TCP 10.0.0.1:40000 > 10.0.0.2:443 [S] seq 7 win 1000, "
				     "length 90");

	/* a first fragment carries the AH and the transport header */
	p.len = 0;
	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 51, 0x2000, 0);
	pb_ah(&p, 17);
	pb_udp(&p, 5353, 53, 16);
	pb_set16(&p, 34 + 24 + 4, 1000); /* UDP Length: the whole datagram */
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_UDP);
	CU_ASSERT_EQUAL(pkt.ip_proto, 17);
	CU_ASSERT_EQUAL(pkt.dport, 53);
	CU_ASSERT_EQUAL(pkt.payload_len, 16);

	/* a later fragment: no AH to read, the IP header's protocol stays */
	pb_set16(&p, 14 + 6, 0x2000 | 185);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_FRAGMENT);
	CU_ASSERT_EQUAL(pkt.ip_proto, 51);
	CU_ASSERT_EQUAL(pkt.l4_off, 34);

	/* AH, then a protocol not decoded (ESP): OTHER, ip_proto after the AH */
	p.len = 0;
	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 51, 0, 0);
	pb_ah(&p, 50);
	pb_put(&p, NULL, 16);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse_all(NS_LINK_EN10MB, &p, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_OTHER);
	CU_ASSERT_EQUAL(pkt.ip_proto, 50);
	CU_ASSERT_EQUAL(pkt.l4_off, 34 + 24);
	CU_ASSERT_EQUAL(pkt.payload_len, 16);
}

/* RFC 2675: Payload Length 0, the length in the hop-by-hop Jumbo Payload option. */
static void
test_ipv6_jumbo(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;
	uint32_t ip, jumbo = 80040;

	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 0);
	pb_u8(&p, 6);
	pb_u8(&p, 0);
	pb_u8(&p, 0xc2);
	pb_u8(&p, 4);
	pb_u32(&p, jumbo);
	pb_tcp(&p, 1, 2, 3, 4, NS_TCP_ACK, 5, NULL, 0);
	(void)ip; /* payload length stays 0 */
	CU_ASSERT_EQUAL(parse_exact(NS_LINK_EN10MB, &p, p.len, 14 + 40 + jumbo, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.ip6_ext, NS_IP6EXT_HOPOPTS);
	CU_ASSERT_EQUAL(pkt.ip_len, 40 + jumbo);
	CU_ASSERT_EQUAL(pkt.l4, NS_L4_TCP);
	CU_ASSERT_EQUAL(pkt.payload_len, jumbo - 8 - 20);
}

/* Linux BIG TCP over IPv4: Total Length 0, the wire length rules (tshark does the same). */
static void
test_ipv4_big_tcp(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	pb_eth(&p, 0x0800);
	pb_ipv4(&p, 6, 0x4000, 0); /* total length left 0 */
	pb_tcp(&p, 1, 2, 3, 4, NS_TCP_ACK, 5, NULL, 0);
	CU_ASSERT_EQUAL(parse_exact(NS_LINK_EN10MB, &p, p.len, 80066, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.ip_len, 80066 - 14);
	CU_ASSERT_EQUAL(pkt.payload_len, 80066 - 14 - 40);
}

/* A caplen larger than wirelen is a bad record: the captured bytes count as the frame. */
static void
test_caplen_above_wirelen(void)
{
	struct pb p = { .len = 0 };
	struct ns_pkt pkt;

	build_udp4(&p, 4);
	CU_ASSERT_EQUAL(parse_exact(NS_LINK_EN10MB, &p, p.len, 20, &pkt), NS_PARSE_OK);
	CU_ASSERT_EQUAL(pkt.wirelen, 20);
	CU_ASSERT_EQUAL(pkt.payload_len, 4);
}

/* Names generated from the X-macros, link type table, address text edge cases. */
static void
test_names(void)
{
	char a[64];
	struct ns_addr any = { { 0 } };

	CU_ASSERT_STRING_EQUAL(ns_parse_verdict_name(NS_PARSE_OK), "ok");
	CU_ASSERT_STRING_EQUAL(ns_parse_verdict_name(NS_PARSE_TRUNCATED), "truncated");
	CU_ASSERT_STRING_EQUAL(ns_parse_verdict_name(NS_PARSE_VERDICT_MAX), "unknown");
	CU_ASSERT_STRING_EQUAL(ns_parse_reason_name(NS_PARSE_R_TCP_SHORT), "TCP header cut short");
	CU_ASSERT_STRING_EQUAL(ns_parse_reason_name(NS_PARSE_REASON_MAX), "unknown");
	for (unsigned i = 0; i < NS_PARSE_REASON_MAX; i++)
		CU_ASSERT_PTR_NOT_NULL(ns_parse_reason_name(i));
	CU_ASSERT_STRING_EQUAL(ns_layer_name(NS_LAYER_IDX_QINQ), "qinq");
	CU_ASSERT_STRING_EQUAL(ns_layer_name(NS_LAYER_IDX_OTHER), "other");
	CU_ASSERT_STRING_EQUAL(ns_layer_name(NS_LAYER_MAX), "unknown");
	CU_ASSERT_TRUE(ns_proto_linktype_supported(NS_LINK_LINUX_SLL2));
	CU_ASSERT_TRUE(ns_proto_linktype_supported(NS_LINK_RAW_FILE));
	CU_ASSERT_FALSE(ns_proto_linktype_supported(147));
	CU_ASSERT_STRING_EQUAL(ns_proto_linktype_name(NS_LINK_RAW_OPENBSD), "RAW");
	CU_ASSERT_STRING_EQUAL(ns_proto_linktype_name(NS_LINK_LOOP), "LOOP");
	CU_ASSERT_STRING_EQUAL(ns_proto_linktype_name(147), "unknown");
	CU_ASSERT_STRING_EQUAL(ns_addr_format(&any, a, sizeof(a)), "::");
	CU_ASSERT_FALSE(ns_addr_is_v4(&any));
	CU_ASSERT_STRING_EQUAL(ns_addr_format(&v4_src, a, 4), ""); /* too small: empty */
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_eth_ipv4_tcp),
	NS_TEST(test_tcp_all_options),
	NS_TEST(test_tcp_options_after_eol_ignored),
	NS_TEST(test_udp),
	NS_TEST(test_payload_len_from_ip_not_caplen),
	NS_TEST(test_icmp_echo),
	NS_TEST(test_icmp_error_takes_quoted_ports),
	NS_TEST(test_icmp_quote_ends_with_ip_packet),
	NS_TEST(test_icmpv6_echo),
	NS_TEST(test_arp),
	NS_TEST(test_linux_sll),
	NS_TEST(test_linux_sll2),
	NS_TEST(test_raw_links),
	NS_TEST(test_null_and_loop),
	NS_TEST(test_vlan_8021q),
	NS_TEST(test_qinq_8021ad),
	NS_TEST(test_three_stacked_tags),
	NS_TEST(test_vlan_9200),
	NS_TEST(test_vlan_after_sll),
	NS_TEST(test_other_ethertypes),
	NS_TEST(test_ipv4_options),
	NS_TEST(test_ipv4_fragments),
	NS_TEST(test_ipv6_each_extension),
	NS_TEST(test_ipv6_extension_chain),
	NS_TEST(test_ipv6_fragments),
	NS_TEST(test_ipv6_stop_headers),
	NS_TEST(test_ipv4_other_protocol),
	NS_TEST(test_ipv4_ah),
	NS_TEST(test_ipv6_jumbo),
	NS_TEST(test_ipv4_big_tcp),
	NS_TEST(test_caplen_above_wirelen),
	NS_TEST(test_names),
};

NS_TEST_MAIN("proto_parse", cases)
