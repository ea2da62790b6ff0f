/* SPDX-License-Identifier: MIT */
/*
 * Packet time that jumps: one packet stamped far ahead must not drag the clock (detection
 * would stop for the rest of the input), while traffic that really moved ahead (a file joining
 * captures of different days) moves it, and sparse traffic moves it as it comes. The driver feeds
 * one shard as netscope does with a file: no idle advance, and the engine ticked with the latest
 * timestamp seen so far.
 */
#include "anomaly_test.h"

#define YEAR (365ull * 86400 * SEC)

struct drv {
	struct ns_anomaly_engine *e;
	struct ns_anomaly_shard *s;
	uint64_t max_ts;
	struct ns_anomaly_alert ev[64];
	unsigned nev;
};

static void
drv_init(struct drv *d)
{
	struct ns_anomaly_params p;

	memset(d, 0, sizeof(*d));
	rig_params(&p);
	p.shards = 1;
	d->e = ns_anomaly_engine_create(&p);
	d->s = ns_anomaly_shard_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d->e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d->s);
	CU_ASSERT_EQUAL_FATAL(ns_anomaly_engine_attach(d->e, d->s), 0);
}

static void
drv_poll(struct drv *d)
{
	d->nev += ns_anomaly_engine_poll(d->e, d->ev + d->nev, NS_ARRAY_SIZE(d->ev) - d->nev);
}

static void
drv_feed(struct drv *d, const struct ns_pkt *p, uint64_t ts)
{
	ns_anomaly_shard_observe_burst(d->s, &p, &ts, 1);
	d->max_ts = NS_MAX(d->max_ts, ts);
	ns_anomaly_engine_tick(d->e, d->max_ts);
	drv_poll(d);
}

static void
drv_syn(struct drv *d, uint32_t i, struct ns_addr dst, uint64_t ts)
{
	struct ns_pkt p;

	pkt_tcp(&p, ip_n(0x0a300000, i), (uint16_t)(1024 + i % 60000), dst, 80, NS_TCP_SYN, i, 0);
	drv_feed(d, &p, ts);
}

static const struct ns_anomaly_alert *
drv_raised(const struct drv *d)
{
	for (unsigned i = 0; i < d->nev; i++)
		if (d->ev[i].signature == NS_ANOMALY_SYN_FLOOD &&
		    d->ev[i].state == NS_ANOMALY_RAISED)
			return &d->ev[i];
	return NULL;
}

static void
drv_fini(struct drv *d)
{
	ns_anomaly_engine_destroy(d->e);
	ns_anomaly_shard_destroy(d->s);
}

/*
 * A 1,000 SYN/s flood for 8 s with one SYN stamped a year ahead 100 ms in. The flood is raised
 * during the input, at its own time (end of the first slot), and the stray packet is counted.
 * Before, the shard's clock jumped a year ahead, every later SYN counted in that one slot, and
 * the flood came out only at the end, stamped a year late.
 */
static void
test_far_future_packet_ignored(void)
{
	struct drv d;
	const struct ns_anomaly_alert *a;
	struct ns_anomaly_stats st;
	unsigned before_finish;

	drv_init(&d);
	for (uint32_t i = 0; i < 8000; i++) {
		drv_syn(&d, i, ip("10.3.0.1"), T0 + (uint64_t)i * MS);
		if (i == 100)
			drv_syn(&d, 99999, ip("10.3.0.1"), T0 + YEAR);
	}
	before_finish = d.nev;
	ns_anomaly_shard_flush(d.s);
	ns_anomaly_engine_finish(d.e, d.max_ts);
	drv_poll(&d);
	a = drv_raised(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT(a < d.ev + before_finish); /* raised while the input ran */
	/* the stray SYN counts in the open slot: 1,001 SYNs in the first second, 200.2/s */
	CU_ASSERT_EQUAL(a->ts_ns, T0 + SEC);
	/* cleared at the end of the input, not a year later */
	CU_ASSERT(d.ev[d.nev - 1].ts_ns <= T0 + 10 * SEC);
	ns_anomaly_engine_stats(d.e, &st);
	CU_ASSERT_EQUAL(st.c[NS_ANOMALY_C_TIME_OUTLIERS], 1);
	CU_ASSERT_EQUAL(st.c[NS_ANOMALY_C_TIME_JUMPS], 0);
	drv_fini(&d);
}

/*
 * Traffic that continues @gap later moves the clock, the flood there is raised at its time;
 * a gap above two days is a jump the next packet confirmed, a shorter one just time passing.
 */
static void
check_gap_followed(uint64_t gap, uint64_t jumps)
{
	struct drv d;
	const struct ns_anomaly_alert *a;
	struct ns_anomaly_stats st;
	uint64_t t1 = T0 + gap;

	drv_init(&d);
	for (uint32_t i = 0; i < 100; i++)
		drv_syn(&d, i, ip("10.3.0.2"), T0 + (uint64_t)i * 10 * MS);
	for (uint32_t i = 0; i < 8000; i++)
		drv_syn(&d, i, ip("10.3.0.1"), t1 + (uint64_t)i * MS);
	ns_anomaly_shard_flush(d.s);
	ns_anomaly_engine_finish(d.e, d.max_ts);
	drv_poll(&d);
	a = drv_raised(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT(addr_eq(&a->dst, ip("10.3.0.1")));
	CU_ASSERT_EQUAL(a->ts_ns, t1 + 2 * SEC);
	ns_anomaly_engine_stats(d.e, &st);
	CU_ASSERT_EQUAL(st.c[NS_ANOMALY_C_TIME_JUMPS], jumps);
	CU_ASSERT_EQUAL(st.c[NS_ANOMALY_C_TIME_OUTLIERS], 0);
	drv_fini(&d);
}

static void
test_confirmed_jump_ahead_followed(void)
{
	check_gap_followed(3 * 86400 * SEC, 1);
}

static void
test_gap_followed(void)
{
	check_gap_followed(3600 * SEC, 0);
	check_gap_followed(86400 * SEC, 0);
}

/*
 * Sparse traffic moves the clock packet by packet: 100 probes to 100 ports, a minute apart,
 * are never a port scan (one probe per window), and no time is an outlier.
 */
static void
test_sparse_not_one_slot(void)
{
	struct drv d;
	struct ns_anomaly_stats st;
	struct ns_pkt pk;

	drv_init(&d);
	for (uint32_t i = 0; i < 100; i++) {
		pkt_tcp(&pk, ip("10.4.0.1"), 40000, ip("10.4.0.2"), (uint16_t)(1000 + i),
			NS_TCP_SYN, i, 0);
		drv_feed(&d, &pk, T0 + (uint64_t)i * 60 * SEC);
	}
	ns_anomaly_shard_flush(d.s);
	ns_anomaly_engine_finish(d.e, d.max_ts);
	drv_poll(&d);
	CU_ASSERT_EQUAL(d.nev, 0);
	ns_anomaly_engine_stats(d.e, &st);
	CU_ASSERT_EQUAL(st.c[NS_ANOMALY_C_TIME_OUTLIERS], 0);
	CU_ASSERT_EQUAL(st.c[NS_ANOMALY_C_TIME_JUMPS], 0);
	drv_fini(&d);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_far_future_packet_ignored),
	NS_TEST(test_confirmed_jump_ahead_followed),
	NS_TEST(test_gap_followed),
	NS_TEST(test_sparse_not_one_slot),
};

NS_TEST_MAIN("anomaly_time_jump", cases)
