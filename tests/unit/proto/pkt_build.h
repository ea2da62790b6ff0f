/* SPDX-License-Identifier: MIT */
/*
 * Frame builder for the parser tests: appends headers in wire order into a fixed buffer and
 * patches length fields afterwards, so a test reads like the packet it describes. Parsing
 * goes through parse_exact(), which copies the frame into a heap block of exactly caplen
 * bytes so that AddressSanitizer flags any read past the captured data.
 */
#ifndef PKT_BUILD_H
#define PKT_BUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ns_proto.h"

struct pb {
	uint8_t b[4096];
	uint32_t len;
};

static inline uint32_t
pb_put(struct pb *p, const void *d, uint32_t n)
{
	uint32_t at = p->len;

	if (d != NULL)
		memcpy(p->b + at, d, n);
	else
		memset(p->b + at, 0, n);
	p->len += n;
	return at;
}

static inline void
pb_u8(struct pb *p, uint8_t v)
{
	p->b[p->len++] = v;
}

static inline void
pb_u16(struct pb *p, uint16_t v)
{
	pb_u8(p, (uint8_t)(v >> 8));
	pb_u8(p, (uint8_t)v);
}

static inline void
pb_u32(struct pb *p, uint32_t v)
{
	pb_u16(p, (uint16_t)(v >> 16));
	pb_u16(p, (uint16_t)v);
}

static inline void
pb_set16(struct pb *p, uint32_t at, uint16_t v)
{
	p->b[at] = (uint8_t)(v >> 8);
	p->b[at + 1] = (uint8_t)v;
}

static inline void
pb_set32(struct pb *p, uint32_t at, uint32_t v)
{
	pb_set16(p, at, (uint16_t)(v >> 16));
	pb_set16(p, at + 2, (uint16_t)v);
}

/* Ethernet: 02:00:00:00:00:02 <- 02:00:00:00:00:01, then @type. */
static inline void
pb_eth(struct pb *p, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

	pb_put(p, macs, sizeof(macs));
	pb_u16(p, type);
}

/* One VLAN tag body (the TPID was the previous type field): TCI then @type. */
static inline void
pb_vlan(struct pb *p, uint16_t vid, uint16_t type)
{
	pb_u16(p, vid);
	pb_u16(p, type);
}

/* IPv4 10.0.0.1 -> 10.0.0.2 with @optlen option bytes (NOPs); finish with pb_ipv4_done(). */
static inline uint32_t
pb_ipv4(struct pb *p, uint8_t proto, uint16_t frag, uint8_t optlen)
{
	uint32_t at = p->len;

	pb_u8(p, (uint8_t)(0x40 | (5 + optlen / 4)));
	pb_u8(p, 0);
	pb_u16(p, 0); /* total length, patched */
	pb_u16(p, 0x1234); /* identification */
	pb_u16(p, frag);
	pb_u8(p, 64);
	pb_u8(p, proto);
	pb_u16(p, 0);
	pb_u32(p, 0x0a000001);
	pb_u32(p, 0x0a000002);
	for (uint8_t i = 0; i < optlen; i++)
		pb_u8(p, 1);
	return at;
}

static inline void
pb_ipv4_done(struct pb *p, uint32_t at)
{
	pb_set16(p, at + 2, (uint16_t)(p->len - at));
}

/* IPv6 2001:db8::1 -> 2001:db8::2; finish with pb_ipv6_done(). */
static inline uint32_t
pb_ipv6(struct pb *p, uint8_t nh)
{
	static const uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
	uint32_t at = p->len;

	pb_u32(p, 0x60000000);
	pb_u16(p, 0); /* payload length, patched */
	pb_u8(p, nh);
	pb_u8(p, 64);
	pb_put(p, a, 16);
	pb_put(p, b, 16);
	return at;
}

static inline void
pb_ipv6_done(struct pb *p, uint32_t at)
{
	pb_set16(p, at + 4, (uint16_t)(p->len - at - 40));
}

/* Hop-by-hop, routing or destination options header of (@len8 + 1) * 8 bytes. */
static inline void
pb_ext6(struct pb *p, uint8_t nh, uint8_t len8)
{
	uint32_t at = p->len;

	pb_u8(p, nh);
	pb_u8(p, len8);
	pb_put(p, NULL, 6 + 8u * len8);
	/* one PadN option filling the header keeps HBH/DSTOPTS well formed */
	p->b[at + 2] = 1;
	p->b[at + 3] = (uint8_t)(4 + 8u * len8);
}

static inline void
pb_frag6(struct pb *p, uint8_t nh, uint16_t offset, int more, uint32_t id)
{
	pb_u8(p, nh);
	pb_u8(p, 0);
	pb_u16(p, (uint16_t)(offset | (more ? 1 : 0)));
	pb_u32(p, id);
}

/* Authentication header with a 12-byte ICV: (4 + 2) * 4 = 24 bytes. */
static inline void
pb_ah(struct pb *p, uint8_t nh)
{
	pb_u8(p, nh);
	pb_u8(p, 4);
	pb_u16(p, 0);
	pb_u32(p, 0x100); /* SPI */
	pb_u32(p, 1); /* sequence */
	pb_put(p, NULL, 12);
}

static inline uint32_t
pb_tcp(struct pb *p, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
       uint16_t win, const uint8_t *opts, uint8_t optlen)
{
	uint32_t at = p->len;

	pb_u16(p, sport);
	pb_u16(p, dport);
	pb_u32(p, seq);
	pb_u32(p, ack);
	pb_u8(p, (uint8_t)(((20 + optlen) / 4) << 4));
	pb_u8(p, flags);
	pb_u16(p, win);
	pb_u16(p, 0);
	pb_u16(p, 0);
	if (optlen != 0)
		pb_put(p, opts, optlen);
	return at;
}

static inline void
pb_udp(struct pb *p, uint16_t sport, uint16_t dport, uint16_t payload)
{
	pb_u16(p, sport);
	pb_u16(p, dport);
	pb_u16(p, (uint16_t)(8 + payload));
	pb_u16(p, 0);
	pb_put(p, NULL, payload);
}

static inline void
pb_icmp(struct pb *p, uint8_t type, uint8_t code, uint16_t id, uint16_t payload)
{
	pb_u8(p, type);
	pb_u8(p, code);
	pb_u16(p, 0);
	pb_u16(p, id);
	pb_u16(p, 1);
	pb_put(p, NULL, payload);
}

/* Ethernet/IPv4 ARP: 10.0.0.1 asks for 10.0.0.2 (op 1) or answers (op 2). */
static inline void
pb_arp(struct pb *p, uint16_t op)
{
	static const uint8_t sha[6] = { 2, 0, 0, 0, 0, 1 };

	pb_u16(p, 1);
	pb_u16(p, 0x0800);
	pb_u8(p, 6);
	pb_u8(p, 4);
	pb_u16(p, op);
	pb_put(p, sha, 6);
	pb_u32(p, 0x0a000001);
	pb_put(p, NULL, 6);
	pb_u32(p, 0x0a000002);
}

/*
 * Parse the first @caplen bytes of @p from a heap copy of exactly that size. The copy is
 * freed before returning, so pkt->data must not be used afterwards (see parse_keep()).
 */
static inline int
parse_exact(int linktype, const struct pb *p, uint32_t caplen, uint32_t wirelen, struct ns_pkt *pkt)
{
	uint8_t *copy = calloc(1, caplen != 0 ? caplen : 1);
	int v;

	if (copy == NULL)
		abort();
	memcpy(copy, p->b, caplen);
	v = ns_parse(linktype, copy, caplen, wirelen, pkt);
	free(copy);
	return v;
}

/* Whole frame, caplen == wirelen. */
static inline int
parse_all(int linktype, const struct pb *p, struct ns_pkt *pkt)
{
	return parse_exact(linktype, p, p->len, p->len, pkt);
}

#endif /* PKT_BUILD_H */
