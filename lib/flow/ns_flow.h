/* SPDX-License-Identifier: MIT */
/*
 * Flow tracking: one table per shard (one writer thread, no locks), preallocated at create.
 * Parsed packets go in by bursts; each lands in a bidirectional flow keyed by the canonical
 * 5-tuple (+ outer VLAN id). TCP flows carry a state machine, Zeek's conn_state, handshake and
 * running RTT, and tshark 4.0's sequence analysis (retransmission, fast and spurious
 * retransmission, out-of-order, lost segment, duplicate ACK). A flow that ends (idle timeout,
 * TCP close, eviction, port reuse, shutdown), or reaches its active timeout, is handed to the
 * caller's sink as one fixed-size struct ns_flow_record. Every counted packet ends up in exactly
 * one record. docs/flow-tracking.md describes the design and every definition.
 */
#ifndef NS_FLOW_H
#define NS_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ns_proto.h"

/* Most packets processed in one pipeline pass; longer bursts are cut into passes of this size. */
#define NS_FLOW_BURST 32

/* Record indexes are 24 bits wide in the buckets (flow-tracking.md, "Memory"). */
#define NS_FLOW_CAPACITY_MAX ((1u << 24) - 1)
#define NS_FLOW_CAPACITY_DEFAULT (1u << 20)

/* Directions in a record: [0] from the initiator (src) to the responder, [1] back. */
#define NS_FLOW_TOSERVER 0
#define NS_FLOW_TOCLIENT 1

/*
 * Why a record was emitted. Interim records (ACTIVE, OVERFLOW) leave the flow in the table;
 * LIVE marks the snapshots ns_flow_table_top_n() returns, never an emitted record.
 */
#define NS_FLOW_END_REASONS(X)  \
	X(IDLE, "idle")         \
	X(CLOSED, "closed")     \
	X(ACTIVE, "active")     \
	X(OVERFLOW, "overflow") \
	X(EVICTED, "evicted")   \
	X(REUSED, "reused")     \
	X(SHUTDOWN, "shutdown") \
	X(LIVE, "live")

enum ns_flow_end {
#define NS_X(name, str) NS_FLOW_END_##name,
	NS_FLOW_END_REASONS(NS_X)
#undef NS_X
		NS_FLOW_END_MAX
};

/* TCP state machine of a flow (NONE for other protocols). */
#define NS_FLOW_TCP_STATES(X)           \
	X(NONE, "none")                 \
	X(SYN_SENT, "syn_sent")         \
	X(SYN_RECEIVED, "syn_received") \
	X(ESTABLISHED, "established")   \
	X(FIN_WAIT, "fin_wait")         \
	X(CLOSING, "closing")           \
	X(CLOSED, "closed")             \
	X(RESET, "reset")               \
	X(MIDSTREAM, "midstream")

enum ns_flow_tcp_state {
#define NS_X(name, str) NS_FLOW_TCP_##name,
	NS_FLOW_TCP_STATES(NS_X)
#undef NS_X
		NS_FLOW_TCP_STATE_MAX
};

/* Zeek conn.log conn_state codes (TCP flows; NONE for other protocols). */
#define NS_FLOW_CONN_STATES(X) \
	X(NONE, "")            \
	X(S0, "S0")            \
	X(S1, "S1")            \
	X(SF, "SF")            \
	X(REJ, "REJ")          \
	X(S2, "S2")            \
	X(S3, "S3")            \
	X(RSTO, "RSTO")        \
	X(RSTR, "RSTR")        \
	X(RSTOS0, "RSTOS0")    \
	X(RSTRH, "RSTRH")      \
	X(SH, "SH")            \
	X(SHR, "SHR")          \
	X(OTH, "OTH")

enum ns_flow_conn_state {
#define NS_X(name, str) NS_FLOW_CONN_##name,
	NS_FLOW_CONN_STATES(NS_X)
#undef NS_X
		NS_FLOW_CONN_STATE_MAX
};

/* Packets that reach no flow, by reason (table counters untracked[]). */
#define NS_FLOW_UNTRACKED_REASONS(X)                                 \
	X(NOT_IP, "no IP layer with addresses")                      \
	X(REFUSED, "table full and sink refused the evicted record") \
	X(NO_SLOT, "table full and no victim could be chosen")

enum ns_flow_untracked {
#define NS_X(name, str) NS_FLOW_UNTRACKED_##name,
	NS_FLOW_UNTRACKED_REASONS(NS_X)
#undef NS_X
		NS_FLOW_UNTRACKED_MAX
};

/* TCP segments counted in a flow but left out of the sequence analysis (tcp-analysis.md §1). */
#define NS_FLOW_TCP_SKIP_REASONS(X) \
	X(FRAGMENT, "IP fragment")  \
	X(HEADER, "TCP header cut short or invalid")

enum ns_flow_tcp_skip {
#define NS_X(name, str) NS_FLOW_TCP_SKIP_##name,
	NS_FLOW_TCP_SKIP_REASONS(NS_X)
#undef NS_X
		NS_FLOW_TCP_SKIP_MAX
};

/* ns_flow_record.flags */
#define NS_FLOW_REC_INTERIM 0x01 /* the flow stays in the table (end reason ACTIVE/OVERFLOW) */
#define NS_FLOW_REC_MIDSTREAM 0x02 /* TCP: no handshake seen at the start */
#define NS_FLOW_REC_IRTT 0x04 /* rtt_handshake_us is known */
#define NS_FLOW_REC_SYNACK 0x08 /* rtt_syn_synack_us / rtt_synack_ack_us are known */
#define NS_FLOW_REC_ICMP_ECHO 0x10 /* ICMP echo flow: icmp_id is the echo identifier */
#define NS_FLOW_REC_ICMP_QUOTE 0x20 /* ICMP errors about the TCP/UDP flow whose ports these are */

/*
 * One flow record: a self-contained copy, fixed size, no pointers, the single structure every
 * exporter maps (JSON/CSV now, IPFIX later) and the element of the worker -> management ring.
 * Counters cover the packets since the previous record of the same flow_id (interim records
 * make them deltas); state fields describe the flow when the record was made.
 */
struct ns_flow_record {
	uint64_t flow_id; /* unique per table: shard id in the top 8 bits, creation count below */
	uint64_t first_ns; /* first packet of the flow (same in every record of the flow) */
	uint64_t last_ns; /* last packet counted, microsecond precision */

	struct ns_addr src; /* initiator (client); IPv4 mapped ::ffff:a.b.c.d */
	struct ns_addr dst; /* responder (server) */
	uint16_t src_port; /* 0 for protocols without ports (fragments, other, ICMP unless
			    * NS_FLOW_REC_ICMP_QUOTE: errors keyed by the ports they quote) */
	uint16_t dst_port;
	uint16_t vlan; /* outer VLAN id when the table keys on VLAN, else 0 */
	uint8_t proto; /* IP protocol number */
	uint8_t ip_version; /* 4 or 6 */

	uint8_t end_reason; /* enum ns_flow_end */
	uint8_t tcp_state; /* enum ns_flow_tcp_state */
	uint8_t conn_state; /* enum ns_flow_conn_state */
	uint8_t flags; /* NS_FLOW_REC_* */
	uint8_t icmp_type; /* ICMP/ICMPv6: type of the first packet */
	uint8_t icmp_code;
	uint16_t icmp_id; /* echo identifier (NS_FLOW_REC_ICMP_ECHO) */

	uint64_t pkts[2]; /* [NS_FLOW_TOSERVER], [NS_FLOW_TOCLIENT] */
	uint64_t bytes[2]; /* frame length on the wire */

	/* TCP only (zero otherwise) */
	uint8_t tcp_flags[2]; /* OR of the TCP flags seen per direction */
	uint16_t pad0;
	uint32_t rtt_handshake_us; /* tshark tcp.analysis.initial_rtt (NS_FLOW_REC_IRTT) */
	/* most recent SYN -> latest SYN/ACK before the handshake's ACK, so the two halves add
	 * up to rtt_handshake_us (tshark's ack_rtt takes the first SYN/ACK: the same unless it
	 * was retransmitted) (NS_FLOW_REC_SYNACK) */
	uint32_t rtt_syn_synack_us;
	uint32_t rtt_synack_ack_us; /* that SYN/ACK -> handshake ACK */
	uint32_t rtt_min_us; /* running data/ACK samples; valid when rtt_samples > 0 */
	uint32_t rtt_avg_us;
	uint32_t rtt_max_us;
	uint32_t rtt_samples;
	uint32_t retrans[2]; /* tshark retransmission, which includes fast and spurious */
	uint32_t fast_retrans; /* both directions */
	uint32_t spurious_retrans;
	uint32_t ooo[2]; /* out-of-order */
	uint32_t lost[2]; /* previous segment not captured */
	uint32_t dupack[2]; /* duplicate ACKs sent in that direction */
	uint32_t zero_window; /* both directions */
	uint32_t rst[2]; /* RST segments */
};

/**
 * Where records go. Called from ns_flow_table_process_burst(), _housekeeping(), _flush() and
 * (on a deferred table, which applies its pending packets first) _top_n() with up to 64
 * records. Returns how many it took, in order; records it did not take stay queued in the
 * table and are offered again on the next call (the flows they describe are not lost, see
 * flow-tracking.md "Emission"). One case waits for the sink instead: packet time more than two
 * days past the table's clock ends every flow before that packet counts, and the call that
 * applies the packet (or a housekeeping call that moves the clock as far) offers the records
 * until the sink has taken them all, yielding the CPU between tries. A sink must therefore
 * take records again eventually, as the pipeline's management thread does by draining.
 */
typedef unsigned (*ns_flow_sink_fn)(void *arg, const struct ns_flow_record *recs, unsigned n);

/*
 * Whether ns_flow_table_process_burst() leaves its last pass pending (ns_flow_params.defer).
 * A pending pass reads the pkts[] and ts_ns[] entries it was given (their fields, never the
 * frame behind .data) when it is applied: by the next _process_burst() with n > 0,
 * _housekeeping(), _flush() or _top_n(); _stats() and _memory() leave it pending.
 * DEFER_COPY copies them when the call returns (4.5 KB more in the table, copied at every
 * call); DEFER_KEPT is the caller's promise to leave each call's arrays unchanged until one
 * of those calls, so nothing is copied.
 */
enum ns_flow_defer {
	NS_FLOW_DEFER_OFF = 0,
	NS_FLOW_DEFER_COPY,
	NS_FLOW_DEFER_KEPT,
};

/* Table parameters. Timeouts in seconds; 0 takes the default named in the comment. */
struct ns_flow_params {
	uint32_t capacity; /* at least this many flows (NS_FLOW_CAPACITY_DEFAULT) */
	bool key_vlan; /* outer VLAN id is part of the key (true) */
	uint8_t shard_id; /* top byte of every flow_id */
	uint32_t tcp_syn_timeout; /* handshake not completed (10) */
	uint32_t tcp_established_timeout; /* established or midstream (300) */
	uint32_t tcp_fin_timeout; /* one side sent FIN (30) */
	uint32_t tcp_closed_timeout; /* both FINs, or RST (2) */
	uint32_t udp_timeout; /* (60) */
	uint32_t icmp_timeout; /* (30) */
	uint32_t other_timeout; /* (30) */
	uint32_t active_timeout; /* interim record every N seconds of a flow's life (1800) */
	uint32_t top_n_max; /* largest N ns_flow_table_top_n() accepts (1024) */
	uint64_t seed; /* hash seed; 0 draws a random one */
	bool hugepages; /* try 2 MB pages for the table (true) */
	/* ns_flow_table_process_burst() may leave its last 32 packets pending until the next
	 * call to _process_burst(), _housekeeping(), _flush() or _top_n(), so their cache misses
	 * overlap the caller's next receive and parse; every counter then lags by up to those 32
	 * packets (enum ns_flow_defer; NS_FLOW_DEFER_OFF) */
	enum ns_flow_defer defer;
	ns_flow_sink_fn sink; /* required */
	void *sink_arg;
};

/* Range of every timeout, in seconds (flow times are 40-bit microseconds, see flow_priv.h). */
#define NS_FLOW_TIMEOUT_MAX 86400u

/* Per-table counters; the table's thread writes them, any thread may read a snapshot. */
struct ns_flow_stats {
	uint64_t packets; /* packets offered */
	uint64_t tracked; /* packets counted in a flow */
	uint64_t untracked[NS_FLOW_UNTRACKED_MAX];
	uint64_t tcp_skipped[NS_FLOW_TCP_SKIP_MAX];
	uint64_t created; /* flows created (a port-reuse split creates one) */
	uint64_t ended[NS_FLOW_END_MAX]; /* flows ended, by reason (no interim reasons) */
	uint64_t interim[NS_FLOW_END_MAX]; /* interim records, by reason (ACTIVE, OVERFLOW) */
	uint64_t active; /* flows in the table now */
	uint64_t table_full; /* creations that found no free record or slot */
	uint64_t evict_full; /* evictions because every record was in use */
	uint64_t
		evict_collision; /* evictions because both buckets stayed full after displacement */
	uint64_t cuckoo_moves; /* entries displaced to their alternate bucket */
	uint64_t records; /* records the sink took (final + interim) */
	uint64_t records_queued; /* records waiting for the sink */
	uint64_t expire_deferred; /* expiries postponed because the sink queue was full */
	uint64_t queue_full; /* packet-path records that found the queue full: port reuse
			      * not split, eviction refused, or a counter left saturated */
	uint64_t emergency_enter; /* switches to emergency timeouts (occupancy > 95%) */
	uint64_t sweeps; /* completed sweep passes */
	uint64_t time_jumps; /* the clock (packet time, or a housekeeping call's time) jumped more
			      * than two days with flows live: all ended idle */
};

/* Memory report of a table. */
struct ns_flow_mem {
	size_t bytes; /* everything the table allocated (records, buckets, queues) */
	size_t record_bytes; /* sizeof one flow record slot */
	size_t bucket_bytes; /* all buckets */
	uint32_t capacity; /* flows the table holds: params.capacity or more */
	uint32_t buckets;
	double bytes_per_flow; /* bytes / capacity */
	bool hugepages; /* records and buckets sit on MAP_HUGETLB pages */
};

struct ns_flow_table;

/** Fill @p with the defaults (the values in struct ns_flow_params' comments). */
void ns_flow_params_default(struct ns_flow_params *p);

/**
 * Create a table. Allocates all memory now; nothing is allocated per packet. Returns NULL with
 * errno set: EINVAL for a bad parameter (capacity beyond NS_FLOW_CAPACITY_MAX, no sink,
 * timeouts out of range), ENOMEM when memory is short.
 */
struct ns_flow_table *ns_flow_table_create(const struct ns_flow_params *p);

/** Free a table without emitting its flows (call ns_flow_table_flush() first). Accepts NULL. */
void ns_flow_table_destroy(struct ns_flow_table *t);

/**
 * Account @n parsed packets, @ts_ns[i] the capture time of @pkts[i] (ns since the epoch); the
 * byte counters use pkts[i].wirelen. Packets are applied in order. When a TCP/UDP header was
 * cut short, the ports are read from pkts[i].data, which must still hold the frame (during
 * this call only: the key is made before it returns, deferred or not). Returns how many of the
 * packets this call applied were counted in a flow (with params.defer, up to the last 32 are
 * applied by the next call into the table instead); the others are in the untracked counters.
 */
unsigned ns_flow_table_process_burst(struct ns_flow_table *t, const struct ns_pkt *pkts,
				     const uint64_t *ts_ns, unsigned n);

/**
 * Advance the expiry sweep by up to @budget records at time @now_ns (packet time; the table
 * never goes back in time), emitting idle, closed and active-timeout records, and offer queued
 * records to the sink. Returns the number of flows that ended.
 */
unsigned ns_flow_table_housekeeping(struct ns_flow_table *t, uint64_t now_ns, unsigned budget);

/**
 * End every flow and hand all records to the sink: a flow idle past its timeout at the table's
 * clock (the latest packet or housekeeping time) ends IDLE (CLOSED for a closed TCP flow), as
 * the sweep would have ended it; the others end SHUTDOWN. The end reason thus depends on packet
 * times only. Returns 0, or -EAGAIN when the sink did not take everything (call again).
 */
int ns_flow_table_flush(struct ns_flow_table *t);

/**
 * Copy the @n live flows with the most bytes (both directions, since their last record) into
 * @out, largest first. A full scan with a bounded heap; call from the table's thread. Returns
 * the number written (at most @n, at most params.top_n_max).
 */
unsigned ns_flow_table_top_n(struct ns_flow_table *t, struct ns_flow_record *out, unsigned n);

/** Snapshot of the counters (relaxed loads; safe from another thread). */
void ns_flow_table_stats(const struct ns_flow_table *t, struct ns_flow_stats *out);

/** Memory the table uses. */
void ns_flow_table_memory(const struct ns_flow_table *t, struct ns_flow_mem *out);

/**
 * Flows a table created with params.capacity = @capacity holds (0: the default): @capacity,
 * or more when the table spans several 2 MB pages, whose last page it then fills with records.
 */
uint32_t ns_flow_table_capacity_for(uint32_t capacity);

/**
 * Bytes one table created with @capacity (and params.defer = @defer) allocates: the same
 * figure ns_flow_table_memory() reports for it.
 */
size_t ns_flow_table_memory_for(uint32_t capacity, enum ns_flow_defer defer);

/** "idle", "closed", ... ; "?" when out of range. */
const char *ns_flow_end_name(unsigned reason);

/** "established", ... */
const char *ns_flow_tcp_state_name(unsigned state);

/** "SF", "REJ", ... ; "" for NONE. */
const char *ns_flow_conn_state_name(unsigned state);

/** Text of an untracked reason. */
const char *ns_flow_untracked_name(unsigned reason);

/** "tcp", "udp", "icmp", "icmpv6", or NULL for other protocols. */
const char *ns_flow_proto_name(uint8_t proto);

/** Format TCP flag bits as letters in bit order "FSRPAUEC" ("" when none) into @buf (>= 9). */
char *ns_flow_tcp_flags_str(uint8_t flags, char *buf, size_t len);

#endif /* NS_FLOW_H */
