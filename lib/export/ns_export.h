/* SPDX-License-Identifier: MIT */
/*
 * Exports: packets to pcap (our own writer, so export needs no libpcap), the summary as JSON,
 * and (flow tracking) flow records as JSON/JSONL/CSV. Writers count their write errors and keep
 * going: a full disk must not stop a capture.
 */
#ifndef NS_EXPORT_H
#define NS_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ns_stats.h"

struct ns_pcap_writer;

/**
 * Create a pcap file (classic format, microsecond or nanosecond magic) for @linktype. @path "-"
 * writes to stdout. Returns NULL with errno set on failure.
 */
struct ns_pcap_writer *ns_pcap_writer_open(const char *path, int linktype, uint32_t snaplen,
					   bool nanosecond);

/**
 * Append one record. Returns 0 or -errno; a failed write is counted and the writer stays usable
 * (a later write may succeed once space is free).
 */
int ns_pcap_writer_write(struct ns_pcap_writer *w, uint64_t ts_ns, const uint8_t *data,
			 uint32_t caplen, uint32_t wirelen);

/** Write out buffered records. Returns 0 or -errno (those records are counted as lost). */
int ns_pcap_writer_flush(struct ns_pcap_writer *w);

/** Records written / records lost to write errors. */
uint64_t ns_pcap_writer_written(const struct ns_pcap_writer *w);
uint64_t ns_pcap_writer_errors(const struct ns_pcap_writer *w);

/** Flush and close. Returns 0 or -errno if the final flush failed. Accepts NULL. */
int ns_pcap_writer_close(struct ns_pcap_writer *w);

/**
 * Write the packet summary as one JSON object with stable keys: packets, bytes, protocols{eth,
 * sll, vlan, qinq, arp, ipv4, ipv6, tcp, udp, icmp, icmpv6, other}, ipv4_fragments,
 * ipv6_fragments, truncated, malformed, unsupported, filtered, dropped. Returns 0 or -errno.
 */
int ns_export_summary_json(const struct ns_pkt_counters *c, FILE *out);

struct json_object;

/**
 * The same summary as a json-c object (the caller owns it: json_object_put()), for the
 * dashboard's /api/summary totals. NULL when out of memory.
 */
struct json_object *ns_export_summary_object(const struct ns_pkt_counters *c);

/* ---- flow records (lib/flow's struct ns_flow_record) as JSON, JSON lines or CSV ---- */

struct ns_flow_record;
struct ns_flow_export;

/* Same values as enum ns_export_format in ns_config.h, so a config value converts by a cast. */
enum ns_flow_export_format {
	NS_FLOW_EXPORT_AUTO = 0, /* from the file extension: .json, .jsonl/.ndjson, .csv */
	NS_FLOW_EXPORT_JSON,     /* one JSON array, one object per line */
	NS_FLOW_EXPORT_JSONL,    /* one JSON object per line */
	NS_FLOW_EXPORT_CSV,      /* header line, then one row per record (RFC 4180) */
};

/** Format named by @path's extension, NS_FLOW_EXPORT_AUTO when it names none. */
enum ns_flow_export_format ns_flow_export_format_from_path(const char *path);

/**
 * Create @path ("-" = stdout) for flow records in @fmt (AUTO: from the extension). Returns
 * NULL with errno set: EINVAL when the format is unknown, or the error of fopen().
 */
struct ns_flow_export *ns_flow_export_open(const char *path, enum ns_flow_export_format fmt);

/**
 * Write one record (field names in docs/exports.md). Returns 0 or -EIO; a failed write is
 * counted and the exporter stays usable.
 */
int ns_flow_export_write(struct ns_flow_export *e, const struct ns_flow_record *rec);

/** ns_flow_sink_fn adapter (@arg is the exporter): writes all @n records, returns @n. */
unsigned ns_flow_export_sink(void *arg, const struct ns_flow_record *recs, unsigned n);

/**
 * Write out the records buffered so far (the exporter writes 64 KiB at a time; stdout gets
 * each write/sink call's records at its end). Returns 0 or -EIO (the lost records are counted).
 */
int ns_flow_export_flush(struct ns_flow_export *e);

/** Records written (or buffered) / records lost to write errors. */
uint64_t ns_flow_export_written(const struct ns_flow_export *e);
uint64_t ns_flow_export_errors(const struct ns_flow_export *e);

/** Close the JSON array, flush and close. Returns 0 or -errno. Accepts NULL. */
int ns_flow_export_close(struct ns_flow_export *e);

/**
 * Quote @in as one RFC 4180 CSV field into @out (@len bytes, always NUL-terminated): quoted
 * when it holds a comma, quote, CR or LF, with inner quotes doubled. Returns the length the
 * field needs (snprintf semantics).
 */
size_t ns_export_csv_field(const char *in, char *out, size_t len);

/* ---- anomaly alerts (lib/anomaly's struct ns_anomaly_alert) as JSON lines ---- */

struct ns_anomaly_alert;
struct ns_alert_writer;

/**
 * Open @path for appending alert events, one JSON object per line (fields in
 * docs/anomaly-detection.md); "-" writes them to stdout. Returns NULL with errno set (the
 * error of open()).
 */
struct ns_alert_writer *ns_alert_writer_open(const char *path);

/**
 * Append one event line, written out before this returns. Returns 0 or -errno; a failed write
 * is counted, leaves no part of the line in a regular file, and the writer stays usable.
 */
int ns_alert_writer_write(struct ns_alert_writer *w, const struct ns_anomaly_alert *a);

/** Lines written / lines lost to write errors. */
uint64_t ns_alert_writer_written(const struct ns_alert_writer *w);
uint64_t ns_alert_writer_errors(const struct ns_alert_writer *w);

/** Close (stdout stays open). Returns 0 or -errno. Accepts NULL. */
int ns_alert_writer_close(struct ns_alert_writer *w);

/**
 * Format one event as the JSON object of its line (no newline) into @buf, for the REST API
 * and the live stream. Returns the length it needs (snprintf semantics) or -ENOMEM.
 */
int ns_export_alert_json(const struct ns_anomaly_alert *a, char *buf, size_t len);

#endif /* NS_EXPORT_H */
