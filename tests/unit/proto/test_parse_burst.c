/* SPDX-License-Identifier: MIT */
/*
 * ns_parse_burst() must give, for every frame of a burst, exactly the struct ns_pkt that
 * ns_parse() gives for that frame alone (byte for byte, from results pre-filled with different
 * garbage), copy every capture time, and write nothing past the burst. Each list of frames (one
 * per corpus capture, at its link type and under other link types, and crafted frames cut at
 * every byte under every wire length that changes a verdict) is parsed in bursts of every size
 * from 1 to 40 and of the whole list, so every frame is seen at every position of a burst,
 * after every kind of neighbour. Frames are exact-size heap copies: AddressSanitizer sees any
 * read past caplen. The corpus directory comes as argv[1] (meson passes `corpus_dir`) or
 * NS_CORPUS_DIR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus_walk.h"
#include "ns_core.h"
#include "ns_test.h"
#include "pkt_build.h"

static const char *corpus_dir;

/* A growing list of frames, each data block an exact-size heap copy. */
struct flist {
	struct ns_frame *f;
	unsigned n, cap;
};

static unsigned long n_compared, n_diff;

static void
flist_add(struct flist *l, const uint8_t *d, uint32_t caplen, uint32_t wirelen)
{
	uint8_t *copy = malloc(caplen != 0 ? caplen : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, d, caplen);
	if (l->n == l->cap) {
		l->cap = l->cap != 0 ? 2 * l->cap : 256;
		l->f = realloc(l->f, l->cap * sizeof(*l->f));
		if (l->f == NULL)
			abort();
	}
	/* distinct, unordered times: the copy must keep each with its frame */
	l->f[l->n] = (struct ns_frame){ .data = copy,
					.caplen = caplen,
					.wirelen = wirelen,
					.ts_ns = 0x9e3779b97f4a7c15ull * (l->n + 1) };
	l->n++;
}

static void
flist_free(struct flist *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free((void *)l->f[i].data);
	free(l->f);
	*l = (struct flist){ 0 };
}

/* Guard entries after the burst's end: they must come back untouched. */
#define GUARD 2

/*
 * Parse @l with @linktype one frame at a time (ns_parse) and in bursts of @burst (0: the whole
 * list in one call); count every frame whose result or time differs, and any write past a
 * burst. Returns the number of differences.
 */
static unsigned long
compare_bursts(int linktype, const struct flist *l, unsigned burst)
{
	struct ns_pkt *ref = malloc((l->n + 1) * sizeof(*ref));
	struct ns_pkt *got = malloc((l->n + GUARD) * sizeof(*got));
	uint64_t *ts = malloc((l->n + GUARD) * sizeof(*ts));
	struct ns_pkt guard;
	unsigned long diff = 0;

	if (ref == NULL || got == NULL || ts == NULL)
		abort();
	memset(ref, 0xa5, l->n * sizeof(*ref));
	memset(got, 0x5a, (l->n + GUARD) * sizeof(*got));
	memset(ts, 0x77, (l->n + GUARD) * sizeof(*ts));
	memset(&guard, 0x5a, sizeof(guard));
	for (unsigned i = 0; i < l->n; i++)
		ns_parse(linktype, l->f[i].data, l->f[i].caplen, l->f[i].wirelen, &ref[i]);
	for (unsigned off = 0; off < l->n;) {
		unsigned k = burst == 0 ? l->n : NS_MIN(burst, l->n - off);

		ns_parse_burst(linktype, l->f + off, k, got + off, ts + off);
		/* nothing past this burst yet: the next entry still holds its garbage */
		if (memcmp(&got[off + k], &guard, sizeof(guard)) != 0 ||
		    ts[off + k] != 0x7777777777777777ull)
			diff++;
		off += k;
	}
	for (unsigned i = 0; i < l->n; i++) {
		n_compared++;
		if (memcmp(&got[i], &ref[i], sizeof(ref[i])) == 0 && ts[i] == l->f[i].ts_ns)
			continue;
		if (diff++ < 5)
			fprintf(stderr,
				"\n  link %d burst %u frame %u caplen %u wirelen %u: ns_parse "
				"%s/%s, "
				"burst %s/%s",
				linktype, burst, i, l->f[i].caplen, l->f[i].wirelen,
				ns_parse_verdict_name(ref[i].verdict),
				ns_parse_reason_name(ref[i].reason),
				ns_parse_verdict_name(got[i].verdict),
				ns_parse_reason_name(got[i].reason));
	}
	for (unsigned g = 0; g < GUARD; g++)
		if (memcmp(&got[l->n + g], &guard, sizeof(guard)) != 0)
			diff++;
	free(ref);
	free(got);
	free(ts);
	n_diff += diff;
	return diff;
}

/* Bursts of every size from 1 to 40 and the whole list. */
static void
compare_all_bursts(int linktype, const struct flist *l)
{
	for (unsigned b = 0; b <= 40; b++)
		CU_ASSERT_EQUAL(compare_bursts(linktype, l, b), 0);
}

/* An empty burst writes nothing. */
static void
test_burst_empty(void)
{
	struct ns_pkt pkt, before;
	uint64_t ts = 42;

	memset(&pkt, 0x33, sizeof(pkt));
	before = pkt;
	ns_parse_burst(NS_LINK_EN10MB, NULL, 0, &pkt, &ts);
	ns_parse_burst(NS_LINK_LINUX_SLL, NULL, 0, &pkt, &ts);
	CU_ASSERT_EQUAL(memcmp(&pkt, &before, sizeof(pkt)), 0);
	CU_ASSERT_EQUAL(ts, 42);
}

/* The frame, cut at every caplen, each under the wire lengths that change a verdict. */
static void
add_cuts(struct flist *l, const struct pb *p)
{
	for (uint32_t cap = 0; cap <= p->len; cap++) {
		const uint32_t wire[] = { cap, p->len, cap + 1, cap - (cap != 0), 0, 100000 };

		for (size_t w = 0; w < NS_ARRAY_SIZE(wire); w++)
			flist_add(l, p->b, cap, wire[w]);
	}
}

/*
 * Crafted Ethernet frames, fast path and not, interleaved: TCP without and with options (the
 * two fixed layouts and a malformed one), UDP, a fragment, IPv4 options, VLAN, ICMP, IPv6, all
 * cut everywhere; also parsed under other link types.
 */
static void
test_burst_crafted(void)
{
	static const uint8_t ts_opts[12] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const uint8_t syn_opts[20] = { 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0,
					      0, 1, 0, 0,    0, 0, 1, 3,  3, 7 };
	static const uint8_t bad_opts[4] = { 2, 3, 0, 0 };
	static const int links[] = { NS_LINK_EN10MB, NS_LINK_LINUX_SLL, NS_LINK_RAW, NS_LINK_NULL,
				     999 };
	struct flist l = { 0 };
	struct pb p;
	uint32_t ip;

	for (unsigned v = 0; v < 9; v++) {
		p.len = 0;
		if (v == 5) {
			pb_eth(&p, 0x8100);
			pb_vlan(&p, 7, 0x0800);
		} else if (v == 7) {
			pb_eth(&p, 0x86dd);
		} else {
			pb_eth(&p, 0x0800);
		}
		if (v == 7) {
			ip = pb_ipv6(&p, 6);
			pb_tcp(&p, 1, 2, 3, 4, NS_TCP_SYN, 5, NULL, 0);
			pb_ipv6_done(&p, ip);
			add_cuts(&l, &p);
			continue;
		}
		ip = pb_ipv4(&p,
			     v == 4   ? 17
			     : v == 6 ? 1
				      : 6,
			     v == 3 ? 0x2000 : 0x4000, v == 8 ? 8 : 0);
		if (v == 4)
			pb_udp(&p, 5353, 53, 20);
		else if (v == 6)
			pb_icmp(&p, 8, 0, 7, 40);
		else
			pb_tcp(&p, 40000, 443, 0x01020304, 0x05060708, NS_TCP_ACK, 501,
			       v == 1   ? ts_opts
			       : v == 2 ? syn_opts
			       : v == 3 ? bad_opts
					: NULL,
			       v == 1   ? 12
			       : v == 2 ? 20
			       : v == 3 ? 4
					: 0);
		if (v != 4 && v != 6)
			pb_put(&p, NULL, 6);
		pb_ipv4_done(&p, ip);
		add_cuts(&l, &p);
	}
	/* the same frames again in another order: each after other neighbours */
	for (unsigned i = 0, n = l.n; i < n; i += 7)
		flist_add(&l, l.f[i].data, l.f[i].caplen, l.f[i].wirelen);
	CU_ASSERT(l.n > 1000);
	for (size_t k = 0; k < NS_ARRAY_SIZE(links); k++)
		compare_all_bursts(links[k], &l);
	flist_free(&l);
}

/* Every frame of every corpus capture, whole and cut to 60 bytes, at its own link type and as
 * Ethernet (or as Linux cooked capture when it is Ethernet). */
static void
burst_corpus_frame(void *ctx, int linktype, const uint8_t *data, uint32_t caplen,
		   uint32_t wirelen)
{
	struct flist *l = ctx;

	(void)linktype;
	flist_add(l, data, caplen, wirelen);
	if (caplen > 60)
		flist_add(l, data, 60, wirelen);
}

static void
burst_corpus_file_end(void *ctx, int linktype)
{
	struct flist *l = ctx;

	compare_all_bursts(linktype, l);
	compare_all_bursts(linktype == NS_LINK_EN10MB ? NS_LINK_LINUX_SLL : NS_LINK_EN10MB, l);
	flist_free(l);
}

static void
test_burst_corpus(void)
{
	const unsigned long diff0 = n_diff;
	struct flist l = { 0 };
	const struct corpus_walk w = { burst_corpus_frame, burst_corpus_file_end, &l };
	unsigned long frames = 0;
	int files = corpus_walk(corpus_dir, &w, &frames);

	CU_ASSERT(files >= 35);
	CU_ASSERT(frames > 1000);
	CU_ASSERT_EQUAL(n_diff, diff0);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_burst_empty),
	NS_TEST(test_burst_crafted),
	NS_TEST(test_burst_corpus),
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
	rc = ns_test_run("proto_parse_burst", cases, NS_ARRAY_SIZE(cases));
	fprintf(stderr, "%lu frames compared, %lu differed\n", n_compared, n_diff);
	return rc;
}
