/* SPDX-License-Identifier: MIT */
/*
 * The pipeline delivers the same flow records whether one shard runs inline or two run on
 * worker threads: every packet ends in exactly one record, and both directions of each flow
 * meet in one record (the software RSS is symmetric).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ns_pipeline.h"
#include "ns_proto.h"
#include "ns_test.h"

#define FLOWS 2000
#define PACKETS 60000

struct collect {
	struct ns_flow_record *recs;
	unsigned n, cap;
};

static void
on_records(void *arg, const struct ns_flow_record *recs, unsigned n)
{
	struct collect *c = arg;

	for (unsigned i = 0; i < n; i++) {
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 1024;
			c->recs = realloc(c->recs, sizeof(*c->recs) * c->cap);
		}
		c->recs[c->n++] = recs[i];
	}
}

static void
make_pkt(struct ns_pkt *p, unsigned flow, bool reply)
{
	uint8_t a[4] = { 10, 0, (uint8_t)(flow >> 8), (uint8_t)flow };
	uint8_t b[4] = { 192, 168, 7, (uint8_t)(flow % 7) };
	struct ns_addr x = { { 0 } }, y = { { 0 } };

	memset(p, 0, sizeof(*p));
	x.b[10] = x.b[11] = y.b[10] = y.b[11] = 0xff;
	memcpy(x.b + 12, a, 4);
	memcpy(y.b + 12, b, 4);
	p->verdict = NS_PARSE_OK;
	p->layers = NS_LAYER_BIT(ETH) | NS_LAYER_BIT(IPV4) | NS_LAYER_BIT(UDP);
	p->l3 = NS_L3_IPV4;
	p->l4 = NS_L4_UDP;
	p->ip_version = 4;
	p->ip_proto = 17;
	p->src = reply ? y : x;
	p->dst = reply ? x : y;
	p->sport = reply ? 53 : (uint16_t)(20000 + flow);
	p->dport = reply ? (uint16_t)(20000 + flow) : 53;
	p->caplen = p->wirelen = 100 + flow % 50;
	p->payload_len = p->wirelen - 42;
}

static int
cmp_rec(const void *a, const void *b)
{
	const struct ns_flow_record *x = a, *y = b;
	int c = memcmp(&x->src, &y->src, sizeof(x->src));

	if (c == 0)
		c = memcmp(&x->dst, &y->dst, sizeof(x->dst));
	if (c == 0)
		c = (int)x->src_port - (int)y->src_port;
	if (c == 0)
		c = (int)x->dst_port - (int)y->dst_port;
	return c;
}

static void
run(bool threaded, unsigned workers, struct collect *out)
{
	struct ns_pipeline_params p = {
		.workers = workers,
		.threaded = threaded,
		.backpressure = true,
		.ring_size = 1024,
		.top_n = 10,
		.on_records = on_records,
		.arg = out,
	};
	struct ns_pkt pkts[32];
	uint64_t ts[32];
	struct ns_pipeline *pl;
	uint64_t t = 1700000000ULL * 1000000000ULL;

	ns_flow_params_default(&p.flow);
	p.flow.capacity = 8192;
	p.flow.seed = 42;
	pl = ns_pipeline_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	for (unsigned i = 0; i < PACKETS; i += 32) {
		for (unsigned k = 0; k < 32; k++) {
			unsigned seq = i + k;

			make_pkt(&pkts[k], (seq * 7919u) % FLOWS, seq % 3 == 0);
			ts[k] = t + (uint64_t)seq * 1000;
		}
		CU_ASSERT_EQUAL(ns_pipeline_submit(pl, pkts, ts, 32), 32);
		ns_pipeline_poll(pl, ts[31]);
	}
	CU_ASSERT_EQUAL(ns_pipeline_finish(pl), 0);
	ns_pipeline_destroy(pl);
}

static void
test_inline_equals_two_workers(void)
{
	struct collect one = { 0 }, two = { 0 };
	uint64_t pk1 = 0, pk2 = 0;
	unsigned same = 0;

	run(false, 1, &one);
	run(true, 2, &two);
	CU_ASSERT_EQUAL(one.n, FLOWS);
	CU_ASSERT_EQUAL(two.n, FLOWS);
	for (unsigned i = 0; i < one.n; i++)
		pk1 += one.recs[i].pkts[0] + one.recs[i].pkts[1];
	for (unsigned i = 0; i < two.n; i++)
		pk2 += two.recs[i].pkts[0] + two.recs[i].pkts[1];
	CU_ASSERT_EQUAL(pk1, PACKETS);
	CU_ASSERT_EQUAL(pk2, PACKETS);
	qsort(one.recs, one.n, sizeof(*one.recs), cmp_rec);
	qsort(two.recs, two.n, sizeof(*two.recs), cmp_rec);
	for (unsigned i = 0; i < one.n && i < two.n; i++)
		if (cmp_rec(&one.recs[i], &two.recs[i]) == 0 &&
		    one.recs[i].pkts[0] == two.recs[i].pkts[0] &&
		    one.recs[i].pkts[1] == two.recs[i].pkts[1] &&
		    one.recs[i].bytes[0] == two.recs[i].bytes[0] &&
		    one.recs[i].bytes[1] == two.recs[i].bytes[1] && two.recs[i].pkts[1] > 0)
			same++;
	CU_ASSERT_EQUAL(same, FLOWS);
	free(one.recs);
	free(two.recs);
}

/*
 * A worker reads the ports of a TCP header the snaplen cut from its copy of the frame: behind
 * 144 bytes of IPv6 destination options they are at bytes 198-201. Inline and on a worker
 * thread, the flow is 4000 -> 80 (a 128-byte copy gave 0 -> 0 on the worker).
 */
static void
test_deep_header_ports(void)
{
	uint8_t f[14 + 40 + 144 + 20] = { 0 };
	const uint32_t caplen = 14 + 40 + 144 + 8; /* the TCP header cut after its sequence */

	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[14 + 4] = 0;
	f[14 + 5] = 144 + 20; /* payload length */
	f[14 + 6] = 60; /* destination options */
	f[14 + 7] = 64;
	f[14 + 8 + 15] = 1; /* 2001:db8::... would do; ::1 and ::2 */
	f[14 + 24 + 15] = 2;
	f[54] = 6; /* next: TCP */
	f[55] = 17; /* (17 + 1) * 8 = 144 bytes */
	f[56] = 1; /* PadN over the rest */
	f[57] = 140;
	f[198] = 4000 >> 8;
	f[199] = 4000 & 0xff;
	f[201] = 80;
	f[198 + 12] = 5 << 4;

	for (unsigned threaded = 0; threaded < 2; threaded++) {
		struct collect got = { 0 };
		struct ns_pipeline_params p = {
			.workers = threaded ? 2 : 1,
			.threaded = threaded != 0,
			.backpressure = true,
			.ring_size = 1024,
			.top_n = 10,
			.on_records = on_records,
			.arg = &got,
		};
		struct ns_pipeline *pl;
		struct ns_pkt pkt;
		uint64_t ts = 1700000000ULL * 1000000000ULL;

		/* cut inside the TCP header: truncated, but keyed by its ports */
		CU_ASSERT_EQUAL_FATAL(ns_parse(1, f, caplen, sizeof(f), &pkt), NS_PARSE_TRUNCATED);
		CU_ASSERT_EQUAL_FATAL(pkt.l4, NS_L4_TCP);
		CU_ASSERT_EQUAL(pkt.l4_off, 198);
		ns_flow_params_default(&p.flow);
		p.flow.capacity = 1024;
		pl = ns_pipeline_create(&p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
		CU_ASSERT_EQUAL(ns_pipeline_submit(pl, &pkt, &ts, 1), 1);
		CU_ASSERT_EQUAL(ns_pipeline_finish(pl), 0);
		ns_pipeline_destroy(pl);
		CU_ASSERT_EQUAL_FATAL(got.n, 1);
		CU_ASSERT_EQUAL(got.recs[0].src_port, 4000);
		CU_ASSERT_EQUAL(got.recs[0].dst_port, 80);
		free(got.recs);
	}
}

/* The expected top 4: flows 19..16 with 20..17 packets. */
static bool
top_is(const struct ns_flow_record *top, unsigned n)
{
	if (n != 4)
		return false;
	for (unsigned i = 0; i < 4; i++)
		if (top[i].pkts[0] != 20 - i)
			return false;
	return true;
}

static void
test_top_n_merges_shards(void)
{
	struct ns_pipeline_params p = {
		.workers = 2, .threaded = true, .backpressure = true, .ring_size = 256, .top_n = 4,
	};
	struct collect c = { 0 };
	struct ns_flow_record top[4];
	struct ns_pkt pkts[32];
	uint64_t ts[32];
	struct ns_pipeline *pl;
	unsigned n = 0;

	p.on_records = on_records;
	p.arg = &c;
	ns_flow_params_default(&p.flow);
	p.flow.capacity = 1024;
	pl = ns_pipeline_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	/* flow f gets f+1 packets: the four largest are 19..16 */
	for (unsigned f = 0; f < 20; f++)
		for (unsigned k = 0; k <= f; k++) {
			make_pkt(&pkts[0], f, false);
			pkts[0].wirelen = 1000;
			ts[0] = 1700000000ULL * 1000000000ULL + k;
			ns_pipeline_submit(pl, pkts, ts, 1);
		}
	/* each worker publishes a snapshot about once a second: wait until both have published
	 * one taken after their last packet (at most a few seconds) */
	for (unsigned i = 0; i < 60 && !top_is(top, n); i++) {
		struct timespec d = { 0, 100000000 };

		nanosleep(&d, NULL);
		ns_pipeline_poll(pl, 0);
		n = ns_pipeline_top_n(pl, top, 4);
	}
	CU_ASSERT_EQUAL_FATAL(n, 4);
	for (unsigned i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(top[i].pkts[0], 20 - i);
	ns_pipeline_finish(pl);
	ns_pipeline_destroy(pl);
	free(c.recs);
}

static void
test_bad_params(void)
{
	struct ns_pipeline_params p = { .workers = 2, .threaded = false };

	p.on_records = on_records;
	ns_flow_params_default(&p.flow);
	CU_ASSERT_PTR_NULL(ns_pipeline_create(&p)); /* inline needs exactly one worker */
	p.workers = 0;
	CU_ASSERT_PTR_NULL(ns_pipeline_create(&p));
}

/*
 * Every shard's table size is there to read as soon as the pipeline exists (netscope's
 * start-up log reads it): worker threads used to publish it only on their first housekeeping,
 * so a read right after ns_pipeline_create() could see zeros ("2 shard(s) of 0 flows").
 */
static void
test_stats_from_start(void)
{
	for (unsigned threaded = 0; threaded < 2; threaded++) {
		struct ns_pipeline_params p = {
			.workers = threaded ? 2 : 1,
			.threaded = threaded != 0,
			.backpressure = true,
			.ring_size = 1024,
			.on_records = on_records,
		};
		struct ns_pipeline_worker_stats ws[NS_PIPELINE_WORKERS_MAX];
		struct collect c = { 0 };
		struct ns_pipeline *pl;
		unsigned n;

		p.arg = &c;
		ns_flow_params_default(&p.flow);
		p.flow.capacity = 8192;
		pl = ns_pipeline_create(&p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
		n = ns_pipeline_stats(pl, ws);
		CU_ASSERT_EQUAL(n, p.workers);
		for (unsigned i = 0; i < n; i++) {
			CU_ASSERT_EQUAL(ws[i].mem.capacity, ns_flow_table_capacity_for(8192));
			/* threaded workers parse into their own two arrays; inline, this caller
			 * did not promise to keep its arrays (submit_kept), so the table copies */
			CU_ASSERT_EQUAL(
				ws[i].mem.bytes,
				ns_flow_table_memory_for(8192, threaded ? NS_FLOW_DEFER_KEPT
									: NS_FLOW_DEFER_COPY));
		}
		ns_pipeline_finish(pl);
		ns_pipeline_destroy(pl);
		free(c.recs);
	}
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_stats_from_start),    NS_TEST(test_inline_equals_two_workers),
	NS_TEST(test_top_n_merges_shards), NS_TEST(test_bad_params),
	NS_TEST(test_deep_header_ports),
};

NS_TEST_MAIN("pipeline", cases)
