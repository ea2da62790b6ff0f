/* SPDX-License-Identifier: MIT */
/*
 * The packet pipeline behind the capture loop: parsed packets go to flow shards (one flow
 * table per worker, one writer each), and ended flows come back to the management side.
 * Inline mode runs one shard in the caller's thread (the single-core path); threaded mode runs
 * N worker threads fed through SPSC rings by a symmetric software hash, so both directions of
 * a flow meet on one worker (dispatch). The caller's thread is reader and management at once:
 * it submits bursts and polls for flow records; no lock is taken on the packet path. In
 * dispatch mode a worker sees the first 256 bytes of each frame (pkt.data, pkt.caplen
 * clipped): the headers the flow table and stages read, behind up to ~130 bytes of IPv6
 * extension headers or IPv4 options.
 *
 * Per-queue mode (params.queues, DPDK): worker i runs on its own EAL lcore, polls RX queue i of
 * the capture handle itself, parses and counts, and runs its shard; the caller's thread is
 * management only (records, stats, top-N, sampled frames for the inspector). It needs a port
 * whose queues hold whole flows (symmetric RSS or kernel fanout, or one queue).
 */
#ifndef NS_PIPELINE_H
#define NS_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "ns_capture.h"
#include "ns_flow.h"
#include "ns_proto.h"
#include "ns_stats.h"

#define NS_PIPELINE_WORKERS_MAX 64

/* Largest per-queue receive burst and sampled frame. */
#define NS_PIPELINE_QUEUE_BURST_MAX 512
#define NS_PIPELINE_SAMPLE_MAX 2048

/* Called on the management side (the caller's thread) with records in worker order. */
typedef void (*ns_pipeline_records_fn)(void *arg, const struct ns_flow_record *recs,
				       unsigned n);

/*
 * An extra per-shard stage after flow tracking (anomaly counting). Called on the worker's
 * thread (the caller's thread inline) with that worker's index; NULL members are skipped.
 */
struct ns_pipeline_stage {
	void (*burst)(void *arg, unsigned worker, const struct ns_pkt *pkts, const uint64_t *ts_ns,
		      unsigned n);
	void (*idle)(void *arg, unsigned worker, uint64_t now_ns); /* housekeeping, any load */
	void (*finish)(void *arg, unsigned worker);                /* end of input, once */
	void *arg;
};

/* Called on the management side with frames sampled by per-queue workers (data copied). */
typedef void (*ns_pipeline_frames_fn)(void *arg, const struct ns_frame *frames, unsigned n);

/* Per-queue mode: each worker owns one RX queue of a capture handle and one EAL lcore. */
struct ns_pipeline_queues {
	struct ns_capture *cap; /* worker i polls queue i: workers == ns_capture_queues(cap) */
	int linktype; /* for ns_parse() */
	unsigned burst; /* frames per poll, 1..NS_PIPELINE_QUEUE_BURST_MAX */
	unsigned lcores[NS_PIPELINE_WORKERS_MAX]; /* worker i's EAL lcore */
	/* Frames for the packet inspector: each worker copies up to sample_rate / workers frames
	 * per second of packet time into a ring; management hands them to on_sample. */
	uint32_t sample_rate; /* 0 = none */
	uint32_t sample_bytes; /* bytes kept of a frame, 1..NS_PIPELINE_SAMPLE_MAX */
	ns_pipeline_frames_fn on_sample;
};

struct ns_pipeline_params {
	unsigned workers;      /* flow shards (1..NS_PIPELINE_WORKERS_MAX) */
	bool threaded;         /* false: one shard processed inline (workers must be 1) */
	bool backpressure;     /* full worker ring: wait (files) instead of dropping (live) */
	bool live;             /* "now" is the later of packet and wall time (else packet time) */
	/* inline: the caller leaves the arrays of each ns_pipeline_submit() unchanged until its
	 * next submit with n > 0, ns_pipeline_poll(), _finish() or a _top_n() that asks for
	 * flows (not _stats()), so the shard's table does not copy the pass it leaves pending
	 * (NS_FLOW_DEFER_KEPT); threaded shards keep their own */
	bool submit_kept;
	struct ns_pipeline_stage stage;
	uint32_t ring_size;    /* packets per worker ring (threaded) */
	uint32_t top_n;        /* flows each worker keeps in its top-N snapshot (0 = none) */
	struct ns_flow_params flow; /* per-shard table; sink and shard_id are set here */
	ns_pipeline_records_fn on_records;
	void *arg; /* for on_records and queues->on_sample */
	const struct ns_pipeline_queues *queues; /* non-NULL: per-queue mode (needs threaded) */
};

/* Counters of one worker; the worker writes them, readers take relaxed snapshots. */
struct ns_pipeline_worker_stats {
	uint64_t packets;   /* packets the worker processed */
	uint64_t ring_full; /* packets dropped because its ring was full (no back-pressure) */
	uint64_t bursts;    /* non-empty bursts */
	uint64_t burst_pkts; /* packets in those bursts: occupancy = burst_pkts / bursts */
	uint64_t oneside_tcp; /* ended TCP flows with packets in one direction only */
	uint64_t ended_tcp;   /* ended TCP flows */
	uint64_t last_ts;     /* newest packet time the worker processed */
	int lcore;            /* EAL lcore in per-queue mode (worker i owns queue i), else -1 */
	uint64_t samples_dropped; /* per-queue: sampled frames that found the ring full */
	struct ns_pkt_counters counters; /* per-queue: the packets this worker parsed */
	struct ns_flow_stats flow;
	struct ns_flow_mem mem;
};

/*
 * A worker's "table" figure, as --stats and the dashboard show it: packets its flow table could
 * not track (refused, no slot) plus flows it evicted early to make room (full table, bucket
 * collision).
 */
static inline uint64_t
ns_pipeline_worker_table_drops(const struct ns_pipeline_worker_stats *w)
{
	return w->flow.evict_full + w->flow.evict_collision +
	       w->flow.untracked[NS_FLOW_UNTRACKED_REFUSED] +
	       w->flow.untracked[NS_FLOW_UNTRACKED_NO_SLOT];
}

struct ns_pipeline;

/** Create the shards (and threads). Returns NULL with errno set. */
struct ns_pipeline *ns_pipeline_create(const struct ns_pipeline_params *p);

/**
 * Hand @n parsed packets (with capture times) to their shards. Inline: processed now.
 * Threaded: copied to the owning worker's ring; with back-pressure this waits for room,
 * otherwise packets that find the ring full are dropped and counted. Returns packets accepted
 * (0 in per-queue mode, where workers read their queues themselves).
 */
unsigned ns_pipeline_submit(struct ns_pipeline *pl, const struct ns_pkt *pkts,
			    const uint64_t *ts_ns, unsigned n);

/**
 * Management step: deliver ended-flow records to on_records (and sampled frames to
 * on_sample), and (inline) run the expiry sweep at @now_ns. Call it every few bursts and when the source is idle. Returns the number
 * of records delivered.
 */
unsigned ns_pipeline_poll(struct ns_pipeline *pl, uint64_t now_ns);

/**
 * The @n largest live flows over all shards, by bytes, from the workers' latest snapshots
 * (at most a second old in threaded mode). Returns the number written.
 */
unsigned ns_pipeline_top_n(struct ns_pipeline *pl, struct ns_flow_record *out, unsigned n);

/** Per-worker counters into @out (pl workers entries); returns the worker count. */
unsigned ns_pipeline_stats(struct ns_pipeline *pl, struct ns_pipeline_worker_stats *out);

/**
 * End of input: workers drain their rings (per-queue: stop polling), every flow is flushed (reason SHUTDOWN) and every
 * record delivered to on_records before this returns. Returns 0 or -errno.
 */
int ns_pipeline_finish(struct ns_pipeline *pl);

/** Stop threads if running and free everything. Accepts NULL. */
void ns_pipeline_destroy(struct ns_pipeline *pl);

/**
 * Symmetric flow hash of a parsed packet: the same value for both directions of a flow
 * (addresses and ports swapped), mixed so the low bits spread evenly over workers.
 */
uint32_t ns_pipeline_sym_hash(const struct ns_pkt *pkt);

#endif /* NS_PIPELINE_H */
