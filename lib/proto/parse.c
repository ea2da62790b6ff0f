/* SPDX-License-Identifier: MIT */
/*
 * ns_parse(): one pass over a captured frame, link layer to transport, filling struct ns_pkt
 * with offsets and a decoded summary. Every header is pulled through the bounds-checked cursor
 * (proto_priv.h) before any of its fields is read; every length field is checked against the
 * layer that contains it and against caplen, and the first failed check becomes the frame's
 * verdict and reason. IPv4 and IPv6 meet at one transport step (parse_l4). There are no
 * per-layer function pointers and no loops over bytes except TCP options, the IPv6 jumbo
 * option search and the extension-header walk, all bounded by the header that holds them.
 * The common frame (untagged Ethernet / IPv4 without options, not a fragment / TCP or UDP)
 * first tries parse_fixed(), which reads it at fixed offsets after one pull of its 54 header
 * bytes and makes the same checks with the same result; anything else goes layer by layer.
 */
#include <stddef.h>
#include <string.h>

#include "proto_priv.h"

/* Ethertypes (IEEE Registration Authority). */
#define ET_IPV4 0x0800
#define ET_ARP 0x0806
#define ET_RARP 0x8035
#define ET_8021Q 0x8100
#define ET_IPV6 0x86dd
#define ET_8021AD 0x88a8
#define ET_QINQ_OLD 0x9100 /* pre-802.1ad vendor S-tag, still seen on Cisco/Juniper gear */
#define ET_QINQ_OLD2 0x9200 /* another pre-802.1ad vendor S-tag (tcpdump: "802.1Q-9200") */

/* IP protocol numbers (IANA). Own names so <netinet/in.h> cannot collide. */
#define P_HOPOPTS 0
#define P_ICMP 1
#define P_TCP 6
#define P_UDP 17
#define P_ROUTING 43
#define P_FRAGMENT 44
#define P_AH 51
#define P_ICMPV6 58
#define P_DSTOPTS 60

/* Address families in NULL/LOOP headers: AF_INET is 2 everywhere; AF_INET6 is 10 on Linux,
 * 24 on NetBSD/OpenBSD/BSD/OS, 28 on FreeBSD/DragonFly, 30 on macOS (tcpdump's af.h). */
#define LOOP_AF_INET 2
#define LOOP_AF_INET6_LINUX 10
#define LOOP_AF_INET6_BSD 24
#define LOOP_AF_INET6_FREEBSD 28
#define LOOP_AF_INET6_DARWIN 30

#define TCP_OPT_EOL 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WSCALE 3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK 5
#define TCP_OPT_TS 8
#define TCP_OPT_MPTCP 30

#define IP6_OPT_PAD1 0
#define IP6_OPT_JUMBO 0xc2

/* Stop parsing here: record the verdict and reason, and return the verdict. */
static inline int
stop(struct ns_pkt *pkt, uint8_t verdict, uint8_t reason)
{
	pkt->verdict = verdict;
	pkt->reason = reason;
	return verdict;
}

/* Stop because @len bytes at @off were not captured: TRUNCATED or MALFORMED by wire length. */
static inline int
stop_cut(struct ns_pkt *pkt, const struct cursor *c, uint32_t off, uint32_t len, uint8_t reason)
{
	return stop(pkt, cur_cut_verdict(c, off, len), reason);
}

/*
 * TCP options, RFC 9293 section 3.2: kinds 0 and 1 are one byte, every other option carries
 * a length byte that counts kind and length and must stay inside the header.
 */
static int
parse_tcp_options(struct ns_pkt *pkt, const uint8_t *p, uint32_t len)
{
	struct ns_tcp_opts *o = &pkt->tcp_opts;
	uint32_t i = 0;

	while (i < len) {
		uint8_t kind = p[i];
		uint8_t olen;

		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_OPTIONS);
		olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_OPTIONS);
		switch (kind) {
		case TCP_OPT_MSS: /* RFC 9293 section 3.2: length 4 */
			if (olen != 4)
				return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_OPTIONS);
			o->mss = rd_be16(p + i + 2);
			o->present |= NS_TCPOPT_MSS;
			break;
		case TCP_OPT_WSCALE: /* RFC 7323 section 2.2: length 3 */
			if (olen != 3)
				return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_OPTIONS);
			o->wscale = p[i + 2];
			o->present |= NS_TCPOPT_WSCALE;
			break;
		case TCP_OPT_SACK_PERM: /* RFC 2018 section 2: length 2 */
			if (olen != 2)
				return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_OPTIONS);
			o->present |= NS_TCPOPT_SACK_PERM;
			break;
		case TCP_OPT_SACK: /* RFC 2018 section 3: 2 + 8n bytes, n >= 1 */
			if (olen < 10 || (olen - 2) % 8 != 0)
				return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_OPTIONS);
			o->sack_blocks = (uint8_t)((olen - 2) / 8);
			o->present |= NS_TCPOPT_SACK;
			break;
		case TCP_OPT_TS: /* RFC 7323 section 3.2: length 10 */
			if (olen != 10)
				return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_OPTIONS);
			o->tsval = rd_be32(p + i + 2);
			o->tsecr = rd_be32(p + i + 6);
			o->present |= NS_TCPOPT_TS;
			break;
		case TCP_OPT_MPTCP: /* RFC 8684 section 3: kind, length, subtype nibble */
			if (olen < 3)
				return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_OPTIONS);
			o->present |= NS_TCPOPT_MPTCP;
			break;
		default:
			break;
		}
		i += olen;
	}
	return NS_PARSE_OK;
}

/*
 * Bytes the IP header assigns to the layer at @off (@avail), limited to what the wire carried
 * after @off: payload lengths follow the IP header, never caplen, but never claim bytes that
 * were not sent. @off is within caplen, hence within the wire length.
 */
static inline uint32_t
wire_avail(const struct cursor *c, uint32_t off, uint32_t avail)
{
	return NS_MIN(avail, c->wirelen - off);
}

/*
 * The transport step shared by IPv4 and IPv6. @off is where the transport header starts and
 * @avail the number of bytes the IP header assigns to it. Length checks compare headers with
 * @avail (MALFORMED when inconsistent); capture checks compare them with caplen (TRUNCATED or
 * MALFORMED by the wire length).
 */

/*
 * An ICMP error from the host a TCP/UDP packet was sent to (port unreachable, too big) takes
 * that packet's ports, swapped to this packet's direction: it then keys and hashes like the
 * flow it reports on, so a worker sees a probe and its answer together.
 */
static void
icmp_error_ports(struct ns_pkt *pkt)
{
	struct ns_icmp_quote q;

	if (!ns_icmp_quote(pkt, &q) || memcmp(&q.src, &pkt->dst, sizeof(q.src)) != 0 ||
	    memcmp(&q.dst, &pkt->src, sizeof(q.dst)) != 0)
		return;
	pkt->sport = q.dport;
	pkt->dport = q.sport;
}

/*
 * A TCP header longer than the @avail bytes the IP header gives it at @off. In a first fragment
 * (more follow) that is no contradiction: RFC 791 section 2.3 and RFC 8200 section 4.5 cut a
 * datagram at any multiple of 8 bytes, so the header may go on in the next fragment. Like the
 * first UDP fragment whose Length covers the whole datagram, the packet is then OK: l4 TCP with
 * l4_off, but its header was not read in full, so payload_off stays 0 and no TCP field is set
 * (ns_pkt_ports() reads the ports from the frame). At least one 8-byte fragment unit must be
 * there, which holds the ports; anything shorter, and a header too long for an unfragmented
 * packet, is MALFORMED.
 */
static int
tcp_header_overrun(struct ns_pkt *pkt, const struct cursor *c, uint32_t off, uint32_t avail)
{
	if (!(pkt->frag & NS_FRAG_MORE) || avail < 8)
		return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_LEN);
	if (cur_pull(c, off, avail) == NULL)
		return stop_cut(pkt, c, off, avail, NS_PARSE_R_TCP_SHORT);
	return NS_PARSE_OK;
}

static int
parse_l4(struct ns_pkt *pkt, const struct cursor *c, uint8_t proto, uint32_t off, uint32_t avail)
{
	const uint8_t *h;
	uint32_t hlen;
	uint16_t ulen;

	pkt->ip_proto = proto;
	pkt->l4_off = off;
	switch (proto) {
	case P_TCP:
		pkt->layers |= NS_LAYER_BIT(TCP);
		pkt->l4 = NS_L4_TCP;
		/* RFC 9293 section 3.1: the fixed header is 20 bytes */
		if (avail < 20)
			return tcp_header_overrun(pkt, c, off, avail);
		h = cur_pull(c, off, 20);
		if (h == NULL)
			return stop_cut(pkt, c, off, 20, NS_PARSE_R_TCP_SHORT);
		/* RFC 9293 section 3.1: Data Offset counts 32-bit words and is at least 5 */
		hlen = (uint32_t)(h[12] >> 4) * 4;
		if (hlen < 20)
			return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_TCP_DOFF);
		if (hlen > avail)
			return tcp_header_overrun(pkt, c, off, avail);
		h = cur_pull(c, off, hlen);
		if (h == NULL)
			return stop_cut(pkt, c, off, hlen, NS_PARSE_R_TCP_SHORT);
		pkt->sport = rd_be16(h);
		pkt->dport = rd_be16(h + 2);
		pkt->tcp_seq = rd_be32(h + 4);
		pkt->tcp_ack = rd_be32(h + 8);
		pkt->tcp_flags = h[13];
		pkt->tcp_win = rd_be16(h + 14);
		pkt->tcp_hlen = (uint8_t)hlen;
		pkt->payload_off = off + hlen;
		pkt->payload_len = wire_avail(c, off, avail) - hlen;
		if (hlen > 20)
			return parse_tcp_options(pkt, h + 20, hlen - 20);
		return NS_PARSE_OK;
	case P_UDP:
		pkt->layers |= NS_LAYER_BIT(UDP);
		pkt->l4 = NS_L4_UDP;
		/* RFC 768: 8-byte header; Length counts header and data, so it is >= 8 */
		if (avail < 8)
			return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_UDP_LEN);
		h = cur_pull(c, off, 8);
		if (h == NULL)
			return stop_cut(pkt, c, off, 8, NS_PARSE_R_UDP_SHORT);
		ulen = rd_be16(h + 4);
		if (ulen == 0 && avail > 0xffff) {
			/* RFC 2675 section 4: a jumbogram's UDP Length is 0, the IP length rules */
			pkt->payload_len = wire_avail(c, off, avail) - 8;
		} else if (ulen > avail && ulen >= 8 && (pkt->frag & NS_FRAG_MORE)) {
			/* a first fragment: Length covers the whole datagram (RFC 791 section 2.3),
			 * this packet carries only its start */
			pkt->payload_len = wire_avail(c, off, avail) - 8;
		} else if (ulen < 8 || ulen > avail) {
			return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_UDP_LEN);
		} else {
			pkt->payload_len = wire_avail(c, off, ulen) - 8;
		}
		pkt->sport = rd_be16(h);
		pkt->dport = rd_be16(h + 2);
		pkt->payload_off = off + 8;
		return NS_PARSE_OK;
	case P_ICMP:
	case P_ICMPV6:
		if (proto == P_ICMP) {
			pkt->layers |= NS_LAYER_BIT(ICMP);
			pkt->l4 = NS_L4_ICMP;
		} else {
			pkt->layers |= NS_LAYER_BIT(ICMPV6);
			pkt->l4 = NS_L4_ICMPV6;
		}
		/*
		 * RFC 792 and RFC 4443 section 2.1: type, code, checksum and a 4-byte field
		 * (identifier/sequence, pointer, MTU or unused) that every message carries.
		 */
		if (avail < 8)
			return stop(pkt, NS_PARSE_MALFORMED,
				    proto == P_ICMP ? NS_PARSE_R_ICMP_SHORT
						    : NS_PARSE_R_ICMPV6_SHORT);
		h = cur_pull(c, off, 8);
		if (h == NULL)
			return stop_cut(pkt, c, off, 8,
					proto == P_ICMP ? NS_PARSE_R_ICMP_SHORT
							: NS_PARSE_R_ICMPV6_SHORT);
		pkt->icmp_type = h[0];
		pkt->icmp_code = h[1];
		/* RFC 792 echo (8) / echo reply (0); RFC 4443 section 4.1-4.2 (128/129) */
		if (proto == P_ICMP ? (h[0] == 0 || h[0] == 8) : (h[0] == 128 || h[0] == 129))
			pkt->icmp_id = rd_be16(h + 4);
		pkt->payload_off = off + 8;
		pkt->payload_len = wire_avail(c, off, avail) - 8;
		icmp_error_ports(pkt);
		return NS_PARSE_OK;
	default:
		pkt->layers |= NS_LAYER_BIT(OTHER);
		pkt->l4 = NS_L4_OTHER;
		pkt->payload_off = off;
		pkt->payload_len = wire_avail(c, off, avail);
		return NS_PARSE_OK;
	}
}

/* A non-first fragment: no transport header to read (RFC 791 section 2.3, RFC 8200 4.5). */
static int
set_nonfirst_fragment(struct ns_pkt *pkt, const struct cursor *c, uint8_t proto, uint32_t off,
		      uint32_t avail)
{
	pkt->layers |= NS_LAYER_BIT(OTHER);
	pkt->l4 = NS_L4_FRAGMENT;
	pkt->ip_proto = proto;
	pkt->l4_off = off;
	pkt->payload_off = off;
	pkt->payload_len = wire_avail(c, off, avail);
	return NS_PARSE_OK;
}

/*
 * IPv4 payload at @off (@avail bytes by Total Length) that starts with an Authentication Header
 * (RFC 4302 section 2): Next Header, then Payload Len in 32-bit words minus 2 (section 2.2).
 * As in IPv6, where AH is walked with the extension headers, the transport after it is parsed
 * (tcpdump and Wireshark do the same); it must lie within the IP payload and the capture.
 */
static int
parse_ipv4_ah(struct ns_pkt *pkt, const struct cursor *c, uint32_t off, uint32_t avail)
{
	const uint8_t *h;
	uint32_t elen;

	if (avail < 8)
		return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_AH_LEN);
	h = cur_pull(c, off, 8);
	if (h == NULL)
		return stop_cut(pkt, c, off, 8, NS_PARSE_R_AH_SHORT);
	elen = ((uint32_t)h[1] + 2) * 4;
	if (elen > avail)
		return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_AH_LEN);
	if (cur_pull(c, off, elen) == NULL)
		return stop_cut(pkt, c, off, elen, NS_PARSE_R_AH_SHORT);
	return parse_l4(pkt, c, h[0], off + elen, avail - elen);
}

/* The fields an IPv4 header @h gives every packet (the general parse and the fast path). */
static inline void
ipv4_fields(struct ns_pkt *pkt, const uint8_t *h)
{
	_Static_assert(offsetof(struct ns_pkt, ip_proto) == offsetof(struct ns_pkt, ttl) + 1,
		       "ttl and ip_proto in wire order");
	pkt->ip_version = 4;
	memcpy(&pkt->ttl, h + 8, 2); /* TTL, Protocol */
	pkt->frag_id = rd_be16(h + 4);
	addr_set_v4(&pkt->src, h + 12);
	addr_set_v4(&pkt->dst, h + 16);
}

static int
parse_ipv4(struct ns_pkt *pkt, const struct cursor *c, uint32_t off)
{
	const uint8_t *h;
	uint32_t hlen, tot, room;
	uint16_t ff;

	pkt->layers |= NS_LAYER_BIT(IPV4);
	pkt->l3 = NS_L3_IPV4;
	pkt->l3_off = off;
	h = cur_pull(c, off, 1);
	if (h == NULL)
		return stop_cut(pkt, c, off, 20, NS_PARSE_R_IPV4_SHORT);
	/* RFC 791 section 3.1: Version is 4 */
	if (h[0] >> 4 != 4)
		return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_IP_VERSION);
	h = cur_pull(c, off, 20);
	if (h == NULL)
		return stop_cut(pkt, c, off, 20, NS_PARSE_R_IPV4_SHORT);
	/* RFC 791 section 3.1: "the minimum value for a correct header is 5" */
	hlen = (uint32_t)(h[0] & 0x0f) * 4;
	if (hlen < 20)
		return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_IPV4_IHL);
	/*
	 * RFC 791 section 3.1: Total Length covers header and data. Linux BIG TCP sends IPv4
	 * packets over 64 KiB with Total Length 0; like tshark, the wire length then gives the
	 * real length. A 0 that a 16-bit field could have held is just wrong.
	 */
	room = c->wirelen - off;
	tot = rd_be16(h + 2);
	if (tot == 0 && room > 0xffff)
		tot = room;
	if (tot < hlen)
		return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_IPV4_TOTLEN);
	h = cur_pull(c, off, hlen);
	if (h == NULL)
		return stop_cut(pkt, c, off, hlen, NS_PARSE_R_IPV4_OPTIONS);
	pkt->ip_len = tot;
	if (tot > room) {
		/* Claims more than the wire carried: keep dissecting (tshark does too), count
		 * payload only up to the wire, and report MALFORMED unless a later check stops
		 * the parse with its own reason. */
		pkt->reason = NS_PARSE_R_IPV4_TOTLEN_LONG;
	}
	ipv4_fields(pkt, h);
	/* RFC 791 section 3.1: flags (reserved, DF, MF) and a 13-bit offset in 8-byte units */
	ff = rd_be16(h + 6);
	if (ff & 0x3fff) {
		pkt->frag = NS_FRAG_IS | (ff & 0x2000 ? NS_FRAG_MORE : 0);
		pkt->frag_off = (uint16_t)((ff & 0x1fff) * 8);
		if (pkt->frag_off != 0)
			return set_nonfirst_fragment(pkt, c, h[9], off + hlen, tot - hlen);
		pkt->frag |= NS_FRAG_FIRST;
	}
	if (h[9] == P_AH)
		return parse_ipv4_ah(pkt, c, off + hlen, tot - hlen);
	return parse_l4(pkt, c, h[9], off + hlen, tot - hlen);
}

/*
 * RFC 2675 section 3: with Payload Length 0 the Hop-by-Hop header carries a Jumbo Payload
 * option (type 0xC2, 4 data bytes) whose length must exceed 65535. @h is the whole header of
 * @elen bytes, already pulled. On success *plen becomes the jumbo payload length.
 */
static int
parse_jumbo(struct ns_pkt *pkt, const struct cursor *c, const uint8_t *h, uint32_t elen,
	    uint32_t l3_off, uint32_t *plen)
{
	uint32_t i = 2;
	uint32_t room = c->wirelen - l3_off - 40;
	uint32_t jlen;

	while (i < elen) {
		uint8_t olen;

		if (h[i] == IP6_OPT_PAD1) {
			i++;
			continue;
		}
		if (elen - i < 2)
			break;
		olen = h[i + 1];
		if (olen > elen - i - 2)
			break;
		if (h[i] == IP6_OPT_JUMBO) {
			if (olen != 4)
				break;
			jlen = rd_be32(h + i + 2);
			if (jlen <= 0xffff)
				break;
			pkt->ip_len = jlen > UINT32_MAX - 40 ? UINT32_MAX : jlen + 40;
			if (jlen > room)
				pkt->reason = NS_PARSE_R_IPV6_PAYLEN;
			*plen = jlen;
			return NS_PARSE_OK;
		}
		i += 2u + olen;
	}
	return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_IPV6_JUMBO);
}

static int
parse_ipv6(struct ns_pkt *pkt, const struct cursor *c, uint32_t off)
{
	const uint8_t *h;
	uint32_t plen, rem, p, elen;
	uint16_t fo;
	uint8_t nh, next;
	bool jumbo;

	pkt->layers |= NS_LAYER_BIT(IPV6);
	pkt->l3 = NS_L3_IPV6;
	pkt->l3_off = off;
	h = cur_pull(c, off, 1);
	if (h == NULL)
		return stop_cut(pkt, c, off, 40, NS_PARSE_R_IPV6_SHORT);
	/* RFC 8200 section 3: Version is 6 */
	if (h[0] >> 4 != 6)
		return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_IP_VERSION);
	h = cur_pull(c, off, 40);
	if (h == NULL)
		return stop_cut(pkt, c, off, 40, NS_PARSE_R_IPV6_SHORT);
	pkt->ip_version = 6;
	pkt->ttl = h[7];
	memcpy(pkt->src.b, h + 8, 16);
	memcpy(pkt->dst.b, h + 24, 16);
	nh = h[6];
	plen = rd_be16(h + 4);
	jumbo = plen == 0 && nh == P_HOPOPTS;
	if (jumbo) {
		/* bounded by the wire until the jumbo option gives the length */
		rem = c->wirelen - off - 40;
	} else {
		/* RFC 8200 section 3: Payload Length counts extension headers and payload */
		pkt->ip_len = 40 + plen;
		if (plen > c->wirelen - off - 40)
			pkt->reason = NS_PARSE_R_IPV6_PAYLEN; /* see IPV4_TOTLEN_LONG */
		rem = plen;
	}
	/* rem: payload bytes the header announces from p on */
	p = off + 40;
	for (unsigned n = 0;; n++) {
		if (nh != P_HOPOPTS && nh != P_ROUTING && nh != P_FRAGMENT && nh != P_DSTOPTS &&
		    nh != P_AH)
			break;
		if (n == NS_PROTO_IP6_EXT_MAX)
			return stop(pkt, NS_PARSE_UNSUPPORTED, NS_PARSE_R_IPV6_EXT_DEPTH);
		/*
		 * RFC 8200 sections 4.3-4.6 and RFC 4302 section 2.2: every extension header
		 * starts with Next Header and a length byte and is at least 8 bytes long; it
		 * must lie within the payload the IPv6 header announces.
		 */
		if (rem < 8)
			return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_IPV6_EXT_LEN);
		h = cur_pull(c, p, 8);
		if (h == NULL)
			return stop_cut(pkt, c, p, 8, NS_PARSE_R_IPV6_EXT_SHORT);
		next = h[0];
		if (nh == P_FRAGMENT)
			elen = 8;
		else if (nh == P_AH)
			elen = ((uint32_t)h[1] + 2) * 4;
		else
			elen = ((uint32_t)h[1] + 1) * 8;
		if (elen > rem)
			return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_IPV6_EXT_LEN);
		h = cur_pull(c, p, elen);
		if (h == NULL)
			return stop_cut(pkt, c, p, elen, NS_PARSE_R_IPV6_EXT_SHORT);
		switch (nh) {
		case P_HOPOPTS:
			pkt->ip6_ext |= NS_IP6EXT_HOPOPTS;
			/* the jumbo length (> 65535) also covers this header (<= 2048 bytes) */
			if (jumbo && n == 0 &&
			    parse_jumbo(pkt, c, h, elen, off, &rem) != NS_PARSE_OK)
				return pkt->verdict;
			break;
		case P_ROUTING:
			pkt->ip6_ext |= NS_IP6EXT_ROUTING;
			break;
		case P_DSTOPTS:
			pkt->ip6_ext |= NS_IP6EXT_DSTOPTS;
			break;
		case P_AH:
			pkt->ip6_ext |= NS_IP6EXT_AH;
			break;
		default: /* P_FRAGMENT */
			pkt->ip6_ext |= NS_IP6EXT_FRAG;
			/* RFC 2675 section 3: a jumbogram must not carry a Fragment header */
			if (jumbo)
				return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_IPV6_JUMBO);
			/*
			 * RFC 8200 section 4.5: 13-bit offset in 8-byte units, M flag in bit 0.
			 * Offset 0 without M is an atomic fragment, processed as a whole packet
			 * (RFC 6946 section 4), so it is not counted as a fragment.
			 */
			fo = rd_be16(h + 2);
			if (fo & 0xfff9) {
				pkt->frag = NS_FRAG_IS | (fo & 1 ? NS_FRAG_MORE : 0);
				pkt->frag_off = fo & 0xfff8;
				pkt->frag_id = rd_be32(h + 4);
				if (pkt->frag_off != 0)
					return set_nonfirst_fragment(pkt, c, next, p + 8, rem - 8);
				pkt->frag |= NS_FRAG_FIRST;
			}
			break;
		}
		nh = next;
		p += elen;
		rem -= elen;
	}
	return parse_l4(pkt, c, nh, p, rem);
}

/* RFC 826: 8-byte fixed part, then sender and target hardware and protocol addresses. */
static int
parse_arp(struct ns_pkt *pkt, const struct cursor *c, uint32_t off)
{
	const uint8_t *h;
	uint32_t len;

	pkt->layers |= NS_LAYER_BIT(ARP);
	pkt->l3 = NS_L3_ARP;
	pkt->l3_off = off;
	h = cur_pull(c, off, 8);
	if (h == NULL)
		return stop_cut(pkt, c, off, 8, NS_PARSE_R_ARP_SHORT);
	len = 8 + 2 * ((uint32_t)h[4] + h[5]);
	h = cur_pull(c, off, len);
	if (h == NULL)
		return stop_cut(pkt, c, off, len, NS_PARSE_R_ARP_SHORT);
	pkt->arp_op = rd_be16(h + 6);
	/* Ethernet hardware (1), IPv4 protocol: the only layout whose addresses we keep */
	if (rd_be16(h) == 1 && rd_be16(h + 2) == ET_IPV4 && h[4] == 6 && h[5] == 4) {
		addr_set_v4(&pkt->src, h + 14);
		addr_set_v4(&pkt->dst, h + 24);
	}
	return NS_PARSE_OK;
}

/*
 * Dispatch on an ethertype (Ethernet, SLL, SLL2), first peeling VLAN tags: IEEE 802.1Q
 * section 9.5, a 2-byte TPID already read as @type, then a 2-byte TCI and the next type.
 */
static int
parse_ethertype(struct ns_pkt *pkt, const struct cursor *c, uint32_t off, uint16_t type)
{
	const uint8_t *h;

	while (type == ET_8021Q || type == ET_8021AD || type == ET_QINQ_OLD ||
	       type == ET_QINQ_OLD2) {
		pkt->layers |= NS_LAYER_BIT(VLAN);
		if (pkt->vlan_count != 0)
			pkt->layers |= NS_LAYER_BIT(QINQ);
		if (pkt->vlan_count == NS_PROTO_VLAN_MAX)
			return stop(pkt, NS_PARSE_UNSUPPORTED, NS_PARSE_R_VLAN_DEPTH);
		h = cur_pull(c, off, 4);
		if (h == NULL)
			return stop_cut(pkt, c, off, 4, NS_PARSE_R_VLAN_SHORT);
		if (pkt->vlan_count < 2)
			pkt->vlan[pkt->vlan_count] = rd_be16(h) & 0x0fff;
		pkt->vlan_count++;
		type = rd_be16(h + 2);
		off += 4;
	}
	pkt->link_proto = type;
	switch (type) {
	case ET_IPV4:
		return parse_ipv4(pkt, c, off);
	case ET_IPV6:
		return parse_ipv6(pkt, c, off);
	case ET_ARP:
	case ET_RARP:
		return parse_arp(pkt, c, off);
	default:
		/* LLC/SNAP (802.3 length field), STP, LLDP, MPLS, PPPoE, ...: not decoded */
		pkt->layers |= NS_LAYER_BIT(OTHER);
		pkt->l3 = NS_L3_OTHER;
		pkt->l3_off = off;
		return NS_PARSE_OK;
	}
}

/* NULL and LOOP links: a 4-byte address family, then IPv4 or IPv6. */
static int
parse_family(struct ns_pkt *pkt, const struct cursor *c, uint32_t family)
{
	switch (family) {
	case LOOP_AF_INET:
		return parse_ipv4(pkt, c, 4);
	case LOOP_AF_INET6_LINUX:
	case LOOP_AF_INET6_BSD:
	case LOOP_AF_INET6_FREEBSD:
	case LOOP_AF_INET6_DARWIN:
		return parse_ipv6(pkt, c, 4);
	default:
		pkt->layers |= NS_LAYER_BIT(OTHER);
		pkt->l3 = NS_L3_OTHER;
		pkt->l3_off = 4;
		return stop(pkt, NS_PARSE_UNSUPPORTED, NS_PARSE_R_NULL_FAMILY);
	}
}

static int
parse_link(struct ns_pkt *pkt, const struct cursor *c, int linktype)
{
	const uint8_t *h;
	uint32_t family;

	switch (linktype) {
	case NS_LINK_EN10MB: /* IEEE 802.3 section 3.1.1: dst, src, type/length */
		pkt->layers |= NS_LAYER_BIT(ETH);
		h = cur_pull(c, 0, 14);
		if (h == NULL)
			return stop_cut(pkt, c, 0, 14, NS_PARSE_R_LINK_SHORT);
		return parse_ethertype(pkt, c, 14, rd_be16(h + 12));
	case NS_LINK_LINUX_SLL: /* pcap-linktype(7): protocol in the last 2 of 16 bytes */
		pkt->layers |= NS_LAYER_BIT(SLL);
		h = cur_pull(c, 0, 16);
		if (h == NULL)
			return stop_cut(pkt, c, 0, 16, NS_PARSE_R_LINK_SHORT);
		return parse_ethertype(pkt, c, 16, rd_be16(h + 14));
	case NS_LINK_LINUX_SLL2: /* pcap-linktype(7): protocol in the first 2 of 20 bytes */
		pkt->layers |= NS_LAYER_BIT(SLL);
		h = cur_pull(c, 0, 20);
		if (h == NULL)
			return stop_cut(pkt, c, 0, 20, NS_PARSE_R_LINK_SHORT);
		return parse_ethertype(pkt, c, 20, rd_be16(h));
	case NS_LINK_RAW:
	case NS_LINK_RAW_OPENBSD:
	case NS_LINK_RAW_FILE: /* no link header: the version nibble says which IP */
		h = cur_pull(c, 0, 1);
		if (h == NULL)
			return stop_cut(pkt, c, 0, 1, NS_PARSE_R_RAW_EMPTY);
		if (h[0] >> 4 == 4)
			return parse_ipv4(pkt, c, 0);
		if (h[0] >> 4 == 6)
			return parse_ipv6(pkt, c, 0);
		return stop(pkt, NS_PARSE_MALFORMED, NS_PARSE_R_IP_VERSION);
	case NS_LINK_IPV4:
		return parse_ipv4(pkt, c, 0);
	case NS_LINK_IPV6:
		return parse_ipv6(pkt, c, 0);
	case NS_LINK_NULL:
	case NS_LINK_LOOP:
		h = cur_pull(c, 0, 4);
		if (h == NULL)
			return stop_cut(pkt, c, 0, 4, NS_PARSE_R_LINK_SHORT);
		if (linktype == NS_LINK_LOOP) {
			family = rd_be32(h);
		} else {
			/* Host order of the capturing machine: as tcpdump does, a value with
			 * bits in the upper half was written by the other byte order. */
			family = rd_le32(h);
			if (family & 0xffff0000u)
				family = __builtin_bswap32(family);
		}
		return parse_family(pkt, c, family);
	default:
		return stop(pkt, NS_PARSE_UNSUPPORTED, NS_PARSE_R_LINKTYPE);
	}
}

/*
 * Zero the whole result. Copying from a zeroed local compiles to eight 16-byte stores with both
 * GCC and clang, where GCC turns memset() of this size into `rep stosq`, whose start-up cost
 * (~15 ns measured on the corpus) is a third of the per-packet budget.
 */
static inline void
pkt_zero(struct ns_pkt *pkt)
{
	struct {
		uint8_t b[sizeof(struct ns_pkt)];
	} zero = { { 0 } };

	memcpy(pkt, &zero, sizeof(zero));
}

/*
 * TCP options in the two layouts most segments carry, at fixed offsets: NOP, NOP, Timestamps
 * (RFC 7323 Appendix A; every segment after the handshake of a connection with timestamps),
 * and MSS, SACK-permitted, Timestamps, NOP, Window scale (the Linux SYN and SYN/ACK). Every
 * length byte is compared whole, so these are exactly the bytes parse_tcp_options() accepts and
 * the result is the one it gives; any other layout goes to it.
 */
static inline void
parse_tcp_options_fixed(struct ns_pkt *pkt, const uint8_t *p, uint32_t len)
{
	struct ns_tcp_opts *o = &pkt->tcp_opts;

	if (len == 12 && rd_be32(p) == 0x0101080a) {
		o->tsval = rd_be32(p + 4);
		o->tsecr = rd_be32(p + 8);
		o->present = NS_TCPOPT_TS;
	} else if (len == 20 && rd_be16(p) == 0x0204 && rd_be32(p + 4) == 0x0402080a &&
		   rd_be32(p + 16) >> 8 == 0x010303) {
		o->mss = rd_be16(p + 2);
		o->tsval = rd_be32(p + 8);
		o->tsecr = rd_be32(p + 12);
		o->wscale = p[19];
		o->present = NS_TCPOPT_MSS | NS_TCPOPT_SACK_PERM | NS_TCPOPT_TS | NS_TCPOPT_WSCALE;
	} else {
		parse_tcp_options(pkt, p, len);
	}
}

/* The start of every parse: a zeroed result that knows its frame. */
static inline void
pkt_init(struct ns_pkt *pkt, int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	pkt_zero(pkt);
	pkt->data = data;
	pkt->caplen = caplen;
	pkt->wirelen = wirelen;
	pkt->linktype = linktype;
}

/* Bytes the fast path reads at fixed offsets: Ethernet (14), IPv4 without options (20) and a
 * TCP header without options (20), which also covers UDP's 8 (and every Ethernet frame of the
 * 60-byte minimum). */
#define FAST_HDRS (14 + 20 + 20)

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Store @v (4 or 8 bytes, host order) at byte @off of @pkt. */
#define PKT_PUT(pkt, off, v) memcpy((uint8_t *)(pkt) + (off), &(v), sizeof(v))

/*
 * The fast path's result as whole words (little-endian): every byte of @pkt written, the
 * absent fields' zeros within the words of the present ones, so nothing is zeroed first and
 * the adjacent constants (link type, offsets, layers, ethertype, l3, l4, version) take a few
 * wide stores instead of one each. About twenty stores, where zeroing the 136 bytes and then
 * storing field by field took thirty-odd.
 */
static inline __attribute__((always_inline)) void
fixed_store(struct ns_pkt *pkt, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
	    uint32_t tot, uint32_t hlen, uint32_t ulen)
{
	const uint8_t *ip = data + 14, *l4 = data + 34;
	const bool tcp = hlen != 0;
	uint64_t w;
	uint32_t v, u;
	uint16_t ttl_proto, id;

	_Static_assert(offsetof(struct ns_pkt, linktype) == 16 &&
			       offsetof(struct ns_pkt, l3_off) == 20 &&
			       offsetof(struct ns_pkt, l4_off) == 24 &&
			       offsetof(struct ns_pkt, payload_off) == 28 &&
			       offsetof(struct ns_pkt, payload_len) == 32 &&
			       offsetof(struct ns_pkt, ip_len) == 36,
		       "fixed_store(): the link type and offsets");
	_Static_assert(
		offsetof(struct ns_pkt, link_proto) == 40 && offsetof(struct ns_pkt, vlan) == 42 &&
			offsetof(struct ns_pkt, vlan_count) == 46 &&
			offsetof(struct ns_pkt, ip6_ext) == 47 &&
			offsetof(struct ns_pkt, layers) == 48 &&
			offsetof(struct ns_pkt, verdict) == 50 &&
			offsetof(struct ns_pkt, reason) == 51 &&
			offsetof(struct ns_pkt, frag) == 52 && offsetof(struct ns_pkt, l3) == 53 &&
			offsetof(struct ns_pkt, l4) == 54 &&
			offsetof(struct ns_pkt, ip_version) == 55,
		"fixed_store(): link_proto to ip_version");
	_Static_assert(
		offsetof(struct ns_pkt, ttl) == 56 && offsetof(struct ns_pkt, ip_proto) == 57 &&
			offsetof(struct ns_pkt, frag_off) == 58 &&
			offsetof(struct ns_pkt, frag_id) == 60 &&
			offsetof(struct ns_pkt, src) == 64 && offsetof(struct ns_pkt, dst) == 80 &&
			offsetof(struct ns_pkt, sport) == 96 &&
			offsetof(struct ns_pkt, dport) == 98 &&
			offsetof(struct ns_pkt, tcp_flags) == 100 &&
			offsetof(struct ns_pkt, tcp_opts) == 112 && sizeof(struct ns_pkt) == 136,
		"fixed_store(): ttl to the end");

	pkt->data = data;
	/* caplen, wirelen as one word: the two fields of the frame descriptor it was read from
	 * (gcc otherwise pairs them in a vector register and takes them apart again) */
	w = caplen | (uint64_t)wirelen << 32;
	PKT_PUT(pkt, 8, w);
	w = NS_LINK_EN10MB | (uint64_t)14 << 32; /* linktype, l3_off */
	PKT_PUT(pkt, 16, w);
	pkt->l4_off = 34;
	pkt->payload_off = tcp ? 34 + hlen : 34 + 8;
	pkt->payload_len = tcp ? tot - 20 - hlen : ulen - 8;
	pkt->ip_len = tot;
	/* link_proto, no VLAN tags, no IPv6 extension headers */
	w = ET_IPV4;
	PKT_PUT(pkt, 40, w);
	/* layers, verdict OK, reason NONE, not a fragment, l3, l4, ip_version */
	w = NS_LAYER_BIT(ETH) | NS_LAYER_BIT(IPV4) | (tcp ? NS_LAYER_BIT(TCP) : NS_LAYER_BIT(UDP)) |
	    (uint64_t)NS_L3_IPV4 << 40 | (uint64_t)(tcp ? NS_L4_TCP : NS_L4_UDP) << 48 |
	    (uint64_t)4 << 56;
	PKT_PUT(pkt, 48, w);
	/* TTL and Protocol, fragment offset 0, frag_id = Identification */
	memcpy(&ttl_proto, ip + 8, 2);
	id = rd_be16(ip + 4);
	w = ttl_proto | (uint64_t)id << 32;
	PKT_PUT(pkt, 56, w);
	/* ::ffff:a.b.c.d: eight zero bytes, two more and 0xffff, then the address */
	w = 0;
	PKT_PUT(pkt, 64, w);
	PKT_PUT(pkt, 80, w);
	memcpy(&v, ip + 12, 4);
	w = 0xffff0000u | (uint64_t)v << 32;
	PKT_PUT(pkt, 72, w);
	memcpy(&v, ip + 16, 4);
	w = 0xffff0000u | (uint64_t)v << 32;
	PKT_PUT(pkt, 88, w);
	/* sport, dport: the big-endian pair as one word, halves swapped */
	v = rd_be32(l4);
	v = v >> 16 | v << 16;
	PKT_PUT(pkt, 96, v);
	if (tcp) {
		pkt->tcp_flags = l4[13];
		pkt->tcp_hlen = (uint8_t)hlen;
		pkt->tcp_win = rd_be16(l4 + 14);
		/* Sequence and Acknowledgment Numbers: one load, one byte swap that also swaps
		 * the two, and a rotation back */
		memcpy(&w, l4 + 4, 8);
		w = __builtin_bswap64(w);
		w = w >> 32 | w << 32;
		PKT_PUT(pkt, 104, w);
	} else {
		u = 0;
		w = 0;
		PKT_PUT(pkt, 100, u);
		PKT_PUT(pkt, 104, w);
	}
	/* TCP options (decoded after), ICMP, ARP and the tail padding */
	memset((uint8_t *)pkt + 112, 0, sizeof(*pkt) - 112);
}
#else
/* The fast path's result field by field, on a zeroed result. */
static inline void
fixed_store(struct ns_pkt *pkt, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
	    uint32_t tot, uint32_t hlen, uint32_t ulen)
{
	const uint8_t *ip = data + 14, *l4 = data + 34;

	pkt_init(pkt, NS_LINK_EN10MB, data, caplen, wirelen);
	if (hlen != 0) {
		pkt->layers = NS_LAYER_BIT(ETH) | NS_LAYER_BIT(IPV4) | NS_LAYER_BIT(TCP);
		pkt->l4 = NS_L4_TCP;
		pkt->tcp_seq = rd_be32(l4 + 4);
		pkt->tcp_ack = rd_be32(l4 + 8);
		pkt->tcp_flags = l4[13];
		pkt->tcp_win = rd_be16(l4 + 14);
		pkt->tcp_hlen = (uint8_t)hlen;
		pkt->payload_off = 34 + hlen;
		pkt->payload_len = tot - 20 - hlen;
	} else {
		pkt->layers = NS_LAYER_BIT(ETH) | NS_LAYER_BIT(IPV4) | NS_LAYER_BIT(UDP);
		pkt->l4 = NS_L4_UDP;
		pkt->payload_off = 34 + 8;
		pkt->payload_len = ulen - 8;
	}
	pkt->link_proto = ET_IPV4;
	pkt->l3 = NS_L3_IPV4;
	pkt->l3_off = 14;
	pkt->l4_off = 34;
	pkt->ip_len = tot;
	ipv4_fields(pkt, ip);
	pkt->sport = rd_be16(l4);
	pkt->dport = rd_be16(l4 + 2);
}
#endif

/* A 16-bit constant as a plain load of its big-endian bytes gives it (for masks). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BE16_AS_LOADED(v) ((uint16_t)__builtin_bswap16(v))
#else
#define BE16_AS_LOADED(v) ((uint16_t)(v))
#endif

/*
 * The common frame at fixed offsets: untagged Ethernet, IPv4 with IHL 5 that is not a
 * fragment, and TCP or UDP, all inside caplen and all lengths consistent, with one bounds check
 * for the headers. It makes exactly the checks of parse_link() on such a frame, which then
 * cannot fail anywhere but in the TCP options (two common layouts at fixed offsets, the rest
 * through parse_tcp_options()), and gives exactly its result:
 *  - RFC 791 section 3.1: version 4, IHL 5 (so no options to pull), MF clear and offset 0
 *    (the reserved flag is ignored, as in parse_ipv4()), Total Length at least the headers it
 *    holds and at most the wire after the Ethernet header (so no IPV4_TOTLEN_LONG and no BIG TCP
 *    length 0, and wire_avail() is the IP length itself);
 *  - RFC 9293 section 3.1: Data Offset >= 5, the header within the IP payload and caplen;
 *  - RFC 768: UDP Length from 8 to the IP payload (a jumbogram or first fragment cannot be here).
 * Anything else returns false having written nothing, and the caller does the general parse.
 * On success every byte of @pkt has been written (fixed_store()): the caller does not zero it
 * first. @wirelen is the record's, @wire the one the checks use (see ns_parse()).
 * test_fast_path.c compares the two on every corpus frame and on crafted edge cases, from
 * results pre-filled with garbage.
 */
static inline __attribute__((always_inline)) bool
parse_fixed(struct ns_pkt *pkt, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
	    uint32_t wire)
{
	const uint8_t *ip = data + 14, *l4 = data + 34;
	uint32_t tot, ulen = 0, hlen = 0;
	uint16_t ff;

	/* cur_pull(0, FAST_HDRS) without its NULL: @data is not checked against NULL */
	if (caplen < FAST_HDRS || rd_be16(data + 12) != ET_IPV4)
		return false;
	/* flags and fragment offset as loaded, against the mask in the same byte order */
	memcpy(&ff, ip + 6, 2);
	if (ip[0] != 0x45 || (ff & BE16_AS_LOADED(0x3fff)) != 0)
		return false;
	tot = rd_be16(ip + 2);
	if (tot > wire - 14) /* wire >= caplen >= FAST_HDRS */
		return false;
	if (ip[9] == P_TCP) {
		hlen = (uint32_t)(l4[12] >> 2) & 0x3c; /* Data Offset * 4 */
		/* cur_pull(34, hlen): caplen >= 34 here */
		if (hlen < 20 || tot < 20 + hlen || hlen > caplen - 34)
			return false;
	} else if (ip[9] == P_UDP) {
		ulen = rd_be16(l4 + 4);
		if (ulen < 8 || tot < 20 + ulen)
			return false;
	} else {
		return false;
	}
	fixed_store(pkt, data, caplen, wirelen, tot, hlen, ulen);
	if (hlen > 20)
		parse_tcp_options_fixed(pkt, l4 + 20, hlen - 20);
	return true;
}

/* Everything else, layer by layer. The cursor is built here, so the fast path does not pay for
 * it. */
static inline void
parse_layers(struct ns_pkt *pkt, int linktype, const uint8_t *data, uint32_t caplen,
	     uint32_t wirelen)
{
	struct cursor c = { .data = data, .caplen = caplen, .wirelen = wirelen };

	parse_link(pkt, &c, linktype);
	/* a length inconsistency noted on the way (reason set, verdict still OK) */
	if (pkt->verdict == NS_PARSE_OK && pkt->reason != NS_PARSE_R_NONE)
		pkt->verdict = NS_PARSE_MALFORMED;
}

/* A record claiming less on the wire than it captured: the captured bytes are the frame. */
static inline uint32_t
frame_wire(uint32_t caplen, uint32_t wirelen)
{
	return wirelen < caplen ? caplen : wirelen;
}

/* The general parse of a frame whose wire length @wire is already known. */
static inline void
parse_general_wire(struct ns_pkt *pkt, int linktype, const uint8_t *data, uint32_t caplen,
		   uint32_t wirelen, uint32_t wire)
{
	pkt_init(pkt, linktype, data, caplen, wirelen);
	parse_layers(pkt, linktype, data, caplen, wire);
}

int
ns_parse(int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen, struct ns_pkt *pkt)
{
	uint32_t wire = frame_wire(caplen, wirelen);

	if (linktype != NS_LINK_EN10MB || !parse_fixed(pkt, data, caplen, wirelen, wire))
		parse_general_wire(pkt, linktype, data, caplen, wirelen, wire);
	return pkt->verdict;
}

/* The general parse of an Ethernet frame for the burst loop: out of line, so the loop holds
 * only the fast path. */
static __attribute__((noinline)) void
parse_eth_general(struct ns_pkt *pkt, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
		  uint32_t wire)
{
	parse_general_wire(pkt, NS_LINK_EN10MB, data, caplen, wirelen, wire);
}

void
ns_parse_burst(int linktype, const struct ns_frame *frames, unsigned n, struct ns_pkt *pkts,
	       uint64_t *ts_ns)
{
	if (linktype != NS_LINK_EN10MB) {
		for (unsigned i = 0; i < n; i++) {
			ts_ns[i] = frames[i].ts_ns;
			ns_parse(linktype, frames[i].data, frames[i].caplen, frames[i].wirelen,
				 &pkts[i]);
		}
		return;
	}
	/* ns_parse() for Ethernet, with the general parse out of line */
	for (unsigned i = 0; i < n; i++) {
		/* in registers: a store to the result could alias the frame descriptor */
		const uint8_t *data = frames[i].data;
		uint32_t caplen = frames[i].caplen, wirelen = frames[i].wirelen;
		uint32_t wire = frame_wire(caplen, wirelen);

		ts_ns[i] = frames[i].ts_ns;
		if (!parse_fixed(&pkts[i], data, caplen, wirelen, wire))
			parse_eth_general(&pkts[i], data, caplen, wirelen, wire);
	}
}

int
parse_general(int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
	      struct ns_pkt *pkt)
{
	parse_general_wire(pkt, linktype, data, caplen, wirelen, frame_wire(caplen, wirelen));
	return pkt->verdict;
}

bool
parse_fast(int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen, struct ns_pkt *pkt)
{
	if (linktype == NS_LINK_EN10MB &&
	    parse_fixed(pkt, data, caplen, wirelen, frame_wire(caplen, wirelen)))
		return true;
	pkt_init(pkt, linktype, data, caplen, wirelen);
	return false;
}
