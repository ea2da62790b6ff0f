/* SPDX-License-Identifier: MIT */
/*
 * Wires the capture run to the dashboard (lib/web). Everything here runs on the capture
 * thread, which is also the management thread in this program, and costs the packet path one
 * clock read and one compare per packet at most: snapshots are published once per second of
 * capture time (reading a file) or wall time (live), packets are sampled by a token bucket, and
 * lib/web copies what it is given and never blocks.
 *
 * The chart's timeline is the capture's own: a replayed file charts the seconds it recorded,
 * however fast it is read, and a live capture charts wall time.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netscope.h"
#include "ns_core.h"
#include "ns_export.h"
#include "ns_web.h"
#include "web_glue.h"

/*
 * Flows the dashboard ranks: the table shows 50; 64 leaves room for its other sort orders
 * and matches the pipeline's per-worker snapshot limit.
 */
#define GLUE_TOP 64
/*
 * Inspector sampling: 100 packets per second on average, and at most 100 at once, so a
 * short capture file is kept whole and a busy link gives a steady trickle.
 */
#define GLUE_SAMPLE_RATE 100.0
/*
 * Alerts: the engine's recent list is read four times a second; the ids of the last 256
 * alerts seen (the engine's own default list length) tell new events from known ones.
 */
#define GLUE_ALERT_POLL_NS (250 * 1000 * 1000ULL)
#define GLUE_ALERTS 64
#define GLUE_ALERTS_SEEN 256

struct web_glue {
	struct ns_web *web;
	struct ns_capture *cap;
	bool live;
	bool linger;
	char url[128];

	/* timeline */
	uint64_t start_ts; /* first packet (file) or wall clock at start (live) */
	uint64_t max_ts; /* newest packet time seen */
	uint64_t next_sec_ns; /* file: start of the next second of capture time */
	uint64_t start_mono;
	uint64_t next_tick_mono;

	/* sampling */
	double tokens;
	uint64_t tokens_mono;

	/* from the last management step */
	struct ns_pipeline_worker_stats ws[NS_PIPELINE_WORKERS_MAX];
	struct ns_web_worker workers[NS_PIPELINE_WORKERS_MAX];
	unsigned n_workers;
	uint64_t flows_active;
	uint64_t flows_capacity;
	uint64_t drop_ring;
	uint64_t drop_table;

	struct ns_web_iface iface;
	char backend[16];

	/* alert ids already published and their last state */
	struct {
		uint64_t id;
		uint8_t state;
	} seen[GLUE_ALERTS_SEEN];
	unsigned seen_next;
	uint64_t next_alert_mono;
	struct ns_anomaly_alert alerts[GLUE_ALERTS];
	char alert_json[NS_WEB_ALERT_MAX +
			1]; /* the largest alert the dashboard takes, and a NUL */

	struct ns_flow_record live_top[GLUE_TOP];
	struct ns_flow_record run_top[GLUE_TOP]; /* largest ended flows of the run */
	unsigned run_top_n;
};

unsigned
web_glue_top_n(const struct ns_config *cfg)
{
	return cfg->web.enabled ? GLUE_TOP : 0;
}

/* The CPUs the process started with, before DPDK's EAL pinned the main thread to its lcore. */
static cpu_set_t start_cpus;
static bool have_start_cpus;

void
web_glue_note_cpus(void)
{
	have_start_cpus = sched_getaffinity(0, sizeof(start_cpus), &start_cpus) == 0;
}

int
web_glue_create(const struct ns_config *cfg, struct ns_capture *cap, const char *backend,
		int linktype, bool live, struct web_glue **out)
{
	const struct ns_config_web *wc = &cfg->web;
	struct ns_web_params p = {
		.listen = wc->listen,
		.token = wc->token,
		.allow_remote_without_token = wc->allow_remote_without_token,
		.max_connections = wc->max_connections,
		.max_request_kb = wc->max_request_kb,
		.cpus = have_start_cpus ? &start_cpus : NULL,
	};
	struct web_glue *g;
	char err[512];

	*out = NULL;
	if (!wc->enabled)
		return 0;
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		fprintf(stderr, "netscope: dashboard: out of memory\n");
		return -1;
	}
	g->web = ns_web_create(&p, err, sizeof(err));
	if (g->web == NULL) {
		fprintf(stderr, "netscope: dashboard: %s\n", err);
		free(g);
		return -1;
	}
	g->cap = cap;
	g->live = live;
	g->linger = wc->linger;
	g->start_mono = g->tokens_mono = ns_time_mono_ns();
	g->next_tick_mono = g->start_mono;
	g->tokens = GLUE_SAMPLE_RATE;
	if (live)
		g->start_ts = ns_time_now_ns();

	snprintf(g->backend, sizeof(g->backend), "%s", backend);
	/* a long file path is cut to what the dashboard shows, as valid UTF-8 */
	ns_web_name_copy(
		g->iface.name, sizeof(g->iface.name),
		cfg->capture.interface[0] != '\0' ? cfg->capture.interface : cfg->capture.read_file);
	snprintf(g->iface.kind, sizeof(g->iface.kind), "%s",
		 !live                             ? "file"
		 : strcmp(g->backend, "dpdk") == 0 ? "dpdk"
						   : "live");
	g->iface.linktype = linktype;
	g->iface.snaplen = ns_capture_snaplen(cap);
	g->n_workers = 1;

	ns_web_url(g->web, g->url, sizeof(g->url));
	fprintf(stderr, "dashboard: %s%s\n", g->url,
		wc->token[0] != '\0' ? " (API needs the web.token: ?token=... or a Bearer header)"
				     : "");
	*out = g;
	return 0;
}

/*
 * Capture-backend counters into the drop causes and the interface entry. For a DPDK port the
 * backend reports NIC misses (imissed + rx_nombuf) as dropped and ierrors as if_dropped; the
 * two causes of dropped are shown apart.
 */
static void
capture_counters(struct web_glue *g, struct ns_web_snapshot *s)
{
	struct ns_capture_stats cs;
	bool dpdk = strcmp(g->backend, "dpdk") == 0;

	memset(&cs, 0, sizeof(cs));
	ns_capture_stats(g->cap, &cs);
	if (dpdk) {
		s->drops[NS_WEB_DROP_NIC_MISSED] = cs.imissed;
		s->drops[NS_WEB_DROP_NIC_NOMBUF] = cs.rx_nombuf;
	} else {
		s->drops[NS_WEB_DROP_KERNEL] = cs.dropped;
	}
	s->drops[NS_WEB_DROP_INTERFACE] = cs.if_dropped;
	s->totals.filtered = cs.filtered;
	s->totals.dropped = cs.dropped + cs.if_dropped;
	g->iface.received = cs.received;
	g->iface.filtered = cs.filtered;
	g->iface.drops = cs.dropped + cs.if_dropped;
	g->iface.has_port_stats = dpdk;
	if (dpdk) {
		g->iface.port.ipackets = cs.received;
		g->iface.port.ibytes = cs.bytes;
		g->iface.port.imissed = cs.imissed;
		g->iface.port.ierrors = cs.if_dropped;
		g->iface.port.rx_nombuf = cs.rx_nombuf;
	}
}

static void
fill(struct web_glue *g, struct ns_web_snapshot *s, const struct ns_pkt_counters *c, uint64_t ts)
{
	memset(s, 0, sizeof(*s));
	s->ts_ns = ts;
	s->start_ts_ns = g->start_ts;
	s->uptime_ns = ns_time_mono_ns() - g->start_mono;
	snprintf(s->backend, sizeof(s->backend), "%s", g->backend);
	s->workers = g->n_workers;
	s->totals = *c;
	capture_counters(g, s);
	s->drops[NS_WEB_DROP_RING_FULL] = g->drop_ring;
	s->drops[NS_WEB_DROP_FLOW_TABLE_FULL] = g->drop_table;
	s->flows_active = g->flows_active;
	s->flows_capacity = g->flows_capacity;
	s->worker = g->workers;
	s->n_workers = g->n_workers;
	s->ifaces = &g->iface;
	s->n_ifaces = 1;
}

static void
sample(struct web_glue *g, const struct ns_frame *frames, unsigned n)
{
	uint64_t now = ns_time_mono_ns();

	g->tokens += (double)(now - g->tokens_mono) * GLUE_SAMPLE_RATE / 1e9;
	if (g->tokens > GLUE_SAMPLE_RATE)
		g->tokens = GLUE_SAMPLE_RATE;
	g->tokens_mono = now;
	for (unsigned i = 0; i < n && g->tokens >= 1.0; i++) {
		ns_web_publish_packet(g->web, frames[i].ts_ns, g->iface.linktype, frames[i].data,
				      frames[i].caplen, frames[i].wirelen);
		g->tokens -= 1.0;
	}
}

/* Reading a file: a snapshot at the first packet of every new second of capture time. */
static void
second_boundaries(struct web_glue *g, const struct ns_frame *frames, unsigned n,
		  const struct ns_pkt_counters *before)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t ts = frames[i].ts_ns;
		struct ns_web_snapshot s;
		struct ns_pkt_counters c;

		if (ts <= g->max_ts)
			continue;
		g->max_ts = ts;
		if (g->start_ts == 0) {
			g->start_ts = ts;
			g->next_sec_ns = (ts / NS_NSEC_PER_SEC + 1) * NS_NSEC_PER_SEC;
			continue;
		}
		if (ts < g->next_sec_ns)
			continue;
		g->next_sec_ns = (ts / NS_NSEC_PER_SEC + 1) * NS_NSEC_PER_SEC;
		/* the counters just before this packet */
		c = *before;
		c.packets += i;
		for (unsigned j = 0; j < i; j++)
			c.bytes += frames[j].wirelen;
		fill(g, &s, &c, ts);
		ns_web_publish_snapshot(g->web, &s);
	}
}

void
web_glue_burst(struct web_glue *g, const struct ns_frame *frames, unsigned n,
	       const struct ns_pkt_counters *before)
{
	if (g == NULL || n == 0)
		return;
	sample(g, frames, n);
	if (!g->live)
		second_boundaries(g, frames, n, before);
}

uint32_t
web_glue_sample_bytes(void)
{
	return NS_WEB_PKT_BYTES;
}

void
web_glue_sampled(struct web_glue *g, const struct ns_frame *frames, unsigned n)
{
	if (g == NULL)
		return;
	for (unsigned i = 0; i < n; i++) {
		ns_web_publish_packet(g->web, frames[i].ts_ns, g->iface.linktype, frames[i].data,
				      frames[i].caplen, frames[i].wirelen);
		/* a replay's timeline (pipeline.mode per-queue on a file: snapshots each second
		 * of wall time, stamped with the newest sampled packet) */
		if (g->start_ts == 0)
			g->start_ts = frames[i].ts_ns;
		g->max_ts = NS_MAX(g->max_ts, frames[i].ts_ns);
	}
}

static void
pipeline_counters(struct web_glue *g, struct ns_pipeline *pl)
{
	unsigned n = ns_pipeline_stats(pl, g->ws);

	g->n_workers = n;
	g->flows_active = g->flows_capacity = g->drop_ring = g->drop_table = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct ns_pipeline_worker_stats *w = &g->ws[i];
		uint64_t table = ns_pipeline_worker_table_drops(w);

		g->workers[i].packets = w->packets;
		g->workers[i].drops = w->ring_full + table;
		g->workers[i].flows_active = w->flow.active;
		g->workers[i].flows_created = w->flow.created;
		g->flows_active += w->flow.active;
		g->flows_capacity += w->mem.capacity;
		g->drop_ring += w->ring_full;
		g->drop_table += table;
	}
}

void
web_glue_tick(struct web_glue *g, const struct ns_pkt_counters *c, struct ns_pipeline *pl)
{
	struct ns_web_snapshot s;
	uint64_t now = ns_time_mono_ns();

	if (g == NULL || now < g->next_tick_mono)
		return;
	g->next_tick_mono = now + NS_NSEC_PER_SEC;
	/* a file before its first packet has no timeline yet */
	if (!g->live && g->max_ts == 0)
		return;
	if (pl != NULL)
		pipeline_counters(g, pl);
	else
		g->workers[0].packets = c->packets;
	fill(g, &s, c, g->live ? ns_time_now_ns() : g->max_ts);
	if (pl != NULL) {
		s.has_flows = true;
		s.flows = g->live_top;
		s.n_flows = ns_pipeline_top_n(pl, g->live_top, GLUE_TOP);
	}
	ns_web_publish_snapshot(g->web, &s);
}

static uint64_t
rec_bytes(const struct ns_flow_record *r)
{
	return r->bytes[NS_FLOW_TOSERVER] + r->bytes[NS_FLOW_TOCLIENT];
}

void
web_glue_records(struct web_glue *g, const struct ns_flow_record *recs, unsigned n)
{
	if (g == NULL)
		return;
	for (unsigned k = 0; k < n; k++) {
		const struct ns_flow_record *rec = &recs[k];
		unsigned i;

		/* interim records are deltas of a flow that goes on; its last record counts */
		if (rec->flags & NS_FLOW_REC_INTERIM)
			continue;
		if (g->run_top_n == GLUE_TOP &&
		    rec_bytes(rec) <= rec_bytes(&g->run_top[GLUE_TOP - 1]))
			continue;
		i = g->run_top_n < GLUE_TOP ? g->run_top_n++ : GLUE_TOP - 1;
		while (i > 0 && rec_bytes(&g->run_top[i - 1]) < rec_bytes(rec)) {
			g->run_top[i] = g->run_top[i - 1];
			i--;
		}
		g->run_top[i] = *rec;
	}
}

/*
 * Every alert up to NS_WEB_ALERT_MAX reaches the dashboard. A longer one is still handed
 * over with its full length, so that ns_web_publish_alert() refuses it without reading the
 * cut text and counts it in alerts_dropped instead of it vanishing here.
 */
static void
publish_alert(struct web_glue *g, const struct ns_anomaly_alert *a)
{
	int n = ns_export_alert_json(a, g->alert_json, sizeof(g->alert_json));

	if (n > 0)
		ns_web_publish_alert(g->web, g->alert_json, (size_t)n);
}

void
web_glue_alerts(struct web_glue *g, const struct ns_anomaly_engine *e, bool now)
{
	uint64_t mono;
	unsigned n;

	if (g == NULL || e == NULL)
		return;
	mono = ns_time_mono_ns();
	if (!now && mono < g->next_alert_mono)
		return;
	g->next_alert_mono = mono + GLUE_ALERT_POLL_NS;
	n = ns_anomaly_engine_alerts(e, g->alerts, GLUE_ALERTS);
	/* oldest first, so the dashboard's list ends up newest first */
	while (n-- > 0) {
		const struct ns_anomaly_alert *a = &g->alerts[n];
		unsigned i;

		for (i = 0; i < GLUE_ALERTS_SEEN && g->seen[i].id != a->id; i++)
			;
		if (i == GLUE_ALERTS_SEEN) {
			/* new: shown in whatever state it has reached */
			i = g->seen_next++ % GLUE_ALERTS_SEEN;
			g->seen[i].id = a->id;
			g->seen[i].state = a->state;
			publish_alert(g, a);
		} else if (a->state == NS_ANOMALY_CLEARED &&
			   g->seen[i].state != NS_ANOMALY_CLEARED) {
			/* updates only refresh numbers; a clear is news */
			g->seen[i].state = a->state;
			publish_alert(g, a);
		}
	}
}

/* Wait for SIGINT/SIGTERM without missing one that lands between the check and the wait. */
static void
wait_for_stop(volatile sig_atomic_t *stop)
{
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	while (!*stop)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void
web_glue_finish(struct web_glue *g, const struct ns_pkt_counters *c, volatile sig_atomic_t *stop)
{
	struct ns_web_snapshot s;

	if (g == NULL)
		return;
	/* The tables are flushed: every flow is now an ended record. */
	g->flows_active = 0;
	for (unsigned i = 0; i < g->n_workers; i++)
		g->workers[i].flows_active = 0;
	fill(g, &s, c, g->live ? ns_time_now_ns() : g->max_ts);
	s.final = true;
	s.has_flows = true;
	s.flows = g->run_top;
	s.n_flows = g->run_top_n;
	/* the last snapshot must arrive: give the web thread a moment if it is behind */
	for (int i = 0; i < 100 && ns_web_publish_snapshot(g->web, &s) == -EAGAIN; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	if (g->linger && !*stop) {
		fprintf(stderr,
			"netscope: capture finished; dashboard still serving at %s "
			"(Ctrl-C to stop)\n",
			g->url);
		wait_for_stop(stop);
	}
	web_glue_destroy(g);
}

void
web_glue_destroy(struct web_glue *g)
{
	if (g == NULL)
		return;
	ns_web_destroy(g->web);
	free(g);
}
