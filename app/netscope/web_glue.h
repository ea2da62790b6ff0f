/* SPDX-License-Identifier: MIT */
/*
 * The capture run's side of the dashboard (web_glue.c): start lib/web when web.enabled, feed
 * it snapshots, sampled packets and ended flows from the capture thread, and keep it serving
 * after a file ends with --linger. Every function accepts a NULL glue and then does nothing, so
 * run.c calls them unconditionally.
 */
#ifndef WEB_GLUE_H
#define WEB_GLUE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "ns_anomaly.h"
#include "ns_capture.h"
#include "ns_config.h"
#include "ns_flow.h"
#include "ns_pipeline.h"
#include "ns_stats.h"

struct web_glue;

/* Remember the CPUs the process may run on, before anything (DPDK's EAL) pins the main thread:
 * the dashboard's thread gets them all (ns_web_params.cpus). Call first in main(). */
void web_glue_note_cpus(void);

/**
 * Start the dashboard when cfg->web.enabled (else *@out = NULL) for a capture from @cap
 * (@backend "pcap" or "dpdk"; @live: an interface, not a file). Prints its URL on stderr.
 * Returns 0, or -1 after printing why it could not start (address in use, ...).
 */
int web_glue_create(const struct ns_config *cfg, struct ns_capture *cap, const char *backend,
		    int linktype, bool live, struct web_glue **out);

/** Top-N the pipeline's workers should keep for the dashboard (0 when it is off). */
unsigned web_glue_top_n(const struct ns_config *cfg);

/**
 * Per burst, before @frames are counted into @before: sample packets for the inspector and,
 * reading a file, publish a snapshot whenever the packets cross into a new second.
 */
void web_glue_burst(struct web_glue *g, const struct ns_frame *frames, unsigned n,
		    const struct ns_pkt_counters *before);

/**
 * Frames the per-queue workers sampled (already rate-limited): to the inspector as they are.
 * The frames' data must hold web_glue_sample_bytes() bytes (or caplen, if less).
 */
void web_glue_sampled(struct web_glue *g, const struct ns_frame *frames, unsigned n);

/** Bytes of a frame the inspector keeps. */
uint32_t web_glue_sample_bytes(void);

/** Management step: once a second of wall time, a snapshot with top flows from @pl. */
void web_glue_tick(struct web_glue *g, const struct ns_pkt_counters *c, struct ns_pipeline *pl);

/** Ended flow records (the pipeline's sink): the run's largest flows for the final view. */
void web_glue_records(struct web_glue *g, const struct ns_flow_record *recs, unsigned n);

/**
 * Alerts from the anomaly engine @e (NULL: none): every alert raised or cleared since the last
 * call goes to the dashboard as the alert export's JSON object. Looks at most four times a
 * second unless @now (the end of the input).
 */
void web_glue_alerts(struct web_glue *g, const struct ns_anomaly_engine *e, bool now);

/**
 * The capture is over (@c are the final totals): publish the final snapshot, and with --linger
 * keep serving until *@stop is set by SIGINT/SIGTERM; then stop the dashboard and free @g.
 */
void web_glue_finish(struct web_glue *g, const struct ns_pkt_counters *c,
		     volatile sig_atomic_t *stop);

/** Stop the dashboard and free @g without a final snapshot (start-up failed elsewhere). */
void web_glue_destroy(struct web_glue *g);

#endif /* WEB_GLUE_H */
