/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the packet parser. Input byte 0 selects the link type (low nibble,
 * modulo the supported list) and how much longer the frame was on the wire than captured (high
 * nibble), so TRUNCATED, MALFORMED, BIG TCP/jumbo and caplen > wirelen paths are all reached;
 * the rest is the frame. libFuzzer hands over a heap block of exactly the input size, so any
 * read past caplen is an AddressSanitizer report. Besides not crashing, the verdict must agree
 * with the lengths, and an OK frame must satisfy the layer invariant documented in ns_proto.h.
 * ns_parse() must also equal, byte for byte, the general layer-by-layer parse without its
 * fixed-offset fast path, and the fast path alone when it takes the frame (proto_priv.h), and
 * ns_parse_burst() must give it for each frame of a burst.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ns_proto.h"
#include "proto_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Order shared with fuzz_seeds.c. */
static const int links[] = {
	NS_LINK_NULL, NS_LINK_EN10MB,    NS_LINK_RAW,  NS_LINK_RAW_OPENBSD, NS_LINK_RAW_FILE,
	NS_LINK_LOOP, NS_LINK_LINUX_SLL, NS_LINK_IPV4, NS_LINK_IPV6,        NS_LINK_LINUX_SLL2,
};

/* wirelen = caplen + extra; -1 is a bogus record whose wirelen is 0 (below caplen) and
 * UINT32_MAX saturates. 100000 pushes any frame past 64 KiB (BIG TCP, jumbograms). */
static const int64_t wire_extra[16] = {
	0, 1, 2, 4, 8, 16, 40, 64, 256, 1500, 9000, 65536, 100000, 1 << 24, -1, UINT32_MAX,
};

static void
check(const struct ns_pkt *pkt, uint32_t caplen, uint32_t wirelen)
{
	uint16_t l3 = pkt->layers & (NS_LAYER_BIT(ARP) | NS_LAYER_BIT(IPV4) | NS_LAYER_BIT(IPV6));
	uint16_t l4 = pkt->layers & (NS_LAYER_BIT(TCP) | NS_LAYER_BIT(UDP) | NS_LAYER_BIT(ICMP) |
				     NS_LAYER_BIT(ICMPV6) | NS_LAYER_BIT(OTHER));

	/* only a snaplen cut can truncate */
	if (pkt->verdict == NS_PARSE_TRUNCATED && caplen >= wirelen)
		abort();
	if ((pkt->verdict == NS_PARSE_OK) != (pkt->reason == NS_PARSE_R_NONE))
		abort();
	if (pkt->verdict != NS_PARSE_OK)
		return;
	if (l3 == NS_LAYER_BIT(IPV4) || l3 == NS_LAYER_BIT(IPV6)) {
		/* a first fragment may end inside its TCP header: no payload known (ns_proto.h) */
		bool short_first = pkt->l4 == NS_L4_TCP &&
				   (pkt->frag & (NS_FRAG_FIRST | NS_FRAG_MORE)) ==
					   (NS_FRAG_FIRST | NS_FRAG_MORE);

		if (l4 == 0 || (l4 & (l4 - 1)) != 0 || (pkt->payload_off == 0 && !short_first))
			abort();
	} else if (l3 == NS_LAYER_BIT(ARP)) {
		if (l4 != 0)
			abort();
	} else if (l3 != 0 || l4 != NS_LAYER_BIT(OTHER)) {
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_pkt pkt, general, fast, burst[2];
	struct ns_frame frames[2];
	uint64_t ts[2];
	char line[512];
	int link;
	uint32_t caplen, wirelen;
	int64_t extra;

	if (size < 1 || size - 1 > UINT32_MAX)
		return 0;
	caplen = (uint32_t)(size - 1);
	extra = wire_extra[data[0] >> 4];
	if (extra < 0)
		wirelen = 0;
	else if ((uint64_t)caplen + (uint64_t)extra > UINT32_MAX)
		wirelen = UINT32_MAX;
	else
		wirelen = caplen + (uint32_t)extra;
	link = links[(data[0] & 0x0f) % (sizeof(links) / sizeof(links[0]))];
	ns_parse(link, data + 1, caplen, wirelen, &pkt);
	check(&pkt, caplen, wirelen < caplen ? caplen : wirelen);
	/* different garbage first: every byte (padding too) must be written alike */
	memset(&general, 0x5a, sizeof(general));
	memset(&fast, 0x3c, sizeof(fast));
	parse_general(link, data + 1, caplen, wirelen, &general);
	if (memcmp(&pkt, &general, sizeof(pkt)) != 0)
		abort();
	if (parse_fast(link, data + 1, caplen, wirelen, &fast) &&
	    memcmp(&fast, &general, sizeof(fast)) != 0)
		abort();
	/* the burst entry: the frame twice in one burst, each result ns_parse()'s */
	frames[0] = (struct ns_frame){
		.data = data + 1, .caplen = caplen, .wirelen = wirelen, .ts_ns = size
	};
	frames[1] = frames[0];
	memset(burst, 0x77, sizeof(burst));
	ns_parse_burst(link, frames, 2, burst, ts);
	if (memcmp(&burst[0], &pkt, sizeof(pkt)) != 0 ||
	    memcmp(&burst[1], &pkt, sizeof(pkt)) != 0 || ts[0] != size || ts[1] != size)
		abort();
	ns_pkt_format(&pkt, line, sizeof(line));
	return 0;
}
