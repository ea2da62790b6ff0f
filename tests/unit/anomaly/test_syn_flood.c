/* SPDX-License-Identifier: MIT */
/*
 * SYN-flood detector: the default thresholds catch 1,000 SYN/s against one host and stay
 * silent on a server completing 200 (and 400) connections per second; the rate and ratio
 * thresholds are strict at their exact values; spoofed floods are caught at the victim, a
 * source flooding many hosts is caught as an attacker, and a single-source flood is one alert.
 */
#include "anomaly_priv.h" /* to preset a count near 2^32 (test_counts_saturate) */
#include "anomaly_test.h"

static void
test_flood_1000_per_s_raised(void)
{
	struct ns_anomaly_params p;
	struct ns_addr att = ip("10.0.0.1"), vic = ip("10.0.0.2");
	const struct ns_anomaly_alert *a;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	gen_syns(r, att, vic, 80, 3000, T0, 3 * SEC); /* 1,000 SYN/s for 3 s, no answer */
	rig_finish(r);
	CU_ASSERT_EQUAL(rig_count(r, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_RAISED), 1);
	CU_ASSERT_EQUAL(rig_count(r, NS_ANOMALY_PORT_SCAN, -1), 0);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_CLEARED), 1);
	a = rig_first(r, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_RAISED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->role, NS_ANOMALY_ROLE_VICTIM);
	CU_ASSERT(a->has_dst && addr_eq(&a->dst, vic));
	CU_ASSERT(a->has_src && addr_eq(&a->src, att)); /* one source stands out */
	CU_ASSERT(a->has_port && a->dst_port == 80);
	/* raised within two 1 s slots of the start: 1,000+ SYNs in the 5 s window */
	CU_ASSERT(a->ts_ns <= T0 + 2 * SEC);
	CU_ASSERT(a->syn.rate > 200.0);
	CU_ASSERT_EQUAL(a->syn.window_done, 0);
	CU_ASSERT_EQUAL(a->syn.n_top_peers, 1);
	CU_ASSERT_EQUAL(a->syn.thr_rate, 200.0);
	rig_free(r);
}

/* @cps completed connections per second from 50 clients for @secs seconds. */
static void
busy_server(struct rig *r, uint32_t cps, uint32_t secs)
{
	struct ns_addr srv = ip("192.168.1.1");
	uint32_t n = cps * secs;

	for (uint32_t i = 0; i < n; i++)
		gen_handshake(r, ip_n(0xc0a80a00, i % 50), (uint16_t)(20000 + i % 40000), srv, 443,
			      T0 + (uint64_t)i * SEC / cps);
}

static void
test_busy_server_silent(void)
{
	struct ns_anomaly_params p;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	busy_server(r, 200, 10);
	rig_finish(r);
	CU_ASSERT_EQUAL(r->nev, 0);
	rig_free(r);
	/* Twice the rate threshold, every handshake completing: the ratio keeps it quiet. */
	r = rig_new(&p, 1);
	busy_server(r, 400, 6);
	rig_finish(r);
	CU_ASSERT_EQUAL(r->nev, 0);
	rig_free(r);
}

/* All SYNs inside one 1 s slot: the 5 s window rate is n / 5. */
static unsigned
raised_for_syns(uint32_t n)
{
	struct ns_anomaly_params p;
	struct rig *r;
	unsigned raised;

	rig_params(&p);
	r = rig_new(&p, 1);
	gen_syns(r, ip("10.1.0.1"), ip("10.1.0.2"), 80, n, T0, 900 * MS);
	rig_finish(r);
	raised = rig_count(r, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_RAISED);
	rig_free(r);
	return raised;
}

static void
test_rate_exactly_at_threshold(void)
{
	CU_ASSERT_EQUAL(raised_for_syns(1000), 0); /* 200.0 SYN/s: not above 200 */
	CU_ASSERT_EQUAL(raised_for_syns(1001), 1); /* 200.2 SYN/s */
}

/* 2,000 SYNs in one slot, @done of them completing. */
static unsigned
raised_for_completions(uint32_t done)
{
	struct ns_anomaly_params p;
	struct ns_addr srv = ip("10.2.0.2");
	struct ns_pkt pk;
	struct rig *r;
	unsigned raised;

	rig_params(&p);
	r = rig_new(&p, 1);
	for (uint32_t i = 0; i < 2000; i++) {
		struct ns_addr cli = ip_n(0x0a030000, i % 20);
		uint16_t cport = (uint16_t)(10000 + i);
		uint64_t t = T0 + (uint64_t)i * 400 * US;

		if (i < done) {
			gen_handshake(r, cli, cport, srv, 80, t);
		} else {
			pkt_tcp(&pk, cli, cport, srv, 80, NS_TCP_SYN, i, 0);
			rig_feed(r, &pk, t);
		}
	}
	rig_finish(r);
	raised = rig_count(r, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_RAISED);
	rig_free(r);
	return raised;
}

static void
test_ratio_exactly_at_threshold(void)
{
	CU_ASSERT_EQUAL(raised_for_completions(1000), 0); /* ratio 0.5: not below 0.5 */
	CU_ASSERT_EQUAL(raised_for_completions(999), 1); /* 0.4995 */
}

static void
test_spoofed_sources_caught_at_victim(void)
{
	struct ns_anomaly_params p;
	struct ns_addr vic = ip("10.4.0.2");
	const struct ns_anomaly_alert *a;
	struct ns_pkt pk;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	for (uint32_t i = 0; i < 3000; i++) { /* every SYN from a different address */
		pkt_tcp(&pk, ip_n(0x64000000, i * 7919), 1234, vic, 80, NS_TCP_SYN, i, 0);
		rig_feed(r, &pk, T0 + (uint64_t)i * SEC / 1000);
	}
	rig_finish(r);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_RAISED), 1);
	a = rig_first(r, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_RAISED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->role, NS_ANOMALY_ROLE_VICTIM);
	CU_ASSERT(a->has_dst && addr_eq(&a->dst, vic));
	CU_ASSERT_FALSE(a->has_src); /* no source stands out */
	CU_ASSERT(a->syn.peers >= 1000);
	CU_ASSERT_EQUAL(a->syn.n_top_peers, NS_ANOMALY_TOP);
	rig_free(r);
}

static void
test_attacker_across_many_victims(void)
{
	struct ns_anomaly_params p;
	struct ns_addr att = ip("10.5.0.1");
	const struct ns_anomaly_alert *a;
	struct ns_pkt pk;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	/* 1,000 SYN/s spread over 100 hosts (10/s each, under any victim threshold), each
	 * host's port 80 hit again and again: a flood, not a scan. */
	for (uint32_t i = 0; i < 4000; i++) {
		pkt_tcp(&pk, att, (uint16_t)(2000 + i), ip_n(0x0a060000, i % 100), 80, NS_TCP_SYN,
			i, 0);
		rig_feed(r, &pk, T0 + (uint64_t)i * SEC / 1000);
	}
	rig_finish(r);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_RAISED), 1);
	a = rig_first(r, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_RAISED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->role, NS_ANOMALY_ROLE_ATTACKER);
	CU_ASSERT(a->has_src && addr_eq(&a->src, att));
	CU_ASSERT_FALSE(a->has_dst); /* no victim stands out */
	CU_ASSERT(a->has_port && a->dst_port == 80);
	CU_ASSERT_EQUAL(a->syn.peers, 100);
	rig_free(r);
}

static void
test_ipv6_flood(void)
{
	struct ns_anomaly_params p;
	struct ns_addr att = ip("2001:db8::1"), vic = ip("2001:db8::2");
	const struct ns_anomaly_alert *a;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	gen_syns(r, att, vic, 443, 2000, T0, 2 * SEC);
	rig_finish(r);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_RAISED), 1);
	a = rig_first(r, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_RAISED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT(a->has_dst && addr_eq(&a->dst, vic));
	CU_ASSERT(a->has_src && addr_eq(&a->src, att));
	rig_free(r);
}

/* hping3 against an open port: SYN-ACKs come back, the attacker's kernel resets them. */
static void
test_answered_flood_is_one_alert(void)
{
	struct ns_anomaly_params p;
	struct ns_addr att = ip("10.7.0.1"), vic = ip("10.7.0.2");
	struct ns_pkt pk;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	for (uint32_t i = 0; i < 5000; i++) {
		uint64_t t = T0 + (uint64_t)i * 100 * US;
		uint16_t sp = (uint16_t)(3000 + i);

		pkt_tcp(&pk, att, sp, vic, 80, NS_TCP_SYN, i, 0);
		rig_feed(r, &pk, t);
		pkt_tcp(&pk, vic, 80, att, sp, NS_TCP_SYN | NS_TCP_ACK, 77 * i, i + 1);
		rig_feed(r, &pk, t + 10 * US);
		pkt_tcp(&pk, att, sp, vic, 80, NS_TCP_RST, i + 1, 0);
		rig_feed(r, &pk, t + 20 * US);
	}
	rig_idle(r, T0 + 30 * SEC);
	rig_finish(r);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_RAISED), 1);
	CU_ASSERT_EQUAL(rig_count(r, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_RAISED), 1);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_CLEARED), 1);
	rig_free(r);
}

static void
observe_syn(struct ns_anomaly_shard *s, uint32_t seq, uint64_t ts)
{
	struct ns_pkt p;
	const struct ns_pkt *pp = &p;

	pkt_tcp(&p, ip("10.5.0.1"), (uint16_t)(1024 + seq), ip("10.5.0.2"), 80, NS_TCP_SYN, seq, 0);
	ns_anomaly_shard_observe_burst(s, &pp, &ts, 1);
}

/*
 * 32-bit SYN counts stop at UINT32_MAX instead of wrapping: in a shard's slot table (a key
 * preset to UINT32_MAX - 1 takes two more SYNs) and when the engine adds two shards' counts
 * for the same key. The window then holds exactly UINT32_MAX SYNs, not a wrapped handful.
 */
static void
test_counts_saturate(void)
{
	struct ns_anomaly_params p;
	struct ns_anomaly_engine *e;
	struct ns_anomaly_shard *s[2];
	struct ns_anomaly_alert ev[16];
	uint64_t window_syns = 0;
	unsigned n, raised = 0;

	rig_params(&p);
	p.shards = 2;
	e = ns_anomaly_engine_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	for (unsigned i = 0; i < 2; i++) {
		struct syn_ent *se;

		s[i] = ns_anomaly_shard_create(&p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s[i]);
		CU_ASSERT_EQUAL_FATAL(ns_anomaly_engine_attach(e, s[i]), 0);
		observe_syn(s[i], 1, T0);
		CU_ASSERT_EQUAL_FATAL(s[i]->clk[KIND_SYN].cur->tab.count, 1);
		se = tab_nth(&s[i]->clk[KIND_SYN].cur->tab, 0);
		se->syn = UINT32_MAX - 1;
		observe_syn(s[i], 2, T0 + 100 * MS);
		observe_syn(s[i], 3, T0 + 200 * MS);
		CU_ASSERT_EQUAL(se->syn, UINT32_MAX);
		ns_anomaly_shard_flush(s[i]);
	}
	ns_anomaly_engine_finish(e, T0 + 200 * MS);
	while ((n = ns_anomaly_engine_poll(e, ev, NS_ARRAY_SIZE(ev))) > 0)
		for (unsigned i = 0; i < n; i++)
			if (ev[i].signature == NS_ANOMALY_SYN_FLOOD &&
			    ev[i].state == NS_ANOMALY_RAISED &&
			    ev[i].role == NS_ANOMALY_ROLE_VICTIM) {
				raised++;
				window_syns = ev[i].syn.window_syns;
			}
	CU_ASSERT_EQUAL(raised, 1);
	CU_ASSERT_EQUAL(window_syns, UINT32_MAX);
	ns_anomaly_engine_destroy(e);
	ns_anomaly_shard_destroy(s[0]);
	ns_anomaly_shard_destroy(s[1]);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_flood_1000_per_s_raised),
	NS_TEST(test_busy_server_silent),
	NS_TEST(test_rate_exactly_at_threshold),
	NS_TEST(test_ratio_exactly_at_threshold),
	NS_TEST(test_spoofed_sources_caught_at_victim),
	NS_TEST(test_attacker_across_many_victims),
	NS_TEST(test_ipv6_flood),
	NS_TEST(test_answered_flood_is_one_alert),
	NS_TEST(test_counts_saturate),
};

NS_TEST_MAIN("anomaly_syn_flood", cases)
