/* SPDX-License-Identifier: MIT */
/*
 * The web dashboard: an h2o server on its own thread serving the embedded UI, a REST JSON API,
 * a server-sent-events live stream and Prometheus metrics. The capture side never waits for it:
 * it hands over copies (snapshots once a second, sampled packets, alerts) through h2o's
 * cross-thread message queue and a single-producer ring, and every request is answered from
 * those copies on the web thread, never from live tables.
 *
 * All ns_web_publish_* calls must come from one thread (the management / capture thread).
 */
#ifndef NS_WEB_H
#define NS_WEB_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ns_stats.h"

struct ns_flow_record; /* lib/flow: the flow record the flow export writes */

/*
 * Drop causes the dashboard and /metrics show, one counter each. Backends fill the ones they
 * know and leave the rest at 0. X(name, key, help): key is the JSON key and the metrics label.
 */
#define NS_WEB_DROPS(X)                                                                   \
	X(KERNEL, "kernel", "dropped by the kernel because the capture buffer was full")  \
	X(INTERFACE, "interface", "dropped by the network interface or its driver")       \
	X(NIC_MISSED, "nic_missed", "missed by the NIC for lack of a free RX descriptor") \
	X(NIC_NOMBUF, "nic_nombuf", "received but no packet buffer was free")             \
	X(RING_FULL, "ring_full", "reader-to-worker ring full")                           \
	X(FLOW_TABLE_FULL, "flow_table_full", "flow table full: untracked packet or evicted flow")

enum ns_web_drop {
#define NS_X(name, key, help) NS_WEB_DROP_##name,
	NS_WEB_DROPS(NS_X)
#undef NS_X
	NS_WEB_DROP_MAX
};

/** JSON key / metrics label of a drop cause ("kernel", ...), or NULL when out of range. */
const char *ns_web_drop_name(unsigned cause);

/* Longest interface or file name the dashboard shows; longer names are cut. */
#define NS_WEB_NAME_MAX 256

/**
 * Copy name @src into @dst (@len bytes, NUL included) as valid UTF-8, for JSON and metrics
 * labels: a byte that does not start a valid sequence (RFC 3629: no overlong form, surrogate or
 * code point past U+10FFFF) becomes '?', and the copy is cut at a character boundary.
 */
void ns_web_name_copy(char *dst, size_t len, const char *src);

/*
 * Inspector limits: the dashboard keeps copies of the last NS_WEB_PACKETS_DEFAULT sampled
 * packets, each cut to NS_WEB_PKT_BYTES. 512 bytes covers every header stack the parser
 * decodes (Ethernet + 8 VLAN tags + IPv6 with extension headers + TCP options) plus the start
 * of the payload, and 200 packets are ~100 KiB: enough to browse, small enough to ship as JSON.
 */
#define NS_WEB_PKT_BYTES 512
#define NS_WEB_PACKETS_DEFAULT 200
#define NS_WEB_ALERTS_DEFAULT 200
/* One hour of per-second points; the UI plots the last five minutes. */
#define NS_WEB_SERIES_DEFAULT 3600
/* Most flows a snapshot carries (the dashboard's top-flows table). */
#define NS_WEB_FLOWS_MAX 1000
/* Longest alert JSON object accepted. */
#define NS_WEB_ALERT_MAX 16384

struct ns_web_params {
	const char *listen; /* "[ADDR:]PORT", as web.listen */
	const char *token; /* bearer token the API requires; NULL or "" = none */
	bool allow_remote_without_token;
	uint32_t max_connections; /* concurrent connections; 0 = 64 */
	uint32_t max_request_kb; /* largest request (headers + body); 0 = 64 */
	uint32_t packet_history; /* inspector packets kept; 0 = NS_WEB_PACKETS_DEFAULT */
	uint32_t alert_history; /* alerts kept; 0 = NS_WEB_ALERTS_DEFAULT */
	uint32_t series_seconds; /* time-series points kept; 0 = NS_WEB_SERIES_DEFAULT */
	uint32_t stall_ms; /* a live client that takes nothing this long is cut; 0 = 30 s */
	/*
	 * CPUs the server thread may run on; NULL = the creating thread's. DPDK pins the main
	 * thread to its lcore, which may be capturing: give the process's starting set, so the
	 * server (SCHED_IDLE) runs wherever a core has time to spare.
	 */
	const cpu_set_t *cpus;
};

/* Counters of one worker (the single-threaded path is worker 0). */
struct ns_web_worker {
	uint64_t packets; /* packets the worker analysed */
	uint64_t drops; /* packets meant for it and lost (ring full, table full) */
	uint64_t flows_active; /* flows in its table now */
	uint64_t flows_created; /* flows it created */
};

/* One capture source: a live interface, a DPDK port or a file. */
struct ns_web_iface {
	char name[NS_WEB_NAME_MAX]; /* interface, PCI address / vdev, or file path */
	char kind[16]; /* "live", "file" or "dpdk" */
	int linktype; /* NS_LINK_* */
	uint32_t snaplen;
	uint64_t received; /* frames handed to the analysis (after the filter) */
	uint64_t filtered; /* frames the filter rejected, when the backend knows */
	uint64_t drops; /* frames this source lost, all causes */
	bool has_port_stats; /* the port block is valid (DPDK ethdev) */
	struct {
		uint64_t ipackets;
		uint64_t ibytes;
		uint64_t imissed;
		uint64_t ierrors;
		uint64_t rx_nombuf;
	} port;
};

/*
 * What the management side knows once a second. ns_web_publish_snapshot() copies it, arrays
 * included, so the caller may reuse every buffer as soon as the call returns.
 */
struct ns_web_snapshot {
	/*
	 * Timeline of the capture in ns since the epoch: packet time when reading a file (so a
	 * replay charts the capture's own seconds), wall time when capturing live. Per-second
	 * rates come from consecutive snapshots on this timeline; it should not go backwards
	 * (a snapshot that does only updates the totals).
	 */
	uint64_t ts_ns;
	uint64_t start_ts_ns; /* the timeline when the capture began (first packet of a file) */
	uint64_t uptime_ns; /* wall time since the capture began */
	char backend[16]; /* "pcap", "dpdk" */
	uint32_t workers;
	bool final; /* the source has ended: the last partial second is charted too */

	struct ns_pkt_counters totals;
	uint64_t drops[NS_WEB_DROP_MAX];
	uint64_t flows_active;
	uint64_t flows_capacity;

	const struct ns_web_worker *worker;
	uint32_t n_workers;
	const struct ns_web_iface *ifaces;
	uint32_t n_ifaces;
	/*
	 * Top flows by bytes, biggest first. has_flows false keeps the previous snapshot's list,
	 * so the producer may rank flows less often than it publishes counters.
	 */
	bool has_flows;
	const struct ns_flow_record *flows;
	uint32_t n_flows; /* at most NS_WEB_FLOWS_MAX; more are cut */
};

/* Health counters of the dashboard itself (also in /metrics). */
struct ns_web_stats {
	uint64_t requests;
	uint64_t snapshots; /* snapshots applied */
	uint64_t snapshots_dropped; /* the web thread was behind; the next one catches up */
	uint64_t packets; /* sampled packets received */
	uint64_t packets_dropped; /* packet ring full */
	uint64_t alerts;
	uint64_t alerts_dropped; /* invalid JSON, too long, or web thread behind */
	uint64_t connections_refused; /* over max_connections */
	uint64_t streams_cut; /* live clients cut off for not reading (stall_ms) */
};

struct ns_web;

/**
 * Bind the listening socket and start the server thread. A non-loopback address without a
 * token is refused unless allow_remote_without_token is set (then a warning is logged).
 * Returns NULL with errno set and a reason in @err (@errlen bytes), for example
 * "127.0.0.1:8080: Address already in use".
 */
struct ns_web *ns_web_create(const struct ns_web_params *p, char *err, size_t errlen);

/**
 * Write the dashboard's URL ("http://127.0.0.1:8080/", "http://[::1]:8080/") into @buf.
 * Returns @buf.
 */
char *ns_web_url(const struct ns_web *web, char *buf, size_t len);

/**
 * Hand a copy of @s to the web thread. Never blocks. Returns 0, or -EAGAIN when the web thread
 * still has unread snapshots queued (this one is dropped and counted; the next carries the
 * totals anyway), or -ENOMEM.
 */
int ns_web_publish_snapshot(struct ns_web *web, const struct ns_web_snapshot *s);

/**
 * Offer one sampled packet to the inspector: the first NS_WEB_PKT_BYTES of @data are copied
 * into a ring; the web thread decodes it when asked. Never blocks or allocates. Returns 0 or
 * -ENOBUFS when the ring is full (counted).
 */
int ns_web_publish_packet(struct ns_web *web, uint64_t ts_ns, int linktype, const uint8_t *data,
			  uint32_t caplen, uint32_t wirelen);

/**
 * Publish one alert as a JSON object (the alerts JSONL record, @len bytes, not necessarily
 * NUL-terminated). It is checked and stored on the web thread, shown newest first and pushed
 * to live clients. Never blocks. Returns 0, -EINVAL when longer than NS_WEB_ALERT_MAX, -EAGAIN
 * when the web thread is behind, or -ENOMEM.
 */
int ns_web_publish_alert(struct ns_web *web, const char *json, size_t len);

/** Read the dashboard's own counters (relaxed; from any thread). */
void ns_web_get_stats(const struct ns_web *web, struct ns_web_stats *st);

/** Stop the server thread, close every connection and free everything. Accepts NULL. */
void ns_web_destroy(struct ns_web *web);

#endif /* NS_WEB_H */
