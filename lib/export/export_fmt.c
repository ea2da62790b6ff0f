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

static inline unsigned
u64_digits(uint64_t v)
{
	unsigned n = 1;

	for (;;) {
		if (v < 10)
			return n;
		if (v < 100)
			return n + 1;
		if (v < 1000)
			return n + 2;
		if (v < 10000)
			return n + 3;
		v /= 10000;
		n += 4;
	}
}

char *
fmt_u64_long(char *p, uint64_t v)
{
	unsigned n = u64_digits(v);
	char *end = p + n, *q = end;

	while (v >= 100) {
		q -= 2;
		memcpy(q, digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(q - 2, digits2 + 2 * v, 2);
	else
		q[-1] = (char)('0' + v);
	return end;
}

static inline char *
put_octet(char *p, unsigned v)
{
	if (v >= 100) {
		*p++ = (char)('0' + v / 100);
		return put2(p, v % 100);
	}
	if (v >= 10)
		return put2(p, v);
	*p++ = (char)('0' + v);
	return p;
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
