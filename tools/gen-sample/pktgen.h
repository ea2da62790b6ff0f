/* SPDX-License-Identifier: MIT */
/*
 * A small frame builder for test and sample captures: Ethernet (optional 802.1Q/802.1ad
 * tags), IPv4/IPv6, TCP/UDP/ICMP with correct checksums, written through the project's pcap
 * writer. Used by gen-sample and the benchmark generator; never by the capture path.
 */
#ifndef PKTGEN_H
#define PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ns_export.h"

/* Big-endian stores and the RFC 1071 one's-complement sum, shared by the frame builders. */
static inline void
pg_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
pg_put32(uint8_t *p, uint32_t v)
{
	pg_put16(p, (uint16_t)(v >> 16));
	pg_put16(p + 2, (uint16_t)v);
}

/** Add the 16-bit words of @p (an odd last byte padded with zero) to @sum. */
static inline uint32_t
pg_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

/** Fold the carries and complement: the checksum field's value. */
static inline uint16_t
pg_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

struct pg_host {
	uint8_t mac[6];
	uint8_t ip4[4];
	uint8_t ip6[16];
};

struct pg_ep {
	const struct pg_host *host;
	uint16_t port;
};

struct pg_opts {
	bool v6;
	uint16_t vlan[2]; /* 0 = no tag; vlan[1] set makes vlan[0] an 802.1ad S-tag */
	uint8_t ttl;
};

struct pg_writer {
	struct ns_pcap_writer *w;
	uint64_t now_ns;
	uint16_t ip_id;
};

/** TCP segment from @a to @b. @payload may be NULL with @len bytes of filler. */
void pg_tcp(struct pg_writer *pw, const struct pg_opts *o, struct pg_ep a, struct pg_ep b,
	    uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, const void *payload,
	    uint32_t len, bool syn_options);

/** UDP datagram. */
void pg_udp(struct pg_writer *pw, const struct pg_opts *o, struct pg_ep a, struct pg_ep b,
	    const void *payload, uint32_t len);

/** ICMP (v4) or ICMPv6 echo request/reply. */
void pg_echo(struct pg_writer *pw, const struct pg_opts *o, const struct pg_host *a,
	     const struct pg_host *b, bool reply, uint16_t id, uint16_t seq);

/** ARP request (who-has) or reply. */
void pg_arp(struct pg_writer *pw, const struct pg_host *a, const struct pg_host *b, bool reply);

/** An IPv4 UDP datagram of @len payload bytes split into fragments of at most @mtu. */
void pg_udp_fragmented(struct pg_writer *pw, struct pg_ep a, struct pg_ep b, uint32_t len,
		       uint32_t mtu);

/** Advance the clock by @us microseconds. */
void pg_advance(struct pg_writer *pw, uint64_t us);

#endif /* PKTGEN_H */
