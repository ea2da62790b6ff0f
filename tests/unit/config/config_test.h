/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the config tests: temporary YAML files under /tmp (mkstemp, removed by the test
 * that made them) and assertions that report the actual error text and the caller's line when
 * an expected message is missing, since that text is what the operator reads.
 */
#ifndef CONFIG_TEST_H
#define CONFIG_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ns_config.h"
#include "ns_test.h"

#define TMP_PATH_MAX 64
#define ERR_MAX 1024

/* Write @len bytes of @data to a new file under /tmp; its name goes to @path. */
static inline bool
tmp_write(char path[TMP_PATH_MAX], const void *data, size_t len)
{
	int fd;
	bool ok;

	snprintf(path, TMP_PATH_MAX, "/tmp/ns_config_test_XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return false;
	ok = write(fd, data, len) == (ssize_t)len;
	close(fd);
	return ok;
}

static inline void
assert_contains_at(const char *text, const char *want, unsigned line, const char *file)
{
	char msg[ERR_MAX + 256];

	snprintf(msg, sizeof(msg), "\"%s\" contains \"%s\"", text, want);
	CU_assertImplementation(strstr(text, want) != NULL, line, msg, file, "", CU_FALSE);
}

static inline void
assert_starts_at(const char *text, const char *want, unsigned line, const char *file)
{
	char msg[ERR_MAX + 256];

	snprintf(msg, sizeof(msg), "\"%s\" starts with \"%s\"", text, want);
	CU_assertImplementation(strncmp(text, want, strlen(want)) == 0, line, msg, file, "",
				CU_FALSE);
}

#define ASSERT_CONTAINS(text, want) assert_contains_at(text, want, __LINE__, __FILE__)
#define ASSERT_STARTS(text, want) assert_starts_at(text, want, __LINE__, __FILE__)

/* Defaults over a zeroed struct, so two of them compare equal with memcmp. */
static inline void
cfg_fresh(struct ns_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	ns_config_defaults(cfg);
}

/* Defaults, then the YAML @text from a temp file. Returns the load result; @path keeps the name. */
static inline int
load_text(struct ns_config *cfg, const char *text, char path[TMP_PATH_MAX], char *err,
	  size_t errlen)
{
	int rc;

	cfg_fresh(cfg);
	if (!tmp_write(path, text, strlen(text)))
		return -999;
	rc = ns_config_load_file(cfg, path, err, errlen);
	unlink(path);
	return rc;
}

#endif /* CONFIG_TEST_H */
