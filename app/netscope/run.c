/* SPDX-License-Identifier: MIT */
/*
 * The single-threaded capture run: read bursts from the backend, parse, count, print one line
 * per packet, write the pcap copy; on exit print the summary. Stops at the end of a file, at
 * -c COUNT, after --duration, or on SIGINT/SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netscope.h"
#include "ns_capture.h"
#include "ns_core.h"
#include "ns_export.h"
#include "ns_proto.h"
#include "ns_stats.h"

#define BURST_MAX 512

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

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocked read must return so the loop sees the stop. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

struct run_ctx {
	const struct ns_config *cfg;
	struct ns_capture *cap;
	struct ns_pcap_writer *writer;
	struct ns_pkt_counters counters;
	int linktype;
	bool print;
	uint64_t write_errors_reported;
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
	for (unsigned i = 0; i < n; i++) {
		const struct ns_frame *f = &frames[i];
		struct ns_pkt pkt;

		ns_parse(r->linktype, f->data, f->caplen, f->wirelen, &pkt);
		ns_stats_count_pkt(&r->counters, &pkt);
		if (r->print)
			print_packet(f, &pkt);
		if (r->writer != NULL)
			write_packet(r, f);
	}
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

static int
finish(struct run_ctx *r)
{
	const struct ns_config *cfg = r->cfg;
	struct ns_capture_stats st;
	int rc = 0;

	fflush(stdout);
	ns_capture_stats(r->cap, &st);
	r->counters.filtered = st.filtered;
	r->counters.dropped = st.dropped + st.if_dropped;
	if (r->writer != NULL) {
		uint64_t lost = ns_pcap_writer_errors(r->writer);

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

		if (f == NULL || ns_export_summary_json(&r->counters, f) < 0) {
			fprintf(stderr, "netscope: cannot write '%s': %s\n", cfg->export.summary_json,
				strerror(errno));
			rc = -1;
		}
		if (f != NULL && !to_stdout)
			fclose(f);
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
	};
	struct run_ctx r = { .cfg = cfg };
	char errbuf[NS_CAPTURE_ERRBUF] = "";
	int rc = NS_EXIT_OK;

	if (cc->interface[0] == '\0' && cc->read_file[0] == '\0') {
		fprintf(stderr, "netscope: no capture source: give -i IFACE or -r FILE "
				"(netscope -D lists interfaces)\n");
		return NS_EXIT_USAGE;
	}
	r.cap = ns_capture_open(&p, errbuf);
	if (r.cap == NULL) {
		fprintf(stderr, "netscope: %s\n", errbuf);
		return NS_EXIT_RUNTIME;
	}
	r.linktype = ns_capture_linktype(r.cap);
	if (!ns_proto_linktype_supported(r.linktype))
		NS_LOG(WARNING, "capture", "link type %d (%s) is not decoded; frames are counted "
		       "as unsupported", r.linktype, ns_proto_linktype_name(r.linktype));
	/* "-w -" puts the pcap on stdout, which packet lines would corrupt. */
	r.print = !cfg->output.quiet && strcmp(cc->write_file, "-") != 0 &&
		  strcmp(cfg->export.summary_json, "-") != 0;
	if (open_outputs(&r) < 0) {
		ns_capture_close(r.cap);
		return NS_EXIT_RUNTIME;
	}
	if (isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOLBF, 0);
	g_capture = r.cap;
	install_signals();
	if (cc->interface[0] != '\0')
		NS_LOG(NOTICE, "capture", "listening on %s, link type %s, snapshot length %u",
		       cc->interface, ns_proto_linktype_name(r.linktype), ns_capture_snaplen(r.cap));
	if (capture_loop(&r) < 0)
		rc = NS_EXIT_RUNTIME;
	if (finish(&r) < 0)
		rc = NS_EXIT_RUNTIME;
	g_capture = NULL;
	ns_capture_close(r.cap);
	return rc;
}
