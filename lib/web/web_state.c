/* SPDX-License-Identifier: MIT */
/*
 * The dashboard's data, owned by the web thread: the latest snapshot (and the latest one that
 * carried top flows), per-second rates and their time series derived from consecutive
 * snapshots, the inspector's packet ring and the alert ring. Requests only read this; the
 * message callbacks are the only writers, on the same thread, so nothing here locks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ns_core.h"
#include "web_priv.h"

static size_t
align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

struct web_snap *
web_snap_copy(const struct ns_web_snapshot *s)
{
	uint32_t n_flows = s->has_flows ? NS_MIN(s->n_flows, (uint32_t)NS_WEB_FLOWS_MAX) : 0;
	size_t wsz = align8(sizeof(struct ns_web_worker) * s->n_workers);
	size_t isz = align8(sizeof(struct ns_web_iface) * s->n_ifaces);
	size_t fsz = align8(web_flow_record_size() * n_flows);
	size_t head = align8(sizeof(struct web_snap));
	struct web_snap *c = malloc(head + wsz + isz + fsz);
	uint8_t *p;

	if (c == NULL)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->s = *s;
	c->flow_json = NULL;
	p = (uint8_t *)c + head;
	c->s.backend[sizeof(c->s.backend) - 1] = '\0';
	c->s.worker = NULL;
	c->s.ifaces = NULL;
	c->s.flows = NULL;
	c->s.n_flows = n_flows;
	if (s->n_workers != 0 && s->worker != NULL) {
		memcpy(p, s->worker, sizeof(struct ns_web_worker) * s->n_workers);
		c->s.worker = (const struct ns_web_worker *)(const void *)p;
	} else {
		c->s.n_workers = 0;
	}
	p += wsz;
	if (s->n_ifaces != 0 && s->ifaces != NULL) {
		struct ns_web_iface *ifs = (struct ns_web_iface *)(void *)p;

		memcpy(ifs, s->ifaces, sizeof(struct ns_web_iface) * s->n_ifaces);
		for (uint32_t i = 0; i < s->n_ifaces; i++) {
			ifs[i].name[sizeof(ifs[i].name) - 1] = '\0';
			ifs[i].kind[sizeof(ifs[i].kind) - 1] = '\0';
		}
		c->s.ifaces = ifs;
	} else {
		c->s.n_ifaces = 0;
	}
	p += isz;
	if (n_flows != 0 && s->flows != NULL) {
		memcpy(p, s->flows, web_flow_record_size() * n_flows);
		c->s.flows = (const struct ns_flow_record *)(const void *)p;
	} else {
		c->s.n_flows = 0;
	}
	return c;
}

void
web_snap_free(struct web_snap *snap)
{
	if (snap == NULL)
		return;
	if (snap->flow_json != NULL)
		for (uint32_t i = 0; i < snap->s.n_flows; i++)
			json_object_put(snap->flow_json[i]);
	free(snap->flow_json);
	free(snap);
}

int
web_state_init(struct web_state *st, uint32_t series_cap, uint32_t pkt_cap, uint32_t alert_cap)
{
	memset(st, 0, sizeof(*st));
	st->series.cap = series_cap;
	st->series.pt = calloc(series_cap, sizeof(*st->series.pt));
	st->pkt_cap = pkt_cap;
	st->pkts = calloc(pkt_cap, sizeof(*st->pkts));
	st->pkt_ids = calloc(pkt_cap, sizeof(*st->pkt_ids));
	st->alert_cap = alert_cap;
	st->alerts = calloc(alert_cap, sizeof(*st->alerts));
	st->alert_ids = calloc(alert_cap, sizeof(*st->alert_ids));
	st->pkt_next_id = 1;
	if (st->series.pt == NULL || st->pkts == NULL || st->pkt_ids == NULL ||
	    st->alerts == NULL || st->alert_ids == NULL) {
		web_state_free(st);
		return -ENOMEM;
	}
	return 0;
}

void
web_state_free(struct web_state *st)
{
	if (st->flows_src != st->cur)
		web_snap_free(st->flows_src);
	web_snap_free(st->cur);
	free(st->series.pt);
	free(st->pkts);
	free(st->pkt_ids);
	if (st->alerts != NULL)
		for (uint32_t i = 0; i < st->alert_cap; i++)
			json_object_put(st->alerts[i]);
	free(st->alerts);
	free(st->alert_ids);
	memset(st, 0, sizeof(*st));
}

static void
series_push(struct web_series *s, int64_t t, double pps, double bps, uint64_t flows)
{
	struct web_point *p = &s->pt[s->head];

	p->t = t;
	p->pps = pps;
	p->bps = bps;
	p->flows = flows;
	s->head = (s->head + 1) % s->cap;
	if (s->len < s->cap)
		s->len++;
}

/*
 * The counters at second base_sec are known; @sec is later. Everything counted in between is
 * spread evenly over the seconds base_sec .. sec-1 (one point each, at most the series
 * length): a skipped snapshot or an idle gap in a file then still charts the right totals.
 */
static void
advance_to(struct web_state *st, int64_t sec, const struct web_snap *snap)
{
	const struct ns_web_snapshot *s = &snap->s;
	uint64_t span = (uint64_t)(sec - st->base_sec);
	uint64_t dp =
		s->totals.packets >= st->base_packets ? s->totals.packets - st->base_packets : 0;
	uint64_t db = s->totals.bytes >= st->base_bytes ? s->totals.bytes - st->base_bytes : 0;
	uint64_t npts = NS_MIN(span, (uint64_t)st->series.cap);

	st->pps = (double)dp / (double)span;
	st->bps = (double)db * 8.0 / (double)span;
	for (uint64_t i = span - npts; i < span; i++)
		series_push(&st->series, st->base_sec + (int64_t)i, st->pps, st->bps,
			    s->flows_active);
	st->base_sec = sec;
	st->base_packets = s->totals.packets;
	st->base_bytes = s->totals.bytes;
}

void
web_state_apply_snapshot(struct web_state *st, struct web_snap *snap)
{
	const struct ns_web_snapshot *s = &snap->s;
	int64_t sec = (int64_t)(s->ts_ns / NS_NSEC_PER_SEC);

	snap->seq = ++st->snap_seq;
	/* Without a time (nothing captured yet) a snapshot only updates the totals. */
	if (s->ts_ns != 0) {
		if (!st->based) {
			int64_t start = (int64_t)(s->start_ts_ns / NS_NSEC_PER_SEC);

			st->based = true;
			st->base_sec = s->start_ts_ns != 0 && start <= sec ? start : sec;
		}
		if (sec > st->base_sec)
			advance_to(st, sec, snap);
		/* The source ended: chart the partial last second too, once. */
		if (s->final && s->totals.packets > st->base_packets)
			advance_to(st, st->base_sec + 1, snap);
	}

	/* cur is the latest snapshot; flows_src the latest with flows, maybe the same one */
	if (s->has_flows) {
		if (web_flows_render(snap) < 0)
			NS_LOG(WARNING, "web", "top flows of this snapshot could not be rendered");
		if (st->flows_src != st->cur)
			web_snap_free(st->flows_src);
		st->flows_src = snap;
	}
	if (st->cur != st->flows_src)
		web_snap_free(st->cur);
	st->cur = snap;
}

uint64_t
web_state_add_packet(struct web_state *st, const struct web_pkt *p)
{
	uint64_t id = st->pkt_next_id++;

	st->pkts[st->pkt_head] = *p;
	st->pkt_ids[st->pkt_head] = id;
	st->pkt_head = (st->pkt_head + 1) % st->pkt_cap;
	if (st->pkt_len < st->pkt_cap)
		st->pkt_len++;
	return id;
}

static void
count_alert_type(struct web_state *st, struct json_object *a)
{
	struct json_object *t;
	const char *type;

	/* the alert export's EVE shape has alert.signature; plain objects "signature" or "type" */
	if (json_object_object_get_ex(a, "alert", &t) && json_object_is_type(t, json_type_object))
		a = t;
	if ((!json_object_object_get_ex(a, "signature", &t) &&
	     !json_object_object_get_ex(a, "type", &t)) ||
	    !json_object_is_type(t, json_type_string)) {
		st->alert_type_other++;
		return;
	}
	type = json_object_get_string(t);
	for (unsigned i = 0; i < WEB_ALERT_TYPES_MAX; i++) {
		if (st->alert_type[i][0] == '\0') {
			if (strlen(type) >= sizeof(st->alert_type[i]))
				break;
			strcpy(st->alert_type[i], type);
		}
		if (strcmp(st->alert_type[i], type) == 0) {
			st->alert_type_count[i]++;
			return;
		}
	}
	st->alert_type_other++;
}

/* The id of the alert an event is about (alert.id in the EVE shape, else "id"), or -1. */
static int64_t
alert_id_of(struct json_object *a)
{
	struct json_object *t;

	if (a == NULL)
		return -1;
	if (json_object_object_get_ex(a, "alert", &t) && json_object_is_type(t, json_type_object))
		a = t;
	if (!json_object_object_get_ex(a, "id", &t) || !json_object_is_type(t, json_type_int))
		return -1;
	return json_object_get_int64(t);
}

/* Whether the ring still holds an event of alert @id (the raise of a clear being added). */
static bool
alert_held(const struct web_state *st, int64_t id)
{
	for (uint32_t i = 0; i < st->alert_len; i++)
		if (alert_id_of(st->alerts[i]) == id)
			return true;
	return false;
}

uint64_t
web_state_add_alert(struct web_state *st, struct json_object *a)
{
	const int64_t id = alert_id_of(a);

	/* counted once per alert, however many of its events arrive (raised, then cleared) */
	if (id < 0 || !alert_held(st, id)) {
		st->alerts_raised++;
		count_alert_type(st, a);
	}
	json_object_put(st->alerts[st->alert_head]);
	st->alerts[st->alert_head] = json_object_get(a);
	st->alert_ids[st->alert_head] = ++st->alerts_total;
	st->alert_head = (st->alert_head + 1) % st->alert_cap;
	if (st->alert_len < st->alert_cap)
		st->alert_len++;
	return st->alerts_total;
}
