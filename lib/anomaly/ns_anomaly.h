/* SPDX-License-Identifier: MIT */
/*
 * SYN-flood and port-scan detection, split the way the pipeline is: each worker owns one
 * shard that counts what it sees in fixed time slots (bounded tables, no malloc, no locks, no
 * syscalls on the packet path) and hands every finished slot to the management thread over an
 * SPSC ring; the management thread's engine merges the slots of all shards, slides the
 * detection windows over them and runs the alert life cycle (raised, update, cleared). Time is
 * packet time throughout, so a capture file replays to the same alerts every run, and the
 * merge is exact, so a flood spread over all workers is still one alert.
 */
#ifndef NS_ANOMALY_H
#define NS_ANOMALY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ns_proto.h"

/*
 * Thresholds and sizes. The first block mirrors struct ns_config_anomaly (the caller copies it
 * over); the second block has no config key yet and 0 there selects the default below.
 */
struct ns_anomaly_params {
	double syn_rate; /* SYN/s over the window that must be exceeded (> rate) */
	double syn_ratio; /* completed handshakes per SYN that must not be reached (< ratio) */
	uint32_t syn_window_s; /* SYN-flood window, s */
	uint32_t scan_ports; /* distinct ports on one host that make a vertical scan (>=) */
	uint32_t scan_hosts; /* distinct hosts on one port that make a horizontal scan (>=) */
	uint32_t scan_window_s; /* port-scan window, s */
	uint32_t max_sources; /* keys per slot table, in each shard and in the engine */
	uint32_t clear_after_s; /* quiet seconds before an alert is cleared */

	uint32_t shards; /* shards that will attach to one engine (default 1) */
	uint32_t no_answer_ms; /* a probe without any answer counts as failed after this (3000) */
	uint32_t max_alerts; /* active alerts, and the recent-alert list length (256) */
	uint32_t lateness_ms; /* how long the engine waits for a silent shard (2000) */
};

/* Defaults of the first block; the same values as the config schema's. */
#define NS_ANOMALY_DEF_SYN_RATE 200.0
#define NS_ANOMALY_DEF_SYN_RATIO 0.5
#define NS_ANOMALY_DEF_SYN_WINDOW_S 5
#define NS_ANOMALY_DEF_SCAN_PORTS 50
#define NS_ANOMALY_DEF_SCAN_HOSTS 50
#define NS_ANOMALY_DEF_SCAN_WINDOW_S 10
#define NS_ANOMALY_DEF_MAX_SOURCES 65536
#define NS_ANOMALY_DEF_CLEAR_AFTER_S 10

/*
 * A window slides in NS_ANOMALY_SLOTS steps: a 5 s SYN window is evaluated every second over
 * the last five 1 s slots. Five keeps detection latency at a fifth of the window while the
 * engine stores only five slot summaries per key.
 */
#define NS_ANOMALY_SLOTS 5

/** Fill @p with every default (all fields, including the second block). */
void ns_anomaly_params_init(struct ns_anomaly_params *p);

/* ---- alerts ---- */

enum ns_anomaly_signature {
	NS_ANOMALY_SYN_FLOOD = 0,
	NS_ANOMALY_PORT_SCAN,
	NS_ANOMALY_SIGNATURE_MAX
};

enum ns_anomaly_state {
	NS_ANOMALY_RAISED = 0,
	NS_ANOMALY_UPDATE,
	NS_ANOMALY_CLEARED,
};

enum ns_anomaly_severity {
	NS_ANOMALY_SEV_LOW = 0,
	NS_ANOMALY_SEV_MEDIUM,
	NS_ANOMALY_SEV_HIGH,
};

/* Whose behaviour the alert is keyed on. */
enum ns_anomaly_role {
	NS_ANOMALY_ROLE_VICTIM = 0, /* syn_flood on a destination (catches spoofed floods) */
	NS_ANOMALY_ROLE_ATTACKER, /* syn_flood from one source towards many targets */
	NS_ANOMALY_ROLE_SCANNER, /* port_scan from one source */
};

enum ns_anomaly_clear_reason {
	NS_ANOMALY_CLEAR_NONE = 0,
	NS_ANOMALY_CLEAR_QUIET, /* clear_after seconds without the condition */
	NS_ANOMALY_CLEAR_END, /* the input ended while the alert was active */
};

/* Port-scan shapes (bits). */
#define NS_ANOMALY_SCAN_VERTICAL 0x1 /* many ports on one host */
#define NS_ANOMALY_SCAN_HORIZONTAL 0x2 /* one port on many hosts */

/* Why probes counted as failed (port_scan details). */
enum ns_anomaly_fail {
	NS_ANOMALY_FAIL_RST = 0, /* SYN answered by RST (closed port) */
	NS_ANOMALY_FAIL_UNREACH, /* ICMP/ICMPv6 destination unreachable */
	NS_ANOMALY_FAIL_NO_ANSWER, /* nothing came back within no_answer_ms */
	NS_ANOMALY_FAIL_HALF_OPEN, /* SYN-ACK came back, the prober reset or never completed */
	NS_ANOMALY_FAIL_MAX
};

#define NS_ANOMALY_TOP 5 /* entries in each top list */
#define NS_ANOMALY_SAMPLE 16 /* ports / hosts in a scan sample */

struct ns_anomaly_top {
	struct ns_addr addr; /* for address lists */
	uint16_t port; /* for port lists */
	uint64_t count; /* SYNs */
};

struct ns_anomaly_syn_info {
	double rate; /* SYN/s over the window at this event */
	double peak_rate; /* highest window rate while the alert lasted */
	double ratio; /* completed / SYN over the window (capped at 1) */
	uint64_t window_syns; /* SYNs in the window */
	uint64_t window_done; /* completed handshakes in the window */
	uint64_t total_syns; /* SYNs counted since the alert was raised (window at raise incl.) */
	uint64_t total_done;
	uint32_t peers; /* most distinct sources (victim) / victims (attacker) in a slot */
	uint32_t ports; /* most distinct destination ports in a slot */
	uint8_t n_top_peers, n_top_ports;
	struct ns_anomaly_top top_peers[NS_ANOMALY_TOP]; /* sources (victim) / victims (attacker) */
	struct ns_anomaly_top top_ports[NS_ANOMALY_TOP];
	double thr_rate, thr_ratio; /* thresholds in force */
};

struct ns_anomaly_scan_info {
	uint8_t proto; /* 6 TCP, 17 UDP */
	uint8_t shape; /* NS_ANOMALY_SCAN_* bits that passed a threshold */
	uint32_t ports; /* most distinct ports on one host (vertical) in the window */
	uint32_t hosts; /* most distinct hosts on one port (horizontal) in the window */
	uint32_t peak_ports, peak_hosts;
	uint32_t probes; /* distinct failed probes (host, port) in the window */
	uint32_t distinct_ports;
	uint32_t distinct_hosts;
	double probe_rate; /* failed probes per second over the window */
	uint64_t fails[NS_ANOMALY_FAIL_MAX]; /* failed probes in the window by reason */
	uint16_t top_port; /* the port of the horizontal maximum */
	uint8_t n_sample_ports, n_sample_hosts;
	uint16_t sample_ports[NS_ANOMALY_SAMPLE]; /* lowest ports probed on the target host */
	struct ns_addr sample_hosts[NS_ANOMALY_SAMPLE]; /* lowest hosts probed on top_port */
	uint32_t thr_ports, thr_hosts;
};

/*
 * One alert event, self-contained (a copy): the dashboard's list, the terminal line and the
 * JSONL record are all made from it. src/dst are set where one address stands out: the
 * attacker of a single-source flood, the victim, the scanner and its one target.
 */
struct ns_anomaly_alert {
	uint64_t id; /* 1, 2, ... per engine; the same for every event of one alert */
	uint64_t ts_ns; /* when this event happened (packet time: end of the deciding slot) */
	uint64_t first_ns; /* when the alert was raised */
	uint64_t last_active_ns; /* end of the last slot in which the condition held */
	uint64_t window_ns;
	uint32_t updates; /* update events so far */
	uint8_t signature; /* enum ns_anomaly_signature */
	uint8_t state; /* enum ns_anomaly_state */
	uint8_t severity; /* enum ns_anomaly_severity */
	uint8_t role; /* enum ns_anomaly_role */
	uint8_t clear_reason; /* enum ns_anomaly_clear_reason (cleared events) */
	bool has_src, has_dst, has_port;
	struct ns_addr src, dst;
	uint16_t dst_port;
	struct ns_anomaly_syn_info syn; /* signature == NS_ANOMALY_SYN_FLOOD */
	struct ns_anomaly_scan_info scan; /* signature == NS_ANOMALY_PORT_SCAN */
};

/** "syn_flood", "port_scan". */
const char *ns_anomaly_signature_name(unsigned sig);

/** "raised", "update", "cleared". */
const char *ns_anomaly_state_name(unsigned state);

/** "low", "medium", "high". */
const char *ns_anomaly_severity_name(unsigned sev);

/** "victim", "attacker", "scanner". */
const char *ns_anomaly_role_name(unsigned role);

/** "rejected", "unreachable", "no_answer", "half_open". */
const char *ns_anomaly_fail_name(unsigned fail);

/** "quiet", "end_of_input" ("" for none). */
const char *ns_anomaly_clear_reason_name(unsigned reason);

/**
 * Format the one-line terminal text of an alert event (with its HH:MM:SS.micro time, no
 * newline). Returns the length written (snprintf semantics).
 */
int ns_anomaly_alert_format(const struct ns_anomaly_alert *a, char *buf, size_t len);

/* ---- counters ---- */

/*
 * Shard counters (a worker writes, the engine sums) then engine counters. Names print as
 * "anomaly_<name>". The *_full counters are the caps being hit: state that could not be kept.
 */
#define NS_ANOMALY_COUNTERS(X)                                                                   \
	X(PACKETS, "packets", "packets observed")                                                \
	X(SYNS, "syns", "TCP SYNs (without ACK)")                                                \
	X(COMPLETED, "completed", "handshakes completed (third ACK matched)")                    \
	X(FAILED_PROBES, "failed_probes", "probes that failed (RST, unreachable, no answer)")    \
	X(SLOT_TABLE_FULL, "slot_table_full", "SYN keys not tracked: shard slot table full")     \
	X(OVERFLOW_FULL, "overflow_full",                                                        \
	  "SYNs/completions not counted: shard slot table and its overflow keys full")           \
	X(PROBE_TABLE_FULL, "probe_table_full", "failed probes not tracked: shard table full")   \
	X(PENDING_FULL, "pending_full", "pending handshakes/probes evicted: pending table full") \
	X(HANDOFF_STALLED, "handoff_stalled", "slots merged in a shard: no free table")          \
	X(COUNTS_DROPPED, "counts_dropped",                                                      \
	  "SYNs/probes not counted: no table after a final hand-off")                            \
	X(TIME_OUTLIERS, "time_outliers",                                                        \
	  "packets a window or more off the clock, not confirmed: counted in the open slot")     \
	X(TIME_JUMPS, "time_jumps", "clock moved forward more than a window (confirmed)")        \
	X(MERGE_FULL, "merge_full", "keys lost merging shards: engine table full")               \
	X(HOSTS_FULL, "hosts_full", "hosts not evaluated: engine host table full")               \
	X(WINDOW_FULL, "window_full", "failed probes not kept in the scan window: table full")   \
	X(LATE_SLOTS, "late_slots", "shard slots that arrived after their slot was evaluated")   \
	X(FORCED_SLOTS, "forced_slots", "slots evaluated without waiting for a silent shard")    \
	X(LATE_SYNS_DROPPED, "late_syns_dropped",                                                \
	  "SYNs of late slots older than every window still to evaluate: never judged")          \
	X(ALERTS_CAPPED, "alerts_capped", "alerts not raised: max_alerts active")                \
	X(EVENTS_DROPPED, "events_dropped", "alert events lost: the caller did not poll")        \
	X(RAISED, "raised", "alerts raised")                                                     \
	X(CLEARED, "cleared", "alerts cleared")

enum ns_anomaly_counter {
#define NS_X(name, str, help) NS_ANOMALY_C_##name,
	NS_ANOMALY_COUNTERS(NS_X)
#undef NS_X
		NS_ANOMALY_C_MAX
};

struct ns_anomaly_stats {
	uint64_t c[NS_ANOMALY_C_MAX];
	uint32_t active; /* alerts active now */
};

/** Counter name without the "anomaly_" prefix ("syns", "slot_table_full", ...). */
const char *ns_anomaly_counter_name(unsigned idx);

/** One-line description of a counter. */
const char *ns_anomaly_counter_help(unsigned idx);

/* ---- worker side ---- */

struct ns_anomaly_shard;

/**
 * Create a shard: its per-slot tables, pending-handshake table and the rings to the engine,
 * all sized from @p (max_sources). Returns NULL with errno set (EINVAL for bad params).
 */
struct ns_anomaly_shard *ns_anomaly_shard_create(const struct ns_anomaly_params *p);

/**
 * Destroy a shard. Accepts NULL. Destroy the engine it is attached to first: tables the engine
 * still holds belong to the shard.
 */
void ns_anomaly_shard_destroy(struct ns_anomaly_shard *s);

/**
 * Count a burst of parsed packets with their timestamps (ns, packet time). Hot path: no
 * allocation, lock or syscall. Crossing a slot boundary hands the finished slot to the engine.
 * Packets older than the shard's clock count in the current slot. A packet more than a
 * detection window away from the clock moves it only when the next packet is near it too (a
 * real jump ahead); otherwise it counts in the current slot (time_outliers). Returns how many
 * packets were counted (every IPv4/IPv6 packet; others are skipped).
 */
uint32_t ns_anomaly_shard_observe_burst(struct ns_anomaly_shard *s,
					const struct ns_pkt *const *pkts, const uint64_t *ts_ns,
					uint32_t n);

/**
 * Move the shard's clock to @now_ns without a packet (an idle worker calls this from its
 * housekeeping), so its finished slots reach the engine. Never moves the clock backwards.
 */
void ns_anomaly_shard_advance(struct ns_anomaly_shard *s, uint64_t now_ns);

/**
 * End of input: hand the partly filled current slots to the engine. Call once, from the
 * worker, before ns_anomaly_engine_finish().
 */
void ns_anomaly_shard_flush(struct ns_anomaly_shard *s);

/** The shard's clock: the latest packet or advance time (0 before the first). */
uint64_t ns_anomaly_shard_now(const struct ns_anomaly_shard *s);

/* ---- management side ---- */

struct ns_anomaly_engine;

/**
 * Create the engine that merges shards and decides. Tables are sized for params.shards
 * shards of params.max_sources keys. Returns NULL with errno set.
 */
struct ns_anomaly_engine *ns_anomaly_engine_create(const struct ns_anomaly_params *p);

/** Destroy the engine. Accepts NULL. */
void ns_anomaly_engine_destroy(struct ns_anomaly_engine *e);

/**
 * Attach a shard (before its worker starts). The engine becomes the only consumer of the
 * shard's rings. Returns 0, -ENOSPC past params.shards, -EBUSY if the shard is attached.
 */
int ns_anomaly_engine_attach(struct ns_anomaly_engine *e, struct ns_anomaly_shard *s);

/**
 * Management tick: receive finished slots from every shard, evaluate each slot once all
 * shards have finished it (or once @now_ns is lateness_ms past its end), and queue alert
 * events. @now_ns is packet time (the latest timestamp the caller has seen). Returns the number
 * of events queued by this call.
 */
unsigned ns_anomaly_engine_tick(struct ns_anomaly_engine *e, uint64_t now_ns);

/**
 * End of input (after every shard's ns_anomaly_shard_flush()): evaluate everything left and
 * clear the alerts still active with reason "end_of_input" at @now_ns. Returns events queued.
 */
unsigned ns_anomaly_engine_finish(struct ns_anomaly_engine *e, uint64_t now_ns);

/**
 * Take up to @n queued events (oldest first) into @out. Returns how many were copied. Poll
 * after every tick: past max_alerts * 4 queued events the oldest are dropped and counted.
 */
unsigned ns_anomaly_engine_poll(struct ns_anomaly_engine *e, struct ns_anomaly_alert *out,
				unsigned n);

/**
 * The recent-alert list for the dashboard: the latest state of up to @n alerts, newest
 * first, active and cleared (bounded by max_alerts). Returns how many were copied.
 */
unsigned ns_anomaly_engine_alerts(const struct ns_anomaly_engine *e, struct ns_anomaly_alert *out,
				  unsigned n);

/** Sum the engine's and every attached shard's counters into @st. */
void ns_anomaly_engine_stats(const struct ns_anomaly_engine *e, struct ns_anomaly_stats *st);

#endif /* NS_ANOMALY_H */
