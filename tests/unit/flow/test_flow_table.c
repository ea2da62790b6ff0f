/* SPDX-License-Identifier: MIT */
/*
 * Table behaviour: eviction when full (counted, record emitted with reason "evicted", the
 * victim chosen by class and age), idle timeouts per protocol and state on a fake clock, the
 * active timeout's interim records, counter overflow handled by an interim record, a sink
 * that refuses records (nothing lost, expiry deferred), top-N, the memory budget, and the
 * none-lost invariant under random traffic: every counted packet is in exactly one record.
 */
#include "flow_priv.h"
#include "flow_test.h"

static void
test_evict_when_full(void)
{
	struct ns_flow_table *t = table_new(4, NULL);
	struct ns_flow_stats st;
	char ip[32];

	for (unsigned i = 0; i < 5; i++) {
		struct ns_pkt p;

		snprintf(ip, sizeof(ip), "10.0.0.%u", i + 1);
		p = udp_pkt(ip, 1000, "10.9.9.9", 53, 10);
		CU_ASSERT_EQUAL(feed(t, &p, T0 + i * SEC), 1);
	}
	/* the oldest flow made room and was emitted at once */
	CU_ASSERT_EQUAL_FATAL(g_log.n, 1);
	CU_ASSERT_EQUAL(g_log.recs[0].end_reason, NS_FLOW_END_EVICTED);
	CU_ASSERT_PTR_NOT_NULL(rec_find("10.0.0.1", 1000));
	ns_flow_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.created, 5);
	CU_ASSERT_EQUAL(st.table_full, 1);
	CU_ASSERT_EQUAL(st.evict_full, 1);
	CU_ASSERT_EQUAL(st.ended[NS_FLOW_END_EVICTED], 1);
	CU_ASSERT_EQUAL(st.active, 4);
	CU_ASSERT_EQUAL(flush_all(t), 5);
	ns_flow_table_destroy(t);
}

/* A closed TCP flow goes before an older UDP flow (flow-table.md §5 classes). */
static void
test_evict_prefers_closed(void)
{
	struct ns_flow_table *t = table_new(3, NULL);
	struct ns_pkt u1 = udp_pkt("10.0.0.1", 1, "10.0.0.9", 9, 10);
	struct ns_pkt u2 = udp_pkt("10.0.0.2", 1, "10.0.0.9", 9, 10);
	struct ns_pkt syn = tcp_pkt("10.0.0.3", 5, "10.0.0.9", 80, NS_TCP_SYN, 1, 0, 100, 0);
	struct ns_pkt rst =
		tcp_pkt("10.0.0.9", 80, "10.0.0.3", 5, NS_TCP_RST | NS_TCP_ACK, 0, 2, 0, 0);
	struct ns_pkt u4 = udp_pkt("10.0.0.4", 1, "10.0.0.9", 9, 10);

	feed(t, &u1, T0);
	feed(t, &u2, T0 + SEC);
	feed(t, &syn, T0 + 2 * SEC);
	feed(t, &rst, T0 + 3 * SEC);
	feed(t, &u4, T0 + 4 * SEC);
	CU_ASSERT_EQUAL_FATAL(g_log.n, 1);
	CU_ASSERT_EQUAL(g_log.recs[0].proto, 6);
	CU_ASSERT_EQUAL(g_log.recs[0].end_reason, NS_FLOW_END_EVICTED);
	CU_ASSERT_EQUAL(g_log.recs[0].conn_state, NS_FLOW_CONN_REJ);
	ns_flow_table_destroy(t);
}

/* Idle timeouts by protocol and TCP state, driven by packet time. */
static void
test_timeouts(void)
{
	struct ns_flow_table *t = table_new(64, NULL);
	struct ns_pkt udp = udp_pkt("10.0.0.1", 1, "10.0.0.2", 2, 10);
	struct ns_pkt syn = tcp_pkt("10.0.0.1", 3, "10.0.0.2", 80, NS_TCP_SYN, 1, 0, 100, 0);
	struct ns_pkt rs1 = tcp_pkt("10.0.0.1", 4, "10.0.0.2", 80, NS_TCP_SYN, 1, 0, 100, 0);
	struct ns_pkt rs2 =
		tcp_pkt("10.0.0.2", 80, "10.0.0.1", 4, NS_TCP_RST | NS_TCP_ACK, 0, 2, 0, 0);
	struct ns_pkt est = tcp_pkt("10.0.0.1", 5, "10.0.0.2", 80, NS_TCP_ACK, 1, 1, 100, 10);
	const struct ns_flow_record *r;

	feed(t, &udp, T0);
	feed(t, &syn, T0);
	feed(t, &rs1, T0);
	feed(t, &rs2, T0 + 1 * MS);
	feed(t, &est, T0);
	CU_ASSERT_EQUAL(ns_flow_table_housekeeping(t, T0 + 2 * SEC, 64), 0);
	CU_ASSERT_EQUAL(ns_flow_table_housekeeping(t, T0 + 2 * SEC + 2 * MS, 64), 1);
	r = rec_find("10.0.0.1", 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->end_reason, NS_FLOW_END_CLOSED);
	CU_ASSERT_EQUAL(r->last_ns, T0 + MS);
	CU_ASSERT_EQUAL(ns_flow_table_housekeeping(t, T0 + 10 * SEC + US, 64), 1);
	r = rec_find("10.0.0.1", 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->end_reason, NS_FLOW_END_IDLE);
	CU_ASSERT_EQUAL(r->conn_state, NS_FLOW_CONN_S0);
	CU_ASSERT_EQUAL(ns_flow_table_housekeeping(t, T0 + 59 * SEC, 64), 0);
	CU_ASSERT_EQUAL(ns_flow_table_housekeeping(t, T0 + 61 * SEC, 64), 1);
	r = rec_find("10.0.0.1", 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->proto, 17);
	CU_ASSERT_EQUAL(r->last_ns, T0);
	CU_ASSERT_EQUAL(ns_flow_table_housekeeping(t, T0 + 299 * SEC, 64), 0);
	CU_ASSERT_EQUAL(ns_flow_table_housekeeping(t, T0 + 301 * SEC, 64), 1);
	CU_ASSERT_EQUAL(g_log.n, 4);
	CU_ASSERT_EQUAL(flush_all(t), 4);
	ns_flow_table_destroy(t);
}

/*
 * Timeouts above 4294 s, up to the largest allowed (a day), in microseconds: they wrapped in
 * 32 bits (4295 s acted as 33 ms, 7200 s as 2905 s, 86400 s as 500 s), splitting a flow at
 * every packet or far too early. Packets 10 s apart stay one flow; a silence of the timeout
 * itself does not split it, one second more does, on packet time and in the sweep.
 */
static struct ns_flow_table *
table_udp_timeout(uint32_t secs)
{
	struct ns_flow_params p;

	ns_flow_params_default(&p);
	p.udp_timeout = secs;
	p.active_timeout = NS_FLOW_TIMEOUT_MAX;
	return table_new(64, &p);
}

static void
test_timeouts_long(void)
{
	static const uint32_t secs[] = { 4295, 7200, NS_FLOW_TIMEOUT_MAX };

	for (unsigned i = 0; i < NS_ARRAY_SIZE(secs); i++) {
		const uint64_t to = secs[i] * SEC;
		struct ns_pkt udp = udp_pkt("10.0.0.1", 1, "10.0.0.2", 2, 10);
		struct ns_flow_table *t = table_udp_timeout(secs[i]);

		/* on packet time */
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		for (unsigned k = 0; k < 5; k++)
			feed(t, &udp, T0 + k * 10 * SEC);
		feed(t, &udp, T0 + 40 * SEC + to); /* silent for exactly the timeout */
		CU_ASSERT_EQUAL(g_log.n, 0);
		feed(t, &udp, T0 + 40 * SEC + 2 * to + SEC); /* one second more: a new flow */
		CU_ASSERT_EQUAL_FATAL(g_log.n, 1);
		CU_ASSERT_EQUAL(g_log.recs[0].end_reason, NS_FLOW_END_IDLE);
		CU_ASSERT_EQUAL(g_log.recs[0].pkts[0] + g_log.recs[0].pkts[1], 6);
		ns_flow_table_destroy(t);
		/* in the sweep */
		t = table_udp_timeout(secs[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		for (unsigned k = 0; k < 5; k++)
			feed(t, &udp, T0 + k * 10 * SEC);
		CU_ASSERT_EQUAL(ns_flow_table_housekeeping(t, T0 + 40 * SEC + to, 64), 0);
		/* a flow the sweep read and kept is parked: it is looked at again once the
		 * shortest parked timeout (10 s) has passed, not at every call */
		CU_ASSERT_EQUAL(ns_flow_table_housekeeping(t, T0 + 100 * SEC + to, 64), 1);
		/* at a day, the active timeout (also a day) gave an interim record before */
		CU_ASSERT_EQUAL_FATAL(g_log.n, secs[i] == NS_FLOW_TIMEOUT_MAX ? 2u : 1u);
		CU_ASSERT_EQUAL(g_log.recs[0].end_reason,
				g_log.n == 2 ? NS_FLOW_END_ACTIVE : NS_FLOW_END_IDLE);
		CU_ASSERT_EQUAL(g_log.recs[g_log.n - 1].end_reason, NS_FLOW_END_IDLE);
		CU_ASSERT_EQUAL(g_log.recs[0].pkts[0] + g_log.recs[0].pkts[1], 5);
		ns_flow_table_destroy(t);
	}
}

/*
 * Packet time jumping by more than the longest timeout (captures days apart in one file): a
 * silence of 7 days (past 2^39 us, where the 40-bit last time reads as an older packet) and
 * of 13 days (past the 2^40 us wrap) used to merge a 5-tuple's flows. Now every flow ends idle
 * at its last packet before the new packet is counted, with the sink taking 5 records a call
 * (the table waits for it), and so does a housekeeping call that moves the clock as far.
 */
static void
test_time_jump(void)
{
	static const uint64_t gaps[] = { 3 * 86400 * SEC, 7 * 86400 * SEC, 13 * 86400 * SEC };

	for (unsigned g = 0; g < NS_ARRAY_SIZE(gaps); g++) {
		struct ns_flow_table *t = table_new(1024, NULL);
		struct ns_pkt udp = udp_pkt("10.0.0.1", 1, "10.0.0.2", 2, 10);
		const struct ns_flow_record *r;
		struct ns_flow_stats st;
		char ip[32];

		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		g_log.accept = 5;
		feed(t, &udp, T0);
		feed(t, &udp, T0 + SEC);
		for (unsigned i = 0; i < 150; i++) {
			struct ns_pkt p;

			snprintf(ip, sizeof(ip), "10.1.%u.%u", i / 200, i % 200);
			p = tcp_pkt(ip, 1000, "10.0.0.2", 80, NS_TCP_SYN, 1, 0, 1000, 0);
			feed(t, &p, T0 + 2 * SEC + i * MS);
		}
		CU_ASSERT_EQUAL(g_log.n, 0);
		feed(t, &udp, T0 + SEC + gaps[g]);
		CU_ASSERT_EQUAL(g_log.n, 151);
		r = rec_find("10.0.0.1", 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		CU_ASSERT_EQUAL(r->end_reason, NS_FLOW_END_IDLE);
		CU_ASSERT_EQUAL(r->pkts[0] + r->pkts[1], 2);
		CU_ASSERT_EQUAL(r->first_ns, T0);
		CU_ASSERT_EQUAL(r->last_ns, T0 + SEC);
		ns_flow_table_stats(t, &st);
		CU_ASSERT_EQUAL(st.time_jumps, 1);
		CU_ASSERT_EQUAL(st.active, 1);
		/* the clock moved by housekeeping alone */
		CU_ASSERT_EQUAL(ns_flow_table_housekeeping(t, T0 + 2 * gaps[g], 0), 1);
		CU_ASSERT_EQUAL_FATAL(g_log.n, 152);
		r = &g_log.recs[151];
		CU_ASSERT_EQUAL(r->end_reason, NS_FLOW_END_IDLE);
		CU_ASSERT_EQUAL(r->pkts[0] + r->pkts[1], 1);
		CU_ASSERT_EQUAL(r->first_ns, T0 + SEC + gaps[g]);
		CU_ASSERT_EQUAL(flush_all(t), 152);
		ns_flow_table_stats(t, &st);
		CU_ASSERT_EQUAL(st.time_jumps, 2);
		ns_flow_table_destroy(t);
	}
}

/*
 * What is no time jump: a burst whose packets move the clock by less than JUMP_US each (the
 * burst's first packet sets the clock the second is measured from, as fed one by one), and a
 * packet without an IP layer, which never moves the clock. Each of these ended every flow once.
 */
static void
test_time_jump_not(void)
{
	const uint64_t two_days = 2 * 86400 * SEC;

	for (unsigned defer = NS_FLOW_DEFER_OFF; defer <= NS_FLOW_DEFER_COPY; defer++) {
		struct ns_flow_params p;
		struct ns_flow_table *t;
		struct ns_pkt a = udp_pkt("10.0.0.1", 1, "10.0.0.2", 2, 10);
		struct ns_pkt g[2], arp[3];
		uint64_t ts[2] = { T0 + two_days - MS, T0 + two_days };
		uint64_t ts_arp[3] = { T0 + two_days + 3 * 86400 * SEC, T0 + 20 * 86400 * SEC,
				       T0 + two_days + MS };
		const struct ns_flow_record *r;
		struct ns_flow_stats st;

		ns_flow_params_default(&p);
		p.defer = (enum ns_flow_defer)defer;
		t = table_new(64, &p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		feed(t, &a, T0);
		g[0] = g[1] = udp_pkt("10.0.0.7", 7, "10.0.0.2", 2, 10);
		ns_flow_table_process_burst(t, g, ts, 2);
		memset(arp, 0, sizeof(arp));
		arp[0].l3 = arp[1].l3 = NS_L3_ARP;
		arp[2] = udp_pkt("10.0.0.7", 7, "10.0.0.2", 2, 10);
		ns_flow_table_process_burst(t, arp, ts_arp, 3);
		ns_flow_table_stats(t, &st);
		/* a deferred table holds the last call's packets pending */
		CU_ASSERT_EQUAL(st.packets, defer ? 3 : 6);
		CU_ASSERT_EQUAL(flush_all(t), 2);
		ns_flow_table_stats(t, &st);
		CU_ASSERT_EQUAL(st.time_jumps, 0);
		CU_ASSERT_EQUAL(st.packets, 6);
		CU_ASSERT_EQUAL(st.tracked, 4);
		CU_ASSERT_EQUAL(st.untracked[NS_FLOW_UNTRACKED_NOT_IP], 2);
		r = rec_find("10.0.0.7", 7);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		CU_ASSERT_EQUAL(r->pkts[0] + r->pkts[1], 3);
		CU_ASSERT_EQUAL(r->first_ns, T0 + two_days - MS);
		CU_ASSERT_EQUAL(r->last_ns, T0 + two_days + MS);
		/* flow a, idle for two days at the clock */
		r = rec_find("10.0.0.1", 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		CU_ASSERT_EQUAL(r->end_reason, NS_FLOW_END_IDLE);
		CU_ASSERT_EQUAL(r->last_ns, T0);
		ns_flow_table_destroy(t);
	}
}

/*
 * A deferred table counts a packet without an IP layer when it applies it, with the pass's
 * other packets: packets, tracked and untracked agree after every call.
 */
static void
test_defer_counters(void)
{
	struct ns_flow_params p;
	struct ns_flow_table *t;
	struct ns_pkt pk[NS_FLOW_BURST];
	uint64_t ts[NS_FLOW_BURST];
	struct ns_flow_stats st;

	ns_flow_params_default(&p);
	p.defer = NS_FLOW_DEFER_COPY;
	t = table_new(64, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	memset(pk, 0, sizeof(pk));
	for (unsigned i = 0; i < NS_FLOW_BURST; i++) {
		pk[i].l3 = NS_L3_ARP;
		ts[i] = T0 + i;
	}
	for (unsigned call = 0; call < 3; call++) {
		ns_flow_table_process_burst(t, pk, ts, NS_FLOW_BURST);
		ns_flow_table_stats(t, &st);
		CU_ASSERT_EQUAL(st.packets, call * NS_FLOW_BURST);
		CU_ASSERT_EQUAL(st.untracked[NS_FLOW_UNTRACKED_NOT_IP], st.packets);
		CU_ASSERT_EQUAL(st.tracked, 0);
	}
	CU_ASSERT_EQUAL(flush_all(t), 0);
	ns_flow_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.packets, 3 * NS_FLOW_BURST);
	CU_ASSERT_EQUAL(st.untracked[NS_FLOW_UNTRACKED_NOT_IP], 3 * NS_FLOW_BURST);
	ns_flow_table_destroy(t);
}

/* The sweep visits at most @budget records per call. */
static void
test_sweep_budget(void)
{
	struct ns_flow_table *t = table_new(100, NULL);
	struct ns_flow_stats st;
	char ip[32];
	unsigned ended = 0;

	for (unsigned i = 0; i < 100; i++) {
		struct ns_pkt p;

		snprintf(ip, sizeof(ip), "10.0.1.%u", i);
		p = udp_pkt(ip, 1, "10.0.0.2", 2, 10);
		feed(t, &p, T0);
	}
	CU_ASSERT_EQUAL(ns_flow_table_housekeeping(t, T0 + 100 * SEC, 10), 10);
	for (unsigned i = 0; i < 9; i++)
		ended += ns_flow_table_housekeeping(t, T0 + 100 * SEC, 10);
	CU_ASSERT_EQUAL(ended, 90);
	ns_flow_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.active, 0);
	CU_ASSERT_EQUAL(st.sweeps, 1);
	CU_ASSERT_EQUAL(st.ended[NS_FLOW_END_IDLE], 100);
	ns_flow_table_destroy(t);
}

/* Active timeout: an interim record every 10 s of the flow's life; counters are deltas. */
static void
test_active_timeout(void)
{
	struct ns_flow_params p;
	struct ns_flow_table *t;
	struct ns_pkt a = udp_pkt("10.0.0.1", 1, "10.0.0.2", 2, 100);
	uint64_t pkts = 0, bytes = 0;

	ns_flow_params_default(&p);
	p.active_timeout = 10;
	t = table_new(16, &p);
	for (unsigned s = 0; s < 25; s++) {
		feed(t, &a, T0 + s * SEC);
		ns_flow_table_housekeeping(t, T0 + s * SEC + MS, 16);
	}
	CU_ASSERT_EQUAL_FATAL(g_log.n, 2);
	CU_ASSERT_EQUAL(g_log.recs[0].end_reason, NS_FLOW_END_ACTIVE);
	CU_ASSERT_TRUE(g_log.recs[0].flags & NS_FLOW_REC_INTERIM);
	CU_ASSERT_EQUAL(g_log.recs[0].pkts[0], 11); /* s = 0..10 */
	CU_ASSERT_EQUAL(g_log.recs[1].pkts[0], 10); /* s = 11..20 */
	CU_ASSERT_EQUAL(flush_all(t), 3);
	CU_ASSERT_EQUAL(g_log.recs[2].end_reason, NS_FLOW_END_SHUTDOWN);
	for (unsigned i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(g_log.recs[i].flow_id, g_log.recs[0].flow_id);
		CU_ASSERT_EQUAL(g_log.recs[i].first_ns, T0);
		pkts += g_log.recs[i].pkts[0];
		bytes += g_log.recs[i].bytes[0];
	}
	CU_ASSERT_EQUAL(pkts, 25);
	CU_ASSERT_EQUAL(bytes, 25 * 142);
	ns_flow_table_destroy(t);
}

/*
 * Full running RTT statistics (65535 samples) emit an OVERFLOW interim record too, rather
 * than halving the count: the records' rtt_samples add up to every sample taken.
 */
static void
test_rtt_samples_overflow(void)
{
	struct ns_flow_table *t = table_new(16, NULL);
	const unsigned rounds = 70000;
	uint64_t samples = 0, pkts = 0, at = T0;
	struct ns_pkt p;

	p = tcp_pkt("10.0.0.1", 5000, "10.0.0.2", 80, NS_TCP_SYN, 1000, 0, 512, 0);
	feed(t, &p, at);
	p = tcp_pkt("10.0.0.2", 80, "10.0.0.1", 5000, NS_TCP_SYN | NS_TCP_ACK, 7000, 1001, 512, 0);
	feed(t, &p, at += 100 * US);
	p = tcp_pkt("10.0.0.1", 5000, "10.0.0.2", 80, NS_TCP_ACK, 1001, 7001, 512, 0);
	feed(t, &p, at += 100 * US);
	for (unsigned i = 0; i < rounds; i++) {
		p = tcp_pkt("10.0.0.1", 5000, "10.0.0.2", 80, NS_TCP_ACK | NS_TCP_PSH,
			    1001 + 10 * i, 7001, 512, 10);
		feed(t, &p, at += 10 * US);
		p = tcp_pkt("10.0.0.2", 80, "10.0.0.1", 5000, NS_TCP_ACK, 7001, 1011 + 10 * i, 512,
			    0);
		feed(t, &p, at += 100 * US);
	}
	CU_ASSERT_EQUAL(flush_all(t), 2);
	CU_ASSERT_EQUAL(g_log.recs[0].end_reason, NS_FLOW_END_OVERFLOW);
	CU_ASSERT_EQUAL(g_log.recs[0].rtt_samples, 65535);
	for (unsigned i = 0; i < g_log.n; i++) {
		samples += g_log.recs[i].rtt_samples;
		pkts += g_log.recs[i].pkts[0] + g_log.recs[i].pkts[1];
		CU_ASSERT_EQUAL(g_log.recs[i].rtt_avg_us, 100);
	}
	CU_ASSERT_EQUAL(samples, rounds);
	CU_ASSERT_EQUAL(pkts, 3 + 2 * rounds);
	ns_flow_table_destroy(t);
}

/* A 16-bit event counter about to wrap emits an OVERFLOW interim record instead. */
static void
test_counter_overflow(void)
{
	struct ns_flow_table *t = table_new(16, NULL);
	struct ns_pkt ack = tcp_pkt("10.0.0.1", 80, "10.0.0.2", 5000, NS_TCP_ACK, 1, 1000, 512, 0);
	uint64_t dup = 0, pkts = 0;

	for (unsigned i = 0; i < 70000; i++)
		feed(t, &ack, T0 + i * US);
	CU_ASSERT_EQUAL(flush_all(t), 2);
	CU_ASSERT_EQUAL(g_log.recs[0].end_reason, NS_FLOW_END_OVERFLOW);
	CU_ASSERT_EQUAL(g_log.recs[0].dupack[0], 65535);
	for (unsigned i = 0; i < g_log.n; i++) {
		dup += g_log.recs[i].dupack[0];
		pkts += g_log.recs[i].pkts[0];
	}
	CU_ASSERT_EQUAL(dup, 69999); /* every ACK after the first repeats it */
	CU_ASSERT_EQUAL(pkts, 70000);
	ns_flow_table_destroy(t);
}

/* A sink that takes nothing: records wait, expiry is deferred, flush reports -EAGAIN. */
static void
test_sink_refuses(void)
{
	struct ns_flow_table *t = table_new(256, NULL);
	struct ns_flow_stats st;
	char ip[32];

	g_log.accept = 0;
	for (unsigned i = 0; i < 200; i++) {
		struct ns_pkt p;

		snprintf(ip, sizeof(ip), "10.0.%u.%u", i / 100, i % 100);
		p = udp_pkt(ip, 1, "10.9.9.9", 2, 10);
		feed(t, &p, T0);
	}
	ns_flow_table_housekeeping(t, T0 + 100 * SEC, 256);
	ns_flow_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.records_queued, 64);
	CU_ASSERT_EQUAL(st.expire_deferred, 1);
	CU_ASSERT_EQUAL(st.active, 200 - 64);
	CU_ASSERT_EQUAL(ns_flow_table_flush(t), -EAGAIN);
	g_log.accept = 7;
	while (ns_flow_table_flush(t) == -EAGAIN)
		;
	ns_flow_table_stats(t, &st);
	CU_ASSERT_EQUAL(g_log.n, 200);
	CU_ASSERT_EQUAL(st.records, 200);
	CU_ASSERT_EQUAL(st.active, 0);
	CU_ASSERT_EQUAL(st.ended[NS_FLOW_END_IDLE] + st.ended[NS_FLOW_END_SHUTDOWN], 200);
	ns_flow_table_destroy(t);
}

/* A sink that takes what sched_take[] says, call after call (cyclically). */
static const unsigned sched_take[] = { 64, 0, 5, 13, 0, 0, 64, 1, 30, 0, 2, 9 };
static unsigned sched_calls;

static unsigned
sched_sink(void *arg, const struct ns_flow_record *recs, unsigned n)
{
	g_log.accept = sched_take[sched_calls++ % NS_ARRAY_SIZE(sched_take)];
	return test_sink(arg, recs, n);
}

/*
 * One sweep call that ends more flows than the queue holds, in front of a sink that takes some,
 * none or all of what it is offered: the records come out in the order of the walk, interim
 * (active timeout) and final ones interleaved, none lost or repeated, and each call ends,
 * queues and defers exactly as when every flow was queued the moment the sweep found it (the
 * numbers below are what that emission gave, call by call).
 */
static void
test_sweep_queue_full_order(void)
{
	static const unsigned want_ended[] = { 72, 37, 58, 38, 58, 37, 0, 0 };
	static const unsigned want_queued[] = { 33, 64, 62, 64, 62, 62, 15, 0 };
	static const unsigned want_deferred[] = { 0, 1, 2, 3, 4, 4, 4, 4 };
	struct ns_flow_params p;
	struct ns_flow_table *t;
	struct ns_flow_stats st;
	unsigned n_flows = 400, next_idle = 1, next_active = 0;
	char ip[32];

	log_reset();
	sched_calls = 0;
	ns_flow_params_default(&p);
	p.capacity = 512;
	p.active_timeout = 30;
	p.sink = sched_sink;
	p.sink_arg = &g_log;
	p.seed = 42;
	t = ns_flow_table_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (unsigned i = 0; i < n_flows; i++) {
		struct ns_pkt u;

		snprintf(ip, sizeof(ip), "10.1.%u.%u", i / 200, i % 200);
		u = udp_pkt(ip, 1, "10.9.9.9", 2, 10);
		feed(t, &u, T0);
	}
	/* every fourth flow stays alive: an interim record, the others end idle */
	for (unsigned i = 0; i < n_flows; i += 4) {
		struct ns_pkt u;

		snprintf(ip, sizeof(ip), "10.1.%u.%u", i / 200, i % 200);
		u = udp_pkt(ip, 1, "10.9.9.9", 2, 10);
		feed(t, &u, T0 + 50 * SEC);
	}
	for (unsigned c = 0; c < NS_ARRAY_SIZE(want_ended); c++) {
		unsigned ended = ns_flow_table_housekeeping(t, T0 + 100 * SEC, 97);

		ns_flow_table_stats(t, &st);
		CU_ASSERT_EQUAL(ended, want_ended[c]);
		CU_ASSERT_EQUAL(st.records_queued, want_queued[c]);
		CU_ASSERT_EQUAL(st.expire_deferred, want_deferred[c]);
	}
	ns_flow_table_stats(t, &st);
	CU_ASSERT_EQUAL(st.ended[NS_FLOW_END_IDLE], 300);
	CU_ASSERT_EQUAL(st.interim[NS_FLOW_END_ACTIVE], 100);
	CU_ASSERT_EQUAL(st.records, 400);
	CU_ASSERT_EQUAL(st.active, 100);
	CU_ASSERT_EQUAL_FATAL(g_log.n, 400);
	/* the walk's order: flow i is the i-th record created, so src ascends among each kind */
	for (unsigned k = 0; k < g_log.n; k++) {
		const struct ns_flow_record *r = &g_log.recs[k];
		unsigned i = (unsigned)r->src.b[14] * 200 + r->src.b[15];

		if (r->end_reason == NS_FLOW_END_ACTIVE) {
			CU_ASSERT_EQUAL(i % 4, 0);
			CU_ASSERT_EQUAL(i, next_active);
			next_active = i + 4;
			CU_ASSERT_EQUAL(r->pkts[0], 2);
		} else {
			CU_ASSERT_EQUAL(r->end_reason, NS_FLOW_END_IDLE);
			CU_ASSERT_NOT_EQUAL(i % 4, 0);
			CU_ASSERT_EQUAL(i, next_idle);
			next_idle = i + 1 + ((i + 1) % 4 == 0);
			CU_ASSERT_EQUAL(r->pkts[0], 1);
		}
		/* neither kind overtakes the other in the walk */
		CU_ASSERT_TRUE(next_active + 4 > next_idle && next_idle + 4 > next_active);
	}
	ns_flow_table_destroy(t);
}

/*
 * flush frees the records of a dense table before dropping their bucket slots in one pass:
 * after a flush stopped by a full sink, the ended flows are new again and the others are still
 * found; after a complete one, every key starts a new flow.
 */
static void
test_flush_partial_then_traffic(void)
{
	struct ns_flow_table *t = table_new(256, NULL);
	struct ns_flow_stats st;
	char ip[32];

	for (unsigned round = 0; round < 3; round++) {
		for (unsigned i = 0; i < 200; i++) {
			struct ns_pkt p;

			snprintf(ip, sizeof(ip), "10.0.%u.%u", i / 100, i % 100);
			p = udp_pkt(ip, 1, "10.9.9.9", 2, 10);
			feed(t, &p, T0 + round * MS);
		}
		ns_flow_table_stats(t, &st);
		CU_ASSERT_EQUAL(st.active, 200);
		if (round == 0) {
			g_log.accept = 0;
			CU_ASSERT_EQUAL(ns_flow_table_flush(t), -EAGAIN);
			ns_flow_table_stats(t, &st);
			CU_ASSERT_EQUAL(st.active, 200 - 64);
			g_log.accept = UINT32_MAX;
		} else {
			CU_ASSERT_EQUAL(ns_flow_table_flush(t), 0);
		}
	}
	ns_flow_table_stats(t, &st);
	/* round 0 ended 64 (the queue), round 1 created them again and ended all 200 */
	CU_ASSERT_EQUAL(st.created, 200 + 64 + 200);
	CU_ASSERT_EQUAL(st.active, 0);
	CU_ASSERT_EQUAL(g_log.n, 200 + 64 + 200);
	/* in record order: the 64 re-created flows have one packet, the 136 kept ones two */
	for (unsigned i = 0; i < g_log.n; i++) {
		unsigned want = i >= 128 && i < 264 ? 2 : 1;

		CU_ASSERT_EQUAL(g_log.recs[i].pkts[0] + g_log.recs[i].pkts[1], want);
	}
	ns_flow_table_destroy(t);
}

static void
test_top_n(void)
{
	struct ns_flow_table *t = table_new(64, NULL);
	struct ns_flow_record top[16];
	char ip[32];

	for (unsigned i = 1; i <= 10; i++) {
		struct ns_pkt p;

		snprintf(ip, sizeof(ip), "10.0.0.%u", i);
		p = udp_pkt(ip, 1, "10.0.0.200", 2, 0);
		p.wirelen = i * 100 + (i % 3); /* distinct sizes, not in insertion order */
		feed(t, &p, T0 + i);
	}
	CU_ASSERT_EQUAL(ns_flow_table_top_n(t, top, 3), 3);
	CU_ASSERT_EQUAL(top[0].bytes[0], 1001);
	CU_ASSERT_EQUAL(top[1].bytes[0], 900);
	CU_ASSERT_EQUAL(top[2].bytes[0], 802);
	CU_ASSERT_EQUAL(top[0].end_reason, NS_FLOW_END_LIVE);
	CU_ASSERT_EQUAL(ns_flow_table_top_n(t, top, 16), 10);
	for (unsigned i = 1; i < 10; i++)
		CU_ASSERT_TRUE(top[i - 1].bytes[0] >= top[i].bytes[0]);
	CU_ASSERT_EQUAL(ns_flow_table_top_n(t, top, 0), 0);
	CU_ASSERT_EQUAL(g_log.n, 0); /* a snapshot emits nothing */
	ns_flow_table_destroy(t);
}

/*
 * Tables of several 2 MB pages stay within 200 bytes per flow, everything included, because
 * they fill their last page with records: the default capacity, the benchmark's 131,072 (208
 * bytes per flow when the rounding was left empty) and 1,179,648, and a few in between. A
 * deferred table holds its two passes' keys (4.3 KB) and, when it copies the pending packets
 * (NS_FLOW_DEFER_COPY), 4.3 KB more: within the budget from 100,000 flows, the scale the
 * budget is set for; its smallest multi-page table (21,191 flows) takes 0.4 bytes a flow more.
 * The pipeline's tables (NS_FLOW_DEFER_KEPT) copy nothing and keep the budget at every size.
 */
static void
test_memory_budget(void)
{
	static const uint32_t caps[] = {
		131072, 1179648, NS_FLOW_CAPACITY_DEFAULT, 11000, 20000, 100000, 1000000,
	};

	for (unsigned defer = NS_FLOW_DEFER_OFF; defer <= NS_FLOW_DEFER_KEPT; defer++)
		for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
			struct ns_flow_params p;
			struct ns_flow_table *t;
			uint32_t eff = ns_flow_table_capacity_for(caps[i]);
			struct ns_flow_mem m;

			ns_flow_params_default(&p);
			p.defer = (enum ns_flow_defer)defer;
			t = table_new(caps[i], &p);
			CU_ASSERT_PTR_NOT_NULL_FATAL(t);
			ns_flow_table_memory(t, &m);
			printf("\n  %u flows asked, %u held%s: %zu bytes, %.2f B/flow, %u buckets, "
			       "%s pages",
			       caps[i], m.capacity,
			       defer == NS_FLOW_DEFER_COPY   ? " (deferred, copy)"
			       : defer == NS_FLOW_DEFER_KEPT ? " (deferred, kept)"
							     : "",
			       m.bytes, m.bytes_per_flow, m.buckets,
			       m.hugepages ? "huge" : "normal");
			CU_ASSERT_EQUAL(m.record_bytes, 192);
			CU_ASSERT_EQUAL(m.capacity, eff);
			CU_ASSERT_TRUE(eff >= caps[i]);
			CU_ASSERT_EQUAL(m.bytes, ns_flow_table_memory_for(caps[i], p.defer));
			CU_ASSERT_TRUE(
				m.bytes_per_flow <=
				(defer == NS_FLOW_DEFER_OFF || caps[i] >= 100000 ? 200.0 : 200.5));
			/* the last page is full: what it holds costs nothing more, one flow
			 * more a page */
			CU_ASSERT_EQUAL(ns_flow_table_memory_for(eff, p.defer), m.bytes);
			CU_ASSERT_TRUE(ns_flow_table_memory_for(eff + 1, p.defer) > m.bytes);
			ns_flow_table_destroy(t);
		}
	CU_ASSERT_EQUAL(ns_flow_table_memory_for(131072, NS_FLOW_DEFER_COPY) -
				ns_flow_table_memory_for(131072, NS_FLOW_DEFER_OFF),
			sizeof(struct flow_defer));
	CU_ASSERT_EQUAL(ns_flow_table_memory_for(131072, NS_FLOW_DEFER_KEPT) -
				ns_flow_table_memory_for(131072, NS_FLOW_DEFER_OFF),
			sizeof(struct flow_pass[2]));
	CU_ASSERT_EQUAL(ns_flow_table_capacity_for(0),
			ns_flow_table_capacity_for(NS_FLOW_CAPACITY_DEFAULT));
	CU_ASSERT_EQUAL(ns_flow_table_capacity_for(NS_FLOW_CAPACITY_MAX), NS_FLOW_CAPACITY_MAX);
}

/* A table within one 2 MB page keeps its capacity exactly (the eviction tests rely on it). */
static void
test_capacity_exact_small(void)
{
	static const uint32_t caps[] = { 16, 64, 1024, 4096, 8192, 10000 };

	for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct ns_flow_table *t = table_new(caps[i], NULL);
		struct ns_flow_mem m;

		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		ns_flow_table_memory(t, &m);
		CU_ASSERT_EQUAL(m.capacity, caps[i]);
		CU_ASSERT_EQUAL(ns_flow_table_capacity_for(caps[i]), caps[i]);
		CU_ASSERT_EQUAL(m.bytes, ns_flow_table_memory_for(caps[i], NS_FLOW_DEFER_OFF));
		ns_flow_table_destroy(t);
	}
}

/* A filled table holds its whole capacity: every record of the rounded-up part is usable. */
static void
test_capacity_filled_usable(void)
{
	struct ns_flow_table *t = table_new(11000, NULL);
	struct ns_flow_stats st;
	struct ns_flow_mem m;
	unsigned tracked = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	ns_flow_table_memory(t, &m);
	CU_ASSERT_TRUE(m.capacity > 11000);
	for (uint32_t i = 0; i < m.capacity; i++) {
		struct ns_pkt p = udp_pkt("10.0.0.1", 1, "10.9.0.1", 2, 10);

		memcpy(p.src.b + 12, &i, sizeof(i));
		tracked += feed(t, &p, T0 + i);
	}
	ns_flow_table_stats(t, &st);
	CU_ASSERT_EQUAL(tracked, m.capacity);
	CU_ASSERT_EQUAL(st.active, m.capacity);
	CU_ASSERT_EQUAL(st.evict_full, 0);
	ns_flow_table_destroy(t);
}

static void
test_bad_params(void)
{
	struct ns_flow_params p;

	ns_flow_params_default(&p);
	errno = 0;
	CU_ASSERT_PTR_NULL(ns_flow_table_create(&p)); /* no sink */
	CU_ASSERT_EQUAL(errno, EINVAL);
	p.sink = test_sink;
	p.capacity = NS_FLOW_CAPACITY_MAX + 1;
	CU_ASSERT_PTR_NULL(ns_flow_table_create(&p));
	p.capacity = 16;
	p.udp_timeout = NS_FLOW_TIMEOUT_MAX + 1;
	CU_ASSERT_PTR_NULL(ns_flow_table_create(&p));
	p.udp_timeout = 0;
	p.defer = (enum ns_flow_defer)(NS_FLOW_DEFER_KEPT + 1);
	errno = 0;
	CU_ASSERT_PTR_NULL(ns_flow_table_create(&p));
	CU_ASSERT_EQUAL(errno, EINVAL);
	ns_flow_table_destroy(NULL);
}

/* xorshift64*: reproducible pseudo-random traffic */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 33) % n;
}

/*
 * Random TCP and UDP traffic over 3000 endpoint pairs through a 512-flow table: evictions,
 * port reuse, idle and active timeouts and a sink taking a random share each call. Every
 * packet counted must come back in exactly one record, and created = ended + live.
 */
static void
test_none_lost_random(void)
{
	struct ns_flow_params p;
	struct ns_flow_table *t;
	struct ns_flow_stats st;
	struct ns_pkt burst[NS_FLOW_BURST];
	uint64_t ts[NS_FLOW_BURST], now = T0, in_pkts = 0, in_bytes = 0;
	uint64_t out_pkts = 0, out_bytes = 0, ended = 0;
	char a[32], b[32];

	ns_flow_params_default(&p);
	p.active_timeout = 20;
	t = table_new(512, &p);
	for (unsigned round = 0; round < 4000; round++) {
		unsigned n = 1 + rnd(NS_FLOW_BURST);

		for (unsigned i = 0; i < n; i++) {
			unsigned f = rnd(3000);
			bool rev = rnd(2), tcp = f % 3 != 0;

			snprintf(a, sizeof(a), "10.%u.%u.1", f / 250, f % 250);
			snprintf(b, sizeof(b), "192.168.%u.2", f % 7);
			if (tcp) {
				static const uint8_t fl[] = { NS_TCP_SYN,
							      NS_TCP_SYN | NS_TCP_ACK,
							      NS_TCP_ACK,
							      NS_TCP_ACK | NS_TCP_PSH,
							      NS_TCP_FIN | NS_TCP_ACK,
							      NS_TCP_RST };
				uint8_t flags = fl[rnd(sizeof(fl))];
				uint32_t seq = rnd(4) == 0 ? rnd(1u << 30) : 1000 + rnd(5000);

				burst[i] = rev ? tcp_pkt(b, 80, a, 1024 + f, flags, seq, rnd(9000),
							 (uint16_t)rnd(3), rnd(1400))
					       : tcp_pkt(a, 1024 + f, b, 80, flags, seq, rnd(9000),
							 (uint16_t)rnd(3), rnd(1400));
			} else {
				burst[i] = rev ? udp_pkt(b, 53, a, 1024 + f, rnd(500))
					       : udp_pkt(a, 1024 + f, b, 53, rnd(500));
			}
			now += rnd(3 * MS);
			ts[i] = now;
			in_bytes += burst[i].wirelen;
		}
		g_log.accept = rnd(4) == 0 ? rnd(8) : UINT32_MAX;
		in_pkts += n;
		ns_flow_table_process_burst(t, burst, ts, n);
		if (round % 8 == 0)
			ns_flow_table_housekeeping(t, now, 64);
		if (round % 64 == 0) {
			/* at any moment: created = ended + live, and every ended or interim
			 * record is either with the sink or still queued */
			uint64_t e = 0, im = 0;

			ns_flow_table_stats(t, &st);
			for (unsigned i = 0; i < NS_FLOW_END_MAX; i++) {
				e += st.ended[i];
				im += st.interim[i];
			}
			CU_ASSERT_EQUAL(st.created, e + st.active);
			CU_ASSERT_EQUAL(st.records + st.records_queued, e + im);
			CU_ASSERT_EQUAL(st.records, g_log.n);
		}
	}
	g_log.accept = 5;
	while (ns_flow_table_flush(t) == -EAGAIN)
		;
	ns_flow_table_stats(t, &st);
	for (unsigned i = 0; i < g_log.n; i++) {
		out_pkts += g_log.recs[i].pkts[0] + g_log.recs[i].pkts[1];
		out_bytes += g_log.recs[i].bytes[0] + g_log.recs[i].bytes[1];
	}
	for (unsigned i = 0; i < NS_FLOW_END_MAX; i++)
		ended += st.ended[i];
	printf("\n  %llu packets, %llu flows, %u records, %llu evicted, %llu reused, "
	       "%llu untracked\n",
	       (unsigned long long)in_pkts, (unsigned long long)st.created, g_log.n,
	       (unsigned long long)st.ended[NS_FLOW_END_EVICTED],
	       (unsigned long long)st.ended[NS_FLOW_END_REUSED],
	       (unsigned long long)(st.untracked[NS_FLOW_UNTRACKED_REFUSED] +
				    st.untracked[NS_FLOW_UNTRACKED_NO_SLOT]));
	CU_ASSERT_EQUAL(st.packets, in_pkts);
	CU_ASSERT_EQUAL(st.tracked + st.untracked[NS_FLOW_UNTRACKED_REFUSED] +
				st.untracked[NS_FLOW_UNTRACKED_NO_SLOT],
			in_pkts);
	CU_ASSERT_EQUAL(out_pkts, st.tracked);
	CU_ASSERT_TRUE(out_bytes <= in_bytes);
	CU_ASSERT_EQUAL(st.created, ended);
	CU_ASSERT_EQUAL(st.active, 0);
	CU_ASSERT_EQUAL(st.records, g_log.n);
	CU_ASSERT_TRUE(st.ended[NS_FLOW_END_EVICTED] > 0);
	CU_ASSERT_TRUE(st.ended[NS_FLOW_END_REUSED] > 0);
	CU_ASSERT_TRUE(st.ended[NS_FLOW_END_IDLE] + st.ended[NS_FLOW_END_CLOSED] > 0);
	ns_flow_table_destroy(t);
}

/* One packet of the traffic test_bursts_equal_single() replays: TCP, UDP, now and then no IP. */
static struct ns_pkt
random_pkt(void)
{
	static const uint8_t fl[] = { NS_TCP_SYN, NS_TCP_SYN | NS_TCP_ACK, NS_TCP_ACK,
				      NS_TCP_ACK | NS_TCP_PSH, NS_TCP_FIN | NS_TCP_ACK, NS_TCP_RST };
	/* most packets on a few hot flows, so a flow created in a pass is hit again in it */
	unsigned f = rnd(4) == 0 ? rnd(2000) : rnd(150);
	bool rev = rnd(2);
	char a[32], b[32];
	struct ns_pkt p;

	if (rnd(64) == 0) {
		memset(&p, 0, sizeof(p)); /* no IP layer: untracked, keeps its place */
		p.wirelen = 60;
		return p;
	}
	snprintf(a, sizeof(a), "10.%u.%u.1", f / 250, f % 250);
	snprintf(b, sizeof(b), "192.168.%u.2", f % 7);
	if (f % 3 != 0) {
		uint8_t flags = fl[rnd(sizeof(fl))];
		uint32_t seq = rnd(4) == 0 ? rnd(1u << 30) : 1000 + rnd(5000);

		return rev ? tcp_pkt(b, 80, a, 1024 + f, flags, seq, rnd(9000), (uint16_t)rnd(3),
				     rnd(1400))
			   : tcp_pkt(a, 1024 + f, b, 80, flags, seq, rnd(9000), (uint16_t)rnd(3),
				     rnd(1400));
	}
	return rev ? udp_pkt(b, 53, a, 1024 + f, rnd(500)) : udp_pkt(a, 1024 + f, b, 53, rnd(500));
}

/*
 * process_burst cuts a burst into passes of NS_FLOW_BURST and matches a whole pass against
 * the table before applying it. Bursts of every size from 1 to 300 packets (across the pass
 * boundaries at 32, 64, ... 288), with flows created, evicted (a 256-flow table, 2000 endpoint
 * pairs), split by port reuse and idle timeouts and hit again inside one burst, and packet time
 * jumping days ahead in the middle of three bursts (every flow ends, the pass's candidates with
 * them), must leave the same records, in the same order, and the same counters as the same
 * packets one at a time; so must a deferred table (ns_flow_params.defer), which applies each
 * call's last pass only at the next call, whether it copies that pass (NS_FLOW_DEFER_COPY) or
 * reads it where the caller left it (NS_FLOW_DEFER_KEPT: the bursts alternate between two
 * arrays, as the pipeline's are).
 */
static void
test_bursts_equal_single(void)
{
	enum { BURST_MAX = 300, ROUNDS = 900, TABLES = 4 };
	static struct ns_pkt pkts[BURST_MAX], kept[2][BURST_MAX];
	static uint64_t ts[BURST_MAX], kept_ts[2][BURST_MAX];
	struct sink_log log[TABLES];
	struct ns_flow_table *t[TABLES];
	struct ns_flow_stats st[TABLES];
	uint64_t now = T0, in = 0;

	rng = 0x5eed5eed5eed5eedull; /* the same traffic whatever ran before */
	for (unsigned i = 0; i < TABLES; i++) {
		struct ns_flow_params p;

		log[i] = (struct sink_log){ .accept = UINT32_MAX };
		ns_flow_params_default(&p);
		p.capacity = 256;
		p.active_timeout = 20;
		p.seed = 42;
		p.sink = test_sink;
		p.sink_arg = &log[i];
		p.defer = i == 2   ? NS_FLOW_DEFER_COPY
			  : i == 3 ? NS_FLOW_DEFER_KEPT
				   : NS_FLOW_DEFER_OFF;
		t[i] = ns_flow_table_create(&p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(t[i]);
	}
	for (unsigned round = 0; round < ROUNDS; round++) {
		/* the first rounds take every size once, the others random ones */
		unsigned n = round < BURST_MAX ? round + 1 : 1 + rnd(BURST_MAX);
		unsigned one = 0;

		for (unsigned i = 0; i < n; i++) {
			pkts[i] = random_pkt();
			now += rnd(64) == 0 ? rnd(3 * SEC) : rnd(2 * MS);
			/* 3 days, 7 (past 2^39 us) and 13 (past the 2^40 us wrap) */
			if (i == n / 2 && (round == 310 || round == 600 || round == 801))
				now += (round == 310 ? 3 : round == 600 ? 7 : 13) * 86400 * SEC;
			ts[i] = now;
		}
		for (unsigned i = 0; i < n; i++)
			one += ns_flow_table_process_burst(t[1], &pkts[i], &ts[i], 1);
		CU_ASSERT_EQUAL(ns_flow_table_process_burst(t[0], pkts, ts, n), one);
		ns_flow_table_process_burst(t[2], pkts, ts, n);
		memcpy(kept[round % 2], pkts, n * sizeof(pkts[0]));
		memcpy(kept_ts[round % 2], ts, n * sizeof(ts[0]));
		ns_flow_table_process_burst(t[3], kept[round % 2], kept_ts[round % 2], n);
		in += n;
		if (round % 4 == 0)
			for (unsigned i = 0; i < TABLES; i++)
				ns_flow_table_housekeeping(t[i], now, 48);
	}
	for (unsigned i = 0; i < TABLES; i++) {
		CU_ASSERT_EQUAL(ns_flow_table_flush(t[i]), 0);
		ns_flow_table_stats(t[i], &st[i]);
	}
	printf("\n  %llu packets, %llu flows, %u records, %llu evicted, %llu reused, %llu idle, "
	       "%llu time jumps\n",
	       (unsigned long long)in, (unsigned long long)st[0].created, log[0].n,
	       (unsigned long long)st[0].ended[NS_FLOW_END_EVICTED],
	       (unsigned long long)st[0].ended[NS_FLOW_END_REUSED],
	       (unsigned long long)(st[0].ended[NS_FLOW_END_IDLE] +
				    st[0].ended[NS_FLOW_END_CLOSED]),
	       (unsigned long long)st[0].time_jumps);
	CU_ASSERT_EQUAL(st[0].packets, in);
	CU_ASSERT_TRUE(st[0].ended[NS_FLOW_END_EVICTED] > 0);
	CU_ASSERT_TRUE(st[0].ended[NS_FLOW_END_REUSED] > 0);
	CU_ASSERT_TRUE(st[0].untracked[NS_FLOW_UNTRACKED_NOT_IP] > 0);
	CU_ASSERT_EQUAL(st[0].time_jumps, 3);
	for (unsigned k = 0; k < TABLES; k++) {
		if (k == 1)
			continue;
		CU_ASSERT_EQUAL(memcmp(&st[k], &st[1], sizeof(st[k])), 0);
		CU_ASSERT_EQUAL_FATAL(log[k].n, log[1].n);
		for (unsigned i = 0; i < log[k].n; i++)
			if (memcmp(&log[k].recs[i], &log[1].recs[i], sizeof(log[k].recs[i])) != 0) {
				CU_FAIL("a record differs between bursts and single packets");
				break;
			}
	}
	for (unsigned i = 0; i < TABLES; i++) {
		ns_flow_table_destroy(t[i]);
		free(log[i].recs);
	}
}

/* Many flows at once: fill to capacity with few collisions, all found again. */
static void
fill_and_find(bool portable)
{
	enum { N = 20000 };
	struct ns_flow_table *t = table_new(N, NULL);
	struct ns_flow_stats st;
	char ip[32];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	if (portable)
		CU_ASSERT_EQUAL(flow_hash_use_portable(t), 0);
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < N; i++) {
			struct ns_pkt p;

			snprintf(ip, sizeof(ip), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
			p = udp_pkt(ip, (uint16_t)i, "172.16.0.1", 443, 0);
			feed(t, &p, T0 + pass);
		}
	ns_flow_table_stats(t, &st);
	printf("\n  %s hash: %u flows in %u slots: %llu moves, %llu collision evictions\n",
	       portable ? "portable" : "default", N, (unsigned)(N * 10 / 9),
	       (unsigned long long)st.cuckoo_moves, (unsigned long long)st.evict_collision);
	CU_ASSERT_TRUE(st.evict_collision < N / 1000);
	CU_ASSERT_EQUAL(flush_all(t), st.created);
	if (portable)
		CU_ASSERT_EQUAL(flow_hash_use_portable(t), 0); /* empty again */
	ns_flow_table_destroy(t);
}

static void
test_fill_and_find(void)
{
	fill_and_find(false);
}

static void
test_fill_and_find_portable_hash(void)
{
	fill_and_find(true);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_evict_when_full),
	NS_TEST(test_evict_prefers_closed),
	NS_TEST(test_timeouts),
	NS_TEST(test_timeouts_long),
	NS_TEST(test_time_jump),
	NS_TEST(test_time_jump_not),
	NS_TEST(test_defer_counters),
	NS_TEST(test_sweep_budget),
	NS_TEST(test_active_timeout),
	NS_TEST(test_counter_overflow),
	NS_TEST(test_rtt_samples_overflow),
	NS_TEST(test_sink_refuses),
	NS_TEST(test_sweep_queue_full_order),
	NS_TEST(test_flush_partial_then_traffic),
	NS_TEST(test_top_n),
	NS_TEST(test_memory_budget),
	NS_TEST(test_capacity_exact_small),
	NS_TEST(test_capacity_filled_usable),
	NS_TEST(test_bad_params),
	NS_TEST(test_none_lost_random),
	NS_TEST(test_bursts_equal_single),
	NS_TEST(test_fill_and_find),
	NS_TEST(test_fill_and_find_portable_hash),
};

NS_TEST_MAIN("flow_table", cases)
