/* SPDX-License-Identifier: MIT */
/*
 * The schema and its typed values, through --set (ns_config_set / ns_config_set_key): the
 * built-in defaults an operator expects, every default parsing and in range, and each type's
 * accepted spellings, edge values (min, max, max + 1), negatives, junk and overflow.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "config_test.h"

/* --set @assignment on fresh defaults; expect success. */
static void
set_ok_at(struct ns_config *cfg, const char *assignment, unsigned line)
{
	char err[ERR_MAX] = "", msg[ERR_MAX + 128];
	int rc = ns_config_set(cfg, assignment, err, sizeof(err));

	snprintf(msg, sizeof(msg), "--set %.200s accepted (got: %s)", assignment, err);
	CU_assertImplementation(rc == 0, line, msg, __FILE__, "", CU_FALSE);
}

/* --set @assignment; expect -EINVAL, "--set key 'KEY': " and @why in the message, cfg as it was. */
static void
set_bad_at(const char *assignment, const char *key, const char *why, unsigned line)
{
	struct ns_config cfg, before;
	char err[ERR_MAX] = "", want[256];

	cfg_fresh(&cfg);
	before = cfg;
	CU_assertImplementation(ns_config_set(&cfg, assignment, err, sizeof(err)) == -EINVAL, line,
				assignment, __FILE__, "", CU_FALSE);
	snprintf(want, sizeof(want), "--set key '%s': ", key);
	assert_starts_at(err, want, line, __FILE__);
	assert_contains_at(err, why, line, __FILE__);
	CU_assertImplementation(memcmp(&cfg, &before, sizeof(cfg)) == 0, line,
				"config unchanged after a rejected --set", __FILE__, "", CU_FALSE);
}

#define SET_OK(cfg, a) set_ok_at(cfg, a, __LINE__)
#define SET_BAD(a, key, why) set_bad_at(a, key, why, __LINE__)

static void
test_defaults(void)
{
	struct ns_config c;

	cfg_fresh(&c);
	CU_ASSERT_STRING_EQUAL(c.capture.interface, "");
	CU_ASSERT_STRING_EQUAL(c.capture.read_file, "");
	CU_ASSERT_STRING_EQUAL(c.capture.filter, "");
	CU_ASSERT_STRING_EQUAL(c.capture.write_file, "");
	CU_ASSERT_EQUAL(c.capture.snaplen, 262144);
	CU_ASSERT_TRUE(c.capture.promisc);
	CU_ASSERT_EQUAL(c.capture.buffer_mb, 32);
	CU_ASSERT_EQUAL(c.capture.timeout_ms, 100);
	CU_ASSERT_EQUAL(c.capture.count, 0);
	CU_ASSERT_EQUAL(c.capture.duration, 0);
	CU_ASSERT_EQUAL(c.capture.backend, NS_BACKEND_AUTO);

	CU_ASSERT_FALSE(c.pipeline.enabled);
	CU_ASSERT_EQUAL(c.pipeline.workers, 1);
	CU_ASSERT_EQUAL(c.pipeline.burst, 32);
	CU_ASSERT_EQUAL(c.pipeline.ring_size, 4096);

	CU_ASSERT_EQUAL(c.flow.capacity, 1048576);
	CU_ASSERT_TRUE(c.flow.key_vlan);
	CU_ASSERT_TRUE(c.flow.hugepages);
	CU_ASSERT_EQUAL(c.flow.tcp_syn_timeout, 10);
	CU_ASSERT_EQUAL(c.flow.tcp_established_timeout, 300);
	CU_ASSERT_EQUAL(c.flow.tcp_fin_timeout, 30);
	CU_ASSERT_EQUAL(c.flow.tcp_closed_timeout, 2);
	CU_ASSERT_EQUAL(c.flow.udp_timeout, 60);
	CU_ASSERT_EQUAL(c.flow.icmp_timeout, 30);
	CU_ASSERT_EQUAL(c.flow.other_timeout, 30);
	CU_ASSERT_EQUAL(c.flow.active_timeout, 1800);

	CU_ASSERT_FALSE(c.anomaly.enabled);
	CU_ASSERT_DOUBLE_EQUAL(c.anomaly.syn_flood.rate, 200, 0);
	CU_ASSERT_DOUBLE_EQUAL(c.anomaly.syn_flood.ratio, 0.5, 0);
	CU_ASSERT_EQUAL(c.anomaly.syn_flood.window, 5);
	CU_ASSERT_EQUAL(c.anomaly.port_scan.ports, 50);
	CU_ASSERT_EQUAL(c.anomaly.port_scan.hosts, 50);
	CU_ASSERT_EQUAL(c.anomaly.port_scan.window, 10);
	CU_ASSERT_EQUAL(c.anomaly.max_sources, 65536);
	CU_ASSERT_EQUAL(c.anomaly.clear_after, 10);

	CU_ASSERT_FALSE(c.web.enabled);
	CU_ASSERT_STRING_EQUAL(c.web.listen, "127.0.0.1:8080");
	CU_ASSERT_STRING_EQUAL(c.web.token, "");
	CU_ASSERT_FALSE(c.web.allow_remote_without_token);
	CU_ASSERT_EQUAL(c.web.max_connections, 64);
	CU_ASSERT_EQUAL(c.web.max_request_kb, 64);
	CU_ASSERT_FALSE(c.web.linger);

	CU_ASSERT_STRING_EQUAL(c.export.flows_file, "");
	CU_ASSERT_EQUAL(c.export.flows_format, NS_EXPORT_FMT_AUTO);
	CU_ASSERT_STRING_EQUAL(c.export.alerts_file, "");
	CU_ASSERT_STRING_EQUAL(c.export.summary_json, "");

	CU_ASSERT_FALSE(c.output.quiet);
	CU_ASSERT_FALSE(c.output.stats);
	CU_ASSERT_EQUAL(c.output.stats_interval, 1);
	CU_ASSERT_EQUAL(c.output.top_flows, 0);
	CU_ASSERT_STRING_EQUAL(c.output.log_level, "notice");

	CU_ASSERT_STRING_EQUAL(c.dpdk.eal_args, "");
	CU_ASSERT_EQUAL(c.dpdk.rx_desc, 1024);
	CU_ASSERT_EQUAL(c.dpdk.mbufs, 65535);
	CU_ASSERT_EQUAL(c.dpdk.mbuf_cache, 256);
	CU_ASSERT_EQUAL(c.dpdk.mbuf_size, 2176);
	CU_ASSERT_TRUE(c.dpdk.rss);
}

/* Walk the table: every row is well formed, and its default parses, is in range and is what
 * ns_config_defaults() stored. */
static void
test_schema_table(void)
{
	struct ns_config c, d;
	const struct ns_config_key *keys;
	char err[ERR_MAX];
	size_t n;

	cfg_fresh(&d);
	keys = ns_config_schema(&n);
	CU_ASSERT_FATAL(n > 50);
	for (size_t i = 0; i < n; i++) {
		const struct ns_config_key *k = &keys[i];
		const char *dot = strrchr(k->name, '.');

		CU_ASSERT_PTR_NOT_NULL_FATAL(dot);
		CU_ASSERT_PTR_EQUAL(ns_config_key_find(k->name), k);
		CU_ASSERT_TRUE(k->help != NULL && strlen(k->help) > 10 &&
			       strchr(k->help, '\n') == NULL);
		CU_ASSERT_TRUE(k->offset + k->size <= sizeof(struct ns_config));
		CU_ASSERT_TRUE(k->def != NULL);
		if (k->type == NS_CFG_U32 || k->type == NS_CFG_U64 || k->type == NS_CFG_DOUBLE)
			CU_ASSERT_TRUE(k->min <= k->max);
		if (k->type == NS_CFG_U32)
			CU_ASSERT_TRUE(k->max <= UINT32_MAX && k->size == sizeof(uint32_t));
		if (k->type == NS_CFG_ENUM)
			CU_ASSERT_TRUE(k->enum_names != NULL && k->enum_names[0] != NULL &&
				       strcmp(ns_config_enum_name(k, 0), k->enum_names[0]) == 0);
		for (size_t j = 0; j < i; j++)
			CU_ASSERT_NOT_EQUAL(strcmp(keys[j].name, k->name), 0);

		/* the default goes through the setter like any user value and changes nothing */
		cfg_fresh(&c);
		err[0] = '\0';
		CU_ASSERT_EQUAL(ns_config_set_key(&c, k->name, k->def, "default", err, sizeof(err)),
				0);
		CU_ASSERT_STRING_EQUAL(err, "");
		CU_ASSERT_EQUAL(memcmp(&c, &d, sizeof(c)), 0);
	}
	CU_ASSERT_EQUAL(ns_config_validate(&d, err, sizeof(err)), 0);
}

/* The dump opens each section once, so the rows of a section must be contiguous. */
static void
test_schema_sections_contiguous(void)
{
	const struct ns_config_key *keys;
	size_t n;

	keys = ns_config_schema(&n);
	for (size_t i = 1; i < n; i++) {
		size_t plen = (size_t)(strrchr(keys[i].name, '.') - keys[i].name);

		if (strncmp(keys[i - 1].name, keys[i].name, plen + 1) == 0)
			continue;
		/* a new section: nothing before it may have used it */
		for (size_t j = 0; j + 1 < i; j++)
			CU_ASSERT_NOT_EQUAL(strncmp(keys[j].name, keys[i].name, plen + 1), 0);
	}
}

static void
test_key_find_and_enum_name(void)
{
	const struct ns_config_key *k = ns_config_key_find("capture.backend");

	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT_EQUAL(k->type, NS_CFG_ENUM);
	CU_ASSERT_STRING_EQUAL(ns_config_enum_name(k, NS_BACKEND_AUTO), "auto");
	CU_ASSERT_STRING_EQUAL(ns_config_enum_name(k, NS_BACKEND_PCAP), "pcap");
	CU_ASSERT_STRING_EQUAL(ns_config_enum_name(k, NS_BACKEND_DPDK), "dpdk");
	CU_ASSERT_PTR_NULL(ns_config_enum_name(k, 3));
	CU_ASSERT_PTR_NULL(ns_config_enum_name(ns_config_key_find("capture.snaplen"), 0));
	CU_ASSERT_PTR_NULL(ns_config_enum_name(NULL, 0));
	k = ns_config_key_find("export.flows_format");
	CU_ASSERT_STRING_EQUAL(ns_config_enum_name(k, NS_EXPORT_FMT_JSONL), "jsonl");
	CU_ASSERT_STRING_EQUAL(ns_config_enum_name(k, NS_EXPORT_FMT_CSV), "csv");
	CU_ASSERT_PTR_NULL(ns_config_key_find("capture"));
	CU_ASSERT_PTR_NULL(ns_config_key_find("capture.snaplen.x"));
	CU_ASSERT_PTR_NULL(ns_config_key_find(NULL));
	k = ns_config_key_find("anomaly.syn_flood.rate");
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT_EQUAL(k->type, NS_CFG_DOUBLE);
}

static void
test_bool(void)
{
	static const char *const yes[] = { "true", "yes", "on", "1", "TRUE", "Yes", "ON" };
	static const char *const no[] = { "false", "no", "off", "0", "False", "NO", "Off" };
	struct ns_config c;
	char a[64];

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		cfg_fresh(&c);
		c.capture.promisc = false;
		snprintf(a, sizeof(a), "capture.promisc=%s", yes[i]);
		SET_OK(&c, a);
		CU_ASSERT_TRUE(c.capture.promisc);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		cfg_fresh(&c);
		snprintf(a, sizeof(a), "capture.promisc=%s", no[i]);
		SET_OK(&c, a);
		CU_ASSERT_FALSE(c.capture.promisc);
	}
	SET_BAD("capture.promisc=maybe", "capture.promisc",
		"expected true/false, yes/no, on/off or 1/0, got 'maybe'");
	SET_BAD("capture.promisc=2", "capture.promisc", "expected true/false");
	SET_BAD("capture.promisc=", "capture.promisc", "expected true/false");
	SET_BAD("capture.promisc=truee", "capture.promisc", "got 'truee'");
}

static void
test_u32(void)
{
	struct ns_config c;

	cfg_fresh(&c);
	SET_OK(&c, "capture.snaplen=1");
	CU_ASSERT_EQUAL(c.capture.snaplen, 1);
	SET_OK(&c, "capture.snaplen=262144");
	CU_ASSERT_EQUAL(c.capture.snaplen, 262144);
	SET_OK(&c, "capture.snaplen=0001500");
	CU_ASSERT_EQUAL(c.capture.snaplen, 1500);
	SET_OK(&c, "capture.duration=4294967295");
	CU_ASSERT_EQUAL(c.capture.duration, UINT32_MAX);
	SET_OK(&c, "capture.duration=0");
	CU_ASSERT_EQUAL(c.capture.duration, 0);

	SET_BAD("capture.snaplen=0", "capture.snaplen", "0 is out of range 1..262144");
	SET_BAD("capture.snaplen=262145", "capture.snaplen", "262145 is out of range 1..262144");
	/* libpcap takes the buffer size in bytes as an int: 2048 MiB wrapped negative, 4096 to 0 */
	SET_BAD("capture.buffer_mb=2048", "capture.buffer_mb", "2048 is out of range 1..2047");
	SET_BAD("capture.snaplen=-1", "capture.snaplen", "'-1' is negative");
	SET_BAD("capture.snaplen=12x", "capture.snaplen",
		"expected an unsigned integer, got '12x'");
	SET_BAD("capture.snaplen= 5", "capture.snaplen", "expected an unsigned integer");
	SET_BAD("capture.snaplen=+5", "capture.snaplen", "expected an unsigned integer");
	SET_BAD("capture.snaplen=0x10", "capture.snaplen", "expected an unsigned integer");
	SET_BAD("capture.snaplen=1.5", "capture.snaplen", "expected an unsigned integer");
	SET_BAD("capture.snaplen=", "capture.snaplen", "empty value");
	SET_BAD("capture.duration=4294967296", "capture.duration",
		"4294967296 is out of range 0..4294967295");
	SET_BAD("capture.snaplen=99999999999999999999999", "capture.snaplen",
		"is out of range 1..262144");
	SET_BAD("flow.udp_timeout=0", "flow.udp_timeout", "out of range 1..86400");
	SET_BAD("flow.capacity=16777216", "flow.capacity", "out of range 1024..16777215");
}

static void
test_u64(void)
{
	struct ns_config c;

	cfg_fresh(&c);
	SET_OK(&c, "capture.count=18446744073709551615");
	CU_ASSERT_EQUAL(c.capture.count, UINT64_MAX);
	SET_OK(&c, "capture.count=4294967296");
	CU_ASSERT_EQUAL(c.capture.count, UINT64_C(4294967296));
	SET_OK(&c, "capture.count=0");
	CU_ASSERT_EQUAL(c.capture.count, 0);

	SET_BAD("capture.count=18446744073709551616", "capture.count",
		"18446744073709551616 is out of range 0..18446744073709551615");
	SET_BAD("capture.count=-1", "capture.count", "'-1' is negative; u64 values are unsigned");
	SET_BAD("capture.count=1e3", "capture.count", "expected an unsigned integer, got '1e3'");
	SET_BAD("capture.count=ten", "capture.count", "expected an unsigned integer");
}

static void
test_double(void)
{
	struct ns_config c;

	cfg_fresh(&c);
	SET_OK(&c, "anomaly.syn_flood.ratio=0");
	CU_ASSERT_DOUBLE_EQUAL(c.anomaly.syn_flood.ratio, 0, 0);
	SET_OK(&c, "anomaly.syn_flood.ratio=1");
	CU_ASSERT_DOUBLE_EQUAL(c.anomaly.syn_flood.ratio, 1, 0);
	SET_OK(&c, "anomaly.syn_flood.ratio=.25");
	CU_ASSERT_DOUBLE_EQUAL(c.anomaly.syn_flood.ratio, 0.25, 0);
	SET_OK(&c, "anomaly.syn_flood.rate=1e3");
	CU_ASSERT_DOUBLE_EQUAL(c.anomaly.syn_flood.rate, 1000, 0);
	SET_OK(&c, "anomaly.syn_flood.rate=1234.5");
	CU_ASSERT_DOUBLE_EQUAL(c.anomaly.syn_flood.rate, 1234.5, 0);

	SET_BAD("anomaly.syn_flood.ratio=1.5", "anomaly.syn_flood.ratio",
		"1.5 is out of range 0..1");
	SET_BAD("anomaly.syn_flood.ratio=-0.1", "anomaly.syn_flood.ratio",
		"-0.1 is out of range 0..1");
	SET_BAD("anomaly.syn_flood.rate=0.5", "anomaly.syn_flood.rate",
		"out of range 1..1000000000");
	SET_BAD("anomaly.syn_flood.rate=abc", "anomaly.syn_flood.rate",
		"expected a number, got 'abc'");
	SET_BAD("anomaly.syn_flood.rate=nan", "anomaly.syn_flood.rate", "expected a number");
	SET_BAD("anomaly.syn_flood.rate=inf", "anomaly.syn_flood.rate", "expected a number");
	SET_BAD("anomaly.syn_flood.rate=0x1p4", "anomaly.syn_flood.rate", "expected a number");
	SET_BAD("anomaly.syn_flood.rate=12.5.1", "anomaly.syn_flood.rate", "expected a number");
	SET_BAD("anomaly.syn_flood.rate=", "anomaly.syn_flood.rate", "expected a number");
	SET_BAD("anomaly.syn_flood.rate=1e400", "anomaly.syn_flood.rate", "too large");
	/* an underflow is not a silent 0 */
	SET_BAD("anomaly.syn_flood.ratio=1e-400", "anomaly.syn_flood.ratio", "too small");
}

static void
test_string(void)
{
	struct ns_config c, d;
	char a[4096];
	int w;

	cfg_fresh(&c);
	SET_OK(&c, "capture.filter=tcp port 80 and len = 60");
	CU_ASSERT_STRING_EQUAL(c.capture.filter, "tcp port 80 and len = 60");
	SET_OK(&c, "web.token=s3cr\xc3\xa9t");
	CU_ASSERT_STRING_EQUAL(c.web.token, "s3cr\xc3\xa9t");

	/* exactly the limit (buffer size - 1) fits */
	w = snprintf(a, sizeof(a), "capture.interface=");
	memset(a + w, 'e', NS_CFG_STR_MAX - 1);
	a[w + NS_CFG_STR_MAX - 1] = '\0';
	SET_OK(&c, a);
	CU_ASSERT_EQUAL(strlen(c.capture.interface), NS_CFG_STR_MAX - 1);
	/* one more is rejected, naming the limit */
	a[w + NS_CFG_STR_MAX - 1] = 'e';
	a[w + NS_CFG_STR_MAX] = '\0';
	SET_BAD(a, "capture.interface", "value is 256 bytes long; the limit is 255 bytes");

	w = snprintf(a, sizeof(a), "capture.filter=");
	memset(a + w, 'x', NS_CFG_FILTER_MAX);
	a[w + NS_CFG_FILTER_MAX] = '\0';
	SET_BAD(a, "capture.filter", "the limit is 2047 bytes");
	a[w + NS_CFG_FILTER_MAX - 1] = '\0';
	SET_OK(&c, a);

	SET_BAD("capture.interface=eth\xff", "capture.interface", "not valid UTF-8");
	SET_BAD("capture.interface=\xc0\xaf", "capture.interface",
		"not valid UTF-8"); /* overlong */

	/* a shorter value clears the tail: equal values are equal bytes */
	cfg_fresh(&c);
	cfg_fresh(&d);
	SET_OK(&c, "capture.interface=a-very-long-interface-name");
	SET_OK(&c, "capture.interface=eth0");
	SET_OK(&d, "capture.interface=eth0");
	CU_ASSERT_EQUAL(memcmp(&c, &d, sizeof(c)), 0);
	SET_OK(&c, "capture.interface=");
	CU_ASSERT_STRING_EQUAL(c.capture.interface, "");
}

static void
test_enum(void)
{
	struct ns_config c;

	cfg_fresh(&c);
	SET_OK(&c, "capture.backend=pcap");
	CU_ASSERT_EQUAL(c.capture.backend, NS_BACKEND_PCAP);
	SET_OK(&c, "capture.backend=DPDK");
	CU_ASSERT_EQUAL(c.capture.backend, NS_BACKEND_DPDK);
	SET_OK(&c, "capture.backend=auto");
	CU_ASSERT_EQUAL(c.capture.backend, NS_BACKEND_AUTO);
	SET_OK(&c, "export.flows_format=csv");
	CU_ASSERT_EQUAL(c.export.flows_format, NS_EXPORT_FMT_CSV);
	SET_OK(&c, "export.flows_format=jsonl");
	CU_ASSERT_EQUAL(c.export.flows_format, NS_EXPORT_FMT_JSONL);
	SET_BAD("capture.backend=foo", "capture.backend", "'foo' is not one of auto, pcap, dpdk");
	SET_BAD("capture.backend=", "capture.backend", "is not one of auto, pcap, dpdk");
	SET_BAD("export.flows_format=xml", "export.flows_format",
		"'xml' is not one of auto, json, jsonl, csv");

	/* log_level: a string restricted to names, stored in its canonical spelling */
	SET_OK(&c, "output.log_level=DEBUG");
	CU_ASSERT_STRING_EQUAL(c.output.log_level, "debug");
	SET_OK(&c, "output.log_level=error");
	CU_ASSERT_STRING_EQUAL(c.output.log_level, "error");
	SET_BAD("output.log_level=loud", "output.log_level",
		"'loud' is not one of error, warning, notice, info, debug");
	SET_BAD("output.log_level=debugging-with-a-very-long-name", "output.log_level",
		"limit is 15 bytes");
}

static void
test_power_of_two(void)
{
	struct ns_config c;

	cfg_fresh(&c);
	SET_OK(&c, "pipeline.ring_size=64");
	CU_ASSERT_EQUAL(c.pipeline.ring_size, 64);
	SET_OK(&c, "pipeline.ring_size=1048576");
	CU_ASSERT_EQUAL(c.pipeline.ring_size, 1048576);
	SET_BAD("pipeline.ring_size=1000", "pipeline.ring_size",
		"1000 is not a power of two (512 or 1024 would do)");
	SET_BAD("pipeline.ring_size=32", "pipeline.ring_size", "out of range 64..1048576");
	SET_BAD("pipeline.ring_size=2097152", "pipeline.ring_size", "out of range 64..1048576");
}

static void
test_set_syntax(void)
{
	struct ns_config c, before;
	char err[ERR_MAX];

	cfg_fresh(&c);
	before = c;
	CU_ASSERT_EQUAL(ns_config_set(&c, "capture.snaplen", err, sizeof(err)), -EINVAL);
	ASSERT_CONTAINS(err, "--set 'capture.snaplen': expected key.path=value");
	CU_ASSERT_EQUAL(ns_config_set(&c, "=5", err, sizeof(err)), -EINVAL);
	ASSERT_CONTAINS(err, "expected key.path=value");
	CU_ASSERT_EQUAL(memcmp(&c, &before, sizeof(c)), 0);

	SET_BAD("capture.snaplne=5", "capture.snaplne",
		"unknown key (did you mean 'capture.snaplen'?)");
	SET_BAD("flow.snaplen=5", "flow.snaplen", "did you mean 'capture.snaplen'?");
	SET_BAD("anomaly.synflood.rate=5", "anomaly.synflood.rate",
		"did you mean 'anomaly.syn_flood.rate'?");
	SET_BAD("nothing.like.this=1", "nothing.like.this", "unknown key");
	SET_BAD("capture=1", "capture", "is a section, not a key");
	SET_BAD("anomaly.syn_flood=1", "anomaly.syn_flood", "e.g. 'anomaly.syn_flood.rate'");

	/* the value is everything after the first '=' */
	SET_OK(&c, "capture.filter=len=60");
	CU_ASSERT_STRING_EQUAL(c.capture.filter, "len=60");

	/* NULL error buffers are allowed */
	CU_ASSERT_EQUAL(ns_config_set(&c, "capture.snaplen=0", NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(ns_config_set(&c, NULL, err, sizeof(err)), -EINVAL);
}

static void
test_set_key_origin(void)
{
	struct ns_config c;
	char err[ERR_MAX];

	cfg_fresh(&c);
	CU_ASSERT_EQUAL(ns_config_set_key(&c, "capture.snaplen", "1500", "-s", err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(c.capture.snaplen, 1500);
	CU_ASSERT_EQUAL(ns_config_set_key(&c, "capture.snaplen", "300000", "-s", err, sizeof(err)),
			-EINVAL);
	ASSERT_STARTS(err, "-s: key 'capture.snaplen': 300000 is out of range 1..262144");
	CU_ASSERT_EQUAL(c.capture.snaplen, 1500);
	CU_ASSERT_EQUAL(ns_config_set_key(&c, "capture.snaplen", "x", NULL, err, sizeof(err)),
			-EINVAL);
	ASSERT_STARTS(err, "--set key 'capture.snaplen': ");
	CU_ASSERT_EQUAL(ns_config_set_key(&c, "capture.snaplem", "1", "--snap", err, sizeof(err)),
			-EINVAL);
	ASSERT_STARTS(err, "--snap: key 'capture.snaplem': unknown key (did you mean "
			   "'capture.snaplen'?)");
	CU_ASSERT_EQUAL(ns_config_set_key(&c, NULL, "1", "x", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(ns_config_set_key(&c, "capture.snaplen", NULL, "x", err, sizeof(err)),
			-EINVAL);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_defaults),
	NS_TEST(test_schema_table),
	NS_TEST(test_schema_sections_contiguous),
	NS_TEST(test_key_find_and_enum_name),
	NS_TEST(test_bool),
	NS_TEST(test_u32),
	NS_TEST(test_u64),
	NS_TEST(test_double),
	NS_TEST(test_string),
	NS_TEST(test_enum),
	NS_TEST(test_power_of_two),
	NS_TEST(test_set_syntax),
	NS_TEST(test_set_key_origin),
};

NS_TEST_MAIN("config_values", cases)
