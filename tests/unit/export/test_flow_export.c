/* SPDX-License-Identifier: MIT */
/*
 * Flow record export: JSON array, JSON lines and CSV for known records parse back (json-c,
 * and a small RFC 4180 reader) with the exact field names tools rely on; CSV quoting of
 * fields with commas and quotes; format from the extension; write errors counted, not fatal;
 * the exporter as a flow table sink end to end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ns_export.h"
#include "ns_flow.h"
#include "ns_test.h"

#define T0 1700000000123456789ull /* 2023-11-14T22:13:20.123456Z */

static char tmp_path[64];

static const char *
tmp_file(const char *ext)
{
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/ns_flow_export_%d%s", (int)getpid(), ext);
	return tmp_path;
}

static void
set_addr(struct ns_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (strchr(s, ':') != NULL) {
		inet_pton(AF_INET6, s, a->b);
	} else {
		a->b[10] = a->b[11] = 0xff;
		inet_pton(AF_INET, s, a->b + 12);
	}
}

/* Three known records: a TCP flow with every field set, an IPv6 UDP flow, an ICMP echo. */
static void
known_records(struct ns_flow_record r[3])
{
	memset(r, 0, 3 * sizeof(*r));
	r[0].flow_id = 0x0100000000000007ull;
	r[0].first_ns = T0;
	r[0].last_ns = T0 + 2500000000ull;
	set_addr(&r[0].src, "192.168.66.10");
	set_addr(&r[0].dst, "192.168.66.20");
	r[0].src_port = 34082;
	r[0].dst_port = 8080;
	r[0].vlan = 42;
	r[0].proto = 6;
	r[0].ip_version = 4;
	r[0].end_reason = NS_FLOW_END_IDLE;
	r[0].tcp_state = NS_FLOW_TCP_CLOSED;
	r[0].conn_state = NS_FLOW_CONN_SF;
	r[0].flags = NS_FLOW_REC_IRTT | NS_FLOW_REC_SYNACK;
	r[0].pkts[0] = 223;
	r[0].pkts[1] = 306;
	r[0].bytes[0] = 20221;
	r[0].bytes[1] = 457296;
	r[0].tcp_flags[0] = NS_TCP_SYN | NS_TCP_ACK | NS_TCP_FIN | NS_TCP_PSH;
	r[0].tcp_flags[1] = NS_TCP_SYN | NS_TCP_ACK | NS_TCP_FIN;
	r[0].rtt_handshake_us = 12632;
	r[0].rtt_syn_synack_us = 6261;
	r[0].rtt_synack_ack_us = 6371;
	r[0].rtt_min_us = 5000;
	r[0].rtt_avg_us = 6000;
	r[0].rtt_max_us = 7000;
	r[0].rtt_samples = 2;
	r[0].retrans[0] = 1;
	r[0].retrans[1] = 7;
	r[0].fast_retrans = 3;
	r[0].spurious_retrans = 1;
	r[0].ooo[0] = 2;
	r[0].ooo[1] = 17;
	r[0].lost[1] = 8;
	r[0].dupack[0] = 66;
	r[0].zero_window = 4;
	r[0].rst[1] = 1;

	r[1].flow_id = 8;
	r[1].first_ns = T0;
	r[1].last_ns = T0;
	set_addr(&r[1].src, "fd66::10");
	set_addr(&r[1].dst, "fd66::20");
	r[1].src_port = 5353;
	r[1].dst_port = 53;
	r[1].proto = 17;
	r[1].ip_version = 6;
	r[1].end_reason = NS_FLOW_END_SHUTDOWN;
	r[1].pkts[0] = 1;
	r[1].bytes[0] = 90;

	r[2].flow_id = 9;
	r[2].first_ns = T0;
	r[2].last_ns = T0 + 1000;
	set_addr(&r[2].src, "10.0.0.1");
	set_addr(&r[2].dst, "10.0.0.2");
	r[2].proto = 1;
	r[2].ip_version = 4;
	r[2].end_reason = NS_FLOW_END_ACTIVE;
	r[2].flags = NS_FLOW_REC_INTERIM | NS_FLOW_REC_ICMP_ECHO;
	r[2].icmp_type = 8;
	r[2].icmp_id = 0x1234;
	r[2].pkts[0] = r[2].pkts[1] = 3;
	r[2].bytes[0] = r[2].bytes[1] = 294;
}

static void
write_file(const char *path, enum ns_flow_export_format fmt, unsigned n)
{
	struct ns_flow_record r[3];
	struct ns_flow_export *e;

	known_records(r);
	e = ns_flow_export_open(path, fmt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	for (unsigned i = 0; i < n; i++)
		CU_ASSERT_EQUAL(ns_flow_export_write(e, &r[i]), 0);
	CU_ASSERT_EQUAL(ns_flow_export_written(e), n);
	CU_ASSERT_EQUAL(ns_flow_export_errors(e), 0);
	CU_ASSERT_EQUAL(ns_flow_export_close(e), 0);
}

static json_object *
get(json_object *o, const char *key)
{
	json_object *v = NULL;

	CU_ASSERT_TRUE(json_object_object_get_ex(o, key, &v));
	return v;
}

static void
expect_str(json_object *o, const char *key, const char *want)
{
	const char *got = json_object_get_string(get(o, key));

	CU_ASSERT_STRING_EQUAL(got != NULL ? got : "(null)", want);
}

static void
expect_int(json_object *o, const char *key, int64_t want)
{
	CU_ASSERT_EQUAL(json_object_get_int64(get(o, key)), want);
}

/* The documented field names and values of the three known records. */
static void
check_objects(json_object *a, json_object *b, json_object *c)
{
	json_object *t;

	expect_int(a, "flow_id", 0x0100000000000007ll);
	expect_str(a, "proto", "tcp");
	expect_int(a, "ip_proto", 6);
	expect_int(a, "ip_version", 4);
	expect_str(a, "src_ip", "192.168.66.10");
	expect_int(a, "src_port", 34082);
	expect_str(a, "dst_ip", "192.168.66.20");
	expect_int(a, "dst_port", 8080);
	expect_int(a, "vlan", 42);
	expect_str(a, "first_seen", "2023-11-14T22:13:20.123456Z");
	expect_str(a, "last_seen", "2023-11-14T22:13:22.623456Z");
	expect_int(a, "pkts_toserver", 223);
	expect_int(a, "pkts_toclient", 306);
	expect_int(a, "bytes_toserver", 20221);
	expect_int(a, "bytes_toclient", 457296);
	expect_str(a, "end_reason", "idle");
	t = get(a, "tcp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	expect_str(t, "tcp_state", "closed");
	expect_str(t, "conn_state", "SF");
	expect_str(t, "flags_toserver", "FSPA");
	expect_str(t, "flags_toclient", "FSA");
	expect_int(t, "rtt_handshake_us", 12632);
	expect_int(t, "rtt_syn_synack_us", 6261);
	expect_int(t, "rtt_synack_ack_us", 6371);
	expect_int(t, "rtt_min_us", 5000);
	expect_int(t, "rtt_avg_us", 6000);
	expect_int(t, "rtt_max_us", 7000);
	expect_int(t, "rtt_samples", 2);
	expect_int(t, "retrans_toserver", 1);
	expect_int(t, "retrans_toclient", 7);
	expect_int(t, "fast_retrans", 3);
	expect_int(t, "spurious_retrans", 1);
	expect_int(t, "ooo_toserver", 2);
	expect_int(t, "ooo_toclient", 17);
	expect_int(t, "lost_toserver", 0);
	expect_int(t, "lost_toclient", 8);
	expect_int(t, "dupack_toserver", 66);
	expect_int(t, "dupack_toclient", 0);
	expect_int(t, "zero_window", 4);
	expect_int(t, "rst_toserver", 0);
	expect_int(t, "rst_toclient", 1);
	CU_ASSERT_FALSE(json_object_get_boolean(get(t, "midstream")));

	expect_str(b, "proto", "udp");
	expect_int(b, "ip_version", 6);
	expect_str(b, "src_ip", "fd66::10");
	expect_str(b, "dst_ip", "fd66::20");
	expect_int(b, "src_port", 5353);
	expect_int(b, "vlan", 0);
	expect_str(b, "end_reason", "shutdown");
	CU_ASSERT_FALSE(json_object_object_get_ex(b, "tcp", NULL));

	expect_str(c, "proto", "icmp");
	expect_str(c, "end_reason", "active");
	expect_int(c, "src_port", 0);
	t = get(c, "icmp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	expect_int(t, "type", 8);
	expect_int(t, "id", 0x1234);
}

static void
test_json(void)
{
	const char *path = tmp_file(".json");
	json_object *root;

	write_file(path, NS_FLOW_EXPORT_AUTO, 3);
	root = json_object_from_file(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_TRUE(json_object_is_type(root, json_type_array));
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(root), 3);
	check_objects(json_object_array_get_idx(root, 0), json_object_array_get_idx(root, 1),
		      json_object_array_get_idx(root, 2));
	json_object_put(root);
	unlink(path);
}

static void
test_json_empty(void)
{
	const char *path = tmp_file(".json");
	json_object *root;

	write_file(path, NS_FLOW_EXPORT_JSON, 0);
	root = json_object_from_file(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_EQUAL(json_object_array_length(root), 0);
	json_object_put(root);
	unlink(path);
}

/* rtt fields without samples are null, not 0. */
static void
test_json_nulls(void)
{
	const char *path = tmp_file(".json");
	struct ns_flow_record r[3];
	struct ns_flow_export *e;
	json_object *root, *t, *v = NULL;

	known_records(r);
	r[0].flags = 0;
	r[0].rtt_samples = 0;
	e = ns_flow_export_open(path, NS_FLOW_EXPORT_JSON);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	ns_flow_export_write(e, &r[0]);
	CU_ASSERT_EQUAL(ns_flow_export_close(e), 0);
	root = json_object_from_file(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	t = get(json_object_array_get_idx(root, 0), "tcp");
	CU_ASSERT_TRUE(json_object_object_get_ex(t, "rtt_handshake_us", &v));
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_TRUE(json_object_object_get_ex(t, "rtt_min_us", &v));
	CU_ASSERT_PTR_NULL(v);
	expect_int(t, "rtt_samples", 0);
	json_object_put(root);
	unlink(path);
}

static void
test_jsonl(void)
{
	const char *path = tmp_file(".jsonl");
	json_object *o[3];
	char line[4096];
	unsigned n = 0;
	FILE *f;

	write_file(path, NS_FLOW_EXPORT_AUTO, 3);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		CU_ASSERT_TRUE_FATAL(n < 3);
		CU_ASSERT_PTR_NULL(strchr(line, '\n') == line + strlen(line) - 1 ? NULL : line);
		o[n] = json_tokener_parse(line);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o[n]);
		n++;
	}
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	check_objects(o[0], o[1], o[2]);
	for (unsigned i = 0; i < n; i++)
		json_object_put(o[i]);
	unlink(path);
}

/* Split one RFC 4180 record (no embedded line breaks) into fields; returns the count. */
static unsigned
csv_split(const char *line, char fields[][128], unsigned max)
{
	unsigned n = 0;
	const char *p = line;

	for (;;) {
		char *out = fields[n];
		size_t k = 0;

		if (*p == '"') {
			for (p++; *p != '\0'; p++) {
				if (*p == '"' && p[1] == '"')
					out[k++] = *p++;
				else if (*p == '"')
					break;
				else
					out[k++] = *p;
			}
			p++;
		} else {
			while (*p != ',' && *p != '\r' && *p != '\n' && *p != '\0')
				out[k++] = *p++;
		}
		out[k] = '\0';
		n++;
		if (*p != ',' || n == max)
			return n;
		p++;
	}
}

static int
col(char hdr[][128], unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(hdr[i], name) == 0)
			return (int)i;
	CU_FAIL("missing CSV column");
	fprintf(stderr, "\n  missing column %s\n", name);
	return 0;
}

static void
test_csv(void)
{
	static const char *const required[] = {
		"flow_id",          "proto",          "ip_version",       "src_ip",
		"src_port",         "dst_ip",         "dst_port",         "vlan",
		"first_seen",       "last_seen",      "pkts_toserver",    "pkts_toclient",
		"bytes_toserver",   "bytes_toclient", "tcp_state",        "conn_state",
		"flags_toserver",   "flags_toclient", "rtt_handshake_us", "rtt_min_us",
		"rtt_avg_us",       "rtt_max_us",     "rtt_samples",      "retrans_toserver",
		"retrans_toclient", "ooo_toserver",   "ooo_toclient",     "end_reason",
	};
	const char *path = tmp_file(".csv");
	static char hdr[64][128], row[64][128];
	char line[4096];
	unsigned nh, nr, rows = 0;
	FILE *f;

	write_file(path, NS_FLOW_EXPORT_AUTO, 3);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fgets(line, sizeof(line), f));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "\r\n")); /* RFC 4180 line breaks */
	nh = csv_split(line, hdr, 64);
	for (unsigned i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		col(hdr, nh, required[i]);
	while (fgets(line, sizeof(line), f) != NULL) {
		nr = csv_split(line, row, 64);
		CU_ASSERT_EQUAL(nr, nh);
		if (rows == 0) {
			CU_ASSERT_STRING_EQUAL(row[col(hdr, nh, "flow_id")], "72057594037927943");
			CU_ASSERT_STRING_EQUAL(row[col(hdr, nh, "proto")], "tcp");
			CU_ASSERT_STRING_EQUAL(row[col(hdr, nh, "src_ip")], "192.168.66.10");
			CU_ASSERT_STRING_EQUAL(row[col(hdr, nh, "first_seen")],
					       "2023-11-14T22:13:20.123456Z");
			CU_ASSERT_STRING_EQUAL(row[col(hdr, nh, "bytes_toclient")], "457296");
			CU_ASSERT_STRING_EQUAL(row[col(hdr, nh, "conn_state")], "SF");
			CU_ASSERT_STRING_EQUAL(row[col(hdr, nh, "rtt_handshake_us")], "12632");
			CU_ASSERT_STRING_EQUAL(row[col(hdr, nh, "retrans_toclient")], "7");
			CU_ASSERT_STRING_EQUAL(row[col(hdr, nh, "ooo_toclient")], "17");
		} else if (rows == 1) {
			CU_ASSERT_STRING_EQUAL(row[col(hdr, nh, "src_ip")], "fd66::10");
			CU_ASSERT_STRING_EQUAL(row[col(hdr, nh, "tcp_state")], "");
			CU_ASSERT_STRING_EQUAL(row[col(hdr, nh, "rtt_handshake_us")], "");
		}
		rows++;
	}
	fclose(f);
	CU_ASSERT_EQUAL(rows, 3);
	unlink(path);
}

static void
test_csv_quoting(void)
{
	char out[64];
	static char f[4][128];

	CU_ASSERT_EQUAL(ns_export_csv_field("plain", out, sizeof(out)), 5);
	CU_ASSERT_STRING_EQUAL(out, "plain");
	ns_export_csv_field("a,b", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "\"a,b\"");
	ns_export_csv_field("say \"hi\"", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "\"say \"\"hi\"\"\"");
	ns_export_csv_field("two\nlines", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "\"two\nlines\"");
	ns_export_csv_field("", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "");
	/* truncation: snprintf semantics, always terminated */
	CU_ASSERT_EQUAL(ns_export_csv_field("a,\"b\"", out, 4), 9);
	CU_ASSERT_EQUAL(strlen(out), 3);
	/* a quoted field with comma and quote reads back intact */
	ns_export_csv_field("x, \"y\"", out, sizeof(out));
	strcat(out, ",next\r\n");
	CU_ASSERT_EQUAL(csv_split(out, f, 4), 2);
	CU_ASSERT_STRING_EQUAL(f[0], "x, \"y\"");
	CU_ASSERT_STRING_EQUAL(f[1], "next");
}

static void
test_format_from_path(void)
{
	CU_ASSERT_EQUAL(ns_flow_export_format_from_path("f.json"), NS_FLOW_EXPORT_JSON);
	CU_ASSERT_EQUAL(ns_flow_export_format_from_path("dir/F.JSON"), NS_FLOW_EXPORT_JSON);
	CU_ASSERT_EQUAL(ns_flow_export_format_from_path("f.jsonl"), NS_FLOW_EXPORT_JSONL);
	CU_ASSERT_EQUAL(ns_flow_export_format_from_path("f.ndjson"), NS_FLOW_EXPORT_JSONL);
	CU_ASSERT_EQUAL(ns_flow_export_format_from_path("f.csv"), NS_FLOW_EXPORT_CSV);
	CU_ASSERT_EQUAL(ns_flow_export_format_from_path("f.txt"), NS_FLOW_EXPORT_AUTO);
	CU_ASSERT_EQUAL(ns_flow_export_format_from_path("a.json/f"), NS_FLOW_EXPORT_AUTO);
	CU_ASSERT_EQUAL(ns_flow_export_format_from_path("-"), NS_FLOW_EXPORT_AUTO);
	errno = 0;
	CU_ASSERT_PTR_NULL(ns_flow_export_open("/tmp/flows.txt", NS_FLOW_EXPORT_AUTO));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(ns_flow_export_open("/nonexistent/dir/f.json", NS_FLOW_EXPORT_AUTO));
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_EQUAL(ns_flow_export_close(NULL), 0);
}

/* A full disk: writes fail, are counted, and the exporter keeps going. */
static void
test_write_errors(void)
{
	struct ns_flow_record r[3];
	struct ns_flow_export *e;

	if (access("/dev/full", W_OK) != 0)
		return;
	known_records(r);
	e = ns_flow_export_open("/dev/full", NS_FLOW_EXPORT_JSONL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	for (unsigned i = 0; i < 200; i++)
		ns_flow_export_write(e, &r[i % 3]);
	CU_ASSERT_TRUE(ns_flow_export_errors(e) > 0);
	CU_ASSERT_EQUAL(ns_flow_export_written(e) + ns_flow_export_errors(e), 200);
	CU_ASSERT_NOT_EQUAL(ns_flow_export_close(e), 0);
}

/* End to end: a flow table whose sink is the exporter. */
static void
test_table_sink(void)
{
	const char *path = tmp_file(".json");
	struct ns_flow_export *e = ns_flow_export_open(path, NS_FLOW_EXPORT_AUTO);
	struct ns_flow_params p;
	struct ns_flow_table *t;
	struct ns_pkt pk[2];
	uint64_t ts[2] = { T0, T0 + 1000 };
	json_object *root, *o;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	ns_flow_params_default(&p);
	p.capacity = 64;
	p.sink = ns_flow_export_sink;
	p.sink_arg = e;
	t = ns_flow_table_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	memset(pk, 0, sizeof(pk));
	for (unsigned i = 0; i < 2; i++) {
		pk[i].ip_version = 4;
		pk[i].l3 = NS_L3_IPV4;
		pk[i].l4 = NS_L4_UDP;
		pk[i].ip_proto = 17;
		pk[i].wirelen = 100;
		set_addr(i == 0 ? &pk[i].src : &pk[i].dst, "10.1.1.1");
		set_addr(i == 0 ? &pk[i].dst : &pk[i].src, "10.1.1.2");
		pk[i].sport = i == 0 ? 1111 : 53;
		pk[i].dport = i == 0 ? 53 : 1111;
	}
	CU_ASSERT_EQUAL(ns_flow_table_process_burst(t, pk, ts, 2), 2);
	CU_ASSERT_EQUAL(ns_flow_table_flush(t), 0);
	ns_flow_table_destroy(t);
	CU_ASSERT_EQUAL(ns_flow_export_written(e), 1);
	CU_ASSERT_EQUAL(ns_flow_export_close(e), 0);
	root = json_object_from_file(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(root), 1);
	o = json_object_array_get_idx(root, 0);
	expect_str(o, "src_ip", "10.1.1.1");
	expect_int(o, "src_port", 1111);
	expect_int(o, "pkts_toserver", 1);
	expect_int(o, "pkts_toclient", 1);
	expect_int(o, "bytes_toclient", 100);
	expect_str(o, "end_reason", "shutdown");
	json_object_put(root);
	unlink(path);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_json),
	NS_TEST(test_json_empty),
	NS_TEST(test_json_nulls),
	NS_TEST(test_jsonl),
	NS_TEST(test_csv),
	NS_TEST(test_csv_quoting),
	NS_TEST(test_format_from_path),
	NS_TEST(test_write_errors),
	NS_TEST(test_table_sink),
};

NS_TEST_MAIN("flow_export", cases)
