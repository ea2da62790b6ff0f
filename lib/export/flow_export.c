/* SPDX-License-Identifier: MIT */
/*
 * Flow records (struct ns_flow_record from lib/flow) to a file as one JSON array, JSON lines or
 * CSV with a header (RFC 4180 quoting). Records are formatted straight into a 64 KiB buffer by
 * hand-written formatters (export_priv.h) and the buffer is written out when full, so a record
 * costs no allocation and no libc formatting; the bytes are those json-c and the old
 * snprintf-based writer produced. Every string that could ever need escaping (protocol and
 * state names, TCP flags) is escaped once at open, by json-c for JSON and by
 * ns_export_csv_field() for CSV. A failed write is counted and the exporter stays usable, so a
 * full disk never stops a capture. docs/exports.md lists every field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "export_priv.h"
#include "ns_core.h"
#include "ns_export.h"
#include "ns_flow.h"
#include "ns_proto.h"

/* A string value as it appears in the file: CSV-quoted if needed, or a JSON string literal. */
struct export_text {
	uint8_t len;
	char s[31];
};

struct ns_flow_export {
	FILE *f;
	bool own; /* fclose on close (not stdout) */
	enum ns_flow_export_format fmt;
	uint64_t written; /* records buffered or written, minus those a failed write lost */
	uint64_t errors;
	bool first; /* JSON array: no comma before the first object */
	struct fmt_day_cache day;
	/* every string field, escaped for fmt at open; the last slot of a name table is "?" */
	struct export_text proto[256];
	struct export_text tcp_flags[256];
	struct export_text end[NS_FLOW_END_MAX + 1];
	struct export_text tcp_state[NS_FLOW_TCP_STATE_MAX + 1];
	struct export_text conn_state[NS_FLOW_CONN_STATE_MAX + 1];
	size_t len; /* bytes in buf */
	unsigned nrec; /* records in buf */
	uint32_t rec_end[EXPORT_RECS_MAX]; /* offset in buf just past each record */
	char buf[EXPORT_BUF_SIZE];
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

/* Write @len bytes straight to the file; a short write clears the stream's error flag. */
static int
put(struct ns_flow_export *e, const char *s, size_t len)
{
	if (fwrite(s, 1, len, e->f) == len)
		return 0;
	clearerr(e->f);
	return -EIO;
}

static void
count_lost(struct ns_flow_export *e, uint64_t n)
{
	if (n == 0)
		return;
	if (e->errors == 0)
		NS_LOG(WARNING, "export",
		       "flow export: write failed (counting further "
		       "failures silently)");
	e->errors += n;
}

/*
 * Write the buffer out. The records that did not reach the file in full move from written to
 * errors (a partly written record is a lost one). Returns 0 or -EIO.
 */
static int
flush_buf(struct ns_flow_export *e)
{
	size_t done;
	unsigned kept = e->nrec;
	bool ok;

	if (e->len == 0)
		return 0;
	done = fwrite(e->buf, 1, e->len, e->f);
	ok = done == e->len;
	if (!ok) {
		clearerr(e->f);
		while (kept > 0 && e->rec_end[kept - 1] > done)
			kept--;
		e->written -= e->nrec - kept;
		count_lost(e, e->nrec - kept);
	}
	e->len = 0;
	e->nrec = 0;
	return ok ? 0 : -EIO;
}

/* Escape @s for @e's format into @t; -ENAMETOOLONG if it does not fit (a too long name). */
static int
text_set(struct ns_flow_export *e, struct export_text *t, const char *s)
{
	size_t n;

	if (e->fmt == NS_FLOW_EXPORT_CSV) {
		n = ns_export_csv_field(s, t->s, sizeof(t->s));
	} else {
		json_object *o = json_object_new_string(s);
		const char *j;

		if (o == NULL)
			return -ENOMEM;
		j = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
		if (j == NULL) {
			json_object_put(o);
			return -ENOMEM;
		}
		if (n < sizeof(t->s))
			memcpy(t->s, j, n);
		json_object_put(o);
	}
	if (n >= sizeof(t->s))
		return -ENAMETOOLONG;
	t->len = (uint8_t)n;
	return 0;
}

/* Every string field value, escaped once. Returns 0 or -errno. */
static int
texts_init(struct ns_flow_export *e)
{
	char buf[16];
	int rc = 0;

	for (unsigned i = 0; i < 256; i++) {
		const char *name = ns_flow_proto_name((uint8_t)i);

		if (name == NULL) {
			snprintf(buf, sizeof(buf), "%u", i);
			name = buf;
		}
		rc |= text_set(e, &e->proto[i], name);
		rc |= text_set(e, &e->tcp_flags[i],
			       ns_flow_tcp_flags_str((uint8_t)i, buf, sizeof(buf)));
	}
	for (unsigned i = 0; i < NS_ARRAY_SIZE(e->end); i++)
		rc |= text_set(e, &e->end[i], ns_flow_end_name(i));
	for (unsigned i = 0; i < NS_ARRAY_SIZE(e->tcp_state); i++)
		rc |= text_set(e, &e->tcp_state[i], ns_flow_tcp_state_name(i));
	for (unsigned i = 0; i < NS_ARRAY_SIZE(e->conn_state); i++)
		rc |= text_set(e, &e->conn_state[i], ns_flow_conn_state_name(i));
	return rc != 0 ? -EINVAL : 0;
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
	fmt_day_cache_init(&e->day);
	if (texts_init(e) != 0) {
		NS_LOG(ERR, "export", "a flow record name does not fit its escape table");
		free(e);
		errno = EINVAL;
		return NULL;
	}
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
		/* our buffer is the only one: a write error reaches the records it concerns */
		setvbuf(e->f, NULL, _IONBF, 0);
		e->own = true;
	}
	if (fmt == NS_FLOW_EXPORT_JSON && put(e, "[\n", 2) != 0)
		e->errors++;
	if (fmt == NS_FLOW_EXPORT_CSV && put(e, csv_header, sizeof(csv_header) - 1) != 0)
		e->errors++;
	return e;
}

/* Append a string literal (its length is a constant, so the copy is a few moves). */
#define LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) + sizeof(s) - 1)

/* Append an escaped string: a fixed-size copy (the buffer has EXPORT_REC_MAX of room). */
static inline char *
text(char *p, const struct export_text *t)
{
	memcpy(p, t->s, sizeof(t->s));
	return p + t->len;
}

static inline unsigned
clamp(unsigned v, unsigned max)
{
	return v < max ? v : max;
}

/* JSON: @v, or null when not @known. */
static inline char *
json_opt(char *p, bool known, uint64_t v)
{
	return known ? fmt_u64(p, v) : LIT(p, "null");
}

/* One JSON object, field for field what json-c printed for record_json()'s object tree. */
static char *
json_record(struct ns_flow_export *e, char *p, const struct ns_flow_record *r)
{
	p = LIT(p, "{\"flow_id\":");
	p = fmt_u64(p, r->flow_id);
	p = LIT(p, ",\"proto\":");
	p = text(p, &e->proto[r->proto]);
	p = LIT(p, ",\"ip_proto\":");
	p = fmt_u64(p, r->proto);
	p = LIT(p, ",\"ip_version\":");
	p = fmt_u64(p, r->ip_version);
	/* addresses and timestamps are [0-9a-f.:TZ-]: nothing to escape */
	p = LIT(p, ",\"src_ip\":\"");
	p = fmt_addr(p, &r->src);
	p = LIT(p, "\",\"src_port\":");
	p = fmt_u64(p, r->src_port);
	p = LIT(p, ",\"dst_ip\":\"");
	p = fmt_addr(p, &r->dst);
	p = LIT(p, "\",\"dst_port\":");
	p = fmt_u64(p, r->dst_port);
	p = LIT(p, ",\"vlan\":");
	p = fmt_u64(p, r->vlan);
	p = LIT(p, ",\"first_seen\":\"");
	p = fmt_rfc3339(&e->day, p, r->first_ns);
	p = LIT(p, "\",\"last_seen\":\"");
	p = fmt_rfc3339(&e->day, p, r->last_ns);
	p = LIT(p, "\",\"pkts_toserver\":");
	p = fmt_u64(p, r->pkts[NS_FLOW_TOSERVER]);
	p = LIT(p, ",\"pkts_toclient\":");
	p = fmt_u64(p, r->pkts[NS_FLOW_TOCLIENT]);
	p = LIT(p, ",\"bytes_toserver\":");
	p = fmt_u64(p, r->bytes[NS_FLOW_TOSERVER]);
	p = LIT(p, ",\"bytes_toclient\":");
	p = fmt_u64(p, r->bytes[NS_FLOW_TOCLIENT]);
	p = LIT(p, ",\"end_reason\":");
	p = text(p, &e->end[clamp(r->end_reason, NS_FLOW_END_MAX)]);
	if (r->proto == 1 || r->proto == 58) {
		p = LIT(p, ",\"icmp\":{\"type\":");
		p = fmt_u64(p, r->icmp_type);
		p = LIT(p, ",\"code\":");
		p = fmt_u64(p, r->icmp_code);
		p = LIT(p, ",\"id\":");
		p = json_opt(p, r->flags & NS_FLOW_REC_ICMP_ECHO, r->icmp_id);
		*p++ = '}';
	}
	if (r->proto != 6) {
		*p++ = '}';
		return p;
	}

	bool syn = r->flags & NS_FLOW_REC_SYNACK;
	bool rtt = r->rtt_samples != 0;

	p = LIT(p, ",\"tcp\":{\"tcp_state\":");
	p = text(p, &e->tcp_state[clamp(r->tcp_state, NS_FLOW_TCP_STATE_MAX)]);
	p = LIT(p, ",\"conn_state\":");
	p = text(p, &e->conn_state[clamp(r->conn_state, NS_FLOW_CONN_STATE_MAX)]);
	p = LIT(p, ",\"flags_toserver\":");
	p = text(p, &e->tcp_flags[r->tcp_flags[0]]);
	p = LIT(p, ",\"flags_toclient\":");
	p = text(p, &e->tcp_flags[r->tcp_flags[1]]);
	if (r->flags & NS_FLOW_REC_MIDSTREAM)
		p = LIT(p, ",\"midstream\":true,\"rtt_handshake_us\":");
	else
		p = LIT(p, ",\"midstream\":false,\"rtt_handshake_us\":");
	p = json_opt(p, r->flags & NS_FLOW_REC_IRTT, r->rtt_handshake_us);
	p = LIT(p, ",\"rtt_syn_synack_us\":");
	p = json_opt(p, syn, r->rtt_syn_synack_us);
	p = LIT(p, ",\"rtt_synack_ack_us\":");
	p = json_opt(p, syn, r->rtt_synack_ack_us);
	p = LIT(p, ",\"rtt_min_us\":");
	p = json_opt(p, rtt, r->rtt_min_us);
	p = LIT(p, ",\"rtt_avg_us\":");
	p = json_opt(p, rtt, r->rtt_avg_us);
	p = LIT(p, ",\"rtt_max_us\":");
	p = json_opt(p, rtt, r->rtt_max_us);
	p = LIT(p, ",\"rtt_samples\":");
	p = fmt_u64(p, r->rtt_samples);
	p = LIT(p, ",\"retrans_toserver\":");
	p = fmt_u64(p, r->retrans[NS_FLOW_TOSERVER]);
	p = LIT(p, ",\"retrans_toclient\":");
	p = fmt_u64(p, r->retrans[NS_FLOW_TOCLIENT]);
	p = LIT(p, ",\"fast_retrans\":");
	p = fmt_u64(p, r->fast_retrans);
	p = LIT(p, ",\"spurious_retrans\":");
	p = fmt_u64(p, r->spurious_retrans);
	p = LIT(p, ",\"ooo_toserver\":");
	p = fmt_u64(p, r->ooo[NS_FLOW_TOSERVER]);
	p = LIT(p, ",\"ooo_toclient\":");
	p = fmt_u64(p, r->ooo[NS_FLOW_TOCLIENT]);
	p = LIT(p, ",\"lost_toserver\":");
	p = fmt_u64(p, r->lost[NS_FLOW_TOSERVER]);
	p = LIT(p, ",\"lost_toclient\":");
	p = fmt_u64(p, r->lost[NS_FLOW_TOCLIENT]);
	p = LIT(p, ",\"dupack_toserver\":");
	p = fmt_u64(p, r->dupack[NS_FLOW_TOSERVER]);
	p = LIT(p, ",\"dupack_toclient\":");
	p = fmt_u64(p, r->dupack[NS_FLOW_TOCLIENT]);
	p = LIT(p, ",\"zero_window\":");
	p = fmt_u64(p, r->zero_window);
	p = LIT(p, ",\"rst_toserver\":");
	p = fmt_u64(p, r->rst[NS_FLOW_TOSERVER]);
	p = LIT(p, ",\"rst_toclient\":");
	p = fmt_u64(p, r->rst[NS_FLOW_TOCLIENT]);
	return LIT(p, "}}");
}

/* CSV: a number and its separator. */
static inline char *
csv_num(char *p, uint64_t v)
{
	p = fmt_u64(p, v);
	*p++ = ',';
	return p;
}

/* CSV: a number, or an empty field when not @known. */
static inline char *
csv_opt(char *p, bool known, uint64_t v)
{
	if (known)
		p = fmt_u64(p, v);
	*p++ = ',';
	return p;
}

static inline char *
csv_text(char *p, const struct export_text *t)
{
	p = text(p, t);
	*p++ = ',';
	return p;
}

/*
 * One CSV row in csv_header's column order. Numbers, addresses and timestamps can hold no
 * comma, quote or line break, so only the names (escaped at open) are ever quoted.
 */
static char *
csv_record(struct ns_flow_export *e, char *p, const struct ns_flow_record *r)
{
	bool tcp = r->proto == 6, icmp = r->proto == 1 || r->proto == 58;
	bool syn = tcp && (r->flags & NS_FLOW_REC_SYNACK);
	bool rtt = tcp && r->rtt_samples != 0;

	p = csv_num(p, r->flow_id);
	p = csv_text(p, &e->proto[r->proto]);
	p = csv_num(p, r->proto);
	p = csv_num(p, r->ip_version);
	p = fmt_addr(p, &r->src);
	*p++ = ',';
	p = csv_num(p, r->src_port);
	p = fmt_addr(p, &r->dst);
	*p++ = ',';
	p = csv_num(p, r->dst_port);
	p = csv_num(p, r->vlan);
	p = fmt_rfc3339(&e->day, p, r->first_ns);
	*p++ = ',';
	p = fmt_rfc3339(&e->day, p, r->last_ns);
	*p++ = ',';
	p = csv_num(p, r->pkts[NS_FLOW_TOSERVER]);
	p = csv_num(p, r->pkts[NS_FLOW_TOCLIENT]);
	p = csv_num(p, r->bytes[NS_FLOW_TOSERVER]);
	p = csv_num(p, r->bytes[NS_FLOW_TOCLIENT]);
	p = csv_text(p, &e->end[clamp(r->end_reason, NS_FLOW_END_MAX)]);
	p = csv_opt(p, icmp, r->icmp_type);
	p = csv_opt(p, icmp, r->icmp_code);
	p = csv_opt(p, icmp && (r->flags & NS_FLOW_REC_ICMP_ECHO), r->icmp_id);
	if (tcp) {
		p = csv_text(p, &e->tcp_state[clamp(r->tcp_state, NS_FLOW_TCP_STATE_MAX)]);
		p = csv_text(p, &e->conn_state[clamp(r->conn_state, NS_FLOW_CONN_STATE_MAX)]);
		p = csv_text(p, &e->tcp_flags[r->tcp_flags[0]]);
		p = csv_text(p, &e->tcp_flags[r->tcp_flags[1]]);
	} else {
		p = LIT(p, ",,,,");
	}
	p = csv_opt(p, tcp && (r->flags & NS_FLOW_REC_IRTT), r->rtt_handshake_us);
	p = csv_opt(p, syn, r->rtt_syn_synack_us);
	p = csv_opt(p, syn, r->rtt_synack_ack_us);
	p = csv_opt(p, rtt, r->rtt_min_us);
	p = csv_opt(p, rtt, r->rtt_avg_us);
	p = csv_opt(p, rtt, r->rtt_max_us);
	p = csv_opt(p, tcp, r->rtt_samples);
	p = csv_opt(p, tcp, r->retrans[NS_FLOW_TOSERVER]);
	p = csv_opt(p, tcp, r->retrans[NS_FLOW_TOCLIENT]);
	p = csv_opt(p, tcp, r->fast_retrans);
	p = csv_opt(p, tcp, r->spurious_retrans);
	p = csv_opt(p, tcp, r->ooo[NS_FLOW_TOSERVER]);
	p = csv_opt(p, tcp, r->ooo[NS_FLOW_TOCLIENT]);
	p = csv_opt(p, tcp, r->lost[NS_FLOW_TOSERVER]);
	p = csv_opt(p, tcp, r->lost[NS_FLOW_TOCLIENT]);
	p = csv_opt(p, tcp, r->dupack[NS_FLOW_TOSERVER]);
	p = csv_opt(p, tcp, r->dupack[NS_FLOW_TOCLIENT]);
	p = csv_opt(p, tcp, r->zero_window);
	p = csv_opt(p, tcp, r->rst[NS_FLOW_TOSERVER]);
	p = csv_opt(p, tcp, r->rst[NS_FLOW_TOCLIENT]);
	p[-1] = '\r'; /* the last field ends the line, RFC 4180 section 2.1 */
	*p++ = '\n';
	return p;
}

/* Format one record into the buffer, writing the buffer out first when it is short of room. */
static int
write_one(struct ns_flow_export *e, const struct ns_flow_record *r)
{
	int rc = 0;
	char *p;

	if (e->len > EXPORT_BUF_SIZE - EXPORT_REC_MAX || e->nrec == EXPORT_RECS_MAX)
		rc = flush_buf(e);
	p = e->buf + e->len;
	if (e->fmt == NS_FLOW_EXPORT_CSV) {
		p = csv_record(e, p, r);
	} else {
		if (e->fmt == NS_FLOW_EXPORT_JSON && !e->first)
			p = LIT(p, ",\n");
		p = json_record(e, p, r);
		if (e->fmt == NS_FLOW_EXPORT_JSONL)
			*p++ = '\n';
	}
	e->first = false;
	e->len = (size_t)(p - e->buf);
	e->rec_end[e->nrec++] = (uint32_t)e->len;
	e->written++;
	return rc;
}

/* stdout is shared with other output: hand it each call's records, as they come. */
static int
flush_shared(struct ns_flow_export *e)
{
	return e->own ? 0 : flush_buf(e);
}

int
ns_flow_export_write(struct ns_flow_export *e, const struct ns_flow_record *rec)
{
	int rc = write_one(e, rec);

	return rc | flush_shared(e);
}

unsigned
ns_flow_export_sink(void *arg, const struct ns_flow_record *recs, unsigned n)
{
	struct ns_flow_export *e = arg;

	for (unsigned i = 0; i < n; i++)
		write_one(e, &recs[i]);
	flush_shared(e);
	return n;
}

int
ns_flow_export_flush(struct ns_flow_export *e)
{
	int rc = flush_buf(e);

	if (fflush(e->f) != 0) {
		clearerr(e->f);
		rc = -EIO;
	}
	return rc;
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
	if (flush_buf(e) != 0)
		rc = -EIO;
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
