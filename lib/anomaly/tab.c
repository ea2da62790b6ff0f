/* SPDX-License-Identifier: MIT */
/*
 * The bounded open-addressing table behind every anomaly counter, its hash, and address
 * helpers. Memory is allocated once, at create time; inserting never allocates, and a full
 * table refuses the key so the caller can count the cap.
 *
 * Plain calloc() rather than ns_mem_alloc_large(): these tables are sized for the worst case
 * and touched sparsely (clearing walks the used entries only), so untouched pages of the
 * large ones are never committed, and the small ones do not each take a 2 MB hugepage from
 * the pool the flow tables and DPDK need.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly_priv.h"

static inline uint64_t
mix64(uint64_t x)
{
	/* MurmurHash3's fmix64: every input bit reaches every output bit. */
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint32_t
anomaly_hash(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)len;

	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		h = mix64(h ^ v) + 0x9e3779b97f4a7c15ULL;
		p += 8;
		len -= 8;
	}
	if (len > 0) {
		uint64_t v = 0;

		memcpy(&v, p, len);
		h = mix64(h ^ v ^ ((uint64_t)len << 56));
	}
	return (uint32_t)(mix64(h) >> 32);
}

int
addr_cmp(const struct ns_addr *a, const struct ns_addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}

bool
addr_is_group(const struct ns_addr *a)
{
	if (ns_addr_is_v4(a))
		return (a->b[12] & 0xf0) == 0xe0 || /* 224.0.0.0/4, RFC 5771 */
		       (a->b[12] == 255 && a->b[13] == 255 && a->b[14] == 255 && a->b[15] == 255);
	return a->b[0] == 0xff; /* ff00::/8, RFC 4291 section 2.7 */
}

int
tab_init(struct tab *t, uint32_t limit, uint32_t stride, uint32_t key_len)
{
	uint64_t cap = 16;

	memset(t, 0, sizeof(*t));
	if (limit == 0 || limit > (1u << 28) || stride < TAB_KEY_OFF + key_len)
		return -EINVAL;
	/* Load at most 2/3: linear probing then averages under 5 probes for a miss. */
	while (cap < (uint64_t)limit + limit / 2)
		cap <<= 1;
	t->mem = calloc(cap, stride);
	t->order = calloc(limit, sizeof(uint32_t));
	if (t->mem == NULL || t->order == NULL) {
		free(t->mem);
		free(t->order);
		memset(t, 0, sizeof(*t));
		return -ENOMEM;
	}
	t->limit = limit;
	t->mask = (uint32_t)(cap - 1);
	t->stride = stride;
	t->key_len = key_len;
	return 0;
}

void
tab_fini(struct tab *t)
{
	free(t->mem);
	free(t->order);
	memset(t, 0, sizeof(*t));
}

void *
tab_find(const struct tab *t, const void *key, uint32_t hash)
{
	uint32_t tag = tag_of(hash);

	for (uint32_t i = tag & t->mask;; i = (i + 1) & t->mask) {
		uint8_t *e = t->mem + (size_t)i * t->stride;
		uint32_t et;

		memcpy(&et, e, sizeof(et));
		if (et == 0)
			return NULL;
		if (et == tag && memcmp(e + TAB_KEY_OFF, key, t->key_len) == 0)
			return e;
	}
}

void *
tab_insert(struct tab *t, const void *key, uint32_t hash, bool *fresh)
{
	uint32_t tag = tag_of(hash);
	uint32_t i;
	uint8_t *e;

	for (i = tag & t->mask;; i = (i + 1) & t->mask) {
		uint32_t et;

		e = t->mem + (size_t)i * t->stride;
		memcpy(&et, e, sizeof(et));
		if (et == 0)
			break;
		if (et == tag && memcmp(e + TAB_KEY_OFF, key, t->key_len) == 0) {
			*fresh = false;
			return e;
		}
	}
	if (t->count >= t->limit)
		return NULL;
	memcpy(e, &tag, sizeof(tag));
	memcpy(e + TAB_KEY_OFF, key, t->key_len);
	memset(e + TAB_KEY_OFF + t->key_len, 0, t->stride - TAB_KEY_OFF - t->key_len);
	t->order[t->count++] = i;
	*fresh = true;
	return e;
}

void
tab_clear(struct tab *t)
{
	for (uint32_t n = 0; n < t->count; n++)
		memset(t->mem + (size_t)t->order[n] * t->stride, 0, t->stride);
	t->count = 0;
}
