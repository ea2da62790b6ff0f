/* SPDX-License-Identifier: MIT */
/*
 * SYN-flood detector (management thread). Each SYN slot, the shards' (source, victim, port)
 * counts are summed into one table, which is then folded into one aggregate per victim and per
 * attacker for that slot. The last NS_ANOMALY_SLOTS aggregates make the window: a key floods
 * when its SYN rate over the window exceeds the rate threshold while its share of completed
 * handshakes stays under the ratio threshold. A spoofed flood from many sources still piles
 * up on its victim; a source flooding many victims shows as an attacker.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly_priv.h"

/*
 * A flood repeats the same targets; a scan touches each (host, port) about once: one SYN,
 * plus a retransmission or two when the port stays silent. Fewer than 4 SYNs per target on
 * average, from one dominant source (at least half of the SYNs), is a scan's signature and is
 * left to the port-scan detector, so one nmap run is one alert, not two. Many sources spread
 * over many ports (a spoofed random-port flood) still count as a flood.
 */
#define SCAN_SYNS_PER_TARGET 4

int
syn_det_init(struct syn_det *d, uint32_t limit)
{
	int rc;

	memset(d, 0, sizeof(*d));
	rc = tab_init(&d->merge, limit, sizeof(struct syn_ent), sizeof(struct syn_key));
	for (unsigned i = 0; rc == 0 && i < NS_ANOMALY_SLOTS; i++)
		rc = tab_init(&d->ring[i], limit, sizeof(struct host_agg), sizeof(struct host_key));
	if (rc == 0)
		rc = tab_init(&d->pairs, limit, sizeof(struct pair_ent), sizeof(struct pair_key));
	if (rc == 0)
		rc = tab_init(&d->ports, limit, sizeof(struct port_ent), sizeof(struct port_key));
	return rc;
}

void
syn_det_fini(struct syn_det *d)
{
	tab_fini(&d->merge);
	for (unsigned i = 0; i < NS_ANOMALY_SLOTS; i++)
		tab_fini(&d->ring[i]);
	tab_fini(&d->pairs);
	tab_fini(&d->ports);
}

/*
 * Add the counts @t holds of slot *@arg to the merge table. A table holds one slot's counts
 * unless its shard's hand-off stalled; then each entry says its slot, and the engine judges
 * every slot with its own SYNs only. Rates are per window, so the counts need no scaling once
 * they sit in the right slot: summed into one slot, a stall's SYNs stayed in the window up to
 * four slots after their time and a steady rate under the threshold read as a flood.
 */
static void
merge_syn(struct ns_anomaly_engine *e, const struct slot_table *t, void *arg)
{
	uint64_t slot = *(const uint64_t *)arg;
	bool one = t->n_slots <= 1;

	if (slot < t->next || !table_has(t, slot))
		return;
	for (uint32_t n = 0; n < t->tab.count; n++) {
		const struct syn_ent *se = tab_nth(&t->tab, n);
		const struct syn_key *k = &se->k;
		uint32_t hash = se->tag; /* the stored tag is the key's hash */
		struct syn_key k0;
		struct syn_ent *m;
		bool fresh;

		if (!one && t->slots[NS_MIN(k->slot_idx, t->n_slots - 1)] != slot)
			continue;
		if (k->slot_idx != 0) { /* merged with the other shards' entries of the slot */
			k0 = *k;
			k0.slot_idx = 0;
			k = &k0;
			hash = anomaly_hash(k, sizeof(*k));
		}
		m = tab_insert(&e->syn.merge, k, hash, &fresh);
		if (m == NULL) {
			e->cnt[NS_ANOMALY_C_MERGE_FULL]++;
			continue;
		}
		sat_add32(&m->syn, se->syn);
		sat_add32(&m->done, se->done);
	}
}

static void
host_key_make(struct host_key *k, const struct ns_addr *a, unsigned role)
{
	memset(k, 0, sizeof(*k));
	k->addr = *a;
	k->role = (uint8_t)role;
}

static struct host_agg *
host_get(struct ns_anomaly_engine *e, struct tab *agg, const struct ns_addr *a, unsigned role)
{
	struct host_key k;
	struct host_agg *h;
	bool fresh;

	host_key_make(&k, a, role);
	h = tab_insert(agg, &k, anomaly_hash(&k, sizeof(k)), &fresh);
	if (h == NULL)
		e->cnt[NS_ANOMALY_C_HOSTS_FULL]++;
	return h;
}

static struct host_agg *
host_find(const struct tab *agg, const struct ns_addr *a, unsigned role)
{
	struct host_key k;

	host_key_make(&k, a, role);
	return tab_find(agg, &k, anomaly_hash(&k, sizeof(k)));
}

/* Add @syn to (addr, port, role); true when the port is new for that host this slot. */
static bool
port_add(struct ns_anomaly_engine *e, const struct ns_addr *a, uint16_t port, unsigned role,
	 uint32_t syn)
{
	struct port_key k;
	struct port_ent *pe;
	bool fresh;

	memset(&k, 0, sizeof(k));
	k.addr = *a;
	k.port = port;
	k.role = (uint8_t)role;
	pe = tab_insert(&e->syn.ports, &k, anomaly_hash(&k, sizeof(k)), &fresh);
	if (pe == NULL) {
		e->cnt[NS_ANOMALY_C_HOSTS_FULL]++;
		return false;
	}
	sat_add32(&pe->syn, syn);
	return fresh;
}

static bool
pair_add(struct ns_anomaly_engine *e, const struct ns_addr *victim, const struct ns_addr *src,
	 uint32_t syn)
{
	struct pair_key k;
	struct pair_ent *pe;
	bool fresh;

	memset(&k, 0, sizeof(k));
	k.victim = *victim;
	k.src = *src;
	pe = tab_insert(&e->syn.pairs, &k, anomaly_hash(&k, sizeof(k)), &fresh);
	if (pe == NULL) {
		e->cnt[NS_ANOMALY_C_HOSTS_FULL]++;
		return false;
	}
	sat_add32(&pe->syn, syn);
	return fresh;
}

static void
top_peer_update(struct host_agg *h, const struct ns_addr *peer, uint32_t syn)
{
	if (h == NULL || syn == 0)
		return;
	if (syn > h->top_peer_syn || (syn == h->top_peer_syn && addr_cmp(peer, &h->top_peer) < 0)) {
		h->top_peer_syn = syn;
		h->top_peer = *peer;
	}
}

/* Fold the merged (source, victim, port) counts of the slot into per-host aggregates. */
static void
aggregate(struct ns_anomaly_engine *e, struct tab *agg)
{
	struct syn_det *d = &e->syn;

	for (uint32_t n = 0; n < d->merge.count; n++) {
		const struct syn_ent *m = tab_nth(&d->merge, n);
		struct host_agg *v = host_get(e, agg, &m->k.dst, NS_ANOMALY_ROLE_VICTIM);
		struct host_agg *a;

		if (v != NULL) {
			sat_add32(&v->syn, m->syn);
			sat_add32(&v->done, m->done);
		}
		if (m->k.flags & SYN_F_ANY_SRC) {
			/* Sources unknown past the shard's cap: one opaque target. */
			if (v != NULL && m->syn > 0)
				v->targets++;
			continue;
		}
		a = host_get(e, agg, &m->k.src, NS_ANOMALY_ROLE_ATTACKER);
		if (a != NULL) {
			sat_add32(&a->syn, m->syn);
			sat_add32(&a->done, m->done);
			if (m->syn > 0)
				a->targets++;
		}
		if (m->syn == 0)
			continue;
		if (port_add(e, &m->k.dst, m->k.dport, NS_ANOMALY_ROLE_VICTIM, m->syn) &&
		    v != NULL) {
			v->targets++;
			v->ports++;
		}
		if (port_add(e, &m->k.src, m->k.dport, NS_ANOMALY_ROLE_ATTACKER, m->syn) &&
		    a != NULL)
			a->ports++;
		if (pair_add(e, &m->k.dst, &m->k.src, m->syn)) {
			if (v != NULL)
				v->peers++;
			if (a != NULL)
				a->peers++;
		}
	}
	for (uint32_t n = 0; n < d->pairs.count; n++) {
		const struct pair_ent *p = tab_nth(&d->pairs, n);

		top_peer_update(host_find(agg, &p->k.victim, NS_ANOMALY_ROLE_VICTIM), &p->k.src,
				p->syn);
		top_peer_update(host_find(agg, &p->k.src, NS_ANOMALY_ROLE_ATTACKER), &p->k.victim,
				p->syn);
	}
}

struct win {
	uint64_t syn, done, targets, top_peer_syn;
};

static void
window_sum(const struct syn_det *d, const struct host_key *k, uint64_t slot, struct win *w)
{
	uint32_t h = anomaly_hash(k, sizeof(*k));

	memset(w, 0, sizeof(*w));
	for (unsigned i = 0; i < NS_ANOMALY_SLOTS; i++) {
		const struct host_agg *a;

		if (!d->ring_used[i] || slot - d->ring_slot[i] >= NS_ANOMALY_SLOTS)
			continue;
		a = tab_find(&d->ring[i], k, h);
		if (a == NULL)
			continue;
		w->syn += a->syn;
		w->done += a->done;
		w->targets += a->targets;
		w->top_peer_syn += a->top_peer_syn;
	}
}

static double
win_rate(const struct ns_anomaly_engine *e, const struct win *w)
{
	return (double)w->syn / (double)e->p.syn_window_s;
}

static double
win_ratio(const struct win *w)
{
	if (w->syn == 0)
		return 1.0;
	return w->done >= w->syn ? 1.0 : (double)w->done / (double)w->syn;
}

/*
 * The flood condition: rate strictly above the threshold and completion strictly below it
 * (a value exactly at a threshold does not alert), and not a single scanner's pattern.
 */
static bool
flood_cond(const struct ns_anomaly_engine *e, const struct win *w, unsigned role)
{
	bool scan_like;

	if (!(win_rate(e, w) > e->p.syn_rate) || !(win_ratio(w) < e->p.syn_ratio))
		return false;
	scan_like = w->syn < (uint64_t)SCAN_SYNS_PER_TARGET * w->targets;
	if (role == NS_ANOMALY_ROLE_VICTIM)
		return !(scan_like && w->top_peer_syn * 2 >= w->syn);
	return !scan_like;
}

static void
syn_update(struct ns_anomaly_engine *e, struct active_alert *al, const struct win *w,
	   const struct host_agg *h, uint64_t slot, uint64_t now)
{
	struct ns_anomaly_syn_info *sy = &al->a.syn;
	bool cond = flood_cond(e, w, al->key.role);
	uint8_t sev;

	al->eval_slot = slot;
	sy->rate = win_rate(e, w);
	sy->ratio = win_ratio(w);
	sy->window_syns = w->syn;
	sy->window_done = w->done;
	if (sy->rate > sy->peak_rate)
		sy->peak_rate = sy->rate;
	if (al->raised_now && sy->total_syns == 0 && sy->total_done == 0) {
		sy->total_syns = w->syn;
		sy->total_done = w->done;
	} else if (h != NULL) {
		sy->total_syns += h->syn;
		sy->total_done += h->done;
	}
	al->top_total += h != NULL ? h->syn : 0;
	if (h != NULL) {
		sy->peers = NS_MAX(sy->peers, h->peers);
		sy->ports = NS_MAX(sy->ports, h->ports);
	}
	sy->thr_rate = e->p.syn_rate;
	sy->thr_ratio = e->p.syn_ratio;
	/* Five times the threshold rate is a flood in earnest. */
	sev = sy->peak_rate >= 5.0 * e->p.syn_rate ? NS_ANOMALY_SEV_HIGH : NS_ANOMALY_SEV_MEDIUM;
	if (sev > al->a.severity)
		al->a.severity = sev;
	al->held = cond;
	if (cond)
		al->a.last_active_ns = now;
}

/* An attacker whose busiest victim is already in alert with it as the top source. */
static bool
covered(struct ns_anomaly_engine *e, const struct tab *agg, const struct host_agg *a)
{
	const struct host_agg *v;
	struct alert_key ak;

	if (a->top_peer_syn == 0)
		return false;
	v = host_find(agg, &a->top_peer, NS_ANOMALY_ROLE_VICTIM);
	if (v == NULL || addr_cmp(&v->top_peer, &a->k.addr) != 0)
		return false;
	alert_key_make(&ak, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_ROLE_VICTIM, &a->top_peer,
		       IPPROTO_TCP);
	return alert_find(e, &ak) != NULL;
}

static int
by_host_key(const void *a, const void *b)
{
	const struct host_agg *x = *(const struct host_agg *const *)a;
	const struct host_agg *y = *(const struct host_agg *const *)b;

	if (x->k.role != y->k.role)
		return x->k.role < y->k.role ? -1 : 1;
	return addr_cmp(&x->k.addr, &y->k.addr);
}

static struct active_alert *
alert_of(struct ns_anomaly_engine *e, const struct ns_addr *a, unsigned role)
{
	struct alert_key ak;

	alert_key_make(&ak, NS_ANOMALY_SYN_FLOOD, role, a, IPPROTO_TCP);
	return alert_find(e, &ak);
}

/* Top sources/victims and ports of this slot for every alert evaluated in it. */
static void
top_lists(struct ns_anomaly_engine *e, uint64_t slot)
{
	struct syn_det *d = &e->syn;
	bool any = false;

	for (uint32_t i = 0; i < e->p.max_alerts; i++) {
		struct active_alert *al = &e->active[i];

		if (al->used && al->key.sig == NS_ANOMALY_SYN_FLOOD && al->eval_slot == slot) {
			al->n_slot_peers = al->n_slot_ports = 0;
			any = true;
		}
	}
	if (!any)
		return;
	for (uint32_t n = 0; n < d->pairs.count; n++) {
		const struct pair_ent *p = tab_nth(&d->pairs, n);
		struct ns_anomaly_top t = { .count = p->syn };
		struct active_alert *al;

		if ((al = alert_of(e, &p->k.victim, NS_ANOMALY_ROLE_VICTIM)) != NULL) {
			t.addr = p->k.src;
			top_insert(al->slot_peers, &al->n_slot_peers, &t, false);
		}
		if ((al = alert_of(e, &p->k.src, NS_ANOMALY_ROLE_ATTACKER)) != NULL) {
			t.addr = p->k.victim;
			top_insert(al->slot_peers, &al->n_slot_peers, &t, false);
		}
	}
	for (uint32_t n = 0; n < d->ports.count; n++) {
		const struct port_ent *p = tab_nth(&d->ports, n);
		struct ns_anomaly_top t = { .port = p->k.port, .count = p->syn };
		struct active_alert *al = alert_of(e, &p->k.addr, p->k.role);

		if (al != NULL)
			top_insert(al->slot_ports, &al->n_slot_ports, &t, true);
	}
	for (uint32_t i = 0; i < e->p.max_alerts; i++) {
		struct active_alert *al = &e->active[i];
		struct ns_anomaly_syn_info *sy = &al->a.syn;
		bool peer_stands_out, port_stands_out;

		if (!al->used || al->key.sig != NS_ANOMALY_SYN_FLOOD || al->eval_slot != slot)
			continue;
		top_fold(sy->top_peers, &sy->n_top_peers, al->slot_peers, al->n_slot_peers, false);
		top_fold(sy->top_ports, &sy->n_top_ports, al->slot_ports, al->n_slot_ports, true);
		/* One peer or port "stands out" with at least half of the SYNs. */
		peer_stands_out =
			sy->n_top_peers > 0 && sy->top_peers[0].count * 2 >= al->top_total;
		port_stands_out =
			sy->n_top_ports > 0 && sy->top_ports[0].count * 2 >= al->top_total;
		if (al->key.role == NS_ANOMALY_ROLE_VICTIM) {
			al->a.has_dst = true;
			al->a.dst = al->key.addr;
			al->a.has_src = peer_stands_out;
			if (peer_stands_out)
				al->a.src = sy->top_peers[0].addr;
		} else {
			al->a.has_src = true;
			al->a.src = al->key.addr;
			al->a.has_dst = peer_stands_out;
			if (peer_stands_out)
				al->a.dst = sy->top_peers[0].addr;
		}
		al->a.has_port = port_stands_out;
		if (port_stands_out)
			al->a.dst_port = sy->top_ports[0].port;
	}
}

/*
 * Add the aggregates @late of slot @past, which came after that slot was evaluated, to the
 * slot's own aggregates. Distinct counts (targets, peers, ports) and the busiest peer's SYNs
 * are summed with what the slot already had, an upper bound when the same peer or port came
 * from two shards: more targets and a busier top peer only make a pattern look more like a
 * scan, never more like a flood. An active alert's lifetime totals take the SYNs too.
 */
static void
fold_late(struct ns_anomaly_engine *e, const struct tab *late, uint64_t past)
{
	struct syn_det *d = &e->syn;
	unsigned r = (unsigned)(past % NS_ANOMALY_SLOTS);

	if (!d->ring_used[r] || d->ring_slot[r] != past) { /* the slot was skipped as idle */
		tab_clear(&d->ring[r]);
		d->ring_slot[r] = past;
		d->ring_used[r] = true;
	}
	for (uint32_t n = 0; n < late->count; n++) {
		const struct host_agg *h = tab_nth(late, n);
		struct host_agg *g = host_get(e, &d->ring[r], &h->k.addr, h->k.role);
		struct active_alert *al = alert_of(e, &h->k.addr, h->k.role);

		if (g != NULL) {
			sat_add32(&g->syn, h->syn);
			sat_add32(&g->done, h->done);
			sat_add32(&g->targets, h->targets);
			sat_add32(&g->peers, h->peers);
			sat_add32(&g->ports, h->ports);
			if (g->top_peer_syn == 0)
				g->top_peer = h->top_peer;
			sat_add32(&g->top_peer_syn, h->top_peer_syn);
		}
		if (al != NULL) {
			al->a.syn.total_syns += h->syn;
			al->a.syn.total_done += h->done;
		}
	}
}

/*
 * Count the SYNs @t holds of slots before *@arg that are still to merge: no window still to
 * come holds those slots, so merge_late() leaves them out and engine_take_tables() moves the
 * table past them. Counted, so that a flood that lay only there is not lost silently.
 */
static void
count_dropped(struct ns_anomaly_engine *e, const struct slot_table *t, void *arg)
{
	uint64_t bound = *(const uint64_t *)arg;

	if (t->next >= bound)
		return;
	for (uint32_t n = 0; n < t->tab.count; n++) {
		const struct syn_ent *se = tab_nth(&t->tab, n);
		uint64_t slot = t->slots[NS_MIN(se->k.slot_idx, t->n_slots - 1)];

		if (slot >= t->next && slot < bound)
			e->cnt[NS_ANOMALY_C_LATE_SYNS_DROPPED] += se->syn;
	}
}

/*
 * Counts of slots evaluated before their table came (the lateness bound evaluated them
 * without a stalled or slow shard) go to those slots, for the windows still to come that hold
 * them; the windows already judged stay judged. Added to the slot being evaluated instead, a
 * late table's slots would count in windows that never held them: several slots' SYNs in
 * one, the false flood of a stalled hand-off again. Counts of a slot no window still to come
 * holds are left out, their SYNs counted (anomaly_late_syns_dropped). @scratch (the ring entry
 * @slot is about to reuse, whose slot no window reads any more) holds each late slot's aggregates
 * on the way.
 */
static void
merge_late(struct ns_anomaly_engine *e, uint64_t slot, struct tab *scratch)
{
	struct syn_det *d = &e->syn;
	uint64_t past = engine_next_counts(e, KIND_SYN);

	if (slot >= NS_ANOMALY_SLOTS && past < slot - (NS_ANOMALY_SLOTS - 1)) {
		past = slot - (NS_ANOMALY_SLOTS - 1);
		engine_each_table(e, KIND_SYN, count_dropped, &past);
	}
	for (; past < slot; past++) {
		tab_clear(&d->merge);
		engine_each_table(e, KIND_SYN, merge_syn, &past);
		if (d->merge.count == 0)
			continue;
		tab_clear(scratch);
		tab_clear(&d->pairs);
		tab_clear(&d->ports);
		aggregate(e, scratch);
		fold_late(e, scratch, past);
	}
}

void
syn_eval(struct ns_anomaly_engine *e, uint64_t slot, uint64_t now)
{
	struct syn_det *d = &e->syn;
	unsigned r = (unsigned)(slot % NS_ANOMALY_SLOTS);
	struct tab *agg = &d->ring[r];
	uint32_t nc = 0;

	merge_late(e, slot, agg);
	tab_clear(&d->merge);
	engine_take_tables(e, KIND_SYN, slot, merge_syn, &slot);
	tab_clear(agg);
	d->ring_slot[r] = slot;
	d->ring_used[r] = true;
	tab_clear(&d->pairs);
	tab_clear(&d->ports);
	aggregate(e, agg);

	/* Alerts already raised follow their key; new candidates wait to be ordered. */
	for (uint32_t n = 0; n < agg->count; n++) {
		struct host_agg *h = tab_nth(agg, n);
		struct active_alert *al = alert_of(e, &h->k.addr, h->k.role);
		struct win w;

		window_sum(d, &h->k, slot, &w);
		if (al != NULL)
			syn_update(e, al, &w, h, slot, now);
		else if (flood_cond(e, &w, h->k.role) && nc < e->cands_cap)
			e->cands[nc++] = h;
	}
	for (uint32_t i = 0; i < e->p.max_alerts; i++) {
		struct active_alert *al = &e->active[i];
		struct host_key k;
		struct win w;

		if (!al->used || al->key.sig != NS_ANOMALY_SYN_FLOOD || al->eval_slot == slot)
			continue;
		host_key_make(&k, &al->key.addr, al->key.role);
		window_sum(d, &k, slot, &w);
		syn_update(e, al, &w, NULL, slot, now);
	}
	/* Victims before attackers (an attacker already named by its victim's alert is not
	 * raised again), each in address order: the same ids on every replay. */
	qsort(e->cands, nc, sizeof(*e->cands), by_host_key);
	for (uint32_t i = 0; i < nc; i++) {
		struct host_agg *h = e->cands[i];
		struct active_alert *al;
		struct alert_key ak;
		struct win w;

		if (h->k.role == NS_ANOMALY_ROLE_ATTACKER && covered(e, agg, h))
			continue;
		alert_key_make(&ak, NS_ANOMALY_SYN_FLOOD, h->k.role, &h->k.addr, IPPROTO_TCP);
		al = alert_raise(e, &ak, now);
		if (al == NULL)
			continue; /* max_alerts active: counted */
		window_sum(d, &h->k, slot, &w);
		syn_update(e, al, &w, h, slot, now);
	}
	top_lists(e, slot);
	alert_lifecycle(e, NS_ANOMALY_SYN_FLOOD, now, e->window_ns[KIND_SYN]);
}
