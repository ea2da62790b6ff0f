/* SPDX-License-Identifier: MIT */
/*
 * The configuration schema: one row per key with its type, place in struct ns_config, range,
 * default (as text, parsed by the same setter as user input, so defaults are validated too) and
 * one line of help. Everything else in the module -- the YAML loader, --set, validation, the
 * effective-config dump and the generated docs -- walks this table, so adding a key here is the
 * whole job. The key name is the stringified struct member path, so the two cannot drift apart.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config_priv.h"

/* The member @f of struct ns_config, for sizeof and _Generic only (never evaluated). */
#define CFG_FIELD(f) (((struct ns_config *)NULL)->f)

/* Zero, but fails to compile when member @f is not of type @ctype (arrays decay to pointers). */
#define CFG_IS(f, ctype) (0 * sizeof(_Generic(CFG_FIELD(f), ctype : 1)))

/* Zero, but fails to compile when the enum member @f is not stored as an unsigned int. */
#define CFG_IS_ENUM(f) (0 * sizeof(char[sizeof(CFG_FIELD(f)) == sizeof(unsigned int) ? 1 : -1]))

/* One initializer per line: a row of the table reads top to bottom. */
/* clang-format off */
#define CFG_KEY(f, t, check, lo, hi, d, names, fl, h) \
	{ \
		.name = #f, \
		.type = NS_CFG_##t, \
		.offset = offsetof(struct ns_config, f), \
		.size = sizeof(CFG_FIELD(f)) + (check), \
		.min = (lo), \
		.max = (hi), \
		.def = (d), \
		.enum_names = (names), \
		.help = (h), \
		.flags = (fl), \
	}
/* clang-format on */

#define BOOL(f, d, h) CFG_KEY(f, BOOL, CFG_IS(f, bool), 0, 1, d, NULL, 0, h)
#define U32(f, lo, hi, d, h) CFG_KEY(f, U32, CFG_IS(f, uint32_t), lo, hi, d, NULL, 0, h)
#define U32_POW2(f, lo, hi, d, h) \
	CFG_KEY(f, U32, CFG_IS(f, uint32_t), lo, hi, d, NULL, NS_CFG_F_POW2, h)
#define U64(f, lo, hi, d, h) CFG_KEY(f, U64, CFG_IS(f, uint64_t), lo, hi, d, NULL, 0, h)
#define DOUBLE(f, lo, hi, d, h) CFG_KEY(f, DOUBLE, CFG_IS(f, double), lo, hi, d, NULL, 0, h)
#define STRING(f, d, h) CFG_KEY(f, STRING, CFG_IS(f, char *), 0, 0, d, NULL, 0, h)
#define CHOICE(f, names, d, h) CFG_KEY(f, STRING, CFG_IS(f, char *), 0, 0, d, names, 0, h)
#define ENUM(f, names, d, h) CFG_KEY(f, ENUM, CFG_IS_ENUM(f), 0, 0, d, names, 0, h)

/* A day: no flow state is worth keeping longer, and anything above is surely a typo. */
#define DAY_S 86400
/* An hour: detector windows and reporting intervals beyond this are not "rates" any more. */
#define HOUR_S 3600

static const char *const backend_names[] = { "auto", "pcap", "dpdk", NULL };
static const char *const pipeline_mode_names[] = { "auto", "dispatch", "per-queue", NULL };
static const char *const export_format_names[] = { "auto", "json", "jsonl", "csv", NULL };
/* Same order as enum ns_log_level in ns_core.h. */
static const char *const log_level_names[] = {
	"error", "warning", "notice", "info", "debug", NULL,
};

static const struct ns_config_key schema[] = {
	/* capture */
	STRING(capture.interface, "",
	       "Live interface, PCI address or DPDK vdev to capture from (-i)."),
	STRING(capture.read_file, "",
	       "pcap or pcapng file to read instead of capturing live (-r)."),
	STRING(capture.filter, "", "BPF filter expression applied to every packet (-f)."),
	STRING(capture.write_file, "",
	       "Write the packets that pass the filter to this pcap file (-w)."),
	U32(capture.snaplen, 1, 262144, "262144", "Bytes kept of each packet (-s)."),
	BOOL(capture.promisc, "true", "Put the live interface into promiscuous mode."),
	U32(capture.buffer_mb, 1, 2047, "32",
	    "Kernel capture buffer size, in MiB (libpcap takes it as an int: below 2 GiB)."),
	U32(capture.timeout_ms, 1, 10000, "100",
	    "Live read timeout, in ms: how long a partial batch may wait."),
	U64(capture.count, 0, 18446744073709551615.0, "0",
	    "Stop after this many packets; 0 = no limit (-c)."),
	U32(capture.duration, 0, UINT32_MAX, "0",
	    "Stop after this many seconds; 0 = no limit (--duration)."),
	ENUM(capture.backend, backend_names, "auto",
	     "Capture backend (--backend); auto lets netscope pick one for the source."),

	/* pipeline */
	BOOL(pipeline.enabled, "false",
	     "Run a reader thread and worker threads even for libpcap (--pipeline)."),
	U32(pipeline.workers, 1, 64, "1", "Worker threads (or DPDK lcores), one flow shard each."),
	ENUM(pipeline.mode, pipeline_mode_names, "auto",
	     "Workers fed by one reader (dispatch) or, DPDK only, one per RX queue on its own "
	     "EAL lcore (per-queue); auto picks per-queue when the port allows it."),
	U32(pipeline.burst, 1, 512, "32", "Packets moved per burst between stages."),
	U32_POW2(pipeline.ring_size, 64, 1048576, "4096",
		 "Reader-to-worker ring slots per worker; a power of two."),

	/* flow */
	/* 16777215: the flow table indexes records with 24 bits (lib/flow, NS_FLOW_CAPACITY_MAX) */
	U32(flow.capacity, 1024, 16777215, "1048576",
	    "Minimum flows per shard, preallocated; a table over 2 MB rounds up to fill its last "
	    "page (-v shows it). A full table evicts the oldest idle flow."),
	BOOL(flow.key_vlan, "true", "Make VLAN ids part of the flow key."),
	BOOL(flow.hugepages, "true",
	     "Try hugepages for the flow table; fall back to normal pages."),
	U32(flow.tcp_syn_timeout, 1, DAY_S, "10",
	    "Idle timeout of a TCP flow whose handshake has not completed, in s."),
	U32(flow.tcp_established_timeout, 1, DAY_S, "300",
	    "Idle timeout of an established TCP flow, in s."),
	U32(flow.tcp_fin_timeout, 1, DAY_S, "30",
	    "Idle timeout of a TCP flow after one side sent FIN, in s."),
	U32(flow.tcp_closed_timeout, 1, DAY_S, "2",
	    "Idle timeout of a TCP flow after both FINs or a RST, in s."),
	U32(flow.udp_timeout, 1, DAY_S, "60", "Idle timeout of a UDP flow, in s."),
	U32(flow.icmp_timeout, 1, DAY_S, "30", "Idle timeout of an ICMP flow, in s."),
	U32(flow.other_timeout, 1, DAY_S, "30", "Idle timeout of any other protocol's flow, in s."),
	U32(flow.active_timeout, 1, DAY_S, "1800",
	    "Long-lived flows emit an interim record this often, in s."),

	/* anomaly */
	BOOL(anomaly.enabled, "false", "Run the SYN-flood and port-scan detectors (--anomalies)."),
	DOUBLE(anomaly.syn_flood.rate, 1, 1e9, "200",
	       "SYN/s towards one victim (or from one source) that raises a SYN-flood alert."),
	DOUBLE(anomaly.syn_flood.ratio, 0, 1, "0.5",
	       "Completed handshakes per SYN below which the SYN rate counts as a flood."),
	U32(anomaly.syn_flood.window, 1, HOUR_S, "5", "SYN-flood measurement window, in s."),
	U32(anomaly.port_scan.ports, 1, 65535, "50",
	    "Distinct destination ports from one source that make a vertical scan."),
	U32(anomaly.port_scan.hosts, 1, 16777216, "50",
	    "Distinct destination hosts on one port from one source that make a horizontal scan."),
	U32(anomaly.port_scan.window, 1, HOUR_S, "10", "Port-scan measurement window, in s."),
	U32(anomaly.max_sources, 64, 16777216, "65536",
	    "Keys per slot table (SYN: source, victim, port; scan: failed probe), in each shard "
	    "and in the engine. First come, first kept: past the cap a new SYN key's counts go to "
	    "its victim's overflow key and new failed probes are dropped (both counted). The "
	    "table of handshakes awaiting an answer, of the same size, evicts its oldest."),
	U32(anomaly.clear_after, 1, DAY_S, "10", "Quiet seconds before an alert is cleared."),

	/* web */
	BOOL(web.enabled, "false", "Serve the dashboard and REST API (--web)."),
	STRING(web.listen, "127.0.0.1:8080",
	       "Address to serve on, [ADDR:]PORT; ADDR an IP address (IPv6 as [::1]:8080) or "
	       "localhost, 127.0.0.1 when omitted; host names are not looked up."),
	STRING(web.token, "",
	       "Bearer token the API requires; needed for a non-loopback web.listen."),
	BOOL(web.allow_remote_without_token, "false",
	     "Allow a non-loopback web.listen without web.token (anyone can read your traffic)."),
	U32(web.max_connections, 1, 65535, "64", "Concurrent HTTP connections."),
	U32(web.max_request_kb, 1, 65536, "64", "Largest accepted HTTP request, in KiB."),
	BOOL(web.linger, "false", "Keep serving the dashboard after a capture file has been read."),

	/* export */
	STRING(export.flows_file, "", "Write flow records to this file at exit (--export-flows)."),
	ENUM(export.flows_format, export_format_names, "auto",
	     "Flow file format; auto goes by the extension (.json, .jsonl, .csv)."),
	STRING(export.alerts_file, "",
	       "Append anomaly alerts to this JSONL file (--export-alerts)."),
	STRING(export.summary_json, "",
	       "Write a JSON run summary to this file at exit; - = stdout."),

	/* output */
	BOOL(output.quiet, "false", "No per-packet lines (--quiet)."),
	BOOL(output.stats, "false", "Print one statistics line per interval (--stats)."),
	U32(output.stats_interval, 1, HOUR_S, "1", "Statistics interval, in s."),
	U32(output.top_flows, 0, 10000, "0",
	    "Flows listed with --stats and at exit; 0 = off (--top-flows)."),
	CHOICE(output.log_level, log_level_names, "notice", "Most verbose log level printed."),

	/* dpdk */
	STRING(dpdk.eal_args, "", "Extra DPDK EAL arguments, space separated (--dpdk-args)."),
	U32(dpdk.rx_desc, 64, 16384, "1024", "RX descriptors per queue."),
	U32(dpdk.mbufs, 255, 16777215, "65535",
	    "mbufs per worker pool; 2^n - 1 uses the mempool best."),
	U32(dpdk.mbuf_cache, 0, 512, "256",
	    "Per-lcore mempool cache; at most 512 and at most dpdk.mbufs / 1.5."),
	U32(dpdk.mbuf_size, 192, 65535, "2176",
	    "Data room per mbuf in bytes, 128-byte headroom included (testpmd's --mbuf-size); "
	    "longer frames arrive whole, chained: below 1650 a port needs RX scatter."),
	BOOL(dpdk.rss, "true",
	     "Spread flows over workers with the NIC's symmetric RSS when it has it."),
};

const struct ns_config_key *
ns_config_schema(size_t *n)
{
	if (n != NULL)
		*n = sizeof(schema) / sizeof(schema[0]);
	return schema;
}

const struct ns_config_key *
ns_config_key_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if (strcmp(schema[i].name, name) == 0)
			return &schema[i];
	return NULL;
}

size_t
config_key_index(const struct ns_config_key *key)
{
	return (size_t)(key - schema);
}

const char *
ns_config_enum_name(const struct ns_config_key *key, unsigned value)
{
	if (key == NULL || key->enum_names == NULL)
		return NULL;
	for (unsigned i = 0; key->enum_names[i] != NULL; i++)
		if (i == value)
			return key->enum_names[i];
	return NULL;
}

const char *
config_type_name(enum ns_config_type type)
{
	switch (type) {
	case NS_CFG_BOOL:
		return "bool";
	case NS_CFG_U32:
		return "u32";
	case NS_CFG_U64:
		return "u64";
	case NS_CFG_DOUBLE:
		return "double";
	case NS_CFG_STRING:
		return "string";
	case NS_CFG_ENUM:
		return "enum";
	}
	return "?";
}

bool
config_is_section(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if (strncmp(schema[i].name, name, len) == 0 && schema[i].name[len] == '.')
			return true;
	return false;
}

/*
 * Optimal string alignment distance (Levenshtein plus adjacent transpositions, so "snaplne" is
 * one edit from "snaplen"). Names are short; longer ones are never close enough to matter.
 */
static unsigned
edit_distance(const char *a, const char *b)
{
	enum { N = CONFIG_NAME_MAX };
	static const unsigned far = 1000;
	unsigned d[3][N + 1]; /* rows i-2, i-1, i */
	size_t la = strlen(a), lb = strlen(b);

	if (la > N || lb > N)
		return far;
	for (size_t j = 0; j <= lb; j++)
		d[1][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned *prev2 = d[0], *prev = d[1], *cur = d[2];

		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
			unsigned v = prev[j] + 1;

			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		memcpy(d[0], d[1], sizeof(d[0]));
		memcpy(d[1], d[2], sizeof(d[0]));
	}
	return d[1][lb];
}

/* Consider @cand (@len bytes) as a suggestion for @name; keep it in @buf when it is closer. */
static void
suggest_consider(const char *name, const char *cand, size_t len, unsigned *best, char *buf,
		 size_t buflen)
{
	char tmp[CONFIG_NAME_MAX + 1];
	unsigned dist;

	if (len > CONFIG_NAME_MAX)
		return;
	memcpy(tmp, cand, len);
	tmp[len] = '\0';
	dist = edit_distance(name, tmp);
	if (dist < *best) {
		*best = dist;
		snprintf(buf, buflen, "%s", tmp);
	}
}

const char *
config_suggest(const char *name, char *buf, size_t len)
{
	/* Two edits catch a typo or a swapped pair without suggesting unrelated short names. */
	static const unsigned max_distance = 2;
	unsigned best = max_distance + 1;
	const char *leaf, *match = NULL;
	size_t n_leaf = 0;

	for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++) {
		const char *k = schema[i].name;

		suggest_consider(name, k, strlen(k), &best, buf, len);
		/* every section prefix of the key, so "captur" finds "capture" */
		for (const char *dot = strchr(k, '.'); dot != NULL; dot = strchr(dot + 1, '.'))
			suggest_consider(name, k, (size_t)(dot - k), &best, buf, len);
	}
	if (best <= max_distance)
		return buf;

	/* A right key in the wrong section: the last components match exactly once. */
	leaf = strrchr(name, '.');
	leaf = leaf != NULL ? leaf + 1 : name;
	for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++) {
		const char *kleaf = strrchr(schema[i].name, '.') + 1;

		if (strcmp(kleaf, leaf) == 0) {
			match = schema[i].name;
			n_leaf++;
		}
	}
	if (n_leaf == 1 && strcmp(match, name) != 0) {
		snprintf(buf, len, "%s", match);
		return buf;
	}
	return NULL;
}

/* Write @s into a Markdown table cell: '|' would end the cell. */
static void
md_cell(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else
			fputc(*s, out);
	}
}

void
ns_config_schema_markdown(FILE *out)
{
	size_t n = sizeof(schema) / sizeof(schema[0]);
	size_t sect_len = 0;
	const char *sect = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct ns_config_key *k = &schema[i];
		size_t len = (size_t)(strchr(k->name, '.') - k->name);
		char range[256];

		if (sect == NULL || len != sect_len || strncmp(sect, k->name, len) != 0) {
			sect = k->name;
			sect_len = len;
			fprintf(out, "%s### `%.*s`\n\n", i == 0 ? "" : "\n", (int)len, k->name);
			fputs("| Key | Type | Default | Range / values | Description |\n", out);
			fputs("|---|---|---|---|---|\n", out);
		}
		config_value_range(k, range, sizeof(range));
		fprintf(out, "| `%s` | %s | ", k->name, config_type_name(k->type));
		if (k->type == NS_CFG_STRING && k->enum_names == NULL)
			fprintf(out, "`\"%s\"`", k->def);
		else
			fprintf(out, "`%s`", k->def);
		fputs(" | ", out);
		md_cell(out, range);
		fputs(" | ", out);
		md_cell(out, k->help);
		fputs(" |\n", out);
	}
}
