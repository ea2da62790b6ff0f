/* SPDX-License-Identifier: MIT */
/*
 * The flow table: a bucketised cuckoo hash of 12-slot buckets over a preallocated pool of
 * 192-byte records, and the staged burst pipeline of flow-table.md §3 (key and hash the whole
 * burst, prefetch buckets, match tags, prefetch records, then apply packets in order). Only the
 * table's own thread calls in; nothing on the packet path allocates, locks or makes a syscall.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "flow_priv.h"

#define NO_IDX UINT32_MAX

/* Displacement search limit: buckets read before giving up and evicting (flow-table.md §5). */
#define DISPLACE_BUDGET 64
/* Records the eviction hand inspects when the new key's buckets hold no candidate. */
#define EVICT_SCAN 64
#define EVICT_PICK 16

/* ---- hashing ---- */

static inline uint64_t
rotl64(uint64_t v, unsigned r)
{
	return (v << r) | (v >> (64 - r));
}

/* Nonlinear finish: bucket from the high half, tag from the low 16 bits. */
static inline uint64_t
hash_finish(uint64_t x, uint64_t s)
{
	x = (x ^ s) * 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 32);
}

static inline void
key_words(const struct flow_key *k, uint64_t w[5])
{
	memcpy(w, k, sizeof(*k));
}

/*
 * The hash of a key given as its five words (w0..w4, struct flow_key's layout). An IPv4 key's
 * words 0 and 2 are the zero half of its mapped addresses (::ffff:a.b.c.d), the same for every
 * IPv4 key, so it hashes words 1, 3 and 4 only (every bit that differs between two IPv4 keys is
 * in them); IPv6 keys hash all five. The words come as values, not an array, so the key loop
 * keeps them in registers.
 */
#define KEY_WORDS_PARAMS uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3, uint64_t w4

/* Portable fallback: a multiply-rotate mix per word (no CRC instruction needed). */
static inline uint64_t
mix_word(uint64_t h, uint64_t w)
{
	h ^= w * 0xc2b2ae3d27d4eb4full;
	return rotl64(h, 31) * 0x9e3779b185ebca87ull;
}

static inline uint64_t
hash_words_portable(const struct ns_flow_table *t, KEY_WORDS_PARAMS, bool v4)
{
	uint64_t h = t->seed[0];

	if (v4) {
		h = mix_word(mix_word(mix_word(h, w1), w3), w4);
	} else {
		h = mix_word(mix_word(mix_word(mix_word(mix_word(h, w0), w1), w2), w3), w4);
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	return hash_finish(h, t->seed[2]);
}

#if defined(__x86_64__)
/*
 * crc32q without a target("sse4.2") function around it, so the key loop that calls it can be
 * one inlined body for both hashes; it only runs where hash_select() found SSE4.2.
 */
static inline uint64_t
crc32c_u64(uint64_t crc, uint64_t v)
{
	__asm__("crc32q %1, %0" : "+r"(crc) : "r"(v));
	return crc;
}

/*
 * Two CRC32C lanes over the key's words (6 crc32q for IPv4, 10 for IPv6, about 10-15 cycles);
 * the second lane reads every word with its halves swapped so the lanes are different linear
 * functions of the key.
 */
static inline uint64_t
hash_words_crc32c(const struct ns_flow_table *t, KEY_WORDS_PARAMS, bool v4)
{
	uint64_t a = (uint32_t)t->seed[0], b = (uint32_t)t->seed[1];

	if (!v4) {
		a = crc32c_u64(a, w0);
		b = crc32c_u64(b, rotl64(w0, 32));
	}
	a = crc32c_u64(a, w1);
	b = crc32c_u64(b, rotl64(w1, 32));
	if (!v4) {
		a = crc32c_u64(a, w2);
		b = crc32c_u64(b, rotl64(w2, 32));
	}
	a = crc32c_u64(a, w3);
	b = crc32c_u64(b, rotl64(w3, 32));
	a = crc32c_u64(a, w4);
	b = crc32c_u64(b, rotl64(w4, 32));
	/* crc32q zeroes the upper half of its 64-bit destination: b is already 32 bits */
	return hash_finish(a << 32 | b, t->seed[2]);
}
#endif

/* The table's hash of a key: CRC32C where the CPU has it, else the portable mix. */
static inline __attribute__((always_inline)) uint64_t
hash_words(const struct ns_flow_table *t, KEY_WORDS_PARAMS, bool v4, bool crc)
{
#if defined(__x86_64__)
	if (crc)
		return hash_words_crc32c(t, w0, w1, w2, w3, w4, v4);
#else
	(void)crc;
#endif
	return hash_words_portable(t, w0, w1, w2, w3, w4, v4);
}

int
flow_hash_use_portable(struct ns_flow_table *t)
{
	/* a pending pass was hashed the other way */
	flow_sync(t);
	if (t->live != 0)
		return -EBUSY;
	t->hash_crc = false;
	return 0;
}

void
flow_hash_keys(const struct ns_flow_table *t, const struct flow_key *keys, unsigned n,
	       uint64_t *out)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t w[5];
		bool v4 = (keys[i].ip_ver & KEY_VER_MASK) == 4;

		key_words(&keys[i], w);
		out[i] = t->hash_crc ? hash_words(t, w[0], w[1], w[2], w[3], w[4], v4, true)
				     : hash_words(t, w[0], w[1], w[2], w[3], w[4], v4, false);
	}
}

/* fastrange (Lemire): a 32-bit value scaled onto [0, n) without a division. */
static inline uint32_t
h_bucket(const struct ns_flow_table *t, uint64_t h)
{
	return (uint32_t)(((h >> 32) * (uint64_t)t->n_buckets) >> 32);
}

static inline uint16_t
h_tag(uint64_t h)
{
	uint16_t g = (uint16_t)h;

	return g != 0 ? g : 1;
}

/*
 * Alternate bucket from the tag alone (partial-key cuckoo): (g(tag) - b) mod n is its own
 * inverse for any n, so an entry moves without reading its record and n needs no power of 2.
 */
static inline uint32_t
alt_bucket(const struct ns_flow_table *t, uint32_t b, uint16_t tag)
{
	uint32_t g = (uint32_t)(((uint64_t)(uint32_t)(tag * 0x9e3779b1u) * t->n_buckets) >> 32);

	return g >= b ? g - b : g + t->n_buckets - b;
}

static inline uint8_t
bloom_bit(uint16_t tag)
{
	return (uint8_t)(1u << ((tag >> 8) & 7));
}

/* ---- buckets ---- */

/* One 4-byte load and a mask: the byte after idx[11] is still inside the bucket (alt). */
static inline uint32_t
slot_idx(const struct flow_bucket *b, unsigned s)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t v;

	_Static_assert(offsetof(struct flow_bucket, idx) + 3 * BUCKET_SLOTS + 1 <=
			       sizeof(struct flow_bucket),
		       "4-byte index load stays in the bucket");
	memcpy(&v, (const uint8_t *)b + offsetof(struct flow_bucket, idx) + 3 * s, 4);
	return v & 0xffffffu;
#else
	return (uint32_t)b->idx[s][0] | (uint32_t)b->idx[s][1] << 8 | (uint32_t)b->idx[s][2] << 16;
#endif
}

static inline void
slot_set(struct flow_bucket *b, unsigned s, uint16_t tag, uint32_t idx, bool alt)
{
	b->tag[s] = tag;
	b->idx[s][0] = (uint8_t)idx;
	b->idx[s][1] = (uint8_t)(idx >> 8);
	b->idx[s][2] = (uint8_t)(idx >> 16);
	b->alt = (uint16_t)((b->alt & ~(1u << s)) | ((alt ? 1u : 0u) << s));
}

/* Bit mask of the slots holding @tag (tag 0 finds the empty slots). */
static inline unsigned
tag_match(const struct flow_bucket *b, uint16_t tag)
{
#if defined(__SSE2__)
	__m128i v = _mm_set1_epi16((short)tag);
	__m128i lo = _mm_load_si128((const __m128i *)(const void *)b->tag);
	__m128i hi = _mm_loadl_epi64((const __m128i *)(const void *)(b->tag + 8));
	__m128i m = _mm_packs_epi16(_mm_cmpeq_epi16(lo, v), _mm_cmpeq_epi16(hi, v));

	return (unsigned)_mm_movemask_epi8(m) & ((1u << BUCKET_SLOTS) - 1);
#else
	unsigned m = 0;

	for (unsigned s = 0; s < BUCKET_SLOTS; s++)
		m |= (unsigned)(b->tag[s] == tag) << s;
	return m;
#endif
}

static inline void
out_inc(struct flow_bucket *b, uint16_t tag)
{
	if (b->out_cnt != UINT8_MAX)
		b->out_cnt++;
	b->out_bloom |= bloom_bit(tag);
}

static inline void
out_dec(struct flow_bucket *b)
{
	if (b->out_cnt == UINT8_MAX || b->out_cnt == 0)
		return;
	if (--b->out_cnt == 0)
		b->out_bloom = 0;
}

/* Empty slot @s of bucket @bi; a key stored in its alternate is taken off its primary's count. */
static void
slot_clear(struct ns_flow_table *t, uint32_t bi, unsigned s)
{
	struct flow_bucket *b = &t->buckets[bi];

	if (b->alt & (1u << s))
		out_dec(&t->buckets[alt_bucket(t, bi, b->tag[s])]);
	b->tag[s] = 0;
	b->alt = (uint16_t)(b->alt & ~(1u << s));
}

/* Move the entry in slot @s of bucket @from to its other bucket, which has a free slot. */
static void
slot_move(struct ns_flow_table *t, uint32_t from, unsigned s, uint32_t to)
{
	struct flow_bucket *bf = &t->buckets[from], *bt = &t->buckets[to];
	uint16_t tag = bf->tag[s];
	uint32_t idx = slot_idx(bf, s);
	bool was_alt = bf->alt & (1u << s);
	unsigned d = (unsigned)__builtin_ctz(tag_match(bt, 0));

	/* leaving its primary: count it there; going home: the slot_clear below uncounts it */
	slot_clear(t, from, s);
	if (!was_alt)
		out_inc(bf, tag);
	slot_set(bt, d, tag, idx, !was_alt);
	FLOW_STAT_ADD(t, cuckoo_moves, 1);
}

/*
 * Free a slot in bucket @bi by moving one occupant to its alternate, looking two levels deep
 * (flow-table.md §5: BFS, bounded). Returns true when a slot of @bi is free afterwards.
 */
static bool
displace(struct ns_flow_table *t, uint32_t bi)
{
	struct flow_bucket *b = &t->buckets[bi];
	unsigned budget = DISPLACE_BUDGET;

	for (unsigned s = 0; s < BUCKET_SLOTS && budget > 0; s++, budget--) {
		uint32_t a = alt_bucket(t, bi, b->tag[s]);

		if (a != bi && tag_match(&t->buckets[a], 0) != 0) {
			slot_move(t, bi, s, a);
			return true;
		}
	}
	for (unsigned s = 0; s < BUCKET_SLOTS && budget > 0; s++) {
		uint32_t a = alt_bucket(t, bi, b->tag[s]);
		struct flow_bucket *ba = &t->buckets[a];

		if (a == bi)
			continue;
		for (unsigned s2 = 0; s2 < BUCKET_SLOTS && budget > 0; s2++, budget--) {
			uint32_t a2 = alt_bucket(t, a, ba->tag[s2]);

			if (a2 != a && a2 != bi && tag_match(&t->buckets[a2], 0) != 0) {
				slot_move(t, a, s2, a2);
				slot_move(t, bi, s, a);
				return true;
			}
		}
	}
	return false;
}

/*
 * Place record @idx of hash @h: a free slot in the primary bucket, else in the alternate, else
 * make one by displacement (primary first). Returns false when both buckets stay full.
 */
static bool
bucket_insert(struct ns_flow_table *t, uint64_t h, uint32_t b1, uint32_t idx)
{
	uint16_t tag = h_tag(h);
	uint32_t b2 = alt_bucket(t, b1, tag);
	unsigned m1 = tag_match(&t->buckets[b1], 0);
	unsigned m2 = m1 != 0 ? 0 : tag_match(&t->buckets[b2], 0);

	if (m1 == 0 && m2 == 0) {
		if (displace(t, b1))
			m1 = tag_match(&t->buckets[b1], 0);
		else if (b2 != b1 && displace(t, b2))
			m2 = tag_match(&t->buckets[b2], 0);
	}
	if (m1 != 0) {
		slot_set(&t->buckets[b1], (unsigned)__builtin_ctz(m1), tag, idx, false);
		return true;
	}
	if (m2 != 0) {
		slot_set(&t->buckets[b2], (unsigned)__builtin_ctz(m2), tag, idx, true);
		out_inc(&t->buckets[b1], tag);
		return true;
	}
	return false;
}

/*
 * Whether keys @a and @b are equal, bit for bit: five words loaded as scalars. Copied to arrays
 * first, gcc stored the record's key to the stack and loaded it back (~5 more instructions on
 * every packet's check in pass_apply()).
 */
static inline bool
key_eq(const struct flow_key *a, const struct flow_key *b)
{
	uint64_t a0, a1, a2, a3, a4, b0, b1, b2, b3, b4;

	memcpy(&a0, (const uint8_t *)a, 8);
	memcpy(&a1, (const uint8_t *)a + 8, 8);
	memcpy(&a2, (const uint8_t *)a + 16, 8);
	memcpy(&a3, (const uint8_t *)a + 24, 8);
	memcpy(&a4, (const uint8_t *)a + 32, 8);
	memcpy(&b0, (const uint8_t *)b, 8);
	memcpy(&b1, (const uint8_t *)b + 8, 8);
	memcpy(&b2, (const uint8_t *)b + 16, 8);
	memcpy(&b3, (const uint8_t *)b + 24, 8);
	memcpy(&b4, (const uint8_t *)b + 32, 8);
	return ((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2) | (a3 ^ b3) | (a4 ^ b4)) == 0;
}

static uint32_t
bucket_find(const struct ns_flow_table *t, uint32_t bi, uint16_t tag, const struct flow_key *k)
{
	const struct flow_bucket *b = &t->buckets[bi];

	for (unsigned m = tag_match(b, tag); m != 0; m &= m - 1) {
		uint32_t idx = slot_idx(b, (unsigned)__builtin_ctz(m));

		if (key_eq(&t->recs[idx].hot.key, k))
			return idx;
	}
	return NO_IDX;
}

static uint32_t
lookup(const struct ns_flow_table *t, const struct flow_key *k, uint64_t h, uint32_t b1)
{
	uint16_t tag = h_tag(h);
	const struct flow_bucket *b = &t->buckets[b1];
	uint32_t idx = bucket_find(t, b1, tag, k);

	if (idx == NO_IDX && b->out_cnt != 0 && (b->out_bloom & bloom_bit(tag)))
		idx = bucket_find(t, alt_bucket(t, b1, tag), tag, k);
	return idx;
}

/* Slot of record @idx in bucket @bi, or -1. */
static int
bucket_slot_of(const struct ns_flow_table *t, uint32_t bi, uint16_t tag, uint32_t idx)
{
	const struct flow_bucket *b = &t->buckets[bi];

	for (unsigned m = tag_match(b, tag); m != 0; m &= m - 1) {
		unsigned s = (unsigned)__builtin_ctz(m);

		if (slot_idx(b, s) == idx)
			return (int)s;
	}
	return -1;
}

uint64_t
flow_unlink_prefetch(const struct ns_flow_table *t, uint32_t idx)
{
	uint64_t h;

	flow_hash_keys(t, &t->recs[idx].hot.key, 1, &h);
	__builtin_prefetch(&t->buckets[h_bucket(t, h)], 1);
	return h;
}

void
flow_unlink(struct ns_flow_table *t, uint32_t idx)
{
	uint64_t h;

	flow_hash_keys(t, &t->recs[idx].hot.key, 1, &h);
	flow_unlink_hashed(t, idx, h);
}

void
flow_unlink_hashed(struct ns_flow_table *t, uint32_t idx, uint64_t h)
{
	uint16_t tag;
	uint32_t b1;
	int s;

	tag = h_tag(h);
	b1 = h_bucket(t, h);
	s = bucket_slot_of(t, b1, tag, idx);
	if (s < 0) {
		b1 = alt_bucket(t, b1, tag);
		s = bucket_slot_of(t, b1, tag, idx);
	}
	if (s >= 0)
		slot_clear(t, b1, (unsigned)s);
}

void
flow_buckets_purge(struct ns_flow_table *t)
{
	if (t->live == 0) {
		memset(t->buckets, 0, (size_t)t->n_buckets * sizeof(*t->buckets));
		return;
	}
	for (uint32_t bi = 0; bi < t->n_buckets; bi++) {
		const struct flow_bucket *b = &t->buckets[bi];

		for (unsigned s = 0; s < BUCKET_SLOTS; s++)
			if (b->tag[s] != 0 && t->recs[slot_idx(b, s)].hot.key.ip_ver == 0)
				slot_clear(t, bi, s);
	}
}

void
flow_free_rec(struct ns_flow_table *t, uint32_t idx)
{
	struct flow_rec *r = &t->recs[idx];

	r->hot.key.ip_ver = 0;
	t->seen[idx] = SEEN_FREE;
	r->hot.pkts[0] = t->free_head;
	t->free_head = idx;
	t->live--;
}

/*
 * A returned record first (the free list), else a never-used one from the bump pointer: the
 * table's pages are touched only as flows arrive, and scans stop at t->bump.
 */
static inline uint32_t
rec_alloc(struct ns_flow_table *t)
{
	uint32_t idx = t->free_head;

	if (idx != t->capacity) {
		t->free_head = t->recs[idx].hot.pkts[0];
	} else {
		if (t->bump == t->capacity)
			return NO_IDX;
		idx = t->bump++;
	}
	t->live++;
	return idx;
}

/* ---- keys ---- */

static inline bool
icmp_is_echo(const struct ns_pkt *p)
{
	if (p->l4 == NS_L4_ICMP)
		return p->icmp_type == 8 || p->icmp_type == 0;
	return p->icmp_type == 128 || p->icmp_type == 129;
}

/*
 * Ports and key kind of a packet that is not TCP/UDP with ports (ICMP, other protocols, or a
 * transport header cut short before the parser read it), as kind << 32 | sport << 16 | dport.
 */
static uint64_t
key_ports_other(const struct ns_pkt *p)
{
	uint16_t sport = 0, dport = 0;
	uint8_t kind = 0;

	switch (p->l4) {
	case NS_L4_TCP:
	case NS_L4_UDP: {
		/* including those of a transport header cut short before the parser read it */
		const uint32_t ports = ns_pkt_ports(p);

		sport = (uint16_t)(ports >> 16);
		dport = (uint16_t)ports;
		break;
	}
	case NS_L4_ICMP:
	case NS_L4_ICMPV6:
		if (icmp_is_echo(p)) {
			sport = dport = p->icmp_id;
			kind = KEY_KIND_ICMP_ECHO;
		} else if (p->sport != 0 || p->dport != 0) {
			/* an error about a TCP/UDP packet its sender received: the parser put the
			 * quoted ports here, so the error keys (and is dispatched) with that flow */
			sport = p->sport;
			dport = p->dport;
			kind = KEY_KIND_ICMP_QUOTE;
		} else {
			sport = dport = (uint16_t)(p->icmp_type << 8 | p->icmp_code);
		}
		break;
	default:
		break;
	}
	return (uint64_t)kind << 32 | (uint32_t)sport << 16 | dport;
}

/* A word loaded from network-order bytes, as a number (for ordering addresses). */
static inline uint64_t
be64_val(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

/*
 * Word 4 of a key as memory holds it: @ports is port_lo | port_hi << 16 (as a little-endian
 * load of the two fields would read them), then vlan, proto and ip_ver.
 */
static inline uint64_t
key_tail(uint32_t ports, uint16_t vlan, uint8_t proto, uint8_t ver)
{
	_Static_assert(offsetof(struct flow_key, port_lo) == 32 &&
			       offsetof(struct flow_key, port_hi) == 34 &&
			       offsetof(struct flow_key, vlan) == 36 &&
			       offsetof(struct flow_key, proto) == 38 &&
			       offsetof(struct flow_key, ip_ver) == 39,
		       "key word 4 layout");
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* the top half built in 32 bits: a constant version is then an immediate */
	return ports | (uint64_t)(vlan | (uint32_t)proto << 16 | (uint32_t)ver << 24) << 32;
#else
	return (uint64_t)(ports & 0xffff) << 48 | (uint64_t)(ports >> 16) << 32 |
	       (uint64_t)vlan << 16 | (uint64_t)proto << 8 | ver;
#endif
}

/* Store the five words of a key and return its hash. */
static inline __attribute__((always_inline)) uint64_t
key_store(const struct ns_flow_table *t, struct flow_key *k, KEY_WORDS_PARAMS, bool v4, bool crc)
{
	memcpy(k->addr_lo, &w0, 8);
	memcpy(k->addr_lo + 8, &w1, 8);
	memcpy(k->addr_hi, &w2, 8);
	memcpy(k->addr_hi + 8, &w3, 8);
	memcpy((uint8_t *)k + offsetof(struct flow_key, port_lo), &w4, 8);
	return hash_words(t, w0, w1, w2, w3, w4, v4, crc);
}

/*
 * Build the canonical key of @p into @k and its hash into *@hash; *@dir gets 0 when the sender
 * is the key's lo endpoint, 1 when it is hi. One symmetric function for IPv4 and IPv6: an
 * endpoint is (address as two big-endian words, port) and the smaller becomes lo. When the first
 * words and the top 16 bits of the second are equal on both sides, which is every IPv4 packet
 * (mapped: ::ffff:a.b.c.d) and IPv6 within one /80, the rest of the address and the port order
 * in one 64-bit compare, and the swap is done with masks, not branches (the direction is a coin
 * toss per packet). Returns false, leaving @k alone, for packets without an IP layer whose
 * addresses were read.
 */
static inline __attribute__((always_inline)) bool
key_make(const struct ns_flow_table *t, const struct ns_pkt *p, struct flow_key *k, unsigned *dir,
	 uint64_t *hash, bool crc)
{
	uint64_t s0, s1, d0, d1, dx0, dx1, m;
	uint32_t ports, pm;
	uint16_t sport, dport, vlan;
	uint8_t ver = p->ip_version;
	bool swap;

	if (NS_UNLIKELY(ver != 4 && ver != 6))
		return false;
	sport = p->sport;
	dport = p->dport;
	if (NS_UNLIKELY((p->l4 != NS_L4_TCP && p->l4 != NS_L4_UDP) || (sport | dport) == 0)) {
		uint64_t o = key_ports_other(p);

		sport = (uint16_t)(o >> 16);
		dport = (uint16_t)o;
		ver = (uint8_t)(ver | (o >> 32));
	}
	ports = sport | (uint32_t)dport << 16;
	vlan = (uint16_t)((p->vlan_count != 0 ? p->vlan[0] : 0) & t->vlan_mask);
	memcpy(&s0, p->src.b, 8);
	memcpy(&s1, p->src.b + 8, 8);
	memcpy(&d0, p->dst.b, 8);
	memcpy(&d1, p->dst.b + 8, 8);
	dx0 = s0 ^ d0;
	dx1 = s1 ^ d1;
	if (NS_LIKELY((dx0 | (be64_val(dx1) >> 48)) == 0)) {
		swap = (be64_val(s1) << 16 | sport) > (be64_val(d1) << 16 | dport);
		m = 0 - (uint64_t)swap;
		dx1 &= m;
		pm = (ports ^ (ports >> 16 | ports << 16)) & (uint32_t)m;
		*dir = swap;
		*hash = key_store(t, k, s0, s1 ^ dx1, s0, d1 ^ dx1,
				  key_tail(ports ^ pm, vlan, p->ip_proto, ver), p->ip_version == 4,
				  crc);
		return true;
	}
	swap = dx0 != 0 ? be64_val(s0) > be64_val(d0) : be64_val(s1) > be64_val(d1);
	m = 0 - (uint64_t)swap;
	dx0 &= m;
	dx1 &= m;
	pm = (ports ^ (ports >> 16 | ports << 16)) & (uint32_t)m;
	*dir = swap;
	*hash = key_store(t, k, s0 ^ dx0, s1 ^ dx1, d0 ^ dx0, d1 ^ dx1,
			  key_tail(ports ^ pm, vlan, p->ip_proto, ver), p->ip_version == 4, crc);
	return true;
}

/* Why a TCP segment stays out of the sequence analysis (tcp-analysis.md §1), or -1. */
static inline int
tcp_skip_reason(const struct ns_pkt *p)
{
	/* the common segment: a whole header, no parse remark, not a fragment */
	if (NS_LIKELY(p->reason == NS_PARSE_R_NONE && p->tcp_hlen >= 20 && !(p->frag & NS_FRAG_IS)))
		return -1;
	if (p->frag & NS_FRAG_IS)
		return NS_FLOW_TCP_SKIP_FRAGMENT;
	if (p->tcp_hlen < 20 || p->reason == NS_PARSE_R_TCP_SHORT ||
	    p->reason == NS_PARSE_R_TCP_DOFF || p->reason == NS_PARSE_R_TCP_LEN)
		return NS_FLOW_TCP_SKIP_HEADER;
	return -1;
}

/* ---- flow life ---- */

static void
flow_init(struct ns_flow_table *t, uint32_t idx, const struct flow_key *k, const struct ns_pkt *p,
	  unsigned d, uint64_t ts_ns, bool tcp_ok)
{
	struct flow_rec *r = &t->recs[idx];
	struct flow_hot *h = &r->hot;
	unsigned client_hi = d;
	uint8_t flags = 0;

	memset(h, 0, sizeof(*h));
	memset(&r->cold, 0, sizeof(r->cold));
	h->key = *k;
	if (k->proto == 6 && p->l4 == NS_L4_TCP) {
		flow_tcp_init(r);
		if (tcp_ok && (p->tcp_flags & NS_TCP_SYN)) {
			/* the receiver of a SYN/ACK is the client */
			if (p->tcp_flags & NS_TCP_ACK)
				client_hi = d ^ 1;
		} else {
			flags |= FF_MIDSTREAM;
		}
		if (!tcp_ok)
			h->state = NS_FLOW_TCP_MIDSTREAM;
	} else if (k->proto == 6) {
		/* a non-first fragment of TCP: no header, its own (proto, 0/0) flow */
		flow_tcp_init(r);
		flags |= FF_MIDSTREAM;
		h->state = NS_FLOW_TCP_MIDSTREAM;
	}
	h->flags = (uint8_t)(flags | (client_hi ? FF_CLIENT_HI : 0));
	if (k->ip_ver & KEY_KIND_ICMP_QUOTE) {
		r->cold.icmp.type = p->icmp_type;
		r->cold.icmp.code = p->icmp_code;
	}
	r->cold.first_ns = ts_ns;
	if (ts_ns < t->first_floor_ns)
		t->first_floor_ns = ts_ns;
	r->cold.id_epoch = t->next_id++ & ID_MASK;
	FLOW_STAT_ADD(t, created, 1);
}

/* Victim preference (flow-table.md §5): closed first, then half-open, then UDP/other. */
static unsigned
victim_class(const struct flow_rec *r)
{
	switch (r->hot.state) {
	case NS_FLOW_TCP_CLOSING:
	case NS_FLOW_TCP_CLOSED:
	case NS_FLOW_TCP_RESET:
		return 0;
	case NS_FLOW_TCP_SYN_SENT:
	case NS_FLOW_TCP_SYN_RECEIVED:
		return 1;
	case NS_FLOW_TCP_NONE:
		return r->hot.key.proto == 6 ? 3 : 2;
	default:
		return 3;
	}
}

static inline uint64_t
rec_idle(const struct ns_flow_table *t, const struct flow_rec *r)
{
	return t->now_us - flow_last_us(t, r);
}

/* Pick the victim among @n record indexes: lowest class, then longest idle. */
static uint32_t
victim_pick(const struct ns_flow_table *t, const uint32_t *cand, unsigned n)
{
	uint32_t best = NO_IDX;
	unsigned best_class = 99;
	uint64_t best_idle = 0;

	for (unsigned i = 0; i < n; i++)
		__builtin_prefetch(&t->recs[cand[i]].hot);
	for (unsigned i = 0; i < n; i++) {
		const struct flow_rec *r = &t->recs[cand[i]];
		unsigned c = victim_class(r);
		uint64_t idle = rec_idle(t, r);

		if (c < best_class || (c == best_class && idle > best_idle)) {
			best = cand[i];
			best_class = c;
			best_idle = idle;
		}
	}
	return best;
}

static unsigned
bucket_members(const struct ns_flow_table *t, uint32_t bi, uint32_t *out, unsigned n)
{
	const struct flow_bucket *b = &t->buckets[bi];

	for (unsigned s = 0; s < BUCKET_SLOTS; s++)
		if (b->tag[s] != 0)
			out[n++] = slot_idx(b, s);
	return n;
}

/* Evict one flow to make room for a key of hash @h; the victim is queued as EVICTED. */
static bool
evict_one(struct ns_flow_table *t, uint64_t h, uint32_t b1, bool pool_empty)
{
	uint32_t cand[2 * BUCKET_SLOTS > EVICT_PICK ? 2 * BUCKET_SLOTS : EVICT_PICK];
	uint32_t b2 = alt_bucket(t, b1, h_tag(h));
	unsigned n = bucket_members(t, b1, cand, 0);
	uint32_t v;

	if (b2 != b1)
		n = bucket_members(t, b2, cand, n);
	if (n == 0) {
		/* the pool is empty but this key's buckets are too: take from the clock hand */
		for (unsigned i = 0; i < EVICT_SCAN && n < EVICT_PICK; i++) {
			uint32_t idx = t->evict_hand;

			t->evict_hand = idx + 1 >= t->bump ? 0 : idx + 1;
			if (t->recs[idx].hot.key.ip_ver != 0)
				cand[n++] = idx;
		}
	}
	v = victim_pick(t, cand, n);
	if (v == NO_IDX)
		return false;
	flow_emit(t, v, NS_FLOW_END_EVICTED);
	FLOW_STAT_ADD(t, evict_full, pool_empty ? 1 : 0);
	FLOW_STAT_ADD(t, evict_collision, pool_empty ? 0 : 1);
	return true;
}

/* Create the flow of key @k (hash @h, primary bucket @b1); returns its record or NO_IDX
 * (counted as untracked). */
static uint32_t
flow_create(struct ns_flow_table *t, const struct flow_key *k, uint64_t h, uint32_t b1,
	    const struct ns_pkt *p, unsigned d, uint64_t ts_ns, bool tcp_ok)
{
	uint32_t idx = rec_alloc(t);

	if (idx == NO_IDX) {
		FLOW_STAT_ADD(t, table_full, 1);
		if (flow_queue_room(t) == 0) {
			FLOW_STAT_ADD(t, untracked[NS_FLOW_UNTRACKED_REFUSED], 1);
			FLOW_STAT_ADD(t, queue_full, 1);
			return NO_IDX;
		}
		if (!evict_one(t, h, b1, true) || (idx = rec_alloc(t)) == NO_IDX) {
			FLOW_STAT_ADD(t, untracked[NS_FLOW_UNTRACKED_NO_SLOT], 1);
			return NO_IDX;
		}
	}
	if (!bucket_insert(t, h, b1, idx)) {
		FLOW_STAT_ADD(t, table_full, 1);
		if (flow_queue_room(t) == 0) {
			FLOW_STAT_ADD(t, untracked[NS_FLOW_UNTRACKED_REFUSED], 1);
			FLOW_STAT_ADD(t, queue_full, 1);
			flow_free_rec(t, idx);
			return NO_IDX;
		}
		if (!evict_one(t, h, b1, false) || !bucket_insert(t, h, b1, idx)) {
			FLOW_STAT_ADD(t, untracked[NS_FLOW_UNTRACKED_NO_SLOT], 1);
			flow_free_rec(t, idx);
			return NO_IDX;
		}
	}
	flow_init(t, idx, k, p, d, ts_ns, tcp_ok);
	return idx;
}

/* Queue an OVERFLOW interim record of @idx, or count that the queue was full. */
static bool
emit_overflow(struct ns_flow_table *t, uint32_t idx)
{
	if (flow_queue_room(t) == 0) {
		FLOW_STAT_ADD(t, queue_full, 1);
		return false;
	}
	flow_emit(t, idx, NS_FLOW_END_OVERFLOW);
	return true;
}

/*
 * Whether packet @p of flow @h is a TCP segment. flow_apply() tests it, and tcp_skip_reason(),
 * where each use needs them (the reuse test only for a bare SYN): computed once at its start,
 * both lived through the counter update in registers or on the stack, 8 instructions a packet
 * more (callgrind, min-100k).
 */
static inline bool
pkt_is_tcp(const struct flow_hot *h, const struct ns_pkt *p)
{
	return h->key.proto == 6 && p->l4 == NS_L4_TCP;
}

/* Index of record @r (flow_apply() needs it only for the rare records it emits). */
static inline uint32_t
rec_idx(const struct ns_flow_table *t, const struct flow_rec *r)
{
	return (uint32_t)(r - t->recs);
}

/*
 * Whether TCP segment @p may change the state of flow @h (tcp_state_update() in flow_tcp.c and
 * the shortcuts in flow_priv.h): one with SYN, FIN or RST may, one without only in a state an
 * ACK moves on (TCP_ACK_MOVES) or before any state (NONE). Other flows have no state.
 */
static inline bool
may_move_state(const struct flow_hot *h, const struct ns_pkt *p)
{
	return pkt_is_tcp(h, p) &&
	       ((p->tcp_flags & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST)) != 0 ||
		((1u << h->state) & (TCP_ACK_MOVES | 1u << NS_FLOW_TCP_NONE)) != 0);
}

/*
 * Account packet @p (direction @d) in flow record @r, running TCP analysis when it applies.
 * Stage 3 passes the record stage 2 found, not its index, so the record's address is not
 * computed again (8.3M instructions fewer on min-100k, with the prefetch 4 ahead).
 */
static void
flow_apply(struct ns_flow_table *t, struct flow_rec *r, const struct ns_pkt *p, unsigned d,
	   uint64_t ts_ns, bool created)
{
	struct flow_hot *h = &r->hot;
	uint64_t t_us = ts_ns / NS_NSEC_PER_USEC;
	uint64_t t40 = t_us & US_MASK40;
	uint64_t last40 = (uint64_t)h->last_hi << 32 | h->last_lo;
	uint32_t len = p->wirelen;
	int skip;

	/*
	 * Idle timeout checked on the packet itself: a packet after a longer silence than the
	 * flow's timeout starts a new flow, whether or not the sweep got there first. The split
	 * then depends on packet times only, not on when the sweep ran (or on which worker).
	 */
	if (!created) {
		uint64_t gap = (t40 - last40) & US_MASK40;
		enum flow_tclass tc;

		if (NS_UNLIKELY(gap > t->timeout_min_us) && gap < (1ull << 39) &&
		    gap > t->timeout_us[tc = flow_tclass(r)]) {
			if (flow_queue_room(t) != 0) {
				struct flow_key k = h->key;
				const uint32_t idx = rec_idx(t, r);

				flow_emit_split(t, idx, tc == TC_TCP_CLOSED ? NS_FLOW_END_CLOSED
									  : NS_FLOW_END_IDLE);
				/* the key as it was: the record is the emitted one's until flow_init() */
				flow_init(t, idx, &k, p, d, ts_ns,
					  !(k.proto == 6 && p->l4 == NS_L4_TCP) ||
						  tcp_skip_reason(p) < 0);
				created = true;
				last40 = t40;
			} else {
				FLOW_STAT_ADD(t, queue_full, 1);
			}
		}
	}
	/*
	 * Before the reuse and overflow records below, which read it only to rebuild the flow's
	 * last time (flow_last_us()): the same value from either now while that time is less than
	 * 2^40 us back, which housekeeping's six-day visits ensure (struct flow_hot).
	 */
	if (t_us > t->now_us)
		t->now_us = t_us;
	else if (NS_UNLIKELY(t_us < t->gen_from_us))
		flow_gen_late(t, t_us); /* not after the clock: maybe before the generation */
	/* tcp-analysis.md §2 rule 2: a bare SYN with a new ISN starts a new tcp.stream */
	if (!created && (p->tcp_flags & (NS_TCP_SYN | NS_TCP_ACK)) == NS_TCP_SYN &&
	    pkt_is_tcp(h, p) && tcp_skip_reason(p) < 0 && flow_tcp_is_reuse(r, p, d)) {
		if (flow_queue_room(t) != 0) {
			struct flow_key k = h->key;
			const uint32_t idx = rec_idx(t, r);

			/* the record keeps its slot and is re-initialised in place */
			flow_emit(t, idx, NS_FLOW_END_REUSED);
			flow_init(t, idx, &k, p, d, ts_ns, true);
			created = true;
			last40 = t40;
		} else {
			FLOW_STAT_ADD(t, queue_full, 1);
		}
	}
	if (NS_UNLIKELY(h->pkts[d] == UINT32_MAX || h->bytes[d] > UINT32_MAX - len)) {
		if (!emit_overflow(t, rec_idx(t, r))) {
			/* queue full: saturate rather than wrap */
			if (h->pkts[d] != UINT32_MAX)
				h->pkts[d]++;
			h->bytes[d] =
				h->bytes[d] > UINT32_MAX - len ? UINT32_MAX : h->bytes[d] + len;
			goto counted;
		}
	}
	h->pkts[d]++;
	h->bytes[d] += len;
counted:
	if (created || ((t40 - last40) & US_MASK40) < (1ull << 39)) {
		h->last_lo = (uint32_t)t40;
		h->last_hi = (uint8_t)(t40 >> 32);
		/*
		 * For the sweep: a new flow's last time is not before its generation's start, and
		 * a packet that may change the flow's state may change its timeout class, which a
		 * value the sweep parked the flow with would hide. A packet that only moves the
		 * last time on leaves seen[] as it is: its value still holds (flow_emit.c, "Sweep
		 * generations"), and at 1M flows the store would be a cache miss of its own.
		 */
		if (NS_UNLIKELY(created || may_move_state(h, p)))
			t->seen[rec_idx(t, r)] = t->gen_stamp;
	} else {
		/* an older packet may still change the flow's class: the sweep reads it */
		t->seen[rec_idx(t, r)] = SEEN_STALE;
	}
	if (!pkt_is_tcp(h, p))
		return;
	skip = tcp_skip_reason(p);
	if (skip >= 0) {
		FLOW_STAT_ADD(t, tcp_skipped[skip], 1);
		return;
	}
	if (NS_UNLIKELY(flow_tcp_analyse(t, r, p, d, (uint32_t)t_us, created)))
		emit_overflow(t, rec_idx(t, r));
}

/* ---- the burst pipeline ---- */

/*
 * Whether endpoint (@a, @pa) orders after (@b, @pb), address first: as one 128-bit compare
 * (a cmp and an sbb on x86-64) rather than shifting both ports into their words.
 */
static inline __attribute__((always_inline)) unsigned
endpoint_after(uint64_t a, uint16_t pa, uint64_t b, uint16_t pb)
{
#if defined(__SIZEOF_INT128__)
	return ((unsigned __int128)a << 64 | pa) > ((unsigned __int128)b << 64 | pb);
#else
	return a > b || (a == b && pa > pb);
#endif
}

/*
 * The key of an IPv4 TCP or UDP packet with a port set (nearly all traffic), into @k, its
 * direction into *@dir and its hash into *@hash: key_make()'s one-compare path with everything
 * it can know in advance folded in (version 4, kind 0, ports as parsed, the IPv4 hash over words
 * 1, 3 and 4), so every result is the one key_make() gives. It also requires the first 12 bytes
 * of both addresses to be equal, which mapped IPv4 (::ffff:a.b.c.d) always has, so ordering the
 * two endpoints is one compare of (address, port). Returns false, writing nothing, for any other
 * packet; key_make() takes those.
 */
static inline __attribute__((always_inline)) bool
key_make_v4(const struct ns_flow_table *t, const struct ns_pkt *p, struct flow_key *k,
	    unsigned *dir, uint64_t *hash, bool crc)
{
	uint64_t s0, s1, d1, m, dx;
	uint32_t ports;
	uint16_t vlan;
	bool swap;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint16_t lv;

	/* l4 and ip_version in one load: version 4 and TCP or UDP (NS_L4_UDP == NS_L4_TCP + 1) */
	_Static_assert(offsetof(struct ns_pkt, ip_version) == offsetof(struct ns_pkt, l4) + 1 &&
			       NS_L4_UDP == NS_L4_TCP + 1,
		       "l4 and ip_version adjacent");
	memcpy(&lv, &p->l4, 2);
	if ((uint16_t)(lv - (4u << 8 | NS_L4_TCP)) > 1)
		return false;
#else
	if (p->ip_version != 4 || (p->l4 != NS_L4_TCP && p->l4 != NS_L4_UDP))
		return false;
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	_Static_assert(offsetof(struct ns_pkt, dport) == offsetof(struct ns_pkt, sport) + 2,
		       "sport and dport adjacent");
	memcpy(&ports, &p->sport, 4);
#else
	ports = p->sport | (uint32_t)p->dport << 16;
#endif
	if (ports == 0)
		return false;
	memcpy(&s0, p->src.b, 8);
	memcpy(&s1, p->src.b + 8, 8);
	memcpy(&d1, p->dst.b + 8, 8);
	if (memcmp(p->dst.b, &s0, 8) != 0)
		return false;
	/* bytes 8..11 of the addresses: the low half of the word on little-endian */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if ((uint32_t)s1 != (uint32_t)d1)
		return false;
#else
	if ((s1 ^ d1) >> 32 != 0)
		return false;
#endif
	/* a coin toss per packet: the swap is masks, not a branch */
	swap = endpoint_after(be64_val(s1), (uint16_t)ports, be64_val(d1), (uint16_t)(ports >> 16));
	m = 0 - (uint64_t)swap;
	/* opaque, or the compiler turns the masks back into selects, and those into a branch */
	__asm__("" : "+r"(m));
	dx = (s1 ^ d1) & m;
	ports ^= (ports ^ (ports >> 16 | ports << 16)) & (uint32_t)m;
	vlan = (uint16_t)((p->vlan_count != 0 ? p->vlan[0] : 0) & t->vlan_mask);
	*dir = swap;
	*hash = key_store(t, k, s0, s1 ^ dx, s0, d1 ^ dx, key_tail(ports, vlan, p->ip_proto, 4), true,
			  crc);
	return true;
}

/*
 * Stage 1 for every packet key_make_v4() declines, out of line so the IPv4 loop keeps its
 * registers: the key of @p into @k, its direction into *@dir, and its hash. A packet without an
 * IP layer gets the zero key (ip_ver 0, which no flow has), so the later stages keep packet
 * order without an index map, and stage 3 counts it where a flow would be created.
 */
static __attribute__((noinline)) uint64_t
pass_key_other(struct ns_flow_table *t, const struct ns_pkt *p, struct flow_key *k, uint8_t *dir)
{
	uint64_t h;
	unsigned d;
	bool ok = t->hash_crc ? key_make(t, p, k, &d, &h, true) : key_make(t, p, k, &d, &h, false);

	if (NS_UNLIKELY(!ok)) {
		memset(k, 0, sizeof(*k));
		h = d = 0;
	}
	*dir = (uint8_t)d;
	return h;
}

/*
 * Stage 1: key, hash and primary bucket of every packet in one loop; each bucket is prefetched
 * as soon as it is known, so the first ones have the rest of the pass to arrive.
 */
static inline __attribute__((always_inline)) void
pass_keys(struct ns_flow_table *t, const struct ns_pkt *pkts, unsigned n, struct flow_pass *ps,
	  bool crc)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t h;
		unsigned d;

		if (NS_LIKELY(key_make_v4(t, &pkts[i], &ps->keys[i], &d, &h, crc)))
			ps->dir[i] = (uint8_t)d;
		else
			h = pass_key_other(t, &pkts[i], &ps->keys[i], &ps->dir[i]);
		ps->hv[i] = h;
		ps->bkt[i] = h_bucket(t, h);
		__builtin_prefetch(&t->buckets[ps->bkt[i]]);
	}
}

/* The two instances of stage 1, one per hash (chosen once per pass). */
static void
pass_keys_crc32c(struct ns_flow_table *t, const struct ns_pkt *pkts, unsigned n,
		 struct flow_pass *ps)
{
	pass_keys(t, pkts, n, ps, true);
}

static void
pass_keys_portable(struct ns_flow_table *t, const struct ns_pkt *pkts, unsigned n,
		   struct flow_pass *ps)
{
	pass_keys(t, pkts, n, ps, false);
}

void
flow_keys_of(struct ns_flow_table *t, const struct ns_pkt *pkts, unsigned n,
	     struct flow_key *keys, unsigned *dirs, uint64_t *hv)
{
	struct flow_pass ps;

	(t->hash_crc ? pass_keys_crc32c : pass_keys_portable)(t, pkts, n, &ps);
	for (unsigned i = 0; i < n; i++) {
		keys[i] = ps.keys[i];
		dirs[i] = ps.dir[i];
		hv[i] = ps.hv[i];
	}
}

bool
flow_key_of(struct ns_flow_table *t, const struct ns_pkt *p, struct flow_key *k, unsigned *dir,
	    uint64_t *h)
{
	flow_keys_of(t, p, 1, k, dir, h);
	return k->ip_ver != 0;
}

bool
flow_key_of_general(const struct ns_flow_table *t, const struct ns_pkt *p, struct flow_key *k,
		    unsigned *dir, uint64_t *h)
{
	return t->hash_crc ? key_make(t, p, k, dir, h, true) : key_make(t, p, k, dir, h, false);
}

/*
 * Prefetch, for writing, record @idx: the one the next flow creation takes. A new flow writes
 * all three lines of a record nobody read recently, so at 1M flows each creation otherwise
 * waits for three misses.
 */
static inline void
prefetch_new_rec(const struct ns_flow_table *t, uint32_t idx)
{
	__builtin_prefetch(&t->recs[idx].hot, 1);
	__builtin_prefetch(&t->recs[idx].tcp, 1);
	__builtin_prefetch(&t->recs[idx].cold, 1);
}

/*
 * Stage 2 prefetches a hit's hot and TCP lines into L2 (locality 2, prefetcht1 on x86), not
 * L1: stage 3 reads them after the rest of the pass's tag matches, where an L2 hit costs a few
 * cycles more, and the flow stage measured 2-5% faster on min-size and IMIX captures of 100k
 * and 1M flows (paired A/B, docs/flow-tracking.md "Performance notes"). The likely reason: an
 * L1 prefetch holds one of the core's few L1 fill buffers until its line arrives from memory,
 * and a pass issues up to 64 of them at once, so the later ones wait for a free buffer.
 */
#define REC_PF_LOCALITY 2

/*
 * Stage 2: tag match; prefetch the record (and its TCP line) of every hit, the alternate
 * bucket of a miss that may be there, and the record the next creation takes. Each stage is
 * a function of its own so the compiler allocates the registers of one loop at a time.
 */
static __attribute__((noinline)) void
pass_match(const struct ns_flow_table *t, const struct ns_pkt *pkts, unsigned n,
	   struct flow_pass *ps)
{
	const uint64_t *hv = ps->hv;
	const uint32_t *bkt = ps->bkt;
	struct flow_rec **cand = ps->cand;
	const bool cold_pf = t->cold_pf;
	/* records the next creations take: the free list's head, else the never-used ones */
	uint32_t pf_next = t->free_head != t->capacity ? t->free_head : t->bump;
	const uint32_t pf_end = t->free_head != t->capacity ? t->free_head + 1 : t->capacity;
	unsigned n_alt = 0;

	for (unsigned k = 0; k < n; k++) {
		uint16_t tag = h_tag(hv[k]);
		const struct flow_bucket *b = &t->buckets[bkt[k]];
		unsigned m = tag_match(b, tag);

		if (m != 0) {
			struct flow_rec *r = &t->recs[slot_idx(b, (unsigned)__builtin_ctz(m))];

			cand[k] = r;
			__builtin_prefetch(&r->hot, 1, REC_PF_LOCALITY);
			/* the TCP line of a segment flow_apply() may analyse */
			if (pkts[k].l4 == NS_L4_TCP) {
				__builtin_prefetch(&r->tcp, 1, REC_PF_LOCALITY);
				if (flow_tcp_cold_pf(cold_pf, &pkts[k]))
					__builtin_prefetch(&r->cold, 1);
			}
		} else if (b->out_cnt != 0 && (b->out_bloom & bloom_bit(tag))) {
			cand[k] = NULL; /* until the alternate bucket is read below */
			__builtin_prefetch(&t->buckets[alt_bucket(t, bkt[k], tag)]);
			ps->alt[n_alt++] = (uint8_t)k;
		} else {
			cand[k] = NULL;
			if (pf_next < pf_end)
				prefetch_new_rec(t, pf_next++);
		}
	}
	for (unsigned k = n; k < n + APPLY_PF_DIST; k++)
		cand[k] = NULL;
	/* the alternate buckets of the misses that may be there, prefetched above */
	for (unsigned i = 0; i < n_alt; i++) {
		const unsigned k = ps->alt[i];
		const uint16_t tag = h_tag(hv[k]);
		const struct flow_bucket *b = &t->buckets[alt_bucket(t, bkt[k], tag)];
		const unsigned m = tag_match(b, tag);

		if (m != 0) {
			cand[k] = &t->recs[slot_idx(b, (unsigned)__builtin_ctz(m))];
			__builtin_prefetch(&cand[k]->hot, 1, REC_PF_LOCALITY);
		}
	}
}

/*
 * The packet time from which flow_time_jump() ends every flow: the first microsecond more than
 * JUMP_US past the clock (saturating).
 */
static inline uint64_t
jump_at_ns(const struct ns_flow_table *t)
{
	uint64_t us = t->now_us + JUMP_US + 1;

	return us < UINT64_MAX / NS_NSEC_PER_USEC ? us * NS_NSEC_PER_USEC : UINT64_MAX;
}

/*
 * Stage 3: apply in packet order. A candidate is confirmed by the full key compare; a stale
 * one (a false tag hit, or a record evicted earlier in this burst) and any miss after this
 * burst changed the table take the full lookup. Returns the packets tracked.
 */
static __attribute__((noinline)) unsigned
pass_apply(struct ns_flow_table *t, const struct ns_pkt *pkts, const uint64_t *ts, unsigned n,
	   const struct flow_pass *ps)
{
	const struct flow_key *keys = ps->keys;
	const uint64_t *hv = ps->hv;
	const uint32_t *bkt = ps->bkt;
	struct flow_rec *const *cand = ps->cand;
	unsigned untracked = 0;
	bool changed = false, stale = false;
	uint64_t jump_ns = jump_at_ns(t);

	for (unsigned k = 0; k < n; k++) {
		const struct ns_pkt *p = &pkts[k];
		const uint64_t ts_ns = ts[k];
		const unsigned d = ps->dir[k];
		struct flow_rec *r;
		bool created = false;

		/* a packet without an IP layer never moves the clock, nor ends flows */
		if (NS_UNLIKELY(ts_ns >= jump_ns) && keys[k].ip_ver != 0) {
			/* jump_ns is from the clock before this pass's packets moved it */
			jump_ns = jump_at_ns(t);
			if (ts_ns >= jump_ns) {
				/* the pass's candidates may have ended: later packets look up */
				if (t->live != 0)
					stale = changed = true;
				flow_time_jump(t, ts_ns / NS_NSEC_PER_USEC);
				jump_ns = jump_at_ns(t);
			}
		}
		r = stale ? NULL : cand[k];

		if (cand[k + APPLY_PF_DIST] != NULL) {
			__builtin_prefetch(&cand[k + APPLY_PF_DIST]->hot, 1, 3);
			__builtin_prefetch(&cand[k + APPLY_PF_DIST]->tcp, 1, 3);
		}
		if (r == NULL || !key_eq(&r->hot.key, &keys[k])) {
			uint32_t idx = NO_IDX;

			if (r != NULL || changed)
				idx = lookup(t, &keys[k], hv[k], bkt[k]);
			if (idx == NO_IDX) {
				bool tcp_ok;

				if (NS_UNLIKELY(keys[k].ip_ver == 0)) {
					/* no IP layer: counted here, with the pass's packets */
					FLOW_STAT_ADD(t, untracked[NS_FLOW_UNTRACKED_NOT_IP], 1);
					untracked++;
					continue;
				}
				tcp_ok = p->l4 == NS_L4_TCP && tcp_skip_reason(p) < 0;
				idx = flow_create(t, &keys[k], hv[k], bkt[k], p, d, ts_ns,
						  tcp_ok);
				if (idx == NO_IDX) {
					untracked++;
					continue;
				}
				created = changed = true;
			}
			r = &t->recs[idx];
		}
		flow_apply(t, r, p, d, ts_ns, created);
	}
	return n - untracked;
}

/*
 * Stage 3 of the pending pass, if there is one; records from the pass before leave first, so
 * this one has room. Returns the packets it tracked.
 */
static unsigned
pend_apply(struct ns_flow_table *t)
{
	unsigned n = t->pend_n, tracked;

	if (n == 0)
		return 0;
	if (t->q_len != 0)
		flow_queue_drain(t);
	t->pend_n = 0;
	tracked = pass_apply(t, t->pend_pkts, t->pend_ts, n, t->pend_ps);
	FLOW_STAT_ADD(t, packets, n);
	FLOW_STAT_ADD(t, tracked, tracked);
	return tracked;
}

void
flow_sync(struct ns_flow_table *t)
{
	if (t->pend_n == 0)
		return;
	pend_apply(t);
	if (t->q_len != 0)
		flow_queue_drain(t);
	FLOW_STAT_SET(t, active, t->live);
}

/*
 * The passes overlap: a pass's keys are made (stage 1, its buckets prefetched) before the
 * previous pass is applied (stage 3), and its tags matched (stage 2, its records prefetched)
 * after, so the buckets have a whole stage 3 to arrive and the records the next pass's stage 1.
 * Stage 2 runs after every earlier packet changed the table, so its candidates are as current
 * as without the overlap. A deferred table leaves its last pass pending until the next call,
 * so that the caller's receive and parse of the next burst also hide the records' misses.
 */
unsigned
ns_flow_table_process_burst(struct ns_flow_table *t, const struct ns_pkt *pkts,
			    const uint64_t *ts_ns, unsigned n)
{
	struct flow_pass local[2];
	struct flow_pass *const two = t->defer != NULL ? t->defer->ps : local;
	unsigned tracked = 0;

	for (unsigned off = 0; off < n; off += NS_FLOW_BURST) {
		const unsigned m = NS_MIN(n - off, (unsigned)NS_FLOW_BURST);
		/* the pass struct the pending pass does not use */
		const unsigned s = t->pend_n != 0 && t->pend_ps == &two[0];
		struct flow_pass *ps = &two[s];
		const struct ns_pkt *p = pkts + off;
		const uint64_t *ts = ts_ns + off;

		if (t->hash_crc)
			pass_keys_crc32c(t, p, m, ps);
		else
			pass_keys_portable(t, p, m, ps);
		tracked += pend_apply(t);
		flow_cold_roll(t, m);
		pass_match(t, p, m, ps);
		t->pend_ps = ps;
		t->pend_pkts = p;
		t->pend_ts = ts;
		t->pend_n = m;
	}
	if (t->defer == NULL) {
		tracked += pend_apply(t);
	} else if (t->defer_copy && t->pend_n != 0 && t->pend_pkts != t->defer->pkts) {
		/* the caller's arrays are its own once this returns (DEFER_KEPT: not until its
		 * next call into the table) */
		memcpy(t->defer->pkts, t->pend_pkts, t->pend_n * sizeof(*pkts));
		memcpy(t->defer->ts, t->pend_ts, t->pend_n * sizeof(*ts_ns));
		t->pend_pkts = t->defer->pkts;
		t->pend_ts = t->defer->ts;
	}
	if (t->q_len != 0)
		flow_queue_drain(t);
	FLOW_STAT_SET(t, active, t->live);
	return tracked;
}
