/* SPDX-License-Identifier: MIT */
/*
 * /metrics in the Prometheus text exposition format (version 0.0.4), rendered from the same
 * snapshot as the JSON API. Counters end in _total and carry every label value even when zero,
 * so a rate() over a cause that has not happened yet is 0 rather than absent. Rates are left to
 * Prometheus.
 */
#include <stdio.h>
#include <string.h>

#include "ns_build_config.h"
#include "ns_core.h"
#include "ns_proto.h"
#include "web_priv.h"

void
web_metrics_label_escape(struct web_buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			web_buf_puts(out, "\\\\");
		else if (*s == '"')
			web_buf_puts(out, "\\\"");
		else if (*s == '\n')
			web_buf_puts(out, "\\n");
		else
			web_buf_append(out, s, 1);
	}
}

static void
head(struct web_buf *out, const char *name, const char *type, const char *help)
{
	web_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
value(struct web_buf *out, const char *name, uint64_t v)
{
	web_buf_printf(out, "%s %llu\n", name, (unsigned long long)v);
}

static void
labeled(struct web_buf *out, const char *name, const char *label, const char *lv, uint64_t v)
{
	web_buf_printf(out, "%s{%s=\"", name, label);
	web_metrics_label_escape(out, lv);
	web_buf_printf(out, "\"} %llu\n", (unsigned long long)v);
}

static void
one(struct web_buf *out, const char *name, const char *type, const char *help, uint64_t v)
{
	head(out, name, type, help);
	value(out, name, v);
}

static void
render_packets(struct web_buf *out, const struct ns_web_snapshot *s)
{
	const struct ns_pkt_counters *c = &s->totals;

	one(out, "netscope_packets_total", "counter", "Packets received and analysed.", c->packets);
	one(out, "netscope_bytes_total", "counter",
	    "Bytes received and analysed (length on the wire).", c->bytes);
	head(out, "netscope_protocol_packets_total", "counter",
	     "Packets that carried a protocol layer.");
	for (unsigned i = 0; i < NS_LAYER_MAX; i++)
		labeled(out, "netscope_protocol_packets_total", "protocol", ns_layer_name(i),
			c->layers[i]);
	head(out, "netscope_fragments_total", "counter", "IP fragments.");
	labeled(out, "netscope_fragments_total", "ip_version", "4", c->ipv4_fragments);
	labeled(out, "netscope_fragments_total", "ip_version", "6", c->ipv6_fragments);
	head(out, "netscope_parse_problems_total", "counter",
	     "Packets the parser could not read to the end, by verdict.");
	labeled(out, "netscope_parse_problems_total", "verdict", "truncated", c->truncated);
	labeled(out, "netscope_parse_problems_total", "verdict", "malformed", c->malformed);
	labeled(out, "netscope_parse_problems_total", "verdict", "unsupported", c->unsupported);
	one(out, "netscope_filtered_total", "counter", "Packets the capture filter rejected.",
	    c->filtered);
	head(out, "netscope_drops_total", "counter", "Packets lost before analysis, by cause.");
	for (unsigned i = 0; i < NS_WEB_DROP_MAX; i++)
		labeled(out, "netscope_drops_total", "cause", ns_web_drop_name(i), s->drops[i]);
}

static void
render_workers(struct web_buf *out, const struct ns_web_snapshot *s)
{
	static const struct {
		const char *name;
		const char *type;
		const char *help;
		size_t off;
	} cols[] = {
		{ "netscope_worker_packets_total", "counter", "Packets analysed by a worker.",
		  offsetof(struct ns_web_worker, packets) },
		{ "netscope_worker_drops_total", "counter", "Packets a worker lost.",
		  offsetof(struct ns_web_worker, drops) },
		{ "netscope_worker_flows_active", "gauge", "Flows in a worker's table.",
		  offsetof(struct ns_web_worker, flows_active) },
		{ "netscope_worker_flows_created_total", "counter", "Flows a worker created.",
		  offsetof(struct ns_web_worker, flows_created) },
	};

	for (size_t c = 0; c < NS_ARRAY_SIZE(cols); c++) {
		head(out, cols[c].name, cols[c].type, cols[c].help);
		for (uint32_t w = 0; w < s->n_workers; w++) {
			uint64_t v;
			char id[16];

			memcpy(&v, (const uint8_t *)&s->worker[w] + cols[c].off, sizeof(v));
			snprintf(id, sizeof(id), "%u", w);
			labeled(out, cols[c].name, "worker", id, v);
		}
	}
}

static void
render_ifaces(struct web_buf *out, const struct ns_web_snapshot *s)
{
	static const struct {
		const char *name;
		const char *help;
		size_t off;
	} port_cols[] = {
		{ "netscope_port_rx_packets_total", "Packets the NIC port received.",
		  offsetof(struct ns_web_iface, port.ipackets) },
		{ "netscope_port_rx_bytes_total", "Bytes the NIC port received.",
		  offsetof(struct ns_web_iface, port.ibytes) },
		{ "netscope_port_rx_missed_total", "Packets the NIC port missed (no descriptor).",
		  offsetof(struct ns_web_iface, port.imissed) },
		{ "netscope_port_rx_errors_total", "Erroneous packets the NIC port received.",
		  offsetof(struct ns_web_iface, port.ierrors) },
		{ "netscope_port_rx_nombuf_total", "Receive buffer allocation failures.",
		  offsetof(struct ns_web_iface, port.rx_nombuf) },
	};
	bool ports = false;

	head(out, "netscope_interface_received_total", "counter",
	     "Packets a capture source delivered.");
	for (uint32_t i = 0; i < s->n_ifaces; i++)
		labeled(out, "netscope_interface_received_total", "interface", s->ifaces[i].name,
			s->ifaces[i].received);
	head(out, "netscope_interface_drops_total", "counter", "Packets a capture source lost.");
	for (uint32_t i = 0; i < s->n_ifaces; i++) {
		labeled(out, "netscope_interface_drops_total", "interface", s->ifaces[i].name,
			s->ifaces[i].drops);
		ports |= s->ifaces[i].has_port_stats;
	}
	if (!ports)
		return;
	for (size_t c = 0; c < NS_ARRAY_SIZE(port_cols); c++) {
		head(out, port_cols[c].name, "counter", port_cols[c].help);
		for (uint32_t i = 0; i < s->n_ifaces; i++) {
			uint64_t v;

			if (!s->ifaces[i].has_port_stats)
				continue;
			memcpy(&v, (const uint8_t *)&s->ifaces[i] + port_cols[c].off, sizeof(v));
			labeled(out, port_cols[c].name, "port", s->ifaces[i].name, v);
		}
	}
}

static void
render_alerts(struct web_buf *out, const struct web_state *st)
{
	head(out, "netscope_alerts_total", "counter", "Alerts raised, by type.");
	for (unsigned i = 0; i < WEB_ALERT_TYPES_MAX && st->alert_type[i][0] != '\0'; i++)
		labeled(out, "netscope_alerts_total", "type", st->alert_type[i],
			st->alert_type_count[i]);
	labeled(out, "netscope_alerts_total", "type", "other", st->alert_type_other);
}

static void
render_web(struct web_buf *out, const struct ns_web_stats *ws)
{
	one(out, "netscope_web_requests_total", "counter", "HTTP requests the dashboard served.",
	    ws->requests);
	one(out, "netscope_web_snapshots_dropped_total", "counter",
	    "Snapshots dropped because the web thread was behind.", ws->snapshots_dropped);
	one(out, "netscope_web_packets_dropped_total", "counter",
	    "Sampled packets dropped because the inspector ring was full.", ws->packets_dropped);
	one(out, "netscope_web_alerts_dropped_total", "counter",
	    "Alerts the dashboard could not take.", ws->alerts_dropped);
	one(out, "netscope_web_connections_refused_total", "counter",
	    "Connections refused over web.max_connections.", ws->connections_refused);
	one(out, "netscope_web_streams_cut_total", "counter",
	    "Live-stream clients cut off after taking nothing for 30 s.", ws->streams_cut);
}

void
web_metrics_render(const struct web_state *st, const struct ns_web_stats *ws, struct web_buf *out)
{
	static const struct ns_web_snapshot empty;
	const struct ns_web_snapshot *s = st->cur != NULL ? &st->cur->s : &empty;

	head(out, "netscope_info", "gauge", "Version and capture backend (always 1).");
	web_buf_puts(out, "netscope_info{version=\"");
	web_metrics_label_escape(out, NS_VERSION);
	web_buf_puts(out, "\",backend=\"");
	web_metrics_label_escape(out, s->backend);
	web_buf_puts(out, "\"} 1\n");
	head(out, "netscope_uptime_seconds", "gauge", "Seconds since the capture started.");
	web_buf_printf(out, "netscope_uptime_seconds %.3f\n", (double)s->uptime_ns / 1e9);
	one(out, "netscope_workers", "gauge", "Worker threads analysing packets.", s->workers);
	render_packets(out, s);
	render_workers(out, s);
	one(out, "netscope_flows_active", "gauge", "Flows in the flow tables.", s->flows_active);
	one(out, "netscope_flows_capacity", "gauge", "Flows the flow tables can hold.",
	    s->flows_capacity);
	render_ifaces(out, s);
	render_alerts(out, st);
	render_web(out, ws);
}
