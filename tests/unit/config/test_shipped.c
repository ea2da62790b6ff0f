/* SPDX-License-Identifier: MIT */
/*
 * The files generated from the schema cannot drift from it: config/netscope.yaml loads to
 * exactly the built-in defaults and is exactly their annotated dump (so every key is in it with
 * its comment), and docs/configuration.md carries the current key reference. On a mismatch,
 * `ninja -C BUILD config-docs` rewrites both. The source root is the first argument.
 */
#include <errno.h>
#include <string.h>

#include "config_docs.h"
#include "config_test.h"

static const char *src_root = ".";

static void
path_in_tree(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", src_root, rel);
}

static void
test_shipped_yaml_is_defaults(void)
{
	struct ns_config loaded, defaults;
	char path[4096], err[ERR_MAX] = "";

	path_in_tree(path, sizeof(path), YAML_PATH);
	cfg_fresh(&defaults);
	cfg_fresh(&loaded);
	CU_ASSERT_EQUAL(ns_config_load_file(&loaded, path, err, sizeof(err)), 0);
	if (err[0] != '\0')
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_EQUAL(memcmp(&loaded, &defaults, sizeof(loaded)), 0);
	/* loaded over zeroes instead of defaults: still the defaults, so no key is missing */
	memset(&loaded, 0, sizeof(loaded));
	CU_ASSERT_EQUAL(ns_config_load_file(&loaded, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(&loaded, &defaults, sizeof(loaded)), 0);
	CU_ASSERT_EQUAL(ns_config_validate(&loaded, err, sizeof(err)), 0);
}

static void
test_shipped_yaml_is_generated(void)
{
	char path[4096];
	char *want = expected_yaml(), *have;

	path_in_tree(path, sizeof(path), YAML_PATH);
	have = read_all(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(have);
	CU_ASSERT_STRING_EQUAL(have, want);
	if (strcmp(have, want) != 0)
		fprintf(stderr, "\n%s is out of date: run ninja -C BUILD config-docs\n", path);
	free(want);
	free(have);
}

static void
test_docs_in_sync(void)
{
	char path[4096];
	char *want = expected_docs_block(), *have;

	path_in_tree(path, sizeof(path), DOCS_PATH);
	have = read_all(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(have);
	CU_ASSERT_PTR_NOT_NULL(strstr(have, want));
	if (strstr(have, want) == NULL)
		fprintf(stderr, "\n%s is out of date: run ninja -C BUILD config-docs\n", path);
	/* the markers once each, so the update tool knows what to replace */
	CU_ASSERT_PTR_NULL(strstr(strstr(have, DOCS_BEGIN) + 1, DOCS_BEGIN));
	CU_ASSERT_PTR_NULL(strstr(strstr(have, DOCS_END) + 1, DOCS_END));
	free(want);
	free(have);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_shipped_yaml_is_defaults),
	NS_TEST(test_shipped_yaml_is_generated),
	NS_TEST(test_docs_in_sync),
};

int
main(int argc, char **argv)
{
	if (argc > 1)
		src_root = argv[1];
	return ns_test_run("config_shipped", cases, sizeof(cases) / sizeof(cases[0]));
}
