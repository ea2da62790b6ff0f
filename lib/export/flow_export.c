/* SPDX-License-Identifier: MIT */
/*
 * Flow records (struct ns_flow_record from lib/flow) to a file as one JSON array, JSON lines or
 * CSV with a header (RFC 4180 quoting). Records are formatted straight into a buffer by
 * hand-written formatters (export_priv.h), one room check per record, and the buffer goes out in
 * whole 64 KiB pieces at 64 KiB offsets of the file, so a record costs no allocation and no libc
 * formatting; the bytes are those json-c and the old
 * snprintf-based writer produced. Every string that could ever need escaping (protocol and
 * state names, TCP flags) is escaped once at open, by json-c for JSON and by
 * ns_export_csv_field() for CSV. A failed write is counted and the exporter stays usable, so a
 * full disk never stops a capture. docs/exports.md lists every field.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <json-c/json.h>

#include "export_priv.h"
#include "ns_core.h"
#include "ns_export.h"
#include "ns_flow.h"
#include "ns_proto.h"

/*
 * A string value as it appears in the file (CSV-quoted if needed, or a JSON string literal),
 * with whatever always follows it in a record (CSV's comma). Names are copied whole, 16 bytes
 * in one move, and the length says how much of that counts.
 */
struct export_name {
	char s[15];
	uint8_t len;
};

/* The protocol name, then the ip_proto number that is the same value (and JSON's next key). */
struct export_proto {
	char s[47];
	uint8_t len;
};

/*
 * A TCP row's columns from end_reason to flags_toclient ("closed,,,,closed,SF,FSPA,FSA,"),
 * keyed by the five bytes they come from. Few combinations occur, so a small direct-mapped
 * cache of their text turns five name copies and the ICMP commas into one 48-byte copy.
 */
#define TCP_NAMES_BITS 6
struct export_tcp_names {
	uint64_t key; /* tcp_names_key(); UINT64_MAX (no key has bits above 40) while empty */
	char s[48];
	uint8_t len;
};

struct ns_flow_export {
	FILE *f;
	bool own; /* fclose on close (not stdout) */
	enum ns_flow_export_format fmt;
	uint64_t written; /* records buffered or written, minus those a failed write lost */
	uint64_t errors;
	struct fmt_ts_cache ts;
	/* every string field, escaped for fmt at open, for every byte value (unknown ones "?") */
	struct export_proto proto[256];
	struct export_name csv_proto[2][256]; /* CSV: proto, ip_proto, ip_version 4 [0] or 6 [1] */
	const struct export_name *csv_proto_of[256]; /* csv_proto by ip_version; NULL but 4, 6 */
	struct export_name tcp_flags[256];
	struct export_name end[256];
	struct export_name tcp_state[256];
	struct export_name conn_state[256];
	struct export_tcp_names tcp_names[1u << TCP_NAMES_BITS]; /* CSV */
	uint64_t off; /* bytes the file took from us */
	uint64_t good; /* file offset just past the header and the last record whole in it */
	bool any_rec; /* a record is whole in the file (JSON array: the next needs its comma) */
	uint64_t reserved; /* the file's blocks are reserved up to here (EXPORT_RESERVE steps) */
	bool reserve; /* keep reserving them (ext4, and no failure yet) */
	size_t due; /* buffer length that ends the current EXPORT_CHUNK piece of the file */
	size_t head; /* bytes of the CSV header or "[" still at the front of buf */
	size_t len; /* bytes in buf */
	unsigned nrec; /* records in buf, whole or the tail of one begun in the last piece */
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
 * On ext4, the file's blocks are reserved EXPORT_RESERVE bytes at a time ahead of the pieces
 * that fill them (fallocate, FALLOC_FL_KEEP_SIZE: the size stays what was written), and what
 * lies past the end is given back at close. A write into reserved blocks costs the kernel less
 * than one that reserves them page by page (delayed allocation): 7.7 -> 6.7 ms of CPU for
 * min-100k's 31.7 MB in 64 KiB pieces, 1 MiB steps and the trim included. On tmpfs the same
 * costs ~10% more (it zeroes the pages it reserves), so other file systems are written as before.
 */
#define EXPORT_RESERVE (1u << 20)

static void
reserve_blocks(struct ns_flow_export *e, size_t n)
{
	int fd = fileno(e->f);

	while (e->reserve && e->off + n > e->reserved) {
		/* a full disk, or not a regular file: the writes say what fails */
		if (fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)e->reserved, EXPORT_RESERVE) != 0)
			e->reserve = false;
		e->reserved += EXPORT_RESERVE;
	}
}

/* Give back the blocks reserved past the end of the file (truncating to its own size does). */
static int
trim_blocks(struct ns_flow_export *e)
{
	struct stat st;
	int fd = fileno(e->f);

	if (e->reserved == 0)
		return 0;
	if (fstat(fd, &st) != 0 || ftruncate(fd, st.st_size) != 0)
		return -errno;
	return 0;
}

/*
 * How many of the buffer's records end within its first @n bytes. rec_end ascends, so a binary
 * search: a write takes ~300 rows, which a scan would step through one by one.
 */
static unsigned
recs_within(const struct ns_flow_export *e, size_t n)
{
	unsigned lo = 0, hi = e->nrec;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (e->rec_end[mid] <= n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * After a failed write, cut the file back to its last whole record, so that neither the part
 * of a record that made it nor what a later write appends to it leaves a broken row or object.
 * A pipe or terminal cannot be cut: it keeps what it took.
 */
static void
cut_to_good(struct ns_flow_export *e, uint64_t *off)
{
	/* standard output may be a file we did not open, and its offsets are not ours */
	if (!e->own || *off == e->good || ftruncate(fileno(e->f), (off_t)e->good) != 0 ||
	    fseeko(e->f, (off_t)e->good, SEEK_SET) != 0)
		return;
	*off = e->good;
}

/* The file's header: the CSV header line or JSON's "[" (none for JSON lines). */
static const char *
header_text(const struct ns_flow_export *e, size_t *len)
{
	if (e->fmt == NS_FLOW_EXPORT_JSON) {
		*len = 2;
		return "[\n";
	}
	*len = e->fmt == NS_FLOW_EXPORT_CSV ? sizeof(csv_header) - 1 : 0;
	return csv_header;
}

/*
 * After write_out() moved the buffer: put back at its front what the file still lacks of the
 * header, @rest bytes, of which @inbuf are still there. A header is never lost: the records
 * behind it are, and the next write tries it again.
 */
static void
header_restore(struct ns_flow_export *e, size_t rest, size_t inbuf)
{
	size_t hlen;
	const char *h = header_text(e, &hlen);
	const size_t pre = rest - inbuf;

	e->head = rest;
	if (pre == 0)
		return;
	memmove(e->buf + pre, e->buf, e->len);
	memcpy(e->buf, h + hlen - rest, pre);
	e->len += pre;
	for (unsigned i = 0; i < e->nrec; i++)
		e->rec_end[i] += (uint32_t)pre;
}

/*
 * Write the first @n bytes of the buffer out and move the rest to its front. The records that
 * did not reach the file in full move from written to errors: those ending past what the file
 * took, up to the one running past @n (its head is missing, so the tail is dropped with it),
 * and the file is cut back to its last whole record. A record that runs past @n after a good
 * write stays, its head in the file; so does the part of the header the file did not take.
 * Returns 0 or -EIO.
 */
static int
write_out(struct ns_flow_export *e, size_t n)
{
	const size_t head = e->head;
	size_t done, keep = n, rest = 0;
	uint64_t off;
	unsigned gone;
	bool ok;

	reserve_blocks(e, n);
	done = fwrite(e->buf, 1, n, e->f);
	ok = done == n;
	off = e->off + done;
	if (head != 0 && done >= head)
		e->good = e->off + head;
	gone = recs_within(e, done);
	if (gone != 0) {
		e->good = e->off + e->rec_end[gone - 1];
		e->any_rec = true;
	}
	if (!ok) {
		unsigned lost = gone;

		clearerr(e->f);
		while (lost < e->nrec && (lost == 0 || e->rec_end[lost - 1] < n))
			lost++;
		e->written -= lost - gone;
		count_lost(e, lost - gone);
		if (lost > gone && e->rec_end[lost - 1] > n)
			keep = e->rec_end[lost - 1];
		gone = lost;
		cut_to_good(e, &off);
		/* a JSON array whose records all went: the next one opens it, without a comma */
		if (e->fmt == NS_FLOW_EXPORT_JSON && !e->any_rec && e->len > keep + 1 &&
		    memcmp(e->buf + keep, ",\n", 2) == 0)
			keep += 2;
	}
	/* the header bytes the file lacks (after a cut back, all of them) */
	if (head != 0)
		rest = head - NS_MIN((size_t)(off - e->off), head);
	e->off = off;
	e->due = EXPORT_CHUNK - (size_t)(e->off % EXPORT_CHUNK);
	e->len -= keep;
	memmove(e->buf, e->buf + keep, e->len);
	e->nrec -= gone;
	for (unsigned i = 0; i < e->nrec; i++)
		e->rec_end[i] = e->rec_end[gone + i] - (uint32_t)keep;
	header_restore(e, rest, head > keep ? head - keep : 0);
	return ok ? 0 : -EIO;
}

/* Write the whole buffer out. Returns 0 or -EIO. */
static int
flush_buf(struct ns_flow_export *e)
{
	return e->len != 0 ? write_out(e, e->len) : 0;
}

/* Escape @s for @e's format into @out (@cap bytes), then append @tail as it is. Returns the
 * length, or -ENAMETOOLONG if it does not fit (a too long name). */
static int
text_set(struct ns_flow_export *e, char *out, size_t cap, const char *s, const char *tail)
{
	size_t n, k = strlen(tail);

	if (e->fmt == NS_FLOW_EXPORT_CSV) {
		n = ns_export_csv_field(s, out, cap);
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
		if (n < cap)
			memcpy(out, j, n);
		json_object_put(o);
	}
	if (n + k >= cap)
		return -ENAMETOOLONG;
	memcpy(out + n, tail, k);
	return (int)(n + k);
}

static int
name_set(struct ns_flow_export *e, struct export_name *t, const char *s)
{
	int n = text_set(e, t->s, sizeof(t->s), s, e->fmt == NS_FLOW_EXPORT_CSV ? "," : "");

	t->len = (uint8_t)(n > 0 ? n : 0);
	return n < 0 ? n : 0;
}

/* Every string field value, escaped once. Returns 0 or -errno. */
static int
texts_init(struct ns_flow_export *e)
{
	char buf[16], tail[40];
	int rc = 0;

	for (unsigned i = 0; i < 256; i++) {
		const char *name = ns_flow_proto_name((uint8_t)i);
		int n;

		if (name == NULL) {
			snprintf(buf, sizeof(buf), "%u", i);
			name = buf;
		}
		/* the name, then the ip_proto column and the start of ip_version's */
		if (e->fmt == NS_FLOW_EXPORT_CSV)
			snprintf(tail, sizeof(tail), ",%u,", i);
		else
			snprintf(tail, sizeof(tail), ",\"ip_proto\":%u,\"ip_version\":", i);
		n = text_set(e, e->proto[i].s, sizeof(e->proto[i].s), name, tail);
		e->proto[i].len = (uint8_t)(n > 0 ? n : 0);
		rc |= n < 0 ? n : 0;
		if (e->fmt == NS_FLOW_EXPORT_CSV && n > 13) {
			rc |= -ENAMETOOLONG; /* proto16() copies 16 bytes, csv_proto adds "4," */
		} else if (e->fmt == NS_FLOW_EXPORT_CSV && n > 0) {
			for (unsigned v = 0; v < 2; v++) {
				memcpy(e->csv_proto[v][i].s, e->proto[i].s, (size_t)n);
				memcpy(e->csv_proto[v][i].s + n, v == 0 ? "4," : "6,", 2);
				e->csv_proto[v][i].len = (uint8_t)(n + 2);
			}
		}
		rc |= name_set(e, &e->tcp_flags[i],
			       ns_flow_tcp_flags_str((uint8_t)i, buf, sizeof(buf)));
		rc |= name_set(e, &e->end[i], ns_flow_end_name(i));
		rc |= name_set(e, &e->tcp_state[i], ns_flow_tcp_state_name(i));
		rc |= name_set(e, &e->conn_state[i], ns_flow_conn_state_name(i));
	}
	return rc != 0 ? -EINVAL : 0;
}

struct ns_flow_export *
ns_flow_export_open(const char *path, enum ns_flow_export_format fmt)
{
	struct ns_flow_export *e;
	struct statfs sf;

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
	e->due = EXPORT_CHUNK;
	for (unsigned i = 0; i < NS_ARRAY_SIZE(e->tcp_names); i++)
		e->tcp_names[i].key = UINT64_MAX;
	e->csv_proto_of[4] = e->csv_proto[0];
	e->csv_proto_of[6] = e->csv_proto[1];
	fmt_ts_cache_init(&e->ts);
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
		e->reserve = fstatfs(fileno(e->f), &sf) == 0 && sf.f_type == EXT4_SUPER_MAGIC;
	}
	/* the header goes out with the first piece, which keeps the pieces at aligned offsets */
	if (fmt == NS_FLOW_EXPORT_JSON) {
		memcpy(e->buf, "[\n", 2);
		e->head = e->len = 2;
	} else if (fmt == NS_FLOW_EXPORT_CSV) {
		memcpy(e->buf, csv_header, sizeof(csv_header) - 1);
		e->head = e->len = sizeof(csv_header) - 1;
	}
	return e;
}

/* Append a string literal (its length is a constant, so the copy is a few moves). */
#define LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) + sizeof(s) - 1)

/*
 * Append entry @i of a name table: one 16-byte copy (the buffer has EXPORT_REC_MAX of room).
 * The index is a size_t so that the entry's address is one scaled add, not a 32-bit sum
 * widened after the fact.
 */
static inline char *
name(char *p, const struct export_name *tab, size_t i)
{
	memcpy(p, &tab[i], sizeof(tab[i]));
	return p + tab[i].len;
}

static inline char *
proto(char *p, const struct export_proto *tab, size_t i)
{
	memcpy(p, tab[i].s, sizeof(tab[i].s));
	return p + tab[i].len;
}

/* CSV's proto and ip_proto columns: never more than 16 bytes (texts_init checks). */
static inline char *
proto16(char *p, const struct export_proto *tab, size_t i)
{
	memcpy(p, tab[i].s, 16);
	return p + tab[i].len;
}

/*
 * Whether every TCP event counter is zero, as in most flows: they go out as one literal. The
 * thirteen are contiguous (retrans[0] to rst[1]), so seven 8-byte loads ORed, the last
 * overlapping the one before, test them all.
 */
static inline bool
tcp_counters_zero(const struct ns_flow_record *r)
{
	const char *b = (const char *)&r->retrans[0];
	uint64_t w[7];

	_Static_assert(offsetof(struct ns_flow_record, rst[1]) -
				       offsetof(struct ns_flow_record, retrans[0]) ==
			       12 * sizeof(uint32_t),
		       "the TCP event counters are thirteen contiguous uint32_t");
	for (unsigned i = 0; i < 6; i++)
		memcpy(&w[i], b + 8 * i, 8);
	memcpy(&w[6], b + 13 * 4 - 8, 8);
	return (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6]) == 0;
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
	p = proto(p, e->proto, r->proto); /* and ip_proto, up to ip_version's value */
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
	p = fmt_rfc3339_sep(&e->ts, p, r->first_ns, '"');
	p = LIT(p, ",\"last_seen\":\"");
	p = fmt_rfc3339_sep(&e->ts, p, r->last_ns, '"');
	p = LIT(p, ",\"pkts_toserver\":");
	p = fmt_u64(p, r->pkts[NS_FLOW_TOSERVER]);
	p = LIT(p, ",\"pkts_toclient\":");
	p = fmt_u64(p, r->pkts[NS_FLOW_TOCLIENT]);
	p = LIT(p, ",\"bytes_toserver\":");
	p = fmt_u64(p, r->bytes[NS_FLOW_TOSERVER]);
	p = LIT(p, ",\"bytes_toclient\":");
	p = fmt_u64(p, r->bytes[NS_FLOW_TOCLIENT]);
	p = LIT(p, ",\"end_reason\":");
	p = name(p, e->end, r->end_reason);
	if (NS_LIKELY(r->proto == 6))
		goto tcp;
	if (r->proto == 1 || r->proto == 58) {
		p = LIT(p, ",\"icmp\":{\"type\":");
		p = fmt_u64(p, r->icmp_type);
		p = LIT(p, ",\"code\":");
		p = fmt_u64(p, r->icmp_code);
		p = LIT(p, ",\"id\":");
		p = json_opt(p, r->flags & NS_FLOW_REC_ICMP_ECHO, r->icmp_id);
		*p++ = '}';
	}
	*p++ = '}';
	return p;
tcp:
	p = LIT(p, ",\"tcp\":{\"tcp_state\":");
	p = name(p, e->tcp_state, r->tcp_state);
	p = LIT(p, ",\"conn_state\":");
	p = name(p, e->conn_state, r->conn_state);
	p = LIT(p, ",\"flags_toserver\":");
	p = name(p, e->tcp_flags, r->tcp_flags[0]);
	p = LIT(p, ",\"flags_toclient\":");
	p = name(p, e->tcp_flags, r->tcp_flags[1]);
	if (r->flags & NS_FLOW_REC_MIDSTREAM)
		p = LIT(p, ",\"midstream\":true,\"rtt_handshake_us\":");
	else
		p = LIT(p, ",\"midstream\":false,\"rtt_handshake_us\":");
	p = json_opt(p, r->flags & NS_FLOW_REC_IRTT, r->rtt_handshake_us);
	if (r->flags & NS_FLOW_REC_SYNACK) {
		p = LIT(p, ",\"rtt_syn_synack_us\":");
		p = fmt_u64(p, r->rtt_syn_synack_us);
		p = LIT(p, ",\"rtt_synack_ack_us\":");
		p = fmt_u64(p, r->rtt_synack_ack_us);
	} else {
		p = LIT(p, ",\"rtt_syn_synack_us\":null,\"rtt_synack_ack_us\":null");
	}
	if (r->rtt_samples != 0) {
		p = LIT(p, ",\"rtt_min_us\":");
		p = fmt_u64(p, r->rtt_min_us);
		p = LIT(p, ",\"rtt_avg_us\":");
		p = fmt_u64(p, r->rtt_avg_us);
		p = LIT(p, ",\"rtt_max_us\":");
		p = fmt_u64(p, r->rtt_max_us);
		p = LIT(p, ",\"rtt_samples\":");
		p = fmt_u64(p, r->rtt_samples);
	} else {
		p = LIT(p, ",\"rtt_min_us\":null,\"rtt_avg_us\":null,\"rtt_max_us\":null,"
			   "\"rtt_samples\":0");
	}
	if (tcp_counters_zero(r))
		return LIT(p, ",\"retrans_toserver\":0,\"retrans_toclient\":0,\"fast_retrans\":0,"
			      "\"spurious_retrans\":0,\"ooo_toserver\":0,\"ooo_toclient\":0,"
			      "\"lost_toserver\":0,\"lost_toclient\":0,\"dupack_toserver\":0,"
			      "\"dupack_toclient\":0,\"zero_window\":0,\"rst_toserver\":0,"
			      "\"rst_toclient\":0}}");
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
	uint32_t hi, lo;

	/* fmt_u64() with the comma in the last group's copy */
	if (v < 1000) {
		memcpy(p, fmt_d3c[v], 4);
		return p + fmt_d3[v][3] + 1;
	}
	if (v < 1000000) {
		hi = (uint32_t)v / 1000;
		lo = (uint32_t)v - hi * 1000;
		p = fmt_u3(p, hi);
		memcpy(p, fmt_d3pad[lo], 4);
		return p + 4;
	}
	if (NS_LIKELY(v < 1000000000)) {
		hi = (uint32_t)v / 1000000;
		lo = (uint32_t)v - hi * 1000000;
		p = fmt_u3(p, hi);
		memcpy(p, fmt_d3pad[lo / 1000], 4);
		memcpy(p + 3, fmt_d3pad[lo % 1000], 4);
		return p + 7;
	}
	p = fmt_u64_long(p, v);
	*p = ',';
	return p + 1;
}

/* csv_num() for a field mostly below 1000 (counts of packets, VLAN ids): that case inline. */
static inline char *
csv_small(char *p, uint64_t v)
{
	if (NS_LIKELY(v < 1000)) {
		memcpy(p, fmt_d3c[v], 4);
		return p + fmt_d3[v][3] + 1;
	}
	return csv_num(p, v);
}

/*
 * Append the @n bytes before @p (a number and its comma, at most 11 bytes for a uint32_t) twice
 * more: two 16-byte copies of the same source, the second overlapping the first's tail.
 */
static inline char *
csv_copy3(char *p, const char *q, size_t n)
{
	char t[16];

	memcpy(t, q, 16);
	memcpy(p, t, 16);
	memcpy(p + n, t, 16);
	return p + 2 * n;
}

/* CSV: a dotted quad and its comma (the last octet's copy brings the comma). */
static inline char *
csv_v4(char *p, const uint8_t *b)
{
	p = fmt_octet_dot(p, b[0]);
	p = fmt_octet_dot(p, b[1]);
	p = fmt_octet_dot(p, b[2]);
	return fmt_oct_put(p, fmt_oct_comma[b[3]]);
}

/* CSV: an address and its comma. */
static inline char *
csv_addr(char *p, const struct ns_addr *a)
{
	if (NS_LIKELY(fmt_addr_is_v4(a)))
		return csv_v4(p, a->b + 12);
	p = fmt_addr_v6(p, a);
	*p = ',';
	return p + 1;
}

/* The five bytes the TCP name columns come from. */
static inline uint64_t
tcp_names_key(const struct ns_flow_record *r)
{
	uint32_t a;
	uint16_t f;

	_Static_assert(offsetof(struct ns_flow_record, conn_state) ==
			       offsetof(struct ns_flow_record, end_reason) + 2,
		       "end_reason, tcp_state and conn_state are adjacent");
	memcpy(&a, &r->end_reason, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	a >>= 8;
#else
	a &= 0xffffff;
#endif
	memcpy(&f, r->tcp_flags, 2);
	return (uint64_t)a | (uint64_t)f << 24;
}

/* csv_tcp_names() for a combination not in the cache: the names, then the slot is theirs. */
static __attribute__((noinline)) char *
csv_tcp_names_miss(struct ns_flow_export *e, struct export_tcp_names *c, uint64_t key, char *p,
		   const struct ns_flow_record *r)
{
	char *q = name(p, e->end, r->end_reason);

	q = LIT(q, ",,,"); /* the ICMP columns */
	q = name(q, e->tcp_state, r->tcp_state);
	q = name(q, e->conn_state, r->conn_state);
	q = name(q, e->tcp_flags, r->tcp_flags[0]);
	q = name(q, e->tcp_flags, r->tcp_flags[1]);
	if ((size_t)(q - p) <= sizeof(c->s)) {
		memcpy(c->s, p, sizeof(c->s));
		c->len = (uint8_t)(q - p);
		c->key = key;
	}
	return q;
}

/* CSV, TCP: end_reason, the three empty ICMP columns, tcp_state to flags_toclient. */
static inline char *
csv_tcp_names(struct ns_flow_export *e, char *p, const struct ns_flow_record *r)
{
	uint64_t key = tcp_names_key(r);
	struct export_tcp_names *c =
		&e->tcp_names[(key * 0x9e3779b97f4a7c15ull) >> (64 - TCP_NAMES_BITS)];

	if (NS_UNLIKELY(c->key != key))
		return csv_tcp_names_miss(e, c, key, p, r);
	memcpy(p, c->s, sizeof(c->s));
	return p + c->len;
}

/*
 * One CSV row in csv_header's column order. Numbers, addresses and timestamps can hold no
 * comma, quote or line break, so only the names (escaped at open, each with its comma) are ever
 * quoted. The empty columns of what a record does not have go out as one run of commas.
 */
static inline __attribute__((always_inline)) char *
csv_record(struct ns_flow_export *e, char *p, const struct ns_flow_record *r)
{
	p = csv_num(p, r->flow_id);
	if (NS_LIKELY(e->csv_proto_of[r->ip_version] != NULL)) {
		/* 4 or 6: proto, ip_proto and ip_version are one name */
		p = name(p, e->csv_proto_of[r->ip_version], r->proto);
	} else {
		p = proto16(p, e->proto, r->proto); /* proto and ip_proto */
		p = csv_num(p, r->ip_version);
	}
	p = csv_addr(p, &r->src);
	p = csv_num(p, r->src_port);
	p = csv_addr(p, &r->dst);
	p = csv_small(p, r->dst_port);
	p = csv_small(p, r->vlan);
	p = fmt_rfc3339_sep(&e->ts, p, r->first_ns, ',');
	p = fmt_rfc3339_sep(&e->ts, p, r->last_ns, ',');
	p = csv_small(p, r->pkts[NS_FLOW_TOSERVER]);
	p = csv_small(p, r->pkts[NS_FLOW_TOCLIENT]);
	p = csv_num(p, r->bytes[NS_FLOW_TOSERVER]);
	p = csv_num(p, r->bytes[NS_FLOW_TOCLIENT]);
	if (NS_LIKELY(r->proto == 6))
		goto tcp;
	p = name(p, e->end, r->end_reason);
	if (r->proto == 1 || r->proto == 58) {
		p = csv_num(p, r->icmp_type);
		p = csv_num(p, r->icmp_code);
		if (r->flags & NS_FLOW_REC_ICMP_ECHO)
			p = fmt_u64(p, r->icmp_id);
	} else {
		p = LIT(p, ",,");
	}
	/* icmp_id's separator, then the 24 TCP columns, empty */
	return LIT(p, ",,,,,,,,,,,,,,,,,,,,,,,,\r\n");
tcp:
	p = csv_tcp_names(e, p, r);
	if (r->flags & NS_FLOW_REC_IRTT)
		p = fmt_u64(p, r->rtt_handshake_us);
	*p++ = ',';
	if (r->flags & NS_FLOW_REC_SYNACK) {
		p = csv_num(p, r->rtt_syn_synack_us);
		p = csv_num(p, r->rtt_synack_ack_us);
	} else {
		p = LIT(p, ",,");
	}
	if (r->rtt_samples == 0) {
		p = LIT(p, ",,,0,");
	} else if (((r->rtt_min_us ^ r->rtt_avg_us) | (r->rtt_avg_us ^ r->rtt_max_us)) == 0) {
		/* one sample, or all alike: the text of min three times */
		char *q = p;

		p = csv_num(p, r->rtt_min_us);
		p = csv_copy3(p, q, (size_t)(p - q));
		p = csv_small(p, r->rtt_samples);
	} else {
		p = csv_num(p, r->rtt_min_us);
		p = csv_num(p, r->rtt_avg_us);
		p = csv_num(p, r->rtt_max_us);
		p = csv_small(p, r->rtt_samples);
	}
	if (tcp_counters_zero(r))
		return LIT(p, "0,0,0,0,0,0,0,0,0,0,0,0,0\r\n");
	p = csv_num(p, r->retrans[NS_FLOW_TOSERVER]);
	p = csv_num(p, r->retrans[NS_FLOW_TOCLIENT]);
	p = csv_num(p, r->fast_retrans);
	p = csv_num(p, r->spurious_retrans);
	p = csv_num(p, r->ooo[NS_FLOW_TOSERVER]);
	p = csv_num(p, r->ooo[NS_FLOW_TOCLIENT]);
	p = csv_num(p, r->lost[NS_FLOW_TOSERVER]);
	p = csv_num(p, r->lost[NS_FLOW_TOCLIENT]);
	p = csv_num(p, r->dupack[NS_FLOW_TOSERVER]);
	p = csv_num(p, r->dupack[NS_FLOW_TOCLIENT]);
	p = csv_num(p, r->zero_window);
	p = csv_num(p, r->rst[NS_FLOW_TOSERVER]);
	p = fmt_u64(p, r->rst[NS_FLOW_TOCLIENT]);
	return LIT(p, "\r\n"); /* RFC 4180 section 2.1 */
}

/* The shortest CSV row: two timestamps and their commas, the 40 other commas, CRLF. */
#define CSV_ROW_MIN (2 * (FMT_RFC3339_LEN + 1) + 40 + 2)
_Static_assert(CSV_ROW_MIN > 64 && EXPORT_CHUNK / 64 + 2 <= EXPORT_RECS_MAX,
	       "a buffer piece holds fewer CSV rows than rec_end has entries");

/*
 * The write loops' piece boundary: the buffer holds a whole piece, so store the loop's locals
 * (the write position *@p, the row ends *@end, the records before @r counted written) back
 * into @e, write the piece out and reload them. Inlined, so the locals stay in registers.
 */
static inline __attribute__((always_inline)) int
piece_out(struct ns_flow_export *e, const struct ns_flow_record *r, char **p, char **due,
	  uint32_t **end, const struct ns_flow_record **counted)
{
	int rc;

	e->len = (size_t)(*p - e->buf);
	e->nrec = (unsigned)(*end - e->rec_end);
	e->written += (uint64_t)(r - *counted);
	*counted = r;
	rc = write_out(e, NS_MIN(e->len, e->due));
	*p = e->buf + e->len;
	*due = e->buf + e->due;
	*end = e->rec_end + e->nrec;
	return rc;
}

/*
 * write_recs() for JSON (@lines: JSON lines), its loop the CSV one's with the JSON record and
 * separators; a function of its own, so that the CSV loop keeps its registers to itself. A
 * JSON object's keys alone are longer than 64 bytes, so the record count needs no check either.
 */
#define JSON_REC_MIN \
	(sizeof("{'flow_id':,'proto':,'ip_proto':,'ip_version':,'src_ip':,'dst_ip':") - 1)
_Static_assert(JSON_REC_MIN > 64, "a JSON object is longer than 64 bytes");

/*
 * Whether the next JSON array object needs a comma before it: a record is whole in the file, or
 * one is in the buffer ahead of it (@end: past the buffer's last). After a failed write lost
 * them all, the next object is the array's first.
 */
static inline bool
json_comma(const struct ns_flow_export *e, const uint32_t *end)
{
	return e->any_rec || end != e->rec_end;
}

static __attribute__((noinline)) int
write_json(struct ns_flow_export *e, const struct ns_flow_record *recs, unsigned n, bool lines)
{
	char *buf = e->buf, *p = buf + e->len, *due = buf + e->due;
	uint32_t *end = e->rec_end + e->nrec;
	const struct ns_flow_record *r = recs, *last = recs + n, *counted = recs;
	/* JSON array: a comma before every object but the file's first (json_comma()) */
	bool comma = json_comma(e, end);
	int rc = 0;

	for (; r < last; r++) {
		if (NS_UNLIKELY(p >= due)) {
			rc |= piece_out(e, r, &p, &due, &end, &counted);
			comma = json_comma(e, end);
		}
		if (!lines && comma)
			p = LIT(p, ",\n");
		comma = true;
		p = json_record(e, p, r);
		if (lines)
			*p++ = '\n';
		*end++ = (uint32_t)(p - buf);
	}
	e->len = (size_t)(p - buf);
	e->nrec = (unsigned)(end - e->rec_end);
	e->written += (uint64_t)(last - counted);
	return rc;
}

/* Format @n records into the buffer, writing pieces out as they fill. Returns 0 or -EIO. */
static int
write_recs(struct ns_flow_export *e, const struct ns_flow_record *recs, unsigned n)
{
	int rc = 0;

	if (e->fmt == NS_FLOW_EXPORT_CSV) {
		/*
		 * The buffer's length, record count and room in locals (the current piece goes out
		 * first once the buffer holds all of it, one check per record): the records' bytes
		 * are stores through a char pointer, which may alias any field of @e, so fields
		 * would be reloaded and stored again per record. The record count needs no check: a
		 * row is longer than 64 bytes (CSV_ROW_MIN), so fewer than EXPORT_RECS_MAX fit
		 * below EXPORT_CHUNK with the tail of one more.
		 */
		char *buf = e->buf, *p = buf + e->len, *due = buf + e->due;
		uint32_t *end = e->rec_end + e->nrec;
		const struct ns_flow_record *r = recs, *last = recs + n, *counted = recs;

		for (; r < last; r++) {
			if (NS_UNLIKELY(p >= due))
				rc |= piece_out(e, r, &p, &due, &end, &counted);
			p = csv_record(e, p, r);
			*end++ = (uint32_t)(p - buf);
		}
		e->len = (size_t)(p - buf);
		e->nrec = (unsigned)(end - e->rec_end);
		e->written += (uint64_t)(last - counted);
	} else {
		rc = write_json(e, recs, n, e->fmt == NS_FLOW_EXPORT_JSONL);
	}
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
	int rc = write_recs(e, rec, 1);

	return rc | flush_shared(e);
}

unsigned
ns_flow_export_sink(void *arg, const struct ns_flow_record *recs, unsigned n)
{
	struct ns_flow_export *e = arg;

	write_recs(e, recs, n);
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
		const char *end = json_comma(e, e->rec_end + e->nrec) ? "\n]\n" : "]\n";

		if (put(e, end, strlen(end)) != 0) {
			e->errors++;
			rc = -EIO;
		}
	}
	if (fflush(e->f) != 0) {
		rc = -errno;
		e->errors++;
	}
	if (e->own) {
		int err = trim_blocks(e);

		/* the records are all there; the file only keeps blocks it does not use */
		if (err != 0)
			NS_LOG(WARNING, "export", "flow export: reserved blocks not given back: %s",
			       strerror(-err));
	}
	if (e->own && fclose(e->f) != 0 && rc == 0)
		rc = -errno;
	free(e);
	return rc;
}
