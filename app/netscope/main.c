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
#include "ns_export.h"
#include "web_glue.h"

static enum ns_log_level
log_level_from(const char *name)
{
	static const char *const names[] = { "error", "warning", "notice", "info", "debug" };

	for (unsigned i = 0; i < NS_ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0)
			return (enum ns_log_level)i;
	return NS_LOG_NOTICE;
}

/* The version and the capture backends built in: what a pcap-only build can do shows here. */
static void
print_version(void)
{
	const char *name;

	printf("netscope %s (capture backends:", NS_VERSION);
	for (unsigned i = 0; (name = ns_capture_backend_name(i)) != NULL; i++)
		printf("%s %s", i == 0 ? "" : ",", name);
	printf(")\n");
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

/* Whether the configuration names a capture source (-i or -r). */
static bool
has_source(const struct ns_config *cfg)
{
	return cfg->capture.interface[0] != '\0' || cfg->capture.read_file[0] != '\0';
}

/*
 * What a run would refuse only once started, checked before it starts (and by --check-config,
 * so that a configuration it passes is one a run starts with, given a capture source): an
 * explicit pipeline.mode per-queue that the configuration alone rules out, a flow export whose
 * format its name does not tell. Returns 0, or prints the error naming the key and returns -1.
 */
static int
check_at_start(const struct ns_config *cfg)
{
	const char *f = cfg->export.flows_file;
	char why[256];

	if (cfg->pipeline.mode == NS_PIPELINE_MODE_PER_QUEUE &&
	    run_per_queue_why_not(cfg, why, sizeof(why))) {
		fprintf(stderr, "netscope: key 'pipeline.mode': per-queue cannot run: %s\n", why);
		return -1;
	}

	if (f[0] != '\0' && cfg->export.flows_format == NS_EXPORT_FMT_AUTO &&
	    ns_flow_export_format_from_path(f) == NS_FLOW_EXPORT_AUTO) {
		fprintf(stderr,
			"netscope: key 'export.flows_file': cannot tell the format of '%s' from its "
			"name; name it .json, .jsonl or .csv, or set export.flows_format\n",
			f);
		return -1;
	}
	return 0;
}

/*
 * --check-config's filter check: the source's link type is not known before it is opened, so
 * the filter must compile for at least one link type NetScope decodes (a syntax error fails
 * them all; "ether host" fails only where a source has no Ethernet header, which the run
 * reports against the real one).
 */
static int
check_filter(const struct ns_config *cfg)
{
	static const int links[] = { NS_LINK_EN10MB, NS_LINK_LINUX_SLL, NS_LINK_LINUX_SLL2,
				     NS_LINK_RAW, NS_LINK_NULL };
	char err[NS_CAPTURE_ERRBUF], first[NS_CAPTURE_ERRBUF] = "";

	if (cfg->capture.filter[0] == '\0')
		return 0;
	for (size_t i = 0; i < NS_ARRAY_SIZE(links); i++) {
		if (ns_capture_filter_check(cfg->capture.filter, links[i], 262144, err) == 0)
			return 0;
		if (i == 0)
			snprintf(first, sizeof(first), "%s", err);
	}
	fprintf(stderr, "netscope: key 'capture.filter': %s\n", first);
	return -1;
}

int
main(int argc, char **argv)
{
	static struct ns_config cfg; /* large: keep it off the stack */
	int action;

	web_glue_note_cpus();
	action = cli_parse(argc, argv, &cfg);

	if (action < 0)
		return NS_EXIT_USAGE;
	ns_log_set_level(log_level_from(cfg.output.log_level));
	switch (action) {
	case CLI_HELP:
		cli_usage(stdout);
		return NS_EXIT_OK;
	case CLI_VERSION:
		print_version();
		return NS_EXIT_OK;
	case CLI_LIST_INTERFACES:
		return list_interfaces(&cfg);
	case CLI_CHECK_CONFIG:
		if (check_at_start(&cfg) < 0 || check_filter(&cfg) < 0)
			return NS_EXIT_USAGE;
		/* a file may leave the source to each run's command line */
		printf("configuration OK%s\n",
		       has_source(&cfg) ? "" : " (a run also needs a source: -i IFACE or -r FILE)");
		return NS_EXIT_OK;
	case CLI_DUMP_CONFIG:
		ns_config_dump(&cfg, stdout);
		return NS_EXIT_OK;
	default:
		if (!has_source(&cfg)) {
			fprintf(stderr, "netscope: no capture source: give -i IFACE or -r FILE "
					"(netscope -D lists interfaces)\n");
			return NS_EXIT_USAGE;
		}
		if (check_at_start(&cfg) < 0)
			return NS_EXIT_USAGE;
		return run_capture(&cfg);
	}
}
