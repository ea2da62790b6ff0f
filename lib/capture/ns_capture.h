/* SPDX-License-Identifier: MIT */
/*
 * Capture backends behind one interface: open a source, receive frames in bursts, read
 * counters, close. The pcap backend (live interface or file, BPF filter) is always built; the
 * DPDK backend (ports named by PCI address or vdev string, one RX queue per worker) is a
 * separate file meson adds when DPDK is found. A handle has one or more RX queues: a
 * single-threaded caller uses ns_capture_rx_burst() over all of them, a worker per queue uses
 * ns_capture_rx_burst_queue() on its own queue; one handle uses one style or the other.
 */
#ifndef NS_CAPTURE_H
#define NS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ns_config.h" /* enum ns_backend_kind */
#include "ns_proto.h" /* struct ns_frame: what rx_burst fills and ns_parse_burst() reads */

#define NS_CAPTURE_ERRBUF 512

/*
 * A received frame is a struct ns_frame (ns_proto.h). Its data stays valid until the next
 * rx_burst (or close) on the handle; a classic pcap file read in place (driver "mmap") keeps it
 * valid until close.
 */

/*
 * What to open. Zero means "the default" for the DPDK sizing fields except mbuf_cache, where 0
 * is a valid choice (no per-lcore cache). The pcap backend ignores the DPDK fields.
 */
struct ns_capture_params {
	const char *interface; /* live source: interface, PCI address or vdev; one of the two */
	const char *file; /* pcap or pcapng file ("-" = stdin) */
	const char *filter; /* BPF expression or NULL/"" */
	uint32_t snaplen;
	bool promisc;
	uint32_t buffer_mb;
	uint32_t timeout_ms;
	enum ns_backend_kind backend; /* AUTO picks one for the source and logs why */
	const char *eal_args; /* DPDK EAL arguments, shell-quoted, or NULL */
	uint32_t rx_desc; /* DPDK: RX descriptors per queue (0 = 1024) */
	uint32_t mbufs; /* DPDK: mbufs per queue pool (0 = 65535) */
	uint32_t mbuf_cache; /* DPDK: per-lcore mempool cache */
	uint32_t mbuf_size; /* DPDK: data room per mbuf, headroom included (0 = 2176) */
	bool rss; /* DPDK: spread flows over queues with NIC RSS */
	uint32_t queues; /* RX queues to configure (0 = 1) */
	bool queues_up_to; /* DPDK: queues is an upper bound; a port with fewer gets its maximum */
};

/*
 * Counters. The first five mean the same for every backend; the DPDK port counters are 0 for
 * pcap. Per-queue stats carry only what exists per queue (see ns_capture_queue_stats()).
 */
struct ns_capture_stats {
	uint64_t received; /* frames handed to the caller (after the filter) */
	uint64_t bytes; /* their wire length */
	uint64_t filtered; /* frames the filter rejected (live pcap filters in the kernel) */
	uint64_t dropped; /* kernel / NIC drops (live); DPDK: imissed + rx_nombuf */
	uint64_t if_dropped; /* dropped by the interface driver, when reported; DPDK: ierrors */
	uint64_t imissed; /* DPDK: the NIC found no free RX descriptor */
	uint64_t ierrors; /* DPDK: erroneous frames (net_pcap: unreadable file records) */
	uint64_t rx_nombuf; /* DPDK: mbuf allocation failures */
	uint64_t frames_cut; /* DPDK: multi-segment frames cut to their first segment (bounce
				buffer full), not frames the PMD delivered short of wirelen */
};

enum ns_capture_status {
	NS_CAPTURE_RUNNING = 0,
	NS_CAPTURE_EOF, /* the file ended (DPDK: a net_pcap rx_pcap file was consumed) */
	NS_CAPTURE_STOPPED, /* ns_capture_breakloop() was called */
	NS_CAPTURE_ERROR, /* read error; see ns_capture_error() */
};

/* What a handle turned out to be, for logs and for the pipeline's placement decisions. */
struct ns_capture_info {
	const char *backend; /* "pcap" or "dpdk" */
	const char *name; /* interface, file, or DPDK port name */
	const char *driver; /* DPDK driver ("net_pcap"); pcap files: "mmap" (read in place) or
			       "libpcap"; "" for a live pcap interface */
	unsigned queues; /* RX queues */
	int numa_socket; /* NUMA node of the port, -1 when unknown or irrelevant */
	bool hw_rss; /* the NIC spreads flows over the queues with the symmetric key */
	bool symmetric; /* both directions of every flow arrive on one queue (see spread) */
	const char *spread; /* how flows are spread over the queues, for logs */
	bool live; /* a live source (no end of input) */
};

struct ns_capture;

/**
 * Open a source. Returns NULL and fills @errbuf (NS_CAPTURE_ERRBUF bytes) on failure; a live
 * open without privileges names CAP_NET_RAW / sudo in the message, a DPDK open that could not
 * bring EAL up carries EAL's reason. errno says whose fault it is: EINVAL when the request is
 * wrong (bad filter, EAL arguments, queue or pool sizes, both or no source), EPERM without
 * privileges, ENODEV/EIO/ENOMEM/... for the source or the machine.
 */
struct ns_capture *ns_capture_open(const struct ns_capture_params *p, char *errbuf);

/** Link type of the source (NS_LINK_* / DLT_* value). */
int ns_capture_linktype(const struct ns_capture *c);

/** True when timestamps in the source have nanosecond resolution. */
bool ns_capture_nanosecond(const struct ns_capture *c);

/** Snapshot length of the source. */
uint32_t ns_capture_snaplen(const struct ns_capture *c);

/** Fill @info. The strings live as long as the handle. */
void ns_capture_get_info(const struct ns_capture *c, struct ns_capture_info *info);

/** Number of RX queues (1 for pcap). */
unsigned ns_capture_queues(const struct ns_capture *c);

/**
 * Receive up to @n frames from any queue into @frames. Returns the count; 0 means no frame
 * right now (live timeout, idle port) or the end: check ns_capture_status(). Frame data is
 * valid until the next call.
 */
unsigned ns_capture_rx_burst(struct ns_capture *c, struct ns_frame *frames, unsigned n);

/**
 * Receive up to @n frames from queue @q (< ns_capture_queues()). One thread per queue; frame
 * data is valid until the next call on the same queue. Returns 0 for an invalid @q.
 */
unsigned ns_capture_rx_burst_queue(struct ns_capture *c, unsigned q, struct ns_frame *frames,
				   unsigned n);

/**
 * Whether the last rx_burst on queue @q received frames, even if the filter rejected them all
 * and it returned 0: the port is busy, and the queue's owner must not nap. Call it from the
 * thread that polls @q. False for an invalid @q and for backends that filter before receiving.
 */
bool ns_capture_queue_busy(const struct ns_capture *c, unsigned q);

/** Why the last rx_burst returned 0 (or RUNNING): the worst state over all queues. */
enum ns_capture_status ns_capture_status(const struct ns_capture *c);

/** State of queue @q (NS_CAPTURE_ERROR for an invalid @q). */
enum ns_capture_status ns_capture_queue_status(const struct ns_capture *c, unsigned q);

/** Text of the last error. */
const char *ns_capture_error(const struct ns_capture *c);

/** Make a blocked or future rx_burst return 0 with STOPPED. Async-signal-safe. */
void ns_capture_breakloop(struct ns_capture *c);

/** Fill @st with the backend counters, summed over the queues. Returns 0 or -errno. */
int ns_capture_stats(struct ns_capture *c, struct ns_capture_stats *st);

/**
 * The caller has stopped reading: take the drop counters (dropped, if_dropped, imissed,
 * ierrors, rx_nombuf) as they are now, and let ns_capture_stats() report those from here on. A
 * port or socket left open keeps counting the frames nobody reads any more as missed; they are
 * not drops of the capture. The other counters stay live. Call once, from one thread.
 */
void ns_capture_freeze_drops(struct ns_capture *c);

/**
 * Fill @st with queue @q's counters: received, bytes, filtered, frames_cut and, for DPDK,
 * ierrors when the port counts them per queue. Port-wide counters (imissed, rx_nombuf) stay
 * 0 here. Returns 0 or -EINVAL for an invalid @q.
 */
int ns_capture_queue_stats(struct ns_capture *c, unsigned q, struct ns_capture_stats *st);

/**
 * Print the driver's extended statistics ("name: value" lines) to @out. Returns the number of
 * lines or -ENOTSUP when the backend has none (pcap).
 */
int ns_capture_xstats_dump(struct ns_capture *c, FILE *out);

/**
 * The EAL worker lcores (every lcore but the main one), in EAL's order, into @ids (at most
 * @max). Returns how many exist (may exceed @max); 0 for a backend without lcores (pcap).
 */
unsigned ns_capture_worker_lcores(const struct ns_capture *c, unsigned *ids, unsigned max);

/** NUMA node of EAL lcore @lcore, or -1 when unknown. */
int ns_capture_lcore_socket(const struct ns_capture *c, unsigned lcore);

/**
 * Run @fn(@arg) on EAL worker lcore @lcore (one of ns_capture_worker_lcores()). Returns 0, or
 * -ENOTSUP (no lcores in this backend), -EINVAL (not a worker lcore), -EBUSY (it runs
 * something already).
 */
int ns_capture_lcore_launch(struct ns_capture *c, unsigned lcore, int (*fn)(void *), void *arg);

/** Wait for the function launched on @lcore to return; returns its value or -errno. */
int ns_capture_lcore_wait(struct ns_capture *c, unsigned lcore);

/** Close the source; for the last DPDK handle this also shuts EAL down. Accepts NULL. */
void ns_capture_close(struct ns_capture *c);

/**
 * Check a BPF expression against @linktype without opening a source. Returns 0 or -EINVAL with
 * libpcap's message in @errbuf.
 */
int ns_capture_filter_check(const char *filter, int linktype, uint32_t snaplen, char *errbuf);

/** The name of capture backend @i of this build ("pcap", "dpdk"); NULL past the last. */
const char *ns_capture_backend_name(unsigned i);

/** Print the pcap capture interfaces (name, flags, description) to @out. Returns the count. */
int ns_capture_list_interfaces(FILE *out, char *errbuf);

/**
 * Print the pcap interfaces and, when @p asks for DPDK (backend dpdk, EAL arguments given, or
 * an interface that names a DPDK port), the DPDK ports with driver, name, MAC, link, RX queues
 * and RSS capability. Returns the count or -errno with @errbuf filled.
 */
int ns_capture_list(FILE *out, const struct ns_capture_params *p, char *errbuf);

#endif /* NS_CAPTURE_H */
