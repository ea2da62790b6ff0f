/* SPDX-License-Identifier: MIT */
/*
 * Captures for the dashboard tests, built with tools/gen-sample's frame builder:
 *
 *   gen-web-pcap xss FILE
 *	markup and script in every place a packet can carry text to the page: an HTTP request
 *	line and headers, a DNS name, and long IPv6 addresses for the layout.
 *   gen-web-pcap mix FILE SECONDS PPS FLOWS PAYLOAD [FLOOD]
 *	SECONDS of steady traffic at about PPS packets per second: FLOWS TCP connections of
 *	different sizes (every 40th data segment sent twice, so retransmissions show), a DNS
 *	query a second and one scripted HTTP request a second. PAYLOAD bytes per data segment.
 *	FLOOD > 0 adds that many unanswered SYNs per second from spoofed sources to one host
 *	during the first eight seconds: a SYN flood for the anomaly detector.
 *
 * Deterministic: the same arguments give the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktgen.h"

#define T0_NS (1795694400ULL * 1000000000ULL) /* 2026-11-26T12:00:00Z */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10

static const char xss_get[] = "GET /search?q=<script>window.__xss=1</script> HTTP/1.1\r\n"
			      "Host: <img src=x onerror=\"window.__xss=2\">\r\n"
			      "User-Agent: </pre><svg onload=window.__xss=3>\r\n\r\n";

static struct pg_host
host(unsigned i)
{
	struct pg_host h;

	memset(&h, 0, sizeof(h));
	h.mac[0] = 0x02;
	h.mac[4] = (uint8_t)(i >> 8);
	h.mac[5] = (uint8_t)i;
	h.ip4[0] = 10;
	h.ip4[1] = 1;
	h.ip4[2] = (uint8_t)(i >> 8);
	h.ip4[3] = (uint8_t)i;
	/* long, zero-free IPv6 addresses: the widest text an address column has to hold */
	for (unsigned k = 0; k < 16; k++)
		h.ip6[k] = (uint8_t)(0xa0 + k + i);
	h.ip6[0] = 0x20;
	h.ip6[1] = 0x01;
	h.ip6[2] = 0x0d;
	h.ip6[3] = 0xb8;
	return h;
}

/* A DNS query whose name is one label of markup. */
static void
dns_query(struct pg_writer *pw, const struct pg_host *c, const struct pg_host *r, uint16_t id)
{
	static const char label[] = "<script>window.__xss=4</script>";
	uint8_t q[12 + 1 + sizeof(label) + 16];
	struct pg_opts o = { 0 };
	size_t n = 0;

	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x01;
	q[5] = 1;
	n = 12;
	q[n++] = (uint8_t)(sizeof(label) - 1);
	memcpy(q + n, label, sizeof(label) - 1);
	n += sizeof(label) - 1;
	memcpy(q + n, "\7example\0\0\1\0\1", 13);
	n += 13;
	pg_udp(pw, &o, (struct pg_ep){ c, (uint16_t)(33000 + id % 1000) }, (struct pg_ep){ r, 53 },
	       q, (uint32_t)n);
}

/* One whole HTTP exchange carrying xss_get. */
static void
xss_http(struct pg_writer *pw, const struct pg_opts *o, struct pg_ep c, struct pg_ep s)
{
	static const char resp[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	uint32_t cs = 7000, ss = 9000;

	pg_tcp(pw, o, c, s, TCP_SYN, cs, 0, 64240, NULL, 0, true);
	pg_advance(pw, 300);
	pg_tcp(pw, o, s, c, TCP_SYN | TCP_ACK, ss, cs + 1, 65160, NULL, 0, true);
	pg_advance(pw, 300);
	pg_tcp(pw, o, c, s, TCP_ACK, cs + 1, ss + 1, 502, NULL, 0, false);
	pg_tcp(pw, o, c, s, TCP_ACK | TCP_PSH, cs + 1, ss + 1, 502, xss_get, sizeof(xss_get) - 1,
	       false);
	cs += 1 + (uint32_t)(sizeof(xss_get) - 1);
	pg_advance(pw, 500);
	pg_tcp(pw, o, s, c, TCP_ACK | TCP_PSH, ss + 1, cs, 509, resp, sizeof(resp) - 1, false);
	ss += 1 + (uint32_t)(sizeof(resp) - 1);
	pg_advance(pw, 200);
	pg_tcp(pw, o, c, s, TCP_ACK | TCP_FIN, cs, ss, 502, NULL, 0, false);
	pg_tcp(pw, o, s, c, TCP_ACK | TCP_FIN, ss, cs + 1, 509, NULL, 0, false);
	pg_tcp(pw, o, c, s, TCP_ACK, cs + 1, ss + 1, 502, NULL, 0, false);
}

static int
gen_xss(struct pg_writer *pw)
{
	struct pg_host c = host(1), s = host(2), r = host(3);
	struct pg_opts v4 = { 0 }, v6 = { .v6 = true };

	xss_http(pw, &v4, (struct pg_ep){ &c, 41000 }, (struct pg_ep){ &s, 80 });
	pg_advance(pw, 1000);
	xss_http(pw, &v6, (struct pg_ep){ &c, 41001 }, (struct pg_ep){ &s, 8080 });
	pg_advance(pw, 1000);
	dns_query(pw, &c, &r, 77);
	return 0;
}

struct conn {
	struct pg_ep c, s;
	struct pg_opts o;
	uint32_t cs, ss;
	unsigned weight;
	unsigned sent;
};

/* Unanswered SYNs to 10.9.9.9:80 from rotating spoofed sources. */
static void
flood_syn(struct pg_writer *pw, unsigned k)
{
	static const struct pg_opts o = { 0 };
	struct pg_host victim = host(0x909), src = host(0x1000 + k % 509);

	victim.ip4[1] = victim.ip4[2] = victim.ip4[3] = 9;
	victim.ip4[0] = 10;
	src.ip4[0] = 172;
	src.ip4[1] = 16;
	pg_tcp(pw, &o, (struct pg_ep){ &src, (uint16_t)(1024 + k % 60000) },
	       (struct pg_ep){ &victim, 80 }, TCP_SYN, 77 * k, 0, 64240, NULL, 0, true);
}

static int
gen_mix(struct pg_writer *pw, unsigned seconds, unsigned pps, unsigned nflows, uint32_t payload,
	unsigned flood)
{
	uint64_t flood_until = pw->now_ns + 8 * 1000000000ULL;
	unsigned flood_acc = 0, flood_k = 0;
	struct pg_host *hosts = calloc(nflows * 2 + 2, sizeof(*hosts));
	struct conn *cn = calloc(nflows, sizeof(*cn));
	uint64_t total = (uint64_t)seconds * pps, gap_us = pps != 0 ? 1000000 / pps : 1000;
	unsigned wsum = 0, slot = 0;

	if (hosts == NULL || cn == NULL) {
		free(hosts);
		free(cn);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < nflows * 2 + 2; i++)
		hosts[i] = host(10 + i);
	for (unsigned i = 0; i < nflows; i++) {
		cn[i].c = (struct pg_ep){ &hosts[2 * i], (uint16_t)(20000 + i) };
		cn[i].s = (struct pg_ep){ &hosts[2 * i + 1], i % 3 == 0 ? 443 : 80 };
		cn[i].o.v6 = i % 4 == 1;
		cn[i].cs = 1000 + i;
		cn[i].ss = 500000 + i;
		cn[i].weight = i + 1; /* flow i carries (i+1) shares of the data */
		wsum += cn[i].weight;
		pg_tcp(pw, &cn[i].o, cn[i].c, cn[i].s, TCP_SYN, cn[i].cs++, 0, 64240, NULL, 0,
		       true);
		pg_advance(pw, 200 + 37 * i);
		pg_tcp(pw, &cn[i].o, cn[i].s, cn[i].c, TCP_SYN | TCP_ACK, cn[i].ss++, cn[i].cs,
		       65160, NULL, 0, true);
		pg_advance(pw, 150 + 11 * i);
		pg_tcp(pw, &cn[i].o, cn[i].c, cn[i].s, TCP_ACK, cn[i].cs, cn[i].ss, 502, NULL, 0,
		       false);
	}
	for (uint64_t k = 0; k < total; k++) {
		uint64_t sec_before = pw->now_ns / 1000000000ULL;
		unsigned pick = slot++ % wsum, i = 0;
		struct conn *f;

		while (pick >= cn[i].weight)
			pick -= cn[i++].weight;
		f = &cn[i];
		/* data from the server, an ACK back every other segment */
		pg_tcp(pw, &f->o, f->s, f->c, TCP_ACK | TCP_PSH, f->ss, f->cs, 509, NULL, payload,
		       false);
		if (++f->sent % 40 == 0)
			pg_tcp(pw, &f->o, f->s, f->c, TCP_ACK | TCP_PSH, f->ss, f->cs, 509, NULL,
			       payload, false);
		f->ss += payload;
		if (f->sent % 2 == 0)
			pg_tcp(pw, &f->o, f->c, f->s, TCP_ACK, f->cs, f->ss, 502, NULL, 0, false);
		/* flood SYNs interleaved with the data, FLOOD per second on average */
		for (flood_acc += flood; flood_acc >= pps && pw->now_ns < flood_until;
		     flood_acc -= pps)
			flood_syn(pw, flood_k++);
		pg_advance(pw, gap_us);
		if (pw->now_ns / 1000000000ULL != sec_before) {
			struct pg_ep c = { &hosts[2 * nflows],
					   (uint16_t)(45000 + sec_before % 1000) };
			struct pg_ep s = { &hosts[2 * nflows + 1], 80 };

			dns_query(pw, &hosts[0], &hosts[2 * nflows + 1], (uint16_t)sec_before);
			xss_http(pw, &(struct pg_opts){ 0 }, c, s);
		}
	}
	free(hosts);
	free(cn);
	return 0;
}

int
main(int argc, char **argv)
{
	struct pg_writer pw = { .now_ns = T0_NS, .ip_id = 0x2000 };
	int rc;

	if (argc < 3 || (strcmp(argv[1], "mix") == 0 && argc != 7 && argc != 8) ||
	    (strcmp(argv[1], "xss") != 0 && strcmp(argv[1], "mix") != 0)) {
		fprintf(stderr, "usage: gen-web-pcap xss FILE\n"
				"       gen-web-pcap mix FILE SECONDS PPS FLOWS PAYLOAD [FLOOD]\n");
		return 2;
	}
	pw.w = ns_pcap_writer_open(argv[2], 1 /* EN10MB */, 262144, false);
	if (pw.w == NULL) {
		fprintf(stderr, "gen-web-pcap: cannot write %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (strcmp(argv[1], "xss") == 0)
		rc = gen_xss(&pw);
	else
		rc = gen_mix(&pw, (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]),
			     (unsigned)atoi(argv[5]), (uint32_t)atoi(argv[6]),
			     argc > 7 ? (unsigned)atoi(argv[7]) : 0);
	if (ns_pcap_writer_close(pw.w) < 0 || rc < 0) {
		fprintf(stderr, "gen-web-pcap: writing %s failed\n", argv[2]);
		return 1;
	}
	return 0;
}
