/* SPDX-License-Identifier: MIT */
/*
 * The management side: receives finished slots from every attached shard, decides when a
 * slot is complete, runs the detectors on it and hands the tables back. A slot is evaluated
 * once every shard has said it is past it (its watermark), or once the caller's clock is
 * lateness_ms past the slot's end, so one silent worker cannot stall detection. SYN and scan
 * slots have different lengths; they are evaluated in the order of their end times, which
 * keeps the event stream in time order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly_priv.h"

struct ns_anomaly_engine *
ns_anomaly_engine_create(const struct ns_anomaly_params *p)
{
	struct ns_anomaly_params pp;
	struct ns_anomaly_engine *e;
	uint32_t limit;
	int rc;

	if (params_check(p, &pp) < 0) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->p = pp;
	e->window_ns[KIND_SYN] = (uint64_t)pp.syn_window_s * NS_NSEC_PER_SEC;
	e->window_ns[KIND_SCAN] = (uint64_t)pp.scan_window_s * NS_NSEC_PER_SEC;
	for (unsigned kind = 0; kind < KIND_MAX; kind++)
		e->clk[kind].slot_ns = e->window_ns[kind] / NS_ANOMALY_SLOTS;
	e->clear_after_ns = (uint64_t)pp.clear_after_s * NS_NSEC_PER_SEC;
	e->lateness_ns = (uint64_t)pp.lateness_ms * 1000000ull;
	/*
	 * The merged tables hold max_sources keys like each shard's: shards split the traffic,
	 * so their union is usually no larger, and when it is the loss is counted (merge_full).
	 */
	limit = tab_limit(pp.max_sources);
	e->links = calloc(pp.shards, sizeof(*e->links));
	e->active = calloc(pp.max_alerts, sizeof(*e->active));
	e->scratch = calloc(pp.max_alerts, sizeof(*e->scratch));
	e->cleared = calloc(pp.max_alerts, sizeof(*e->cleared));
	/* Four events per alert slot: a raise, an update and a clear fit between two polls. */
	e->ev_cap = pp.max_alerts * 4;
	e->events = calloc(e->ev_cap, sizeof(*e->events));
	e->cands_cap = limit;
	e->cands = calloc(limit, sizeof(*e->cands));
	if (e->links == NULL || e->active == NULL || e->scratch == NULL || e->cleared == NULL ||
	    e->events == NULL || e->cands == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = tab_init(&e->alert_idx, pp.max_alerts, sizeof(struct alert_idx_ent),
		      sizeof(struct alert_key));
	if (rc == 0)
		rc = syn_det_init(&e->syn, limit);
	if (rc == 0)
		rc = scan_det_init(&e->scan, limit);
	if (rc < 0)
		goto fail;
	return e;
fail:
	ns_anomaly_engine_destroy(e);
	errno = -rc;
	return NULL;
}

void
ns_anomaly_engine_destroy(struct ns_anomaly_engine *e)
{
	if (e == NULL)
		return;
	/* Held tables belong to their shards and are freed with them. */
	for (uint32_t i = 0; i < e->n_links; i++)
		e->links[i].shard->attached = false;
	syn_det_fini(&e->syn);
	scan_det_fini(&e->scan);
	tab_fini(&e->alert_idx);
	free(e->links);
	free(e->active);
	free(e->scratch);
	free(e->cleared);
	free(e->events);
	free(e->cands);
	free(e);
}

int
ns_anomaly_engine_attach(struct ns_anomaly_engine *e, struct ns_anomaly_shard *s)
{
	if (s->attached)
		return -EBUSY;
	if (e->n_links >= e->p.shards)
		return -ENOSPC;
	/* Slots must line up to be merged: same windows on both sides. */
	for (unsigned kind = 0; kind < KIND_MAX; kind++)
		if (s->clk[kind].slot_ns != e->clk[kind].slot_ns)
			return -EINVAL;
	memset(&e->links[e->n_links], 0, sizeof(e->links[0]));
	e->links[e->n_links++].shard = s;
	s->attached = true;
	return 0;
}

static void
give_back(struct shard_link *l, struct slot_table *t)
{
	tab_clear(&t->tab);
	/* Always fits: the free ring holds the shard's whole pool. */
	ns_ring_enqueue_burst(l->shard->clk[t->kind].free_ring, &t, 1);
}

/* The first slot from @from on that @t holds counts of; UINT64_MAX when there is none. */
static uint64_t
table_next(const struct slot_table *t, uint64_t from)
{
	for (unsigned i = table_idx(t, from); i < t->n_slots; i++)
		if (t->has[i / 64] & (1ull << (i % 64)))
			return t->slots[i];
	return UINT64_MAX;
}

/*
 * Note which of its slots a table just received holds counts of: one unless its shard's
 * hand-off stalled, and then every count says its own slot: a SYN entry its index in the
 * table's slots, a failed probe its slot, which is one of them (the shard opens every slot a
 * probe can fail in; one that did not would be merged at the next). Only the distinct slots
 * the table was open in are indexed, so a gap in packet time costs nothing. Returns how many of
 * those slots the engine has already evaluated (late ones).
 */
static uint64_t
table_index(struct ns_anomaly_engine *e, struct slot_table *t)
{
	const struct eng_clock *c = &e->clk[t->kind];
	uint64_t late = 0;

	memset(t->has, 0, sizeof(t->has));
	if (t->n_slots <= 1) {
		t->has[0] = t->tab.count > 0;
	} else {
		for (uint32_t n = 0; n < t->tab.count; n++) {
			const void *ent = tab_nth(&t->tab, n);
			unsigned i = t->kind == KIND_SYN
					     ? ((const struct syn_ent *)ent)->k.slot_idx
					     : table_idx(t, ((const struct probe_ent *)ent)->slot);

			i = NS_MIN(i, t->n_slots - 1);
			t->has[i / 64] |= 1ull << (i % 64);
		}
	}
	t->next = table_next(t, t->slot_first);
	for (uint64_t slot = t->next; c->started && slot < c->next; slot = table_next(t, slot + 1))
		late++;
	return late;
}

static void
drain(struct ns_anomaly_engine *e)
{
	for (uint32_t i = 0; i < e->n_links; i++) {
		struct shard_link *l = &e->links[i];
		struct slot_msg msgs[16];
		uint32_t n;

		while ((n = ns_ring_dequeue_burst(l->shard->out, msgs, NS_ARRAY_SIZE(msgs))) > 0) {
			for (uint32_t j = 0; j < n; j++) {
				const struct slot_msg *m = &msgs[j];
				unsigned kind = m->kind;

				if (!l->reported[kind]) {
					l->reported[kind] = true;
					l->first[kind] = m->table != NULL ? m->table->slot_first
									  : m->done_before - 1;
				}
				if (m->done_before > l->done_before[kind])
					l->done_before[kind] = m->done_before;
				if (m->table == NULL)
					continue;
				e->cnt[NS_ANOMALY_C_LATE_SLOTS] += table_index(e, m->table);
				if (l->n_held[kind] < NS_ARRAY_SIZE(l->held[kind]))
					l->held[kind][l->n_held[kind]++] = m->table;
				else /* cannot happen: a shard has SHARD_POOL tables */
					give_back(l, m->table);
			}
		}
	}
}

/*
 * A table that covers several slots (a stalled hand-off) is merged at each of them, not at its
 * last: its counts are then judged in exactly the windows an unstalled hand-off would have
 * given them, and an alert they raise carries the time they happened.
 */
void
engine_take_tables(struct ns_anomaly_engine *e, unsigned kind, uint64_t slot, merge_fn fn,
		   void *arg)
{
	for (uint32_t i = 0; i < e->n_links; i++) {
		struct shard_link *l = &e->links[i];
		uint32_t kept = 0;

		for (uint32_t j = 0; j < l->n_held[kind]; j++) {
			struct slot_table *t = l->held[kind][j];

			if (t->next <= slot) {
				e->last_data[kind] = slot;
				fn(e, t, arg);
				t->next = table_next(t, slot + 1);
			}
			if (t->next == UINT64_MAX)
				give_back(l, t);
			else
				l->held[kind][kept++] = t;
		}
		l->n_held[kind] = kept;
	}
}

void
engine_each_table(struct ns_anomaly_engine *e, unsigned kind, merge_fn fn, void *arg)
{
	for (uint32_t i = 0; i < e->n_links; i++) {
		struct shard_link *l = &e->links[i];

		for (uint32_t j = 0; j < l->n_held[kind]; j++)
			fn(e, l->held[kind][j], arg);
	}
}

uint64_t
engine_next_counts(const struct ns_anomaly_engine *e, unsigned kind)
{
	uint64_t next = UINT64_MAX;

	for (uint32_t i = 0; i < e->n_links; i++) {
		const struct shard_link *l = &e->links[i];

		for (uint32_t j = 0; j < l->n_held[kind]; j++)
			next = NS_MIN(next, l->held[kind][j]->next);
	}
	return next;
}

/* Is the next slot of @kind ready? Starts the clock at the earliest slot any shard saw. */
static bool
ready(struct ns_anomaly_engine *e, unsigned kind, uint64_t now, bool finishing, bool *forced)
{
	struct eng_clock *c = &e->clk[kind];
	uint64_t min_first = UINT64_MAX, max_done = 0;
	bool all = e->n_links > 0;

	*forced = false;
	for (uint32_t i = 0; i < e->n_links; i++) {
		const struct shard_link *l = &e->links[i];

		if (!l->reported[kind]) {
			all = false;
			continue;
		}
		min_first = NS_MIN(min_first, l->first[kind]);
		max_done = NS_MAX(max_done, l->done_before[kind]);
		if (c->started && l->done_before[kind] <= c->next)
			all = false;
	}
	if (min_first == UINT64_MAX)
		return false;
	if (!c->started) {
		if (!all && !finishing && now < (min_first + 1) * c->slot_ns + e->lateness_ns)
			return false;
		c->started = true;
		c->next = min_first;
		/* Re-check against the starting slot. */
		all = true;
		for (uint32_t i = 0; i < e->n_links; i++)
			if (!e->links[i].reported[kind] || e->links[i].done_before[kind] <= c->next)
				all = false;
	}
	if (all)
		return true;
	if (finishing)
		return c->next < max_done;
	if (now >= (c->next + 1) * c->slot_ns + e->lateness_ns) {
		*forced = true;
		return true;
	}
	return false;
}

/*
 * With no alert of this detector active and nothing left in its window, empty slots cannot
 * change anything: jump to the next slot that holds data (or as far as evaluation may go), so
 * a capture with a long silence costs nothing.
 */
static void
skip_idle(struct ns_anomaly_engine *e, unsigned kind, uint64_t now, bool finishing)
{
	struct eng_clock *c = &e->clk[kind];
	unsigned sig = kind == KIND_SYN ? NS_ANOMALY_SYN_FLOOD : NS_ANOMALY_PORT_SCAN;
	uint64_t target = UINT64_MAX, bound_all = UINT64_MAX, bound = 0;
	bool all = true;

	if (!c->started || e->n_active_sig[sig] != 0 ||
	    c->next < e->last_data[kind] + NS_ANOMALY_SLOTS)
		return;
	target = engine_next_counts(e, kind);
	for (uint32_t i = 0; i < e->n_links; i++) {
		const struct shard_link *l = &e->links[i];

		if (!l->reported[kind])
			all = false;
		bound_all = NS_MIN(bound_all, l->done_before[kind]);
		if (finishing)
			bound = NS_MAX(bound, l->done_before[kind]);
	}
	if (all && bound_all != UINT64_MAX)
		bound = NS_MAX(bound, bound_all);
	if (!finishing && now > e->lateness_ns)
		bound = NS_MAX(bound, (now - e->lateness_ns) / c->slot_ns);
	target = NS_MIN(target, bound);
	if (target > c->next)
		c->next = target;
}

/*
 * The caller's clock, but no later than the end of the slot after the latest one a shard
 * finished (a shard's clock is never further ahead). The caller's time is the latest
 * timestamp it saw, and one packet stamped a year ahead would otherwise let skip_idle() and
 * the lateness bound jump the evaluation a year past the data; the shards do not trust such
 * a time unconfirmed, and neither does the engine.
 */
static uint64_t
now_of(const struct ns_anomaly_engine *e, unsigned kind, uint64_t now)
{
	uint64_t max_done = 0;

	for (uint32_t i = 0; i < e->n_links; i++)
		max_done = NS_MAX(max_done, e->links[i].done_before[kind]);
	if (max_done == 0)
		return now;
	return NS_MIN(now, (max_done + 1) * e->clk[kind].slot_ns);
}

static void
run(struct ns_anomaly_engine *e, uint64_t now_in, bool finishing)
{
	uint64_t now_k[KIND_MAX];

	for (unsigned kind = 0; kind < KIND_MAX; kind++)
		now_k[kind] = now_of(e, kind, now_in);
	for (;;) {
		for (unsigned kind = 0; kind < KIND_MAX; kind++)
			skip_idle(e, kind, now_k[kind], finishing);
		int pick = -1;
		uint64_t pick_end = 0;
		bool forced[KIND_MAX];

		for (unsigned kind = 0; kind < KIND_MAX; kind++) {
			uint64_t end;

			if (!ready(e, kind, now_k[kind], finishing, &forced[kind]))
				continue;
			end = (e->clk[kind].next + 1) * e->clk[kind].slot_ns;
			if (pick < 0 || end < pick_end) {
				pick = (int)kind;
				pick_end = end;
			}
		}
		if (pick < 0)
			return;
		if (forced[pick])
			e->cnt[NS_ANOMALY_C_FORCED_SLOTS]++;
		/* A slot cut short by the end of input is judged at the input's last time. */
		if (finishing && pick_end > e->finish_now)
			pick_end = NS_MAX(e->finish_now, (pick_end - e->clk[pick].slot_ns));
		if (pick == KIND_SYN)
			syn_eval(e, e->clk[pick].next, pick_end);
		else
			scan_eval(e, e->clk[pick].next, pick_end);
		e->last_eval_ns = NS_MAX(e->last_eval_ns, pick_end);
		e->clk[pick].next++;
	}
}

unsigned
ns_anomaly_engine_tick(struct ns_anomaly_engine *e, uint64_t now_ns)
{
	uint64_t before = e->events_total;

	drain(e);
	run(e, now_ns, false);
	return (unsigned)(e->events_total - before);
}

unsigned
ns_anomaly_engine_finish(struct ns_anomaly_engine *e, uint64_t now_ns)
{
	uint64_t before = e->events_total;

	drain(e);
	/* as in run(): the end of input is no later than the shards' clocks */
	now_ns = NS_MIN(now_ns, NS_MAX(now_of(e, KIND_SYN, now_ns), now_of(e, KIND_SCAN, now_ns)));
	e->finishing = true;
	e->finish_now = now_ns;
	run(e, now_ns, true);
	alert_clear_all(e, NS_MAX(now_ns, e->last_eval_ns));
	e->finishing = false;
	return (unsigned)(e->events_total - before);
}

unsigned
ns_anomaly_engine_poll(struct ns_anomaly_engine *e, struct ns_anomaly_alert *out, unsigned n)
{
	unsigned k = 0;

	while (k < n && e->ev_n > 0) {
		out[k++] = e->events[e->ev_head];
		e->ev_head = (e->ev_head + 1) % e->ev_cap;
		e->ev_n--;
	}
	return k;
}

unsigned
ns_anomaly_engine_alerts(const struct ns_anomaly_engine *e, struct ns_anomaly_alert *out,
			 unsigned n)
{
	unsigned k = 0;
	uint32_t pos;

	/* Active alerts, newest (highest id) first ... */
	while (k < n) {
		const struct ns_anomaly_alert *best = NULL;

		for (uint32_t i = 0; i < e->p.max_alerts; i++) {
			const struct active_alert *al = &e->active[i];

			if (al->used && (k == 0 || al->a.id < out[k - 1].id) &&
			    (best == NULL || al->a.id > best->id))
				best = &al->a;
		}
		if (best == NULL)
			break;
		out[k++] = *best;
	}
	/* ... then the cleared ones, most recently cleared first. */
	for (uint32_t i = 0; i < e->cleared_n && k < n; i++) {
		pos = (e->cleared_head + e->cleared_n - 1 - i) % e->p.max_alerts;
		out[k++] = e->cleared[pos];
	}
	return k;
}

void
ns_anomaly_engine_stats(const struct ns_anomaly_engine *e, struct ns_anomaly_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i < e->n_links; i++)
		for (unsigned c = 0; c < NS_ANOMALY_C_MAX; c++)
			st->c[c] += atomic_load_explicit(&e->links[i].shard->pub[c],
							 memory_order_relaxed);
	for (unsigned c = 0; c < NS_ANOMALY_C_MAX; c++)
		st->c[c] += e->cnt[c];
	st->active = e->n_active;
}
