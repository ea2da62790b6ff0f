/* SPDX-License-Identifier: MIT */
/*
 * Zero-copy packet parser. ns_parse() reads one captured frame and fills a struct ns_pkt with
 * offsets into the caller's buffer and a decoded summary (addresses, ports, TCP fields, tags).
 * It never allocates, never reads past caplen, and reports every problem as a verdict plus a
 * reason code instead of failing. It is a pure function and is fuzzed (tests/fuzz).
 */
#ifndef NS_PROTO_H
#define NS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Link types, as libpcap's pcap_datalink() reports them (DLT_*) and, where the file value
 * differs, as stored in pcap files (LINKTYPE_*). The parser accepts both spellings.
 */
#define NS_LINK_NULL 0 /* BSD loopback: 4-byte host-order address family */
#define NS_LINK_EN10MB 1 /* Ethernet */
#define NS_LINK_RAW 12 /* DLT_RAW on Linux: IPv4 or IPv6 by version nibble */
#define NS_LINK_RAW_OPENBSD 14 /* DLT_RAW on OpenBSD */
#define NS_LINK_RAW_FILE 101 /* LINKTYPE_RAW */
#define NS_LINK_LOOP 108 /* OpenBSD loopback: 4-byte network-order address family */
#define NS_LINK_LINUX_SLL 113 /* Linux cooked capture v1 */
#define NS_LINK_IPV4 228 /* raw IPv4 */
#define NS_LINK_IPV6 229 /* raw IPv6 */
#define NS_LINK_LINUX_SLL2 276 /* Linux cooked capture v2 */

/** True when ns_parse() understands @linktype. */
bool ns_proto_linktype_supported(int linktype);

/** Short name of a link type ("EN10MB", "LINUX_SLL2", ...), or "unknown". */
const char *ns_proto_linktype_name(int linktype);

/*
 * Parse verdicts. TRUNCATED means the capture was cut by the snaplen (caplen < wirelen) before
 * a header ended; MALFORMED means the bytes on the wire are wrong or the frame itself is too
 * short (caplen == wirelen) for what its headers claim.
 */
#define NS_PARSE_VERDICTS(X)      \
	X(OK, "ok")               \
	X(TRUNCATED, "truncated") \
	X(MALFORMED, "malformed") \
	X(UNSUPPORTED, "unsupported")

enum ns_parse_verdict {
/* clang-format off */
#define NS_X(name, str) NS_PARSE_##name,
	NS_PARSE_VERDICTS(NS_X)
#undef NS_X
	NS_PARSE_VERDICT_MAX
	/* clang-format on */
};

/*
 * Why a frame was not parsed to the end. One entry per check in the parser; every reason has a
 * unit test that triggers it. The string is what the packet printer and counters show.
 */
#define NS_PARSE_REASONS(X)                                             \
	X(NONE, "none")                                                 \
	X(LINKTYPE, "unsupported link type")                            \
	X(LINK_SHORT, "link header cut short")                          \
	X(NULL_FAMILY, "unknown loopback address family")               \
	X(VLAN_SHORT, "VLAN tag cut short")                             \
	X(VLAN_DEPTH, "too many stacked VLAN tags")                     \
	X(ARP_SHORT, "ARP header cut short")                            \
	X(IP_VERSION, "IP version does not match link type")            \
	X(IPV4_SHORT, "IPv4 header cut short")                          \
	X(IPV4_IHL, "IPv4 header length below 20")                      \
	X(IPV4_TOTLEN, "IPv4 total length below header length")         \
	X(IPV4_OPTIONS, "IPv4 options cut short")                       \
	X(IPV6_SHORT, "IPv6 header cut short")                          \
	X(IPV6_PAYLEN, "IPv6 payload length exceeds frame")             \
	X(IPV6_EXT_SHORT, "IPv6 extension header cut short")            \
	X(IPV6_EXT_LEN, "IPv6 extension header exceeds payload length") \
	X(IPV6_JUMBO, "IPv6 jumbo payload option invalid")              \
	X(TCP_SHORT, "TCP header cut short")                            \
	X(TCP_DOFF, "TCP data offset below 20")                         \
	X(TCP_LEN, "TCP header longer than IP payload")                 \
	X(TCP_OPTIONS, "TCP option malformed")                          \
	X(UDP_SHORT, "UDP header cut short")                            \
	X(UDP_LEN, "UDP length invalid")                                \
	X(ICMP_SHORT, "ICMP header cut short")                          \
	X(ICMPV6_SHORT, "ICMPv6 header cut short")                      \
	X(RAW_EMPTY, "raw IP frame without a version byte")             \
	X(IPV4_TOTLEN_LONG, "IPv4 total length exceeds frame")          \
	X(IPV6_EXT_DEPTH, "too many IPv6 extension headers")            \
	X(AH_SHORT, "IPv4 authentication header cut short")             \
	X(AH_LEN, "IPv4 authentication header exceeds IP payload")

enum ns_parse_reason {
/* clang-format off */
#define NS_X(name, str) NS_PARSE_R_##name,
	NS_PARSE_REASONS(NS_X)
#undef NS_X
	NS_PARSE_REASON_MAX
	/* clang-format on */
};

/** Name of a verdict ("ok", "truncated", ...). */
const char *ns_parse_verdict_name(unsigned verdict);

/** Human text of a reason code. */
const char *ns_parse_reason_name(unsigned reason);

/* Layers a frame carries; one bit each, the basis of the per-protocol counters. */
#define NS_LAYERS(X)        \
	X(ETH, "eth")       \
	X(SLL, "sll")       \
	X(VLAN, "vlan")     \
	X(QINQ, "qinq")     \
	X(ARP, "arp")       \
	X(IPV4, "ipv4")     \
	X(IPV6, "ipv6")     \
	X(TCP, "tcp")       \
	X(UDP, "udp")       \
	X(ICMP, "icmp")     \
	X(ICMPV6, "icmpv6") \
	X(OTHER, "other")

enum ns_layer {
/* clang-format off */
#define NS_X(name, str) NS_LAYER_IDX_##name,
	NS_LAYERS(NS_X)
#undef NS_X
	NS_LAYER_MAX
	/* clang-format on */
};

#define NS_LAYER_BIT(name) (1u << NS_LAYER_IDX_##name)

/** Name of a layer index ("eth", "vlan", ...): the summary's protocol keys. */
const char *ns_layer_name(unsigned idx);

/*
 * Layer meanings (a frame may set several bits). Only OUTER layers count: tunnels (GRE, VXLAN,
 * Geneve, IP-in-IP) and ICMP error payloads are not decapsulated.
 *  ETH     link type EN10MB                          SLL    link type LINUX_SLL or LINUX_SLL2
 *  VLAN    at least one 802.1Q (0x8100), 802.1ad (0x88a8), 0x9100 or 0x9200 tag
 *  QINQ    two or more stacked tags
 *  ARP     ethertype ARP or RARP
 *  IPV4/IPV6  the outermost network layer: ethertype/SLL protocol 0x0800/0x86dd, NULL/LOOP
 *          family, link type IPV4/IPV6, or the version nibble on RAW links
 *  TCP/UDP/ICMP/ICMPV6  the protocol named by the outer IP header (after IPv6 extension
 *          headers, and after an Authentication Header in IPv4 or IPv6), for unfragmented
 *          packets and first fragments; a non-first fragment sets none of them
 *  OTHER   a frame with nothing we decode above the link: unknown ethertype, 802.3 length
 *          field (LLC/STP), unknown NULL/LOOP family; or an IP packet whose transport we do
 *          not decode (GRE, OSPF, ESP, No Next Header, ...) or that is a non-first fragment
 * A bit is set as soon as the layer below announces the layer, even when its own header then
 * turns out cut short or bad (the reason says so): a frame with ethertype IPv4 and a 10-byte
 * IPv4 header counts as ipv4 and is TRUNCATED or MALFORMED with IPV4_SHORT, like tshark counts
 * the layer it tried to dissect. A frame stopped before its transport was identified sets
 * neither a transport bit nor OTHER. So a frame with verdict OK carries exactly one of:
 * ARP; OTHER alone; IPV4 or IPV6 plus exactly one of TCP, UDP, ICMP, ICMPV6, OTHER.
 */

enum ns_l3 {
	NS_L3_NONE = 0,
	NS_L3_ARP,
	NS_L3_IPV4,
	NS_L3_IPV6,
	NS_L3_OTHER,
};

enum ns_l4 {
	NS_L4_NONE = 0,
	NS_L4_TCP,
	NS_L4_UDP,
	NS_L4_ICMP,
	NS_L4_ICMPV6,
	NS_L4_FRAGMENT, /* a non-first IP fragment: no transport header */
	NS_L4_OTHER, /* any other IP protocol (GRE, OSPF, ESP, ...): ip_proto says which */
};

/*
 * Parser limits. Eight stacked VLAN tags is four times the deepest real deployment (QinQ plus
 * a service tag) and keeps the tag loop short. IPv6 stacks emit at most a handful of extension
 * headers (RFC 8200 section 4.1 lists six kinds, each at most once or twice); 128 still walks
 * the pathological chains in test captures while bounding a hostile frame to ~1 KB of headers.
 * Frames past either limit get verdict UNSUPPORTED (the frame may be valid, we stop reading).
 */
#define NS_PROTO_VLAN_MAX 8
#define NS_PROTO_IP6_EXT_MAX 128

/* IPv6 extension headers walked (bit set when present). */
#define NS_IP6EXT_HOPOPTS 0x01
#define NS_IP6EXT_ROUTING 0x02
#define NS_IP6EXT_FRAG 0x04
#define NS_IP6EXT_DSTOPTS 0x08
#define NS_IP6EXT_AH 0x10

/* Fragment bits. */
#define NS_FRAG_IS 0x01 /* packet is a fragment (MF set or offset != 0) */
#define NS_FRAG_FIRST 0x02 /* offset 0: carries the transport header */
#define NS_FRAG_MORE 0x04 /* more fragments follow */

/* TCP flags as on the wire. */
#define NS_TCP_FIN 0x01
#define NS_TCP_SYN 0x02
#define NS_TCP_RST 0x04
#define NS_TCP_PSH 0x08
#define NS_TCP_ACK 0x10
#define NS_TCP_URG 0x20
#define NS_TCP_ECE 0x40
#define NS_TCP_CWR 0x80

/* TCP options present (bits of ns_tcp_opts.present). */
#define NS_TCPOPT_MSS 0x01
#define NS_TCPOPT_WSCALE 0x02
#define NS_TCPOPT_SACK_PERM 0x04
#define NS_TCPOPT_SACK 0x08
#define NS_TCPOPT_TS 0x10
#define NS_TCPOPT_MPTCP 0x20

struct ns_tcp_opts {
	uint8_t present; /* NS_TCPOPT_* */
	uint8_t wscale; /* shift as sent (not clamped) */
	uint8_t sack_blocks; /* number of SACK blocks */
	uint8_t pad;
	uint16_t mss;
	uint32_t tsval;
	uint32_t tsecr;
};

/* One 16-byte address type; IPv4 is stored mapped as ::ffff:a.b.c.d. */
struct ns_addr {
	uint8_t b[16];
};

/*
 * Parse result. Offsets count from the start of the frame (data). Which fields hold data:
 *  - l3, l3_off, layers, link_proto, vlan*: always (zero where absent).
 *  - ip_version != 0: the IP header (IPv4 with its options) was read in full: src, dst, ttl,
 *    ip_len (for a jumbogram once its hop-by-hop header was read), and for IPv4
 *    frag/frag_off/frag_id are valid.
 *  - l4_off != 0: the transport was located (IPv6 extension headers and an IPv4 or IPv6 AH
 *    walked): l4, ip_proto, ip6_ext and IPv6 fragment fields are valid (ip6_ext is for IPv6
 *    only: an IPv4 AH sets no bit).
 *  - payload_off != 0: the transport header was read in full and is consistent with the IP
 *    lengths: ports, TCP fields and options, ICMP fields, payload_len. (With verdict
 *    MALFORMED and reason TCP_OPTIONS the fixed TCP header is still valid.) For a non-first
 *    fragment or an undecoded protocol payload_off == l4_off. A first fragment that ends
 *    inside its TCP header (at least 8 bytes of it) has l4 TCP, l4_off and payload_off 0:
 *    verdict OK, no TCP field set (ns_pkt_ports() reads the ports from the frame).
 *  - ARP fields (src/dst sender/target protocol address, arp_op): when verdict is OK;
 *    addresses only for Ethernet/IPv4 ARP.
 *
 * Verdict rules: every check either passes or stops the parse with one reason. A header that
 * does not fit in caplen is TRUNCATED when it would end within wirelen (snaplen cut) and
 * MALFORMED otherwise. A length field that contradicts the layer containing it (IHL, Total
 * Length, Payload Length, extension header or AH length, TCP data offset, UDP length) is
 * MALFORMED, except in a first fragment, which may end inside the TCP header or carry only the
 * start of the datagram its UDP Length counts (RFC 791 section 2.3, RFC 8200 section 4.5).
 * Depth limits, unknown link types and unknown NULL/LOOP families are UNSUPPORTED. Payload cut
 * by the snaplen after complete headers is OK (check caplen < wirelen for that).
 *
 * Lengths: ip_len is what the IP header says (IPv4 Total Length; IPv6 40 + Payload Length, or
 * 40 + the RFC 2675 Jumbo Payload length when Payload Length is 0 and a hop-by-hop header
 * follows). An IPv4 Total Length of 0 in a frame whose wire length leaves more than 65535 bytes
 * for IP is Linux BIG TCP: ip_len is then the wire length from l3_off, as tshark does (tshark
 * also accepts 0 in smaller frames as TSO; we report IPV4_TOTLEN). payload_len is the
 * transport payload the IP header assigns (tshark's tcp.len), never derived from caplen. When
 * the IP length claims more than the wire carried, parsing goes on against the IP length (so
 * tshark-like layers and fields are filled), payload_len is limited to the bytes the wire
 * carried, and the frame ends MALFORMED with IPV4_TOTLEN_LONG / IPV6_PAYLEN unless a later
 * check stopped it with its own reason. A record with caplen > wirelen is parsed as if
 * wirelen were caplen.
 */
struct ns_pkt {
	const uint8_t *data; /* the frame, not owned */
	uint32_t caplen; /* bytes captured */
	uint32_t wirelen; /* bytes on the wire */
	int linktype; /* as passed to ns_parse() */

	uint32_t l3_off; /* network header */
	uint32_t l4_off; /* transport header */
	uint32_t payload_off; /* transport payload (may be > caplen when truncated) */
	uint32_t payload_len; /* transport payload length as the IP header reports it (tshark
			       * tcp.len), never derived from caplen; 0 when unknown */
	uint32_t ip_len; /* IPv4 total length / IPv6 40 + payload length (jumbo-aware) */

	uint16_t link_proto; /* ethertype after tags, or SLL protocol; 0 for raw/null links */
	uint16_t vlan[2]; /* outer, inner VLAN id (12 bits); valid per vlan_count */
	uint8_t vlan_count; /* stacked tags seen (capped at the parser's limit) */
	uint8_t ip6_ext; /* NS_IP6EXT_* walked */

	/* One aligned 8-byte word, the same for every plain packet of one protocol: the counters
	 * compare it whole (ns_stats_count_burst()) and the fast path stores it as a constant. */
	uint16_t layers; /* NS_LAYER_BIT(...) */
	uint8_t verdict; /* enum ns_parse_verdict */
	uint8_t reason; /* enum ns_parse_reason */
	uint8_t frag; /* NS_FRAG_* */
	uint8_t l3; /* enum ns_l3 */
	uint8_t l4; /* enum ns_l4 */
	uint8_t ip_version; /* 4, 6 or 0 */

	uint8_t ttl; /* IPv4 TTL or IPv6 hop limit */
	uint8_t ip_proto; /* final protocol: next header after extension headers and AH */
	uint16_t frag_off; /* fragment offset in bytes */
	uint32_t frag_id; /* IPv4 identification or IPv6 fragment identification */

	struct ns_addr src; /* network-order bytes */
	struct ns_addr dst;
	uint16_t sport; /* host order; ICMP: 0, except an error quoting a TCP/UDP packet that this
			 * packet's sender received: the quoted packet's ports, swapped, so the
			 * error keys and hashes like the flow it reports on (ns_icmp_quote()) */
	uint16_t dport;

	/* TCP (l4 == NS_L4_TCP) */
	uint8_t tcp_flags;
	uint8_t tcp_hlen; /* header length in bytes (data offset * 4) */
	uint16_t tcp_win; /* raw 16-bit window, not scaled */
	uint32_t tcp_seq; /* host order */
	uint32_t tcp_ack;
	struct ns_tcp_opts tcp_opts;

	/* ICMP / ICMPv6 (l4 == NS_L4_ICMP or NS_L4_ICMPV6) */
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint16_t icmp_id; /* echo identifier for echo request/reply, else 0 */

	/* ARP (l3 == NS_L3_ARP, verdict OK) */
	uint16_t arp_op; /* operation, host order (1 request, 2 reply, 3/4 RARP) */
};

/*
 * The ports a flow is keyed by, as sport << 16 | dport: the parsed ones or, for a TCP/UDP
 * header cut short before the parser read them (both 0, no payload offset), the header's
 * first 4 bytes when they were captured: tshark files such a segment under them too. The flow
 * key and the pipeline's dispatch hash both take them from here, so every packet of a flow
 * reaches the worker that holds it.
 */
static inline uint32_t
ns_pkt_ports(const struct ns_pkt *p)
{
	if ((p->l4 == NS_L4_TCP || p->l4 == NS_L4_UDP) && p->sport == 0 && p->dport == 0 &&
	    p->payload_off == 0 && p->data != NULL && p->l4_off != 0 && p->caplen >= p->l4_off + 4) {
		const uint8_t *h = p->data + p->l4_off;

		return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	}
	return (uint32_t)p->sport << 16 | p->dport;
}

/*
 * One captured frame, as the capture backends hand them out (ns_capture.h) and as
 * ns_parse_burst() reads them: @caplen bytes at @data, @wirelen bytes on the wire.
 */
struct ns_frame {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t ts_ns; /* capture time, ns since the epoch */
};

/**
 * Parse one frame captured with @linktype. @caplen bytes of @data are readable; @wirelen is the
 * original length. Fills every field of @pkt (zeroing what is absent) and returns the verdict
 * (enum ns_parse_verdict), also stored in pkt->verdict. Never reads past data + caplen.
 */
int ns_parse(int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
	     struct ns_pkt *pkt);

/**
 * Parse a burst: pkts[i] becomes exactly what ns_parse(@linktype, frames[i].data,
 * frames[i].caplen, frames[i].wirelen, &pkts[i]) gives, and ts_ns[i] = frames[i].ts_ns (the
 * time array the flow table takes next to the packets). The per-frame call, its set-up and the
 * caller's copy loop are paid once per burst, and the common frame's fast path runs inline.
 */
void ns_parse_burst(int linktype, const struct ns_frame *frames, unsigned n, struct ns_pkt *pkts,
		    uint64_t *ts_ns);

/* The packet an ICMP or ICMPv6 error quotes (RFC 792: IP header + 8 bytes; RFC 4443 2.4(c)). */
struct ns_icmp_quote {
	struct ns_addr src; /* of the quoted packet */
	struct ns_addr dst;
	uint16_t sport;     /* TCP/UDP ports of the quoted packet (host order) */
	uint16_t dport;
	uint8_t proto;      /* quoted transport: 6 or 17 */
	uint8_t ip_version;
};

/**
 * Decode the TCP/UDP packet an ICMP error (v4 types 3, 4, 5, 11, 12; v6 types 1-4) quotes.
 * Returns true and fills @q when @pkt is such an error and the quote holds addresses and
 * ports (a first fragment or whole packet), false otherwise. @pkt is as ns_parse() left it:
 * the quote is read from its ICMP payload only, up to the end of the IP packet (payload_off +
 * payload_len) and within caplen, so bytes after the packet (Ethernet padding, trailer, FCS)
 * are never taken for quoted addresses or ports.
 */
bool ns_icmp_quote(const struct ns_pkt *pkt, struct ns_icmp_quote *q);

/** True when @a is an IPv4-mapped address (::ffff:a.b.c.d). */
bool ns_addr_is_v4(const struct ns_addr *a);

/** Format an address as dotted quad or RFC 5952 IPv6 text; returns @buf (>= 46 bytes). */
char *ns_addr_format(const struct ns_addr *a, char *buf, size_t len);

/**
 * Format the one-line packet description printed by `netscope` (timestamp excluded):
 * link/VLAN tags, protocol, "src:port > dst:port", TCP flags, seq/ack, length; malformed and
 * truncated frames say so with their reason. Returns the length written (snprintf semantics).
 */
int ns_pkt_format(const struct ns_pkt *pkt, char *buf, size_t len);

/*
 * Where the layer counts differ from the tshark oracle (tests/corpus/expected, Wireshark
 * 4.0.17) by definition; tests/unit/proto/test_corpus_layers.c asserts each with its delta.
 *
 * | corpus file / case                    | key                       | ours | tshark | why |
 * |---------------------------------------|---------------------------|------|--------|-----|
 * | tcpdump-ipv6-bad-version.pcap         | outer_l3.ipv6             | 4    | 2      | (1) |
 * | libpcap-ipv6_ext_headers.pcap         | fragments.ipv6_first_frag | 0    | 1      | (2) |
 * | tcpdump-vxlan.pcap                    | any-layer arp             | 0    | 2      | (3) |
 * | tcpdump-bad-ipv4-version-pgm-...pcap  | OTHER vs outer_l4 other:* | 0    | 1      | (4) |
 * | tcpdump-heap-overflow-1.pcap          | OTHER vs outer_l3 none    | 0    | 1      | (4) |
 * | tcpdump-ipv6-bad-version.pcap         | OTHER vs outer_l3 none    | 0    | 2      | (4) |
 * | (not in corpus) IPv4/IPv6 + AH + TCP  | outer_l4                  | tcp  | other:ah | (5) |
 * | (not in corpus) 802.1ad tag only      | any-layer vlan            | 1    | 0      | (6) |
 * | (not in corpus) IPv4 Total Length 0, frame <= 64 KiB | outer_l4 | none | tcp/... | (7) |
 *
 * (1) Ethertype 0x86dd carrying version 0: we count the layer the link announces (MALFORMED,
 *     IP_VERSION); tshark's IPv6 dissector rejects the frame and shows data. Its IPv4
 *     dissector, on the other hand, accepts any version, so both agree for ethertype 0x0800.
 * (2) The fragment headers are atomic (offset 0, M clear): RFC 6946 section 4 processes them
 *     as whole packets, so NS_FRAG_IS is not set; the oracle counts any fragment header.
 * (3) The ARP frames are inside VXLAN; only outer layers count.
 * (4) OTHER has no tshark key; it is compared with outer_l3 none (minus ARP) plus outer_l4
 *     other:* (except other:none) plus fragment. Frames malformed before their L3/L4 was
 *     identified are not OTHER for us, while tshark files them under none or other:<x>.
 * (5) We walk AH (RFC 4302) to the transport in IPv4 and IPv6, as tcpdump and tshark's own
 *     dissectors do (frame.protocols eth:ethertype:ip:ah:tcp); the oracle's outer_l4 takes the
 *     layer right after IP and skips only the RFC 8200 extension headers.
 * (6) VLAN counts any tag; tshark's vlan key counts 0x8100 tags only (ieee8021ad apart), and
 *     tshark 4.0.17 does not decode 0x9200 at all (tcpdump does, as 802.1Q).
 * (7) We accept Total Length 0 only when the frame is too long for a 16-bit length (BIG TCP);
 *     tshark also accepts it in smaller frames (TSO captures).
 */

#endif /* NS_PROTO_H */
