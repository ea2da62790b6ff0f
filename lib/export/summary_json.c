/* SPDX-License-Identifier: MIT */
/*
 * The packet summary as JSON (--summary-json). Keys are part of the interface: scripts and the
 * corpus tests read them, so they only ever get added, never renamed.
 */
#include <errno.h>
#include <json-c/json.h>

#include "ns_export.h"

static void
add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

struct json_object *
ns_export_summary_object(const struct ns_pkt_counters *c)
{
	struct json_object *root = json_object_new_object();
	struct json_object *protos = json_object_new_object();

	if (root == NULL || protos == NULL) {
		json_object_put(root);
		json_object_put(protos);
		return NULL;
	}
	add_u64(root, "packets", c->packets);
	add_u64(root, "bytes", c->bytes);
	for (unsigned i = 0; i < NS_LAYER_MAX; i++)
		add_u64(protos, ns_layer_name(i), c->layers[i]);
	json_object_object_add(root, "protocols", protos);
	add_u64(root, "ipv4_fragments", c->ipv4_fragments);
	add_u64(root, "ipv6_fragments", c->ipv6_fragments);
	add_u64(root, "truncated", c->truncated);
	add_u64(root, "malformed", c->malformed);
	add_u64(root, "unsupported", c->unsupported);
	add_u64(root, "filtered", c->filtered);
	add_u64(root, "dropped", c->dropped);
	return root;
}

int
ns_export_summary_json(const struct ns_pkt_counters *c, FILE *out)
{
	struct json_object *root = ns_export_summary_object(c);
	int rc = 0;

	if (root == NULL)
		return -ENOMEM;
	if (fprintf(out, "%s\n",
		    json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_SPACED)) < 0)
		rc = -EIO;
	if (fflush(out) != 0)
		rc = -EIO;
	json_object_put(root);
	return rc;
}
