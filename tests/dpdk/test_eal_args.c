/* SPDX-License-Identifier: MIT */
/*
 * The EAL argument rules of the DPDK backend without starting EAL: shell-like splitting of
 * --dpdk-args, option detection, the defaults we add (log level, --file-prefix, --in-memory or
 * --no-huge --no-shconf -m), the hugepage count from sysfs and the memory estimate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_priv.h"
#include "ns_test.h"

static int
split(const char *s, struct eal_argv *a)
{
	char err[128] = "";

	a->argc = 0;
	return eal_args_split(s, a, err, sizeof(err));
}

static bool
argv_has_word(const struct eal_argv *a, const char *w)
{
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], w) == 0)
			return true;
	return false;
}

static void
test_split_words(void)
{
	struct eal_argv a = { 0 };

	CU_ASSERT_EQUAL_FATAL(split("  --no-huge\t-m 512 \n--no-pci ", &a), 0);
	CU_ASSERT_EQUAL_FATAL(a.argc, 4);
	CU_ASSERT_STRING_EQUAL(a.argv[0], "--no-huge");
	CU_ASSERT_STRING_EQUAL(a.argv[1], "-m");
	CU_ASSERT_STRING_EQUAL(a.argv[2], "512");
	CU_ASSERT_STRING_EQUAL(a.argv[3], "--no-pci");
	CU_ASSERT_PTR_NULL(a.argv[4]);
	eal_argv_free(&a);
	CU_ASSERT_EQUAL(split("", &a), 0);
	CU_ASSERT_EQUAL(a.argc, 0);
	CU_ASSERT_EQUAL(split(NULL, &a), 0);
	CU_ASSERT_EQUAL(a.argc, 0);
	CU_ASSERT_EQUAL(split("   ", &a), 0);
	CU_ASSERT_EQUAL(a.argc, 0);
}

static void
test_split_quotes(void)
{
	struct eal_argv a = { 0 };

	CU_ASSERT_EQUAL_FATAL(
		split("--vdev 'net_pcap0,rx_pcap=/tmp/a b.pcap' \"x \\\"y\\\" \\\\ \\z\"", &a), 0);
	CU_ASSERT_EQUAL_FATAL(a.argc, 3);
	CU_ASSERT_STRING_EQUAL(a.argv[1], "net_pcap0,rx_pcap=/tmp/a b.pcap");
	/* in "...", \" and \\ are escapes, \z stays as written */
	CU_ASSERT_STRING_EQUAL(a.argv[2], "x \"y\" \\ \\z");
	eal_argv_free(&a);
	CU_ASSERT_EQUAL_FATAL(split("a\\ b 'c'\"d\"e '' \"\"", &a), 0);
	CU_ASSERT_EQUAL_FATAL(a.argc, 4);
	CU_ASSERT_STRING_EQUAL(a.argv[0], "a b");
	CU_ASSERT_STRING_EQUAL(a.argv[1], "cde");
	CU_ASSERT_STRING_EQUAL(a.argv[2], ""); /* '' is an empty word, as in a shell */
	CU_ASSERT_STRING_EQUAL(a.argv[3], "");
	eal_argv_free(&a);
}

static void
test_split_errors(void)
{
	struct eal_argv a = { 0 };
	char err[128] = "", many[4 * (EAL_ARGS_MAX + 2)];

	CU_ASSERT_EQUAL(eal_args_split("--vdev 'net_null0", &a, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unterminated '"));
	eal_argv_free(&a);
	CU_ASSERT_EQUAL(eal_args_split("\"abc", &a, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unterminated \""));
	eal_argv_free(&a);
	CU_ASSERT_EQUAL(eal_args_split("abc\\", &a, err, sizeof(err)), -EINVAL);
	eal_argv_free(&a);
	many[0] = '\0';
	for (int i = 0; i < EAL_ARGS_MAX + 1; i++)
		strcat(many, "-x ");
	CU_ASSERT_EQUAL(eal_args_split(many, &a, err, sizeof(err)), -E2BIG);
	eal_argv_free(&a);
}

static void
test_has_option(void)
{
	struct eal_argv a = { 0 };

	CU_ASSERT_EQUAL_FATAL(split("--no-huge --file-prefix=x -m512 --main-lcore 0 "
				    "--socket-memory-ish",
				    &a),
			      0);
	CU_ASSERT_TRUE(eal_args_has(&a, "--no-huge"));
	CU_ASSERT_TRUE(eal_args_has(&a, "--file-prefix"));
	CU_ASSERT_TRUE(eal_args_has(&a, "-m"));
	CU_ASSERT_FALSE(eal_args_has(&a, "--in-memory"));
	CU_ASSERT_FALSE(eal_args_has(&a, "--socket-mem")); /* a longer option is not this one */
	CU_ASSERT_FALSE(eal_args_has(&a, "-l"));
	eal_argv_free(&a);
	CU_ASSERT_EQUAL_FATAL(split("--file-prefix x -m 64", &a), 0);
	CU_ASSERT_TRUE(eal_args_has(&a, "--file-prefix"));
	CU_ASSERT_TRUE(eal_args_has(&a, "-m"));
	eal_argv_free(&a);
}

static int
build(const char *user, uint64_t huge_free_mb, struct eal_argv *out)
{
	struct eal_env env = {
		.log_level = 5,
		.mem_need_mb = 200,
		.mem_need_4k_mb = 300,
		.huge_free_mb = huge_free_mb,
		.pid = 4242,
	};
	char err[128] = "";
	int rc = eal_args_build(user, &env, out, err, sizeof(err));

	if (rc == 0)
		CU_ASSERT_PTR_NOT_NULL(env.memory); /* said for the log */
	return rc;
}

static void
test_build_defaults(void)
{
	struct eal_argv a;

	/* free hugepages cover the need: --in-memory, our prefix, our log level first */
	CU_ASSERT_EQUAL_FATAL(build("--no-pci", 512, &a), 0);
	CU_ASSERT_STRING_EQUAL(a.argv[0], "netscope");
	CU_ASSERT_STRING_EQUAL(a.argv[1], "--log-level=5");
	CU_ASSERT_STRING_EQUAL(a.argv[2], "--no-pci");
	CU_ASSERT_TRUE(argv_has_word(&a, "--file-prefix=netscope-4242"));
	CU_ASSERT_TRUE(argv_has_word(&a, "--in-memory"));
	CU_ASSERT_FALSE(argv_has_word(&a, "--no-huge"));
	eal_argv_free(&a);
	/* not enough: 4 KB pages, no shared files, -m sized for 4 KB pages */
	CU_ASSERT_EQUAL_FATAL(build("", 100, &a), 0);
	CU_ASSERT_TRUE(argv_has_word(&a, "--no-huge"));
	CU_ASSERT_TRUE(argv_has_word(&a, "--no-shconf"));
	CU_ASSERT_TRUE(argv_has_word(&a, "-m300"));
	CU_ASSERT_FALSE(argv_has_word(&a, "--in-memory"));
	eal_argv_free(&a);
}

static void
test_build_user_choices(void)
{
	struct eal_argv a;

	/* the user's prefix stays the only one */
	CU_ASSERT_EQUAL_FATAL(build("--file-prefix=mine", 512, &a), 0);
	CU_ASSERT_FALSE(argv_has_word(&a, "--file-prefix=netscope-4242"));
	CU_ASSERT_TRUE(argv_has_word(&a, "--file-prefix=mine"));
	eal_argv_free(&a);
	/* --no-huge: we add --no-shconf and -m, never --in-memory (EAL refuses the pair) */
	CU_ASSERT_EQUAL_FATAL(build("--no-huge", 512, &a), 0);
	CU_ASSERT_TRUE(argv_has_word(&a, "--no-shconf"));
	CU_ASSERT_TRUE(argv_has_word(&a, "-m300"));
	CU_ASSERT_FALSE(argv_has_word(&a, "--in-memory"));
	eal_argv_free(&a);
	/* --no-huge with the user's own -m and --no-shconf: nothing doubled */
	CU_ASSERT_EQUAL_FATAL(build("--no-huge -m 512 --no-shconf", 0, &a), 0);
	CU_ASSERT_EQUAL(a.argc, 7); /* netscope --log-level 4 user words --file-prefix */
	eal_argv_free(&a);
	/* secondary-process setups keep their shared config */
	CU_ASSERT_EQUAL_FATAL(build("--no-huge --proc-type=primary", 0, &a), 0);
	CU_ASSERT_FALSE(argv_has_word(&a, "--no-shconf"));
	eal_argv_free(&a);
	/* hugepage options of the user's own: no --in-memory added */
	CU_ASSERT_EQUAL_FATAL(build("--huge-dir /mnt/huge", 512, &a), 0);
	CU_ASSERT_FALSE(argv_has_word(&a, "--in-memory"));
	CU_ASSERT_FALSE(argv_has_word(&a, "--no-huge"));
	eal_argv_free(&a);
	CU_ASSERT_EQUAL_FATAL(build("--in-memory", 0, &a), 0);
	CU_ASSERT_FALSE(argv_has_word(&a, "--no-huge"));
	eal_argv_free(&a);
	CU_ASSERT_EQUAL(build("'oops", 512, &a), -EINVAL);
	eal_argv_free(&a);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static void
test_hugepages_sysfs(void)
{
	char dir[] = "/tmp/ns-huge-XXXXXX", path[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	CU_ASSERT_EQUAL(eal_hugepages_free_mb(dir), 0);
	snprintf(path, sizeof(path), "%s/hugepages-2048kB", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/hugepages-2048kB/free_hugepages", dir);
	write_file(path, "10\n");
	snprintf(path, sizeof(path), "%s/hugepages-1048576kB", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/hugepages-1048576kB/free_hugepages", dir);
	write_file(path, "1\n");
	CU_ASSERT_EQUAL(eal_hugepages_free_mb(dir), 20 + 1024);
	CU_ASSERT_EQUAL(eal_hugepages_free_mb("/nonexistent/ns"), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hugepages-2048kB/free_hugepages", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hugepages-2048kB", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/hugepages-1048576kB", dir);
	rmdir(path);
	rmdir(dir);
}

/* The --vdev that defines the port -i names, in both of getopt's forms, matched by whole name. */
static void
test_vdev_of_port(void)
{
	struct eal_argv a = { 0 };

	CU_ASSERT_EQUAL_FATAL(split("--no-huge --vdev=net_null0 --vdev 'net_pcap1,rx_pcap=/a b' "
				    "--vdev=net_pcap10,rx_pcap=x --vdevx=net_ring0 --vdev",
				    &a),
			      0);
	CU_ASSERT_STRING_EQUAL(eal_args_vdev(&a, "net_null0"), "net_null0");
	CU_ASSERT_STRING_EQUAL(eal_args_vdev(&a, "net_pcap1"), "net_pcap1,rx_pcap=/a b");
	CU_ASSERT_STRING_EQUAL(eal_args_vdev(&a, "net_pcap10"), "net_pcap10,rx_pcap=x");
	CU_ASSERT_PTR_NULL(eal_args_vdev(&a, "net_pcap")); /* a prefix of a name is not the name */
	CU_ASSERT_PTR_NULL(eal_args_vdev(&a, "net_ring0")); /* --vdevx is another option */
	CU_ASSERT_PTR_NULL(eal_args_vdev(&a, "net_null1"));
	eal_argv_free(&a);
	/* the value of another option is not a --vdev, even when it looks like one */
	CU_ASSERT_EQUAL_FATAL(split("--file-prefix net_null0", &a), 0);
	CU_ASSERT_PTR_NULL(eal_args_vdev(&a, "net_null0"));
	eal_argv_free(&a);
}

static void
test_memory_need(void)
{
	/* 65535 mbufs: ~148 MB of 2368-byte objects on hugepages, a 4 KB page each otherwise */
	CU_ASSERT_EQUAL(eal_mem_need_mb(1, 65535, 2176, false), 64 + 148);
	CU_ASSERT_EQUAL(eal_mem_need_mb(1, 65535, 2176, true), 64 + 256);
	CU_ASSERT_EQUAL(eal_mem_need_mb(4, 65535, 2176, true), 64 + 1024);
	CU_ASSERT_EQUAL(eal_mem_need_mb(0, 0, 2176, false), 64);
	/* compact mbufs: 448-byte objects, 9 to a 4 KB page */
	CU_ASSERT_EQUAL(eal_mem_need_mb(1, 65535, 256, false), 64 + 28);
	CU_ASSERT_EQUAL(eal_mem_need_mb(1, 65535, 256, true), 64 + 29);
	/* jumbo mbufs: 9408-byte objects take 3 whole 4 KB pages */
	CU_ASSERT_EQUAL(eal_mem_need_mb(1, 1000, 9216, true), 64 + 12);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_split_words),     NS_TEST(test_split_quotes),
	NS_TEST(test_split_errors),    NS_TEST(test_has_option),
	NS_TEST(test_build_defaults),  NS_TEST(test_build_user_choices),
	NS_TEST(test_hugepages_sysfs), NS_TEST(test_memory_need),
	NS_TEST(test_vdev_of_port),
};

NS_TEST_MAIN("dpdk_eal_args", cases)
