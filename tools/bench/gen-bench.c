/* SPDX-License-Identifier: MIT */
/*
 * gen-bench: writes the synthetic captures of the flow-tracking benchmark (tools/bench/run.sh).
 * N TCP connections are open at once and their packets are interleaved at random, so a flow
 * table really holds N flows (plus the recently closed ones) for the whole file. Each
 * connection is a complete, clean exchange: three-way handshake, data in both directions with
 * cumulative ACKs (a pure ACK only when it acknowledges new data, so no tool sees a duplicate
 * ACK or a retransmission), then FIN, FIN and the last ACK. When a connection ends, its slot
 * opens a new one on fresh ports. The first N packets are the N SYNs, so the table is full
 * from packet N on rather than after ~3N random picks. One packet is written every --gap ns of
 * capture time, by default 1 s / N, so each connection sees a packet about once a second
 * whatever N is: a handshake spans ~2 s, well inside the 10 s SYN timeout.
 *
 * --steady drops the handshakes and teardowns: every connection is already established when
 * the capture starts and never closes, so a file replayed in a loop (DPDK net_pcap
 * infinite_rx) keeps exactly N flows in the table. The analyser sees those flows as midstream,
 * and on every pass after the first each segment is a retransmission of the previous pass.
 *
 * Frame sizes: "min" makes every frame 60 bytes captured (64 on the wire with the FCS): data
 * segments carry 6 bytes. "imix" draws each data segment's frame from the simple IMIX 7:4:1 of
 * 64/594/1518 wire bytes (60/590/1514 captured); handshake and teardown frames stay small and
 * the SYNs carry options (MSS, SACK, timestamps, window scale), so the file's real mix is a
 * little smaller than 7:4:1: the tool prints what it wrote.
 *
 * Speed: frames come from per-flow header fields and a fixed payload pattern whose checksum is
 * precomputed for every length, so a packet costs a header and a memcpy, not a byte loop;
 * records go through lib/export's buffered pcap writer. --reference builds every frame with
 * tools/gen-sample's pktgen instead (checksumming every byte): it is slow, and the smoke test
 * checks that both paths write identical files.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ns_core.h"
#include "pktgen.h"

#define T0_NS (1795694400ULL * 1000000000ULL) /* 2026-11-26T12:00:00Z */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10

#define ETH_IP_TCP 54 /* Ethernet + IPv4 + TCP without options */
#define FRAME_MIN 60 /* Ethernet minimum without the FCS */
#define SYN_OPT_LEN 20
#define WINDOW 64240
#define PAYLOAD_MAX 1460

/* Simple IMIX: 7 x 64, 4 x 594, 1 x 1518 bytes on the wire (captured without the FCS). */
static const uint32_t imix_size[3] = { 60, 590, 1514 };
static const uint32_t imix_weight[3] = { 7, 4, 1 };

enum mix { MIX_MIN, MIX_IMIX };

struct opts {
	const char *out;
	uint64_t packets;
	uint32_t flows;
	uint32_t data_min, data_max; /* data-phase packets per connection */
	uint32_t gap_ns; /* capture time between packets */
	uint64_t seed;
	enum mix mix;
	bool steady;
	bool reference;
	bool quiet;
};

/* One open connection. Sequence numbers are the next byte each side will send. */
struct conn {
	uint64_t serial; /* connection number, which picks addresses and ports */
	uint32_t seq[2]; /* [0] client, [1] server */
	uint32_t step; /* packets emitted so far */
	uint32_t data; /* data-phase packets this connection has */
	uint8_t owe_ack; /* bit d: side d has received data it has not acknowledged yet */
};

struct gen {
	struct opts o;
	struct pg_writer pw;
	uint64_t rng;
	uint64_t next_serial;
	uint64_t written, bytes, conns_done;
	uint64_t size_hist[4]; /* 60, 61..590, 591..1514, larger */
	uint32_t pattern_sum[PAYLOAD_MAX / 2 + 1];
	uint8_t pattern[PAYLOAD_MAX];
	uint8_t frame[ETH_IP_TCP + SYN_OPT_LEN + PAYLOAD_MAX];
};

static uint64_t
rnd(struct gen *g)
{
	/* xorshift64*: fast, and the stream depends only on --seed */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545f4914f6cdd1dull;
}

/* Uniform in [0, n) without a division (Lemire's multiply-shift). */
static uint32_t
rnd_below(struct gen *g, uint32_t n)
{
	return (uint32_t)(((rnd(g) >> 32) * (uint64_t)n) >> 32);
}

/* Endpoints of connection @serial: unique client address and port for 2^24 x 60000
 * connections, servers spread over 65536 addresses on port 443. */
static void
conn_hosts(uint64_t serial, struct pg_host *c, struct pg_host *s, uint16_t *cport)
{
	uint32_t lo = (uint32_t)(serial & 0xffffff);
	uint32_t h = (uint32_t)((serial * 0x9e3779b97f4a7c15ull) >> 48);

	memset(c, 0, sizeof(*c));
	memset(s, 0, sizeof(*s));
	c->ip4[0] = 10;
	c->ip4[1] = (uint8_t)(lo >> 16);
	c->ip4[2] = (uint8_t)(lo >> 8);
	c->ip4[3] = (uint8_t)lo;
	s->ip4[0] = 198;
	s->ip4[1] = 18;
	s->ip4[2] = (uint8_t)(h >> 8);
	s->ip4[3] = (uint8_t)h;
	c->mac[0] = 0x02;
	memcpy(c->mac + 2, c->ip4, 4);
	s->mac[0] = 0x02;
	s->mac[1] = 0x01;
	memcpy(s->mac + 2, s->ip4, 4);
	*cport = (uint16_t)(1024 + (serial >> 24) % 60000);
}

/* pktgen's filler ('a' + i % 26) and the one's-complement sum of each of its prefixes, so a
 * payload's checksum contribution is one table read (the payload starts on an even offset). */
static void
pattern_init(struct gen *g)
{
	for (unsigned i = 0; i < PAYLOAD_MAX; i++)
		g->pattern[i] = (uint8_t)('a' + i % 26);
	g->pattern_sum[0] = 0;
	for (unsigned w = 0; w < PAYLOAD_MAX / 2; w++)
		g->pattern_sum[w + 1] = g->pattern_sum[w] +
					(uint32_t)(g->pattern[2 * w] << 8 | g->pattern[2 * w + 1]);
}

static uint32_t
pattern_csum(const struct gen *g, uint32_t len)
{
	uint32_t s = g->pattern_sum[len / 2];

	if (len & 1)
		s += (uint32_t)(g->pattern[len - 1] << 8);
	return s;
}

/* The same bytes as pg_tcp() with a NULL payload, built from the header fields alone. */
static void
fast_tcp(struct gen *g, const struct pg_ep a, const struct pg_ep b, uint8_t flags, uint32_t seq,
	 uint32_t ack, uint32_t len, bool syn_options)
{
	static const uint8_t opts[SYN_OPT_LEN] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
						   0, 1, 0,    0,    0, 0, 1, 3,  3, 7 };
	uint8_t *f = g->frame, *ip = f + 14, *t = f + 34;
	uint32_t hlen = syn_options ? 20 + SYN_OPT_LEN : 20;
	uint32_t flen = 34 + hlen + len;
	uint32_t s;

	memcpy(f, b.host->mac, 6);
	memcpy(f + 6, a.host->mac, 6);
	pg_put16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	pg_put16(ip + 2, (uint16_t)(20 + hlen + len));
	pg_put16(ip + 4, g->pw.ip_id++);
	pg_put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	pg_put16(ip + 10, 0);
	memcpy(ip + 12, a.host->ip4, 4);
	memcpy(ip + 16, b.host->ip4, 4);
	pg_put16(ip + 10, pg_csum_fold(pg_csum_add(0, ip, 20)));
	pg_put16(t, a.port);
	pg_put16(t + 2, b.port);
	pg_put32(t + 4, seq);
	pg_put32(t + 8, ack);
	t[12] = (uint8_t)((hlen / 4) << 4);
	t[13] = flags;
	pg_put16(t + 14, WINDOW);
	pg_put16(t + 16, 0);
	pg_put16(t + 18, 0);
	if (syn_options)
		memcpy(t + 20, opts, sizeof(opts));
	memcpy(t + hlen, g->pattern, len);
	s = pg_csum_add(0, ip + 12, 8) + 6 + hlen + len + pg_csum_add(0, t, hlen) +
	    pattern_csum(g, len);
	pg_put16(t + 16, pg_csum_fold(s));
	if (flen < FRAME_MIN) {
		memset(f + flen, 0, FRAME_MIN - flen);
		flen = FRAME_MIN;
	}
	ns_pcap_writer_write(g->pw.w, g->pw.now_ns, f, flen, flen);
}

static void
emit_tcp(struct gen *g, const struct pg_ep a, const struct pg_ep b, uint8_t flags, uint32_t seq,
	 uint32_t ack, uint32_t len, bool syn_options)
{
	static const struct pg_opts o = { 0 };
	uint32_t flen = ETH_IP_TCP + (syn_options ? SYN_OPT_LEN : 0) + len;

	if (flen < FRAME_MIN)
		flen = FRAME_MIN;
	if (g->o.reference)
		pg_tcp(&g->pw, &o, a, b, flags, seq, ack, WINDOW, NULL, len, syn_options);
	else
		fast_tcp(g, a, b, flags, seq, ack, len, syn_options);
	g->written++;
	g->bytes += flen;
	g->size_hist[flen == FRAME_MIN ? 0 : flen <= 590 ? 1 : flen <= 1514 ? 2 : 3]++;
	g->pw.now_ns += g->o.gap_ns;
}

static void
conn_open(struct gen *g, struct conn *c)
{
	uint64_t r = rnd(g);

	c->serial = g->next_serial++;
	c->seq[0] = (uint32_t)r;
	c->seq[1] = (uint32_t)(r >> 32);
	c->step = 0;
	c->data = g->o.data_min + rnd_below(g, g->o.data_max - g->o.data_min + 1);
	if (g->o.steady) {
		/* established before the capture, open after it: data phase only */
		c->step = 3;
		c->seq[0]++;
		c->seq[1]++;
		c->data = UINT32_MAX - 8;
	}
	c->owe_ack = 0;
}

/* Payload of one data-phase segment, 0 for a pure ACK. */
static uint32_t
data_len(struct gen *g, const struct conn *c, unsigned d)
{
	uint32_t size = FRAME_MIN;

	if (g->o.mix == MIX_IMIX) {
		uint32_t r = rnd_below(g, imix_weight[0] + imix_weight[1] + imix_weight[2]);

		size = r < imix_weight[0]                    ? imix_size[0]
		       : r < imix_weight[0] + imix_weight[1] ? imix_size[1]
							     : imix_size[2];
	}
	/* A small frame acknowledges new data when there is some; otherwise it carries bytes. */
	if (size == FRAME_MIN && (c->owe_ack & (1u << d)))
		return 0;
	return size - ETH_IP_TCP;
}

/* Emit the next packet of @c; returns false when the connection has ended. */
static bool
conn_step(struct gen *g, struct conn *c)
{
	struct pg_host ch, sh;
	struct pg_ep ep[2];
	uint16_t cport;
	bool opts = g->o.mix == MIX_IMIX;
	uint32_t *cs = &c->seq[0], *ss = &c->seq[1];
	uint32_t k = c->step++;

	conn_hosts(c->serial, &ch, &sh, &cport);
	ep[0] = (struct pg_ep){ &ch, cport };
	ep[1] = (struct pg_ep){ &sh, 443 };
	if (k == 0) {
		emit_tcp(g, ep[0], ep[1], TCP_SYN, (*cs)++, 0, 0, opts);
	} else if (k == 1) {
		emit_tcp(g, ep[1], ep[0], TCP_SYN | TCP_ACK, (*ss)++, *cs, 0, opts);
	} else if (k == 2) {
		emit_tcp(g, ep[0], ep[1], TCP_ACK, *cs, *ss, 0, false);
	} else if (k < 3 + c->data) {
		unsigned d = (unsigned)(rnd(g) >> 63); /* sender: 0 client, 1 server */
		uint32_t len = data_len(g, c, d);

		emit_tcp(g, ep[d], ep[!d], (uint8_t)(TCP_ACK | (len > 0 ? TCP_PSH : 0)), c->seq[d],
			 c->seq[!d], len, false);
		c->seq[d] += len;
		c->owe_ack &= (uint8_t) ~(1u << d);
		if (len > 0)
			c->owe_ack |= (uint8_t)(1u << !d);
	} else if (k == 3 + c->data) {
		emit_tcp(g, ep[0], ep[1], TCP_FIN | TCP_ACK, (*cs)++, *ss, 0, false);
	} else if (k == 4 + c->data) {
		emit_tcp(g, ep[1], ep[0], TCP_FIN | TCP_ACK, (*ss)++, *cs, 0, false);
	} else {
		emit_tcp(g, ep[0], ep[1], TCP_ACK, *cs, *ss, 0, false);
		return false;
	}
	return true;
}

static int
generate(struct gen *g)
{
	struct conn *conns = calloc(g->o.flows, sizeof(*conns));
	uint32_t n = g->o.flows;

	if (conns == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		conn_open(g, &conns[i]);
	/* all N connections open first (the SYNs), then packets of random connections */
	for (uint32_t i = 0; i < n && g->written < g->o.packets; i++)
		conn_step(g, &conns[i]);
	while (g->written < g->o.packets) {
		struct conn *c = &conns[rnd_below(g, n)];

		if (!conn_step(g, c)) {
			g->conns_done++;
			conn_open(g, c);
		}
	}
	free(conns);
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: gen-bench -o FILE [options]\n"
		"Write a synthetic pcap of N concurrent TCP connections (see the file header).\n"
		"  -o, --out FILE        output pcap ('-' = stdout)\n"
		"  -n, --packets N       packets to write (default 10000000)\n"
		"  -f, --flows N         concurrent connections (default 100000)\n"
		"  -m, --mix min|imix    frame sizes (default min)\n"
		"  -d, --data MIN:MAX    data-phase packets per connection (default 2:34)\n"
		"  -g, --gap NS          capture time between packets in ns (default 1e9 / flows:\n"
		"                        each connection sees a packet about once a second)\n"
		"  -s, --seed N          random seed (default 1)\n"
		"      --steady          no handshakes or teardowns: N established connections\n"
		"                        that never close (for replay loops)\n"
		"      --reference       build frames with pktgen (slow; for the equality check)\n"
		"  -q, --quiet           no summary on stderr\n");
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "packets", required_argument, NULL, 'n' },
		{ "flows", required_argument, NULL, 'f' },
		{ "mix", required_argument, NULL, 'm' },
		{ "data", required_argument, NULL, 'd' },
		{ "gap", required_argument, NULL, 'g' },
		{ "seed", required_argument, NULL, 's' },
		{ "steady", no_argument, NULL, 'S' },
		{ "reference", no_argument, NULL, 'R' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .packets = 10000000,
			    .flows = 100000,
			    .data_min = 2,
			    .data_max = 34,
			    .gap_ns = 0,
			    .seed = 1,
			    .mix = MIX_MIN };
	while ((c = getopt_long(argc, argv, "o:n:f:m:d:g:s:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->out = optarg;
			break;
		case 'n':
			o->packets = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			o->flows = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			if (strcmp(optarg, "min") == 0)
				o->mix = MIX_MIN;
			else if (strcmp(optarg, "imix") == 0)
				o->mix = MIX_IMIX;
			else
				return -1;
			break;
		case 'd':
			if (sscanf(optarg, "%u:%u", &o->data_min, &o->data_max) != 2)
				return -1;
			break;
		case 'g':
			o->gap_ns = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 's':
			o->seed = strtoull(optarg, NULL, 0);
			break;
		case 'S':
			o->steady = true;
			break;
		case 'R':
			o->reference = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (o->out == NULL || optind != argc || o->flows == 0 || o->packets == 0 ||
	    o->data_min > o->data_max || o->flows > (1u << 30))
		return -1;
	if (o->gap_ns == 0)
		o->gap_ns = NS_MAX(1000000000u / o->flows, 1u);
	return 0;
}

int
main(int argc, char **argv)
{
	struct gen *g = calloc(1, sizeof(*g));
	int rc;

	if (g == NULL || parse_args(argc, argv, &g->o) < 0) {
		usage(stderr);
		free(g);
		return 2;
	}
	g->rng = g->o.seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
	g->pw.now_ns = T0_NS;
	pattern_init(g);
	/* snaplen 65535 like tcpdump's files; every frame is captured whole */
	g->pw.w = ns_pcap_writer_open(g->o.out, 1 /* DLT_EN10MB */, 65535, false);
	if (g->pw.w == NULL) {
		fprintf(stderr, "gen-bench: cannot write %s: %s\n", g->o.out, strerror(errno));
		free(g);
		return 1;
	}
	rc = generate(g);
	if (ns_pcap_writer_close(g->pw.w) < 0 || rc < 0) {
		fprintf(stderr, "gen-bench: writing %s failed: %s\n", g->o.out,
			strerror(rc < 0 ? -rc : errno));
		free(g);
		return 1;
	}
	if (!g->o.quiet)
		fprintf(stderr,
			"gen-bench: %s: %llu packets, %llu bytes captured (%.1f per frame), "
			"%u concurrent connections, %llu completed, %llu opened; frames 60 B: "
			"%.1f%%, 61-590 B: %.1f%%, 591-1514 B: %.1f%%\n",
			g->o.out, (unsigned long long)g->written, (unsigned long long)g->bytes,
			(double)g->bytes / (double)g->written, g->o.flows,
			(unsigned long long)g->conns_done, (unsigned long long)g->next_serial,
			100.0 * (double)g->size_hist[0] / (double)g->written,
			100.0 * (double)g->size_hist[1] / (double)g->written,
			100.0 * (double)g->size_hist[2] / (double)g->written);
	free(g);
	return 0;
}
