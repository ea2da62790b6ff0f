/* SPDX-License-Identifier: MIT */
/*
 * The DPDK backend through the public capture API, over virtual devices: per-queue receive on a
 * two-file net_pcap port (each queue ends on its own; a queue's frames stay valid while another
 * queue is read), BPF verdicts, frames above one mbuf, timestamps (the file's for net_pcap, the
 * TSC clock for net_null), breakloop, RSS queues on net_null, xstats, errors, and the EAL life
 * cycle: a "keeper" handle holds EAL for the whole run, and closing it removes the runtime
 * directory. Usage: test_capture_dpdk SAMPLE_PCAP CORPUS_DIR
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eal_keeper.h"
#include "ns_capture.h"
#include "ns_core.h"
#include "ns_test.h"

static const char *sample;
static const char *corpus;
static char eal_args[256];

static struct ns_capture_params
params(const char *iface)
{
	struct ns_capture_params p = {
		.interface = iface,
		.backend = NS_BACKEND_DPDK,
		.eal_args = eal_args,
		.mbufs = 4095,
		.mbuf_cache = 64,
		.rx_desc = 512,
		.rss = true,
		.promisc = true,
	};

	return p;
}

/* A file's records read with libpcap, the reference for counts, bytes and timestamps. */
struct ref {
	unsigned n;
	uint64_t ts_us[64];
	uint32_t caplen[64];
	uint8_t first[128]; /* first bytes of record 0 */
	unsigned matched; /* records the filter accepts */
	uint64_t matched_bytes; /* their wire lengths */
	uint64_t matched_ts_us[64]; /* the first 64 of them, in order */
};

static void
ref_read(const char *path, const char *filter, struct ref *r)
{
	char pe[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, pe);
	struct bpf_program prog;
	struct pcap_pkthdr *h;
	const u_char *d;

	memset(r, 0, sizeof(*r));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
	if (filter != NULL)
		CU_ASSERT_EQUAL_FATAL(pcap_compile(pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN), 0);
	while (pcap_next_ex(pc, &h, &d) == 1) {
		if (r->n < 64) {
			r->ts_us[r->n] = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
			r->caplen[r->n] = h->caplen;
		}
		if (r->n == 0)
			memcpy(r->first, d, NS_MIN(h->caplen, sizeof(r->first)));
		if (filter != NULL && pcap_offline_filter(&prog, h, d) != 0) {
			if (r->matched < 64)
				r->matched_ts_us[r->matched] =
					(uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
			r->matched_bytes += h->len;
			r->matched++;
		}
		r->n++;
	}
	if (filter != NULL)
		pcap_freecode(&prog);
	pcap_close(pc);
}

/* Drain queue @q to its end; returns frames received. */
static unsigned
drain(struct ns_capture *c, unsigned q)
{
	struct ns_frame f[32];
	unsigned total = 0;

	for (int spins = 0; spins < 1000000; spins++) {
		unsigned n = ns_capture_rx_burst_queue(c, q, f, 32);

		total += n;
		if (n == 0 && ns_capture_queue_status(c, q) != NS_CAPTURE_RUNNING)
			break;
	}
	return total;
}

static void
test_two_queues(void)
{
	char iface[1024], ssh[512];
	struct ns_capture_params p;
	struct ns_capture_info info;
	struct ns_capture_stats st;
	struct ns_frame f0[4], f1[4];
	uint8_t copy[64];
	struct ref r0, r1;
	char errbuf[NS_CAPTURE_ERRBUF] = "";
	struct ns_capture *c;
	unsigned n0, n1;

	snprintf(ssh, sizeof(ssh), "%s/pcaps/tcpdump-ssh.pcap", corpus);
	snprintf(iface, sizeof(iface), "net_pcap1,rx_pcap=%s,rx_pcap=%s", sample, ssh);
	ref_read(sample, NULL, &r0);
	ref_read(ssh, NULL, &r1);
	p = params(iface);
	c = ns_capture_open(&p, errbuf);
	if (c == NULL)
		fprintf(stderr, "open: %s\n", errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	/* one queue per rx_pcap file, even though none were asked for */
	CU_ASSERT_EQUAL(ns_capture_queues(c), 2);
	ns_capture_get_info(c, &info);
	CU_ASSERT_STRING_EQUAL(info.backend, "dpdk");
	CU_ASSERT_STRING_EQUAL(info.driver, "net_pcap");
	CU_ASSERT_STRING_EQUAL(info.name, "net_pcap1");
	CU_ASSERT_FALSE(info.live);
	CU_ASSERT_FALSE(info.hw_rss);
	CU_ASSERT_EQUAL(ns_capture_linktype(c), DLT_EN10MB);

	/* queue 0's frames stay valid while queue 1 is read */
	n0 = ns_capture_rx_burst_queue(c, 0, f0, 4);
	CU_ASSERT_EQUAL_FATAL(n0, 4);
	CU_ASSERT_EQUAL(memcmp(f0[0].data, r0.first, NS_MIN(f0[0].caplen, sizeof(r0.first))), 0);
	memcpy(copy, f0[3].data, NS_MIN(f0[3].caplen, sizeof(copy)));
	n1 = ns_capture_rx_burst_queue(c, 1, f1, 4);
	CU_ASSERT_EQUAL(n1, 4);
	CU_ASSERT_EQUAL(memcmp(f1[0].data, r1.first, NS_MIN(f1[0].caplen, sizeof(r1.first))), 0);
	CU_ASSERT_EQUAL(memcmp(copy, f0[3].data, NS_MIN(f0[3].caplen, sizeof(copy))), 0);
	/* net_pcap timestamps are the file's */
	for (unsigned i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(f0[i].ts_ns, r0.ts_us[i] * 1000);
		CU_ASSERT_EQUAL(f0[i].caplen, r0.caplen[i]);
		CU_ASSERT_EQUAL(f1[i].ts_ns, r1.ts_us[i] * 1000);
	}

	/* each queue ends on its own; the handle ends when both have */
	n1 += drain(c, 1);
	CU_ASSERT_EQUAL(n1, r1.n);
	CU_ASSERT_EQUAL(ns_capture_queue_status(c, 1), NS_CAPTURE_EOF);
	CU_ASSERT_EQUAL(ns_capture_queue_status(c, 0), NS_CAPTURE_RUNNING);
	CU_ASSERT_EQUAL(ns_capture_status(c), NS_CAPTURE_RUNNING);
	n0 += drain(c, 0);
	CU_ASSERT_EQUAL(n0, r0.n);
	CU_ASSERT_EQUAL(ns_capture_status(c), NS_CAPTURE_EOF);

	CU_ASSERT_EQUAL(ns_capture_queue_stats(c, 0, &st), 0);
	CU_ASSERT_EQUAL(st.received, r0.n);
	CU_ASSERT_EQUAL(ns_capture_queue_stats(c, 1, &st), 0);
	CU_ASSERT_EQUAL(st.received, r1.n);
	CU_ASSERT_EQUAL(ns_capture_stats(c, &st), 0);
	CU_ASSERT_EQUAL(st.received, r0.n + r1.n);
	CU_ASSERT_EQUAL(st.dropped, 0);
	CU_ASSERT_EQUAL(st.ierrors, 0);

	/* an invalid queue: nothing, never a crash */
	CU_ASSERT_EQUAL(ns_capture_rx_burst_queue(c, 2, f0, 4), 0);
	CU_ASSERT_EQUAL(ns_capture_queue_status(c, 2), NS_CAPTURE_ERROR);
	CU_ASSERT_EQUAL(ns_capture_queue_stats(c, 2, &st), -EINVAL);
	ns_capture_close(c);
}

static void
test_filter(void)
{
	static const char *const exprs[] = { "tcp[13]&0x18=0x18", "tcp[13] & 8 != 0",
					     "vlan and tcp",      "ip6 and udp",
					     "tcp port 80",       "icmp" };
	char iface[512], errbuf[NS_CAPTURE_ERRBUF];

	snprintf(iface, sizeof(iface), "net_pcap2,rx_pcap=%s", sample);
	for (size_t i = 0; i < NS_ARRAY_SIZE(exprs); i++) {
		struct ns_capture_params p = params(iface);
		struct ns_capture_stats st;
		struct ns_capture *c;
		struct ref r;
		unsigned n;

		ref_read(sample, exprs[i], &r);
		p.filter = exprs[i];
		c = ns_capture_open(&p, errbuf);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		/* the accepted frames, in file order, whatever their place in a burst */
		n = 0;
		for (int spins = 0; spins < 1000000; spins++) {
			struct ns_frame f[32];
			unsigned got = ns_capture_rx_burst_queue(c, 0, f, 32);

			for (unsigned k = 0; k < got; k++, n++)
				if (n < 64)
					CU_ASSERT_EQUAL(f[k].ts_ns, r.matched_ts_us[n] * 1000);
			if (got == 0 && ns_capture_queue_status(c, 0) != NS_CAPTURE_RUNNING)
				break;
		}
		CU_ASSERT_EQUAL(n, r.matched);
		ns_capture_stats(c, &st);
		CU_ASSERT_EQUAL(st.filtered, r.n - r.matched);
		CU_ASSERT_EQUAL(st.received, r.matched);
		CU_ASSERT_EQUAL(st.bytes, r.matched_bytes);
		ns_capture_close(c);
	}
}

/* A record above one mbuf arrives as a chain and is handed out contiguous. */
static void
test_multi_segment(void)
{
	char iface[1024], file[512], errbuf[NS_CAPTURE_ERRBUF];
	struct ns_capture_params p;
	struct ns_capture_stats st;
	struct ns_frame f[4];
	struct ns_capture *c;
	struct ref r;
	unsigned n = 0;

	snprintf(file, sizeof(file), "%s/pcaps/local-sll2_any.pcap", corpus);
	snprintf(iface, sizeof(iface), "net_pcap3,rx_pcap=%s", file);
	ref_read(file, NULL, &r);
	p = params(iface);
	c = ns_capture_open(&p, errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(ns_capture_linktype(c), DLT_LINUX_SLL2); /* the file's, not Ethernet */
	while (n < r.n && n < 64) {
		unsigned got = ns_capture_rx_burst_queue(c, 0, f, 1);

		if (got == 0)
			break;
		CU_ASSERT_EQUAL(f[0].caplen, r.caplen[n]);
		CU_ASSERT_EQUAL(f[0].wirelen, r.caplen[n]);
		n++;
	}
	CU_ASSERT_EQUAL(n, NS_MIN(r.n, 64u));
	ns_capture_stats(c, &st);
	CU_ASSERT_EQUAL(st.frames_cut, 0);
	ns_capture_close(c);
}

/*
 * Write Ethernet/IPv4/TCP frames (zero payload) of lens[0..n) bytes, each below 70000, to @path;
 * an IPv4 total length above 65535 is written as 0, as BIG TCP captures have it.
 */
static void
write_frames(const char *path, const unsigned *lens, unsigned n)
{
	static uint8_t frame[70000];
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
	pcap_dumper_t *d = pcap_dump_open(dead, path);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	for (unsigned i = 0; i < n; i++) {
		unsigned len = lens[i], iplen = len - 14 <= 65535 ? len - 14 : 0;
		struct pcap_pkthdr h = { .caplen = len, .len = len };

		CU_ASSERT_FATAL(len >= 54 && len <= sizeof(frame));
		memset(frame, 0, len);
		frame[12] = 0x08; /* IPv4 */
		frame[14] = 0x45;
		frame[16] = (uint8_t)(iplen >> 8);
		frame[17] = (uint8_t)iplen;
		frame[22] = 64;
		frame[23] = 6; /* TCP */
		memcpy(frame + 26, (const uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
		frame[35] = 80;
		frame[46] = 0x50; /* data offset 5 */
		h.ts.tv_sec = 1700000000 + i;
		pcap_dump((u_char *)d, &h, frame);
	}
	pcap_dump_close(d);
	pcap_close(dead);
}

/* Write @n frames of @len bytes to @path. */
static void
write_big_frames(const char *path, unsigned n, unsigned len)
{
	unsigned lens[64];

	CU_ASSERT_FATAL(n <= NS_ARRAY_SIZE(lens));
	for (unsigned i = 0; i < n; i++)
		lens[i] = len;
	write_frames(path, lens, n);
}

/*
 * A burst of chained frames larger than the bounce buffer (1 MiB): the frames past it are
 * handed out cut to their first segment and counted in frames_cut, unless the filter then
 * rejects them.
 */
static void
test_frames_cut(void)
{
	static const char *const filters[] = { NULL, "udp", "tcp" };
	char file[256], iface[1024], errbuf[NS_CAPTURE_ERRBUF];

	snprintf(file, sizeof(file), "/tmp/ns-test-cut-%d.pcap", (int)getpid());
	/* 40 frames of 40000 bytes: a 32-frame burst is 1.28 MB, so its last 6 are cut */
	write_big_frames(file, 40, 40000);
	snprintf(iface, sizeof(iface), "net_pcap5,rx_pcap=%s", file);
	for (unsigned i = 0; i < 3; i++) {
		struct ns_capture_params p = params(iface);
		struct ns_capture_stats st;
		struct ns_capture *c;
		unsigned n = 0, cut = 0;

		p.filter = filters[i];
		c = ns_capture_open(&p, errbuf);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		for (int spins = 0; spins < 1000000; spins++) {
			struct ns_frame f[32];
			unsigned got = ns_capture_rx_burst_queue(c, 0, f, 32);

			for (unsigned k = 0; k < got; k++, n++) {
				CU_ASSERT_EQUAL(f[k].wirelen, 40000);
				cut += f[k].caplen < f[k].wirelen;
			}
			if (got == 0 && ns_capture_queue_status(c, 0) != NS_CAPTURE_RUNNING)
				break;
		}
		ns_capture_stats(c, &st);
		CU_ASSERT_EQUAL(n, i == 1 ? 0 : 40);
		CU_ASSERT_EQUAL(st.filtered, i == 1 ? 40 : 0);
		CU_ASSERT_EQUAL(cut, i == 1 ? 0 : 6);
		CU_ASSERT_EQUAL(st.frames_cut, cut);
		ns_capture_close(c);
	}
	unlink(file);
}

/*
 * frames_cut counts the frames the bounce buffer cut to their first segment, not every frame
 * shorter than its wire length. net_pcap in DPDK 22.11 chains only (length mod 65536) bytes of
 * a record above 64 KiB yet reports the whole length in pkt_len, so a 70000-byte record arrives
 * as a 4464-byte chain: copied whole, caplen < wirelen, and not cut. First in a burst whose
 * other frames fill the bounce buffer (26 x 40000 fit after it), only the last 3 are cut.
 */
static void
test_frames_cut_short_chain(void)
{
	char file[256], iface[1024], errbuf[NS_CAPTURE_ERRBUF];
	struct ns_capture_params p;
	struct ns_capture_stats st;
	struct ns_capture *c;
	unsigned lens[30], n = 0, cut = 0;

	snprintf(file, sizeof(file), "/tmp/ns-test-cut-short-%d.pcap", (int)getpid());
	lens[0] = 70000;
	for (unsigned i = 1; i < NS_ARRAY_SIZE(lens); i++)
		lens[i] = 40000;
	write_frames(file, lens, NS_ARRAY_SIZE(lens));
	snprintf(iface, sizeof(iface), "net_pcap7,rx_pcap=%s", file);
	p = params(iface);
	c = ns_capture_open(&p, errbuf);
	if (c == NULL)
		fprintf(stderr, "open: %s\n", errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (int spins = 0; spins < 1000000; spins++) {
		struct ns_frame f[32];
		unsigned got = ns_capture_rx_burst_queue(c, 0, f, 32);

		for (unsigned k = 0; k < got; k++, n++) {
			CU_ASSERT_EQUAL(f[k].wirelen, lens[n]);
			if (n == 0) {
				/* the short chain, whole: more than its first segment */
				CU_ASSERT(f[k].caplen < f[k].wirelen);
				CU_ASSERT(f[k].caplen > 2048);
			} else {
				cut += f[k].caplen < f[k].wirelen;
			}
		}
		if (got == 0 && ns_capture_queue_status(c, 0) != NS_CAPTURE_RUNNING)
			break;
	}
	CU_ASSERT_EQUAL(n, NS_ARRAY_SIZE(lens));
	CU_ASSERT_EQUAL(cut, 3);
	ns_capture_stats(c, &st);
	CU_ASSERT_EQUAL(st.frames_cut, cut);
	ns_capture_close(c);
	unlink(file);
}

/* net_null: RSS capable without a settable key; every queue produces; TSC timestamps. */
static void
test_null_queues(void)
{
	struct ns_capture_params p = params("net_null1");
	char errbuf[NS_CAPTURE_ERRBUF] = "";
	struct ns_capture_info info;
	struct ns_frame f[32];
	struct ns_capture *c;
	uint64_t before, after, last = 0;
	char *dump = NULL;
	size_t dump_len = 0;
	FILE *mem;
	int lines;

	p.queues = 4;
	c = ns_capture_open(&p, errbuf);
	if (c == NULL)
		fprintf(stderr, "open: %s\n", errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(ns_capture_queues(c), 4);
	ns_capture_get_info(c, &info);
	CU_ASSERT_TRUE(info.live);
	CU_ASSERT_FALSE(info.hw_rss); /* no key to set: not the symmetric hash */
	for (unsigned q = 0; q < 4; q++) {
		before = ns_time_now_ns();
		CU_ASSERT_EQUAL(ns_capture_rx_burst_queue(c, q, f, 32), 32);
		after = ns_time_now_ns();
		/* the TSC clock agrees with CLOCK_REALTIME within a millisecond */
		CU_ASSERT(f[0].ts_ns + 1000000 >= before && f[0].ts_ns <= after + 1000000);
		CU_ASSERT(f[0].ts_ns >= last || q > 0);
		last = f[0].ts_ns;
	}
	mem = open_memstream(&dump, &dump_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
	lines = ns_capture_xstats_dump(c, mem);
	fclose(mem);
	CU_ASSERT(lines > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(dump, "rx_good_packets: "));
	free(dump);

	/* breakloop: the next burst is empty and says why */
	ns_capture_breakloop(c);
	CU_ASSERT_EQUAL(ns_capture_rx_burst(c, f, 32), 0);
	CU_ASSERT_EQUAL(ns_capture_status(c), NS_CAPTURE_STOPPED);
	ns_capture_close(c);
}

/*
 * A request below 32 frames receives 32 from the PMD and keeps the rest for the next call.
 * After a stop those are still handed out, and counted, before the queue says STOPPED: the
 * PMD counted them as received, and a SIGINT must not lose them.
 */
static void
test_stop_hands_out_kept(void)
{
	struct ns_capture_params p = params("net_null2");
	char errbuf[NS_CAPTURE_ERRBUF] = "";
	struct ns_capture_stats st;
	struct ns_frame f[32];
	struct ns_capture *c;
	unsigned got, n;

	c = ns_capture_open(&p, errbuf);
	if (c == NULL)
		fprintf(stderr, "open: %s\n", errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	got = ns_capture_rx_burst_queue(c, 0, f, 4);
	CU_ASSERT_EQUAL(got, 4);
	ns_capture_breakloop(c);
	for (int spins = 0; spins < 100; spins++) {
		n = ns_capture_rx_burst_queue(c, 0, f, 8);
		got += n;
		if (n == 0)
			break;
	}
	CU_ASSERT_EQUAL(got, 32);
	CU_ASSERT_EQUAL(ns_capture_queue_status(c, 0), NS_CAPTURE_STOPPED);
	CU_ASSERT_EQUAL(ns_capture_stats(c, &st), 0);
	CU_ASSERT_EQUAL(st.received, 32);
	ns_capture_close(c);
}

/*
 * Two rx_pcap files, the first cut inside its second record: net_pcap counts the error for the
 * port only, and the queue whose file it was ends in ERROR (naming the file) while the other
 * reads its whole file and ends at EOF.
 */
static void
test_cut_file_one_queue(void)
{
	char iface[1024], ssh[512], cut[64], errbuf[NS_CAPTURE_ERRBUF] = "";
	struct ns_capture_params p;
	struct ref r1;
	struct ns_capture *c;
	FILE *in, *out;
	char buf[130];

	snprintf(cut, sizeof(cut), "/tmp/ns-test-cut-%d.pcap", (int)getpid());
	in = fopen(sample, "rb");
	out = fopen(cut, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL_FATAL(fread(buf, 1, sizeof(buf), in), sizeof(buf));
	fwrite(buf, 1, sizeof(buf), out);
	fclose(in);
	fclose(out);
	snprintf(ssh, sizeof(ssh), "%s/pcaps/tcpdump-ssh.pcap", corpus);
	ref_read(ssh, NULL, &r1);
	snprintf(iface, sizeof(iface), "net_pcap6,rx_pcap=%s,rx_pcap=%s", cut, ssh);
	p = params(iface);
	c = ns_capture_open(&p, errbuf);
	if (c == NULL)
		fprintf(stderr, "open: %s\n", errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(drain(c, 0), 1);
	CU_ASSERT_EQUAL(ns_capture_queue_status(c, 0), NS_CAPTURE_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(ns_capture_error(c), "could not read or store 1 record"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ns_capture_error(c), cut));
	CU_ASSERT_EQUAL(drain(c, 1), r1.n);
	CU_ASSERT_EQUAL(ns_capture_queue_status(c, 1), NS_CAPTURE_EOF);
	ns_capture_close(c);
	unlink(cut);
}

static void
test_errors(void)
{
	char iface[512], errbuf[NS_CAPTURE_ERRBUF] = "";
	struct ns_capture_params p;

	snprintf(iface, sizeof(iface), "net_pcap4,rx_pcap=%s", sample);
	p = params(iface);
	p.queues = 2; /* one file: one queue */
	CU_ASSERT_PTR_NULL(ns_capture_open(&p, errbuf));
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "2 RX queues asked, the port has at most 1"));
	p = params(iface);
	p.filter = "tcp and and";
	CU_ASSERT_PTR_NULL(ns_capture_open(&p, errbuf));
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "bad filter"));
	p = params(iface);
	p.mbufs = 600; /* 512 descriptors + a 64 cache + a burst of 32 do not fit */
	CU_ASSERT_PTR_NULL(ns_capture_open(&p, errbuf));
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "dpdk.mbufs 600 is too small"));
	p = params("lo");
	CU_ASSERT_PTR_NULL(ns_capture_open(&p, errbuf));
	CU_ASSERT_EQUAL(errno, ENODEV);
	p = params("net_pcap5,rx_pcap=/nonexistent.pcap");
	CU_ASSERT_PTR_NULL(ns_capture_open(&p, errbuf));
	p = params(NULL);
	p.file = sample;
	CU_ASSERT_PTR_NULL(ns_capture_open(&p, errbuf));
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "reads ports, not files"));
	/* a failed open releases its port: the same vdev name opens fine afterwards */
	p = params(iface);
	p.queues = 1;
	ns_capture_close(ns_capture_open(&p, errbuf));
	ns_capture_close(ns_capture_open(&p, errbuf));
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_two_queues),
	NS_TEST(test_filter),
	NS_TEST(test_multi_segment),
	NS_TEST(test_frames_cut),
	NS_TEST(test_frames_cut_short_chain),
	NS_TEST(test_null_queues),
	NS_TEST(test_stop_hands_out_kept),
	NS_TEST(test_cut_file_one_queue),
	NS_TEST(test_errors),
};

int
main(int argc, char **argv)
{
	struct eal_keeper k;
	struct ns_capture_params p;
	struct ns_capture *again;
	char errbuf[NS_CAPTURE_ERRBUF] = "";
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SAMPLE_PCAP CORPUS_DIR\n", argv[0]);
		return 2;
	}
	sample = argv[1];
	corpus = argv[2];
	eal_keeper_args(&k, eal_args, sizeof(eal_args), "api", 512);
	p = params("net_null0");
	if (eal_keeper_start(&k, &p) != 0)
		return 1;
	rc = ns_test_run("dpdk_capture", cases, NS_ARRAY_SIZE(cases));
	if (eal_keeper_stop(&k) != 0)
		rc = 1;
	again = ns_capture_open(&p, errbuf);
	if (again != NULL || strstr(errbuf, "cannot start again") == NULL) {
		fprintf(stderr, "FAIL: EAL restarted after cleanup (%s)\n", errbuf);
		ns_capture_close(again);
		rc = 1;
	}
	return rc;
}
