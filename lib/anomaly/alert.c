/* SPDX-License-Identifier: MIT */
/*
 * The alert life cycle on the management thread. An alert is keyed by (signature, role,
 * address, protocol) and exists once: raised when its condition first holds, updated at most
 * once per window while the condition holds, cleared after clear_after seconds
 * without it. Events go to a bounded queue the caller polls; cleared alerts stay in a bounded
 * list for the dashboard. Everything is ordered by alert id, so a replay emits the same events
 * in the same order.
 */
#include <stdlib.h>
#include <string.h>

#include "anomaly_priv.h"

void
alert_key_make(struct alert_key *k, unsigned sig, unsigned role, const struct ns_addr *a,
	       unsigned proto)
{
	memset(k, 0, sizeof(*k));
	k->addr = *a;
	k->sig = (uint8_t)sig;
	k->role = (uint8_t)role;
	k->proto = (uint8_t)proto;
}

struct active_alert *
alert_find(struct ns_anomaly_engine *e, const struct alert_key *k)
{
	const struct alert_idx_ent *ie;

	if (e->n_active == 0)
		return NULL;
	ie = tab_find(&e->alert_idx, k, anomaly_hash(k, sizeof(*k)));
	return ie != NULL ? &e->active[ie->idx] : NULL;
}

static void
index_add(struct ns_anomaly_engine *e, uint32_t idx)
{
	const struct alert_key *k = &e->active[idx].key;
	struct alert_idx_ent *ie;
	bool fresh;

	/* Cannot fail: the index holds max_alerts entries and so does active[]. */
	ie = tab_insert(&e->alert_idx, k, anomaly_hash(k, sizeof(*k)), &fresh);
	if (ie != NULL)
		ie->idx = idx;
}

struct active_alert *
alert_raise(struct ns_anomaly_engine *e, const struct alert_key *k, uint64_t now)
{
	struct active_alert *al = NULL;
	uint32_t i;

	if (e->n_active >= e->p.max_alerts) {
		e->cnt[NS_ANOMALY_C_ALERTS_CAPPED]++;
		return NULL;
	}
	for (i = 0; i < e->p.max_alerts; i++) {
		if (!e->active[i].used) {
			al = &e->active[i];
			break;
		}
	}
	if (al == NULL)
		return NULL;
	memset(al, 0, sizeof(*al));
	al->used = true;
	al->raised_now = true;
	al->held = true;
	al->key = *k;
	al->a.id = ++e->next_id;
	al->a.first_ns = now;
	al->a.last_active_ns = now;
	al->a.signature = k->sig;
	al->a.role = k->role;
	al->a.window_ns = e->window_ns[k->sig == NS_ANOMALY_SYN_FLOOD ? KIND_SYN : KIND_SCAN];
	e->n_active++;
	e->n_active_sig[k->sig]++;
	index_add(e, i);
	e->cnt[NS_ANOMALY_C_RAISED]++;
	return al;
}

void
alert_emit(struct ns_anomaly_engine *e, struct active_alert *al, unsigned state, uint64_t now)
{
	al->a.state = (uint8_t)state;
	al->a.ts_ns = now;
	if (state == NS_ANOMALY_UPDATE)
		al->a.updates++;
	al->last_event_ns = now;
	if (e->ev_n == e->ev_cap) {
		e->ev_head = (e->ev_head + 1) % e->ev_cap;
		e->ev_n--;
		e->cnt[NS_ANOMALY_C_EVENTS_DROPPED]++;
	}
	e->events[(e->ev_head + e->ev_n) % e->ev_cap] = al->a;
	e->ev_n++;
	e->events_total++;
}

static void
alert_remove(struct ns_anomaly_engine *e, struct active_alert *al)
{
	uint32_t slot = (e->cleared_head + e->cleared_n) % e->p.max_alerts;

	if (e->cleared_n == e->p.max_alerts) {
		slot = e->cleared_head;
		e->cleared_head = (e->cleared_head + 1) % e->p.max_alerts;
	} else {
		e->cleared_n++;
	}
	e->cleared[slot] = al->a;
	al->used = false;
	e->n_active--;
	e->n_active_sig[al->key.sig]--;
	e->cnt[NS_ANOMALY_C_CLEARED]++;
	/* Clears are rare next to lookups: rebuild the index rather than delete from it. */
	tab_clear(&e->alert_idx);
	for (uint32_t i = 0; i < e->p.max_alerts; i++)
		if (e->active[i].used)
			index_add(e, i);
}

static int
by_id(const void *a, const void *b)
{
	const struct active_alert *x = *(const struct active_alert *const *)a;
	const struct active_alert *y = *(const struct active_alert *const *)b;

	return x->a.id < y->a.id ? -1 : x->a.id > y->a.id;
}

/* Active alerts of @sig (all when @sig is NS_ANOMALY_SIGNATURE_MAX), oldest first. */
static uint32_t
collect(struct ns_anomaly_engine *e, unsigned sig, struct active_alert **out)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < e->p.max_alerts; i++) {
		struct active_alert *al = &e->active[i];

		if (al->used && (sig == NS_ANOMALY_SIGNATURE_MAX || al->key.sig == sig))
			out[n++] = al;
	}
	qsort(out, n, sizeof(*out), by_id);
	return n;
}

void
alert_lifecycle(struct ns_anomaly_engine *e, unsigned sig, uint64_t now, uint64_t window_ns)
{
	struct active_alert **list = e->scratch;
	uint32_t n = collect(e, sig, list);
	for (uint32_t i = 0; i < n; i++) {
		struct active_alert *al = list[i];

		if (al->raised_now) {
			al->raised_now = false;
			alert_emit(e, al, NS_ANOMALY_RAISED, now);
		} else if (now - al->a.last_active_ns >= e->clear_after_ns) {
			al->a.clear_reason = NS_ANOMALY_CLEAR_QUIET;
			alert_emit(e, al, NS_ANOMALY_CLEARED, now);
			alert_remove(e, al);
		} else if (al->held && now - al->last_event_ns >= window_ns) {
			alert_emit(e, al, NS_ANOMALY_UPDATE, now);
		}
	}
}

void
alert_clear_all(struct ns_anomaly_engine *e, uint64_t now)
{
	struct active_alert **list = e->scratch;
	uint32_t n = collect(e, NS_ANOMALY_SIGNATURE_MAX, list);
	for (uint32_t i = 0; i < n; i++) {
		struct active_alert *al = list[i];

		if (al->raised_now) { /* raised by the final evaluation: report it first */
			al->raised_now = false;
			alert_emit(e, al, NS_ANOMALY_RAISED, now);
		}
		al->a.clear_reason = NS_ANOMALY_CLEAR_END;
		alert_emit(e, al, NS_ANOMALY_CLEARED, now);
		alert_remove(e, al);
	}
}

/* ---- top lists: count descending, then address or port ascending ---- */

static int
top_cmp(const struct ns_anomaly_top *a, const struct ns_anomaly_top *b, bool by_port)
{
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (by_port)
		return a->port < b->port ? -1 : a->port > b->port;
	return addr_cmp(&a->addr, &b->addr);
}

void
top_insert(struct ns_anomaly_top *list, uint8_t *n, const struct ns_anomaly_top *item, bool by_port)
{
	uint32_t pos = *n;

	while (pos > 0 && top_cmp(item, &list[pos - 1], by_port) < 0)
		pos--;
	if (pos >= NS_ANOMALY_TOP)
		return;
	if (*n < NS_ANOMALY_TOP)
		(*n)++;
	memmove(&list[pos + 1], &list[pos], sizeof(*list) * (*n - 1 - pos));
	list[pos] = *item;
}

static bool
top_same(const struct ns_anomaly_top *a, const struct ns_anomaly_top *b, bool by_port)
{
	return by_port ? a->port == b->port : addr_cmp(&a->addr, &b->addr) == 0;
}

void
top_fold(struct ns_anomaly_top *life, uint8_t *n_life, const struct ns_anomaly_top *slot,
	 uint8_t n_slot, bool by_port)
{
	struct ns_anomaly_top all[2 * NS_ANOMALY_TOP];
	uint32_t n = 0;
	uint8_t out = 0;

	for (uint32_t i = 0; i < *n_life; i++)
		all[n++] = life[i];
	for (uint32_t i = 0; i < n_slot; i++) {
		uint32_t j;

		for (j = 0; j < n; j++)
			if (top_same(&all[j], &slot[i], by_port))
				break;
		if (j < n)
			all[j].count += slot[i].count;
		else
			all[n++] = slot[i];
	}
	for (uint32_t i = 0; i < n; i++)
		top_insert(life, &out, &all[i], by_port);
	*n_life = out;
}
