/* SPDX-License-Identifier: MIT */
/*
 * The TCP shortcuts (flow_tcp_fast, flow_tcp_below, flow_tcp_fin, flow_tcp_syn_new,
 * flow_tcp_synack and the flow_tcp_shortcut dispatch) against tshark's full rule chain
 * (flow_tcp_segment), both ways: segment by segment on a record (each shortcut must either
 * leave the record untouched or leave it byte for byte as the full chain does), and whole
 * tables fed the same traffic with the shortcuts on and off (identical records and counters).
 * TD_FAST, the fast path's cached state test, is compared apart (fast_bit_ok()).
 * The traffic is mostly well-behaved connections, which is what the shortcuts are for, with
 * every kind of trouble mixed in: losses, retransmissions, reordering, duplicate and unseen
 * ACKs, zero windows and probes, keep-alives, SYN/FIN/RST at any time, sequence wrap and fully
 * random segments; plus teardowns in every order and captures replayed in a loop (the DPDK
 * benchmark's net_pcap replay, where every segment repeats an earlier one).
 */
#include "flow_priv.h"
#include "flow_test.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rn(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11) % n;
}

/* One side of a simulated connection. */
struct gen_ep {
	uint32_t nxt; /* next sequence number to send */
	uint32_t last_ack; /* ACK field of the last segment sent */
};

struct gen_conn {
	struct gen_ep ep[2];
	uint32_t t_us;
	bool calm; /* no SYN, FIN, RST, random segments or jumps: the flow stays established */
	bool clean; /* only in-order data and ACKs, as gen-bench writes them */
};

static void
gen_init(struct gen_conn *c)
{
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < 2; i++)
		c->ep[i].nxt = rn(8) == 0 ? UINT32_MAX - rn(20000) : rn(UINT32_MAX);
	c->t_us = rn(UINT32_MAX);
	c->calm = rn(2);
}

/* The next segment of @c: direction in *@d, time in *@t_us. */
static struct ns_pkt
gen_segment(struct gen_conn *c, unsigned *d, uint32_t *t_us)
{
	static const uint8_t extra[] = { 0, 0, 0, 0, NS_TCP_PSH, NS_TCP_PSH, NS_TCP_URG,
					 NS_TCP_ECE, NS_TCP_CWR };
	unsigned s = rn(4) == 0 ? rn(2) : (*d ^ 1);
	struct gen_ep *e = &c->ep[s], *peer = &c->ep[s ^ 1];
	uint32_t seq = e->nxt, len = rn(3) == 0 ? 0 : 1 + rn(1460);
	uint32_t ack = rn(4) != 0 ? peer->nxt : e->last_ack;
	uint16_t win = (uint16_t)(1000 + rn(3));
	uint8_t fl = (uint8_t)(NS_TCP_ACK | extra[rn(sizeof(extra))]);
	unsigned kind = rn(1000);
	bool advance = true;
	struct ns_pkt p;

	if ((c->calm && kind >= 125 && kind < 145) || c->clean)
		kind = 999;

	if (kind < 20) { /* a segment went missing before this one */
		seq = e->nxt += 1 + rn(3000);
	} else if (kind < 60) { /* retransmission or reordering of older data */
		seq = e->nxt - 1 - rn(3000);
		len = 1 + rn(1460);
		advance = false;
	} else if (kind < 90) { /* duplicate ACK */
		len = 0;
		ack = e->last_ack;
	} else if (kind < 100) { /* keep-alive */
		seq = e->nxt - 1;
		len = rn(2);
		advance = false;
	} else if (kind < 110) { /* zero window */
		win = 0;
	} else if (kind < 115) { /* zero-window probe */
		len = 1;
	} else if (kind < 125) { /* ACK of data never seen */
		ack = peer->nxt + 1 + rn(5000);
	} else if (kind < 127) {
		fl = NS_TCP_SYN;
		len = 0;
	} else if (kind < 129) {
		fl = NS_TCP_SYN | NS_TCP_ACK;
		len = 0;
	} else if (kind < 131) {
		fl = NS_TCP_FIN | NS_TCP_ACK;
	} else if (kind < 133) {
		fl = rn(2) ? NS_TCP_RST : NS_TCP_RST | NS_TCP_ACK;
		advance = false;
	} else if (kind < 140) { /* anything */
		seq = rn(UINT32_MAX);
		ack = rn(UINT32_MAX);
		fl = (uint8_t)rn(256);
		len = rn(4) == 0 ? 0 : rn(3000);
		win = (uint16_t)rn(3);
		advance = false;
	} else if (kind < 145) { /* sequence numbers around 0 (0 means "unset" to tshark) */
		seq = e->nxt = 1 - rn(3);
	} else if (kind < 160) { /* data that leaves the ACK where it was */
		ack = e->last_ack;
		len = 1 + rn(100);
	}
	if (advance || seq_gt(seq + len, e->nxt)) /* a retransmission may overlap new data */
		e->nxt = seq + len + ((fl & (NS_TCP_SYN | NS_TCP_FIN)) ? 1 : 0);
	e->last_ack = ack;
	c->t_us += rn(8) == 0 ? 0 : rn(8) == 0 ? rn(200000) : rn(3000);
	*d = s;
	*t_us = c->t_us;
	p = tcp_pkt("10.0.0.1", 40000, "10.0.0.2", 80, fl, seq, ack, win, len);
	return p;
}

/* A record as flow_init() leaves a new TCP flow. */
static void
rec_init(struct flow_rec *r, bool client_hi)
{
	memset(r, 0, sizeof(*r));
	r->hot.key.proto = 6;
	r->hot.key.ip_ver = 4;
	r->hot.flags = client_hi ? FF_CLIENT_HI : 0;
	flow_tcp_init(r);
}

typedef bool (*shortcut_fn)(struct flow_rec *r, const struct ns_pkt *p, unsigned d, uint32_t t);

static bool
shortcut_any(struct flow_rec *r, const struct ns_pkt *p, unsigned d, uint32_t t)
{
	return flow_tcp_shortcut(r, p, d, t, false) != TS_NONE;
}

/* Every shortcut of an existing flow, and flow_tcp_shortcut() that dispatches to them. */
static const struct {
	const char *name;
	shortcut_fn fn;
	bool fast; /* may run flow_tcp_fast_ts(), which leaves TD_FAST as it finds it */
} shortcuts[] = {
	{ "fast", flow_tcp_fast, true },    { "below", flow_tcp_below, false },
	{ "fin", flow_tcp_fin, false },     { "synack", flow_tcp_synack, false },
	{ "dispatch", shortcut_any, true },
};

#define N_SHORTCUTS (sizeof(shortcuts) / sizeof(shortcuts[0]))

static bool check_failed;

/*
 * TD_FAST (flow_tcp_fast_set()) caches flow_tcp_fast_ready(): exact after the full chain,
 * never set where it does not hold after a shortcut (flow_tcp_fast_ts() may leave a clear bit
 * stale). @exact: the record comes from the full chain.
 */
static bool
fast_bit_ok(const struct flow_rec *r, bool exact)
{
	for (unsigned d = 0; d < 2; d++) {
		bool set = (r->tcp.dir[d].bits & TD_FAST) != 0;

		if (exact ? set != flow_tcp_fast_ready(r, d) : set && !flow_tcp_fast_ready(r, d))
			return false;
	}
	return true;
}

/*
 * Whether shortcut result @a is the full chain's @b: TD_FAST checked by fast_bit_ok(), exact
 * unless @a may come from flow_tcp_fast_ts() (@stale_ok: it may leave a clear bit stale), every
 * other byte equal.
 */
static bool
same_as_full(const struct flow_rec *a, const struct flow_rec *b, bool stale_ok)
{
	struct flow_rec x, y;

	CU_ASSERT_TRUE(fast_bit_ok(b, true));
	CU_ASSERT_TRUE(fast_bit_ok(a, !stale_ok));
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	for (unsigned d = 0; d < 2; d++) {
		x.tcp.dir[d].bits &= (uint8_t)~TD_FAST;
		y.tcp.dir[d].bits &= (uint8_t)~TD_FAST;
	}
	return memcmp(&x, &y, sizeof(x)) == 0;
}

/*
 * Segment @p on record @cur through every shortcut: each must leave the record untouched, or
 * exactly as the full chain leaves it (and then report no counter overflow). @hits counts, per
 * shortcut, the segments it took. Then @cur gets the full chain's result.
 */
static void
check_segment(struct flow_rec *cur, const struct ns_pkt *p, unsigned d, uint32_t t_us,
	      unsigned long hits[N_SHORTCUTS])
{
	struct flow_rec full;

	memcpy(&full, cur, sizeof(full));
	flow_tcp_segment(&full, p, d, t_us);
	for (unsigned k = 0; k < N_SHORTCUTS; k++) {
		struct flow_rec a, b;

		memcpy(&a, cur, sizeof(a));
		memcpy(&b, cur, sizeof(b));
		if (shortcuts[k].fn(&a, p, d, t_us)) {
			hits[k]++;
			CU_ASSERT_FALSE(flow_tcp_segment(&b, p, d, t_us));
			if (!same_as_full(&a, &b, shortcuts[k].fast) && !check_failed) {
				check_failed = true;
				CU_FAIL("a shortcut differs from the full rule chain");
				printf("\n  %s: flags %#x seq %u ack %u len %u win %u dir %u t "
				       "%u\n",
				       shortcuts[k].name, p->tcp_flags, p->tcp_seq, p->tcp_ack,
				       p->payload_len, p->tcp_win, d, t_us);
			}
		} else if (memcmp(&a, cur, sizeof(a)) != 0 && !check_failed) {
			check_failed = true;
			CU_FAIL("a shortcut that refused a segment changed the record");
			printf("\n  %s refused: flags %#x seq %u ack %u len %u dir %u\n",
			       shortcuts[k].name, p->tcp_flags, p->tcp_seq, p->tcp_ack,
			       p->payload_len, d);
		}
	}
	memcpy(cur, &full, sizeof(full));
}

static void
print_hits(unsigned long total, const unsigned long hits[N_SHORTCUTS])
{
	printf("\n  %lu segments;", total);
	for (unsigned k = 0; k < N_SHORTCUTS; k++)
		printf(" %s %lu (%.1f%%)", shortcuts[k].name, hits[k],
		       100.0 * (double)hits[k] / (double)total);
	printf("\n");
}

/* A handshake on @cur: SYN from side @d, SYN/ACK; *@d becomes the SYN/ACK's sender. */
static void
handshake(struct gen_conn *c, struct flow_rec *cur, unsigned *d)
{
	struct ns_pkt p;

	p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, NS_TCP_SYN, c->ep[*d].nxt++, 0, 1000, 0);
	flow_tcp_segment(cur, &p, *d, c->t_us);
	c->t_us += 1 + rn(5000);
	p = tcp_pkt("10.0.0.2", 2, "10.0.0.1", 1, NS_TCP_SYN | NS_TCP_ACK, c->ep[*d ^ 1].nxt++,
		    c->ep[*d].nxt, 1000, 0);
	flow_tcp_segment(cur, &p, *d ^ 1, c->t_us);
	c->ep[*d ^ 1].last_ack = c->ep[*d].nxt;
	*d ^= 1;
}

/* Segment by segment: every shortcut changes nothing, or exactly what the full chain changes. */
static void
test_fast_equals_full_per_segment(void)
{
	unsigned long hits[N_SHORTCUTS] = { 0 }, total = 0;

	check_failed = false;
	for (unsigned conn = 0; conn < 3000 && !check_failed; conn++) {
		struct gen_conn c;
		struct flow_rec cur;
		unsigned d = rn(2), n = conn % 100 == 0 ? 20000 : 300;

		gen_init(&c);
		rec_init(&cur, rn(2));
		if (rn(2))
			handshake(&c, &cur, &d);
		for (unsigned i = 0; i < n; i++) {
			uint32_t t_us;
			struct ns_pkt p = gen_segment(&c, &d, &t_us);

			total++;
			check_segment(&cur, &p, d, t_us, hits);
		}
	}
	print_hits(total, hits);
	/* every path must have been exercised a lot */
	CU_ASSERT_TRUE(hits[0] > total / 4);
	CU_ASSERT_TRUE(hits[1] > total / 100);
	CU_ASSERT_TRUE(hits[4] > total / 4);
	CU_ASSERT_TRUE(total - hits[4] > total / 10);
}

/*
 * Teardowns: after a handshake (or midstream) and some clean data, both sides close in a
 * random order: FINs (with or without data, before or after the other side's), their
 * retransmissions, ACKs, data after the other side's FIN (half close), now and then a RST.
 */
static void
test_teardown(void)
{
	unsigned long hits[N_SHORTCUTS] = { 0 }, total = 0;

	check_failed = false;
	for (unsigned conn = 0; conn < 20000 && !check_failed; conn++) {
		struct gen_conn c;
		struct flow_rec cur;
		unsigned d = rn(2), n = rn(20);
		bool fin[2] = { false, false };

		gen_init(&c);
		c.calm = true;
		c.clean = rn(4) != 0;
		rec_init(&cur, rn(2));
		switch (rn(4)) {
		case 0: /* midstream */
			break;
		case 1: { /* the responder ACKs the SYN before (or instead of) answering it */
			struct ns_pkt p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, NS_TCP_SYN,
						  c.ep[d].nxt++, 0, 1000, 0);

			flow_tcp_segment(&cur, &p, d, c.t_us);
			c.t_us += rn(3000);
			p = tcp_pkt("10.0.0.2", 2, "10.0.0.1", 1, NS_TCP_ACK, c.ep[d ^ 1].nxt,
				    c.ep[d].nxt, 1000, 0);
			total++;
			check_segment(&cur, &p, d ^ 1, c.t_us, hits);
			if (rn(2)) {
				c.ep[d].nxt--;
				handshake(&c, &cur, &d);
			}
			break;
		}
		default:
			handshake(&c, &cur, &d);
			break;
		}
		for (unsigned i = 0; i < n; i++) {
			uint32_t t_us;
			struct ns_pkt p = gen_segment(&c, &d, &t_us);

			total++;
			check_segment(&cur, &p, d, t_us, hits);
		}
		for (unsigned i = 0, steps = 2 + rn(8); i < steps; i++) {
			unsigned s = rn(3) == 0 ? d : d ^ 1, a = rn(16);
			struct gen_ep *e = &c.ep[s], *peer = &c.ep[s ^ 1];
			uint8_t fl = NS_TCP_ACK | (rn(4) == 0 ? NS_TCP_PSH : 0);
			uint32_t seq = e->nxt, len = 0, ack = rn(8) == 0 ? e->last_ack : peer->nxt;
			struct ns_pkt p;

			if (a < 6 && !fin[s]) { /* FIN, sometimes with data */
				fl |= NS_TCP_FIN;
				len = rn(3) == 0 ? 1 + rn(100) : 0;
				e->nxt += len + 1;
				fin[s] = true;
			} else if (a < 8 && fin[s]) { /* the FIN again */
				fl |= NS_TCP_FIN;
				seq = e->nxt - 1;
			} else if (a < 10 && !fin[s]) { /* data */
				len = 1 + rn(1460);
				e->nxt += len;
			} else if (a == 10) {
				fl = rn(2) ? NS_TCP_RST : NS_TCP_RST | NS_TCP_ACK;
			} else if (a == 11) { /* an ACK from the past */
				seq = e->nxt - rn(3);
			}
			e->last_ack = ack;
			c.t_us += rn(4) == 0 ? 0 : rn(100000);
			d = s;
			p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, fl, seq, ack,
				    (uint16_t)(rn(16) ? 1000 : 0), len);
			total++;
			check_segment(&cur, &p, d, c.t_us, hits);
		}
	}
	print_hits(total, hits);
	CU_ASSERT_TRUE(hits[2] > 10000);
	CU_ASSERT_TRUE(hits[0] > 10000);
}

/* One recorded segment of a replay. */
struct rec_seg {
	struct ns_pkt p;
	unsigned d;
	uint32_t t_us;
};

/*
 * Record @n segments of a connection: calm (in order, cumulative ACKs, as gen-bench --steady
 * writes them) or with the generator's trouble mixed in.
 */
static unsigned
record_conn(struct gen_conn *c, unsigned *d, struct rec_seg *segs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		segs[i].p = gen_segment(c, d, &segs[i].t_us), segs[i].d = *d;
	return n;
}

/*
 * The DPDK benchmark's replay: a capture played in a loop, so from the second pass on every
 * segment repeats an earlier one (a retransmission, an old ACK, or spurious when the receiver
 * already ACKed it). Passes follow each other closely (out-of-order within 3 ms or the iRTT),
 * later, or with the original times (time going backwards); the connection is midstream or
 * had a handshake first.
 */
static void
test_below_replay(void)
{
	static struct rec_seg segs[2000];
	unsigned long hits[N_SHORTCUTS] = { 0 }, total = 0, later = 0;

	check_failed = false;
	for (unsigned conn = 0; conn < 2000 && !check_failed; conn++) {
		struct gen_conn c;
		struct flow_rec cur;
		unsigned d = rn(2), n = 2 + rn(conn % 10 == 0 ? 2000 : 60);
		unsigned passes = 2 + rn(4), mode = rn(4);
		uint32_t t0, span;

		gen_init(&c);
		c.calm = rn(4) != 0;
		c.clean = rn(2);
		rec_init(&cur, rn(2));
		if (rn(2))
			handshake(&c, &cur, &d);
		t0 = c.t_us;
		record_conn(&c, &d, segs, n);
		span = c.t_us - t0;
		for (unsigned pass = 0; pass < passes; pass++) {
			uint32_t shift = mode == 0   ? 0 /* the same times again */
					 : mode == 1 ? pass * (span + rn(4000))
						     : pass * (span + (rn(2) ? rn(4000) : rn(5000000)));

			for (unsigned i = 0; i < n; i++) {
				total++;
				later += pass > 0;
				check_segment(&cur, &segs[i].p, segs[i].d, segs[i].t_us + shift,
					      hits);
			}
		}
	}
	print_hits(total, hits);
	CU_ASSERT_TRUE(hits[1] > later / 2);
}

/*
 * The first segment of a new flow: flow_tcp_syn_new() takes a bare SYN (any sequence number,
 * ACK field, window, payload and extra flags) exactly as the full chain does, and refuses every
 * other segment without changing the record.
 */
static void
test_syn_new_equals_full(void)
{
	static const uint8_t extra[] = { 0, NS_TCP_PSH, NS_TCP_URG, NS_TCP_ECE, NS_TCP_CWR,
					 NS_TCP_ECE | NS_TCP_CWR };
	unsigned long hits = 0;

	for (unsigned i = 0; i < 200000; i++) {
		struct flow_rec before, a, b;
		unsigned d = rn(2);
		uint32_t seq = rn(4) == 0 ? UINT32_MAX - rn(3) : rn(4) == 0 ? rn(3) : rn(UINT32_MAX);
		uint32_t ack = rn(2) ? 0 : rn(UINT32_MAX);
		uint32_t len = rn(3) == 0 ? 1 + rn(1460) : 0;
		uint16_t win = (uint16_t)(rn(4) == 0 ? 0 : rn(65536));
		uint8_t fl = rn(4) == 0 ? (uint8_t)rn(256)
				       : (uint8_t)(NS_TCP_SYN | extra[rn(sizeof(extra))]);
		uint32_t t_us = rn(UINT32_MAX);
		struct ns_pkt p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, fl, seq, ack, win, len);

		/* flow_init() makes the sender of a bare SYN the client */
		rec_init(&a, d == 1);
		memcpy(&before, &a, sizeof(a));
		memcpy(&b, &a, sizeof(a));
		if (flow_tcp_syn_new(&a, &p, d, t_us)) {
			hits++;
			CU_ASSERT_FALSE(flow_tcp_segment(&b, &p, d, t_us));
			if (!same_as_full(&a, &b, false)) {
				CU_FAIL("new-SYN path differs from the full rule chain");
				printf("\n  flags %#x seq %u ack %u len %u win %u dir %u\n", fl, seq,
				       ack, len, win, d);
				return;
			}
		} else {
			CU_ASSERT_EQUAL(memcmp(&a, &before, sizeof(a)), 0);
			CU_ASSERT_NOT_EQUAL(fl & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST | NS_TCP_ACK),
					    NS_TCP_SYN);
		}
	}
	CU_ASSERT_TRUE(hits > 100000);
}

/*
 * The answer to a SYN: flow_tcp_synack() on random segments after a SYN (sometimes with data,
 * sometimes after another segment first) either changes nothing or does what the full chain
 * does.
 */
static void
test_synack_equals_full(void)
{
	unsigned long hits = 0;

	for (unsigned i = 0; i < 200000; i++) {
		struct flow_rec before, a, b;
		unsigned c = rn(2), d;
		uint32_t isn = rn(4) == 0 ? UINT32_MAX - rn(3) : rn(UINT32_MAX);
		uint32_t t_us = rn(UINT32_MAX);
		struct ns_pkt syn = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, NS_TCP_SYN, isn,
					    rn(2) ? 0 : rn(UINT32_MAX), (uint16_t)rn(3),
					    rn(8) == 0 ? 1 + rn(100) : 0);
		struct ns_pkt p;
		uint32_t ack;
		uint8_t fl;

		rec_init(&a, c == 1);
		flow_tcp_segment(&a, &syn, c, t_us);
		if (rn(8) == 0) { /* something else first: a second SYN, an ACK, from either side */
			struct ns_pkt o = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2,
						  (uint8_t)(rn(2) ? NS_TCP_SYN : NS_TCP_ACK), rn(3),
						  rn(3), 1, rn(2));

			flow_tcp_segment(&a, &o, rn(2), t_us + rn(100));
		}
		d = rn(8) == 0 ? c : c ^ 1;
		ack = rn(4) == 0 ? rn(UINT32_MAX) : isn + 1 + syn.payload_len - rn(3);
		fl = rn(8) == 0 ? (uint8_t)rn(256)
				: (uint8_t)(NS_TCP_SYN | NS_TCP_ACK | (rn(2) ? NS_TCP_ECE : 0));
		p = tcp_pkt("10.0.0.2", 2, "10.0.0.1", 1, fl, rn(UINT32_MAX), ack,
			    (uint16_t)(rn(4) == 0 ? 0 : rn(65536)), rn(8) == 0 ? rn(3) : 0);
		t_us += rn(4) == 0 ? 0 : rn(100000);
		memcpy(&before, &a, sizeof(a));
		memcpy(&b, &a, sizeof(a));
		if (flow_tcp_synack(&a, &p, d, t_us)) {
			hits++;
			CU_ASSERT_FALSE(flow_tcp_segment(&b, &p, d, t_us));
			if (!same_as_full(&a, &b, false)) {
				CU_FAIL("SYN/ACK path differs from the full rule chain");
				printf("\n  flags %#x seq %u ack %u len %u dir %u client %u\n",
				       p.tcp_flags, p.tcp_seq, p.tcp_ack, p.payload_len, d, c);
				return;
			}
		} else {
			CU_ASSERT_EQUAL(memcmp(&a, &before, sizeof(a)), 0);
		}
	}
	printf("\n  %lu of 200000 on the SYN/ACK path\n", hits);
	CU_ASSERT_TRUE(hits > 50000);
}

struct two {
	struct ns_flow_table *t[2];
	struct sink_log log[2];
};

static void
two_open(struct two *w, uint32_t capacity)
{
	memset(w, 0, sizeof(*w));
	for (unsigned i = 0; i < 2; i++) {
		struct ns_flow_params p;

		ns_flow_params_default(&p);
		p.capacity = capacity;
		p.seed = 7;
		p.active_timeout = 60;
		p.sink = test_sink;
		p.sink_arg = &w->log[i];
		w->log[i].accept = UINT32_MAX;
		w->t[i] = ns_flow_table_create(&p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(w->t[i]);
	}
	w->t[1]->tcp_fast = false;
}

/* Whole tables: the same traffic with the fast path on and off gives identical records. */
static void
test_fast_equals_full_tables(void)
{
	enum { CONNS = 600, ROUNDS = 6000 };
	static struct gen_conn conns[CONNS];
	static unsigned dirs[CONNS];
	struct two w;
	struct ns_flow_stats st[2];
	uint64_t now = T0;

	rng = 0x9e3779b97f4a7c15ull; /* the same traffic whatever ran before */
	two_open(&w, 400); /* fewer records than connections: evictions too */
	for (unsigned i = 0; i < CONNS; i++) {
		gen_init(&conns[i]);
		dirs[i] = rn(2);
	}
	for (unsigned round = 0; round < ROUNDS; round++) {
		struct ns_pkt burst[NS_FLOW_BURST];
		uint64_t ts[NS_FLOW_BURST];
		unsigned n = 1 + rn(NS_FLOW_BURST);
		char a[32];

		for (unsigned i = 0; i < n; i++) {
			unsigned f = rn(8) == 0 ? rn(CONNS) : rn(CONNS / 10);
			uint32_t t_us;
			struct ns_pkt p = gen_segment(&conns[f], &dirs[f], &t_us);

			snprintf(a, sizeof(a), "10.1.%u.%u", f / 250, f % 250);
			burst[i] = dirs[f] ? tcp_pkt("192.168.0.1", 443, a, (uint16_t)(1024 + f),
						     p.tcp_flags, p.tcp_seq, p.tcp_ack, p.tcp_win,
						     p.payload_len)
					   : tcp_pkt(a, (uint16_t)(1024 + f), "192.168.0.1", 443,
						     p.tcp_flags, p.tcp_seq, p.tcp_ack, p.tcp_win,
						     p.payload_len);
			now += rn(16) == 0 ? rn(2 * SEC) : rn(200 * US);
			ts[i] = now;
		}
		for (unsigned k = 0; k < 2; k++) {
			ns_flow_table_process_burst(w.t[k], burst, ts, n);
			if (round % 16 == 0)
				ns_flow_table_housekeeping(w.t[k], now, 32);
		}
	}
	for (unsigned k = 0; k < 2; k++) {
		while (ns_flow_table_flush(w.t[k]) == -EAGAIN)
			;
		ns_flow_table_stats(w.t[k], &st[k]);
	}
	printf("\n  %u records, %llu flows, %llu evicted, %llu reused\n", w.log[0].n,
	       (unsigned long long)st[0].created,
	       (unsigned long long)st[0].ended[NS_FLOW_END_EVICTED],
	       (unsigned long long)st[0].ended[NS_FLOW_END_REUSED]);
	CU_ASSERT_EQUAL(memcmp(&st[0], &st[1], sizeof(st[0])), 0);
	CU_ASSERT_EQUAL_FATAL(w.log[0].n, w.log[1].n);
	for (unsigned i = 0; i < w.log[0].n; i++)
		if (memcmp(&w.log[0].recs[i], &w.log[1].recs[i], sizeof(w.log[0].recs[i])) != 0) {
			CU_FAIL("a record differs between the fast path and the full chain");
			break;
		}
	CU_ASSERT_TRUE(st[0].ended[NS_FLOW_END_EVICTED] > 0);
	for (unsigned k = 0; k < 2; k++) {
		ns_flow_table_destroy(w.t[k]);
		free(w.log[k].recs);
	}
}

/*
 * Whole tables on a replayed capture (the DPDK benchmark's net_pcap loop): clean connections
 * recorded once, midstream, interleaved, then played three times with advancing times; fast
 * path on and off give identical records and counters.
 */
static void
test_replay_tables(void)
{
	enum { CONNS = 300, SEGS = 4000, PASSES = 3 };
	static struct gen_conn conns[CONNS];
	static unsigned dirs[CONNS];
	static struct ns_pkt pkts[SEGS];
	static uint64_t gaps[SEGS];
	struct two w;
	struct ns_flow_stats st[2];
	uint64_t now = T0;

	two_open(&w, 1024);
	for (unsigned i = 0; i < CONNS; i++) {
		gen_init(&conns[i]);
		conns[i].clean = rn(8) != 0;
		conns[i].calm = true;
		dirs[i] = rn(2);
	}
	for (unsigned i = 0; i < SEGS; i++) {
		unsigned f = rn(CONNS);
		uint32_t t_us;
		struct ns_pkt p = gen_segment(&conns[f], &dirs[f], &t_us);
		char a[32];

		snprintf(a, sizeof(a), "10.2.%u.%u", f / 250, f % 250);
		pkts[i] = dirs[f] ? tcp_pkt("192.168.0.1", 443, a, (uint16_t)(1024 + f),
					    p.tcp_flags, p.tcp_seq, p.tcp_ack, p.tcp_win,
					    p.payload_len)
				  : tcp_pkt(a, (uint16_t)(1024 + f), "192.168.0.1", 443, p.tcp_flags,
					    p.tcp_seq, p.tcp_ack, p.tcp_win, p.payload_len);
		gaps[i] = rn(8) == 0 ? rn(5 * MS) : rn(20 * US);
	}
	for (unsigned pass = 0; pass < PASSES; pass++) {
		unsigned uses = 0, full = 0, pf = 0;

		for (unsigned i = 0; i < SEGS;) {
			unsigned n = 1 + rn(NS_FLOW_BURST);
			uint64_t ts[NS_FLOW_BURST];

			if (n > SEGS - i)
				n = SEGS - i;
			for (unsigned k = 0; k < n; k++)
				ts[k] = now += gaps[i + k];
			for (unsigned k = 0; k < 2; k++)
				ns_flow_table_process_burst(w.t[k], &pkts[i], ts, n);
			uses += w.t[0]->cold_uses;
			full += n >= NS_FLOW_BURST / 2;
			pf += n >= NS_FLOW_BURST / 2 && w.t[0]->cold_pf;
			i += n;
		}
		/* the cold line is prefetched for the replay, not for the first (in-order) pass */
		printf("\n  pass %u: %u of %u segments used the cold line; prefetch in %u of %u "
		       "passes of 16+",
		       pass, uses, SEGS, pf, full);
		CU_ASSERT_TRUE(pass == 0 ? uses < SEGS / 8 : uses > SEGS / 2);
		CU_ASSERT_TRUE(pass == 0 ? pf < full / 4 : pf > full * 9 / 10);
	}
	for (unsigned k = 0; k < 2; k++) {
		while (ns_flow_table_flush(w.t[k]) == -EAGAIN)
			;
		ns_flow_table_stats(w.t[k], &st[k]);
	}
	CU_ASSERT_EQUAL(memcmp(&st[0], &st[1], sizeof(st[0])), 0);
	CU_ASSERT_EQUAL_FATAL(w.log[0].n, w.log[1].n);
	for (unsigned i = 0; i < w.log[0].n; i++)
		if (memcmp(&w.log[0].recs[i], &w.log[1].recs[i], sizeof(w.log[0].recs[i])) != 0) {
			CU_FAIL("a record differs between the shortcuts and the full chain");
			break;
		}
	{
		uint64_t retrans = 0;

		for (unsigned i = 0; i < w.log[0].n; i++)
			retrans += w.log[0].recs[i].retrans[0] + w.log[0].recs[i].retrans[1];
		printf("\n  %u records, %llu retransmissions\n", w.log[0].n,
		       (unsigned long long)retrans);
		CU_ASSERT_TRUE(retrans > SEGS / 2);
	}
	for (unsigned k = 0; k < 2; k++) {
		ns_flow_table_destroy(w.t[k]);
		free(w.log[k].recs);
	}
}

/*
 * pass_match() prefetches a TCP record's cold line for a SYN or RST whatever the previous
 * pass did (flow_tcp_cold_pf()): those always use it, the SYN/ACK to store its handshake times.
 */
static void
test_cold_pf_decision(void)
{
	static const struct {
		uint8_t fl;
		bool pf;
	} c[] = {
		{ NS_TCP_SYN, true },
		{ NS_TCP_SYN | NS_TCP_ACK, true },
		{ NS_TCP_RST, true },
		{ NS_TCP_RST | NS_TCP_ACK, true },
		{ NS_TCP_ACK, false },
		{ NS_TCP_ACK | NS_TCP_PSH, false },
		{ NS_TCP_FIN | NS_TCP_ACK, false },
		{ 0, false },
	};

	for (unsigned i = 0; i < NS_ARRAY_SIZE(c); i++) {
		struct ns_pkt p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, c[i].fl, 1, 1, 100, 0);

		CU_ASSERT_EQUAL(flow_tcp_cold_pf(false, &p), c[i].pf);
		CU_ASSERT_TRUE(flow_tcp_cold_pf(true, &p));
	}
}

/*
 * TD_FAST through a zero window, as the dispatcher and the full chain leave it: the server's
 * zero window clears the client's bit; the server's window update on the fast path leaves it
 * clear (stale); the client's next in-order segment is then refused by the fast path, changing
 * nothing, and the full chain sets the bit again, so the one after takes the fast path.
 * Without the bit test in flow_tcp_fast_ts() the refusal fails; without flow_tcp_fast_set()
 * in the full chain or after the SYN/ACK, the fast path never runs.
 */
static void
test_fast_bit(void)
{
	const uint32_t ci = 1000, si = 5000, t = 1000000;
	struct flow_rec r, before;
	struct ns_pkt p;

	rec_init(&r, false);
	p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, NS_TCP_SYN, ci, 0, 1000, 0);
	CU_ASSERT_EQUAL(flow_tcp_shortcut(&r, &p, 0, t, true), TS_COLD);
	p = tcp_pkt("10.0.0.2", 2, "10.0.0.1", 1, NS_TCP_SYN | NS_TCP_ACK, si, ci + 1, 1000, 0);
	CU_ASSERT_EQUAL(flow_tcp_shortcut(&r, &p, 1, t + 10, false), TS_COLD);
	CU_ASSERT_TRUE(fast_bit_ok(&r, true));
	CU_ASSERT_TRUE((r.tcp.dir[0].bits & TD_FAST) != 0);
	p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, NS_TCP_ACK, ci + 1, si + 1, 1000, 0);
	CU_ASSERT_NOT_EQUAL(flow_tcp_shortcut(&r, &p, 0, t + 20, false), TS_NONE);
	/* the server's data with a zero window: the full chain (rule 2 needs it) */
	p = tcp_pkt("10.0.0.2", 2, "10.0.0.1", 1, NS_TCP_ACK, si + 1, ci + 1, 0, 100);
	CU_ASSERT_EQUAL(flow_tcp_shortcut(&r, &p, 1, t + 30, false), TS_NONE);
	CU_ASSERT_FALSE(flow_tcp_segment(&r, &p, 1, t + 30));
	CU_ASSERT_TRUE(fast_bit_ok(&r, true));
	CU_ASSERT_FALSE(r.tcp.dir[0].bits & TD_FAST);
	/* its window update on the fast path: the client's bit stays clear, though it now holds */
	p = tcp_pkt("10.0.0.2", 2, "10.0.0.1", 1, NS_TCP_ACK, si + 101, ci + 1, 1000, 0);
	CU_ASSERT_EQUAL(flow_tcp_shortcut(&r, &p, 1, t + 40, false), TS_HOT);
	CU_ASSERT_FALSE(r.tcp.dir[0].bits & TD_FAST);
	CU_ASSERT_TRUE(flow_tcp_fast_ready(&r, 0));
	/* the client's in-order ACK: refused, nothing changed; the full chain sets the bit */
	p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, NS_TCP_ACK, ci + 1, si + 101, 1000, 0);
	memcpy(&before, &r, sizeof(r));
	CU_ASSERT_EQUAL(flow_tcp_shortcut(&r, &p, 0, t + 50, false), TS_NONE);
	CU_ASSERT_EQUAL(memcmp(&r, &before, sizeof(r)), 0);
	CU_ASSERT_FALSE(flow_tcp_segment(&r, &p, 0, t + 50));
	CU_ASSERT_TRUE((r.tcp.dir[0].bits & TD_FAST) != 0);
	CU_ASSERT_TRUE(fast_bit_ok(&r, true));
	/* and the next one takes the fast path */
	p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, NS_TCP_ACK, ci + 1, si + 101, 1000, 10);
	CU_ASSERT_EQUAL(flow_tcp_shortcut(&r, &p, 0, t + 60, false), TS_HOT);
	CU_ASSERT_TRUE(fast_bit_ok(&r, false));
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_fast_equals_full_per_segment),
	NS_TEST(test_below_replay),
	NS_TEST(test_teardown),
	NS_TEST(test_syn_new_equals_full),
	NS_TEST(test_synack_equals_full),
	NS_TEST(test_cold_pf_decision),
	NS_TEST(test_fast_bit),
	NS_TEST(test_fast_equals_full_tables),
	NS_TEST(test_replay_tables),
};

NS_TEST_MAIN("flow_fast", cases)
