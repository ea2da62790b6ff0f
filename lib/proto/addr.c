/* SPDX-License-Identifier: MIT */
/*
 * Names and addresses for the parser's results: the 16-byte address type (IPv4 mapped as
 * ::ffff:a.b.c.d) and its text form, the supported link types, and the verdict, reason and
 * layer names generated from the X-macro lists in ns_proto.h so that enum, strings and
 * counters can never drift apart.
 */
#include <arpa/inet.h>
#include <string.h>

#include "ns_core.h"
#include "ns_proto.h"

bool
ns_addr_is_v4(const struct ns_addr *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a->b, prefix, sizeof(prefix)) == 0;
}

char *
ns_addr_format(const struct ns_addr *a, char *buf, size_t len)
{
	const char *r;

	if (len == 0)
		return buf;
	/* socklen_t is 32 bits: a larger buffer is as good as INET6_ADDRSTRLEN bytes */
	if (len > INET6_ADDRSTRLEN)
		len = INET6_ADDRSTRLEN;
	/* glibc's inet_ntop follows RFC 5952 (lowercase, longest zero run, no single :0:) */
	if (ns_addr_is_v4(a))
		r = inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)len);
	else
		r = inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
	if (r == NULL)
		buf[0] = '\0';
	return buf;
}

bool
ns_proto_linktype_supported(int linktype)
{
	switch (linktype) {
	case NS_LINK_NULL:
	case NS_LINK_EN10MB:
	case NS_LINK_RAW:
	case NS_LINK_RAW_OPENBSD:
	case NS_LINK_RAW_FILE:
	case NS_LINK_LOOP:
	case NS_LINK_LINUX_SLL:
	case NS_LINK_IPV4:
	case NS_LINK_IPV6:
	case NS_LINK_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

const char *
ns_proto_linktype_name(int linktype)
{
	switch (linktype) {
	case NS_LINK_NULL:
		return "NULL";
	case NS_LINK_EN10MB:
		return "EN10MB";
	case NS_LINK_RAW:
	case NS_LINK_RAW_OPENBSD:
	case NS_LINK_RAW_FILE:
		return "RAW";
	case NS_LINK_LOOP:
		return "LOOP";
	case NS_LINK_LINUX_SLL:
		return "LINUX_SLL";
	case NS_LINK_IPV4:
		return "IPV4";
	case NS_LINK_IPV6:
		return "IPV6";
	case NS_LINK_LINUX_SLL2:
		return "LINUX_SLL2";
	default:
		return "unknown";
	}
}

static const char *const verdict_names[] = {
#define NS_X(name, str) [NS_PARSE_##name] = str,
	NS_PARSE_VERDICTS(NS_X)
#undef NS_X
};

static const char *const reason_names[] = {
#define NS_X(name, str) [NS_PARSE_R_##name] = str,
	NS_PARSE_REASONS(NS_X)
#undef NS_X
};

static const char *const layer_names[] = {
#define NS_X(name, str) [NS_LAYER_IDX_##name] = str,
	NS_LAYERS(NS_X)
#undef NS_X
};

const char *
ns_parse_verdict_name(unsigned verdict)
{
	return verdict < NS_ARRAY_SIZE(verdict_names) ? verdict_names[verdict] : "unknown";
}

const char *
ns_parse_reason_name(unsigned reason)
{
	return reason < NS_ARRAY_SIZE(reason_names) ? reason_names[reason] : "unknown";
}

const char *
ns_layer_name(unsigned idx)
{
	return idx < NS_ARRAY_SIZE(layer_names) ? layer_names[idx] : "unknown";
}

static bool
icmp_is_error(const struct ns_pkt *pkt)
{
	if (pkt->l4 == NS_L4_ICMP) /* RFC 792: unreachable, quench, redirect, time, parameter */
		return pkt->icmp_type == 3 || pkt->icmp_type == 4 || pkt->icmp_type == 5 ||
		       pkt->icmp_type == 11 || pkt->icmp_type == 12;
	/* RFC 4443 section 3: unreachable, too big, time exceeded, parameter problem */
	return pkt->l4 == NS_L4_ICMPV6 && pkt->icmp_type >= 1 && pkt->icmp_type <= 4;
}

/*
 * @len bytes at @off when they lie before @end, else NULL. @end is where the ICMP message ends:
 * the end of the IP payload (payload_off + payload_len), or caplen when the capture stopped
 * first. Bytes after the IP packet (an Ethernet trailer or FCS) are not part of the quote.
 */
static const uint8_t *
quote_pull(const struct ns_pkt *pkt, uint32_t end, uint32_t off, uint32_t len)
{
	if (off > end || len > end - off)
		return NULL;
	return pkt->data + off;
}

bool
ns_icmp_quote(const struct ns_pkt *pkt, struct ns_icmp_quote *q)
{
	uint32_t off = pkt->l4_off + 8, end;
	const uint8_t *ip, *l4;

	/* payload_off != 0: the ICMP header was read and payload_len is the message's rest */
	if (pkt->data == NULL || pkt->l4_off == 0 || pkt->payload_off == 0 || !icmp_is_error(pkt))
		return false;
	end = (uint32_t)NS_MIN((uint64_t)pkt->payload_off + pkt->payload_len, pkt->caplen);
	if ((ip = quote_pull(pkt, end, off, 1)) == NULL)
		return false;
	memset(q, 0, sizeof(*q));
	if ((ip[0] >> 4) == 4) {
		uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;

		ip = quote_pull(pkt, end, off, 20);
		/* RFC 791 section 3.1: IHL >= 5; a non-zero fragment offset has no ports */
		if (ip == NULL || ihl < 20 || ((ip[6] & 0x1f) | ip[7]) != 0)
			return false;
		q->proto = ip[9];
		q->ip_version = 4;
		q->src.b[10] = q->src.b[11] = q->dst.b[10] = q->dst.b[11] = 0xff;
		memcpy(&q->src.b[12], ip + 12, 4);
		memcpy(&q->dst.b[12], ip + 16, 4);
		l4 = quote_pull(pkt, end, off + ihl, 4);
	} else if ((ip[0] >> 4) == 6) {
		/* RFC 8200 section 3; extension headers in a quote are not walked */
		ip = quote_pull(pkt, end, off, 40);
		if (ip == NULL)
			return false;
		q->proto = ip[6];
		q->ip_version = 6;
		memcpy(q->src.b, ip + 8, 16);
		memcpy(q->dst.b, ip + 24, 16);
		l4 = quote_pull(pkt, end, off + 40, 4);
	} else {
		return false;
	}
	if (l4 == NULL || (q->proto != 6 && q->proto != 17))
		return false;
	q->sport = (uint16_t)(l4[0] << 8 | l4[1]);
	q->dport = (uint16_t)(l4[2] << 8 | l4[3]);
	return true;
}
