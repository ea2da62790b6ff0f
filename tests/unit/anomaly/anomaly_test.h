/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the anomaly unit tests: synthetic parsed packets (struct ns_pkt built directly,
 * plus the bytes an ICMP error quotes), a rig of one engine and one or two shards driven by
 * a fake packet clock, and traffic patterns (floods, handshakes, scans). With two shards the
 * rig splits packets with the pipeline's own symmetric dispatcher hash.
 */
#ifndef ANOMALY_TEST_H
#define ANOMALY_TEST_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ns_anomaly.h"
#include "ns_core.h"
#include "ns_pipeline.h"
#include "ns_proto.h"
#include "ns_test.h"

#define SEC 1000000000ull
#define MS 1000000ull
#define US 1000ull
#define T0 (1700000000ull * SEC) /* a plausible epoch start */

#define RIG_EVENTS 4096
#define RIG_BURST 32

static inline struct ns_addr
ip(const char *s)
{
	struct ns_addr a;

	memset(&a, 0, sizeof(a));
	if (strchr(s, ':') != NULL) {
		inet_pton(AF_INET6, s, a.b);
	} else {
		a.b[10] = a.b[11] = 0xff;
		inet_pton(AF_INET, s, &a.b[12]);
	}
	return a;
}

/* An IPv4 address 10.x.y.z from a number, for many distinct hosts. */
static inline struct ns_addr
ip_n(uint32_t base, uint32_t n)
{
	struct ns_addr a;
	uint32_t v = base + n;

	memset(&a, 0, sizeof(a));
	a.b[10] = a.b[11] = 0xff;
	a.b[12] = (uint8_t)(v >> 24);
	a.b[13] = (uint8_t)(v >> 16);
	a.b[14] = (uint8_t)(v >> 8);
	a.b[15] = (uint8_t)v;
	return a;
}

static inline void
pkt_base(struct ns_pkt *p, const struct ns_addr *src, const struct ns_addr *dst)
{
	memset(p, 0, sizeof(*p));
	p->verdict = NS_PARSE_OK;
	p->src = *src;
	p->dst = *dst;
	if (ns_addr_is_v4(src)) {
		p->l3 = NS_L3_IPV4;
		p->ip_version = 4;
	} else {
		p->l3 = NS_L3_IPV6;
		p->ip_version = 6;
	}
}

static inline void
pkt_tcp(struct ns_pkt *p, struct ns_addr src, uint16_t sport, struct ns_addr dst, uint16_t dport,
	uint8_t flags, uint32_t seq, uint32_t ack)
{
	pkt_base(p, &src, &dst);
	p->l4 = NS_L4_TCP;
	p->ip_proto = 6;
	p->sport = sport;
	p->dport = dport;
	p->tcp_flags = flags;
	p->tcp_seq = seq;
	p->tcp_ack = ack;
	p->tcp_hlen = 20;
}

static inline void
pkt_udp(struct ns_pkt *p, struct ns_addr src, uint16_t sport, struct ns_addr dst, uint16_t dport)
{
	pkt_base(p, &src, &dst);
	p->l4 = NS_L4_UDP;
	p->ip_proto = 17;
	p->sport = sport;
	p->dport = dport;
}

/*
 * ICMP error (IPv4 type 3 unreachable / 11 time exceeded, ICMPv6 1 / 3) from @from to @to,
 * quoting the probe @qsrc:@qsport -> @qdst:@qdport of protocol @qproto. @buf (>= 96 bytes)
 * holds the frame bytes the shard reads.
 */
static inline void
pkt_icmp_err(struct ns_pkt *p, uint8_t *buf, struct ns_addr from, struct ns_addr to, uint8_t type,
	     struct ns_addr qsrc, uint16_t qsport, struct ns_addr qdst, uint16_t qdport,
	     uint8_t qproto)
{
	bool v6 = !ns_addr_is_v4(&from);
	uint32_t ipl = v6 ? 40 : 20;
	uint8_t *m = buf + 14; /* the ICMP message after an Ethernet header, as parsed */

	pkt_base(p, &from, &to);
	p->l4 = v6 ? NS_L4_ICMPV6 : NS_L4_ICMP;
	p->ip_proto = v6 ? 58 : 1;
	p->icmp_type = type;
	p->icmp_code = 3;
	memset(buf, 0, 96);
	m[0] = type;
	m[1] = 3;
	if (v6) {
		m[8] = 0x60;
		m[8 + 6] = qproto;
		memcpy(&m[8 + 8], qsrc.b, 16);
		memcpy(&m[8 + 24], qdst.b, 16);
	} else {
		m[8] = 0x45;
		m[8 + 9] = qproto;
		memcpy(&m[8 + 12], &qsrc.b[12], 4);
		memcpy(&m[8 + 16], &qdst.b[12], 4);
	}
	m[8 + ipl] = (uint8_t)(qsport >> 8);
	m[8 + ipl + 1] = (uint8_t)qsport;
	m[8 + ipl + 2] = (uint8_t)(qdport >> 8);
	m[8 + ipl + 3] = (uint8_t)qdport;
	p->data = buf;
	p->l4_off = 14;
	p->caplen = p->wirelen = 14 + 8 + ipl + 8;
	/* as ns_parse() fills them: the quote is the ICMP payload, up to the IP packet's end */
	p->payload_off = 14 + 8;
	p->payload_len = ipl + 8;
	/* as ns_parse() does: an error from the probed host carries the probe's ports */
	if (memcmp(&from, &qdst, sizeof(from)) == 0 && memcmp(&to, &qsrc, sizeof(to)) == 0) {
		p->sport = qdport;
		p->dport = qsport;
	}
}

/* ---- the rig ---- */

struct rig {
	struct ns_anomaly_params p;
	struct ns_anomaly_engine *e;
	struct ns_anomaly_shard *s[2];
	unsigned nshards;
	/* packets staged for the next burst, per shard */
	struct ns_pkt stage[2][RIG_BURST];
	uint8_t stage_buf[2][RIG_BURST][96];
	uint64_t stage_ts[2][RIG_BURST];
	unsigned nstage[2];
	bool bursts; /* stage packets into bursts instead of feeding one at a time */
	uint64_t now;
	struct ns_anomaly_alert ev[RIG_EVENTS];
	unsigned nev;
};

static inline void
rig_params(struct ns_anomaly_params *p)
{
	ns_anomaly_params_init(p);
	p->max_sources = 4096;
	p->max_alerts = 64;
}

static inline void
rig_init(struct rig *r, const struct ns_anomaly_params *p, unsigned nshards)
{
	memset(r, 0, sizeof(*r));
	r->p = *p;
	r->p.shards = nshards;
	r->nshards = nshards;
	r->e = ns_anomaly_engine_create(&r->p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->e);
	for (unsigned i = 0; i < nshards; i++) {
		r->s[i] = ns_anomaly_shard_create(&r->p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r->s[i]);
		CU_ASSERT_EQUAL_FATAL(ns_anomaly_engine_attach(r->e, r->s[i]), 0);
	}
}

static inline void
rig_poll(struct rig *r)
{
	r->nev += ns_anomaly_engine_poll(r->e, r->ev + r->nev, RIG_EVENTS - r->nev);
}

/*
 * The pipeline's dispatcher (ns_pipeline_sym_hash() modulo the worker count) picks the shard,
 * so both directions of a connection meet. An ICMP error from the probed host carries the
 * probe's ports (the parser puts them there, pkt_icmp_err() does the same), so it meets the
 * probe it answers; see docs/anomaly-detection.md.
 */
static inline unsigned
rig_shard_of(const struct rig *r, const struct ns_pkt *p)
{
	return r->nshards == 1 ? 0 : ns_pipeline_sym_hash(p) % r->nshards;
}

static inline void
rig_flush_stage(struct rig *r, unsigned i)
{
	const struct ns_pkt *ptrs[RIG_BURST];

	for (unsigned k = 0; k < r->nstage[i]; k++)
		ptrs[k] = &r->stage[i][k];
	ns_anomaly_shard_observe_burst(r->s[i], ptrs, r->stage_ts[i], r->nstage[i]);
	r->nstage[i] = 0;
}

/* Housekeeping as the pipeline does it: idle shards follow packet time, then the tick. */
static inline void
rig_tick(struct rig *r)
{
	for (unsigned i = 0; i < r->nshards; i++) {
		if (r->nstage[i] > 0)
			rig_flush_stage(r, i);
		ns_anomaly_shard_advance(r->s[i], r->now);
	}
	ns_anomaly_engine_tick(r->e, r->now);
	rig_poll(r);
}

static inline void
rig_feed(struct rig *r, const struct ns_pkt *p, uint64_t ts)
{
	unsigned i = rig_shard_of(r, p);

	if (ts > r->now)
		r->now = ts;
	if (r->bursts) {
		unsigned k = r->nstage[i]++;

		r->stage[i][k] = *p;
		if (p->data != NULL) {
			memcpy(r->stage_buf[i][k], p->data, p->caplen);
			r->stage[i][k].data = r->stage_buf[i][k];
		}
		r->stage_ts[i][k] = ts;
		if (r->nstage[i] == RIG_BURST)
			rig_tick(r);
		return;
	}
	ns_anomaly_shard_observe_burst(r->s[i], &p, &ts, 1);
	rig_tick(r);
}

/* Let packet time pass with no traffic (an idle capture), ticking every 100 ms. */
static inline void
rig_idle(struct rig *r, uint64_t until)
{
	while (r->now < until) {
		r->now = NS_MIN(until, r->now + 100 * MS);
		rig_tick(r);
	}
}

/* NS_ANOMALY_DEBUG=1 in the environment prints every event of every rig. */
static inline void
rig_dump(const struct rig *r)
{
	char line[512];

	if (getenv("NS_ANOMALY_DEBUG") == NULL)
		return;
	for (unsigned i = 0; i < r->nev; i++) {
		ns_anomaly_alert_format(&r->ev[i], line, sizeof(line));
		fprintf(stderr, "    %s\n", line);
	}
}

static inline void
rig_finish(struct rig *r)
{
	for (unsigned i = 0; i < r->nshards; i++) {
		if (r->nstage[i] > 0)
			rig_flush_stage(r, i);
		ns_anomaly_shard_flush(r->s[i]);
	}
	ns_anomaly_engine_finish(r->e, r->now);
	rig_poll(r);
	rig_dump(r);
}

static inline void
rig_fini(struct rig *r)
{
	ns_anomaly_engine_destroy(r->e);
	for (unsigned i = 0; i < r->nshards; i++)
		ns_anomaly_shard_destroy(r->s[i]);
}

static inline unsigned
rig_count(const struct rig *r, int sig, int state)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->nev; i++)
		if ((sig < 0 || r->ev[i].signature == sig) &&
		    (state < 0 || r->ev[i].state == state))
			n++;
	return n;
}

static inline const struct ns_anomaly_alert *
rig_first(const struct rig *r, int sig, int state)
{
	for (unsigned i = 0; i < r->nev; i++)
		if ((sig < 0 || r->ev[i].signature == sig) &&
		    (state < 0 || r->ev[i].state == state))
			return &r->ev[i];
	return NULL;
}

static inline bool
addr_eq(const struct ns_addr *a, struct ns_addr b)
{
	return memcmp(a->b, b.b, 16) == 0;
}

/* ---- traffic ---- */

/* @n SYNs from @src (ports counting up from 1024) to @dst:@port, evenly over @dur ns. */
static inline void
gen_syns(struct rig *r, struct ns_addr src, struct ns_addr dst, uint16_t port, uint32_t n,
	 uint64_t t, uint64_t dur)
{
	struct ns_pkt p;

	for (uint32_t i = 0; i < n; i++) {
		pkt_tcp(&p, src, (uint16_t)(1024 + i % 60000), dst, port, NS_TCP_SYN, 1000u * i, 0);
		rig_feed(r, &p, t + (n > 1 ? dur * i / n : 0));
	}
}

/* A complete handshake @cli:@cport -> @srv:@sport starting at @t (300 us long). */
static inline void
gen_handshake(struct rig *r, struct ns_addr cli, uint16_t cport, struct ns_addr srv, uint16_t sport,
	      uint64_t t)
{
	struct ns_pkt p;
	uint32_t isn = 7000u + cport, sisn = 900000u + sport;

	pkt_tcp(&p, cli, cport, srv, sport, NS_TCP_SYN, isn, 0);
	rig_feed(r, &p, t);
	pkt_tcp(&p, srv, sport, cli, cport, NS_TCP_SYN | NS_TCP_ACK, sisn, isn + 1);
	rig_feed(r, &p, t + 100 * US);
	pkt_tcp(&p, cli, cport, srv, sport, NS_TCP_ACK, isn + 1, sisn + 1);
	rig_feed(r, &p, t + 200 * US);
	pkt_tcp(&p, cli, cport, srv, sport, NS_TCP_ACK | NS_TCP_PSH, isn + 1, sisn + 1);
	rig_feed(r, &p, t + 300 * US);
}

/* A SYN to a closed port: SYN, then RST-ACK from the target. */
static inline void
gen_rejected(struct rig *r, struct ns_addr src, uint16_t sport, struct ns_addr dst, uint16_t dport,
	     uint64_t t)
{
	struct ns_pkt p;
	uint32_t isn = 5000u + dport;

	pkt_tcp(&p, src, sport, dst, dport, NS_TCP_SYN, isn, 0);
	rig_feed(r, &p, t);
	pkt_tcp(&p, dst, dport, src, sport, NS_TCP_RST | NS_TCP_ACK, 0, isn + 1);
	rig_feed(r, &p, t + 50 * US);
}

/* A vertical TCP scan: @n ports from @first on @dst, one every @gap ns, all closed. */
static inline void
gen_vscan(struct rig *r, struct ns_addr src, struct ns_addr dst, uint16_t first, uint32_t n,
	  uint64_t t, uint64_t gap)
{
	for (uint32_t i = 0; i < n; i++)
		gen_rejected(r, src, 40000, dst, (uint16_t)(first + i), t + gap * i);
}

/* Compare two event streams field by field (padding is not part of an alert). */
static inline bool
alerts_same(const struct ns_anomaly_alert *a, const struct ns_anomaly_alert *b)
{
	if (a->id != b->id || a->ts_ns != b->ts_ns || a->first_ns != b->first_ns ||
	    a->last_active_ns != b->last_active_ns || a->signature != b->signature ||
	    a->state != b->state || a->severity != b->severity || a->role != b->role ||
	    a->clear_reason != b->clear_reason || a->updates != b->updates ||
	    a->has_src != b->has_src || a->has_dst != b->has_dst || a->has_port != b->has_port)
		return false;
	if ((a->has_src && memcmp(&a->src, &b->src, 16) != 0) ||
	    (a->has_dst && memcmp(&a->dst, &b->dst, 16) != 0) ||
	    (a->has_port && a->dst_port != b->dst_port))
		return false;
	if (a->signature == NS_ANOMALY_SYN_FLOOD) {
		const struct ns_anomaly_syn_info *x = &a->syn, *y = &b->syn;

		if (x->rate != y->rate || x->peak_rate != y->peak_rate || x->ratio != y->ratio ||
		    x->window_syns != y->window_syns || x->window_done != y->window_done ||
		    x->total_syns != y->total_syns || x->total_done != y->total_done ||
		    x->peers != y->peers || x->ports != y->ports ||
		    x->n_top_peers != y->n_top_peers || x->n_top_ports != y->n_top_ports)
			return false;
		for (unsigned i = 0; i < x->n_top_peers; i++)
			if (x->top_peers[i].count != y->top_peers[i].count ||
			    memcmp(&x->top_peers[i].addr, &y->top_peers[i].addr, 16) != 0)
				return false;
		for (unsigned i = 0; i < x->n_top_ports; i++)
			if (x->top_ports[i].count != y->top_ports[i].count ||
			    x->top_ports[i].port != y->top_ports[i].port)
				return false;
	} else {
		const struct ns_anomaly_scan_info *x = &a->scan, *y = &b->scan;

		if (x->proto != y->proto || x->shape != y->shape || x->ports != y->ports ||
		    x->hosts != y->hosts || x->probes != y->probes ||
		    x->distinct_ports != y->distinct_ports ||
		    x->distinct_hosts != y->distinct_hosts || x->top_port != y->top_port ||
		    x->n_sample_ports != y->n_sample_ports ||
		    x->n_sample_hosts != y->n_sample_hosts ||
		    memcmp(x->fails, y->fails, sizeof(x->fails)) != 0 ||
		    memcmp(x->sample_ports, y->sample_ports,
			   sizeof(x->sample_ports[0]) * x->n_sample_ports) != 0)
			return false;
	}
	return true;
}

/* A heap rig for one test (rigs are too large for the stack); free with rig_free(). */
static inline struct rig *
rig_new(const struct ns_anomaly_params *p, unsigned nshards)
{
	struct rig *r = calloc(1, sizeof(*r));

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	rig_init(r, p, nshards);
	return r;
}

static inline void
rig_free(struct rig *r)
{
	rig_fini(r);
	free(r);
}

#endif /* ANOMALY_TEST_H */
