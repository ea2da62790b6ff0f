/* SPDX-License-Identifier: MIT */
/*
 * Flow records (struct ns_flow_record from lib/flow) to a file as one JSON array, JSON lines or
 * CSV with a header (RFC 4180 quoting). Streaming: each record is written when it arrives and
 * the file is flushed on close. JSON goes through json-c; a failed write is counted and the
 * exporter stays usable, so a full disk never stops a capture. docs/exports.md lists every
 * field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "ns_core.h"
#include "ns_export.h"
#include "ns_flow.h"
#include "ns_proto.h"

struct ns_flow_export {
	FILE *f;
	bool own; /* fclose on close (not stdout) */
	enum ns_flow_export_format fmt;
	uint64_t written;
	uint64_t errors;
	bool first; /* JSON array: no comma before the first object */
};

static const char csv_header[] =
	"flow_id,proto,ip_proto,ip_version,src_ip,src_port,dst_ip,dst_port,vlan,"
	"first_seen,last_seen,pkts_toserver,pkts_toclient,bytes_toserver,bytes_toclient,"
	"end_reason,icmp_type,icmp_code,icmp_id,tcp_state,conn_state,flags_toserver,"
	"flags_toclient,rtt_handshake_us,rtt_syn_synack_us,rtt_synack_ack_us,rtt_min_us,"
	"rtt_avg_us,rtt_max_us,rtt_samples,retrans_toserver,retrans_toclient,fast_retrans,"
	"spurious_retrans,ooo_toserver,ooo_toclient,lost_toserver,lost_toclient,"
	"dupack_toserver,dupack_toclient,zero_window,rst_toserver,rst_toclient\r\n";

enum ns_flow_export_format
ns_flow_export_format_from_path(const char *path)
{
	const char *dot = path != NULL ? strrchr(path, '.') : NULL;

	if (dot == NULL || strchr(dot, '/') != NULL)
		return NS_FLOW_EXPORT_AUTO;
	if (strcasecmp(dot, ".json") == 0)
		return NS_FLOW_EXPORT_JSON;
	if (strcasecmp(dot, ".jsonl") == 0 || strcasecmp(dot, ".ndjson") == 0)
		return NS_FLOW_EXPORT_JSONL;
	if (strcasecmp(dot, ".csv") == 0)
		return NS_FLOW_EXPORT_CSV;
	return NS_FLOW_EXPORT_AUTO;
}

size_t
ns_export_csv_field(const char *in, char *out, size_t len)
{
	bool quote = strpbrk(in, ",\"\r\n") != NULL;
	size_t n = 0;

#define PUT(c)                        \
	do {                          \
		if (n + 1 < len)      \
			out[n] = (c); \
		n++;                  \
	} while (0)
	if (quote)
		PUT('"');
	for (const char *p = in; *p != '\0'; p++) {
		if (*p == '"')
			PUT('"'); /* RFC 4180 section 2.7: a quote inside is doubled */
		PUT(*p);
	}
	if (quote)
		PUT('"');
#undef PUT
	if (len != 0)
		out[n < len ? n : len - 1] = '\0';
	return n;
}

/* Write @len bytes; a short write is counted and the stream's error flag cleared. */
static int
put(struct ns_flow_export *e, const char *s, size_t len)
{
	if (fwrite(s, 1, len, e->f) == len)
		return 0;
	clearerr(e->f);
	return -EIO;
}

struct ns_flow_export *
ns_flow_export_open(const char *path, enum ns_flow_export_format fmt)
{
	struct ns_flow_export *e;

	if (path == NULL || path[0] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	if (fmt == NS_FLOW_EXPORT_AUTO)
		fmt = ns_flow_export_format_from_path(path);
	if (fmt != NS_FLOW_EXPORT_JSON && fmt != NS_FLOW_EXPORT_JSONL &&
	    fmt != NS_FLOW_EXPORT_CSV) {
		NS_LOG(ERR, "export",
		       "%s: cannot tell the flow export format (use .json, .jsonl "
		       "or .csv)",
		       path);
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->fmt = fmt;
	e->first = true;
	if (strcmp(path, "-") == 0) {
		e->f = stdout;
	} else {
		e->f = fopen(path, "w");
		if (e->f == NULL) {
			int err = errno;

			NS_LOG(ERR, "export", "%s: %s", path, strerror(err));
			free(e);
			errno = err;
			return NULL;
		}
		e->own = true;
	}
	if (fmt == NS_FLOW_EXPORT_JSON && put(e, "[\n", 2) != 0)
		e->errors++;
	if (fmt == NS_FLOW_EXPORT_CSV && put(e, csv_header, sizeof(csv_header) - 1) != 0)
		e->errors++;
	return e;
}

static void
add(json_object *o, const char *key, json_object *v)
{
	json_object_object_add_ex(o, key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW);
}

static json_object *
u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* A value that is only meaningful when @known; JSON null otherwise. */
static json_object *
opt_u64(bool known, uint64_t v)
{
	return known ? json_object_new_uint64(v) : NULL;
}

static const char *
proto_str(uint8_t proto, char *buf, size_t len)
{
	const char *name = ns_flow_proto_name(proto);

	if (name != NULL)
		return name;
	snprintf(buf, len, "%u", proto);
	return buf;
}

static json_object *
record_json(const struct ns_flow_record *r)
{
	json_object *o = json_object_new_object();
	char buf[64];

	add(o, "flow_id", u64(r->flow_id));
	add(o, "proto", json_object_new_string(proto_str(r->proto, buf, sizeof(buf))));
	add(o, "ip_proto", u64(r->proto));
	add(o, "ip_version", u64(r->ip_version));
	add(o, "src_ip", json_object_new_string(ns_addr_format(&r->src, buf, sizeof(buf))));
	add(o, "src_port", u64(r->src_port));
	add(o, "dst_ip", json_object_new_string(ns_addr_format(&r->dst, buf, sizeof(buf))));
	add(o, "dst_port", u64(r->dst_port));
	add(o, "vlan", u64(r->vlan));
	add(o, "first_seen",
	    json_object_new_string(ns_time_fmt_rfc3339(r->first_ns, buf, sizeof(buf))));
	add(o, "last_seen",
	    json_object_new_string(ns_time_fmt_rfc3339(r->last_ns, buf, sizeof(buf))));
	add(o, "pkts_toserver", u64(r->pkts[NS_FLOW_TOSERVER]));
	add(o, "pkts_toclient", u64(r->pkts[NS_FLOW_TOCLIENT]));
	add(o, "bytes_toserver", u64(r->bytes[NS_FLOW_TOSERVER]));
	add(o, "bytes_toclient", u64(r->bytes[NS_FLOW_TOCLIENT]));
	add(o, "end_reason", json_object_new_string(ns_flow_end_name(r->end_reason)));
	if (r->proto == 1 || r->proto == 58) {
		json_object *ic = json_object_new_object();

		add(ic, "type", u64(r->icmp_type));
		add(ic, "code", u64(r->icmp_code));
		add(ic, "id", opt_u64(r->flags & NS_FLOW_REC_ICMP_ECHO, r->icmp_id));
		add(o, "icmp", ic);
	}
	if (r->proto != 6)
		return o;

	json_object *t = json_object_new_object();
	bool syn = r->flags & NS_FLOW_REC_SYNACK;
	bool rtt = r->rtt_samples != 0;

	add(t, "tcp_state", json_object_new_string(ns_flow_tcp_state_name(r->tcp_state)));
	add(t, "conn_state", json_object_new_string(ns_flow_conn_state_name(r->conn_state)));
	add(t, "flags_toserver",
	    json_object_new_string(ns_flow_tcp_flags_str(r->tcp_flags[0], buf, sizeof(buf))));
	add(t, "flags_toclient",
	    json_object_new_string(ns_flow_tcp_flags_str(r->tcp_flags[1], buf, sizeof(buf))));
	add(t, "midstream", json_object_new_boolean((r->flags & NS_FLOW_REC_MIDSTREAM) != 0));
	add(t, "rtt_handshake_us", opt_u64(r->flags & NS_FLOW_REC_IRTT, r->rtt_handshake_us));
	add(t, "rtt_syn_synack_us", opt_u64(syn, r->rtt_syn_synack_us));
	add(t, "rtt_synack_ack_us", opt_u64(syn, r->rtt_synack_ack_us));
	add(t, "rtt_min_us", opt_u64(rtt, r->rtt_min_us));
	add(t, "rtt_avg_us", opt_u64(rtt, r->rtt_avg_us));
	add(t, "rtt_max_us", opt_u64(rtt, r->rtt_max_us));
	add(t, "rtt_samples", u64(r->rtt_samples));
	add(t, "retrans_toserver", u64(r->retrans[NS_FLOW_TOSERVER]));
	add(t, "retrans_toclient", u64(r->retrans[NS_FLOW_TOCLIENT]));
	add(t, "fast_retrans", u64(r->fast_retrans));
	add(t, "spurious_retrans", u64(r->spurious_retrans));
	add(t, "ooo_toserver", u64(r->ooo[NS_FLOW_TOSERVER]));
	add(t, "ooo_toclient", u64(r->ooo[NS_FLOW_TOCLIENT]));
	add(t, "lost_toserver", u64(r->lost[NS_FLOW_TOSERVER]));
	add(t, "lost_toclient", u64(r->lost[NS_FLOW_TOCLIENT]));
	add(t, "dupack_toserver", u64(r->dupack[NS_FLOW_TOSERVER]));
	add(t, "dupack_toclient", u64(r->dupack[NS_FLOW_TOCLIENT]));
	add(t, "zero_window", u64(r->zero_window));
	add(t, "rst_toserver", u64(r->rst[NS_FLOW_TOSERVER]));
	add(t, "rst_toclient", u64(r->rst[NS_FLOW_TOCLIENT]));
	add(o, "tcp", t);
	return o;
}

static int
write_json(struct ns_flow_export *e, const struct ns_flow_record *r)
{
	json_object *o = record_json(r);
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	int rc = 0;

	if (e->fmt == NS_FLOW_EXPORT_JSON && !e->first)
		rc |= put(e, ",\n", 2);
	rc |= put(e, s, len);
	if (e->fmt == NS_FLOW_EXPORT_JSONL)
		rc |= put(e, "\n", 1);
	json_object_put(o);
	return rc != 0 ? -EIO : 0;
}

/* Append one CSV field (quoted when needed) and a separator to @line at *@n. */
static void
csv_add(char *line, size_t len, size_t *n, const char *field, bool last)
{
	if (*n < len)
		*n += ns_export_csv_field(field, line + *n, len - *n);
	if (*n + 2 < len) {
		if (last) {
			line[(*n)++] = '\r';
			line[(*n)++] = '\n';
		} else {
			line[(*n)++] = ',';
		}
	}
}

static void
csv_num(char *line, size_t len, size_t *n, bool known, uint64_t v, bool last)
{
	char buf[24];

	if (known)
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	else
		buf[0] = '\0';
	csv_add(line, len, n, buf, last);
}

static int
write_csv(struct ns_flow_export *e, const struct ns_flow_record *r)
{
	char line[2048], buf[64];
	size_t n = 0;
	bool tcp = r->proto == 6, icmp = r->proto == 1 || r->proto == 58;
	bool syn = tcp && (r->flags & NS_FLOW_REC_SYNACK);
	bool rtt = tcp && r->rtt_samples != 0;

	csv_num(line, sizeof(line), &n, true, r->flow_id, false);
	csv_add(line, sizeof(line), &n, proto_str(r->proto, buf, sizeof(buf)), false);
	csv_num(line, sizeof(line), &n, true, r->proto, false);
	csv_num(line, sizeof(line), &n, true, r->ip_version, false);
	csv_add(line, sizeof(line), &n, ns_addr_format(&r->src, buf, sizeof(buf)), false);
	csv_num(line, sizeof(line), &n, true, r->src_port, false);
	csv_add(line, sizeof(line), &n, ns_addr_format(&r->dst, buf, sizeof(buf)), false);
	csv_num(line, sizeof(line), &n, true, r->dst_port, false);
	csv_num(line, sizeof(line), &n, true, r->vlan, false);
	csv_add(line, sizeof(line), &n, ns_time_fmt_rfc3339(r->first_ns, buf, sizeof(buf)), false);
	csv_add(line, sizeof(line), &n, ns_time_fmt_rfc3339(r->last_ns, buf, sizeof(buf)), false);
	csv_num(line, sizeof(line), &n, true, r->pkts[NS_FLOW_TOSERVER], false);
	csv_num(line, sizeof(line), &n, true, r->pkts[NS_FLOW_TOCLIENT], false);
	csv_num(line, sizeof(line), &n, true, r->bytes[NS_FLOW_TOSERVER], false);
	csv_num(line, sizeof(line), &n, true, r->bytes[NS_FLOW_TOCLIENT], false);
	csv_add(line, sizeof(line), &n, ns_flow_end_name(r->end_reason), false);
	csv_num(line, sizeof(line), &n, icmp, r->icmp_type, false);
	csv_num(line, sizeof(line), &n, icmp, r->icmp_code, false);
	csv_num(line, sizeof(line), &n, icmp && (r->flags & NS_FLOW_REC_ICMP_ECHO), r->icmp_id,
		false);
	csv_add(line, sizeof(line), &n, tcp ? ns_flow_tcp_state_name(r->tcp_state) : "", false);
	csv_add(line, sizeof(line), &n, tcp ? ns_flow_conn_state_name(r->conn_state) : "", false);
	csv_add(line, sizeof(line), &n,
		tcp ? ns_flow_tcp_flags_str(r->tcp_flags[0], buf, sizeof(buf)) : "", false);
	csv_add(line, sizeof(line), &n,
		tcp ? ns_flow_tcp_flags_str(r->tcp_flags[1], buf, sizeof(buf)) : "", false);
	csv_num(line, sizeof(line), &n, tcp && (r->flags & NS_FLOW_REC_IRTT), r->rtt_handshake_us,
		false);
	csv_num(line, sizeof(line), &n, syn, r->rtt_syn_synack_us, false);
	csv_num(line, sizeof(line), &n, syn, r->rtt_synack_ack_us, false);
	csv_num(line, sizeof(line), &n, rtt, r->rtt_min_us, false);
	csv_num(line, sizeof(line), &n, rtt, r->rtt_avg_us, false);
	csv_num(line, sizeof(line), &n, rtt, r->rtt_max_us, false);
	csv_num(line, sizeof(line), &n, tcp, r->rtt_samples, false);
	csv_num(line, sizeof(line), &n, tcp, r->retrans[NS_FLOW_TOSERVER], false);
	csv_num(line, sizeof(line), &n, tcp, r->retrans[NS_FLOW_TOCLIENT], false);
	csv_num(line, sizeof(line), &n, tcp, r->fast_retrans, false);
	csv_num(line, sizeof(line), &n, tcp, r->spurious_retrans, false);
	csv_num(line, sizeof(line), &n, tcp, r->ooo[NS_FLOW_TOSERVER], false);
	csv_num(line, sizeof(line), &n, tcp, r->ooo[NS_FLOW_TOCLIENT], false);
	csv_num(line, sizeof(line), &n, tcp, r->lost[NS_FLOW_TOSERVER], false);
	csv_num(line, sizeof(line), &n, tcp, r->lost[NS_FLOW_TOCLIENT], false);
	csv_num(line, sizeof(line), &n, tcp, r->dupack[NS_FLOW_TOSERVER], false);
	csv_num(line, sizeof(line), &n, tcp, r->dupack[NS_FLOW_TOCLIENT], false);
	csv_num(line, sizeof(line), &n, tcp, r->zero_window, false);
	csv_num(line, sizeof(line), &n, tcp, r->rst[NS_FLOW_TOSERVER], false);
	csv_num(line, sizeof(line), &n, tcp, r->rst[NS_FLOW_TOCLIENT], true);
	return put(e, line, NS_MIN(n, sizeof(line)));
}

int
ns_flow_export_write(struct ns_flow_export *e, const struct ns_flow_record *rec)
{
	int rc = e->fmt == NS_FLOW_EXPORT_CSV ? write_csv(e, rec) : write_json(e, rec);

	e->first = false;
	if (rc != 0) {
		if (e->errors++ == 0)
			NS_LOG(WARNING, "export",
			       "flow export: write failed (counting further "
			       "failures silently)");
		return rc;
	}
	e->written++;
	return 0;
}

unsigned
ns_flow_export_sink(void *arg, const struct ns_flow_record *recs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		ns_flow_export_write(arg, &recs[i]);
	return n;
}

uint64_t
ns_flow_export_written(const struct ns_flow_export *e)
{
	return e->written;
}

uint64_t
ns_flow_export_errors(const struct ns_flow_export *e)
{
	return e->errors;
}

int
ns_flow_export_close(struct ns_flow_export *e)
{
	int rc = 0;

	if (e == NULL)
		return 0;
	if (e->fmt == NS_FLOW_EXPORT_JSON) {
		const char *end = e->first ? "]\n" : "\n]\n";

		if (put(e, end, strlen(end)) != 0) {
			e->errors++;
			rc = -EIO;
		}
	}
	if (fflush(e->f) != 0) {
		rc = -errno;
		e->errors++;
	}
	if (e->own && fclose(e->f) != 0 && rc == 0)
		rc = -errno;
	free(e);
	return rc;
}
