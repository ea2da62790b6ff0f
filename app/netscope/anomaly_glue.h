/* SPDX-License-Identifier: MIT */
/*
 * The capture run's side of anomaly detection (anomaly_glue.c): with --anomalies (or
 * --export-alerts) one shard per flow worker counts the parsed bursts (as a pipeline stage) and
 * the engine runs on packet time in the management step; alert events become terminal lines
 * (unless --quiet) and JSON lines. Every function accepts a NULL glue and then does nothing,
 * so run.c calls them unconditionally.
 */
#ifndef ANOMALY_GLUE_H
#define ANOMALY_GLUE_H

#include <stdbool.h>
#include <stdint.h>

#include "ns_anomaly.h"
#include "ns_config.h"
#include "ns_pipeline.h"
#include "ns_proto.h"

struct anomaly_glue;

/** True when the configuration asks for detection (anomaly.enabled or an alerts file). */
bool anomaly_glue_wanted(const struct ns_config *cfg);

/**
 * Start detection when anomaly_glue_wanted() (else *@out = NULL), one shard per flow worker.
 * @print: alert lines go to stdout. @live: an idle link still moves the clock (wall time).
 * Returns 0, or -1 after printing why (the alerts file cannot be opened, no memory).
 */
int anomaly_glue_create(const struct ns_config *cfg, bool print, bool live, unsigned workers,
			struct anomaly_glue **out);

/** Fill the pipeline stage that feeds the shards (on each worker's thread). */
void anomaly_glue_stage(struct anomaly_glue *g, struct ns_pipeline_stage *stage);

/** Management step at packet time @now_ns: merge finished slots, decide, report. */
void anomaly_glue_tick(struct anomaly_glue *g, uint64_t now_ns);

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
