/* SPDX-License-Identifier: MIT */
/*
 * Corpus acceptance: every capture in tests/corpus/pcaps goes through ns_parse() and a flow
 * table (default parameters, no housekeeping, flushed at the end); the records must agree with
 * tshark's expectations in tests/corpus/expected/NAME.json:
 *  - each TCP/UDP entry of flows[] exactly once, with the same packets and bytes per direction
 *    (our records sharing a 5-tuple are summed first: the oracle has no timeouts and ignores
 *    VLAN ids, tshark streams split on port reuse);
 *  - every other protocol per address pair and direction (the oracle keys ICMP on 0/0 ports,
 *    we on echo id or type/code);
 *  - each tcp_streams[] entry as one record, in stream order per 4-tuple, with the same
 *    packets and bytes per direction, retransmission (which includes fast and spurious), fast,
 *    spurious, out-of-order, lost segment and duplicate-ACK counts, and initial_rtt equal to
 *    rtt_handshake_us to the microsecond (within 1 us for nanosecond captures, whose times we
 *    keep in microseconds).
 * Usage: test_flow_corpus CORPUS_DIR (meson passes tests/corpus).
 */
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdio.h>

#include <json-c/json.h>

#include "flow_test.h"

static const char *corpus_dir;

struct corpus_run {
	char name[256];
	bool nano;
	uint64_t frames;
	struct ns_flow_stats st;
	/* agreement tallies for the summary */
	unsigned flows, flows_ok, other_pairs, other_ok, streams, streams_ok;
	unsigned retrans_ok, ooo_ok, irtt_n, irtt_ok;
	unsigned no_addr; /* frames the oracle files under an empty address */
};

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted capture names of the corpus; returns the count. */
static unsigned
list_pcaps(char ***out)
{
	char path[1024];
	DIR *d;
	struct dirent *e;
	char **v = NULL;
	unsigned n = 0;

	snprintf(path, sizeof(path), "%s/pcaps", corpus_dir);
	d = opendir(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		v[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), name_cmp);
	*out = v;
	return n;
}

/* Run one capture through parser and table; false when libpcap cannot open it. */
static bool
run_pcap(const char *name, struct corpus_run *cr)
{
	char path[1024], err[PCAP_ERRBUF_SIZE];
	struct ns_pkt pk[NS_FLOW_BURST];
	uint64_t ts[NS_FLOW_BURST];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct ns_flow_table *t;
	unsigned n = 0;
	pcap_t *pc;
	int link, rc;

	memset(cr, 0, sizeof(*cr));
	snprintf(cr->name, sizeof(cr->name), "%s", name);
	snprintf(path, sizeof(path), "%s/pcaps/%s", corpus_dir, name);
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	if (pc == NULL)
		return false;
	cr->nano = pcap_get_tstamp_precision(pc) == PCAP_TSTAMP_PRECISION_NANO;
	link = pcap_datalink(pc);
	t = table_new(1 << 16, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	/* frames are parsed into the burst and stay valid until it is processed: copy them */
	static u_char frames[NS_FLOW_BURST][262144 + 64];
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		uint32_t cap = h->caplen < sizeof(frames[0]) ? h->caplen : sizeof(frames[0]);

		memcpy(frames[n], data, cap);
		ns_parse(link, frames[n], cap, h->len, &pk[n]);
		ts[n] = (uint64_t)h->ts.tv_sec * SEC + (uint64_t)h->ts.tv_usec;
		cr->frames++;
		if (++n == NS_FLOW_BURST) {
			ns_flow_table_process_burst(t, pk, ts, n);
			n = 0;
		}
	}
	if (n != 0)
		ns_flow_table_process_burst(t, pk, ts, n);
	pcap_close(pc);
	CU_ASSERT_EQUAL(ns_flow_table_flush(t), 0);
	ns_flow_table_stats(t, &cr->st);
	ns_flow_table_destroy(t);
	return true;
}

static json_object *
load_expected(const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/expected/%s.json", corpus_dir, name);
	return json_object_from_file(path);
}

static json_object *
jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static int64_t
jint(json_object *o, const char *key)
{
	return json_object_get_int64(jget(o, key));
}

static void
jaddr(json_object *o, const char *key, struct ns_addr *a)
{
	addr_of(a, json_object_get_string(jget(o, key)));
}

static bool
addr_eq(const struct ns_addr *a, const struct ns_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static bool
is_l4_ports(uint8_t proto)
{
	return proto == 6 || proto == 17;
}

/*
 * tshark shows an IP layer even when the header ends before the destination address; the
 * oracle files such a frame under an empty address. A flow needs both addresses, so we count
 * these frames as untracked (NOT_IP) instead: skip them here, check the count in test_corpus.
 */
static bool
no_addresses(json_object *f)
{
	return json_object_get_string_len(jget(f, "a_ip")) == 0 ||
	       json_object_get_string_len(jget(f, "b_ip")) == 0;
}

/* Sum of our records of one 5-tuple, oriented a -> b like the oracle's entry. */
static void
check_flows(json_object *exp, struct corpus_run *cr, unsigned *matched_by)
{
	json_object *flows = jget(exp, "flows");
	size_t nf = flows != NULL ? json_object_array_length(flows) : 0;

	for (size_t i = 0; i < nf; i++) {
		json_object *f = json_object_array_get_idx(flows, i);
		uint8_t proto = (uint8_t)jint(f, "proto");
		struct ns_addr a, b;
		uint16_t pa, pb;
		uint64_t p_ab = 0, p_ba = 0, b_ab = 0, b_ba = 0;
		unsigned hits = 0;

		if (!is_l4_ports(proto))
			continue;
		if (no_addresses(f)) {
			cr->no_addr +=
				(unsigned)(jint(f, "packets_a_to_b") + jint(f, "packets_b_to_a"));
			continue;
		}
		cr->flows++;
		jaddr(f, "a_ip", &a);
		jaddr(f, "b_ip", &b);
		pa = (uint16_t)jint(f, "a_port");
		pb = (uint16_t)jint(f, "b_port");
		for (unsigned k = 0; k < g_log.n; k++) {
			const struct ns_flow_record *r = &g_log.recs[k];
			bool fwd = addr_eq(&r->src, &a) && r->src_port == pa &&
				   addr_eq(&r->dst, &b) && r->dst_port == pb;
			bool rev = addr_eq(&r->src, &b) && r->src_port == pb &&
				   addr_eq(&r->dst, &a) && r->dst_port == pa;

			if (r->proto != proto || r->ip_version != jint(f, "ip_version") ||
			    !(fwd || rev))
				continue;
			hits++;
			matched_by[k]++;
			p_ab += fwd ? r->pkts[0] : r->pkts[1];
			b_ab += fwd ? r->bytes[0] : r->bytes[1];
			p_ba += fwd ? r->pkts[1] : r->pkts[0];
			b_ba += fwd ? r->bytes[1] : r->bytes[0];
		}
		bool ok = hits > 0 && p_ab == (uint64_t)jint(f, "packets_a_to_b") &&
			  p_ba == (uint64_t)jint(f, "packets_b_to_a") &&
			  b_ab == (uint64_t)jint(f, "bytes_a_to_b") &&
			  b_ba == (uint64_t)jint(f, "bytes_b_to_a");

		if (!ok)
			fprintf(stderr,
				"\n  %s: flow %s %s:%u <-> %s:%u: ours %" PRIu64 "/%" PRIu64
				" pkts %" PRIu64 "/%" PRIu64 " bytes in %u records, oracle "
				"%" PRId64 "/%" PRId64 " pkts %" PRId64 "/%" PRId64 " bytes",
				cr->name, proto == 6 ? "tcp" : "udp",
				json_object_get_string(jget(f, "a_ip")), pa,
				json_object_get_string(jget(f, "b_ip")), pb, p_ab, p_ba, b_ab, b_ba,
				hits, jint(f, "packets_a_to_b"), jint(f, "packets_b_to_a"),
				jint(f, "bytes_a_to_b"), jint(f, "bytes_b_to_a"));
		CU_ASSERT_TRUE(ok);
		cr->flows_ok += ok;
	}
	/* the other way round: each of our TCP/UDP records belongs to exactly one oracle flow */
	for (unsigned k = 0; k < g_log.n; k++) {
		const struct ns_flow_record *r = &g_log.recs[k];

		if (!is_l4_ports(r->proto))
			continue;
		if (matched_by[k] != 1)
			fprintf(stderr,
				"\n  %s: record %u (proto %u, ports %u/%u) matched %u oracle "
				"flows",
				cr->name, k, r->proto, r->src_port, r->dst_port, matched_by[k]);
		CU_ASSERT_EQUAL(matched_by[k], 1);
	}
}

/*
 * Everything that is not TCP or UDP, per IP version and address pair: the oracle and we key
 * ICMP differently, so compare packets and bytes per direction of the pair.
 */
static void
check_other(json_object *exp, struct corpus_run *cr)
{
	json_object *flows = jget(exp, "flows");
	size_t nf = flows != NULL ? json_object_array_length(flows) : 0;
	bool *seen = calloc(nf + 1, sizeof(*seen));

	for (size_t i = 0; i < nf; i++) {
		json_object *f = json_object_array_get_idx(flows, i);
		struct ns_addr a, b;
		int64_t ver = jint(f, "ip_version");
		uint64_t want[4] = { 0 }, got[4] = { 0 };

		if (is_l4_ports((uint8_t)jint(f, "proto")) || seen[i])
			continue;
		if (no_addresses(f)) {
			cr->no_addr +=
				(unsigned)(jint(f, "packets_a_to_b") + jint(f, "packets_b_to_a"));
			continue;
		}
		jaddr(f, "a_ip", &a);
		jaddr(f, "b_ip", &b);
		/* gather all oracle entries of this pair (any protocol but TCP/UDP) */
		for (size_t j = i; j < nf; j++) {
			json_object *g = json_object_array_get_idx(flows, j);
			struct ns_addr ga, gb;

			if (is_l4_ports((uint8_t)jint(g, "proto")) || jint(g, "ip_version") != ver)
				continue;
			jaddr(g, "a_ip", &ga);
			jaddr(g, "b_ip", &gb);
			if (addr_eq(&ga, &a) && addr_eq(&gb, &b)) {
				want[0] += (uint64_t)jint(g, "packets_a_to_b");
				want[1] += (uint64_t)jint(g, "packets_b_to_a");
				want[2] += (uint64_t)jint(g, "bytes_a_to_b");
				want[3] += (uint64_t)jint(g, "bytes_b_to_a");
				seen[j] = true;
			}
		}
		for (unsigned k = 0; k < g_log.n; k++) {
			const struct ns_flow_record *r = &g_log.recs[k];
			bool fwd = addr_eq(&r->src, &a) && addr_eq(&r->dst, &b);
			bool rev = addr_eq(&r->src, &b) && addr_eq(&r->dst, &a);

			if (is_l4_ports(r->proto) || r->ip_version != ver || !(fwd || rev))
				continue;
			got[0] += fwd ? r->pkts[0] : r->pkts[1];
			got[1] += fwd ? r->pkts[1] : r->pkts[0];
			got[2] += fwd ? r->bytes[0] : r->bytes[1];
			got[3] += fwd ? r->bytes[1] : r->bytes[0];
		}
		bool ok = memcmp(want, got, sizeof(want)) == 0;

		if (!ok)
			fprintf(stderr,
				"\n  %s: other %s <-> %s: ours %" PRIu64 "/%" PRIu64
				" pkts, oracle "
				"%" PRIu64 "/%" PRIu64,
				cr->name, json_object_get_string(jget(f, "a_ip")),
				json_object_get_string(jget(f, "b_ip")), got[0], got[1], want[0],
				want[1]);
		CU_ASSERT_TRUE(ok);
		cr->other_pairs++;
		cr->other_ok += ok;
	}
	free(seen);
}

static int
rec_first_cmp(const void *a, const void *b)
{
	const struct ns_flow_record *x = *(const struct ns_flow_record *const *)a;
	const struct ns_flow_record *y = *(const struct ns_flow_record *const *)b;

	return x->first_ns < y->first_ns ? -1 : x->first_ns > y->first_ns;
}

static bool
same_u64(const char *what, const struct corpus_run *cr, int64_t stream, uint64_t ours,
	 int64_t oracle)
{
	if (ours == (uint64_t)oracle)
		return true;
	fprintf(stderr, "\n  %s: stream %" PRId64 " %s: ours %" PRIu64 ", tshark %" PRId64,
		cr->name, stream, what, ours, oracle);
	return false;
}

/* One tcp_streams[] entry against the k-th of our records on its 4-tuple. */
static void
check_stream(json_object *s, const struct ns_flow_record *r, struct corpus_run *cr)
{
	int64_t id = jint(s, "stream");
	json_object *irtt = jget(s, "initial_rtt_s");
	json_object *s2sa = jget(s, "syn_to_synack_s");
	bool ok = true, rx, oo;

	ok &= same_u64("packets c2s", cr, id, r->pkts[0], jint(s, "packets_c2s"));
	ok &= same_u64("packets s2c", cr, id, r->pkts[1], jint(s, "packets_s2c"));
	ok &= same_u64("bytes c2s", cr, id, r->bytes[0], jint(s, "bytes_c2s"));
	ok &= same_u64("bytes s2c", cr, id, r->bytes[1], jint(s, "bytes_s2c"));
	rx = same_u64("retransmission", cr, id, (uint64_t)r->retrans[0] + r->retrans[1],
		      jint(s, "retransmission"));
	ok &= rx;
	ok &= same_u64("fast retransmission", cr, id, r->fast_retrans,
		       jint(s, "fast_retransmission"));
	ok &= same_u64("spurious retransmission", cr, id, r->spurious_retrans,
		       jint(s, "spurious_retransmission"));
	oo = same_u64("out-of-order", cr, id, (uint64_t)r->ooo[0] + r->ooo[1],
		      jint(s, "out_of_order"));
	ok &= oo;
	ok &= same_u64("lost segment", cr, id, (uint64_t)r->lost[0] + r->lost[1],
		       jint(s, "lost_segment"));
	ok &= same_u64("duplicate ack", cr, id, (uint64_t)r->dupack[0] + r->dupack[1],
		       jint(s, "duplicate_ack"));
	cr->retrans_ok += rx;
	cr->ooo_ok += oo;
	if (irtt != NULL) {
		/* tshark prints seconds with 9 decimals; ours is whole microseconds from
		 * microsecond timestamps: exact for microsecond captures, within 1 us otherwise */
		double want = json_object_get_double(irtt) * 1e6;
		bool good = (r->flags & NS_FLOW_REC_IRTT) &&
			    (cr->nano ? fabs(want - r->rtt_handshake_us) < 1.0
				      : llround(want) == (long long)r->rtt_handshake_us);

		if (!good)
			fprintf(stderr,
				"\n  %s: stream %" PRId64 " initial_rtt: ours %u us, "
				"tshark %.3f us",
				cr->name, id, r->rtt_handshake_us, want);
		cr->irtt_n++;
		cr->irtt_ok += good;
		ok &= good;
	}
	/* tshark's SYN -> SYN/ACK is the ack_rtt of the first SYN/ACK, measured from the
	 * first SYN; ours from the latest SYN before it: the same when there is one SYN */
	if (s2sa != NULL && jint(s, "syn") == 1 && jint(s, "synack") == 1) {
		double want = json_object_get_double(s2sa) * 1e6;
		bool good =
			(r->flags & NS_FLOW_REC_SYNACK) && fabs(want - r->rtt_syn_synack_us) < 1.0;

		if (!good)
			fprintf(stderr,
				"\n  %s: stream %" PRId64 " SYN->SYN/ACK: ours %u, tshark "
				"%.3f us",
				cr->name, id, r->rtt_syn_synack_us, want);
		ok &= good;
	}
	CU_ASSERT_TRUE(ok);
	cr->streams_ok += ok;
}

static void
check_streams(json_object *exp, struct corpus_run *cr)
{
	json_object *streams = jget(exp, "tcp_streams");
	size_t ns = streams != NULL ? json_object_array_length(streams) : 0;
	const struct ns_flow_record **mine = calloc(g_log.n + 1, sizeof(*mine));
	unsigned unmatched_tcp = 0;

	for (size_t i = 0; i < ns; i++) {
		json_object *s = json_object_array_get_idx(streams, i);
		struct ns_addr c, sv;
		uint16_t cp = (uint16_t)jint(s, "client_port"),
			 sp = (uint16_t)jint(s, "server_port");
		unsigned m = 0, rank = 0;

		cr->streams++;
		jaddr(s, "client_ip", &c);
		jaddr(s, "server_ip", &sv);
		/* which of the streams on this 4-tuple is it (the oracle numbers them in order) */
		for (size_t j = 0; j < i; j++) {
			json_object *o = json_object_array_get_idx(streams, j);
			struct ns_addr oc, os;

			jaddr(o, "client_ip", &oc);
			jaddr(o, "server_ip", &os);
			if ((addr_eq(&oc, &c) && addr_eq(&os, &sv) &&
			     jint(o, "client_port") == cp && jint(o, "server_port") == sp) ||
			    (addr_eq(&oc, &sv) && addr_eq(&os, &c) &&
			     jint(o, "client_port") == sp && jint(o, "server_port") == cp))
				rank++;
		}
		for (unsigned k = 0; k < g_log.n; k++) {
			const struct ns_flow_record *r = &g_log.recs[k];

			if (r->proto != 6)
				continue;
			if ((addr_eq(&r->src, &c) && addr_eq(&r->dst, &sv) && r->src_port == cp &&
			     r->dst_port == sp) ||
			    (addr_eq(&r->src, &sv) && addr_eq(&r->dst, &c) && r->src_port == sp &&
			     r->dst_port == cp))
				mine[m++] = r;
		}
		qsort(mine, m, sizeof(*mine), rec_first_cmp);
		if (rank >= m) {
			fprintf(stderr, "\n  %s: stream %" PRId64 " has no record", cr->name,
				jint(s, "stream"));
			CU_FAIL("stream without a record");
			continue;
		}
		/* same initiator as tshark's client */
		CU_ASSERT_TRUE(addr_eq(&mine[rank]->src, &c) && mine[rank]->src_port == cp);
		check_stream(s, mine[rank], cr);
	}
	/* every TCP record with ports is one stream, unless tshark gave its frames none */
	for (unsigned k = 0; k < g_log.n; k++)
		if (g_log.recs[k].proto == 6 && g_log.recs[k].src_port != 0)
			unmatched_tcp++;
	if (jget(exp, "tcp_frames_without_stream") == NULL)
		CU_ASSERT_EQUAL(unmatched_tcp, cr->streams);
	free(mine);
}

static void
test_corpus(void)
{
	char **names;
	unsigned n = list_pcaps(&names), files = 0;
	struct corpus_run tot;

	memset(&tot, 0, sizeof(tot));
	printf("\n  %-42s %7s %9s %9s %9s %7s %5s %5s\n", "capture", "frames", "flows", "other",
	       "streams", "retrans", "ooo", "irtt");
	for (unsigned i = 0; i < n; i++) {
		struct corpus_run cr;
		json_object *exp = load_expected(names[i]);
		unsigned *matched_by;

		CU_ASSERT_PTR_NOT_NULL(exp);
		if (exp == NULL)
			continue;
		if (!run_pcap(names[i], &cr)) {
			/* libpcap refuses it: the oracle must have read no packet either */
			CU_ASSERT_EQUAL(jint(exp, "packets"), 0);
			printf("  %-42s unreadable (expected: %" PRId64 " packets)\n", names[i],
			       jint(exp, "packets"));
			json_object_put(exp);
			continue;
		}
		CU_ASSERT_EQUAL(cr.frames, (uint64_t)jint(exp, "packets"));
		CU_ASSERT_EQUAL(cr.st.records, g_log.n);
		CU_ASSERT_EQUAL(cr.st.active, 0);
		matched_by = calloc(g_log.n + 1, sizeof(*matched_by));
		check_flows(exp, &cr, matched_by);
		check_other(exp, &cr);
		check_streams(exp, &cr);
		free(matched_by);
		/* untracked = frames without an outer IP layer + frames with one cut too short */
		json_object *l3 = jget(exp, "outer_l3");
		uint64_t no_ip = jget(l3, "none") != NULL ? (uint64_t)jint(l3, "none") : 0;

		CU_ASSERT_EQUAL(cr.st.untracked[NS_FLOW_UNTRACKED_NOT_IP], no_ip + cr.no_addr);
		CU_ASSERT_EQUAL(cr.st.tracked + cr.st.untracked[NS_FLOW_UNTRACKED_NOT_IP],
				cr.frames);

		printf("  %-42s %7" PRIu64
		       " %4u/%-4u %4u/%-4u %4u/%-4u %3u/%-3u %2u/%-2u %2u/%-2u\n",
		       names[i], cr.frames, cr.flows_ok, cr.flows, cr.other_ok, cr.other_pairs,
		       cr.streams_ok, cr.streams, cr.retrans_ok, cr.streams, cr.ooo_ok, cr.streams,
		       cr.irtt_ok, cr.irtt_n);
		if (cr.no_addr != 0)
			printf("  %-42s (%u frame with the IP header cut before an address: "
			       "untracked)\n",
			       "", cr.no_addr);
		tot.flows += cr.flows;
		tot.flows_ok += cr.flows_ok;
		tot.other_pairs += cr.other_pairs;
		tot.other_ok += cr.other_ok;
		tot.streams += cr.streams;
		tot.streams_ok += cr.streams_ok;
		tot.retrans_ok += cr.retrans_ok;
		tot.ooo_ok += cr.ooo_ok;
		tot.irtt_n += cr.irtt_n;
		tot.irtt_ok += cr.irtt_ok;
		files++;
		json_object_put(exp);
	}
	printf("  %-42s %7s %4u/%-4u %4u/%-4u %4u/%-4u %3u/%-3u %2u/%-2u %2u/%-2u\n", "total", "",
	       tot.flows_ok, tot.flows, tot.other_ok, tot.other_pairs, tot.streams_ok, tot.streams,
	       tot.retrans_ok, tot.streams, tot.ooo_ok, tot.streams, tot.irtt_ok, tot.irtt_n);
	CU_ASSERT_TRUE(files > 30);
	CU_ASSERT_TRUE(tot.streams >= 15);
	for (unsigned i = 0; i < n; i++)
		free(names[i]);
	free(names);
	log_reset();
}

/* The impaired capture in detail: tshark's totals over its 5 streams (corpus README). */
static void
test_impaired_totals(void)
{
	struct corpus_run cr;
	uint64_t rx = 0, fast = 0, spur = 0, ooo = 0, lost = 0, dup = 0;

	CU_ASSERT_TRUE_FATAL(run_pcap("local-tcp-impaired-vlan42.pcap", &cr));
	for (unsigned k = 0; k < g_log.n; k++) {
		const struct ns_flow_record *r = &g_log.recs[k];

		if (r->proto != 6)
			continue;
		rx += r->retrans[0] + r->retrans[1];
		fast += r->fast_retrans;
		spur += r->spurious_retrans;
		ooo += r->ooo[0] + r->ooo[1];
		lost += r->lost[0] + r->lost[1];
		dup += r->dupack[0] + r->dupack[1];
		CU_ASSERT_EQUAL(r->vlan, 42);
	}
	CU_ASSERT_EQUAL(rx, 24);
	CU_ASSERT_EQUAL(fast, 10);
	CU_ASSERT_EQUAL(spur, 5);
	CU_ASSERT_EQUAL(ooo, 66);
	CU_ASSERT_EQUAL(lost, 36);
	CU_ASSERT_EQUAL(dup, 205);
	log_reset();
}

/*
 * The same capture with housekeeping every burst on packet time: timeouts may split flows,
 * but no packet is lost or counted twice.
 */
static void
test_impaired_with_expiry(void)
{
	char path[1024], err[PCAP_ERRBUF_SIZE];
	struct ns_pkt pk;
	struct pcap_pkthdr *h;
	const u_char *data;
	struct ns_flow_table *t;
	struct ns_flow_params p;
	struct ns_flow_stats st;
	uint64_t frames = 0, pkts = 0, last = 0;
	pcap_t *pc;

	snprintf(path, sizeof(path), "%s/pcaps/local-tcp-impaired-vlan42.pcap", corpus_dir);
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
	ns_flow_params_default(&p);
	p.tcp_closed_timeout = 1;
	p.udp_timeout = 1;
	p.icmp_timeout = 1;
	p.other_timeout = 1;
	t = table_new(64, &p);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * SEC + (uint64_t)h->ts.tv_usec;

		ns_parse(pcap_datalink(pc), data, h->caplen, h->len, &pk);
		ns_flow_table_process_burst(t, &pk, &ts, 1);
		ns_flow_table_housekeeping(t, ts, 8);
		frames++;
		last = ts;
	}
	pcap_close(pc);
	ns_flow_table_housekeeping(t, last + 3600 * SEC, 64);
	CU_ASSERT_EQUAL(ns_flow_table_flush(t), 0);
	ns_flow_table_stats(t, &st);
	for (unsigned k = 0; k < g_log.n; k++)
		pkts += g_log.recs[k].pkts[0] + g_log.recs[k].pkts[1];
	CU_ASSERT_EQUAL(pkts, st.tracked);
	CU_ASSERT_EQUAL(st.tracked + st.untracked[NS_FLOW_UNTRACKED_NOT_IP], frames);
	CU_ASSERT_TRUE(st.ended[NS_FLOW_END_IDLE] + st.ended[NS_FLOW_END_CLOSED] > 0);
	ns_flow_table_destroy(t);
	log_reset();
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_corpus),
	NS_TEST(test_impaired_totals),
	NS_TEST(test_impaired_with_expiry),
};

int
main(int argc, char **argv)
{
	corpus_dir = argc > 1 ? argv[1] : "tests/corpus";
	return ns_test_run("flow_corpus", cases, sizeof(cases) / sizeof(cases[0]));
}
