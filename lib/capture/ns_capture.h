/* SPDX-License-Identifier: MIT */
/*
 * Capture backends behind one interface: open a source, receive frames in bursts, read
 * counters, close. The pcap backend (live interface or file, BPF filter) is always built; the
 * DPDK backend is a separate file meson adds when DPDK is found.
 */
#ifndef NS_CAPTURE_H
#define NS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NS_CAPTURE_ERRBUF 512

/* One received frame. data stays valid until the next rx_burst (or close) on the handle. */
struct ns_frame {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t ts_ns; /* capture time, ns since the epoch */
};

struct ns_capture_params {
	const char *interface; /* live source; exactly one of interface / file */
	const char *file;      /* pcap or pcapng file ("-" = stdin) */
	const char *filter;    /* BPF expression or NULL/"" */
	uint32_t snaplen;
	bool promisc;
	uint32_t buffer_mb;
	uint32_t timeout_ms;
};

struct ns_capture_stats {
	uint64_t received; /* frames handed to the caller (after the filter) */
	uint64_t bytes;    /* their wire length */
	uint64_t filtered; /* frames the filter rejected (files; live filtering is in-kernel) */
	uint64_t dropped;  /* kernel / NIC drops (live) */
	uint64_t if_dropped; /* dropped by the interface driver, when reported */
};

enum ns_capture_status {
	NS_CAPTURE_RUNNING = 0,
	NS_CAPTURE_EOF,     /* the file ended */
	NS_CAPTURE_STOPPED, /* ns_capture_breakloop() was called */
	NS_CAPTURE_ERROR,   /* read error; see ns_capture_error() */
};

struct ns_capture;

/**
 * Open a source. Returns NULL and fills @errbuf (NS_CAPTURE_ERRBUF bytes) on failure; a live
 * open without privileges names CAP_NET_RAW / sudo in the message.
 */
struct ns_capture *ns_capture_open(const struct ns_capture_params *p, char *errbuf);

/** Link type of the source (NS_LINK_* / DLT_* value). */
int ns_capture_linktype(const struct ns_capture *c);

/** True when timestamps in the source have nanosecond resolution. */
bool ns_capture_nanosecond(const struct ns_capture *c);

/** Snapshot length of the source. */
uint32_t ns_capture_snaplen(const struct ns_capture *c);

/**
 * Receive up to @n frames into @frames. Returns the count; 0 means no frame right now (live
 * timeout) or the end: check ns_capture_status(). Frame data is valid until the next call.
 */
unsigned ns_capture_rx_burst(struct ns_capture *c, struct ns_frame *frames, unsigned n);

/** Why the last rx_burst returned 0 (or RUNNING). */
enum ns_capture_status ns_capture_status(const struct ns_capture *c);

/** Text of the last error. */
const char *ns_capture_error(const struct ns_capture *c);

/** Make a blocked or future rx_burst return 0 with STOPPED. Async-signal-safe. */
void ns_capture_breakloop(struct ns_capture *c);

/** Fill @st with the backend counters. Returns 0 or -errno. */
int ns_capture_stats(struct ns_capture *c, struct ns_capture_stats *st);

/** Close the source. Accepts NULL. */
void ns_capture_close(struct ns_capture *c);

/**
 * Check a BPF expression against @linktype without opening a source. Returns 0 or -EINVAL with
 * libpcap's message in @errbuf.
 */
int ns_capture_filter_check(const char *filter, int linktype, uint32_t snaplen, char *errbuf);

/** Print the capture interfaces (name, description, addresses, flags) to @out. Returns count. */
int ns_capture_list_interfaces(FILE *out, char *errbuf);

#endif /* NS_CAPTURE_H */
