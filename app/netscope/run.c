/* SPDX-License-Identifier: MIT */
/*
 * The capture run: read bursts from the backend, parse, count, print one line per packet,
 * write the pcap copy, hand packets to the flow pipeline; on exit print the summary. Stops at
 * the end of a file, at -c COUNT, after --duration, or on SIGINT/SIGTERM. In the pipeline's
 * per-queue mode (DPDK) the workers receive and parse on their own lcores and this thread is
 * management only: records, reports, the dashboard, the end.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anomaly_glue.h"
#include "netscope.h"
#include "ns_capture.h"
#include "ns_core.h"
#include "ns_export.h"
#include "ns_flow.h"
#include "ns_pipeline.h"
#include "ns_proto.h"
#include "ns_stats.h"
#include "web_glue.h"

#define BURST_MAX 512
/* Management work (flow records, stats line) runs every this many bursts, and when idle. */
#define MGMT_EVERY 16
/* Per-queue mode: the management thread's pace (records, samples, reports). */
#define MGMT_PERIOD_NS (1000 * 1000)
/* Per-queue mode: frames per second the workers copy for the dashboard's inspector, as the
 * capture thread samples them in the other modes (web_glue.c). */
#define INSPECT_RATE 100

static struct ns_capture *volatile g_capture;
static volatile sig_atomic_t g_stop;

static void
on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
	if (g_capture != NULL)
		ns_capture_breakloop(g_capture);
}

/*
 * --duration's alarm: wake a read blocked on a quiet source (a pipe on -r -) so the loop sees
 * the deadline passed. Not a stop request: --linger still holds the dashboard after it.
 */
static void
on_alarm(int sig)
{
	(void)sig;
	if (g_capture != NULL)
		ns_capture_breakloop(g_capture);
}

/* Route @sig to @fn with @flags (sigaction's sa_flags). */
static void
set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/*
 * SIGINT and SIGTERM from the start: a stop asked for while EAL comes up, the port starts or
 * the workers launch is kept (g_stop) and honoured once the capture is open, so that the run
 * still releases EAL (nothing left in /var/run/dpdk) instead of dying half set up. Until the
 * capture loop starts, interrupted system calls restart: set-up code need not see EINTR.
 */
static void
install_stop_early(void)
{
	set_handler(SIGINT, on_signal, SA_RESTART);
	set_handler(SIGTERM, on_signal, SA_RESTART);
}

static void
install_signals(unsigned duration_s)
{
	/* No SA_RESTART: a blocked read must return so the loop sees the stop. */
	set_handler(SIGINT, on_signal, 0);
	set_handler(SIGTERM, on_signal, 0);
	if (duration_s != 0) {
		set_handler(SIGALRM, on_alarm, 0);
		alarm(duration_s);
	}
}

/* Where ended flows go on the management side. */
struct flow_sink {
	uint64_t records;
	struct ns_flow_export *export; /* --export-flows */
	const char *export_path;
	uint64_t export_errors_reported;
	uint64_t next_export_flush_ns; /* live: buffered records reach the file once a second */
	/* --top-flows at exit: the largest flows of the whole run, largest first */
	struct ns_flow_record top[64];
	unsigned top_n, top_max;
	struct web_glue *web; /* the dashboard keeps the run's largest flows too */
};

struct run_ctx {
	const struct ns_config *cfg;
	struct ns_capture *cap;
	struct ns_pcap_writer *writer;
	struct ns_pkt_counters counters;
	int linktype;
	bool print;
	bool live;
	uint64_t write_errors_reported;
	struct anomaly_glue *anomaly; /* --anomalies */
	struct web_glue *web; /* --web */

	/* flow tracking (NULL when nothing asked for flows) */
	struct ns_pipeline *pl;
	bool threaded; /* worker threads or lcores (--pipeline, or pipeline.mode per-queue) */
	unsigned workers;
	bool per_queue; /* workers receive from their own RX queues (pipeline.mode) */
	struct ns_pipeline_queues queues;
	const char *mode_why; /* why dispatch, when per-queue was possible in principle */
	uint64_t last_ts;
	struct flow_sink sink;

	/* --stats */
	struct report_sample prev;
	uint64_t next_stats_ns;
	unsigned bursts;

	/* parsed bursts, used in turn: the inline shard's table reads the previous burst's last
	 * pass at the next submit (ns_pipeline_params.submit_kept) */
	struct run_pkts {
		struct ns_pkt pkts[BURST_MAX];
		uint64_t ts[BURST_MAX];
	} pk[2];
	unsigned pk_next;
};

static void
print_packet(const struct ns_frame *f, const struct ns_pkt *pkt)
{
	char ts[32], line[512];

	ns_time_fmt_hms(f->ts_ns, ts, sizeof(ts));
	ns_pkt_format(pkt, line, sizeof(line));
	printf("%s %s\n", ts, line);
}

static void
write_packet(struct run_ctx *r, const struct ns_frame *f)
{
	if (ns_pcap_writer_write(r->writer, f->ts_ns, f->data, f->caplen, f->wirelen) == 0)
		return;
	/* Report the first failure of a run of failures, then keep capturing. */
	if (r->write_errors_reported == 0)
		NS_LOG(ERR, "export", "writing %s failed: %s; capture continues, lost records are "
		       "counted", r->cfg->capture.write_file, strerror(errno));
	r->write_errors_reported++;
}

static void
process_burst(struct run_ctx *r, const struct ns_frame *frames, unsigned n)
{
	struct ns_pkt *pkts = r->pk[r->pk_next].pkts;
	uint64_t *ts = r->pk[r->pk_next].ts;

	web_glue_burst(r->web, frames, n, &r->counters);
	ns_parse_burst(r->linktype, frames, n, pkts, ts);
	if (r->print || r->writer != NULL) {
		for (unsigned i = 0; i < n; i++) {
			if (r->print)
				print_packet(&frames[i], &pkts[i]);
			if (r->writer != NULL)
				write_packet(r, &frames[i]);
		}
	}
	ns_stats_count_burst(&r->counters, pkts, n);
	if (n > 0 && ts[n - 1] > r->last_ts)
		r->last_ts = ts[n - 1];
	if (r->pl != NULL && n > 0) {
		ns_pipeline_submit(r->pl, pkts, ts, n);
		/* the shard may hold this burst's last pass until the next submit: parse the
		 * next burst into the other array */
		r->pk_next ^= 1;
	}
}

static uint64_t
rec_bytes(const struct ns_flow_record *r)
{
	return r->bytes[0] + r->bytes[1];
}

static void
keep_top(struct flow_sink *fs, const struct ns_flow_record *rec)
{
	unsigned i;

	if (fs->top_max == 0 || (rec->flags & NS_FLOW_REC_INTERIM))
		return;
	if (fs->top_n == fs->top_max && rec_bytes(rec) <= rec_bytes(&fs->top[fs->top_n - 1]))
		return;
	i = fs->top_n < fs->top_max ? fs->top_n++ : fs->top_n - 1;
	while (i > 0 && rec_bytes(&fs->top[i - 1]) < rec_bytes(rec)) {
		fs->top[i] = fs->top[i - 1];
		i--;
	}
	fs->top[i] = *rec;
}

/* Say once that the flow export lost records; the exporter counts every one. */
static void
export_check(struct flow_sink *fs, uint64_t errors_before)
{
	if (ns_flow_export_errors(fs->export) != errors_before && fs->export_errors_reported++ == 0)
		NS_LOG(ERR, "export", "writing %s failed; flow tracking continues, lost "
		       "records are counted", fs->export_path);
}

static void
on_flow_records(void *arg, const struct ns_flow_record *recs, unsigned n)
{
	struct flow_sink *fs = arg;

	fs->records += n;
	if (fs->export != NULL) {
		uint64_t before = ns_flow_export_errors(fs->export);

		ns_flow_export_sink(fs->export, recs, n);
		export_check(fs, before);
	}
	web_glue_records(fs->web, recs, n);
	for (unsigned i = 0; i < n; i++)
		keep_top(fs, &recs[i]);
}

/* Per-queue mode: frames the workers sampled for the dashboard's inspector. */
static void
on_sampled_frames(void *arg, const struct ns_frame *frames, unsigned n)
{
	struct flow_sink *fs = arg;

	web_glue_sampled(fs->web, frames, n);
}

/*
 * Per-queue mode: the workers parse and count, so the run's totals are the sum of their
 * published counters (at most a millisecond old), and "the newest packet" is theirs too.
 */
static void
queue_totals(struct run_ctx *r)
{
	struct ns_pipeline_worker_stats ws[NS_PIPELINE_WORKERS_MAX];
	unsigned n = ns_pipeline_stats(r->pl, ws);

	memset(&r->counters, 0, sizeof(r->counters));
	for (unsigned i = 0; i < n; i++) {
		ns_stats_add(&r->counters, &ws[i].counters);
		r->last_ts = NS_MAX(r->last_ts, ws[i].last_ts);
	}
}

/* Flow-table "now": packet time for files (replays expire flows as they did then), the later
 * of packet and wall time when live (flows must expire while the link is quiet). */
static uint64_t
flow_now(const struct run_ctx *r)
{
	return r->live ? NS_MAX(r->last_ts, ns_time_now_ns()) : r->last_ts;
}

static void
take_sample(struct run_ctx *r, struct report_sample *s)
{
	struct ns_pipeline_worker_stats ws[NS_PIPELINE_WORKERS_MAX];
	struct ns_capture_stats cs;

	memset(s, 0, sizeof(*s));
	s->start_ns = r->prev.start_ns;
	s->mono_ns = ns_time_mono_ns();
	s->packets = r->counters.packets;
	s->bytes = r->counters.bytes;
	ns_capture_stats(r->cap, &cs);
	s->drop_kernel = cs.dropped + cs.if_dropped;
	if (r->pl == NULL)
		return;
	for (unsigned i = 0, n = ns_pipeline_stats(r->pl, ws); i < n; i++) {
		s->flows_active += ws[i].flow.active;
		s->flows_created += ws[i].flow.created;
		s->drop_ring += ws[i].ring_full;
		s->drop_table += ns_pipeline_worker_table_drops(&ws[i]);
	}
}

static void
print_top_flows(struct run_ctx *r, const char *title)
{
	struct ns_flow_record top[64];
	unsigned want = NS_MIN(r->cfg->output.top_flows, (uint32_t)NS_ARRAY_SIZE(top));
	unsigned n;

	if (r->pl == NULL || want == 0)
		return;
	n = ns_pipeline_top_n(r->pl, top, want);
	report_top_flows(stderr, title, top, n);
}

/* The management step: ended flows out, expiry, the per-interval report. */
static void
management(struct run_ctx *r)
{
	const struct ns_config *cfg = r->cfg;
	struct report_sample cur;
	uint64_t now = ns_time_mono_ns();

	if (r->per_queue)
		queue_totals(r);
	if (r->pl != NULL)
		ns_pipeline_poll(r->pl, flow_now(r));
	anomaly_glue_tick(r->anomaly, r->last_ts);
	web_glue_alerts(r->web, anomaly_glue_engine(r->anomaly), false);
	web_glue_tick(r->web, &r->counters, r->pl);
	/* the exporter writes 64 KiB at a time: on a quiet link that could be minutes */
	if (r->live && r->sink.export != NULL && now >= r->sink.next_export_flush_ns) {
		uint64_t before = ns_flow_export_errors(r->sink.export);

		ns_flow_export_flush(r->sink.export);
		export_check(&r->sink, before);
		r->sink.next_export_flush_ns = now + NS_NSEC_PER_SEC;
	}
	if (!cfg->output.stats || now < r->next_stats_ns)
		return;
	take_sample(r, &cur);
	report_stats_line(stderr, &r->prev, &cur, false);
	print_top_flows(r, "top flows (live, by bytes):");
	r->prev = cur;
	r->next_stats_ns = now + cfg->output.stats_interval * NS_NSEC_PER_SEC;
}

static int
open_outputs(struct run_ctx *r)
{
	const struct ns_config *cfg = r->cfg;

	if (cfg->capture.write_file[0] == '\0')
		return 0;
	r->writer = ns_pcap_writer_open(cfg->capture.write_file, r->linktype,
					ns_capture_snaplen(r->cap), ns_capture_nanosecond(r->cap));
	if (r->writer == NULL) {
		fprintf(stderr, "netscope: cannot write '%s': %s\n", cfg->capture.write_file,
			strerror(errno));
		return -1;
	}
	return 0;
}

static int
capture_loop(struct run_ctx *r)
{
	const struct ns_config *cfg = r->cfg;
	struct ns_frame frames[BURST_MAX];
	uint64_t deadline = 0;
	unsigned burst = NS_MIN(cfg->pipeline.burst, BURST_MAX);

	if (cfg->capture.duration != 0)
		deadline = ns_time_mono_ns() + cfg->capture.duration * NS_NSEC_PER_SEC;
	while (!g_stop) {
		unsigned want = burst;
		unsigned n;

		if (cfg->capture.count != 0) {
			uint64_t left = cfg->capture.count - r->counters.packets;

			if (left == 0)
				break;
			want = (unsigned)NS_MIN((uint64_t)want, left);
		}
		n = ns_capture_rx_burst(r->cap, frames, want);
		process_burst(r, frames, n);
		if (n == 0 || ++r->bursts % MGMT_EVERY == 0)
			management(r);
		if (deadline != 0 && ns_time_mono_ns() >= deadline)
			break;
		if (n == 0 && ns_capture_status(r->cap) != NS_CAPTURE_RUNNING)
			break;
	}
	if (ns_capture_status(r->cap) == NS_CAPTURE_ERROR) {
		fprintf(stderr, "netscope: read error: %s\n", ns_capture_error(r->cap));
		return -1;
	}
	return 0;
}

/*
 * Per-queue mode: nothing to receive here. Manage every millisecond until every queue has
 * ended (end of file, stop, error), --duration passes or a signal arrives; the workers stop
 * polling in ns_pipeline_finish().
 */
static int
manage_loop(struct run_ctx *r)
{
	uint64_t deadline = 0;

	if (r->cfg->capture.duration != 0)
		deadline = ns_time_mono_ns() + r->cfg->capture.duration * NS_NSEC_PER_SEC;
	while (!g_stop) {
		management(r);
		if (deadline != 0 && ns_time_mono_ns() >= deadline)
			break;
		if (ns_capture_status(r->cap) != NS_CAPTURE_RUNNING)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = MGMT_PERIOD_NS }, NULL);
	}
	if (ns_capture_status(r->cap) == NS_CAPTURE_ERROR) {
		fprintf(stderr, "netscope: read error: %s\n", ns_capture_error(r->cap));
		return -1;
	}
	return 0;
}

static bool
wants_flows(const struct ns_config *cfg)
{
	return cfg->export.flows_file[0] != '\0' || cfg->output.stats ||
	       cfg->output.top_flows > 0 || cfg->pipeline.enabled || cfg->web.enabled ||
	       anomaly_glue_wanted(cfg);
}

static void
flow_params_from(const struct ns_config_flow *c, struct ns_flow_params *fp)
{
	ns_flow_params_default(fp);
	fp->capacity = c->capacity;
	fp->key_vlan = c->key_vlan;
	fp->hugepages = c->hugepages;
	fp->tcp_syn_timeout = c->tcp_syn_timeout;
	fp->tcp_established_timeout = c->tcp_established_timeout;
	fp->tcp_fin_timeout = c->tcp_fin_timeout;
	fp->tcp_closed_timeout = c->tcp_closed_timeout;
	fp->udp_timeout = c->udp_timeout;
	fp->icmp_timeout = c->icmp_timeout;
	fp->other_timeout = c->other_timeout;
	fp->active_timeout = c->active_timeout;
}

static int
open_flows(struct run_ctx *r)
{
	const struct ns_config *cfg = r->cfg;
	struct ns_pipeline_params pp = {
		.workers = r->workers,
		.threaded = r->threaded,
		.backpressure = !r->live,
		.ring_size = cfg->pipeline.ring_size,
		.top_n = NS_MIN(cfg->output.top_flows, (uint32_t)NS_ARRAY_SIZE(r->sink.top)),
		.on_records = on_flow_records,
		.arg = &r->sink,
		.submit_kept = true, /* process_burst() parses into r->pk[] in turn */
	};
	struct ns_pipeline_worker_stats ws[NS_PIPELINE_WORKERS_MAX];

	if (!wants_flows(cfg) && !r->per_queue)
		return 0;
	if (cfg->export.flows_file[0] != '\0') {
		r->sink.export_path = cfg->export.flows_file;
		r->sink.export = ns_flow_export_open(cfg->export.flows_file,
						     (enum ns_flow_export_format)cfg->export.flows_format);
		if (r->sink.export == NULL) {
			fprintf(stderr, "netscope: cannot write flows to '%s': %s%s\n",
				cfg->export.flows_file, strerror(errno),
				errno == EINVAL ? " (name it .json, .jsonl or .csv, or set "
						  "export.flows_format)" : "");
			return -1;
		}
	}
	if (cfg->flow.capacity > NS_FLOW_CAPACITY_MAX) {
		fprintf(stderr, "netscope: key 'flow.capacity': %u is above the %u flows one shard "
				"can index; use more workers\n", cfg->flow.capacity,
			NS_FLOW_CAPACITY_MAX);
		return -1;
	}
	flow_params_from(&cfg->flow, &pp.flow);
	pp.live = r->live;
	anomaly_glue_stage(r->anomaly, &pp.stage);
	r->sink.top_max = pp.top_n;
	r->sink.web = r->web;
	pp.top_n = NS_MAX(pp.top_n, web_glue_top_n(cfg));
	if (r->per_queue) {
		r->queues.cap = r->cap;
		r->queues.linktype = r->linktype;
		r->queues.burst = cfg->pipeline.burst;
		if (r->web != NULL) {
			r->queues.sample_rate = INSPECT_RATE;
			r->queues.sample_bytes = web_glue_sample_bytes();
			r->queues.on_sample = on_sampled_frames;
		}
		pp.queues = &r->queues;
	}
	r->pl = ns_pipeline_create(&pp);
	if (r->pl == NULL) {
		fprintf(stderr, "netscope: cannot create %u flow table(s) of %u flows: %s\n",
			pp.workers, cfg->flow.capacity, strerror(errno));
		ns_flow_export_close(r->sink.export);
		r->sink.export = NULL;
		return -1;
	}
	ns_pipeline_stats(r->pl, ws);
	NS_LOG(INFO, "flow", "%u shard(s) of %u flows, %.0f bytes per flow, %s", pp.workers,
	       ws[0].mem.capacity, ws[0].mem.bytes_per_flow,
	       ws[0].mem.hugepages ? "hugepages" : "normal pages");
	return 0;
}

/* "lcores 1,2" for the logs. */
static void
lcore_list(const struct run_ctx *r, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "lcore%s", r->workers > 1 ? "s " : " ");

	for (unsigned i = 0; i < r->workers && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%u", i > 0 ? "," : "",
					 r->queues.lcores[i]);
}

/* The pipeline's shape, for -v and the --stats report. */
static void
describe_mode(const struct run_ctx *r, char *buf, size_t len)
{
	struct ns_capture_info ci;
	char lc[160];

	ns_capture_get_info(r->cap, &ci);
	if (r->per_queue) {
		lcore_list(r, lc, sizeof(lc));
		snprintf(buf, len, "per-queue: %u worker(s) on EAL %s, one per RX queue of %u (%s)",
			 r->workers, lc, ci.queues, ci.spread);
	} else if (r->threaded) {
		snprintf(buf, len, "dispatch: %u worker thread(s) fed by the capture thread from %u "
				   "RX queue(s)%s%s",
			 r->workers, ci.queues, r->mode_why != NULL ? "; not per-queue: " : "",
			 r->mode_why != NULL ? r->mode_why : "");
	} else {
		snprintf(buf, len, "inline: one flow shard on the capture thread, %u RX queue(s)",
			 ci.queues);
	}
}

bool
run_prints_packets(const struct ns_config *cfg)
{
	/* an output on stdout ("-w -", /dev/stdout, or the file stdout was redirected to; flows,
	 * alerts or the summary the same): packet lines would corrupt it */
	return !cfg->output.quiet && !ns_config_path_is_stdout(cfg->capture.write_file) &&
	       !ns_config_path_is_stdout(cfg->export.summary_json) &&
	       !ns_config_path_is_stdout(cfg->export.flows_file) &&
	       !ns_config_path_is_stdout(cfg->export.alerts_file);
}

bool
run_per_queue_why_not(const struct ns_config *cfg, char *why, size_t len)
{
	if (cfg->capture.backend == NS_BACKEND_PCAP)
		snprintf(why, len, "the capture uses the pcap backend, not DPDK");
	else if (cfg->capture.read_file[0] != '\0')
		snprintf(why, len,
			 "the capture uses the pcap backend, not DPDK: a file (-r) is "
			 "read by libpcap");
	else if (cfg->capture.write_file[0] != '\0')
		snprintf(why, len,
			 "-w (capture.write_file) writes every packet from one thread, "
			 "in order");
	else if (run_prints_packets(cfg))
		snprintf(why, len, "per-packet lines come from one thread (add -q)");
	else if (cfg->capture.count != 0)
		snprintf(why, len,
			 "-c (capture.count) stops at an exact packet, which needs one "
			 "reader");
	else
		return false;
	return true;
}

/*
 * pipeline.mode: per-queue needs the DPDK backend, one EAL worker lcore per RX queue, as many
 * workers as queues, queues that hold whole flows, and nothing that needs every packet on one
 * thread (-w, per-packet lines, -c). auto takes per-queue when all of that holds and says why
 * not otherwise; an explicit per-queue that cannot run is an error naming the key (a port
 * whose queues are not spread by flow only gets a warning: the user may know better).
 * Returns 0, or -1 after printing the error.
 */
static int
choose_mode(struct run_ctx *r)
{
	const struct ns_config *cfg = r->cfg;
	bool forced = cfg->pipeline.mode == NS_PIPELINE_MODE_PER_QUEUE;
	struct ns_capture_info ci;
	unsigned lcores[NS_PIPELINE_WORKERS_MAX], nl;
	static char why[256];

	r->threaded = cfg->pipeline.enabled || forced;
	r->workers = r->threaded ? cfg->pipeline.workers : 1;
	r->per_queue = false;
	if (!r->threaded || cfg->pipeline.mode == NS_PIPELINE_MODE_DISPATCH)
		return 0;
	ns_capture_get_info(r->cap, &ci);
	nl = ns_capture_worker_lcores(r->cap, lcores, NS_PIPELINE_WORKERS_MAX);
	why[0] = '\0';
	if (strcmp(ci.backend, "dpdk") != 0)
		snprintf(why, sizeof(why), "the capture uses the %s backend, not DPDK", ci.backend);
	else if (run_per_queue_why_not(cfg, why, sizeof(why)))
		;
	else if (ci.queues != r->workers)
		snprintf(why, sizeof(why), "key 'pipeline.workers': the port has %u RX queue(s) "
					   "and per-queue mode runs one worker per queue; set it to %u",
			 ci.queues, ci.queues);
	else if (nl < ci.queues)
		snprintf(why, sizeof(why), "key 'dpdk.eal_args': EAL has %u worker lcore(s) besides "
					   "the main one for %u RX queue(s); give it %u more, e.g. "
					   "\"--lcores=0@0,1@1,2@1\" maps lcores 1 and 2 onto CPU 1",
			 nl, ci.queues, ci.queues - nl);
	else if (!ci.symmetric && !forced)
		snprintf(why, sizeof(why), "the port's %u queues are filled by %s, so a flow's two "
					   "directions may land on different workers",
			 ci.queues, ci.spread);
	if (why[0] != '\0') {
		if (forced) {
			fprintf(stderr, "netscope: key 'pipeline.mode': per-queue cannot run: %s\n",
				why);
			return -1;
		}
		r->mode_why = why;
		if (strcmp(ci.backend, "dpdk") == 0)
			NS_LOG(NOTICE, "pipeline", "dispatch mode (one reader spreads flows to the "
				"workers), not per-queue: %s", why);
		return 0;
	}
	if (!ci.symmetric)
		NS_LOG(WARNING, "pipeline",
		       "pipeline.mode per-queue on a port whose queues are filled by %s: a flow's "
		       "two directions may be counted by two workers", ci.spread);
	r->per_queue = true;
	memcpy(r->queues.lcores, lcores, sizeof(lcores[0]) * r->workers);
	return 0;
}

/*
 * RSS self-check: with asymmetric spreading, each direction of a TCP connection lands on its
 * own worker and both workers see one-sided flows. A capture point that sees one direction
 * only (a SPAN of one link half) looks the same, hence a warning, not an error.
 */
static void
check_symmetry(struct run_ctx *r)
{
	struct ns_pipeline_worker_stats ws[NS_PIPELINE_WORKERS_MAX];
	unsigned n = ns_pipeline_stats(r->pl, ws);

	for (unsigned i = 0; i < n; i++) {
		if (ws[i].ended_tcp < 100 || ws[i].oneside_tcp * 2 <= ws[i].ended_tcp)
			continue;
		NS_LOG(WARNING, "pipeline",
		       "worker %u saw %llu of %llu TCP flows from one side only: is the RSS hash "
		       "symmetric (or does the capture point see one direction only)?",
		       i, (unsigned long long)ws[i].oneside_tcp, (unsigned long long)ws[i].ended_tcp);
	}
}

/* --stats at the end: the pipeline's shape and what each worker did. */
static void
print_workers(struct run_ctx *r)
{
	struct ns_pipeline_worker_stats ws[NS_PIPELINE_WORKERS_MAX];
	unsigned n = ns_pipeline_stats(r->pl, ws);
	char mode[512];

	describe_mode(r, mode, sizeof(mode));
	fprintf(stderr, "pipeline %s\n", mode);
	for (unsigned i = 0; i < n; i++) {
		char where[48] = "";

		if (ws[i].lcore >= 0)
			snprintf(where, sizeof(where), " (queue %u, lcore %d)", i, ws[i].lcore);
		fprintf(stderr,
			"  worker %u%s: %llu packets, %llu flows, drops: ring %llu, table %llu, "
			"inspector samples %llu\n",
			i, where, (unsigned long long)ws[i].packets,
			(unsigned long long)ws[i].flow.created, (unsigned long long)ws[i].ring_full,
			(unsigned long long)ns_pipeline_worker_table_drops(&ws[i]),
			(unsigned long long)ws[i].samples_dropped);
	}
}

/* End of input: every flow out as a record, the last reports. Returns -1 if records were lost. */
static int
finish_flows(struct run_ctx *r)
{
	struct report_sample cur;
	int rc = 0;

	if (r->pl == NULL)
		return 0;
	ns_pipeline_finish(r->pl);
	if (r->per_queue)
		queue_totals(r);
	check_symmetry(r);
	if (r->sink.export != NULL) {
		uint64_t lost;
		int crc;

		ns_flow_export_flush(r->sink.export); /* the last buffer's losses count too */
		lost = ns_flow_export_errors(r->sink.export);
		crc = ns_flow_export_close(r->sink.export);
		if (lost != 0)
			fprintf(stderr, "netscope: %s: %llu flow records could not be written\n",
				r->sink.export_path, (unsigned long long)lost);
		else if (crc < 0)
			fprintf(stderr, "netscope: %s: finishing the file failed: %s\n",
				r->sink.export_path, strerror(-crc));
		if (lost != 0 || crc < 0)
			rc = -1;
		r->sink.export = NULL;
	}
	if (r->cfg->output.stats) {
		take_sample(r, &cur);
		report_stats_line(stderr, &r->prev, &cur, true);
		print_workers(r);
	}
	if (r->cfg->output.top_flows > 0)
		report_top_flows(stderr, "top flows (whole run, by bytes):", r->sink.top,
				 r->sink.top_n);
	ns_pipeline_destroy(r->pl);
	r->pl = NULL;
	return rc;
}

static int
finish(struct run_ctx *r)
{
	const struct ns_config *cfg = r->cfg;
	struct ns_capture_stats st;
	int rc = 0;

	fflush(stdout);
	if (finish_flows(r) < 0)
		rc = -1;
	if (anomaly_glue_finish(r->anomaly) < 0)
		rc = -1;
	ns_capture_stats(r->cap, &st);
	r->counters.filtered = st.filtered;
	r->counters.dropped = st.dropped + st.if_dropped;
	if (r->writer != NULL) {
		uint64_t lost;

		if (ns_pcap_writer_flush(r->writer) < 0 && r->write_errors_reported++ == 0)
			NS_LOG(ERR, "export", "writing %s failed: %s", cfg->capture.write_file,
			       strerror(errno));
		lost = ns_pcap_writer_errors(r->writer);
		if (ns_pcap_writer_close(r->writer) < 0 || lost != 0) {
			fprintf(stderr, "netscope: %s: %llu packets could not be written\n",
				cfg->capture.write_file, (unsigned long long)lost);
			rc = -1;
		}
	}
	ns_stats_print_summary(&r->counters, stderr);
	if (cfg->export.summary_json[0] != '\0') {
		bool to_stdout = strcmp(cfg->export.summary_json, "-") == 0;
		FILE *f = to_stdout ? stdout : fopen(cfg->export.summary_json, "w");
		int err = f == NULL ? errno : -ns_export_summary_json(&r->counters, f);

		/* a file system may report a failed write only at close (NFS quota) */
		if (f != NULL && !to_stdout && fclose(f) != 0 && err == 0)
			err = errno;
		if (err != 0) {
			fprintf(stderr, "netscope: cannot write '%s': %s\n",
				cfg->export.summary_json, strerror(err));
			rc = -1;
		}
	}
	return rc;
}

int
run_capture(const struct ns_config *cfg)
{
	const struct ns_config_capture *cc = &cfg->capture;
	struct ns_capture_params p = {
		.interface = cc->interface,
		.file = cc->read_file,
		.filter = cc->filter,
		.snaplen = cc->snaplen,
		.promisc = cc->promisc,
		.buffer_mb = cc->buffer_mb,
		.timeout_ms = cc->timeout_ms,
		.backend = cc->backend,
		.eal_args = cfg->dpdk.eal_args,
		.rx_desc = cfg->dpdk.rx_desc,
		.mbufs = cfg->dpdk.mbufs,
		.mbuf_cache = cfg->dpdk.mbuf_cache,
		.mbuf_size = cfg->dpdk.mbuf_size,
		.rss = cfg->dpdk.rss,
	};
	bool may_per_queue = (cfg->pipeline.enabled || cfg->pipeline.mode == NS_PIPELINE_MODE_PER_QUEUE) &&
			     cfg->pipeline.mode != NS_PIPELINE_MODE_DISPATCH;
	struct run_ctx r = { .cfg = cfg };
	struct ns_capture_info ci;
	char errbuf[NS_CAPTURE_ERRBUF] = "";
	int rc = NS_EXIT_OK;

	install_stop_early();
	/* per-queue mode wants one RX queue per worker, where the port lets us choose */
	if (may_per_queue) {
		p.queues = cfg->pipeline.workers;
		p.queues_up_to = true;
	}
	r.cap = ns_capture_open(&p, errbuf);
	if (r.cap == NULL) {
		/* EINVAL: the request itself is wrong (bad filter, EAL arguments, sizes) */
		rc = errno == EINVAL ? NS_EXIT_USAGE : NS_EXIT_RUNTIME;
		fprintf(stderr, "netscope: %s\n", errbuf);
		return rc;
	}
	r.linktype = ns_capture_linktype(r.cap);
	if (!ns_proto_linktype_supported(r.linktype))
		NS_LOG(WARNING, "capture", "link type %d (%s) is not decoded; frames are counted "
		       "as unsupported", r.linktype, ns_proto_linktype_name(r.linktype));
	r.print = run_prints_packets(cfg);
	/* a DPDK net_pcap rx_pcap= port replays a file: packet time, as with -r */
	ns_capture_get_info(r.cap, &ci);
	r.live = ci.live;
	if (choose_mode(&r) < 0) {
		ns_capture_close(r.cap);
		return NS_EXIT_USAGE;
	}
	r.prev.start_ns = r.prev.mono_ns = ns_time_mono_ns();
	r.next_stats_ns = r.prev.mono_ns + cfg->output.stats_interval * NS_NSEC_PER_SEC;
	if (anomaly_glue_create(cfg, r.print, r.live, r.workers, &r.anomaly) < 0) {
		ns_capture_close(r.cap);
		return NS_EXIT_RUNTIME;
	}
	if (cfg->web.linger && !cfg->web.enabled)
		NS_LOG(WARNING, "web", "--linger (web.linger) keeps the dashboard serving after the "
		       "capture; without --web there is none, so it does nothing");
	if (open_outputs(&r) < 0 ||
	    web_glue_create(cfg, r.cap, ci.backend, r.linktype, r.live, &r.web) < 0 ||
	    open_flows(&r) < 0) {
		web_glue_destroy(r.web);
		anomaly_glue_destroy(r.anomaly);
		ns_pcap_writer_close(r.writer);
		ns_capture_close(r.cap);
		return NS_EXIT_RUNTIME;
	}
	if (isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOLBF, 0);
	g_capture = r.cap;
	install_signals(cc->duration);
	if (g_stop)
		ns_capture_breakloop(r.cap); /* asked for while setting up */
	if (cc->interface[0] != '\0')
		NS_LOG(NOTICE, "capture", "listening on %s, link type %s, snapshot length %u",
		       cc->interface, ns_proto_linktype_name(r.linktype), ns_capture_snaplen(r.cap));
	{
		char mode[512];

		describe_mode(&r, mode, sizeof(mode));
		NS_LOG(INFO, "pipeline", "%s", mode);
	}
	if ((r.per_queue ? manage_loop(&r) : capture_loop(&r)) < 0)
		rc = NS_EXIT_RUNTIME;
	/* ending the flows and writing the exports takes time while the port stays open: what it
	 * misses from now on is not a drop of this capture */
	ns_capture_freeze_drops(r.cap);
	if (finish(&r) < 0)
		rc = NS_EXIT_RUNTIME;
	web_glue_alerts(r.web, anomaly_glue_engine(r.anomaly), true);
	web_glue_finish(r.web, &r.counters, &g_stop);
	anomaly_glue_destroy(r.anomaly);
	g_capture = NULL;
	ns_capture_close(r.cap);
	return rc;
}
