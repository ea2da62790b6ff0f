/* SPDX-License-Identifier: MIT */
/*
 * netscope: packet capture and flow analysis. main() turns argv into a configuration, runs
 * the requested action and owns the exit status (0 ok, 1 runtime error, 2 usage/config).
 */
#include <stdio.h>
#include <string.h>

#include "netscope.h"
#include "ns_build_config.h"
#include "ns_capture.h"
#include "ns_core.h"

static enum ns_log_level
log_level_from(const char *name)
{
	static const char *const names[] = { "error", "warning", "notice", "info", "debug" };

	for (unsigned i = 0; i < NS_ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0)
			return (enum ns_log_level)i;
	return NS_LOG_NOTICE;
}

/* pcap interfaces, plus DPDK ports when --backend dpdk, --dpdk-args or -i name DPDK */
static int
list_interfaces(const struct ns_config *cfg)
{
	struct ns_capture_params p = {
		.interface = cfg->capture.interface,
		.backend = cfg->capture.backend,
		.eal_args = cfg->dpdk.eal_args,
	};
	char errbuf[NS_CAPTURE_ERRBUF] = "";
	int n = ns_capture_list(stdout, &p, errbuf);

	if (n < 0) {
		fprintf(stderr, "netscope: %s\n", errbuf);
		return NS_EXIT_RUNTIME;
	}
	if (n == 0)
		fprintf(stderr, "netscope: no capture interfaces found (live capture needs "
				"CAP_NET_RAW: try sudo)\n");
	return NS_EXIT_OK;
}

int
main(int argc, char **argv)
{
	static struct ns_config cfg; /* large: keep it off the stack */
	int action = cli_parse(argc, argv, &cfg);

	if (action < 0)
		return NS_EXIT_USAGE;
	ns_log_set_level(log_level_from(cfg.output.log_level));
	switch (action) {
	case CLI_HELP:
		cli_usage(stdout);
		return NS_EXIT_OK;
	case CLI_VERSION:
		printf("netscope %s\n", NS_VERSION);
		return NS_EXIT_OK;
	case CLI_LIST_INTERFACES:
		return list_interfaces(&cfg);
	case CLI_CHECK_CONFIG:
		printf("configuration OK\n");
		return NS_EXIT_OK;
	case CLI_DUMP_CONFIG:
		ns_config_dump(&cfg, stdout);
		return NS_EXIT_OK;
	default:
		return run_capture(&cfg);
	}
}
