/* SPDX-License-Identifier: MIT */
/*
 * The flow exporter's own formatters and record writers against the libc and json-c code they
 * replace: integers against "%llu", timestamps against gmtime/strftime (ns_time_fmt_rfc3339)
 * across second, day, year and leap-year boundaries, addresses against inet_ntop
 * (ns_addr_format) for every zero-run shape; then whole CSV and JSON files of random records
 * byte for byte against reference writers built the old way (snprintf, ns_export_csv_field and
 * json-c object trees), every JSON line parsed back by json-c and compared object to object;
 * the record size bound; and the loss count when a write stops part way.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/magic.h>

#include "export_priv.h"
#include "ns_core.h"
#include "ns_export.h"
#include "ns_flow.h"
#include "ns_test.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	/* xorshift64*: deterministic, so a failure reproduces */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* A value of random bit length, so small and large numbers both come up. */
static uint64_t
rnd_bits(unsigned max_bits)
{
	unsigned bits = (unsigned)(rnd() % (max_bits + 1));

	return bits == 0 ? 0 : rnd() >> (64 - bits);
}

/*
 * A value of at most @max_bits bits that is an edge case half the time: 0, 1, the maximum or
 * one below it, or a power of ten, one below or one above it (where the number of digits
 * changes, including 10^8 and 10^16 where the formatter changes method); else of random bit
 * length.
 */
static uint64_t
rnd_num(unsigned max_bits)
{
	uint64_t max = max_bits >= 64 ? UINT64_MAX : (1ull << max_bits) - 1, p = 1, v;

	switch (rnd() % 8) {
	case 0:
		v = rnd() % 2;
		break;
	case 1:
		v = max - rnd() % 2;
		break;
	case 2:
	case 3:
		for (unsigned k = (unsigned)(rnd() % 20); k > 0; k--)
			p *= 10;
		v = p + rnd() % 3 - 1;
		break;
	default:
		return rnd_bits(max_bits);
	}
	return v <= max ? v : max;
}

static char tmp_path[64];

static const char *
tmp_file(const char *ext)
{
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/ns_export_fmt_%d%s", (int)getpid(), ext);
	return tmp_path;
}

/* ---- integers ---- */

static void
check_u64(uint64_t v)
{
	char got[32], want[32];
	char *end;

	memset(got, 'x', sizeof(got));
	end = fmt_u64(got, v);
	snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
	CU_ASSERT_EQUAL((size_t)(end - got), strlen(want));
	CU_ASSERT_TRUE(end - got <= FMT_U64_MAX);
	CU_ASSERT_EQUAL(end[FMT_SLACK], 'x'); /* nothing written past the slack */
	*end = '\0';
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void
test_u64(void)
{
	uint64_t p = 1;

	check_u64(0);
	check_u64(UINT64_MAX);
	check_u64(UINT64_MAX - 1);
	check_u64(UINT32_MAX);
	check_u64((uint64_t)UINT32_MAX + 1);
	for (unsigned i = 0; i < 20; i++, p *= 10) {
		check_u64(p - 1);
		check_u64(p);
		check_u64(p + 1);
	}
	check_u64(10000000000000000000ull); /* 10^19, the one 20-digit power */
	for (unsigned i = 0; i < 100000; i++)
		check_u64(rnd_bits(64));
}

/* ---- timestamps ---- */

static void
check_ts(struct fmt_ts_cache *c, uint64_t ts)
{
	char got[48], want[40];
	char *end;

	memset(got, 'x', sizeof(got));
	end = fmt_rfc3339(c, got, ts);
	CU_ASSERT_EQUAL(end[FMT_SLACK], 'x');
	*end = '\0';
	ns_time_fmt_rfc3339(ts, want, sizeof(want));
	CU_ASSERT_EQUAL(end - got, FMT_RFC3339_LEN);
	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n  ts %llu: got %s, want %s\n", (unsigned long long)ts, got,
			want);
	/* the same with a separator after the 'Z' */
	memset(got, 'x', sizeof(got));
	end = fmt_rfc3339_sep(c, got, ts, ',');
	CU_ASSERT_EQUAL(end - got, FMT_RFC3339_LEN + 1);
	CU_ASSERT_EQUAL(end[FMT_SLACK], 'x');
	CU_ASSERT_TRUE(memcmp(got, want, FMT_RFC3339_LEN) == 0 && end[-1] == ',');
}

static void
expect_ts(uint64_t ts, const char *want)
{
	struct fmt_ts_cache c;
	char got[40];

	fmt_ts_cache_init(&c);
	*fmt_rfc3339(&c, got, ts) = '\0';
	CU_ASSERT_STRING_EQUAL(got, want);
}

#define SEC 1000000000ull
#define DAY (86400 * SEC)

/* Seconds since the epoch of 00:00:00 UTC on the first of @month of @year. */
static uint64_t
epoch_of(int year, int month)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = 1 };

	return (uint64_t)timegm(&tm);
}

static void
test_rfc3339(void)
{
	struct fmt_ts_cache c;

	/* the epoch is the earliest time a uint64_t of ns holds: nothing before 1970 exists */
	expect_ts(0, "1970-01-01T00:00:00.000000Z");
	expect_ts(UINT64_MAX, "2554-07-21T23:34:33.709551Z");
	expect_ts(1700000000123456789ull, "2023-11-14T22:13:20.123456Z");
	expect_ts(951782400ull * SEC, "2000-02-29T00:00:00.000000Z");
	expect_ts(4107542399ull * SEC + 999999999, "2100-02-28T23:59:59.999999Z");
	expect_ts(4107542400ull * SEC, "2100-03-01T00:00:00.000000Z");

	fmt_ts_cache_init(&c);
	/* around each boundary: the last ns before, the first after, and back (cache reuse) */
	for (int year = 1970; year <= 2554; year += (year < 2110 ? 1 : 7)) {
		static const int months[] = { 1, 2, 3, 7, 12 };

		for (unsigned m = 0; m < NS_ARRAY_SIZE(months); m++) {
			uint64_t s = epoch_of(year, months[m]), t;

			if (s > UINT64_MAX / SEC - 2 * 86400)
				continue; /* past 2554-07-21, the end of the range */
			t = s * SEC;
			if (t >= SEC)
				check_ts(&c, t - 1);
			check_ts(&c, t);
			check_ts(&c, t + 999);
			check_ts(&c, t + 1000);
			if (t >= SEC)
				check_ts(&c, t - 1000);
			check_ts(&c, t + SEC - 1);
			check_ts(&c, t + SEC);
			check_ts(&c, t + DAY - 1);
			check_ts(&c, t + DAY);
		}
		/* leap days: noon on the last day of February */
		check_ts(&c, (epoch_of(year, 3) - 86400) * SEC + 12 * 3600 * SEC);
	}
	/* random instants over the whole range, alternating days */
	for (unsigned i = 0; i < 200000; i++)
		check_ts(&c, rnd());
	/* a capture's worth: one day, many seconds, the cache hit on every call */
	for (uint64_t t = 1764170077ull * SEC; t < 1764170077ull * SEC + 100 * SEC; t += 7777777)
		check_ts(&c, t);
}

/* ---- addresses ---- */

static void
check_addr(const struct ns_addr *a)
{
	char got[64], want[64];
	char *end;

	memset(got, 'x', sizeof(got));
	end = fmt_addr(got, a);
	CU_ASSERT_TRUE(end - got <= FMT_ADDR_MAX);
	CU_ASSERT_EQUAL(end[FMT_SLACK], 'x');
	*end = '\0';
	ns_addr_format(a, want, sizeof(want));
	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n  got %s, want %s\n", got, want);
}

static void
addr_v6(struct ns_addr *a, const char *s)
{
	CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET6, s, a->b), 1);
}

static void
test_addr(void)
{
	static const char *const fixed[] = {
		"::",
		"::1",
		"1::",
		"::ffff:1.2.3.4",
		"::1.2.3.4",
		"::0.0.1.0",
		"::ffff:0:0",
		"::ffff:0:1.2.3.4",
		"1:0:0:1:0:0:0:1",
		"1:0:0:1:0:0:1:1",
		"1:0:1:1:1:1:1:1",
		"1:1:1:1:1:1:1:0",
		"0:1:1:1:1:1:1:1",
		"fe80::98cb:aff:fe4c:10e3",
		"ff02::16",
		"2001:db8::1:0:0:1",
		"2001:db8:0:0:1::1",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"::ffff:255.255.255.255",
		"::ffff:0.0.0.0",
		"::ffff:10.0.0.1",
		"::ffff:100.10.1.0",
		"::ffff:9.99.199.255",
		"0:0:0:0:0:1:0:0",
		"::fffe:1.2.3.4",
		"64:ff9b::1.2.3.4",
		"abcd:ef01:2345:6789:abcd:ef01:2345:6789",
		"1:20:300:4000::",
	};
	static const uint16_t fill[] = { 1, 0x10, 0x100, 0x1000, 0xabcd, 0xffff };
	struct ns_addr a;

	for (unsigned i = 0; i < NS_ARRAY_SIZE(fixed); i++) {
		addr_v6(&a, fixed[i]);
		check_addr(&a);
	}
	/* every pattern of zero and non-zero groups, with every group width */
	for (unsigned mask = 0; mask < 256; mask++) {
		for (unsigned f = 0; f < NS_ARRAY_SIZE(fill); f++) {
			memset(&a, 0, sizeof(a));
			for (unsigned g = 0; g < 8; g++) {
				uint16_t w =
					(mask >> g) & 1 ? fill[(f + g) % NS_ARRAY_SIZE(fill)] : 0;

				a.b[2 * g] = (uint8_t)(w >> 8);
				a.b[2 * g + 1] = (uint8_t)w;
			}
			check_addr(&a);
		}
	}
	/* IPv4 (mapped): every octet value in every position */
	for (unsigned v = 0; v < 256; v++) {
		memset(&a, 0, sizeof(a));
		a.b[10] = a.b[11] = 0xff;
		for (unsigned k = 0; k < 4; k++)
			a.b[12 + k] = (uint8_t)((v + 85 * k) & 0xff);
		check_addr(&a);
	}
	for (unsigned i = 0; i < 100000; i++) {
		for (unsigned k = 0; k < 16; k += 8) {
			uint64_t r = rnd();

			memcpy(a.b + k, &r, 8);
		}
		/* zero some groups so that runs of every length come up */
		for (unsigned g = 0; g < 8; g++)
			if (rnd() % 3 == 0)
				a.b[2 * g] = a.b[2 * g + 1] = 0;
		check_addr(&a);
	}
}

/* The octet tables behind fmt_v4() and the CSV writer's addresses, against snprintf. */
static void
test_octet_tables(void)
{
	for (unsigned v = 0; v < 256; v++) {
		for (unsigned k = 0; k < 2; k++) {
			char want[8], got[16];
			int n = snprintf(want, sizeof(want), "%u%c", v, k == 0 ? '.' : ',');
			char *end;

			memset(got, 'x', sizeof(got));
			end = k == 0 ? fmt_octet_dot(got, (uint8_t)v)
				     : fmt_oct_put(got, fmt_oct_comma[v]);
			CU_ASSERT_EQUAL(end - got, n);
			CU_ASSERT_EQUAL(memcmp(got, want, (size_t)n), 0);
			CU_ASSERT_EQUAL(got[4], 'x'); /* one 4-byte store */
		}
	}
}

/* ---- CSV quoting ---- */

static void
test_csv_quote_all(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "a", "a" },
		{ ",", "\",\"" },
		{ "\"", "\"\"\"\"" },
		{ "\r", "\"\r\"" },
		{ "\n", "\"\n\"" },
		{ "\r\n", "\"\r\n\"" },
		{ "a\"", "\"a\"\"\"" },
		{ "\"\"", "\"\"\"\"\"\"" },
		{ "tab\there", "tab\there" }, /* RFC 4180: only , \" CR LF need quotes */
		{ "semi;colon", "semi;colon" },
		{ " lead and trail ", " lead and trail " },
	};
	char out[64];

	for (unsigned i = 0; i < NS_ARRAY_SIZE(cases); i++) {
		CU_ASSERT_EQUAL(ns_export_csv_field(cases[i].in, out, sizeof(out)),
				strlen(cases[i].out));
		CU_ASSERT_STRING_EQUAL(out, cases[i].out);
	}
	/* every byte value alone: quoted exactly when it is one of the four */
	for (unsigned c = 1; c < 256; c++) {
		char in[2] = { (char)c, 0 };
		bool quote = c == ',' || c == '"' || c == '\r' || c == '\n';
		size_t n = ns_export_csv_field(in, out, sizeof(out));

		CU_ASSERT_EQUAL(n, quote ? (c == '"' ? 4u : 3u) : 1u);
		CU_ASSERT_EQUAL(out[0] == '"', quote);
	}
}

/* ---- whole records against reference writers built the old way ---- */

static void
rnd_addr(struct ns_addr *a, bool v4)
{
	static const char *const shapes[] = {
		"::",
		"::1",
		"1::",
		"::1.2.3.4",
		"::ffff:0:1.2.3.4",
		"::fffe:1.2.3.4",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"1:0:0:1:0:0:0:1",
		"0:1:1:1:1:1:1:1",
	};
	uint32_t r = (uint32_t)rnd();

	memset(a, 0, sizeof(*a));
	if (v4) {
		a->b[10] = a->b[11] = 0xff;
		memcpy(a->b + 12, &r, 4);
		return;
	}
	if (rnd() % 4 == 0) {
		/* a fixed shape (IPv4-compatible and near-mapped ones keep a random quad) */
		addr_v6(a, shapes[rnd() % NS_ARRAY_SIZE(shapes)]);
		if (a->b[12] == 1 && a->b[13] == 2)
			memcpy(a->b + 12, &r, 4);
		return;
	}
	for (unsigned g = 0; g < 8; g++) {
		uint16_t w = rnd() % 2 ? (uint16_t)rnd_num(16) : 0;

		a->b[2 * g] = (uint8_t)(w >> 8);
		a->b[2 * g + 1] = (uint8_t)w;
	}
}

/*
 * A timestamp: anywhere in the range, on a calendar edge (a month's first nanosecond or one
 * just before, February 29 of a leap year, sub-microsecond steps around a second), or like a
 * capture's, within days of 2025-11-26.
 */
static uint64_t
rnd_ts(void)
{
	static const int64_t near[] = { 0, -1, 1, 999, 1000, -1000, 999999999, -999999999 };
	uint64_t s;

	switch (rnd() % 4) {
	case 0:
		return rnd();
	case 1:
		s = epoch_of(1970 + (int)(rnd() % 584), 1 + (int)(rnd() % 12));
		if (rnd() % 3 == 0)
			s = epoch_of(1972 + 4 * (int)(rnd() % 32), 3) - 86400; /* Feb 29 */
		s = s * SEC + (uint64_t)near[rnd() % NS_ARRAY_SIZE(near)];
		return s > UINT64_MAX - SEC ? 0 : s; /* 1970 minus a nanosecond wraps */
	default:
		return 1764170077ull * SEC + rnd_num(50);
	}
}

static void
rnd_record(struct ns_flow_record *r)
{
	static const uint8_t protos[] = { 6, 6, 6, 6, 17, 17, 1, 58, 47, 0, 255, 89 };

	memset(r, 0, sizeof(*r));
	r->flow_id = rnd_num(64);
	r->first_ns = rnd_ts();
	r->last_ns = rnd() % 2 ? r->first_ns + rnd_num(40) : rnd_ts();
	if (r->last_ns < r->first_ns && rnd() % 2)
		r->last_ns = UINT64_MAX;
	r->ip_version = rnd() % 2 ? 4 : 6;
	rnd_addr(&r->src, r->ip_version == 4);
	rnd_addr(&r->dst, r->ip_version == 4);
	/* a version that is neither: CSV's combined proto/ip_version text does not apply */
	if (rnd() % 16 == 0)
		r->ip_version = (uint8_t)rnd();
	r->proto = rnd() % 8 == 0 ? (uint8_t)rnd() : protos[rnd() % NS_ARRAY_SIZE(protos)];
	r->src_port = (uint16_t)rnd_num(16);
	r->dst_port = (uint16_t)rnd_num(16);
	r->vlan = (uint16_t)rnd_num(12);
	/* the state values run one past the last name: "?" */
	r->end_reason = (uint8_t)(rnd() % (NS_FLOW_END_MAX + 2));
	r->tcp_state = (uint8_t)(rnd() % (NS_FLOW_TCP_STATE_MAX + 2));
	r->conn_state = (uint8_t)(rnd() % (NS_FLOW_CONN_STATE_MAX + 2));
	r->flags = (uint8_t)rnd();
	r->icmp_type = (uint8_t)rnd();
	r->icmp_code = (uint8_t)rnd_num(8);
	r->icmp_id = (uint16_t)rnd();
	for (unsigned d = 0; d < 2; d++) {
		r->pkts[d] = rnd_num(64);
		r->bytes[d] = rnd_num(64);
		r->tcp_flags[d] = (uint8_t)rnd();
		r->retrans[d] = (uint32_t)rnd_num(32);
		r->ooo[d] = (uint32_t)rnd_num(32);
		r->lost[d] = (uint32_t)rnd_num(32);
		r->dupack[d] = (uint32_t)rnd_num(32);
		r->rst[d] = (uint32_t)rnd_num(32);
	}
	/* half the records from 24 common name combinations: the CSV writer's cache of a TCP
	 * row's names then hits, misses and has slots taken over */
	if (rnd() % 2) {
		r->end_reason = (uint8_t)(rnd() % 2);
		r->tcp_state = (uint8_t)(rnd() % 3);
		r->conn_state = (uint8_t)(rnd() % 2 + 2);
		r->tcp_flags[0] = 0x1b;
		r->tcp_flags[1] = rnd() % 2 ? 0x12 : 0x1b;
	}
	r->rtt_handshake_us = (uint32_t)rnd_num(32);
	r->rtt_syn_synack_us = (uint32_t)rnd_num(32);
	r->rtt_synack_ack_us = (uint32_t)rnd_num(32);
	r->rtt_min_us = (uint32_t)rnd_num(32);
	r->rtt_avg_us = (uint32_t)rnd_num(32);
	r->rtt_max_us = (uint32_t)rnd_num(32);
	r->rtt_samples = rnd() % 3 == 0 ? 0 : (uint32_t)rnd_num(32);
	/* one sample, or all alike (min, avg and max share one text), or two of three alike */
	switch (rnd() % 6) {
	case 0:
	case 1:
		r->rtt_avg_us = r->rtt_max_us = r->rtt_min_us;
		break;
	case 2:
		r->rtt_max_us = r->rtt_min_us;
		break;
	case 3:
		r->rtt_avg_us = r->rtt_min_us;
		break;
	case 4:
		r->rtt_max_us = r->rtt_avg_us;
		break;
	default:
		break;
	}
	r->fast_retrans = (uint32_t)rnd_num(32);
	r->spurious_retrans = (uint32_t)rnd_num(32);
	r->zero_window = (uint32_t)rnd_num(32);
	/* as in most flows, no TCP event at all, or just one */
	if (rnd() % 2) {
		uint32_t *one[] = {
			&r->retrans[0], &r->retrans[1], &r->fast_retrans, &r->spurious_retrans,
			&r->ooo[0],     &r->ooo[1],     &r->lost[0],      &r->lost[1],
			&r->dupack[0],  &r->dupack[1],  &r->zero_window,  &r->rst[0],
			&r->rst[1]
		};
		uint32_t keep = *one[rnd() % NS_ARRAY_SIZE(one)];

		for (unsigned i = 0; i < NS_ARRAY_SIZE(one); i++)
			*one[i] = 0;
		if (rnd() % 2)
			*one[rnd() % NS_ARRAY_SIZE(one)] = keep != 0 ? keep : 1;
	}
}

/* The largest record: TCP, every number at its maximum, the longest texts. */
static void
max_record(struct ns_flow_record *r, uint8_t proto)
{
	memset(r, 0xff, sizeof(*r));
	r->proto = proto;
	r->ip_version = 6;
	addr_v6(&r->src, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	addr_v6(&r->dst, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	r->end_reason = NS_FLOW_END_OVERFLOW;
	r->tcp_state = NS_FLOW_TCP_SYN_RECEIVED;
	r->conn_state = NS_FLOW_CONN_RSTOS0;
	r->rtt_samples = UINT32_MAX;
}

static const char *
proto_str(uint8_t proto, char *buf, size_t len)
{
	const char *name = ns_flow_proto_name(proto);

	if (name != NULL)
		return name;
	snprintf(buf, len, "%u", proto);
	return buf;
}

/* Reference CSV row: every field through snprintf/libc and ns_export_csv_field. */
static size_t
ref_csv(const struct ns_flow_record *r, char *line, size_t len)
{
	bool tcp = r->proto == 6, icmp = r->proto == 1 || r->proto == 58;
	bool syn = tcp && (r->flags & NS_FLOW_REC_SYNACK);
	bool rtt = tcp && r->rtt_samples != 0;
	char f[48][64], buf[64];
	unsigned k = 0;
	size_t n = 0;

#define NUM(known, v)                                                        \
	do {                                                                 \
		if (known)                                                   \
			snprintf(f[k], 64, "%llu", (unsigned long long)(v)); \
		else                                                         \
			f[k][0] = '\0';                                      \
		k++;                                                         \
	} while (0)
#define STR(s) snprintf(f[k++], 64, "%s", (s))
	NUM(1, r->flow_id);
	STR(proto_str(r->proto, buf, sizeof(buf)));
	NUM(1, r->proto);
	NUM(1, r->ip_version);
	STR(ns_addr_format(&r->src, buf, sizeof(buf)));
	NUM(1, r->src_port);
	STR(ns_addr_format(&r->dst, buf, sizeof(buf)));
	NUM(1, r->dst_port);
	NUM(1, r->vlan);
	STR(ns_time_fmt_rfc3339(r->first_ns, buf, sizeof(buf)));
	STR(ns_time_fmt_rfc3339(r->last_ns, buf, sizeof(buf)));
	NUM(1, r->pkts[0]);
	NUM(1, r->pkts[1]);
	NUM(1, r->bytes[0]);
	NUM(1, r->bytes[1]);
	STR(ns_flow_end_name(r->end_reason));
	NUM(icmp, r->icmp_type);
	NUM(icmp, r->icmp_code);
	NUM(icmp && (r->flags & NS_FLOW_REC_ICMP_ECHO), r->icmp_id);
	STR(tcp ? ns_flow_tcp_state_name(r->tcp_state) : "");
	STR(tcp ? ns_flow_conn_state_name(r->conn_state) : "");
	STR(tcp ? ns_flow_tcp_flags_str(r->tcp_flags[0], buf, sizeof(buf)) : "");
	STR(tcp ? ns_flow_tcp_flags_str(r->tcp_flags[1], buf, sizeof(buf)) : "");
	NUM(tcp && (r->flags & NS_FLOW_REC_IRTT), r->rtt_handshake_us);
	NUM(syn, r->rtt_syn_synack_us);
	NUM(syn, r->rtt_synack_ack_us);
	NUM(rtt, r->rtt_min_us);
	NUM(rtt, r->rtt_avg_us);
	NUM(rtt, r->rtt_max_us);
	NUM(tcp, r->rtt_samples);
	NUM(tcp, r->retrans[0]);
	NUM(tcp, r->retrans[1]);
	NUM(tcp, r->fast_retrans);
	NUM(tcp, r->spurious_retrans);
	NUM(tcp, r->ooo[0]);
	NUM(tcp, r->ooo[1]);
	NUM(tcp, r->lost[0]);
	NUM(tcp, r->lost[1]);
	NUM(tcp, r->dupack[0]);
	NUM(tcp, r->dupack[1]);
	NUM(tcp, r->zero_window);
	NUM(tcp, r->rst[0]);
	NUM(tcp, r->rst[1]);
#undef NUM
#undef STR
	CU_ASSERT_EQUAL(k, 43);
	for (unsigned i = 0; i < k; i++) {
		n += ns_export_csv_field(f[i], line + n, len - n);
		n += (size_t)snprintf(line + n, len - n, "%s", i + 1 < k ? "," : "\r\n");
	}
	return n;
}

static void
add(json_object *o, const char *key, json_object *v)
{
	json_object_object_add_ex(o, key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW);
}

static json_object *
u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static json_object *
opt_u64(bool known, uint64_t v)
{
	return known ? json_object_new_uint64(v) : NULL;
}

static json_object *
str(const char *s)
{
	return json_object_new_string(s);
}

/* Reference JSON object: the json-c tree the exporter used to build for each record. */
static json_object *
ref_json(const struct ns_flow_record *r)
{
	json_object *o = json_object_new_object(), *t;
	char buf[64];
	bool syn = r->flags & NS_FLOW_REC_SYNACK, rtt = r->rtt_samples != 0;

	add(o, "flow_id", u64(r->flow_id));
	add(o, "proto", str(proto_str(r->proto, buf, sizeof(buf))));
	add(o, "ip_proto", u64(r->proto));
	add(o, "ip_version", u64(r->ip_version));
	add(o, "src_ip", str(ns_addr_format(&r->src, buf, sizeof(buf))));
	add(o, "src_port", u64(r->src_port));
	add(o, "dst_ip", str(ns_addr_format(&r->dst, buf, sizeof(buf))));
	add(o, "dst_port", u64(r->dst_port));
	add(o, "vlan", u64(r->vlan));
	add(o, "first_seen", str(ns_time_fmt_rfc3339(r->first_ns, buf, sizeof(buf))));
	add(o, "last_seen", str(ns_time_fmt_rfc3339(r->last_ns, buf, sizeof(buf))));
	add(o, "pkts_toserver", u64(r->pkts[0]));
	add(o, "pkts_toclient", u64(r->pkts[1]));
	add(o, "bytes_toserver", u64(r->bytes[0]));
	add(o, "bytes_toclient", u64(r->bytes[1]));
	add(o, "end_reason", str(ns_flow_end_name(r->end_reason)));
	if (r->proto == 1 || r->proto == 58) {
		t = json_object_new_object();
		add(t, "type", u64(r->icmp_type));
		add(t, "code", u64(r->icmp_code));
		add(t, "id", opt_u64(r->flags & NS_FLOW_REC_ICMP_ECHO, r->icmp_id));
		add(o, "icmp", t);
	}
	if (r->proto != 6)
		return o;
	t = json_object_new_object();
	add(t, "tcp_state", str(ns_flow_tcp_state_name(r->tcp_state)));
	add(t, "conn_state", str(ns_flow_conn_state_name(r->conn_state)));
	add(t, "flags_toserver", str(ns_flow_tcp_flags_str(r->tcp_flags[0], buf, sizeof(buf))));
	add(t, "flags_toclient", str(ns_flow_tcp_flags_str(r->tcp_flags[1], buf, sizeof(buf))));
	add(t, "midstream", json_object_new_boolean((r->flags & NS_FLOW_REC_MIDSTREAM) != 0));
	add(t, "rtt_handshake_us", opt_u64(r->flags & NS_FLOW_REC_IRTT, r->rtt_handshake_us));
	add(t, "rtt_syn_synack_us", opt_u64(syn, r->rtt_syn_synack_us));
	add(t, "rtt_synack_ack_us", opt_u64(syn, r->rtt_synack_ack_us));
	add(t, "rtt_min_us", opt_u64(rtt, r->rtt_min_us));
	add(t, "rtt_avg_us", opt_u64(rtt, r->rtt_avg_us));
	add(t, "rtt_max_us", opt_u64(rtt, r->rtt_max_us));
	add(t, "rtt_samples", u64(r->rtt_samples));
	add(t, "retrans_toserver", u64(r->retrans[0]));
	add(t, "retrans_toclient", u64(r->retrans[1]));
	add(t, "fast_retrans", u64(r->fast_retrans));
	add(t, "spurious_retrans", u64(r->spurious_retrans));
	add(t, "ooo_toserver", u64(r->ooo[0]));
	add(t, "ooo_toclient", u64(r->ooo[1]));
	add(t, "lost_toserver", u64(r->lost[0]));
	add(t, "lost_toclient", u64(r->lost[1]));
	add(t, "dupack_toserver", u64(r->dupack[0]));
	add(t, "dupack_toclient", u64(r->dupack[1]));
	add(t, "zero_window", u64(r->zero_window));
	add(t, "rst_toserver", u64(r->rst[0]));
	add(t, "rst_toclient", u64(r->rst[1]));
	add(o, "tcp", t);
	return o;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

#define NRECS 20000 /* several 64 KiB buffers in every format */

static struct ns_flow_record *
rnd_records(void)
{
	struct ns_flow_record *r = calloc(NRECS, sizeof(*r));

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (unsigned i = 0; i < NRECS; i++)
		rnd_record(&r[i]);
	max_record(&r[0], 6);
	max_record(&r[1], 1);
	return r;
}

static void
export_all(const char *path, enum ns_flow_export_format fmt, const struct ns_flow_record *r,
	   unsigned n)
{
	struct ns_flow_export *e = ns_flow_export_open(path, fmt);

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	/* both entry points: the sink in table-sized batches, then single writes */
	for (unsigned i = 0; i < n / 2; i += 64)
		CU_ASSERT_EQUAL(ns_flow_export_sink(e, r + i, NS_MIN(64u, n / 2 - i)),
				NS_MIN(64u, n / 2 - i));
	for (unsigned i = n / 2; i < n; i++)
		CU_ASSERT_EQUAL(ns_flow_export_write(e, &r[i]), 0);
	CU_ASSERT_EQUAL(ns_flow_export_written(e), n);
	CU_ASSERT_EQUAL(ns_flow_export_errors(e), 0);
	CU_ASSERT_EQUAL(ns_flow_export_close(e), 0);
}

static void
test_csv_records(void)
{
	const char *path = tmp_file(".csv");
	struct ns_flow_record *r = rnd_records();
	char *got, *want, *p;
	size_t len, n = 0, max = 0;

	export_all(path, NS_FLOW_EXPORT_CSV, r, NRECS);
	got = slurp(path, &len);
	want = malloc((size_t)NRECS * 1024);
	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	p = strstr(got, "\r\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	n = (size_t)(p + 2 - got);
	memcpy(want, got, n); /* the header, which test_flow_export.c checks */
	for (unsigned i = 0; i < NRECS; i++) {
		size_t k = ref_csv(&r[i], want + n, 1024);

		max = NS_MAX(max, k);
		n += k;
	}
	CU_ASSERT_EQUAL(len, n);
	CU_ASSERT_TRUE(memcmp(got, want, NS_MIN(len, n)) == 0);
	CU_ASSERT_TRUE(max + 64 <= EXPORT_REC_MAX);
	free(got);
	free(want);
	free(r);
	unlink(path);
}

/* JSON lines: byte-identical to json-c's text of the reference tree, and parse back equal. */
static void
test_jsonl_records(void)
{
	const char *path = tmp_file(".jsonl");
	struct ns_flow_record *r = rnd_records();
	char *got, *line;
	size_t len, max = 0;
	unsigned i = 0;

	export_all(path, NS_FLOW_EXPORT_JSONL, r, NRECS);
	got = slurp(path, &len);
	for (line = got; line < got + len && i < NRECS; i++) {
		char *nl = strchr(line, '\n');
		json_object *ref = ref_json(&r[i]), *back;
		const char *want = json_object_to_json_string_ext(ref, JSON_C_TO_STRING_PLAIN);

		CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
		*nl = '\0';
		CU_ASSERT_STRING_EQUAL(line, want);
		back = json_tokener_parse(line);
		CU_ASSERT_PTR_NOT_NULL_FATAL(back);
		CU_ASSERT_TRUE(json_object_equal(back, ref));
		max = NS_MAX(max, (size_t)(nl - line) + 1);
		json_object_put(back);
		json_object_put(ref);
		line = nl + 1;
	}
	CU_ASSERT_EQUAL(i, NRECS);
	CU_ASSERT_TRUE(line == got + len);
	CU_ASSERT_TRUE(max + 64 <= EXPORT_REC_MAX);
	free(got);
	free(r);
	unlink(path);
}

/* The JSON array: "[", objects separated by ",\n", "]" -- the whole file parses back equal. */
static void
test_json_records(void)
{
	const char *path = tmp_file(".json");
	struct ns_flow_record *r = rnd_records();
	json_object *root, *ref = json_object_new_array();
	char *got;
	size_t len;

	export_all(path, NS_FLOW_EXPORT_JSON, r, NRECS);
	got = slurp(path, &len);
	for (unsigned i = 0; i < NRECS; i++)
		json_object_array_add(ref, ref_json(&r[i]));
	root = json_tokener_parse(got);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_TRUE(json_object_equal(root, ref));
	CU_ASSERT_TRUE(len > 4 && memcmp(got, "[\n{", 3) == 0 &&
		       memcmp(got + len - 4, "}\n]\n", 4) == 0);
	json_object_put(root);
	json_object_put(ref);
	free(got);
	free(r);
	unlink(path);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	return st.st_size;
}

/*
 * The file grows by whole pieces at piece offsets, the header included; after a flush, the next
 * write ends at the next piece boundary; the content is what single writes produce.
 */
static void
test_aligned_pieces(void)
{
	const char *path = tmp_file(".csv");
	struct ns_flow_record *r = rnd_records();
	struct ns_flow_export *e = ns_flow_export_open(path, NS_FLOW_EXPORT_CSV);
	char *got, *want;
	size_t len, n = 0;
	off_t flushed = 0, size;
	unsigned pieces = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	for (unsigned i = 0; i < NRECS; i += 64) {
		ns_flow_export_sink(e, r + i, NS_MIN(64u, NRECS - i));
		size = file_size(path);
		if (size != flushed) {
			CU_ASSERT_EQUAL(size % EXPORT_CHUNK, 0);
			CU_ASSERT_TRUE(size - flushed <= (off_t)EXPORT_CHUNK);
			flushed = size;
			pieces++;
		}
		if (i == NRECS / 2) {
			CU_ASSERT_EQUAL(ns_flow_export_flush(e), 0);
			flushed = file_size(path);
			CU_ASSERT_NOT_EQUAL(flushed % EXPORT_CHUNK, 0);
		}
	}
	CU_ASSERT_TRUE(pieces > 10);
	CU_ASSERT_EQUAL(ns_flow_export_close(e), 0);
	got = slurp(path, &len);
	want = malloc((size_t)NRECS * 1024);
	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	n = (size_t)(strstr(got, "\r\n") + 2 - got);
	memcpy(want, got, n);
	for (unsigned i = 0; i < NRECS; i++)
		n += ref_csv(&r[i], want + n, 1024);
	CU_ASSERT_EQUAL(len, n);
	CU_ASSERT_TRUE(len == n && memcmp(got, want, n) == 0);
	free(got);
	free(want);
	free(r);
	unlink(path);
}

/* Limit the size of files this process writes to @n bytes (past it, writes fail: a full disk). */
static void
fsize_limit(rlim_t n, struct rlimit *old, void (**old_sig)(int))
{
	struct rlimit lim;

	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, old), 0);
	*old_sig = signal(SIGXFSZ, SIG_IGN);
	lim = *old;
	lim.rlim_cur = n;
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

static void
fsize_unlimit(const struct rlimit *old, void (*old_sig)(int))
{
	setrlimit(RLIMIT_FSIZE, old);
	signal(SIGXFSZ, old_sig);
}

/*
 * A write that stops part way (a file size limit, like a disk that fills mid-buffer): records
 * that reached the file whole count as written, the rest as errors, and the file holds exactly
 * the written ones as complete lines, the part of the record that fitted cut off again.
 */
static void
test_partial_write(void)
{
	const char *path = tmp_file(".jsonl");
	struct ns_flow_record *r = rnd_records();
	struct rlimit old;
	void (*old_sig)(int);
	struct ns_flow_export *e;
	uint64_t written, errors;
	size_t len, lines = 0;
	char *got;

	fsize_limit(100000, &old, &old_sig); /* one full buffer and part of the second */
	e = ns_flow_export_open(path, NS_FLOW_EXPORT_JSONL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	for (unsigned i = 0; i < 1000; i++)
		ns_flow_export_write(e, &r[i]);
	CU_ASSERT_TRUE(ns_flow_export_errors(e) > 0);
	CU_ASSERT_EQUAL(ns_flow_export_written(e) + ns_flow_export_errors(e), 1000);
	CU_ASSERT_EQUAL(ns_flow_export_flush(e), -EIO); /* what was still buffered is lost too */
	CU_ASSERT_EQUAL(ns_flow_export_written(e) + ns_flow_export_errors(e), 1000);
	ns_flow_export_write(e, &r[1000]);
	written = ns_flow_export_written(e) - 1; /* the last one fails at close */
	errors = ns_flow_export_errors(e);
	CU_ASSERT_NOT_EQUAL(ns_flow_export_close(e), 0);
	CU_ASSERT_EQUAL(written + errors, 1000);
	fsize_unlimit(&old, old_sig);

	/* cut back to the last whole line: no part of a lost record stays at the end */
	got = slurp(path, &len);
	CU_ASSERT_TRUE(len > 100000 - 1024 && len <= 100000);
	CU_ASSERT_TRUE(len > 0 && got[len - 1] == '\n');
	for (size_t i = 0; i < len; i++)
		lines += got[i] == '\n';
	CU_ASSERT_EQUAL(lines, written);
	CU_ASSERT_TRUE(written > 0);
	free(got);
	free(r);
	unlink(path);
}

/*
 * A write that stops part way and then room again (a disk that filled and was cleared): what
 * was lost is counted, the rest comes out in full, and no piece of a lost record follows
 * (the file's lines are exactly the records counted written).
 */
/* A UDP record whose CSV row is @extra (at most FILLER_EXTRA) bytes longer than the shortest. */
#define FILLER_EXTRA (5 * 19 + 3 * 4)
static void
filler_record(struct ns_flow_record *r, unsigned extra)
{
	uint64_t *wide[] = { &r->flow_id, &r->pkts[0], &r->pkts[1], &r->bytes[0], &r->bytes[1] };
	uint16_t *narrow[] = { &r->src_port, &r->dst_port, &r->vlan };

	memset(r, 0, sizeof(*r));
	r->proto = 17;
	r->ip_version = 4;
	r->src.b[10] = r->src.b[11] = r->dst.b[10] = r->dst.b[11] = 0xff;
	r->first_ns = r->last_ns = 1764170077ull * SEC;
	/* a field of d digits: 10^(d-1) */
	for (unsigned i = 0; i < NS_ARRAY_SIZE(wide); i++) {
		unsigned d = NS_MIN(extra, 19u);

		*wide[i] = 1;
		for (unsigned k = 0; k < d; k++)
			*wide[i] *= 10;
		extra -= d;
	}
	for (unsigned i = 0; i < NS_ARRAY_SIZE(narrow); i++) {
		unsigned d = NS_MIN(extra, 4u);

		*narrow[i] = 1;
		for (unsigned k = 0; k < d; k++)
			*narrow[i] = (uint16_t)(*narrow[i] * 10);
		extra -= d;
	}
	CU_ASSERT_EQUAL(extra, 0);
}

/*
 * A row that ends exactly where a piece does leaves with that piece: when the next piece's
 * write fails, the row is counted written and the file holds it whole.
 */
static void
test_piece_boundary(void)
{
	const char *path = tmp_file(".csv");
	struct ns_flow_record *r = rnd_records();
	struct ns_flow_export *e = ns_flow_export_open(path, NS_FLOW_EXPORT_CSV);
	struct ns_flow_record f;
	struct rlimit old;
	void (*old_sig)(int);
	char line[1024];
	size_t len, lines = 0, rem, shortest;
	unsigned i = 0, rows, k;
	char *got;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL_FATAL(ns_flow_export_flush(e), 0);
	rem = EXPORT_CHUNK - (size_t)file_size(path); /* after the header */
	filler_record(&f, 0);
	shortest = ref_csv(&f, line, sizeof(line));
	/* random rows, then as many fillers as it takes to end exactly at the piece's end */
	while (rem > 4 * (shortest + FILLER_EXTRA))
		rem -= ref_csv(&r[i++], line, sizeof(line));
	k = (unsigned)((rem + shortest + FILLER_EXTRA - 1) / (shortest + FILLER_EXTRA));
	CU_ASSERT_FATAL(k * shortest <= rem);
	rem -= k * shortest;
	for (unsigned j = 0; j < k; j++, i++) {
		unsigned extra = (unsigned)NS_MIN(rem, (size_t)FILLER_EXTRA);

		filler_record(&r[i], extra);
		CU_ASSERT_EQUAL(ref_csv(&r[i], line, sizeof(line)), shortest + extra);
		rem -= extra;
	}
	CU_ASSERT_EQUAL_FATAL(rem, 0);
	rows = i;

	/* the file may grow to the piece's end: the next piece's write fails */
	fsize_limit(EXPORT_CHUNK, &old, &old_sig);
	for (i = 0; i < rows + 2000; i += 64)
		ns_flow_export_sink(e, r + i, 64);
	CU_ASSERT_TRUE(ns_flow_export_errors(e) > 0);
	CU_ASSERT_EQUAL(ns_flow_export_flush(e), -EIO);
	CU_ASSERT_EQUAL(ns_flow_export_written(e), rows);
	CU_ASSERT_EQUAL(ns_flow_export_written(e) + ns_flow_export_errors(e), i);
	ns_flow_export_close(e);
	fsize_unlimit(&old, old_sig);

	got = slurp(path, &len);
	CU_ASSERT_EQUAL(len, EXPORT_CHUNK);
	for (size_t j = 0; j < len; j++)
		lines += got[j] == '\n';
	CU_ASSERT_EQUAL(lines, rows + 1); /* and the header */
	CU_ASSERT_TRUE(len >= 2 && memcmp(got + len - 2, "\r\n", 2) == 0);
	free(got);
	free(r);
	unlink(path);
}

/*
 * On ext4 the exporter reserves the file's blocks ahead of the pieces it writes, and gives back
 * at close what lies past the end: the file then holds no more blocks than its size needs.
 * Elsewhere nothing is reserved, and the same holds.
 */
static void
test_reserved_blocks(void)
{
	const char *path = tmp_file(".csv");
	struct ns_flow_record *r = rnd_records();
	struct ns_flow_export *e = ns_flow_export_open(path, NS_FLOW_EXPORT_CSV);
	struct statfs sf;
	struct stat st;
	bool ext4;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL_FATAL(statfs(path, &sf), 0);
	ext4 = sf.f_type == EXT4_SUPER_MAGIC;
	for (unsigned i = 0; i < 640; i += 64)
		ns_flow_export_sink(e, r + i, 64);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_TRUE(st.st_size > 0 && st.st_size % EXPORT_CHUNK == 0);
	if (ext4) /* a step reserved ahead of the pieces */
		CU_ASSERT_TRUE((uint64_t)st.st_blocks * 512 >= (uint64_t)st.st_size + EXPORT_CHUNK);
	for (unsigned i = 640; i < NRECS; i += 64)
		ns_flow_export_sink(e, r + i, NS_MIN(64u, NRECS - i));
	CU_ASSERT_EQUAL(ns_flow_export_close(e), 0);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_TRUE(st.st_size > 4 * (1 << 20));
	/* its 4 KiB blocks, and a few for the extent tree */
	CU_ASSERT_TRUE((uint64_t)st.st_blocks * 512 <= ((uint64_t)st.st_size | 4095) + 1 + 65536);
	free(r);
	unlink(path);
}

static void
test_write_resumes(void)
{
	const char *path = tmp_file(".jsonl");
	struct ns_flow_record *r = rnd_records();
	struct rlimit old;
	void (*old_sig)(int);
	struct ns_flow_export *e;
	unsigned i = 0, parsed = 0;
	size_t len, lines = 0;
	uint64_t written;
	char *got, *line;

	fsize_limit(100000, &old, &old_sig); /* part way into the second piece */
	e = ns_flow_export_open(path, NS_FLOW_EXPORT_JSONL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	while (ns_flow_export_errors(e) == 0 && i < NRECS)
		ns_flow_export_write(e, &r[i++]);
	fsize_unlimit(&old, old_sig);
	CU_ASSERT_TRUE(ns_flow_export_errors(e) > 0);
	for (unsigned k = 0; k < 1000; k++, i++)
		CU_ASSERT_EQUAL(ns_flow_export_write(e, &r[i]), 0);
	written = ns_flow_export_written(e);
	CU_ASSERT_EQUAL(written + ns_flow_export_errors(e), i);
	CU_ASSERT_EQUAL(ns_flow_export_close(e), 0);

	got = slurp(path, &len);
	CU_ASSERT_TRUE(len > 100000);
	for (line = got; line < got + len;) {
		char *nl = memchr(line, '\n', (size_t)(got + len - line));
		json_object *o;

		CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
		*nl = '\0';
		o = json_tokener_parse(line);
		parsed += o != NULL;
		json_object_put(o);
		lines++;
		line = nl + 1;
	}
	CU_ASSERT_EQUAL(lines, written);
	/* only the line the cut record's head ran into is broken */
	CU_ASSERT_TRUE(parsed + 1 >= lines);
	free(got);
	free(r);
	unlink(path);
}

/*
 * A first write that fails before the header is whole (a full disk at start) loses its records
 * but not the header: once the disk has room again, the file is a CSV with its header line, or
 * a JSON array without a stray comma, holding exactly the records written after.
 */
static void
test_header_kept(void)
{
	struct ns_flow_record *r = rnd_records();

	for (unsigned f = 0; f < 2; f++) {
		const enum ns_flow_export_format fmt = f ? NS_FLOW_EXPORT_JSON : NS_FLOW_EXPORT_CSV;
		const char *path = tmp_file(f ? ".json" : ".csv");
		void (*old_sig)(int);
		struct ns_flow_export *e;
		struct rlimit old;
		size_t len, lines = 0;
		char *got;

		fsize_limit(10, &old, &old_sig);
		e = ns_flow_export_open(path, fmt);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		for (unsigned i = 0; i < 50; i++)
			ns_flow_export_write(e, &r[i]);
		CU_ASSERT_EQUAL(ns_flow_export_flush(e), -EIO);
		fsize_unlimit(&old, old_sig);
		CU_ASSERT_EQUAL(ns_flow_export_written(e), 0);
		CU_ASSERT_EQUAL(ns_flow_export_errors(e), 50);
		for (unsigned i = 50; i < 55; i++)
			CU_ASSERT_EQUAL(ns_flow_export_write(e, &r[i]), 0);
		CU_ASSERT_EQUAL(ns_flow_export_close(e), 0);

		got = slurp(path, &len);
		if (fmt == NS_FLOW_EXPORT_CSV) {
			CU_ASSERT_TRUE(len > strlen("flow_id,") &&
				       memcmp(got, "flow_id,proto,", 14) == 0);
			for (size_t i = 0; i < len; i++)
				lines += got[i] == '\n';
			CU_ASSERT_EQUAL(lines, 1 + 5);
		} else {
			json_object *root = json_tokener_parse(got), *ref = json_object_new_array();

			for (unsigned i = 50; i < 55; i++)
				json_object_array_add(ref, ref_json(&r[i]));
			CU_ASSERT_PTR_NOT_NULL(root);
			CU_ASSERT_TRUE(root != NULL && json_object_equal(root, ref));
			json_object_put(root);
			json_object_put(ref);
		}
		free(got);
		unlink(path);
	}
	free(r);
}

/*
 * Standard output is never cut back: it may be a file the shell opened for appending
 * (">> flows.jsonl"), and the exporter's offsets count from where it began, not from the
 * file's start. Earlier runs' lines and this run's whole records stay.
 */
static void
test_stdout_not_cut(void)
{
	static const char line[] = "{\"an earlier run's record\":1}\n";
	const size_t before = 1000 * (sizeof(line) - 1);
	const char *path = tmp_file(".jsonl");
	struct ns_flow_record *r = rnd_records();
	void (*old_sig)(int);
	struct ns_flow_export *e;
	struct rlimit old;
	int fd, saved;
	size_t len;
	char *got;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	for (unsigned i = 0; i < 1000; i++)
		CU_ASSERT_EQUAL_FATAL(write(fd, line, sizeof(line) - 1), (ssize_t)sizeof(line) - 1);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	CU_ASSERT_TRUE_FATAL(saved >= 0 && dup2(fd, STDOUT_FILENO) == STDOUT_FILENO);
	close(fd);

	/* room for a few records of this run, then the disk is full */
	fsize_limit(before + 3000, &old, &old_sig);
	e = ns_flow_export_open("-", NS_FLOW_EXPORT_JSONL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	for (unsigned i = 0; i < 500; i++)
		ns_flow_export_write(e, &r[i]);
	ns_flow_export_flush(e);
	CU_ASSERT_TRUE(ns_flow_export_errors(e) > 0);
	ns_flow_export_close(e);
	__fpurge(stdout); /* what stdio still holds of the failed records */
	clearerr(stdout);
	fsize_unlimit(&old, old_sig);
	dup2(saved, STDOUT_FILENO);
	close(saved);

	got = slurp(path, &len);
	CU_ASSERT_TRUE(len > before && len <= before + 3000);
	for (size_t i = 0; i + sizeof(line) - 1 <= before && i < len; i += sizeof(line) - 1)
		CU_ASSERT_FATAL(memcmp(got + i, line, sizeof(line) - 1) == 0);
	free(got);
	free(r);
	unlink(path);
}

/* A record longer than the file's snaplen is cut to it; its wire length is never below it. */
static void
test_pcap_snaplen(void)
{
	const char *path = tmp_file(".pcap");
	struct ns_pcap_writer *w = ns_pcap_writer_open(path, 1, 64, false);
	uint8_t frame[100] = { 0 }, *got;
	uint32_t rec[4];
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(ns_pcap_writer_write(w, 1000000000ull, frame, 100, 100), 0);
	CU_ASSERT_EQUAL(ns_pcap_writer_write(w, 2000000000ull, frame, 40, 20), 0);
	CU_ASSERT_EQUAL(ns_pcap_writer_close(w), 0);
	got = (uint8_t *)slurp(path, &len);
	CU_ASSERT_EQUAL_FATAL(len, 24 + 16 + 64 + 16 + 40);
	memcpy(rec, got + 24, sizeof(rec));
	CU_ASSERT_EQUAL(rec[2], 64);
	CU_ASSERT_EQUAL(rec[3], 100);
	memcpy(rec, got + 24 + 16 + 64, sizeof(rec));
	CU_ASSERT_EQUAL(rec[2], 40);
	CU_ASSERT_EQUAL(rec[3], 40);
	free(got);
	unlink(path);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_u64),
	NS_TEST(test_rfc3339),
	NS_TEST(test_addr),
	NS_TEST(test_octet_tables),
	NS_TEST(test_csv_quote_all),
	NS_TEST(test_csv_records),
	NS_TEST(test_jsonl_records),
	NS_TEST(test_json_records),
	NS_TEST(test_aligned_pieces),
	NS_TEST(test_partial_write),
	NS_TEST(test_write_resumes),
	NS_TEST(test_piece_boundary),
	NS_TEST(test_reserved_blocks),
	NS_TEST(test_header_kept),
	NS_TEST(test_stdout_not_cut),
	NS_TEST(test_pcap_snaplen),
};

NS_TEST_MAIN("export_fmt", cases)
