/* SPDX-License-Identifier: MIT */
/*
 * Software RSS for the pcap pipeline: a symmetric hash of the flow's endpoints. Endpoints are
 * put in canonical order before hashing (the smaller address/port first), so swapping source
 * and destination cannot change the result; the mix is a 64-bit multiply-xorshift per 8-byte
 * word, cheap and well spread in its high bits.
 */
#include <string.h>

#include "ns_pipeline.h"

static inline uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

static inline uint64_t
load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

uint32_t
ns_pipeline_sym_hash(const struct ns_pkt *pkt)
{
	const struct ns_addr *a = &pkt->src, *b = &pkt->dst;
	/* the flow key's ports, those of a cut transport header included */
	const uint32_t ports = ns_pkt_ports(pkt);
	uint16_t pa = (uint16_t)(ports >> 16), pb = (uint16_t)ports;
	int c = memcmp(a, b, sizeof(*a));
	/* No protocol in the mix: an ICMP error carries the ports of the TCP/UDP flow it reports
	 * on (ns_proto.h) and must land on that flow's worker. */
	uint64_t h = 0x2545f4914f6cdd1dULL;

	if (c > 0 || (c == 0 && pa > pb)) {
		const struct ns_addr *t = a;
		uint16_t tp = pa;

		a = b;
		b = t;
		pa = pb;
		pb = tp;
	}
	h = mix(h, load64(a->b));
	h = mix(h, load64(a->b + 8));
	h = mix(h, load64(b->b));
	h = mix(h, load64(b->b + 8));
	h = mix(h, (uint64_t)pa << 16 | pb);
	return (uint32_t)(h >> 32);
}
