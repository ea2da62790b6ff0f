/* SPDX-License-Identifier: MIT */
/*
 * Core services every module may use: logging, time formatting, hugepage-or-normal memory,
 * a single-producer single-consumer ring, and small helpers. No DPDK, no libpcap here, so the
 * pcap-only build and the tests can use all of it.
 */
#ifndef NS_CORE_H
#define NS_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NS_CACHE_LINE 64
#define NS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NS_LIKELY(x) __builtin_expect(!!(x), 1)
#define NS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define NS_CACHE_ALIGNED __attribute__((aligned(NS_CACHE_LINE)))
#define NS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NS_MAX(a, b) ((a) > (b) ? (a) : (b))
#define NS_NSEC_PER_SEC 1000000000ULL
#define NS_NSEC_PER_USEC 1000ULL

/* ---- logging ---- */

enum ns_log_level {
	NS_LOG_ERR = 0,
	NS_LOG_WARNING,
	NS_LOG_NOTICE,
	NS_LOG_INFO,
	NS_LOG_DEBUG,
};

/** Set the most verbose level printed (default NS_LOG_NOTICE). */
void ns_log_set_level(enum ns_log_level level);

/** Current level. */
enum ns_log_level ns_log_get_level(void);

/**
 * Print one message to stderr as "netscope: <type>: <message>" when @level is enabled.
 * @type is the log type, e.g. "ns.capture". Not for the packet path.
 */
void ns_log(enum ns_log_level level, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define NS_LOG(level, type, ...) ns_log(NS_LOG_##level, "ns." type, __VA_ARGS__)

/* ---- time ---- */

/** Wall-clock time in ns since the epoch (CLOCK_REALTIME). */
uint64_t ns_time_now_ns(void);

/** Monotonic time in ns (CLOCK_MONOTONIC), for intervals. */
uint64_t ns_time_mono_ns(void);

/** Format @ts_ns as "HH:MM:SS.uuuuuu" (UTC) into @buf (>= 16 bytes). Returns @buf. */
char *ns_time_fmt_hms(uint64_t ts_ns, char *buf, size_t len);

/** Format @ts_ns as RFC 3339 UTC with microseconds, "2026-11-26T15:46:02.123456Z" (>= 28 bytes). */
char *ns_time_fmt_rfc3339(uint64_t ts_ns, char *buf, size_t len);

/* ---- memory ---- */

/**
 * Allocate @size zeroed bytes for a large table: 2 MB hugepages (MAP_HUGETLB) when @try_huge and
 * the system has them free, ordinary anonymous pages otherwise. *@huge (may be NULL) tells which
 * was used. Returns NULL with errno set on failure. Free with ns_mem_free_large() and @size.
 */
void *ns_mem_alloc_large(size_t size, bool try_huge, bool *huge);

/** Release memory from ns_mem_alloc_large(). Accepts NULL. */
void ns_mem_free_large(void *p, size_t size);

/* ---- single-producer single-consumer ring of fixed-size elements ---- */

struct ns_ring;

/**
 * Create a ring holding @count elements (rounded up to a power of two) of @elem_size bytes.
 * One producer thread and one consumer thread. Returns NULL with errno set on failure.
 */
struct ns_ring *ns_ring_create(size_t elem_size, uint32_t count);

/** Destroy a ring. Accepts NULL. */
void ns_ring_destroy(struct ns_ring *r);

/** Copy up to @n elements from @objs in; returns how many were enqueued (producer only). */
uint32_t ns_ring_enqueue_burst(struct ns_ring *r, const void *objs, uint32_t n);

/** Copy up to @n elements out into @objs; returns how many were dequeued (consumer only). */
uint32_t ns_ring_dequeue_burst(struct ns_ring *r, void *objs, uint32_t n);

/** Elements currently queued (approximate from either side). */
uint32_t ns_ring_count(const struct ns_ring *r);

/** Capacity in elements. */
uint32_t ns_ring_capacity(const struct ns_ring *r);

/* ---- small helpers ---- */

/** Format @v with SI prefixes ("1.23 M") into @buf; @unit is appended ("bps", "B"). */
char *ns_fmt_si(double v, const char *unit, char *buf, size_t len);

#endif /* NS_CORE_H */
