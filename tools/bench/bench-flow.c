/* SPDX-License-Identifier: MIT */
/*
 * bench-flow: the parser and the flow table timed alone, on a capture held in memory, to
 * separate their costs from libpcap's reading (tools/bench/run.sh runs it next to the
 * end-to-end tools). The file is mapped and pre-faulted, so no I/O is timed. Each repetition
 * uses a fresh table and times three things:
 *   parse   ns_parse() over chunks of frames into an ns_pkt array (4096 packets by default:
 *           557 KB of ns_pkt, which stays in L2 for the flow stage, as a burst would be);
 *   flow    ns_flow_table_process_burst() over those pre-parsed packets in bursts of 32, with
 *           ns_flow_table_housekeeping() of 512 records every 16 bursts (lib/pipeline paces the
 *           sweep by packet time, whole table per second, capped at this; the gen-bench
 *           captures run at 100k packets per second of capture time, so the cap applies),
 *           records counted by a sink that keeps nothing. The table is created untimed, but
 *           its pages fault in during this stage, as the flows arrive;
 *   inline  parse 32 frames, hand them to the table, repeat: the netscope -r loop without
 *           libpcap and without the capture backend.
 * Rates are packets per second of this thread's CPU time (the machine is shared; elapsed-time
 * rates are printed too, as *_wall_mpps). It prints one "bench-flow key=value ..." line for
 * run.sh (medians over the repetitions, with min and max) and a readable summary on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ns_core.h"
#include "ns_flow.h"
#include "ns_proto.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define FILE_HDR 24
#define REC_HDR 16
#define BURST NS_FLOW_BURST
#define HOUSEKEEP_EVERY 16 /* bursts, as lib/pipeline's worker */
#define SWEEP_BUDGET 512 /* records per housekeeping step, as lib/pipeline */
#define REPS_MAX 32

struct capture {
	const uint8_t *base;
	size_t size;
	int linktype;
	bool nanosecond;
	uint64_t packets; /* records in the file (after --max-packets) */
};

struct frame {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
};

struct opts {
	const char *file;
	unsigned reps;
	uint32_t capacity;
	uint32_t chunk;
	uint64_t max_packets;
	bool staged, inl;
	bool defer; /* ns_flow_params.defer */
};

/* What one repetition measured: CPU time of this thread (what the machine's other users cannot
 * inflate, short of cache pollution) and, with a _wall suffix, elapsed time. */
struct result {
	double parse_ns, flow_ns, flush_ns, inline_ns;
	double parse_wall, flow_wall, inline_wall;
	uint64_t peak_active;
	struct ns_flow_stats st;
	struct ns_flow_mem mem;
	uint64_t records;
	uint64_t analysis_events; /* retransmissions, out-of-order, lost, dup ACKs: 0 expected */
	uint64_t parse_not_ok;
};

struct sink {
	uint64_t records;
	uint64_t events;
};

static unsigned
sink_fn(void *arg, const struct ns_flow_record *recs, unsigned n)
{
	struct sink *s = arg;

	s->records += n;
	for (unsigned i = 0; i < n; i++)
		for (unsigned d = 0; d < 2; d++)
			s->events += recs[i].retrans[d] + recs[i].ooo[d] + recs[i].lost[d] +
				     recs[i].dupack[d];
	return n;
}

struct stamp {
	double cpu, wall;
};

static double
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct stamp
now(void)
{
	return (struct stamp){ clock_ns(CLOCK_THREAD_CPUTIME_ID), clock_ns(CLOCK_MONOTONIC) };
}

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Map a classic little-endian pcap (what gen-bench and lib/export write) and count records. */
static int
capture_open(const char *path, uint64_t max_packets, struct capture *c)
{
	struct stat sb;
	uint32_t magic;
	size_t off;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &sb) < 0 || (size_t)sb.st_size < FILE_HDR) {
		fprintf(stderr, "bench-flow: cannot read %s: %s\n", path,
			fd < 0 ? strerror(errno) : "too short");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	c->size = (size_t)sb.st_size;
	/* MAP_POPULATE: every page faulted in now, so the timed loops never wait on the disk */
	c->base = mmap(NULL, c->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (c->base == MAP_FAILED) {
		fprintf(stderr, "bench-flow: mmap %s: %s\n", path, strerror(errno));
		return -1;
	}
	magic = rd32(c->base);
	if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS) {
		fprintf(stderr, "bench-flow: %s is not a little-endian classic pcap file\n", path);
		return -1;
	}
	c->nanosecond = magic == PCAP_MAGIC_NS;
	c->linktype = (int)rd32(c->base + 20);
	c->packets = 0;
	for (off = FILE_HDR; off + REC_HDR <= c->size; c->packets++) {
		uint32_t caplen = rd32(c->base + off + 8);

		if (c->packets == max_packets || off + REC_HDR + caplen > c->size)
			break;
		off += REC_HDR + caplen;
	}
	return c->packets > 0 ? 0 : -1;
}

/* Read up to @n records from @*off; returns how many. */
static unsigned
next_frames(const struct capture *c, size_t *off, uint64_t *left, struct frame *f, uint64_t *ts,
	    unsigned n)
{
	unsigned i;

	for (i = 0; i<n && * left> 0; i++, (*left)--) {
		const uint8_t *h = c->base + *off;
		uint64_t frac = rd32(h + 4);

		ts[i] = (uint64_t)rd32(h) * NS_NSEC_PER_SEC + (c->nanosecond ? frac : frac * 1000);
		f[i].caplen = rd32(h + 8);
		f[i].wirelen = rd32(h + 12);
		f[i].data = h + REC_HDR;
		*off += REC_HDR + f[i].caplen;
	}
	return i;
}

static struct ns_flow_table *
table_new(const struct opts *o, struct sink *s)
{
	struct ns_flow_params p;

	ns_flow_params_default(&p);
	p.capacity = o->capacity;
	p.seed = 0x5eed;
	p.sink = sink_fn;
	p.sink_arg = s;
	p.defer = o->defer ? NS_FLOW_DEFER_COPY : NS_FLOW_DEFER_OFF;
	return ns_flow_table_create(&p);
}

/* Parse a chunk, then feed it to the table: the two costs timed apart. */
static int
run_staged(const struct opts *o, const struct capture *c, struct result *r)
{
	struct frame *f = malloc(o->chunk * sizeof(*f));
	struct ns_pkt *pkts = malloc(o->chunk * sizeof(*pkts));
	uint64_t *ts = malloc(o->chunk * sizeof(*ts));
	uint64_t left = c->packets;
	size_t off = FILE_HDR;
	struct sink s = { 0 };
	struct ns_flow_table *t = table_new(o, &s);
	unsigned bursts = 0;

	if (f == NULL || pkts == NULL || ts == NULL || t == NULL) {
		free(f);
		free(pkts);
		free(ts);
		ns_flow_table_destroy(t);
		return -1;
	}
	for (;;) {
		unsigned n = next_frames(c, &off, &left, f, ts, o->chunk);
		struct ns_flow_stats st;
		struct stamp t0, t1, t2;

		if (n == 0)
			break;
		t0 = now();
		for (unsigned i = 0; i < n; i++)
			ns_parse(c->linktype, f[i].data, f[i].caplen, f[i].wirelen, &pkts[i]);
		t1 = now();
		for (unsigned i = 0; i < n; i += BURST) {
			unsigned k = NS_MIN(n - i, (unsigned)BURST);

			ns_flow_table_process_burst(t, pkts + i, ts + i, k);
			if (++bursts % HOUSEKEEP_EVERY == 0)
				ns_flow_table_housekeeping(t, ts[i + k - 1], SWEEP_BUDGET);
		}
		t2 = now();
		r->parse_ns += t1.cpu - t0.cpu;
		r->flow_ns += t2.cpu - t1.cpu;
		r->parse_wall += t1.wall - t0.wall;
		r->flow_wall += t2.wall - t1.wall;
		for (unsigned i = 0; i < n; i++)
			r->parse_not_ok += pkts[i].verdict != NS_PARSE_OK;
		ns_flow_table_stats(t, &st);
		if (st.active > r->peak_active)
			r->peak_active = st.active;
	}
	{
		struct stamp t0 = now();

		while (ns_flow_table_flush(t) == -EAGAIN)
			;
		r->flush_ns = now().cpu - t0.cpu;
	}
	ns_flow_table_stats(t, &r->st);
	ns_flow_table_memory(t, &r->mem);
	r->records = s.records;
	r->analysis_events = s.events;
	ns_flow_table_destroy(t);
	free(f);
	free(pkts);
	free(ts);
	return 0;
}

/* Parse 32, track 32: the capture loop minus the reader. */
static int
run_inline(const struct opts *o, const struct capture *c, struct result *r)
{
	struct frame f[BURST];
	struct ns_pkt pkts[BURST];
	uint64_t ts[BURST];
	uint64_t left = c->packets;
	size_t off = FILE_HDR;
	struct sink s = { 0 };
	struct ns_flow_table *t = table_new(o, &s);
	unsigned bursts = 0, n;
	struct stamp t0, t1;

	if (t == NULL)
		return -1;
	t0 = now();
	while ((n = next_frames(c, &off, &left, f, ts, BURST)) > 0) {
		for (unsigned i = 0; i < n; i++)
			ns_parse(c->linktype, f[i].data, f[i].caplen, f[i].wirelen, &pkts[i]);
		ns_flow_table_process_burst(t, pkts, ts, n);
		if (++bursts % HOUSEKEEP_EVERY == 0)
			ns_flow_table_housekeeping(t, ts[n - 1], SWEEP_BUDGET);
	}
	t1 = now();
	r->inline_ns = t1.cpu - t0.cpu;
	r->inline_wall = t1.wall - t0.wall;
	ns_flow_table_destroy(t);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median, min and max of @n values taken from the results at @field's offset, as Mpps. */
static void
mpps_stats(const struct result *res, unsigned n, size_t field, uint64_t packets, double out[3])
{
	double v[REPS_MAX];

	for (unsigned i = 0; i < n; i++) {
		double ns = *(const double *)(const void *)((const char *)&res[i] + field);

		v[i] = ns > 0 ? (double)packets / ns * 1e3 : 0;
	}
	qsort(v, n, sizeof(v[0]), cmp_double);
	out[0] = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	out[1] = v[0];
	out[2] = v[n - 1];
}

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: bench-flow [options] FILE.pcap\n"
		"Time ns_parse() and the flow table alone on a capture held in memory.\n"
		"  -r, --reps N          repetitions, median reported (default 3, max %d)\n"
		"  -c, --capacity N      flow table capacity (default %u)\n"
		"  -k, --chunk N         frames parsed per staged chunk (default 4096)\n"
		"  -n, --max-packets N   use only the first N packets\n"
		"      --staged-only     skip the inline (parse 32, track 32) pass\n"
		"      --inline-only     skip the staged pass\n"
		"  -d, --defer           a deferred table that copies its pending pass\n"
		"                        (NS_FLOW_DEFER_COPY; the pipeline's keep theirs)\n",
		REPS_MAX, NS_FLOW_CAPACITY_DEFAULT);
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "reps", required_argument, NULL, 'r' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "chunk", required_argument, NULL, 'k' },
		{ "max-packets", required_argument, NULL, 'n' },
		{ "staged-only", no_argument, NULL, 'S' },
		{ "inline-only", no_argument, NULL, 'I' },
		{ "defer", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .reps = 3,
			    .capacity = NS_FLOW_CAPACITY_DEFAULT,
			    .chunk = 4096,
			    .max_packets = UINT64_MAX,
			    .staged = true,
			    .inl = true };
	while ((c = getopt_long(argc, argv, "r:c:k:n:dh", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->reps = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'c':
			o->capacity = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'k':
			o->chunk = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			o->max_packets = strtoull(optarg, NULL, 0);
			break;
		case 'S':
			o->inl = false;
			break;
		case 'I':
			o->staged = false;
			break;
		case 'd':
			o->defer = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc - 1 || o->reps == 0 || o->reps > REPS_MAX || o->chunk < BURST ||
	    (!o->staged && !o->inl))
		return -1;
	o->file = argv[optind];
	return 0;
}

int
main(int argc, char **argv)
{
	static struct result res[REPS_MAX];
	struct capture cap;
	struct opts o;
	double parse[3] = { 0 }, flow[3] = { 0 }, inl[3] = { 0 };
	double parse_w[3] = { 0 }, flow_w[3] = { 0 }, inl_w[3] = { 0 };
	const struct result *r0 = &res[0];

	if (parse_args(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	if (capture_open(o.file, o.max_packets, &cap) < 0)
		return 1;
	for (unsigned i = 0; i < o.reps; i++) {
		if ((o.staged && run_staged(&o, &cap, &res[i]) < 0) ||
		    (o.inl && run_inline(&o, &cap, &res[i]) < 0)) {
			fprintf(stderr, "bench-flow: cannot create a table of %u flows: %s\n",
				o.capacity, strerror(errno));
			return 1;
		}
	}
	if (o.staged) {
		mpps_stats(res, o.reps, offsetof(struct result, parse_ns), cap.packets, parse);
		mpps_stats(res, o.reps, offsetof(struct result, flow_ns), cap.packets, flow);
		mpps_stats(res, o.reps, offsetof(struct result, parse_wall), cap.packets, parse_w);
		mpps_stats(res, o.reps, offsetof(struct result, flow_wall), cap.packets, flow_w);
	}
	if (o.inl) {
		mpps_stats(res, o.reps, offsetof(struct result, inline_ns), cap.packets, inl);
		mpps_stats(res, o.reps, offsetof(struct result, inline_wall), cap.packets, inl_w);
	}
	printf("bench-flow file=%s packets=%llu reps=%u capacity=%u "
	       "parse_mpps=%.3f parse_min=%.3f parse_max=%.3f "
	       "flow_mpps=%.3f flow_min=%.3f flow_max=%.3f "
	       "inline_mpps=%.3f inline_min=%.3f inline_max=%.3f "
	       "parse_wall_mpps=%.3f flow_wall_mpps=%.3f inline_wall_mpps=%.3f "
	       "flush_ms=%.1f table_bytes=%zu bytes_per_flow=%.1f hugepages=%d "
	       "created=%llu peak_active=%llu evicted=%llu untracked=%llu records=%llu "
	       "analysis_events=%llu parse_not_ok=%llu\n",
	       o.file, (unsigned long long)cap.packets, o.reps, o.capacity, parse[0], parse[1],
	       parse[2], flow[0], flow[1], flow[2], inl[0], inl[1], inl[2], parse_w[0], flow_w[0],
	       inl_w[0], r0->flush_ns / 1e6, r0->mem.bytes, r0->mem.bytes_per_flow,
	       r0->mem.hugepages, (unsigned long long)r0->st.created,
	       (unsigned long long)r0->peak_active,
	       (unsigned long long)(r0->st.evict_full + r0->st.evict_collision),
	       (unsigned long long)(r0->st.packets - r0->st.tracked),
	       (unsigned long long)r0->records, (unsigned long long)r0->analysis_events,
	       (unsigned long long)r0->parse_not_ok);
	fprintf(stderr,
		"%s: %llu packets, %u reps, Mpps by thread CPU time (median [min..max])\n"
		"  parse alone        %7.2f Mpps [%.2f..%.2f]  %6.1f ns/pkt\n"
		"  flow table alone   %7.2f Mpps [%.2f..%.2f]  %6.1f ns/pkt\n"
		"  parse+flow inline  %7.2f Mpps [%.2f..%.2f]  %6.1f ns/pkt\n"
		"  table: %u flows, %.1f bytes/flow (%s pages); %llu flows created, peak %llu "
		"live, %llu evicted\n",
		o.file, (unsigned long long)cap.packets, o.reps, parse[0], parse[1], parse[2],
		parse[0] > 0 ? 1e3 / parse[0] : 0, flow[0], flow[1], flow[2],
		flow[0] > 0 ? 1e3 / flow[0] : 0, inl[0], inl[1], inl[2],
		inl[0] > 0 ? 1e3 / inl[0] : 0, r0->mem.capacity, r0->mem.bytes_per_flow,
		r0->mem.hugepages ? "huge" : "normal", (unsigned long long)r0->st.created,
		(unsigned long long)r0->peak_active,
		(unsigned long long)(r0->st.evict_full + r0->st.evict_collision));
	munmap((void *)(uintptr_t)cap.base, cap.size);
	return 0;
}
