/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the config module's files: typed value parsing and formatting driven by a
 * schema row (config_value.c), schema look-ups and key-name suggestions (config_schema.c), and
 * the error formatting every entry point uses, so that the YAML loader, --set and validation
 * all word their messages the same way: "<where> key 'a.b': <why>".
 */
#ifndef CONFIG_PRIV_H
#define CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ns_config.h"

/* Enough for "<origin> key '<name>': " in front of any reason. */
#define CONFIG_WHY_MAX 512

/* Longest dotted key name or section path the loader tracks. */
#define CONFIG_NAME_MAX 128

/* Write a printf-style message into a caller-owned buffer; NULL or empty buffers are skipped. */
void config_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Parse @len bytes of @text (not necessarily NUL-terminated) as the type of @key, check range,
 * choices and flags, and store it into @cfg. Returns 0, or -EINVAL with the reason (no key name,
 * no location) in @why; @cfg is untouched on error.
 */
int config_value_set(const struct ns_config_key *key, struct ns_config *cfg, const char *text,
		     size_t len, char *why, size_t whylen);

/*
 * Check the value @key currently holds in @cfg against its range, choices and flags; the same
 * checks config_value_set() makes, for structs filled by code rather than text.
 */
int config_value_check(const struct ns_config_key *key, const struct ns_config *cfg, char *why,
		       size_t whylen);

/* Write the value of @key in @cfg as a YAML scalar that config_value_set() reads back. */
void config_value_write(const struct ns_config_key *key, const struct ns_config *cfg, FILE *out);

/* Human-readable range or choices of @key ("1..262144", "auto, pcap, dpdk"). */
void config_value_range(const struct ns_config_key *key, char *buf, size_t len);

/* Type name used in messages and docs ("u32", "string", ...). */
const char *config_type_name(enum ns_config_type type);

/* True when @name (dotted, @len bytes) is a section: a proper prefix of some key's name. */
bool config_is_section(const char *name, size_t len);

/* Index of @key in the schema table. */
size_t config_key_index(const struct ns_config_key *key);

/*
 * The known key or section closest to the unknown @name: within edit distance 2, or else the
 * only key with the same last component ("flow.snaplen" -> "capture.snaplen"). NULL when none.
 * The result is written to @buf (sections are not stored as strings anywhere).
 */
const char *config_suggest(const char *name, char *buf, size_t len);

#endif /* CONFIG_PRIV_H */
