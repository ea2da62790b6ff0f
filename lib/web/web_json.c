/* SPDX-License-Identifier: MIT */
/*
 * The REST API's JSON documents, built from the web thread's state (web_state.c). Key names are
 * an interface (docs/web-dashboard.md lists them): totals use --summary-json's keys and flows
 * the flow export's, so a script can read any of them the same way.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ns_build_config.h"
#include "ns_core.h"
#include "ns_export.h"
#include "ns_proto.h"
#include "web_priv.h"

static void
add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* A double printed with at most 3 decimals, so rates read "1234.5", not "1234.4999999999". */
static struct json_object *
jdouble(double v)
{
	char buf[64];
	size_t n;

	if (!isfinite(v))
		v = 0;
	snprintf(buf, sizeof(buf), "%.3f", v);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	if (strcmp(buf, "-0") == 0)
		strcpy(buf, "0");
	return json_object_new_double_s(v, buf);
}

static void
add_double(struct json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, jdouble(v));
}

static void
add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static void
add_time(struct json_object *o, const char *key, uint64_t ts_ns)
{
	char buf[40];

	if (ts_ns == 0) {
		json_object_object_add(o, key, NULL);
		return;
	}
	add_str(o, key, ns_time_fmt_rfc3339(ts_ns, buf, sizeof(buf)));
}

const char *
ns_web_drop_name(unsigned cause)
{
	static const char *const names[] = {
#define NS_X(name, key, help) key,
		NS_WEB_DROPS(NS_X)
#undef NS_X
	};

	return cause < NS_ARRAY_SIZE(names) ? names[cause] : NULL;
}


static uint64_t
drops_total(const struct ns_web_snapshot *s)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < NS_WEB_DROP_MAX; i++)
		t += s->drops[i];
	return t;
}

struct json_object *
web_json_summary(const struct web_state *st, const struct ns_web_stats *ws)
{
	static const struct ns_web_snapshot empty;
	const struct ns_web_snapshot *s = st->cur != NULL ? &st->cur->s : &empty;
	struct json_object *o = json_object_new_object();
	struct json_object *drops = json_object_new_object();
	struct json_object *rates = json_object_new_object();
	struct json_object *flows = json_object_new_object();
	struct json_object *workers = json_object_new_array();
	struct json_object *web = json_object_new_object();
	double span = s->ts_ns > s->start_ts_ns && s->start_ts_ns != 0
			      ? (double)(s->ts_ns - s->start_ts_ns) / 1e9
			      : 0;

	if (o == NULL || drops == NULL || rates == NULL || flows == NULL || workers == NULL ||
	    web == NULL) {
		json_object_put(o);
		json_object_put(drops);
		json_object_put(rates);
		json_object_put(flows);
		json_object_put(workers);
		json_object_put(web);
		return NULL;
	}
	add_str(o, "version", NS_VERSION);
	add_str(o, "state", st->cur == NULL ? "starting" : s->final ? "finished" : "running");
	add_time(o, "ts", s->ts_ns);
	add_time(o, "start", s->start_ts_ns);
	add_double(o, "uptime_s", (double)s->uptime_ns / 1e9);
	add_str(o, "backend", s->backend);
	json_object_object_add(o, "workers", json_object_new_int64(s->workers));
	json_object_object_add(o, "totals", ns_export_summary_object(&s->totals));

	for (unsigned i = 0; i < NS_WEB_DROP_MAX; i++)
		add_u64(drops, ns_web_drop_name(i), s->drops[i]);
	add_u64(drops, "total", drops_total(s));
	json_object_object_add(o, "drops", drops);

	add_double(rates, "pps", st->pps);
	add_double(rates, "bps", st->bps);
	add_double(rates, "avg_pps", span > 0 ? (double)s->totals.packets / span : 0);
	add_double(rates, "avg_bps", span > 0 ? (double)s->totals.bytes * 8.0 / span : 0);
	json_object_object_add(o, "rates", rates);

	add_u64(flows, "active", s->flows_active);
	add_u64(flows, "capacity", s->flows_capacity);
	add_double(flows, "occupancy",
		   s->flows_capacity != 0 ? (double)s->flows_active / (double)s->flows_capacity
					  : 0);
	json_object_object_add(o, "flows", flows);

	for (uint32_t i = 0; i < s->n_workers; i++) {
		struct json_object *w = json_object_new_object();

		json_object_object_add(w, "id", json_object_new_int64(i));
		add_u64(w, "packets", s->worker[i].packets);
		add_u64(w, "drops", s->worker[i].drops);
		add_u64(w, "flows_active", s->worker[i].flows_active);
		add_u64(w, "flows_created", s->worker[i].flows_created);
		json_object_array_add(workers, w);
	}
	json_object_object_add(o, "per_worker", workers);
	add_u64(o, "alerts", st->alerts_raised);

	add_u64(web, "requests", ws->requests);
	add_u64(web, "snapshots", ws->snapshots);
	add_u64(web, "snapshots_dropped", ws->snapshots_dropped);
	add_u64(web, "packets_sampled", ws->packets);
	add_u64(web, "packets_dropped", ws->packets_dropped);
	add_u64(web, "connections_refused", ws->connections_refused);
	add_u64(web, "streams_cut", ws->streams_cut);
	json_object_object_add(o, "web", web);
	return o;
}

int64_t
web_series_last_t(const struct web_state *st)
{
	const struct web_series *s = &st->series;

	if (s->len == 0)
		return INT64_MIN;
	return s->pt[(s->head + s->cap - 1) % s->cap].t;
}

/* Columns t[], pps[], bps[], flows[] of the points with t > @after_t and t > newest - @seconds. */
static struct json_object *
series_json(const struct web_state *st, uint32_t seconds, int64_t after_t)
{
	const struct web_series *s = &st->series;
	struct json_object *o = json_object_new_object();
	struct json_object *t = json_object_new_array();
	struct json_object *pps = json_object_new_array();
	struct json_object *bps = json_object_new_array();
	struct json_object *flows = json_object_new_array();
	int64_t newest = web_series_last_t(st);

	if (o == NULL || t == NULL || pps == NULL || bps == NULL || flows == NULL) {
		json_object_put(o);
		json_object_put(t);
		json_object_put(pps);
		json_object_put(bps);
		json_object_put(flows);
		return NULL;
	}
	for (uint32_t i = 0; i < s->len; i++) {
		const struct web_point *p = &s->pt[(s->head + s->cap - s->len + i) % s->cap];

		if (p->t <= after_t || p->t <= newest - (int64_t)seconds)
			continue;
		json_object_array_add(t, json_object_new_int64(p->t));
		json_object_array_add(pps, jdouble(p->pps));
		json_object_array_add(bps, jdouble(p->bps));
		json_object_array_add(flows, json_object_new_uint64(p->flows));
	}
	json_object_object_add(o, "seconds", json_object_new_int64(seconds));
	json_object_object_add(o, "t", t);
	json_object_object_add(o, "pps", pps);
	json_object_object_add(o, "bps", bps);
	json_object_object_add(o, "flows", flows);
	return o;
}

struct json_object *
web_json_timeseries(const struct web_state *st, uint32_t seconds)
{
	return series_json(st, seconds, INT64_MIN);
}

struct json_object *
web_json_live(const struct web_state *st, const struct ns_web_stats *ws, int64_t after_t)
{
	struct json_object *o = json_object_new_object();
	struct json_object *sum = web_json_summary(st, ws);
	struct json_object *ts = series_json(st, st->series.cap, after_t);

	if (o == NULL || sum == NULL || ts == NULL) {
		json_object_put(o);
		json_object_put(sum);
		json_object_put(ts);
		return NULL;
	}
	json_object_object_add(o, "summary", sum);
	json_object_object_add(o, "timeseries", ts);
	return o;
}

int
web_flow_sort_parse(const char *s)
{
	static const char *const names[] = { "bytes", "packets", "rtt", "retrans" };

	for (unsigned i = 0; i < NS_ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

struct json_object *
web_json_flows(const struct web_state *st, uint32_t top, enum web_flow_sort sort)
{
	static const char *const sort_names[] = { "bytes", "packets", "rtt", "retrans" };
	const struct web_snap *fs = st->flows_src;
	uint32_t n = fs != NULL && fs->flow_json != NULL ? fs->s.n_flows : 0;
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	uint32_t *idx = calloc(n != 0 ? n : 1, sizeof(*idx));

	if (o == NULL || arr == NULL || idx == NULL ||
	    web_flows_order(fs != NULL ? fs->s.flows : NULL, n, sort, idx) < 0) {
		free(idx);
		json_object_put(o);
		json_object_put(arr);
		return NULL;
	}
	for (uint32_t i = 0; i < n && i < top; i++)
		json_object_array_add(arr, json_object_get(fs->flow_json[idx[i]]));
	free(idx);
	add_str(o, "sort", sort_names[sort]);
	json_object_object_add(o, "top", json_object_new_int64(top));
	add_u64(o, "candidates", n);
	add_u64(o, "active", st->cur != NULL ? st->cur->s.flows_active : 0);
	add_time(o, "ts", fs != NULL ? fs->s.ts_ns : 0);
	json_object_object_add(o, "flows", arr);
	return o;
}

struct json_object *
web_json_alerts(const struct web_state *st, uint32_t limit)
{
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();

	if (o == NULL || arr == NULL) {
		json_object_put(o);
		json_object_put(arr);
		return NULL;
	}
	for (uint32_t i = 0; i < st->alert_len && i < limit; i++) {
		uint32_t idx = (st->alert_head + st->alert_cap - 1 - i) % st->alert_cap;
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "id", json_object_new_uint64(st->alert_ids[idx]));
		json_object_object_add(e, "alert", json_object_get(st->alerts[idx]));
		json_object_array_add(arr, e);
	}
	add_u64(o, "total", st->alerts_total);
	json_object_object_add(o, "alerts", arr);
	return o;
}

struct json_object *
web_json_packets(const struct web_state *st, uint32_t limit)
{
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();

	if (o == NULL || arr == NULL) {
		json_object_put(o);
		json_object_put(arr);
		return NULL;
	}
	for (uint32_t i = 0; i < st->pkt_len && i < limit; i++) {
		uint32_t idx = (st->pkt_head + st->pkt_cap - 1 - i) % st->pkt_cap;
		struct json_object *p = web_json_packet(&st->pkts[idx], st->pkt_ids[idx]);

		if (p == NULL) {
			json_object_put(o);
			json_object_put(arr);
			return NULL;
		}
		json_object_array_add(arr, p);
	}
	add_u64(o, "sampled", st->pkt_next_id - 1);
	json_object_object_add(o, "packets", arr);
	return o;
}

struct json_object *
web_json_interfaces(const struct web_state *st)
{
	const struct ns_web_snapshot *s = st->cur != NULL ? &st->cur->s : NULL;
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();

	if (o == NULL || arr == NULL) {
		json_object_put(o);
		json_object_put(arr);
		return NULL;
	}
	for (uint32_t i = 0; s != NULL && i < s->n_ifaces; i++) {
		const struct ns_web_iface *f = &s->ifaces[i];
		struct json_object *e = json_object_new_object();

		add_str(e, "name", f->name);
		add_str(e, "kind", f->kind);
		add_str(e, "linktype", ns_proto_linktype_name(f->linktype));
		json_object_object_add(e, "snaplen", json_object_new_int64(f->snaplen));
		add_u64(e, "received", f->received);
		add_u64(e, "filtered", f->filtered);
		add_u64(e, "drops", f->drops);
		if (f->has_port_stats) {
			struct json_object *p = json_object_new_object();

			add_u64(p, "ipackets", f->port.ipackets);
			add_u64(p, "ibytes", f->port.ibytes);
			add_u64(p, "imissed", f->port.imissed);
			add_u64(p, "ierrors", f->port.ierrors);
			add_u64(p, "rx_nombuf", f->port.rx_nombuf);
			json_object_object_add(e, "port", p);
		}
		json_object_array_add(arr, e);
	}
	add_str(o, "backend", s != NULL ? s->backend : "");
	json_object_object_add(o, "interfaces", arr);
	return o;
}
