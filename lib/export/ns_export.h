/* SPDX-License-Identifier: MIT */
/*
 * Exports: packets to pcap (our own writer, so export needs no libpcap), the summary as JSON,
 * and (flow tracking) flow records as JSON/JSONL/CSV. Writers count their write errors and keep
 * going: a full disk must not stop a capture.
 */
#ifndef NS_EXPORT_H
#define NS_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ns_stats.h"

struct ns_pcap_writer;

/**
 * Create a pcap file (classic format, microsecond or nanosecond magic) for @linktype. @path "-"
 * writes to stdout. Returns NULL with errno set on failure.
 */
struct ns_pcap_writer *ns_pcap_writer_open(const char *path, int linktype, uint32_t snaplen,
					   bool nanosecond);

/**
 * Append one record. Returns 0 or -errno; a failed write is counted and the writer stays usable
 * (a later write may succeed once space is free).
 */
int ns_pcap_writer_write(struct ns_pcap_writer *w, uint64_t ts_ns, const uint8_t *data,
			 uint32_t caplen, uint32_t wirelen);

/** Records written / records lost to write errors. */
uint64_t ns_pcap_writer_written(const struct ns_pcap_writer *w);
uint64_t ns_pcap_writer_errors(const struct ns_pcap_writer *w);

/** Flush and close. Returns 0 or -errno if the final flush failed. Accepts NULL. */
int ns_pcap_writer_close(struct ns_pcap_writer *w);

/**
 * Write the packet summary as one JSON object with stable keys: packets, bytes, protocols{eth,
 * sll, vlan, qinq, arp, ipv4, ipv6, tcp, udp, icmp, icmpv6, other}, ipv4_fragments,
 * ipv6_fragments, truncated, malformed, filtered, dropped. Returns 0 or -errno.
 */
int ns_export_summary_json(const struct ns_pkt_counters *c, FILE *out);

#endif /* NS_EXPORT_H */
