/* SPDX-License-Identifier: MIT */
/*
 * lib/web internals. The pure parts (request parsing, token check, listen address, routing, the
 * embedded-file table, the dashboard state and its JSON and metrics renderings) know nothing of
 * h2o, so unit tests drive them directly; web_server.c is the only file that includes h2o.h.
 * Everything here runs on the web thread unless a comment says otherwise.
 */
#ifndef WEB_PRIV_H
#define WEB_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "ns_web.h"

/* ---- growable text buffer ---- */

struct web_buf {
	char *p;
	size_t len;
	size_t cap;
	bool oom; /* an append failed; the content is incomplete */
};

void web_buf_init(struct web_buf *b);
void web_buf_free(struct web_buf *b);
void web_buf_append(struct web_buf *b, const char *s, size_t n);
void web_buf_puts(struct web_buf *b, const char *s);
void web_buf_printf(struct web_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- request parsing ---- */

/*
 * Find @name in the query string @q (@qlen bytes, without the '?') and percent-decode its value
 * into @out (NUL-terminated). Returns the decoded length, -ENOENT when absent, -EINVAL for a
 * bad escape or an embedded NUL, -ENOSPC when @out is too small.
 */
int web_query_get(const char *q, size_t qlen, const char *name, char *out, size_t outlen);

/*
 * Read the unsigned integer parameter @name: @def when absent, else a decimal in [@min, @max].
 * Returns 0 or -EINVAL (not a number, out of range) with @out untouched.
 */
int web_query_u32(const char *q, size_t qlen, const char *name, uint32_t def, uint32_t min,
		  uint32_t max, uint32_t *out);

/*
 * True when the request proves it knows @token: "Authorization: Bearer <token>" (@auth,
 * @authlen; NULL when absent) or a "token" query parameter. An empty @token accepts every
 * request. The comparison takes the same time wherever the first difference is.
 */
bool web_token_ok(const char *token, const char *auth, size_t authlen, const char *q, size_t qlen);

/*
 * True when a request's Host (@host, @len: "name[:port]") is one that no DNS answer can make a
 * browser send for somebody else's page: "localhost" or an IPv4 or bracketed IPv6 literal,
 * with or without a port (any port: SSH tunnels and port forwards change it). Without a
 * token, the only guard against DNS rebinding. Empty or malformed: false.
 */
bool web_host_ok(const char *host, size_t len);

/*
 * Turn a web.listen value "[ADDR:]PORT" into a socket address: numeric addresses only, no DNS
 * lookup; "localhost" is 127.0.0.1. Returns 0 or -EINVAL with the reason in @err.
 */
int web_listen_resolve(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
		       size_t errlen);

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool web_addr_is_loopback(const struct sockaddr *sa);

/* "http://127.0.0.1:8080/" or "http://[::1]:8080/"; the any-address shows as itself. */
char *web_url_format(const struct sockaddr *sa, char *buf, size_t len);

/* ---- routing ---- */

enum web_route {
	WEB_ROUTE_NOT_FOUND = 0,
	WEB_ROUTE_BAD_PATH, /* escapes, dot segments, control bytes: 400 */
	WEB_ROUTE_STATIC,
	WEB_ROUTE_SUMMARY,
	WEB_ROUTE_TIMESERIES,
	WEB_ROUTE_FLOWS,
	WEB_ROUTE_ALERTS,
	WEB_ROUTE_PACKETS,
	WEB_ROUTE_INTERFACES,
	WEB_ROUTE_STREAM,
	WEB_ROUTE_METRICS,
};

struct web_asset {
	const char *path; /* URL path, "/index.html" */
	const char *mime;
	const char *etag; /* quoted strong validator of the content */
	const uint8_t *data;
	size_t len;
};

/* The generated table (web_assets_data.c, made from web/ at build time). */
extern const struct web_asset web_assets[];
extern const size_t web_assets_count;

/*
 * Exact lookup of a URL path in the embedded set; "/" is "/index.html". Nothing is decoded or
 * normalised, so a path that is not byte-for-byte one of the table's never matches.
 */
const struct web_asset *web_asset_find(const char *path, size_t len);

/*
 * Route a request by its raw path (@path, @len, query excluded). *@asset is set for
 * WEB_ROUTE_STATIC. Percent escapes, "." or ".." segments, empty segments, backslashes and
 * control bytes are WEB_ROUTE_BAD_PATH: the server never has to interpret them.
 */
enum web_route web_route_match(const char *path, size_t len, const struct web_asset **asset);

/* True when @route requires the token (everything but the static UI files). */
bool web_route_needs_token(enum web_route route);

/* ---- dashboard state (web thread) ---- */

/* A deep copy of one published snapshot; the arrays live in the same allocation. */
struct web_snap {
	struct ns_web_snapshot s;
	uint64_t seq; /* 1, 2, ... in arrival order */
	struct json_object **flow_json; /* s.n_flows export objects, made on the web thread */
};

/* Copy @s and its arrays into one allocation. Returns NULL on ENOMEM. */
struct web_snap *web_snap_copy(const struct ns_web_snapshot *s);

/* Free a snapshot copy and its flow objects. Accepts NULL. */
void web_snap_free(struct web_snap *snap);

/* Sampled packet as the producer copies it into the ring. */
struct web_pkt {
	uint64_t ts_ns;
	int32_t linktype;
	uint32_t caplen; /* bytes captured (may exceed the stored bytes) */
	uint32_t wirelen;
	uint32_t stored; /* bytes in data[] */
	uint8_t data[NS_WEB_PKT_BYTES];
};

/* One per-second point of the time series. */
struct web_point {
	int64_t t; /* unix seconds on the capture timeline */
	double pps;
	double bps;
	uint64_t flows;
};

struct web_series {
	struct web_point *pt;
	uint32_t cap;
	uint32_t len;
	uint32_t head; /* next slot to write */
};

/* Distinct alert "type" values counted for /metrics; more share the label "other". */
#define WEB_ALERT_TYPES_MAX 16

struct web_state {
	struct web_snap *cur; /* latest snapshot; NULL before the first */
	struct web_snap *flows_src; /* latest snapshot that carried flows (may be cur) */
	uint64_t snap_seq;

	/* rate base: the counters at the start of second base_sec */
	bool based;
	int64_t base_sec;
	uint64_t base_packets;
	uint64_t base_bytes;
	double pps; /* last complete second */
	double bps;
	struct web_series series;

	struct web_pkt *pkts; /* ring of the last pkt_cap sampled packets */
	uint64_t *pkt_ids;
	uint32_t pkt_cap;
	uint32_t pkt_len;
	uint32_t pkt_head;
	uint64_t pkt_next_id;

	struct json_object **alerts; /* ring, newest at alert_head - 1 */
	uint64_t *alert_ids;
	uint32_t alert_cap;
	uint32_t alert_len;
	uint32_t alert_head;
	uint64_t alerts_total; /* alert events (a raise, a clear): their ids */
	uint64_t alerts_raised; /* alerts: an alert's clear after its raise is not a second */
	char alert_type[WEB_ALERT_TYPES_MAX][32];
	uint64_t alert_type_count[WEB_ALERT_TYPES_MAX];
	uint64_t alert_type_other;
};

int web_state_init(struct web_state *st, uint32_t series_cap, uint32_t pkt_cap, uint32_t alert_cap);
void web_state_free(struct web_state *st);

/* Take ownership of @snap: update totals, rates and the time series. */
void web_state_apply_snapshot(struct web_state *st, struct web_snap *snap);

/* Copy one sampled packet into the inspector ring. Returns its id. */
uint64_t web_state_add_packet(struct web_state *st, const struct web_pkt *p);

/* Take a reference to the alert object @a. Returns its id (1, 2, ...). */
uint64_t web_state_add_alert(struct web_state *st, struct json_object *a);

/* ---- JSON renderings (web_json.c); each returns a new object or NULL on ENOMEM ---- */

enum web_flow_sort {
	WEB_SORT_BYTES = 0,
	WEB_SORT_PACKETS,
	WEB_SORT_RTT,
	WEB_SORT_RETRANS,
};

/* "bytes" -> WEB_SORT_BYTES, ...; -EINVAL for anything else. */
int web_flow_sort_parse(const char *s);

struct json_object *web_json_summary(const struct web_state *st, const struct ns_web_stats *ws);
struct json_object *web_json_timeseries(const struct web_state *st, uint32_t seconds);
struct json_object *web_json_flows(const struct web_state *st, uint32_t top,
				   enum web_flow_sort sort);
struct json_object *web_json_alerts(const struct web_state *st, uint32_t limit);
struct json_object *web_json_packets(const struct web_state *st, uint32_t limit);
struct json_object *web_json_interfaces(const struct web_state *st);

/* One packet decoded: layers, summary line, hex. */
struct json_object *web_json_packet(const struct web_pkt *p, uint64_t id);

/* The live-stream event: summary plus the time-series points newer than @after_t. */
struct json_object *web_json_live(const struct web_state *st, const struct ns_web_stats *ws,
				  int64_t after_t);

/* Newest point's time, or INT64_MIN when the series is empty. */
int64_t web_series_last_t(const struct web_state *st);

/* ---- flows (web_flows.c): the flow record as the flow export writes it ---- */

/* Size of one record, for copying snapshots. */
size_t web_flow_record_size(void);

/*
 * Fill snap->flow_json with the flow export's JSON object of each record. Returns 0 or -errno
 * (then flow_json stays NULL and the snapshot shows no flows).
 */
int web_flows_render(struct web_snap *snap);

/* Order @n records by @sort, biggest first, into @idx (indexes into @recs). 0 or -ENOMEM. */
int web_flows_order(const struct ns_flow_record *recs, uint32_t n, enum web_flow_sort sort,
		    uint32_t *idx);

/* ---- Prometheus text (web_metrics.c) ---- */

/* Render every metric into @out (text format 0.0.4). */
void web_metrics_render(const struct web_state *st, const struct ns_web_stats *ws,
			struct web_buf *out);

/* Append @s with \\, \" and \n escaped, as a label value needs. */
void web_metrics_label_escape(struct web_buf *out, const char *s);

#endif /* WEB_PRIV_H */
