/* SPDX-License-Identifier: MIT */
/*
 * lib/web's state and renderings, driven like the server thread drives them: snapshots into
 * per-second rates and the time series, the packet and alert rings, top flows in the flow
 * export's shape, and the JSON and Prometheus documents built from all of it.
 */
#include <string.h>

#include "ns_core.h"
#include "ns_flow.h"
#include "ns_test.h"
#include "web_priv.h"

#define SEC(s) ((uint64_t)(s)*NS_NSEC_PER_SEC)

static struct web_snap *
snap_at(uint64_t ts, uint64_t packets, uint64_t bytes)
{
	struct ns_web_snapshot s;
	struct ns_web_worker w = { .packets = packets, .flows_active = 3, .flows_created = 4 };

	memset(&s, 0, sizeof(s));
	s.ts_ns = ts;
	s.start_ts_ns = SEC(1000);
	s.uptime_ns = SEC(2);
	strcpy(s.backend, "pcap");
	s.workers = 1;
	s.totals.packets = packets;
	s.totals.bytes = bytes;
	s.totals.layers[NS_LAYER_IDX_TCP] = packets / 2;
	s.drops[NS_WEB_DROP_KERNEL] = 5;
	s.drops[NS_WEB_DROP_RING_FULL] = 2;
	s.flows_active = 3;
	s.flows_capacity = 100;
	s.worker = &w;
	s.n_workers = 1;
	return web_snap_copy(&s);
}

static struct json_object *
get(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k != NULL && o != NULL;
	     k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	return o;
}

static int64_t
get_int(struct json_object *o, const char *path)
{
	return json_object_get_int64(get(o, path));
}

static void
test_rates_and_series(void)
{
	struct web_state st;
	struct json_object *ts, *t;

	CU_ASSERT_EQUAL_FATAL(web_state_init(&st, 10, 4, 4), 0);
	/* start at 1000.0, first snapshot inside the same second: nothing to chart yet */
	web_state_apply_snapshot(&st, snap_at(SEC(1000) + 200000000, 0, 0));
	CU_ASSERT_EQUAL(st.series.len, 0);
	/* crossing into 1001: one point for second 1000 */
	web_state_apply_snapshot(&st, snap_at(SEC(1001) + 100, 100, 10000));
	CU_ASSERT_EQUAL(st.series.len, 1);
	CU_ASSERT_DOUBLE_EQUAL(st.pps, 100.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(st.bps, 80000.0, 1e-9);
	/* a three-second gap is spread evenly */
	web_state_apply_snapshot(&st, snap_at(SEC(1004), 400, 40000));
	CU_ASSERT_EQUAL(st.series.len, 4);
	CU_ASSERT_DOUBLE_EQUAL(st.pps, 100.0, 1e-9);
	CU_ASSERT_EQUAL(web_series_last_t(&st), 1003);
	/* going back in time only updates the totals */
	web_state_apply_snapshot(&st, snap_at(SEC(1003), 450, 45000));
	CU_ASSERT_EQUAL(st.series.len, 4);
	CU_ASSERT_EQUAL(st.cur->s.totals.packets, 450);
	/* the end of the source charts the partial last second */
	{
		struct web_snap *f = snap_at(SEC(1004) + 500000000, 460, 46000);

		f->s.final = true;
		web_state_apply_snapshot(&st, f);
	}
	CU_ASSERT_EQUAL(st.series.len, 5);
	CU_ASSERT_EQUAL(web_series_last_t(&st), 1004);
	CU_ASSERT_DOUBLE_EQUAL(st.pps, 60.0, 1e-9);

	ts = web_json_timeseries(&st, 300);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ts);
	t = get(ts, "t");
	CU_ASSERT_EQUAL(json_object_array_length(t), 5);
	CU_ASSERT_EQUAL(json_object_get_int64(json_object_array_get_idx(t, 0)), 1000);
	CU_ASSERT_EQUAL(json_object_array_length(get(ts, "pps")), 5);
	CU_ASSERT_EQUAL(json_object_array_length(get(ts, "bps")), 5);
	CU_ASSERT_EQUAL(json_object_array_length(get(ts, "flows")), 5);
	CU_ASSERT_EQUAL(json_object_get_int64(json_object_array_get_idx(get(ts, "pps"), 4)), 60);
	json_object_put(ts);
	/* ?seconds=2: the newest two */
	ts = web_json_timeseries(&st, 2);
	CU_ASSERT_EQUAL(json_object_array_length(get(ts, "t")), 2);
	CU_ASSERT_EQUAL(json_object_get_int64(json_object_array_get_idx(get(ts, "t"), 0)), 1003);
	json_object_put(ts);
	web_state_free(&st);
}

static void
test_series_wraps_and_untimed(void)
{
	struct web_state st;
	struct json_object *ts, *live;
	struct ns_web_stats ws = { 0 };

	CU_ASSERT_EQUAL_FATAL(web_state_init(&st, 10, 4, 4), 0);
	/* no time yet (nothing captured): totals only */
	{
		struct web_snap *s = snap_at(0, 0, 0);

		s->s.start_ts_ns = 0;
		web_state_apply_snapshot(&st, s);
	}
	CU_ASSERT_EQUAL(st.series.len, 0);
	CU_ASSERT_FALSE(st.based);
	web_state_apply_snapshot(&st, snap_at(SEC(1000), 0, 0));
	/* fifty seconds in one step keep only the last ten points */
	web_state_apply_snapshot(&st, snap_at(SEC(1050), 5000, 500000));
	CU_ASSERT_EQUAL(st.series.len, 10);
	CU_ASSERT_EQUAL(web_series_last_t(&st), 1049);
	ts = web_json_timeseries(&st, 3600);
	CU_ASSERT_EQUAL(json_object_get_int64(json_object_array_get_idx(get(ts, "t"), 0)), 1040);
	json_object_put(ts);
	/* the live event carries only points newer than the client has */
	live = web_json_live(&st, &ws, 1047);
	CU_ASSERT_EQUAL(json_object_array_length(get(live, "timeseries.t")), 2);
	CU_ASSERT_EQUAL(get_int(live, "summary.totals.packets"), 5000);
	json_object_put(live);
	web_state_free(&st);
}

static void
test_summary_shape(void)
{
	static const char *const keys[] = {
		"version", "state", "ts",    "start", "uptime_s",   "backend", "workers",
		"totals",  "drops", "rates", "flows", "per_worker", "alerts",  "web",
	};
	struct ns_web_stats ws = { .requests = 9, .snapshots_dropped = 1 };
	struct web_state st;
	struct json_object *o;

	CU_ASSERT_EQUAL_FATAL(web_state_init(&st, 10, 4, 4), 0);
	o = web_json_summary(&st, &ws);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(o, "state")), "starting");
	json_object_put(o);

	web_state_apply_snapshot(&st, snap_at(SEC(1000), 0, 0));
	web_state_apply_snapshot(&st, snap_at(SEC(1002), 200, 30000));
	o = web_json_summary(&st, &ws);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	for (size_t i = 0; i < NS_ARRAY_SIZE(keys); i++)
		CU_ASSERT_PTR_NOT_NULL(get(o, keys[i]));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(o, "state")), "running");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(o, "backend")), "pcap");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(o, "ts")), "1970-01-01T00:16:42.000000Z");
	CU_ASSERT_EQUAL(get_int(o, "totals.packets"), 200);
	CU_ASSERT_EQUAL(get_int(o, "totals.bytes"), 30000);
	CU_ASSERT_EQUAL(get_int(o, "totals.protocols.tcp"), 100);
	CU_ASSERT_PTR_NOT_NULL(get(o, "totals.ipv4_fragments"));
	CU_ASSERT_PTR_NOT_NULL(get(o, "totals.malformed"));
	CU_ASSERT_EQUAL(get_int(o, "drops.kernel"), 5);
	CU_ASSERT_EQUAL(get_int(o, "drops.ring_full"), 2);
	CU_ASSERT_EQUAL(get_int(o, "drops.total"), 7);
	CU_ASSERT_EQUAL(get_int(o, "rates.pps"), 100);
	CU_ASSERT_EQUAL(get_int(o, "rates.bps"), 120000);
	CU_ASSERT_EQUAL(get_int(o, "rates.avg_pps"), 100);
	CU_ASSERT_EQUAL(get_int(o, "flows.active"), 3);
	CU_ASSERT_EQUAL(get_int(o, "flows.capacity"), 100);
	CU_ASSERT_EQUAL(json_object_array_length(get(o, "per_worker")), 1);
	CU_ASSERT_EQUAL(get_int(json_object_array_get_idx(get(o, "per_worker"), 0), "packets"),
			200);
	CU_ASSERT_EQUAL(get_int(o, "web.requests"), 9);
	CU_ASSERT_EQUAL(get_int(o, "web.snapshots_dropped"), 1);
	/* rates print without float noise */
	CU_ASSERT_PTR_NOT_NULL(
		strstr(json_object_to_json_string_ext(get(o, "flows"), JSON_C_TO_STRING_PLAIN),
		       "\"occupancy\":0.03"));
	json_object_put(o);
	web_state_free(&st);
}

/* Ethernet + IPv4 + TCP (PSH|ACK) 10.0.0.1:40000 -> 10.0.0.2:80 with @payload. */
static uint32_t
build_tcp(uint8_t *f, const char *payload)
{
	uint32_t plen = (uint32_t)strlen(payload);
	uint32_t iplen = 20 + 20 + plen;

	memset(f, 0, 54);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	f[14] = 0x45;
	f[16] = (uint8_t)(iplen >> 8);
	f[17] = (uint8_t)iplen;
	f[22] = 64;
	f[23] = 6;
	memcpy(f + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	f[34] = 40000 >> 8;
	f[35] = 40000 & 0xff;
	f[37] = 80;
	f[38] = 0;
	f[41] = 1; /* seq 1 */
	f[46] = 0x50;
	f[47] = 0x18;
	f[48] = 0xff;
	memcpy(f + 54, payload, plen);
	return 54 + plen;
}

static void
test_packet_json(void)
{
	struct web_pkt p;
	struct json_object *o, *layers;
	const char *names[] = { "Ethernet", "IPv4", "TCP", "Payload" };
	const int offs[] = { 0, 14, 34, 54 };

	memset(&p, 0, sizeof(p));
	p.ts_ns = SEC(1000);
	p.linktype = NS_LINK_EN10MB;
	p.caplen = p.wirelen = p.stored = build_tcp(p.data, "GET /<script>alert(1)</script>");
	o = web_json_packet(&p, 7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(get_int(o, "id"), 7);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(o, "verdict")), "ok");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(o, "linktype")), "EN10MB");
	CU_ASSERT_EQUAL(get_int(o, "stored"), p.stored);
	CU_ASSERT_EQUAL(strlen(json_object_get_string(get(o, "hex"))), 2 * p.stored);
	CU_ASSERT_PTR_NOT_NULL(strstr(json_object_get_string(get(o, "summary")), "10.0.0.1"));
	layers = get(o, "layers");
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(layers), 4);
	for (int i = 0; i < 4; i++) {
		struct json_object *l = json_object_array_get_idx(layers, (size_t)i);

		CU_ASSERT_STRING_EQUAL(json_object_get_string(get(l, "name")), names[i]);
		CU_ASSERT_EQUAL(get_int(l, "offset"), offs[i]);
	}
	CU_ASSERT_STRING_EQUAL(
		json_object_get_string(get(json_object_array_get_idx(layers, 1), "fields.src")),
		"10.0.0.1");
	CU_ASSERT_EQUAL(get_int(json_object_array_get_idx(layers, 2), "fields.dst_port"), 80);
	CU_ASSERT_STRING_EQUAL(
		json_object_get_string(get(json_object_array_get_idx(layers, 2), "fields.flags")),
		"PA");
	CU_ASSERT_EQUAL(get_int(json_object_array_get_idx(layers, 3), "length"), 30);
	json_object_put(o);

	/* cut inside the TCP header: the layer is there, its fields are not */
	p.stored = 40;
	o = web_json_packet(&p, 8);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(o, "verdict")), "truncated");
	layers = get(o, "layers");
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(layers), 3);
	CU_ASSERT_EQUAL(get_int(json_object_array_get_idx(layers, 2), "length"), 6);
	CU_ASSERT_EQUAL(
		json_object_object_length(get(json_object_array_get_idx(layers, 2), "fields")), 0);
	json_object_put(o);
}

static void
test_packet_ring(void)
{
	struct web_state st;
	struct web_pkt p;
	struct json_object *o, *arr;

	CU_ASSERT_EQUAL_FATAL(web_state_init(&st, 10, 3, 4), 0);
	memset(&p, 0, sizeof(p));
	p.linktype = NS_LINK_EN10MB;
	p.caplen = p.wirelen = p.stored = build_tcp(p.data, "x");
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(web_state_add_packet(&st, &p), (uint64_t)i + 1);
	o = web_json_packets(&st, 10);
	arr = get(o, "packets");
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(arr), 3);
	CU_ASSERT_EQUAL(get_int(json_object_array_get_idx(arr, 0), "id"), 5);
	CU_ASSERT_EQUAL(get_int(json_object_array_get_idx(arr, 2), "id"), 3);
	CU_ASSERT_EQUAL(get_int(o, "sampled"), 5);
	json_object_put(o);
	o = web_json_packets(&st, 1);
	CU_ASSERT_EQUAL(json_object_array_length(get(o, "packets")), 1);
	json_object_put(o);
	web_state_free(&st);
}

static void
add_alert(struct web_state *st, const char *json)
{
	struct json_object *a = json_tokener_parse(json);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	web_state_add_alert(st, a);
	json_object_put(a);
}

static void
test_alerts(void)
{
	struct web_state st;
	struct json_object *o, *arr;
	struct web_buf b;

	CU_ASSERT_EQUAL_FATAL(web_state_init(&st, 10, 3, 2), 0);
	add_alert(&st, "{\"signature\":\"syn_flood\",\"severity\":\"high\"}");
	add_alert(&st, "{\"signature\":\"port_scan\"}");
	add_alert(&st, "{\"type\":\"syn_flood\",\"note\":\"<b>x</b>\"}");
	add_alert(&st, "{\"signature\":7}");
	add_alert(&st, "{\"event_type\":\"alert\",\"alert\":{\"signature\":\"port_scan\"}}");
	o = web_json_alerts(&st, 10);
	arr = get(o, "alerts");
	CU_ASSERT_EQUAL(get_int(o, "total"), 5);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(arr), 2); /* ring of two, newest first */
	CU_ASSERT_EQUAL(get_int(json_object_array_get_idx(arr, 0), "id"), 5);
	CU_ASSERT_EQUAL(get_int(json_object_array_get_idx(arr, 1), "id"), 4);
	json_object_put(o);
	o = web_json_alerts(&st, 1);
	CU_ASSERT_EQUAL(json_object_array_length(get(o, "alerts")), 1);
	json_object_put(o);

	web_buf_init(&b);
	web_metrics_render(&st, &(struct ns_web_stats){ 0 }, &b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "netscope_alerts_total{type=\"syn_flood\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "netscope_alerts_total{type=\"port_scan\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "netscope_alerts_total{type=\"other\"} 1\n"));
	web_buf_free(&b);
	web_state_free(&st);
}

/*
 * An alert seen live arrives twice, raised and later cleared (the same alert.id): two events in
 * the list, one alert in the counts (it was counted twice, so the metric depended on whether
 * the dashboard saw the alert before it cleared).
 */
static void
test_alert_raise_then_clear(void)
{
	struct web_state st;
	struct json_object *o;
	struct web_buf b;

	CU_ASSERT_EQUAL_FATAL(web_state_init(&st, 10, 3, 8), 0);
	add_alert(&st, "{\"alert\":{\"signature\":\"syn_flood\",\"state\":\"raised\",\"id\":7}}");
	add_alert(&st, "{\"alert\":{\"signature\":\"port_scan\",\"state\":\"raised\",\"id\":8}}");
	add_alert(&st, "{\"alert\":{\"signature\":\"syn_flood\",\"state\":\"cleared\",\"id\":7}}");
	o = web_json_alerts(&st, 10);
	CU_ASSERT_EQUAL(get_int(o, "total"), 3);
	CU_ASSERT_EQUAL(json_object_array_length(get(o, "alerts")), 3);
	json_object_put(o);
	CU_ASSERT_EQUAL(st.alerts_raised, 2);
	web_buf_init(&b);
	web_metrics_render(&st, &(struct ns_web_stats){ 0 }, &b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "netscope_alerts_total{type=\"syn_flood\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "netscope_alerts_total{type=\"port_scan\"} 1\n"));
	web_buf_free(&b);
	web_state_free(&st);
}

static void
set_rec(struct ns_flow_record *r, uint64_t id, uint64_t bytes, uint64_t pkts, uint32_t rtt,
	uint32_t retrans)
{
	memset(r, 0, sizeof(*r));
	r->flow_id = id;
	r->first_ns = SEC(1000);
	r->last_ns = SEC(1001);
	r->proto = 6;
	r->ip_version = 4;
	r->src.b[10] = r->src.b[11] = 0xff;
	r->src.b[12] = 10;
	r->src.b[15] = (uint8_t)id;
	r->dst.b[10] = r->dst.b[11] = 0xff;
	r->dst.b[12] = 10;
	r->dst.b[15] = 200;
	r->src_port = (uint16_t)(40000 + id);
	r->dst_port = 443;
	r->bytes[0] = bytes;
	r->pkts[0] = pkts;
	if (rtt != 0) {
		r->flags |= NS_FLOW_REC_IRTT;
		r->rtt_handshake_us = rtt;
	}
	r->retrans[1] = retrans;
}

static int64_t
flow_id_at(struct json_object *o, size_t i)
{
	return get_int(json_object_array_get_idx(get(o, "flows"), i), "flow_id");
}

static void
test_flows(void)
{
	struct ns_flow_record recs[3];
	struct ns_web_snapshot s;
	struct web_state st;
	struct json_object *o, *f;

	set_rec(&recs[0], 1, 9000, 10, 500, 0);
	set_rec(&recs[1], 2, 5000, 90, 0, 7);
	set_rec(&recs[2], 3, 100, 2, 20000, 1);
	memset(&s, 0, sizeof(s));
	s.ts_ns = SEC(1000);
	s.has_flows = true;
	s.flows = recs;
	s.n_flows = 3;
	s.flows_active = 3;
	CU_ASSERT_EQUAL_FATAL(web_state_init(&st, 10, 3, 2), 0);
	web_state_apply_snapshot(&st, web_snap_copy(&s));

	o = web_json_flows(&st, 20, WEB_SORT_BYTES);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(get(o, "flows")), 3);
	CU_ASSERT_EQUAL(flow_id_at(o, 0), 1);
	CU_ASSERT_EQUAL(flow_id_at(o, 2), 3);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(o, "sort")), "bytes");
	CU_ASSERT_EQUAL(get_int(o, "candidates"), 3);
	/* the flow export's field names and values */
	f = json_object_array_get_idx(get(o, "flows"), 0);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(f, "src_ip")), "10.0.0.1");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(f, "dst_ip")), "10.0.0.200");
	CU_ASSERT_EQUAL(get_int(f, "src_port"), 40001);
	CU_ASSERT_EQUAL(get_int(f, "bytes_toserver"), 9000);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(f, "proto")), "tcp");
	CU_ASSERT_EQUAL(get_int(f, "tcp.rtt_handshake_us"), 500);
	CU_ASSERT_PTR_NOT_NULL(get(f, "first_seen"));
	json_object_put(o);

	o = web_json_flows(&st, 20, WEB_SORT_PACKETS);
	CU_ASSERT_EQUAL(flow_id_at(o, 0), 2);
	json_object_put(o);
	o = web_json_flows(&st, 20, WEB_SORT_RTT);
	CU_ASSERT_EQUAL(flow_id_at(o, 0), 3);
	CU_ASSERT_EQUAL(flow_id_at(o, 1), 1);
	CU_ASSERT_EQUAL(flow_id_at(o, 2), 2); /* no RTT: last */
	json_object_put(o);
	o = web_json_flows(&st, 1, WEB_SORT_RETRANS);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(get(o, "flows")), 1);
	CU_ASSERT_EQUAL(flow_id_at(o, 0), 2);
	json_object_put(o);

	/* a counters-only snapshot keeps the last flow list */
	s.has_flows = false;
	s.ts_ns = SEC(1001);
	web_state_apply_snapshot(&st, web_snap_copy(&s));
	o = web_json_flows(&st, 20, WEB_SORT_BYTES);
	CU_ASSERT_EQUAL(json_object_array_length(get(o, "flows")), 3);
	json_object_put(o);
	/* and a new list replaces it */
	s.has_flows = true;
	s.n_flows = 1;
	s.flows = &recs[2];
	web_state_apply_snapshot(&st, web_snap_copy(&s));
	o = web_json_flows(&st, 20, WEB_SORT_BYTES);
	CU_ASSERT_EQUAL(json_object_array_length(get(o, "flows")), 1);
	CU_ASSERT_EQUAL(flow_id_at(o, 0), 3);
	json_object_put(o);
	CU_ASSERT_EQUAL(web_flow_sort_parse("retrans"), WEB_SORT_RETRANS);
	CU_ASSERT_EQUAL(web_flow_sort_parse("BYTES"), -EINVAL);
	web_state_free(&st);
}

static void
test_interfaces(void)
{
	struct ns_web_iface ifs[2];
	struct ns_web_snapshot s;
	struct web_state st;
	struct json_object *o, *arr;

	memset(&s, 0, sizeof(s));
	memset(ifs, 0, sizeof(ifs));
	strcpy(ifs[0].name, "eth0");
	strcpy(ifs[0].kind, "live");
	ifs[0].linktype = NS_LINK_EN10MB;
	ifs[0].received = 10;
	strcpy(ifs[1].name, "0000:00:08.0");
	strcpy(ifs[1].kind, "dpdk");
	ifs[1].has_port_stats = true;
	ifs[1].port.imissed = 4;
	s.ifaces = ifs;
	s.n_ifaces = 2;
	CU_ASSERT_EQUAL_FATAL(web_state_init(&st, 10, 3, 2), 0);
	web_state_apply_snapshot(&st, web_snap_copy(&s));
	o = web_json_interfaces(&st);
	arr = get(o, "interfaces");
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(arr), 2);
	CU_ASSERT_STRING_EQUAL(
		json_object_get_string(get(json_object_array_get_idx(arr, 0), "name")), "eth0");
	CU_ASSERT_STRING_EQUAL(
		json_object_get_string(get(json_object_array_get_idx(arr, 0), "linktype")),
		"EN10MB");
	CU_ASSERT_PTR_NULL(get(json_object_array_get_idx(arr, 0), "port"));
	CU_ASSERT_EQUAL(get_int(json_object_array_get_idx(arr, 1), "port.imissed"), 4);
	json_object_put(o);
	web_state_free(&st);
}

/* Each sample line is NAME[{labels}] VALUE with a HELP and TYPE line before its family. */
static void
check_exposition(const char *text)
{
	char family[128] = "";
	const char *line = text;

	while (*line != '\0') {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		char name[128];
		size_t n = strcspn(line, "{ ");

		CU_ASSERT_FATAL(nl != NULL);
		if (strncmp(line, "# HELP ", 7) == 0) {
			sscanf(line + 7, "%127s", family);
		} else if (strncmp(line, "# TYPE ", 7) == 0) {
			CU_ASSERT_EQUAL(strncmp(line + 7, family, strlen(family)), 0);
		} else {
			CU_ASSERT_TRUE(n < sizeof(name));
			memcpy(name, line, n);
			name[n] = '\0';
			CU_ASSERT_STRING_EQUAL(name, family);
			CU_ASSERT_TRUE(len > n + 1);
		}
		line += len + 1;
	}
}

static void
test_metrics(void)
{
	struct ns_web_iface ifc;
	struct ns_web_stats ws = { .requests = 3, .connections_refused = 1 };
	struct web_state st;
	struct web_buf b;
	struct web_snap *s;

	CU_ASSERT_EQUAL_FATAL(web_state_init(&st, 10, 3, 2), 0);
	s = snap_at(SEC(1000), 200, 30000);
	memset(&ifc, 0, sizeof(ifc));
	strcpy(ifc.name, "port \"0\"\\x\nz");
	ifc.has_port_stats = true;
	ifc.port.imissed = 11;
	s->s.ifaces = &ifc;
	s->s.n_ifaces = 1;
	web_state_apply_snapshot(&st, s);
	web_buf_init(&b);
	web_metrics_render(&st, &ws, &b);
	CU_ASSERT_FALSE_FATAL(b.oom);
	check_exposition(b.p);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\nnetscope_packets_total 200\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\nnetscope_bytes_total 30000\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\n# TYPE netscope_packets_total counter\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\nnetscope_drops_total{cause=\"kernel\"} 5\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\nnetscope_drops_total{cause=\"nic_missed\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(b.p, "\nnetscope_protocol_packets_total{protocol=\"tcp\"} 100\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\nnetscope_worker_packets_total{worker=\"0\"} 200\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\nnetscope_flows_active 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\nnetscope_flows_capacity 100\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\nnetscope_web_connections_refused_total 1\n"));
	/* label values escaped as the exposition format requires */
	CU_ASSERT_PTR_NOT_NULL(strstr(
		b.p, "\nnetscope_port_rx_missed_total{port=\"port \\\"0\\\"\\\\x\\nz\"} 11\n"));
	web_buf_free(&b);
	web_state_free(&st);
}

static void
test_metrics_without_ports(void)
{
	struct web_state st;
	struct web_buf b;

	CU_ASSERT_EQUAL_FATAL(web_state_init(&st, 10, 3, 2), 0);
	web_buf_init(&b);
	/* before the first snapshot everything renders as zero */
	web_metrics_render(&st, &(struct ns_web_stats){ 0 }, &b);
	check_exposition(b.p);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, "\nnetscope_packets_total 0\n"));
	CU_ASSERT_PTR_NULL(strstr(b.p, "netscope_port_"));
	web_buf_free(&b);
	web_state_free(&st);
}

static void
test_snap_copy(void)
{
	static struct ns_flow_record many[NS_WEB_FLOWS_MAX + 5];
	struct ns_web_worker w[2] = { { .packets = 1 }, { .packets = 2 } };
	struct ns_web_snapshot s;
	struct web_snap *c;

	memset(&s, 0, sizeof(s));
	memset(s.backend, 'x', sizeof(s.backend)); /* not terminated */
	s.worker = w;
	s.n_workers = 2;
	s.has_flows = true;
	s.flows = many;
	s.n_flows = NS_WEB_FLOWS_MAX + 5;
	c = web_snap_copy(&s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	w[1].packets = 99; /* the copy does not follow the caller's buffer */
	CU_ASSERT_EQUAL(c->s.worker[1].packets, 2);
	CU_ASSERT_PTR_NOT_EQUAL(c->s.worker, w);
	CU_ASSERT_EQUAL(c->s.n_flows, NS_WEB_FLOWS_MAX);
	CU_ASSERT_EQUAL(strlen(c->s.backend), sizeof(s.backend) - 1);
	web_snap_free(c);
	/* no flows offered: none copied, whatever the count says */
	s.has_flows = false;
	c = web_snap_copy(&s);
	CU_ASSERT_EQUAL(c->s.n_flows, 0);
	CU_ASSERT_PTR_NULL(c->s.flows);
	web_snap_free(c);
	CU_ASSERT_STRING_EQUAL(ns_web_drop_name(NS_WEB_DROP_KERNEL), "kernel");
	CU_ASSERT_PTR_NULL(ns_web_drop_name(NS_WEB_DROP_MAX));
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_rates_and_series),
	NS_TEST(test_series_wraps_and_untimed),
	NS_TEST(test_summary_shape),
	NS_TEST(test_packet_json),
	NS_TEST(test_packet_ring),
	NS_TEST(test_alerts),
	NS_TEST(test_alert_raise_then_clear),
	NS_TEST(test_flows),
	NS_TEST(test_interfaces),
	NS_TEST(test_metrics),
	NS_TEST(test_metrics_without_ports),
	NS_TEST(test_snap_copy),
};

NS_TEST_MAIN("web_state", cases)
