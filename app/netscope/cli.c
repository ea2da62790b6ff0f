/* SPDX-License-Identifier: MIT */
/*
 * Command line -> struct ns_config. Every value flag is a shorthand for one config key and goes
 * through the same setter and validation as the YAML file and --set, so "-s 0" and
 * "--set capture.snaplen=..." are checked identically and errors name the flag.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netscope.h"
#include "ns_core.h"

enum {
	OPT_CONFIG = 256,
	OPT_SET,
	OPT_CHECK_CONFIG,
	OPT_DUMP_CONFIG,
	OPT_VERSION,
	OPT_SUMMARY_JSON,
	OPT_DURATION,
	OPT_STATS,
	OPT_TOP_FLOWS,
	OPT_EXPORT_FLOWS,
	OPT_PIPELINE,
	OPT_WORKERS,
	OPT_PIPELINE_MODE,
	OPT_WEB,
	OPT_LINGER,
	OPT_ANOMALIES,
	OPT_EXPORT_ALERTS,
	OPT_BACKEND,
	OPT_DPDK_ARGS,
};

/* Flags that set one config key. value == NULL means the flag takes an argument. */
struct cli_key_opt {
	const char *name;
	int val;
	const char *arg;
	const char *key;
	const char *value;
	const char *help;
};

static const struct cli_key_opt key_opts[] = {
	{ "interface", 'i', "IFACE", "capture.interface", NULL, "capture live on IFACE" },
	{ "read", 'r', "FILE", "capture.read_file", NULL,
	  "read packets from a pcap or pcapng FILE ('-' = stdin)" },
	{ "filter", 'f', "BPF", "capture.filter", NULL,
	  "BPF filter expression (or give it after the options, as tcpdump)" },
	{ "count", 'c', "COUNT", "capture.count", NULL, "stop after COUNT packets" },
	{ "write", 'w', "FILE", "capture.write_file", NULL,
	  "write the packets that passed the filter to a pcap FILE" },
	{ "snaplen", 's', "SNAPLEN", "capture.snaplen", NULL,
	  "bytes to capture per packet (0 = 262144)" },
	{ "duration", OPT_DURATION, "SECONDS", "capture.duration", NULL,
	  "stop after SECONDS of capture" },
	{ "quiet", 'q', NULL, "output.quiet", "true", "do not print one line per packet" },
	{ "summary-json", OPT_SUMMARY_JSON, "FILE", "export.summary_json", NULL,
	  "write the exit summary as JSON to FILE ('-' = stdout)" },
	{ "stats", OPT_STATS, NULL, "output.stats", "true",
	  "print rates, flows and drops every second" },
	{ "top-flows", OPT_TOP_FLOWS, "N", "output.top_flows", NULL,
	  "show the N largest flows (with --stats, and at exit)" },
	{ "export-flows", OPT_EXPORT_FLOWS, "FILE", "export.flows_file", NULL,
	  "write one record per flow to FILE.json, .jsonl or .csv" },
	{ "pipeline", OPT_PIPELINE, NULL, "pipeline.enabled", "true",
	  "track flows on worker threads fed by one reader" },
	{ "workers", OPT_WORKERS, "N", "pipeline.workers", NULL,
	  "worker threads (flow shards) with --pipeline" },
	{ "pipeline-mode", OPT_PIPELINE_MODE, "MODE", "pipeline.mode", NULL,
	  "auto, dispatch (one reader spreads flows) or per-queue (DPDK: a worker per RX "
	  "queue)" },
	{ "web", OPT_WEB, "[ADDR:]PORT", "web.listen", NULL,
	  "serve the dashboard on PORT of 127.0.0.1 (or ADDR), e.g. --web 8080" },
	{ "linger", OPT_LINGER, NULL, "web.linger", "true",
	  "keep the dashboard serving after a capture file ends, until Ctrl-C" },
	{ "anomalies", OPT_ANOMALIES, NULL, "anomaly.enabled", "true",
	  "detect SYN floods and port scans; one line per alert raised or cleared" },
	{ "export-alerts", OPT_EXPORT_ALERTS, "FILE", "export.alerts_file", NULL,
	  "append alerts to FILE as JSON lines (implies --anomalies)" },
	{ "backend", OPT_BACKEND, "KIND", "capture.backend", NULL,
	  "capture backend: auto, pcap or dpdk (auto: dpdk for a vdev or PCI name)" },
	{ "dpdk-args", OPT_DPDK_ARGS, "ARGS", "dpdk.eal_args", NULL,
	  "DPDK EAL arguments as one quoted string, e.g. \"--no-huge -m 512\"" },
};

/* Flags that act rather than set a key. */
static const struct option action_opts[] = {
	{ "list-interfaces", no_argument, NULL, 'D' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "set", required_argument, NULL, OPT_SET },
	{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
	{ "dump-config", no_argument, NULL, OPT_DUMP_CONFIG },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
};

#define N_LONG_OPTS (NS_ARRAY_SIZE(key_opts) + NS_ARRAY_SIZE(action_opts) + 1)

/* getopt's tables, derived from key_opts[] and action_opts[] so each flag is listed once. */
static void
build_getopt_tables(struct option *lo, char *so, size_t solen)
{
	size_t k = 0, j = 0;

	for (size_t i = 0; i < NS_ARRAY_SIZE(key_opts); i++, k++) {
		const struct cli_key_opt *o = &key_opts[i];

		lo[k] = (struct option){ o->name, o->arg != NULL ? required_argument : no_argument,
					 NULL, o->val };
		if (o->val < 256 && j + 3 < solen) {
			so[j++] = (char)o->val;
			if (o->arg != NULL)
				so[j++] = ':';
		}
	}
	for (size_t i = 0; i < NS_ARRAY_SIZE(action_opts); i++, k++) {
		lo[k] = action_opts[i];
		if (action_opts[i].val < 256 && j + 3 < solen) {
			so[j++] = (char)action_opts[i].val;
			if (action_opts[i].has_arg != no_argument)
				so[j++] = ':';
		}
	}
	lo[k] = (struct option){ NULL, 0, NULL, 0 };
	so[j] = '\0';
}

void
cli_usage(FILE *out)
{
	fprintf(out,
		"Usage: netscope [options] [-i IFACE | -r FILE] [BPF filter expression]\n"
		"\n"
		"Capture and analyse packets from a live interface or a capture file.\n"
		"\n"
		"Capture and output:\n");
	for (size_t i = 0; i < NS_ARRAY_SIZE(key_opts); i++) {
		const struct cli_key_opt *o = &key_opts[i];
		char flag[48];

		if (o->val < 256)
			snprintf(flag, sizeof(flag), "-%c, --%s%s%s", o->val, o->name,
				 o->arg != NULL ? " " : "", o->arg != NULL ? o->arg : "");
		else
			snprintf(flag, sizeof(flag), "    --%s%s%s", o->name, o->arg != NULL ? " " : "",
				 o->arg != NULL ? o->arg : "");
		fprintf(out, "  %-28s %s [%s]\n", flag, o->help, o->key);
	}
	fprintf(out,
		"\n"
		"Configuration:\n"
		"      --config FILE            load a YAML configuration file\n"
		"      --set KEY=VALUE          set any configuration key (repeatable; wins over\n"
		"                               the file), e.g. --set flow.capacity=100000\n"
		"      --check-config           validate the configuration and exit (non-zero on\n"
		"                               errors, which name the key)\n"
		"      --dump-config            print the effective configuration as YAML and exit\n"
		"\n"
		"Other:\n"
		"  -D, --list-interfaces        list capture interfaces and exit\n"
		"  -v, --verbose                more log output (repeat for debug)\n"
		"  -h, --help                   this help\n"
		"      --version                print the version\n"
		"\n"
		"Precedence: built-in defaults < --config file < command line.\n"
		"Exit status: 0 ok, 1 capture error, 2 usage or configuration error.\n");
}

static const struct cli_key_opt *
key_opt_find(int val)
{
	for (size_t i = 0; i < NS_ARRAY_SIZE(key_opts); i++)
		if (key_opts[i].val == val)
			return &key_opts[i];
	return NULL;
}

/*
 * Join the trailing arguments into one filter expression, as tcpdump does. It overrides a
 * filter from --config, like any command-line value; with -f (or --set capture.filter) as well
 * (@filter_cli) the filter was given twice.
 */
static int
trailing_filter(int argc, char **argv, struct ns_config *cfg, bool filter_cli, char *err,
		size_t errlen)
{
	char expr[NS_CFG_FILTER_MAX] = "";
	size_t used = 0;

	if (optind >= argc)
		return 0;
	if (filter_cli) {
		snprintf(err, errlen,
			 "key 'capture.filter': a filter was given twice: with -f (or "
			 "--set capture.filter) and after the options");
		return -EINVAL;
	}
	for (int i = optind; i < argc; i++) {
		int n = snprintf(expr + used, sizeof(expr) - used, "%s%s", i > optind ? " " : "",
				 argv[i]);

		if (n < 0 || (size_t)n >= sizeof(expr) - used) {
			snprintf(err, errlen,
				 "key 'capture.filter': the filter expression is longer "
				 "than %zu bytes",
				 sizeof(expr) - 1);
			return -EINVAL;
		}
		used += (size_t)n;
	}
	return ns_config_set_key(cfg, "capture.filter", expr, "filter expression", err, errlen);
}

/* Whether --set argument @arg sets @key ("key=value", blanks around the key allowed). */
static bool
set_names(const char *arg, const char *key)
{
	const size_t n = strlen(key);

	arg += strspn(arg, " \t");
	return strncmp(arg, key, n) == 0 && (arg[n] == '=' || arg[n] == ' ' || arg[n] == '\t');
}

/*
 * The command line wins over a configuration file for the capture source too: -r (or --set
 * capture.read_file) drops an interface the file named, -i a file it named. Both on the
 * command line stay a conflict (ns_config_validate()).
 */
static int
source_from_cli(struct ns_config *cfg, bool read_cli, bool iface_cli, char *err, size_t errlen)
{
	if (read_cli && !iface_cli && cfg->capture.interface[0] != '\0')
		return ns_config_set_key(cfg, "capture.interface", "", "-r", err, errlen);
	if (iface_cli && !read_cli && cfg->capture.read_file[0] != '\0')
		return ns_config_set_key(cfg, "capture.read_file", "", "-i", err, errlen);
	return 0;
}

static int
apply_key_opt(struct ns_config *cfg, const struct cli_key_opt *o, const char *optval, char *err,
	      size_t errlen)
{
	char origin[48];
	const char *v = o->value != NULL ? o->value : optval;

	/* tcpdump habit: -s 0 means "the whole packet". */
	if (o->val == 's' && strcmp(v, "0") == 0)
		v = "262144";
	if (o->val < 256)
		snprintf(origin, sizeof(origin), "-%c", o->val);
	else
		snprintf(origin, sizeof(origin), "--%s", o->name);
	return ns_config_set_key(cfg, o->key, v, origin, err, errlen);
}

int
cli_parse(int argc, char **argv, struct ns_config *cfg)
{
	struct option long_opts[N_LONG_OPTS];
	char short_opts[2 * N_LONG_OPTS + 1];
	char err[1024] = "";
	int action = CLI_RUN;
	int verbose = 0;
	bool filter_cli = false; /* -f or --set capture.filter: a trailing one is a second */
	bool read_cli = false, iface_cli = false; /* the capture source, from the command line */
	int c, rc;

	ns_config_defaults(cfg);
	build_getopt_tables(long_opts, short_opts, sizeof(short_opts));
	/* Pass 0: help/version win, over anything else on the line. */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (c == 'h')
			return CLI_HELP;
		if (c == OPT_VERSION)
			return CLI_VERSION;
	}
	/* Pass 1: configuration files load before any override. */
	optind = 1;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (c == OPT_CONFIG && (rc = ns_config_load_file(cfg, optarg, err, sizeof(err))) < 0) {
			/* a file that could not be read: say which flag named it */
			if (rc != -EINVAL) {
				static const char flag[] = "--config ";
				size_t n = strnlen(err, sizeof(err) - sizeof(flag));

				memmove(err + sizeof(flag) - 1, err, n);
				memcpy(err, flag, sizeof(flag) - 1);
				err[sizeof(flag) - 1 + n] = '\0';
			}
			goto bad;
		}
	}
	/* Pass 2: every other flag, in order, reporting unknown flags. */
	opterr = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		const struct cli_key_opt *o = key_opt_find(c);

		if (o != NULL) {
			filter_cli |= strcmp(o->key, "capture.filter") == 0;
			read_cli |= strcmp(o->key, "capture.read_file") == 0;
			iface_cli |= strcmp(o->key, "capture.interface") == 0;
			if (apply_key_opt(cfg, o, optarg, err, sizeof(err)) < 0)
				goto bad;
			/* --web ADDR:PORT also switches the dashboard on */
			if (c == OPT_WEB && ns_config_set_key(cfg, "web.enabled", "true", "--web", err,
							   sizeof(err)) < 0)
				goto bad;
			continue;
		}
		switch (c) {
		case OPT_CONFIG:
			break;
		case OPT_SET:
			if (ns_config_set(cfg, optarg, err, sizeof(err)) < 0)
				goto bad;
			filter_cli |= set_names(optarg, "capture.filter");
			read_cli |= set_names(optarg, "capture.read_file");
			iface_cli |= set_names(optarg, "capture.interface");
			break;
		case 'D':
			action = CLI_LIST_INTERFACES;
			break;
		case OPT_CHECK_CONFIG:
			action = CLI_CHECK_CONFIG;
			break;
		case OPT_DUMP_CONFIG:
			action = CLI_DUMP_CONFIG;
			break;
		case 'v':
			verbose++;
			break;
		default: /* getopt printed what was wrong */
			fprintf(stderr, "Try 'netscope --help' for the options.\n");
			return -1;
		}
	}
	if (trailing_filter(argc, argv, cfg, filter_cli, err, sizeof(err)) < 0)
		goto bad;
	if (source_from_cli(cfg, read_cli, iface_cli, err, sizeof(err)) < 0)
		goto bad;
	/* -v raises the level to info, -vv to debug; it never lowers one set otherwise */
	if (verbose > 0 && strcmp(cfg->output.log_level, "debug") != 0) {
		const char *lvl = verbose > 1 ? "debug" : "info";

		if (ns_config_set_key(cfg, "output.log_level", lvl, "-v", err, sizeof(err)) < 0)
			goto bad;
	}
	if (ns_config_validate(cfg, err, sizeof(err)) < 0)
		goto bad;
	return action;
bad:
	fprintf(stderr, "netscope: %s\n", err);
	return -1;
}
