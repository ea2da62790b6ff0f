/* SPDX-License-Identifier: MIT */
/*
 * lib/web request handling without a server: query strings, the token check, the listen
 * address, and routing, including every traversal spelling the embedded-file lookup must
 * refuse.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ns_core.h"
#include "ns_test.h"
#include "ns_web.h"
#include "web_priv.h"

#define Q(s) (s), strlen(s)

static void
test_query_get(void)
{
	char v[32];

	CU_ASSERT_EQUAL(web_query_get(Q("a=1&top=25&sort=rtt"), "top", v, sizeof(v)), 2);
	CU_ASSERT_STRING_EQUAL(v, "25");
	CU_ASSERT_EQUAL(web_query_get(Q("a=1&top=25&sort=rtt"), "sort", v, sizeof(v)), 3);
	CU_ASSERT_STRING_EQUAL(v, "rtt");
	/* names match whole, not as a prefix or suffix */
	CU_ASSERT_EQUAL(web_query_get(Q("xtop=1&topx=2"), "top", v, sizeof(v)), -ENOENT);
	CU_ASSERT_EQUAL(web_query_get(Q(""), "top", v, sizeof(v)), -ENOENT);
	CU_ASSERT_EQUAL(web_query_get(NULL, 0, "top", v, sizeof(v)), -ENOENT);
	/* a flag without '=' is present and empty */
	CU_ASSERT_EQUAL(web_query_get(Q("x&top"), "top", v, sizeof(v)), 0);
	CU_ASSERT_STRING_EQUAL(v, "");
	/* percent and plus decoding */
	CU_ASSERT_EQUAL(web_query_get(Q("token=a%2Bb+c%3d"), "token", v, sizeof(v)), 6);
	CU_ASSERT_STRING_EQUAL(v, "a+b c=");
	/* the first occurrence wins */
	CU_ASSERT_EQUAL(web_query_get(Q("top=1&top=2"), "top", v, sizeof(v)), 1);
	CU_ASSERT_STRING_EQUAL(v, "1");
}

static void
test_query_get_bad(void)
{
	char v[4];

	CU_ASSERT_EQUAL(web_query_get(Q("a=%"), "a", v, sizeof(v)), -EINVAL);
	CU_ASSERT_EQUAL(web_query_get(Q("a=%4"), "a", v, sizeof(v)), -EINVAL);
	CU_ASSERT_EQUAL(web_query_get(Q("a=%zz"), "a", v, sizeof(v)), -EINVAL);
	CU_ASSERT_EQUAL(web_query_get(Q("a=%00x"), "a", v, sizeof(v)), -EINVAL);
	CU_ASSERT_EQUAL(web_query_get(Q("a=1234"), "a", v, sizeof(v)), -ENOSPC);
	CU_ASSERT_EQUAL(web_query_get(Q("a=123"), "a", v, sizeof(v)), 3);
}

static void
test_query_u32(void)
{
	uint32_t n = 7;

	CU_ASSERT_EQUAL(web_query_u32(Q("x=1"), "top", 20, 1, 100, &n), 0);
	CU_ASSERT_EQUAL(n, 20);
	CU_ASSERT_EQUAL(web_query_u32(Q("top=100"), "top", 20, 1, 100, &n), 0);
	CU_ASSERT_EQUAL(n, 100);
	n = 7;
	CU_ASSERT_EQUAL(web_query_u32(Q("top=101"), "top", 20, 1, 100, &n), -EINVAL);
	CU_ASSERT_EQUAL(web_query_u32(Q("top=0"), "top", 20, 1, 100, &n), -EINVAL);
	CU_ASSERT_EQUAL(web_query_u32(Q("top="), "top", 20, 1, 100, &n), -EINVAL);
	CU_ASSERT_EQUAL(web_query_u32(Q("top=-1"), "top", 20, 1, 100, &n), -EINVAL);
	CU_ASSERT_EQUAL(web_query_u32(Q("top=1e3"), "top", 20, 1, 100, &n), -EINVAL);
	CU_ASSERT_EQUAL(web_query_u32(Q("top=99999999999"), "top", 20, 1, 100, &n), -EINVAL);
	CU_ASSERT_EQUAL(web_query_u32(Q("top=4294967296"), "top", 20, 1, UINT32_MAX, &n), -EINVAL);
	CU_ASSERT_EQUAL(n, 7);
}

static void
test_token(void)
{
	/* no token configured: everything passes */
	CU_ASSERT_TRUE(web_token_ok("", NULL, 0, NULL, 0));
	CU_ASSERT_TRUE(web_token_ok(NULL, NULL, 0, NULL, 0));
	/* bearer header */
	CU_ASSERT_TRUE(web_token_ok("s3cret", Q("Bearer s3cret"), NULL, 0));
	CU_ASSERT_TRUE(web_token_ok("s3cret", Q("bearer s3cret"), NULL, 0));
	CU_ASSERT_FALSE(web_token_ok("s3cret", Q("Bearer s3cre"), NULL, 0));
	CU_ASSERT_FALSE(web_token_ok("s3cret", Q("Bearer s3crett"), NULL, 0));
	CU_ASSERT_FALSE(web_token_ok("s3cret", Q("Basic s3cret"), NULL, 0));
	CU_ASSERT_FALSE(web_token_ok("s3cret", Q("Bearer "), NULL, 0));
	/* query parameter, percent-encoded or not */
	CU_ASSERT_TRUE(web_token_ok("s3cret", NULL, 0, Q("top=5&token=s3cret")));
	CU_ASSERT_TRUE(web_token_ok("a b+c", NULL, 0, Q("token=a+b%2Bc")));
	CU_ASSERT_FALSE(web_token_ok("s3cret", NULL, 0, Q("token=")));
	CU_ASSERT_FALSE(web_token_ok("s3cret", NULL, 0, Q("token=S3CRET")));
	CU_ASSERT_FALSE(web_token_ok("s3cret", NULL, 0, NULL, 0));
	/* a wrong header does not hide a right query token */
	CU_ASSERT_TRUE(web_token_ok("s3cret", Q("Bearer nope"), Q("token=s3cret")));
}

static void
test_listen(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	char err[256], url[80];

	CU_ASSERT_EQUAL(web_listen_resolve("8080", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET);
	CU_ASSERT_EQUAL(ntohs(in->sin_port), 8080);
	CU_ASSERT_EQUAL(ntohl(in->sin_addr.s_addr), 0x7f000001);
	CU_ASSERT_TRUE(web_addr_is_loopback((struct sockaddr *)&ss));
	CU_ASSERT_STRING_EQUAL(web_url_format((struct sockaddr *)&ss, url, sizeof(url)),
			       "http://127.0.0.1:8080/");

	CU_ASSERT_EQUAL(web_listen_resolve("0.0.0.0:9000", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(web_addr_is_loopback((struct sockaddr *)&ss));
	CU_ASSERT_EQUAL(web_listen_resolve("127.1.2.3:9000", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(web_addr_is_loopback((struct sockaddr *)&ss));

	CU_ASSERT_EQUAL(web_listen_resolve("[::1]:8443", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(ntohs(in6->sin6_port), 8443);
	CU_ASSERT_TRUE(web_addr_is_loopback((struct sockaddr *)&ss));
	CU_ASSERT_STRING_EQUAL(web_url_format((struct sockaddr *)&ss, url, sizeof(url)),
			       "http://[::1]:8443/");
	CU_ASSERT_EQUAL(web_listen_resolve("[::ffff:127.0.0.1]:80", &ss, &len, err, sizeof(err)),
			0);
	CU_ASSERT_TRUE(web_addr_is_loopback((struct sockaddr *)&ss));
	CU_ASSERT_EQUAL(web_listen_resolve("[::]:80", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(web_addr_is_loopback((struct sockaddr *)&ss));

	CU_ASSERT_EQUAL(web_listen_resolve("", &ss, &len, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "web.listen"));
	CU_ASSERT_EQUAL(web_listen_resolve("70000", &ss, &len, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(web_listen_resolve("::1:80", &ss, &len, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(web_listen_resolve("1.2.3.999:80", &ss, &len, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(web_listen_resolve("host:port", &ss, &len, err, sizeof(err)), -EINVAL);
}

/*
 * web.listen is numeric: a host name is refused without a lookup, even one /etc/hosts would
 * answer (this machine's own name), and "localhost" is 127.0.0.1 whatever a resolver says.
 */
static void
test_listen_no_dns(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	char name[256], listen[300], err[512] = "";
	socklen_t len;

	CU_ASSERT_EQUAL(web_listen_resolve("localhost:8080", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET);
	CU_ASSERT_EQUAL(ntohl(in->sin_addr.s_addr), 0x7f000001);
	CU_ASSERT_EQUAL(ntohs(in->sin_port), 8080);
	CU_ASSERT_EQUAL(len, sizeof(struct sockaddr_in));
	CU_ASSERT_FATAL(gethostname(name, sizeof(name)) == 0);
	name[sizeof(name) - 1] = '\0';
	snprintf(listen, sizeof(listen), "%s:8080", name);
	CU_ASSERT_EQUAL(web_listen_resolve(listen, &ss, &len, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, name));
	CU_ASSERT_EQUAL(web_listen_resolve("dashboard.example:80", &ss, &len, err, sizeof(err)),
			-EINVAL);
}

static void
test_host_ok(void)
{
	static const char *const good[] = {
		"localhost",      "localhost:8080",       "LOCALHOST:1",     "127.0.0.1",
		"127.0.0.1:8080", "10.1.2.3:80",          "[::1]",           "[::1]:8080",
		"[fe80::1]:1",    "[::ffff:127.0.0.1]:9", "localhost:65535",
	};
	static const char *const bad[] = {
		"",
		"evil.example",
		"evil.example:8080",
		"localhost.",
		"localhost.:80",
		"sub.localhost",
		"127.0.0.1.nip.io",
		"127.1",
		"127.0.0.1:",
		":8080",
		"[::1",
		"[::1]x",
		"[::1]:",
		"[evil]:80",
		"::1",
		"localhost:8o",
		"localhost:123456",
		"localhost:80:80",
		"127.0.0.1 :80",
		"0x7f000001",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CU_ASSERT_TRUE(web_host_ok(Q(good[i])));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_FALSE(web_host_ok(Q(bad[i])));
	CU_ASSERT_FALSE(web_host_ok(NULL, 0));
	/* the length bounds it: no NUL needed, nothing read past it */
	CU_ASSERT_TRUE(web_host_ok("localhost:80evil", 12));
	CU_ASSERT_FALSE(web_host_ok("localhostx", 10));
}

static void
test_routes(void)
{
	const struct web_asset *a;

	CU_ASSERT_EQUAL(web_route_match(Q("/api/summary"), &a), WEB_ROUTE_SUMMARY);
	CU_ASSERT_EQUAL(web_route_match(Q("/api/timeseries"), &a), WEB_ROUTE_TIMESERIES);
	CU_ASSERT_EQUAL(web_route_match(Q("/api/flows"), &a), WEB_ROUTE_FLOWS);
	CU_ASSERT_EQUAL(web_route_match(Q("/api/alerts"), &a), WEB_ROUTE_ALERTS);
	CU_ASSERT_EQUAL(web_route_match(Q("/api/packets"), &a), WEB_ROUTE_PACKETS);
	CU_ASSERT_EQUAL(web_route_match(Q("/api/interfaces"), &a), WEB_ROUTE_INTERFACES);
	CU_ASSERT_EQUAL(web_route_match(Q("/api/stream"), &a), WEB_ROUTE_STREAM);
	CU_ASSERT_EQUAL(web_route_match(Q("/metrics"), &a), WEB_ROUTE_METRICS);
	CU_ASSERT_EQUAL(web_route_match(Q("/api/summary/"), &a), WEB_ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(web_route_match(Q("/api"), &a), WEB_ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(web_route_match(Q("/API/summary"), &a), WEB_ROUTE_NOT_FOUND);

	CU_ASSERT_EQUAL(web_route_match(Q("/"), &a), WEB_ROUTE_STATIC);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(a->path, "/index.html");
	CU_ASSERT_EQUAL(web_route_match(Q("/app.js"), &a), WEB_ROUTE_STATIC);
	CU_ASSERT_TRUE(web_route_needs_token(WEB_ROUTE_SUMMARY));
	CU_ASSERT_TRUE(web_route_needs_token(WEB_ROUTE_METRICS));
	CU_ASSERT_TRUE(web_route_needs_token(WEB_ROUTE_STREAM));
	CU_ASSERT_FALSE(web_route_needs_token(WEB_ROUTE_STATIC));
}

static void
test_traversal_refused(void)
{
	static const char *const bad[] = {
		"/../../etc/passwd",
		"/..",
		"/.",
		"/./index.html",
		"/vendor/../index.html",
		"/vendor/uplot/../../app.js",
		"/%2e%2e/",
		"/%2e%2e/%2e%2e/etc/passwd",
		"/%2E%2E%2Fetc%2Fpasswd",
		"/index%2ehtml",
		"//etc/passwd",
		"/vendor//uplot/uPlot.min.css",
		"/..\\..\\etc\\passwd",
		"/index.html\r\nX: y",
		"/a b",
		"",
		"index.html",
		"/\x7f",
		"/\xc0\xae\xc0\xae/etc/passwd",
	};
	const struct web_asset *a;

	for (size_t i = 0; i < NS_ARRAY_SIZE(bad); i++) {
		enum web_route r = web_route_match(bad[i], strlen(bad[i]), &a);

		CU_ASSERT_EQUAL(r, WEB_ROUTE_BAD_PATH);
		CU_ASSERT_PTR_NULL(a);
		if (r != WEB_ROUTE_BAD_PATH)
			fprintf(stderr, "not refused: '%s'\n", bad[i]);
	}
	/* not malformed, just not in the set: 404 */
	CU_ASSERT_EQUAL(web_route_match(Q("/etc/passwd"), &a), WEB_ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(web_route_match(Q("/index.html.bak"), &a), WEB_ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(web_route_match(Q("/...."), &a), WEB_ROUTE_NOT_FOUND);
}

static void
test_asset_table(void)
{
	const struct web_asset *a;

	CU_ASSERT_TRUE(web_assets_count >= 4);
	for (size_t i = 0; i < web_assets_count; i++) {
		const struct web_asset *e = &web_assets[i];

		CU_ASSERT_EQUAL(e->path[0], '/');
		CU_ASSERT_PTR_NULL(strstr(e->path, ".."));
		CU_ASSERT_TRUE(e->len > 0);
		CU_ASSERT_EQUAL(e->etag[0], '"');
		CU_ASSERT_EQUAL(strlen(e->etag), 18);
		CU_ASSERT_PTR_EQUAL(web_asset_find(e->path, strlen(e->path)), e);
	}
	a = web_asset_find(Q("/index.html"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(a->mime, "text/html; charset=utf-8");
	CU_ASSERT_PTR_NOT_NULL(memmem(a->data, a->len, "<!DOCTYPE html>", 15));
	a = web_asset_find(Q("/app.js"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(a->mime, "text/javascript; charset=utf-8");
	/* exact bytes only: no case folding, no prefix match, no trailing garbage */
	CU_ASSERT_PTR_NULL(web_asset_find(Q("/INDEX.HTML")));
	CU_ASSERT_PTR_NULL(web_asset_find(Q("/index.htm")));
	CU_ASSERT_PTR_NULL(web_asset_find("/index.html\0x", 13));
	CU_ASSERT_PTR_NULL(web_asset_find(Q("")));
}

/* Names reach JSON and metrics labels as valid UTF-8, cut at a character boundary. */
static void
test_name_copy(void)
{
	char out[8];

	ns_web_name_copy(out, sizeof(out), "eth0");
	CU_ASSERT_STRING_EQUAL(out, "eth0");
	ns_web_name_copy(out, sizeof(out), "\xff.pcap");
	CU_ASSERT_STRING_EQUAL(out, "?.pcap");
	/* "é" (2 bytes) kept; an overlong '/' (C0 AF), a surrogate (ED A0 80) and a lone
	 * continuation byte are not */
	ns_web_name_copy(out, sizeof(out), "\xc3\xa9\xc0\xaf");
	CU_ASSERT_STRING_EQUAL(out, "\xc3\xa9??");
	ns_web_name_copy(out, sizeof(out), "\xed\xa0\x80\x80");
	CU_ASSERT_STRING_EQUAL(out, "????");
	/* a 3-byte character that would not fit whole is left out: 6 + 3 > 7 */
	ns_web_name_copy(out, sizeof(out), "abcdef\xe2\x82\xac");
	CU_ASSERT_STRING_EQUAL(out, "abcdef");
	/* a sequence cut by the end of the string */
	ns_web_name_copy(out, sizeof(out), "a\xe2\x82");
	CU_ASSERT_STRING_EQUAL(out, "a??");
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_query_get),   NS_TEST(test_query_get_bad), NS_TEST(test_query_u32),
	NS_TEST(test_token),       NS_TEST(test_listen),        NS_TEST(test_listen_no_dns),
	NS_TEST(test_host_ok),     NS_TEST(test_routes),        NS_TEST(test_traversal_refused),
	NS_TEST(test_asset_table), NS_TEST(test_name_copy),
};

NS_TEST_MAIN("web_util", cases)
