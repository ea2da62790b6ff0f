/* SPDX-License-Identifier: MIT */
/*
 * bench-export: the flow exporter timed alone. The capture is mapped, parsed and run through a
 * flow table once (untimed) to collect its real records; then every repetition writes all of
 * them in each format (CSV, JSON lines, JSON) to a file and to /dev/null, through
 * ns_flow_export_sink() in batches of 64 as netscope does. It prints CPU ns per record, user
 * and system apart (getrusage: the machine is shared, and the kernel's share is the page cache
 * taking the bytes; Linux splits the exact total by tick samples, so the split is coarser than
 * the sum), medians over the repetitions. /dev/null is the formatting alone; the file
 * adds what writing that many bytes costs. The difference of two netscope runs (tools/bench
 * README) says the same with the noise of two whole runs in it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ns_capture.h"
#include "ns_core.h"
#include "ns_export.h"
#include "ns_flow.h"
#include "ns_proto.h"

#define REPS_MAX 64
#define BATCH 64 /* records per sink call, as a flow table hands them over */

struct records {
	struct ns_flow_record *r;
	size_t n, cap;
};

static unsigned
keep(void *arg, const struct ns_flow_record *recs, unsigned n)
{
	struct records *k = arg;

	if (k->n + n > k->cap) {
		size_t cap = k->cap != 0 ? k->cap * 2 : 65536;
		struct ns_flow_record *r = realloc(k->r, cap * sizeof(*r));

		if (r == NULL)
			return 0; /* refused: the table keeps them, and the run reports the
				     shortfall */
		k->r = r;
		k->cap = cap;
	}
	memcpy(k->r + k->n, recs, n * sizeof(*recs));
	k->n += n;
	return n;
}

/* Run a capture file through a flow table (read by lib/capture as netscope reads it); the
 * records land in @k. Not timed. */
static int
collect(const char *path, uint32_t capacity, struct records *k)
{
	const struct ns_capture_params cp = {
		.file = path,
		.snaplen = 262144,
		.backend = NS_BACKEND_PCAP,
	};
	char errbuf[NS_CAPTURE_ERRBUF] = "";
	struct ns_frame fr[NS_FLOW_BURST];
	struct ns_pkt pkts[NS_FLOW_BURST];
	uint64_t ts[NS_FLOW_BURST];
	struct ns_flow_params p;
	struct ns_flow_table *t;
	struct ns_capture *c;
	unsigned bursts = 0, n;
	int linktype;

	c = ns_capture_open(&cp, errbuf);
	if (c == NULL) {
		fprintf(stderr, "bench-export: %s\n", errbuf);
		return -1;
	}
	linktype = ns_capture_linktype(c);
	ns_flow_params_default(&p);
	p.capacity = capacity;
	p.seed = 0x5eed;
	p.sink = keep;
	p.sink_arg = k;
	t = ns_flow_table_create(&p);
	if (t == NULL) {
		fprintf(stderr, "bench-export: flow table: %s\n", strerror(errno));
		ns_capture_close(c);
		return -1;
	}
	while ((n = ns_capture_rx_burst(c, fr, NS_FLOW_BURST)) > 0 ||
	       ns_capture_status(c) == NS_CAPTURE_RUNNING) {
		for (unsigned i = 0; i < n; i++) {
			ts[i] = fr[i].ts_ns;
			ns_parse(linktype, fr[i].data, fr[i].caplen, fr[i].wirelen, &pkts[i]);
		}
		if (n == 0)
			continue;
		ns_flow_table_process_burst(t, pkts, ts, n);
		if (++bursts % 16 == 0)
			ns_flow_table_housekeeping(t, ts[n - 1], 512);
	}
	ns_flow_table_flush(t);
	ns_flow_table_destroy(t);
	if (ns_capture_status(c) == NS_CAPTURE_ERROR)
		fprintf(stderr, "bench-export: %s\n", ns_capture_error(c));
	ns_capture_close(c);
	return k->n > 0 ? 0 : -1;
}

static double
tv_ns(struct timeval t)
{
	return (double)t.tv_sec * 1e9 + (double)t.tv_usec * 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 != 0 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum ns_flow_export_format fmt;
	} fmts[] = {
		{ "csv", NS_FLOW_EXPORT_CSV },
		{ "jsonl", NS_FLOW_EXPORT_JSONL },
		{ "json", NS_FLOW_EXPORT_JSON },
	};
	static double user[2][3][REPS_MAX], sys[2][3][REPS_MAX];
	const char *dir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	struct records k = { 0 };
	uint32_t capacity = 131072;
	unsigned reps = 5;
	int c;

	while ((c = getopt(argc, argv, "r:c:d:h")) != -1) {
		switch (c) {
		case 'r':
			reps = (unsigned)atoi(optarg);
			break;
		case 'c':
			capacity = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: bench-export [-r REPS] [-c CAPACITY] [-d DIR] FILE.pcap\n"
				"Time the flow exporter alone on the records of a capture; the\n"
				"files go to DIR (TMPDIR, /tmp) and are removed at the end.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1 || reps == 0 || reps > REPS_MAX) {
		fprintf(stderr, "bench-export: one capture file and 1..%d repetitions\n", REPS_MAX);
		return 2;
	}
	if (collect(argv[optind], capacity, &k) < 0)
		return 1;
	/* interleaved: repetition 1 of everything, then 2, so load changes hit all alike */
	for (unsigned r = 0; r < reps; r++) {
		for (unsigned d = 0; d < 2; d++) {
			for (unsigned f = 0; f < NS_ARRAY_SIZE(fmts); f++) {
				struct ns_flow_export *e;
				struct rusage a, z;
				char path[4096];

				if (d == 0)
					snprintf(path, sizeof(path), "%s/bench-export-%d.%s", dir,
						 (int)getpid(), fmts[f].name);
				else
					snprintf(path, sizeof(path), "/dev/null");
				/* a new file each time, as tools/bench/run.sh gives netscope:
				 * truncating the last one would time freeing its page cache */
				if (d == 0)
					unlink(path);
				getrusage(RUSAGE_SELF, &a);
				e = ns_flow_export_open(path, fmts[f].fmt);
				if (e == NULL) {
					fprintf(stderr, "bench-export: %s: %s\n", path,
						strerror(errno));
					return 1;
				}
				for (size_t i = 0; i < k.n; i += BATCH)
					ns_flow_export_sink(e, k.r + i,
							    (unsigned)NS_MIN(k.n - i, BATCH));
				if (ns_flow_export_close(e) != 0)
					fprintf(stderr, "bench-export: writing %s failed\n", path);
				getrusage(RUSAGE_SELF, &z);
				user[d][f][r] =
					(tv_ns(z.ru_utime) - tv_ns(a.ru_utime)) / (double)k.n;
				sys[d][f][r] =
					(tv_ns(z.ru_stime) - tv_ns(a.ru_stime)) / (double)k.n;
				if (d == 0 && r == reps - 1)
					unlink(path);
			}
		}
	}
	printf("bench-export records=%zu reps=%u", k.n, reps);
	fprintf(stderr, "%zu records, %u repetitions, CPU ns per record (medians):\n", k.n, reps);
	for (unsigned d = 0; d < 2; d++) {
		for (unsigned f = 0; f < NS_ARRAY_SIZE(fmts); f++) {
			double u = median(user[d][f], reps), s = median(sys[d][f], reps);
			const char *to = d == 0 ? "file" : "null";

			printf(" %s_%s_ns=%.0f %s_%s_user_ns=%.0f %s_%s_sys_ns=%.0f", fmts[f].name,
			       to, u + s, fmts[f].name, to, u, fmts[f].name, to, s);
			fprintf(stderr, "  %-5s to %-9s %6.0f  (user %5.0f, sys %5.0f)\n",
				fmts[f].name, d == 0 ? "a file" : "/dev/null", u + s, u, s);
		}
	}
	printf("\n");
	free(k.r);
	return 0;
}
