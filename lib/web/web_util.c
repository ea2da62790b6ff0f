/* SPDX-License-Identifier: MIT */
/*
 * The request-handling pieces that need no server: a growable text buffer, query-string
 * parsing, the bearer-token check, the listen address, and routing by raw path. Routing is
 * deliberately strict: anything that would need decoding or normalising (escapes, dot
 * segments) is refused with 400 instead of interpreted, so no path can name something outside
 * the embedded file set.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ns_config.h"
#include "web_priv.h"

/* ---- buffer ---- */

void
web_buf_init(struct web_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
web_buf_free(struct web_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static bool
buf_reserve(struct web_buf *b, size_t extra)
{
	size_t cap = b->cap != 0 ? b->cap : 4096;
	char *np;

	if (b->oom)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	while (cap < b->len + extra + 1)
		cap *= 2;
	np = realloc(b->p, cap);
	if (np == NULL) {
		b->oom = true;
		return false;
	}
	b->p = np;
	b->cap = cap;
	return true;
}

void
web_buf_append(struct web_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
web_buf_puts(struct web_buf *b, const char *s)
{
	web_buf_append(b, s, strlen(s));
}

void
web_buf_printf(struct web_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!buf_reserve(b, 128))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (!buf_reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* ---- query strings ---- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode application/x-www-form-urlencoded @s (@n bytes) into @out. */
static int
form_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -EINVAL;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0)
			return -EINVAL;
		if (o + 1 >= outlen)
			return -ENOSPC;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

int
web_query_get(const char *q, size_t qlen, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	size_t i = 0;

	if (q == NULL || outlen == 0)
		return -ENOENT;
	while (i < qlen) {
		const char *amp = memchr(q + i, '&', qlen - i);
		size_t end = amp != NULL ? (size_t)(amp - q) : qlen;
		const char *eq = memchr(q + i, '=', end - i);
		size_t klen = eq != NULL ? (size_t)(eq - (q + i)) : end - i;

		if (klen == nlen && memcmp(q + i, name, nlen) == 0) {
			if (eq == NULL) {
				out[0] = '\0';
				return 0;
			}
			return form_decode(eq + 1, (size_t)(q + end - (eq + 1)), out, outlen);
		}
		i = end + 1;
	}
	return -ENOENT;
}

int
web_query_u32(const char *q, size_t qlen, const char *name, uint32_t def, uint32_t min,
	      uint32_t max, uint32_t *out)
{
	char v[16];
	int rc = web_query_get(q, qlen, name, v, sizeof(v));
	unsigned long long x = 0;

	if (rc == -ENOENT) {
		*out = def;
		return 0;
	}
	if (rc <= 0 || rc > 10)
		return -EINVAL;
	for (int i = 0; i < rc; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		x = x * 10 + (unsigned)(v[i] - '0');
	}
	if (x < min || x > max)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

/* ---- token ---- */

/*
 * Compare what the client sent with the token, always walking the whole token, so the time
 * taken does not tell how long a matching prefix was.
 */
static bool
ct_equal(const char *given, size_t glen, const char *token, size_t tlen)
{
	unsigned char diff = 0;

	for (size_t i = 0; i < tlen; i++)
		diff |= (unsigned char)((i < glen ? given[i] : 0) ^ token[i]);
	return diff == 0 && glen == tlen;
}

bool
web_token_ok(const char *token, const char *auth, size_t authlen, const char *q, size_t qlen)
{
	static const char bearer[] = "Bearer ";
	size_t tlen = token != NULL ? strlen(token) : 0;
	char given[NS_CFG_STR_MAX];
	int n;

	if (tlen == 0)
		return true;
	if (auth != NULL && authlen > sizeof(bearer) - 1 &&
	    strncasecmp(auth, bearer, sizeof(bearer) - 1) == 0) {
		const char *v = auth + sizeof(bearer) - 1;
		size_t vlen = authlen - (sizeof(bearer) - 1);

		while (vlen > 0 && *v == ' ') {
			v++;
			vlen--;
		}
		if (ct_equal(v, vlen, token, tlen))
			return true;
	}
	n = web_query_get(q, qlen, "token", given, sizeof(given));
	return n > 0 && ct_equal(given, (size_t)n, token, tlen);
}

/* ---- Host header ---- */

bool
web_host_ok(const char *host, size_t len)
{
	char name[INET6_ADDRSTRLEN];
	const char *port = NULL;
	struct in6_addr a6;
	struct in_addr a4;
	size_t nlen;

	if (host == NULL || len == 0)
		return false;
	if (host[0] == '[') {
		const char *close = memchr(host, ']', len);

		if (close == NULL)
			return false;
		nlen = (size_t)(close - host) - 1;
		if (nlen >= sizeof(name))
			return false;
		memcpy(name, host + 1, nlen);
		name[nlen] = '\0';
		if (inet_pton(AF_INET6, name, &a6) != 1)
			return false;
		if (close + 1 < host + len) {
			if (close[1] != ':')
				return false;
			port = close + 2;
		}
	} else {
		const char *colon = memchr(host, ':', len);

		nlen = colon != NULL ? (size_t)(colon - host) : len;
		if (nlen == 0 || nlen >= sizeof(name))
			return false;
		memcpy(name, host, nlen);
		name[nlen] = '\0';
		/* RFC 6761 section 6.3: "localhost" never reaches DNS, so it cannot be rebound */
		if (strcasecmp(name, "localhost") != 0 && inet_pton(AF_INET, name, &a4) != 1)
			return false;
		if (colon != NULL)
			port = colon + 1;
	}
	if (port != NULL) {
		size_t plen = (size_t)(host + len - port);

		/* RFC 3986 section 3.2.3: port = *DIGIT; an empty one is refused all the same */
		if (plen == 0 || plen > 5)
			return false;
		for (size_t i = 0; i < plen; i++)
			if (port[i] < '0' || port[i] > '9')
				return false;
	}
	return true;
}

/* ---- listen address ---- */

int
web_listen_resolve(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
		   size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char host[NS_CFG_STR_MAX], why[256], port_s[8];
	uint16_t port;
	int rc;

	if (ns_config_listen_parse(listen, host, sizeof(host), &port, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "web.listen %s", why);
		return -EINVAL;
	}
	/*
	 * No lookup: start-up must not wait on a resolver, and what is bound must be what the
	 * configuration says (the loopback check reads the text). "localhost" is the one name
	 * taken, as the loopback address it always means (RFC 6761 section 6.3).
	 */
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(port_s, sizeof(port_s), "%u", port);
	rc = getaddrinfo(host, port_s, &hints, &res);
	if (rc != 0 || res == NULL) {
		snprintf(err, errlen,
			 "web.listen '%s': '%s' is not an IP address (host names other than "
			 "localhost are not looked up)",
			 listen, host);
		if (res != NULL)
			freeaddrinfo(res);
		return -EINVAL;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

bool
web_addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		const uint8_t *b = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127;
	}
	return false;
}

char *
web_url_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "http://[%s]:%u/", host, ntohs(in6->sin6_port));
	} else {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "http://%s:%u/", host, ntohs(in->sin_port));
	}
	return buf;
}

/* ---- routing ---- */

const struct web_asset *
web_asset_find(const char *path, size_t len)
{
	static const char index_path[] = "/index.html";

	if (len == 1 && path[0] == '/') {
		path = index_path;
		len = sizeof(index_path) - 1;
	}
	for (size_t i = 0; i < web_assets_count; i++) {
		const struct web_asset *a = &web_assets[i];

		if (strlen(a->path) == len && memcmp(a->path, path, len) == 0)
			return a;
	}
	return NULL;
}

static bool
path_is_plain(const char *p, size_t len)
{
	size_t seg = 1;

	if (len == 0 || p[0] != '/')
		return false;
	for (size_t i = 1; i <= len; i++) {
		if (i == len || p[i] == '/') {
			size_t n = i - seg;

			/* RFC 3986 section 3.3: "." and ".." segments; "//" has no meaning here */
			if (n == 1 && p[seg] == '.')
				return false;
			if (n == 2 && p[seg] == '.' && p[seg + 1] == '.')
				return false;
			if (n == 0 && i != len)
				return false;
			seg = i + 1;
			continue;
		}
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f || p[i] == '%' ||
		    p[i] == '\\')
			return false;
	}
	return true;
}

static const struct {
	const char *path;
	enum web_route route;
} api_routes[] = {
	{ "/api/summary", WEB_ROUTE_SUMMARY }, { "/api/timeseries", WEB_ROUTE_TIMESERIES },
	{ "/api/flows", WEB_ROUTE_FLOWS },     { "/api/alerts", WEB_ROUTE_ALERTS },
	{ "/api/packets", WEB_ROUTE_PACKETS }, { "/api/interfaces", WEB_ROUTE_INTERFACES },
	{ "/api/stream", WEB_ROUTE_STREAM },   { "/metrics", WEB_ROUTE_METRICS },
};

enum web_route
web_route_match(const char *path, size_t len, const struct web_asset **asset)
{
	*asset = NULL;
	if (!path_is_plain(path, len))
		return WEB_ROUTE_BAD_PATH;
	for (size_t i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++)
		if (strlen(api_routes[i].path) == len && memcmp(api_routes[i].path, path, len) == 0)
			return api_routes[i].route;
	*asset = web_asset_find(path, len);
	return *asset != NULL ? WEB_ROUTE_STATIC : WEB_ROUTE_NOT_FOUND;
}

bool
web_route_needs_token(enum web_route route)
{
	/* The UI files hold no data; they must load so the page can ask for the token. */
	return route != WEB_ROUTE_STATIC && route != WEB_ROUTE_NOT_FOUND &&
	       route != WEB_ROUTE_BAD_PATH;
}

/* Length of the valid UTF-8 sequence at @s (NUL-terminated), or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	const unsigned c = s[0];
	size_t n;
	unsigned min, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* a NUL ends it too */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void
ns_web_name_copy(char *dst, size_t len, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t out = 0;

	if (len == 0)
		return;
	while (*s != '\0') {
		size_t n = utf8_len(s);

		if (out + (n != 0 ? n : 1) > len - 1)
			break;
		if (n == 0) {
			dst[out++] = '?';
			s++;
		} else {
			memcpy(dst + out, s, n);
			out += n;
			s += n;
		}
	}
	dst[out] = '\0';
}
