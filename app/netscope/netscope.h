/* SPDX-License-Identifier: MIT */
/*
 * The netscope program's internal interface: command-line parsing into a config and the
 * capture run. Exit codes live here so every path agrees on them.
 */
#ifndef NETSCOPE_H
#define NETSCOPE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ns_config.h"

enum ns_exit {
	NS_EXIT_OK = 0,
	NS_EXIT_RUNTIME = 1, /* the capture could not run or failed while running */
	NS_EXIT_USAGE = 2,   /* bad flags, bad configuration */
};

enum cli_action {
	CLI_RUN = 0,
	CLI_HELP,
	CLI_VERSION,
	CLI_LIST_INTERFACES,
	CLI_CHECK_CONFIG,
	CLI_DUMP_CONFIG,
};

/**
 * Build the effective configuration from defaults, --config files and the command line (in
 * that order of precedence). Returns the action to take, or -1 after printing an error.
 */
int cli_parse(int argc, char **argv, struct ns_config *cfg);

/** Print the usage text. */
void cli_usage(FILE *out);

/* One sample of the running totals, for rates over an interval. */
struct report_sample {
	uint64_t start_ns; /* monotonic time the run started */
	uint64_t mono_ns;  /* monotonic time of this sample */
	uint64_t packets;
	uint64_t bytes;
	uint64_t flows_active;
	uint64_t flows_created;
	uint64_t drop_kernel; /* kernel / NIC drops */
	uint64_t drop_ring;   /* worker rings full */
	uint64_t drop_table;  /* flows refused or evicted for lack of room */
};

struct ns_flow_record;

/** Print one --stats line: rates between @prev and @cur, or averages over the run (@final). */
void report_stats_line(FILE *out, const struct report_sample *prev, const struct report_sample *cur,
		       bool final);

/** Print the --top-flows table. */
void report_top_flows(FILE *out, const char *title, const struct ns_flow_record *recs, unsigned n);

/**
 * Run a capture with @cfg (checked by main's check_at_start()) until the source ends,
 * -c/--duration is reached or a signal.
 */
int run_capture(const struct ns_config *cfg);

/** Whether a run prints a line per packet on stdout (not -q, and no output goes there). */
bool run_prints_packets(const struct ns_config *cfg);

/**
 * Whether the configuration alone rules out pipeline.mode per-queue; if so, @why (@len bytes)
 * says why. The port's queues and lcores are checked when it is open.
 */
bool run_per_queue_why_not(const struct ns_config *cfg, char *why, size_t len);

#endif /* NETSCOPE_H */
