/* SPDX-License-Identifier: MIT */
/*
 * The YAML file: nested sections, null and quoted values, precedence (defaults < file < --set),
 * every rejection with "FILE:LINE: key 'a.b': why" (unknown keys at each level, wrong shapes,
 * ranges, enums, long strings, duplicates, syntax and encoding errors, aliases, extra
 * documents, unreadable files), a rejected file leaving the config untouched, and the dump
 * loading back to the identical struct.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "config_test.h"

/*
 * Load @yaml; expect -EINVAL with a message starting "PATH:LINE: <lead>'KEY': " and containing
 * @why, and the config as it was before the load.
 */
static void
load_bad_at(const char *yaml, unsigned line, const char *lead, const char *key, const char *why,
	    unsigned src_line)
{
	struct ns_config c, d;
	char path[TMP_PATH_MAX], err[ERR_MAX] = "", want[256];
	int rc = load_text(&c, yaml, path, err, sizeof(err));

	cfg_fresh(&d);
	CU_assertImplementation(rc == -EINVAL, src_line, "load fails with -EINVAL", __FILE__, "",
				CU_FALSE);
	if (key != NULL)
		snprintf(want, sizeof(want), "%s:%u: %s'%s': ", path, line, lead, key);
	else
		snprintf(want, sizeof(want), "%s:%u: ", path, line);
	assert_starts_at(err, want, src_line, __FILE__);
	assert_contains_at(err, why, src_line, __FILE__);
	CU_assertImplementation(memcmp(&c, &d, sizeof(c)) == 0, src_line,
				"config unchanged after a rejected file", __FILE__, "", CU_FALSE);
}

#define LOAD_BAD(yaml, line, key, why) load_bad_at(yaml, line, "key ", key, why, __LINE__)
#define LOAD_SYNTAX(yaml, line, key, why) load_bad_at(yaml, line, "after key ", key, why, __LINE__)
#define LOAD_BAD_NOKEY(yaml, line, why) load_bad_at(yaml, line, "", NULL, why, __LINE__)

static int
load_ok(struct ns_config *c, const char *yaml)
{
	char path[TMP_PATH_MAX], err[ERR_MAX] = "";
	int rc = load_text(c, yaml, path, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "\nunexpected load error: %s\n", err);
	return rc;
}

static void
test_empty_is_defaults(void)
{
	static const char *const empties[] = {
		"", "\n\n", "# only a comment\n", "---\n", "~\n", "capture:\nflow: ~\n",
	};
	struct ns_config c, d;

	cfg_fresh(&d);
	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		CU_ASSERT_EQUAL(load_ok(&c, empties[i]), 0);
		CU_ASSERT_EQUAL(memcmp(&c, &d, sizeof(c)), 0);
	}
}

static void
test_nested_values(void)
{
	struct ns_config c;

	CU_ASSERT_EQUAL_FATAL(load_ok(&c, "# a config\n"
					  "capture:\n"
					  "  interface: eth1\n"
					  "  filter: 'tcp port 443'\n"
					  "  snaplen: \"1500\"\n"
					  "  promisc: off\n"
					  "  count: 18446744073709551615\n"
					  "  backend: pcap\n"
					  "flow:\n"
					  "  capacity: 1048576\n"
					  "  udp_timeout: 90\n"
					  "anomaly:\n"
					  "  enabled: yes\n"
					  "  syn_flood:\n"
					  "    rate: 1000\n"
					  "    ratio: 0.25\n"
					  "  port_scan: {ports: 20, hosts: 30}\n"
					  "web:\n"
					  "  listen: 0.0.0.0:9000\n"
					  "  token:\n"
					  "export:\n"
					  "  flows_format: csv\n"
					  "output:\n"
					  "  log_level: info\n"
					  "dpdk:\n"
					  "  eal_args: >-\n"
					  "    -l 0-3\n"
					  "    -n 4\n"),
			      0);
	CU_ASSERT_STRING_EQUAL(c.capture.interface, "eth1");
	CU_ASSERT_STRING_EQUAL(c.capture.filter, "tcp port 443");
	CU_ASSERT_EQUAL(c.capture.snaplen, 1500);
	CU_ASSERT_FALSE(c.capture.promisc);
	CU_ASSERT_EQUAL(c.capture.count, UINT64_MAX);
	CU_ASSERT_EQUAL(c.capture.backend, NS_BACKEND_PCAP);
	CU_ASSERT_EQUAL(c.capture.buffer_mb, 32); /* untouched keys keep their defaults */
	CU_ASSERT_EQUAL(c.flow.udp_timeout, 90);
	CU_ASSERT_TRUE(c.anomaly.enabled);
	CU_ASSERT_DOUBLE_EQUAL(c.anomaly.syn_flood.rate, 1000, 0);
	CU_ASSERT_DOUBLE_EQUAL(c.anomaly.syn_flood.ratio, 0.25, 0);
	CU_ASSERT_EQUAL(c.anomaly.syn_flood.window, 5);
	CU_ASSERT_EQUAL(c.anomaly.port_scan.ports, 20);
	CU_ASSERT_EQUAL(c.anomaly.port_scan.hosts, 30);
	CU_ASSERT_STRING_EQUAL(c.web.listen, "0.0.0.0:9000");
	CU_ASSERT_STRING_EQUAL(c.web.token, "");
	CU_ASSERT_EQUAL(c.export.flows_format, NS_EXPORT_FMT_CSV);
	CU_ASSERT_STRING_EQUAL(c.output.log_level, "info");
	CU_ASSERT_STRING_EQUAL(c.dpdk.eal_args, "-l 0-3 -n 4");
	/* core tags that fit the key's type are taken */
	CU_ASSERT_EQUAL_FATAL(load_ok(&c, "flow:\n  capacity: !!int 4096\n"
					  "capture:\n  interface: !!str 1234\n  promisc: !!bool no\n"
					  "anomaly:\n  syn_flood:\n    ratio: !!float 0.5\n"),
			      0);
	CU_ASSERT_EQUAL(c.flow.capacity, 4096);
	CU_ASSERT_STRING_EQUAL(c.capture.interface, "1234");
	CU_ASSERT_FALSE(c.capture.promisc);
	CU_ASSERT_DOUBLE_EQUAL(c.anomaly.syn_flood.ratio, 0.5, 0);
	/* and a mapping's own, !!map */
	CU_ASSERT_EQUAL_FATAL(load_ok(&c, "!!map\nflow: !!map\n  capacity: 8192\n"), 0);
	CU_ASSERT_EQUAL(c.flow.capacity, 8192);
}

static void
test_null_and_quoted_strings(void)
{
	struct ns_config c;

	CU_ASSERT_EQUAL_FATAL(load_ok(&c, "capture:\n"
					  "  interface: ~\n"
					  "  read_file: \"~\"\n"
					  "  filter: \"  spaced  # not a comment \"\n"
					  "  write_file: 'it''s.pcap'\n"
					  "web:\n"
					  "  token: \"tab\\there\\nline \\u00e9\"\n"),
			      0);
	CU_ASSERT_STRING_EQUAL(c.capture.interface, "");
	CU_ASSERT_STRING_EQUAL(c.capture.read_file, "~");
	CU_ASSERT_STRING_EQUAL(c.capture.filter, "  spaced  # not a comment ");
	CU_ASSERT_STRING_EQUAL(c.capture.write_file, "it's.pcap");
	CU_ASSERT_STRING_EQUAL(c.web.token, "tab\there\nline \xc3\xa9");
}

static void
test_unknown_keys(void)
{
	LOAD_BAD("captur:\n  snaplen: 1\n", 1, "captur", "unknown key (did you mean 'capture'?)");
	LOAD_BAD("verbose: true\n", 1, "verbose", "unknown key");
	LOAD_BAD("capture:\n  snaplen: 100\n  snaplne: 100\n", 3, "capture.snaplne",
		 "unknown key (did you mean 'capture.snaplen'?)");
	LOAD_BAD("flow:\n  capacity: 2048\n  snaplen: 100\n", 3, "flow.snaplen",
		 "did you mean 'capture.snaplen'?");
	LOAD_BAD("anomaly:\n  syn_flood:\n    rate: 5\n    zzzzzz: 1\n", 4,
		 "anomaly.syn_flood.zzzzzz", "unknown key");
	LOAD_BAD("anomaly:\n  synflood:\n    rate: 5\n", 2, "anomaly.synflood",
		 "did you mean 'anomaly.syn_flood'?");
	LOAD_BAD("flow.capacity: 2048\n", 1, "flow.capacity", "dotted names are for --set");
	LOAD_BAD("anomaly:\n  syn_flood.rate: 5\n", 2, "anomaly.syn_flood.rate",
		 "nest the key under its section");
}

static void
test_wrong_shapes(void)
{
	/* a scalar where a section (mapping) belongs */
	LOAD_BAD("flow: 5\n", 1, "flow",
		 "is a section, expected a mapping of its keys, got a scalar");
	LOAD_BAD("anomaly:\n  syn_flood: 3\n", 2, "anomaly.syn_flood", "is a section");
	LOAD_BAD("capture:\n  - snaplen: 1\n", 1, "capture", "got a sequence");
	/* a mapping or sequence where a scalar belongs */
	LOAD_BAD("flow:\n  capacity:\n    a: 1\n", 2, "flow.capacity",
		 "expected a u32 value, got a mapping");
	LOAD_BAD("flow:\n  capacity: [1, 2]\n", 2, "flow.capacity",
		 "expected a u32 value, got a sequence");
	LOAD_BAD("capture:\n  interface:\n    - eth0\n    - eth1\n", 2, "capture.interface",
		 "expected a string value, got a sequence");
	/* null where a number belongs */
	LOAD_BAD("capture:\n  snaplen:\n", 2, "capture.snaplen", "no value given, expected a u32");
	/* anchors and aliases: the anchor an alias needs is refused first */
	LOAD_BAD("capture:\n  snaplen: &n 100\n  buffer_mb: *n\n", 2, "capture.snaplen",
		 "the value carries an anchor (anchors and aliases are not supported)");
	LOAD_BAD("capture: &c\n  snaplen: 100\n", 1, "capture", "the section carries an anchor");
	/* keys are plain names: not quoted, tagged or anchored */
	LOAD_BAD("capture:\n  \"snaplen\": 100\n", 2, "capture.snaplen",
		 "keys must be plain names, without quotes, tags or anchors");
	LOAD_BAD("capture:\n  !!int snaplen: 100\n", 2, "capture.snaplen",
		 "keys must be plain names");
	LOAD_BAD("capture:\n  &k snaplen: 100\n", 2, "capture.snaplen", "keys must be plain names");
	LOAD_BAD("'capture':\n  snaplen: 100\n", 1, "capture", "keys must be plain names");
	/* a mapping may carry only its core tag */
	LOAD_BAD("capture: !foo\n  snaplen: 100\n", 1, "capture", "the section carries a YAML tag");
	LOAD_BAD_NOKEY("!foo\ncapture:\n  snaplen: 100\n", 1,
		       "the top-level mapping carries a YAML tag");
	/* tags: only the core tag of the key's type */
	LOAD_BAD("flow:\n  capacity: !!str 2048\n", 2, "flow.capacity",
		 "YAML tag '!!str' does not fit a u32 value");
	LOAD_BAD("web:\n  token: !secret abc\n", 2, "web.token",
		 "YAML tag '!secret' does not fit a string value");
	LOAD_BAD("capture:\n  promisc: !!int 1\n", 2, "capture.promisc",
		 "YAML tag '!!int' does not fit a bool value");
	/* top level and keys */
	LOAD_BAD_NOKEY("- capture\n", 1, "the top level must be a mapping of sections");
	LOAD_BAD_NOKEY("just a string\n", 1, "the top level must be a mapping");
	LOAD_BAD_NOKEY("capture:\n  ? [a, b]\n  : 1\n", 2, "section 'capture': keys must be names");
	LOAD_BAD_NOKEY("capture:\n  snaplen: 100\n---\nflow: {}\n", 3, "a second YAML document");
}

static void
test_bad_values(void)
{
	char yaml[600];

	LOAD_BAD("# comment\n\ncapture:\n  promisc: true\n  snaplen: 262145\n", 5,
		 "capture.snaplen", "262145 is out of range 1..262144");
	LOAD_BAD("capture:\n  count: -5\n", 2, "capture.count", "'-5' is negative");
	LOAD_BAD("capture:\n  count: 18446744073709551616\n", 2, "capture.count", "out of range");
	LOAD_BAD("capture:\n  promisc: maybe\n", 2, "capture.promisc",
		 "expected true/false, yes/no, on/off or 1/0, got 'maybe'");
	LOAD_BAD("flow:\n  capacity: lots\n", 2, "flow.capacity",
		 "expected an unsigned integer, got 'lots'");
	LOAD_BAD("capture:\n  backend: netmap\n", 2, "capture.backend",
		 "'netmap' is not one of auto, pcap, dpdk");
	LOAD_BAD("output:\n  log_level: chatty\n", 2, "output.log_level",
		 "'chatty' is not one of error, warning, notice, info, debug");
	LOAD_BAD("pipeline:\n  ring_size: 3000\n", 2, "pipeline.ring_size", "not a power of two");
	LOAD_BAD("anomaly:\n  syn_flood:\n    ratio: 2\n", 3, "anomaly.syn_flood.ratio",
		 "2 is out of range 0..1");
	LOAD_BAD("web:\n  token: \"a\\0b\"\n", 2, "web.token", "contains a NUL byte");

	snprintf(yaml, sizeof(yaml), "capture:\n  interface: %0300d\n", 0);
	LOAD_BAD(yaml, 2, "capture.interface", "value is 300 bytes long; the limit is 255 bytes");
}

static void
test_duplicates(void)
{
	LOAD_BAD("capture:\n  snaplen: 100\n  snaplen: 200\n", 3, "capture.snaplen",
		 "duplicate key (first set on line 2)");
	LOAD_BAD("capture:\n  snaplen: 100\nflow:\n  capacity: 2048\ncapture:\n  promisc: false\n",
		 5, "capture", "duplicate section (first on line 1)");
	LOAD_BAD("anomaly:\n  syn_flood: {rate: 5}\n  syn_flood:\n    ratio: 0.1\n", 3,
		 "anomaly.syn_flood", "duplicate section (first on line 2)");
}

static void
test_syntax_errors(void)
{
	LOAD_SYNTAX("capture:\n  snaplen: 100\n  promisc true\n  buffer_mb: 3\n", 4,
		    "capture.snaplen", "YAML syntax error: could not find expected ':'");
	LOAD_SYNTAX("flow:\n  capacity: 2048\n  udp_timeout: \"60\n", 4, "flow.udp_timeout",
		    "YAML syntax error");
	LOAD_SYNTAX("capture:\n\tsnaplen: 100\n", 2, "capture",
		    "YAML syntax error: found character that cannot start any token");
	LOAD_SYNTAX("flow:\n  capacity: 2048\n udp_timeout: 5\n", 3, "flow.capacity",
		    "YAML syntax error");
	LOAD_BAD_NOKEY("capture: {\n", 2, "YAML syntax error");
	/* invalid UTF-8 is found by the reader, placed by byte offset */
	LOAD_SYNTAX("capture:\n  snaplen: 100\n  interface: \"eth\xff\"\n", 3, "capture.snaplen",
		    "YAML syntax error: invalid leading UTF-8 octet");
}

static void
test_unreadable_file(void)
{
	struct ns_config c, d;
	char err[ERR_MAX], dir[TMP_PATH_MAX];

	cfg_fresh(&c);
	cfg_fresh(&d);
	CU_ASSERT_EQUAL(ns_config_load_file(&c, "/nonexistent/netscope.yaml", err, sizeof(err)),
			-ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/netscope.yaml: No such file or directory");

	snprintf(dir, sizeof(dir), "/tmp/ns_config_test_XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	CU_ASSERT_EQUAL(ns_config_load_file(&c, dir, err, sizeof(err)), -EISDIR);
	ASSERT_STARTS(err, dir);
	ASSERT_CONTAINS(err, ": Is a directory");
	rmdir(dir);
	CU_ASSERT_EQUAL(memcmp(&c, &d, sizeof(c)), 0);
	CU_ASSERT_EQUAL(ns_config_load_file(&c, NULL, err, sizeof(err)), -EINVAL);
}

static void
test_precedence(void)
{
	struct ns_config c;
	char path[TMP_PATH_MAX], path2[TMP_PATH_MAX], err[ERR_MAX];
	static const char file1[] = "capture:\n  snaplen: 100\n  promisc: false\n"
				    "flow:\n  udp_timeout: 5\n";
	static const char file2[] = "capture:\n  snaplen: 150\n";

	cfg_fresh(&c);
	CU_ASSERT_FATAL(tmp_write(path, file1, strlen(file1)));
	CU_ASSERT_FATAL(tmp_write(path2, file2, strlen(file2)));
	CU_ASSERT_EQUAL(ns_config_load_file(&c, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.capture.snaplen, 100);
	CU_ASSERT_EQUAL(c.capture.buffer_mb, 32); /* default under the file */
	/* a second file overlays only what it names */
	CU_ASSERT_EQUAL(ns_config_load_file(&c, path2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.capture.snaplen, 150);
	CU_ASSERT_FALSE(c.capture.promisc);
	/* --set wins over the file */
	CU_ASSERT_EQUAL(ns_config_set(&c, "capture.snaplen=200", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ns_config_set(&c, "flow.udp_timeout=7", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.capture.snaplen, 200);
	CU_ASSERT_EQUAL(c.flow.udp_timeout, 7);
	CU_ASSERT_FALSE(c.capture.promisc);
	/* setting a key twice on the command line is not a duplicate: the last one wins */
	CU_ASSERT_EQUAL(ns_config_set(&c, "flow.udp_timeout=8", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.flow.udp_timeout, 8);
	unlink(path);
	unlink(path2);
}

/* A file with good keys before its error changes nothing. */
static void
test_rejected_file_is_atomic(void)
{
	struct ns_config c, before;
	char path[TMP_PATH_MAX], err[ERR_MAX];
	static const char text[] =
		"capture:\n  snaplen: 100\n  interface: eth9\nflow:\n  nope: 1\n";

	cfg_fresh(&c);
	CU_ASSERT_EQUAL(ns_config_set(&c, "capture.snaplen=1234", err, sizeof(err)), 0);
	before = c;
	CU_ASSERT_FATAL(tmp_write(path, text, strlen(text)));
	CU_ASSERT_EQUAL(ns_config_load_file(&c, path, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(memcmp(&c, &before, sizeof(c)), 0);
	unlink(path);
}

/* Dump @src to a temp file, load it over fresh defaults and compare bytes. */
static void
round_trip(const struct ns_config *src, bool annotated)
{
	struct ns_config back;
	char path[TMP_PATH_MAX], err[ERR_MAX] = "";
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/ns_config_test_XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	if (annotated)
		ns_config_dump_annotated(src, f);
	else
		ns_config_dump(src, f);
	fclose(f);
	cfg_fresh(&back);
	CU_ASSERT_EQUAL(ns_config_load_file(&back, path, err, sizeof(err)), 0);
	if (err[0] != '\0')
		fprintf(stderr, "\nround trip: %s\n", err);
	CU_ASSERT_EQUAL(memcmp(&back, src, sizeof(back)), 0);
	unlink(path);
}

static void
test_dump_round_trip_defaults(void)
{
	struct ns_config c;

	cfg_fresh(&c);
	round_trip(&c, false);
	round_trip(&c, true);
}

/* Every key away from its default, strings with everything YAML could misread. */
static void
test_dump_round_trip_everything_changed(void)
{
	static const char *const tricky[] = {
		"\"quoted\" and \\back\\slash",
		"tab\there\nnewline\r\x01\x7f",
		"# not a comment: {[ ]} & * ! | > ' % @ `",
		"  leading and trailing  ",
		"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xe2\x80\xa8 \xc2\x85",
		"~",
		"null",
		"true",
		"- dash",
		"0755",
	};
	struct ns_config c, d;
	const struct ns_config_key *keys;
	char err[ERR_MAX], val[NS_CFG_FILTER_MAX];
	size_t n, s = 0;

	cfg_fresh(&c);
	cfg_fresh(&d);
	keys = ns_config_schema(&n);
	for (size_t i = 0; i < n; i++) {
		const struct ns_config_key *k = &keys[i];
		size_t names = 0;

		switch (k->type) {
		case NS_CFG_BOOL:
			snprintf(val, sizeof(val), "%s",
				 *((const bool *)((const char *)&c + k->offset)) ? "false"
										 : "true");
			break;
		case NS_CFG_U32:
		case NS_CFG_U64:
			if (k->max >= 18446744073709551615.0)
				snprintf(val, sizeof(val), "%llu", 18446744073709551615ULL);
			else
				snprintf(val, sizeof(val), "%.0f", k->max);
			break;
		case NS_CFG_DOUBLE:
			/* not exactly representable: needs all 17 digits to come back */
			snprintf(val, sizeof(val), "%.17g", k->min + (k->max - k->min) / 3);
			break;
		case NS_CFG_STRING:
			if (k->enum_names != NULL) {
				while (k->enum_names[names + 1] != NULL)
					names++;
				snprintf(val, sizeof(val), "%s", k->enum_names[names]);
			} else {
				snprintf(val, sizeof(val), "%s",
					 tricky[s++ % (sizeof(tricky) / sizeof(tricky[0]))]);
			}
			break;
		case NS_CFG_ENUM:
			while (k->enum_names[names + 1] != NULL)
				names++;
			snprintf(val, sizeof(val), "%s", k->enum_names[names]);
			break;
		}
		err[0] = '\0';
		CU_ASSERT_EQUAL(ns_config_set_key(&c, k->name, val, "test", err, sizeof(err)), 0);
		if (err[0] != '\0')
			fprintf(stderr, "\n%s\n", err);
	}
	/* and one string right at its limit, every byte escaped */
	memset(val, '"', NS_CFG_FILTER_MAX - 1);
	val[NS_CFG_FILTER_MAX - 1] = '\0';
	CU_ASSERT_EQUAL(ns_config_set_key(&c, "capture.filter", val, "test", err, sizeof(err)), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(&c, &d, sizeof(c)), 0);
	round_trip(&c, false);
	round_trip(&c, true);
}

static void
test_dump_shape(void)
{
	struct ns_config c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	cfg_fresh(&c);
	ns_config_dump(&c, f);
	fclose(f);
	/* nested sections, each opened once */
	ASSERT_CONTAINS(buf, "capture:\n  interface: \"\"\n");
	ASSERT_CONTAINS(buf, "\nanomaly:\n  enabled: false\n  syn_flood:\n    rate: 200\n"
			     "    ratio: 0.5\n    window: 5\n  port_scan:\n    ports: 50\n");
	ASSERT_CONTAINS(buf, "  max_sources: 65536\n");
	ASSERT_CONTAINS(buf, "  backend: auto\n");
	ASSERT_CONTAINS(buf, "  listen: \"127.0.0.1:8080\"\n");
	CU_ASSERT_PTR_NULL(strstr(strstr(buf, "anomaly:") + 1, "anomaly:"));
	free(buf);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_empty_is_defaults),
	NS_TEST(test_nested_values),
	NS_TEST(test_null_and_quoted_strings),
	NS_TEST(test_unknown_keys),
	NS_TEST(test_wrong_shapes),
	NS_TEST(test_bad_values),
	NS_TEST(test_duplicates),
	NS_TEST(test_syntax_errors),
	NS_TEST(test_unreadable_file),
	NS_TEST(test_precedence),
	NS_TEST(test_rejected_file_is_atomic),
	NS_TEST(test_dump_round_trip_defaults),
	NS_TEST(test_dump_round_trip_everything_changed),
	NS_TEST(test_dump_shape),
};

NS_TEST_MAIN("config_load", cases)
