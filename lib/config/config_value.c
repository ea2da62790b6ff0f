/* SPDX-License-Identifier: MIT */
/*
 * Typed values of the configuration schema: parse text into a struct ns_config member with
 * strict rules (decimal only, no sign on unsigned types, no trailing junk, ranges inclusive,
 * strings bounded and valid UTF-8), check a member already in the struct against the same
 * rules, and write a member back as a YAML scalar that parses to the identical bytes. The
 * setter is the only way text reaches the struct, defaults included.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_priv.h"

/* Longest number we bother to parse; anything longer is junk or out of range anyway. */
#define NUM_TEXT_MAX 64
/* How much of a rejected value an error message quotes. */
#define ECHO_MAX 48
/* 2^64 as a double: a u64 maximum at or above it means "no upper bound". */
#define U64_LIMIT 18446744073709551616.0

union cfg_value {
	bool b;
	uint32_t u32;
	uint64_t u64;
	double d;
	unsigned int e;
};

void
config_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A printable, bounded copy of a rejected value for an error message. */
static const char *
echo(const char *text, size_t len, char *buf, size_t buflen)
{
	size_t n = len < ECHO_MAX ? len : ECHO_MAX;
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < buflen; i++)
		buf[o++] = isprint((unsigned char)text[i]) ? text[i] : '?';
	if (n < len && o + 3 < buflen) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* Decode one UTF-8 sequence at @s (@len bytes left); returns its length, 0 when invalid. */
static size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* RFC 3629 section 3: no overlong forms, no surrogates, nothing above U+10FFFF */
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

static bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (len > 0) {
		size_t n = utf8_decode(p, len, &cp);

		if (n == 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/* Index of @s in a NULL-terminated name list (case-insensitive), or -1. */
static int
name_index(const char *const *names, const char *s)
{
	for (int i = 0; names[i] != NULL; i++)
		if (strcasecmp(names[i], s) == 0)
			return i;
	return -1;
}

static void
names_join(const char *const *names, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; names[i] != NULL && o < len; i++) {
		int w = snprintf(buf + o, len - o, "%s%s", i == 0 ? "" : ", ", names[i]);

		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/* A double the way a person would write it, and still the exact same double when read back. */
static void
double_format(double v, char *buf, size_t len)
{
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, len, "%.0f", v);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

static void
u64_max_format(const struct ns_config_key *key, char *buf, size_t len)
{
	if (key->type == NS_CFG_U64 && key->max >= U64_LIMIT)
		snprintf(buf, len, "%" PRIu64, UINT64_MAX);
	else
		double_format(key->max, buf, len);
}

void
config_value_range(const struct ns_config_key *key, char *buf, size_t len)
{
	char lo[32], hi[32];

	switch (key->type) {
	case NS_CFG_BOOL:
		snprintf(buf, len, "true, false");
		break;
	case NS_CFG_U32:
	case NS_CFG_U64:
	case NS_CFG_DOUBLE:
		double_format(key->min, lo, sizeof(lo));
		u64_max_format(key, hi, sizeof(hi));
		snprintf(buf, len, "%s..%s%s", lo, hi,
			 (key->flags & NS_CFG_F_POW2) != 0 ? ", power of two" : "");
		break;
	case NS_CFG_STRING:
		if (key->enum_names != NULL)
			names_join(key->enum_names, buf, len);
		else
			snprintf(buf, len, "up to %zu bytes", key->size - 1);
		break;
	case NS_CFG_ENUM:
		names_join(key->enum_names, buf, len);
		break;
	}
}

static int
out_of_range(const struct ns_config_key *key, const char *shown, char *why, size_t whylen)
{
	char range[64];

	config_value_range(key, range, sizeof(range));
	config_errf(why, whylen, "%s is out of range %s", shown, range);
	return -EINVAL;
}

static int
parse_bool(const char *s, bool *v, char *why, size_t whylen)
{
	static const char *const yes[] = { "true", "yes", "on", "1", NULL };
	static const char *const no[] = { "false", "no", "off", "0", NULL };
	char shown[ECHO_MAX + 4];

	if (name_index(yes, s) >= 0) {
		*v = true;
		return 0;
	}
	if (name_index(no, s) >= 0) {
		*v = false;
		return 0;
	}
	config_errf(why, whylen, "expected true/false, yes/no, on/off or 1/0, got '%s'",
		    echo(s, strlen(s), shown, sizeof(shown)));
	return -EINVAL;
}

/* Decimal digits only: no sign, no spaces, no hex, no suffix. Range is checked by the caller. */
static int
parse_uint(const struct ns_config_key *key, const char *s, uint64_t *v, char *why, size_t whylen)
{
	char shown[ECHO_MAX + 4];
	unsigned long long r;

	echo(s, strlen(s), shown, sizeof(shown));
	if (*s == '\0') {
		config_errf(why, whylen, "empty value, expected a %s number",
			    config_type_name(key->type));
		return -EINVAL;
	}
	if (*s == '-') {
		config_errf(why, whylen, "'%s' is negative; %s values are unsigned", shown,
			    config_type_name(key->type));
		return -EINVAL;
	}
	for (const char *p = s; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p)) {
			config_errf(why, whylen, "expected an unsigned integer, got '%s'", shown);
			return -EINVAL;
		}
	}
	errno = 0;
	r = strtoull(s, NULL, 10);
	if (errno == ERANGE)
		return out_of_range(key, shown, why, whylen);
	*v = r;
	return 0;
}

static int
parse_double(const char *s, double *v, char *why, size_t whylen)
{
	char shown[ECHO_MAX + 4];
	bool digit = false, other = false;
	char *end = NULL;

	echo(s, strlen(s), shown, sizeof(shown));
	/* plain decimal notation only: strtod would also take "inf", "nan" and hex floats */
	for (const char *p = s; *p != '\0'; p++) {
		if (isdigit((unsigned char)*p))
			digit = true;
		else if (strchr("+-.eE", *p) == NULL)
			other = true;
	}
	errno = 0;
	*v = 0;
	if (digit && !other)
		*v = strtod(s, &end);
	if (!digit || other || *end != '\0') {
		config_errf(why, whylen, "expected a number, got '%s'", shown);
		return -EINVAL;
	}
	if (errno == ERANGE || !isfinite(*v)) {
		config_errf(why, whylen, "'%s' is too %s", shown,
			    fabs(*v) > 1 || !isfinite(*v) ? "large" : "small");
		return -EINVAL;
	}
	return 0;
}

/* Range and flag checks shared by text input and config_value_check(). */
static int
check_number(const struct ns_config_key *key, const union cfg_value *v, char *why, size_t whylen)
{
	char shown[32];
	uint64_t u;

	if (key->type == NS_CFG_DOUBLE) {
		if (v->d < key->min || v->d > key->max || isnan(v->d)) {
			double_format(v->d, shown, sizeof(shown));
			return out_of_range(key, shown, why, whylen);
		}
		return 0;
	}
	u = key->type == NS_CFG_U32 ? v->u32 : v->u64;
	snprintf(shown, sizeof(shown), "%" PRIu64, u);
	if ((double)u < key->min || (key->max < U64_LIMIT && (double)u > key->max))
		return out_of_range(key, shown, why, whylen);
	if ((key->flags & NS_CFG_F_POW2) != 0 && (u == 0 || (u & (u - 1)) != 0)) {
		uint64_t below = UINT64_C(1) << (63 - __builtin_clzll(u | 1));

		config_errf(why, whylen,
			    "%s is not a power of two (%" PRIu64 " or %" PRIu64 " would do)", shown,
			    below, below * 2);
		return -EINVAL;
	}
	return 0;
}

static int
check_string(const struct ns_config_key *key, const char *s, size_t len, char *why, size_t whylen)
{
	char shown[ECHO_MAX + 4], names[128], choice[NS_CFG_STR_MAX];

	if (len >= key->size) {
		config_errf(why, whylen, "value is %zu bytes long; the limit is %zu bytes", len,
			    key->size - 1);
		return -EINVAL;
	}
	if (memchr(s, '\0', len) != NULL) {
		config_errf(why, whylen, "value contains a NUL byte");
		return -EINVAL;
	}
	if (!utf8_valid(s, len)) {
		config_errf(why, whylen, "value is not valid UTF-8");
		return -EINVAL;
	}
	if (key->enum_names == NULL)
		return 0;
	/* the choices are short names; @s need not be NUL-terminated */
	choice[0] = '\0';
	if (len < sizeof(choice)) {
		memcpy(choice, s, len);
		choice[len] = '\0';
	}
	if (name_index(key->enum_names, choice) < 0) {
		names_join(key->enum_names, names, sizeof(names));
		config_errf(why, whylen, "'%s' is not one of %s",
			    echo(s, len, shown, sizeof(shown)), names);
		return -EINVAL;
	}
	return 0;
}

int
config_value_set(const struct ns_config_key *key, struct ns_config *cfg, const char *text,
		 size_t len, char *why, size_t whylen)
{
	char *dst = (char *)cfg + key->offset;
	char num[NUM_TEXT_MAX + 1], shown[ECHO_MAX + 4], names[128];
	union cfg_value v;
	uint64_t u;
	int rc, idx;

	if (key->type == NS_CFG_STRING) {
		rc = check_string(key, text, len, why, whylen);
		if (rc != 0)
			return rc;
		/* zero the tail too, so equal configs are equal bytes (memcmp, dump round-trip) */
		memset(dst, 0, key->size);
		if (key->enum_names != NULL) {
			/* store the canonical spelling; check_string() found it */
			memcpy(num, text, len);
			num[len] = '\0';
			idx = name_index(key->enum_names, num);
			memcpy(dst, key->enum_names[idx], strlen(key->enum_names[idx]));
		} else {
			memcpy(dst, text, len);
		}
		return 0;
	}

	if (memchr(text, '\0', len) != NULL) {
		config_errf(why, whylen, "value contains a NUL byte");
		return -EINVAL;
	}
	if (len > NUM_TEXT_MAX) {
		config_errf(why, whylen, "'%s' is not a valid %s",
			    echo(text, len, shown, sizeof(shown)), config_type_name(key->type));
		return -EINVAL;
	}
	memcpy(num, text, len);
	num[len] = '\0';

	switch (key->type) {
	case NS_CFG_BOOL:
		rc = parse_bool(num, &v.b, why, whylen);
		break;
	case NS_CFG_U32:
		rc = parse_uint(key, num, &u, why, whylen);
		if (rc == 0 && u > UINT32_MAX)
			rc = out_of_range(key, num, why, whylen);
		if (rc == 0) {
			v.u32 = (uint32_t)u;
			rc = check_number(key, &v, why, whylen);
		}
		break;
	case NS_CFG_U64:
		rc = parse_uint(key, num, &v.u64, why, whylen);
		if (rc == 0)
			rc = check_number(key, &v, why, whylen);
		break;
	case NS_CFG_DOUBLE:
		rc = parse_double(num, &v.d, why, whylen);
		if (rc == 0)
			rc = check_number(key, &v, why, whylen);
		break;
	case NS_CFG_ENUM:
		idx = name_index(key->enum_names, num);
		if (idx < 0) {
			names_join(key->enum_names, names, sizeof(names));
			config_errf(why, whylen, "'%s' is not one of %s",
				    echo(num, len, shown, sizeof(shown)), names);
			rc = -EINVAL;
		} else {
			v.e = (unsigned int)idx;
			rc = 0;
		}
		break;
	default:
		config_errf(why, whylen, "unknown type");
		rc = -EINVAL;
		break;
	}
	if (rc != 0)
		return rc;

	switch (key->type) {
	case NS_CFG_BOOL:
		memcpy(dst, &v.b, sizeof(v.b));
		break;
	case NS_CFG_U32:
		memcpy(dst, &v.u32, sizeof(v.u32));
		break;
	case NS_CFG_U64:
		memcpy(dst, &v.u64, sizeof(v.u64));
		break;
	case NS_CFG_DOUBLE:
		memcpy(dst, &v.d, sizeof(v.d));
		break;
	default:
		memcpy(dst, &v.e, sizeof(v.e));
		break;
	}
	return 0;
}

int
config_value_check(const struct ns_config_key *key, const struct ns_config *cfg, char *why,
		   size_t whylen)
{
	const char *src = (const char *)cfg + key->offset;
	char names[128];
	union cfg_value v;
	size_t n = 0;

	switch (key->type) {
	case NS_CFG_BOOL:
		return 0;
	case NS_CFG_U32:
		memcpy(&v.u32, src, sizeof(v.u32));
		return check_number(key, &v, why, whylen);
	case NS_CFG_U64:
		memcpy(&v.u64, src, sizeof(v.u64));
		return check_number(key, &v, why, whylen);
	case NS_CFG_DOUBLE:
		memcpy(&v.d, src, sizeof(v.d));
		return check_number(key, &v, why, whylen);
	case NS_CFG_STRING:
		if (memchr(src, '\0', key->size) == NULL) {
			config_errf(why, whylen, "value is not NUL-terminated within %zu bytes",
				    key->size);
			return -EINVAL;
		}
		return check_string(key, src, strlen(src), why, whylen);
	case NS_CFG_ENUM:
		memcpy(&v.e, src, sizeof(v.e));
		while (key->enum_names[n] != NULL)
			n++;
		if (v.e >= n) {
			names_join(key->enum_names, names, sizeof(names));
			config_errf(why, whylen, "value %u is not one of %s", v.e, names);
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

/*
 * A YAML double-quoted scalar: everything outside printable ASCII is escaped, so the output is
 * plain ASCII whatever the value holds, and no YAML line folding can change it on the way back.
 */
static void
write_quoted(const char *s, FILE *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	uint32_t cp;

	fputc('"', out);
	while (len > 0) {
		size_t n = utf8_decode(p, len, &cp);

		if (n == 0) { /* not from the setter; keep the output loadable anyway */
			cp = 0xfffd;
			n = 1;
		}
		if (cp == '"' || cp == '\\')
			fprintf(out, "\\%c", (int)cp);
		else if (cp == '\n')
			fputs("\\n", out);
		else if (cp == '\t')
			fputs("\\t", out);
		else if (cp < 0x20 || cp == 0x7f)
			fprintf(out, "\\x%02x", (unsigned)cp);
		else if (cp < 0x80)
			fputc((int)cp, out);
		else if (cp <= 0xffff)
			fprintf(out, "\\u%04x", (unsigned)cp);
		else
			fprintf(out, "\\U%08x", (unsigned)cp);
		p += n;
		len -= n;
	}
	fputc('"', out);
}

void
config_value_write(const struct ns_config_key *key, const struct ns_config *cfg, FILE *out)
{
	const char *src = (const char *)cfg + key->offset;
	char buf[64];
	union cfg_value v;
	const char *name;

	switch (key->type) {
	case NS_CFG_BOOL:
		memcpy(&v.b, src, sizeof(v.b));
		fputs(v.b ? "true" : "false", out);
		break;
	case NS_CFG_U32:
		memcpy(&v.u32, src, sizeof(v.u32));
		fprintf(out, "%" PRIu32, v.u32);
		break;
	case NS_CFG_U64:
		memcpy(&v.u64, src, sizeof(v.u64));
		fprintf(out, "%" PRIu64, v.u64);
		break;
	case NS_CFG_DOUBLE:
		memcpy(&v.d, src, sizeof(v.d));
		double_format(v.d, buf, sizeof(buf));
		fputs(buf, out);
		break;
	case NS_CFG_STRING:
		if (memchr(src, '\0', key->size) == NULL) {
			fputs("\"\"", out);
			break;
		}
		write_quoted(src, out);
		break;
	case NS_CFG_ENUM:
		memcpy(&v.e, src, sizeof(v.e));
		name = ns_config_enum_name(key, v.e);
		fputs(name != NULL ? name : key->def, out);
		break;
	}
}
