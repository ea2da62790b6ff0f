/* SPDX-License-Identifier: MIT */
/*
 * Creating and destroying a flow table: parameters, sizing (buckets, records, the 2 MB page
 * the last records fill), memory, seeds and the hash the CPU supports. Cold code, out of
 * flow_table.c's packet path.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "flow_priv.h"

/* Whether the CPU has SSE4.2's crc32 for the table's hash (flow_table.c, hash_words()). */
static bool
hash_select(void)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2");
#else
	return false;
#endif
}

void
ns_flow_params_default(struct ns_flow_params *p)
{
	memset(p, 0, sizeof(*p));
	p->capacity = NS_FLOW_CAPACITY_DEFAULT;
	p->key_vlan = true;
	p->tcp_syn_timeout = 10;
	p->tcp_established_timeout = 300;
	p->tcp_fin_timeout = 30;
	p->tcp_closed_timeout = 2;
	p->udp_timeout = 60;
	p->icmp_timeout = 30;
	p->other_timeout = 30;
	p->active_timeout = 1800;
	p->top_n_max = 1024;
	p->hugepages = true;
}

static uint32_t
n_buckets_for(uint32_t capacity)
{
	uint64_t slots = (uint64_t)capacity * BUCKET_LOAD_DEN;
	uint64_t per = (uint64_t)BUCKET_SLOTS * BUCKET_LOAD_NUM;
	uint64_t n = (slots + per - 1) / per;

	return n < 2 ? 2 : (uint32_t)n;
}

static size_t
table_alloc_bytes(uint32_t capacity)
{
	return (size_t)capacity * sizeof(struct flow_rec) +
	       (size_t)n_buckets_for(capacity) * sizeof(struct flow_bucket);
}

#define PAGE_2M ((size_t)2 << 20)

/* ns_mem_alloc_large() rounds every allocation up to 2 MB pages. */
static size_t
round_2m(size_t v)
{
	return (v + PAGE_2M - 1) / PAGE_2M * PAGE_2M;
}

/*
 * Records a table asked for @capacity gets. The allocation is rounded up to 2 MB pages, so a
 * table of more than one page fills the rest of its last page with records (up to ~10,600 more
 * flows; at 131,072 flows the rounding alone was 10 bytes per flow). A table that fits in one
 * page keeps its capacity exactly: there the page would multiply a small capacity, and small
 * tables are the ones whose eviction behaviour is tested and configured on purpose.
 */
static uint32_t
capacity_fill(uint32_t capacity)
{
	size_t pages = round_2m(table_alloc_bytes(capacity));
	uint32_t lo = capacity, hi;

	if (table_alloc_bytes(capacity) <= PAGE_2M)
		return capacity;
	/* the largest c with table_alloc_bytes(c) <= pages (it grows with c) */
	hi = (uint32_t)NS_MIN((uint64_t)NS_FLOW_CAPACITY_MAX,
			      (uint64_t)capacity + PAGE_2M / sizeof(struct flow_rec));
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;

		if (table_alloc_bytes(mid) <= pages)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

uint32_t
ns_flow_table_capacity_for(uint32_t capacity)
{
	return capacity_fill(capacity != 0 ? capacity : NS_FLOW_CAPACITY_DEFAULT);
}

size_t
ns_flow_table_memory_for(uint32_t capacity, enum ns_flow_defer defer)
{
	uint32_t cap = ns_flow_table_capacity_for(capacity);

	return round_2m(table_alloc_bytes(cap)) + cap + SEEN_PAD + sizeof(struct ns_flow_table) +
	       (size_t)1024 * sizeof(struct heap_ent) + flow_defer_bytes(defer);
}

static uint64_t
timeout_us(uint32_t s, uint32_t def)
{
	return (uint64_t)(s != 0 ? s : def) * 1000000u;
}

static bool
timeout_ok(uint32_t s)
{
	return s <= NS_FLOW_TIMEOUT_MAX;
}

static uint64_t
random_seed(void)
{
	uint64_t s = 0;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s))
		s = ns_time_mono_ns() ^ (uint64_t)(uintptr_t)&s;
	return s;
}

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct ns_flow_table *
ns_flow_table_create(const struct ns_flow_params *p)
{
	struct ns_flow_table *t;
	uint32_t cap;
	uint64_t s;
	void *mem;
	bool huge = false;

	if (p == NULL || p->sink == NULL || p->capacity > NS_FLOW_CAPACITY_MAX ||
	    !timeout_ok(p->tcp_syn_timeout) || !timeout_ok(p->tcp_established_timeout) ||
	    !timeout_ok(p->tcp_fin_timeout) || !timeout_ok(p->tcp_closed_timeout) ||
	    !timeout_ok(p->udp_timeout) || !timeout_ok(p->icmp_timeout) ||
	    !timeout_ok(p->other_timeout) || !timeout_ok(p->active_timeout) ||
	    (unsigned)p->defer > NS_FLOW_DEFER_KEPT) {
		NS_LOG(ERR, "flow", "invalid flow table parameters");
		errno = EINVAL;
		return NULL;
	}
	cap = ns_flow_table_capacity_for(p->capacity);
	if (posix_memalign((void **)&t, NS_CACHE_LINE, sizeof(*t)) != 0) {
		errno = ENOMEM;
		goto fail;
	}
	memset(t, 0, sizeof(*t));
	t->top_n_max = p->top_n_max != 0 ? p->top_n_max : 1024;
	t->heap = calloc(t->top_n_max, sizeof(*t->heap));
	if (t->heap == NULL)
		goto fail_table;
	/* the sweep's byte per record, apart from the 2 MB pages so that they hold the same
	 * records (and calloc's pages too fault in only as flows arrive) */
	t->seen = calloc((size_t)cap + SEEN_PAD, 1);
	if (t->seen == NULL)
		goto fail_heap;
	t->alloc_bytes = table_alloc_bytes(cap);
	mem = ns_mem_alloc_large(t->alloc_bytes, p->hugepages, &huge);
	if (mem == NULL)
		goto fail_seen;

	t->recs = mem;
	t->capacity = cap;
	t->n_buckets = n_buckets_for(cap);
	t->buckets = (struct flow_bucket *)(void *)((uint8_t *)mem +
						    (size_t)cap * sizeof(struct flow_rec));
	t->huge = huge;
	if (p->defer != NS_FLOW_DEFER_OFF &&
	    posix_memalign((void **)&t->defer, NS_CACHE_LINE, flow_defer_bytes(p->defer)) != 0)
		goto fail_mem;
	t->defer_copy = p->defer == NS_FLOW_DEFER_COPY;
	t->mem_bytes = round_2m(t->alloc_bytes) + cap + SEEN_PAD + sizeof(*t) +
		       (size_t)t->top_n_max * sizeof(*t->heap) + flow_defer_bytes(p->defer);
	/* no record is touched here: the bump pointer hands out the never-used ones (zeroed
	 * memory from mmap), the free list holds the returned ones */
	t->free_head = cap;
	t->bump = 0;
	t->tcp_fast = true;
	t->first_floor_ns = UINT64_MAX;
	t->gen_stamp = SEEN_PKT; /* generation 0 starts at time 0 */
	t->gen_count = 1;
	t->gen_skip = true;
	t->vlan_mask = p->key_vlan ? 0xffff : 0;
	t->id_base = (uint64_t)p->shard_id << ID_EPOCH_SHIFT;
	s = p->seed != 0 ? p->seed : random_seed();
	for (unsigned i = 0; i < 3; i++)
		t->seed[i] = splitmix(&s);
	t->hash_crc = hash_select();
	t->timeout_norm_us[TC_TCP_SYN] = timeout_us(p->tcp_syn_timeout, 10);
	t->timeout_norm_us[TC_TCP_EST] = timeout_us(p->tcp_established_timeout, 300);
	t->timeout_norm_us[TC_TCP_FIN] = timeout_us(p->tcp_fin_timeout, 30);
	t->timeout_norm_us[TC_TCP_CLOSED] = timeout_us(p->tcp_closed_timeout, 2);
	t->timeout_norm_us[TC_UDP] = timeout_us(p->udp_timeout, 60);
	t->timeout_norm_us[TC_ICMP] = timeout_us(p->icmp_timeout, 30);
	t->timeout_norm_us[TC_OTHER] = timeout_us(p->other_timeout, 30);
	memcpy(t->timeout_us, t->timeout_norm_us, sizeof(t->timeout_us));
	flow_timeout_min_update(t);
	/* the classes whose flows the sweep parks (flow_emit.c, "Sweep generations") */
	for (unsigned i = 0; i < TC_MAX; i++)
		if (t->timeout_norm_us[i] > t->timeout_min_us)
			t->park_classes |= (uint8_t)(1u << i);
	t->active_ns =
		(uint64_t)(p->active_timeout != 0 ? p->active_timeout : 1800) * NS_NSEC_PER_SEC;
	t->sink = p->sink;
	t->sink_arg = p->sink_arg;
	NS_LOG(INFO, "flow", "table of %u flows: %zu bytes (%.1f per flow) on %s pages%s", cap,
	       t->mem_bytes, (double)t->mem_bytes / cap, huge ? "huge" : "normal",
	       cap != (p->capacity != 0 ? p->capacity : NS_FLOW_CAPACITY_DEFAULT)
		       ? " (capacity rounded up to fill the last 2 MB page)"
		       : "");
	return t;

fail_mem:
	ns_mem_free_large(mem, t->alloc_bytes);
fail_seen:
	free(t->seen);
fail_heap:
	free(t->heap);
fail_table:
	free(t);
	errno = ENOMEM;
fail:
	NS_LOG(ERR, "flow", "cannot allocate a table of %u flows", cap);
	return NULL;
}

void
ns_flow_table_destroy(struct ns_flow_table *t)
{
	if (t == NULL)
		return;
	ns_mem_free_large(t->recs, t->alloc_bytes);
	free(t->defer);
	free(t->seen);
	free(t->heap);
	free(t);
}

void
ns_flow_table_memory(const struct ns_flow_table *t, struct ns_flow_mem *out)
{
	out->bytes = t->mem_bytes;
	out->record_bytes = sizeof(struct flow_rec);
	out->bucket_bytes = (size_t)t->n_buckets * sizeof(struct flow_bucket);
	out->capacity = t->capacity;
	out->buckets = t->n_buckets;
	out->bytes_per_flow = (double)t->mem_bytes / t->capacity;
	out->hugepages = t->huge;
}
