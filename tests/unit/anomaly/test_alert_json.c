/* SPDX-License-Identifier: MIT */
/*
 * Alert events as JSON lines (lib/export/alert_export.c): one object per line with the EVE
 * style keys, RFC 3339 timestamps, src_ip/dst_ip only where one stands out, details with the
 * thresholds used; the file is appended to, or stdout for "-"; write errors are counted and
 * leave no part of a line behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "anomaly_test.h"
#include "ns_export.h"

static struct rig *
rig_alerts(void)
{
	struct ns_anomaly_params p;
	struct rig *r = calloc(1, sizeof(*r));
	struct ns_pkt pk;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	rig_params(&p);
	rig_init(r, &p, 1);
	gen_syns(r, ip("10.0.0.1"), ip("10.0.0.2"), 80, 3000, T0, 3 * SEC);
	gen_vscan(r, ip("2001:db8::66"), ip("2001:db8::2"), 1, 100, T0 + 30 * SEC, MS);
	for (uint32_t i = 0; i < 3000; i++) { /* spoofed: no src_ip */
		pkt_tcp(&pk, ip_n(0x64000000, i), 1, ip("10.0.0.3"), 25, NS_TCP_SYN, i, 0);
		rig_feed(r, &pk, T0 + 60 * SEC + (uint64_t)i * MS);
	}
	rig_finish(r);
	return r;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static unsigned
count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
test_jsonl_lines(void)
{
	struct rig *r = rig_alerts();
	char path[] = "/tmp/ns-alerts-XXXXXX";
	struct ns_alert_writer *w;
	char *text, *line, *save;
	unsigned n = 0;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	w = ns_alert_writer_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	for (unsigned i = 0; i < r->nev; i++)
		CU_ASSERT_EQUAL(ns_alert_writer_write(w, &r->ev[i]), 0);
	CU_ASSERT_EQUAL(ns_alert_writer_written(w), r->nev);
	CU_ASSERT_EQUAL(ns_alert_writer_errors(w), 0);
	CU_ASSERT_EQUAL(ns_alert_writer_close(w), 0);
	text = slurp(path);
	CU_ASSERT_EQUAL(count_lines(text), r->nev);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		const struct ns_anomaly_alert *a = &r->ev[n++];

		CU_ASSERT_EQUAL(line[0], '{');
		CU_ASSERT_EQUAL(line[strlen(line) - 1], '}');
		CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"event_type\":\"alert\""));
		CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"timestamp\":\"2023-11-14T"));
		CU_ASSERT_PTR_NOT_NULL(strstr(line, "Z\",")); /* RFC 3339 UTC */
		if (a->signature == NS_ANOMALY_SYN_FLOOD) {
			CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"signature\":\"syn_flood\""));
			CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"thresholds\":{\"rate\":200.0,"
							    "\"ratio\":0.5,\"window_s\":5}"));
		} else {
			CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"signature\":\"port_scan\""));
			CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"src_ip\":\"2001:db8::66\""));
			CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"dst_ip\":\"2001:db8::2\""));
			CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"scan_type\":\"vertical\""));
			CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"ports_sample\":[1,2,3,"));
		}
		CU_ASSERT_PTR_NOT_NULL(
			strstr(line, a->state == NS_ANOMALY_RAISED   ? "\"state\":\"raised\""
				     : a->state == NS_ANOMALY_UPDATE ? "\"state\":\"update\""
								     : "\"state\":\"cleared\""));
		if (a->state == NS_ANOMALY_CLEARED)
			CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"clear_reason\":"));
		CU_ASSERT_EQUAL(strstr(line, "\"src_ip\"") != NULL, a->has_src);
		CU_ASSERT_EQUAL(strstr(line, "\"dst_ip\"") != NULL, a->has_dst);
	}
	CU_ASSERT_EQUAL(n, r->nev);
	free(text);

	/* appended, not truncated */
	w = ns_alert_writer_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(ns_alert_writer_write(w, &r->ev[0]), 0);
	CU_ASSERT_EQUAL(ns_alert_writer_close(w), 0);
	text = slurp(path);
	CU_ASSERT_EQUAL(count_lines(text), r->nev + 1);
	free(text);
	unlink(path);
	rig_fini(r);
	free(r);
}

static void
test_specific_fields(void)
{
	struct rig *r = rig_alerts();
	const struct ns_anomaly_alert *a = rig_first(r, NS_ANOMALY_SYN_FLOOD, NS_ANOMALY_RAISED);
	char buf[4096];
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	n = ns_export_alert_json(a, buf, sizeof(buf));
	CU_ASSERT(n > 0 && (size_t)n < sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"timestamp\":\"2023-11-14T22:13:22.000000Z\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"alert\":{\"signature\":\"syn_flood\",\"state\":"
					   "\"raised\",\"id\":1,\"key\":\"victim\"}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"src_ip\":\"10.0.0.1\",\"dst_ip\":\"10.0.0.2\","
					   "\"dst_port\":80,\"proto\":\"tcp\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"syn_rate\":400.0"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(buf, "\"top_sources\":[{\"ip\":\"10.0.0.1\",\"syns\":1000}]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"top_ports\":[{\"port\":80,\"syns\":1000}]"));
	/* the spoofed flood names its victim but no source */
	a = &r->ev[r->nev - 1];
	CU_ASSERT_EQUAL_FATAL(a->signature, NS_ANOMALY_SYN_FLOOD);
	ns_export_alert_json(a, buf, sizeof(buf));
	CU_ASSERT_PTR_NULL(strstr(buf, "\"src_ip\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"dst_ip\":\"10.0.0.3\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"clear_reason\":\"end_of_input\""));
	/* truncation behaves like snprintf */
	n = ns_export_alert_json(a, buf, 8);
	CU_ASSERT(n > 8);
	CU_ASSERT_EQUAL(strlen(buf), 7);
	rig_fini(r);
	free(r);
}

static void
test_write_errors_counted(void)
{
	struct rig *r = rig_alerts();
	struct ns_alert_writer *w;

	errno = 0;
	CU_ASSERT_PTR_NULL(ns_alert_writer_open("/nonexistent-dir/alerts.jsonl"));
	CU_ASSERT_EQUAL(errno, ENOENT);
	w = ns_alert_writer_open("/dev/full");
	if (w != NULL) {
		CU_ASSERT(ns_alert_writer_write(w, &r->ev[0]) < 0);
		CU_ASSERT_EQUAL(ns_alert_writer_errors(w), 1);
		CU_ASSERT_EQUAL(ns_alert_writer_written(w), 0);
		ns_alert_writer_close(w);
	}
	CU_ASSERT_EQUAL(ns_alert_writer_close(NULL), 0);
	rig_fini(r);
	free(r);
}

/*
 * A line that fails part way (the disk fills) leaves nothing of itself in the file: the next
 * line does not run into a broken one.
 */
static void
test_part_line_cut(void)
{
	struct rig *r = rig_alerts();
	char path[] = "/tmp/ns-alerts-XXXXXX";
	struct ns_alert_writer *w;
	struct rlimit old, lim;
	void (*old_sig)(int);
	struct stat st;
	char *text;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	w = ns_alert_writer_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(ns_alert_writer_write(w, &r->ev[0]), 0);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);

	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &old), 0);
	old_sig = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 40; /* 40 bytes of the next line fit */
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
	CU_ASSERT_EQUAL(ns_alert_writer_write(w, &r->ev[1]), -EFBIG);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, old_sig);
	CU_ASSERT_EQUAL(ns_alert_writer_errors(w), 1);
	CU_ASSERT_EQUAL(ns_alert_writer_write(w, &r->ev[2]), 0);
	CU_ASSERT_EQUAL(ns_alert_writer_written(w), 2);
	CU_ASSERT_EQUAL(ns_alert_writer_close(w), 0);

	text = slurp(path);
	CU_ASSERT_EQUAL(count_lines(text), 2);
	for (char *save, *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		json_object *o = json_tokener_parse(line);

		CU_ASSERT_PTR_NOT_NULL(o);
		json_object_put(o);
	}
	free(text);
	unlink(path);
	rig_fini(r);
	free(r);
}

/* "-" writes the lines to stdout (it is not a file name). */
static void
test_stdout(void)
{
	struct rig *r = rig_alerts();
	char path[] = "/tmp/ns-alerts-XXXXXX";
	struct ns_alert_writer *w;
	int fd = mkstemp(path), saved;
	char *text;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(access("-", F_OK) != 0); /* the test runs where no file "-" is */
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	CU_ASSERT_FATAL(saved >= 0 && dup2(fd, STDOUT_FILENO) == STDOUT_FILENO);
	close(fd);
	w = ns_alert_writer_open("-");
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(ns_alert_writer_write(w, &r->ev[0]), 0);
	CU_ASSERT_EQUAL(ns_alert_writer_close(w), 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);

	CU_ASSERT(access("-", F_OK) != 0);
	if (access("-", F_OK) == 0)
		unlink("-");
	text = slurp(path);
	CU_ASSERT_EQUAL(count_lines(text), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"event_type\":\"alert\""));
	free(text);
	unlink(path);
	rig_fini(r);
	free(r);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_jsonl_lines),
	NS_TEST(test_specific_fields),
	NS_TEST(test_write_errors_counted),
	NS_TEST(test_part_line_cut),
	NS_TEST(test_stdout),
};

NS_TEST_MAIN("anomaly_alert_json", cases)
