/* SPDX-License-Identifier: MIT */
/*
 * The capture front: picks a backend for the source (explicitly, or in auto mode by asking each
 * built backend how much it wants the source and trying the best first), and forwards every call
 * through the backend's operations table. Queue states live here so that "why did rx return 0"
 * has one answer for every backend.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "capture_priv.h"
#include "ns_core.h"

void
capture_errf(char *errbuf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, NS_CAPTURE_ERRBUF, fmt, ap);
	va_end(ap);
}

void
capture_set_status(struct ns_capture *c, unsigned q, enum ns_capture_status st)
{
	__atomic_store_n(&c->qstatus[q], (int)st, __ATOMIC_RELEASE);
}

void
capture_set_error(struct ns_capture *c, unsigned q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	capture_set_status(c, q, NS_CAPTURE_ERROR);
}

static const char *
backend_kind_name(enum ns_backend_kind kind)
{
	switch (kind) {
	case NS_BACKEND_PCAP:
		return "pcap";
	case NS_BACKEND_DPDK:
		return "dpdk";
	default:
		return "auto";
	}
}

const char *
ns_capture_backend_name(unsigned i)
{
	for (unsigned k = 0; capture_backends[k] != NULL; k++)
		if (k == i)
			return capture_backends[k]->name;
	return NULL;
}

static const struct capture_ops *
backend_find(enum ns_backend_kind kind)
{
	for (const struct capture_ops *const *b = capture_backends; *b != NULL; b++)
		if ((*b)->kind == kind)
			return *b;
	return NULL;
}

static int
open_explicit(struct ns_capture *c, const struct ns_capture_params *p, char *errbuf)
{
	const struct capture_ops *ops = backend_find(p->backend);

	if (ops == NULL) {
		capture_errf(errbuf,
			     "the %s backend is not built into this netscope (rebuild with "
			     "meson -D%s=enabled)",
			     backend_kind_name(p->backend), backend_kind_name(p->backend));
		return -ENOTSUP;
	}
	c->ops = ops;
	return ops->open(c, p, false, errbuf);
}

/*
 * Auto mode: every backend scores the source; the best is tried first and may decline
 * (-EAGAIN, e.g. DPDK's EAL did not come up), then the next. The choice and its reason are
 * logged at NOTICE for interfaces, where it matters; a file always goes to pcap (INFO).
 */
static int
open_auto(struct ns_capture *c, const struct ns_capture_params *p, char *errbuf)
{
	const struct capture_ops *cand[8];
	enum capture_claim score[8];
	char why[8][160];
	char declined[NS_CAPTURE_ERRBUF] = "";
	unsigned n = 0;
	int rc = -ENODEV;

	for (const struct capture_ops *const *b = capture_backends;
	     *b != NULL && n < NS_ARRAY_SIZE(cand); b++) {
		why[n][0] = '\0';
		score[n] = (*b)->claim(p, why[n], sizeof(why[n]));
		cand[n++] = *b;
	}
	for (enum capture_claim want = CAPTURE_CLAIM_NATIVE; want > CAPTURE_CLAIM_NO; want--) {
		for (unsigned i = 0; i < n; i++) {
			if (score[i] != want)
				continue;
			c->ops = cand[i];
			rc = cand[i]->open(c, p, true, errbuf);
			if (rc == 0) {
				if (p->interface != NULL && p->interface[0] != '\0')
					NS_LOG(NOTICE, "capture", "backend auto: using %s (%s)",
					       cand[i]->name, why[i]);
				else
					NS_LOG(INFO, "capture", "backend auto: using %s (%s)",
					       cand[i]->name, why[i]);
				return 0;
			}
			if (rc != -EAGAIN)
				goto fail;
			NS_LOG(NOTICE, "capture", "backend auto: not using %s: %s", cand[i]->name,
			       errbuf);
			snprintf(declined, sizeof(declined), "%s", errbuf);
			memset(c, 0, sizeof(*c));
		}
	}
	if (rc == -EAGAIN)
		rc = -ENODEV;
fail:
	/* Lead with what the preferred backend said: pcap's "no such device" alone misleads. */
	if (declined[0] != '\0' && rc != 0 && c->ops != NULL) {
		char last[NS_CAPTURE_ERRBUF];

		snprintf(last, sizeof(last), "%s", errbuf);
		capture_errf(errbuf, "%.300s; %s backend: %.180s", declined, c->ops->name, last);
	}
	return rc;
}

struct ns_capture *
ns_capture_open(const struct ns_capture_params *p, char *errbuf)
{
	struct ns_capture *c;
	bool has_if = p->interface != NULL && p->interface[0] != '\0';
	bool has_file = p->file != NULL && p->file[0] != '\0';
	int rc;

	if (has_if == has_file) {
		capture_errf(errbuf, "give exactly one source: an interface (-i) or a file (-r)");
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		capture_errf(errbuf, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	rc = p->backend == NS_BACKEND_AUTO ? open_auto(c, p, errbuf) : open_explicit(c, p, errbuf);
	if (rc < 0) {
		free(c);
		errno = -rc;
		return NULL;
	}
	c->info.backend = c->ops->name;
	c->info.queues = c->nb_queues;
	return c;
}

int
ns_capture_linktype(const struct ns_capture *c)
{
	return c->linktype;
}

bool
ns_capture_nanosecond(const struct ns_capture *c)
{
	return c->nanosecond;
}

uint32_t
ns_capture_snaplen(const struct ns_capture *c)
{
	return c->snaplen;
}

void
ns_capture_get_info(const struct ns_capture *c, struct ns_capture_info *info)
{
	*info = c->info;
}

unsigned
ns_capture_queues(const struct ns_capture *c)
{
	return c->nb_queues;
}

unsigned
ns_capture_rx_burst(struct ns_capture *c, struct ns_frame *frames, unsigned n)
{
	if (c->ops->rx_burst_all != NULL)
		return c->ops->rx_burst_all(c, frames, n);
	return c->ops->rx_burst(c, 0, frames, n);
}

unsigned
ns_capture_rx_burst_queue(struct ns_capture *c, unsigned q, struct ns_frame *frames, unsigned n)
{
	if (q >= c->nb_queues)
		return 0;
	return c->ops->rx_burst(c, q, frames, n);
}

bool
ns_capture_queue_busy(const struct ns_capture *c, unsigned q)
{
	return q < c->nb_queues && c->rx_busy[q];
}

enum ns_capture_status
ns_capture_queue_status(const struct ns_capture *c, unsigned q)
{
	if (q >= c->nb_queues)
		return NS_CAPTURE_ERROR;
	return (enum ns_capture_status)__atomic_load_n(&c->qstatus[q], __ATOMIC_ACQUIRE);
}

/* The worst state wins: an error, then a stop, then "all queues ended", else running. */
enum ns_capture_status
ns_capture_status(const struct ns_capture *c)
{
	unsigned eof = 0;
	bool stopped = false;

	for (unsigned q = 0; q < c->nb_queues; q++) {
		enum ns_capture_status st = ns_capture_queue_status(c, q);

		if (st == NS_CAPTURE_ERROR)
			return NS_CAPTURE_ERROR;
		stopped |= st == NS_CAPTURE_STOPPED;
		eof += st == NS_CAPTURE_EOF;
	}
	if (stopped)
		return NS_CAPTURE_STOPPED;
	return c->nb_queues != 0 && eof == c->nb_queues ? NS_CAPTURE_EOF : NS_CAPTURE_RUNNING;
}

const char *
ns_capture_error(const struct ns_capture *c)
{
	return c->err;
}

void
ns_capture_breakloop(struct ns_capture *c)
{
	c->stop = 1;
	if (c->ops->breakloop != NULL)
		c->ops->breakloop(c);
}

int
ns_capture_stats(struct ns_capture *c, struct ns_capture_stats *st)
{
	int rc;

	memset(st, 0, sizeof(*st));
	rc = c->ops->stats(c, -1, st);
	if (__atomic_load_n(&c->drops_frozen, __ATOMIC_ACQUIRE)) {
		st->dropped = c->drops_end.dropped;
		st->if_dropped = c->drops_end.if_dropped;
		st->imissed = c->drops_end.imissed;
		st->ierrors = c->drops_end.ierrors;
		st->rx_nombuf = c->drops_end.rx_nombuf;
	}
	return rc;
}

void
ns_capture_freeze_drops(struct ns_capture *c)
{
	if (c->drops_frozen)
		return;
	memset(&c->drops_end, 0, sizeof(c->drops_end));
	c->ops->stats(c, -1, &c->drops_end);
	__atomic_store_n(&c->drops_frozen, true, __ATOMIC_RELEASE);
}

int
ns_capture_queue_stats(struct ns_capture *c, unsigned q, struct ns_capture_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (q >= c->nb_queues)
		return -EINVAL;
	return c->ops->stats(c, (int)q, st);
}

int
ns_capture_xstats_dump(struct ns_capture *c, FILE *out)
{
	if (c->ops->xstats_dump == NULL)
		return -ENOTSUP;
	return c->ops->xstats_dump(c, out);
}

unsigned
ns_capture_worker_lcores(const struct ns_capture *c, unsigned *ids, unsigned max)
{
	return c->ops->lcores != NULL ? c->ops->lcores(c, ids, max) : 0;
}

int
ns_capture_lcore_socket(const struct ns_capture *c, unsigned lcore)
{
	return c->ops->lcore_socket != NULL ? c->ops->lcore_socket(c, lcore) : -1;
}

int
ns_capture_lcore_launch(struct ns_capture *c, unsigned lcore, int (*fn)(void *), void *arg)
{
	if (c->ops->lcore_launch == NULL)
		return -ENOTSUP;
	return c->ops->lcore_launch(c, lcore, fn, arg);
}

int
ns_capture_lcore_wait(struct ns_capture *c, unsigned lcore)
{
	if (c->ops->lcore_wait == NULL)
		return -ENOTSUP;
	return c->ops->lcore_wait(c, lcore);
}

void
ns_capture_close(struct ns_capture *c)
{
	if (c == NULL)
		return;
	c->ops->close(c);
	free(c);
}

int
ns_capture_list(FILE *out, const struct ns_capture_params *p, char *errbuf)
{
	int total = 0;

	for (const struct capture_ops *const *b = capture_backends; *b != NULL; b++) {
		int n = (*b)->list(out, p, total, errbuf);

		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

int
ns_capture_list_interfaces(FILE *out, char *errbuf)
{
	return capture_pcap_ops.list(out, NULL, 0, errbuf);
}
