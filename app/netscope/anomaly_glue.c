/* SPDX-License-Identifier: MIT */
/*
 * Wires lib/anomaly into the capture run: one anomaly shard per flow worker, fed by the
 * pipeline's stage hooks on the worker's thread (the capture thread when single-threaded), and
 * the engine on the management side, ticked on packet time, so a capture file replays to the
 * same alerts with one worker or several. Alert events go to stdout as one line each (raised
 * and cleared; updates only to the JSON lines) and, with --export-alerts, to the JSON lines file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly_glue.h"
#include "ns_core.h"
#include "ns_export.h"

/* Pointers handed to the shard per call; bursts are split into chunks of this many. */
#define GLUE_CHUNK 64
/* Events taken from the engine per poll. */
#define GLUE_EVENTS 16
/*
 * A live capture's packets reach us up to a read timeout plus buffering after their
 * timestamp; on an idle link the clock follows wall time this far behind, so a late packet
 * never lands in a slot that was already closed.
 */
#define LIVE_LAG_NS NS_NSEC_PER_SEC

struct anomaly_glue {
	struct ns_anomaly_shard *shard[NS_PIPELINE_WORKERS_MAX];
	unsigned shards;
	struct ns_anomaly_engine *engine;
	struct ns_alert_writer *writer;
	const char *alerts_path;
	bool print;
	bool live;
	uint64_t now; /* management's packet time for the engine */
	uint64_t write_errors_reported;
	uint64_t raised[NS_ANOMALY_SIGNATURE_MAX];
};

static void
params_from(const struct ns_config_anomaly *c, struct ns_anomaly_params *p)
{
	ns_anomaly_params_init(p);
	p->syn_rate = c->syn_flood.rate;
	p->syn_ratio = c->syn_flood.ratio;
	p->syn_window_s = c->syn_flood.window;
	p->scan_ports = c->port_scan.ports;
	p->scan_hosts = c->port_scan.hosts;
	p->scan_window_s = c->port_scan.window;
	p->max_sources = c->max_sources;
	p->clear_after_s = c->clear_after;
}

bool
anomaly_glue_wanted(const struct ns_config *cfg)
{
	/* --export-alerts without --anomalies would write an empty file: it implies them. */
	return cfg->anomaly.enabled || cfg->export.alerts_file[0] != '\0';
}

int
anomaly_glue_create(const struct ns_config *cfg, bool print, bool live, unsigned workers,
		    struct anomaly_glue **out)
{
	struct ns_anomaly_params p;
	struct anomaly_glue *g;

	*out = NULL;
	if (!anomaly_glue_wanted(cfg))
		return 0;
	params_from(&cfg->anomaly, &p);
	p.shards = workers;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		goto nomem;
	g->print = print;
	g->live = live;
	g->engine = ns_anomaly_engine_create(&p);
	if (g->engine == NULL)
		goto nomem;
	for (g->shards = 0; g->shards < workers; g->shards++) {
		struct ns_anomaly_shard *sh = ns_anomaly_shard_create(&p);

		if (sh == NULL)
			goto nomem;
		g->shard[g->shards] = sh;
		if (ns_anomaly_engine_attach(g->engine, sh) < 0) {
			g->shards++;
			goto nomem;
		}
	}
	if (cfg->export.alerts_file[0] != '\0') {
		g->alerts_path = cfg->export.alerts_file;
		g->writer = ns_alert_writer_open(g->alerts_path);
		if (g->writer == NULL) {
			fprintf(stderr, "netscope: cannot write alerts to '%s': %s\n",
				g->alerts_path, strerror(errno));
			anomaly_glue_destroy(g);
			return -1;
		}
	}
	NS_LOG(INFO, "anomaly",
	       "SYN flood: > %g SYN/s and < %g completed over %u s; port scan: "
	       ">= %u ports or >= %u hosts in %u s; %u keys per slot table",
	       p.syn_rate, p.syn_ratio, p.syn_window_s, p.scan_ports, p.scan_hosts, p.scan_window_s,
	       p.max_sources);
	*out = g;
	return 0;
nomem:
	fprintf(stderr, "netscope: cannot start anomaly detection (%u keys per table): %s\n",
		cfg->anomaly.max_sources, strerror(errno != 0 ? errno : ENOMEM));
	anomaly_glue_destroy(g);
	return -1;
}

static void
report(struct anomaly_glue *g, const struct ns_anomaly_alert *a)
{
	char line[512];
	int rc;

	if (a->state == NS_ANOMALY_RAISED && a->signature < NS_ANOMALY_SIGNATURE_MAX)
		g->raised[a->signature]++;
	if (g->print && a->state != NS_ANOMALY_UPDATE) {
		ns_anomaly_alert_format(a, line, sizeof(line));
		printf("%s\n", line);
	}
	if (g->writer != NULL && (rc = ns_alert_writer_write(g->writer, a)) < 0 &&
	    g->write_errors_reported++ == 0)
		NS_LOG(ERR, "export",
		       "writing %s failed: %s; detection continues, lost alert "
		       "lines are counted",
		       g->alerts_path, strerror(-rc));
}

static void
drain_events(struct anomaly_glue *g)
{
	struct ns_anomaly_alert ev[GLUE_EVENTS];
	unsigned n;

	while ((n = ns_anomaly_engine_poll(g->engine, ev, GLUE_EVENTS)) > 0)
		for (unsigned i = 0; i < n; i++)
			report(g, &ev[i]);
}

/* Worker side (pipeline stage hooks): count a burst in that worker's shard. */
static void
stage_burst(void *arg, unsigned worker, const struct ns_pkt *pkts, const uint64_t *ts,
	    unsigned n)
{
	struct anomaly_glue *g = arg;
	const struct ns_pkt *ptr[GLUE_CHUNK];

	for (unsigned base = 0; base < n; base += GLUE_CHUNK) {
		unsigned m = NS_MIN(n - base, (unsigned)GLUE_CHUNK);

		for (unsigned i = 0; i < m; i++)
			ptr[i] = &pkts[base + i];
		ns_anomaly_shard_observe_burst(g->shard[worker], ptr, ts + base, m);
	}
}

/* Worker side: on a quiet live link the shard's clock follows wall time, a little behind. */
static void
stage_idle(void *arg, unsigned worker, uint64_t now_ns)
{
	struct anomaly_glue *g = arg;

	if (g->live && now_ns > LIVE_LAG_NS)
		ns_anomaly_shard_advance(g->shard[worker], now_ns - LIVE_LAG_NS);
}

static void
stage_finish(void *arg, unsigned worker)
{
	struct anomaly_glue *g = arg;

	ns_anomaly_shard_flush(g->shard[worker]);
}

void
anomaly_glue_stage(struct anomaly_glue *g, struct ns_pipeline_stage *stage)
{
	if (g == NULL)
		return;
	stage->burst = stage_burst;
	stage->idle = stage_idle;
	stage->finish = stage_finish;
	stage->arg = g;
}

void
anomaly_glue_tick(struct anomaly_glue *g, uint64_t now_ns)
{
	if (g == NULL)
		return;
	if (g->live) {
		uint64_t wall = ns_time_now_ns();

		if (wall > LIVE_LAG_NS)
			now_ns = NS_MAX(now_ns, wall - LIVE_LAG_NS);
	}
	g->now = NS_MAX(g->now, now_ns);
	if (ns_anomaly_engine_tick(g->engine, g->now) > 0)
		drain_events(g);
}

int
anomaly_glue_finish(struct anomaly_glue *g)
{
	struct ns_anomaly_stats st;
	char caps[256] = "";
	size_t used = 0;
	int rc = 0;

	if (g == NULL)
		return 0;
	/* the pipeline's finish flushed every shard (stage_finish) on its worker */
	ns_anomaly_engine_finish(g->engine, g->now);
	drain_events(g);
	if (g->print)
		fflush(stdout);
	ns_anomaly_engine_stats(g->engine, &st);
	for (unsigned i = 0; i < NS_ANOMALY_C_MAX; i++) {
		const char *name = ns_anomaly_counter_name(i);

		if (st.c[i] == 0 ||
		    (strstr(name, "full") == NULL && strstr(name, "dropped") == NULL &&
		     strstr(name, "stalled") == NULL && strstr(name, "capped") == NULL))
			continue;
		used += (size_t)snprintf(caps + used, used < sizeof(caps) ? sizeof(caps) - used : 0,
					 "%s anomaly_%s %llu", used > 0 ? "," : "", name,
					 (unsigned long long)st.c[i]);
		if (used >= sizeof(caps))
			break;
	}
	fprintf(stderr, "anomalies: %llu alerts raised (%llu syn_flood, %llu port_scan)\n",
		(unsigned long long)(g->raised[NS_ANOMALY_SYN_FLOOD] +
				     g->raised[NS_ANOMALY_PORT_SCAN]),
		(unsigned long long)g->raised[NS_ANOMALY_SYN_FLOOD],
		(unsigned long long)g->raised[NS_ANOMALY_PORT_SCAN]);
	if (caps[0] != '\0')
		NS_LOG(WARNING, "anomaly",
		       "limits were hit, some state was not kept (raise "
		       "anomaly.max_sources):%s",
		       caps);
	if (g->writer != NULL) {
		uint64_t lost = ns_alert_writer_errors(g->writer);

		if (ns_alert_writer_close(g->writer) < 0 || lost != 0) {
			fprintf(stderr, "netscope: %s: %llu alert lines could not be written\n",
				g->alerts_path, (unsigned long long)lost);
			rc = -1;
		}
		g->writer = NULL;
	}
	return rc;
}

const struct ns_anomaly_engine *
anomaly_glue_engine(const struct anomaly_glue *g)
{
	return g != NULL ? g->engine : NULL;
}

void
anomaly_glue_destroy(struct anomaly_glue *g)
{
	if (g == NULL)
		return;
	ns_alert_writer_close(g->writer);
	/* the engine first: tables it holds belong to the shard */
	ns_anomaly_engine_destroy(g->engine);
	for (unsigned i = 0; i < g->shards; i++)
		ns_anomaly_shard_destroy(g->shard[i]);
	free(g);
}
