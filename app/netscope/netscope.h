/* SPDX-License-Identifier: MIT */
/*
 * The netscope program's internal interface: command-line parsing into a config and the
 * capture run. Exit codes live here so every path agrees on them.
 */
#ifndef NETSCOPE_H
#define NETSCOPE_H

#include <stdbool.h>

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

/** Run a capture with @cfg until the source ends, -c/--duration is reached or a signal. */
int run_capture(const struct ns_config *cfg);

#endif /* NETSCOPE_H */
