/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the flow tests: hand-built parsed packets (struct ns_pkt as ns_parse()
 * would fill it), a table with a recording sink, and lookups in what the sink received.
 */
#ifndef FLOW_TEST_H
#define FLOW_TEST_H

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "ns_flow.h"
#include "ns_test.h"

#define T0 1700000000000000000ull /* a fixed epoch for crafted traffic, ns */
#define US 1000ull
#define MS 1000000ull
#define SEC 1000000000ull

struct sink_log {
	struct ns_flow_record *recs;
	unsigned n;
	unsigned cap;
	unsigned accept; /* records the sink takes per call; UINT32_MAX = all */
};

static struct sink_log g_log;

static inline unsigned
test_sink(void *arg, const struct ns_flow_record *recs, unsigned n)
{
	struct sink_log *l = arg;

	if (n > l->accept)
		n = l->accept;
	if (n == 0)
		return 0;
	if (l->n + n > l->cap) {
		l->cap = (l->n + n) * 2 + 16;
		l->recs = realloc(l->recs, l->cap * sizeof(*l->recs));
	}
	memcpy(l->recs + l->n, recs, n * sizeof(*recs));
	l->n += n;
	return n;
}

static inline void
log_reset(void)
{
	free(g_log.recs);
	memset(&g_log, 0, sizeof(g_log));
	g_log.accept = UINT32_MAX;
}

static inline struct ns_flow_table *
table_new(uint32_t capacity, struct ns_flow_params *pp)
{
	struct ns_flow_params p;

	log_reset();
	if (pp == NULL) {
		ns_flow_params_default(&p);
		pp = &p;
	}
	pp->capacity = capacity;
	pp->sink = test_sink;
	pp->sink_arg = &g_log;
	pp->seed = 42;
	return ns_flow_table_create(pp);
}

static inline void
addr_of(struct ns_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (strchr(s, ':') != NULL) {
		inet_pton(AF_INET6, s, a->b);
	} else {
		a->b[10] = 0xff;
		a->b[11] = 0xff;
		inet_pton(AF_INET, s, a->b + 12);
	}
}

static inline struct ns_pkt
pkt_ip(const char *src, const char *dst, uint8_t proto, uint32_t wirelen)
{
	struct ns_pkt p;

	memset(&p, 0, sizeof(p));
	addr_of(&p.src, src);
	addr_of(&p.dst, dst);
	p.ip_version = strchr(src, ':') != NULL ? 6 : 4;
	p.l3 = p.ip_version == 4 ? NS_L3_IPV4 : NS_L3_IPV6;
	p.ip_proto = proto;
	p.l4 = NS_L4_OTHER;
	p.l4_off = p.l3 == NS_L3_IPV4 ? 34 : 54;
	p.wirelen = p.caplen = wirelen;
	return p;
}

static inline struct ns_pkt
tcp_pkt(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t flags,
	uint32_t seq, uint32_t ack, uint16_t win, uint32_t len)
{
	struct ns_pkt p = pkt_ip(src, dst, 6, 54 + len);

	p.l4 = NS_L4_TCP;
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.tcp_ack = ack;
	p.tcp_win = win;
	p.tcp_hlen = 20;
	p.payload_off = p.l4_off + 20;
	p.payload_len = len;
	return p;
}

static inline struct ns_pkt
udp_pkt(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint32_t len)
{
	struct ns_pkt p = pkt_ip(src, dst, 17, 42 + len);

	p.l4 = NS_L4_UDP;
	p.sport = sport;
	p.dport = dport;
	p.payload_off = p.l4_off + 8;
	p.payload_len = len;
	return p;
}

/* One packet through the table. */
static inline unsigned
feed(struct ns_flow_table *t, const struct ns_pkt *p, uint64_t ts)
{
	return ns_flow_table_process_burst(t, p, &ts, 1);
}

/* Flush and return how many records the sink got in total. */
static inline unsigned
flush_all(struct ns_flow_table *t)
{
	CU_ASSERT_EQUAL(ns_flow_table_flush(t), 0);
	return g_log.n;
}

/* The last record of the flow whose initiator is @src:@sport (port 0 = any). */
static inline const struct ns_flow_record *
rec_find(const char *src, uint16_t sport)
{
	struct ns_addr a;

	addr_of(&a, src);
	for (unsigned i = g_log.n; i-- > 0;)
		if (memcmp(&g_log.recs[i].src, &a, sizeof(a)) == 0 &&
		    (sport == 0 || g_log.recs[i].src_port == sport))
			return &g_log.recs[i];
	return NULL;
}

#endif /* FLOW_TEST_H */
