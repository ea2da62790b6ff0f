/* SPDX-License-Identifier: MIT */
/*
 * The one-line, tcpdump-like packet description that `netscope` prints per packet:
 *   [vlan A[,B] ]L3 L4 src[:port] > dst[:port] [details], length WIRELEN[ [verdict: reason]]
 * e.g. "vlan 42 IPv4 TCP 10.0.0.1:443 > 10.0.0.2:51234 [S.] seq 1 ack 2 win 65535, length 74".
 * It prints only what ns_parse() validated (see the validity rules in ns_proto.h), so a
 * truncated or malformed frame shows the layers that were read and then says why it stopped.
 * Not on the packet path: snprintf is fine here.
 */
#include <stdarg.h>
#include <stdio.h>

#include "ns_proto.h"

struct fmt {
	char *buf;
	size_t len;
	size_t pos; /* characters the full line needs so far (snprintf semantics) */
};

static void fmt_put(struct fmt *f, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void
fmt_put(struct fmt *f, const char *format, ...)
{
	char *dst = NULL;
	size_t room = 0;
	va_list ap;
	int n;

	if (f->pos < f->len) {
		dst = f->buf + f->pos;
		room = f->len - f->pos;
	}
	va_start(ap, format);
	n = vsnprintf(dst, room, format, ap);
	va_end(ap);
	if (n > 0)
		f->pos += (size_t)n;
}

static const char *
ip_proto_name(uint8_t proto)
{
	switch (proto) {
	case 1:
		return "ICMP";
	case 2:
		return "IGMP";
	case 4:
		return "IPIP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 41:
		return "IPv6-in-IP";
	case 47:
		return "GRE";
	case 50:
		return "ESP";
	case 51:
		return "AH";
	case 58:
		return "ICMPv6";
	case 59:
		return "no-next-header";
	case 89:
		return "OSPF";
	case 103:
		return "PIM";
	case 112:
		return "VRRP";
	case 132:
		return "SCTP";
	default:
		return NULL;
	}
}

static const char *
icmp_type_name(uint8_t type)
{
	switch (type) {
	case 0:
		return "echo reply";
	case 3:
		return "unreachable";
	case 5:
		return "redirect";
	case 8:
		return "echo request";
	case 11:
		return "time exceeded";
	case 12:
		return "parameter problem";
	default:
		return NULL;
	}
}

static const char *
icmp6_type_name(uint8_t type)
{
	switch (type) {
	case 1:
		return "unreachable";
	case 2:
		return "packet too big";
	case 3:
		return "time exceeded";
	case 4:
		return "parameter problem";
	case 128:
		return "echo request";
	case 129:
		return "echo reply";
	case 133:
		return "router solicitation";
	case 134:
		return "router advertisement";
	case 135:
		return "neighbor solicitation";
	case 136:
		return "neighbor advertisement";
	case 143:
		return "multicast listener report v2";
	default:
		return NULL;
	}
}

/* "10.0.0.1", "2001:db8::1", with ":port" / "[v6]:port" when @with_port. */
static void
put_endpoint(struct fmt *f, const struct ns_addr *a, uint16_t port, bool with_port)
{
	char text[64];

	ns_addr_format(a, text, sizeof(text));
	if (!with_port)
		fmt_put(f, "%s", text);
	else if (ns_addr_is_v4(a))
		fmt_put(f, "%s:%u", text, port);
	else
		fmt_put(f, "[%s]:%u", text, port);
}

/* TCP flags in tcpdump's notation and order (print-tcp.c tcp_flag_values). */
static void
put_tcp(struct fmt *f, const struct ns_pkt *pkt)
{
	static const char letters[8] = { 'F', 'S', 'R', 'P', '.', 'U', 'E', 'W' };
	const struct ns_tcp_opts *o = &pkt->tcp_opts;
	char flags[9];
	unsigned n = 0;
	const char *sep = "";

	for (unsigned i = 0; i < 8; i++)
		if (pkt->tcp_flags & (1u << i))
			flags[n++] = letters[i];
	flags[n] = '\0';
	fmt_put(f, " [%s] seq %u", n != 0 ? flags : "none", pkt->tcp_seq);
	if (pkt->tcp_flags & NS_TCP_ACK)
		fmt_put(f, " ack %u", pkt->tcp_ack);
	fmt_put(f, " win %u", pkt->tcp_win);
	if (o->present == 0)
		return;
	fmt_put(f, " options [");
	if (o->present & NS_TCPOPT_MSS) {
		fmt_put(f, "mss %u", o->mss);
		sep = ",";
	}
	if (o->present & NS_TCPOPT_WSCALE) {
		fmt_put(f, "%swscale %u", sep, o->wscale);
		sep = ",";
	}
	if (o->present & NS_TCPOPT_SACK_PERM) {
		fmt_put(f, "%ssackOK", sep);
		sep = ",";
	}
	if (o->present & NS_TCPOPT_SACK) {
		fmt_put(f, "%ssack %u", sep, o->sack_blocks);
		sep = ",";
	}
	if (o->present & NS_TCPOPT_TS) {
		fmt_put(f, "%sTS val %u ecr %u", sep, o->tsval, o->tsecr);
		sep = ",";
	}
	if (o->present & NS_TCPOPT_MPTCP)
		fmt_put(f, "%smptcp", sep);
	fmt_put(f, "]");
}

static void
put_icmp(struct fmt *f, const struct ns_pkt *pkt)
{
	bool v6 = pkt->l4 == NS_L4_ICMPV6;
	const char *name = v6 ? icmp6_type_name(pkt->icmp_type) : icmp_type_name(pkt->icmp_type);
	bool echo = v6 ? (pkt->icmp_type == 128 || pkt->icmp_type == 129)
		       : (pkt->icmp_type == 0 || pkt->icmp_type == 8);

	if (name != NULL)
		fmt_put(f, " %s", name);
	else
		fmt_put(f, " type %u", pkt->icmp_type);
	if (pkt->icmp_code != 0 || name == NULL)
		fmt_put(f, " code %u", pkt->icmp_code);
	if (echo)
		fmt_put(f, " id %u", pkt->icmp_id);
}

static void
put_ip(struct fmt *f, const struct ns_pkt *pkt)
{
	const char *name;
	bool ports;

	fmt_put(f, "%s", pkt->l3 == NS_L3_IPV4 ? "IPv4" : "IPv6");
	if (pkt->ip_version == 0)
		return; /* the IP header itself was not read */
	if (pkt->l4_off != 0) {
		switch (pkt->l4) {
		case NS_L4_TCP:
			name = "TCP";
			break;
		case NS_L4_UDP:
			name = "UDP";
			break;
		case NS_L4_ICMP:
			name = "ICMP";
			break;
		case NS_L4_ICMPV6:
			name = "ICMPv6";
			break;
		default:
			name = ip_proto_name(pkt->ip_proto);
			break;
		}
		if (name != NULL)
			fmt_put(f, " %s", name);
		else
			fmt_put(f, " proto %u", pkt->ip_proto);
	}
	ports = pkt->payload_off != 0 && (pkt->l4 == NS_L4_TCP || pkt->l4 == NS_L4_UDP);
	fmt_put(f, " ");
	put_endpoint(f, &pkt->src, pkt->sport, ports);
	fmt_put(f, " > ");
	put_endpoint(f, &pkt->dst, pkt->dport, ports);
	if (pkt->payload_off != 0) {
		if (pkt->l4 == NS_L4_TCP)
			put_tcp(f, pkt);
		else if (pkt->l4 == NS_L4_ICMP || pkt->l4 == NS_L4_ICMPV6)
			put_icmp(f, pkt);
	}
	if (pkt->frag & NS_FRAG_IS)
		fmt_put(f, " frag id %u off %u%s", pkt->frag_id, pkt->frag_off,
			pkt->frag & NS_FRAG_MORE ? "+" : "");
}

static void
put_arp(struct fmt *f, const struct ns_pkt *pkt)
{
	char spa[64], tpa[64];
	const uint8_t *sha;

	fmt_put(f, "%s", pkt->link_proto == 0x8035 ? "RARP" : "ARP");
	if (pkt->verdict != NS_PARSE_OK)
		return;
	/* ns_parse() keeps addresses only for Ethernet/IPv4 ARP, whose 28 bytes it checked */
	if (!ns_addr_is_v4(&pkt->src) || (uint64_t)pkt->l3_off + 28 > pkt->caplen) {
		fmt_put(f, " op %u", pkt->arp_op);
		return;
	}
	ns_addr_format(&pkt->src, spa, sizeof(spa));
	ns_addr_format(&pkt->dst, tpa, sizeof(tpa));
	sha = pkt->data + pkt->l3_off + 8;
	if (pkt->arp_op == 1)
		fmt_put(f, " who-has %s tell %s", tpa, spa);
	else if (pkt->arp_op == 2)
		fmt_put(f, " reply %s is-at %02x:%02x:%02x:%02x:%02x:%02x", spa, sha[0], sha[1],
			sha[2], sha[3], sha[4], sha[5]);
	else
		fmt_put(f, " op %u %s > %s", pkt->arp_op, spa, tpa);
}

int
ns_pkt_format(const struct ns_pkt *pkt, char *buf, size_t len)
{
	struct fmt f = { .buf = buf, .len = len, .pos = 0 };

	if (len != 0)
		buf[0] = '\0';
	if (pkt->reason == NS_PARSE_R_LINKTYPE) {
		fmt_put(&f, "unsupported link type %d, length %u", pkt->linktype, pkt->wirelen);
		return (int)f.pos;
	}
	if (pkt->vlan_count != 0) {
		fmt_put(&f, "vlan %u", pkt->vlan[0]);
		if (pkt->vlan_count > 1)
			fmt_put(&f, ",%u", pkt->vlan[1]);
		if (pkt->vlan_count > 2)
			fmt_put(&f, ",...");
		fmt_put(&f, " ");
	}
	switch (pkt->l3) {
	case NS_L3_IPV4:
	case NS_L3_IPV6:
		put_ip(&f, pkt);
		break;
	case NS_L3_ARP:
		put_arp(&f, pkt);
		break;
	case NS_L3_OTHER:
		if (pkt->link_proto == 0)
			fmt_put(&f, "%s", ns_proto_linktype_name(pkt->linktype));
		else if (pkt->link_proto < 0x0600 && pkt->linktype == NS_LINK_EN10MB)
			fmt_put(&f, "LLC"); /* IEEE 802.3 length field, not an ethertype */
		else
			fmt_put(&f, "ethertype 0x%04x", pkt->link_proto);
		break;
	default:
		fmt_put(&f, "%s", ns_proto_linktype_name(pkt->linktype));
		break;
	}
	fmt_put(&f, ", length %u", pkt->wirelen);
	if (pkt->verdict != NS_PARSE_OK)
		fmt_put(&f, " [%s: %s]", ns_parse_verdict_name(pkt->verdict),
			ns_parse_reason_name(pkt->reason));
	return (int)f.pos;
}
