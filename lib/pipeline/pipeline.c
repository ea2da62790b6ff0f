/* SPDX-License-Identifier: MIT */
/*
 * Pipeline: flow shards, worker threads, rings, and the management-side drain.
 *
 * Threading contract (DESIGN.md): a worker thread is the only writer of its flow table and
 * its counters. The caller's thread (reader + management) writes packets into the worker's
 * input ring and reads ended-flow records from its output ring; both are SPSC rings. Counters
 * and top-N snapshots cross over under a sequence lock the worker publishes about every
 * millisecond, never per packet.
 *
 * Per-queue mode replaces the input ring by the worker's own RX queue: the worker runs on an
 * EAL lcore (launched through the capture handle, which owns EAL), receives, parses, counts,
 * and sends sampled frame copies to management over one more SPSC ring. Its flow table is
 * created on that lcore, so the table's pages are first touched (and placed) on the lcore's
 * NUMA node, which ns_pipeline_create() checks against the port's.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ns_core.h"
#include "ns_pipeline.h"

#define WORKER_BURST 32
_Static_assert(WORKER_BURST <= NS_FLOW_BURST, "a ring burst fits one struct worker_pkts");
#define RECORD_BURST 64
/*
 * The expiry sweep follows the table's clock (packet time, and wall time when live): the whole
 * table once per SWEEP_PERIOD_NS (flow-table.md §4), and at most SWEEP_BUDGET records per
 * housekeeping step, about one per packet. At 10 Mpps that is ~0.1 record per packet for a
 * 1M-flow table instead of one; a quiet live link no longer sweeps 512 records per idle poll.
 */
#define SWEEP_BUDGET 512
#define SWEEP_PERIOD_NS (1000000000ULL)
#define HOUSEKEEP_EVERY 16 /* bursts */
#define PUBLISH_NS (1000000ULL)          /* counters to management: every 1 ms */
#define SNAPSHOT_NS (1000000000ULL)      /* top-N snapshot: every second */
#define OUT_RING_MIN 4096

/*
 * A packet crossing to a worker: its parse result plus a copy of the frame's first bytes,
 * since the reader's buffer is reused long before the worker runs. What a stage reads from
 * the frame itself: the ports of a transport header the snaplen cut (ns_pkt_ports()) and an
 * ICMP error's quote. 128 bytes hold them behind plain headers (an ICMPv6 error's quote behind
 * two VLAN tags ends at byte 126), not behind IPv6 extension headers or IPv4 options; 256 hold
 * ~130 bytes of those too. Only the first min(caplen, SLOT_HDR) bytes are copied.
 */
#define SLOT_HDR 256

struct slot {
	struct ns_pkt pkt;
	uint64_t ts;
	uint8_t hdr[SLOT_HDR];
};

/* A sampled frame crossing to management (per-queue mode): this header, then sample_bytes. */
struct sample_hdr {
	uint64_t ts;
	uint32_t caplen; /* bytes stored (<= sample_bytes) */
	uint32_t wirelen;
};

/* Sampled frames handed to on_sample per call. */
#define SAMPLE_BATCH 32

/*
 * A threaded worker's parsed burst. Its table leaves each call's last pass pending until the
 * next call and reads the pass's packets then (NS_FLOW_DEFER_KEPT), so a worker parses into
 * two of these in turn instead of having the table copy the pass.
 */
struct worker_pkts {
	struct ns_pkt pkts[NS_FLOW_BURST];
	uint64_t ts[NS_FLOW_BURST];
};

struct worker {
	struct ns_pipeline *pl;
	unsigned id;
	struct ns_flow_table *table;
	struct ns_ring *in;  /* mgmt: produce, worker: consume (threaded) */
	struct ns_ring *out; /* worker: produce, mgmt: consume (threaded) */
	pthread_t thread;
	bool started;
	atomic_bool stop; /* mgmt: w, worker: r */
	atomic_bool done; /* worker: w, mgmt: r */

	/* per-queue mode: the worker stops polling on stop_rx, then reports its last packet time
	 * (end_ts, rx_done) and waits for stop, so that every shard ends its flows at the same
	 * "now" (the newest packet of any queue), as in the other modes */
	unsigned lcore;
	atomic_bool stop_rx; /* mgmt: w, worker: r */
	atomic_bool rx_done; /* worker: w, mgmt: r */
	_Atomic uint64_t end_ts; /* worker: w before rx_done, mgmt: r after */
	atomic_int ready; /* worker: w once its table exists (1) or failed (-errno); mgmt: r */
	struct ns_ring *samples; /* worker: produce, mgmt: consume */
	uint8_t *sample_tmp; /* worker only: one slot being filled */
	double tokens; /* worker only: sampling budget */
	uint64_t tokens_ts;

	/* worker only */
	struct worker_pkts pk[2]; /* threaded: parsed bursts, alternately (worker_pkts_next()) */
	unsigned pk_next;
	struct ns_pipeline_worker_stats st;
	uint64_t last_ts;
	uint64_t next_publish;
	uint64_t next_snapshot;
	uint64_t sweep_ns; /* table time the sweep has been paced up to */
	uint32_t capacity;
	struct ns_flow_record *snap_tmp;

	/* published by the worker under seq; read by mgmt */
	atomic_uint seq;
	struct ns_pipeline_worker_stats pub;
	struct ns_flow_record *snap;
	unsigned snap_n;

	/* mgmt only */
	uint64_t ring_full;
	uint64_t oneside_tcp;
	uint64_t ended_tcp;
	struct slot stage[WORKER_BURST];
	unsigned staged;
};

struct ns_pipeline {
	struct ns_pipeline_params p;
	struct ns_pipeline_queues q; /* per-queue mode (p.queues points here) */
	bool per_queue;
	size_t sample_slot; /* bytes of one sample ring slot */
	uint8_t *sample_buf; /* mgmt: SAMPLE_BATCH slots */
	unsigned n;
	struct worker *w;
	/* latest packet time submitted (mgmt: w, workers: r at end of input only: during the
	 * run the reader is ahead of what a worker has processed) */
	_Atomic uint64_t now;
};

static uint64_t
wall_ns(void)
{
	return ns_time_now_ns();
}

/* ---- records: worker -> management ---- */

static void
count_records(struct worker *w, const struct ns_flow_record *recs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct ns_flow_record *r = &recs[i];

		if (r->proto != 6 || (r->flags & NS_FLOW_REC_INTERIM))
			continue;
		w->ended_tcp++;
		if (r->pkts[0] == 0 || r->pkts[1] == 0)
			w->oneside_tcp++;
	}
}

/* Inline sink: management is this thread, so records go straight to the callback. */
static unsigned
sink_inline(void *arg, const struct ns_flow_record *recs, unsigned n)
{
	struct worker *w = arg;

	count_records(w, recs, n);
	w->pl->p.on_records(w->pl->p.arg, recs, n);
	return n;
}

/* Threaded sink: whatever the ring cannot take stays queued in the table, not lost. */
static unsigned
sink_ring(void *arg, const struct ns_flow_record *recs, unsigned n)
{
	struct worker *w = arg;

	return ns_ring_enqueue_burst(w->out, recs, n);
}

static unsigned
drain_worker(struct worker *w)
{
	struct ns_flow_record recs[RECORD_BURST];
	unsigned total = 0, n;

	if (w->out == NULL)
		return 0;
	while ((n = ns_ring_dequeue_burst(w->out, recs, RECORD_BURST)) > 0) {
		count_records(w, recs, n);
		w->pl->p.on_records(w->pl->p.arg, recs, n);
		total += n;
	}
	return total;
}

static unsigned
drain_all(struct ns_pipeline *pl)
{
	unsigned total = 0;

	for (unsigned i = 0; i < pl->n; i++)
		total += drain_worker(&pl->w[i]);
	return total;
}

/* ---- worker side ---- */

static void
publish(struct worker *w, bool snapshot)
{
	unsigned s = atomic_load_explicit(&w->seq, memory_order_relaxed);
	unsigned snap_n = 0;

	ns_flow_table_stats(w->table, &w->st.flow);
	ns_flow_table_memory(w->table, &w->st.mem);
	w->st.last_ts = w->last_ts;
	if (snapshot && w->snap_tmp != NULL)
		snap_n = ns_flow_table_top_n(w->table, w->snap_tmp, w->pl->p.top_n);
	atomic_store_explicit(&w->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	w->pub = w->st;
	if (snapshot && w->snap_tmp != NULL) {
		memcpy(w->snap, w->snap_tmp, sizeof(*w->snap) * snap_n);
		w->snap_n = snap_n;
	}
	atomic_store_explicit(&w->seq, s + 2, memory_order_release);
}

/*
 * The newest of @n times and @last. x86-64 has no 64-bit unsigned vector maximum before
 * AVX-512, so the loop does not vectorise; four running maxima in registers make it one
 * compare and one conditional move per packet, without a dependency chain through one
 * register, and half the loop's branches.
 */
static inline uint64_t
ts_max(const uint64_t *ts, unsigned n, uint64_t last)
{
	const uint64_t *p = ts, *const end4 = ts + (n & ~3u), *const end = ts + n;
	uint64_t m0 = last, m1 = last, m2 = last, m3 = last;

	for (; p < end4; p += 4) {
		m0 = p[0] > m0 ? p[0] : m0;
		m1 = p[1] > m1 ? p[1] : m1;
		m2 = p[2] > m2 ? p[2] : m2;
		m3 = p[3] > m3 ? p[3] : m3;
	}
	for (; p < end; p++)
		m0 = *p > m0 ? *p : m0;
	m0 = NS_MAX(m0, m1);
	m2 = NS_MAX(m2, m3);
	return NS_MAX(m0, m2);
}

static void
process(struct worker *w, const struct ns_pkt *pkts, const uint64_t *ts, unsigned n)
{
	const struct ns_pipeline_stage *stage = &w->pl->p.stage;

	ns_flow_table_process_burst(w->table, pkts, ts, n);
	if (stage->burst != NULL)
		stage->burst(stage->arg, w->id, pkts, ts, n);
	w->st.packets += n;
	w->st.bursts++;
	w->st.burst_pkts += n;
	w->last_ts = ts_max(ts, n, w->last_ts);
}

/*
 * The burst a threaded worker parses into next: not the one its table may still hold pending,
 * which is the previous call's.
 */
static inline struct worker_pkts *
worker_pkts_next(struct worker *w)
{
	struct worker_pkts *pk = &w->pk[w->pk_next];

	w->pk_next ^= 1;
	return pk;
}

/* The worker's "now": packet time for files, and no earlier than wall time when live, so
 * flows and detector windows end while the link is quiet. */
static uint64_t
worker_now(const struct worker *w, uint64_t wall)
{
	return w->pl->p.live ? NS_MAX(w->last_ts, wall) : w->last_ts;
}

static void
idle_wait(unsigned spins)
{
	if (spins < 64) {
		sched_yield();
		return;
	}
	nanosleep(&(struct timespec){ .tv_nsec = 50000 }, NULL);
}

/*
 * End of input: expire every flow that is idle at the input's last packet time, so a flow's
 * end reason depends on packet times only (not on how far the sweep had got, nor on how the
 * input was spread over workers), then end the rest as SHUTDOWN. The sink may refuse while
 * management drains; nothing is dropped.
 */
static void
worker_drain_table(struct worker *w)
{
	uint64_t now = NS_MAX(w->last_ts, atomic_load_explicit(&w->pl->now, memory_order_relaxed));

	/* a zero budget only moves the table's clock (and offers queued records) */
	ns_flow_table_housekeeping(w->table, w->pl->p.live ? NS_MAX(now, wall_ns()) : now, 0);
	while (ns_flow_table_flush(w->table) == -EAGAIN)
		idle_wait(64);
	if (w->pl->p.stage.finish != NULL)
		w->pl->p.stage.finish(w->pl->p.stage.arg, w->id);
}

/* Records to sweep at @now: capacity per SWEEP_PERIOD_NS since the last sweep, capped. */
static unsigned
sweep_budget(struct worker *w, uint64_t now)
{
	uint64_t due;

	if (now <= w->sweep_ns)
		return 0;
	due = NS_MIN(now - w->sweep_ns, SWEEP_PERIOD_NS) * w->capacity / SWEEP_PERIOD_NS;
	if (due == 0)
		return 0; /* less than one record due: let the time add up */
	w->sweep_ns = now;
	return (unsigned)NS_MIN(due, (uint64_t)SWEEP_BUDGET);
}

static void
housekeeping(struct worker *w, uint64_t now)
{
	const struct ns_pipeline_stage *stage = &w->pl->p.stage;
	uint64_t wall = wall_ns();

	ns_flow_table_housekeeping(w->table, now, sweep_budget(w, now));
	if (stage->idle != NULL)
		stage->idle(stage->arg, w->id, now);
	if (wall >= w->next_publish) {
		bool snap = wall >= w->next_snapshot;

		publish(w, snap);
		w->next_publish = wall + PUBLISH_NS;
		if (snap)
			w->next_snapshot = wall + SNAPSHOT_NS;
	}
}


static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct slot slots[WORKER_BURST];
	unsigned iter = 0, idle = 0;

	for (;;) {
		unsigned n = ns_ring_dequeue_burst(w->in, slots, WORKER_BURST);

		if (n > 0) {
			struct worker_pkts *pk = worker_pkts_next(w);

			for (unsigned i = 0; i < n; i++) {
				pk->pkts[i] = slots[i].pkt;
				pk->pkts[i].data = slots[i].hdr;
				pk->ts[i] = slots[i].ts;
			}
			process(w, pk->pkts, pk->ts, n);
			idle = 0;
			if (++iter % HOUSEKEEP_EVERY == 0)
				housekeeping(w, worker_now(w, wall_ns()));
			continue;
		}
		if (atomic_load_explicit(&w->stop, memory_order_acquire) &&
		    ns_ring_count(w->in) == 0)
			break;
		housekeeping(w, worker_now(w, wall_ns()));
		idle_wait(idle++);
	}
	worker_drain_table(w);
	publish(w, false);
	atomic_store_explicit(&w->done, true, memory_order_release);
	return NULL;
}

/* ---- per-queue workers ---- */

/*
 * Copy a few frames for the inspector: a token bucket on packet time, sample_rate / workers
 * frames per second per worker, at most one second's worth at once. A full ring drops the
 * copy (counted); the inspector is a sample anyway.
 */
static void
sample_frames(struct worker *w, const struct ns_frame *frames, unsigned n)
{
	const struct ns_pipeline_queues *q = &w->pl->q;
	double rate = (double)q->sample_rate / w->pl->n;
	uint64_t now = frames[n - 1].ts_ns;

	if (w->tokens_ts == 0)
		w->tokens_ts = now;
	if (now > w->tokens_ts) {
		w->tokens += (double)(now - w->tokens_ts) * rate / 1e9;
		w->tokens = NS_MIN(w->tokens, NS_MAX(rate, 1.0));
		w->tokens_ts = now;
	}
	for (unsigned i = 0; i < n && w->tokens >= 1.0; i++) {
		struct sample_hdr *h = (struct sample_hdr *)w->sample_tmp;

		h->ts = frames[i].ts_ns;
		h->caplen = NS_MIN(frames[i].caplen, q->sample_bytes);
		h->wirelen = frames[i].wirelen;
		memcpy(h + 1, frames[i].data, h->caplen);
		if (ns_ring_enqueue_burst(w->samples, w->sample_tmp, 1) != 1)
			w->st.samples_dropped++;
		w->tokens -= 1.0;
	}
}

static int
worker_table_create(struct worker *w)
{
	struct ns_flow_params fp = w->pl->p.flow;

	fp.shard_id = (uint8_t)w->id;
	fp.sink = w->pl->p.threaded ? sink_ring : sink_inline;
	fp.sink_arg = w;
	/* the table applies each burst's last pass at the next call, so the receive and parse of
	 * the next burst hide that pass's record misses; housekeeping, top-N and flush catch up */
	fp.defer =
		w->pl->p.threaded || w->pl->p.submit_kept ? NS_FLOW_DEFER_KEPT : NS_FLOW_DEFER_COPY;
	w->table = ns_flow_table_create(&fp);
	if (w->table == NULL)
		return -errno;
	ns_flow_table_memory(w->table, &w->st.mem);
	w->capacity = w->st.mem.capacity;
	return 0;
}

/* Parse, count and track one received burst. */
static void
queue_burst(struct worker *w, const struct ns_frame *frames, unsigned n)
{
	const struct ns_pipeline_queues *q = &w->pl->q;

	if (w->samples != NULL)
		sample_frames(w, frames, n);
	for (unsigned off = 0; off < n; off += NS_FLOW_BURST) {
		unsigned k = NS_MIN(n - off, (unsigned)NS_FLOW_BURST);
		struct worker_pkts *pk = worker_pkts_next(w);

		ns_parse_burst(q->linktype, frames + off, k, pk->pkts, pk->ts);
		ns_stats_count_burst(&w->st.counters, pk->pkts, k);
		process(w, pk->pkts, pk->ts, k);
	}
}

/*
 * The per-queue worker (an EAL lcore): its table first, on this lcore's NUMA node, then poll
 * the queue until management says stop. An ended queue (end of file, stop, error) only
 * returns empty bursts: the worker keeps its housekeeping going until then.
 */
static int
queue_worker_main(void *arg)
{
	struct worker *w = arg;
	const struct ns_pipeline_queues *q = &w->pl->q;
	struct ns_frame frames[NS_PIPELINE_QUEUE_BURST_MAX];
	unsigned iter = 0, idle = 0;
	int rc = worker_table_create(w);

	if (rc < 0) {
		atomic_store_explicit(&w->ready, rc, memory_order_release);
		atomic_store_explicit(&w->done, true, memory_order_release);
		return rc;
	}
	publish(w, false);
	atomic_store_explicit(&w->ready, 1, memory_order_release);
	while (!atomic_load_explicit(&w->stop_rx, memory_order_acquire)) {
		unsigned n = ns_capture_rx_burst_queue(q->cap, w->id, frames, q->burst);

		/* busy with nothing handed out: the filter rejected a burst, the port is not idle */
		if (n > 0 || ns_capture_queue_busy(q->cap, w->id)) {
			if (n > 0)
				queue_burst(w, frames, n);
			idle = 0;
			if (++iter % HOUSEKEEP_EVERY == 0)
				housekeeping(w, worker_now(w, wall_ns()));
			continue;
		}
		housekeeping(w, worker_now(w, wall_ns()));
		idle_wait(idle++);
	}
	atomic_store_explicit(&w->end_ts, w->last_ts, memory_order_relaxed);
	atomic_store_explicit(&w->rx_done, true, memory_order_release);
	while (!atomic_load_explicit(&w->stop, memory_order_acquire))
		idle_wait(64);
	worker_drain_table(w);
	publish(w, false);
	atomic_store_explicit(&w->done, true, memory_order_release);
	return 0;
}

/* ---- management side ---- */

static void
drain_samples(struct ns_pipeline *pl)
{
	struct ns_frame frames[SAMPLE_BATCH];
	unsigned n;

	for (unsigned i = 0; i < pl->n; i++) {
		struct worker *w = &pl->w[i];

		if (w->samples == NULL)
			continue;
		while ((n = ns_ring_dequeue_burst(w->samples, pl->sample_buf, SAMPLE_BATCH)) > 0) {
			for (unsigned k = 0; k < n; k++) {
				const struct sample_hdr *h =
					(const void *)(pl->sample_buf + k * pl->sample_slot);

				frames[k].ts_ns = h->ts;
				frames[k].caplen = h->caplen;
				frames[k].wirelen = h->wirelen;
				frames[k].data = (const uint8_t *)(h + 1);
			}
			pl->q.on_sample(pl->p.arg, frames, n);
		}
	}
}

static void
flush_stage(struct ns_pipeline *pl, struct worker *w)
{
	unsigned off = 0;
	unsigned spins = 0;

	while (off < w->staged) {
		unsigned k = ns_ring_enqueue_burst(w->in, w->stage + off, w->staged - off);

		off += k;
		if (off == w->staged)
			break;
		if (!pl->p.backpressure) {
			w->ring_full += w->staged - off;
			break;
		}
		/* Waiting on a worker: keep its records moving so it never waits on us. */
		if (k == 0) {
			drain_all(pl);
			idle_wait(spins++);
		}
	}
	w->staged = 0;
}

unsigned
ns_pipeline_submit(struct ns_pipeline *pl, const struct ns_pkt *pkts, const uint64_t *ts_ns,
		   unsigned n)
{
	if (pl->per_queue)
		return 0;
	if (!pl->p.threaded) {
		struct worker *w = &pl->w[0];

		for (unsigned off = 0; off < n; off += NS_FLOW_BURST) {
			unsigned k = NS_MIN(n - off, (unsigned)NS_FLOW_BURST);

			process(w, pkts + off, ts_ns + off, k);
		}
		return n;
	}
	if (n > 0) {
		/* the newest packet, not the last: a file may carry older ones after it */
		const uint64_t now = atomic_load_explicit(&pl->now, memory_order_relaxed);
		const uint64_t newest = ts_max(ts_ns, n, now);

		if (newest > now)
			atomic_store_explicit(&pl->now, newest, memory_order_relaxed);
	}
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = &pl->w[ns_pipeline_sym_hash(&pkts[i]) % pl->n];
		struct slot *sl = &w->stage[w->staged];

		sl->pkt = pkts[i];
		sl->ts = ts_ns[i];
		sl->pkt.caplen = NS_MIN(pkts[i].caplen, (uint32_t)SLOT_HDR);
		if (pkts[i].data != NULL)
			memcpy(sl->hdr, pkts[i].data, sl->pkt.caplen);
		if (++w->staged == WORKER_BURST)
			flush_stage(pl, w);
	}
	for (unsigned i = 0; i < pl->n; i++)
		if (pl->w[i].staged > 0)
			flush_stage(pl, &pl->w[i]);
	return n;
}

unsigned
ns_pipeline_poll(struct ns_pipeline *pl, uint64_t now_ns)
{
	if (!pl->p.threaded) {
		struct worker *w = &pl->w[0];

		housekeeping(w, NS_MAX(now_ns, worker_now(w, wall_ns())));
		return 0; /* the inline sink delivered records as they ended */
	}
	if (pl->per_queue)
		drain_samples(pl);
	return drain_all(pl);
}

static void
read_published(struct worker *w, struct ns_pipeline_worker_stats *st,
	       struct ns_flow_record *snap, unsigned *snap_n, unsigned max)
{
	for (;;) {
		unsigned s = atomic_load_explicit(&w->seq, memory_order_acquire);

		if (s & 1) {
			sched_yield();
			continue;
		}
		if (st != NULL)
			*st = w->pub;
		if (snap != NULL) {
			*snap_n = NS_MIN(w->snap_n, max);
			memcpy(snap, w->snap, sizeof(*snap) * *snap_n);
		}
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&w->seq, memory_order_relaxed) == s)
			return;
	}
}

static int
cmp_bytes_desc(const void *a, const void *b)
{
	const struct ns_flow_record *x = a, *y = b;
	uint64_t bx = x->bytes[0] + x->bytes[1], by = y->bytes[0] + y->bytes[1];

	return bx < by ? 1 : bx > by ? -1 : 0;
}

unsigned
ns_pipeline_top_n(struct ns_pipeline *pl, struct ns_flow_record *out, unsigned n)
{
	struct ns_flow_record *all;
	unsigned total = 0, per = pl->p.top_n;

	if (n == 0 || per == 0)
		return 0;
	if (!pl->p.threaded)
		return ns_flow_table_top_n(pl->w[0].table, out, NS_MIN(n, per));
	all = malloc(sizeof(*all) * per * pl->n);
	if (all == NULL)
		return 0;
	/* Shards are disjoint, so merging their top-N lists is exact for N <= per. */
	for (unsigned i = 0; i < pl->n; i++) {
		unsigned k = 0;

		read_published(&pl->w[i], NULL, all + total, &k, per);
		total += k;
	}
	qsort(all, total, sizeof(*all), cmp_bytes_desc);
	n = NS_MIN(n, total);
	memcpy(out, all, sizeof(*out) * n);
	free(all);
	return n;
}

unsigned
ns_pipeline_stats(struct ns_pipeline *pl, struct ns_pipeline_worker_stats *out)
{
	for (unsigned i = 0; i < pl->n; i++) {
		struct worker *w = &pl->w[i];

		if (pl->p.threaded) {
			read_published(w, &out[i], NULL, NULL, 0);
		} else {
			out[i] = w->st;
			ns_flow_table_stats(w->table, &out[i].flow);
			ns_flow_table_memory(w->table, &out[i].mem);
		}
		out[i].ring_full = w->ring_full;
		out[i].oneside_tcp = w->oneside_tcp;
		out[i].ended_tcp = w->ended_tcp;
		out[i].lcore = pl->per_queue ? (int)w->lcore : -1;
	}
	return pl->n;
}

static void
worker_join(struct ns_pipeline *pl, struct worker *w)
{
	if (pl->per_queue)
		ns_capture_lcore_wait(pl->q.cap, w->lcore);
	else
		pthread_join(w->thread, NULL);
}

/*
 * Per-queue mode, first half of the end: every worker stops polling and reports its newest
 * packet time; flows then end at the newest of all (pl->now), whatever queue they were on.
 */
static void
queues_stop(struct ns_pipeline *pl)
{
	uint64_t now = 0;

	for (unsigned i = 0; i < pl->n; i++)
		atomic_store_explicit(&pl->w[i].stop_rx, true, memory_order_release);
	for (unsigned i = 0; i < pl->n; i++) {
		struct worker *w = &pl->w[i];

		if (!w->started)
			continue;
		while (!atomic_load_explicit(&w->rx_done, memory_order_acquire) &&
		       !atomic_load_explicit(&w->done, memory_order_acquire)) {
			drain_all(pl);
			idle_wait(64);
		}
		now = NS_MAX(now, atomic_load_explicit(&w->end_ts, memory_order_relaxed));
	}
	drain_samples(pl);
	atomic_store_explicit(&pl->now, now, memory_order_relaxed);
}

int
ns_pipeline_finish(struct ns_pipeline *pl)
{
	if (!pl->p.threaded) {
		worker_drain_table(&pl->w[0]);
		return 0;
	}
	if (pl->per_queue)
		queues_stop(pl);
	for (unsigned i = 0; i < pl->n; i++)
		atomic_store_explicit(&pl->w[i].stop, true, memory_order_release);
	for (;;) {
		bool all_done = true;

		for (unsigned i = 0; i < pl->n; i++)
			if (!atomic_load_explicit(&pl->w[i].done, memory_order_acquire))
				all_done = false;
		drain_all(pl);
		if (all_done)
			break;
		idle_wait(64);
	}
	drain_all(pl); /* anything enqueued between the last drain and done */
	for (unsigned i = 0; i < pl->n; i++) {
		if (pl->w[i].started)
			worker_join(pl, &pl->w[i]);
		pl->w[i].started = false;
	}
	return 0;
}

static void
worker_free(struct worker *w)
{
	ns_flow_table_destroy(w->table);
	ns_ring_destroy(w->in);
	ns_ring_destroy(w->out);
	ns_ring_destroy(w->samples);
	free(w->sample_tmp);
	free(w->snap);
	free(w->snap_tmp);
}

void
ns_pipeline_destroy(struct ns_pipeline *pl)
{
	if (pl == NULL)
		return;
	for (unsigned i = 0; i < pl->n; i++) {
		struct worker *w = &pl->w[i];

		if (w->started) {
			atomic_store_explicit(&w->stop_rx, true, memory_order_release);
			atomic_store_explicit(&w->stop, true, memory_order_release);
			while (!atomic_load_explicit(&w->done, memory_order_acquire)) {
				drain_worker(w);
				idle_wait(64);
			}
			worker_join(pl, w);
		}
		worker_free(w);
	}
	free(pl->sample_buf);
	free(pl->w);
	free(pl);
}

static int
worker_init(struct ns_pipeline *pl, struct worker *w, unsigned id)
{
	int rc;

	w->pl = pl;
	w->id = id;
	w->st.lcore = -1;
	if (pl->per_queue) {
		/* the worker creates its table on its own lcore (queue_worker_main) */
		w->lcore = pl->q.lcores[id];
		w->out = ns_ring_create(sizeof(struct ns_flow_record),
					NS_MAX(pl->p.ring_size, (uint32_t)OUT_RING_MIN));
		if (w->out == NULL)
			return -ENOMEM;
		if (pl->q.sample_rate > 0) {
			/* a second of samples at the full rate fits, whichever worker sees them */
			w->samples = ns_ring_create(pl->sample_slot,
						    NS_MAX(pl->q.sample_rate, (uint32_t)64));
			w->sample_tmp = calloc(1, pl->sample_slot);
			if (w->samples == NULL || w->sample_tmp == NULL)
				return -ENOMEM;
			w->tokens = NS_MAX((double)pl->q.sample_rate / pl->n, 1.0);
		}
	} else {
		rc = worker_table_create(w);
		if (rc < 0)
			return rc;
		/* before its thread starts: readers (the start-up log, --stats) see the table's
		 * size from the start, not zeros until the thread's first publish */
		publish(w, false);
	}
	if (pl->p.top_n > 0) {
		w->snap = calloc(pl->p.top_n, sizeof(*w->snap));
		w->snap_tmp = calloc(pl->p.top_n, sizeof(*w->snap_tmp));
		if (w->snap == NULL || w->snap_tmp == NULL)
			return -ENOMEM;
	}
	if (!pl->p.threaded || pl->per_queue)
		return 0;
	w->in = ns_ring_create(sizeof(struct slot), pl->p.ring_size);
	w->out = ns_ring_create(sizeof(struct ns_flow_record),
				NS_MAX(pl->p.ring_size, (uint32_t)OUT_RING_MIN));
	if (w->in == NULL || w->out == NULL)
		return -ENOMEM;
	return 0;
}

/*
 * Workers may run on every online CPU. A thread inherits its creator's affinity, and DPDK's EAL
 * pins the main thread to its first lcore: without this, every worker would share that core.
 */
static void
worker_affinity(pthread_attr_t *attr)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (ncpu <= 0)
		return;
	CPU_ZERO(&set);
	for (long c = 0; c < ncpu && c < CPU_SETSIZE; c++)
		CPU_SET((int)c, &set);
	pthread_attr_setaffinity_np(attr, sizeof(set), &set);
}

static bool
queues_valid(const struct ns_pipeline_params *p)
{
	const struct ns_pipeline_queues *q = p->queues;

	return q->cap != NULL && p->threaded && p->workers == ns_capture_queues(q->cap) &&
	       q->burst >= 1 && q->burst <= NS_PIPELINE_QUEUE_BURST_MAX &&
	       (q->sample_rate == 0 ||
		(q->on_sample != NULL && q->sample_bytes >= 1 &&
		 q->sample_bytes <= NS_PIPELINE_SAMPLE_MAX));
}

/* Launch the per-queue workers on their lcores and wait until each has its table. */
static int
queues_launch(struct ns_pipeline *pl)
{
	struct ns_capture_info ci;
	int rc = 0;

	ns_capture_get_info(pl->q.cap, &ci);
	for (unsigned i = 0; i < pl->n && rc == 0; i++) {
		struct worker *w = &pl->w[i];
		int socket = ns_capture_lcore_socket(pl->q.cap, w->lcore);

		if (ci.numa_socket >= 0 && socket >= 0 && socket != ci.numa_socket)
			NS_LOG(WARNING, "pipeline",
			       "worker %u runs on lcore %u of NUMA node %d, the port is on node "
			       "%d: its flow table and every packet cross nodes (give EAL lcores "
			       "of node %d, -l/--lcores in dpdk.eal_args)",
			       i, w->lcore, socket, ci.numa_socket, ci.numa_socket);
		rc = ns_capture_lcore_launch(pl->q.cap, w->lcore, queue_worker_main, w);
		if (rc < 0) {
			NS_LOG(ERR, "pipeline", "cannot launch worker %u on lcore %u: %s", i,
			       w->lcore, strerror(-rc));
			break;
		}
		w->started = true;
	}
	for (unsigned i = 0; i < pl->n; i++) {
		struct worker *w = &pl->w[i];
		int ready;

		if (!w->started)
			continue;
		while ((ready = atomic_load_explicit(&w->ready, memory_order_acquire)) == 0)
			idle_wait(64);
		if (ready < 0 && rc == 0)
			rc = ready;
	}
	return rc;
}

struct ns_pipeline *
ns_pipeline_create(const struct ns_pipeline_params *p)
{
	struct ns_pipeline *pl;
	int rc = 0;

	if (p->workers == 0 || p->workers > NS_PIPELINE_WORKERS_MAX ||
	    (!p->threaded && p->workers != 1) || p->on_records == NULL ||
	    (p->threaded && p->ring_size == 0) || (p->queues != NULL && !queues_valid(p))) {
		errno = EINVAL;
		return NULL;
	}
	pl = calloc(1, sizeof(*pl));
	if (pl == NULL)
		return NULL;
	pl->p = *p;
	if (p->queues != NULL) {
		pl->q = *p->queues;
		pl->p.queues = &pl->q;
		pl->per_queue = true;
		pl->sample_slot = (sizeof(struct sample_hdr) + pl->q.sample_bytes + 7) & ~(size_t)7;
	}
	pl->w = calloc(p->workers, sizeof(*pl->w));
	if (pl->w == NULL || (pl->q.sample_rate > 0 &&
			      (pl->sample_buf = calloc(SAMPLE_BATCH, pl->sample_slot)) == NULL)) {
		free(pl->w);
		free(pl);
		errno = ENOMEM;
		return NULL;
	}
	pl->n = p->workers;
	for (unsigned i = 0; i < pl->n && rc == 0; i++)
		rc = worker_init(pl, &pl->w[i], i);
	if (rc == 0 && pl->per_queue)
		rc = queues_launch(pl);
	for (unsigned i = 0; i < pl->n && rc == 0 && p->threaded && !pl->per_queue; i++) {
		pthread_attr_t attr;

		pthread_attr_init(&attr);
		worker_affinity(&attr);
		rc = -pthread_create(&pl->w[i].thread, &attr, worker_main, &pl->w[i]);
		pthread_attr_destroy(&attr);
		pl->w[i].started = rc == 0;
	}
	if (rc != 0) {
		ns_pipeline_destroy(pl);
		errno = -rc;
		return NULL;
	}
	return pl;
}
