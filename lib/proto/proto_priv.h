/* SPDX-License-Identifier: MIT */
/*
 * Private helpers of the packet parser: the bounds-checked cursor every header read goes
 * through, and big/little-endian loads. A header is first "pulled" as a whole (one bounds
 * check against caplen), then its fields are loaded from the returned pointer; nothing reads
 * the frame without a successful pull first. This is tcpdump's GET_BE_U_2 discipline with one
 * check per header instead of one per field, which keeps the hot path branch-light.
 */
#ifndef PROTO_PRIV_H
#define PROTO_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ns_core.h"
#include "ns_proto.h"

/* The frame as the parser sees it. wirelen is never below caplen (a record claiming less on
 * the wire than it captured is treated as if the captured bytes were the whole frame). */
struct cursor {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
};

/*
 * Pointer to @len bytes at @off when all of them were captured, else NULL. The two compares
 * cannot overflow: off is checked first, then len against what remains.
 */
static inline const uint8_t *
cur_pull(const struct cursor *c, uint32_t off, uint32_t len)
{
	if (NS_UNLIKELY(off > c->caplen || len > c->caplen - off))
		return NULL;
	return c->data + off;
}

/*
 * Verdict for a header of @len bytes at @off that did not fit in caplen: the snaplen cut it
 * (TRUNCATED) when the header still lies within the original wire length, otherwise the frame
 * itself is too short for what it claims (MALFORMED).
 */
static inline uint8_t
cur_cut_verdict(const struct cursor *c, uint32_t off, uint32_t len)
{
	return (uint64_t)off + len <= c->wirelen ? NS_PARSE_TRUNCATED : NS_PARSE_MALFORMED;
}

static inline uint16_t
rd_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t
rd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t
rd_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Store an IPv4 address (4 network-order bytes) as ::ffff:a.b.c.d into a zeroed ns_addr. */
static inline void
addr_set_v4(struct ns_addr *a, const uint8_t *p)
{
	static const uint8_t ffff[2] = { 0xff, 0xff };
	uint8_t v[4];

	/* through a local: byte stores into @a may alias @p, so the compiler would not merge them */
	memcpy(v, p, sizeof(v));
	memcpy(a->b + 10, ffff, sizeof(ffff));
	memcpy(a->b + 12, v, sizeof(v));
}

/*
 * The two halves of ns_parse(), apart, for tests/unit/proto/test_fast_path.c. parse_general()
 * is ns_parse() without the fixed-offset fast path: the layer-by-layer parse every frame used
 * to take. parse_fast() is the fast path alone: true when it took the frame (and @pkt is then
 * what ns_parse() returns), false when the frame needs the general path (@pkt then holds only
 * data, caplen, wirelen and linktype). Both return what ns_parse() would for their frames.
 */
int parse_general(int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
		  struct ns_pkt *pkt);
bool parse_fast(int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
		struct ns_pkt *pkt);

#endif /* PROTO_PRIV_H */
