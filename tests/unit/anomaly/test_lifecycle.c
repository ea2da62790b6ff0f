/* SPDX-License-Identifier: MIT */
/*
 * Alert life cycle and bookkeeping: one alert per event (raised once, updated at most once per
 * window while it lasts, cleared after clear_after quiet seconds, raised anew afterwards),
 * the end of input, the recent-alert list, every cap counted when hit, parameter validation,
 * long silences, and the terminal line.
 */
#include <errno.h>
#include <time.h>

#include "anomaly_test.h"

static void
test_raise_update_clear(void)
{
	struct ns_anomaly_params p;
	struct ns_addr vic = ip("10.0.0.2");
	uint64_t prev = 0;
	unsigned updates;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	gen_syns(r, ip("10.0.0.1"), vic, 80, 30000, T0, 30 * SEC); /* 30 s at 1,000/s */
	rig_idle(r, T0 + 60 * SEC);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_RAISED), 1);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_CLEARED), 1);
	updates = rig_count(r, -1, NS_ANOMALY_UPDATE);
	/* at most one update per 5 s window while the flood lasts: ~28 s of it */
	CU_ASSERT(updates >= 4 && updates <= 7);
	for (unsigned i = 0; i < r->nev; i++) {
		CU_ASSERT_EQUAL(r->ev[i].id, r->ev[0].id); /* one alert throughout */
		CU_ASSERT(r->ev[i].ts_ns >= prev); /* in time order */
		prev = r->ev[i].ts_ns;
		if (i > 0 && r->ev[i].state == NS_ANOMALY_UPDATE)
			CU_ASSERT(r->ev[i].ts_ns - r->ev[i - 1].ts_ns >= 5 * SEC);
	}
	CU_ASSERT_EQUAL(r->ev[0].state, NS_ANOMALY_RAISED);
	CU_ASSERT_EQUAL(r->ev[r->nev - 1].state, NS_ANOMALY_CLEARED);
	CU_ASSERT_EQUAL(r->ev[r->nev - 1].clear_reason, NS_ANOMALY_CLEAR_QUIET);
	CU_ASSERT_EQUAL(r->ev[r->nev - 1].updates, updates);
	/* The window holds more than 1,000 SYNs (> 200/s) up to the slot ending at +33 s;
	 * cleared 10 quiet seconds later. */
	CU_ASSERT_EQUAL(r->ev[r->nev - 1].last_active_ns, T0 + 33 * SEC);
	CU_ASSERT_EQUAL(r->ev[r->nev - 1].ts_ns, T0 + 43 * SEC);
	CU_ASSERT_EQUAL(r->ev[r->nev - 1].syn.total_syns, 30000);
	CU_ASSERT(r->ev[r->nev - 1].syn.peak_rate >= 1000.0);
	CU_ASSERT_EQUAL(r->ev[r->nev - 1].severity, NS_ANOMALY_SEV_HIGH);
	/* a second flood after the clear is a new alert */
	gen_syns(r, ip("10.0.0.1"), vic, 80, 3000, T0 + 70 * SEC, 3 * SEC);
	rig_finish(r);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_RAISED), 2);
	CU_ASSERT_EQUAL(r->ev[r->nev - 1].id, r->ev[0].id + 1);
	CU_ASSERT_EQUAL(r->ev[r->nev - 1].state, NS_ANOMALY_CLEARED);
	CU_ASSERT_EQUAL(r->ev[r->nev - 1].clear_reason, NS_ANOMALY_CLEAR_END);
	rig_free(r);
}

static void
test_short_dip_does_not_clear(void)
{
	struct ns_anomaly_params p;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	/* flood, 8 s pause (less than window + clear_after), flood again: still one alert */
	gen_syns(r, ip("10.1.0.1"), ip("10.1.0.2"), 80, 3000, T0, 3 * SEC);
	rig_idle(r, T0 + 11 * SEC);
	gen_syns(r, ip("10.1.0.1"), ip("10.1.0.2"), 80, 3000, T0 + 11 * SEC, 3 * SEC);
	rig_finish(r);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_RAISED), 1);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_CLEARED), 1);
	rig_free(r);
}

static void
test_alert_list(void)
{
	struct ns_anomaly_params p;
	struct ns_anomaly_alert list[8];
	struct rig *r;
	unsigned n;

	rig_params(&p);
	r = rig_new(&p, 1);
	gen_syns(r, ip("10.2.0.1"), ip("10.2.0.2"), 80, 2000, T0, 2 * SEC);
	rig_idle(r, T0 + 30 * SEC); /* cleared */
	gen_syns(r, ip("10.2.0.1"), ip("10.2.0.3"), 80, 2000, T0 + 30 * SEC, 2 * SEC);
	gen_vscan(r, ip("10.2.0.66"), ip("10.2.0.4"), 1, 100, T0 + 33 * SEC, MS);
	rig_idle(r, T0 + 36 * SEC); /* the scan's 2 s slot ends at +34 s */
	n = ns_anomaly_engine_alerts(r->e, list, NS_ARRAY_SIZE(list));
	CU_ASSERT_EQUAL_FATAL(n, 3);
	/* active first, newest first; then the cleared one */
	CU_ASSERT_EQUAL(list[0].signature, NS_ANOMALY_PORT_SCAN);
	CU_ASSERT_EQUAL(list[1].signature, NS_ANOMALY_SYN_FLOOD);
	CU_ASSERT(addr_eq(&list[1].dst, ip("10.2.0.3")));
	CU_ASSERT_EQUAL(list[2].state, NS_ANOMALY_CLEARED);
	CU_ASSERT(addr_eq(&list[2].dst, ip("10.2.0.2")));
	CU_ASSERT_EQUAL(ns_anomaly_engine_alerts(r->e, list, 1), 1);
	rig_finish(r);
	CU_ASSERT_EQUAL(ns_anomaly_engine_alerts(r->e, list, NS_ARRAY_SIZE(list)), 3);
	CU_ASSERT_EQUAL(list[0].state, NS_ANOMALY_CLEARED);
	rig_free(r);
}

static void
test_caps_counted(void)
{
	struct ns_anomaly_params p;
	struct ns_anomaly_stats st;
	struct ns_pkt pk;
	struct rig *r;

	/* 64 keys per slot; a spoofed flood from 2,000 sources overflows the shard table, the
	 * victim's totals survive in its overflow key and the alert is still raised */
	rig_params(&p);
	p.max_sources = 64;
	r = rig_new(&p, 1);
	for (uint32_t i = 0; i < 2000; i++) {
		pkt_tcp(&pk, ip_n(0x64000000, i), 999, ip("10.3.0.2"), 80, NS_TCP_SYN, i, 0);
		rig_feed(r, &pk, T0 + (uint64_t)i * 500 * US);
	}
	rig_finish(r);
	ns_anomaly_engine_stats(r->e, &st);
	CU_ASSERT(st.c[NS_ANOMALY_C_SLOT_TABLE_FULL] > 0);
	CU_ASSERT(st.c[NS_ANOMALY_C_PENDING_FULL] > 0);
	CU_ASSERT_EQUAL(st.c[NS_ANOMALY_C_SYNS], 2000);
	CU_ASSERT_EQUAL(rig_count(r, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_RAISED), 1);
	CU_ASSERT_EQUAL(st.c[NS_ANOMALY_C_OVERFLOW_FULL], 0);
	rig_free(r);

	/* 64 sources fill the table; 100 more victims, one new source each, find room for
	 * 24 overflow keys (64 / 8 + 16): the other 76 victims' SYNs are not counted */
	rig_params(&p);
	p.max_sources = 64;
	r = rig_new(&p, 1);
	for (uint32_t i = 0; i < 164; i++) {
		struct ns_addr dst = i < 64 ? ip("10.3.0.2") : ip_n(0x0a040000, i);

		pkt_tcp(&pk, ip_n(0x64000000, i), 999, dst, 80, NS_TCP_SYN, i, 0);
		rig_feed(r, &pk, T0 + (uint64_t)i * US);
	}
	rig_finish(r);
	ns_anomaly_engine_stats(r->e, &st);
	CU_ASSERT_EQUAL(st.c[NS_ANOMALY_C_SLOT_TABLE_FULL], 100);
	CU_ASSERT_EQUAL(st.c[NS_ANOMALY_C_OVERFLOW_FULL], 76);
	rig_free(r);

	/* a 500-port scan with room for 64 probes: counted, and still detected */
	rig_params(&p);
	p.max_sources = 64;
	r = rig_new(&p, 1);
	gen_vscan(r, ip("10.3.0.66"), ip("10.3.0.2"), 1, 500, T0, 2 * MS);
	rig_finish(r);
	ns_anomaly_engine_stats(r->e, &st);
	CU_ASSERT(st.c[NS_ANOMALY_C_PROBE_TABLE_FULL] + st.c[NS_ANOMALY_C_WINDOW_FULL] > 0);
	CU_ASSERT_EQUAL(rig_count(r, NS_ANOMALY_PORT_SCAN, NS_ANOMALY_RAISED), 1);
	rig_free(r);

	/* two alerts allowed, three victims flooded */
	rig_params(&p);
	p.max_alerts = 2;
	r = rig_new(&p, 1);
	for (uint32_t i = 0; i < 6000; i++) {
		pkt_tcp(&pk, ip("10.3.1.1"), (uint16_t)(1000 + i), ip_n(0x0a030200, i % 3), 80,
			NS_TCP_SYN, i, 0);
		rig_feed(r, &pk, T0 + (uint64_t)i * 300 * US);
	}
	ns_anomaly_engine_stats(r->e, &st);
	CU_ASSERT(st.c[NS_ANOMALY_C_ALERTS_CAPPED] > 0);
	CU_ASSERT_EQUAL(st.active, 2);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_RAISED), 2);
	rig_free(r);
}

static void
test_events_dropped_when_not_polled(void)
{
	struct ns_anomaly_params p;
	struct ns_anomaly_shard *s;
	struct ns_anomaly_engine *e;
	struct ns_anomaly_stats st;
	struct ns_anomaly_alert out[16];
	const struct ns_pkt *pp;
	struct ns_pkt pk;

	rig_params(&p);
	p.max_alerts = 1; /* room for 4 queued events */
	e = ns_anomaly_engine_create(&p);
	s = ns_anomaly_shard_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(ns_anomaly_engine_attach(e, s), 0);
	pp = &pk;
	/* three floods one after the other, never polled: 6+ events */
	for (uint32_t k = 0; k < 3; k++) {
		for (uint32_t i = 0; i < 2000; i++) {
			uint64_t t = T0 + k * 40 * SEC + (uint64_t)i * MS;

			pkt_tcp(&pk, ip("10.4.0.1"), (uint16_t)(1000 + i), ip("10.4.0.2"), 80,
				NS_TCP_SYN, i, 0);
			ns_anomaly_shard_observe_burst(s, &pp, &t, 1);
			ns_anomaly_engine_tick(e, t);
		}
	}
	ns_anomaly_shard_flush(s);
	ns_anomaly_engine_finish(e, T0 + 83 * SEC);
	ns_anomaly_engine_stats(e, &st);
	CU_ASSERT(st.c[NS_ANOMALY_C_EVENTS_DROPPED] > 0);
	CU_ASSERT_EQUAL(st.c[NS_ANOMALY_C_RAISED], 3);
	CU_ASSERT_EQUAL(st.c[NS_ANOMALY_C_CLEARED], 3);
	CU_ASSERT_EQUAL(ns_anomaly_engine_poll(e, out, NS_ARRAY_SIZE(out)), 4);
	CU_ASSERT_EQUAL(out[3].state, NS_ANOMALY_CLEARED); /* the newest are kept */
	ns_anomaly_engine_destroy(e);
	ns_anomaly_shard_destroy(s);
}

static void
test_params_and_attach(void)
{
	struct ns_anomaly_params p, q;
	struct ns_anomaly_shard *s, *s2, *odd;
	struct ns_anomaly_engine *e;

	rig_params(&p);
	q = p;
	q.syn_ratio = 1.5;
	errno = 0;
	CU_ASSERT_PTR_NULL(ns_anomaly_shard_create(&q));
	CU_ASSERT_EQUAL(errno, EINVAL);
	q = p;
	q.syn_rate = 0;
	CU_ASSERT_PTR_NULL(ns_anomaly_engine_create(&q));
	q = p;
	q.max_sources = 10;
	CU_ASSERT_PTR_NULL(ns_anomaly_shard_create(&q));
	q = p;
	q.scan_window_s = 0;
	CU_ASSERT_PTR_NULL(ns_anomaly_engine_create(&q));
	CU_ASSERT_PTR_NULL(ns_anomaly_engine_create(NULL));

	e = ns_anomaly_engine_create(&p); /* shards = 1 */
	s = ns_anomaly_shard_create(&p);
	s2 = ns_anomaly_shard_create(&p);
	q = p;
	q.syn_window_s = 7;
	odd = ns_anomaly_shard_create(&q);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(odd);
	CU_ASSERT_EQUAL(ns_anomaly_engine_attach(e, odd), -EINVAL); /* slots would not align */
	CU_ASSERT_EQUAL(ns_anomaly_engine_attach(e, s), 0);
	CU_ASSERT_EQUAL(ns_anomaly_engine_attach(e, s), -EBUSY);
	CU_ASSERT_EQUAL(ns_anomaly_engine_attach(e, s2), -ENOSPC);
	ns_anomaly_engine_destroy(e);
	ns_anomaly_shard_destroy(s);
	ns_anomaly_shard_destroy(s2);
	ns_anomaly_shard_destroy(odd);
	ns_anomaly_engine_destroy(NULL);
	ns_anomaly_shard_destroy(NULL);
}

static void
test_long_silence_is_cheap(void)
{
	struct ns_anomaly_params p;
	struct timespec a, b;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	gen_syns(r, ip("10.5.0.1"), ip("10.5.0.2"), 80, 2000, T0, 2 * SEC);
	/* a year later (a capture spanning a gap), then again */
	gen_syns(r, ip("10.5.0.1"), ip("10.5.0.2"), 80, 2000, T0 + 365 * 86400 * SEC, 2 * SEC);
	rig_finish(r);
	clock_gettime(CLOCK_MONOTONIC, &b);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_RAISED), 2);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_CLEARED), 2);
	CU_ASSERT(b.tv_sec - a.tv_sec < 5);
	rig_free(r);
}

static void
test_format_lines(void)
{
	struct ns_anomaly_params p;
	char line[512];
	struct rig *r;
	int n;

	rig_params(&p);
	r = rig_new(&p, 1);
	gen_syns(r, ip("10.6.0.1"), ip("10.6.0.2"), 80, 3000, T0, 3 * SEC);
	gen_vscan(r, ip("10.6.0.66"), ip("10.6.0.3"), 1, 100, T0 + 60 * SEC, MS);
	rig_finish(r);
	CU_ASSERT_EQUAL_FATAL(rig_count(r, -1, NS_ANOMALY_RAISED), 2);
	n = ns_anomaly_alert_format(rig_first(r, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_RAISED), line,
				    sizeof(line));
	CU_ASSERT(n > 0 && (size_t)n < sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(line, "ALERT raised syn_flood #1 [medium] 10.6.0.1 -> 10.6.0.2:80"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "SYN/s"));
	ns_anomaly_alert_format(rig_first(r, NS_ANOMALY_PORT_SCAN, NS_ANOMALY_RAISED), line,
				sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "ALERT raised port_scan #2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "10.6.0.66 -> 10.6.0.3: tcp vertical scan"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "rejected 100"));
	ns_anomaly_alert_format(rig_first(r, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_CLEARED), line,
				sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "ALERT cleared syn_flood #1"));
	/* truncation behaves like snprintf */
	n = ns_anomaly_alert_format(&r->ev[0], line, 10);
	CU_ASSERT(n > 10);
	CU_ASSERT_EQUAL(strlen(line), 9);
	CU_ASSERT_STRING_EQUAL(ns_anomaly_counter_name(NS_ANOMALY_C_SLOT_TABLE_FULL),
			       "slot_table_full");
	CU_ASSERT_STRING_EQUAL(ns_anomaly_fail_name(NS_ANOMALY_FAIL_NO_ANSWER), "no_answer");
	rig_free(r);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_raise_update_clear),
	NS_TEST(test_short_dip_does_not_clear),
	NS_TEST(test_alert_list),
	NS_TEST(test_caps_counted),
	NS_TEST(test_events_dropped_when_not_polled),
	NS_TEST(test_params_and_attach),
	NS_TEST(test_long_silence_is_cheap),
	NS_TEST(test_format_lines),
};

NS_TEST_MAIN("anomaly_lifecycle", cases)
