/* SPDX-License-Identifier: MIT */
/*
 * The hand-off between a shard and the engine when the engine falls behind. A shard that ran
 * out of free tables keeps filling one table across several slots (a stalled hand-off); the
 * engine must judge those counts as the slots they were counted in, exactly as if the hand-off
 * had not stalled: no false alert from several slots' SYNs or probes piled into one, no real
 * flood or scan lost, and the same alert events. A shard that ran out of tables also still
 * delivers its last table at the end of input.
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

/* ---- a management thread that stops for a while ---- */

struct item {
	struct ns_pkt p;
	uint64_t ts;
};

struct stream {
	struct item *it;
	uint32_t n, cap;
};

static void
push_tcp(struct stream *s, uint64_t ts, struct ns_addr a, uint16_t ap, struct ns_addr b,
	 uint16_t bp, uint8_t flags, uint32_t seq, uint32_t ack)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->it = realloc(s->it, sizeof(*s->it) * s->cap);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s->it);
	}
	pkt_tcp(&s->it[s->n].p, a, ap, b, bp, flags, seq, ack);
	s->it[s->n++].ts = ts;
}

/* @rate SYNs per second from @src to @dst:@port over [@from, @to), none answered. */
static void
push_syns(struct stream *s, struct ns_addr src, struct ns_addr dst, uint16_t port, uint32_t rate,
	  uint64_t from, uint64_t to)
{
	uint32_t n = (uint32_t)((to - from) / SEC * rate);

	for (uint32_t i = 0; i < n; i++)
		push_tcp(s, from + (uint64_t)i * SEC / rate, src, (uint16_t)(1024 + i % 60000), dst,
			 port, NS_TCP_SYN, 1000u * i, 0);
}

/* @rate ports per second of @dst probed by @src from port 1 over [@from, @to), all closed. */
static void
push_vscan(struct stream *s, struct ns_addr src, struct ns_addr dst, uint32_t rate, uint64_t from,
	   uint64_t to)
{
	uint32_t n = (uint32_t)((to - from) * rate / SEC);

	for (uint32_t i = 0; i < n; i++) {
		uint64_t t = from + (uint64_t)i * SEC / rate;
		uint16_t port = (uint16_t)(1 + i);

		push_tcp(s, t, src, 40000, dst, port, NS_TCP_SYN, 5000u + port, 0);
		push_tcp(s, t + 50 * US, dst, port, src, 40000, NS_TCP_RST | NS_TCP_ACK, 0,
			 5001u + port);
	}
}

static int
by_ts(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x < y ? -1 : x > y;
}

#define NO_PAUSE 0, 0
#define PAUSE_FROM (T0 + 3 * SEC)
#define PAUSE_TO (T0 + 10 * SEC)

/*
 * Replay @s into shard 0 as a worker does, the management thread ticking the engine after
 * every packet except in [@pause_from, @pause_to), when it does not run at all (descheduled,
 * blocked): the engine then holds the three tables the worker hands over and the worker fills
 * its fourth across the slots that follow. With @nshards 2, the second worker sees no traffic
 * but its housekeeping keeps its clock moving, so the engine, once it runs again, may evaluate
 * shard 0's stalled slots without waiting for them (the lateness bound) and they arrive late.
 */
static struct rig *
replay(struct stream *s, unsigned nshards, uint64_t pause_from, uint64_t pause_to)
{
	struct ns_anomaly_params p;
	struct rig *r;

	qsort(s->it, s->n, sizeof(s->it[0]), by_ts);
	rig_params(&p);
	p.max_sources = 16384; /* no cap is hit: stalled or not, every count is kept */
	r = rig_new(&p, nshards);
	for (uint32_t i = 0; i < s->n; i++) {
		const struct ns_pkt *pp = &s->it[i].p;
		uint64_t ts = s->it[i].ts;

		ns_anomaly_shard_observe_burst(r->s[0], &pp, &ts, 1);
		r->now = NS_MAX(r->now, ts);
		for (unsigned k = 1; k < nshards; k++)
			ns_anomaly_shard_advance(r->s[k], r->now);
		if (ts >= pause_from && ts < pause_to)
			continue;
		ns_anomaly_engine_tick(r->e, r->now);
		rig_poll(r);
	}
	rig_idle(r, s->it[s->n - 1].ts + 20 * SEC);
	rig_finish(r);
	return r;
}

static uint64_t
counter(const struct rig *r, unsigned c)
{
	struct ns_anomaly_stats st;

	ns_anomaly_engine_stats(r->e, &st);
	return st.c[c];
}

static void
assert_same_events(const struct rig *a, const struct rig *b)
{
	CU_ASSERT_EQUAL_FATAL(a->nev, b->nev);
	for (unsigned i = 0; i < a->nev; i++)
		CU_ASSERT(alerts_same(&a->ev[i], &b->ev[i]));
}

static unsigned
raised_on(const struct rig *r, unsigned sig, struct ns_addr addr)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->nev; i++) {
		const struct ns_anomaly_alert *a = &r->ev[i];

		if (a->signature == sig && a->state == NS_ANOMALY_RAISED &&
		    ((a->has_dst && addr_eq(&a->dst, addr)) ||
		     (a->has_src && addr_eq(&a->src, addr))))
			n++;
	}
	return n;
}

/*
 * 150 SYN/s, steadily, to one host: under the 200 SYN/s threshold in every window. The stall
 * packs slots 5 to 10 (900 SYNs) into one table; judged as one slot, those SYNs stayed in the
 * window four slots too long, and the window ending with slot 11 held 1,050 SYNs: a syn_flood
 * at 210 SYN/s that never happened.
 */
static void
test_stalled_table_no_false_flood(void)
{
	struct stream s = { 0 };
	struct rig *calm, *stalled;

	push_syns(&s, ip("10.1.0.1"), ip("10.2.0.1"), 80, 150, T0, T0 + 14 * SEC);
	calm = replay(&s, 1, NO_PAUSE);
	stalled = replay(&s, 1, PAUSE_FROM, PAUSE_TO);
	CU_ASSERT_EQUAL(counter(calm, NS_ANOMALY_C_HANDOFF_STALLED), 0);
	CU_ASSERT(counter(stalled, NS_ANOMALY_C_HANDOFF_STALLED) >= 5);
	CU_ASSERT_EQUAL(counter(stalled, NS_ANOMALY_C_LATE_SLOTS), 0);
	CU_ASSERT_EQUAL(calm->nev, 0);
	CU_ASSERT_EQUAL(rig_count(stalled, NS_ANOMALY_SYN_FLOOD, -1), 0);
	CU_ASSERT_EQUAL(stalled->nev, 0);
	rig_free(calm);
	rig_free(stalled);
	free(s.it);
}

/*
 * The same traffic, with an idle second worker whose clock keeps moving: the engine evaluates
 * slots 5 to 7 without shard 0's table (forced by the lateness bound), which then arrives late
 * holding slots 5 to 10. Its late slots may count only in windows still to come, and only as
 * the slots they are; piled into the slot being evaluated they made the same false flood.
 */
static void
test_late_stalled_table_no_false_flood(void)
{
	struct stream s = { 0 };
	struct rig *r;

	push_syns(&s, ip("10.1.0.1"), ip("10.2.0.1"), 80, 150, T0, T0 + 14 * SEC);
	r = replay(&s, 2, PAUSE_FROM, PAUSE_TO);
	CU_ASSERT(counter(r, NS_ANOMALY_C_HANDOFF_STALLED) > 0);
	CU_ASSERT(counter(r, NS_ANOMALY_C_FORCED_SLOTS) > 0);
	CU_ASSERT(counter(r, NS_ANOMALY_C_LATE_SLOTS) > 0);
	CU_ASSERT_EQUAL(rig_count(r, NS_ANOMALY_SYN_FLOOD, -1), 0);
	CU_ASSERT_EQUAL(r->nev, 0);
	rig_free(r);
	free(s.it);
}

/*
 * A real flood (1,000 SYN/s for 3 s) that sits entirely in a stalled table, next to the
 * steady 150 SYN/s: raised once, on its victim, and - the table arriving before its slots were
 * evaluated - with exactly the events of the run whose hand-off never stalled (same time,
 * rates, counts, top lists). Arriving late, it is still raised.
 */
static void
test_stalled_table_real_flood(void)
{
	struct ns_addr vic = ip("10.4.0.1");
	struct stream s = { 0 };
	struct rig *calm, *stalled, *late;

	push_syns(&s, ip("10.1.0.1"), ip("10.2.0.1"), 80, 150, T0, T0 + 14 * SEC);
	push_syns(&s, ip("10.3.0.1"), vic, 443, 1000, T0 + 5 * SEC + 500 * MS,
		  T0 + 8 * SEC + 500 * MS);
	calm = replay(&s, 1, NO_PAUSE);
	stalled = replay(&s, 1, PAUSE_FROM, PAUSE_TO);
	late = replay(&s, 2, PAUSE_FROM, PAUSE_TO);
	CU_ASSERT(counter(stalled, NS_ANOMALY_C_HANDOFF_STALLED) > 0);
	CU_ASSERT_EQUAL(raised_on(calm, NS_ANOMALY_SYN_FLOOD, vic), 1);
	CU_ASSERT_EQUAL(rig_count(calm, -1, NS_ANOMALY_RAISED), 1);
	CU_ASSERT_EQUAL(raised_on(stalled, NS_ANOMALY_SYN_FLOOD, vic), 1);
	assert_same_events(calm, stalled);
	CU_ASSERT(counter(late, NS_ANOMALY_C_LATE_SLOTS) > 0);
	CU_ASSERT_EQUAL(raised_on(late, NS_ANOMALY_SYN_FLOOD, vic), 1);
	CU_ASSERT_EQUAL(rig_count(late, -1, NS_ANOMALY_RAISED), 1);
	rig_free(calm);
	rig_free(stalled);
	rig_free(late);
	free(s.it);
}

/*
 * Port scans count distinct probes, which no division by the slots covered could make right:
 * 60 distinct ports failed over three slots are 60 distinct ports in every window holding
 * those slots. Each failed probe carries its own slot instead. A slow scan (4 closed ports a
 * second: 40 in any 10 s window, under 50) stays silent however its probes are packed, and a
 * real one (80 ports in 1 s) inside a stalled table is raised when it happened: the events
 * are those of the run that never stalled.
 */
static void
test_stalled_table_scans_by_slot(void)
{
	struct ns_addr slow = ip("10.5.0.1"), fast = ip("10.7.0.1");
	struct stream s = { 0 };
	struct rig *calm, *stalled;

	push_vscan(&s, slow, ip("10.6.0.1"), 4, T0, T0 + 14 * SEC);
	push_vscan(&s, fast, ip("10.8.0.1"), 80, T0 + 8 * SEC + 500 * MS, T0 + 9 * SEC + 500 * MS);
	calm = replay(&s, 1, NO_PAUSE);
	stalled = replay(&s, 1, PAUSE_FROM, PAUSE_TO);
	CU_ASSERT(counter(stalled, NS_ANOMALY_C_HANDOFF_STALLED) > 0);
	CU_ASSERT_EQUAL(raised_on(calm, NS_ANOMALY_PORT_SCAN, fast), 1);
	CU_ASSERT_EQUAL(rig_count(calm, -1, NS_ANOMALY_RAISED), 1);
	CU_ASSERT_EQUAL(raised_on(stalled, NS_ANOMALY_PORT_SCAN, slow), 0);
	CU_ASSERT_EQUAL(raised_on(stalled, NS_ANOMALY_PORT_SCAN, fast), 1);
	assert_same_events(calm, stalled);
	rig_free(calm);
	rig_free(stalled);
	free(s.it);
}

/*
 * A gap in packet time inside a stall, as offline replay of sparse traffic makes it: nothing
 * between T0 + 6 s and T0 + 1000 s, and the management thread stopped from T0 + 3 s to
 * T0 + 1016 s. The stalled tables then cover slots far more than 255 apart but few distinct
 * slots. Counted by their distance from the table's first slot, every slot after the gap
 * shared the last offset and was judged as the table's last slot: 17 slots of 150 SYN/s in
 * one made a false syn_flood, and the probes of a real scan right after the gap were merged
 * only at the table's last scan slot, out of its window, so the scan was never raised. Counted
 * by distinct slot, the events are those of the run that never stalled.
 */
static void
test_stalled_table_gap(void)
{
	struct ns_addr slow = ip("10.5.0.1"), fast = ip("10.7.0.1");
	struct stream s = { 0 };
	struct rig *calm, *stalled;

	push_syns(&s, ip("10.1.0.1"), ip("10.2.0.1"), 80, 150, T0, T0 + 6 * SEC);
	push_syns(&s, ip("10.1.0.1"), ip("10.2.0.1"), 80, 150, T0 + 1000 * SEC, T0 + 1020 * SEC);
	push_vscan(&s, slow, ip("10.6.0.1"), 4, T0, T0 + 6 * SEC);
	push_vscan(&s, slow, ip("10.6.0.2"), 4, T0 + 1000 * SEC, T0 + 1020 * SEC);
	push_vscan(&s, fast, ip("10.8.0.1"), 80, T0 + 1000 * SEC + 500 * MS,
		   T0 + 1001 * SEC + 500 * MS);
	calm = replay(&s, 1, NO_PAUSE);
	stalled = replay(&s, 1, PAUSE_FROM, T0 + 1016 * SEC);
	CU_ASSERT(counter(stalled, NS_ANOMALY_C_HANDOFF_STALLED) > 0);
	CU_ASSERT_EQUAL(raised_on(calm, NS_ANOMALY_PORT_SCAN, fast), 1);
	CU_ASSERT_EQUAL(rig_count(calm, -1, NS_ANOMALY_RAISED), 1);
	CU_ASSERT_EQUAL(rig_count(stalled, NS_ANOMALY_SYN_FLOOD, -1), 0);
	CU_ASSERT_EQUAL(raised_on(stalled, NS_ANOMALY_PORT_SCAN, fast), 1);
	CU_ASSERT_EQUAL(raised_on(stalled, NS_ANOMALY_PORT_SCAN, slow), 0);
	assert_same_events(calm, stalled);
	rig_free(calm);
	rig_free(stalled);
	free(s.it);
}

/*
 * A long pause with a second, idle worker: the engine, running again at T0 + 14 s, evaluates
 * slots up to 11 without shard 0, whose stalled table (slots 5 to 14) comes only after. Slots
 * 5 to 7 are then older than every window still to evaluate, and the flood that lay in them
 * (1,000 SYN/s in slots 6 and 7) can no longer be judged. Its SYNs are counted as dropped, not lost
 * silently; the slots a window still holds are merged as before (no false flood from the steady
 * rate).
 */
static void
test_late_stalled_table_counts_dropped(void)
{
	struct ns_addr vic = ip("10.4.0.1");
	struct stream s = { 0 };
	struct rig *calm, *late;

	push_syns(&s, ip("10.1.0.1"), ip("10.2.0.1"), 80, 150, T0, T0 + 20 * SEC);
	push_syns(&s, ip("10.3.0.1"), vic, 443, 1000, T0 + 6 * SEC, T0 + 8 * SEC);
	calm = replay(&s, 2, NO_PAUSE);
	late = replay(&s, 2, PAUSE_FROM, T0 + 14 * SEC);
	CU_ASSERT_EQUAL(counter(calm, NS_ANOMALY_C_LATE_SYNS_DROPPED), 0);
	CU_ASSERT_EQUAL(raised_on(calm, NS_ANOMALY_SYN_FLOOD, vic), 1);
	CU_ASSERT(counter(late, NS_ANOMALY_C_LATE_SLOTS) > 0);
	/* slots 5 to 7: the flood's 2,000 SYNs and 3 s of the steady 150 SYN/s */
	CU_ASSERT_EQUAL(counter(late, NS_ANOMALY_C_LATE_SYNS_DROPPED), 2000 + 3 * 150);
	CU_ASSERT_EQUAL(raised_on(late, NS_ANOMALY_SYN_FLOOD, ip("10.2.0.1")), 0);
	rig_free(calm);
	rig_free(late);
	free(s.it);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_flush_delivers_stalled_table),      NS_TEST(test_stalled_table_no_false_flood),
	NS_TEST(test_late_stalled_table_no_false_flood), NS_TEST(test_stalled_table_real_flood),
	NS_TEST(test_stalled_table_scans_by_slot),       NS_TEST(test_stalled_table_gap),
	NS_TEST(test_late_stalled_table_counts_dropped),
};

NS_TEST_MAIN("anomaly_handoff", cases)
