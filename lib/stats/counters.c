/* SPDX-License-Identifier: MIT */
/*
 * Per-writer packet counters and the human exit summary. Counting reads only the parse
 * result, so it costs a handful of increments per packet.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "ns_core.h"
#include "ns_stats.h"

void
ns_stats_count_pkt(struct ns_pkt_counters *c, const struct ns_pkt *pkt)
{
	unsigned layers = pkt->layers;

	c->packets++;
	c->bytes += pkt->wirelen;
	while (layers != 0) {
		unsigned i = (unsigned)__builtin_ctz(layers);

		c->layers[i]++;
		layers &= layers - 1;
	}
	if (pkt->frag & NS_FRAG_IS) {
		if (pkt->ip_version == 4)
			c->ipv4_fragments++;
		else
			c->ipv6_fragments++;
	}
	if (pkt->caplen < pkt->wirelen)
		c->truncated++;
	if (pkt->verdict == NS_PARSE_MALFORMED)
		c->malformed++;
	else if (pkt->verdict == NS_PARSE_UNSUPPORTED)
		c->unsupported++;
	if (pkt->reason < NS_PARSE_REASON_MAX)
		c->reasons[pkt->reason]++;
}

/* Nothing but the packet, its layers and its reason to count (the common packet). */
static inline bool
count_plain(const struct ns_pkt *p)
{
	return !(p->frag & NS_FRAG_IS) && p->caplen >= p->wirelen &&
	       p->verdict != NS_PARSE_MALFORMED && p->verdict != NS_PARSE_UNSUPPORTED &&
	       p->reason < NS_PARSE_REASON_MAX;
}

static inline void
count_run(struct ns_pkt_counters *c, unsigned layers, unsigned reason, uint64_t n)
{
	c->packets += n;
	while (layers != 0) {
		c->layers[__builtin_ctz(layers)] += n;
		layers &= layers - 1;
	}
	c->reasons[reason] += n;
}

/*
 * Layers, verdict, reason, fragment bits, l3, l4 and IP version: one aligned 8-byte word of
 * struct ns_pkt, so a run compares them all with one load. Equal words mean equal layers,
 * verdict and reason, and the fragment bits of the run's first packet, which is plain.
 */
static inline uint64_t
class_word(const struct ns_pkt *p)
{
	uint64_t v;

#define IN_WORD(f)                                                        \
	(offsetof(struct ns_pkt, f) >= offsetof(struct ns_pkt, layers) && \
	 offsetof(struct ns_pkt, f) + sizeof(p->f) <= offsetof(struct ns_pkt, layers) + 8)
	_Static_assert(offsetof(struct ns_pkt, layers) % 8 == 0 && IN_WORD(layers) &&
			       IN_WORD(verdict) && IN_WORD(reason) && IN_WORD(frag),
		       "layers, verdict, reason and frag in one aligned word");
#undef IN_WORD
	memcpy(&v, (const uint8_t *)p + offsetof(struct ns_pkt, layers), sizeof(v));
	return v;
}

/*
 * Consecutive plain packets with the same layers, verdict, reason (and l3, l4, version) are
 * counted as one run: per packet, two compares and the byte sum. The run's first packet was
 * plain, so the others need only the same word and no snaplen cut.
 */
void
ns_stats_count_burst(struct ns_pkt_counters *c, const struct ns_pkt *pkts, unsigned n)
{
	const struct ns_pkt *p = pkts, *const end = pkts + n;
	uint64_t bytes = 0;

	while (p < end) {
		const struct ns_pkt *q = p + 1;
		uint64_t cw = class_word(p);

		if (!count_plain(p)) {
			ns_stats_count_pkt(c, p);
			p++;
			continue;
		}
		bytes += p->wirelen;
		for (; q < end; q++) {
			uint32_t wirelen = q->wirelen;

			if (class_word(q) != cw || q->caplen < wirelen)
				break;
			bytes += wirelen;
		}
		count_run(c, p->layers, p->reason, (uint64_t)(q - p));
		p = q;
	}
	c->bytes += bytes;
}

void
ns_stats_add(struct ns_pkt_counters *dst, const struct ns_pkt_counters *src)
{
	dst->packets += src->packets;
	dst->bytes += src->bytes;
	for (unsigned i = 0; i < NS_LAYER_MAX; i++)
		dst->layers[i] += src->layers[i];
	dst->ipv4_fragments += src->ipv4_fragments;
	dst->ipv6_fragments += src->ipv6_fragments;
	dst->truncated += src->truncated;
	dst->malformed += src->malformed;
	dst->unsupported += src->unsupported;
	for (unsigned i = 0; i < NS_PARSE_REASON_MAX; i++)
		dst->reasons[i] += src->reasons[i];
	dst->filtered += src->filtered;
	dst->dropped += src->dropped;
}

void
ns_stats_print_summary(const struct ns_pkt_counters *c, FILE *out)
{
	char bytes[32];
	const char *sep = "";

	fprintf(out, "%llu packets, %llu bytes (%s)\n", (unsigned long long)c->packets,
		(unsigned long long)c->bytes, ns_fmt_si((double)c->bytes, "B", bytes, sizeof(bytes)));
	fprintf(out, "  protocols:");
	for (unsigned i = 0; i < NS_LAYER_MAX; i++) {
		if (c->layers[i] == 0)
			continue;
		fprintf(out, "%s %s %llu", sep, ns_layer_name(i), (unsigned long long)c->layers[i]);
		sep = ",";
	}
	fprintf(out, "%s\n", sep[0] == '\0' ? " none" : "");
	fprintf(out, "  fragments: ipv4 %llu, ipv6 %llu\n", (unsigned long long)c->ipv4_fragments,
		(unsigned long long)c->ipv6_fragments);
	fprintf(out, "  truncated %llu, malformed %llu, unsupported %llu\n",
		(unsigned long long)c->truncated, (unsigned long long)c->malformed,
		(unsigned long long)c->unsupported);
	for (unsigned i = 1; i < NS_PARSE_REASON_MAX; i++)
		if (c->reasons[i] != 0)
			fprintf(out, "    %llu x %s\n", (unsigned long long)c->reasons[i],
				ns_parse_reason_name(i));
	fprintf(out, "  filtered %llu, dropped %llu\n", (unsigned long long)c->filtered,
		(unsigned long long)c->dropped);
}
