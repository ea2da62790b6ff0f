/* SPDX-License-Identifier: MIT */
/*
 * ns_parse()'s fixed-offset fast path (untagged Ethernet / IPv4 IHL 5, not a fragment / TCP or
 * UDP) must give exactly the struct ns_pkt the general layer-by-layer parse gives, byte for
 * byte, on every input. Each frame goes through ns_parse(), parse_general() and parse_fast()
 * (proto_priv.h) into results pre-filled with different garbage, and the three are memcmp()ed:
 * every corpus frame at its own length and cut at every caplen up to 80 bytes, crafted TCP and
 * UDP frames cut at every byte and under every wire length that changes a verdict, every value
 * of every header byte the fast path reads, and named edge cases whose path is asserted too, so
 * the test also fails if the fast path stops taking the frames it exists for.
 * The corpus directory comes as argv[1] (meson passes `corpus_dir`) or NS_CORPUS_DIR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus_walk.h"
#include "ns_test.h"
#include "pkt_build.h"
#include "proto_priv.h"

static const char *corpus_dir;

/* Frames compared, frames the fast path took and mismatches, over the whole run. A mismatch
 * is printed (the first few) and counted; each test asserts its own count stayed put, so a
 * broken fast path fails in one CUnit record per test instead of one per frame. */
static unsigned long n_compared, n_fast, n_diff;

/*
 * Parse @caplen bytes of @d (claiming @wirelen on the wire) the three ways from an exact-size
 * heap copy, so AddressSanitizer sees any read past caplen; fail on any difference. Returns
 * whether the fast path took the frame.
 */
static bool
compare3(int linktype, const uint8_t *d, uint32_t caplen, uint32_t wirelen)
{
	uint8_t *copy = malloc(caplen != 0 ? caplen : 1);
	struct ns_pkt a, b, f;
	bool fast;

	if (copy == NULL)
		abort();
	memcpy(copy, d, caplen);
	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	memset(&f, 0x3c, sizeof(f));
	ns_parse(linktype, copy, caplen, wirelen, &a);
	parse_general(linktype, copy, caplen, wirelen, &b);
	fast = parse_fast(linktype, copy, caplen, wirelen, &f);
	free(copy);
	n_compared++;
	if (memcmp(&a, &b, sizeof(a)) != 0 || (fast && memcmp(&f, &b, sizeof(f)) != 0)) {
		if (n_diff++ < 10)
			fprintf(stderr,
				"\n  link %d caplen %u wirelen %u fast %d: ns_parse %s/%s, "
				"general %s/%s",
				linktype, caplen, wirelen, fast, ns_parse_verdict_name(a.verdict),
				ns_parse_reason_name(a.reason), ns_parse_verdict_name(b.verdict),
				ns_parse_reason_name(b.reason));
	}
	if (fast)
		n_fast++;
	return fast;
}

/* The wire lengths that matter for a capture of @caplen bytes of a @len-byte frame. */
static void
compare_wirelens(int linktype, const uint8_t *d, uint32_t caplen, uint32_t len)
{
	const uint32_t wire[] = { caplen,     len,    caplen + 1,
				  len + 1,    0,      caplen - (caplen != 0),
				  65535 + 14, 100000, UINT32_MAX };

	for (size_t i = 0; i < sizeof(wire) / sizeof(wire[0]); i++)
		compare3(linktype, d, caplen, wire[i]);
}

/* Every caplen from 0 to the whole frame, each under every wire length above. */
static void
compare_cuts(int linktype, const struct pb *p)
{
	for (uint32_t cap = 0; cap <= p->len; cap++)
		compare_wirelens(linktype, p->b, cap, p->len);
}

/* Ethernet/IPv4/TCP (@ipopt option bytes, @tcpopt option bytes) with @payload bytes. */
static void
build_tcp(struct pb *p, uint16_t frag, uint8_t ipopt, const uint8_t *opts, uint8_t tcpopt,
	  uint16_t payload)
{
	uint32_t ip;

	pb_eth(p, 0x0800);
	ip = pb_ipv4(p, 6, frag, ipopt);
	pb_tcp(p, 40000, 443, 0x01020304, 0x05060708, NS_TCP_ACK | NS_TCP_PSH, 501, opts, tcpopt);
	pb_put(p, NULL, payload);
	pb_ipv4_done(p, ip);
}

/* Ethernet/IPv4/UDP with @payload bytes, then @pad bytes of Ethernet padding. */
static void
build_udp(struct pb *p, uint16_t frag, uint16_t payload, uint16_t pad)
{
	uint32_t ip;

	pb_eth(p, 0x0800);
	ip = pb_ipv4(p, 17, frag, 0);
	pb_udp(p, 5353, 53, payload);
	pb_ipv4_done(p, ip);
	pb_put(p, NULL, pad);
}

/* The whole frame, caplen == wirelen: returns whether the fast path took it. */
static bool
fast_whole(const struct pb *p)
{
	return compare3(NS_LINK_EN10MB, p->b, p->len, p->len);
}

/* NOP, NOP, Timestamps (RFC 7323 Appendix A) and the Linux SYN: MSS, SACK-permitted,
 * Timestamps, NOP, Window scale: the two layouts the fast path decodes at fixed offsets. */
static const uint8_t ts_opts[12] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
static const uint8_t syn_opts[20] = {
	2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7
};

static void
test_fast_tcp_cut_everywhere(void)
{
	const unsigned long diff0 = n_diff;
	struct pb p = { .len = 0 };

	build_tcp(&p, 0x4000, 0, NULL, 0, 6); /* 60 bytes, the minimum Ethernet frame */
	CU_ASSERT_EQUAL(p.len, 60);
	compare_cuts(NS_LINK_EN10MB, &p);
	/* the fast path needs the 54 header bytes, no more */
	CU_ASSERT_TRUE(compare3(NS_LINK_EN10MB, p.b, 54, 60));
	CU_ASSERT_FALSE(compare3(NS_LINK_EN10MB, p.b, 53, 60));
	CU_ASSERT_TRUE(fast_whole(&p));

	p.len = 0;
	build_tcp(&p, 0, 0, ts_opts, sizeof(ts_opts), 0);
	compare_cuts(NS_LINK_EN10MB, &p);
	CU_ASSERT_TRUE(fast_whole(&p));
	CU_ASSERT_FALSE(compare3(NS_LINK_EN10MB, p.b, 54 + 11, p.len)); /* options cut */
	CU_ASSERT_EQUAL(n_diff, diff0);
}

static void
test_fast_udp_cut_everywhere(void)
{
	const unsigned long diff0 = n_diff;
	struct pb p = { .len = 0 };

	build_udp(&p, 0, 4, 14); /* 46 bytes of headers and data, padded to 60 */
	CU_ASSERT_EQUAL(p.len, 60);
	compare_cuts(NS_LINK_EN10MB, &p);
	CU_ASSERT_TRUE(fast_whole(&p));

	p.len = 0;
	build_udp(&p, 0, 200, 0);
	compare_cuts(NS_LINK_EN10MB, &p);
	CU_ASSERT_TRUE(fast_whole(&p));
	CU_ASSERT_EQUAL(n_diff, diff0);
}

/*
 * Every value of every byte from the ethertype to the end of the TCP options (NOP, NOP,
 * Timestamps; the Linux SYN layout) or of the UDP header, whole and cut short: ethertype,
 * version/IHL, lengths, flags and fragment offset, protocol, data offset, UDP length and every
 * option kind and length byte take each of their 256 values.
 */
static void
test_fast_every_byte_value(void)
{
	const unsigned long diff0 = n_diff;
	struct pb ts = { .len = 0 }, syn = { .len = 0 }, udp = { .len = 0 };
	const struct pb *frames[] = { &ts, &syn, &udp };
	const uint32_t hdr_end[] = { 54 + sizeof(ts_opts), 54 + sizeof(syn_opts), 54 };

	build_tcp(&ts, 0, 0, ts_opts, sizeof(ts_opts), 30);
	build_tcp(&syn, 0, 0, syn_opts, sizeof(syn_opts), 0);
	build_udp(&udp, 0, 30, 0);
	CU_ASSERT_TRUE(fast_whole(&ts));
	CU_ASSERT_TRUE(fast_whole(&syn));
	for (size_t f = 0; f < 3; f++) {
		for (uint32_t at = 12; at < hdr_end[f]; at++) {
			struct pb m = *frames[f];

			for (unsigned v = 0; v < 256; v++) {
				m.b[at] = (uint8_t)v;
				compare_wirelens(NS_LINK_EN10MB, m.b, m.len, m.len);
				compare3(NS_LINK_EN10MB, m.b, 54, m.len);
				compare3(NS_LINK_EN10MB, m.b, hdr_end[f] - 1, m.len);
				compare3(NS_LINK_EN10MB, m.b, hdr_end[f], m.len);
			}
		}
	}
	CU_ASSERT_EQUAL(n_diff, diff0);
}

/* IHL 6 and IPv4 options of every length take the general path, with the same result. */
static void
test_fast_ip_options(void)
{
	const unsigned long diff0 = n_diff;
	for (uint8_t opt = 0; opt <= 40; opt += 4) {
		struct pb p = { .len = 0 };

		build_tcp(&p, 0, opt, NULL, 0, 10);
		CU_ASSERT_EQUAL(fast_whole(&p), opt == 0);
		compare_cuts(NS_LINK_EN10MB, &p);
	}
	CU_ASSERT_EQUAL(n_diff, diff0);
}

/* Fragments: MF or an offset sends the frame to the general path; DF or the reserved flag
 * alone does not. */
static void
test_fast_fragments(void)
{
	const unsigned long diff0 = n_diff;
	static const struct {
		uint16_t ff;
		bool fast;
	} cases[] = {
		{ 0x0000, true },  { 0x4000, true },  { 0x8000, true },  { 0xc000, true },
		{ 0x2000, false }, { 0x0001, false }, { 0x00b9, false }, { 0x2001, false },
		{ 0x6000, false }, { 0x1fff, false }, { 0x4001, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pb t = { .len = 0 }, u = { .len = 0 };

		build_tcp(&t, cases[i].ff, 0, NULL, 0, 20);
		build_udp(&u, cases[i].ff, 20, 0);
		CU_ASSERT_EQUAL(fast_whole(&t), cases[i].fast);
		CU_ASSERT_EQUAL(fast_whole(&u), cases[i].fast);
		compare_cuts(NS_LINK_EN10MB, &t);
		compare_cuts(NS_LINK_EN10MB, &u);
	}
	/* a first fragment ending 8 bytes into the TCP header, padded to the 60-byte minimum
	 * frame, and the same lengths unfragmented: the general path, fragment or not */
	for (size_t i = 0; i < 2; i++) {
		struct pb t = { .len = 0 };

		build_tcp(&t, i == 0 ? 0x2000 : 0, 0, NULL, 0, 0);
		t.len = 34 + 8;
		pb_ipv4_done(&t, 14);
		pb_put(&t, NULL, 18);
		CU_ASSERT_FALSE(fast_whole(&t));
		compare_cuts(NS_LINK_EN10MB, &t);
	}
	CU_ASSERT_EQUAL(n_diff, diff0);
}

/*
 * IPv4 Total Length against the headers, caplen and the wire: Ethernet padding (shorter than
 * the frame) is the fast path; longer than the wire (IPV4_TOTLEN_LONG), below the headers and
 * BIG TCP's 0 are not.
 */
static void
test_fast_total_length(void)
{
	const unsigned long diff0 = n_diff;
	struct pb t = { .len = 0 }, u = { .len = 0 };

	build_tcp(&t, 0, 0, NULL, 0, 100); /* Total Length 140 */
	build_udp(&u, 0, 100, 0); /* Total Length 128, UDP Length 108 */
	for (uint32_t tot = 0; tot <= 200; tot++) {
		struct pb a = t, b = u;

		pb_set16(&a, 16, (uint16_t)tot);
		pb_set16(&b, 16, (uint16_t)tot);
		CU_ASSERT_EQUAL(fast_whole(&a), tot >= 40 && tot <= 140);
		CU_ASSERT_EQUAL(fast_whole(&b), tot >= 128 && tot <= 128);
		/* more wire than captured: the Total Length may exceed caplen */
		CU_ASSERT_EQUAL(compare3(NS_LINK_EN10MB, a.b, a.len, a.len + 46),
				tot >= 40 && tot <= 186);
		compare_cuts(NS_LINK_EN10MB, &a);
		compare_cuts(NS_LINK_EN10MB, &b);
	}
	/* BIG TCP: Total Length 0 and more than 64 KiB on the wire */
	pb_set16(&t, 16, 0);
	CU_ASSERT_FALSE(compare3(NS_LINK_EN10MB, t.b, t.len, 70000));
	/* a padded minimum frame: Total Length 40 in 60 bytes */
	t.len = 0;
	build_tcp(&t, 0, 0, NULL, 0, 0);
	pb_put(&t, NULL, 6);
	CU_ASSERT_TRUE(fast_whole(&t));
	CU_ASSERT_EQUAL(n_diff, diff0);
}

/* UDP Length from 0 to past the IP payload. */
static void
test_fast_udp_length(void)
{
	const unsigned long diff0 = n_diff;
	struct pb u = { .len = 0 };

	build_udp(&u, 0, 100, 0); /* IP payload 108 */
	for (uint32_t ulen = 0; ulen <= 200; ulen++) {
		struct pb a = u;

		pb_set16(&a, 38, (uint16_t)ulen);
		CU_ASSERT_EQUAL(fast_whole(&a), ulen >= 8 && ulen <= 108);
		compare_wirelens(NS_LINK_EN10MB, a.b, a.len, a.len);
	}
	CU_ASSERT_EQUAL(n_diff, diff0);
}

/* Every TCP data offset, with the options valid, malformed and cut by caplen. */
static void
test_fast_tcp_doff(void)
{
	const unsigned long diff0 = n_diff;
	static const uint8_t bad_opts[4] = { 2, 3, 0, 0 }; /* MSS with length 3 */
	struct pb t = { .len = 0 }, m = { .len = 0 };
	struct ns_pkt pkt;

	build_tcp(&t, 0, 0, NULL, 0, 60);
	for (unsigned doff = 0; doff < 16; doff++) {
		struct pb a = t;

		a.b[46] = (uint8_t)(doff << 4);
		CU_ASSERT_EQUAL(fast_whole(&a), doff >= 5);
		compare_cuts(NS_LINK_EN10MB, &a);
	}
	build_tcp(&m, 0, 0, bad_opts, sizeof(bad_opts), 0);
	CU_ASSERT_TRUE(fast_whole(&m));
	CU_ASSERT_TRUE(parse_fast(NS_LINK_EN10MB, m.b, m.len, m.len, &pkt));
	CU_ASSERT_EQUAL(pkt.verdict, NS_PARSE_MALFORMED);
	CU_ASSERT_EQUAL(pkt.reason, NS_PARSE_R_TCP_OPTIONS);
	CU_ASSERT_EQUAL(n_diff, diff0);
}

/* Frames that are not the fast path's: their results still match (trivially, since ns_parse()
 * takes the general path), and the fast path must decline them. */
static void
test_fast_declines(void)
{
	const unsigned long diff0 = n_diff;
	struct pb p;
	uint32_t ip;

	p.len = 0; /* VLAN-tagged */
	pb_eth(&p, 0x8100);
	pb_vlan(&p, 10, 0x0800);
	ip = pb_ipv4(&p, 6, 0, 0);
	pb_tcp(&p, 1, 2, 3, 4, NS_TCP_SYN, 5, NULL, 0);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_FALSE(fast_whole(&p));

	for (size_t i = 0; i < 3; i++) { /* the other TPIDs */
		static const uint16_t tpid[3] = { 0x88a8, 0x9100, 0x9200 };

		p.len = 0;
		pb_eth(&p, tpid[i]);
		pb_vlan(&p, 10, 0x0800);
		ip = pb_ipv4(&p, 6, 0, 0);
		pb_tcp(&p, 1, 2, 3, 4, NS_TCP_SYN, 5, NULL, 0);
		pb_ipv4_done(&p, ip);
		CU_ASSERT_FALSE(fast_whole(&p));
		compare_cuts(NS_LINK_EN10MB, &p);
	}

	p.len = 0; /* ICMP */
	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 1, 0, 0);
	pb_icmp(&p, 8, 0, 7, 40);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_FALSE(fast_whole(&p));

	p.len = 0; /* IPv4 AH + TCP */
	pb_eth(&p, 0x0800);
	ip = pb_ipv4(&p, 51, 0, 0);
	pb_ah(&p, 6);
	pb_tcp(&p, 1, 2, 3, 4, NS_TCP_SYN, 5, NULL, 0);
	pb_ipv4_done(&p, ip);
	CU_ASSERT_FALSE(fast_whole(&p));
	compare_cuts(NS_LINK_EN10MB, &p);

	p.len = 0; /* IPv6 */
	pb_eth(&p, 0x86dd);
	ip = pb_ipv6(&p, 6);
	pb_tcp(&p, 1, 2, 3, 4, NS_TCP_SYN, 5, NULL, 0);
	pb_ipv6_done(&p, ip);
	CU_ASSERT_FALSE(fast_whole(&p));

	/* the same bytes as an Ethernet/IPv4/TCP frame, but another link type */
	p.len = 0;
	build_tcp(&p, 0, 0, NULL, 0, 10);
	CU_ASSERT_TRUE(fast_whole(&p));
	for (int lt = 0; lt < 300; lt++)
		CU_ASSERT_EQUAL(compare3(lt, p.b, p.len, p.len), lt == NS_LINK_EN10MB);
	CU_ASSERT_EQUAL(n_diff, diff0);
}

/* Every frame of every capture in the corpus, whole and cut at every caplen up to 80. */
static void
fast_corpus_frame(void *ctx, int linktype, const uint8_t *data, uint32_t caplen,
		  uint32_t wirelen)
{
	(void)ctx;
	compare3(linktype, data, caplen, wirelen);
	for (uint32_t cap = 0; cap < caplen && cap <= 80; cap++)
		compare3(linktype, data, cap, wirelen);
}

static void
test_fast_corpus(void)
{
	const unsigned long diff0 = n_diff, fast_before = n_fast;
	const struct corpus_walk w = { fast_corpus_frame, NULL, NULL };
	unsigned long frames = 0;
	int files = corpus_walk(corpus_dir, &w, &frames);

	fprintf(stderr, "\n  %d files, %lu frames, %lu parses took the fast path ", files, frames,
		n_fast - fast_before);
	CU_ASSERT(files >= 35);
	CU_ASSERT(frames > 1000);
	/* the corpus has plain Ethernet/IPv4 TCP and UDP: the fast path must see some of it */
	CU_ASSERT(n_fast - fast_before > 1000);
	CU_ASSERT_EQUAL(n_diff, diff0);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_fast_tcp_cut_everywhere), NS_TEST(test_fast_udp_cut_everywhere),
	NS_TEST(test_fast_every_byte_value),   NS_TEST(test_fast_ip_options),
	NS_TEST(test_fast_fragments),          NS_TEST(test_fast_total_length),
	NS_TEST(test_fast_udp_length),         NS_TEST(test_fast_tcp_doff),
	NS_TEST(test_fast_declines),           NS_TEST(test_fast_corpus),
};

int
main(int argc, char **argv)
{
	int rc;

	corpus_dir = argc > 1 ? argv[1] : getenv("NS_CORPUS_DIR");
	if (corpus_dir == NULL) {
		fprintf(stderr, "usage: %s CORPUS_DIR (or set NS_CORPUS_DIR)\n", argv[0]);
		return 2;
	}
	rc = ns_test_run("proto_fast_path", cases, sizeof(cases) / sizeof(cases[0]));
	fprintf(stderr, "%lu frames compared, %lu by the fast path too, %lu differed\n", n_compared,
		n_fast, n_diff);
	return rc;
}
