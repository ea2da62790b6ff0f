/* SPDX-License-Identifier: MIT */
/*
 * Names and addresses for the parser's results: the 16-byte address type (IPv4 mapped as
 * ::ffff:a.b.c.d) and its text form, the supported link types, and the verdict, reason and
 * layer names generated from the X-macro lists in ns_proto.h so that enum, strings and
 * counters can never drift apart.
 */
#include <arpa/inet.h>
#include <string.h>

#include "ns_core.h"
#include "ns_proto.h"

bool
ns_addr_is_v4(const struct ns_addr *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a->b, prefix, sizeof(prefix)) == 0;
}

char *
ns_addr_format(const struct ns_addr *a, char *buf, size_t len)
{
	const char *r;

	if (len == 0)
		return buf;
	/* socklen_t is 32 bits: a larger buffer is as good as INET6_ADDRSTRLEN bytes */
	if (len > INET6_ADDRSTRLEN)
		len = INET6_ADDRSTRLEN;
	/* glibc's inet_ntop follows RFC 5952 (lowercase, longest zero run, no single :0:) */
	if (ns_addr_is_v4(a))
		r = inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)len);
	else
		r = inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
	if (r == NULL)
		buf[0] = '\0';
	return buf;
}

bool
ns_proto_linktype_supported(int linktype)
{
	switch (linktype) {
	case NS_LINK_NULL:
	case NS_LINK_EN10MB:
	case NS_LINK_RAW:
	case NS_LINK_RAW_OPENBSD:
	case NS_LINK_RAW_FILE:
	case NS_LINK_LOOP:
	case NS_LINK_LINUX_SLL:
	case NS_LINK_IPV4:
	case NS_LINK_IPV6:
	case NS_LINK_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

const char *
ns_proto_linktype_name(int linktype)
{
	switch (linktype) {
	case NS_LINK_NULL:
		return "NULL";
	case NS_LINK_EN10MB:
		return "EN10MB";
	case NS_LINK_RAW:
	case NS_LINK_RAW_OPENBSD:
	case NS_LINK_RAW_FILE:
		return "RAW";
	case NS_LINK_LOOP:
		return "LOOP";
	case NS_LINK_LINUX_SLL:
		return "LINUX_SLL";
	case NS_LINK_IPV4:
		return "IPV4";
	case NS_LINK_IPV6:
		return "IPV6";
	case NS_LINK_LINUX_SLL2:
		return "LINUX_SLL2";
	default:
		return "unknown";
	}
}

static const char *const verdict_names[] = {
#define NS_X(name, str) [NS_PARSE_##name] = str,
	NS_PARSE_VERDICTS(NS_X)
#undef NS_X
};

static const char *const reason_names[] = {
#define NS_X(name, str) [NS_PARSE_R_##name] = str,
	NS_PARSE_REASONS(NS_X)
#undef NS_X
};

static const char *const layer_names[] = {
#define NS_X(name, str) [NS_LAYER_IDX_##name] = str,
	NS_LAYERS(NS_X)
#undef NS_X
};

const char *
ns_parse_verdict_name(unsigned verdict)
{
	return verdict < NS_ARRAY_SIZE(verdict_names) ? verdict_names[verdict] : "unknown";
}

const char *
ns_parse_reason_name(unsigned reason)
{
	return reason < NS_ARRAY_SIZE(reason_names) ? reason_names[reason] : "unknown";
}

const char *
ns_layer_name(unsigned idx)
{
	return idx < NS_ARRAY_SIZE(layer_names) ? layer_names[idx] : "unknown";
}
