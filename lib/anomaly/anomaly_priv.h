/* SPDX-License-Identifier: MIT */
/*
 * Internals of lib/anomaly shared by the shard (worker) and the engine (management): the
 * bounded hash table every counter lives in, the slot tables a shard hands over, and the
 * engine's per-detector state. See docs/anomaly-detection.md for the design.
 */
#ifndef ANOMALY_PRIV_H
#define ANOMALY_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ns_anomaly.h"
#include "ns_core.h"

/* A packet time farther than this from a shard's clock moves it only once confirmed. */
#define ANOMALY_JUMP_NS (2ull * 86400 * NS_NSEC_PER_SEC)

/* ---- bounded open-addressing table ---- */

/*
 * Every entry starts with a 32-bit tag (the key's hash, never 0; 0 marks a free bucket)
 * followed by the key at offset 4 and then the value. Capacity is a power of two at least
 * 1.5 times the entry limit, so linear probing always finds a free bucket and stays short. An
 * insert past the limit fails and the caller counts it: that is the cap. Tables made with an
 * order list remember their used buckets, so iterating and clearing cost the entries used,
 * not the capacity; those tables never delete.
 */
struct tab {
	uint8_t *mem; /* capacity * stride bytes */
	uint32_t *order; /* used bucket indices in insertion order */
	uint32_t count; /* entries used */
	uint32_t limit; /* entries allowed */
	uint32_t mask; /* capacity - 1 */
	uint32_t stride; /* entry size */
	uint32_t key_len; /* key bytes at offset 4 */
};

#define TAB_KEY_OFF 4

int tab_init(struct tab *t, uint32_t limit, uint32_t stride, uint32_t key_len);
void tab_fini(struct tab *t);
void *tab_find(const struct tab *t, const void *key, uint32_t hash);
/* Find or insert (value zeroed); NULL when the table is full. *fresh says which. */
void *tab_insert(struct tab *t, const void *key, uint32_t hash, bool *fresh);
void tab_clear(struct tab *t);

static inline void *
tab_nth(const struct tab *t, uint32_t n)
{
	return t->mem + (size_t)t->order[n] * t->stride;
}

/*
 * Entries a table built for @max_sources keys may hold: the keys themselves plus a reserve
 * for the per-victim overflow keys that keep a victim's totals once its sources no longer
 * fit (an eighth: room for as many victims as a full table has sources per victim). Past the
 * reserve, a victim without an overflow key loses its counts (counted as overflow_full).
 */
static inline uint32_t
tab_limit(uint32_t max_sources)
{
	return max_sources + max_sources / 8 + 16;
}

/* Keys are hashed as bytes; every key struct has explicit zeroed padding. */
uint32_t anomaly_hash(const void *key, size_t len);

static inline uint32_t
tag_of(uint32_t h)
{
	return h != 0 ? h : 1;
}

/*
 * SYN counts saturate instead of wrapping: 2^32 SYNs take a 10 Gb/s link some days, but one
 * wrap would turn the largest flood into the smallest. 64-bit counts would double the size of
 * the slot tables' values for that alone.
 */
static inline void
sat_add32(uint32_t *c, uint32_t v)
{
	*c = *c > UINT32_MAX - v ? UINT32_MAX : *c + v;
}

int addr_cmp(const struct ns_addr *a, const struct ns_addr *b);
bool addr_is_group(const struct ns_addr *a); /* multicast or IPv4 limited broadcast */

/* ---- what a shard counts per slot ---- */

enum slot_kind {
	KIND_SYN = 0, /* SYNs and completions per (source, destination, port) */
	KIND_SCAN, /* failed probes per (source, destination, port, protocol) */
	KIND_MAX
};

/* SYN key: one per source, victim, destination port and slot. */
#define SYN_F_ANY_SRC 0x1 /* overflow bucket: the source table was full */

/*
 * A table covers more than one slot only when its shard's hand-off stalled. Its SYN entries
 * then carry the slot they were counted in, so the engine judges every count with its own
 * slot: summed into one slot they would stay in the window after their time, and a steady
 * rate under the threshold would read as a flood. The slot is an index into the table's list
 * of the distinct slots its shard's clock was open in (slot_table.slots), not a distance from
 * its first slot: a gap in packet time inside a stall (sparse traffic, an offline replay) then
 * costs one index, not the quiet slots it skipped. One byte keeps the key at its size; only a
 * stall whose table was open in more than SLOT_IDX_N distinct slots (over four minutes of
 * traffic in every slot at the default window) judges its later slots as its last one: they
 * share the last index.
 */
#define SLOT_IDX_N (UINT8_MAX + 1)

struct syn_key {
	struct ns_addr src;
	struct ns_addr dst;
	uint16_t dport;
	uint8_t flags;
	uint8_t slot_idx; /* its slot: slot_table.slots[slot_idx] (0 unless the hand-off stalled) */
};

struct syn_ent {
	uint32_t tag;
	struct syn_key k;
	uint32_t syn; /* SYNs (without ACK) sent */
	uint32_t done; /* handshakes completed */
};

/* A failed probe: scanner, target, port, protocol. */
struct probe_key {
	struct ns_addr src;
	struct ns_addr dst;
	uint16_t dport;
	uint8_t proto;
	uint8_t pad;
};

struct probe_ent {
	uint32_t tag;
	struct probe_key k;
	uint64_t slot; /* latest slot the probe failed in (its own time, not the table's) */
	uint8_t fails; /* 1 << enum ns_anomaly_fail, every reason seen */
	uint8_t pad[7];
};

/*
 * A finished slot travels from the worker to the engine and back as this table. Whoever holds
 * it owns it: the worker fills it, the engine reads it once the ring has carried it over.
 */
struct slot_table {
	struct tab tab;
	uint64_t slot_first; /* slots it covers (more than one only when the hand-off stalled) */
	uint64_t slot_last;
	uint32_t kind;
	uint32_t n_slots; /* entries of slots[] */
	/* The distinct slots its shard's clock was open in while it held counts, ascending: the
	 * first is slot_first, the last slot_last (once all are used, the last one follows the
	 * open slot). A SYN entry's slot_idx indexes it. */
	uint64_t slots[SLOT_IDX_N];
	/* engine only, set when it receives the table: */
	uint64_t next; /* first slot whose counts are still to merge; UINT64_MAX: none */
	uint64_t has[SLOT_IDX_N / 64]; /* bit i: counts of slots[i] */
};

/* The index of the first of @t's slots at or after @slot; n_slots when there is none. */
static inline unsigned
table_idx(const struct slot_table *t, uint64_t slot)
{
	unsigned lo = 0, hi = t->n_slots;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (t->slots[mid] < slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static inline bool
table_has(const struct slot_table *t, uint64_t slot)
{
	unsigned i = table_idx(t, slot);

	return i < t->n_slots && t->slots[i] == slot && (t->has[i / 64] & (1ull << (i % 64)));
}

/* worker -> engine message; table NULL is a watermark. */
struct slot_msg {
	struct slot_table *table;
	uint64_t done_before; /* every slot below this is finished for this shard and kind */
	uint32_t kind;
	uint32_t pad;
};

/*
 * Tables per kind per shard: one being filled, the rest in flight or free. Four lets the
 * engine hold three finished slots before a worker has to merge slots (counted as a stall);
 * the worker reuses the most recently returned table first, so in steady state only two are
 * ever touched and the others cost address space, not memory.
 */
#define SHARD_POOL 4
#define SHARD_RING 64 /* messages: 2 * SHARD_POOL tables plus watermarks, rounded up */

struct shard_clock {
	uint64_t slot_ns;
	uint64_t open; /* slot being filled */
	uint64_t open_end; /* its end, ns */
	uint64_t sent_done_before;
	bool started;
	struct slot_table *cur;
	struct slot_table *pool[SHARD_POOL];
	struct slot_table *free_stack[SHARD_POOL];
	uint32_t n_free;
	struct ns_ring *free_ring; /* engine -> worker: tables given back */
};

/* A handshake or UDP exchange waiting for its answer, keyed client -> server. */
struct pending_key {
	struct ns_addr cli;
	struct ns_addr srv;
	uint16_t cport;
	uint16_t sport;
	uint8_t proto;
	uint8_t pad[3];
};

#define PEND_ANSWERED 0x1 /* SYN-ACK seen */

struct pending_ent {
	uint32_t tag;
	struct pending_key k;
	uint32_t isn; /* client's initial sequence number */
	uint32_t srv_isn; /* server's, once PEND_ANSWERED */
	uint8_t flags;
	uint8_t pad[3];
};

/*
 * Pending table: open addressing with deletion (backward shift). The expiry times live in a
 * parallel array so the no-answer walk reads 8 bytes per bucket instead of a cache line, and
 * home_count[i] (entries whose home bucket is i, at most the probe length) lets the common
 * miss - an ACK of an established connection - stop without touching the table.
 */
struct pending {
	struct pending_ent *ents;
	uint64_t *expire; /* 0 = free bucket */
	uint8_t *home_count;
	uint32_t mask;
	uint32_t count;
	uint32_t limit;
};

struct ns_anomaly_shard {
	struct ns_anomaly_params p;
	uint64_t no_answer_ns;
	uint64_t now; /* worker only: latest packet or advance time */
	uint64_t jump_ns; /* farther than this from the clock, a time needs confirming */
	uint64_t suspect_ns; /* a far time waiting for the next one to confirm it */
	bool suspect;
	struct shard_clock clk[KIND_MAX];
	struct pending pend;
	struct ns_ring *out; /* worker -> engine */
	bool attached; /* set by the engine before the worker starts */
	uint64_t cnt[NS_ANOMALY_C_MAX]; /* worker only */
	/* worker: rw (relaxed stores once per burst), engine: ro (relaxed loads) */
	_Atomic uint64_t pub[NS_ANOMALY_C_MAX] NS_CACHE_ALIGNED;
};

/* ---- engine ---- */

struct shard_link {
	struct ns_anomaly_shard *shard;
	uint64_t done_before[KIND_MAX];
	uint64_t first[KIND_MAX];
	bool reported[KIND_MAX];
	struct slot_table *held[KIND_MAX][SHARD_POOL + 1];
	uint32_t n_held[KIND_MAX];
};

struct eng_clock {
	uint64_t slot_ns;
	uint64_t next; /* next slot to evaluate */
	bool started;
};

/* Per-slot host aggregate (SYN detector), one per (address, role). */
struct host_key {
	struct ns_addr addr;
	uint8_t role; /* NS_ANOMALY_ROLE_VICTIM / _ATTACKER */
	uint8_t pad[3];
};

struct host_agg {
	uint32_t tag;
	struct host_key k;
	uint32_t syn;
	uint32_t done;
	uint32_t targets; /* victim: distinct ports; attacker: distinct (victim, port) */
	uint32_t peers; /* victim: distinct sources; attacker: distinct victims */
	uint32_t ports; /* distinct destination ports */
	uint32_t top_peer_syn; /* SYNs of the busiest peer */
	struct ns_addr top_peer;
};

struct pair_key {
	struct ns_addr victim;
	struct ns_addr src;
};

struct pair_ent {
	uint32_t tag;
	struct pair_key k;
	uint32_t syn;
};

struct port_key {
	struct ns_addr addr;
	uint16_t port;
	uint8_t role;
	uint8_t pad;
};

struct port_ent {
	uint32_t tag;
	struct port_key k;
	uint32_t syn;
};

struct syn_det {
	struct tab merge; /* syn_ent: all shards' slot summed */
	struct tab ring[NS_ANOMALY_SLOTS]; /* host_agg per slot */
	uint64_t ring_slot[NS_ANOMALY_SLOTS];
	bool ring_used[NS_ANOMALY_SLOTS];
	struct tab pairs; /* pair_ent of the slot */
	struct tab ports; /* port_ent of the slot */
};

/* Scan aggregates over the window. */
struct sd_key { /* scanner, target, protocol */
	struct ns_addr src;
	struct ns_addr dst;
	uint8_t proto;
	uint8_t pad[3];
};

struct sd_ent {
	uint32_t tag;
	struct sd_key k;
	uint32_t ports;
};

struct sp_key { /* scanner, port, protocol */
	struct ns_addr src;
	uint16_t port;
	uint8_t proto;
	uint8_t pad;
};

struct sp_ent {
	uint32_t tag;
	struct sp_key k;
	uint32_t hosts;
};

struct scanner_key {
	struct ns_addr src;
	uint8_t proto;
	uint8_t pad[3];
};

struct scanner_ent {
	uint32_t tag;
	struct scanner_key k;
	uint32_t probes;
	uint32_t dports; /* distinct ports over all hosts */
	uint32_t dhosts; /* distinct hosts over all ports */
	uint32_t vmax; /* most ports on one host ... */
	struct ns_addr vdst; /* ... that host */
	uint32_t hmax; /* most hosts on one port ... */
	uint16_t hport; /* ... that port */
	uint16_t pad;
	uint32_t fails[NS_ANOMALY_FAIL_MAX];
};

struct scan_det {
	struct tab win[2]; /* probe_ent: the window, aged by copying live entries across */
	int cur;
	struct tab sd;
	struct tab sp;
	struct tab scanners;
};

/* Alerts: the active set (indexed by key) and the list of recently cleared ones. */
struct alert_key {
	struct ns_addr addr;
	uint8_t sig;
	uint8_t role;
	uint8_t proto;
	uint8_t pad;
};

struct alert_idx_ent {
	uint32_t tag;
	struct alert_key k;
	uint32_t idx;
};

struct active_alert {
	bool used;
	bool raised_now; /* raised in the evaluation under way */
	bool held; /* condition held in the evaluation under way */
	uint64_t last_event_ns;
	uint64_t eval_slot; /* evaluation that last looked at it (avoids double work) */
	struct alert_key key;
	struct ns_anomaly_alert a;
	/* this slot's top lists, folded into a.syn's lifetime lists after the pass */
	struct ns_anomaly_top slot_peers[NS_ANOMALY_TOP];
	struct ns_anomaly_top slot_ports[NS_ANOMALY_TOP];
	uint8_t n_slot_peers, n_slot_ports;
	uint64_t top_total; /* SYNs behind the lifetime top lists: the share of "stands out" */
};

struct ns_anomaly_engine {
	struct ns_anomaly_params p;
	uint64_t window_ns[KIND_MAX];
	uint64_t clear_after_ns;
	uint64_t lateness_ns;
	struct shard_link *links;
	uint32_t n_links;
	struct eng_clock clk[KIND_MAX];
	struct syn_det syn;
	struct scan_det scan;
	uint64_t next_id;
	uint64_t cnt[NS_ANOMALY_C_MAX];

	struct active_alert *active; /* max_alerts */
	struct active_alert **scratch; /* max_alerts pointers for ordered passes */
	void **cands; /* raise candidates of one evaluation, sorted by key */
	uint32_t cands_cap;
	uint32_t n_active;
	struct tab alert_idx; /* alert_idx_ent -> active[] */

	struct ns_anomaly_alert *cleared; /* ring of recently cleared alerts */
	uint32_t cleared_head, cleared_n;

	struct ns_anomaly_alert *events; /* queue for ns_anomaly_engine_poll() */
	uint32_t ev_head, ev_n, ev_cap;

	uint64_t events_total; /* events ever queued */
	uint32_t n_active_sig[NS_ANOMALY_SIGNATURE_MAX];
	uint64_t last_data[KIND_MAX]; /* last slot whose evaluation merged any data */
	uint64_t last_eval_ns; /* time of the latest evaluation */
	bool finishing; /* evaluation times are clamped to finish_now */
	uint64_t finish_now;
};

/* format.c: validate @in and fill the defaults of its zero fields into @out; 0 or -EINVAL */
int params_check(const struct ns_anomaly_params *in, struct ns_anomaly_params *out);

/* detect_syn.c */
int syn_det_init(struct syn_det *d, uint32_t limit);
void syn_det_fini(struct syn_det *d);
void syn_eval(struct ns_anomaly_engine *e, uint64_t slot, uint64_t now);

/* detect_scan.c */
int scan_det_init(struct scan_det *d, uint32_t limit);
void scan_det_fini(struct scan_det *d);
void scan_eval(struct ns_anomaly_engine *e, uint64_t slot, uint64_t now);

/*
 * engine.c: merge input. A table is merged slot by slot, at every slot it holds counts of, and
 * given back after the last one. engine_take_tables() calls @fn for every held table of @kind
 * with counts of @slot or of an earlier slot still to merge (a table that came late), then
 * moves those tables past @slot. engine_each_table() calls @fn for every held table of @kind;
 * engine_next_counts() returns the earliest slot a held table of @kind still has counts of
 * (UINT64_MAX for none).
 */
typedef void (*merge_fn)(struct ns_anomaly_engine *e, const struct slot_table *t, void *arg);
void engine_take_tables(struct ns_anomaly_engine *e, unsigned kind, uint64_t slot, merge_fn fn,
			void *arg);
void engine_each_table(struct ns_anomaly_engine *e, unsigned kind, merge_fn fn, void *arg);
uint64_t engine_next_counts(const struct ns_anomaly_engine *e, unsigned kind);

/* alert.c: life cycle */
struct active_alert *alert_find(struct ns_anomaly_engine *e, const struct alert_key *k);
struct active_alert *alert_raise(struct ns_anomaly_engine *e, const struct alert_key *k,
				 uint64_t now);
void alert_emit(struct ns_anomaly_engine *e, struct active_alert *al, unsigned state, uint64_t now);
/* updates and clears for @sig after an evaluation at @now with window @window_ns */
void alert_lifecycle(struct ns_anomaly_engine *e, unsigned sig, uint64_t now, uint64_t window_ns);
void alert_clear_all(struct ns_anomaly_engine *e, uint64_t now);
void alert_key_make(struct alert_key *k, unsigned sig, unsigned role, const struct ns_addr *a,
		    unsigned proto);
void top_insert(struct ns_anomaly_top *list, uint8_t *n, const struct ns_anomaly_top *item,
		bool by_port);
void top_fold(struct ns_anomaly_top *life, uint8_t *n_life, const struct ns_anomaly_top *slot,
	      uint8_t n_slot, bool by_port);

#endif /* ANOMALY_PRIV_H */
