/* SPDX-License-Identifier: MIT */
/*
 * Single-producer single-consumer ring of fixed-size elements, copied in and out in bursts.
 * Head and tail sit on their own cache lines; each side caches the other's index so the
 * shared line is read once per burst, not once per element (the rte_ring SP/SC idea).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ns_core.h"

struct ns_ring {
	size_t elem_size;
	uint32_t mask;
	/* producer: rw, consumer: ro */
	_Atomic uint32_t head NS_CACHE_ALIGNED;
	uint32_t cached_tail; /* producer only */
	/* consumer: rw, producer: ro */
	_Atomic uint32_t tail NS_CACHE_ALIGNED;
	uint32_t cached_head; /* consumer only */
	uint8_t data[] NS_CACHE_ALIGNED;
};

struct ns_ring *
ns_ring_create(size_t elem_size, uint32_t count)
{
	struct ns_ring *r;
	uint32_t n = 1;

	if (elem_size == 0 || count == 0 || count > (1u << 30)) {
		errno = EINVAL;
		return NULL;
	}
	while (n < count)
		n <<= 1;
	if (posix_memalign((void **)&r, NS_CACHE_LINE, sizeof(*r) + elem_size * n) != 0) {
		errno = ENOMEM;
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->elem_size = elem_size;
	r->mask = n - 1;
	return r;
}

void
ns_ring_destroy(struct ns_ring *r)
{
	free(r);
}

static void
copy_in(struct ns_ring *r, uint32_t pos, const uint8_t *src, uint32_t n)
{
	uint32_t idx = pos & r->mask;
	uint32_t first = NS_MIN(n, r->mask + 1 - idx);

	memcpy(r->data + (size_t)idx * r->elem_size, src, (size_t)first * r->elem_size);
	if (first < n)
		memcpy(r->data, src + (size_t)first * r->elem_size, (size_t)(n - first) * r->elem_size);
}

static void
copy_out(const struct ns_ring *r, uint32_t pos, uint8_t *dst, uint32_t n)
{
	uint32_t idx = pos & r->mask;
	uint32_t first = NS_MIN(n, r->mask + 1 - idx);

	memcpy(dst, r->data + (size_t)idx * r->elem_size, (size_t)first * r->elem_size);
	if (first < n)
		memcpy(dst + (size_t)first * r->elem_size, r->data, (size_t)(n - first) * r->elem_size);
}

uint32_t
ns_ring_enqueue_burst(struct ns_ring *r, const void *objs, uint32_t n)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t free_slots = r->mask + 1 - (head - r->cached_tail);

	if (free_slots < n) {
		r->cached_tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		free_slots = r->mask + 1 - (head - r->cached_tail);
	}
	n = NS_MIN(n, free_slots);
	if (n == 0)
		return 0;
	copy_in(r, head, objs, n);
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

uint32_t
ns_ring_dequeue_burst(struct ns_ring *r, void *objs, uint32_t n)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t avail = r->cached_head - tail;

	if (avail < n) {
		r->cached_head = atomic_load_explicit(&r->head, memory_order_acquire);
		avail = r->cached_head - tail;
	}
	n = NS_MIN(n, avail);
	if (n == 0)
		return 0;
	copy_out(r, tail, objs, n);
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	return n;
}

uint32_t
ns_ring_count(const struct ns_ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) -
	       atomic_load_explicit(&r->tail, memory_order_acquire);
}

uint32_t
ns_ring_capacity(const struct ns_ring *r)
{
	return r->mask + 1;
}
