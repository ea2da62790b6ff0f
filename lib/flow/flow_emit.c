/* SPDX-License-Identifier: MIT */
/*
 * Where flows leave the table: building the exported struct ns_flow_record, the bounded
 * emission queue in front of the caller's sink, the incremental expiry sweep (idle and active
 * timeouts, emergency timeouts near full), shutdown flush, the top-N scan, counter snapshots
 * and the names of every enum. No record is dropped: a sink that takes fewer than offered
 * leaves the rest queued and the sweep stops expiring until there is room again.
 */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "flow_priv.h"

/* 16 bytes of a record, for zeroing it with plain vector stores */
typedef uint64_t rec_v2 __attribute__((vector_size(16), aligned(8), may_alias));

/*
 * Zero the parts of @o that flow_record_fill() does not always write, with 16-byte stores:
 * memset() of the 192-byte record compiles to `rep stos`, whose start-up cost was ~10% of
 * flow_record_fill()'s samples on the min-size runs (and callgrind counts each of its 24
 * steps). The first 64 bytes (flow_id to ip_version) and pkts[1]/bytes[0] (bytes 80-95) are
 * assigned on every path, so five of the twelve blocks are left alone.
 */
static inline __attribute__((always_inline)) void
record_zero(struct ns_flow_record *o)
{
	rec_v2 *v = (rec_v2 *)(void *)o;
	const rec_v2 z = { 0, 0 };

	_Static_assert(sizeof(*o) == 12 * sizeof(rec_v2), "a record is twelve 16-byte blocks");
	_Static_assert(offsetof(struct ns_flow_record, end_reason) == 4 * sizeof(rec_v2) &&
			       offsetof(struct ns_flow_record, pkts[1]) == 5 * sizeof(rec_v2) &&
			       offsetof(struct ns_flow_record, bytes[1]) == 6 * sizeof(rec_v2),
		       "blocks 0-3 are flow_id to ip_version, block 5 pkts[1] and bytes[0]");
	v[4] = z;
	v[6] = z;
	v[7] = z;
	v[8] = z;
	v[9] = z;
	v[10] = z;
	v[11] = z;
}

/*
 * Zeek's conn_state (Conn::conn_state() in base/protocols/conn/main.zeek, docs/flow-tracking.md)
 * of every ep byte, written as one constant expression so the table is built by the compiler:
 * a record's conn_state is one load instead of ~38 instructions of tests and a call.
 * test_flow_tcp.c holds it to a plainly written reference for all 256 values.
 */
#define CS_O(ep) ((ep)&7u) /* originator */
#define CS_R(ep) (((ep) >> 3) & 7u) /* responder */
#define CS_RST(s) ((s) == EP_RESET || (s) == EP_RESET_S0)
#define CS_INACTIVE(s) ((s) == EP_INACTIVE || (s) == EP_PARTIAL)
#define CS_NO_DATA(ep) (((ep) & (EP_DATA_ORIG | EP_DATA_RESP)) == 0)
#define CS_RESP_RESET(ep)                                           \
	((CS_O(ep) == EP_SYN_SENT || CS_O(ep) == EP_SYN_ACK_SENT || \
	  (CS_RST(CS_O(ep)) && CS_NO_DATA(ep)))                     \
		 ? NS_FLOW_CONN_REJ                                 \
	 : CS_INACTIVE(CS_O(ep)) ? NS_FLOW_CONN_RSTRH               \
				 : NS_FLOW_CONN_RSTR)
#define CS_ORIG_RESET(ep)                                                             \
	(CS_INACTIVE(CS_R(ep))                                                        \
		 ? (CS_O(ep) == EP_RESET_S0 ? NS_FLOW_CONN_RSTOS0 : NS_FLOW_CONN_OTH) \
		 : NS_FLOW_CONN_RSTO)
#define CS_OTHER(ep)                                                                            \
	((CS_R(ep) == EP_CLOSED && CS_O(ep) == EP_CLOSED) ? NS_FLOW_CONN_SF                     \
	 : CS_O(ep) == EP_CLOSED ? (CS_INACTIVE(CS_R(ep)) ? NS_FLOW_CONN_SH : NS_FLOW_CONN_S2)  \
	 : CS_R(ep) == EP_CLOSED ? (CS_INACTIVE(CS_O(ep)) ? NS_FLOW_CONN_SHR : NS_FLOW_CONN_S3) \
	 : (CS_O(ep) == EP_SYN_SENT && CS_R(ep) == EP_INACTIVE)       ? NS_FLOW_CONN_S0         \
	 : (CS_O(ep) == EP_ESTABLISHED && CS_R(ep) == EP_ESTABLISHED) ? NS_FLOW_CONN_S1         \
								      : NS_FLOW_CONN_OTH)
#define CS(ep)                                           \
	(uint8_t)(CS_RST(CS_R(ep))   ? CS_RESP_RESET(ep) \
		  : CS_RST(CS_O(ep)) ? CS_ORIG_RESET(ep) \
				     : CS_OTHER(ep))
#define CS4(n) CS(n), CS((n) + 1), CS((n) + 2), CS((n) + 3)
#define CS16(n) CS4(n), CS4((n) + 4), CS4((n) + 8), CS4((n) + 12)
#define CS64(n) CS16(n), CS16((n) + 16), CS16((n) + 32), CS16((n) + 48)

const uint8_t flow_conn_state_of[256] = { CS64(0u), CS64(64u), CS64(128u), CS64(192u) };

/* Whether any TCP event counter of @c is non-zero: the 24 bytes from retrans to rst, ORed. */
static inline bool
tcp_events(const struct flow_cold *c)
{
	const char *b = (const char *)c->retrans;
	uint64_t w0, w1, w2;

	_Static_assert(offsetof(struct flow_cold, rst) + sizeof(c->rst) -
				       offsetof(struct flow_cold, retrans) ==
			       24,
		       "the TCP event counters are 24 contiguous bytes");
	memcpy(&w0, b, 8);
	memcpy(&w1, b + 8, 8);
	memcpy(&w2, b + 16, 8);
	return (w0 | w1 | w2) != 0;
}

void
flow_record_fill(const struct ns_flow_table *t, const struct flow_rec *r, enum ns_flow_end reason,
		 struct ns_flow_record *o)
{
	const struct flow_hot *h = &r->hot;
	const struct flow_cold *c = &r->cold;
	const struct flow_key *k = &h->key;
	unsigned cs = (h->flags & FF_CLIENT_HI) ? 1 : 0; /* canonical direction of the client */
	unsigned sc = cs ^ 1;

	record_zero(o);
	o->flow_id = t->id_base | (c->id_epoch & ID_MASK);
	o->first_ns = c->first_ns;
	o->last_ns = flow_last_us(t, r) * NS_NSEC_PER_USEC;
	if (!cs) {
		/* the client is the key's low side: src to ip_version are the key as it is */
		_Static_assert(offsetof(struct ns_flow_record, ip_version) -
						       offsetof(struct ns_flow_record, src) ==
					       offsetof(struct flow_key, ip_ver) &&
				       offsetof(struct ns_flow_record, dst) -
						       offsetof(struct ns_flow_record, src) ==
					       offsetof(struct flow_key, addr_hi) &&
				       offsetof(struct ns_flow_record, src_port) -
						       offsetof(struct ns_flow_record, src) ==
					       offsetof(struct flow_key, port_lo) &&
				       offsetof(struct ns_flow_record, dst_port) -
						       offsetof(struct ns_flow_record, src) ==
					       offsetof(struct flow_key, port_hi) &&
				       offsetof(struct ns_flow_record, vlan) -
						       offsetof(struct ns_flow_record, src) ==
					       offsetof(struct flow_key, vlan) &&
				       offsetof(struct ns_flow_record, proto) -
						       offsetof(struct ns_flow_record, src) ==
					       offsetof(struct flow_key, proto) &&
				       sizeof(struct flow_key) ==
					       offsetof(struct flow_key, ip_ver) + 1,
			       "a record's src to ip_version are laid out as a flow key");
		memcpy(&o->src, k, sizeof(*k));
		o->pkts[NS_FLOW_TOSERVER] = h->pkts[0];
		o->pkts[NS_FLOW_TOCLIENT] = h->pkts[1];
		o->bytes[NS_FLOW_TOSERVER] = h->bytes[0];
		o->bytes[NS_FLOW_TOCLIENT] = h->bytes[1];
	} else {
		memcpy(o->src.b, k->addr_hi, 16);
		memcpy(o->dst.b, k->addr_lo, 16);
		o->src_port = k->port_hi;
		o->dst_port = k->port_lo;
		o->vlan = k->vlan;
		o->proto = k->proto;
		o->pkts[NS_FLOW_TOSERVER] = h->pkts[1];
		o->pkts[NS_FLOW_TOCLIENT] = h->pkts[0];
		o->bytes[NS_FLOW_TOSERVER] = h->bytes[1];
		o->bytes[NS_FLOW_TOCLIENT] = h->bytes[0];
	}
	o->ip_version = k->ip_ver & KEY_VER_MASK;
	o->end_reason = (uint8_t)reason;
	if (reason == NS_FLOW_END_ACTIVE || reason == NS_FLOW_END_OVERFLOW)
		o->flags |= NS_FLOW_REC_INTERIM;

	if ((k->proto == 1 || k->proto == 58) && (k->ip_ver & KEY_KIND_ICMP_QUOTE)) {
		/* an error about a TCP/UDP flow: its ports stay, type/code of the first error */
		o->flags |= NS_FLOW_REC_ICMP_QUOTE;
		o->icmp_type = r->cold.icmp.type;
		o->icmp_code = r->cold.icmp.code;
	} else if (k->proto == 1 || k->proto == 58) {
		/* the key's ports carry the echo id or type/code; records show ports 0 */
		o->src_port = o->dst_port = 0;
		if (k->ip_ver & KEY_KIND_ICMP_ECHO) {
			o->flags |= NS_FLOW_REC_ICMP_ECHO;
			o->icmp_type = k->proto == 1 ? 8 : 128;
			o->icmp_id = k->port_lo;
		} else {
			o->icmp_type = (uint8_t)(k->port_lo >> 8);
			o->icmp_code = (uint8_t)k->port_lo;
		}
	}
	if (k->proto != 6)
		return;

	const struct flow_tcp *tc = &r->tcp;

	o->tcp_state = h->state;
	o->conn_state = flow_conn_state_of[h->ep];
	if (h->flags & FF_MIDSTREAM)
		o->flags |= NS_FLOW_REC_MIDSTREAM;
	o->tcp_flags[NS_FLOW_TOSERVER] = tc->tcp_flags[cs];
	o->tcp_flags[NS_FLOW_TOCLIENT] = tc->tcp_flags[sc];
	if (h->flags & FF_IRTT) {
		uint32_t irtt = flow_tcp_irtt_us(r);

		o->flags |= NS_FLOW_REC_IRTT;
		o->rtt_handshake_us = irtt;
		if ((h->flags & FF_SYNACK) && c->syn_synack_us <= irtt) {
			o->flags |= NS_FLOW_REC_SYNACK;
			o->rtt_syn_synack_us = c->syn_synack_us;
			o->rtt_synack_ack_us = irtt - c->syn_synack_us;
		}
	}
	if (tc->rtt_cnt != 0) {
		o->rtt_min_us = tc->rtt_min;
		o->rtt_max_us = tc->rtt_max;
		/* most flows have one sample: no division (tens of cycles) for them */
		o->rtt_avg_us = tc->rtt_cnt == 1 ? tc->rtt_sum : tc->rtt_sum / tc->rtt_cnt;
		o->rtt_samples = tc->rtt_cnt;
	}
	if (!tcp_events(c))
		return; /* as in most flows: the zeroed record has them already */
	o->retrans[NS_FLOW_TOSERVER] = c->retrans[cs];
	o->retrans[NS_FLOW_TOCLIENT] = c->retrans[sc];
	o->ooo[NS_FLOW_TOSERVER] = c->ooo[cs];
	o->ooo[NS_FLOW_TOCLIENT] = c->ooo[sc];
	o->lost[NS_FLOW_TOSERVER] = c->lost[cs];
	o->lost[NS_FLOW_TOCLIENT] = c->lost[sc];
	o->dupack[NS_FLOW_TOSERVER] = c->dupack[cs];
	o->dupack[NS_FLOW_TOCLIENT] = c->dupack[sc];
	o->rst[NS_FLOW_TOSERVER] = c->rst[cs];
	o->rst[NS_FLOW_TOCLIENT] = c->rst[sc];
	o->fast_retrans = c->fast;
	o->spurious_retrans = c->spurious;
	o->zero_window = c->zerowin;
}

/* An interim record was taken: the counters restart so every packet is in one record only. */
static void
flow_reset_counters(struct flow_rec *r)
{
	struct flow_cold *c = &r->cold;

	memset(r->hot.pkts, 0, sizeof(r->hot.pkts));
	memset(r->hot.bytes, 0, sizeof(r->hot.bytes));
	if (r->hot.key.proto != 6)
		return;
	memset(c->rst, 0, sizeof(c->rst));
	flow_tcp_rtt_reset(r);
	memset(c->retrans, 0, sizeof(c->retrans));
	memset(c->ooo, 0, sizeof(c->ooo));
	memset(c->lost, 0, sizeof(c->lost));
	memset(c->dupack, 0, sizeof(c->dupack));
	c->fast = c->spurious = c->zerowin = 0;
}

/*
 * Queue the record of flow @idx with @reason; an interim one resets the flow's counters.
 * Returns true when the flow ended and its record is to be freed (the caller unlinks it first
 * or leaves that to flow_buckets_purge()).
 */
static inline bool
emit_queue(struct ns_flow_table *t, uint32_t idx, enum ns_flow_end reason)
{
	struct flow_rec *r = &t->recs[idx];
	struct ns_flow_record *o = &t->queue[(t->q_head + t->q_len) % EMIT_QUEUE];

	flow_record_fill(t, r, reason, o);
	t->q_len++;
	FLOW_STAT_SET(t, records_queued, t->q_len);
	if (reason == NS_FLOW_END_ACTIVE || reason == NS_FLOW_END_OVERFLOW) {
		flow_reset_counters(r);
		FLOW_STAT_ADD(t, interim[reason], 1);
		return false;
	}
	FLOW_STAT_ADD(t, ended[reason], 1);
	/* a port-reuse split keeps the slot: the caller re-initialises the record in place */
	return reason != NS_FLOW_END_REUSED;
}

/* flow_emit(); @unlink false leaves a final record's bucket slot for flow_buckets_purge(). */
static inline void
emit_rec(struct ns_flow_table *t, uint32_t idx, enum ns_flow_end reason, bool unlink)
{
	if (!emit_queue(t, idx, reason))
		return;
	if (unlink)
		flow_unlink(t, idx);
	flow_free_rec(t, idx);
}

void
flow_emit(struct ns_flow_table *t, uint32_t idx, enum ns_flow_end reason)
{
	emit_rec(t, idx, reason, true);
}

void
flow_emit_split(struct ns_flow_table *t, uint32_t idx, enum ns_flow_end reason)
{
	struct ns_flow_record *o = &t->queue[(t->q_head + t->q_len) % EMIT_QUEUE];

	flow_record_fill(t, &t->recs[idx], reason, o);
	t->q_len++;
	FLOW_STAT_SET(t, records_queued, t->q_len);
	FLOW_STAT_ADD(t, ended[reason], 1);
}

bool
flow_queue_drain(struct ns_flow_table *t)
{
	while (t->q_len != 0) {
		unsigned n = NS_MIN(t->q_len, EMIT_QUEUE - t->q_head);
		unsigned took = t->sink(t->sink_arg, &t->queue[t->q_head], n);

		if (took > n)
			took = n;
		t->q_head = (t->q_head + took) % EMIT_QUEUE;
		t->q_len -= took;
		FLOW_STAT_ADD(t, records, took);
		if (took < n)
			break;
	}
	if (t->q_len == 0)
		t->q_head = 0;
	FLOW_STAT_SET(t, records_queued, t->q_len);
	return t->q_len == 0;
}

/* Emergency timeouts above 95% occupancy, back to normal below 85% (flow-table.md §5). */
static void
emergency_check(struct ns_flow_table *t)
{
	uint64_t used = (uint64_t)t->live * 100;

	if (!t->emergency && used > (uint64_t)t->capacity * EMERGENCY_ON_PCT) {
		t->emergency = true;
		for (unsigned i = 0; i < TC_MAX; i++)
			t->timeout_us[i] = t->timeout_norm_us[i] / 10;
		flow_timeout_min_update(t);
		FLOW_STAT_ADD(t, emergency_enter, 1);
		NS_LOG(NOTICE, "flow", "table %u%% full: emergency timeouts",
		       (unsigned)(used / t->capacity));
	} else if (t->emergency && used < (uint64_t)t->capacity * EMERGENCY_OFF_PCT) {
		t->emergency = false;
		memcpy(t->timeout_us, t->timeout_norm_us, sizeof(t->timeout_us));
		flow_timeout_min_update(t);
	}
}

/*
 * Sweep generations. Each sweep rotation (the cursor walking [0, bump) once) starts
 * GENS_PER_PASS generations, at even steps of the cursor, and the table notes the table time
 * each began at. A packet that creates a flow or may change its state stamps the flow's seen[]
 * byte with the current generation g (flow_apply()); a packet older than g's start moves the
 * start back to its time (flow_gen_late()). So the flow has been idle at most now minus g's
 * start, and when that is less than look_from, the record's own test would pass the flow
 * over: the sweep passes it over on seen[] alone, 32 records in a few instructions, without
 * loading their hot lines. A packet that only moves the last time on stores nothing: what it
 * finds in seen[] still holds for a later last time and the same state.
 *
 * A flow the sweep reads, finds idle past look_from and keeps is parked in the newest
 * generation g that began no later than its last packet when its timeout class is one of
 * park_classes (all but the shortest-timeout ones): until a packet changes its state its class
 * stays and its last time does not go back, so it cannot end before now minus g's start exceeds
 * the least timeout of those classes, and until then the sweep passes it over too (unless an
 * active timeout may be due: then every flow is read). A flow it reads and keeps otherwise is
 * read again at its next visit. Only flows the record's test would pass over are skipped, so
 * no result changes (test_flow_sweep compares).
 */

/* Start the next generation at the table's clock. */
static void
gen_next(struct ns_flow_table *t)
{
	t->gen = (uint8_t)((t->gen + 1) % SWEEP_GENS);
	t->gen_stamp = (uint8_t)(SEEN_PKT + t->gen);
	t->gen_start_us[t->gen] = t->now_us;
	t->gen_from_us = t->now_us;
	if (t->gen_count < GEN_WINDOW)
		t->gen_count++;
	t->skip_until_us = 0;
}

/* The cursor position at which the next generation starts: GENS_PER_PASS per rotation. */
static inline uint32_t
gen_next_at(const struct ns_flow_table *t, uint32_t bump)
{
	return (uint32_t)((uint64_t)(t->gen_sub + 1) * bump / GENS_PER_PASS);
}

void
flow_gen_late(struct ns_flow_table *t, uint64_t t_us)
{
	t->gen_from_us = t_us;
	t->gen_start_us[t->gen] = t_us;
	t->skip_until_us = 0;
}

/* The seen[] values the sweep passes over: SEEN_FREE, pkt_lo..pkt_hi and park_lo..park_hi. */
struct gen_skip {
#if defined(__SSE2__)
	__m128i pkt_lo, pkt_hi, park_lo, park_hi;
#else
	uint8_t pkt_lo, pkt_hi, park_lo, park_hi;
#endif
	bool any; /* false: visit every record (tests) */
};

/*
 * The generations whose flows need no visit at the table's clock: stamped ones that started
 * less than @look_from ago, parked ones less than @park_from ago, among the last gen_count
 * (not across the wrap of the generation count, which costs a few skips for a while). Each range
 * ends at the first generation that fails its test (the older ones mostly started earlier
 * still, and a range must hold only generations that pass). Its result
 * holds until the first generation in a range gets too old, a new one starts, a late packet
 * moves the current one's start, or the thresholds change (emergency timeouts).
 */
static struct gen_skip
gen_skippable(struct ns_flow_table *t, uint64_t look_from, uint64_t park_from)
{
	uint8_t *rng = t->skip_rng;
	struct gen_skip k;

	if (t->now_us >= t->skip_until_us || look_from != t->skip_look_from ||
	    park_from != t->skip_park_from) {
		uint64_t until = UINT64_MAX;
		unsigned g = t->gen;
		bool pkt = true; /* no generation failed look_from yet */

		memset(rng, SEEN_FREE, 4);
		for (unsigned n = 0; n < t->gen_count; n++, g--) {
			uint64_t start = t->gen_start_us[g];
			uint64_t age = t->now_us - start;

			if (age >= park_from)
				break;
			rng[2] = (uint8_t)(SEEN_PARK + g);
			rng[3] = (uint8_t)(SEEN_PARK + t->gen);
			until = NS_MIN(until, start + park_from);
			/* (a late packet can leave a generation starting before older ones) */
			pkt = pkt && age < look_from;
			if (pkt) {
				rng[0] = (uint8_t)(SEEN_PKT + g);
				rng[1] = t->gen_stamp;
				until = NS_MIN(until, start + look_from);
			}
			if (g == 0)
				break;
		}
		t->skip_until_us = until;
		t->skip_look_from = look_from;
		t->skip_park_from = park_from;
	}
#if defined(__SSE2__)
	k.pkt_lo = _mm_set1_epi8((char)rng[0]);
	k.pkt_hi = _mm_set1_epi8((char)rng[1]);
	k.park_lo = _mm_set1_epi8((char)rng[2]);
	k.park_hi = _mm_set1_epi8((char)rng[3]);
#else
	k.pkt_lo = rng[0];
	k.pkt_hi = rng[1];
	k.park_lo = rng[2];
	k.park_hi = rng[3];
#endif
	k.any = t->gen_skip;
	return k;
}

/* The least timeout of the classes the sweep parks, plus one (0: none). */
static uint64_t
park_from_us(const struct ns_flow_table *t)
{
	uint64_t m = 0;

	for (unsigned c = 0; c < TC_MAX; c++)
		if ((t->park_classes >> c & 1) && (m == 0 || t->timeout_us[c] + 1ull < m))
			m = t->timeout_us[c] + 1ull;
	return m;
}

/*
 * What a flow of class @tc, idle @idle_us, that the sweep read and keeps gets in seen[]: parked
 * in the newest generation that started no later than its last packet, when the class parks
 * and that generation is younger than @park_from and within the window; else SEEN_STALE. The
 * generation comes from the flow's last time, not from the value seen[] held: a packet that
 * only moves the last time on does not stamp (flow_apply()), so that value may be older than
 * the flow's last packet, or SEEN_STALE from an earlier visit.
 */
static uint8_t
gen_park(const struct ns_flow_table *t, uint64_t idle_us, enum flow_tclass tc, uint64_t park_from)
{
	unsigned g = t->gen;

	/* a generation that began no later than the last packet is at least idle_us old */
	if (!(t->park_classes >> tc & 1) || idle_us >= park_from)
		return SEEN_STALE;
	for (unsigned n = 0; n < t->gen_count; n++, g--) {
		uint64_t age = t->now_us - t->gen_start_us[g];

		if (age >= park_from)
			break;
		if (age >= idle_us) /* began no later than the last packet */
			return (uint8_t)(SEEN_PARK + g);
		if (g == 0)
			break;
	}
	return SEEN_STALE;
}

#if defined(__SSE2__)
static inline __m128i
in_range(__m128i v, __m128i lo, __m128i hi)
{
	return _mm_cmpeq_epi8(_mm_min_epu8(_mm_max_epu8(v, lo), hi), v);
}
#endif

/* Bit i set: record i of the 32 whose seen[] bytes start at @s is passed over. */
static inline uint32_t
gen_skip32(const uint8_t *s, const struct gen_skip *k)
{
	if (!k->any)
		return 0;
#if defined(__SSE2__)
	__m128i z = _mm_setzero_si128();
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
	__m128i w = _mm_loadu_si128((const __m128i *)(const void *)(s + 16));
	__m128i mv = _mm_or_si128(in_range(v, k->pkt_lo, k->pkt_hi),
				  in_range(v, k->park_lo, k->park_hi));
	__m128i mw = _mm_or_si128(in_range(w, k->pkt_lo, k->pkt_hi),
				  in_range(w, k->park_lo, k->park_hi));

	return (uint32_t)_mm_movemask_epi8(_mm_or_si128(mv, _mm_cmpeq_epi8(v, z))) |
	       (uint32_t)_mm_movemask_epi8(_mm_or_si128(mw, _mm_cmpeq_epi8(w, z))) << 16;
#else
	uint32_t m = 0;

	for (unsigned i = 0; i < 32; i++)
		m |= (uint32_t)(s[i] == SEEN_FREE || (s[i] >= k->pkt_lo && s[i] <= k->pkt_hi) ||
				(s[i] >= k->park_lo && s[i] <= k->park_hi))
		     << i;
	return m;
#endif
}

/* records the sweep prefetches ahead of its cursor: a visit is ~10 instructions, a miss on a
 * record of a table beyond L2 costs far more (48: housekeeping 11% -> 5% of a min-size run) */
#define SWEEP_AHEAD 48

/* A flow the sweep ends (or takes an interim record of), queued once the sweep has moved on. */
struct sweep_end {
	uint64_t hash; /* final reasons: the key's hash (flow_unlink_prefetch()) */
	uint32_t idx;
	uint8_t reason; /* enum ns_flow_end */
	uint8_t due; /* NS_FLOW_END_ACTIVE: the flow's new active-timeout epoch */
};

/*
 * Queue the records of the flows the sweep found ending, in the order it found them: what
 * flow_emit() would have done at each, done later so that the TCP and cold lines and the
 * bucket, prefetched when the flow was found, have arrived by the time they are read.
 */
static void
sweep_emit(struct ns_flow_table *t, const struct sweep_end *e, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (emit_queue(t, e[i].idx, (enum ns_flow_end)e[i].reason)) {
			flow_unlink_hashed(t, e[i].idx, e[i].hash);
			flow_free_rec(t, e[i].idx);
		} else if (e[i].reason == NS_FLOW_END_ACTIVE) {
			struct flow_cold *c = &t->recs[e[i].idx].cold;

			c->id_epoch = (c->id_epoch & ID_MASK) | (uint64_t)e[i].due
									<< ID_EPOCH_SHIFT;
		}
	}
}

/* Note flow @idx as ending with @reason and start loading the lines its record is built from. */
static inline void
sweep_end_add(struct ns_flow_table *t, struct sweep_end *e, uint32_t idx, enum ns_flow_end reason,
	      uint8_t due)
{
	e->idx = idx;
	e->reason = (uint8_t)reason;
	e->due = due;
	if (reason != NS_FLOW_END_ACTIVE)
		e->hash = flow_unlink_prefetch(t, idx);
	__builtin_prefetch(&t->recs[idx].tcp);
	__builtin_prefetch(&t->recs[idx].cold);
}

/*
 * A flow the sweep did not pass over at its first look (idle past the shortest timeout, or an
 * active timeout may be due): whether it ends (CLOSED or IDLE), takes an interim record
 * (ACTIVE) or neither, @idle being its idle time. Notes it in *@e when it does. Returns 1 when it
 * ended, 0 otherwise, -1 when nothing is to be queued. *@tcp is the flow's timeout class when it
 * was needed (a flow idle past the shortest timeout), else TC_MAX.
 */
static inline int
sweep_look(struct ns_flow_table *t, uint32_t idx, uint64_t idle, uint64_t now_ns, bool active_due,
	   struct sweep_end *e, enum flow_tclass *tcp)
{
	const struct flow_rec *r = &t->recs[idx];
	enum flow_tclass tc = TC_MAX;

	if (idle > t->timeout_min_us && idle > t->timeout_us[tc = flow_tclass(r)]) {
		sweep_end_add(t, e, idx,
			      tc == TC_TCP_CLOSED ? NS_FLOW_END_CLOSED : NS_FLOW_END_IDLE, 0);
		return 1;
	}
	*tcp = tc; /* TC_MAX: not needed, idle at most the shortest timeout */
	/* active timeout: one interim record each time the flow's age passes a multiple */
	if (!active_due)
		return -1;
	uint64_t age = now_ns - r->cold.first_ns;

	if (age >= t->active_ns && age <= (uint64_t)INT64_MAX) {
		uint8_t due = (uint8_t)(age / t->active_ns);

		if (due != (uint8_t)(r->cold.id_epoch >> ID_EPOCH_SHIFT)) {
			sweep_end_add(t, e, idx, NS_FLOW_END_ACTIVE, due);
			return 0;
		}
	}
	return -1;
}

unsigned
ns_flow_table_housekeeping(struct ns_flow_table *t, uint64_t now_ns, unsigned budget)
{
	uint64_t now_us = now_ns / NS_NSEC_PER_USEC;
	struct sweep_end pend[EMIT_QUEUE];
	unsigned ended = 0, np = 0, room;
	bool active_due;

	flow_sync(t);
	if (NS_UNLIKELY(now_us > t->now_us && now_us - t->now_us > JUMP_US))
		ended = flow_time_jump(t, now_us);
	else if (now_us > t->now_us)
		t->now_us = now_us;
	/* no flow can have reached its active timeout before the oldest flow ever created did:
	 * until then the sweep does not read the cold line (first_ns) at all */
	now_ns = t->now_us * NS_NSEC_PER_USEC;
	active_due = now_ns >= t->first_floor_ns && now_ns - t->first_floor_ns >= t->active_ns;
	flow_queue_drain(t);
	emergency_check(t);
	/* the cursor walks the records ever used, [0, bump), each at most once per call */
	budget = NS_MIN(budget, t->bump);

	/* what every visit reads, in registers: the flows found ending are noted in pend[],
	 * whose stores the compiler could not otherwise tell from the table's fields */
	const struct flow_rec *const recs = t->recs;
	uint8_t *const seen = t->seen;
	const uint32_t bump = t->bump;
	const uint64_t now40 = t->now_us & US_MASK40;
	/* a flow idle less than this needs no closer look: no longer than the shortest timeout,
	 * and no active timeout can be due (else every flow gets the closer look) */
	const uint64_t look_from = active_due ? 0 : (uint64_t)t->timeout_min_us + 1;
	const uint64_t park_from = active_due ? 0 : park_from_us(t);
	struct gen_skip skip = gen_skippable(t, look_from, park_from);
	uint32_t pos = t->sweep_pos;
	/* where the cursor starts the rotation's next generation (at the latest, the wrap) */
	uint32_t gen_at = gen_next_at(t, bump);
	unsigned i = 0;

	/*
	 * The flows found ending wait in pend[] until the queue would be full with them: then
	 * they are queued and the sink is offered the queue before the next visit, and the sweep
	 * stops there while the sink takes nothing, as flow_emit() at each would have.
	 */
	room = flow_queue_room(t);
	if (budget != 0 && room == 0 && !flow_queue_drain(t) && flow_queue_room(t) == 0) {
		/* the sink is full: leave the flows for the next pass rather than drop them */
		FLOW_STAT_ADD(t, expire_deferred, 1);
		budget = 0;
	}
	room = flow_queue_room(t);

	/* 32 records at a time: the ones seen[] does not pass over are read, in index order */
	while (i < budget) {
		unsigned n = NS_MIN(NS_MIN(budget - i, bump - pos), 32u);
		uint32_t unread = ~gen_skip32(seen + pos, &skip) & (uint32_t)((1ull << n) - 1);

		/* the walk is sequential but strides 3 lines: run ahead of it, to the records it
		 * will read */
		if (pos + SWEEP_AHEAD + 32 <= bump)
			for (uint32_t a = ~gen_skip32(seen + pos + SWEEP_AHEAD, &skip); a != 0;
			     a &= a - 1)
				__builtin_prefetch(&recs[pos + SWEEP_AHEAD + __builtin_ctz(a)].hot);
		for (; unread != 0; unread &= unread - 1) {
			unsigned b = (unsigned)__builtin_ctz(unread);
			uint32_t idx = pos + b;
			const struct flow_rec *r = &recs[idx];
			enum flow_tclass tc;
			uint64_t idle;
			int k;

			if (r->hot.key.ip_ver == 0)
				continue;
			/* read now: a flow that stays is read again until a packet stamps it or
			 * it is parked below, one that ends is freed */
			seen[idx] = SEEN_STALE;
			/* the common case first (a flow's last time is never after now_us, so the
			 * 40-bit difference is its idle time, as flow_last_us() computes it) */
			idle = (now40 - ((uint64_t)r->hot.last_hi << 32 | r->hot.last_lo)) &
			       US_MASK40;
			if (NS_LIKELY(idle < look_from))
				continue;
			k = sweep_look(t, idx, idle, now_ns, active_due, &pend[np], &tc);
			if (k < 0) {
				if (park_from != 0 && tc != TC_MAX)
					seen[idx] = gen_park(t, idle, tc, park_from);
				continue;
			}
			ended += (unsigned)k;
			if (++np == room && i + b + 1 < budget) {
				sweep_emit(t, pend, np);
				np = 0;
				if (!flow_queue_drain(t) && flow_queue_room(t) == 0) {
					FLOW_STAT_ADD(t, expire_deferred, 1);
					/* stop after this record */
					n = b + 1;
					budget = 0;
					break;
				}
				room = flow_queue_room(t);
			}
		}
		i += n;
		pos += n;
		if (NS_UNLIKELY(pos >= gen_at)) {
			if (pos >= bump) {
				pos = 0;
				t->gen_sub = 0;
				FLOW_STAT_ADD(t, sweeps, 1);
			} else {
				t->gen_sub++;
			}
			gen_next(t);
			gen_at = gen_next_at(t, bump);
			skip = gen_skippable(t, look_from, park_from);
		}
	}
	sweep_emit(t, pend, np);
	t->sweep_pos = pos;
	flow_queue_drain(t);
	FLOW_STAT_SET(t, active, t->live);
	return ended;
}

/* The reason a flow idle past its timeout ends with: as the sweep would have ended it. */
static inline enum ns_flow_end
idle_reason(enum flow_tclass tc)
{
	return tc == TC_TCP_CLOSED ? NS_FLOW_END_CLOSED : NS_FLOW_END_IDLE;
}

/* At the end: a flow already idle past its timeout at the table's clock ends as the sweep
 * would have ended it; only the flows still alive end as SHUTDOWN. */
static enum ns_flow_end
flush_reason(const struct ns_flow_table *t, const struct flow_rec *r)
{
	enum flow_tclass tc = flow_tclass(r);

	if (t->now_us - flow_last_us(t, r) > t->timeout_us[tc])
		return idle_reason(tc);
	return NS_FLOW_END_SHUTDOWN;
}

/*
 * Every flow ends here, so in a table not too sparse their bucket slots are not cleared one by
 * one (a hash and a bucket search each): the ended records are freed with their slots left in
 * place, and one pass over the buckets drops those slots before returning (an empty table:
 * zeroed buckets). Below a quarter of a flow per bucket, that pass would cost more.
 */
/* records the flush prefetches ahead of its walk (three lines each) */
#define FLUSH_AHEAD 8

/*
 * End every flow: as flush_reason() says, or, with @all_idle, as idle. Returns 0, or -EAGAIN
 * when the sink did not take everything (the flows not yet ended stay; call again).
 */
static int
end_all(struct ns_flow_table *t, bool all_idle)
{
	bool lazy = t->live >= t->n_buckets / 4, ended = false;
	int rc = 0;

	if (!flow_queue_drain(t))
		return -EAGAIN;
	for (uint32_t idx = 0; idx < t->bump && t->live != 0; idx++) {
		const struct flow_rec *r = &t->recs[idx];

		/* nearly every record is read whole: all three lines, well ahead of the walk */
		if (idx + FLUSH_AHEAD < t->bump) {
			const struct flow_rec *a = &t->recs[idx + FLUSH_AHEAD];

			__builtin_prefetch(&a->hot);
			__builtin_prefetch(&a->tcp);
			__builtin_prefetch(&a->cold);
		}
		if (r->hot.key.ip_ver == 0)
			continue;
		if (flow_queue_room(t) == 0 && !flow_queue_drain(t) && flow_queue_room(t) == 0) {
			rc = -EAGAIN;
			break;
		}
		emit_rec(t, idx, all_idle ? idle_reason(flow_tclass(r)) : flush_reason(t, r),
			 !lazy);
		ended = true;
	}
	if (lazy && ended)
		flow_buckets_purge(t);
	FLOW_STAT_SET(t, active, t->live);
	if (rc != 0)
		return rc;
	return flow_queue_drain(t) ? 0 : -EAGAIN;
}

int
ns_flow_table_flush(struct ns_flow_table *t)
{
	flow_sync(t);
	return end_all(t, false);
}

/*
 * Packet time jumped past every timeout (a capture file that joins captures days apart, a
 * clock set forward): every flow is idle at the new time, and one whose silence reaches 2^39
 * us would no longer be told apart from its own older packets (struct flow_hot), so all of
 * them end now, at their last packets' times, as the sweep would have ended them. The sink
 * must take them all before the next packet: this waits for it, which in the pipeline means
 * for management to drain the shard's ring.
 */
unsigned
flow_time_jump(struct ns_flow_table *t, uint64_t t_us)
{
	uint64_t from_us = t->now_us;
	uint32_t live = t->live;

	if (live != 0) {
		unsigned spins = 0;

		while (end_all(t, true) == -EAGAIN)
			if (++spins > 64)
				sched_yield();
		NS_LOG(NOTICE, "flow",
		       "packet time jumped %.1f days ahead: %u flow(s) ended idle at their last",
		       (double)(t_us - from_us) / (86400.0 * 1e6), live);
		FLOW_STAT_ADD(t, time_jumps, 1);
		/* no flow is left to reach its active timeout */
		t->first_floor_ns = UINT64_MAX;
	}
	t->now_us = t_us;
	return live;
}

/* ---- top-N: one pass over the pool with a bounded min-heap ---- */

static inline uint64_t
heap_bytes(const struct heap_ent *e)
{
	return e->bytes_idx >> HEAP_IDX_BITS;
}

static inline struct heap_ent
heap_ent_of(uint64_t bytes, uint32_t idx)
{
	return (struct heap_ent){ bytes << HEAP_IDX_BITS | idx };
}

static void
heap_down(struct heap_ent *h, unsigned n, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, m = i;

		if (l < n && heap_bytes(&h[l]) < heap_bytes(&h[m]))
			m = l;
		if (l + 1 < n && heap_bytes(&h[l + 1]) < heap_bytes(&h[m]))
			m = l + 1;
		if (m == i)
			return;
		struct heap_ent tmp = h[i];

		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

static void
heap_up(struct heap_ent *h, unsigned i)
{
	while (i > 0) {
		unsigned p = (i - 1) / 2;

		if (heap_bytes(&h[p]) <= heap_bytes(&h[i]))
			return;
		struct heap_ent tmp = h[i];

		h[i] = h[p];
		h[p] = tmp;
		i = p;
	}
}

unsigned
ns_flow_table_top_n(struct ns_flow_table *t, struct ns_flow_record *out, unsigned n)
{
	struct heap_ent *h = t->heap;
	unsigned k = 0;

	flow_sync(t);
	n = NS_MIN(n, t->top_n_max);
	if (n == 0)
		return 0;
	for (uint32_t idx = 0; idx < t->bump; idx++) {
		const struct flow_hot *fh = &t->recs[idx].hot;
		uint64_t bytes;

		if (fh->key.ip_ver == 0)
			continue;
		bytes = (uint64_t)fh->bytes[0] + fh->bytes[1];
		if (k < n) {
			h[k] = heap_ent_of(bytes, idx);
			heap_up(h, k++);
		} else if (bytes > heap_bytes(&h[0])) {
			h[0] = heap_ent_of(bytes, idx);
			heap_down(h, k, 0);
		}
	}
	/* pop the smallest into the last free position: out ends up largest first */
	for (unsigned m = k; m > 0; m--) {
		flow_record_fill(t, &t->recs[h[0].bytes_idx & ((1u << HEAP_IDX_BITS) - 1)],
				 NS_FLOW_END_LIVE, &out[m - 1]);
		h[0] = h[m - 1];
		heap_down(h, m - 1, 0);
	}
	return k;
}

void
ns_flow_table_stats(const struct ns_flow_table *t, struct ns_flow_stats *out)
{
	const uint64_t *src = (const uint64_t *)(const void *)&t->st;
	uint64_t *dst = (uint64_t *)(void *)out;

	_Static_assert(sizeof(struct ns_flow_stats) % sizeof(uint64_t) == 0, "u64 counters only");
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* ---- names ---- */

static const char *const end_names[] = {
#define NS_X(name, str) str,
	NS_FLOW_END_REASONS(NS_X)
#undef NS_X
};

static const char *const tcp_state_names[] = {
#define NS_X(name, str) str,
	NS_FLOW_TCP_STATES(NS_X)
#undef NS_X
};

static const char *const conn_state_names[] = {
#define NS_X(name, str) str,
	NS_FLOW_CONN_STATES(NS_X)
#undef NS_X
};

static const char *const untracked_names[] = {
#define NS_X(name, str) str,
	NS_FLOW_UNTRACKED_REASONS(NS_X)
#undef NS_X
};

const char *
ns_flow_end_name(unsigned reason)
{
	return reason < NS_FLOW_END_MAX ? end_names[reason] : "?";
}

const char *
ns_flow_tcp_state_name(unsigned state)
{
	return state < NS_FLOW_TCP_STATE_MAX ? tcp_state_names[state] : "?";
}

const char *
ns_flow_conn_state_name(unsigned state)
{
	return state < NS_FLOW_CONN_STATE_MAX ? conn_state_names[state] : "?";
}

const char *
ns_flow_untracked_name(unsigned reason)
{
	return reason < NS_FLOW_UNTRACKED_MAX ? untracked_names[reason] : "?";
}

const char *
ns_flow_proto_name(uint8_t proto)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	default:
		return NULL;
	}
}

char *
ns_flow_tcp_flags_str(uint8_t flags, char *buf, size_t len)
{
	static const char letters[] = "FSRPAUEC";
	size_t n = 0;

	if (len == 0)
		return buf;
	for (unsigned i = 0; i < 8 && n + 1 < len; i++)
		if (flags & (1u << i))
			buf[n++] = letters[i];
	buf[n] = '\0';
	return buf;
}
