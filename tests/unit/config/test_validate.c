/* SPDX-License-Identifier: MIT */
/*
 * ns_config_validate(): the per-key checks again for structs filled by code, and the
 * cross-field rules (-r with -i, -w onto -r, web.listen syntax and the token a non-loopback
 * bind needs, DPDK pool sizing), each error naming the keys involved; and
 * ns_config_listen_parse() on its own.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "config_test.h"

static void
valid_at(const struct ns_config *c, unsigned line)
{
	char err[ERR_MAX] = "", msg[ERR_MAX + 64];
	int rc = ns_config_validate(c, err, sizeof(err));

	snprintf(msg, sizeof(msg), "valid (got: %s)", err);
	CU_assertImplementation(rc == 0, line, msg, __FILE__, "", CU_FALSE);
}

static void
invalid_at(const struct ns_config *c, const char *start, const char *why, unsigned line)
{
	char err[ERR_MAX] = "";

	CU_assertImplementation(ns_config_validate(c, err, sizeof(err)) == -EINVAL, line,
				"validate fails with -EINVAL", __FILE__, "", CU_FALSE);
	assert_starts_at(err, start, line, __FILE__);
	assert_contains_at(err, why, line, __FILE__);
}

#define VALID(c) valid_at(c, __LINE__)
#define INVALID(c, start, why) invalid_at(c, start, why, __LINE__)

static void
set(struct ns_config *c, const char *assignment)
{
	char err[ERR_MAX];

	CU_ASSERT_EQUAL(ns_config_set(c, assignment, err, sizeof(err)), 0);
}

static void
test_defaults_valid(void)
{
	struct ns_config c;

	cfg_fresh(&c);
	VALID(&c);
}

static void
test_read_file_and_interface(void)
{
	struct ns_config c;

	cfg_fresh(&c);
	set(&c, "capture.read_file=in.pcap");
	VALID(&c);
	set(&c, "capture.interface=eth0");
	INVALID(&c, "keys 'capture.read_file' and 'capture.interface': ", "not both");

	cfg_fresh(&c);
	set(&c, "capture.read_file=in.pcap");
	set(&c, "capture.write_file=in.pcap");
	INVALID(&c, "keys 'capture.write_file' and 'capture.read_file': ",
		"writing would destroy the input");
	set(&c, "capture.write_file=out.pcap");
	VALID(&c);
	/* stdin in, stdout out */
	set(&c, "capture.read_file=-");
	set(&c, "capture.write_file=-");
	VALID(&c);
}

/*
 * Outputs: none may be the input under another name (a link, "./"), no two may be one file,
 * and only one may be standard output.
 */
static void
test_outputs(void)
{
	char dir[48], in[64], link_in[64], dot_in[80];
	struct ns_config c;
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/ns-validate-%d", (int)getpid());
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	snprintf(in, sizeof(in), "%s/in.pcap", dir);
	snprintf(link_in, sizeof(link_in), "%s/link.pcap", dir);
	snprintf(dot_in, sizeof(dot_in), "%s/./in.pcap", dir);
	f = fopen(in, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(symlink(in, link_in), 0);

	cfg_fresh(&c);
	CU_ASSERT_EQUAL(ns_config_set_key(&c, "capture.read_file", in, "test", NULL, 0), 0);
	CU_ASSERT_EQUAL(ns_config_set_key(&c, "capture.write_file", dot_in, "test", NULL, 0), 0);
	INVALID(&c, "keys 'capture.write_file' and 'capture.read_file': ", "destroy the input");
	CU_ASSERT_EQUAL(ns_config_set_key(&c, "capture.write_file", link_in, "test", NULL, 0), 0);
	INVALID(&c, "keys 'capture.write_file' and 'capture.read_file': ", "destroy the input");
	set(&c, "capture.write_file=");
	CU_ASSERT_EQUAL(ns_config_set_key(&c, "export.flows_file", link_in, "test", NULL, 0), 0);
	INVALID(&c, "keys 'export.flows_file' and 'capture.read_file': ", "destroy the input");

	cfg_fresh(&c);
	set(&c, "export.flows_file=f.json");
	set(&c, "export.summary_json=f.json");
	INVALID(&c, "keys 'export.flows_file' and 'export.summary_json': ", "'f.json'");
	set(&c, "export.summary_json=-");
	VALID(&c);
	set(&c, "capture.write_file=-");
	INVALID(&c, "keys 'capture.write_file' and 'export.summary_json': ", "standard output");
	/* /dev/stdout is standard output too */
	set(&c, "capture.write_file=/dev/stdout");
	INVALID(&c, "keys 'capture.write_file' and 'export.summary_json': ", "standard output");
	CU_ASSERT_TRUE(ns_config_path_is_stdout("/dev/stdout"));
	CU_ASSERT_TRUE(ns_config_path_is_stdout("-"));
	CU_ASSERT_FALSE(ns_config_path_is_stdout(in));
	CU_ASSERT_FALSE(ns_config_path_is_stdout(""));

	/* files still to be created: one name in one directory, however it is spelt */
	cfg_fresh(&c);
	snprintf(link_in, sizeof(link_in), "%s/new.json", dir);
	snprintf(dot_in, sizeof(dot_in), "%s/./new.json", dir);
	CU_ASSERT_EQUAL(ns_config_set_key(&c, "export.flows_file", link_in, "test", NULL, 0), 0);
	CU_ASSERT_EQUAL(ns_config_set_key(&c, "export.summary_json", dot_in, "test", NULL, 0), 0);
	INVALID(&c, "keys 'export.flows_file' and 'export.summary_json': ", "new.json");
	snprintf(dot_in, sizeof(dot_in), "%s/./other.json", dir);
	CU_ASSERT_EQUAL(ns_config_set_key(&c, "export.summary_json", dot_in, "test", NULL, 0), 0);
	VALID(&c);
	/* /dev/null takes any number of outputs */
	cfg_fresh(&c);
	set(&c, "capture.write_file=/dev/null");
	set(&c, "export.summary_json=/dev/null");
	VALID(&c);
	snprintf(link_in, sizeof(link_in), "%s/link.pcap", dir);

	unlink(link_in);
	unlink(in);
	rmdir(dir);
}

/* Values the setter would refuse, written straight into the struct by code. */
static void
test_per_key_checks_on_direct_writes(void)
{
	struct ns_config c;

	cfg_fresh(&c);
	c.pipeline.ring_size = 1000;
	INVALID(&c, "key 'pipeline.ring_size': ", "1000 is not a power of two");

	cfg_fresh(&c);
	c.flow.udp_timeout = 0;
	INVALID(&c, "key 'flow.udp_timeout': ", "0 is out of range 1..86400");

	cfg_fresh(&c);
	c.flow.tcp_established_timeout = 86401;
	INVALID(&c, "key 'flow.tcp_established_timeout': ", "out of range 1..86400");

	cfg_fresh(&c);
	c.anomaly.syn_flood.ratio = 1.01;
	INVALID(&c, "key 'anomaly.syn_flood.ratio': ", "out of range 0..1");

	cfg_fresh(&c);
	c.capture.backend = (enum ns_backend_kind)7;
	INVALID(&c, "key 'capture.backend': ", "is not one of auto, pcap, dpdk");

	cfg_fresh(&c);
	snprintf(c.output.log_level, sizeof(c.output.log_level), "verbose");
	INVALID(&c, "key 'output.log_level': ", "'verbose' is not one of");

	cfg_fresh(&c);
	memset(c.web.token, 'x', sizeof(c.web.token));
	INVALID(&c, "key 'web.token': ", "not NUL-terminated");
}

static void
test_web_listen(void)
{
	static const char *const loopback[] = {
		"8080",       "127.0.0.1:8080",  "127.1.2.3:1",
		"[::1]:8080", "localhost:65535", "[::ffff:127.0.0.1]:80",
	};
	static const char *const bad[] = {
		"",
		"0",
		"65536",
		"127.0.0.1:",
		":8080",
		"127.0.0.1:80x",
		"127.0.0.1:-1",
		"::1:8080",
		"[::1]",
		"[::1]8080",
		"[zz::1]:80",
		"999.1.1.1:80",
		"1.2.3:80",
		"host name:80",
		"http://x:80",
	};
	struct ns_config c;
	char a[128];

	for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
		cfg_fresh(&c);
		snprintf(a, sizeof(a), "web.listen=%s", loopback[i]);
		set(&c, a);
		VALID(&c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg_fresh(&c);
		snprintf(a, sizeof(a), "web.listen=%s", bad[i]);
		set(&c, a);
		INVALID(&c, "key 'web.listen': ", "");
	}
	cfg_fresh(&c);
	set(&c, "web.listen=::1:8080");
	INVALID(&c, "key 'web.listen': ", "IPv6 addresses need brackets");
	set(&c, "web.listen=127.0.0.1:0");
	INVALID(&c, "key 'web.listen': ", "the port must be a number in 1..65535");
}

static void
test_web_remote_needs_token(void)
{
	static const char *const remote[] = {
		"0.0.0.0:8080",
		"[::]:8080",
		"192.168.1.10:80",
		"[::ffff:10.0.0.1]:80",
	};
	struct ns_config c;
	char a[128];

	for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++) {
		cfg_fresh(&c);
		snprintf(a, sizeof(a), "web.listen=%s", remote[i]);
		set(&c, a);
		INVALID(&c, "key 'web.token': ", "is reachable from other machines");
		set(&c, "web.token=0123456789abcdef");
		VALID(&c);
		set(&c, "web.token=");
		set(&c, "web.allow_remote_without_token=true");
		VALID(&c);
	}
	/* a host name is not looked up, so it is refused whatever the token (it was accepted,
	 * then resolved by DNS at start-up) */
	cfg_fresh(&c);
	set(&c, "web.listen=dashboard.example:8080");
	set(&c, "web.token=0123456789abcdef");
	INVALID(&c, "key 'web.listen': ", "is a host name; write an IP address or localhost");
}

static void
test_dpdk_pool(void)
{
	struct ns_config c;

	cfg_fresh(&c);
	set(&c, "dpdk.mbufs=1023");
	set(&c, "dpdk.rx_desc=1024");
	INVALID(&c, "key 'dpdk.mbufs': ", "cannot fill dpdk.rx_desc (1024)");
	set(&c, "dpdk.rx_desc=512");
	VALID(&c); /* 512 + 256 + 32 <= 1023, cache 256 <= 1023 / 1.5 */

	cfg_fresh(&c);
	set(&c, "dpdk.mbufs=700");
	set(&c, "dpdk.rx_desc=64");
	set(&c, "dpdk.mbuf_cache=512");
	set(&c, "pipeline.burst=1");
	INVALID(&c, "key 'dpdk.mbuf_cache': ", "512 is more than dpdk.mbufs (700) / 1.5");
	set(&c, "dpdk.mbuf_cache=466");
	VALID(&c);
}

static void
test_listen_parse(void)
{
	char host[64], err[ERR_MAX];
	uint16_t port = 0;

	CU_ASSERT_EQUAL(ns_config_listen_parse("9000", host, sizeof(host), &port, err, sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(host, "127.0.0.1");
	CU_ASSERT_EQUAL(port, 9000);
	CU_ASSERT_EQUAL(
		ns_config_listen_parse("[::1]:8080", host, sizeof(host), &port, err, sizeof(err)),
		0);
	CU_ASSERT_STRING_EQUAL(host, "::1");
	CU_ASSERT_EQUAL(port, 8080);
	CU_ASSERT_EQUAL(
		ns_config_listen_parse("0.0.0.0:1", host, sizeof(host), &port, err, sizeof(err)),
		0);
	CU_ASSERT_STRING_EQUAL(host, "0.0.0.0");
	CU_ASSERT_EQUAL(port, 1);
	CU_ASSERT_EQUAL(ns_config_listen_parse("127.0.0.1:443", host, 4, &port, err, sizeof(err)),
			-EINVAL);
	ASSERT_CONTAINS(err, "too long");
	CU_ASSERT_EQUAL(ns_config_listen_parse(NULL, host, sizeof(host), &port, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_EQUAL(ns_config_listen_parse("80", NULL, 0, NULL, NULL, 0), 0);
	CU_ASSERT_EQUAL(
		ns_config_listen_parse("localhost:80", host, sizeof(host), &port, err, sizeof(err)),
		0);
	CU_ASSERT_STRING_EQUAL(host, "localhost");
	CU_ASSERT_EQUAL(
		ns_config_listen_parse("vm:80", host, sizeof(host), &port, err, sizeof(err)),
		-EINVAL);
	ASSERT_CONTAINS(err, "names are not looked up");
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_defaults_valid),
	NS_TEST(test_read_file_and_interface),
	NS_TEST(test_outputs),
	NS_TEST(test_per_key_checks_on_direct_writes),
	NS_TEST(test_web_listen),
	NS_TEST(test_web_remote_needs_token),
	NS_TEST(test_dpdk_pool),
	NS_TEST(test_listen_parse),
};

NS_TEST_MAIN("config_validate", cases)
