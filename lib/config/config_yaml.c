/* SPDX-License-Identifier: MIT */
/*
 * The YAML reader: walks libyaml's event stream (not its document tree, so every error has the
 * line of the key it is about and a syntax error can name the last key read) and hands each
 * scalar to the schema setter. Sections are nested mappings named by the schema's dotted key
 * names; anything the schema does not name, a value of the wrong shape, a duplicate key, an
 * alias or a second document is an error. The file is read whole and parsed into a scratch
 * copy, so a rejected file leaves the caller's config as it was. The only file that includes
 * <yaml.h>.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "config_priv.h"

/* A configuration file is a few KiB; anything this large is the wrong file. */
#define FILE_SIZE_MAX (1u << 20)
/* Sections (mappings) a file can open: the schema has about a dozen; the rest are errors. */
#define SECTIONS_MAX 64

struct loader {
	yaml_parser_t parser;
	const char *path;
	const unsigned char *text; /* the whole file, for line numbers of encoding errors */
	size_t text_len;
	struct ns_config *cfg;
	char *err;
	size_t errlen;
	char last_key[CONFIG_NAME_MAX + 1]; /* most recent key, to place syntax errors */
	bool probe; /* only finding last_key for another loader */
	unsigned *key_line; /* per schema row: line it was set on, 0 = not yet */
	struct {
		char name[CONFIG_NAME_MAX + 1];
		unsigned line;
	} sections[SECTIONS_MAX];
	size_t n_sections;
};

static unsigned
event_line(const yaml_event_t *ev)
{
	return (unsigned)ev->start_mark.line + 1;
}

static const char *
event_shape(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return "a scalar";
	case YAML_SEQUENCE_START_EVENT:
		return "a sequence";
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_ALIAS_EVENT:
		return "an alias";
	default:
		return "nothing";
	}
}

/*
 * What event @ev carries beyond its content that a configuration file does not use: an anchor
 * ("&a"), or on a mapping a tag other than the core schema's "!!map". NULL: nothing.
 */
static const char *
event_decoration(const yaml_event_t *ev)
{
	static const char map_tag[] = "tag:yaml.org,2002:map";
	const yaml_char_t *anchor = NULL, *tag = NULL;

	if (ev->type == YAML_SCALAR_EVENT) {
		anchor = ev->data.scalar.anchor;
	} else if (ev->type == YAML_MAPPING_START_EVENT) {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		anchor = ev->data.sequence_start.anchor;
	}
	if (anchor != NULL)
		return "an anchor (anchors and aliases are not supported)";
	if (tag != NULL && strcmp((const char *)tag, map_tag) != 0)
		return "a YAML tag";
	return NULL;
}

/* A plain (unquoted) empty, "~" or "null" scalar: YAML's null, e.g. "interface:" alone. */
static bool
event_is_null(const yaml_event_t *ev)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(v, nulls[i]) == 0)
			return true;
	return false;
}

/* The name of a YAML core-schema tag ("int" for "tag:yaml.org,2002:int"), or NULL. */
static const char *
core_tag_name(const char *tag)
{
	static const char core[] = "tag:yaml.org,2002:";

	return strncmp(tag, core, sizeof(core) - 1) == 0 ? tag + sizeof(core) - 1 : NULL;
}

/*
 * The YAML core-schema tag a value of @type may carry: "!!str" on a string or enum key,
 * "!!int" on an integer, and so on. Any other tag, a local one ("!x") included, would
 * change what the value means, so it is refused rather than ignored.
 */
static bool
tag_fits(const char *tag, enum ns_config_type type)
{
	const char *name = core_tag_name(tag);

	if (name == NULL)
		return false;
	switch (type) {
	case NS_CFG_BOOL:
		return strcmp(name, "bool") == 0;
	case NS_CFG_U32:
	case NS_CFG_U64:
		return strcmp(name, "int") == 0;
	case NS_CFG_DOUBLE:
		return strcmp(name, "float") == 0 || strcmp(name, "int") == 0;
	case NS_CFG_STRING:
	case NS_CFG_ENUM:
		return strcmp(name, "str") == 0;
	}
	return false;
}

/* A tag as written: "!!int" for the core schema's, the tag itself otherwise. */
static void
tag_shown(const char *tag, char *buf, size_t len)
{
	const char *name = core_tag_name(tag);

	snprintf(buf, len, name != NULL ? "!!%s" : "%s", name != NULL ? name : tag);
}

static int load_stream(struct loader *l);

/*
 * The last key that starts before line @line: parse the text up to that line again, with no
 * error reporting. libyaml decodes its input ahead of the parser, so an encoding error can
 * arrive before any event; this finds the key it belongs to all the same.
 */
static void
probe_last_key(struct loader *l, unsigned line, char *key, size_t len)
{
	struct loader *p;
	size_t end = 0, n_keys;

	for (unsigned cur = 1; cur < line && end < l->text_len; end++)
		cur += l->text[end] == '\n';
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return;
	ns_config_schema(&n_keys);
	p->key_line = calloc(n_keys, sizeof(*p->key_line));
	p->cfg = malloc(sizeof(*p->cfg));
	if (p->key_line != NULL && p->cfg != NULL && yaml_parser_initialize(&p->parser)) {
		memcpy(p->cfg, l->cfg, sizeof(*p->cfg));
		p->path = l->path;
		p->text = l->text;
		p->text_len = end;
		p->probe = true;
		yaml_parser_set_input_string(&p->parser, l->text, end);
		load_stream(p);
		snprintf(key, len, "%s", p->last_key);
		yaml_parser_delete(&p->parser);
	}
	free(p->cfg);
	free(p->key_line);
	free(p);
}

static int
syntax_error(struct loader *l)
{
	yaml_parser_t *p = &l->parser;
	unsigned line = (unsigned)p->problem_mark.line + 1;
	char after[CONFIG_NAME_MAX + 32] = "";

	if (p->error == YAML_MEMORY_ERROR) {
		config_errf(l->err, l->errlen, "%s: out of memory", l->path);
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		/* encoding errors carry a byte offset, not a mark */
		line = 1;
		for (size_t i = 0; i < p->problem_offset && i < l->text_len; i++)
			line += l->text[i] == '\n';
	}
	if (l->probe)
		return -EINVAL;
	if (l->last_key[0] == '\0')
		probe_last_key(l, line, l->last_key, sizeof(l->last_key));
	if (l->last_key[0] != '\0')
		snprintf(after, sizeof(after), " after key '%s':", l->last_key);
	config_errf(l->err, l->errlen, "%s:%u:%s YAML syntax error: %s%s%s%s", l->path, line, after,
		    p->problem != NULL ? p->problem : "unknown", p->context != NULL ? " (" : "",
		    p->context != NULL ? p->context : "", p->context != NULL ? ")" : "");
	return -EINVAL;
}

static int
next_event(struct loader *l, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&l->parser, ev))
		return syntax_error(l);
	return 0;
}

static int load_mapping(struct loader *l, const char *prefix);

/* The value of leaf @key, whose pair starts on @line, from event @val. */
static int
load_value(struct loader *l, const struct ns_config_key *key, const yaml_event_t *val,
	   unsigned line)
{
	char why[CONFIG_WHY_MAX];
	const char *text;
	size_t len;

	if (val->type != YAML_SCALAR_EVENT) {
		config_errf(l->err, l->errlen, "%s:%u: key '%s': expected a %s value, got %s%s",
			    l->path, line, key->name, config_type_name(key->type), event_shape(val),
			    val->type == YAML_ALIAS_EVENT ? " (aliases are not supported)" : "");
		return -EINVAL;
	}
	if (event_decoration(val) != NULL) {
		config_errf(l->err, l->errlen, "%s:%u: key '%s': the value carries %s", l->path,
			    line, key->name, event_decoration(val));
		return -EINVAL;
	}
	if (val->data.scalar.tag != NULL &&
	    !tag_fits((const char *)val->data.scalar.tag, key->type)) {
		char tag[64];

		tag_shown((const char *)val->data.scalar.tag, tag, sizeof(tag));
		config_errf(l->err, l->errlen,
			    "%s:%u: key '%s': YAML tag '%s' does not fit a %s value", l->path,
			    line, key->name, tag, config_type_name(key->type));
		return -EINVAL;
	}
	text = (const char *)val->data.scalar.value;
	len = val->data.scalar.length;
	if (event_is_null(val)) {
		if (key->type != NS_CFG_STRING) {
			config_errf(l->err, l->errlen,
				    "%s:%u: key '%s': no value given, expected a %s", l->path, line,
				    key->name, config_type_name(key->type));
			return -EINVAL;
		}
		text = "";
		len = 0;
	}
	if (config_value_set(key, l->cfg, text, len, why, sizeof(why)) != 0) {
		config_errf(l->err, l->errlen, "%s:%u: key '%s': %s", l->path, line, key->name,
			    why);
		return -EINVAL;
	}
	return 0;
}

/* Section @name (at @line) opened by event @val: a nested mapping, or null for "empty". */
static int
load_section(struct loader *l, const char *name, const yaml_event_t *val, unsigned line)
{
	for (size_t i = 0; i < l->n_sections; i++) {
		if (strcmp(l->sections[i].name, name) == 0) {
			config_errf(l->err, l->errlen,
				    "%s:%u: key '%s': duplicate section (first on line %u)",
				    l->path, line, name, l->sections[i].line);
			return -EINVAL;
		}
	}
	if (l->n_sections < SECTIONS_MAX) {
		snprintf(l->sections[l->n_sections].name, sizeof(l->sections[0].name), "%s", name);
		l->sections[l->n_sections].line = line;
		l->n_sections++;
	}
	if (val->type == YAML_MAPPING_START_EVENT && event_decoration(val) != NULL) {
		config_errf(l->err, l->errlen, "%s:%u: key '%s': the section carries %s", l->path,
			    line, name, event_decoration(val));
		return -EINVAL;
	}
	if (val->type == YAML_MAPPING_START_EVENT)
		return load_mapping(l, name);
	if (event_is_null(val))
		return 0;
	config_errf(l->err, l->errlen,
		    "%s:%u: key '%s': is a section, expected a mapping of its keys, got %s",
		    l->path, line, name, event_shape(val));
	return -EINVAL;
}

/* One "key: value" pair under @prefix ("" at the top), the key event already read. */
static int
load_pair(struct loader *l, const char *prefix, const yaml_event_t *kev)
{
	const struct ns_config_key *key;
	char name[CONFIG_NAME_MAX + 1], hint[CONFIG_NAME_MAX + 1];
	unsigned line = event_line(kev);
	yaml_event_t val;
	size_t idx;
	int rc, w;

	w = snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] != '\0' ? "." : "",
		     (const char *)kev->data.scalar.value);
	if (w < 0 || (size_t)w >= sizeof(name) ||
	    strlen((const char *)kev->data.scalar.value) != kev->data.scalar.length) {
		config_errf(l->err, l->errlen, "%s:%u: key '%.64s...': unknown key", l->path, line,
			    name);
		return -EINVAL;
	}
	snprintf(l->last_key, sizeof(l->last_key), "%s", name);
	/* one spelling per key in files, the one the dump writes */
	if (strchr((const char *)kev->data.scalar.value, '.') != NULL) {
		config_errf(l->err, l->errlen,
			    "%s:%u: key '%s': dotted names are for --set; in a file, nest the key "
			    "under its section",
			    l->path, line, name);
		return -EINVAL;
	}

	key = ns_config_key_find(name);
	if (key != NULL) {
		idx = config_key_index(key);
		if (l->key_line[idx] != 0) {
			config_errf(l->err, l->errlen,
				    "%s:%u: key '%s': duplicate key (first set on line %u)",
				    l->path, line, name, l->key_line[idx]);
			return -EINVAL;
		}
		l->key_line[idx] = line;
	} else if (!config_is_section(name, strlen(name))) {
		if (config_suggest(name, hint, sizeof(hint)) != NULL)
			config_errf(l->err, l->errlen,
				    "%s:%u: key '%s': unknown key (did you mean '%s'?)", l->path,
				    line, name, hint);
		else
			config_errf(l->err, l->errlen, "%s:%u: key '%s': unknown key", l->path,
				    line, name);
		return -EINVAL;
	}

	rc = next_event(l, &val);
	if (rc != 0)
		return rc;
	if (key != NULL)
		rc = load_value(l, key, &val, line);
	else
		rc = load_section(l, name, &val, line);
	yaml_event_delete(&val);
	return rc;
}

/* The pairs of a mapping whose start event was just read, up to and including its end. */
static int
load_mapping(struct loader *l, const char *prefix)
{
	yaml_event_t kev;
	int rc;

	for (;;) {
		rc = next_event(l, &kev);
		if (rc != 0)
			return rc;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			return 0;
		}
		if (kev.type == YAML_SCALAR_EVENT &&
		    (kev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
		     kev.data.scalar.tag != NULL || kev.data.scalar.anchor != NULL)) {
			config_errf(
				l->err, l->errlen,
				"%s:%u: key '%s%s%.64s': keys must be plain names, without quotes, "
				"tags or anchors",
				l->path, event_line(&kev), prefix, prefix[0] != '\0' ? "." : "",
				(const char *)kev.data.scalar.value);
			rc = -EINVAL;
		} else if (kev.type == YAML_SCALAR_EVENT) {
			rc = load_pair(l, prefix, &kev);
		} else {
			config_errf(l->err, l->errlen, "%s:%u: %s%s%skeys must be names, not %s",
				    l->path, event_line(&kev), prefix[0] != '\0' ? "section '" : "",
				    prefix, prefix[0] != '\0' ? "': " : "", event_shape(&kev));
			rc = -EINVAL;
		}
		yaml_event_delete(&kev);
		if (rc != 0)
			return rc;
	}
}

/* The document: empty, null, or one top-level mapping of sections; then nothing more. */
static int
load_stream(struct loader *l)
{
	yaml_event_t ev;
	int rc;

	rc = next_event(l, &ev); /* stream start */
	if (rc != 0)
		return rc;
	yaml_event_delete(&ev);
	rc = next_event(l, &ev);
	if (rc != 0)
		return rc;
	if (ev.type == YAML_STREAM_END_EVENT) { /* nothing but comments: all defaults */
		yaml_event_delete(&ev);
		return 0;
	}
	yaml_event_delete(&ev); /* document start */

	rc = next_event(l, &ev);
	if (rc != 0)
		return rc;
	if (ev.type == YAML_MAPPING_START_EVENT && event_decoration(&ev) != NULL) {
		config_errf(l->err, l->errlen, "%s:%u: the top-level mapping carries %s", l->path,
			    event_line(&ev), event_decoration(&ev));
		rc = -EINVAL;
	} else if (ev.type == YAML_MAPPING_START_EVENT) {
		rc = load_mapping(l, "");
	} else if (!event_is_null(&ev)) {
		config_errf(l->err, l->errlen,
			    "%s:%u: the top level must be a mapping of sections (capture:, flow:, "
			    "...), not %s",
			    l->path, event_line(&ev), event_shape(&ev));
		rc = -EINVAL;
	}
	yaml_event_delete(&ev);
	if (rc != 0)
		return rc;

	rc = next_event(l, &ev); /* document end */
	if (rc != 0)
		return rc;
	yaml_event_delete(&ev);
	rc = next_event(l, &ev);
	if (rc != 0)
		return rc;
	if (ev.type != YAML_STREAM_END_EVENT) {
		config_errf(l->err, l->errlen,
			    "%s:%u: a second YAML document ('---'); put all settings in one",
			    l->path, event_line(&ev));
		rc = -EINVAL;
	}
	yaml_event_delete(&ev);
	return rc;
}

/* Read all of @path into a new buffer; errors are "FILE: strerror". */
static int
read_file(const char *path, unsigned char **buf, size_t *len, char *err, size_t errlen)
{
	unsigned char *b = NULL;
	size_t n = 0;
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno;
		goto fail;
	}
	if (fstat(fd, &st) != 0) {
		rc = errno;
		goto fail_close;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = EISDIR;
		goto fail_close;
	}
	b = malloc(FILE_SIZE_MAX + 1);
	if (b == NULL) {
		rc = ENOMEM;
		goto fail_close;
	}
	for (;;) {
		ssize_t r = read(fd, b + n, FILE_SIZE_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = errno;
			goto fail_free;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > FILE_SIZE_MAX) {
			rc = EFBIG;
			goto fail_free;
		}
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;

fail_free:
	free(b);
fail_close:
	close(fd);
fail:
	if (rc == EFBIG)
		config_errf(err, errlen, "%s: larger than %u KiB, not a configuration file", path,
			    FILE_SIZE_MAX >> 10);
	else
		config_errf(err, errlen, "%s: %s", path, strerror(rc));
	return -rc;
}

int
ns_config_load_file(struct ns_config *cfg, const char *path, char *err, size_t errlen)
{
	struct loader *l;
	unsigned char *text = NULL;
	size_t len = 0, n_keys;
	int rc;

	if (cfg == NULL || path == NULL) {
		config_errf(err, errlen, "no configuration file given");
		return -EINVAL;
	}
	rc = read_file(path, &text, &len, err, errlen);
	if (rc != 0)
		return rc;

	l = calloc(1, sizeof(*l));
	if (l == NULL)
		goto nomem;
	ns_config_schema(&n_keys);
	l->key_line = calloc(n_keys, sizeof(*l->key_line));
	l->cfg = malloc(sizeof(*l->cfg));
	if (l->key_line == NULL || l->cfg == NULL)
		goto nomem_loader;
	if (!yaml_parser_initialize(&l->parser))
		goto nomem_loader;
	memcpy(l->cfg, cfg, sizeof(*cfg));
	l->path = path;
	l->text = text;
	l->text_len = len;
	l->err = err;
	l->errlen = errlen;
	yaml_parser_set_input_string(&l->parser, text, len);

	rc = load_stream(l);
	if (rc == 0)
		memcpy(cfg, l->cfg, sizeof(*cfg));
	yaml_parser_delete(&l->parser);
	free(l->cfg);
	free(l->key_line);
	free(l);
	free(text);
	return rc;

nomem_loader:
	free(l->cfg);
	free(l->key_line);
	free(l);
nomem:
	free(text);
	config_errf(err, errlen, "%s: %s", path, strerror(ENOMEM));
	return -ENOMEM;
}
