/* SPDX-License-Identifier: MIT */
/*
 * Port-scan detector (management thread). Shards report failed probes - a SYN answered by a
 * RST, an ICMP unreachable, a half-open handshake, a TCP or UDP probe nobody answered - each
 * stamped with the slot it failed in. The engine keeps the distinct probes of the last
 * NS_ANOMALY_SLOTS slots (one entry per scanner, target, port and protocol, so a probe seen by
 * two workers or retransmitted counts once) and measures every scanner: the most distinct
 * ports it failed on one host (vertical) and the most distinct hosts it failed on one port
 * (horizontal). Completed connections never count: a busy client is not a scanner.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly_priv.h"

int
scan_det_init(struct scan_det *d, uint32_t limit)
{
	int rc;

	memset(d, 0, sizeof(*d));
	rc = tab_init(&d->win[0], limit, sizeof(struct probe_ent), sizeof(struct probe_key));
	if (rc == 0)
		rc = tab_init(&d->win[1], limit, sizeof(struct probe_ent),
			      sizeof(struct probe_key));
	if (rc == 0)
		rc = tab_init(&d->sd, limit, sizeof(struct sd_ent), sizeof(struct sd_key));
	if (rc == 0)
		rc = tab_init(&d->sp, limit, sizeof(struct sp_ent), sizeof(struct sp_key));
	if (rc == 0)
		rc = tab_init(&d->scanners, limit, sizeof(struct scanner_ent),
			      sizeof(struct scanner_key));
	return rc;
}

void
scan_det_fini(struct scan_det *d)
{
	tab_fini(&d->win[0]);
	tab_fini(&d->win[1]);
	tab_fini(&d->sd);
	tab_fini(&d->sp);
	tab_fini(&d->scanners);
}

static bool
in_window(uint64_t probe_slot, uint64_t slot)
{
	return probe_slot + NS_ANOMALY_SLOTS > slot;
}

static void
window_put(struct ns_anomaly_engine *e, const struct probe_ent *p)
{
	struct tab *win = &e->scan.win[e->scan.cur];
	struct probe_ent *w;
	bool fresh;

	w = tab_insert(win, &p->k, p->tag, &fresh);
	if (w == NULL) {
		e->cnt[NS_ANOMALY_C_WINDOW_FULL]++;
		return;
	}
	if (p->slot > w->slot)
		w->slot = p->slot;
	w->fails |= p->fails;
}

/*
 * The window is a set of probes, each with the slot it failed in, so a table covering several
 * slots (a stalled hand-off) needs no arithmetic: its probes join the window at their own
 * slots, as each slot's table would have brought them, and leave it at their own time. Scaling
 * by the slots covered would be wrong for distinct counts: 60 ports failed over three slots
 * are 60 distinct ports in every window that holds those slots, not 20. The table is merged at
 * every slot it covers; putting a probe again is harmless (the window keeps its latest slot).
 */
static void
merge_scan(struct ns_anomaly_engine *e, const struct slot_table *t, void *arg)
{
	uint64_t slot = *(const uint64_t *)arg;

	for (uint32_t n = 0; n < t->tab.count; n++) {
		const struct probe_ent *p = tab_nth(&t->tab, n);

		if (p->slot <= slot && in_window(p->slot, slot))
			window_put(e, p);
	}
}

/* Drop probes that left the window by copying the live ones into the other table. */
static void
window_age(struct ns_anomaly_engine *e, uint64_t slot)
{
	struct scan_det *d = &e->scan;
	struct tab *old = &d->win[d->cur];

	d->cur ^= 1;
	tab_clear(&d->win[d->cur]);
	for (uint32_t n = 0; n < old->count; n++) {
		const struct probe_ent *p = tab_nth(old, n);

		if (in_window(p->slot, slot))
			window_put(e, p);
	}
	tab_clear(old);
}

static struct scanner_ent *
scanner_get(struct ns_anomaly_engine *e, const struct ns_addr *src, uint8_t proto, bool insert)
{
	struct scanner_key k;
	struct scanner_ent *s;
	bool fresh;

	memset(&k, 0, sizeof(k));
	k.src = *src;
	k.proto = proto;
	if (!insert)
		return tab_find(&e->scan.scanners, &k, anomaly_hash(&k, sizeof(k)));
	s = tab_insert(&e->scan.scanners, &k, anomaly_hash(&k, sizeof(k)), &fresh);
	if (s == NULL)
		e->cnt[NS_ANOMALY_C_HOSTS_FULL]++;
	return s;
}

static void
aggregate(struct ns_anomaly_engine *e)
{
	struct scan_det *d = &e->scan;
	const struct tab *win = &d->win[d->cur];

	tab_clear(&d->sd);
	tab_clear(&d->sp);
	tab_clear(&d->scanners);
	for (uint32_t n = 0; n < win->count; n++) {
		const struct probe_ent *p = tab_nth(win, n);
		struct scanner_ent *s = scanner_get(e, &p->k.src, p->k.proto, true);
		struct sd_key dk;
		struct sp_key pk;
		struct sd_ent *de;
		struct sp_ent *pe;
		bool fresh;

		if (s == NULL)
			continue;
		s->probes++;
		for (unsigned f = 0; f < NS_ANOMALY_FAIL_MAX; f++)
			if (p->fails & (1u << f))
				s->fails[f]++;
		memset(&dk, 0, sizeof(dk));
		dk.src = p->k.src;
		dk.dst = p->k.dst;
		dk.proto = p->k.proto;
		de = tab_insert(&d->sd, &dk, anomaly_hash(&dk, sizeof(dk)), &fresh);
		if (de != NULL) {
			s->dhosts += fresh;
			de->ports++;
		}
		memset(&pk, 0, sizeof(pk));
		pk.src = p->k.src;
		pk.port = p->k.dport;
		pk.proto = p->k.proto;
		pe = tab_insert(&d->sp, &pk, anomaly_hash(&pk, sizeof(pk)), &fresh);
		if (pe != NULL) {
			s->dports += fresh;
			pe->hosts++;
		}
		if (de == NULL || pe == NULL)
			e->cnt[NS_ANOMALY_C_HOSTS_FULL]++;
	}
	/* Ties go to the lowest address / port so the target named is the same every run. */
	for (uint32_t n = 0; n < d->sd.count; n++) {
		const struct sd_ent *de = tab_nth(&d->sd, n);
		struct scanner_ent *s = scanner_get(e, &de->k.src, de->k.proto, false);

		if (s != NULL && (de->ports > s->vmax ||
				  (de->ports == s->vmax && addr_cmp(&de->k.dst, &s->vdst) < 0))) {
			s->vmax = de->ports;
			s->vdst = de->k.dst;
		}
	}
	for (uint32_t n = 0; n < d->sp.count; n++) {
		const struct sp_ent *pe = tab_nth(&d->sp, n);
		struct scanner_ent *s = scanner_get(e, &pe->k.src, pe->k.proto, false);

		if (s != NULL &&
		    (pe->hosts > s->hmax || (pe->hosts == s->hmax && pe->k.port < s->hport))) {
			s->hmax = pe->hosts;
			s->hport = pe->k.port;
		}
	}
}

/* Thresholds are reached at the value itself: ports >= scan_ports, hosts >= scan_hosts. */
static uint8_t
scan_shape(const struct ns_anomaly_engine *e, const struct scanner_ent *s)
{
	uint8_t shape = 0;

	if (s->vmax >= e->p.scan_ports)
		shape |= NS_ANOMALY_SCAN_VERTICAL;
	if (s->hmax >= e->p.scan_hosts)
		shape |= NS_ANOMALY_SCAN_HORIZONTAL;
	return shape;
}

static void
scan_update(struct ns_anomaly_engine *e, struct active_alert *al, const struct scanner_ent *s,
	    uint64_t slot, uint64_t now)
{
	struct ns_anomaly_scan_info *si = &al->a.scan;
	uint8_t shape = s != NULL ? scan_shape(e, s) : 0;
	double x;

	al->eval_slot = slot;
	si->proto = al->key.proto;
	si->thr_ports = e->p.scan_ports;
	si->thr_hosts = e->p.scan_hosts;
	if (s == NULL) { /* nothing failed in the window any more */
		si->ports = si->hosts = si->probes = 0;
		si->distinct_ports = si->distinct_hosts = 0;
		si->probe_rate = 0;
		memset(si->fails, 0, sizeof(si->fails));
		al->held = false;
		return;
	}
	si->ports = s->vmax;
	si->hosts = s->hmax;
	si->probes = s->probes;
	si->distinct_ports = s->dports;
	si->distinct_hosts = s->dhosts;
	si->probe_rate = (double)s->probes / (double)e->p.scan_window_s;
	for (unsigned f = 0; f < NS_ANOMALY_FAIL_MAX; f++)
		si->fails[f] = s->fails[f];
	si->top_port = s->hport;
	si->peak_ports = NS_MAX(si->peak_ports, s->vmax);
	si->peak_hosts = NS_MAX(si->peak_hosts, s->hmax);
	if (shape != 0)
		si->shape = shape;
	al->a.has_src = true;
	al->a.src = al->key.addr;
	al->a.dst = s->vdst;
	al->a.has_dst = (si->shape & NS_ANOMALY_SCAN_VERTICAL) || s->dhosts == 1;
	al->a.dst_port = s->hport;
	al->a.has_port = (si->shape & NS_ANOMALY_SCAN_HORIZONTAL) || s->dports == 1;
	/* Five times a threshold is a thorough sweep rather than a curious client. */
	x = NS_MAX((double)si->peak_ports / e->p.scan_ports,
		   (double)si->peak_hosts / e->p.scan_hosts);
	if (x >= 5.0 && al->a.severity < NS_ANOMALY_SEV_MEDIUM)
		al->a.severity = NS_ANOMALY_SEV_MEDIUM;
	al->held = shape != 0;
	if (al->held)
		al->a.last_active_ns = now;
}

static void
sample_port(struct ns_anomaly_scan_info *si, uint16_t v)
{
	uint32_t pos = si->n_sample_ports;

	while (pos > 0 && si->sample_ports[pos - 1] > v)
		pos--;
	if (pos >= NS_ANOMALY_SAMPLE)
		return;
	if (si->n_sample_ports < NS_ANOMALY_SAMPLE)
		si->n_sample_ports++;
	memmove(&si->sample_ports[pos + 1], &si->sample_ports[pos],
		sizeof(v) * (si->n_sample_ports - 1 - pos));
	si->sample_ports[pos] = v;
}

static void
sample_host(struct ns_anomaly_scan_info *si, const struct ns_addr *v)
{
	uint32_t pos = si->n_sample_hosts;

	while (pos > 0 && addr_cmp(&si->sample_hosts[pos - 1], v) > 0)
		pos--;
	if (pos >= NS_ANOMALY_SAMPLE)
		return;
	if (si->n_sample_hosts < NS_ANOMALY_SAMPLE)
		si->n_sample_hosts++;
	memmove(&si->sample_hosts[pos + 1], &si->sample_hosts[pos],
		sizeof(*v) * (si->n_sample_hosts - 1 - pos));
	si->sample_hosts[pos] = *v;
}

/* The lowest ports probed on the main target and the lowest hosts probed on the main port. */
static void
samples(struct ns_anomaly_engine *e, uint64_t slot)
{
	const struct tab *win = &e->scan.win[e->scan.cur];
	bool any = false;

	for (uint32_t i = 0; i < e->p.max_alerts; i++) {
		struct active_alert *al = &e->active[i];

		if (al->used && al->key.sig == NS_ANOMALY_PORT_SCAN && al->eval_slot == slot &&
		    al->a.scan.probes > 0) {
			al->a.scan.n_sample_ports = al->a.scan.n_sample_hosts = 0;
			any = true;
		}
	}
	for (uint32_t n = 0; any && n < win->count; n++) {
		const struct probe_ent *p = tab_nth(win, n);
		struct active_alert *al;
		struct alert_key ak;

		alert_key_make(&ak, NS_ANOMALY_PORT_SCAN, NS_ANOMALY_ROLE_SCANNER, &p->k.src,
			       p->k.proto);
		al = alert_find(e, &ak);
		if (al == NULL || al->a.scan.probes == 0)
			continue;
		if (addr_cmp(&p->k.dst, &al->a.dst) == 0)
			sample_port(&al->a.scan, p->k.dport);
		if (p->k.dport == al->a.scan.top_port)
			sample_host(&al->a.scan, &p->k.dst);
	}
}

/*
 * A source already reported as a SYN flooder (an attacker alert, or the one source a victim
 * alert names) fails its SYNs by the thousand; its TCP "scan" is the same event.
 */
static bool
flooding(struct ns_anomaly_engine *e, const struct ns_addr *src)
{
	struct alert_key ak;

	if (e->n_active_sig[NS_ANOMALY_SYN_FLOOD] == 0)
		return false;
	alert_key_make(&ak, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_ROLE_ATTACKER, src, IPPROTO_TCP);
	if (alert_find(e, &ak) != NULL)
		return true;
	for (uint32_t i = 0; i < e->p.max_alerts; i++) {
		const struct active_alert *al = &e->active[i];

		if (al->used && al->key.sig == NS_ANOMALY_SYN_FLOOD && al->a.has_src &&
		    addr_cmp(&al->a.src, src) == 0)
			return true;
	}
	return false;
}

static int
by_scanner_key(const void *a, const void *b)
{
	const struct scanner_ent *x = *(const struct scanner_ent *const *)a;
	const struct scanner_ent *y = *(const struct scanner_ent *const *)b;
	int c = addr_cmp(&x->k.src, &y->k.src);

	if (c != 0)
		return c;
	return x->k.proto < y->k.proto ? -1 : x->k.proto > y->k.proto;
}

void
scan_eval(struct ns_anomaly_engine *e, uint64_t slot, uint64_t now)
{
	struct scan_det *d = &e->scan;
	uint32_t nc = 0;

	window_age(e, slot);
	engine_take_tables(e, KIND_SCAN, slot, merge_scan, &slot);
	aggregate(e);
	for (uint32_t n = 0; n < d->scanners.count; n++) {
		struct scanner_ent *s = tab_nth(&d->scanners, n);
		struct active_alert *al;
		struct alert_key ak;

		alert_key_make(&ak, NS_ANOMALY_PORT_SCAN, NS_ANOMALY_ROLE_SCANNER, &s->k.src,
			       s->k.proto);
		al = alert_find(e, &ak);
		if (al != NULL)
			scan_update(e, al, s, slot, now);
		else if (scan_shape(e, s) != 0 && nc < e->cands_cap)
			e->cands[nc++] = s;
	}
	for (uint32_t i = 0; i < e->p.max_alerts; i++) {
		struct active_alert *al = &e->active[i];

		if (al->used && al->key.sig == NS_ANOMALY_PORT_SCAN && al->eval_slot != slot)
			scan_update(e, al, NULL, slot, now);
	}
	qsort(e->cands, nc, sizeof(*e->cands), by_scanner_key);
	for (uint32_t i = 0; i < nc; i++) {
		const struct scanner_ent *s = e->cands[i];
		struct active_alert *al;
		struct alert_key ak;

		if (s->k.proto == IPPROTO_TCP && flooding(e, &s->k.src))
			continue;
		alert_key_make(&ak, NS_ANOMALY_PORT_SCAN, NS_ANOMALY_ROLE_SCANNER, &s->k.src,
			       s->k.proto);
		al = alert_raise(e, &ak, now);
		if (al != NULL)
			scan_update(e, al, s, slot, now);
	}
	samples(e, slot);
	alert_lifecycle(e, NS_ANOMALY_PORT_SCAN, now, e->window_ns[KIND_SCAN]);
}
