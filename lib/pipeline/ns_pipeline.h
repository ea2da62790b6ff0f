/* SPDX-License-Identifier: MIT */
/*
 * The packet pipeline behind the capture loop: parsed packets go to flow shards (one flow
 * table per worker, one writer each), and ended flows come back to the management side.
 * Inline mode runs one shard in the caller's thread (the single-core path); threaded mode runs
 * N worker threads fed through SPSC rings by a symmetric software hash, so both directions of
 * a flow meet on one worker. The caller's thread is reader and management at once: it submits
 * bursts and polls for flow records; no lock is taken on the packet path. In threaded mode a
 * worker sees the first 128 bytes of each frame (pkt.data, pkt.caplen clipped): all the headers
 * the flow table and stages read.
 */
#ifndef NS_PIPELINE_H
#define NS_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "ns_flow.h"
#include "ns_proto.h"

#define NS_PIPELINE_WORKERS_MAX 64

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

struct ns_pipeline_params {
	unsigned workers;      /* flow shards (1..NS_PIPELINE_WORKERS_MAX) */
	bool threaded;         /* false: one shard processed inline (workers must be 1) */
	bool backpressure;     /* full worker ring: wait (files) instead of dropping (live) */
	bool live;             /* "now" is the later of packet and wall time (else packet time) */
	struct ns_pipeline_stage stage;
	uint32_t ring_size;    /* packets per worker ring (threaded) */
	uint32_t top_n;        /* flows each worker keeps in its top-N snapshot (0 = none) */
	struct ns_flow_params flow; /* per-shard table; sink and shard_id are set here */
	ns_pipeline_records_fn on_records;
	void *arg;
};

/* Counters of one worker; the worker writes them, readers take relaxed snapshots. */
struct ns_pipeline_worker_stats {
	uint64_t packets;   /* packets the worker processed */
	uint64_t ring_full; /* packets dropped because its ring was full (no back-pressure) */
	uint64_t bursts;    /* non-empty bursts */
	uint64_t burst_pkts; /* packets in those bursts: occupancy = burst_pkts / bursts */
	uint64_t oneside_tcp; /* ended TCP flows with packets in one direction only */
	uint64_t ended_tcp;   /* ended TCP flows */
	struct ns_flow_stats flow;
	struct ns_flow_mem mem;
};

struct ns_pipeline;

/** Create the shards (and threads). Returns NULL with errno set. */
struct ns_pipeline *ns_pipeline_create(const struct ns_pipeline_params *p);

/**
 * Hand @n parsed packets (with capture times) to their shards. Inline: processed now.
 * Threaded: copied to the owning worker's ring; with back-pressure this waits for room,
 * otherwise packets that find the ring full are dropped and counted. Returns packets accepted.
 */
unsigned ns_pipeline_submit(struct ns_pipeline *pl, const struct ns_pkt *pkts,
			    const uint64_t *ts_ns, unsigned n);

/**
 * Management step: deliver ended-flow records to on_records, and (inline) run the expiry
 * sweep at @now_ns. Call it every few bursts and when the source is idle. Returns the number
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
 * End of input: workers drain their rings, every flow is flushed (reason SHUTDOWN) and every
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
