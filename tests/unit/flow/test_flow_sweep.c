/* SPDX-License-Identifier: MIT */
/*
 * The expiry sweep's generations (flow_emit.c, "Sweep generations") against the sweep that
 * reads every record: two tables fed the same packets and the same housekeeping calls, one
 * with the seen[] skip turned off (gen_skip), must end the same flows at the same calls, in
 * the same order, with the same records and counters. Randomized over packet times (forward,
 * late, long silences), timeouts, budgets, sink refusals, active timeouts, emergency mode and
 * evictions; plus targeted cases: many wraps of the generation count, freed records reused,
 * emergency mode, late packets.
 */
#include <errno.h>

#include "flow_priv.h"
#include "flow_test.h"

static uint64_t rng;

static uint32_t
rn(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n == 0 ? 0 : (uint32_t)((rng >> 11) % n);
}

struct two {
	struct ns_flow_table *t[2];
	struct sink_log log[2];
	unsigned calls;
	bool diverged;
};

static void
two_open(struct two *w, struct ns_flow_params *p)
{
	memset(w, 0, sizeof(*w));
	for (unsigned k = 0; k < 2; k++) {
		p->seed = 11;
		p->sink = test_sink;
		p->sink_arg = &w->log[k];
		w->log[k].accept = UINT32_MAX;
		w->t[k] = ns_flow_table_create(p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(w->t[k]);
	}
	w->t[1]->gen_skip = false; /* the reference: every record read */
}

static void
two_close(struct two *w)
{
	for (unsigned k = 0; k < 2; k++) {
		ns_flow_table_destroy(w->t[k]);
		free(w->log[k].recs);
	}
}

/* Both tables have emitted the same records so far (checked after every call). */
static void
two_check(struct two *w, const char *what)
{
	w->calls++;
	if (w->diverged)
		return;
	if (w->log[0].n != w->log[1].n ||
	    (w->log[0].n != 0 &&
	     memcmp(w->log[0].recs, w->log[1].recs, w->log[0].n * sizeof(*w->log[0].recs)) != 0)) {
		printf("\n  %s (call %u): %u records with the skip, %u without\n", what, w->calls,
		       w->log[0].n, w->log[1].n);
		CU_FAIL("the sweep with seen[] differs from the one reading every record");
		w->diverged = true;
	}
}

static void
two_burst(struct two *w, const struct ns_pkt *p, const uint64_t *ts, unsigned n)
{
	unsigned a = ns_flow_table_process_burst(w->t[0], p, ts, n);
	unsigned b = ns_flow_table_process_burst(w->t[1], p, ts, n);

	CU_ASSERT_EQUAL(a, b);
	two_check(w, "burst");
}

static unsigned
two_housekeeping(struct two *w, uint64_t now, unsigned budget)
{
	unsigned a = ns_flow_table_housekeeping(w->t[0], now, budget);
	unsigned b = ns_flow_table_housekeeping(w->t[1], now, budget);

	CU_ASSERT_EQUAL(a, b);
	two_check(w, "housekeeping");
	return a;
}

static void
two_finish(struct two *w)
{
	struct ns_flow_stats st[2];

	for (unsigned k = 0; k < 2; k++) {
		w->log[k].accept = UINT32_MAX;
		CU_ASSERT_EQUAL(ns_flow_table_flush(w->t[k]), 0);
		ns_flow_table_stats(w->t[k], &st[k]);
	}
	two_check(w, "flush");
	CU_ASSERT_EQUAL(memcmp(&st[0], &st[1], sizeof(st[0])), 0);
}

/* Flow @f's packet: TCP with any flags (which moves it between timeout classes), UDP or
 * another protocol, from either side. */
static struct ns_pkt
flow_pkt(unsigned f)
{
	static const uint8_t flags[] = {
		NS_TCP_SYN,
		NS_TCP_SYN | NS_TCP_ACK,
		NS_TCP_ACK,
		NS_TCP_ACK,
		NS_TCP_ACK | NS_TCP_PSH,
		NS_TCP_FIN | NS_TCP_ACK,
		NS_TCP_RST,
		NS_TCP_ACK,
	};
	char a[32], b[32];
	bool rev = rn(2) != 0;
	struct ns_pkt p;

	snprintf(a, sizeof(a), "10.%u.%u.%u", f >> 16 & 255, f >> 8 & 255, f & 255);
	snprintf(b, sizeof(b), "192.168.%u.1", f % 7);
	switch (f % 5) {
	case 0:
	case 1:
	case 2:
		p = rev ? tcp_pkt(b, 80, a, (uint16_t)(1024 + f), flags[rn(8)], rn(4) * 1000,
				  rn(4) * 1000, 1000, rn(3) * 100)
			: tcp_pkt(a, (uint16_t)(1024 + f), b, 80, flags[rn(8)], rn(4) * 1000,
				  rn(4) * 1000, 1000, rn(3) * 100);
		break;
	case 3:
		p = rev ? udp_pkt(b, 53, a, (uint16_t)(1024 + f), 40)
			: udp_pkt(a, (uint16_t)(1024 + f), b, 53, 40);
		break;
	default:
		p = rev ? pkt_ip(b, a, 47, 100) : pkt_ip(a, b, 47, 100);
		break;
	}
	return p;
}

/*
 * Random traffic over @flows keys through a table of @capacity: bursts with times mostly
 * moving forward, some late packets, silences up to past every timeout; housekeeping at random
 * times (sometimes ahead of the packets, as live wall time is) with random budgets, and a sink
 * that sometimes refuses.
 */
static void
random_run(struct two *w, unsigned flows, unsigned bursts, uint64_t max_gap)
{
	uint64_t now = T0;

	for (unsigned i = 0; i < bursts && !w->diverged; i++) {
		struct ns_pkt p[NS_FLOW_BURST];
		uint64_t ts[NS_FLOW_BURST];
		unsigned n = 1 + rn(NS_FLOW_BURST);
		unsigned hot = 1 + flows / 8;

		for (unsigned j = 0; j < n; j++) {
			unsigned f = rn(4) != 0 ? rn(hot) : rn(flows);

			p[j] = flow_pkt(f);
			switch (rn(64)) {
			case 0:
				now += rn((uint32_t)(max_gap / US)) * US; /* a long silence */
				break;
			case 1:
			case 2:
				break; /* the same time */
			default:
				now += rn(20000) * US / (1 + flows / 64);
				break;
			}
			/* late packets: before the table's clock, maybe before a generation */
			ts[j] = rn(16) == 0 ? now - rn(3000000) * US : now;
		}
		two_burst(w, p, ts, n);
		if (rn(4) == 0) {
			unsigned accept = rn(8) == 0 ? rn(4) : UINT32_MAX;
			unsigned budget = rn(8) == 0 ? 0 : 1 + rn(2 * w->t[0]->capacity);

			w->log[0].accept = w->log[1].accept = accept;
			two_housekeeping(w, now + (rn(8) == 0 ? rn(2000000) * US : 0), budget);
			w->log[0].accept = w->log[1].accept = UINT32_MAX;
		}
	}
}

static uint32_t
pick(const uint32_t *v, unsigned n)
{
	return v[rn(n)];
}

/* Many random runs: random timeouts, capacities, active timeouts, traffic shapes. */
static void
test_sweep_random(void)
{
	static const uint32_t short_s[] = { 1, 2, 3, 5 };
	static const uint32_t long_s[] = { 2, 5, 10, 30, 60, 300 };
	static const uint32_t caps[] = { 16, 64, 200, 1024, 4096 };
	uint64_t created = 0, emergencies = 0, evicted = 0, interim = 0, deferred = 0;

	rng = 0x2545f4914f6cdd1dull;
	for (unsigned run = 0; run < 60; run++) {
		struct ns_flow_params p;
		struct ns_flow_stats st;
		struct two w;
		uint32_t cap = pick(caps, 5);

		ns_flow_params_default(&p);
		p.capacity = cap;
		p.tcp_closed_timeout = pick(short_s, 4);
		p.tcp_syn_timeout = pick(long_s, 6);
		p.tcp_established_timeout = pick(long_s, 6);
		p.tcp_fin_timeout = pick(long_s, 6);
		p.udp_timeout = pick(long_s, 6);
		p.other_timeout = pick(short_s, 4);
		p.active_timeout = rn(3) == 0 ? 5 + rn(30) : 1800;
		two_open(&w, &p);
		random_run(&w, cap / 2 + rn(2 * cap), 400 + rn(1600),
			   (uint64_t)(20 + rn(400)) * SEC);
		two_finish(&w);
		ns_flow_table_stats(w.t[0], &st);
		created += st.created;
		emergencies += st.emergency_enter;
		evicted += st.ended[NS_FLOW_END_EVICTED];
		interim += st.interim[NS_FLOW_END_ACTIVE];
		deferred += st.expire_deferred;
		two_close(&w);
		if (w.diverged) {
			printf("  run %u, capacity %u\n", run, cap);
			break;
		}
	}
	printf("\n  %llu flows, %llu emergencies, %llu evicted, %llu active records, %llu "
	       "deferred sweeps\n",
	       (unsigned long long)created, (unsigned long long)emergencies,
	       (unsigned long long)evicted, (unsigned long long)interim,
	       (unsigned long long)deferred);
	/* the runs reached what they are meant to cover */
	CU_ASSERT_TRUE(emergencies > 0);
	CU_ASSERT_TRUE(evicted > 0);
	CU_ASSERT_TRUE(interim > 0);
	CU_ASSERT_TRUE(deferred > 0);
}

/*
 * Thousands of generations (the count wraps at SWEEP_GENS many times): a few busy flows and
 * many that stay quiet for long, long timeouts, the clock moving slowly, and a sweep that wraps
 * every call. Quiet flows stay parked or stamped long enough for their generation to come round
 * again; the window must have sent them back to a read before.
 */
static void
test_sweep_generation_wrap(void)
{
	struct ns_flow_params p;
	struct two w;
	uint64_t now = T0;
	unsigned skipping = 0;

	rng = 0x9e3779b97f4a7c15ull;
	ns_flow_params_default(&p);
	p.capacity = 256;
	p.tcp_closed_timeout = 1;
	p.tcp_established_timeout = 600;
	p.udp_timeout = 120;
	p.other_timeout = 3;
	two_open(&w, &p);
	for (unsigned i = 0; i < 6000 && !w.diverged; i++) {
		struct ns_pkt pk[4];
		uint64_t ts[4];
		unsigned n = 1 + rn(4);

		for (unsigned j = 0; j < n; j++) {
			/* flows 0-9 busy, 10-199 now and then */
			pk[j] = flow_pkt(rn(2) ? rn(10) : rn(200));
			ts[j] = now;
		}
		if (rn(3) == 0)
			two_burst(&w, pk, ts, n);
		now += rn(100) * 1000 * US; /* up to 0.1 s a call */
		two_housekeeping(&w, now, 1 + rn(600));
		if (w.t[0]->skip_rng[1] != SEEN_FREE && w.t[0]->skip_rng[3] != SEEN_FREE)
			skipping++;
	}
	printf("\n  %llu sweeps, the skip on in %u of 6000 calls\n",
	       (unsigned long long)w.t[0]->st.sweeps, skipping);
	CU_ASSERT_TRUE(w.t[0]->st.sweeps > 8 * SWEEP_GENS);
	CU_ASSERT_TRUE(skipping > 1000);
	two_finish(&w);
	two_close(&w);
}

/* A freed record reads as free in seen[] and takes the stamp of its next flow's packet. */
static void
test_sweep_reuse_freed(void)
{
	struct ns_flow_params p;
	struct ns_flow_table *t;
	struct ns_pkt a = udp_pkt("10.0.0.1", 1000, "10.0.0.2", 53, 40);
	struct ns_pkt b = udp_pkt("10.0.0.3", 1000, "10.0.0.2", 53, 40);

	ns_flow_params_default(&p);
	p.udp_timeout = 5;
	t = table_new(64, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->seen[0], SEEN_FREE); /* never used */
	feed(t, &a, T0);
	CU_ASSERT_EQUAL(t->seen[0], SEEN_PKT + t->gen);
	/* past the timeout: the sweep reads it (the stamp's generation is too old) and ends it */
	CU_ASSERT_EQUAL(ns_flow_table_housekeeping(t, T0 + 6 * SEC, 64), 1);
	CU_ASSERT_EQUAL(t->seen[0], SEEN_FREE);
	/* the free list hands record 0 to the next flow */
	feed(t, &b, T0 + 7 * SEC);
	CU_ASSERT_EQUAL(t->live, 1);
	CU_ASSERT_EQUAL(t->seen[0], SEEN_PKT + t->gen);
	/* within the timeout of its stamp's generation: passed over, not ended */
	CU_ASSERT_EQUAL(ns_flow_table_housekeeping(t, T0 + 8 * SEC, 64), 0);
	CU_ASSERT_EQUAL(ns_flow_table_housekeeping(t, T0 + 13 * SEC, 64), 1);
	CU_ASSERT_EQUAL(g_log.n, 2);
	ns_flow_table_destroy(t);
	log_reset();
}

/* A packet older than the current generation's start moves the start back to its time. */
static void
test_sweep_late_packet(void)
{
	struct ns_flow_table *t = table_new(64, NULL);
	struct ns_pkt a = udp_pkt("10.0.0.1", 1000, "10.0.0.2", 53, 40);
	struct ns_pkt b = udp_pkt("10.0.0.3", 1000, "10.0.0.2", 53, 40);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	feed(t, &a, T0 + 10 * SEC);
	ns_flow_table_housekeeping(t, T0 + 20 * SEC, 64); /* wraps: a generation at 20 s */
	CU_ASSERT_EQUAL(t->gen_from_us, (T0 + 20 * SEC) / US);
	feed(t, &b, T0 + 15 * SEC);
	CU_ASSERT_EQUAL(t->gen_from_us, (T0 + 15 * SEC) / US);
	CU_ASSERT_EQUAL(t->gen_start_us[t->gen], (T0 + 15 * SEC) / US);
	CU_ASSERT_EQUAL(t->seen[1], SEEN_PKT + t->gen);
	ns_flow_table_destroy(t);
	log_reset();
}

/* One connection for the targeted cases: its handshake (SYN, SYN/ACK, ACK), the server's next
 * ACK and the client's in-order RST. */
struct conn {
	struct ns_pkt hs[3], ack, rst;
};

static struct conn
conn_pkts(void)
{
	return (struct conn){
		.hs = {
			tcp_pkt("10.0.0.1", 1000, "10.0.0.2", 80, NS_TCP_SYN, 100, 0, 1000, 0),
			tcp_pkt("10.0.0.2", 80, "10.0.0.1", 1000, NS_TCP_SYN | NS_TCP_ACK, 500, 101,
				1000, 0),
			tcp_pkt("10.0.0.1", 1000, "10.0.0.2", 80, NS_TCP_ACK, 101, 501, 1000, 0),
		},
		.ack = tcp_pkt("10.0.0.2", 80, "10.0.0.1", 1000, NS_TCP_ACK, 501, 101, 1000, 0),
		.rst = tcp_pkt("10.0.0.1", 1000, "10.0.0.2", 80, NS_TCP_RST, 101, 0, 0, 0),
	};
}

/*
 * A packet that only moves a flow's last time on stores nothing in seen[] (flow_apply()), so the
 * sweep parks an idle flow by its last time, and one that changes the flow's state stamps it
 * again: here an in-order RST moves a parked established flow (300 s) to the closed class (2 s),
 * and the sweep must end it 2 s later, not pass it over as parked until the park runs out.
 */
static void
test_sweep_state_change(void)
{
	struct ns_flow_params p;
	struct two w;
	const struct conn c = conn_pkts();
	uint64_t ts[3] = { T0, T0 + 1 * MS, T0 + 2 * MS };
	uint64_t t_ack0 = T0 + 4 * MS, t_ack = T0 + 3 * SEC + 1 * MS, t_rst = T0 + 3 * SEC + 2 * MS;
	uint8_t parked;

	ns_flow_params_default(&p);
	p.tcp_established_timeout = 300;
	p.tcp_closed_timeout = 2;
	two_open(&w, &p);
	two_burst(&w, c.hs, ts, 3);
	/* read while active: SEEN_STALE; a wrap, a generation starting at 3 ms */
	two_housekeeping(&w, T0 + 3 * MS, 64);
	CU_ASSERT_EQUAL(w.t[0]->seen[0], SEEN_STALE);
	/* in that generation, an ACK: no store */
	two_burst(&w, &c.ack, &t_ack0, 1);
	CU_ASSERT_EQUAL(w.t[0]->seen[0], SEEN_STALE);
	/* idle past the shortest timeout: read, kept and parked by its last time */
	two_housekeeping(&w, T0 + 3 * SEC, 64);
	parked = w.t[0]->seen[0];
	CU_ASSERT_TRUE(parked >= SEEN_PARK);
	/* an ACK of the established flow: the park still holds, nothing stored */
	two_burst(&w, &c.ack, &t_ack, 1);
	CU_ASSERT_EQUAL(w.t[0]->seen[0], parked);
	CU_ASSERT_EQUAL(w.t[0]->recs[0].hot.state, NS_FLOW_TCP_ESTABLISHED);
	/* an in-order RST: a new state, a new class, a new stamp */
	two_burst(&w, &c.rst, &t_rst, 1);
	CU_ASSERT_EQUAL(w.t[0]->recs[0].hot.state, NS_FLOW_TCP_RESET);
	CU_ASSERT_EQUAL(w.t[0]->seen[0], w.t[0]->gen_stamp);
	/* idle 2.5 s > 2 s: it ends closed at this call */
	two_housekeeping(&w, T0 + 5500 * MS, 64);
	CU_ASSERT_EQUAL_FATAL(w.log[0].n, 1);
	CU_ASSERT_EQUAL(w.log[0].recs[0].end_reason, NS_FLOW_END_CLOSED);
	two_finish(&w);
	two_close(&w);
}

/*
 * The same for a segment without SYN, FIN or RST: with the established timeout the shortest
 * (2 s), the ACK that completes a parked handshake (10 s) moves the flow to a class that does
 * not park, and must stamp it again.
 */
static void
test_sweep_ack_state_change(void)
{
	struct ns_flow_params p;
	struct two w;
	const struct conn c = conn_pkts();
	uint64_t ts[2] = { T0, T0 + 1 * MS };
	uint64_t t_synack = T0 + 1500 * MS, t_ack = T0 + 3601 * MS;

	ns_flow_params_default(&p);
	p.tcp_syn_timeout = 10;
	p.tcp_established_timeout = 2;
	p.tcp_closed_timeout = 5;
	two_open(&w, &p);
	two_burst(&w, c.hs, ts, 2);
	two_housekeeping(&w, T0 + 1 * SEC, 64); /* a generation starting at 1 s */
	two_burst(&w, &c.hs[1], &t_synack, 1); /* a SYN/ACK again: stamped */
	CU_ASSERT_EQUAL(w.t[0]->seen[0], w.t[0]->gen_stamp);
	/* idle past the shortest timeout: read, kept (10 s) and parked in that generation */
	two_housekeeping(&w, T0 + 3600 * MS, 64);
	CU_ASSERT_TRUE(w.t[0]->seen[0] >= SEEN_PARK);
	two_burst(&w, &c.hs[2], &t_ack, 1);
	CU_ASSERT_EQUAL(w.t[0]->recs[0].hot.state, NS_FLOW_TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(w.t[0]->seen[0], w.t[0]->gen_stamp);
	/* idle 2.1 s > 2 s: it ends at this call, with the park (until 6 s) it would not */
	two_housekeeping(&w, T0 + 5700 * MS, 64);
	CU_ASSERT_EQUAL_FATAL(w.log[0].n, 1);
	CU_ASSERT_EQUAL(w.log[0].recs[0].end_reason, NS_FLOW_END_IDLE);
	two_finish(&w);
	two_close(&w);
}

/*
 * The timeline test_sweep_wrap_alias() and test_sweep_late_segment() start from: a connection
 * (established timeout 300 s, closed 2 s) whose handshake ends at 2 ms, a generation starting at
 * 3 ms, its ACK at 4 ms (which stores nothing: it moves only the last time), and a sweep at 3 s
 * that reads it, keeps it and parks it. Returns the flow's parked seen[] value.
 */
static uint8_t
open_parked(struct two *w, const struct conn *c)
{
	struct ns_flow_params p;
	uint64_t ts[3] = { T0, T0 + 1 * MS, T0 + 2 * MS };
	uint64_t t_ack = T0 + 4 * MS;
	uint8_t before;

	ns_flow_params_default(&p);
	p.tcp_established_timeout = 300;
	p.tcp_closed_timeout = 2;
	two_open(w, &p);
	two_burst(w, c->hs, ts, 3);
	two_housekeeping(w, T0 + 3 * MS, 64); /* a wrap: a generation starting at 3 ms */
	before = w->t[0]->seen[0];
	two_burst(w, &c->ack, &t_ack, 1);
	/* it moves the last time on and leaves the state: no store */
	CU_ASSERT_EQUAL(w->t[0]->seen[0], before);
	/* idle past the shortest timeout: read, kept and parked (established: 300 s) */
	two_housekeeping(w, T0 + 3 * SEC, 64);
	CU_ASSERT_EQUAL(w->log[0].n, 0);
	CU_ASSERT_TRUE(w->t[0]->seen[0] >= SEEN_PARK);
	return w->t[0]->seen[0];
}

/*
 * A packet 2^40 us (12.7 days) behind a parked flow, less its timeout: in 40-bit time it is 10 s
 * ahead of the flow, so it moves the last time past the clock with no split and no stamp, and
 * the reference ends the flow at the next call (its idle time wraps). Only flow_gen_late(),
 * which every late packet runs, stamped or not, makes the sweep read the parked flow too.
 */
static void
test_sweep_wrap_alias(void)
{
	struct two w;
	const struct conn c = conn_pkts();
	/* the ACK's time (4 ms) less 2^40 us, plus 10 s */
	uint64_t alias = T0 + 4 * MS - ((1ull << 40) * US - 10 * SEC);
	const uint8_t parked = open_parked(&w, &c);

	two_burst(&w, &c.ack, &alias, 1);
	CU_ASSERT_EQUAL(w.log[0].n, 0); /* no split */
	CU_ASSERT_EQUAL(w.t[0]->seen[0], parked);
	CU_ASSERT_EQUAL(w.t[0]->gen_start_us[w.t[0]->gen], alias / US);
	two_housekeeping(&w, T0 + 3100 * MS, 64);
	CU_ASSERT_EQUAL_FATAL(w.log[0].n, 1);
	CU_ASSERT_EQUAL(w.log[0].recs[0].end_reason, NS_FLOW_END_IDLE);
	two_finish(&w);
	two_close(&w);
}

/*
 * A segment older than the flow's last packet still runs the TCP analysis: a late RST moves a
 * parked established flow to the closed class (2 s instead of 300), and the sweep must read it
 * again rather than keep passing it over as parked.
 */
static void
test_sweep_late_segment(void)
{
	struct two w;
	const struct conn c = conn_pkts();
	const uint64_t late = T0 + 3500 * US; /* before the ACK's 4 ms */

	open_parked(&w, &c);
	/* a late RST: the last time stays, the class becomes closed */
	two_burst(&w, &c.rst, &late, 1);
	CU_ASSERT_EQUAL(w.t[0]->seen[0], SEEN_STALE);
	/* idle 3.5 s > 2 s: it ends closed at this call */
	two_housekeeping(&w, T0 + 3500 * MS, 64);
	CU_ASSERT_EQUAL_FATAL(w.log[0].n, 1);
	CU_ASSERT_EQUAL(w.log[0].recs[0].end_reason, NS_FLOW_END_CLOSED);
	two_finish(&w);
	two_close(&w);
}

/*
 * Emergency mode: above 95% occupancy the timeouts shrink tenfold, and flows parked under the
 * normal timeouts must be read again; both sweeps end the same flows.
 */
static void
test_sweep_emergency(void)
{
	struct ns_flow_params p;
	struct two w;
	uint64_t now = T0;

	rng = 0x1234567887654321ull;
	ns_flow_params_default(&p);
	p.capacity = 200;
	p.udp_timeout = 100;
	p.tcp_established_timeout = 100;
	p.tcp_closed_timeout = 2;
	two_open(&w, &p);
	for (unsigned round = 0; round < 30 && !w.diverged; round++) {
		/* fill past 95%, then let most of it idle */
		for (unsigned f = 0; f < 195; f += 5) {
			struct ns_pkt pk[5];
			uint64_t ts[5];

			for (unsigned j = 0; j < 5; j++) {
				pk[j] = flow_pkt(round * 1000 + f + j);
				ts[j] = now;
			}
			two_burst(&w, pk, ts, 5);
			now += 50 * MS;
		}
		for (unsigned s = 0; s < 40; s++) {
			now += rn(1000) * MS;
			two_housekeeping(&w, now, 1 + rn(300));
		}
	}
	CU_ASSERT_TRUE(w.t[0]->st.emergency_enter > 0);
	two_finish(&w);
	two_close(&w);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_sweep_random),       NS_TEST(test_sweep_generation_wrap),
	NS_TEST(test_sweep_reuse_freed),  NS_TEST(test_sweep_late_packet),
	NS_TEST(test_sweep_late_segment), NS_TEST(test_sweep_emergency),
	NS_TEST(test_sweep_state_change), NS_TEST(test_sweep_ack_state_change),
	NS_TEST(test_sweep_wrap_alias),
};

NS_TEST_MAIN("flow_sweep", cases)
