/* SPDX-License-Identifier: MIT */
/*
 * The merge property: a packet stream split over two shards by the pipeline's symmetric
 * dispatcher hash (as it splits traffic over workers) yields exactly the alert events of one
 * shard - same ids, times, endpoints, counts and top lists - and so does feeding it in bursts.
 */
#include "anomaly_test.h"

struct item {
	struct ns_pkt p;
	uint8_t buf[96];
	uint64_t ts;
};

struct stream {
	struct item *it;
	uint32_t n, cap;
};

static struct item *
push(struct stream *s, uint64_t ts)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->it = realloc(s->it, sizeof(*s->it) * s->cap);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s->it);
	}
	memset(&s->it[s->n], 0, sizeof(s->it[0]));
	s->it[s->n].ts = ts;
	return &s->it[s->n++];
}

static void
push_tcp(struct stream *s, uint64_t ts, struct ns_addr a, uint16_t ap, struct ns_addr b,
	 uint16_t bp, uint8_t flags, uint32_t seq, uint32_t ack)
{
	pkt_tcp(&push(s, ts)->p, a, ap, b, bp, flags, seq, ack);
}

static int
by_ts(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x < y ? -1 : x > y; /* stable enough: generation order breaks ties */
}

/* Floods, scans of every kind and busy normal traffic, interleaved in time. */
static void
make_stream(struct stream *s)
{
	struct ns_addr v1 = ip("10.9.0.1"), v2 = ip("10.9.0.2"), a2 = ip("172.16.0.2");
	struct ns_addr s1 = ip("172.16.1.1"), t1 = ip("10.9.1.1"), s2 = ip("172.16.2.2");
	struct ns_addr s3 = ip("172.16.3.3"), t3 = ip("10.9.3.3"), srv = ip("10.9.4.4");

	/* spoofed flood on v1: 1,500 SYN/s for 4 s */
	for (uint32_t i = 0; i < 6000; i++)
		push_tcp(s, T0 + 1 * SEC + (uint64_t)i * SEC / 1500,
			 ip_n(0x65000000, i * 2654435761u), (uint16_t)(1024 + i), v1, 80,
			 NS_TCP_SYN, i, 0);
	/* a single-source flood on v2 answered by SYN-ACKs the attacker resets */
	for (uint32_t i = 0; i < 4000; i++) {
		uint64_t t = T0 + 3 * SEC + (uint64_t)i * 500 * US;
		uint16_t sp = (uint16_t)(10000 + i);

		push_tcp(s, t, a2, sp, v2, 443, NS_TCP_SYN, i, 0);
		push_tcp(s, t + 20 * US, v2, 443, a2, sp, NS_TCP_SYN | NS_TCP_ACK, 5 * i, i + 1);
		push_tcp(s, t + 40 * US, a2, sp, v2, 443, NS_TCP_RST, i + 1, 0);
	}
	/* vertical scan s1 -> t1: 300 ports, closed, from changing source ports */
	for (uint32_t i = 0; i < 300; i++) {
		uint64_t t = T0 + 2 * SEC + (uint64_t)i * 7 * MS;
		uint16_t sp = (uint16_t)(50000 + i % 7);

		push_tcp(s, t, s1, sp, t1, (uint16_t)(1 + i), NS_TCP_SYN, 77 + i, 0);
		push_tcp(s, t + 100 * US, t1, (uint16_t)(1 + i), s1, sp, NS_TCP_RST | NS_TCP_ACK, 0,
			 78 + i);
	}
	/* horizontal scan s2 -> port 22 on 120 hosts, nobody answers */
	for (uint32_t i = 0; i < 120; i++)
		push_tcp(s, T0 + 5 * SEC + (uint64_t)i * 11 * MS, s2, (uint16_t)(33000 + i),
			 ip_n(0x0a0a0000, i), 22, NS_TCP_SYN, i, 0);
	/* UDP scan s3 -> t3 answered by ICMP port unreachable */
	for (uint32_t i = 0; i < 90; i++) {
		uint64_t t = T0 + 6 * SEC + (uint64_t)i * 20 * MS;
		struct item *it;

		pkt_udp(&push(s, t)->p, s3, 45000, t3, (uint16_t)(500 + i));
		it = push(s, t + 300 * US);
		pkt_icmp_err(&it->p, it->buf, t3, s3, 3, s3, 45000, t3, (uint16_t)(500 + i), 17);
	}
	/* a busy server: 250 completed connections per second for 12 s */
	for (uint32_t i = 0; i < 3000; i++) {
		uint64_t t = T0 + (uint64_t)i * 4 * MS;
		struct ns_addr cli = ip_n(0xc0a86400, i % 200);
		uint16_t cp = (uint16_t)(20000 + i);
		uint32_t isn = 3 * i, sisn = 11 * i;

		push_tcp(s, t, cli, cp, srv, 443, NS_TCP_SYN, isn, 0);
		push_tcp(s, t + 150 * US, srv, 443, cli, cp, NS_TCP_SYN | NS_TCP_ACK, sisn,
			 isn + 1);
		push_tcp(s, t + 300 * US, cli, cp, srv, 443, NS_TCP_ACK, isn + 1, sisn + 1);
	}
	qsort(s->it, s->n, sizeof(s->it[0]), by_ts);
	for (uint32_t i = 0; i < s->n; i++)
		if (s->it[i].p.l4 == NS_L4_ICMP)
			s->it[i].p.data = s->it[i].buf;
}

static struct rig *
run_stream(const struct stream *s, unsigned nshards, bool bursts, unsigned *per_shard)
{
	struct ns_anomaly_params p;
	struct ns_anomaly_stats st;
	struct rig *r = calloc(1, sizeof(*r));

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	rig_params(&p);
	p.max_sources = 16384; /* no cap is hit (asserted below): the merge is then exact */
	rig_init(r, &p, nshards);
	r->bursts = bursts;
	for (uint32_t i = 0; i < s->n; i++) {
		if (per_shard != NULL)
			per_shard[rig_shard_of(r, &s->it[i].p)]++;
		rig_feed(r, &s->it[i].p, s->it[i].ts);
	}
	rig_idle(r, s->it[s->n - 1].ts + 20 * SEC);
	rig_finish(r);
	ns_anomaly_engine_stats(r->e, &st);
	for (unsigned c = 0; c < NS_ANOMALY_C_MAX; c++)
		if (strstr(ns_anomaly_counter_name(c), "full") != NULL ||
		    c == NS_ANOMALY_C_HANDOFF_STALLED || c == NS_ANOMALY_C_LATE_SLOTS ||
		    c == NS_ANOMALY_C_FORCED_SLOTS || c == NS_ANOMALY_C_LATE_SYNS_DROPPED)
			CU_ASSERT_EQUAL(st.c[c], 0);
	return r;
}

static void
assert_same_events(const struct rig *a, const struct rig *b)
{
	CU_ASSERT_EQUAL_FATAL(a->nev, b->nev);
	for (unsigned i = 0; i < a->nev; i++) {
		bool same = alerts_same(&a->ev[i], &b->ev[i]);

		CU_ASSERT(same);
		if (!same) {
			char x[512], y[512];

			ns_anomaly_alert_format(&a->ev[i], x, sizeof(x));
			ns_anomaly_alert_format(&b->ev[i], y, sizeof(y));
			fprintf(stderr, "\n  event %u differs:\n  %s\n  %s\n", i, x, y);
		}
	}
}

static void
test_two_shards_same_alerts(void)
{
	struct stream s = { 0 };
	unsigned split[2] = { 0, 0 };
	struct rig *one, *two, *burst;

	make_stream(&s);
	one = run_stream(&s, 1, false, NULL);
	two = run_stream(&s, 2, false, split);
	burst = run_stream(&s, 2, true, NULL);
	/* both shards really carried traffic, the flood included */
	CU_ASSERT(split[0] > s.n / 4 && split[1] > s.n / 4);
	/* v1 spoofed flood, v2 flood, s1 vertical, s2 horizontal, s3 UDP: 5 alerts */
	CU_ASSERT_EQUAL(rig_count(one, -1, NS_ANOMALY_RAISED), 5);
	CU_ASSERT_EQUAL(rig_count(one, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_RAISED), 2);
	CU_ASSERT_EQUAL(rig_count(one, NS_ANOMALY_PORT_SCAN, NS_ANOMALY_RAISED), 3);
	CU_ASSERT_EQUAL(rig_count(one, -1, NS_ANOMALY_CLEARED), 5);
	assert_same_events(one, two);
	assert_same_events(one, burst);
	rig_fini(one);
	rig_fini(two);
	rig_fini(burst);
	free(one);
	free(two);
	free(burst);
	free(s.it);
}

/* One flood whose SYNs are spread over both shards is one alert with the full count. */
static void
test_split_flood_is_one_alert(void)
{
	struct stream s = { 0 };
	unsigned split[2] = { 0, 0 };
	const struct ns_anomaly_alert *a;
	struct rig *two;

	for (uint32_t i = 0; i < 3000; i++)
		push_tcp(&s, T0 + (uint64_t)i * SEC / 1000, ip("10.8.0.1"), (uint16_t)(1024 + i),
			 ip("10.8.0.2"), 80, NS_TCP_SYN, i, 0);
	two = run_stream(&s, 2, false, split);
	CU_ASSERT(split[0] > 1000 && split[1] > 1000);
	CU_ASSERT_EQUAL(rig_count(two, -1, NS_ANOMALY_RAISED), 1);
	a = rig_first(two, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_CLEARED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->syn.total_syns, 3000);
	CU_ASSERT(a->has_src && addr_eq(&a->src, ip("10.8.0.1")));
	rig_fini(two);
	free(two);
	free(s.it);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_two_shards_same_alerts),
	NS_TEST(test_split_flood_is_one_alert),
};

NS_TEST_MAIN("anomaly_merge", cases)
