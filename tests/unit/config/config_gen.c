/* SPDX-License-Identifier: MIT */
/*
 * Regenerates the files the config schema drives: `config_gen update SRCROOT` rewrites
 * config/netscope.yaml and the key table between the markers of docs/configuration.md (the
 * `config-docs` ninja target runs this); `config_gen yaml` and `config_gen markdown` print
 * them. test_shipped fails until the tree matches.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_docs.h"

static int
write_file(const char *path, const char *a, size_t alen, const char *b, const char *c)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (f == NULL) {
		fprintf(stderr, "config_gen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fwrite(a, 1, alen, f);
	fputs(b, f);
	fputs(c, f);
	ok = ferror(f) == 0;
	if (fclose(f) != 0 || !ok) {
		fprintf(stderr, "config_gen: %s: write failed\n", path);
		return -1;
	}
	return 0;
}

static int
update(const char *root)
{
	char path[4096];
	char *yaml = expected_yaml(), *block = expected_docs_block(), *doc, *begin, *end;
	int rc;

	if (yaml == NULL || block == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", root, YAML_PATH);
	rc = write_file(path, "", 0, yaml, "");

	snprintf(path, sizeof(path), "%s/%s", root, DOCS_PATH);
	doc = read_all(path);
	begin = doc != NULL ? strstr(doc, DOCS_BEGIN) : NULL;
	end = begin != NULL ? strstr(begin, DOCS_END) : NULL;
	if (end == NULL) {
		fprintf(stderr, "config_gen: %s: no '%s' ... '%s' markers\n", path, "BEGIN KEYS",
			"END KEYS");
		rc = -1;
	} else if (write_file(path, doc, (size_t)(begin - doc), block, end + strlen(DOCS_END)) !=
		   0) {
		rc = -1;
	}
	free(doc);
	free(yaml);
	free(block);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "yaml") == 0) {
		char *s = expected_yaml();

		fputs(s != NULL ? s : "", stdout);
		free(s);
		return s != NULL ? 0 : 1;
	}
	if (argc == 2 && strcmp(argv[1], "markdown") == 0) {
		ns_config_schema_markdown(stdout);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "update") == 0)
		return update(argv[2]) == 0 ? 0 : 1;
	fprintf(stderr, "usage: config_gen yaml | markdown | update SRCROOT\n");
	return 2;
}
