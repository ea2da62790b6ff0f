/* SPDX-License-Identifier: MIT */
/*
 * gen-sample: writes the bundled sample capture (tools/sample/netscope-sample.pcap) used by the
 * README's first command and the CLI tests. Deterministic: the same bytes every run, so a test
 * can prove the shipped file is what this tool makes. The traffic is a small office LAN minute:
 * ARP, DNS, an HTTP download with a retransmission and an out-of-order segment, pings, an IPv6
 * session reset by the client, a rejected connection on VLAN 42, QinQ UDP and a fragmented
 * UDP datagram.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pktgen.h"

#define T0_NS (1795694400ULL * 1000000000ULL) /* 2026-11-26T12:00:00Z */

static const struct pg_host client = {
	{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x10 }, { 192, 168, 1, 10 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 } };
static const struct pg_host server = {
	{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x20 }, { 192, 168, 1, 20 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20 } };
static const struct pg_host resolver = {
	{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }, { 192, 168, 1, 1 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 } };

#define TCP_SYN 0x02
#define TCP_ACK 0x10
#define TCP_PSH 0x08
#define TCP_FIN 0x01
#define TCP_RST 0x04

static void
dns(struct pg_writer *pw)
{
	static const uint8_t query[] = {
		0x1a, 0x2b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0x00, 0x01, 0x00, 0x01,
	};
	struct pg_opts o = { 0 };
	uint8_t answer[sizeof(query) + 16];

	pg_udp(pw, &o, (struct pg_ep){ &client, 40001 }, (struct pg_ep){ &resolver, 53 }, query,
	       sizeof(query));
	pg_advance(pw, 850);
	memcpy(answer, query, sizeof(query));
	answer[2] = 0x81;
	answer[3] = 0x80;
	answer[7] = 1;
	memcpy(answer + sizeof(query),
	       (const uint8_t[]){ 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 168, 1, 20 },
	       16);
	pg_udp(pw, &o, (struct pg_ep){ &resolver, 53 }, (struct pg_ep){ &client, 40001 }, answer,
	       sizeof(answer));
	pg_advance(pw, 400);
}

/* An HTTP download: one retransmitted segment (lost once) and one pair swapped in flight. */
static void
http_download(struct pg_writer *pw)
{
	static const char req[] = "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
				  "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
	struct pg_opts o = { 0 };
	struct pg_ep c = { &client, 51000 }, s = { &server, 80 };
	uint32_t cs = 1000, ss = 5000000, seg = 1448;

	pg_tcp(pw, &o, c, s, TCP_SYN, cs, 0, 64240, NULL, 0, true);
	pg_advance(pw, 1800);
	pg_tcp(pw, &o, s, c, TCP_SYN | TCP_ACK, ss, cs + 1, 65160, NULL, 0, true);
	pg_advance(pw, 1900);
	pg_tcp(pw, &o, c, s, TCP_ACK, cs + 1, ss + 1, 502, NULL, 0, false);
	pg_advance(pw, 120);
	pg_tcp(pw, &o, c, s, TCP_ACK | TCP_PSH, cs + 1, ss + 1, 502, req, sizeof(req) - 1, false);
	cs += 1 + (uint32_t)(sizeof(req) - 1);
	pg_advance(pw, 2100);
	pg_tcp(pw, &o, s, c, TCP_ACK, ss + 1, cs, 509, NULL, 0, false);
	pg_advance(pw, 300);
	/* segments 1..6; segment 3 is lost and retransmitted, 5 and 6 arrive swapped */
	for (unsigned i = 0; i < 6; i++) {
		unsigned k = i == 4 ? 5 : i == 5 ? 4 : i;

		if (k != 2)
			pg_tcp(pw, &o, s, c, TCP_ACK, ss + 1 + k * seg, cs, 509, NULL, seg, false);
		pg_advance(pw, 60);
		if (k >= 2)
			pg_tcp(pw, &o, c, s, TCP_ACK, cs, ss + 1 + 2 * seg, 502, NULL, 0, false);
		else
			pg_tcp(pw, &o, c, s, TCP_ACK, cs, ss + 1 + (k + 1) * seg, 502, NULL, 0, false);
		pg_advance(pw, 80);
	}
	pg_advance(pw, 200000);
	pg_tcp(pw, &o, s, c, TCP_ACK, ss + 1 + 2 * seg, cs, 509, NULL, seg, false); /* retransmit */
	pg_advance(pw, 1900);
	pg_tcp(pw, &o, c, s, TCP_ACK, cs, ss + 1 + 6 * seg, 502, NULL, 0, false);
	pg_advance(pw, 5000);
	ss += 1 + 6 * seg;
	pg_tcp(pw, &o, s, c, TCP_ACK | TCP_FIN, ss, cs, 509, NULL, 0, false);
	pg_advance(pw, 2000);
	pg_tcp(pw, &o, c, s, TCP_ACK | TCP_FIN, cs, ss + 1, 502, NULL, 0, false);
	pg_advance(pw, 1900);
	pg_tcp(pw, &o, s, c, TCP_ACK, ss + 1, cs + 1, 509, NULL, 0, false);
	pg_advance(pw, 10000);
}

static void
pings(struct pg_writer *pw, bool v6)
{
	struct pg_opts o = { .v6 = v6 };

	for (uint16_t i = 1; i <= 3; i++) {
		pg_echo(pw, &o, &client, &resolver, false, 0x4242, i);
		pg_advance(pw, 420);
		pg_echo(pw, &o, &resolver, &client, true, 0x4242, i);
		pg_advance(pw, 100000);
	}
}

/* An IPv6 exchange that the client aborts with a RST. */
static void
ipv6_reset(struct pg_writer *pw)
{
	struct pg_opts o = { .v6 = true };
	struct pg_ep c = { &client, 52000 }, s = { &server, 443 };
	uint32_t cs = 77000, ss = 880000;

	pg_tcp(pw, &o, c, s, TCP_SYN, cs, 0, 64800, NULL, 0, true);
	pg_advance(pw, 2500);
	pg_tcp(pw, &o, s, c, TCP_SYN | TCP_ACK, ss, cs + 1, 64260, NULL, 0, true);
	pg_advance(pw, 2400);
	pg_tcp(pw, &o, c, s, TCP_ACK, cs + 1, ss + 1, 507, NULL, 0, false);
	pg_advance(pw, 300);
	pg_tcp(pw, &o, c, s, TCP_ACK | TCP_PSH, cs + 1, ss + 1, 507, NULL, 517, false);
	pg_advance(pw, 3000);
	pg_tcp(pw, &o, s, c, TCP_ACK | TCP_PSH, ss + 1, cs + 518, 501, NULL, 1200, false);
	pg_advance(pw, 400);
	pg_tcp(pw, &o, c, s, TCP_RST | TCP_ACK, cs + 518, ss + 1201, 0, NULL, 0, false);
	pg_advance(pw, 20000);
}

static void
tagged(struct pg_writer *pw)
{
	struct pg_opts vlan = { .vlan = { 42, 0 } };
	struct pg_opts qinq = { .vlan = { 100, 42 } };

	/* a connection refused on VLAN 42 */
	pg_tcp(pw, &vlan, (struct pg_ep){ &client, 53000 }, (struct pg_ep){ &server, 8080 },
	       TCP_SYN, 4242, 0, 64240, NULL, 0, true);
	pg_advance(pw, 350);
	pg_tcp(pw, &vlan, (struct pg_ep){ &server, 8080 }, (struct pg_ep){ &client, 53000 },
	       TCP_RST | TCP_ACK, 0, 4243, 0, NULL, 0, false);
	pg_advance(pw, 50000);
	/* syslog over a provider bridge: 802.1ad S-tag 100, C-tag 42 */
	pg_udp(pw, &qinq, (struct pg_ep){ &server, 514 }, (struct pg_ep){ &resolver, 514 },
	       "<34>Nov 26 12:00:01 server netscope-sample: disk 91% full", 58);
	pg_advance(pw, 30000);
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "netscope-sample.pcap";
	struct pg_writer pw = { .now_ns = T0_NS, .ip_id = 0x1000 };

	pw.w = ns_pcap_writer_open(path, 1 /* EN10MB */, 262144, false);
	if (pw.w == NULL) {
		fprintf(stderr, "gen-sample: cannot write %s: %s\n", path, strerror(errno));
		return 1;
	}
	pg_arp(&pw, &client, &server, false);
	pg_advance(&pw, 90);
	pg_arp(&pw, &server, &client, true);
	pg_advance(&pw, 1000);
	dns(&pw);
	http_download(&pw);
	pings(&pw, false);
	ipv6_reset(&pw);
	tagged(&pw);
	pings(&pw, true);
	pg_udp_fragmented(&pw, (struct pg_ep){ &client, 40002 }, (struct pg_ep){ &server, 9000 },
			  3000, 1500);
	if (ns_pcap_writer_close(pw.w) < 0) {
		fprintf(stderr, "gen-sample: writing %s failed\n", path);
		return 1;
	}
	return 0;
}
