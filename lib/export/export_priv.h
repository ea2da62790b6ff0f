/* SPDX-License-Identifier: MIT */
/*
 * Text formatters of the flow exporter, internal to lib/export. The exporter runs about fifty
 * of them per record, so none goes through snprintf, strftime or inet_ntop: each appends to a
 * buffer the caller has sized (the *_MAX constants) and returns the new end. Their output is
 * byte for byte that of the libc-based helpers they replace (ns_addr_format,
 * ns_time_fmt_rfc3339, "%llu"); tests/unit/export/test_export_fmt.c holds them to that.
 */
#ifndef EXPORT_PRIV_H
#define EXPORT_PRIV_H

#include <stdint.h>

#include "ns_proto.h"

/* Longest outputs, NUL not included. */
#define FMT_U64_MAX 20 /* UINT64_MAX = 18446744073709551615 */
#define FMT_ADDR_MAX 45 /* INET6_ADDRSTRLEN - 1: ffff:...:ffff or ::ffff:255.255.255.255 */
#define FMT_RFC3339_LEN                                                          \
	27 /* 2026-11-26T15:34:37.763603Z (years stay 4 digits: 2^64 ns is 2554) \
	    */

/** fmt_u64() for @v >= 100. */
char *fmt_u64_long(char *p, uint64_t v);

/**
 * Append @v in decimal, as "%llu" would. Returns the end of the digits. Inline for the one- and
 * two-digit values most counters of a record hold.
 */
static inline char *
fmt_u64(char *p, uint64_t v)
{
	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	if (v < 100) {
		p[0] = (char)('0' + v / 10);
		p[1] = (char)('0' + v % 10);
		return p + 2;
	}
	return fmt_u64_long(p, v);
}

/**
 * Append @a as ns_addr_format() does: dotted quad for IPv4-mapped addresses, else glibc
 * inet_ntop's RFC 5952 text (lowercase, longest run of two or more zero groups as "::", the
 * first of equal runs, ::a.b.c.d for IPv4-compatible addresses). Returns the end; may write up
 * to 3 bytes past it, never more than FMT_ADDR_MAX + 1 bytes in all.
 */
char *fmt_addr(char *p, const struct ns_addr *a);

/*
 * The date of the last timestamp formatted: records of one capture mostly share a day, so the
 * calendar arithmetic runs once per day, not per field. One per stream of timestamps.
 */
struct fmt_day_cache {
	uint64_t day; /* days since 1970-01-01; UINT64_MAX while empty */
	char date[11]; /* "YYYY-MM-DDT" */
};

/** Empty @c. */
void fmt_day_cache_init(struct fmt_day_cache *c);

/**
 * Append @ts_ns as ns_time_fmt_rfc3339() does: RFC 3339 UTC with microseconds,
 * "2026-11-26T15:34:37.763603Z" (FMT_RFC3339_LEN bytes, sub-microseconds truncated).
 */
char *fmt_rfc3339(struct fmt_day_cache *c, char *p, uint64_t ts_ns);

/*
 * Records are written out 64 KiB at a time: one write per ~300 CSV records instead of one per
 * record, while a full disk loses at most one buffer and a live capture's file lags by little.
 */
#define EXPORT_BUF_SIZE (64u * 1024)
/*
 * Room kept free for one record: the longest, a JSON TCP record with every number at its
 * maximum, 39-character addresses and the longest names, is 1,161 bytes with its separator;
 * add the fixed-size copies of names that may write up to 31 bytes past the end
 * (test_export_fmt.c checks the bound).
 */
#define EXPORT_REC_MAX 2048u
/* Record ends kept per buffer for the loss count; every record is longer than 64 bytes. */
#define EXPORT_RECS_MAX (EXPORT_BUF_SIZE / 64)

#endif /* EXPORT_PRIV_H */
