/* SPDX-License-Identifier: MIT */
/*
 * The hand-off between a shard and the engine when the engine falls behind: a shard that ran
 * out of free tables still delivers its last table at the end of input, so the SYNs of the
 * final slots are judged like any others.
 */
#include "anomaly_test.h"

static void
observe_syn(struct ns_anomaly_shard *s, struct ns_addr src, uint16_t sport, struct ns_addr dst,
	    uint64_t ts)
{
	struct ns_pkt p;
	const struct ns_pkt *pp = &p;

	pkt_tcp(&p, src, sport, dst, 80, NS_TCP_SYN, sport * 1000u, 0);
	ns_anomaly_shard_observe_burst(s, &pp, &ts, 1);
}

/*
 * The engine is not ticked while the shard counts: after three slots handed over, the shard
 * has no free table left and keeps filling the fourth (counted as stalled). The flood sits in
 * that table only; the flush must still bring it to the engine.
 */
static void
test_flush_delivers_stalled_table(void)
{
	struct ns_anomaly_params p;
	struct ns_anomaly_engine *e;
	struct ns_anomaly_shard *s;
	struct ns_anomaly_stats st;
	struct ns_anomaly_alert ev[16];
	unsigned n, raised = 0;
	uint64_t t;

	rig_params(&p);
	p.shards = 1;
	e = ns_anomaly_engine_create(&p);
	s = ns_anomaly_shard_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(ns_anomaly_engine_attach(e, s), 0);
	/* one SYN in each of the first four 1 s slots: three tables go out, none comes back */
	for (unsigned i = 0; i < 4; i++)
		observe_syn(s, ip("10.1.0.1"), (uint16_t)(1024 + i), ip("10.1.0.2"), T0 + i * SEC);
	/* 3000 SYNs in slots 3 and 4: 600/s over the 5 s window, far above 200/s */
	for (unsigned i = 0; i < 3000; i++) {
		t = T0 + 3 * SEC + 500 * MS + (uint64_t)i * 1500 * MS / 3000;
		observe_syn(s, ip_n(0x0a020000, i), (uint16_t)(2000 + i % 50000), ip("10.9.9.9"),
			    t);
	}
	ns_anomaly_engine_stats(e, &st);
	CU_ASSERT(st.c[NS_ANOMALY_C_HANDOFF_STALLED] > 0);
	ns_anomaly_shard_flush(s);
	ns_anomaly_engine_finish(e, ns_anomaly_shard_now(s));
	while ((n = ns_anomaly_engine_poll(e, ev, NS_ARRAY_SIZE(ev))) > 0)
		for (unsigned i = 0; i < n; i++)
			if (ev[i].signature == NS_ANOMALY_SYN_FLOOD &&
			    ev[i].state == NS_ANOMALY_RAISED &&
			    addr_eq(&ev[i].dst, ip("10.9.9.9")) && ev[i].syn.window_syns == 3000)
				raised++;
	CU_ASSERT_EQUAL(raised, 1);
	ns_anomaly_engine_destroy(e);
	ns_anomaly_shard_destroy(s);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_flush_delivers_stalled_table),
};

NS_TEST_MAIN("anomaly_handoff", cases)
