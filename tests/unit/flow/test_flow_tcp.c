/* SPDX-License-Identifier: MIT */
/*
 * TCP analysis on crafted conversations: the state machine and Zeek conn_state in every
 * state (simultaneous open, RST everywhere, half and full close), handshake RTT to the
 * microsecond, running RTT samples, and each tshark rule that feeds a counter: plain, fast and
 * spurious retransmission, out-of-order, keep-alive, lost segment, duplicate ACK, zero window,
 * plus the port-reuse split into a new flow. Expected values are worked out from the rules in
 * tcp-analysis.md §4 in the comments next to each step.
 */
#include "flow_priv.h"
#include "flow_test.h"

#define C_IP "10.0.0.1"
#define S_IP "10.0.0.2"
#define CP 40000
#define SP 80
#define WIN 1000

#define SYN NS_TCP_SYN
#define ACK NS_TCP_ACK
#define FIN NS_TCP_FIN
#define RST NS_TCP_RST
#define PSH NS_TCP_PSH

static struct ns_flow_table *tt;

static void
c2s(uint64_t t_us, uint8_t fl, uint32_t seq, uint32_t ack, uint32_t len)
{
	struct ns_pkt p = tcp_pkt(C_IP, CP, S_IP, SP, fl, seq, ack, WIN, len);

	CU_ASSERT_EQUAL(feed(tt, &p, T0 + t_us * US), 1);
}

static void
s2c_win(uint64_t t_us, uint8_t fl, uint32_t seq, uint32_t ack, uint32_t len, uint16_t win)
{
	struct ns_pkt p = tcp_pkt(S_IP, SP, C_IP, CP, fl, seq, ack, win, len);

	CU_ASSERT_EQUAL(feed(tt, &p, T0 + t_us * US), 1);
}

static void
s2c(uint64_t t_us, uint8_t fl, uint32_t seq, uint32_t ack, uint32_t len)
{
	s2c_win(t_us, fl, seq, ack, len, WIN);
}

/* Current state of the single live flow, through the top-N snapshot. */
static struct ns_flow_record
live(void)
{
	struct ns_flow_record r;

	memset(&r, 0, sizeof(r));
	CU_ASSERT_EQUAL(ns_flow_table_top_n(tt, &r, 1), 1);
	return r;
}

static void
handshake(void)
{
	c2s(0, SYN, 1000, 0, 0);
	s2c(6261, SYN | ACK, 5000, 1001, 0);
	c2s(12632, ACK, 1001, 5001, 0);
}

static void
test_handshake_rtt(void)
{
	struct ns_flow_record r;

	tt = table_new(64, NULL);
	handshake();
	r = live();
	CU_ASSERT_EQUAL(r.tcp_state, NS_FLOW_TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(r.conn_state, NS_FLOW_CONN_S1);
	CU_ASSERT_TRUE(r.flags & NS_FLOW_REC_IRTT);
	CU_ASSERT_TRUE(r.flags & NS_FLOW_REC_SYNACK);
	CU_ASSERT_EQUAL(r.rtt_handshake_us, 12632);
	CU_ASSERT_EQUAL(r.rtt_syn_synack_us, 6261);
	CU_ASSERT_EQUAL(r.rtt_synack_ack_us, 6371);
	CU_ASSERT_EQUAL(r.tcp_flags[NS_FLOW_TOSERVER], SYN | ACK);
	CU_ASSERT_EQUAL(r.tcp_flags[NS_FLOW_TOCLIENT], SYN | ACK);
	ns_flow_table_destroy(tt);
}

/* tshark's iRTT starts at the most recent bare SYN, so a retransmitted SYN restarts it. */
static void
test_handshake_rtt_syn_retransmitted(void)
{
	struct ns_flow_record r;

	tt = table_new(64, NULL);
	c2s(0, SYN, 1000, 0, 0);
	c2s(1000000, SYN, 1000, 0, 0); /* same ISN: a retransmission, same flow */
	s2c(1005000, SYN | ACK, 5000, 1001, 0);
	c2s(1010000, ACK, 1001, 5001, 0);
	r = live();
	CU_ASSERT_EQUAL(r.rtt_handshake_us, 10000);
	CU_ASSERT_EQUAL(r.rtt_syn_synack_us, 5000);
	CU_ASSERT_EQUAL(r.rtt_synack_ack_us, 5000);
	CU_ASSERT_EQUAL(r.retrans[NS_FLOW_TOSERVER], 1); /* §2 rule 3 makes it a retransmission */
	CU_ASSERT_EQUAL(r.pkts[NS_FLOW_TOSERVER], 3);
	ns_flow_table_destroy(tt);
}

/*
 * The handshake's SYN/ACK and ACK read the SYN time from a copy in the TCP line while no
 * running-RTT sample was taken (flow_tcp_syn_t()). These handshakes move that time, take a
 * sample before the handshake ends, and restart the statistics in the middle of it.
 */
static struct ns_flow_record
handshake_rec(void)
{
	struct ns_flow_record r = live();

	CU_ASSERT_TRUE(r.flags & NS_FLOW_REC_IRTT);
	CU_ASSERT_TRUE(r.flags & NS_FLOW_REC_SYNACK);
	CU_ASSERT_EQUAL(r.rtt_syn_synack_us + r.rtt_synack_ack_us, r.rtt_handshake_us);
	return r;
}

/* A retransmitted SYN/ACK (same ISN, the full chain): the latest one splits the handshake. */
static void
test_handshake_synack_retransmitted(void)
{
	struct ns_flow_record r;

	tt = table_new(64, NULL);
	c2s(1000000, SYN, 1000, 0, 0);
	s2c(1005000, SYN | ACK, 5000, 1001, 0);
	s2c(1009000, SYN | ACK, 5000, 1001, 0);
	c2s(1012000, ACK, 1001, 5001, 0);
	r = handshake_rec();
	CU_ASSERT_EQUAL(r.rtt_handshake_us, 12000);
	CU_ASSERT_EQUAL(r.rtt_syn_synack_us, 9000);
	CU_ASSERT_EQUAL(r.rtt_synack_ack_us, 3000);
	CU_ASSERT_EQUAL(r.retrans[NS_FLOW_TOCLIENT], 1);
	ns_flow_table_destroy(tt);
}

/* A SYN retransmitted after the SYN/ACK restarts both halves from its own time. */
static void
test_handshake_syn_after_synack(void)
{
	struct ns_flow_record r;

	tt = table_new(64, NULL);
	c2s(1000000, SYN, 1000, 0, 0);
	s2c(1005000, SYN | ACK, 5000, 1001, 0);
	c2s(1007000, SYN, 1000, 0, 0);
	s2c(1009000, SYN | ACK, 5000, 1001, 0);
	c2s(1010000, ACK, 1001, 5001, 0);
	r = handshake_rec();
	CU_ASSERT_EQUAL(r.rtt_handshake_us, 3000);
	CU_ASSERT_EQUAL(r.rtt_syn_synack_us, 2000);
	CU_ASSERT_EQUAL(r.rtt_synack_ack_us, 1000);
	ns_flow_table_destroy(tt);
}

/* Simultaneous open: the server's bare SYN is the latest SYN, the second SYN/ACK the latest. */
static void
test_handshake_simultaneous_open(void)
{
	struct ns_flow_record r;

	tt = table_new(64, NULL);
	c2s(1000000, SYN, 1000, 0, 0);
	s2c(1001000, SYN, 5000, 0, 0);
	c2s(1003000, SYN | ACK, 1000, 5001, 0);
	s2c(1004000, SYN | ACK, 5000, 1001, 0);
	c2s(1006000, ACK, 1001, 5001, 0);
	r = handshake_rec();
	CU_ASSERT_EQUAL(r.rtt_handshake_us, 5000);
	CU_ASSERT_EQUAL(r.rtt_syn_synack_us, 3000);
	CU_ASSERT_EQUAL(r.rtt_synack_ack_us, 2000);
	CU_ASSERT_EQUAL(r.conn_state, NS_FLOW_CONN_S1);
	ns_flow_table_destroy(tt);
}

/*
 * A SYN with data is timed, and its SYN/ACK completes that sample before the handshake does:
 * the running statistics then hold the sample, and both handshake times still count from the
 * SYN (4 ms to the SYN/ACK, 9 ms to the ACK).
 */
static void
test_handshake_sample_before_ack(void)
{
	struct ns_flow_record r;

	tt = table_new(64, NULL);
	c2s(1000000, SYN, 1000, 0, 100);
	s2c(1004000, SYN | ACK, 5000, 1101, 0);
	c2s(1009000, ACK, 1101, 5001, 0);
	r = handshake_rec();
	CU_ASSERT_EQUAL(r.rtt_handshake_us, 9000);
	CU_ASSERT_EQUAL(r.rtt_syn_synack_us, 4000);
	CU_ASSERT_EQUAL(r.rtt_synack_ack_us, 5000);
	CU_ASSERT_EQUAL(r.rtt_samples, 1);
	CU_ASSERT_EQUAL(r.rtt_min_us, 4000);
	CU_ASSERT_EQUAL(r.rtt_max_us, 4000);
	CU_ASSERT_EQUAL(r.rtt_avg_us, 4000);
	ns_flow_table_destroy(tt);
}

/*
 * An interim record (active timeout) between the SYN/ACK and the ACK restarts the running
 * statistics, which had taken the SYN's sample: the handshake still counts from the SYN.
 */
static void
test_handshake_interim_before_ack(void)
{
	struct ns_flow_params p;
	struct ns_flow_record r;

	ns_flow_params_default(&p);
	p.active_timeout = 10;
	p.tcp_syn_timeout = 60;
	tt = table_new(64, &p);
	c2s(1000000, SYN, 1000, 0, 100);
	s2c(1004000, SYN | ACK, 5000, 1101, 0);
	ns_flow_table_housekeeping(tt, T0 + 12 * SEC, 64);
	CU_ASSERT_EQUAL_FATAL(g_log.n, 1);
	CU_ASSERT_EQUAL(g_log.recs[0].end_reason, NS_FLOW_END_ACTIVE);
	CU_ASSERT_EQUAL(g_log.recs[0].rtt_samples, 1);
	CU_ASSERT_FALSE(g_log.recs[0].flags & NS_FLOW_REC_IRTT);
	c2s(12500000, ACK, 1101, 5001, 0);
	r = handshake_rec();
	CU_ASSERT_EQUAL(r.rtt_handshake_us, 11500000);
	CU_ASSERT_EQUAL(r.rtt_syn_synack_us, 4000);
	CU_ASSERT_EQUAL(r.rtt_synack_ack_us, 11496000);
	CU_ASSERT_EQUAL(r.rtt_samples, 0);
	ns_flow_table_destroy(tt);
}

/*
 * The handshake's ACK leaves the handshake RTT in the TCP line until the next pass stores it
 * in the cold line (flow_tcp_irtt_set()); the full chain (tcp_fast off) leaves it there until
 * the first running-RTT sample. Each conversation below is run both ways, in one burst, so
 * every read and move of the waiting value happens before any such store: the out-of-order
 * test, the first sample, an interim record and the export.
 */
struct seg {
	bool c2s;
	uint64_t t_us;
	uint8_t fl;
	uint32_t seq, ack, len;
};

static void
burst(const struct seg *sg, unsigned n)
{
	struct ns_pkt p[NS_FLOW_BURST];
	uint64_t ts[NS_FLOW_BURST];

	for (unsigned i = 0; i < n; i++) {
		p[i] = sg[i].c2s ? tcp_pkt(C_IP, CP, S_IP, SP, sg[i].fl, sg[i].seq, sg[i].ack, WIN,
					   sg[i].len)
				 : tcp_pkt(S_IP, SP, C_IP, CP, sg[i].fl, sg[i].seq, sg[i].ack, WIN,
					   sg[i].len);
		ts[i] = T0 + sg[i].t_us * US;
	}
	CU_ASSERT_EQUAL(ns_flow_table_process_burst(tt, p, ts, n), n);
}

/* iRTT 12.632 ms, then a segment 20 ms after the last advance: a retransmission, not OOO. */
static void
test_irtt_waiting_ooo(void)
{
	static const struct seg sg[] = {
		{ true, 1000000, SYN, 1000, 0, 0 },
		{ false, 1006261, SYN | ACK, 5000, 1001, 0 },
		{ true, 1012632, ACK, 1001, 5001, 0 },
		{ true, 1013000, ACK | PSH, 1001, 5001, 100 },
		{ true, 1014000, ACK | PSH, 1101, 5001, 100 },
		{ true, 1034000, ACK | PSH, 1001, 5001, 100 }, /* 20 ms > iRTT: retransmission */
		{ true, 1035000, ACK | PSH, 1201, 5001, 100 },
		{ true, 1036000, ACK | PSH, 1101, 5001, 100 }, /* 1 ms < iRTT: out-of-order */
	};

	for (unsigned fast = 0; fast < 2; fast++) {
		struct ns_flow_record r;

		tt = table_new(64, NULL);
		tt->tcp_fast = fast;
		burst(sg, NS_ARRAY_SIZE(sg));
		r = handshake_rec();
		CU_ASSERT_EQUAL(r.rtt_handshake_us, 12632);
		CU_ASSERT_EQUAL(r.rtt_syn_synack_us, 6261);
		CU_ASSERT_EQUAL(r.retrans[NS_FLOW_TOSERVER], 1);
		CU_ASSERT_EQUAL(r.ooo[NS_FLOW_TOSERVER], 1);
		CU_ASSERT_EQUAL(r.rtt_samples, 0);
		ns_flow_table_destroy(tt);
	}
}

/* The first running-RTT sample takes the TCP line's place of the waiting handshake RTT. */
static void
test_irtt_waiting_first_sample(void)
{
	static const struct seg sg[] = {
		{ true, 1000000, SYN, 1000, 0, 0 },
		{ false, 1006261, SYN | ACK, 5000, 1001, 0 },
		{ true, 1012632, ACK, 1001, 5001, 0 },
		{ true, 1013000, ACK | PSH, 1001, 5001, 100 },
		{ false, 1020000, ACK, 5001, 1101, 0 }, /* sample: 7 ms */
		{ true, 1021000, ACK | PSH, 1101, 5001, 100 },
		{ false, 1030000, ACK, 5001, 1201, 0 }, /* sample: 9 ms */
	};

	for (unsigned fast = 0; fast < 2; fast++) {
		struct ns_flow_record r;

		tt = table_new(64, NULL);
		tt->tcp_fast = fast;
		burst(sg, NS_ARRAY_SIZE(sg));
		r = handshake_rec();
		CU_ASSERT_EQUAL(r.rtt_handshake_us, 12632);
		CU_ASSERT_EQUAL(r.rtt_synack_ack_us, 6371);
		CU_ASSERT_EQUAL(r.rtt_samples, 2);
		CU_ASSERT_EQUAL(r.rtt_min_us, 7000);
		CU_ASSERT_EQUAL(r.rtt_max_us, 9000);
		CU_ASSERT_EQUAL(r.rtt_avg_us, 8000);
		ns_flow_table_destroy(tt);
	}
}

/* An interim record right after the handshake's ACK: both records carry the handshake RTT. */
static void
test_irtt_waiting_interim(void)
{
	static const struct seg sg[] = {
		{ true, 1000000, SYN, 1000, 0, 0 },
		{ false, 1006261, SYN | ACK, 5000, 1001, 0 },
		{ true, 1012632, ACK, 1001, 5001, 0 },
	};

	for (unsigned fast = 0; fast < 2; fast++) {
		struct ns_flow_params p;
		struct ns_flow_record r;

		ns_flow_params_default(&p);
		p.active_timeout = 10;
		tt = table_new(64, &p);
		tt->tcp_fast = fast;
		burst(sg, NS_ARRAY_SIZE(sg));
		ns_flow_table_housekeeping(tt, T0 + 12 * SEC, 64);
		CU_ASSERT_EQUAL_FATAL(g_log.n, 1);
		CU_ASSERT_EQUAL(g_log.recs[0].end_reason, NS_FLOW_END_ACTIVE);
		CU_ASSERT_EQUAL(g_log.recs[0].rtt_handshake_us, 12632);
		c2s(12500000, ACK | PSH, 1001, 5001, 100);
		s2c(12507000, ACK, 5001, 1101, 0);
		r = handshake_rec();
		CU_ASSERT_EQUAL(r.rtt_handshake_us, 12632);
		CU_ASSERT_EQUAL(r.rtt_syn_synack_us, 6261);
		CU_ASSERT_EQUAL(r.rtt_samples, 1);
		CU_ASSERT_EQUAL(r.rtt_min_us, 7000);
		ns_flow_table_destroy(tt);
	}
}

/* Without a SYN there is no handshake RTT; the flow is midstream. */
static void
test_midstream(void)
{
	struct ns_flow_record r;

	tt = table_new(64, NULL);
	c2s(0, ACK | PSH, 7000, 9000, 100);
	s2c(500, ACK, 9000, 7100, 0);
	r = live();
	CU_ASSERT_EQUAL(r.tcp_state, NS_FLOW_TCP_MIDSTREAM);
	CU_ASSERT_EQUAL(r.conn_state, NS_FLOW_CONN_OTH);
	CU_ASSERT_TRUE(r.flags & NS_FLOW_REC_MIDSTREAM);
	CU_ASSERT_FALSE(r.flags & NS_FLOW_REC_IRTT);
	CU_ASSERT_EQUAL(r.rtt_samples, 1);
	CU_ASSERT_EQUAL(r.rtt_min_us, 500);
	ns_flow_table_destroy(tt);
}

/*
 * One conversation through every analysis rule that counts. Client ISN 1000, server ISN 5000,
 * iRTT 12632 us (so the out-of-order threshold is 12.632 ms once the handshake is done).
 */
static void
test_analysis_rules(void)
{
	struct ns_flow_record r;

	tt = table_new(64, NULL);
	handshake();
	/* data and ACKs: two RTT samples, 5000 and 7000 us */
	c2s(20000, ACK | PSH, 1001, 5001, 100); /* nextseq 1101 */
	s2c(25000, ACK, 5001, 1101, 0);
	c2s(30000, ACK | PSH, 1101, 5001, 100); /* nextseq 1201 */
	s2c(37000, ACK, 5001, 1201, 0);
	/* plain retransmission: below nextseq, 300 ms later, not yet ACKed (rule 12e);
	 * Karn's rule drops the RTT sample timed on the original */
	c2s(100000, ACK | PSH, 1201, 5001, 100); /* nextseq 1301 */
	c2s(400000, ACK | PSH, 1201, 5001, 100);
	s2c(410000, ACK, 5001, 1301, 0);
	/* spurious: every byte already ACKed by the peer (rule 12b); third RTT sample 5000 */
	c2s(500000, ACK | PSH, 1301, 5001, 100); /* nextseq 1401 */
	s2c(505000, ACK, 5001, 1401, 0);
	c2s(800000, ACK | PSH, 1301, 5001, 100);
	/* lost segment (rule 3), then the gap filled 1 ms later: out-of-order (rule 12d) */
	c2s(900000, ACK | PSH, 1501, 5001, 100); /* nextseq 1601 */
	c2s(901000, ACK | PSH, 1401, 5001, 100);
	s2c(950000, ACK, 5001, 1601, 0);
	/* keep-alive (rule 4: seq = nextseq - 1, no data) and its ACK (rule 7): neither a
	 * retransmission nor a duplicate ACK */
	c2s(2000000, ACK, 1600, 5001, 0);
	s2c(2001000, ACK, 5001, 1601, 0);
	c2s(2500000, ACK, 1600, 5001, 1); /* one-byte keep-alive */
	s2c(2501000, ACK, 5001, 1601, 0);
	/* three duplicate ACKs (rule 9), then the hole resent within 20 ms: fast (rule 12c) */
	c2s(3000000, ACK | PSH, 1601, 5001, 100);
	c2s(3001000, ACK | PSH, 1701, 5001, 100);
	c2s(3002000, ACK | PSH, 1801, 5001, 100); /* nextseq 1901 */
	s2c(3010000, ACK, 5001, 1601, 0);
	s2c(3011000, ACK, 5001, 1601, 0);
	s2c(3012000, ACK, 5001, 1601, 0);
	c2s(3013000, ACK | PSH, 1601, 5001, 100);
	/* zero window (rule 2) */
	s2c_win(4000000, ACK, 5001, 1901, 0, 0);
	r = live();
	CU_ASSERT_EQUAL(r.retrans[NS_FLOW_TOSERVER], 3); /* plain + spurious + fast */
	CU_ASSERT_EQUAL(r.retrans[NS_FLOW_TOCLIENT], 0);
	CU_ASSERT_EQUAL(r.spurious_retrans, 1);
	CU_ASSERT_EQUAL(r.fast_retrans, 1);
	CU_ASSERT_EQUAL(r.ooo[NS_FLOW_TOSERVER], 1);
	CU_ASSERT_EQUAL(r.ooo[NS_FLOW_TOCLIENT], 0);
	CU_ASSERT_EQUAL(r.lost[NS_FLOW_TOSERVER], 1);
	CU_ASSERT_EQUAL(r.lost[NS_FLOW_TOCLIENT], 0);
	CU_ASSERT_EQUAL(r.dupack[NS_FLOW_TOCLIENT], 3);
	CU_ASSERT_EQUAL(r.dupack[NS_FLOW_TOSERVER], 0);
	CU_ASSERT_EQUAL(r.zero_window, 1);
	CU_ASSERT_EQUAL(r.rtt_samples, 3);
	CU_ASSERT_EQUAL(r.rtt_min_us, 5000);
	CU_ASSERT_EQUAL(r.rtt_max_us, 7000);
	CU_ASSERT_EQUAL(r.rtt_avg_us, 17000 / 3);
	CU_ASSERT_EQUAL(r.rtt_handshake_us, 12632);
	/* a RST from the client ends it: RSTO */
	c2s(5000000, RST, 1901, 0, 0);
	r = live();
	CU_ASSERT_EQUAL(r.rst[NS_FLOW_TOSERVER], 1);
	CU_ASSERT_EQUAL(r.lost[NS_FLOW_TOSERVER], 1); /* rule 3 skips RST */
	CU_ASSERT_EQUAL(r.tcp_state, NS_FLOW_TCP_RESET);
	CU_ASSERT_EQUAL(r.conn_state, NS_FLOW_CONN_RSTO);
	ns_flow_table_destroy(tt);
}

/*
 * Fast retransmission's 20 ms window runs from the receiver's last segment (tshark's lastack
 * time), also when that segment carried data with the ACK of its duplicate ACKs: the time is
 * kept only while dupacks >= 2 (struct tcp_dir), and the data takes the fast path.
 */
static void
test_fast_retrans_window(void)
{
	struct ns_flow_record r;

	tt = table_new(64, NULL);
	handshake(); /* iRTT 12632 us; the server's last ACK is 1001 */
	c2s(20000, ACK | PSH, 1001, 5001, 100);
	c2s(21000, ACK | PSH, 1101, 5001, 100); /* nextseq 1201 */
	s2c(22000, ACK, 5001, 1001, 0); /* duplicate ACK 1 */
	s2c(23000, ACK, 5001, 1001, 0); /* duplicate ACK 2 */
	s2c(40000, ACK | PSH, 5001, 1001, 100); /* data, the same ACK: dupacks stays 2 */
	/* 15 ms after the data (32 ms after the last duplicate ACK): fast (rule 12c) */
	c2s(55000, ACK | PSH, 1001, 5101, 100);
	c2s(56000, ACK | PSH, 1201, 5101, 100); /* nextseq 1301 */
	s2c(57000, ACK, 5101, 1101, 0); /* a new ACK: dupacks 0 */
	s2c(58000, ACK, 5101, 1101, 0);
	s2c(59000, ACK, 5101, 1101, 0); /* dupacks 2 */
	s2c(60000, ACK | PSH, 5101, 1101, 100);
	/* 25 ms after the server's last segment: a plain retransmission (not within the iRTT
	 * of the client's last advance either) */
	c2s(85000, ACK | PSH, 1101, 5201, 100);
	r = live();
	CU_ASSERT_EQUAL(r.fast_retrans, 1);
	CU_ASSERT_EQUAL(r.retrans[NS_FLOW_TOSERVER], 2);
	CU_ASSERT_EQUAL(r.ooo[NS_FLOW_TOSERVER], 0);
	CU_ASSERT_EQUAL(r.dupack[NS_FLOW_TOCLIENT], 4);
	ns_flow_table_destroy(tt);
}

/* Out-of-order needs closeness in time: the same late segment after 3 ms is a retransmission
 * while no iRTT is known (midstream). */
static void
test_ooo_threshold_default(void)
{
	struct ns_flow_record r;

	tt = table_new(64, NULL);
	c2s(0, ACK, 100, 1, 100); /* nextseq 200 */
	c2s(1000, ACK, 300, 1, 100); /* lost: 200-300 missing, nextseq 400 */
	c2s(3999, ACK, 200, 1, 100); /* 2.999 ms after nextseq moved: out-of-order */
	c2s(4100, ACK, 500, 1, 100); /* lost again, nextseq 600 */
	c2s(7100, ACK, 400, 1, 100); /* exactly 3 ms: not < 3 ms, a retransmission */
	r = live();
	CU_ASSERT_EQUAL(r.lost[NS_FLOW_TOSERVER], 2);
	CU_ASSERT_EQUAL(r.ooo[NS_FLOW_TOSERVER], 1);
	CU_ASSERT_EQUAL(r.retrans[NS_FLOW_TOSERVER], 1);
	ns_flow_table_destroy(tt);
}

/* A retransmission carrying new data past nextseq still counts (tcp-analysis.md §10). */
static void
test_overlapping_retransmission(void)
{
	struct ns_flow_record r;

	tt = table_new(64, NULL);
	c2s(0, ACK, 100, 1, 100); /* nextseq 200 */
	c2s(50000, ACK, 150, 1, 100); /* starts below nextseq: retransmission, nextseq 250 */
	c2s(100000, ACK, 249, 1, 100); /* > 1 byte starting at nextseq - 1: new data */
	r = live();
	CU_ASSERT_EQUAL(r.retrans[NS_FLOW_TOSERVER], 1);
	CU_ASSERT_EQUAL(r.lost[NS_FLOW_TOSERVER], 0);
	ns_flow_table_destroy(tt);
}

/* Port reuse: a bare SYN with a new ISN ends the flow ("reused") and starts the next one. */
static void
test_port_reuse(void)
{
	struct ns_flow_stats st;
	const struct ns_flow_record *a, *b;

	tt = table_new(64, NULL);
	handshake();
	c2s(20000, FIN | ACK, 1001, 5001, 0);
	s2c(21000, FIN | ACK, 5001, 1002, 0);
	c2s(22000, ACK, 1002, 5002, 0);
	c2s(30000, SYN, 1000, 0, 0); /* same ISN: retransmitted SYN, same stream */
	CU_ASSERT_EQUAL(g_log.n, 0);
	c2s(40000, SYN, 7777, 0, 0); /* new ISN: new stream */
	CU_ASSERT_EQUAL(g_log.n, 1);
	CU_ASSERT_EQUAL(flush_all(tt), 2);
	a = &g_log.recs[0];
	b = &g_log.recs[1];
	CU_ASSERT_EQUAL(a->end_reason, NS_FLOW_END_REUSED);
	CU_ASSERT_EQUAL(a->pkts[NS_FLOW_TOSERVER], 5);
	CU_ASSERT_EQUAL(a->pkts[NS_FLOW_TOCLIENT], 2);
	CU_ASSERT_EQUAL(a->tcp_state, NS_FLOW_TCP_CLOSED);
	CU_ASSERT_EQUAL(a->conn_state, NS_FLOW_CONN_SF);
	CU_ASSERT_EQUAL(b->end_reason, NS_FLOW_END_SHUTDOWN);
	CU_ASSERT_EQUAL(b->pkts[NS_FLOW_TOSERVER], 1);
	CU_ASSERT_EQUAL(b->pkts[NS_FLOW_TOCLIENT], 0);
	CU_ASSERT_EQUAL(b->first_ns, T0 + 40000 * US);
	CU_ASSERT_EQUAL(b->tcp_state, NS_FLOW_TCP_SYN_SENT);
	CU_ASSERT_EQUAL(b->conn_state, NS_FLOW_CONN_S0);
	CU_ASSERT_NOT_EQUAL(a->flow_id, b->flow_id);
	ns_flow_table_stats(tt, &st);
	CU_ASSERT_EQUAL(st.created, 2);
	CU_ASSERT_EQUAL(st.ended[NS_FLOW_END_REUSED], 1);
	CU_ASSERT_EQUAL(st.ended[NS_FLOW_END_SHUTDOWN], 1);
	ns_flow_table_destroy(tt);
}

/* A capture that starts mid-stream: the next SYN on the 4-tuple starts a new stream. */
static void
test_reuse_after_midstream(void)
{
	tt = table_new(64, NULL);
	c2s(0, ACK, 5000, 1, 10);
	c2s(1000, SYN, 4999, 0, 0); /* base was 5000 - 1 = 4999: same, so no split */
	CU_ASSERT_EQUAL(g_log.n, 0);
	c2s(2000, SYN, 123, 0, 0);
	CU_ASSERT_EQUAL(g_log.n, 1);
	CU_ASSERT_EQUAL(g_log.recs[0].end_reason, NS_FLOW_END_REUSED);
	ns_flow_table_destroy(tt);
}

struct state_case {
	const char *name;
	/* steps: 'c' or 's' (sender), flags; the sequence numbers follow a clean exchange */
	const char *dirs;
	uint8_t flags[8];
	uint8_t tcp_state;
	uint8_t conn_state;
};

static void
run_state_case(const struct state_case *sc)
{
	struct ns_flow_record r;
	uint32_t cseq = 1000, sseq = 5000;

	tt = table_new(64, NULL);
	for (unsigned i = 0; sc->dirs[i] != '\0'; i++) {
		uint8_t fl = sc->flags[i];
		uint32_t len = (fl & PSH) ? 10 : 0;

		if (sc->dirs[i] == 'c') {
			c2s(i * 1000, fl, cseq, (fl & ACK) ? sseq : 0, len);
			cseq += len + ((fl & (SYN | FIN)) ? 1 : 0);
		} else {
			s2c(i * 1000, fl, sseq, (fl & ACK) ? cseq : 0, len);
			sseq += len + ((fl & (SYN | FIN)) ? 1 : 0);
		}
	}
	r = live();
	if (r.tcp_state != sc->tcp_state || r.conn_state != sc->conn_state)
		fprintf(stderr, "\n  %s: state %s conn %s, expected %s %s\n", sc->name,
			ns_flow_tcp_state_name(r.tcp_state), ns_flow_conn_state_name(r.conn_state),
			ns_flow_tcp_state_name(sc->tcp_state),
			ns_flow_conn_state_name(sc->conn_state));
	CU_ASSERT_EQUAL(r.tcp_state, sc->tcp_state);
	CU_ASSERT_EQUAL(r.conn_state, sc->conn_state);
	ns_flow_table_destroy(tt);
}

static const struct state_case state_cases[] = {
	{ "syn only", "c", { SYN }, NS_FLOW_TCP_SYN_SENT, NS_FLOW_CONN_S0 },
	{ "syn synack", "cs", { SYN, SYN | ACK }, NS_FLOW_TCP_SYN_RECEIVED, NS_FLOW_CONN_S1 },
	{ "established", "csc", { SYN, SYN | ACK, ACK }, NS_FLOW_TCP_ESTABLISHED, NS_FLOW_CONN_S1 },
	{ "simultaneous open",
	  "cscsc",
	  { SYN, SYN, SYN | ACK, SYN | ACK, ACK },
	  NS_FLOW_TCP_ESTABLISHED,
	  NS_FLOW_CONN_S1 },
	{ "half close by client",
	  "cscc",
	  { SYN, SYN | ACK, ACK, FIN | ACK },
	  NS_FLOW_TCP_FIN_WAIT,
	  NS_FLOW_CONN_S2 },
	{ "half close by server",
	  "cscs",
	  { SYN, SYN | ACK, ACK, FIN | ACK },
	  NS_FLOW_TCP_FIN_WAIT,
	  NS_FLOW_CONN_S3 },
	{ "fin both",
	  "cscsc",
	  { SYN, SYN | ACK, ACK, FIN | ACK, FIN | ACK },
	  NS_FLOW_TCP_CLOSING,
	  NS_FLOW_CONN_SF },
	{ "fin both, last ack",
	  "cscscs",
	  { SYN, SYN | ACK, ACK, FIN | ACK, FIN | ACK, ACK },
	  NS_FLOW_TCP_CLOSED,
	  NS_FLOW_CONN_SF },
	{ "rejected", "cs", { SYN, RST | ACK }, NS_FLOW_TCP_RESET, NS_FLOW_CONN_REJ },
	{ "syn then client rst", "cc", { SYN, RST }, NS_FLOW_TCP_RESET, NS_FLOW_CONN_RSTOS0 },
	{ "rst in syn_received",
	  "csc",
	  { SYN, SYN | ACK, RST },
	  NS_FLOW_TCP_RESET,
	  NS_FLOW_CONN_RSTO },
	{ "rst by server",
	  "cscs",
	  { SYN, SYN | ACK, ACK, RST },
	  NS_FLOW_TCP_RESET,
	  NS_FLOW_CONN_RSTR },
	{ "rst in fin_wait",
	  "cscs",
	  { SYN, SYN | ACK, FIN | ACK, RST },
	  NS_FLOW_TCP_RESET,
	  NS_FLOW_CONN_RSTR },
	{ "rst in closing",
	  "cscscs",
	  { SYN, SYN | ACK, ACK, FIN | ACK, FIN | ACK, RST },
	  NS_FLOW_TCP_RESET,
	  NS_FLOW_CONN_SF },
	{ "rst midstream", "cc", { ACK | PSH, RST }, NS_FLOW_TCP_RESET, NS_FLOW_CONN_OTH },
	{ "synack then rst", "ss", { SYN | ACK, RST }, NS_FLOW_TCP_RESET, NS_FLOW_CONN_RSTRH },
	{ "syn then fin", "cc", { SYN, FIN }, NS_FLOW_TCP_FIN_WAIT, NS_FLOW_CONN_SH },
	{ "synack then fin",
	  "ss",
	  { SYN | ACK, FIN | ACK },
	  NS_FLOW_TCP_FIN_WAIT,
	  NS_FLOW_CONN_SHR },
	{ "midstream", "cs", { ACK | PSH, ACK }, NS_FLOW_TCP_MIDSTREAM, NS_FLOW_CONN_OTH },
};

static void
test_state_machine(void)
{
	for (unsigned i = 0; i < sizeof(state_cases) / sizeof(state_cases[0]); i++)
		run_state_case(&state_cases[i]);
}

/* First fragments carry the TCP header but are never analysed (tcp-analysis.md §1). */
static void
test_fragment_not_analysed(void)
{
	struct ns_pkt p = tcp_pkt(C_IP, CP, S_IP, SP, SYN, 1000, 0, WIN, 0);
	struct ns_flow_stats st;
	struct ns_flow_record r;

	tt = table_new(64, NULL);
	p.frag = NS_FRAG_IS | NS_FRAG_FIRST | NS_FRAG_MORE;
	feed(tt, &p, T0);
	r = live();
	CU_ASSERT_EQUAL(r.pkts[0], 1);
	CU_ASSERT_EQUAL(r.tcp_state, NS_FLOW_TCP_MIDSTREAM);
	CU_ASSERT_EQUAL(r.tcp_flags[0], 0);
	ns_flow_table_stats(tt, &st);
	CU_ASSERT_EQUAL(st.tcp_skipped[NS_FLOW_TCP_SKIP_FRAGMENT], 1);
	ns_flow_table_destroy(tt);
}

/*
 * Zeek's decision (Conn::conn_state()) on our endpoint byte, written plainly: the reference for
 * the table flow_record_fill() reads, which is one constant expression in flow_emit.c.
 */
static uint8_t
conn_state_ref(uint8_t ep)
{
	unsigned os = ep & 7u, rs = (ep >> 3) & 7u;
	bool o_reset = os == EP_RESET || os == EP_RESET_S0;
	bool r_reset = rs == EP_RESET || rs == EP_RESET_S0;
	bool o_inactive = os == EP_INACTIVE || os == EP_PARTIAL;
	bool r_inactive = rs == EP_INACTIVE || rs == EP_PARTIAL;
	bool no_data = (ep & (EP_DATA_ORIG | EP_DATA_RESP)) == 0;

	if (r_reset) {
		if (os == EP_SYN_SENT || os == EP_SYN_ACK_SENT || (o_reset && no_data))
			return NS_FLOW_CONN_REJ;
		return o_inactive ? NS_FLOW_CONN_RSTRH : NS_FLOW_CONN_RSTR;
	}
	if (o_reset) {
		if (r_inactive)
			return os == EP_RESET_S0 ? NS_FLOW_CONN_RSTOS0 : NS_FLOW_CONN_OTH;
		return NS_FLOW_CONN_RSTO;
	}
	if (rs == EP_CLOSED && os == EP_CLOSED)
		return NS_FLOW_CONN_SF;
	if (os == EP_CLOSED)
		return r_inactive ? NS_FLOW_CONN_SH : NS_FLOW_CONN_S2;
	if (rs == EP_CLOSED)
		return o_inactive ? NS_FLOW_CONN_SHR : NS_FLOW_CONN_S3;
	if (os == EP_SYN_SENT && rs == EP_INACTIVE)
		return NS_FLOW_CONN_S0;
	if (os == EP_ESTABLISHED && rs == EP_ESTABLISHED)
		return NS_FLOW_CONN_S1;
	return NS_FLOW_CONN_OTH;
}

/*
 * flow_record_fill() takes conn_state from a table the compiler builds: it must give the
 * reference's answer for every endpoint byte, data bits included, and the known answers.
 */
static void
test_conn_state_table(void)
{
	static const struct {
		uint8_t ep;
		uint8_t want;
	} known[] = {
		{ EP_SYN_SENT, NS_FLOW_CONN_S0 },
		{ EP_ESTABLISHED | EP_ESTABLISHED << 3, NS_FLOW_CONN_S1 },
		{ EP_CLOSED | EP_CLOSED << 3 | EP_DATA_ORIG, NS_FLOW_CONN_SF },
		{ EP_SYN_SENT | EP_RESET << 3, NS_FLOW_CONN_REJ },
		{ EP_RESET | EP_RESET << 3, NS_FLOW_CONN_REJ },
		{ EP_RESET | EP_RESET << 3 | EP_DATA_RESP, NS_FLOW_CONN_RSTR },
		{ EP_PARTIAL | EP_RESET << 3, NS_FLOW_CONN_RSTRH },
		{ EP_RESET_S0, NS_FLOW_CONN_RSTOS0 },
		{ EP_RESET, NS_FLOW_CONN_OTH },
		{ EP_RESET | EP_ESTABLISHED << 3, NS_FLOW_CONN_RSTO },
		{ EP_CLOSED | EP_PARTIAL << 3, NS_FLOW_CONN_SH },
		{ EP_CLOSED | EP_ESTABLISHED << 3, NS_FLOW_CONN_S2 },
		{ EP_INACTIVE | EP_CLOSED << 3, NS_FLOW_CONN_SHR },
		{ EP_ESTABLISHED | EP_CLOSED << 3, NS_FLOW_CONN_S3 },
		{ EP_SYN_ACK_SENT | EP_SYN_ACK_SENT << 3, NS_FLOW_CONN_OTH },
	};

	for (unsigned ep = 0; ep < 256; ep++)
		CU_ASSERT_EQUAL(flow_conn_state_of[ep], conn_state_ref((uint8_t)ep));
	for (unsigned i = 0; i < NS_ARRAY_SIZE(known); i++)
		CU_ASSERT_EQUAL(flow_conn_state_of[known[i].ep], known[i].want);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_conn_state_table),
	NS_TEST(test_handshake_rtt),
	NS_TEST(test_handshake_rtt_syn_retransmitted),
	NS_TEST(test_handshake_synack_retransmitted),
	NS_TEST(test_handshake_syn_after_synack),
	NS_TEST(test_handshake_simultaneous_open),
	NS_TEST(test_handshake_sample_before_ack),
	NS_TEST(test_handshake_interim_before_ack),
	NS_TEST(test_irtt_waiting_ooo),
	NS_TEST(test_irtt_waiting_first_sample),
	NS_TEST(test_irtt_waiting_interim),
	NS_TEST(test_midstream),
	NS_TEST(test_analysis_rules),
	NS_TEST(test_fast_retrans_window),
	NS_TEST(test_ooo_threshold_default),
	NS_TEST(test_overlapping_retransmission),
	NS_TEST(test_port_reuse),
	NS_TEST(test_reuse_after_midstream),
	NS_TEST(test_state_machine),
	NS_TEST(test_fragment_not_analysed),
};

NS_TEST_MAIN("flow_tcp", cases)
