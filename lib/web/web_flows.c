/* SPDX-License-Identifier: MIT */
/*
 * Top flows for the dashboard: lib/flow's records as the flow export writes them, so
 * /api/flows and --export-flows show the same field names and values. The export's JSON is
 * made once per snapshot (not per request) by running the exporter itself into an in-memory
 * file and reading its JSON lines back; requests then only order the cached objects.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ns_core.h"
#include "ns_export.h"
#include "ns_flow.h"
#include "web_priv.h"

size_t
web_flow_record_size(void)
{
	return sizeof(struct ns_flow_record);
}

/* Write @n records as JSON lines with the flow exporter into a memory file; returns its fd. */
static int
export_to_memfd(const struct ns_flow_record *recs, uint32_t n)
{
	struct ns_flow_export *e;
	char path[64];
	int fd, rc = 0;

	fd = memfd_create("ns-web-flows", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	e = ns_flow_export_open(path, NS_FLOW_EXPORT_JSONL);
	if (e == NULL) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (uint32_t i = 0; i < n; i++)
		ns_flow_export_write(e, &recs[i]);
	if (ns_flow_export_errors(e) != 0)
		rc = -EIO;
	if (ns_flow_export_close(e) < 0 && rc == 0)
		rc = -EIO;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

static char *
read_fd(int fd, size_t *len)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *buf;
	size_t got = 0;

	if (size < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return NULL;
	buf = malloc((size_t)size + 1);
	if (buf == NULL)
		return NULL;
	while (got < (size_t)size) {
		ssize_t r = read(fd, buf + got, (size_t)size - got);

		if (r <= 0) {
			free(buf);
			return NULL;
		}
		got += (size_t)r;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

int
web_flows_render(struct web_snap *snap)
{
	uint32_t n = snap->s.n_flows;
	struct json_object **objs;
	char *text, *line;
	size_t len;
	int fd;

	snap->flow_json = NULL;
	if (n == 0)
		return 0;
	objs = calloc(n, sizeof(*objs));
	if (objs == NULL)
		return -ENOMEM;
	fd = export_to_memfd(snap->s.flows, n);
	if (fd < 0) {
		free(objs);
		return fd;
	}
	text = read_fd(fd, &len);
	close(fd);
	if (text == NULL) {
		free(objs);
		return -EIO;
	}
	line = text;
	for (uint32_t i = 0; i < n && line < text + len; i++) {
		char *nl = strchr(line, '\n');

		if (nl != NULL)
			*nl = '\0';
		objs[i] = json_tokener_parse(line);
		line = nl != NULL ? nl + 1 : text + len;
	}
	free(text);
	for (uint32_t i = 0; i < n; i++)
		if (objs[i] == NULL) {
			for (uint32_t j = 0; j < n; j++)
				json_object_put(objs[j]);
			free(objs);
			return -EIO;
		}
	snap->flow_json = objs;
	return 0;
}

/* The ranking value of @r for @sort; larger ranks first, UINT64_MAX never occurs. */
static uint64_t
sort_key(const struct ns_flow_record *r, enum web_flow_sort sort)
{
	switch (sort) {
	case WEB_SORT_PACKETS:
		return r->pkts[NS_FLOW_TOSERVER] + r->pkts[NS_FLOW_TOCLIENT];
	case WEB_SORT_RTT:
		/* handshake RTT when seen, else the running average; flows without any last */
		if (r->flags & NS_FLOW_REC_IRTT)
			return (uint64_t)r->rtt_handshake_us + 1;
		return r->rtt_samples != 0 ? (uint64_t)r->rtt_avg_us + 1 : 0;
	case WEB_SORT_RETRANS:
		return (uint64_t)r->retrans[NS_FLOW_TOSERVER] + r->retrans[NS_FLOW_TOCLIENT];
	default:
		return r->bytes[NS_FLOW_TOSERVER] + r->bytes[NS_FLOW_TOCLIENT];
	}
}

struct order_item {
	uint64_t key;
	uint64_t bytes; /* tie-break: bigger flows first */
	uint32_t idx;
};

static int
cmp_item(const void *a, const void *b)
{
	const struct order_item *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int
web_flows_order(const struct ns_flow_record *recs, uint32_t n, enum web_flow_sort sort,
		uint32_t *idx)
{
	struct order_item *items = calloc(n != 0 ? n : 1, sizeof(*items));

	if (items == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		items[i].key = sort_key(&recs[i], sort);
		items[i].bytes = sort_key(&recs[i], WEB_SORT_BYTES);
		items[i].idx = i;
	}
	qsort(items, n, sizeof(*items), cmp_item);
	for (uint32_t i = 0; i < n; i++)
		idx[i] = items[i].idx;
	free(items);
	return 0;
}
