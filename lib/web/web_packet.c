/* SPDX-License-Identifier: MIT */
/*
 * The packet inspector's view of one sampled packet: parsed here, on the web thread and only
 * when a client asks, with the same parser and one-line format as the terminal output. Each
 * layer is a byte range of the stored copy plus its decoded fields, so the UI can highlight the
 * range in the hex dump. Fields of a layer the parser did not finish are left out.
 */
#include <stdio.h>
#include <string.h>

#include "ns_core.h"
#include "ns_proto.h"
#include "web_priv.h"

static void
add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static void
add_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void
add_hex16(struct json_object *o, const char *key, unsigned v)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "0x%04x", v & 0xffff);
	add_str(o, key, buf);
}

static void
add_mac(struct json_object *o, const char *key, const uint8_t *m)
{
	char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	add_str(o, key, buf);
}

static void
add_addr(struct json_object *o, const char *key, const struct ns_addr *a)
{
	char buf[64];

	add_str(o, key, ns_addr_format(a, buf, sizeof(buf)));
}

/* Append a layer [off, end) of a @stored-byte copy; returns its fields object. */
static struct json_object *
layer(struct json_object *arr, const char *name, uint32_t off, uint32_t end, uint32_t stored)
{
	struct json_object *l = json_object_new_object();
	struct json_object *fields = json_object_new_object();

	off = NS_MIN(off, stored);
	end = NS_MIN(NS_MAX(end, off), stored);
	add_str(l, "name", name);
	add_int(l, "offset", off);
	add_int(l, "length", end - off);
	json_object_object_add(l, "fields", fields);
	json_object_array_add(arr, l);
	return fields;
}

static void
tcp_flags_str(uint8_t fl, char *buf)
{
	static const char letters[] = "FSRPAUEC";
	size_t n = 0;

	for (unsigned i = 0; i < 8; i++)
		if (fl & (1u << i))
			buf[n++] = letters[i];
	buf[n] = '\0';
}

static void
link_layer(struct json_object *arr, const struct ns_pkt *pkt, uint32_t stored)
{
	uint32_t end = pkt->l3 != NS_L3_NONE ? pkt->l3_off : stored;
	struct json_object *f;

	switch (pkt->linktype) {
	case NS_LINK_EN10MB:
		f = layer(arr, "Ethernet", 0, end, stored);
		if (stored >= 14) {
			add_mac(f, "dst", pkt->data);
			add_mac(f, "src", pkt->data + 6);
		}
		if (pkt->vlan_count > 0)
			add_int(f, "vlan", pkt->vlan[0]);
		if (pkt->vlan_count > 1)
			add_int(f, "inner_vlan", pkt->vlan[1]);
		if (pkt->l3 != NS_L3_NONE)
			add_hex16(f, "ethertype", pkt->link_proto);
		break;
	case NS_LINK_LINUX_SLL:
	case NS_LINK_LINUX_SLL2:
		f = layer(arr, "Linux cooked", 0, end, stored);
		if (pkt->l3 != NS_L3_NONE)
			add_hex16(f, "protocol", pkt->link_proto);
		break;
	case NS_LINK_NULL:
	case NS_LINK_LOOP:
		layer(arr, "Loopback", 0, end, stored);
		break;
	default:
		/* raw IP: no link header */
		break;
	}
}

static void
ip_layer(struct json_object *arr, const struct ns_pkt *pkt, uint32_t stored)
{
	bool done = pkt->l4 != NS_L4_NONE || pkt->verdict == NS_PARSE_OK;
	uint32_t end = pkt->l4 != NS_L4_NONE ? pkt->l4_off : stored;
	struct json_object *f;

	switch (pkt->l3) {
	case NS_L3_IPV4:
	case NS_L3_IPV6:
		f = layer(arr, pkt->l3 == NS_L3_IPV4 ? "IPv4" : "IPv6", pkt->l3_off, end, stored);
		if (!done)
			return;
		add_addr(f, "src", &pkt->src);
		add_addr(f, "dst", &pkt->dst);
		add_int(f, pkt->l3 == NS_L3_IPV4 ? "ttl" : "hop_limit", pkt->ttl);
		add_int(f, "protocol", pkt->ip_proto);
		add_int(f, "length", pkt->ip_len);
		if (pkt->frag & NS_FRAG_IS) {
			add_int(f, "fragment_offset", pkt->frag_off);
			add_int(f, "fragment_id", pkt->frag_id);
			add_str(f, "more_fragments", (pkt->frag & NS_FRAG_MORE) ? "yes" : "no");
		}
		break;
	case NS_L3_ARP:
		f = layer(arr, "ARP", pkt->l3_off, stored, stored);
		if (pkt->verdict == NS_PARSE_OK)
			add_int(f, "operation", pkt->arp_op);
		break;
	case NS_L3_OTHER:
		layer(arr, "Network (not decoded)", pkt->l3_off, stored, stored);
		break;
	default:
		break;
	}
}

static void
transport_layer(struct json_object *arr, const struct ns_pkt *pkt, uint32_t stored)
{
	bool done = pkt->payload_off > pkt->l4_off;
	uint32_t end = done ? pkt->payload_off : stored;
	struct json_object *f;
	char flags[9];

	switch (pkt->l4) {
	case NS_L4_TCP:
		f = layer(arr, "TCP", pkt->l4_off, end, stored);
		if (!done)
			return;
		add_int(f, "src_port", pkt->sport);
		add_int(f, "dst_port", pkt->dport);
		tcp_flags_str(pkt->tcp_flags, flags);
		add_str(f, "flags", flags);
		add_int(f, "seq", pkt->tcp_seq);
		add_int(f, "ack", pkt->tcp_ack);
		add_int(f, "window", pkt->tcp_win);
		add_int(f, "header_length", pkt->tcp_hlen);
		if (pkt->tcp_opts.present & NS_TCPOPT_MSS)
			add_int(f, "mss", pkt->tcp_opts.mss);
		if (pkt->tcp_opts.present & NS_TCPOPT_WSCALE)
			add_int(f, "wscale", pkt->tcp_opts.wscale);
		if (pkt->tcp_opts.present & NS_TCPOPT_TS) {
			add_int(f, "tsval", pkt->tcp_opts.tsval);
			add_int(f, "tsecr", pkt->tcp_opts.tsecr);
		}
		if (pkt->tcp_opts.present & NS_TCPOPT_SACK)
			add_int(f, "sack_blocks", pkt->tcp_opts.sack_blocks);
		break;
	case NS_L4_UDP:
		f = layer(arr, "UDP", pkt->l4_off, end, stored);
		if (!done)
			return;
		add_int(f, "src_port", pkt->sport);
		add_int(f, "dst_port", pkt->dport);
		add_int(f, "length", pkt->payload_len + 8);
		break;
	case NS_L4_ICMP:
	case NS_L4_ICMPV6:
		f = layer(arr, pkt->l4 == NS_L4_ICMP ? "ICMP" : "ICMPv6", pkt->l4_off, end, stored);
		if (!done)
			return;
		add_int(f, "type", pkt->icmp_type);
		add_int(f, "code", pkt->icmp_code);
		if (pkt->icmp_id != 0)
			add_int(f, "id", pkt->icmp_id);
		break;
	case NS_L4_FRAGMENT:
		layer(arr, "IP fragment data", pkt->l4_off, stored, stored);
		return;
	case NS_L4_OTHER:
		f = layer(arr, "Transport (not decoded)", pkt->l4_off, stored, stored);
		add_int(f, "protocol", pkt->ip_proto);
		return;
	default:
		return;
	}
	if (done && pkt->payload_off < stored && pkt->payload_len > 0) {
		f = layer(arr, "Payload", pkt->payload_off, pkt->payload_off + pkt->payload_len,
			  stored);
		add_int(f, "length", pkt->payload_len);
	}
}

struct json_object *
web_json_packet(const struct web_pkt *p, uint64_t id)
{
	static const char hexdig[] = "0123456789abcdef";
	struct json_object *o = json_object_new_object();
	struct json_object *layers = json_object_new_array();
	char hex[NS_WEB_PKT_BYTES * 2 + 1], line[512], ts[40];
	uint32_t stored = NS_MIN(p->stored, (uint32_t)NS_WEB_PKT_BYTES);
	struct ns_pkt pkt;

	if (o == NULL || layers == NULL) {
		json_object_put(o);
		json_object_put(layers);
		return NULL;
	}
	/* The copy may be shorter than what was captured; the parser sees it as cut. */
	ns_parse(p->linktype, p->data, stored, NS_MAX(p->wirelen, stored), &pkt);
	ns_pkt_format(&pkt, line, sizeof(line));
	for (uint32_t i = 0; i < stored; i++) {
		hex[2 * i] = hexdig[p->data[i] >> 4];
		hex[2 * i + 1] = hexdig[p->data[i] & 15];
	}
	hex[2 * stored] = '\0';

	json_object_object_add(o, "id", json_object_new_uint64(id));
	add_str(o, "ts", ns_time_fmt_rfc3339(p->ts_ns, ts, sizeof(ts)));
	add_str(o, "linktype", ns_proto_linktype_name(p->linktype));
	add_int(o, "caplen", p->caplen);
	add_int(o, "wirelen", p->wirelen);
	add_int(o, "stored", stored);
	add_str(o, "summary", line);
	add_str(o, "verdict", ns_parse_verdict_name(pkt.verdict));
	if (pkt.reason != NS_PARSE_R_NONE)
		add_str(o, "reason", ns_parse_reason_name(pkt.reason));
	link_layer(layers, &pkt, stored);
	ip_layer(layers, &pkt, stored);
	transport_layer(layers, &pkt, stored);
	json_object_object_add(o, "layers", layers);
	add_str(o, "hex", hex);
	return o;
}
