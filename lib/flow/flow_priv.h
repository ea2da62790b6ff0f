/* SPDX-License-Identifier: MIT */
/*
 * Private layout of the flow table: the 40-byte canonical key, the three-cache-line flow record
 * (hot line for every packet, TCP line for every TCP segment, cold line for creation, export
 * and TCP events), the 12-slot bucket, and the table itself. flow-table.md is the design note
 * this follows; docs/flow-tracking.md explains where and why it departs from it.
 */
#ifndef NS_FLOW_PRIV_H
#define NS_FLOW_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ns_core.h"
#include "ns_flow.h"

/*
 * Canonical key: every byte is compared. The smaller (address, port) endpoint is "lo"; a
 * packet's direction bit is 0 when it was sent by lo. IPv4 is stored mapped; ip_ver keeps a
 * real v4-mapped IPv6 flow apart. kind separates ICMP echo flows (ports = identifier), errors
 * about a TCP/UDP flow (ports = that flow's, from the quote) and other ICMP (ports = type << 8 |
 * code) so they can never share a key.
 */
struct flow_key {
	uint8_t addr_lo[16];
	uint8_t addr_hi[16];
	uint16_t port_lo;
	uint16_t port_hi;
	uint16_t vlan; /* outer VID, 0 = untagged or not keyed */
	uint8_t proto;
	uint8_t ip_ver; /* 4 or 6, plus KEY_KIND_* bits; 0 marks a free record */
};

#define KEY_VER_MASK 0x0f
#define KEY_KIND_ICMP_ECHO 0x10
#define KEY_KIND_ICMP_QUOTE 0x20 /* ICMP error: ports are the quoted TCP/UDP packet's */

_Static_assert(sizeof(struct flow_key) == 40, "flow key is 40 bytes");

/* Flow flags (hot line). */
#define FF_CLIENT_HI 0x01 /* the initiator is the key's hi endpoint */
#define FF_MIDSTREAM 0x02 /* TCP without a SYN or SYN/ACK at the start */
#define FF_FINDIR 0x04 /* CLOSING: canonical direction of the last FIN */
#define FF_SYN 0x08 /* cold.syn_or_irtt holds the time of the latest bare SYN */
#define FF_IRTT 0x10 /* cold.syn_or_irtt holds the handshake RTT */
#define FF_SYNACK 0x20 /* syn_synack_us is valid */
#define FF_RTT_PEND 0x40 /* an RTT sample is in flight */
#define FF_RTT_DIR 0x80 /* canonical direction of the timed segment */

/*
 * Zeek's endpoint states (TCP_ENDPOINT_*), 3 bits per endpoint in the hot line's ep byte:
 * originator in bits 0-2, responder in bits 3-5, "sent payload" in bits 6 (orig) and 7.
 * EP_RESET_S0 is RESET reached straight from SYN_SENT, what Zeek's RSTOS0 history test matches.
 */
enum flow_ep {
	EP_INACTIVE = 0,
	EP_SYN_SENT,
	EP_SYN_ACK_SENT,
	EP_PARTIAL,
	EP_ESTABLISHED,
	EP_CLOSED,
	EP_RESET,
	EP_RESET_S0,
};

#define EP_DATA_ORIG 0x40
#define EP_DATA_RESP 0x80

/*
 * Hot line: touched by every packet. Times are 40-bit microseconds (last_lo + last_hi): exact
 * to the microsecond, wrapping after 12.7 days, and compared modulo 2^40, so timeouts up to a
 * day are safe as long as housekeeping visits each flow at least every six days.
 */
struct flow_hot {
	struct flow_key key;
	uint32_t last_lo; /* last packet, microseconds, low 32 bits */
	uint32_t pkts[2]; /* canonical direction; a wrap emits an OVERFLOW interim record */
	uint32_t bytes[2];
	uint8_t state; /* enum ns_flow_tcp_state */
	uint8_t flags; /* FF_* */
	uint8_t ep; /* Zeek endpoint states */
	uint8_t last_hi; /* last packet, microseconds, bits 32-39 */
};

/* tcp_dir.bits */
#define TD_BASE_SET 0x01 /* base_seq[] of this direction is set (cold line) */
#define TD_WIN_SET 0x02 /* window holds a value (tshark starts at 0xFFFFFFFF) */
#define TD_KEEPALIVE 0x04 /* last segment was a keep-alive */
#define TD_ZWP 0x08 /* last segment was a zero-window probe */
#define TD_FAST 0x10 /* flow_tcp_fast_ready() held when last computed (flow_tcp_fast_set()) */

/*
 * tshark's per-direction sequence analysis state (tcp-analysis.md §3), 20 bytes. Times are
 * 32-bit microseconds: every compare is a difference against a threshold below 72 minutes.
 * dupacks saturates at 127: the rules only test == -1, == 0 and >= 2. The time of lastack
 * (rule 16) is read only by the fast-retransmission test, and only while dupacks >= 2, so it
 * lives in the cold line and is stored only when a segment leaves dupacks >= 2
 * (flow_tcp_lastack_t()): a later segment of the other side can only lower dupacks (rule 11).
 */
struct tcp_dir {
	uint32_t nextseq;
	uint32_t nextseq_t;
	uint32_t lastack;
	uint32_t maxseqtobeacked;
	uint16_t window;
	int8_t dupacks;
	uint8_t bits; /* TD_* */
};

/*
 * TCP line: touched by every analysed TCP segment. It holds everything an in-order segment or
 * its ACK reads or writes, the running RTT statistics included, so those touch no other line
 * of the record than the hot one. Before the first running-RTT sample, rtt_max and rtt_min
 * hold the handshake's times instead, so its SYN/ACK reads no cold data (flow_tcp_syn_t())
 * and its ACK touches none (flow_tcp_irtt_set()).
 */
struct flow_tcp {
	struct tcp_dir dir[2]; /* canonical direction */
	uint32_t rtt_seq; /* FF_RTT_PEND: sequence number that acknowledges the timed segment */
	uint32_t rtt_t; /* ...and the time it was sent */
	uint32_t rtt_min; /* running RTT statistics, us (flow_rtt_add()); while rtt_cnt is 0, */
	uint32_t rtt_max; /* the handshake's times (flow_tcp_irtt_parked(), flow_tcp_syn_t()) */
	uint32_t rtt_sum;
	uint16_t rtt_cnt;
	uint8_t tcp_flags[2]; /* OR of flags, canonical direction */
};

/*
 * Cold line: written at creation, read at export, touched by TCP events (SYN, SYN/ACK, the
 * handshake's ACK, retransmissions and the other counted events, RST).
 */
struct flow_cold {
	uint64_t first_ns;
	uint64_t id_epoch; /* creation number (bits 0-55), active-timeout epoch (bits 56-63) */
	union {
		uint32_t base_seq[2]; /* TCP */
		struct {
			uint8_t type, code; /* ICMP error flows keyed by the quoted ports */
		} icmp;
	};
	uint32_t syn_synack_us;
	uint32_t syn_or_irtt; /* FF_SYN: time of the latest bare SYN; FF_IRTT: handshake RTT, us
			       * (flow_tcp_irtt_us(): it may wait in the TCP line) */
	uint32_t lastack_t[2]; /* time of tcp.dir[].lastack, valid while its dupacks >= 2 */
	/* event counters (u16, u8 for RST); reaching the maximum emits an OVERFLOW interim record */
	uint16_t retrans[2];
	uint16_t ooo[2];
	uint16_t lost[2];
	uint16_t dupack[2];
	uint16_t fast;
	uint16_t spurious;
	uint16_t zerowin;
	uint8_t rst[2]; /* RST segments, canonical direction */
};

struct flow_rec {
	struct flow_hot hot;
	struct flow_tcp tcp;
	struct flow_cold cold;
} NS_CACHE_ALIGNED;

_Static_assert(sizeof(struct flow_hot) == 64, "hot line is one cache line");
_Static_assert(sizeof(struct flow_tcp) == 64, "TCP line is one cache line");
_Static_assert(sizeof(struct flow_cold) == 64, "cold line is one cache line");
_Static_assert(sizeof(struct flow_rec) == 192, "a flow record is three cache lines");

/*
 * seen[] values (flow_emit.c, "Sweep generations"): a free or never-used record (zeroed
 * memory), a flow the sweep must read, and per generation g (counted modulo SWEEP_GENS) a
 * flow stamped by a packet in g and one the sweep parked in g. A generation is trusted for
 * GEN_WINDOW generations; a record is visited at least every 2 * GENS_PER_PASS generations,
 * and a visit reads every record with an older value and rewrites it, so no value lives long
 * enough to look new again (GEN_WINDOW + 2 * GENS_PER_PASS <= SWEEP_GENS).
 */
#define SEEN_FREE 0
#define SEEN_STALE 1
#define SEEN_PKT 2 /* + g */
#define SEEN_PARK (SEEN_PKT + SWEEP_GENS) /* + g */
#define SWEEP_GENS 127
#define GEN_WINDOW 110
#define GENS_PER_PASS 8 /* generations a sweep rotation starts */
/* seen[] bytes past the last record: the sweep reads 32 at a time */
#define SEEN_PAD 32

_Static_assert(SEEN_PARK + SWEEP_GENS - 1 <= 255, "seen[] values fit a byte");
_Static_assert(GEN_WINDOW + 2 * GENS_PER_PASS <= SWEEP_GENS, "no value outlives the window");

#define ID_MASK ((1ull << 56) - 1)
#define ID_EPOCH_SHIFT 56

/*
 * Bucket: 12 slots in one cache line. A slot is a 16-bit tag (0 = empty) and a 24-bit record
 * index. 12 slots instead of rte_hash's 8 keep buckets at 5.9 bytes per flow at 90% load, which
 * is what brings the whole table under 200 bytes per flow (flow-tracking.md "Memory").
 * alt bit i: slot i holds a key whose primary bucket is the other one. out_cnt counts keys
 * whose primary is this bucket but that live in their alternate, out_bloom summarises their
 * tags: a lookup that misses here reads the alternate only when both say it may be there.
 */
#define BUCKET_SLOTS 12
#define BUCKET_LOAD_NUM 9 /* records <= 90% of slots */
#define BUCKET_LOAD_DEN 10

struct flow_bucket {
	uint16_t tag[BUCKET_SLOTS];
	uint8_t idx[BUCKET_SLOTS][3];
	uint16_t alt;
	uint8_t out_cnt; /* saturates at 255 and then stays (lookups always check the alternate) */
	uint8_t out_bloom;
} NS_CACHE_ALIGNED;

_Static_assert(sizeof(struct flow_bucket) == 64, "bucket is one cache line");

/* Records waiting for the sink; a burst of 32 adds at most one per packet. */
#define EMIT_QUEUE 64

/*
 * Stage 3 (flow_table.c) prefetches the hot and TCP lines of the candidate APPLY_PF_DIST
 * packets ahead into L1: stage 2 brought them towards L2 only (REC_PF_LOCALITY), and the key
 * compare and the TCP line's first load were where stage 3 waited. 2, 4 and 8 ahead measured
 * 1.03, 1.04 and 1.01 times the flow stage's rate of none on min-100k (bench-flow, paired
 * medians), 4 ahead 1.03 on min-1m and 1.02 on IMIX 100k; the hot line alone 0.985, the TCP
 * line alone 1.01. It costs 7 instructions a packet (both lines for every hit, TCP or not). On
 * the AMD EPYC (Zen 5) host, 8 ahead against 4 on the DPDK ring replay (two interleaved pairs
 * of runs, 6 repetitions each): min-100k 28.4-30.0 Mpps against 27.2-28.9 (median +4.5%),
 * min-1m median 23.4 against 19.5 (both spread 18-24); bench-flow on the files unchanged
 * (100k: 20.7-21.1 against 20.1-21.4; 1M: 17.4-18.0 against 17.0-18.4).
 */
#define APPLY_PF_DIST 8

/* One pass of up to NS_FLOW_BURST packets through the stages (flow-table.md §3). */
struct flow_pass {
	struct flow_key keys[NS_FLOW_BURST];
	uint64_t hv[NS_FLOW_BURST];
	uint32_t bkt[NS_FLOW_BURST]; /* primary bucket of each key */
	/* the candidate record of each packet (NULL: none), NULL past the pass's packets */
	struct flow_rec *cand[NS_FLOW_BURST + APPLY_PF_DIST];
	uint8_t dir[NS_FLOW_BURST];
	/* the packets whose candidate is in the alternate bucket, in order */
	uint8_t alt[NS_FLOW_BURST];
};

/*
 * A deferred table's (ns_flow_params.defer) two passes it alternates between and, with
 * NS_FLOW_DEFER_COPY, its own copy of the packets of the pass it leaves pending across calls,
 * made when the call returns (flow_defer_bytes(): a DEFER_KEPT table allocates no copy).
 */
struct flow_defer {
	struct flow_pass ps[2];
	struct ns_pkt pkts[NS_FLOW_BURST];
	uint64_t ts[NS_FLOW_BURST];
};

static inline size_t
flow_defer_bytes(enum ns_flow_defer defer)
{
	return defer == NS_FLOW_DEFER_OFF    ? 0
	       : defer == NS_FLOW_DEFER_KEPT ? offsetof(struct flow_defer, pkts)
					     : sizeof(struct flow_defer);
}

/* Emergency mode (flow-table.md §5): above 95% occupancy timeouts shrink tenfold. */
#define EMERGENCY_ON_PCT 95
#define EMERGENCY_OFF_PCT 85

enum flow_tclass {
	TC_TCP_SYN,
	TC_TCP_EST,
	TC_TCP_FIN,
	TC_TCP_CLOSED,
	TC_UDP,
	TC_ICMP,
	TC_OTHER,
	TC_MAX,
};

/*
 * A top-N candidate in 8 bytes, not 16: the flow's bytes (both directions, below 2^33) above
 * its 24-bit record index. The heap compares the bytes alone. The 8 KB this saves per table
 * are what keeps a 21,191-flow table within 200 bytes per flow with the expiry sweep's byte
 * per record (seen[]).
 */
struct heap_ent {
	uint64_t bytes_idx;
};

#define HEAP_IDX_BITS 24

_Static_assert(NS_FLOW_CAPACITY_MAX < 1u << HEAP_IDX_BITS, "a record index fits the heap");

struct ns_flow_table {
	/* worker: rw, any thread: ro through ns_flow_table_stats() */
	struct ns_flow_stats st;

	/* everything below belongs to the table's thread */
	struct flow_rec *recs NS_CACHE_ALIGNED;
	struct flow_bucket *buckets;
	uint32_t capacity;
	uint32_t n_buckets;
	uint32_t free_head; /* intrusive free list through hot.pkts[0]; capacity = empty */
	uint32_t bump; /* records [bump, capacity) were never used: never touched, not scanned */
	uint32_t live;
	uint64_t next_id;
	uint64_t id_base; /* shard id << 56 */
	uint64_t seed[3];
	bool hash_crc; /* CRC32C hash (SSE4.2), else the portable one */
	uint16_t vlan_mask; /* 0xffff when the outer VLAN id is part of the key, else 0 */
	bool huge;
	bool emergency;
	bool tcp_fast; /* the in-order fast path of flow_tcp_fast() (tests turn it off) */
	size_t mem_bytes;
	size_t alloc_bytes;

	uint64_t now_us; /* latest packet or housekeeping time */
	/*
	 * The sweep's generations (flow_emit.c, "Sweep generations"): a packet that creates a
	 * flow or may change its state stamps seen[idx] with gen_stamp (SEEN_PKT + gen);
	 * gen_from_us, the generation's start, is never after the time of a packet stamped with it,
	 * nor after the last time of a flow parked in it. flow_apply() lowers it for every late
	 * packet, stamped or not: a packet 2^40 us behind a flow reads as ahead of it in 40-bit
	 * time, moves its last time past the clock without a stamp, and only the generation moved
	 * back makes the sweep read the flows it could otherwise pass over (test_sweep_wrap_alias).
	 */
	uint8_t *seen; /* per record: one byte (SEEN_*) */
	uint64_t gen_from_us;
	uint8_t gen_stamp;
	uint8_t gen; /* 0 .. SWEEP_GENS - 1 */
	uint8_t gen_sub; /* generations this rotation started after its first */
	uint8_t gen_count; /* generations started, up to GEN_WINDOW */
	uint8_t park_classes; /* bit per class whose timeout is above the shortest */
	bool gen_skip; /* the sweep skips by seen[] (tests turn it off) */
	uint8_t skip_rng[4]; /* the seen[] ranges the sweep passes over (gen_skippable()) */
	uint64_t skip_until_us; /* ...until this table time (0: compute again) */
	uint64_t skip_look_from; /* ...for these thresholds */
	uint64_t skip_park_from;
	/* 64 bits: the longest timeout, NS_FLOW_TIMEOUT_MAX (a day), is 8.64e10 us */
	uint64_t timeout_us[TC_MAX];
	uint64_t timeout_norm_us[TC_MAX];
	uint64_t timeout_min_us; /* smallest of timeout_us[]: below it no flow is idle */
	uint64_t active_ns;
	uint64_t first_floor_ns; /* no flow ever created started before this (UINT64_MAX: none) */
	uint32_t sweep_pos;
	uint32_t evict_hand;
	uint64_t gen_start_us[SWEEP_GENS]; /* each generation's gen_from_us */
	uint8_t cold_uses; /* segments of known flows in this pass that used the cold line */
	uint8_t cold_n; /* packets in this pass */
	bool cold_pf; /* prefetch TCP records' cold lines in this pass (flow_cold_roll()) */
	uint8_t irtt_n;
	uint32_t irtt_pend[NS_FLOW_BURST]; /* records whose handshake RTT waits in the TCP line */

	/* the pass whose keys are matched but not yet applied (stage 3); pend_n 0: none */
	unsigned pend_n;
	const struct flow_pass *pend_ps;
	const struct ns_pkt *pend_pkts;
	const uint64_t *pend_ts;
	struct flow_defer *defer; /* NULL: every call applies all its packets */
	bool defer_copy; /* NS_FLOW_DEFER_COPY: defer->pkts and ->ts exist */

	ns_flow_sink_fn sink;
	void *sink_arg;
	unsigned q_head; /* first queued record */
	unsigned q_len;
	struct ns_flow_record queue[EMIT_QUEUE];

	uint32_t top_n_max;
	struct heap_ent *heap;
};

/* ---- flow_table.c ---- */

/*
 * A packet more than this past the table's clock ends every flow first (flow_time_jump()):
 * above the longest timeout (NS_FLOW_TIMEOUT_MAX, a day), below the 2^39 us from which a
 * flow's 40-bit last time is ambiguous (struct flow_hot).
 */
#define JUMP_US (2 * 86400ull * 1000000)

/**
 * End every flow as idle, packet time @t_us being more than JUMP_US past the clock, and move
 * the clock there. Returns the flows ended.
 */
unsigned flow_time_jump(struct ns_flow_table *t, uint64_t t_us);

/**
 * Apply the pass a deferred table left pending (ns_flow_params.defer), so the table holds every
 * packet offered. Every entry point but ns_flow_table_process_burst() starts with it.
 */
void flow_sync(struct ns_flow_table *t);

/** Hash @n keys into @out (bucket in the high half, tag in the low 16 bits). */
void flow_hash_keys(const struct ns_flow_table *t, const struct flow_key *keys, unsigned n,
		    uint64_t *out);

/**
 * The canonical key of @p into @k, its direction into *@dir and its hash into *@h, exactly as
 * ns_flow_table_process_burst() computes them (for tests). Returns false when @p has no IP
 * addresses (the packet would be untracked).
 */
bool flow_key_of(struct ns_flow_table *t, const struct ns_pkt *p, struct flow_key *k, unsigned *dir,
		 uint64_t *h);

/**
 * Stage 1 over a burst of @n (at most NS_FLOW_BURST) packets, exactly as
 * ns_flow_table_process_burst() runs it (for tests): each packet's key, direction and hash into
 * @keys, @dirs and @hv; a packet without IP addresses gets the zero key and hash 0.
 */
void flow_keys_of(struct ns_flow_table *t, const struct ns_pkt *pkts, unsigned n,
		  struct flow_key *keys, unsigned *dirs, uint64_t *hv);

/**
 * The general key builder alone, without stage 1's IPv4 path (for tests): the key, direction
 * and hash of @p, or false when @p has no IP addresses.
 */
bool flow_key_of_general(const struct ns_flow_table *t, const struct ns_pkt *p,
			 struct flow_key *k, unsigned *dir, uint64_t *h);

/**
 * Switch an empty table to the portable hash (what CPUs without SSE4.2 run), so tests cover
 * it on any machine. Returns -EBUSY when the table already holds flows.
 */
int flow_hash_use_portable(struct ns_flow_table *t);

/** Remove record @idx from its bucket (the record stays allocated). */
void flow_unlink(struct ns_flow_table *t, uint32_t idx);

/**
 * flow_unlink() in two steps, for a caller with other work to do while the bucket loads: the
 * first returns the hash of record @idx's key and prefetches its primary bucket, the second
 * takes that hash and removes the record from its bucket.
 */
uint64_t flow_unlink_prefetch(const struct ns_flow_table *t, uint32_t idx);
void flow_unlink_hashed(struct ns_flow_table *t, uint32_t idx, uint64_t h);

/**
 * Drop every bucket slot whose record is free (records freed without flow_unlink()); with no
 * flow left, zero all buckets.
 */
void flow_buckets_purge(struct ns_flow_table *t);

/** Return record @idx to the free list. */
void flow_free_rec(struct ns_flow_table *t, uint32_t idx);

/* ---- flow_tcp.c ---- */

/** Set up the TCP state of a new flow whose first segment is @p. */
void flow_tcp_init(struct flow_rec *r);

/**
 * Analyse one TCP segment sent in canonical direction @d at @t_us with tshark's full rule
 * chain (callers try flow_tcp_fast() first). Returns true when an event counter reached its
 * maximum (the caller emits an OVERFLOW interim record).
 */
bool flow_tcp_segment(struct flow_rec *r, const struct ns_pkt *p, unsigned d, uint32_t t_us);

/* Zeek's conn_state of a TCP flow for every hot.ep byte (flow_emit.c), for flow_record_fill() */
extern const uint8_t flow_conn_state_of[256];

/** True when a bare SYN on an existing flow starts a new tcp.stream (tcp-analysis.md §2.2). */
static inline bool
flow_tcp_is_reuse(const struct flow_rec *r, const struct ns_pkt *p, unsigned d)
{
	return (p->tcp_flags & (NS_TCP_SYN | NS_TCP_ACK)) == NS_TCP_SYN &&
	       (r->tcp.dir[d].bits & TD_BASE_SET) != 0 && p->tcp_seq != r->cold.base_seq[d];
}

/* ---- flow_emit.c ---- */


/** Fill @out from record @r. */
void flow_record_fill(const struct ns_flow_table *t, const struct flow_rec *r,
		      enum ns_flow_end reason, struct ns_flow_record *out);

/** Free slots in the emission queue. */
static inline unsigned
flow_queue_room(const struct ns_flow_table *t)
{
	return EMIT_QUEUE - t->q_len;
}

/**
 * Queue a record of flow @idx with @reason. Final reasons unlink and free the flow; interim
 * ones reset its counters. The caller checked flow_queue_room().
 */
void flow_emit(struct ns_flow_table *t, uint32_t idx, enum ns_flow_end reason);

/* End flow @idx with @reason but keep its slot: the caller re-initialises the record in place
 * for the packet that starts the next flow on the same key. */
void flow_emit_split(struct ns_flow_table *t, uint32_t idx, enum ns_flow_end reason);

/** A packet at @t_us is older than the sweep generation's start: move the start back to it. */
void flow_gen_late(struct ns_flow_table *t, uint64_t t_us);

/** Offer queued records to the sink. Returns true when the queue is empty afterwards. */
bool flow_queue_drain(struct ns_flow_table *t);

/* Counter update by the table's thread; readers use relaxed loads. */
#define FLOW_STAT_ADD(t, field, v) \
	__atomic_store_n(&(t)->st.field, (t)->st.field + (v), __ATOMIC_RELAXED)
#define FLOW_STAT_SET(t, field, v) __atomic_store_n(&(t)->st.field, (v), __ATOMIC_RELAXED)

/* Sequence-number compares modulo 2^32 (tcp-analysis.md §1). */
static inline bool
seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool
seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool
seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

#define US_MASK40 ((1ull << 40) - 1)

/* Timeout class of a flow (inline: the sweep and every packet's idle check use it). */
static inline enum flow_tclass
flow_tclass(const struct flow_rec *r)
{
	switch (r->hot.key.proto) {
	case 6:
		switch (r->hot.state) {
		case NS_FLOW_TCP_SYN_SENT:
		case NS_FLOW_TCP_SYN_RECEIVED:
			return TC_TCP_SYN;
		case NS_FLOW_TCP_FIN_WAIT:
			return TC_TCP_FIN;
		case NS_FLOW_TCP_CLOSING:
		case NS_FLOW_TCP_CLOSED:
		case NS_FLOW_TCP_RESET:
			return TC_TCP_CLOSED;
		default:
			return TC_TCP_EST;
		}
	case 17:
		return TC_UDP;
	case 1:
	case 58:
		return TC_ICMP;
	default:
		return TC_OTHER;
	}
}

/* Keep timeout_min_us in step with timeout_us[] (after any change to it). */
static inline void
flow_timeout_min_update(struct ns_flow_table *t)
{
	uint64_t m = t->timeout_us[0];

	for (unsigned i = 1; i < TC_MAX; i++)
		m = t->timeout_us[i] < m ? t->timeout_us[i] : m;
	t->timeout_min_us = m;
}

/* Last packet time of @r in microseconds, rebuilt from its 40-bit value and t->now_us. */
static inline uint64_t
flow_last_us(const struct ns_flow_table *t, const struct flow_rec *r)
{
	uint64_t last40 = (uint64_t)r->hot.last_hi << 32 | r->hot.last_lo;
	uint64_t v = (t->now_us & ~US_MASK40) | last40;

	if (v > t->now_us && v > US_MASK40)
		v -= 1ull << 40;
	return v;
}

/*
 * flow_tcp_irtt_set() completes the handshake RTT (FF_IRTT) without touching the cold line
 * while rtt_cnt == 0: the value (never 0) then waits in tcp.rtt_min, which is 0 otherwise at
 * that count. When the in-order shortcut took the handshake's ACK (flow_tcp_fast_ts() returned
 * TS_IRTT), flow_tcp_analyse() queues the record and prefetches its cold line, where the next
 * pass stores the value
 * (flow_irtt_queue(), flow_cold_roll()). The first running-RTT sample and an interim record
 * store it first when they come earlier, so a waiting value is never lost, flushed or not;
 * flow_tcp_irtt_us() reads it from either place.
 */
static inline bool
flow_tcp_irtt_parked(const struct flow_rec *r)
{
	return r->tcp.rtt_cnt == 0 && r->tcp.rtt_min != 0;
}

/* Store a waiting handshake RTT into the cold line. */
static inline void
flow_tcp_irtt_unpark(struct flow_rec *r)
{
	if (flow_tcp_irtt_parked(r)) {
		r->cold.syn_or_irtt = r->tcp.rtt_min;
		r->tcp.rtt_min = 0;
	}
}

/* Complete the handshake RTT with @irtt (> 0): in the TCP line while rtt_cnt == 0. */
static inline void
flow_tcp_irtt_set(struct flow_rec *r, uint32_t irtt)
{
	if (NS_LIKELY(r->tcp.rtt_cnt == 0))
		r->tcp.rtt_min = irtt;
	else
		r->cold.syn_or_irtt = irtt;
	r->hot.flags = (uint8_t)((r->hot.flags | FF_IRTT) & ~FF_SYN);
}

/* The handshake RTT of a flow with FF_IRTT, us. */
static inline uint32_t
flow_tcp_irtt_us(const struct flow_rec *r)
{
	return flow_tcp_irtt_parked(r) ? r->tcp.rtt_min : r->cold.syn_or_irtt;
}

/*
 * The running RTT statistics are full: the count at its maximum, or the sum past 2^31, where
 * the next sample (below 2^31: a signed difference) could wrap it. flow_tcp_analyse() then
 * has an OVERFLOW interim record taken, which restarts them, as for the event counters.
 */
static inline bool
flow_rtt_full(const struct flow_rec *r)
{
	return r->tcp.rtt_cnt == UINT16_MAX || r->tcp.rtt_sum >= 1u << 31;
}

/* Add one running-RTT sample (microseconds) to the flow's statistics. */
static inline void
flow_rtt_add(struct flow_rec *r, uint32_t s)
{
	struct flow_tcp *c = &r->tcp;

	if (c->rtt_cnt == 0) {
		flow_tcp_irtt_unpark(r);
		c->rtt_min = c->rtt_max = s;
	} else {
		if (s < c->rtt_min)
			c->rtt_min = s;
		if (s > c->rtt_max)
			c->rtt_max = s;
	}
	/*
	 * Full statistics are restarted by an interim record (flow_rtt_full()); when the sink's
	 * queue had no room for it, halving both keeps the mean (the count is then a lower bound)
	 */
	if (c->rtt_cnt == UINT16_MAX || c->rtt_sum > UINT32_MAX - s) {
		c->rtt_sum >>= 1;
		c->rtt_cnt >>= 1;
	}
	c->rtt_sum += s;
	c->rtt_cnt++;
}

/*
 * The time of the latest bare SYN while the handshake RTT is pending (FF_SYN without FF_IRTT)
 * lives in cold.syn_or_irtt. While no running-RTT sample was taken (rtt_cnt == 0: rtt_min and
 * rtt_max are unused) tcp.rtt_max holds a copy, which the handshake's SYN/ACK and ACK read
 * instead: they then only store into the cold line, and a store does not wait for its line as
 * a load does. rtt_cnt never returns to 0 but through flow_tcp_rtt_reset(), which restores
 * the copy: flow_rtt_add() halves it at 65535 or when the sum would overflow, which one
 * sample (below 2^31) and another cannot do.
 */
static inline void
flow_tcp_syn_set(struct flow_rec *r, uint32_t t)
{
	r->cold.syn_or_irtt = t;
	if (r->tcp.rtt_cnt == 0)
		r->tcp.rtt_max = t;
}

/* The cold-line read, out of line so the compiler cannot turn the choice into a load of both. */
static __attribute__((noinline, cold, unused)) uint32_t
flow_tcp_syn_t_cold(const struct flow_rec *r)
{
	return r->cold.syn_or_irtt;
}

/* The SYN time of a flow with FF_SYN and without FF_IRTT. */
static inline uint32_t
flow_tcp_syn_t(const struct flow_rec *r)
{
	if (NS_LIKELY(r->tcp.rtt_cnt == 0))
		return r->tcp.rtt_max;
	return flow_tcp_syn_t_cold(r);
}

/* Restart the running RTT statistics (an interim record was taken), keeping the SYN time. */
static inline void
flow_tcp_rtt_reset(struct flow_rec *r)
{
	flow_tcp_irtt_unpark(r);
	r->tcp.rtt_min = r->tcp.rtt_max = r->tcp.rtt_sum = 0;
	r->tcp.rtt_cnt = 0;
	if ((r->hot.flags & (FF_SYN | FF_IRTT)) == FF_SYN)
		r->tcp.rtt_max = r->cold.syn_or_irtt;
}

/* Rule 16's lastack time, kept only while it can be read (struct tcp_dir). */
static inline void
flow_tcp_lastack_t(struct flow_rec *r, unsigned d, uint32_t t)
{
	if (NS_UNLIKELY(r->tcp.dir[d].dupacks >= 2))
		r->cold.lastack_t[d] = t;
}

/*
 * Rules 15-17 (tcp-analysis.md §3) for a segment that is neither a keep-alive nor a zero-window
 * probe, after 13-14 moved nextseq: maxseqtobeacked follows nextseq when this segment starts
 * at it (or it is unset), and the sender's window and ACK field are stored.
 */
static inline void
flow_tcp_rules15_17(struct tcp_dir *fwd, const struct ns_pkt *p)
{
	if (p->tcp_seq == fwd->maxseqtobeacked || fwd->maxseqtobeacked == 0)
		fwd->maxseqtobeacked = fwd->nextseq;
	fwd->window = p->tcp_win;
	fwd->lastack = p->tcp_ack;
	fwd->bits = (uint8_t)((fwd->bits & ~(TD_KEEPALIVE | TD_ZWP)) | TD_WIN_SET);
}

/*
 * Rule 10 for a segment that is not a duplicate ACK, with rule 16's lastack time (before
 * lastack changes): a new ACK restarts the count, the same one keeps it (and its time when it
 * can be read).
 */
static inline void
flow_tcp_ack_rule10(struct flow_rec *r, unsigned d, uint32_t ack, uint32_t t)
{
	struct tcp_dir *fwd = &r->tcp.dir[d];

	if (ack != fwd->lastack)
		fwd->dupacks = 0;
	else if (NS_UNLIKELY(fwd->dupacks >= 2))
		r->cold.lastack_t[d] = t;
}

/* States a segment without SYN, FIN and RST moves: to ESTABLISHED, or (from the other side)
 * CLOSING to CLOSED (tcp_state_update() in flow_tcp.c). */
#define TCP_ACK_MOVES                                                      \
	((1u << NS_FLOW_TCP_SYN_SENT) | (1u << NS_FLOW_TCP_SYN_RECEIVED) | \
	 (1u << NS_FLOW_TCP_CLOSING))

/* Flow state after an ACK (no SYN, FIN, RST) in canonical direction @d, as tcp_state_update(). */
static inline uint8_t
flow_tcp_ack_state(const struct flow_hot *h, unsigned d)
{
	if (NS_LIKELY(!((1u << h->state) & TCP_ACK_MOVES)))
		return h->state;
	if (h->state != NS_FLOW_TCP_CLOSING)
		return NS_FLOW_TCP_ESTABLISHED;
	return d != ((h->flags & FF_FINDIR) ? 1u : 0u) ? NS_FLOW_TCP_CLOSED : NS_FLOW_TCP_CLOSING;
}

/*
 * Rule 18 for a segment that ACKs (no RST) and is not a retransmission: complete a pending
 * sample of the other direction, then time this segment when it advanced nextseq to @nxt.
 */
static inline void
flow_tcp_rtt(struct flow_rec *r, unsigned d, uint32_t ack, uint32_t t, bool advanced, uint32_t nxt)
{
	struct flow_hot *h = &r->hot;
	struct flow_tcp *tc = &r->tcp;

	if (h->flags & FF_RTT_PEND) {
		unsigned pd = (h->flags & FF_RTT_DIR) ? 1u : 0u;

		if (pd != d && !seq_lt(ack, tc->rtt_seq)) {
			uint32_t s = t - tc->rtt_t;

			if ((int32_t)s >= 0)
				flow_rtt_add(r, s);
			h->flags &= (uint8_t)~FF_RTT_PEND;
		}
	}
	if (!(h->flags & FF_RTT_PEND) && advanced) {
		tc->rtt_seq = nxt;
		tc->rtt_t = t;
		h->flags = (uint8_t)((h->flags & ~FF_RTT_DIR) | FF_RTT_PEND | (d ? FF_RTT_DIR : 0));
	}
}

/*
 * Rule 19 for an ACK without SYN: the handshake RTT, latest bare SYN -> this segment (before
 * the first running-RTT sample it waits in the TCP line: flow_tcp_irtt_parked()).
 */
static inline void
flow_tcp_irtt(struct flow_rec *r, uint32_t t)
{
	struct flow_hot *h = &r->hot;

	if (NS_UNLIKELY((h->flags & (FF_SYN | FF_IRTT)) == FF_SYN)) {
		uint32_t irtt = t - flow_tcp_syn_t(r);

		if (irtt != 0 && (int32_t)irtt > 0)
			flow_tcp_irtt_set(r, irtt);
	}
}

/* What flow_tcp_shortcut() did: nothing, or took the segment touching the cold line or not. */
enum {
	TS_NONE,
	TS_HOT, /* the hot and TCP lines only (mostly: a duplicate ACK touches the cold line too) */
	TS_COLD,
	TS_IRTT, /* TS_HOT, and the handshake RTT waits in the TCP line (flow_irtt_queue()) */
};

/*
 * The flow-state half of flow_tcp_fast_ts()'s test for direction @d: its sender's Zeek endpoint
 * is active, both base sequence numbers are set, and the receiver's window is not zero (rule
 * 1's zero-window probe and rule 2's zero window need the full chain). It becomes false only
 * where the full chain or a shortcut other than flow_tcp_fast_ts() runs, so flow_tcp_fast_set()
 * caches it there as TD_FAST and the fast path tests one bit: 16 instructions a packet fewer
 * (callgrind, bench-flow on a steady min-100k capture).
 */
static inline bool
flow_tcp_fast_ready(const struct flow_rec *r, unsigned d)
{
	const struct flow_hot *h = &r->hot;
	const struct tcp_dir *fwd = &r->tcp.dir[d];
	const struct tcp_dir *rev = &r->tcp.dir[d ^ 1];

	return ((h->ep >> (3 * (d ^ (h->flags & FF_CLIENT_HI)))) & 7u) != EP_INACTIVE &&
	       (fwd->bits & rev->bits & TD_BASE_SET) != 0 &&
	       !((rev->bits & TD_WIN_SET) && rev->window == 0);
}

/*
 * Cache flow_tcp_fast_ready() of both directions in TD_FAST: after the full chain and every
 * shortcut but flow_tcp_fast_ts(). That one only moves the bit's inputs towards ready (it
 * needs an active sender and leaves a non-zero window), so a bit it leaves clear is at worst
 * stale: the next segment takes the full chain, which sets it again. A set bit is never stale.
 */
static inline void
flow_tcp_fast_set(struct flow_rec *r)
{
	for (unsigned d = 0; d < 2; d++) {
		struct tcp_dir *dir = &r->tcp.dir[d];

		dir->bits = (uint8_t)((dir->bits & ~TD_FAST) |
				      (flow_tcp_fast_ready(r, d) ? TD_FAST : 0));
	}
}

/*
 * The common TCP segment in one pass: an ACK (PSH, URG, ECE, CWR allowed; no SYN, FIN, RST)
 * carrying exactly the next expected sequence number (not 0), a non-zero window, towards a
 * receiver whose window is not 0, from a Zeek endpoint that is not INACTIVE, with both base
 * sequence numbers set (so the flow is past NONE: its first analysed segment moved it); it
 * ACKs nothing unseen; its data is not all ACKed already (the endpoint, base sequence number
 * and receiver's window conditions read as one bit, TD_FAST). Then in the full chain
 * (flow_tcp_segment, tcp-analysis.md §2-§4):
 *   §2 rules 3-5: no SYN, both base sequence numbers set;
 *   1 zero-window probe: the receiver's window is not 0;
 *   2 zero window: win != 0;   3 lost segment: seq == nextseq;
 *   4 keep-alive: seq == nextseq, not nextseq - 1;
 *   5-9 (no data, the same ACK as last time): keep-alive ACK when the window is the same and
 *      the receiver's last segment was a keep-alive, else duplicate ACK when the window is the
 *      same (a counter about to reach its maximum is left to the full chain), else a window
 *      update (nothing); rule 8 needs a zero window;
 *   11 ACKed unseen: ack <= rev.maxseqtobeacked (or unset);
 *   12: sna is false (seq == nextseq) and spurious is excluded;
 *   13-18: done here exactly as the full chain does them;
 *   19: the handshake RTT when one is pending (the handshake's ACK);
 *   the state machine: SYN_SENT and SYN_RECEIVED go to ESTABLISHED, CLOSING to CLOSED when
 *   the ACK answers the last FIN, the others (RESET too) stay; Zeek's endpoints: a bare ACK
 *   moves only an INACTIVE one (the payload bit aside).
 * Returns TS_NONE, having changed nothing, when the segment does not qualify; else TS_IRTT
 * when this segment's handshake RTT waits in the TCP line, TS_HOT otherwise (decided where
 * rule 19 runs, so no value lives through the rest).
 * tests/unit/flow/test_flow_fast.c compares both paths byte for byte on random traffic.
 * Every field of @p is read where it is used, the new nextseq from @fwd and the sender's role
 * recomputed: kept in locals across the stores below (a byte store may alias @p, so the compiler
 * must keep what it loaded), they were spilled to the stack and loaded back, pass_apply() being
 * out of registers (7.7 stack accesses a packet fewer, callgrind, min-100k).
 */
static inline int
flow_tcp_fast_ts(struct flow_rec *r, const struct ns_pkt *p, unsigned d, uint32_t t)
{
	struct flow_hot *h = &r->hot;
	struct tcp_dir *fwd = &r->tcp.dir[d];
	const struct tcp_dir *rev = &r->tcp.dir[d ^ 1];
	bool dup = false;

	if ((p->tcp_flags & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST | NS_TCP_ACK)) != NS_TCP_ACK ||
	    p->tcp_seq != fwd->nextseq || p->tcp_seq == 0 || p->tcp_win == 0 ||
	    !(fwd->bits & TD_FAST) /* flow_tcp_fast_ready() */ ||
	    (rev->maxseqtobeacked != 0 && seq_gt(p->tcp_ack, rev->maxseqtobeacked)) ||
	    (p->payload_len > 0 && rev->lastack != 0 &&
	     seq_le(p->tcp_seq + p->payload_len, rev->lastack)))
		return TS_NONE;
	if (p->payload_len == 0 && p->tcp_ack == fwd->lastack) {
		/* 5-9: a duplicate ACK unless a window update or a keep-alive ACK */
		dup = (fwd->bits & TD_WIN_SET) && p->tcp_win == fwd->window &&
		      !(rev->bits & TD_KEEPALIVE);
		if (dup && r->cold.dupack[d] >= UINT16_MAX - 1)
			return TS_NONE;
	}

	/* 9, 10 (and 16's lastack time) */
	if (NS_UNLIKELY(dup)) {
		fwd->dupacks = (int8_t)(fwd->dupacks == -1        ? 1
					: fwd->dupacks < INT8_MAX ? fwd->dupacks + 1
								  : INT8_MAX);
		r->cold.dupack[d]++;
		flow_tcp_lastack_t(r, d, t);
	} else {
		flow_tcp_ack_rule10(r, d, p->tcp_ack, t);
	}
	/* 14-17 (seq_gt(nxt, nextseq) with seq == nextseq), and the payload bit */
	if (NS_LIKELY((int32_t)p->payload_len > 0)) {
		fwd->nextseq += p->payload_len;
		fwd->nextseq_t = t;
	}
	if (p->payload_len != 0)
		h->ep |= (uint8_t)(EP_DATA_ORIG << (d ^ (h->flags & FF_CLIENT_HI)));
	flow_tcp_rules15_17(fwd, p);
	r->tcp.tcp_flags[d] |= p->tcp_flags;
	/* 18: this segment cannot be a retransmission */
	flow_tcp_rtt(r, d, p->tcp_ack, t, (int32_t)p->payload_len > 0, fwd->nextseq);
	/* state machines, 19 (the handshake's ACK: its RTT may wait in the TCP line) */
	if (NS_UNLIKELY((1u << h->state) & TCP_ACK_MOVES))
		h->state = flow_tcp_ack_state(h, d);
	if (NS_UNLIKELY((h->flags & (FF_SYN | FF_IRTT)) == FF_SYN)) {
		flow_tcp_irtt(r, t);
		return flow_tcp_irtt_parked(r) ? TS_IRTT : TS_HOT;
	}
	return TS_HOT;
}

/* flow_tcp_fast_ts() as a yes or no (tests/unit/flow/test_flow_fast.c). */
static inline bool
flow_tcp_fast(struct flow_rec *r, const struct ns_pkt *p, unsigned d, uint32_t t)
{
	return flow_tcp_fast_ts(r, p, d, t) != TS_NONE;
}

/*
 * The FIN (with ACK; PSH, URG, ECE, CWR allowed; no SYN, RST) that carries exactly the next
 * expected sequence number (not 0) on an ESTABLISHED, MIDSTREAM or FIN_WAIT flow (so no Zeek
 * endpoint is reset: a RST moves the flow to RESET for good), towards a receiver whose window
 * is not 0, with both base sequence
 * numbers set, ACKing nothing unseen, its data (if any) not all ACKed already. Then in the
 * full chain: rules 1 (receiver's window), 3 (seq == nextseq) and 11 do not fire, 2, 4 and
 * 5-9 skip a FIN, 12 finds sna false and no spurious data; 13-18 count the FIN's sequence
 * number; 19 may complete the handshake RTT; the flow goes to FIN_WAIT (or, answering the
 * other side's FIN, CLOSING) and the sender's Zeek endpoint to CLOSED. Done here directly.
 * Returns false, having changed nothing, for any other segment.
 * tests/unit/flow/test_flow_fast.c compares both paths byte for byte.
 */
static inline bool
flow_tcp_fin(struct flow_rec *r, const struct ns_pkt *p, unsigned d, uint32_t t)
{
	struct flow_hot *h = &r->hot;
	struct flow_tcp *tc = &r->tcp;
	struct tcp_dir *fwd = &tc->dir[d];
	const struct tcp_dir *rev = &tc->dir[d ^ 1];
	const uint32_t seq = p->tcp_seq, ack = p->tcp_ack, seglen = p->payload_len;
	const uint32_t nxt = seq + seglen + 1;
	const unsigned resp = d ^ (h->flags & FF_CLIENT_HI);
	const unsigned findir = (h->flags & FF_FINDIR) ? 1u : 0u;
	const bool advanced = seq_gt(nxt, seq);

	if ((p->tcp_flags & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST | NS_TCP_ACK)) !=
		    (NS_TCP_FIN | NS_TCP_ACK) ||
	    seq != fwd->nextseq || seq == 0 ||
	    (h->state != NS_FLOW_TCP_ESTABLISHED && h->state != NS_FLOW_TCP_MIDSTREAM &&
	     h->state != NS_FLOW_TCP_FIN_WAIT) ||
	    (fwd->bits & rev->bits & TD_BASE_SET) == 0 ||
	    ((rev->bits & TD_WIN_SET) && rev->window == 0) ||
	    (rev->maxseqtobeacked != 0 && seq_gt(ack, rev->maxseqtobeacked)) ||
	    (seglen > 0 && rev->lastack != 0 && seq_le(seq + seglen, rev->lastack)))
		return false;

	tc->tcp_flags[d] |= p->tcp_flags;
	/* 10 (and 16's lastack time) */
	flow_tcp_ack_rule10(r, d, ack, t);
	/* 13-17 */
	if (advanced) {
		fwd->nextseq = nxt;
		fwd->nextseq_t = t;
	}
	flow_tcp_rules15_17(fwd, p);
	/* 18, 19 */
	flow_tcp_rtt(r, d, ack, t, advanced && seglen > 0, nxt);
	flow_tcp_irtt(r, t);
	/* state machines: FIN_WAIT (findir = d), or CLOSING when the other side's FIN came first */
	if (h->state != NS_FLOW_TCP_FIN_WAIT || d != findir) {
		h->state = h->state == NS_FLOW_TCP_FIN_WAIT ? NS_FLOW_TCP_CLOSING
							    : NS_FLOW_TCP_FIN_WAIT;
		h->flags = (uint8_t)((h->flags & ~FF_FINDIR) | (d ? FF_FINDIR : 0));
	}
	h->ep = (uint8_t)((h->ep & ~(7u << (3 * resp))) | EP_CLOSED << (3 * resp));
	if (seglen > 0)
		h->ep |= (uint8_t)(EP_DATA_ORIG << resp);
	flow_tcp_fast_set(r);
	return true;
}

/*
 * The bare SYN (no ACK, FIN or RST) that created its flow, on the record exactly as
 * flow_init() left it for that packet (TCP line zero, the sender is the client, state NONE,
 * endpoints inactive). The full chain (flow_tcp_segment) then sets the base sequence number
 * (§2 rule 5), skips rules 1-12 (SYN, nothing sent before, no ACK flag), starts nextseq and
 * maxseqtobeacked (13-15), stores window and ACK field (16, 17), times an RTT sample when the
 * SYN carries data (18), notes the SYN time (19) and moves to SYN_SENT / Zeek's SYN_SENT:
 * done here directly. Returns false, having changed nothing, for any other segment.
 * tests/unit/flow/test_flow_fast.c compares both paths byte for byte.
 */
static inline bool
flow_tcp_syn_new(struct flow_rec *r, const struct ns_pkt *p, unsigned d, uint32_t t)
{
	struct flow_hot *h = &r->hot;
	struct flow_tcp *tc = &r->tcp;
	struct tcp_dir *fwd = &tc->dir[d];
	const uint32_t seq = p->tcp_seq, seglen = p->payload_len;
	const uint32_t nxt = seq + seglen + 1;
	uint8_t flags = (uint8_t)(h->flags | FF_SYN);
	uint8_t ep = EP_SYN_SENT;

	if ((p->tcp_flags & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST | NS_TCP_ACK)) != NS_TCP_SYN)
		return false;
	tc->tcp_flags[d] = p->tcp_flags;
	r->cold.base_seq[d] = seq;
	fwd->nextseq = nxt;
	fwd->nextseq_t = t;
	fwd->maxseqtobeacked = nxt;
	fwd->window = p->tcp_win;
	fwd->lastack = p->tcp_ack; /* dupacks is 0: no lastack time to keep */
	fwd->bits = TD_BASE_SET | TD_WIN_SET;
	flow_tcp_syn_set(r, t);
	if (seglen > 0) {
		tc->rtt_seq = nxt;
		tc->rtt_t = t;
		flags |= (uint8_t)(FF_RTT_PEND | (d ? FF_RTT_DIR : 0));
		ep |= EP_DATA_ORIG;
	}
	h->flags = flags;
	h->state = NS_FLOW_TCP_SYN_SENT;
	h->ep = ep;
	flow_tcp_fast_set(r);
	return true;
}

/*
 * The SYN/ACK answering a flow's SYN: no payload, no FIN or RST, from the responder, on a flow
 * in SYN_SENT whose originator's Zeek endpoint is SYN_SENT and responder's inactive, with a
 * bare SYN timed (FF_SYN only: no RTT sample pending, no handshake RTT yet), a responder
 * direction never used, and an ACK field not beyond what the originator sent. The full chain
 * then sets the base sequence number (§2 rule 5), fires none of rules 1-12 (SYN; nothing sent
 * before in this direction; nothing ACKed unseen), starts nextseq and maxseqtobeacked (13-15),
 * stores window and ACK (16, 17), times SYN -> SYN/ACK (19), moves to SYN_RECEIVED and both
 * Zeek endpoints to ESTABLISHED: done here directly. Returns false, having changed nothing,
 * for any other segment. tests/unit/flow/test_flow_fast.c compares both paths byte for byte.
 */
static inline bool
flow_tcp_synack(struct flow_rec *r, const struct ns_pkt *p, unsigned d, uint32_t t)
{
	struct flow_hot *h = &r->hot;
	struct flow_tcp *tc = &r->tcp;
	struct tcp_dir *fwd = &tc->dir[d];
	const struct tcp_dir *rev = &tc->dir[d ^ 1];
	const uint32_t seq = p->tcp_seq, ack = p->tcp_ack;
	const bool orig = d == ((h->flags & FF_CLIENT_HI) ? 1u : 0u);

	if ((p->tcp_flags & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST | NS_TCP_ACK)) !=
		    (NS_TCP_SYN | NS_TCP_ACK) ||
	    p->payload_len != 0 || orig || h->state != NS_FLOW_TCP_SYN_SENT ||
	    (h->ep & 0x3f) != EP_SYN_SENT ||
	    (h->flags & (FF_SYN | FF_IRTT | FF_SYNACK | FF_RTT_PEND)) != FF_SYN ||
	    fwd->bits != 0 || !(rev->bits & TD_BASE_SET) ||
	    (rev->maxseqtobeacked != 0 && seq_gt(ack, rev->maxseqtobeacked)))
		return false;
	tc->tcp_flags[d] |= p->tcp_flags;
	r->cold.base_seq[d] = seq;
	fwd->nextseq = seq + 1;
	fwd->nextseq_t = t;
	fwd->maxseqtobeacked = seq + 1;
	fwd->window = p->tcp_win;
	fwd->lastack = ack; /* dupacks is 0 (the direction never sent): no time to keep */
	fwd->bits = TD_BASE_SET | TD_WIN_SET;
	r->cold.syn_synack_us = t - flow_tcp_syn_t(r);
	h->flags |= FF_SYNACK;
	h->state = NS_FLOW_TCP_SYN_RECEIVED;
	h->ep = (uint8_t)((h->ep & (EP_DATA_ORIG | EP_DATA_RESP)) | EP_ESTABLISHED |
			  EP_ESTABLISHED << 3);
	flow_tcp_fast_set(r);
	return true;
}

/* tshark's fast-retransmission window and default out-of-order threshold (tcp-analysis.md). */
#define FAST_RETRANS_US 20000u
#define OOO_DEFAULT_US 3000u

/*
 * A segment wholly below the next expected sequence number: the retransmission (or, without
 * data, the old ACK) that a replayed capture is made of. An ACK (PSH, URG, ECE, CWR allowed;
 * no SYN, FIN, RST) from a Zeek endpoint that is not INACTIVE, with both base sequence numbers
 * set; nextseq is set, seq < nextseq - 1 and seq + len <= nextseq; the window is not 0; the
 * ACK passes nothing unseen. Then in the full chain (flow_tcp_segment, tcp-analysis.md
 * §2-§4):
 *   §2 rules 3-5: no SYN, both base sequence numbers set;
 *   1 zero-window probe: needs seq == nextseq;   2 zero window: win != 0;
 *   3 lost segment: seq < nextseq;   4 keep-alive: seq != nextseq - 1;
 *   5-9: need seq == nextseq;   10: done here;   11 ACKed unseen: excluded;
 *   12 (data only): sna holds (seq < nextseq, and not the "nextseq - 1" exception), so it is
 *      spurious when the receiver ACKed all of it, else fast retransmission (when the receiver
 *      sent >= 2 duplicate ACKs of exactly seq: left to the full chain, which checks the 20 ms
 *      window), else out-of-order (within the iRTT or 3 ms of the last advance, and not ending
 *      at nextseq: left to the full chain), else a plain retransmission;
 *   13-15: nothing advances; maxseqtobeacked may catch up with nextseq;
 *   16, 17: window, ACK, its time, no keep-alive or ZWP;
 *   18: a pending sample of the other direction completes as usual; one of this direction
 *      is cancelled by a retransmission (Karn); nothing new is timed;
 *   19 and the state machines: as for flow_tcp_fast().
 * A counter that would reach its maximum (the caller's OVERFLOW record) is left to the full
 * chain too. Returns false, having changed nothing, when the segment does not qualify.
 * tests/unit/flow/test_flow_fast.c compares both paths byte for byte.
 */
static inline bool
flow_tcp_below(struct flow_rec *r, const struct ns_pkt *p, unsigned d, uint32_t t)
{
	struct flow_hot *h = &r->hot;
	struct flow_tcp *tc = &r->tcp;
	struct flow_cold *c = &r->cold;
	struct tcp_dir *fwd = &tc->dir[d];
	const struct tcp_dir *rev = &tc->dir[d ^ 1];
	const uint32_t seq = p->tcp_seq, ack = p->tcp_ack, seglen = p->payload_len;
	const uint32_t nxt = seq + seglen;
	const uint32_t below = fwd->nextseq - seq; /* >= 2: seq < nextseq - 1 */
	const unsigned resp = d ^ (h->flags & FF_CLIENT_HI); /* the sender is the responder */

	if ((p->tcp_flags & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST | NS_TCP_ACK)) != NS_TCP_ACK ||
	    (int32_t)below < 2 || seglen > below || fwd->nextseq == 0 || p->tcp_win == 0 ||
	    ((h->ep >> (3 * resp)) & 7u) == EP_INACTIVE ||
	    (fwd->bits & rev->bits & TD_BASE_SET) == 0 ||
	    (rev->maxseqtobeacked != 0 && seq_gt(ack, rev->maxseqtobeacked)))
		return false;
	if (seglen > 0) {
		/* 12: spurious, else fast or out-of-order (full chain), else plain */
		bool spurious = rev->lastack != 0 && seq_le(nxt, rev->lastack);

		if (spurious) {
			if (c->retrans[d] >= UINT16_MAX - 1 || c->spurious >= UINT16_MAX - 1)
				return false;
			c->spurious++;
		} else {
			uint32_t ooo_us = (h->flags & FF_IRTT) ? flow_tcp_irtt_us(r) : OOO_DEFAULT_US;

			if ((rev->dupacks >= 2 && rev->lastack == seq) ||
			    ((uint32_t)(t - fwd->nextseq_t) < ooo_us && below != seglen) ||
			    c->retrans[d] >= UINT16_MAX - 1)
				return false;
		}
		c->retrans[d]++;
		h->ep |= (uint8_t)(EP_DATA_ORIG << resp);
		/* 18: Karn's rule cancels a sample of this direction */
		if ((h->flags & (FF_RTT_PEND | FF_RTT_DIR)) == (FF_RTT_PEND | (d ? FF_RTT_DIR : 0)))
			h->flags &= (uint8_t)~FF_RTT_PEND;
	}
	tc->tcp_flags[d] |= p->tcp_flags;
	/* 10 (and 16's lastack time) */
	flow_tcp_ack_rule10(r, d, ack, t);
	/* 15-17 */
	flow_tcp_rules15_17(fwd, p);
	/* 18: the ACK may complete a sample of the other direction; nothing new is timed */
	flow_tcp_rtt(r, d, ack, t, false, nxt);
	/* 19, state machines */
	flow_tcp_irtt(r, t);
	h->state = flow_tcp_ack_state(h, d);
	flow_tcp_fast_set(r);
	return true;
}

/*
 * The shortcuts above, each tried only on the flags it takes. @created: the record was set up
 * for this packet by flow_init() (only flow_tcp_syn_new() applies then; the others need a
 * state a new flow does not have). Returns TS_NONE, having changed nothing, when the segment
 * takes the full chain (flow_tcp_segment); else whether the shortcut used the cold line.
 */
static inline int
flow_tcp_shortcut(struct flow_rec *r, const struct ns_pkt *p, unsigned d, uint32_t t, bool created)
{
	if (created)
		return flow_tcp_syn_new(r, p, d, t) ? TS_COLD : TS_NONE;
	/* the ACK first: a switch tested it after the FIN and the SYN/ACK */
	if (NS_LIKELY((p->tcp_flags & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST | NS_TCP_ACK)) ==
		      NS_TCP_ACK)) {
		if (NS_LIKELY(p->tcp_seq == r->tcp.dir[d].nextseq))
			return flow_tcp_fast_ts(r, p, d, t);
		if (!flow_tcp_below(r, p, d, t))
			return TS_NONE;
		return p->payload_len != 0 ? TS_COLD : TS_HOT; /* retransmissions are counted */
	}
	switch (p->tcp_flags & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST | NS_TCP_ACK)) {
	case NS_TCP_FIN | NS_TCP_ACK:
		return flow_tcp_fin(r, p, d, t) ? TS_HOT : TS_NONE;
	case NS_TCP_SYN | NS_TCP_ACK:
		return flow_tcp_synack(r, p, d, t) ? TS_COLD : TS_NONE;
	default:
		return TS_NONE;
	}
}

/*
 * Before a pass of @n packets: pass_match() prefetches the cold line of TCP flows' records
 * only when at least a quarter of the previous pass's packets were segments of known flows
 * that used it. In-order traffic touches it about once per handshake (~8% of the benchmark
 * captures' packets), a replayed or lossy capture on most data segments.
 */
static inline void
flow_cold_roll(struct ns_flow_table *t, unsigned n)
{
	/* the previous pass's waiting handshake RTTs: their cold lines were prefetched */
	for (unsigned i = 0; i < t->irtt_n; i++)
		flow_tcp_irtt_unpark(&t->recs[t->irtt_pend[i]]);
	t->irtt_n = 0;
	t->cold_pf = t->cold_uses * 4u >= t->cold_n;
	t->cold_uses = 0;
	t->cold_n = (uint8_t)n;
}

/*
 * Whether pass_match() prefetches, for writing, the cold line of the record of TCP segment
 * @p's flow: in a pass that flow_cold_roll() chose (@pass_pf, t->cold_pf read once a pass),
 * and for every SYN (the SYN/ACK stores its base sequence number and the SYN -> SYN/ACK time
 * there; a SYN on a known flow reads the base sequence numbers) and RST (its counter).
 */
static inline bool
flow_tcp_cold_pf(bool pass_pf, const struct ns_pkt *p)
{
	return pass_pf || (p->tcp_flags & (NS_TCP_SYN | NS_TCP_RST)) != 0;
}

/*
 * Queue record @r, whose handshake RTT waits in its TCP line, for the next flow_cold_roll()
 * and prefetch its cold line for it (with the queue full, store it now).
 */
static inline void
flow_irtt_queue(struct ns_flow_table *t, struct flow_rec *r)
{
	if (t->irtt_n < NS_FLOW_BURST) {
		t->irtt_pend[t->irtt_n++] = (uint32_t)(r - t->recs);
		__builtin_prefetch(&r->cold, 1);
	} else {
		flow_tcp_irtt_unpark(r);
	}
}

/*
 * TCP analysis of segment @p of flow @r, direction @d, at @t_us: a shortcut when one takes it
 * (t->tcp_fast), else the full chain. Counts the segments that used the cold line
 * (t->cold_uses). Returns true when an event counter reached its maximum or the running RTT
 * statistics are full (flow_rtt_full()): the caller emits an OVERFLOW interim record.
 */
static inline bool
flow_tcp_analyse(struct ns_flow_table *t, struct flow_rec *r, const struct ns_pkt *p, unsigned d,
		 uint32_t t_us, bool created)
{
	int s = NS_LIKELY(t->tcp_fast) ? flow_tcp_shortcut(r, p, d, t_us, created) : TS_NONE;

	if (NS_LIKELY(s == TS_HOT))
		return NS_UNLIKELY(flow_rtt_full(r));
	if (s == TS_IRTT) {
		flow_irtt_queue(t, r);
		return NS_UNLIKELY(flow_rtt_full(r));
	}
	if (!created)
		t->cold_uses++;
	return (s == TS_NONE && flow_tcp_segment(r, p, d, t_us)) || flow_rtt_full(r);
}

#endif /* NS_FLOW_PRIV_H */
