/* SPDX-License-Identifier: MIT */
/*
 * The configuration's entry points other than the YAML reader: built-in defaults (the schema's
 * default text through the ordinary setter), command-line overrides (--set key.path=value),
 * the cross-field validation no single key can make, and the effective-config dump that the
 * YAML reader loads back to the identical struct.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "config_priv.h"
#include "ns_core.h"

/* Deepest key: "anomaly.syn_flood.rate" has two sections above the key. */
#define DUMP_DEPTH_MAX 8

void
ns_config_defaults(struct ns_config *cfg)
{
	const struct ns_config_key *keys;
	char why[CONFIG_WHY_MAX];
	size_t n;

	/* padding and string tails zeroed too: equal configs compare equal with memcmp */
	memset(cfg, 0, sizeof(*cfg));
	keys = ns_config_schema(&n);
	for (size_t i = 0; i < n; i++)
		if (config_value_set(&keys[i], cfg, keys[i].def, strlen(keys[i].def), why,
				     sizeof(why)) != 0)
			NS_LOG(ERR, "config", "built-in default of '%s': %s", keys[i].name, why);
}

/* The first key under section @name, for examples in error messages. */
static const char *
section_first_key(const char *name)
{
	size_t n, len = strlen(name);
	const struct ns_config_key *keys = ns_config_schema(&n);

	for (size_t i = 0; i < n; i++)
		if (strncmp(keys[i].name, name, len) == 0 && keys[i].name[len] == '.')
			return keys[i].name;
	return "";
}

/* Set @name to @value; errors read "<prefix> key 'name': why". */
static int
set_text(struct ns_config *cfg, const char *name, const char *value, const char *prefix, char *err,
	 size_t errlen)
{
	const struct ns_config_key *key = ns_config_key_find(name);
	char why[CONFIG_WHY_MAX], hint[CONFIG_NAME_MAX + 1];

	if (key == NULL) {
		if (config_is_section(name, strlen(name))) {
			config_errf(
				err, errlen,
				"%s key '%s': is a section, not a key (set one of its keys, e.g. "
				"'%s')",
				prefix, name, section_first_key(name));
		} else if (config_suggest(name, hint, sizeof(hint)) != NULL) {
			config_errf(err, errlen, "%s key '%s': unknown key (did you mean '%s'?)",
				    prefix, name, hint);
		} else {
			config_errf(err, errlen, "%s key '%s': unknown key", prefix, name);
		}
		return -EINVAL;
	}
	if (config_value_set(key, cfg, value, strlen(value), why, sizeof(why)) != 0) {
		config_errf(err, errlen, "%s key '%s': %s", prefix, name, why);
		return -EINVAL;
	}
	return 0;
}

int
ns_config_set_key(struct ns_config *cfg, const char *key, const char *value, const char *origin,
		  char *err, size_t errlen)
{
	char prefix[CONFIG_NAME_MAX + 2];

	if (cfg == NULL || key == NULL || value == NULL) {
		config_errf(err, errlen, "%s: missing key or value",
			    origin != NULL ? origin : "--set");
		return -EINVAL;
	}
	if (origin == NULL)
		snprintf(prefix, sizeof(prefix), "--set");
	else
		snprintf(prefix, sizeof(prefix), "%s:", origin);
	return set_text(cfg, key, value, prefix, err, errlen);
}

int
ns_config_set(struct ns_config *cfg, const char *assignment, char *err, size_t errlen)
{
	char name[CONFIG_NAME_MAX + 1];
	const char *eq;
	size_t len;

	if (cfg == NULL || assignment == NULL) {
		config_errf(err, errlen, "--set: missing assignment");
		return -EINVAL;
	}
	eq = strchr(assignment, '=');
	if (eq == NULL || eq == assignment) {
		config_errf(err, errlen, "--set '%s': expected key.path=value", assignment);
		return -EINVAL;
	}
	len = (size_t)(eq - assignment);
	if (len > CONFIG_NAME_MAX) {
		config_errf(err, errlen, "--set key '%.*s...': unknown key", 32, assignment);
		return -EINVAL;
	}
	memcpy(name, assignment, len);
	name[len] = '\0';
	return set_text(cfg, name, eq + 1, "--set", err, errlen);
}

static bool
ipv4_is_loopback(const struct in_addr *a)
{
	return (ntohl(a->s_addr) >> 24) == 127;
}

/* The address part of web.listen is loopback only: nothing off the machine can connect. */
static bool
host_is_loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return ipv4_is_loopback(&a4);
	if (inet_pton(AF_INET6, host, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return true;
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			memcpy(&a4.s_addr, &a6.s6_addr[12], sizeof(a4.s_addr));
			return ipv4_is_loopback(&a4);
		}
		return false;
	}
	return strcmp(host, "localhost") == 0;
}

/* RFC 1123 section 2.1 host name: letters, digits, '-' and dots, 1..253 characters. */
static bool
hostname_valid(const char *s, size_t len)
{
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

int
ns_config_listen_parse(const char *listen, char *host, size_t hostlen, uint16_t *port, char *err,
		       size_t errlen)
{
	/* The dashboard is for the operator on this machine unless they say otherwise. */
	static const char default_host[] = "127.0.0.1";
	const char *h = default_host, *p = listen, *colon, *close;
	size_t hlen = sizeof(default_host) - 1;
	char tmp[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	struct in_addr a4;
	unsigned long v;

	if (listen == NULL || *listen == '\0') {
		config_errf(err, errlen, "empty; expected [ADDR:]PORT, e.g. 127.0.0.1:8080");
		return -EINVAL;
	}
	if (listen[0] == '[') {
		close = strchr(listen, ']');
		if (close == NULL || close[1] != ':') {
			config_errf(err, errlen, "'%s': expected [IPV6]:PORT, e.g. [::1]:8080",
				    listen);
			return -EINVAL;
		}
		h = listen + 1;
		hlen = (size_t)(close - h);
		if (hlen >= sizeof(tmp)) {
			config_errf(err, errlen, "'%s': not an IPv6 address", listen);
			return -EINVAL;
		}
		memcpy(tmp, h, hlen);
		tmp[hlen] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1) {
			config_errf(err, errlen, "'%s': '%s' is not an IPv6 address", listen, tmp);
			return -EINVAL;
		}
		p = close + 2;
	} else if ((colon = strrchr(listen, ':')) != NULL) {
		if (memchr(listen, ':', (size_t)(colon - listen)) != NULL) {
			config_errf(err, errlen,
				    "'%s': IPv6 addresses need brackets, e.g. [::1]:8080", listen);
			return -EINVAL;
		}
		h = listen;
		hlen = (size_t)(colon - listen);
		if (hlen == 0) {
			config_errf(err, errlen,
				    "'%s': the address before ':' is empty; write 0.0.0.0:PORT to "
				    "listen on every address",
				    listen);
			return -EINVAL;
		}
		if (!hostname_valid(h, hlen)) {
			config_errf(err, errlen, "'%s': '%.*s' is not an address or host name",
				    listen, (int)hlen, h);
			return -EINVAL;
		}
		/*
		 * An IPv4 address or "localhost": names are not looked up (the server binds what
		 * the text says, and start-up never waits on a resolver).
		 */
		if (!(hlen == 9 && memcmp(h, "localhost", 9) == 0)) {
			if (hlen < sizeof(tmp)) {
				memcpy(tmp, h, hlen);
				tmp[hlen] = '\0';
			}
			if (hlen >= sizeof(tmp) || inet_pton(AF_INET, tmp, &a4) != 1) {
				if (strspn(h, "0123456789.") >= hlen)
					config_errf(err, errlen,
						    "'%s': '%.*s' is not an IPv4 address", listen,
						    (int)hlen, h);
				else
					config_errf(
						err, errlen,
						"'%s': '%.*s' is a host name; write an IP address "
						"or localhost (names are not looked up)",
						listen, (int)hlen, h);
				return -EINVAL;
			}
		}
		p = colon + 1;
	}
	if (*p == '\0' || strspn(p, "0123456789") != strlen(p) || strlen(p) > 5 ||
	    (v = strtoul(p, NULL, 10)) < 1 || v > 65535) {
		config_errf(err, errlen, "'%s': the port must be a number in 1..65535", listen);
		return -EINVAL;
	}
	if (host != NULL) {
		if (hlen >= hostlen) {
			config_errf(err, errlen, "'%s': the address is too long", listen);
			return -EINVAL;
		}
		memcpy(host, h, hlen);
		host[hlen] = '\0';
	}
	if (port != NULL)
		*port = (uint16_t)v;
	return 0;
}

/*
 * What an output path names: its inode when it exists, else its directory's inode and its last
 * component (a file the run will create); "-" is standard output as it is now. ok false: none
 * of these could be found (the open says why).
 */
struct file_id {
	bool ok;
	bool exists;
	dev_t dev;
	ino_t ino;
	dev_t rdev;
	mode_t mode;
	const char *base; /* a file to create: its name in the directory dev/ino */
};

static struct file_id
file_id_of(const char *path)
{
	struct file_id id = { 0 };
	struct stat st;
	char dir[NS_CFG_STR_MAX];
	const char *slash = strrchr(path, '/');
	size_t dlen;

	if (strcmp(path, "-") == 0 ? fstat(STDOUT_FILENO, &st) == 0 : stat(path, &st) == 0) {
		id.ok = id.exists = true;
		id.dev = st.st_dev;
		id.ino = st.st_ino;
		id.rdev = st.st_rdev;
		id.mode = st.st_mode;
		return id;
	}
	if (strcmp(path, "-") == 0)
		return id;
	dlen = slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);
	if (dlen >= sizeof(dir))
		return id;
	memcpy(dir, slash == NULL ? "." : path, slash == NULL ? 1 : dlen);
	dir[slash == NULL ? 1 : dlen] = '\0';
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return id;
	id.ok = true;
	id.dev = st.st_dev;
	id.ino = st.st_ino;
	id.base = slash == NULL ? path : slash + 1;
	return id;
}

/* /dev/null takes any number of outputs */
static bool
is_null_device(const struct file_id *id)
{
	return id->exists && S_ISCHR(id->mode) && major(id->rdev) == 1 && minor(id->rdev) == 3;
}

/*
 * Whether paths @a and @b name one file: the same string, one inode (a link, "./x", "-" and
 * /dev/stdout), or one name in one directory for files still to be created ("o.json" and
 * "./o.json").
 */
static bool
same_file(const char *a, const char *b)
{
	struct file_id ia = file_id_of(a), ib;

	if (strcmp(a, b) == 0)
		return strcmp(a, "-") == 0 || !is_null_device(&ia);
	ib = file_id_of(b);
	if (!ia.ok || !ib.ok || ia.exists != ib.exists || ia.dev != ib.dev || ia.ino != ib.ino ||
	    is_null_device(&ia))
		return false;
	return ia.exists || strcmp(ia.base, ib.base) == 0;
}

bool
ns_config_path_is_stdout(const char *path)
{
	return path[0] != '\0' && same_file(path, "-");
}

/*
 * The files a run writes: none may be the file it reads (its O_TRUNC would empty it before a
 * byte is read), no two may be one file (one would overwrite the other), and at most one may be
 * standard output ("-"; for -r it is standard input, a different stream).
 */
static int
outputs_check(const struct ns_config *cfg, char *err, size_t errlen)
{
	const struct {
		const char *key, *path;
	} out[] = {
		{ "capture.write_file", cfg->capture.write_file },
		{ "export.flows_file", cfg->export.flows_file },
		{ "export.alerts_file", cfg->export.alerts_file },
		{ "export.summary_json", cfg->export.summary_json },
	};
	const char *in = cfg->capture.read_file;

	for (size_t i = 0; i < NS_ARRAY_SIZE(out); i++) {
		const char *p = out[i].path;

		if (p[0] == '\0')
			continue;
		if (strcmp(p, "-") != 0 && in[0] != '\0' && strcmp(in, "-") != 0 && same_file(p, in)) {
			config_errf(err, errlen,
				    "keys '%s' and 'capture.read_file': both name '%s'; writing would "
				    "destroy the input",
				    out[i].key, in);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (out[j].path[0] == '\0' || !same_file(p, out[j].path))
				continue;
			const bool out1 = ns_config_path_is_stdout(p);

			config_errf(err, errlen, "keys '%s' and '%s': both write to '%s'%s",
				    out[j].key, out[i].key, out1 ? "standard output" : p,
				    out1 ? ", which can carry one of them" : "");
			return -1;
		}
	}
	return 0;
}

int
ns_config_validate(const struct ns_config *cfg, char *err, size_t errlen)
{
	const struct ns_config_capture *cap = &cfg->capture;
	const struct ns_config_web *web = &cfg->web;
	const struct ns_config_key *keys;
	char why[CONFIG_WHY_MAX], host[NS_CFG_STR_MAX];
	size_t n;

	/* every key on its own first: code may have filled the struct without the setter */
	keys = ns_config_schema(&n);
	for (size_t i = 0; i < n; i++) {
		if (config_value_check(&keys[i], cfg, why, sizeof(why)) != 0) {
			config_errf(err, errlen, "key '%s': %s", keys[i].name, why);
			return -EINVAL;
		}
	}

	if (cap->read_file[0] != '\0' && cap->interface[0] != '\0') {
		config_errf(
			err, errlen,
			"keys 'capture.read_file' and 'capture.interface': both are set; read a "
			"file (-r) or capture live (-i), not both");
		return -EINVAL;
	}
	if (outputs_check(cfg, err, errlen) != 0)
		return -EINVAL;

	if (ns_config_listen_parse(web->listen, host, sizeof(host), NULL, why, sizeof(why)) != 0) {
		config_errf(err, errlen, "key 'web.listen': %s", why);
		return -EINVAL;
	}
	if (!host_is_loopback(host) && web->token[0] == '\0' && !web->allow_remote_without_token) {
		config_errf(err, errlen,
			    "key 'web.token': required because web.listen '%s' is reachable from "
			    "other machines; set web.token, listen on 127.0.0.1, or set "
			    "web.allow_remote_without_token: true",
			    web->listen);
		return -EINVAL;
	}

	/* an RX queue holds rx_desc mbufs; the lcore caches and one burst in flight need more */
	if ((uint64_t)cfg->dpdk.mbufs <
	    (uint64_t)cfg->dpdk.rx_desc + cfg->dpdk.mbuf_cache + cfg->pipeline.burst) {
		config_errf(
			err, errlen,
			"key 'dpdk.mbufs': %u cannot fill dpdk.rx_desc (%u) plus dpdk.mbuf_cache "
			"(%u) plus pipeline.burst (%u)",
			cfg->dpdk.mbufs, cfg->dpdk.rx_desc, cfg->dpdk.mbuf_cache,
			cfg->pipeline.burst);
		return -EINVAL;
	}
	/* rte_mempool_create() refuses a cache larger than the pool / 1.5 */
	if ((uint64_t)cfg->dpdk.mbuf_cache * 3 > (uint64_t)cfg->dpdk.mbufs * 2) {
		config_errf(err, errlen,
			    "key 'dpdk.mbuf_cache': %u is more than dpdk.mbufs (%u) / 1.5",
			    cfg->dpdk.mbuf_cache, cfg->dpdk.mbufs);
		return -EINVAL;
	}
	return 0;
}

/* Split a dotted name into its components; returns how many. */
static size_t
name_split(const char *name, const char *part[], size_t plen[], size_t max)
{
	size_t n = 0;

	while (n < max) {
		const char *dot = strchr(name, '.');

		part[n] = name;
		plen[n] = dot != NULL ? (size_t)(dot - name) : strlen(name);
		n++;
		if (dot == NULL)
			break;
		name = dot + 1;
	}
	return n;
}

static void
indent(FILE *out, size_t depth)
{
	for (size_t i = 0; i < depth; i++)
		fputs("  ", out);
}

/*
 * Keys are grouped by section in the schema, so one pass opens each section once: print the
 * section lines that differ from the previous key's, then the key itself.
 */
static void
dump(const struct ns_config *cfg, FILE *out, bool annotated)
{
	const char *prev[DUMP_DEPTH_MAX] = { NULL }, *part[DUMP_DEPTH_MAX] = { NULL };
	size_t prev_len[DUMP_DEPTH_MAX] = { 0 }, plen[DUMP_DEPTH_MAX] = { 0 };
	size_t prev_n = 0, n_keys;
	const struct ns_config_key *keys = ns_config_schema(&n_keys);
	char range[256];

	for (size_t i = 0; i < n_keys; i++) {
		const struct ns_config_key *k = &keys[i];
		size_t n = name_split(k->name, part, plen, DUMP_DEPTH_MAX);
		size_t same = 0;

		/* sections (all but the last component) shared with the previous key */
		while (same + 1 < n && same + 1 < prev_n && plen[same] == prev_len[same] &&
		       memcmp(part[same], prev[same], plen[same]) == 0)
			same++;
		for (size_t d = same; d + 1 < n; d++) {
			if (annotated && d == 0)
				fputc('\n', out);
			indent(out, d);
			fprintf(out, "%.*s:\n", (int)plen[d], part[d]);
		}
		if (annotated) {
			range[0] = '\0';
			if (k->type != NS_CFG_BOOL &&
			    (k->type != NS_CFG_STRING || k->enum_names != NULL))
				config_value_range(k, range, sizeof(range));
			indent(out, n - 1);
			fprintf(out, "# %s", k->help);
			if (range[0] != '\0') {
				/* keep the file within 100 columns */
				if (2 * (n - 1) + strlen(k->help) + strlen(range) + 12 > 100) {
					fputc('\n', out);
					indent(out, n - 1);
					fputc('#', out);
				}
				fprintf(out, " Values: %s.", range);
			}
			fputc('\n', out);
		}
		indent(out, n - 1);
		fprintf(out, "%.*s: ", (int)plen[n - 1], part[n - 1]);
		config_value_write(k, cfg, out);
		fputc('\n', out);
		memcpy(prev, part, sizeof(prev));
		memcpy(prev_len, plen, sizeof(prev_len));
		prev_n = n;
	}
}

void
ns_config_dump(const struct ns_config *cfg, FILE *out)
{
	dump(cfg, out, false);
}

void
ns_config_dump_annotated(const struct ns_config *cfg, FILE *out)
{
	fputs("# NetScope configuration.\n"
	      "#\n"
	      "# Every key with a one-line description; a key left out keeps its\n"
	      "# built-in default. Precedence: built-in defaults < this file\n"
	      "# (--config FILE) < command-line options and --set section.key=value.\n"
	      "# `netscope --config FILE --check-config` checks a file; --dump-config\n"
	      "# prints the effective configuration. Key reference:\n"
	      "# docs/configuration.md.\n",
	      out);
	dump(cfg, out, true);
}
