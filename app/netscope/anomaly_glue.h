/* SPDX-License-Identifier: MIT */
/*
 * The capture run's side of anomaly detection (anomaly_glue.c): with --anomalies (or
 * --export-alerts) one shard counts the parsed bursts in the capture thread and the engine
 * runs on packet time right after; alert events become terminal lines (unless --quiet) and
 * JSON lines. Every function accepts a NULL glue and then does nothing, so run.c calls them
 * unconditionally.
 */
#ifndef ANOMALY_GLUE_H
#define ANOMALY_GLUE_H

#include <stdbool.h>
#include <stdint.h>

#include "ns_anomaly.h"
#include "ns_config.h"
#include "ns_proto.h"

struct anomaly_glue;

/**
 * Start detection when anomaly.enabled or export.alerts_file is set (else *@out = NULL).
 * @print: alert lines go to stdout. @live: an idle link still moves the clock (wall time).
 * Returns 0, or -1 after printing why (the alerts file cannot be opened, no memory).
 */
int anomaly_glue_create(const struct ns_config *cfg, bool print, bool live,
			struct anomaly_glue **out);

/** A parsed burst with its capture times (frame data still valid): count, decide, report. */
void anomaly_glue_burst(struct anomaly_glue *g, const struct ns_pkt *pkts, const uint64_t *ts,
			unsigned n);

/** Management step: on a quiet live link, move the clock so alerts clear on time. */
void anomaly_glue_tick(struct anomaly_glue *g);

/**
 * End of input: evaluate what is left, clear the alerts still active, close the alerts file
 * and report caps that were hit. Returns 0, or -1 when alert lines could not be written.
 */
int anomaly_glue_finish(struct anomaly_glue *g);

/** The engine, for the dashboard's alert list (ns_anomaly_engine_alerts()); NULL when off. */
const struct ns_anomaly_engine *anomaly_glue_engine(const struct anomaly_glue *g);

/** Free everything. */
void anomaly_glue_destroy(struct anomaly_glue *g);

#endif /* ANOMALY_GLUE_H */
