/* SPDX-License-Identifier: MIT */
/*
 * Packet counters: totals, per-protocol layer counts, fragments, truncated and malformed
 * frames, filtered and dropped. One struct per writer (a worker or the single-threaded path);
 * readers sum them. These are the numbers behind the exit summary and --summary-json.
 */
#ifndef NS_STATS_H
#define NS_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "ns_proto.h"

struct ns_pkt_counters {
	uint64_t packets;
	uint64_t bytes; /* wire length */
	uint64_t layers[NS_LAYER_MAX];
	uint64_t ipv4_fragments;
	uint64_t ipv6_fragments;
	uint64_t truncated; /* caplen < wirelen (cut by the snaplen), as tshark counts */
	uint64_t malformed; /* parser verdict MALFORMED */
	uint64_t unsupported;
	uint64_t reasons[NS_PARSE_REASON_MAX];
	uint64_t filtered;
	uint64_t dropped;
};

/** Count one parsed packet. */
void ns_stats_count_pkt(struct ns_pkt_counters *c, const struct ns_pkt *pkt);

/** Count @n parsed packets: the same totals as ns_stats_count_pkt() on each, in order. */
void ns_stats_count_burst(struct ns_pkt_counters *c, const struct ns_pkt *pkts, unsigned n);

/** Add @src into @dst. */
void ns_stats_add(struct ns_pkt_counters *dst, const struct ns_pkt_counters *src);

/** Print the human exit summary (packets, bytes, protocols, problems) to @out. */
void ns_stats_print_summary(const struct ns_pkt_counters *c, FILE *out);

#endif /* NS_STATS_H */
