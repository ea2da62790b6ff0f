/* SPDX-License-Identifier: MIT */
/*
 * lib/web with its server running: create/destroy, errors a caller must see (address in use,
 * a remote bind without a token), the token on the API but not on the UI, data published
 * from this thread reaching requests, the connection limit, and bad requests answered 4xx.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ns_core.h"
#include "ns_test.h"
#include "web_priv.h"

/* A port nobody listens on right now (the kernel's pick for port 0). */
static uint16_t
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port;

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int
connect_to(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(0x7f000001) };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send @req raw and read the reply until the server closes; returns the status code. */
static int
http_raw(uint16_t port, const char *req, size_t reqlen, char *body, size_t bodylen)
{
	static char buf[1 << 20];
	size_t got = 0;
	int fd = connect_to(port), status = -1;
	ssize_t r;
	char *p;

	if (fd < 0)
		return -1;
	if (write(fd, req, reqlen) != (ssize_t)reqlen) {
		close(fd);
		return -1;
	}
	while (got < sizeof(buf) - 1 && (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	close(fd);
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	p = strstr(buf, "\r\n\r\n");
	if (body != NULL && bodylen > 0)
		snprintf(body, bodylen, "%s", p != NULL ? p + 4 : "");
	return status;
}

/* Send @req raw and read everything until the server closes; returns the bytes read. */
static size_t
http_all(uint16_t port, const char *req, char *out, size_t outlen)
{
	size_t got = 0;
	int fd = connect_to(port);
	ssize_t r;

	out[0] = '\0';
	if (fd < 0)
		return 0;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return 0;
	}
	while (got < outlen - 1 && (r = read(fd, out + got, outlen - 1 - got)) > 0)
		got += (size_t)r;
	close(fd);
	out[got] = '\0';
	return got;
}

/* The Content-Length of the response starting at @resp, or -1 when it has none. */
static long
content_length(const char *resp)
{
	const char *end = strstr(resp, "\r\n\r\n");
	const char *cl = strcasestr(resp, "\r\ncontent-length: ");

	if (end == NULL || cl == NULL || cl > end)
		return -1;
	return strtol(cl + strlen("\r\ncontent-length: "), NULL, 10);
}

/* The body of the response starting at @resp (after its blank line). */
static const char *
body_of(const char *resp)
{
	const char *end = strstr(resp, "\r\n\r\n");

	return end != NULL ? end + 4 : "";
}

static int
http_get(uint16_t port, const char *path, const char *extra, char *body, size_t bodylen)
{
	char req[1024];
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n", path,
			 extra != NULL ? extra : "");

	return http_raw(port, req, (size_t)n, body, bodylen);
}

static struct ns_web *
start(uint16_t port, const char *token, uint32_t max_conns)
{
	char listen[32], err[256];
	struct ns_web_params p = { .listen = listen, .token = token, .max_connections = max_conns };
	struct ns_web *web;

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	web = ns_web_create(&p, err, sizeof(err));
	if (web == NULL)
		fprintf(stderr, "ns_web_create: %s\n", err);
	return web;
}

static void
sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 },
		  NULL);
}

static void
test_create_errors(void)
{
	uint16_t port = free_port();
	struct ns_web *a = start(port, NULL, 0), *b;
	struct ns_web_params p = { .listen = "0.0.0.0:1" };
	char listen[32], err[256] = "", url[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	snprintf(err, sizeof(err), "http://127.0.0.1:%u/", port);
	CU_ASSERT_STRING_EQUAL(ns_web_url(a, url, sizeof(url)), err);
	/* the same port twice: the second one says why */
	p.listen = listen;
	b = ns_web_create(&p, err, sizeof(err));
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_EQUAL(errno, EADDRINUSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "Address already in use"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, listen));
	ns_web_destroy(a);
	ns_web_destroy(NULL);

	/* every address without a token is refused before anything is bound */
	p.listen = "0.0.0.0:1";
	CU_ASSERT_PTR_NULL(ns_web_create(&p, err, sizeof(err)));
	CU_ASSERT_EQUAL(errno, EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "web.token"));
	p.listen = "not an address";
	CU_ASSERT_PTR_NULL(ns_web_create(&p, err, sizeof(err)));
	CU_ASSERT_EQUAL(errno, EINVAL);
}

static void
test_remote_bind_rules(void)
{
	char listen[32], err[256];
	struct ns_web_params p = { .listen = listen };
	struct ns_web *web;

	snprintf(listen, sizeof(listen), "0.0.0.0:%u", free_port());
	p.token = "tok";
	web = ns_web_create(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(web);
	ns_web_destroy(web);
	snprintf(listen, sizeof(listen), "0.0.0.0:%u", free_port());
	p.token = NULL;
	p.allow_remote_without_token = true;
	web = ns_web_create(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(web);
	ns_web_destroy(web);
}

static void
test_token_and_static(void)
{
	uint16_t port = free_port();
	struct ns_web *web = start(port, "s3cret", 0);
	char body[4096];

	CU_ASSERT_PTR_NOT_NULL_FATAL(web);
	CU_ASSERT_EQUAL(http_get(port, "/", NULL, body, sizeof(body)), 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "<!DOCTYPE html>"));
	CU_ASSERT_EQUAL(http_get(port, "/app.js", NULL, NULL, 0), 200);
	CU_ASSERT_EQUAL(http_get(port, "/api/summary", NULL, body, sizeof(body)), 401);
	CU_ASSERT_EQUAL(http_get(port, "/metrics", NULL, NULL, 0), 401);
	CU_ASSERT_EQUAL(http_get(port, "/api/summary?token=wrong", NULL, NULL, 0), 401);
	CU_ASSERT_EQUAL(http_get(port, "/api/summary?token=s3cret", NULL, body, sizeof(body)), 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"state\":\"starting\""));
	CU_ASSERT_EQUAL(
		http_get(port, "/metrics", "Authorization: Bearer s3cret\r\n", body, sizeof(body)),
		200);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "netscope_packets_total 0"));
	ns_web_destroy(web);
}

static void
wait_requests(struct ns_web *web, uint64_t snapshots)
{
	struct ns_web_stats st;

	for (int i = 0; i < 200; i++) {
		ns_web_get_stats(web, &st);
		if (st.snapshots >= snapshots)
			return;
		sleep_ms(10);
	}
}

static void
test_publish(void)
{
	static const char alert[] = "{\"signature\":\"port_scan\",\"src\":\"<img src=x>\"}";
	static const uint8_t frame[60] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x06 };
	uint16_t port = free_port();
	struct ns_web *web = start(port, NULL, 0);
	struct ns_web_snapshot s;
	struct ns_web_stats st;
	char body[16384];

	CU_ASSERT_PTR_NOT_NULL_FATAL(web);
	memset(&s, 0, sizeof(s));
	s.ts_ns = 1000 * NS_NSEC_PER_SEC;
	s.totals.packets = 1234;
	strcpy(s.backend, "pcap");
	CU_ASSERT_EQUAL(ns_web_publish_snapshot(web, &s), 0);
	CU_ASSERT_EQUAL(ns_web_publish_packet(web, s.ts_ns, NS_LINK_EN10MB, frame, 60, 60), 0);
	CU_ASSERT_EQUAL(ns_web_publish_alert(web, alert, strlen(alert)), 0);
	CU_ASSERT_EQUAL(ns_web_publish_alert(web, "[1,2]", 5), 0); /* not an object: dropped */
	CU_ASSERT_EQUAL(ns_web_publish_alert(web, "{\"a\":1} x", 9), 0); /* trailing bytes */
	wait_requests(web, 1);
	CU_ASSERT_EQUAL(http_get(port, "/api/summary", NULL, body, sizeof(body)), 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"packets\":1234"));
	CU_ASSERT_EQUAL(http_get(port, "/api/packets?limit=5", NULL, body, sizeof(body)), 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"linktype\":\"EN10MB\""));
	CU_ASSERT_EQUAL(http_get(port, "/api/alerts", NULL, body, sizeof(body)), 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"total\":1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "<img src=x>")); /* JSON keeps it; the UI shows text */
	CU_ASSERT_EQUAL(http_get(port, "/api/interfaces", NULL, NULL, 0), 200);
	CU_ASSERT_EQUAL(http_get(port, "/api/timeseries?seconds=60", NULL, NULL, 0), 200);
	CU_ASSERT_EQUAL(http_get(port, "/api/timeseries?seconds=0", NULL, NULL, 0), 400);
	CU_ASSERT_EQUAL(http_get(port, "/api/flows?top=5&sort=rtt", NULL, NULL, 0), 200);
	CU_ASSERT_EQUAL(http_get(port, "/api/flows?sort=name", NULL, NULL, 0), 400);
	ns_web_get_stats(web, &st);
	CU_ASSERT_EQUAL(st.alerts, 1);
	CU_ASSERT_EQUAL(st.alerts_dropped, 2);
	CU_ASSERT_EQUAL(st.packets, 1);
	CU_ASSERT_TRUE(st.requests >= 8);
	CU_ASSERT_EQUAL(ns_web_publish_alert(web, alert, NS_WEB_ALERT_MAX + 1), -EINVAL);
	ns_web_destroy(web);
}

/*
 * A query value that does not decode is a 400, as the API documents: it must not fall back to
 * the default ("%zz"), or to the part decoded before the error ("packets%").
 */
static void
test_query_decode_errors(void)
{
	static const char *const bad[] = {
		"/api/flows?sort=%zz",      "/api/flows?sort=%00",
		"/api/flows?sort=packets%", "/api/flows?sort=packets%7",
		"/api/flows?sort=rtt%0",    "/api/flows?sort=bytesbytesbytesbytes",
	};
	uint16_t port = free_port();
	struct ns_web *web = start(port, NULL, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(web);
	for (size_t i = 0; i < NS_ARRAY_SIZE(bad); i++) {
		int st = http_get(port, bad[i], NULL, NULL, 0);

		if (st != 400)
			fprintf(stderr, "%s: %d\n", bad[i], st);
		CU_ASSERT_EQUAL(st, 400);
	}
	/* a well-formed escape still decodes */
	CU_ASSERT_EQUAL(http_get(port, "/api/flows?sort=%70ackets", NULL, NULL, 0), 200);
	CU_ASSERT_EQUAL(http_get(port, "/api/flows?sort=packets", NULL, NULL, 0), 200);
	ns_web_destroy(web);
}

/*
 * JSON answers carry a Content-Length equal to their body, HEAD the same one without the body,
 * and an error answer no longer ends the connection: the next request on it is served.
 */
static void
test_content_length(void)
{
	static char buf[65536];
	uint16_t port = free_port();
	struct ns_web *web = start(port, NULL, 0);
	const char *second;
	long get_len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(web);
	http_all(port, "GET /api/summary HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
		 buf, sizeof(buf));
	get_len = content_length(buf);
	CU_ASSERT_TRUE(get_len > 0);
	CU_ASSERT_EQUAL(get_len, (long)strlen(body_of(buf)));
	CU_ASSERT_PTR_NULL(strcasestr(buf, "transfer-encoding"));
	http_all(port, "HEAD /api/summary HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
		 buf, sizeof(buf));
	CU_ASSERT_EQUAL(content_length(buf), get_len);
	CU_ASSERT_STRING_EQUAL(body_of(buf), "");
	/* a 404, a 400 and a HEAD, then a request on the same connection */
	http_all(port,
		 "GET /api/nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
		 "GET /api/flows?top=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
		 "HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
		 "GET /api/interfaces HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
		 buf, sizeof(buf));
	CU_ASSERT_TRUE(strncmp(buf, "HTTP/1.1 404 ", 13) == 0);
	CU_ASSERT_EQUAL(content_length(buf),
			(long)strlen("{\"error\":\"not found\",\"status\":404}\n"));
	second = strstr(buf + 1, "HTTP/1.1 400 ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(second);
	second = strstr(second + 1, "HTTP/1.1 200 ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(second);
	CU_ASSERT_TRUE(content_length(second) > 0);
	second = strstr(second + 1, "HTTP/1.1 200 ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(second);
	CU_ASSERT_EQUAL(content_length(second), (long)strlen(body_of(second)));
	CU_ASSERT_PTR_NOT_NULL(strstr(body_of(second), "\"interfaces\""));
	ns_web_destroy(web);
}

/*
 * No cleartext HTTP/2: over it one connection could hold a hundred live streams past
 * web.max_connections. An Upgrade: h2c request is answered in HTTP/1.1, and the HTTP/2
 * preface ("prior knowledge") is a bad HTTP/1 request.
 */
static void
test_no_h2c(void)
{
	static char buf[65536];
	uint16_t port = free_port();
	struct ns_web *web = start(port, NULL, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(web);
	http_all(port,
		 "GET /api/interfaces HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		 "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
		 "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
		 buf, sizeof(buf));
	CU_ASSERT_TRUE(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"interfaces\""));
	http_all(port, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", buf, sizeof(buf));
	CU_ASSERT_TRUE(strncmp(buf, "HTTP/1.1 400 ", 13) == 0);
	ns_web_destroy(web);
}

/* Status of "GET @path" sent with the request line's @version and the header lines @hdrs. */
static int
http_get_v(uint16_t port, const char *version, const char *path, const char *hdrs)
{
	char req[1024];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/%s\r\n%sConnection: close\r\n\r\n", path,
			 version, hdrs);

	return http_raw(port, req, (size_t)n, NULL, 0);
}

/* "Host: @host\r\n", a '@' in @host replaced by ":PORT". */
static void
host_line(char *buf, size_t len, const char *host, uint16_t port)
{
	const char *at = strchr(host, '@');

	if (at == NULL)
		snprintf(buf, len, "Host: %s\r\n", host);
	else
		snprintf(buf, len, "Host: %.*s:%u%s\r\n", (int)(at - host), host, port, at + 1);
}

/*
 * DNS rebinding: a page whose name the attacker re-points at 127.0.0.1 reaches the dashboard
 * with its own name in Host. Without a token only Host values no DNS answer can forge are
 * served: "localhost" or an IP address literal, with any port (SSH tunnels change it).
 */
static void
test_host_check(void)
{
	/* a trailing '@' stands for ":PORT" of the server */
	static const char *const good[] = {
		"127.0.0.1", "127.0.0.1@", "localhost@",   "LocalHost",
		"[::1]@",    "[::1]",      "192.0.2.7:80", "localhost:9000",
	};
	static const char *const bad[] = {
		"evil.example@",
		"evil.example",
		"localhost.",
		"127.0.0.1.nip.io@",
		"x",
		"localhost@:1",
		"[::1]x",
		"127.0.0.1:",
		"@",
		"",
		"localhost:8o",
	};
	uint16_t port = free_port(), tport;
	struct ns_web *web = start(port, NULL, 0), *tweb;
	char hdr[128], body[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(web);
	for (size_t i = 0; i < NS_ARRAY_SIZE(good); i++) {
		host_line(hdr, sizeof(hdr), good[i], port);
		if (http_get_v(port, "1.1", "/api/summary", hdr) != 200)
			fprintf(stderr, "refused: %s", hdr);
		CU_ASSERT_EQUAL(http_get_v(port, "1.1", "/api/summary", hdr), 200);
	}
	for (size_t i = 0; i < NS_ARRAY_SIZE(bad); i++) {
		host_line(hdr, sizeof(hdr), bad[i], port);
		if (http_get_v(port, "1.1", "/api/packets", hdr) != 421)
			fprintf(stderr, "served: %s", hdr);
		CU_ASSERT_EQUAL(http_get_v(port, "1.1", "/api/packets", hdr), 421);
		CU_ASSERT_EQUAL(http_get_v(port, "1.1", "/", hdr), 421);
	}
	snprintf(hdr, sizeof(hdr), "Host: evil.example:%u\r\n", port);
	CU_ASSERT_EQUAL(http_get(port, "/api/flows", hdr, body, sizeof(body)), 421);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"status\":421"));
	/* HTTP/1.0 without Host: no browser sends that, so no rebinding either */
	CU_ASSERT_EQUAL(http_get_v(port, "1.0", "/api/summary", ""), 200);
	ns_web_destroy(web);

	/* with a token the token protects, and remote clients use the server's own name */
	tport = free_port();
	tweb = start(tport, "s3cret", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tweb);
	CU_ASSERT_EQUAL(http_get_v(tport, "1.1", "/api/summary?token=s3cret",
				   "Host: dashboard.example:8080\r\n"),
			200);
	CU_ASSERT_EQUAL(http_get_v(tport, "1.1", "/api/summary", "Host: dashboard.example\r\n"),
			401);
	ns_web_destroy(tweb);
}

static void
test_packet_ring_full(void)
{
	static const uint8_t frame[64];
	uint16_t port = free_port();
	struct ns_web *web = start(port, NULL, 0);
	struct ns_web_stats st;
	int full = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(web);
	/* far more than the ring holds in one go: the rest is dropped and counted, not waited for
	 */
	for (int i = 0; i < 5000; i++)
		full += ns_web_publish_packet(web, 1, NS_LINK_EN10MB, frame, 64, 64) == -ENOBUFS;
	ns_web_get_stats(web, &st);
	CU_ASSERT_TRUE(full > 0);
	CU_ASSERT_EQUAL(st.packets_dropped, (uint64_t)full);
	CU_ASSERT_EQUAL(st.packets + st.packets_dropped, 5000);
	ns_web_destroy(web);
}

static void
test_bad_requests(void)
{
	static const char *const paths[] = {
		"/../../etc/passwd", "/%2e%2e/",     "/%2e%2e/%2e%2e/etc/passwd",
		"/api/../metrics",   "//etc/passwd",
	};
	uint16_t port = free_port();
	struct ns_web *web = start(port, NULL, 0);
	static char big[200000];
	char req[256];
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(web);
	for (size_t i = 0; i < NS_ARRAY_SIZE(paths); i++)
		CU_ASSERT_EQUAL(http_get(port, paths[i], NULL, NULL, 0), 400);
	CU_ASSERT_EQUAL(http_get(port, "/etc/passwd", NULL, NULL, 0), 404);
	n = snprintf(req, sizeof(req),
		     "POST /api/summary HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Content-Length: 3\r\nConnection: close\r\n\r\nabc");
	CU_ASSERT_EQUAL(http_raw(port, req, (size_t)n, NULL, 0), 405);
	CU_ASSERT_EQUAL(http_raw(port, "\x16\x03\x01garbage\r\n\r\n", 14, NULL, 0), 400);
	/* headers beyond max_request_kb (64 KiB) */
	n = snprintf(big, sizeof(big),
		     "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX: ");
	memset(big + n, 'a', 100000);
	memcpy(big + n + 100000, "\r\n\r\n", 4);
	CU_ASSERT_EQUAL(http_raw(port, big, (size_t)n + 100004, NULL, 0), 431);
	/* still serving */
	CU_ASSERT_EQUAL(http_get(port, "/api/summary", NULL, NULL, 0), 200);
	ns_web_destroy(web);
}

static void
test_connection_limit(void)
{
	uint16_t port = free_port();
	struct ns_web *web = start(port, NULL, 2);
	struct ns_web_stats st;
	int a, b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(web);
	a = connect_to(port);
	b = connect_to(port);
	CU_ASSERT_TRUE(a >= 0 && b >= 0);
	sleep_ms(100);
	/* the third is told to come back */
	CU_ASSERT_EQUAL(http_get(port, "/api/summary", NULL, NULL, 0), 503);
	ns_web_get_stats(web, &st);
	CU_ASSERT_EQUAL(st.connections_refused, 1);
	close(a);
	close(b);
	sleep_ms(100);
	CU_ASSERT_EQUAL(http_get(port, "/api/summary", NULL, NULL, 0), 200);
	ns_web_destroy(web);
}

static void
test_stream(void)
{
	uint16_t port = free_port();
	struct ns_web *web = start(port, NULL, 0);
	static const char req[] = "GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	char buf[8192];
	size_t got = 0;
	int fd, events = 0;
	ssize_t r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(web);
	fd = connect_to(port);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	/* the first event at once, the next a tick later */
	while (events < 2 && got < sizeof(buf) - 1 &&
	       (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
		got += (size_t)r;
		buf[got] = '\0';
		events = 0;
		for (char *p = buf; (p = strstr(p, "event: live\n")) != NULL; p++)
			events++;
	}
	CU_ASSERT_EQUAL(events, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "text/event-stream"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "data: {\"summary\":"));
	/* destroy with a client still attached: it is ended, not left hanging */
	ns_web_destroy(web);
	close(fd);
}

/*
 * HEAD of the live stream is its headers only: no event, no stream left attached, and the
 * next request on the connection is answered.
 */
static void
test_stream_head(void)
{
	static const char req[] =
		"HEAD /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
		"GET /api/interfaces HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
	uint16_t port = free_port();
	struct ns_web *web = start(port, NULL, 0);
	uint64_t deadline = ns_time_mono_ns() + 3 * NS_NSEC_PER_SEC;
	char buf[65536];
	const char *second;
	size_t got = 0;
	bool closed = false;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(web);
	fd = connect_to(port);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	/* the old code streamed events forever: read for 3 s at most */
	while (!closed && got < sizeof(buf) - 1 && ns_time_mono_ns() < deadline) {
		ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, MSG_DONTWAIT);

		if (r > 0)
			got += (size_t)r;
		else if (r == 0)
			closed = true;
		else
			sleep_ms(10);
	}
	close(fd);
	buf[got] = '\0';
	CU_ASSERT_TRUE(closed);
	CU_ASSERT_TRUE(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "text/event-stream"));
	CU_ASSERT_PTR_NULL(strstr(buf, "retry:"));
	CU_ASSERT_PTR_NULL(strstr(buf, "event: live"));
	second = strstr(buf + 1, "HTTP/1.1 200 ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(second);
	CU_ASSERT_PTR_NOT_NULL(strstr(second, "\"interfaces\""));
	ns_web_destroy(web);
}

/* Read what @fd has without waiting; false once the peer closed or reset it. */
static bool
drain_nowait(int fd, size_t *total)
{
	char buf[65536];
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		*total += (size_t)r;
	return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/*
 * A live client that stops reading is cut off once its socket has taken nothing for the
 * stall limit (h2o has no write timeout), while one that reads stays.
 */
static void
test_stream_stall(void)
{
	uint16_t port = free_port();
	char listen[32], err[256];
	struct ns_web_params p = { .listen = listen, .stall_ms = 1000 };
	static const char req[] = "GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	static char alert[NS_WEB_ALERT_MAX];
	static const char head[] = "{\"signature\":\"pad\",\"pad\":\"";
	struct ns_web_stats st = { 0 };
	struct ns_web *web;
	size_t reader_got = 0, before;
	int small = 4096, stalled, reader;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(0x7f000001) };
	ssize_t r;

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	web = ns_web_create(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(web);
	/* the stalled client: a small receive buffer, so the server's writes back up soon */
	stalled = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(stalled, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	setsockopt(stalled, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ .tv_sec = 3 },
		   sizeof(struct timeval));
	CU_ASSERT_FATAL(connect(stalled, (struct sockaddr *)&a, sizeof(a)) == 0);
	CU_ASSERT_EQUAL(write(stalled, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	reader = connect_to(port);
	CU_ASSERT_FATAL(reader >= 0);
	CU_ASSERT_EQUAL(write(reader, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	/* 16 KiB alerts until the server gives up on the stalled client (at most ~10 s) */
	memset(alert, 'a', sizeof(alert));
	memcpy(alert, head, strlen(head));
	memcpy(alert + sizeof(alert) - 3, "\"}", 3);
	for (int i = 0; i < 1000 && st.streams_cut == 0; i++) {
		ns_web_publish_alert(web, alert, sizeof(alert) - 1);
		CU_ASSERT_TRUE_FATAL(drain_nowait(reader, &reader_got));
		sleep_ms(10);
		ns_web_get_stats(web, &st);
	}
	CU_ASSERT_EQUAL(st.streams_cut, 1);
	/* the stalled client gets the end of its connection once it reads again */
	do {
		r = read(stalled, alert, sizeof(alert));
	} while (r > 0);
	CU_ASSERT_TRUE(r == 0 || (r < 0 && errno == ECONNRESET));
	close(stalled);
	/* the reader is still served */
	before = reader_got;
	for (int i = 0; i < 300 && reader_got == before; i++) {
		CU_ASSERT_TRUE_FATAL(drain_nowait(reader, &reader_got));
		sleep_ms(10);
	}
	CU_ASSERT_TRUE(reader_got > before);
	ns_web_get_stats(web, &st);
	CU_ASSERT_EQUAL(st.streams_cut, 1);
	ns_web_destroy(web);
	close(reader);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_create_errors),    NS_TEST(test_remote_bind_rules),
	NS_TEST(test_token_and_static), NS_TEST(test_publish),
	NS_TEST(test_packet_ring_full), NS_TEST(test_query_decode_errors),
	NS_TEST(test_content_length),   NS_TEST(test_no_h2c),
	NS_TEST(test_host_check),       NS_TEST(test_bad_requests),
	NS_TEST(test_connection_limit), NS_TEST(test_stream),
	NS_TEST(test_stream_head),      NS_TEST(test_stream_stall),
};

NS_TEST_MAIN("web_server", cases)
