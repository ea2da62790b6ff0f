/* SPDX-License-Identifier: MIT */
/*
 * Port-scan detector: vertical and horizontal TCP scans through every failure kind (RST,
 * no answer, ICMP unreachable, half-open), UDP scans answered by ICMP port unreachable or by
 * nothing, the ports threshold at its exact value, and traffic that must stay silent: a client
 * whose connections complete, answered UDP, traceroute-like probes answered by routers.
 */
#include "anomaly_test.h"

static void
test_vertical_100_ports_in_10s(void)
{
	struct ns_anomaly_params p;
	struct ns_addr sc = ip("10.0.0.66"), tg = ip("10.0.0.2");
	const struct ns_anomaly_alert *a;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	gen_vscan(r, sc, tg, 1, 100, T0, 95 * MS); /* 100 closed ports within 9.5 s */
	rig_finish(r);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_RAISED), 1);
	a = rig_first(r, NS_ANOMALY_PORT_SCAN, NS_ANOMALY_RAISED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->role, NS_ANOMALY_ROLE_SCANNER);
	CU_ASSERT(a->has_src && addr_eq(&a->src, sc));
	CU_ASSERT(a->has_dst && addr_eq(&a->dst, tg));
	CU_ASSERT_EQUAL(a->scan.proto, 6);
	CU_ASSERT_EQUAL(a->scan.shape, NS_ANOMALY_SCAN_VERTICAL);
	CU_ASSERT(a->scan.ports >= 50);
	CU_ASSERT(a->scan.fails[NS_ANOMALY_FAIL_RST] >= 50);
	CU_ASSERT_EQUAL(a->scan.n_sample_ports, NS_ANOMALY_SAMPLE);
	CU_ASSERT_EQUAL(a->scan.sample_ports[0], 1); /* lowest ports first */
	CU_ASSERT(a->ts_ns <= T0 + 10 * SEC);
	rig_free(r);
}

static unsigned
raised_for_ports(uint32_t n)
{
	struct ns_anomaly_params p;
	struct rig *r;
	unsigned raised;

	rig_params(&p);
	r = rig_new(&p, 1);
	gen_vscan(r, ip("10.1.0.66"), ip("10.1.0.2"), 1000, n, T0, 10 * MS);
	rig_finish(r);
	raised = rig_count(r, NS_ANOMALY_PORT_SCAN, NS_ANOMALY_RAISED);
	rig_free(r);
	return raised;
}

static void
test_ports_exactly_at_threshold(void)
{
	CU_ASSERT_EQUAL(raised_for_ports(49), 0);
	CU_ASSERT_EQUAL(raised_for_ports(50), 1); /* ports >= 50 */
}

static void
test_horizontal_no_answer(void)
{
	struct ns_anomaly_params p;
	struct ns_addr sc = ip("10.2.0.66");
	const struct ns_anomaly_alert *a;
	struct ns_pkt pk;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	for (uint32_t i = 0; i < 60; i++) { /* port 22 on 60 hosts, nobody answers */
		pkt_tcp(&pk, sc, 50000, ip_n(0x0a020100, i), 22, NS_TCP_SYN, i, 0);
		rig_feed(r, &pk, T0 + i * 20 * MS);
	}
	rig_idle(r, T0 + 8 * SEC);
	rig_finish(r);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_RAISED), 1);
	a = rig_first(r, NS_ANOMALY_PORT_SCAN, NS_ANOMALY_RAISED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->scan.shape, NS_ANOMALY_SCAN_HORIZONTAL);
	CU_ASSERT(a->has_src && addr_eq(&a->src, sc));
	CU_ASSERT_FALSE(a->has_dst);
	CU_ASSERT(a->has_port && a->dst_port == 22);
	CU_ASSERT(a->scan.hosts >= 50); /* raised as the threshold is reached */
	CU_ASSERT_EQUAL(a->scan.fails[NS_ANOMALY_FAIL_NO_ANSWER], a->scan.hosts);
	CU_ASSERT_EQUAL(a->scan.n_sample_hosts, NS_ANOMALY_SAMPLE);
	CU_ASSERT_EQUAL(r->ev[r->nev - 1].scan.peak_hosts, 60);
	/* judged once no_answer (3 s) had passed for the probes */
	CU_ASSERT(a->ts_ns >= T0 + 3 * SEC && a->ts_ns <= T0 + 6 * SEC);
	rig_free(r);
}

static void
test_udp_scan_icmp_unreachable(void)
{
	struct ns_anomaly_params p;
	struct ns_addr sc = ip("10.3.0.66"), tg = ip("10.3.0.2");
	const struct ns_anomaly_alert *a;
	uint8_t buf[96];
	struct ns_pkt pk;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	for (uint32_t i = 0; i < 80; i++) {
		uint64_t t = T0 + i * 50 * MS;

		pkt_udp(&pk, sc, 45000, tg, (uint16_t)(100 + i));
		rig_feed(r, &pk, t);
		/* RFC 792 type 3 (code 3, port unreachable) quoting the probe */
		pkt_icmp_err(&pk, buf, tg, sc, 3, sc, 45000, tg, (uint16_t)(100 + i), 17);
		rig_feed(r, &pk, t + 100 * US);
	}
	rig_finish(r);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_RAISED), 1);
	a = rig_first(r, NS_ANOMALY_PORT_SCAN, NS_ANOMALY_RAISED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->scan.proto, 17);
	CU_ASSERT(a->has_dst && addr_eq(&a->dst, tg));
	CU_ASSERT(a->scan.fails[NS_ANOMALY_FAIL_UNREACH] >= 50);
	CU_ASSERT_EQUAL(a->scan.fails[NS_ANOMALY_FAIL_NO_ANSWER], 0);
	rig_free(r);
}

static void
test_udp_scan_no_answer_ipv6(void)
{
	struct ns_anomaly_params p;
	struct ns_addr sc = ip("2001:db8::66"), tg = ip("2001:db8::2");
	const struct ns_anomaly_alert *a;
	struct ns_pkt pk;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	for (uint32_t i = 0; i < 70; i++) {
		pkt_udp(&pk, sc, 45000, tg, (uint16_t)(2000 + i));
		rig_feed(r, &pk, T0 + i * 10 * MS);
	}
	rig_idle(r, T0 + 9 * SEC);
	rig_finish(r);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_RAISED), 1);
	a = rig_first(r, NS_ANOMALY_PORT_SCAN, NS_ANOMALY_RAISED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->scan.proto, 17);
	CU_ASSERT_EQUAL(a->scan.fails[NS_ANOMALY_FAIL_NO_ANSWER], 70);
	rig_free(r);
}

/* nmap -sS against open ports: SYN, SYN-ACK, and the scanner's RST instead of the ACK. */
static void
test_half_open_and_icmp_filtered(void)
{
	struct ns_anomaly_params p;
	struct ns_addr sc = ip("10.4.0.66"), tg = ip("10.4.0.2"), gw = ip("10.4.0.254");
	const struct ns_anomaly_alert *a;
	uint8_t buf[96];
	struct ns_pkt pk;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	for (uint32_t i = 0; i < 60; i++) {
		uint64_t t = T0 + i * 30 * MS;
		uint16_t port = (uint16_t)(8000 + i);

		pkt_tcp(&pk, sc, 41000, tg, port, NS_TCP_SYN, 10 * i, 0);
		rig_feed(r, &pk, t);
		if (i % 2 == 0) {
			pkt_tcp(&pk, tg, port, sc, 41000, NS_TCP_SYN | NS_TCP_ACK, 99, 10 * i + 1);
			rig_feed(r, &pk, t + 100 * US);
			pkt_tcp(&pk, sc, 41000, tg, port, NS_TCP_RST, 10 * i + 1, 0);
			rig_feed(r, &pk, t + 200 * US);
		} else { /* a firewall says administratively prohibited */
			pkt_icmp_err(&pk, buf, gw, sc, 3, sc, 41000, tg, port, 6);
			rig_feed(r, &pk, t + 100 * US);
		}
	}
	rig_finish(r);
	CU_ASSERT_EQUAL(rig_count(r, -1, NS_ANOMALY_RAISED), 1);
	a = rig_first(r, NS_ANOMALY_PORT_SCAN, NS_ANOMALY_RAISED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->scan.fails[NS_ANOMALY_FAIL_HALF_OPEN], 30);
	CU_ASSERT_EQUAL(a->scan.fails[NS_ANOMALY_FAIL_UNREACH], 30);
	rig_free(r);
}

/* 1,000 ports in half a second is 2,000 SYN/s at one host: one port_scan, no syn_flood. */
static void
test_fast_scan_is_not_a_flood(void)
{
	struct ns_anomaly_params p;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	gen_vscan(r, ip("10.5.0.66"), ip("10.5.0.2"), 1, 1000, T0, 500 * US);
	rig_finish(r);
	CU_ASSERT_EQUAL(rig_count(r, NS_ANOMALY_PORT_SCAN, NS_ANOMALY_RAISED), 1);
	CU_ASSERT_EQUAL(rig_count(r, NS_ANOMALY_SYN_FLOOD, -1), 0);
	rig_free(r);
}

static void
test_benign_clients_silent(void)
{
	struct ns_anomaly_params p;
	struct ns_addr cli = ip("10.6.0.10"), dns = ip("10.6.0.53");
	uint8_t buf[96];
	struct ns_pkt pk;
	struct rig *r;

	rig_params(&p);
	r = rig_new(&p, 1);
	/* one client completing connections to 200 different ports and 100 hosts */
	for (uint32_t i = 0; i < 200; i++)
		gen_handshake(r, cli, (uint16_t)(30000 + i), ip("10.6.0.20"), (uint16_t)(1 + i),
			      T0 + i * 10 * MS);
	for (uint32_t i = 0; i < 100; i++)
		gen_handshake(r, cli, (uint16_t)(31000 + i), ip_n(0x0a060100, i), 443,
			      T0 + 2 * SEC + i * 10 * MS);
	/* DNS: 300 queries from random ports, all answered */
	for (uint32_t i = 0; i < 300; i++) {
		uint64_t t = T0 + 4 * SEC + i * 5 * MS;

		pkt_udp(&pk, cli, (uint16_t)(40000 + i), dns, 53);
		rig_feed(r, &pk, t);
		pkt_udp(&pk, dns, 53, cli, (uint16_t)(40000 + i));
		rig_feed(r, &pk, t + MS);
	}
	/* traceroute: 90 UDP probes to increasing ports, each answered by a router's time
	 * exceeded (RFC 792 type 11) */
	for (uint32_t i = 0; i < 90; i++) {
		uint64_t t = T0 + 6 * SEC + i * 10 * MS;
		uint16_t port = (uint16_t)(33434 + i);

		pkt_udp(&pk, cli, 50000, ip("10.6.9.9"), port);
		rig_feed(r, &pk, t);
		pkt_icmp_err(&pk, buf, ip_n(0x0a060200, i / 3), cli, 11, cli, 50000, ip("10.6.9.9"),
			     port, 17);
		rig_feed(r, &pk, t + MS);
	}
	/* a UDP stream to a multicast group never answers and is not a probe */
	for (uint32_t i = 0; i < 100; i++) {
		pkt_udp(&pk, cli, 5353, ip("224.0.0.251"), (uint16_t)(6000 + i));
		rig_feed(r, &pk, T0 + 8 * SEC + i * MS);
	}
	rig_idle(r, T0 + 20 * SEC);
	rig_finish(r);
	CU_ASSERT_EQUAL(r->nev, 0);
	rig_free(r);
}

static void
test_tuned_thresholds(void)
{
	struct ns_anomaly_params p;
	struct rig *r;

	/* --set anomaly.port_scan.ports=200: a 100-port scan is no longer one */
	rig_params(&p);
	p.scan_ports = 200;
	r = rig_new(&p, 1);
	gen_vscan(r, ip("10.7.0.66"), ip("10.7.0.2"), 1, 100, T0, 10 * MS);
	rig_finish(r);
	CU_ASSERT_EQUAL(r->nev, 0);
	rig_free(r);
	/* a 2 s window: 100 ports spread over 9.5 s never put 50 inside one window */
	rig_params(&p);
	p.scan_window_s = 2;
	r = rig_new(&p, 1);
	gen_vscan(r, ip("10.7.0.66"), ip("10.7.0.2"), 1, 100, T0, 95 * MS);
	rig_finish(r);
	CU_ASSERT_EQUAL(r->nev, 0);
	rig_free(r);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_vertical_100_ports_in_10s), NS_TEST(test_ports_exactly_at_threshold),
	NS_TEST(test_horizontal_no_answer),      NS_TEST(test_udp_scan_icmp_unreachable),
	NS_TEST(test_udp_scan_no_answer_ipv6),   NS_TEST(test_half_open_and_icmp_filtered),
	NS_TEST(test_fast_scan_is_not_a_flood),  NS_TEST(test_benign_clients_silent),
	NS_TEST(test_tuned_thresholds),
};

NS_TEST_MAIN("anomaly_port_scan", cases)
