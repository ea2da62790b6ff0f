/* SPDX-License-Identifier: MIT */
/*
 * Terminal reports: the --stats line (rates over the last interval, drops by cause) and the
 * --top-flows table. Human units, fixed columns, one write per line.
 */
#include <stdio.h>
#include <string.h>

#include "netscope.h"
#include "ns_core.h"
#include "ns_flow.h"
#include "ns_proto.h"

void
report_stats_line(FILE *out, const struct report_sample *prev, const struct report_sample *cur,
		  bool final)
{
	static const struct report_sample zero;
	double secs;
	char pps[32], bps[32], ts[32];

	/* The final line averages over the whole run. */
	if (final)
		prev = &zero;
	secs = (double)(cur->mono_ns - (final ? cur->start_ns : prev->mono_ns)) / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	ns_fmt_si((double)(cur->packets - prev->packets) / secs, "pps", pps, sizeof(pps));
	ns_fmt_si((double)(cur->bytes - prev->bytes) * 8 / secs, "bit/s", bps, sizeof(bps));
	ns_time_fmt_hms(ns_time_now_ns(), ts, sizeof(ts));
	fprintf(out,
		"%s %s %s: %s, %s, flows %llu active, %.0f new/s, drops: kernel %llu, ring %llu, "
		"table %llu\n",
		final ? "total" : "stats", ts, final ? "average" : "rate", pps, bps,
		(unsigned long long)cur->flows_active,
		(double)(cur->flows_created - prev->flows_created) / secs,
		(unsigned long long)cur->drop_kernel, (unsigned long long)cur->drop_ring,
		(unsigned long long)cur->drop_table);
}

static void
endpoint(const struct ns_addr *a, uint16_t port, bool ports, char *buf, size_t len)
{
	char ip[48];

	ns_addr_format(a, ip, sizeof(ip));
	if (!ports)
		snprintf(buf, len, "%s", ip);
	else if (ns_addr_is_v4(a))
		snprintf(buf, len, "%s:%u", ip, port);
	else
		snprintf(buf, len, "[%s]:%u", ip, port);
}

void
report_top_flows(FILE *out, const char *title, const struct ns_flow_record *recs, unsigned n)
{
	fprintf(out, "%s\n", title);
	fprintf(out, "  %-5s %-45s %-45s %10s %9s %9s %6s\n", "proto", "client", "server", "bytes",
		"packets", "rtt", "retx");
	for (unsigned i = 0; i < n; i++) {
		const struct ns_flow_record *r = &recs[i];
		const char *proto = ns_flow_proto_name(r->proto);
		bool ports = r->proto == 6 || r->proto == 17;
		char pbuf[8], src[80], dst[80], bytes[24], pkts[24], rtt[24], retx[16];

		if (proto == NULL) {
			snprintf(pbuf, sizeof(pbuf), "%u", r->proto);
			proto = pbuf;
		}
		endpoint(&r->src, r->src_port, ports, src, sizeof(src));
		endpoint(&r->dst, r->dst_port, ports, dst, sizeof(dst));
		ns_fmt_si((double)(r->bytes[0] + r->bytes[1]), "B", bytes, sizeof(bytes));
		ns_fmt_si((double)(r->pkts[0] + r->pkts[1]), "", pkts, sizeof(pkts));
		if (r->flags & NS_FLOW_REC_IRTT)
			snprintf(rtt, sizeof(rtt), "%.3f ms", r->rtt_handshake_us / 1000.0);
		else if (r->rtt_samples > 0)
			snprintf(rtt, sizeof(rtt), "%.3f ms", r->rtt_avg_us / 1000.0);
		else
			snprintf(rtt, sizeof(rtt), "-");
		if (r->proto == 6)
			snprintf(retx, sizeof(retx), "%u", r->retrans[0] + r->retrans[1]);
		else
			snprintf(retx, sizeof(retx), "-");
		fprintf(out, "  %-5s %-45s %-45s %10s %9s %9s %6s\n", proto, src, dst, bytes, pkts,
			rtt, retx);
	}
}
