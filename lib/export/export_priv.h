/* SPDX-License-Identifier: MIT */
/*
 * Text formatters of the flow exporter, internal to lib/export. The exporter runs about fifty
 * of them per record, so none goes through snprintf, strftime or inet_ntop: each appends to a
 * buffer the caller has sized (the *_MAX constants, plus FMT_SLACK bytes it may scribble past
 * the end) and returns the new end. Their output is byte for byte that of the libc-based
 * helpers they replace (ns_addr_format, ns_time_fmt_rfc3339, "%llu");
 * tests/unit/export/test_export_fmt.c holds them to that. The cheap common cases (numbers below
 * 10^9, IPv4 addresses, a timestamp in a second formatted lately) are inline here.
 */
#ifndef EXPORT_PRIV_H
#define EXPORT_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ns_core.h"
#include "ns_proto.h"

/* Longest outputs, NUL not included. */
#define FMT_U64_MAX 20 /* UINT64_MAX = 18446744073709551615 */
#define FMT_ADDR_MAX 45 /* INET6_ADDRSTRLEN - 1: ffff:...:ffff or ::ffff:255.255.255.255 */
/* 2026-11-26T15:34:37.763603Z (years stay 4 digits: 2^64 ns is 2554) */
#define FMT_RFC3339_LEN 27
/*
 * Bytes a formatter may write past the end it returns: whole 8-byte stores are cheaper than
 * stopping at the last digit, and the next field overwrites them.
 */
#define FMT_SLACK 8

/* Store the 8 bytes of @x lowest first, whatever the host's byte order. */
static inline void
fmt_store_le64(char *p, uint64_t x)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	memcpy(p, &x, 8);
}

/*
 * The eight decimal digits of @v < 10^8 (zero-padded) as values 0-9 in the eight bytes of the
 * result, the most significant digit in the lowest byte (SWAR: the two 4-digit halves in 32-bit
 * lanes, split into 2-digit then 1-digit lanes by multiply and shift, all lanes at once). The
 * reciprocals are exact in range: 10486 / 2^20 divides by 100 below 43,699, 103 / 2^10 by 10
 * below 179, and no lane's product reaches the next lane.
 */
static inline uint64_t
fmt_digits8(uint32_t v)
{
	uint64_t x = (uint64_t)(v / 10000) | (uint64_t)(v % 10000) << 32;
	uint64_t q = (x * 10486) >> 20 & 0x0000007f0000007full;

	x = q | (x - q * 100) << 16;
	q = (x * 103) >> 10 & 0x000f000f000f000full;
	return q | (x - q * 10) << 8;
}

#define FMT_ASCII0 0x3030303030303030ull /* '0' in every byte */

/* Append @v < 10^8 without leading zeros (one 8-byte store, the first zeros shifted out). */
static inline char *
fmt_u32_short(char *p, uint32_t v)
{
	uint64_t x = fmt_digits8(v);
	/* leading zero digits: the lowest non-zero byte; v == 0 keeps its last digit */
	unsigned z = (unsigned)__builtin_ctzll(x | 1ull << 56) / 8;

	fmt_store_le64(p, (x + FMT_ASCII0) >> (8 * z));
	return p + 8 - z;
}

/* Append @v < 10^8 as exactly eight digits, zero-padded. */
static inline char *
fmt_u32_pad8(char *p, uint32_t v)
{
	fmt_store_le64(p, fmt_digits8(v) + FMT_ASCII0);
	return p + 8;
}

/*
 * Every value below 1000 as text: fmt_d3 without leading zeros, its last byte the count of
 * digits; fmt_d3pad zero-padded to three, then CSV's comma (elsewhere the next field
 * overwrites it). 4 KB each, so a lookup is one 4-byte load.
 */
extern const char fmt_d3[1000][4];
extern const char fmt_d3pad[1000][4];
/* fmt_d3 followed by a comma (CSV), its count that of fmt_d3 plus one. */
extern const char fmt_d3c[1000][4];
/*
 * An IPv4 octet and what follows it: its text and the separator in the low four bytes (first
 * character lowest), their count above. One 8-byte load gives both, so a lookup is one load,
 * one store and a shift. fmt_oct_dot: a dot; fmt_oct_comma: CSV's comma.
 */
extern const uint64_t fmt_oct_dot[256];
extern const uint64_t fmt_oct_comma[256];

/* Append @v < 1000 (one 4-byte copy; what lands past the digits is overwritten next). */
static inline char *
fmt_u3(char *p, unsigned v)
{
	memcpy(p, fmt_d3[v], 4);
	return p + fmt_d3[v][3];
}

static inline char *
fmt_octet(char *p, unsigned v)
{
	return fmt_u3(p, v);
}

/* Append an fmt_oct_dot or fmt_oct_comma entry (one 4-byte store). */
static inline char *
fmt_oct_put(char *p, uint64_t x)
{
	uint32_t t = (uint32_t)x;

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	t = __builtin_bswap32(t);
#endif
	memcpy(p, &t, 4);
	return p + (x >> 32);
}

/* An octet and its dot. */
static inline char *
fmt_octet_dot(char *p, uint8_t v)
{
	return fmt_oct_put(p, fmt_oct_dot[v]);
}

/** fmt_u64() for @v >= 10^9. */
char *fmt_u64_long(char *p, uint64_t v);

/**
 * Append @v in decimal, as "%llu" would. Returns the end of the digits; may write FMT_SLACK
 * bytes past it. Below 10^9 (every counter of a record but the largest) it is one to three
 * table lookups, whose branches stay predictable per field: each field has its own copy.
 */
static inline char *
fmt_u64(char *p, uint64_t v)
{
	uint32_t hi, lo;

	if (v < 1000)
		return fmt_u3(p, (unsigned)v);
	/* groups of three from the tables: the first without zeros, the rest padded */
	if (v < 1000000) {
		hi = (uint32_t)v / 1000;
		lo = (uint32_t)v - hi * 1000;
		p = fmt_u3(p, hi);
		memcpy(p, fmt_d3pad[lo], 4);
		return p + 3;
	}
	if (NS_LIKELY(v < 1000000000)) {
		hi = (uint32_t)v / 1000000;
		lo = (uint32_t)v - hi * 1000000;
		p = fmt_u3(p, hi);
		memcpy(p, fmt_d3pad[lo / 1000], 4);
		memcpy(p + 3, fmt_d3pad[lo % 1000], 4);
		return p + 6;
	}
	return fmt_u64_long(p, v);
}

/* Dotted quad of the 4 bytes at @b. */
static inline char *
fmt_v4(char *p, const uint8_t *b)
{
	p = fmt_octet_dot(p, b[0]);
	p = fmt_octet_dot(p, b[1]);
	p = fmt_octet_dot(p, b[2]);
	return fmt_octet(p, b[3]);
}

/* ns_addr_is_v4(), inline: the first 12 bytes are ::ffff: (two loads and compares). */
static inline bool
fmt_addr_is_v4(const struct ns_addr *a)
{
	static const uint8_t pre[4] = { 0, 0, 0xff, 0xff };
	uint64_t w0;
	uint32_t w1, m;

	memcpy(&w0, a->b, 8);
	memcpy(&w1, a->b + 8, 4);
	memcpy(&m, pre, 4);
	return (w0 | (uint64_t)(w1 ^ m)) == 0;
}

/** fmt_addr() for an address that is not IPv4-mapped. */
char *fmt_addr_v6(char *p, const struct ns_addr *a);

/**
 * Append @a as ns_addr_format() does: dotted quad for IPv4-mapped addresses, else glibc
 * inet_ntop's RFC 5952 text (lowercase, longest run of two or more zero groups as "::", the
 * first of equal runs, ::a.b.c.d for IPv4-compatible addresses). Returns the end; at most
 * FMT_ADDR_MAX bytes, and may write FMT_SLACK bytes past the end.
 */
static inline char *
fmt_addr(char *p, const struct ns_addr *a)
{
	if (NS_LIKELY(fmt_addr_is_v4(a)))
		return fmt_v4(p, a->b + 12);
	return fmt_addr_v6(p, a);
}

/*
 * The text of the last few seconds formatted, and the last day's date. Records come roughly in
 * time order and many share a second (first and last time of a short flow, flows ended
 * together), so the calendar and time-of-day arithmetic runs once per second, not per field.
 * First and last times usually lie in different seconds and alternate: with a slot per second
 * modulo FMT_TS_SLOTS they do not evict each other. The flush at the end of a capture emits
 * every flow still open, whose first times spread over the whole capture: 64 slots (2 KiB)
 * hold a minute, where 8 missed on one lookup in seven (min-100k's 20 seconds). One per
 * stream of timestamps.
 */
#define FMT_TS_SLOTS 64 /* a power of two; seconds a batch of records spans, with room */

struct fmt_ts_slot {
	uint64_t sec; /* seconds since 1970-01-01 of text; UINT64_MAX while empty */
	char text[24]; /* "YYYY-MM-DDTHH:MM:SS." (20 bytes, then room for a wide copy) */
};

struct fmt_ts_cache {
	struct fmt_ts_slot slot[FMT_TS_SLOTS];
	uint64_t day; /* days since 1970-01-01 of date; UINT64_MAX while empty */
	char date[11]; /* "YYYY-MM-DDT" */
};

/** Empty @c. */
void fmt_ts_cache_init(struct fmt_ts_cache *c);

/** Fill @s with second @sec (since the epoch). */
void fmt_ts_cache_fill(struct fmt_ts_cache *c, struct fmt_ts_slot *s, uint64_t sec);

/* fmt_rfc3339() up to the microseconds, its 'Z' not written. */
static inline char *
fmt_rfc3339_digits(struct fmt_ts_cache *c, char *p, uint64_t ts_ns)
{
	uint64_t sec = ts_ns / NS_NSEC_PER_SEC;
	uint32_t usec = (uint32_t)(ts_ns - sec * NS_NSEC_PER_SEC) / (uint32_t)NS_NSEC_PER_USEC;
	struct fmt_ts_slot *s = &c->slot[sec % FMT_TS_SLOTS];

	if (s->sec != sec)
		fmt_ts_cache_fill(c, s, sec);
	memcpy(p, s->text, sizeof(s->text));
	memcpy(p + 20, fmt_d3pad[usec / 1000], 4);
	memcpy(p + 23, fmt_d3pad[usec % 1000], 4);
	return p + FMT_RFC3339_LEN - 1;
}

/**
 * Append @ts_ns as ns_time_fmt_rfc3339() does: RFC 3339 UTC with microseconds,
 * "2026-11-26T15:34:37.763603Z" (FMT_RFC3339_LEN bytes, sub-microseconds truncated); may write
 * FMT_SLACK bytes past the end.
 */
static inline char *
fmt_rfc3339(struct fmt_ts_cache *c, char *p, uint64_t ts_ns)
{
	p = fmt_rfc3339_digits(c, p, ts_ns);
	*p = 'Z';
	return p + 1;
}

/**
 * fmt_rfc3339(), then @sep: the 'Z', @sep and two bytes of slack are one 4-byte store of a
 * constant (a 2-byte one would take a register or a load). Returns the end, past @sep.
 */
static inline char *
fmt_rfc3339_sep(struct fmt_ts_cache *c, char *p, uint64_t ts_ns, char sep)
{
	uint32_t tail = 'Z' | (uint32_t)(unsigned char)sep << 8;

	p = fmt_rfc3339_digits(c, p, ts_ns);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	tail = __builtin_bswap32(tail);
#endif
	memcpy(p, &tail, 4);
	return p + 2;
}

/*
 * Records are written out in 64 KiB pieces at 64 KiB offsets of the file (the kernel copies
 * whole, aligned page runs into its cache; ~20% less system time than pieces of any length):
 * one write per ~300 CSV records instead of one per record, while a full disk loses at most one
 * piece and a live capture's file lags by little.
 */
#define EXPORT_CHUNK (64u * 1024)
/*
 * Room kept free for one record: the longest, a JSON TCP record with every number at its
 * maximum, 39-character addresses and the longest names, is 1,161 bytes with its separator;
 * add the fixed-size copies of names that may write up to 47 bytes past the end
 * (test_export_fmt.c checks the bound).
 */
#define EXPORT_REC_MAX 2048u
/* The buffer: a piece, and the record that runs past its end. */
#define EXPORT_BUF_SIZE (EXPORT_CHUNK + EXPORT_REC_MAX)
/* Record ends kept per buffer for the loss count; every record is longer than 64 bytes. */
#define EXPORT_RECS_MAX (EXPORT_BUF_SIZE / 64)

#endif /* EXPORT_PRIV_H */
