/* SPDX-License-Identifier: MIT */
/*
 * What the generated files must hold, shared by the test that checks them and the tool that
 * rewrites them: config/netscope.yaml is the annotated dump of the defaults, and
 * docs/configuration.md holds ns_config_schema_markdown() between two marker comments.
 */
#ifndef CONFIG_DOCS_H
#define CONFIG_DOCS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ns_config.h"

#define DOCS_BEGIN "<!-- BEGIN KEYS -->\n"
#define DOCS_END "<!-- END KEYS -->\n"
#define DOCS_PATH "docs/configuration.md"
#define YAML_PATH "config/netscope.yaml"

/* The annotated dump of the defaults: the whole of config/netscope.yaml. */
static inline char *
expected_yaml(void)
{
	struct ns_config cfg;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	memset(&cfg, 0, sizeof(cfg));
	ns_config_defaults(&cfg);
	ns_config_dump_annotated(&cfg, f);
	fclose(f);
	return buf;
}

/* The generated block of docs/configuration.md, markers included. */
static inline char *
expected_docs_block(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	fputs(DOCS_BEGIN "\n", f);
	ns_config_schema_markdown(f);
	fputs("\n" DOCS_END, f);
	fclose(f);
	return buf;
}

/* The whole file @path, NUL-terminated; NULL when unreadable. */
static inline char *
read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

#endif /* CONFIG_DOCS_H */
