/* SPDX-License-Identifier: MIT */
/*
 * The configuration: one plain struct with a section per subsystem, filled from built-in
 * defaults, then a YAML file, then command-line overrides (--set key.path=value), and validated.
 * One schema table (config_schema.c) drives parsing, validation, the effective-config dump,
 * --check-config and docs/configuration.md. A running config is never mutated in place: build
 * a new struct and swap.
 */
#ifndef NS_CONFIG_H
#define NS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NS_CFG_PATH_MAX 1024
#define NS_CFG_STR_MAX 256
#define NS_CFG_FILTER_MAX 2048

enum ns_backend_kind {
	NS_BACKEND_AUTO = 0,
	NS_BACKEND_PCAP,
	NS_BACKEND_DPDK,
};

enum ns_export_format {
	NS_EXPORT_FMT_AUTO = 0, /* from the file extension */
	NS_EXPORT_FMT_JSON, /* one JSON array */
	NS_EXPORT_FMT_JSONL, /* one object per line */
	NS_EXPORT_FMT_CSV,
};

struct ns_config_capture {
	char interface[NS_CFG_STR_MAX]; /* -i: live interface, PCI address or vdev */
	char read_file[NS_CFG_PATH_MAX]; /* -r: pcap/pcapng file */
	char filter[NS_CFG_FILTER_MAX]; /* -f: BPF expression */
	char write_file[NS_CFG_PATH_MAX]; /* -w: pcap of what passed the filter */
	uint32_t snaplen; /* -s */
	bool promisc;
	uint32_t buffer_mb; /* kernel capture buffer */
	uint32_t timeout_ms; /* live read timeout */
	uint64_t count; /* -c: stop after this many packets (0 = no limit) */
	uint32_t duration; /* --duration: stop after this many seconds (0 = no limit) */
	enum ns_backend_kind backend;
};

/* How threaded workers get their packets (pipeline.mode, docs/pipeline.md). */
enum ns_pipeline_mode {
	NS_PIPELINE_MODE_AUTO = 0, /* per-queue when the DPDK port allows it, else dispatch */
	NS_PIPELINE_MODE_DISPATCH, /* one reader spreads packets by a software symmetric hash */
	NS_PIPELINE_MODE_PER_QUEUE, /* DPDK: one worker per RX queue on its own EAL lcore */
};

struct ns_config_pipeline {
	bool enabled; /* --pipeline: reader + worker threads even for pcap */
	uint32_t workers; /* --workers */
	enum ns_pipeline_mode mode; /* --pipeline-mode */
	uint32_t burst; /* packets per burst */
	uint32_t ring_size; /* reader -> worker ring slots (power of two) */
};

struct ns_config_flow {
	uint32_t capacity; /* flows per shard, preallocated */
	bool key_vlan; /* VLAN ids are part of the flow key */
	bool hugepages; /* try hugepages for the table */
	uint32_t tcp_syn_timeout; /* s, handshake not completed */
	uint32_t tcp_established_timeout; /* s */
	uint32_t tcp_fin_timeout; /* s, one side closed */
	uint32_t tcp_closed_timeout; /* s, both FINs or RST */
	uint32_t udp_timeout; /* s */
	uint32_t icmp_timeout; /* s */
	uint32_t other_timeout; /* s */
	uint32_t active_timeout; /* s, long flows emit an interim record */
};

struct ns_config_syn_flood {
	double rate; /* SYN/s towards one victim (or from one source) */
	double ratio; /* completed handshakes / SYNs below this is suspicious */
	uint32_t window; /* s */
};

struct ns_config_port_scan {
	uint32_t ports; /* distinct destination ports from one source (vertical) */
	uint32_t hosts; /* distinct destination hosts on one port (horizontal) */
	uint32_t window; /* s */
};

struct ns_config_anomaly {
	bool enabled;
	struct ns_config_syn_flood syn_flood;
	struct ns_config_port_scan port_scan;
	uint32_t max_sources; /* tracked sources/victims per shard */
	uint32_t clear_after; /* s quiet before an alert is cleared */
};

struct ns_config_web {
	bool enabled;
	char listen[NS_CFG_STR_MAX]; /* [ADDR:]PORT */
	char token[NS_CFG_STR_MAX]; /* bearer token; required for non-loopback binds */
	bool allow_remote_without_token;
	uint32_t max_connections;
	uint32_t max_request_kb;
	bool linger; /* keep serving after a capture file ends */
};

struct ns_config_export {
	char flows_file[NS_CFG_PATH_MAX];
	enum ns_export_format flows_format;
	char alerts_file[NS_CFG_PATH_MAX];
	char summary_json[NS_CFG_PATH_MAX]; /* "-" = stdout */
};

struct ns_config_output {
	bool quiet; /* no per-packet lines */
	bool stats; /* one line per stats interval */
	uint32_t stats_interval; /* s */
	uint32_t top_flows; /* N flows shown with --stats and at exit (0 = off) */
	char log_level[16]; /* error|warning|notice|info|debug */
};

struct ns_config_dpdk {
	char eal_args[NS_CFG_FILTER_MAX]; /* extra EAL arguments */
	uint32_t rx_desc; /* RX descriptors per queue */
	uint32_t mbufs; /* mbufs per worker pool */
	uint32_t mbuf_cache; /* per-lcore mempool cache */
	uint32_t mbuf_size; /* data room per mbuf, headroom included */
	bool rss; /* use NIC RSS when the port has it */
};

struct ns_config {
	struct ns_config_capture capture;
	struct ns_config_pipeline pipeline;
	struct ns_config_flow flow;
	struct ns_config_anomaly anomaly;
	struct ns_config_web web;
	struct ns_config_export export;
	struct ns_config_output output;
	struct ns_config_dpdk dpdk;
};

enum ns_config_type {
	NS_CFG_BOOL,
	NS_CFG_U32,
	NS_CFG_U64,
	NS_CFG_DOUBLE,
	NS_CFG_STRING,
	NS_CFG_ENUM,
};

/* The value must be a power of two (ring sizes). */
#define NS_CFG_F_POW2 (1u << 0)

/* One schema entry; the table is ordered by section as the YAML file is. */
struct ns_config_key {
	const char *name; /* "capture.snaplen" */
	enum ns_config_type type;
	size_t offset; /* into struct ns_config */
	size_t size; /* string buffer size / scalar size */
	double min, max; /* numeric range (inclusive) */
	const char *def; /* default, as text */
	/*
	 * NULL-terminated. NS_CFG_ENUM: index = value. NS_CFG_STRING: when not NULL, the only
	 * accepted values (stored as text, e.g. output.log_level).
	 */
	const char *const *enum_names;
	const char *help;
	unsigned int flags; /* NS_CFG_F_* */
};

/** The schema table; *@n receives its length. */
const struct ns_config_key *ns_config_schema(size_t *n);

/** Look a key up by its dotted name; NULL when unknown. */
const struct ns_config_key *ns_config_key_find(const char *name);

/** Fill @cfg with the built-in defaults. */
void ns_config_defaults(struct ns_config *cfg);

/**
 * Overlay the YAML file @path onto @cfg. Unknown keys, wrong types and out-of-range values are
 * errors: returns -EINVAL (or -errno for I/O) and writes "FILE:LINE: key 'a.b': why" to @err
 * ("FILE: strerror" when the file cannot be read). On error @cfg is left unchanged.
 */
int ns_config_load_file(struct ns_config *cfg, const char *path, char *err, size_t errlen);

/**
 * Apply one "key.path=value" override (the --set syntax). Returns 0 or -EINVAL with "--set
 * key 'a.b': why" in @err.
 */
int ns_config_set(struct ns_config *cfg, const char *assignment, char *err, size_t errlen);

/** Set one key from its text value; @origin names the source in errors ("--snaplen"). */
int ns_config_set_key(struct ns_config *cfg, const char *key, const char *value, const char *origin,
		      char *err, size_t errlen);

/**
 * Cross-field checks that no single key can make (for example -r and -i together). Returns 0
 * or -EINVAL with the keys named in @err.
 */
int ns_config_validate(const struct ns_config *cfg, char *err, size_t errlen);

/**
 * Whether output path @path writes to standard output: "-", or a name of the file standard
 * output is now (/dev/stdout, /proc/self/fd/1, the file the shell redirected it to).
 */
bool ns_config_path_is_stdout(const char *path);

/** Write the effective configuration as YAML that ns_config_load_file() accepts back. */
void ns_config_dump(const struct ns_config *cfg, FILE *out);

/** Name of an enum value of @key ("auto", "pcap", ...). */
const char *ns_config_enum_name(const struct ns_config_key *key, unsigned value);

/**
 * Like ns_config_dump(), with a comment line (help and range) above every key and a header;
 * config/netscope.yaml is this output for the defaults.
 */
void ns_config_dump_annotated(const struct ns_config *cfg, FILE *out);

/** Write the key reference (key, type, default, range/values, description) as Markdown tables. */
void ns_config_schema_markdown(FILE *out);

/**
 * Split a web.listen value "[ADDR:]PORT" ("8080", "0.0.0.0:8080", "[::1]:8080",
 * "localhost:8080") into @host (the address without brackets; "127.0.0.1" when omitted) and
 * @port. ADDR is an IP address or "localhost"; other host names are refused, never looked up.
 * Returns 0, or -EINVAL with the reason in @err.
 */
int ns_config_listen_parse(const char *listen, char *host, size_t hostlen, uint16_t *port,
			   char *err, size_t errlen);

#endif /* NS_CONFIG_H */
