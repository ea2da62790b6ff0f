/* SPDX-License-Identifier: MIT */
/*
 * The worker side of anomaly detection. A shard sees the packets of its worker only (both
 * directions of a connection land on the same worker through the symmetric hash), keeps the
 * handshakes and UDP exchanges waiting for an answer, and counts per time slot: SYNs and
 * completed handshakes per (source, destination, port), and failed probes per (scanner,
 * target, port, protocol). When packet time crosses a slot boundary the finished table goes to
 * the engine through an SPSC ring and a free one comes back through another: the engine never
 * reads a table the worker is writing. Nothing here allocates, locks or calls the kernel.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly_priv.h"

/* Packets classified per pass; the burst is staged in chunks of this many. */
#define CHUNK 32

/* ---- pending table ---- */

static int
pending_init(struct pending *pd, uint32_t limit)
{
	uint64_t cap = 16;

	memset(pd, 0, sizeof(*pd));
	while (cap < 2ull * limit)
		cap <<= 1;
	/* calloc, not hugepages: see tab.c */
	pd->ents = calloc(cap, sizeof(struct pending_ent));
	pd->expire = calloc(cap, sizeof(uint64_t));
	pd->home_count = calloc(cap, 1);
	if (pd->ents == NULL || pd->expire == NULL || pd->home_count == NULL)
		return -ENOMEM;
	pd->mask = (uint32_t)(cap - 1);
	pd->limit = limit;
	return 0;
}

static void
pending_fini(struct pending *pd)
{
	free(pd->ents);
	free(pd->expire);
	free(pd->home_count);
	memset(pd, 0, sizeof(*pd));
}

static inline uint32_t
pending_home(const struct pending *pd, uint32_t tag)
{
	return tag & pd->mask;
}

static struct pending_ent *
pending_find(const struct pending *pd, const struct pending_key *k, uint32_t hash)
{
	uint32_t tag = tag_of(hash);
	uint32_t i = pending_home(pd, tag);

	if (pd->home_count[i] == 0)
		return NULL;
	for (;; i = (i + 1) & pd->mask) {
		struct pending_ent *e = &pd->ents[i];

		if (e->tag == 0)
			return NULL;
		if (e->tag == tag && memcmp(&e->k, k, sizeof(*k)) == 0)
			return e;
	}
}

static void pending_delete(struct pending *pd, struct pending_ent *victim);

/*
 * A full table makes room by evicting the entry that has waited longest among the first few
 * found from the new key's home bucket. Under a spoofed flood those are the flood's SYNs that
 * nobody will ever answer, while a real handshake completes within a round trip and is rarely
 * the oldest; refusing new entries instead would blind completion tracking for every other
 * server for as long as the flood lasts. Eight candidates make the oldest of them older than
 * ~90% of the table (1 - 0.75^8) at the cost of a few more cache lines on an already rare path.
 */
#define EVICT_SAMPLE 8
#define EVICT_SCAN 64

static bool
pending_evict(struct pending *pd, uint32_t home)
{
	uint32_t best = UINT32_MAX, seen = 0, i = home;

	for (uint32_t n = 0; n < EVICT_SCAN && seen < EVICT_SAMPLE; n++, i = (i + 1) & pd->mask) {
		if (pd->expire[i] == 0)
			continue;
		seen++;
		if (best == UINT32_MAX || pd->expire[i] < pd->expire[best])
			best = i;
	}
	if (best == UINT32_MAX)
		return false;
	pending_delete(pd, &pd->ents[best]);
	return true;
}

/* Insert; *evicted says an older entry made room. NULL when no room could be made. */
static struct pending_ent *
pending_insert(struct pending *pd, const struct pending_key *k, uint32_t hash, uint64_t expire,
	       bool *evicted)
{
	uint32_t tag = tag_of(hash);
	uint32_t home = pending_home(pd, tag);
	uint32_t i = home;

	*evicted = false;
	if (pd->count >= pd->limit) {
		if (!pending_evict(pd, home))
			return NULL;
		*evicted = true;
	}
	while (pd->ents[i].tag != 0)
		i = (i + 1) & pd->mask;
	memset(&pd->ents[i], 0, sizeof(pd->ents[i]));
	pd->ents[i].tag = tag;
	pd->ents[i].k = *k;
	pd->expire[i] = expire;
	/* 255 is sticky: "some, probe to find out" */
	if (pd->home_count[home] != UINT8_MAX)
		pd->home_count[home]++;
	pd->count++;
	return &pd->ents[i];
}

/* Delete by backward shift, so lookups never need tombstones. */
static void
pending_delete(struct pending *pd, struct pending_ent *victim)
{
	uint32_t i = (uint32_t)(victim - pd->ents);
	uint32_t home = pending_home(pd, victim->tag);
	uint32_t j = i;

	if (pd->home_count[home] != UINT8_MAX)
		pd->home_count[home]--;
	for (;;) {
		uint32_t k;

		j = (j + 1) & pd->mask;
		if (pd->ents[j].tag == 0)
			break;
		k = pending_home(pd, pd->ents[j].tag);
		/* The entry at j may fill the hole at i unless its home lies cyclically in (i, j].
		 */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		pd->ents[i] = pd->ents[j];
		pd->expire[i] = pd->expire[j];
		i = j;
	}
	memset(&pd->ents[i], 0, sizeof(pd->ents[i]));
	pd->expire[i] = 0;
	pd->count--;
}

/* ---- slot tables ---- */

static struct slot_table *
slot_table_new(unsigned kind, uint32_t limit)
{
	struct slot_table *t = calloc(1, sizeof(*t));
	int rc;

	if (t == NULL)
		return NULL;
	t->kind = kind;
	if (kind == KIND_SYN) /* room for the overflow keys above max_sources */
		rc = tab_init(&t->tab, tab_limit(limit), sizeof(struct syn_ent),
			      sizeof(struct syn_key));
	else
		rc = tab_init(&t->tab, limit, sizeof(struct probe_ent), sizeof(struct probe_key));
	if (rc < 0) {
		free(t);
		errno = -rc;
		return NULL;
	}
	return t;
}

static void
slot_table_free(struct slot_table *t)
{
	if (t == NULL)
		return;
	tab_fini(&t->tab);
	free(t);
}

static struct slot_table *
take_free(struct shard_clock *c)
{
	struct slot_table *back[SHARD_POOL];
	uint32_t n = ns_ring_dequeue_burst(c->free_ring, back, SHARD_POOL);

	/* LIFO: the most recently returned table is the one still warm in cache. */
	for (uint32_t i = 0; i < n && c->n_free < SHARD_POOL; i++)
		c->free_stack[c->n_free++] = back[i];
	if (c->n_free == 0)
		return NULL;
	return c->free_stack[--c->n_free];
}

/*
 * Messages other than tables leave room in the ring for every table of the shard, so a table
 * handed over for the last time (ns_anomaly_shard_flush()) always fits: a table is in one place
 * at a time, so the ring never holds more than KIND_MAX * SHARD_POOL of them.
 */
#define RING_TABLE_RESERVE (KIND_MAX * SHARD_POOL)

static bool
ring_room(const struct ns_anomaly_shard *s)
{
	return ns_ring_count(s->out) + RING_TABLE_RESERVE < ns_ring_capacity(s->out);
}

/*
 * @t counts in @slot from now on. An empty table starts at it; one that holds counts (its
 * hand-off stalled) lists it as a slot of its own, however many quiet slots lie between, until
 * every index is used and the last one follows the open slot (see SLOT_IDX_N).
 */
static void
table_open(struct slot_table *t, uint64_t slot)
{
	if (t->tab.count == 0) {
		t->slot_first = slot;
		t->n_slots = 1;
		t->slots[0] = slot;
	} else if (slot != t->slot_last) {
		if (t->n_slots < SLOT_IDX_N)
			t->n_slots++;
		t->slots[t->n_slots - 1] = slot;
	}
	t->slot_last = slot;
}

/*
 * The table being filled. It is NULL only after a final hand-off found no free table to take
 * its place; the first one the engine gives back becomes current, covering the open slot.
 */
static struct slot_table *
cur_table(struct shard_clock *c)
{
	if (c->cur == NULL) {
		c->cur = take_free(c);
		if (c->cur != NULL)
			table_open(c->cur, c->open);
	}
	return c->cur;
}

/*
 * Announce that every slot below @done_before is finished, handing over the current table
 * when it holds anything. Without a free table (the engine is behind) the worker keeps filling
 * the same table across slots and says nothing, so the engine never evaluates a slot whose
 * data is still here; the engine's lateness bound takes over and the stall is counted. Every
 * count in such a table keeps its own slot (syn_key.slot_idx, probe_ent.slot), so the engine
 * still judges each slot as it was.
 */
static void
handoff(struct ns_anomaly_shard *s, unsigned kind, uint64_t done_before)
{
	struct shard_clock *c = &s->clk[kind];
	struct slot_msg m = { .table = NULL, .done_before = done_before, .kind = kind };

	if (cur_table(c) != NULL && c->cur->tab.count > 0) {
		struct slot_table *next = take_free(c);

		if (next == NULL) {
			s->cnt[NS_ANOMALY_C_HANDOFF_STALLED]++;
			return;
		}
		m.table = c->cur;
		if (ns_ring_enqueue_burst(s->out, &m, 1) != 1) {
			c->free_stack[c->n_free++] = next;
			s->cnt[NS_ANOMALY_C_HANDOFF_STALLED]++;
			return;
		}
		c->cur = next;
		c->sent_done_before = done_before;
		return;
	}
	if (done_before <= c->sent_done_before || !ring_room(s))
		return;
	/* A watermark that does not fit is sent with the next one. */
	if (ns_ring_enqueue_burst(s->out, &m, 1) == 1)
		c->sent_done_before = done_before;
}

/*
 * Hand over the current table of @kind for the last time: nothing writes to it afterwards, so
 * it goes without a replacement, into the room the ring keeps for tables. A free table, if
 * there is one, becomes current; if not, cur_table() picks up the first one given back.
 */
static void
handoff_last(struct ns_anomaly_shard *s, unsigned kind)
{
	struct shard_clock *c = &s->clk[kind];
	struct slot_msg m = { .table = c->cur, .done_before = c->open + 1, .kind = kind };

	if (c->cur == NULL || c->cur->tab.count == 0) {
		handoff(s, kind, m.done_before);
		return;
	}
	if (ns_ring_enqueue_burst(s->out, &m, 1) != 1) { /* cannot happen: see ring_room() */
		s->cnt[NS_ANOMALY_C_HANDOFF_STALLED]++;
		return;
	}
	c->sent_done_before = m.done_before;
	c->cur = NULL;
	cur_table(c);
}

static void
clock_open(struct shard_clock *c, uint64_t slot)
{
	c->open = slot;
	c->open_end = (slot + 1) * c->slot_ns;
	if (c->cur != NULL)
		table_open(c->cur, slot);
}

/* ---- counting ---- */

static void
syn_count(struct ns_anomaly_shard *s, const struct ns_addr *src, const struct ns_addr *dst,
	  uint16_t dport, bool completed)
{
	struct slot_table *st = cur_table(&s->clk[KIND_SYN]);
	struct tab *t;
	struct syn_key k;
	struct syn_ent *e;
	bool fresh;
	uint32_t h;

	if (st == NULL) {
		s->cnt[NS_ANOMALY_C_COUNTS_DROPPED]++;
		return;
	}
	t = &st->tab;
	memset(&k, 0, sizeof(k));
	k.src = *src;
	k.dst = *dst;
	k.dport = dport;
	/* the open slot is the table's last: 0 but in a stalled table, see SLOT_IDX_N */
	k.slot_idx = (uint8_t)(st->n_slots - 1);
	h = anomaly_hash(&k, sizeof(k));
	e = tab_find(t, &k, h);
	if (e == NULL && t->count < s->p.max_sources)
		e = tab_insert(t, &k, h, &fresh);
	if (e == NULL) {
		/* Keep the victim's totals (of this slot) even when its sources no longer fit. */
		s->cnt[NS_ANOMALY_C_SLOT_TABLE_FULL]++;
		memset(&k.src, 0, sizeof(k.src));
		k.dport = 0;
		k.flags = SYN_F_ANY_SRC;
		e = tab_insert(t, &k, anomaly_hash(&k, sizeof(k)), &fresh);
		if (e == NULL) { /* the overflow reserve is full too (see tab_limit()) */
			s->cnt[NS_ANOMALY_C_OVERFLOW_FULL]++;
			return;
		}
	}
	sat_add32(completed ? &e->done : &e->syn, 1);
}

static void
probe_fail(struct ns_anomaly_shard *s, const struct pending_key *pk, unsigned reason, uint64_t slot)
{
	struct slot_table *st = cur_table(&s->clk[KIND_SCAN]);
	struct probe_key k;
	struct probe_ent *e;
	bool fresh;

	memset(&k, 0, sizeof(k));
	k.src = pk->cli;
	k.dst = pk->srv;
	k.dport = pk->sport;
	k.proto = pk->proto;
	s->cnt[NS_ANOMALY_C_FAILED_PROBES]++;
	if (st == NULL) {
		s->cnt[NS_ANOMALY_C_COUNTS_DROPPED]++;
		return;
	}
	e = tab_insert(&st->tab, &k, anomaly_hash(&k, sizeof(k)), &fresh);
	if (e == NULL) {
		s->cnt[NS_ANOMALY_C_PROBE_TABLE_FULL]++;
		return;
	}
	if (slot > e->slot)
		e->slot = slot;
	e->fails |= (uint8_t)(1u << reason);
}

/*
 * Expire every pending entry whose answer is overdue before @before (ns): a handshake that got
 * a SYN-ACK but never completed is half-open, anything else went unanswered. The failure is
 * filed under the slot of its own expiry time, so it lands in the same window whichever
 * packet or shard happened to trigger the walk.
 */
static void
pending_expire(struct ns_anomaly_shard *s, uint64_t before)
{
	struct pending *pd = &s->pend;
	uint64_t slot_ns = s->clk[KIND_SCAN].slot_ns;
	uint32_t cap = pd->mask + 1;
	uint32_t i = 0, seen = 0;

	if (pd->count == 0)
		return;
	/* Start right after a free bucket: no cluster straddles the start, so the backward
	 * shifts of deletions only move entries the walk has not passed yet. */
	while (pd->expire[i] != 0)
		i = (i + 1) & pd->mask;
	i = (i + 1) & pd->mask;
	while (seen < cap) {
		struct pending_ent *e = &pd->ents[i];

		if (pd->expire[i] != 0 && pd->expire[i] < before) {
			unsigned reason = (e->k.proto == IPPROTO_TCP && (e->flags & PEND_ANSWERED))
						  ? NS_ANOMALY_FAIL_HALF_OPEN
						  : NS_ANOMALY_FAIL_NO_ANSWER;

			probe_fail(s, &e->k, reason, pd->expire[i] / slot_ns);
			pending_delete(pd, e);
			continue; /* the bucket now holds the next entry of the cluster */
		}
		i = (i + 1) & pd->mask;
		seen++;
	}
}

/* Finish the open slot of @kind and every slot up to @slot, then open @slot. */
static void
clock_close(struct ns_anomaly_shard *s, unsigned kind, uint64_t slot)
{
	struct shard_clock *c = &s->clk[kind];

	if (kind == KIND_SCAN) {
		/* Entries still pending were created before the old slot ended, so they expire
		 * within no_answer of it: walk each slot of that span on its own. */
		uint64_t span = (s->no_answer_ns + c->slot_ns - 1) / c->slot_ns + 1;
		uint64_t last = NS_MIN(slot - 1, c->open + span);

		pending_expire(s, c->open_end);
		for (uint64_t k = c->open + 1; k <= last && s->pend.count > 0; k++) {
			handoff(s, kind, k);
			clock_open(c, k);
			pending_expire(s, c->open_end);
		}
	}
	handoff(s, kind, slot);
	clock_open(c, slot);
}

static void
clock_move(struct ns_anomaly_shard *s, uint64_t now)
{
	for (unsigned kind = 0; kind < KIND_MAX; kind++) {
		struct shard_clock *c = &s->clk[kind];

		if (!c->started) {
			c->started = true;
			clock_open(c, now / c->slot_ns);
			c->sent_done_before = c->open;
			continue;
		}
		if (now >= c->open_end)
			clock_close(s, kind, now / c->slot_ns);
	}
}

static uint64_t
time_dist(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/*
 * Move the clock to packet (or advance) time @t. A time more than a detection window away
 * from the clock is not trusted on its own: one packet stamped a year ahead would otherwise
 * drag the clock there and every later packet would count in that slot, which never closes.
 * It counts in the open slot and the clock stays, unless the next time lands near it as well:
 * then the traffic really moved ahead (a capture file joining captures of different times)
 * and the clock follows. A time far behind never moves the clock, as any older packet.
 */
static void
clock_time(struct ns_anomaly_shard *s, uint64_t t)
{
	bool far = time_dist(t, s->now) > s->jump_ns;

	if (far && !(s->suspect && time_dist(t, s->suspect_ns) <= s->jump_ns)) {
		if (s->suspect)
			s->cnt[NS_ANOMALY_C_TIME_OUTLIERS]++;
		s->suspect = true;
		s->suspect_ns = t;
		return;
	}
	if (!far && s->suspect)
		s->cnt[NS_ANOMALY_C_TIME_OUTLIERS]++;
	else if (far && t > s->now)
		s->cnt[NS_ANOMALY_C_TIME_JUMPS]++;
	s->suspect = false;
	if (t > s->now)
		s->now = t;
	clock_move(s, s->now);
}

static void
publish(struct ns_anomaly_shard *s)
{
	for (unsigned i = 0; i < NS_ANOMALY_C_MAX; i++)
		atomic_store_explicit(&s->pub[i], s->cnt[i], memory_order_relaxed);
}

/* ---- classification ---- */

enum ev_type {
	EV_SKIP = 0,
	EV_IP, /* counted, nothing to track */
	EV_SYN, /* client -> server SYN */
	EV_SYNACK, /* server -> client SYN-ACK */
	EV_ACK, /* client -> server: may complete a handshake */
	EV_RST,
	EV_UDP,
	EV_UNREACH, /* ICMP destination unreachable about one of our probes */
	EV_TTL, /* ICMP time exceeded: a router answered the probe */
};

struct pkt_ev {
	struct pending_key k; /* oriented for the first lookup */
	uint32_t hash;
	uint32_t seq;
	uint32_t ack;
	uint8_t type;
};

static void
key_make(struct pending_key *k, const struct ns_addr *cli, const struct ns_addr *srv,
	 uint16_t cport, uint16_t sport, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	k->cli = *cli;
	k->srv = *srv;
	k->cport = cport;
	k->sport = sport;
	k->proto = proto;
}

/* The TCP/UDP packet an ICMP error quotes, as a pending key oriented like that packet. */
static bool
icmp_quote(const struct ns_pkt *pkt, struct pending_key *k)
{
	struct ns_icmp_quote q;

	if (!ns_icmp_quote(pkt, &q))
		return false;
	key_make(k, &q.src, &q.dst, q.sport, q.dport, q.proto);
	return true;
}

static void
classify(const struct ns_pkt *pkt, struct pkt_ev *ev)
{
	uint8_t f;

	ev->type = EV_SKIP;
	if (pkt->l3 != NS_L3_IPV4 && pkt->l3 != NS_L3_IPV6)
		return;
	ev->type = EV_IP;
	switch (pkt->l4) {
	case NS_L4_TCP:
		if (pkt->tcp_hlen < 20) /* header not fully captured: no flags to trust */
			return;
		f = pkt->tcp_flags;
		ev->seq = pkt->tcp_seq;
		ev->ack = pkt->tcp_ack;
		if ((f & (NS_TCP_SYN | NS_TCP_RST)) == NS_TCP_SYN) {
			if (f & NS_TCP_ACK) {
				ev->type = EV_SYNACK;
				key_make(&ev->k, &pkt->dst, &pkt->src, pkt->dport, pkt->sport,
					 IPPROTO_TCP);
			} else {
				ev->type = EV_SYN;
				key_make(&ev->k, &pkt->src, &pkt->dst, pkt->sport, pkt->dport,
					 IPPROTO_TCP);
			}
		} else if (f & NS_TCP_RST) {
			/* Looked up as the server's answer first, then as the client's. */
			ev->type = EV_RST;
			key_make(&ev->k, &pkt->dst, &pkt->src, pkt->dport, pkt->sport, IPPROTO_TCP);
		} else if ((f & (NS_TCP_ACK | NS_TCP_SYN | NS_TCP_FIN)) == NS_TCP_ACK) {
			ev->type = EV_ACK;
			key_make(&ev->k, &pkt->src, &pkt->dst, pkt->sport, pkt->dport, IPPROTO_TCP);
		} else {
			return;
		}
		break;
	case NS_L4_UDP:
		if (pkt->verdict != NS_PARSE_OK)
			return;
		ev->type = EV_UDP;
		key_make(&ev->k, &pkt->src, &pkt->dst, pkt->sport, pkt->dport, IPPROTO_UDP);
		break;
	case NS_L4_ICMP:
	case NS_L4_ICMPV6: {
		bool v6 = pkt->l4 == NS_L4_ICMPV6;
		/* RFC 792: 3 unreachable, 11 time exceeded; RFC 4443: 1 and 3 */
		bool unreach = pkt->icmp_type == (v6 ? 1 : 3);
		bool ttl = pkt->icmp_type == (v6 ? 3 : 11);

		if (pkt->verdict != NS_PARSE_OK || (!unreach && !ttl) || !icmp_quote(pkt, &ev->k))
			return;
		ev->type = unreach ? EV_UNREACH : EV_TTL;
		break;
	}
	default:
		return;
	}
	ev->hash = anomaly_hash(&ev->k, sizeof(ev->k));
}

static void
reverse(struct pending_key *r, const struct pending_key *k)
{
	key_make(r, &k->srv, &k->cli, k->sport, k->cport, k->proto);
}

/* @t: the packet's time; ahead of the clock only when the clock did not trust it yet */
static void
apply(struct ns_anomaly_shard *s, const struct pkt_ev *ev, uint64_t t)
{
	struct pending *pd = &s->pend;
	uint64_t expire = NS_MAX(s->now, t) + s->no_answer_ns;
	uint64_t slot = s->clk[KIND_SCAN].open;
	struct pending_ent *e = NULL;
	struct pending_key r;
	bool evicted;

	switch (ev->type) {
	case EV_SYN:
		if (addr_is_group(&ev->k.srv))
			return;
		s->cnt[NS_ANOMALY_C_SYNS]++;
		syn_count(s, &ev->k.cli, &ev->k.srv, ev->k.sport, false);
		e = pending_find(pd, &ev->k, ev->hash);
		if (e == NULL) {
			e = pending_insert(pd, &ev->k, ev->hash, expire, &evicted);
			if (evicted || e == NULL)
				s->cnt[NS_ANOMALY_C_PENDING_FULL]++;
			if (e == NULL)
				return;
			e->isn = ev->seq;
		} else if (e->isn != ev->seq) {
			/* A new connection on the same ports; a retransmission keeps the clock. */
			e->isn = ev->seq;
			e->flags = 0;
			pd->expire[e - pd->ents] = expire;
		}
		return;
	case EV_SYNACK:
		e = pending_find(pd, &ev->k, ev->hash);
		if (e != NULL && !(e->flags & PEND_ANSWERED) && ev->ack == e->isn + 1) {
			e->flags |= PEND_ANSWERED;
			e->srv_isn = ev->seq;
		}
		return;
	case EV_ACK:
		/* RFC 9293 section 3.5: the third segment acknowledges the server's ISN + 1 and
		 * carries the client's ISN + 1; without a SYN-ACK seen (one-way capture) the
		 * client's side alone decides. */
		e = pending_find(pd, &ev->k, ev->hash);
		if (e == NULL || e->k.proto != IPPROTO_TCP || ev->seq != e->isn + 1 ||
		    ((e->flags & PEND_ANSWERED) && ev->ack != e->srv_isn + 1))
			return;
		s->cnt[NS_ANOMALY_C_COMPLETED]++;
		syn_count(s, &e->k.cli, &e->k.srv, e->k.sport, true);
		pending_delete(pd, e);
		return;
	case EV_RST:
		e = pending_find(pd, &ev->k, ev->hash);
		if (e != NULL) { /* the server refused: closed port */
			probe_fail(s, &e->k, NS_ANOMALY_FAIL_RST, slot);
			pending_delete(pd, e);
			return;
		}
		reverse(&r, &ev->k);
		e = pending_find(pd, &r, anomaly_hash(&r, sizeof(r)));
		if (e != NULL) { /* the client gave up; after a SYN-ACK that is a half-open probe */
			if (e->flags & PEND_ANSWERED)
				probe_fail(s, &e->k, NS_ANOMALY_FAIL_HALF_OPEN, slot);
			pending_delete(pd, e);
		}
		return;
	case EV_UDP:
		if (pending_find(pd, &ev->k, ev->hash) != NULL)
			return; /* still waiting for the first answer */
		reverse(&r, &ev->k);
		e = pending_find(pd, &r, anomaly_hash(&r, sizeof(r)));
		if (e != NULL) { /* answered: an exchange, not a probe */
			pending_delete(pd, e);
			return;
		}
		if (addr_is_group(&ev->k.srv))
			return;
		if (pending_insert(pd, &ev->k, ev->hash, expire, &evicted) == NULL || evicted)
			s->cnt[NS_ANOMALY_C_PENDING_FULL]++;
		return;
	case EV_UNREACH:
	case EV_TTL:
		e = pending_find(pd, &ev->k, ev->hash);
		if (e == NULL)
			return;
		if (ev->type == EV_UNREACH)
			probe_fail(s, &e->k, NS_ANOMALY_FAIL_UNREACH, slot);
		pending_delete(pd, e);
		return;
	default:
		return;
	}
}

uint32_t
ns_anomaly_shard_observe_burst(struct ns_anomaly_shard *s, const struct ns_pkt *const *pkts,
			       const uint64_t *ts_ns, uint32_t n)
{
	struct pkt_ev ev[CHUNK];
	uint32_t counted = 0;

	for (uint32_t base = 0; base < n; base += CHUNK) {
		uint32_t m = NS_MIN(n - base, (uint32_t)CHUNK);

		/* Stage: classify and hash the chunk, prefetch the pending buckets... */
		for (uint32_t i = 0; i < m; i++) {
			classify(pkts[base + i], &ev[i]);
			if (ev[i].type > EV_IP) {
				uint32_t h = pending_home(&s->pend, tag_of(ev[i].hash));

				__builtin_prefetch(&s->pend.home_count[h]);
				__builtin_prefetch(&s->pend.ents[h]);
			}
		}
		/* ... then apply in packet order, moving the clock first. */
		for (uint32_t i = 0; i < m; i++) {
			uint64_t t = ts_ns[base + i];

			if (ev[i].type == EV_SKIP)
				continue;
			counted++;
			if (s->clk[0].started) {
				clock_time(s, t);
			} else {
				s->now = t;
				clock_move(s, t);
			}
			if (ev[i].type > EV_IP)
				apply(s, &ev[i], t);
		}
	}
	s->cnt[NS_ANOMALY_C_PACKETS] += counted;
	publish(s);
	return counted;
}

void
ns_anomaly_shard_advance(struct ns_anomaly_shard *s, uint64_t now_ns)
{
	if (s->clk[0].started) {
		if (now_ns > s->now)
			clock_time(s, now_ns);
	} else if (now_ns != 0) {
		s->now = now_ns;
		clock_move(s, now_ns);
	}
	publish(s);
}

void
ns_anomaly_shard_flush(struct ns_anomaly_shard *s)
{
	if (!s->clk[0].started)
		return;
	if (s->suspect) /* nothing came to confirm it */
		s->cnt[NS_ANOMALY_C_TIME_OUTLIERS]++;
	s->suspect = false;
	/* Probes already overdue count; the rest never had their chance to be answered. */
	pending_expire(s, s->now + 1);
	for (unsigned kind = 0; kind < KIND_MAX; kind++)
		handoff_last(s, kind);
	publish(s);
}

uint64_t
ns_anomaly_shard_now(const struct ns_anomaly_shard *s)
{
	return s->now;
}

void
ns_anomaly_shard_destroy(struct ns_anomaly_shard *s)
{
	if (s == NULL)
		return;
	for (unsigned kind = 0; kind < KIND_MAX; kind++) {
		for (unsigned i = 0; i < SHARD_POOL; i++)
			slot_table_free(s->clk[kind].pool[i]);
		ns_ring_destroy(s->clk[kind].free_ring);
	}
	ns_ring_destroy(s->out);
	pending_fini(&s->pend);
	free(s);
}

struct ns_anomaly_shard *
ns_anomaly_shard_create(const struct ns_anomaly_params *p)
{
	struct ns_anomaly_params pp;
	struct ns_anomaly_shard *s;
	int err = ENOMEM;

	if (params_check(p, &pp) < 0) {
		errno = EINVAL;
		return NULL;
	}
	if (posix_memalign((void **)&s, NS_CACHE_LINE, sizeof(*s)) != 0) {
		errno = ENOMEM;
		return NULL;
	}
	memset(s, 0, sizeof(*s));
	s->p = pp;
	s->no_answer_ns = (uint64_t)pp.no_answer_ms * 1000000ull;
	/*
	 * Sparse traffic (a packet a minute, or hours apart) moves the clock as it comes; only a
	 * time more than two days off, as for flows (lib/flow, "time jumps"), needs confirming.
	 * Never below the longer window: a gap that long empties every window anyway.
	 */
	s->jump_ns = NS_MAX((uint64_t)NS_MAX(pp.syn_window_s, pp.scan_window_s) * NS_NSEC_PER_SEC,
			    ANOMALY_JUMP_NS);
	s->clk[KIND_SYN].slot_ns = (uint64_t)pp.syn_window_s * NS_NSEC_PER_SEC / NS_ANOMALY_SLOTS;
	s->clk[KIND_SCAN].slot_ns = (uint64_t)pp.scan_window_s * NS_NSEC_PER_SEC / NS_ANOMALY_SLOTS;
	if (pending_init(&s->pend, pp.max_sources) < 0)
		goto fail;
	for (unsigned kind = 0; kind < KIND_MAX; kind++) {
		struct shard_clock *c = &s->clk[kind];

		for (unsigned i = 0; i < SHARD_POOL; i++) {
			c->pool[i] = slot_table_new(kind, pp.max_sources);
			if (c->pool[i] == NULL) {
				err = errno;
				goto fail;
			}
		}
		c->cur = c->pool[0];
		for (unsigned i = SHARD_POOL - 1; i >= 1; i--)
			c->free_stack[c->n_free++] = c->pool[i];
		c->free_ring = ns_ring_create(sizeof(struct slot_table *), SHARD_POOL * 2);
		if (c->free_ring == NULL)
			goto fail;
	}
	s->out = ns_ring_create(sizeof(struct slot_msg), SHARD_RING);
	if (s->out == NULL)
		goto fail;
	return s;
fail:
	ns_anomaly_shard_destroy(s);
	errno = err;
	return NULL;
}
