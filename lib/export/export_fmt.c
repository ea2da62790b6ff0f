/* SPDX-License-Identifier: MIT */
/*
 * The out-of-line halves of the exporter's formatters (export_priv.h has the inline common
 * cases) and their tables: numbers of ten digits and more, IPv6 text with RFC 5952 zero-run
 * compression done here rather than by inet_ntop, and the text of a new second, its calendar
 * date computed once per day (Howard Hinnant's civil_from_days, exact for the proleptic
 * Gregorian calendar).
 */
#include <string.h>

#include "export_priv.h"
#include "ns_core.h"

static const char digits2[201] = "00010203040506070809"
				 "10111213141516171819"
				 "20212223242526272829"
				 "30313233343536373839"
				 "40414243444546474849"
				 "50515253545556575859"
				 "60616263646566676869"
				 "70717273747576777879"
				 "80818283848586878889"
				 "90919293949596979899";

static inline char *
put2(char *p, unsigned v)
{
	memcpy(p, digits2 + 2 * v, 2);
	return p + 2;
}

char *
fmt_u64_long(char *p, uint64_t v)
{
	/* 9 to 20 digits: the leading 1-4 (or 1-8) without zeros, then zero-padded groups of 8 */
	if (v >= 10000000000000000ull) {
		uint64_t rest = v % 10000000000000000ull;

		p = fmt_u32_short(p, (uint32_t)(v / 10000000000000000ull));
		p = fmt_u32_pad8(p, (uint32_t)(rest / 100000000));
		return fmt_u32_pad8(p, (uint32_t)(rest % 100000000));
	}
	p = fmt_u32_short(p, (uint32_t)(v / 100000000));
	return fmt_u32_pad8(p, (uint32_t)(v % 100000000));
}

/* The digits of @n < 1000 without leading zeros, then their count. */
#define D3(n)                                                    \
	{                                                        \
		(char)('0' + ((n) >= 100  ? (n) / 100            \
			      : (n) >= 10 ? (n) / 10             \
					  : (n))),               \
			(char)((n) >= 100  ? '0' + (n) / 10 % 10 \
			       : (n) >= 10 ? '0' + (n) % 10      \
					   : 0),                 \
			(char)((n) >= 100 ? '0' + (n) % 10 : 0), \
			(char)((n) >= 100  ? 3                   \
			       : (n) >= 10 ? 2                   \
					   : 1)                  \
	}
#define X10(X, n)                                                                             \
	X(n), X(n + 1), X(n + 2), X(n + 3), X(n + 4), X(n + 5), X(n + 6), X(n + 7), X(n + 8), \
		X(n + 9)
#define X100(X, n)                                                                                 \
	X10(X, n), X10(X, n + 10), X10(X, n + 20), X10(X, n + 30), X10(X, n + 40), X10(X, n + 50), \
		X10(X, n + 60), X10(X, n + 70), X10(X, n + 80), X10(X, n + 90)
#define X1000(X)                                                                          \
	X100(X, 0), X100(X, 100), X100(X, 200), X100(X, 300), X100(X, 400), X100(X, 500), \
		X100(X, 600), X100(X, 700), X100(X, 800), X100(X, 900)

/* The same, then CSV's comma (no room left for the count: it is fmt_d3's). */
#define D3C(n)                                                   \
	{                                                        \
		(char)('0' + ((n) >= 100  ? (n) / 100            \
			      : (n) >= 10 ? (n) / 10             \
					  : (n))),               \
			(char)((n) >= 100  ? '0' + (n) / 10 % 10 \
			       : (n) >= 10 ? '0' + (n) % 10      \
					   : ','),               \
			(char)((n) >= 100  ? '0' + (n) % 10      \
			       : (n) >= 10 ? ','                 \
					   : 0),                 \
			(char)((n) >= 100 ? ',' : 0)             \
	}
#define D3PAD(n)                                                                                  \
	{                                                                                         \
		(char)('0' + (n) / 100), (char)('0' + (n) / 10 % 10), (char)('0' + (n) % 10), ',' \
	}

/* An octet @n, then @sep, as fmt_oct_dot and fmt_oct_comma hold it. */
#define OCT_C0(n) ((uint64_t)('0' + ((n) >= 100 ? (n) / 100 : (n) >= 10 ? (n) / 10 : (n))))
#define OCT_C1(n, sep) \
	((uint64_t)((n) >= 100 ? '0' + (n) / 10 % 10 : (n) >= 10 ? '0' + (n) % 10 : (sep)))
#define OCT_C2(n, sep) ((uint64_t)((n) >= 100 ? '0' + (n) % 10 : (n) >= 10 ? (sep) : 0))
#define OCT_C3(n, sep) ((uint64_t)((n) >= 100 ? (sep) : 0))
#define OCT_LEN(n) ((uint64_t)((n) >= 100 ? 4 : (n) >= 10 ? 3 : 2))
#define OCT(n, sep)                                                                      \
	(OCT_C0(n) | OCT_C1(n, sep) << 8 | OCT_C2(n, sep) << 16 | OCT_C3(n, sep) << 24 | \
	 OCT_LEN(n) << 32)
#define OCT_DOT(n) OCT(n, '.')
#define OCT_COMMA(n) OCT(n, ',')
#define X256(X)                                                                                    \
	X100(X, 0), X100(X, 100), X10(X, 200), X10(X, 210), X10(X, 220), X10(X, 230), X10(X, 240), \
		X(250), X(251), X(252), X(253), X(254), X(255)

const char fmt_d3[1000][4] = { X1000(D3) };
const uint64_t fmt_oct_dot[256] = { X256(OCT_DOT) };
const uint64_t fmt_oct_comma[256] = { X256(OCT_COMMA) };
const char fmt_d3pad[1000][4] = { X1000(D3PAD) };
const char fmt_d3c[1000][4] = { X1000(D3C) };

/* One group in lowercase hex without leading zeros (RFC 5952 section 4.1 and 4.3). */
static inline char *
put_hex16(char *p, unsigned w)
{
	static const char hex[16] = "0123456789abcdef";

	if (w >= 0x1000)
		*p++ = hex[w >> 12];
	if (w >= 0x100)
		*p++ = hex[(w >> 8) & 0xf];
	if (w >= 0x10)
		*p++ = hex[(w >> 4) & 0xf];
	*p++ = hex[w & 0xf];
	return p;
}

char *
fmt_addr_v6(char *p, const struct ns_addr *a)
{
	unsigned w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;

	for (unsigned i = 0; i < 8; i++)
		w[i] = (unsigned)a->b[2 * i] << 8 | a->b[2 * i + 1];
	/* RFC 5952 section 4.2: the longest run of zero groups, the first of equal ones, is
	 * "::"; a single zero group is not shortened. Same scan as glibc's inet_ntop6. */
	for (int i = 0; i < 8; i++) {
		if (w[i] == 0) {
			if (cur < 0) {
				cur = i;
				cur_len = 0;
			}
			cur_len++;
			continue;
		}
		if (cur >= 0 && cur_len > best_len) {
			best = cur;
			best_len = cur_len;
		}
		cur = -1;
	}
	if (cur >= 0 && cur_len > best_len) {
		best = cur;
		best_len = cur_len;
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		/* IPv4-compatible (::a.b.c.d) and -mapped (::ffff:a.b.c.d) keep the dotted quad,
		 * as inet_ntop writes them */
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return fmt_v4(p, a->b + 12);
		p = put_hex16(p, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return p;
}

void
fmt_ts_cache_init(struct fmt_ts_cache *c)
{
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < FMT_TS_SLOTS; i++)
		c->slot[i].sec = UINT64_MAX;
	c->day = UINT64_MAX;
}

/* Days since 1970-01-01 to "YYYY-MM-DDT" (civil_from_days; years below 10000). */
static void
day_text(uint64_t days, char out[11])
{
	uint64_t z = days + 719468;
	uint64_t era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097); /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* [0, 365], from March 1 */
	unsigned mp = (5 * doy + 2) / 153; /* [0, 11], March = 0 */
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	unsigned y = (unsigned)(yoe + era * 400) + (m <= 2);

	put2(out, y / 100 % 100);
	put2(out + 2, y % 100);
	out[4] = '-';
	put2(out + 5, m);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = 'T';
}

void
fmt_ts_cache_fill(struct fmt_ts_cache *c, struct fmt_ts_slot *slot, uint64_t sec)
{
	uint64_t day = sec / 86400;
	unsigned s = (unsigned)(sec % 86400);
	char *p = slot->text + 11;

	if (day != c->day) {
		day_text(day, c->date);
		c->day = day;
	}
	memcpy(slot->text, c->date, 11);
	p = put2(p, s / 3600);
	*p++ = ':';
	p = put2(p, s / 60 % 60);
	*p++ = ':';
	p = put2(p, s % 60);
	*p = '.';
	slot->sec = sec;
}
