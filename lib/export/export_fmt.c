/* SPDX-License-Identifier: MIT */
/*
 * Integer, address and timestamp text for the flow exporter without libc formatting: two
 * digits per division from a table, IPv6 zero-run compression done here rather than by
 * inet_ntop, and the calendar date computed once per day (Howard Hinnant's civil_from_days,
 * exact for the proleptic Gregorian calendar). export_priv.h says what each one matches.
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

/* Digits of @v >= 100 (32-bit: most counters; a comparison chain beats a loop of divisions). */
static inline unsigned
u32_digits(uint32_t v)
{
	if (v < 10000)
		return v < 1000 ? 3 : 4;
	if (v < 1000000)
		return v < 100000 ? 5 : 6;
	if (v < 100000000)
		return v < 10000000 ? 7 : 8;
	return v < 1000000000 ? 9 : 10;
}

/* Write the digits of @v (32-bit arithmetic, two digits per step) so that they end at @end. */
static inline void
put_u32_back(char *end, uint32_t v)
{
	while (v >= 100) {
		end -= 2;
		memcpy(end, digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(end - 2, digits2 + 2 * v, 2);
	else
		end[-1] = (char)('0' + v);
}

char *
fmt_u64_long(char *p, uint64_t v)
{
	unsigned n;

	if (v <= UINT32_MAX) {
		n = u32_digits((uint32_t)v);
		put_u32_back(p + n, (uint32_t)v);
		return p + n;
	}
	/* 10 to 20 digits: the low eight, zero-padded, in 32-bit steps, then the rest */
	{
		uint64_t hi = v / 100000000;
		uint32_t lo = (uint32_t)(v % 100000000);
		char *q;

		p = fmt_u64(p, hi);
		q = p + 8;
		for (unsigned i = 0; i < 4; i++) {
			q -= 2;
			memcpy(q, digits2 + 2 * (lo % 100), 2);
			lo /= 100;
		}
		return p + 8;
	}
}

/* Each octet value as text: up to three digits, then the count of digits in the last byte. */
static const char octets[256][4] = {
	{ '0', 0, 0, 1 },     { '1', 0, 0, 1 },     { '2', 0, 0, 1 },     { '3', 0, 0, 1 },
	{ '4', 0, 0, 1 },     { '5', 0, 0, 1 },     { '6', 0, 0, 1 },     { '7', 0, 0, 1 },
	{ '8', 0, 0, 1 },     { '9', 0, 0, 1 },     { '1', '0', 0, 2 },   { '1', '1', 0, 2 },
	{ '1', '2', 0, 2 },   { '1', '3', 0, 2 },   { '1', '4', 0, 2 },   { '1', '5', 0, 2 },
	{ '1', '6', 0, 2 },   { '1', '7', 0, 2 },   { '1', '8', 0, 2 },   { '1', '9', 0, 2 },
	{ '2', '0', 0, 2 },   { '2', '1', 0, 2 },   { '2', '2', 0, 2 },   { '2', '3', 0, 2 },
	{ '2', '4', 0, 2 },   { '2', '5', 0, 2 },   { '2', '6', 0, 2 },   { '2', '7', 0, 2 },
	{ '2', '8', 0, 2 },   { '2', '9', 0, 2 },   { '3', '0', 0, 2 },   { '3', '1', 0, 2 },
	{ '3', '2', 0, 2 },   { '3', '3', 0, 2 },   { '3', '4', 0, 2 },   { '3', '5', 0, 2 },
	{ '3', '6', 0, 2 },   { '3', '7', 0, 2 },   { '3', '8', 0, 2 },   { '3', '9', 0, 2 },
	{ '4', '0', 0, 2 },   { '4', '1', 0, 2 },   { '4', '2', 0, 2 },   { '4', '3', 0, 2 },
	{ '4', '4', 0, 2 },   { '4', '5', 0, 2 },   { '4', '6', 0, 2 },   { '4', '7', 0, 2 },
	{ '4', '8', 0, 2 },   { '4', '9', 0, 2 },   { '5', '0', 0, 2 },   { '5', '1', 0, 2 },
	{ '5', '2', 0, 2 },   { '5', '3', 0, 2 },   { '5', '4', 0, 2 },   { '5', '5', 0, 2 },
	{ '5', '6', 0, 2 },   { '5', '7', 0, 2 },   { '5', '8', 0, 2 },   { '5', '9', 0, 2 },
	{ '6', '0', 0, 2 },   { '6', '1', 0, 2 },   { '6', '2', 0, 2 },   { '6', '3', 0, 2 },
	{ '6', '4', 0, 2 },   { '6', '5', 0, 2 },   { '6', '6', 0, 2 },   { '6', '7', 0, 2 },
	{ '6', '8', 0, 2 },   { '6', '9', 0, 2 },   { '7', '0', 0, 2 },   { '7', '1', 0, 2 },
	{ '7', '2', 0, 2 },   { '7', '3', 0, 2 },   { '7', '4', 0, 2 },   { '7', '5', 0, 2 },
	{ '7', '6', 0, 2 },   { '7', '7', 0, 2 },   { '7', '8', 0, 2 },   { '7', '9', 0, 2 },
	{ '8', '0', 0, 2 },   { '8', '1', 0, 2 },   { '8', '2', 0, 2 },   { '8', '3', 0, 2 },
	{ '8', '4', 0, 2 },   { '8', '5', 0, 2 },   { '8', '6', 0, 2 },   { '8', '7', 0, 2 },
	{ '8', '8', 0, 2 },   { '8', '9', 0, 2 },   { '9', '0', 0, 2 },   { '9', '1', 0, 2 },
	{ '9', '2', 0, 2 },   { '9', '3', 0, 2 },   { '9', '4', 0, 2 },   { '9', '5', 0, 2 },
	{ '9', '6', 0, 2 },   { '9', '7', 0, 2 },   { '9', '8', 0, 2 },   { '9', '9', 0, 2 },
	{ '1', '0', '0', 3 }, { '1', '0', '1', 3 }, { '1', '0', '2', 3 }, { '1', '0', '3', 3 },
	{ '1', '0', '4', 3 }, { '1', '0', '5', 3 }, { '1', '0', '6', 3 }, { '1', '0', '7', 3 },
	{ '1', '0', '8', 3 }, { '1', '0', '9', 3 }, { '1', '1', '0', 3 }, { '1', '1', '1', 3 },
	{ '1', '1', '2', 3 }, { '1', '1', '3', 3 }, { '1', '1', '4', 3 }, { '1', '1', '5', 3 },
	{ '1', '1', '6', 3 }, { '1', '1', '7', 3 }, { '1', '1', '8', 3 }, { '1', '1', '9', 3 },
	{ '1', '2', '0', 3 }, { '1', '2', '1', 3 }, { '1', '2', '2', 3 }, { '1', '2', '3', 3 },
	{ '1', '2', '4', 3 }, { '1', '2', '5', 3 }, { '1', '2', '6', 3 }, { '1', '2', '7', 3 },
	{ '1', '2', '8', 3 }, { '1', '2', '9', 3 }, { '1', '3', '0', 3 }, { '1', '3', '1', 3 },
	{ '1', '3', '2', 3 }, { '1', '3', '3', 3 }, { '1', '3', '4', 3 }, { '1', '3', '5', 3 },
	{ '1', '3', '6', 3 }, { '1', '3', '7', 3 }, { '1', '3', '8', 3 }, { '1', '3', '9', 3 },
	{ '1', '4', '0', 3 }, { '1', '4', '1', 3 }, { '1', '4', '2', 3 }, { '1', '4', '3', 3 },
	{ '1', '4', '4', 3 }, { '1', '4', '5', 3 }, { '1', '4', '6', 3 }, { '1', '4', '7', 3 },
	{ '1', '4', '8', 3 }, { '1', '4', '9', 3 }, { '1', '5', '0', 3 }, { '1', '5', '1', 3 },
	{ '1', '5', '2', 3 }, { '1', '5', '3', 3 }, { '1', '5', '4', 3 }, { '1', '5', '5', 3 },
	{ '1', '5', '6', 3 }, { '1', '5', '7', 3 }, { '1', '5', '8', 3 }, { '1', '5', '9', 3 },
	{ '1', '6', '0', 3 }, { '1', '6', '1', 3 }, { '1', '6', '2', 3 }, { '1', '6', '3', 3 },
	{ '1', '6', '4', 3 }, { '1', '6', '5', 3 }, { '1', '6', '6', 3 }, { '1', '6', '7', 3 },
	{ '1', '6', '8', 3 }, { '1', '6', '9', 3 }, { '1', '7', '0', 3 }, { '1', '7', '1', 3 },
	{ '1', '7', '2', 3 }, { '1', '7', '3', 3 }, { '1', '7', '4', 3 }, { '1', '7', '5', 3 },
	{ '1', '7', '6', 3 }, { '1', '7', '7', 3 }, { '1', '7', '8', 3 }, { '1', '7', '9', 3 },
	{ '1', '8', '0', 3 }, { '1', '8', '1', 3 }, { '1', '8', '2', 3 }, { '1', '8', '3', 3 },
	{ '1', '8', '4', 3 }, { '1', '8', '5', 3 }, { '1', '8', '6', 3 }, { '1', '8', '7', 3 },
	{ '1', '8', '8', 3 }, { '1', '8', '9', 3 }, { '1', '9', '0', 3 }, { '1', '9', '1', 3 },
	{ '1', '9', '2', 3 }, { '1', '9', '3', 3 }, { '1', '9', '4', 3 }, { '1', '9', '5', 3 },
	{ '1', '9', '6', 3 }, { '1', '9', '7', 3 }, { '1', '9', '8', 3 }, { '1', '9', '9', 3 },
	{ '2', '0', '0', 3 }, { '2', '0', '1', 3 }, { '2', '0', '2', 3 }, { '2', '0', '3', 3 },
	{ '2', '0', '4', 3 }, { '2', '0', '5', 3 }, { '2', '0', '6', 3 }, { '2', '0', '7', 3 },
	{ '2', '0', '8', 3 }, { '2', '0', '9', 3 }, { '2', '1', '0', 3 }, { '2', '1', '1', 3 },
	{ '2', '1', '2', 3 }, { '2', '1', '3', 3 }, { '2', '1', '4', 3 }, { '2', '1', '5', 3 },
	{ '2', '1', '6', 3 }, { '2', '1', '7', 3 }, { '2', '1', '8', 3 }, { '2', '1', '9', 3 },
	{ '2', '2', '0', 3 }, { '2', '2', '1', 3 }, { '2', '2', '2', 3 }, { '2', '2', '3', 3 },
	{ '2', '2', '4', 3 }, { '2', '2', '5', 3 }, { '2', '2', '6', 3 }, { '2', '2', '7', 3 },
	{ '2', '2', '8', 3 }, { '2', '2', '9', 3 }, { '2', '3', '0', 3 }, { '2', '3', '1', 3 },
	{ '2', '3', '2', 3 }, { '2', '3', '3', 3 }, { '2', '3', '4', 3 }, { '2', '3', '5', 3 },
	{ '2', '3', '6', 3 }, { '2', '3', '7', 3 }, { '2', '3', '8', 3 }, { '2', '3', '9', 3 },
	{ '2', '4', '0', 3 }, { '2', '4', '1', 3 }, { '2', '4', '2', 3 }, { '2', '4', '3', 3 },
	{ '2', '4', '4', 3 }, { '2', '4', '5', 3 }, { '2', '4', '6', 3 }, { '2', '4', '7', 3 },
	{ '2', '4', '8', 3 }, { '2', '4', '9', 3 }, { '2', '5', '0', 3 }, { '2', '5', '1', 3 },
	{ '2', '5', '2', 3 }, { '2', '5', '3', 3 }, { '2', '5', '4', 3 }, { '2', '5', '5', 3 },
};

static inline char *
put_octet(char *p, unsigned v)
{
	/* one 4-byte copy; what lands past the digits is overwritten by the next write */
	memcpy(p, octets[v], 4);
	return p + octets[v][3];
}

static char *
put_v4(char *p, const uint8_t b[4])
{
	p = put_octet(p, b[0]);
	*p++ = '.';
	p = put_octet(p, b[1]);
	*p++ = '.';
	p = put_octet(p, b[2]);
	*p++ = '.';
	return put_octet(p, b[3]);
}

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
fmt_addr(char *p, const struct ns_addr *a)
{
	unsigned w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;

	if (ns_addr_is_v4(a))
		return put_v4(p, a->b + 12);
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
			return put_v4(p, a->b + 12);
		p = put_hex16(p, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return p;
}

void
fmt_day_cache_init(struct fmt_day_cache *c)
{
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

char *
fmt_rfc3339(struct fmt_day_cache *c, char *p, uint64_t ts_ns)
{
	uint64_t sec = ts_ns / NS_NSEC_PER_SEC;
	unsigned usec = (unsigned)(ts_ns % NS_NSEC_PER_SEC / NS_NSEC_PER_USEC);
	uint64_t day = sec / 86400;
	unsigned s = (unsigned)(sec % 86400);

	if (day != c->day) {
		day_text(day, c->date);
		c->day = day;
	}
	memcpy(p, c->date, 11);
	p = put2(p + 11, s / 3600);
	*p++ = ':';
	p = put2(p, s / 60 % 60);
	*p++ = ':';
	p = put2(p, s % 60);
	*p++ = '.';
	p = put2(p, usec / 10000);
	p = put2(p, usec / 100 % 100);
	p = put2(p, usec % 100);
	*p++ = 'Z';
	return p;
}
