/* SPDX-License-Identifier: MIT */
/*
 * The h2o side of the dashboard: the listening socket, the server thread and its event loop,
 * request dispatch, the server-sent-events stream, and the hand-over from the producer.
 *
 * Threads: ns_web_create() binds on the caller's thread (so "address in use" is reported
 * there), builds the loop, then starts the "ns-web" thread, which alone touches h2o and the
 * dashboard state from then on. The producer (the capture/management thread) only sends h2o
 * cross-thread messages (snapshots, alerts: malloc'd copies, a few per second) and enqueues
 * sampled packets into an SPSC ring (no allocation). Both are bounded: when the web thread is
 * behind, the producer drops and counts instead of waiting.
 *
 * The web thread runs under SCHED_IDLE, below the capture (web_thread_demote()): a page load
 * or a benchmark against the API must not take CPU from packet processing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <h2o.h>

#include "ns_config.h"
#include "ns_core.h"
#include "web_priv.h"

/*
 * Queued snapshots the web thread may lag behind by. One is the normal case; a handful absorbs
 * a busy second (a large response being built). Past that a snapshot is dropped: the next one
 * carries the totals, and the time series spreads the gap.
 */
#define WEB_SNAP_INFLIGHT_MAX 8
#define WEB_ALERT_INFLIGHT_MAX 256
/* Sampled-packet ring: two seconds of the 100/s the capture side samples. */
#define WEB_PKT_RING 256
/* Live clients whose unsent events pass this are too slow and get disconnected. */
#define WEB_STREAM_BACKLOG_MAX (4u << 20)
/* Push period of the live stream and of ring draining. */
#define WEB_TICK_MS 1000
/* Descriptors kept for everything but dashboard connections (captures, exports, h2o, DPDK). */
#define WEB_FD_RESERVE 64
/* Idle keep-alive connections are closed after this. */
#define WEB_IDLE_TIMEOUT_MS 10000
/*
 * A live client whose socket has taken nothing for this long is cut off: h2o 2.2.5 has no
 * write timeout, so a client that stopped reading would otherwise keep its connection (and a
 * descriptor) for as long as the server runs.
 */
#define WEB_STREAM_STALL_MS 30000

enum web_msg_type {
	WEB_MSG_SNAPSHOT,
	WEB_MSG_ALERT,
};

struct web_msg {
	h2o_multithread_message_t super;
	enum web_msg_type type;
	struct web_snap *snap;
	size_t len;
	char text[]; /* alert JSON, NUL-terminated */
};

struct web_handler {
	h2o_handler_t super;
	struct ns_web *web;
};

/* One live-stream client. Lives in its request's memory pool. */
struct web_stream {
	h2o_generator_t super;
	struct ns_web *web;
	h2o_req_t *req;
	h2o_linklist_t link; /* in web->streams while the request is alive */
	bool busy; /* an h2o_send is outstanding: the next must wait for proceed */
	bool closing; /* send the final chunk at the next chance */
	bool cut; /* stalled: its socket was shut down, h2o ends the request */
	uint64_t busy_since; /* loop time (ms) the outstanding send started */
	int64_t last_t; /* newest time-series point already sent */
	struct web_buf out; /* bytes of the outstanding send */
	struct web_buf next; /* events queued while busy */
};

struct ns_web {
	/* set by create, read-only afterwards (any thread) */
	char token[NS_CFG_STR_MAX];
	uint32_t max_conns;
	size_t max_request;
	char url[128];
	uint64_t stall_ms; /* live clients' stall limit */
	pthread_t thread;
	bool thread_started;

	/* producer: rw (increment), web: rw (decrement) */
	_Atomic uint32_t snap_inflight;
	_Atomic uint32_t alert_inflight;
	struct ns_ring *pkt_ring; /* producer: enqueue, web: dequeue */
	_Atomic bool stop; /* producer: w, web: r */

	/* counters: producer writes its own, web writes its own, anyone reads (relaxed) */
	_Atomic uint64_t st_requests;
	_Atomic uint64_t st_snapshots;
	_Atomic uint64_t st_snapshots_dropped;
	_Atomic uint64_t st_packets;
	_Atomic uint64_t st_packets_dropped;
	_Atomic uint64_t st_alerts;
	_Atomic uint64_t st_alerts_dropped;
	_Atomic uint64_t st_conns_refused;
	_Atomic uint64_t st_streams_cut;

	/* web thread only (after create) */
	int listen_fd;
	h2o_globalconf_t config;
	h2o_context_t ctx;
	h2o_evloop_t *loop;
	h2o_accept_ctx_t accept_ctx;
	h2o_socket_t *listener;
	h2o_multithread_queue_t *queue;
	h2o_multithread_receiver_t receiver;
	h2o_timeout_t tick;
	h2o_timeout_entry_t tick_entry;
	bool accept_paused; /* out of descriptors: the listener rests until the next tick */
	uint32_t conns;
	h2o_linklist_t streams;
	struct web_state state;
};

/*
 * On every response. The CSP lets the page load only its own files and talk only to its own
 * origin; inline script is never allowed, so even markup that slipped into the DOM could not
 * run.
 */
static const char *const security_headers[][2] = {
	{ "content-security-policy",
	  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" },
	{ "x-content-type-options", "nosniff" },
	{ "x-frame-options", "DENY" },
	{ "referrer-policy", "no-referrer" },
};

static void
read_stats(const struct ns_web *web, struct ns_web_stats *st)
{
	st->requests = atomic_load_explicit(&web->st_requests, memory_order_relaxed);
	st->snapshots = atomic_load_explicit(&web->st_snapshots, memory_order_relaxed);
	st->snapshots_dropped =
		atomic_load_explicit(&web->st_snapshots_dropped, memory_order_relaxed);
	st->packets = atomic_load_explicit(&web->st_packets, memory_order_relaxed);
	st->packets_dropped = atomic_load_explicit(&web->st_packets_dropped, memory_order_relaxed);
	st->alerts = atomic_load_explicit(&web->st_alerts, memory_order_relaxed);
	st->alerts_dropped = atomic_load_explicit(&web->st_alerts_dropped, memory_order_relaxed);
	st->connections_refused =
		atomic_load_explicit(&web->st_conns_refused, memory_order_relaxed);
	st->streams_cut = atomic_load_explicit(&web->st_streams_cut, memory_order_relaxed);
}

static void
count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* ---- responses ---- */

static void
add_header(h2o_req_t *req, const h2o_token_t *tok, const char *v, size_t len)
{
	h2o_add_header(&req->pool, &req->res.headers, tok, NULL, v, len);
}

static void
start_headers(h2o_req_t *req, int status, const char *reason, const char *ctype)
{
	req->res.status = status;
	req->res.reason = reason;
	add_header(req, H2O_TOKEN_CONTENT_TYPE, ctype, strlen(ctype));
	add_header(req, H2O_TOKEN_CACHE_CONTROL, H2O_STRLIT("no-cache"));
	for (size_t i = 0; i < NS_ARRAY_SIZE(security_headers); i++)
		h2o_add_header_by_str(&req->pool, &req->res.headers, security_headers[i][0],
				      strlen(security_headers[i][0]), 0, NULL,
				      security_headers[i][1], strlen(security_headers[i][1]));
}

static bool
is_head(const h2o_req_t *req)
{
	return h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD"));
}

/*
 * A whole answer at once, with its Content-Length: without one h2o 2.2 chunks a 200 and ends
 * the connection after any other status. HEAD gets the same length and no body.
 */
static int
send_body(h2o_req_t *req, int status, const char *reason, const char *ctype, const char *body,
	  size_t len)
{
	static h2o_generator_t gen = { NULL, NULL };

	start_headers(req, status, reason, ctype);
	req->res.content_length = len;
	if (is_head(req)) {
		h2o_start_response(req, &gen);
		h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
		return 0;
	}
	h2o_send_inline(req, body, len);
	return 0;
}

static int
send_error(h2o_req_t *req, int status, const char *reason, const char *msg)
{
	struct web_buf b;
	int rc;

	web_buf_init(&b);
	web_buf_printf(&b, "{\"error\":\"%s\",\"status\":%d}\n", msg, status);
	if (b.oom) {
		web_buf_free(&b);
		return -1;
	}
	if (status == 401)
		add_header(req, H2O_TOKEN_WWW_AUTHENTICATE,
			   H2O_STRLIT("Bearer realm=\"netscope\""));
	if (status == 405)
		add_header(req, H2O_TOKEN_ALLOW, H2O_STRLIT("GET, HEAD"));
	rc = send_body(req, status, reason, "application/json", b.p, b.len);
	web_buf_free(&b);
	return rc;
}

static int
send_json(h2o_req_t *req, struct json_object *o)
{
	const char *s;
	size_t len;

	if (o == NULL)
		return send_error(req, 503, "Service Unavailable", "out of memory");
	s = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL) {
		json_object_put(o);
		return send_error(req, 503, "Service Unavailable", "out of memory");
	}
	send_body(req, 200, "OK", "application/json", s, len);
	json_object_put(o);
	return 0;
}

static int
send_static(h2o_req_t *req, const struct web_asset *a, bool head)
{
	static h2o_generator_t gen = { NULL, NULL };
	h2o_iovec_t body = h2o_iovec_init(a->data, a->len);
	ssize_t inm = h2o_find_header(&req->headers, H2O_TOKEN_IF_NONE_MATCH, -1);

	if (inm != -1 && h2o_memis(req->headers.entries[inm].value.base,
				   req->headers.entries[inm].value.len, a->etag, strlen(a->etag))) {
		start_headers(req, 304, "Not Modified", a->mime);
		add_header(req, H2O_TOKEN_ETAG, a->etag, strlen(a->etag));
		h2o_start_response(req, &gen);
		h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
		return 0;
	}
	start_headers(req, 200, "OK", a->mime);
	add_header(req, H2O_TOKEN_ETAG, a->etag, strlen(a->etag));
	req->res.content_length = a->len;
	h2o_start_response(req, &gen);
	/* The table is static and read-only: h2o may send straight from it. */
	h2o_send(req, head ? NULL : &body, head ? 0 : 1, H2O_SEND_STATE_FINAL);
	return 0;
}

/* ---- sampled packets ---- */

static void
drain_packets(struct ns_web *web)
{
	struct web_pkt batch[8];
	uint32_t n;

	while ((n = ns_ring_dequeue_burst(web->pkt_ring, batch, NS_ARRAY_SIZE(batch))) > 0)
		for (uint32_t i = 0; i < n; i++)
			web_state_add_packet(&web->state, &batch[i]);
}

/* ---- live stream (server-sent events) ---- */

static void stream_flush(struct web_stream *s);

static void
stream_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
	struct web_stream *s = (struct web_stream *)gen;

	(void)req;
	s->busy = false;
	s->out.len = 0;
	stream_flush(s);
}

static void
stream_stop(h2o_generator_t *gen, h2o_req_t *req)
{
	struct web_stream *s = (struct web_stream *)gen;

	(void)req;
	if (h2o_linklist_is_linked(&s->link))
		h2o_linklist_unlink(&s->link);
	s->busy = true; /* nothing may be sent any more */
}

static void
stream_dispose(void *p)
{
	struct web_stream *s = p;

	if (h2o_linklist_is_linked(&s->link))
		h2o_linklist_unlink(&s->link);
	web_buf_free(&s->out);
	web_buf_free(&s->next);
}

/* Send what is queued, or the final chunk, unless a send is outstanding. */
static void
stream_flush(struct web_stream *s)
{
	struct web_buf tmp;
	h2o_iovec_t iov;

	if (s->busy || !h2o_linklist_is_linked(&s->link))
		return;
	if (s->closing) {
		h2o_linklist_unlink(&s->link);
		h2o_send(s->req, NULL, 0, H2O_SEND_STATE_FINAL);
		return;
	}
	if (s->next.len == 0)
		return;
	tmp = s->out;
	s->out = s->next;
	s->next = tmp;
	s->next.len = 0;
	s->busy = true;
	s->busy_since = h2o_now(s->web->loop);
	iov = h2o_iovec_init(s->out.p, s->out.len);
	h2o_send(s->req, &iov, 1, H2O_SEND_STATE_IN_PROGRESS);
}

static void
stream_queue(struct web_stream *s, const char *event, struct json_object *o)
{
	const char *txt;
	size_t len;

	if (o == NULL || s->closing)
		return;
	txt = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (txt == NULL)
		return;
	web_buf_printf(&s->next, "event: %s\ndata: ", event);
	web_buf_append(&s->next, txt, len);
	web_buf_puts(&s->next, "\n\n");
	/* A client that stopped reading is cut off rather than buffered without end. */
	if (s->next.oom || s->next.len > WEB_STREAM_BACKLOG_MAX) {
		s->next.len = 0;
		s->next.oom = false;
		s->closing = true;
	}
}

static void
stream_push_live(struct ns_web *web, struct web_stream *s)
{
	struct ns_web_stats ws;
	struct json_object *o;

	read_stats(web, &ws);
	o = web_json_live(&web->state, &ws, s->last_t);
	if (o != NULL) {
		int64_t last = web_series_last_t(&web->state);

		if (last != INT64_MIN)
			s->last_t = last;
		stream_queue(s, "live", o);
		json_object_put(o);
	}
	stream_flush(s);
}

static int
start_stream(struct ns_web *web, h2o_req_t *req)
{
	static h2o_generator_t head_gen = { NULL, NULL };
	struct web_stream *s;

	/* HEAD: the headers and the end, never a client that events would go to */
	if (is_head(req)) {
		start_headers(req, 200, "OK", "text/event-stream");
		h2o_start_response(req, &head_gen);
		h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
		return 0;
	}
	s = h2o_mem_alloc_shared(&req->pool, sizeof(*s), stream_dispose);
	memset(s, 0, sizeof(*s));
	s->super.proceed = stream_proceed;
	s->super.stop = stream_stop;
	s->web = web;
	s->req = req;
	s->last_t = INT64_MIN;
	web_buf_init(&s->out);
	web_buf_init(&s->next);
	start_headers(req, 200, "OK", "text/event-stream");
	h2o_start_response(req, &s->super);
	h2o_linklist_insert(&web->streams, &s->link);
	/* The first event tells the browser how long to wait before reconnecting. */
	web_buf_puts(&s->next, "retry: 2000\n\n");
	drain_packets(web);
	stream_push_live(web, s);
	return 0;
}

static void
streams_each(struct ns_web *web, void (*fn)(struct ns_web *, struct web_stream *, void *),
	     void *arg)
{
	h2o_linklist_t *node = web->streams.next;

	while (node != &web->streams) {
		struct web_stream *s = H2O_STRUCT_FROM_MEMBER(struct web_stream, link, node);

		node = node->next; /* fn may unlink s */
		fn(web, s, arg);
	}
}

/*
 * Cut off a live client that has taken nothing for web->stall_ms: shut its socket down, so
 * the outstanding write fails and h2o closes the connection through its own error path
 * (stream_stop(), then the pool's dispose).
 */
static bool
stream_cut_if_stalled(struct ns_web *web, struct web_stream *s)
{
	h2o_conn_t *conn = s->req->conn;
	h2o_socket_t *sock;

	if (!s->busy || s->cut || h2o_now(web->loop) - s->busy_since < web->stall_ms)
		return s->cut;
	sock = conn->callbacks->get_socket != NULL ? conn->callbacks->get_socket(conn) : NULL;
	if (sock == NULL)
		return false;
	s->cut = true;
	count(&web->st_streams_cut);
	shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
	return true;
}

static void
each_live(struct ns_web *web, struct web_stream *s, void *arg)
{
	(void)arg;
	if (!stream_cut_if_stalled(web, s))
		stream_push_live(web, s);
}

static void
each_alert(struct ns_web *web, struct web_stream *s, void *arg)
{
	(void)web;
	stream_queue(s, "alert", arg);
	stream_flush(s);
}

static void
each_close(struct ns_web *web, struct web_stream *s, void *arg)
{
	(void)web;
	(void)arg;
	s->closing = true;
	stream_flush(s);
}

/* ---- requests ---- */

static size_t
request_size(const h2o_req_t *req)
{
	size_t n = req->input.method.len + req->input.path.len + req->input.authority.len;

	for (size_t i = 0; i < req->headers.size; i++)
		n += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
	return n + req->entity.len;
}

static int
serve_api(struct ns_web *web, h2o_req_t *req, enum web_route route, const char *q, size_t qlen)
{
	struct web_state *st = &web->state;
	struct ns_web_stats ws;
	uint32_t n = 0;
	char sort_s[16] = "bytes";
	int sort, rc;

	switch (route) {
	case WEB_ROUTE_SUMMARY:
		read_stats(web, &ws);
		return send_json(req, web_json_summary(st, &ws));
	case WEB_ROUTE_TIMESERIES:
		if (web_query_u32(q, qlen, "seconds", 300, 1, st->series.cap, &n) < 0)
			return send_error(req, 400, "Bad Request",
					  "seconds: expected 1..series length");
		return send_json(req, web_json_timeseries(st, n));
	case WEB_ROUTE_FLOWS:
		if (web_query_u32(q, qlen, "top", 20, 1, NS_WEB_FLOWS_MAX, &n) < 0)
			return send_error(req, 400, "Bad Request", "top: expected 1..1000");
		/* Absent is the default; any other error (a bad escape, a NUL, too long) is the
		 * client's: sort_s may then hold part of the value, which must not be used. */
		rc = web_query_get(q, qlen, "sort", sort_s, sizeof(sort_s));
		if ((rc < 0 && rc != -ENOENT) || (sort = web_flow_sort_parse(sort_s)) < 0)
			return send_error(req, 400, "Bad Request",
					  "sort: expected bytes, packets, rtt or retrans");
		return send_json(req, web_json_flows(st, n, (enum web_flow_sort)sort));
	case WEB_ROUTE_ALERTS:
		if (web_query_u32(q, qlen, "limit", st->alert_cap, 1, st->alert_cap, &n) < 0)
			return send_error(req, 400, "Bad Request", "limit: out of range");
		return send_json(req, web_json_alerts(st, n));
	case WEB_ROUTE_PACKETS:
		if (web_query_u32(q, qlen, "limit", 50, 1, st->pkt_cap, &n) < 0)
			return send_error(req, 400, "Bad Request", "limit: out of range");
		drain_packets(web);
		return send_json(req, web_json_packets(st, n));
	case WEB_ROUTE_INTERFACES:
		return send_json(req, web_json_interfaces(st));
	case WEB_ROUTE_STREAM:
		return start_stream(web, req);
	case WEB_ROUTE_METRICS: {
		struct web_buf b;

		web_buf_init(&b);
		read_stats(web, &ws);
		web_metrics_render(st, &ws, &b);
		if (b.oom) {
			web_buf_free(&b);
			return send_error(req, 503, "Service Unavailable", "out of memory");
		}
		send_body(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
		web_buf_free(&b);
		return 0;
	}
	default:
		return send_error(req, 404, "Not Found", "not found");
	}
}

static int
on_req(h2o_handler_t *self, h2o_req_t *req)
{
	struct ns_web *web = ((struct web_handler *)self)->web;
	const char *path = req->input.path.base;
	size_t plen = req->input.path.len;
	const char *q = NULL, *qmark = memchr(path, '?', plen);
	size_t qlen = 0;
	const struct web_asset *asset;
	enum web_route route;
	bool head = is_head(req);
	ssize_t auth;

	count(&web->st_requests);
	if (qmark != NULL) {
		q = qmark + 1;
		qlen = plen - (size_t)(q - path);
		plen = (size_t)(qmark - path);
	}
	if (request_size(req) > web->max_request)
		return send_error(req, 431, "Request Header Fields Too Large",
				  "request larger than web.max_request_kb");
	/*
	 * DNS rebinding: without a token, a page whose name now resolves to this host could read
	 * the API. Its requests carry that name in Host, so only names no DNS answer controls are
	 * served. A request without Host (HTTP/1.0; browsers always send it) gets h2o's default
	 * authority, the very pointer of the host configuration.
	 */
	if (web->token[0] == '\0' &&
	    req->input.authority.base != req->hostconf->authority.hostport.base &&
	    !web_host_ok(req->input.authority.base, req->input.authority.len))
		return send_error(req, 421, "Misdirected Request",
				  "Host must be localhost or an IP address (or set web.token)");
	if (!head && !h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("GET")))
		return send_error(req, 405, "Method Not Allowed", "only GET and HEAD");
	route = web_route_match(path, plen, &asset);
	if (route == WEB_ROUTE_BAD_PATH)
		return send_error(req, 400, "Bad Request", "malformed path");
	if (route == WEB_ROUTE_NOT_FOUND)
		return send_error(req, 404, "Not Found", "not found");
	if (route == WEB_ROUTE_STATIC)
		return send_static(req, asset, head);
	auth = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
	if (!web_token_ok(web->token, auth != -1 ? req->headers.entries[auth].value.base : NULL,
			  auth != -1 ? req->headers.entries[auth].value.len : 0, q, qlen))
		return send_error(req, 401, "Unauthorized", "missing or wrong token");
	return serve_api(web, req, route, q, qlen);
}

/* ---- messages from the producer ---- */

static void
on_alert_text(struct ns_web *web, const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *a;

	if (tok == NULL) {
		count(&web->st_alerts_dropped);
		return;
	}
	a = json_tokener_parse_ex(tok, text, (int)len);
	if (a == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)len || !json_object_is_type(a, json_type_object)) {
		NS_LOG(WARNING, "web", "alert dropped: not one JSON object");
		count(&web->st_alerts_dropped);
	} else {
		struct json_object *ev = json_object_new_object();
		uint64_t id = web_state_add_alert(&web->state, a);

		count(&web->st_alerts);
		if (ev != NULL) {
			json_object_object_add(ev, "id", json_object_new_uint64(id));
			json_object_object_add(ev, "alert", json_object_get(a));
			streams_each(web, each_alert, ev);
			json_object_put(ev);
		}
	}
	json_object_put(a);
	json_tokener_free(tok);
}

static void
on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
	struct ns_web *web = H2O_STRUCT_FROM_MEMBER(struct ns_web, receiver, receiver);

	while (!h2o_linklist_is_empty(messages)) {
		struct web_msg *m =
			H2O_STRUCT_FROM_MEMBER(struct web_msg, super.link, messages->next);

		h2o_linklist_unlink(&m->super.link);
		if (m->type == WEB_MSG_SNAPSHOT) {
			web_state_apply_snapshot(&web->state, m->snap);
			count(&web->st_snapshots);
			atomic_fetch_sub_explicit(&web->snap_inflight, 1, memory_order_release);
		} else {
			on_alert_text(web, m->text, m->len);
			atomic_fetch_sub_explicit(&web->alert_inflight, 1, memory_order_release);
		}
		free(m);
	}
}

static void on_accept(h2o_socket_t *listener, const char *err);

static void
on_tick(h2o_timeout_entry_t *entry)
{
	struct ns_web *web = H2O_STRUCT_FROM_MEMBER(struct ns_web, tick_entry, entry);

	drain_packets(web);
	streams_each(web, each_live, NULL);
	if (web->accept_paused && web->listener != NULL) {
		web->accept_paused = false;
		h2o_socket_read_start(web->listener, on_accept);
	}
	h2o_timeout_link(web->loop, &web->tick, &web->tick_entry);
}

/* ---- connections ---- */

static void
on_conn_close(void *data)
{
	struct ns_web *web = data;

	web->conns--;
}

static void
on_refused_written(h2o_socket_t *sock, const char *err)
{
	(void)err;
	h2o_socket_close(sock);
}

static void
on_accept(h2o_socket_t *listener, const char *err)
{
	static char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
			     "Connection: close\r\nRetry-After: 1\r\n\r\n";
	struct ns_web *web = listener->data;

	if (err != NULL)
		return;
	/* A bounded batch per wake-up keeps one busy listener from starving the rest. */
	for (unsigned i = 0; i < 16; i++) {
		h2o_socket_t *sock;

		errno = 0;
		sock = h2o_evloop_socket_accept(listener);
		if (sock == NULL) {
			/* out of descriptors: the pending connection keeps the listener readable,
			 * so rest it until the next tick rather than spin on it */
			if (errno == EMFILE || errno == ENFILE) {
				count(&web->st_conns_refused);
				h2o_socket_read_stop(listener);
				web->accept_paused = true;
			}
			return;
		}
		if (web->conns >= web->max_conns) {
			h2o_iovec_t iov = h2o_iovec_init(busy, sizeof(busy) - 1);

			count(&web->st_conns_refused);
			h2o_socket_write(sock, &iov, 1, on_refused_written);
			continue;
		}
		web->conns++;
		sock->on_close.cb = on_conn_close;
		sock->on_close.data = web;
		h2o_accept(&web->accept_ctx, sock);
	}
}

/*
 * web.max_connections above what the descriptor limit leaves would meet EMFILE before the
 * limit's 503: lower it to fit, and say so.
 */
static void
web_conns_fit_fds(struct ns_web *web)
{
	struct rlimit rl;
	rlim_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	room = rl.rlim_cur > 2 * WEB_FD_RESERVE ? rl.rlim_cur - WEB_FD_RESERVE : rl.rlim_cur / 2;
	if (web->max_conns <= room)
		return;
	NS_LOG(WARNING, "web",
	       "web.max_connections %u lowered to %u: the open-files limit is %llu (ulimit -n)",
	       web->max_conns, (unsigned)room, (unsigned long long)rl.rlim_cur);
	web->max_conns = (unsigned)room;
}

/* ---- thread ---- */

/*
 * Close the listener and the live streams, then run the loop until every queued message has
 * arrived: they own memory, and h2o_multithread_unregister_receiver() asserts that none is
 * left, so leaving early aborts the process (a web thread under SCHED_IDLE on a busy host may
 * get no CPU for a while). Live clients get 500 ms to see the end; the messages up to 10 s,
 * which only a starved thread needs.
 */
static void
shutdown_loop(struct ns_web *web)
{
	const uint64_t t0 = ns_time_mono_ns();
	const uint64_t streams_until = t0 + 500 * 1000000ULL, msgs_until = t0 + 10000 * 1000000ULL;

	h2o_socket_read_stop(web->listener);
	h2o_socket_close(web->listener);
	web->listener = NULL;
	streams_each(web, each_close, NULL);
	for (;;) {
		const uint64_t now = ns_time_mono_ns();
		const bool msgs = atomic_load(&web->snap_inflight) != 0 ||
				  atomic_load(&web->alert_inflight) != 0;
		const bool streams = !h2o_linklist_is_empty(&web->streams) && now < streams_until;

		if (!msgs && !streams)
			break;
		if (msgs && now >= msgs_until) {
			NS_LOG(WARNING, "web", "shutdown: messages still queued after 10 s");
			break;
		}
		h2o_evloop_run(web->loop, 10);
	}
	h2o_timeout_unlink(&web->tick_entry);
}

/*
 * Dashboards wait, packets do not: the web thread runs under SCHED_IDLE, so any capture,
 * worker or feeding thread that wakes up on its core preempts it at once, and it gets only
 * what they leave (under full load about 0.3% of the core: slow pages, no lost packets).
 * At nice +10 it took up to 60% of a core the capture wanted (serving 18k requests a second
 * beside a pipe-fed capture on 2 vCPUs). Should the kernel refuse SCHED_IDLE, nice +19.
 */
static void
web_thread_demote(void)
{
	struct sched_param sp = { .sched_priority = 0 };

	if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) != 0)
		setpriority(PRIO_PROCESS, (id_t)gettid(), 19);
}

static void *
web_thread(void *arg)
{
	struct ns_web *web = arg;

	web_thread_demote();
	while (!atomic_load_explicit(&web->stop, memory_order_acquire))
		h2o_evloop_run(web->loop, 100);
	shutdown_loop(web);
	return NULL;
}

static int
open_listener(struct ns_web *web, const struct ns_web_params *p, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int one = 1, fd, rc;

	rc = web_listen_resolve(p->listen, &ss, &sslen, err, errlen);
	if (rc < 0)
		return rc;
	if (!web_addr_is_loopback((struct sockaddr *)&ss)) {
		if (p->token == NULL || p->token[0] == '\0') {
			if (!p->allow_remote_without_token) {
				snprintf(err, errlen,
					 "web.listen '%s' is reachable from other machines: set "
					 "web.token (or web.allow_remote_without_token)",
					 p->listen);
				return -EPERM;
			}
			NS_LOG(WARNING, "web",
			       "dashboard on %s without a token: anyone who can "
			       "reach it can read your traffic",
			       p->listen);
		} else {
			NS_LOG(WARNING, "web",
			       "dashboard on %s is reachable from other machines; "
			       "the API requires web.token",
			       p->listen);
		}
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "web.listen '%s': socket: %s", p->listen, strerror(errno));
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, SOMAXCONN) != 0) {
		rc = -errno;
		web_url_format((struct sockaddr *)&ss, web->url, sizeof(web->url));
		snprintf(err, errlen, "web.listen '%s': %s", p->listen, strerror(errno));
		close(fd);
		return rc;
	}
	web->listen_fd = fd;
	web_url_format((struct sockaddr *)&ss, web->url, sizeof(web->url));
	return 0;
}

static void
setup_h2o(struct ns_web *web)
{
	h2o_hostconf_t *host;
	h2o_pathconf_t *pc;
	struct web_handler *h;

	h2o_config_init(&web->config);
	web->config.max_request_entity_size = web->max_request;
	web->config.http1.req_timeout = WEB_IDLE_TIMEOUT_MS;
	/*
	 * HTTP/1.1 only. Cleartext HTTP/2 (Upgrade: h2c, or the preface sent at once) would let
	 * one connection hold up to 100 live streams, each with its own backlog, past
	 * web.max_connections; browsers never use it (they speak HTTP/2 over TLS only), and in
	 * h2o 2.2 this one switch turns off both ways in.
	 */
	web->config.http1.upgrade_to_http2 = 0;
	web->config.server_name = h2o_iovec_init(H2O_STRLIT("netscope"));
	host = h2o_config_register_host(&web->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	pc = h2o_config_register_path(host, "/", 0);
	h = (struct web_handler *)h2o_create_handler(pc, sizeof(*h));
	h->super.on_req = on_req;
	h->web = web;

	web->loop = h2o_evloop_create();
	h2o_context_init(&web->ctx, web->loop, &web->config);
	web->accept_ctx.ctx = &web->ctx;
	web->accept_ctx.hosts = web->config.hosts;
	web->listener =
		h2o_evloop_socket_create(web->loop, web->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
	web->listener->data = web;
	h2o_socket_read_start(web->listener, on_accept);
	web->queue = h2o_multithread_create_queue(web->loop);
	h2o_multithread_register_receiver(web->queue, &web->receiver, on_messages);
	h2o_timeout_init(web->loop, &web->tick, WEB_TICK_MS);
	web->tick_entry.cb = on_tick;
	h2o_timeout_link(web->loop, &web->tick, &web->tick_entry);
	h2o_linklist_init_anchor(&web->streams);
}

struct ns_web *
ns_web_create(const struct ns_web_params *p, char *err, size_t errlen)
{
	struct ns_web *web = calloc(1, sizeof(*web));
	sigset_t all, old;
	pthread_attr_t attr;
	int rc;

	if (web == NULL) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	web->listen_fd = -1;
	web->max_conns = p->max_connections != 0 ? p->max_connections : 64;
	web->stall_ms = p->stall_ms != 0 ? p->stall_ms : WEB_STREAM_STALL_MS;
	web_conns_fit_fds(web);
	web->max_request = (size_t)(p->max_request_kb != 0 ? p->max_request_kb : 64) * 1024;
	if (p->token != NULL && strlen(p->token) >= sizeof(web->token)) {
		snprintf(err, errlen, "web.token is longer than %zu bytes", sizeof(web->token) - 1);
		rc = -EINVAL;
		goto fail_free;
	}
	if (p->token != NULL)
		strcpy(web->token, p->token);
	rc = web_state_init(&web->state,
			    p->series_seconds != 0 ? p->series_seconds : NS_WEB_SERIES_DEFAULT,
			    p->packet_history != 0 ? p->packet_history : NS_WEB_PACKETS_DEFAULT,
			    p->alert_history != 0 ? p->alert_history : NS_WEB_ALERTS_DEFAULT);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail_free;
	}
	web->pkt_ring = ns_ring_create(sizeof(struct web_pkt), WEB_PKT_RING);
	if (web->pkt_ring == NULL) {
		rc = -errno;
		snprintf(err, errlen, "out of memory");
		goto fail_state;
	}
	rc = open_listener(web, p, err, errlen);
	if (rc < 0)
		goto fail_ring;
	setup_h2o(web);
	/* The server thread takes no signals: SIGINT stays with the capture, SIGPIPE is off. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_attr_init(&attr);
	if (rc == 0 && p->cpus != NULL)
		rc = -pthread_attr_setaffinity_np(&attr, sizeof(*p->cpus), p->cpus);
	if (rc == 0)
		rc = -pthread_create(&web->thread, &attr, web_thread, web);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the web thread: %s", strerror(-rc));
		goto fail_ring;
	}
	pthread_setname_np(web->thread, "ns-web");
	web->thread_started = true;
	return web;

fail_ring:
	ns_web_destroy(web);
	errno = -rc;
	return NULL;
fail_state:
	web_state_free(&web->state);
fail_free:
	free(web);
	errno = -rc;
	return NULL;
}

char *
ns_web_url(const struct ns_web *web, char *buf, size_t len)
{
	snprintf(buf, len, "%s", web->url);
	return buf;
}

int
ns_web_publish_snapshot(struct ns_web *web, const struct ns_web_snapshot *s)
{
	struct web_msg *m;

	if (atomic_load_explicit(&web->snap_inflight, memory_order_acquire) >=
	    WEB_SNAP_INFLIGHT_MAX) {
		count(&web->st_snapshots_dropped);
		return -EAGAIN;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL || (m->snap = web_snap_copy(s)) == NULL) {
		free(m);
		count(&web->st_snapshots_dropped);
		return -ENOMEM;
	}
	m->type = WEB_MSG_SNAPSHOT;
	atomic_fetch_add_explicit(&web->snap_inflight, 1, memory_order_relaxed);
	h2o_multithread_send_message(&web->receiver, &m->super);
	return 0;
}

int
ns_web_publish_packet(struct ns_web *web, uint64_t ts_ns, int linktype, const uint8_t *data,
		      uint32_t caplen, uint32_t wirelen)
{
	struct web_pkt p;

	p.ts_ns = ts_ns;
	p.linktype = linktype;
	p.caplen = caplen;
	p.wirelen = wirelen;
	p.stored = NS_MIN(caplen, (uint32_t)NS_WEB_PKT_BYTES);
	memcpy(p.data, data, p.stored);
	if (ns_ring_enqueue_burst(web->pkt_ring, &p, 1) != 1) {
		count(&web->st_packets_dropped);
		return -ENOBUFS;
	}
	count(&web->st_packets);
	return 0;
}

int
ns_web_publish_alert(struct ns_web *web, const char *json, size_t len)
{
	struct web_msg *m;

	if (len > NS_WEB_ALERT_MAX) {
		count(&web->st_alerts_dropped);
		return -EINVAL;
	}
	if (atomic_load_explicit(&web->alert_inflight, memory_order_acquire) >=
	    WEB_ALERT_INFLIGHT_MAX) {
		count(&web->st_alerts_dropped);
		return -EAGAIN;
	}
	m = malloc(sizeof(*m) + len + 1);
	if (m == NULL) {
		count(&web->st_alerts_dropped);
		return -ENOMEM;
	}
	memset(m, 0, sizeof(*m));
	m->type = WEB_MSG_ALERT;
	m->len = len;
	memcpy(m->text, json, len);
	m->text[len] = '\0';
	atomic_fetch_add_explicit(&web->alert_inflight, 1, memory_order_relaxed);
	h2o_multithread_send_message(&web->receiver, &m->super);
	return 0;
}

void
ns_web_get_stats(const struct ns_web *web, struct ns_web_stats *st)
{
	read_stats(web, st);
}

void
ns_web_destroy(struct ns_web *web)
{
	if (web == NULL)
		return;
	if (web->thread_started) {
		atomic_store_explicit(&web->stop, true, memory_order_release);
		pthread_join(web->thread, NULL);
	}
	if (web->loop != NULL) {
		if (web->listener != NULL)
			h2o_socket_close(web->listener);
		h2o_multithread_unregister_receiver(web->queue, &web->receiver);
		h2o_multithread_destroy_queue(web->queue);
		/*
		 * h2o 2.2 cannot close connections a client still holds open; disposing the
		 * context under them would free what they use. Their memory is left to the
		 * process exit (tests suppress exactly that, see tests/lsan.supp).
		 */
		if (h2o_timeout_is_linked(&web->tick_entry))
			h2o_timeout_unlink(&web->tick_entry);
		if (web->conns == 0) {
			h2o_timeout_dispose(web->loop, &web->tick);
			h2o_context_dispose(&web->ctx);
			h2o_evloop_destroy(web->loop);
			h2o_config_dispose(&web->config);
		}
	} else if (web->listen_fd >= 0) {
		close(web->listen_fd);
	}
	ns_ring_destroy(web->pkt_ring);
	web_state_free(&web->state);
	free(web);
}
