/* SPDX-License-Identifier: MIT */
/*
 * The zero-copy pcap file reader against libpcap: every case writes a small pcap file (byte
 * order, timestamp resolution, version, snaplen, link type, records that are whole, cut,
 * oversized or absurd), reads it through ns_capture_open() and through libpcap's own
 * pcap_next_ex(), and wants the same frames (bytes, lengths, ns timestamps), the same end (EOF
 * or the same error text), the same link type and snapshot length, and the reader it expects
 * (info.driver "mmap" for the fast path, "libpcap" for the fallback), and a byte counter equal
 * to the frames' wire lengths. Also: files of several windows with records across every window
 * and prefetch edge, BPF filter counts, frame lifetime, breakloop, a file truncated under the
 * reader, and a resident set that stays bounded on a file bigger than the reader's windows.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns_capture.h"
#include "ns_core.h"
#include "ns_test.h"

#define MAX_FRAMES 4096

static char g_dir[] = "/tmp/ns-test-file-reader-XXXXXX";
static char g_path[256];

/* ---- writing test files ---- */

struct file_spec {
	uint32_t magic; /* 0xa1b2c3d4 or 0xa1b23c4d (or anything else) */
	bool swapped; /* write every field in the other byte order */
	uint16_t major, minor;
	uint32_t snaplen;
	uint32_t linktype;
};

static const struct file_spec usec_eth = { 0xa1b2c3d4, false, 2, 4, 65535, 1 };

static uint32_t
fix32(const struct file_spec *s, uint32_t v)
{
	return s->swapped ? __builtin_bswap32(v) : v;
}

static uint16_t
fix16(const struct file_spec *s, uint16_t v)
{
	return s->swapped ? __builtin_bswap16(v) : v;
}

static FILE *
file_begin(const struct file_spec *s)
{
	uint32_t magic = fix32(s, s->magic), zero = 0, snap = fix32(s, s->snaplen),
		 lt = fix32(s, s->linktype);
	uint16_t major = fix16(s, s->major), minor = fix16(s, s->minor);
	FILE *f = fopen(g_path, "wb");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite(&magic, 4, 1, f);
	fwrite(&major, 2, 1, f);
	fwrite(&minor, 2, 1, f);
	fwrite(&zero, 4, 1, f);
	fwrite(&zero, 4, 1, f);
	fwrite(&snap, 4, 1, f);
	fwrite(&lt, 4, 1, f);
	return f;
}

/* A record header claiming @caplen/@len, then @body bytes of a pattern (fewer = a cut file). */
static void
file_record(FILE *f, const struct file_spec *s, uint32_t sec, uint32_t frac, uint32_t caplen,
	    uint32_t len, uint32_t body)
{
	uint32_t h[4] = { fix32(s, sec), fix32(s, frac), fix32(s, caplen), fix32(s, len) };

	fwrite(h, sizeof(h), 1, f);
	for (uint32_t i = 0; i < body; i++)
		fputc((int)((i * 7 + caplen + sec) & 0xff), f);
}

/* An Ethernet/IPv4 frame, TCP (6) or UDP (17), 60 bytes, as a whole record. */
static void
file_ip_frame(FILE *f, const struct file_spec *s, uint32_t sec, uint8_t proto)
{
	uint8_t fr[60] = { 0 };
	uint32_t h[4] = { fix32(s, sec), 0, fix32(s, sizeof(fr)), fix32(s, sizeof(fr)) };

	fr[12] = 0x08;
	fr[14] = 0x45;
	fr[17] = 46;
	fr[22] = 64;
	fr[23] = proto;
	fr[26] = 10, fr[29] = 1, fr[30] = 10, fr[33] = 2;
	fwrite(h, sizeof(h), 1, f);
	fwrite(fr, sizeof(fr), 1, f);
}

/* ---- reading both ways ---- */

struct read_result {
	unsigned n;
	uint32_t caplen[MAX_FRAMES], wirelen[MAX_FRAMES];
	uint64_t ts[MAX_FRAMES];
	uint64_t sum[MAX_FRAMES]; /* a checksum of the frame bytes */
	bool error;
	char err[PCAP_ERRBUF_SIZE + NS_CAPTURE_ERRBUF];
	int linktype;
	uint32_t snaplen;
	char driver[16];
	uint64_t filtered;
};

static uint64_t
bytes_sum(const uint8_t *p, uint32_t n)
{
	uint64_t s = 1469598103934665603ull;

	for (uint32_t i = 0; i < n; i++)
		s = (s ^ p[i]) * 1099511628211ull;
	return s;
}

static void
read_libpcap(const char *filter, struct read_result *r)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	struct pcap_pkthdr *ph;
	const u_char *data;
	pcap_t *p;
	int rc;

	memset(r, 0, sizeof(*r));
	p = pcap_open_offline_with_tstamp_precision(g_path, PCAP_TSTAMP_PRECISION_NANO, pe);
	if (p == NULL) {
		r->error = true;
		snprintf(r->err, sizeof(r->err), "cannot read '%s': %s", g_path, pe);
		return;
	}
	r->linktype = pcap_datalink(p);
	r->snaplen = (uint32_t)pcap_snapshot(p);
	if (filter != NULL)
		CU_ASSERT_EQUAL_FATAL(pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN), 0);
	while ((rc = pcap_next_ex(p, &ph, &data)) == 1 && r->n < MAX_FRAMES) {
		if (filter != NULL && pcap_offline_filter(&prog, ph, data) == 0) {
			r->filtered++;
			continue;
		}
		r->caplen[r->n] = ph->caplen;
		r->wirelen[r->n] = ph->len;
		r->ts[r->n] = (uint64_t)ph->ts.tv_sec * 1000000000ull + (uint64_t)ph->ts.tv_usec;
		r->sum[r->n] = bytes_sum(data, ph->caplen);
		r->n++;
	}
	if (rc == PCAP_ERROR) {
		r->error = true;
		snprintf(r->err, sizeof(r->err), "%s", pcap_geterr(p));
	}
	if (filter != NULL)
		pcap_freecode(&prog);
	pcap_close(p);
}

static struct ns_capture *
open_netscope(const char *filter, char *errbuf)
{
	struct ns_capture_params p = {
		.file = g_path,
		.filter = filter,
		.snaplen = 262144,
		.backend = NS_BACKEND_PCAP,
	};

	return ns_capture_open(&p, errbuf);
}

static void
read_netscope(const char *filter, unsigned burst, struct read_result *r)
{
	char errbuf[NS_CAPTURE_ERRBUF] = "";
	struct ns_capture_info info;
	struct ns_capture_stats st;
	struct ns_frame f[64];
	struct ns_capture *c;
	uint64_t wire = 0;

	memset(r, 0, sizeof(*r));
	c = open_netscope(filter, errbuf);
	if (c == NULL) {
		r->error = true;
		snprintf(r->err, sizeof(r->err), "%s", errbuf);
		return;
	}
	r->linktype = ns_capture_linktype(c);
	r->snaplen = ns_capture_snaplen(c);
	ns_capture_get_info(c, &info);
	snprintf(r->driver, sizeof(r->driver), "%s", info.driver);
	for (;;) {
		unsigned n = ns_capture_rx_burst(c, f, burst);

		for (unsigned i = 0; i < n; i++)
			wire += f[i].wirelen;
		for (unsigned i = 0; i < n && r->n < MAX_FRAMES; i++, r->n++) {
			r->caplen[r->n] = f[i].caplen;
			r->wirelen[r->n] = f[i].wirelen;
			r->ts[r->n] = f[i].ts_ns;
			r->sum[r->n] = bytes_sum(f[i].data, f[i].caplen);
		}
		if (n == 0 && ns_capture_status(c) != NS_CAPTURE_RUNNING)
			break;
	}
	if (ns_capture_status(c) == NS_CAPTURE_ERROR) {
		r->error = true;
		snprintf(r->err, sizeof(r->err), "%s", ns_capture_error(c));
	}
	CU_ASSERT_EQUAL(ns_capture_status(c) == NS_CAPTURE_ERROR ||
				ns_capture_status(c) == NS_CAPTURE_EOF,
			true);
	ns_capture_stats(c, &st);
	CU_ASSERT_EQUAL(st.received, r->n);
	CU_ASSERT_EQUAL(st.bytes, wire);
	r->filtered = st.filtered;
	ns_capture_close(c);
}

/*
 * The file at g_path read by netscope (in bursts of 1, 7, 32 and 64, so records meet burst
 * edges everywhere) equals libpcap's reading, through the reader @driver. Returns the frame
 * count.
 */
static unsigned
check_same(const char *driver, const char *filter)
{
	static struct read_result want, got;
	static const unsigned bursts[] = { 1, 7, 32, 64 };

	read_libpcap(filter, &want);
	for (unsigned b = 0; b < NS_ARRAY_SIZE(bursts); b++) {
		read_netscope(filter, bursts[b], &got);
		CU_ASSERT_STRING_EQUAL(got.driver, driver);
		CU_ASSERT_EQUAL(got.linktype, want.linktype);
		CU_ASSERT_EQUAL(got.snaplen, want.snaplen);
		CU_ASSERT_EQUAL(got.n, want.n);
		CU_ASSERT_EQUAL(got.filtered, want.filtered);
		CU_ASSERT_EQUAL(got.error, want.error);
		CU_ASSERT_STRING_EQUAL(got.err, want.err);
		for (unsigned i = 0; i < want.n && i < got.n; i++) {
			CU_ASSERT_EQUAL(got.caplen[i], want.caplen[i]);
			CU_ASSERT_EQUAL(got.wirelen[i], want.wirelen[i]);
			CU_ASSERT_EQUAL(got.ts[i], want.ts[i]);
			CU_ASSERT_EQUAL(got.sum[i], want.sum[i]);
		}
		if (strcmp(got.err, want.err) != 0)
			fprintf(stderr, "\n  netscope: %s\n  libpcap:  %s\n", got.err, want.err);
	}
	return want.n;
}

/* Records of every size from 0 to 300 bytes, with moving timestamps. */
static void
write_mixed(const struct file_spec *s, unsigned n)
{
	FILE *f = file_begin(s);

	for (unsigned i = 0; i < n; i++)
		file_record(f, s, 1700000000 + i, i * 999, i % 301, i % 301 + i % 3, i % 301);
	fclose(f);
}

/* ---- the cases ---- */

static void
test_native_usec(void)
{
	write_mixed(&usec_eth, 1000);
	CU_ASSERT_EQUAL(check_same("mmap", NULL), 1000);
}

static void
test_byte_orders_and_resolutions(void)
{
	static const uint32_t magics[] = { 0xa1b2c3d4, 0xa1b23c4d };

	for (unsigned m = 0; m < 2; m++) {
		for (unsigned sw = 0; sw < 2; sw++) {
			struct file_spec s = usec_eth;

			s.magic = magics[m];
			s.swapped = sw;
			write_mixed(&s, 500);
			CU_ASSERT_EQUAL(check_same("mmap", NULL), 500);
		}
	}
}

/* A big-endian nanosecond file: the timestamps come out exact. */
static void
test_big_endian_nanosecond_values(void)
{
	struct file_spec s = { 0xa1b23c4d, true, 2, 4, 65535, 1 };
	char errbuf[NS_CAPTURE_ERRBUF];
	struct ns_frame f[4];
	struct ns_capture *c;
	FILE *fp = file_begin(&s);

	file_record(fp, &s, 1700000000, 123456789, 60, 64, 60);
	fclose(fp);
	c = open_netscope(NULL, errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_TRUE(ns_capture_nanosecond(c));
	CU_ASSERT_EQUAL(ns_capture_rx_burst(c, f, 4), 1);
	CU_ASSERT_EQUAL(f[0].ts_ns, 1700000000123456789ull);
	CU_ASSERT_EQUAL(f[0].caplen, 60);
	CU_ASSERT_EQUAL(f[0].wirelen, 64);
	CU_ASSERT_EQUAL(ns_capture_status(c), NS_CAPTURE_EOF);
	ns_capture_close(c);
}

/* Seconds with the top bit set: libpcap reads them as signed, and so do we. */
static void
test_timestamp_extremes(void)
{
	FILE *f = file_begin(&usec_eth);

	file_record(f, &usec_eth, 0x80000001u, 999999, 10, 10, 10);
	file_record(f, &usec_eth, 0xffffffffu, 0xffffffffu, 10, 10, 10);
	file_record(f, &usec_eth, 0, 0, 10, 10, 10);
	fclose(f);
	CU_ASSERT_EQUAL(check_same("mmap", NULL), 3);
}

static void
test_link_types(void)
{
	static const uint32_t fast[] = { 0, 1, 101, 108, 113, 228, 229, 276 };

	for (unsigned i = 0; i < NS_ARRAY_SIZE(fast); i++) {
		struct file_spec s = usec_eth;

		s.linktype = fast[i];
		write_mixed(&s, 50);
		CU_ASSERT_EQUAL(check_same("mmap", NULL), 50);
		/* the FCS bits in the top of the field do not change the link type */
		s.linktype = fast[i] | 0x14000000u;
		write_mixed(&s, 50);
		CU_ASSERT_EQUAL(check_same("mmap", NULL), 50);
	}
}

/* What the fast path leaves to libpcap, read exactly as before. */
static void
test_fallbacks(void)
{
	struct file_spec s = usec_eth;

	s.minor = 3; /* caplen/len may be swapped in 2.3 files */
	write_mixed(&s, 50);
	CU_ASSERT_EQUAL(check_same("libpcap", NULL), 50);
	s = usec_eth;
	s.swapped = true;
	s.linktype = 113; /* libpcap byte-swaps CAN IDs inside byte-swapped SLL frames */
	write_mixed(&s, 50);
	CU_ASSERT_EQUAL(check_same("libpcap", NULL), 50);
	s = usec_eth;
	s.linktype = 105; /* 802.11: not decoded, not worth a fast path */
	write_mixed(&s, 50);
	CU_ASSERT_EQUAL(check_same("libpcap", NULL), 50);
	s = usec_eth;
	s.magic = 0xa1b2cd34; /* Kuznetzov's modified pcap: longer record headers */
	write_mixed(&s, 50);
	check_same("libpcap", NULL);
}

static void
test_bad_headers_fail_like_libpcap(void)
{
	struct file_spec s = usec_eth;
	FILE *f;

	s.major = 1;
	write_mixed(&s, 5);
	check_same("", NULL);
	s.major = 3;
	write_mixed(&s, 5);
	check_same("", NULL);
	f = fopen(g_path, "wb");
	fwrite("\xd4\xc3\xb2\xa1\x02\x00", 6, 1, f); /* a file header cut short */
	fclose(f);
	check_same("", NULL);
	f = fopen(g_path, "wb");
	fclose(f); /* empty */
	check_same("", NULL);
}

static void
test_header_only(void)
{
	fclose(file_begin(&usec_eth));
	CU_ASSERT_EQUAL(check_same("mmap", NULL), 0);
}

/* Cut files: inside a record header, inside a record body, at a record boundary. */
static void
test_cut_files(void)
{
	for (unsigned cut = 1; cut < 16; cut += 7) {
		FILE *f = file_begin(&usec_eth);

		file_record(f, &usec_eth, 1, 2, 100, 100, 100);
		fwrite("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", cut, 1, f);
		fclose(f);
		CU_ASSERT_EQUAL(check_same("mmap", NULL), 1);
	}
	for (unsigned body = 0; body < 100; body += 33) {
		FILE *f = file_begin(&usec_eth);

		file_record(f, &usec_eth, 1, 2, 100, 100, 100);
		file_record(f, &usec_eth, 1, 3, 100, 100, body);
		fclose(f);
		CU_ASSERT_EQUAL(check_same("mmap", NULL), 1);
	}
}

/*
 * caplen above the file's snapshot length: cut to it when within libpcap's maximum (and the
 * rest of the record skipped), an error beyond it, and an error when the cut record itself
 * is cut short, before or after the snapshot length.
 */
static void
test_oversized_records(void)
{
	struct file_spec s = usec_eth;
	FILE *f;

	s.snaplen = 96;
	f = file_begin(&s);
	file_record(f, &s, 1, 0, 60, 60, 60);
	file_record(f, &s, 2, 0, 200, 300, 200);
	file_record(f, &s, 3, 0, 96, 96, 96);
	fclose(f);
	CU_ASSERT_EQUAL(check_same("mmap", NULL), 3);

	f = file_begin(&s);
	file_record(f, &s, 1, 0, 60, 60, 60);
	file_record(f, &s, 2, 0, 300000, 300000, 64); /* absurd: bigger than snaplen */
	fclose(f);
	CU_ASSERT_EQUAL(check_same("mmap", NULL), 1);

	f = file_begin(&s);
	file_record(f, &s, 2, 0, 200, 300, 50); /* cut before the snapshot length */
	fclose(f);
	CU_ASSERT_EQUAL(check_same("mmap", NULL), 0);

	f = file_begin(&s);
	file_record(f, &s, 2, 0, 200, 300, 150); /* cut after it */
	fclose(f);
	CU_ASSERT_EQUAL(check_same("mmap", NULL), 0);

	/* snaplen 0 or beyond INT_MAX: libpcap's maximum; up to INT_MAX: kept as it is */
	s.snaplen = 0;
	f = file_begin(&s);
	file_record(f, &s, 1, 0, 60, 60, 60);
	file_record(f, &s, 2, 0, 262145, 262145, 10);
	fclose(f);
	CU_ASSERT_EQUAL(check_same("mmap", NULL), 1);
	s.snaplen = 0x7fffffff;
	f = file_begin(&s);
	file_record(f, &s, 1, 0, 70000, 70000, 70000);
	file_record(f, &s, 2, 0, 300000, 60, 10); /* within snaplen, above the maximum */
	fclose(f);
	CU_ASSERT_EQUAL(check_same("mmap", NULL), 1);
	s.snaplen = 0x80000000u;
	f = file_begin(&s);
	file_record(f, &s, 1, 0, 70000, 70000, 70000);
	file_record(f, &s, 2, 0, 0xffffffffu, 60, 10);
	fclose(f);
	CU_ASSERT_EQUAL(check_same("mmap", NULL), 1);
}

/*
 * Files of several reader windows (2 MB) and many prefetch blocks, in every byte order and
 * resolution: records of 0 to 2,600 bytes straddle every window and block edge, records of
 * the maximum caplen (262,144) sit between them and at the end, and each file ends in a way
 * the walk must leave to the slow path (a whole last record, a cut body, a cut header, a
 * record cut to the snapshot length). Timestamps run up to the last fraction of a second.
 */
static void
test_long_files(void)
{
	static const uint32_t magics[] = { 0xa1b2c3d4, 0xa1b23c4d };
	static uint8_t big[262144];

	for (unsigned v = 0; v < 8; v++) {
		struct file_spec s = usec_eth;
		uint32_t max_frac = v & 1 ? 999999999u : 999999u;
		unsigned ending = v / 2, n = MAX_FRAMES - 1;
		FILE *f;

		s.magic = magics[v & 1];
		s.swapped = (v / 2) & 1;
		s.snaplen = ending == 3 ? 2000 : 262144;
		f = file_begin(&s);
		for (unsigned i = 0; i < n; i++) {
			bool huge = i == 700 || i == 701 || i == 2900 || i == n - 1;
			uint32_t caplen = (i * 2654435761u) % 2601;
			uint32_t h[4];

			if (s.snaplen == sizeof(big) && huge)
				caplen = sizeof(big);
			h[0] = fix32(&s, 1700000000u + i / 3);
			h[1] = fix32(&s, i % 3 == 2 ? max_frac : i * 7919u % max_frac);
			h[2] = fix32(&s, caplen);
			h[3] = fix32(&s, caplen + i % 5);
			fwrite(h, sizeof(h), 1, f);
			for (uint32_t k = 0; k < caplen && k < 64; k++)
				big[k] = (uint8_t)(i + k);
			fwrite(big, caplen, 1, f);
		}
		switch (ending) {
		case 1: /* a cut body */
			file_record(f, &s, 1, 2, 1000, 1000, 999);
			break;
		case 2: /* a cut header, 15 bytes */
			fwrite(big, 15, 1, f);
			break;
		case 3: /* cut to the snapshot length of 2000, then a whole last record */
			file_record(f, &s, 1, 2, 2600, 2600, 2600);
			break;
		default:
			break;
		}
		fclose(f);
		CU_ASSERT_EQUAL(check_same("mmap", NULL), n + (ending == 3));
	}
}

/* BPF on the fast path: the same frames pass and the same number is counted as filtered. */
static void
test_filter_counts(void)
{
	FILE *f = file_begin(&usec_eth);

	for (unsigned i = 0; i < 300; i++)
		file_ip_frame(f, &usec_eth, i, i % 3 == 0 ? 17 : 6);
	fclose(f);
	CU_ASSERT_EQUAL(check_same("mmap", "tcp"), 200);
	CU_ASSERT_EQUAL(check_same("mmap", "udp"), 100);
	CU_ASSERT_EQUAL(check_same("mmap", "arp"), 0);
}

/* Frames of a mapped file stay readable after later bursts, until close. */
static void
test_frame_lifetime(void)
{
	char errbuf[NS_CAPTURE_ERRBUF];
	struct ns_frame first[8], next[8];
	uint64_t sums[8];
	struct ns_capture *c;

	write_mixed(&usec_eth, 100);
	c = open_netscope(NULL, errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(ns_capture_rx_burst(c, first, 8), 8);
	for (unsigned i = 0; i < 8; i++)
		sums[i] = bytes_sum(first[i].data, first[i].caplen);
	while (ns_capture_rx_burst(c, next, 8) > 0)
		;
	CU_ASSERT_EQUAL(ns_capture_status(c), NS_CAPTURE_EOF);
	for (unsigned i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(bytes_sum(first[i].data, first[i].caplen), sums[i]);
	ns_capture_close(c);
}

static void
test_breakloop(void)
{
	char errbuf[NS_CAPTURE_ERRBUF];
	struct ns_frame f[8];
	struct ns_capture *c;

	write_mixed(&usec_eth, 100);
	c = open_netscope(NULL, errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(ns_capture_rx_burst(c, f, 8), 8);
	ns_capture_breakloop(c);
	CU_ASSERT_EQUAL(ns_capture_rx_burst(c, f, 8), 0);
	CU_ASSERT_EQUAL(ns_capture_status(c), NS_CAPTURE_STOPPED);
	ns_capture_close(c);
}

/* A file truncated after the open (by another program): the read ends there, no SIGBUS. */
static void
test_truncated_under_reader(void)
{
	char errbuf[NS_CAPTURE_ERRBUF];
	struct ns_frame f[8];
	struct ns_capture *c;

	write_mixed(&usec_eth, 100);
	c = open_netscope(NULL, errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(truncate(g_path, 24), 0);
	CU_ASSERT_EQUAL(ns_capture_rx_burst(c, f, 8), 0);
	CU_ASSERT_EQUAL(ns_capture_status(c), NS_CAPTURE_EOF);
	ns_capture_close(c);
}

static long
rss_file_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "RssFile: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* 128 MB of 64 KB records: the mapped file's resident part stays at a few windows. */
static void
test_rss_bounded(void)
{
	char errbuf[NS_CAPTURE_ERRBUF];
	static uint8_t body[65535];
	struct ns_frame f[32];
	struct ns_capture *c;
	long before, peak = 0;
	uint64_t frames = 0;
	FILE *fp = file_begin(&usec_eth);

	for (unsigned i = 0; i < 2048; i++) {
		uint32_t h[4] = { i, 0, sizeof(body), sizeof(body) };

		fwrite(h, sizeof(h), 1, fp);
		fwrite(body, sizeof(body), 1, fp);
	}
	fclose(fp);
	before = rss_file_kb();
	c = open_netscope(NULL, errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (;;) {
		unsigned n = ns_capture_rx_burst(c, f, 32);
		long now;

		for (unsigned i = 0; i < n; i++)
			frames += f[i].data[f[i].caplen - 1] == 0; /* touch every frame */
		now = rss_file_kb();
		if (now > peak)
			peak = now;
		if (n == 0)
			break;
	}
	CU_ASSERT_EQUAL(frames, 2048);
	CU_ASSERT_EQUAL(ns_capture_status(c), NS_CAPTURE_EOF);
	ns_capture_close(c);
	if (before < 0) {
		fprintf(stderr, "no RssFile in /proc/self/status: not checked\n");
		return;
	}
	/* three 2 MB windows and a burst of 32 frames, with room to spare; the file is 128 MB */
	if (peak - before >= 16 * 1024)
		fprintf(stderr, "\n  RssFile grew by %ld kB\n", peak - before);
	CU_ASSERT_TRUE(peak - before < 16 * 1024);
}

/* A FIFO is left to libpcap, which reads it as a stream. */
static void
test_fifo_falls_back(void)
{
	char fifo[300], errbuf[NS_CAPTURE_ERRBUF];
	struct ns_capture_params p = { .backend = NS_BACKEND_PCAP, .snaplen = 65535 };
	struct ns_capture_info info;
	struct ns_frame f[64];
	struct ns_capture *c;
	unsigned got = 0;
	pid_t pid;

	write_mixed(&usec_eth, 20);
	snprintf(fifo, sizeof(fifo), "%s/fifo", g_dir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		char buf[4096];
		FILE *in = fopen(g_path, "rb"), *out = fopen(fifo, "wb");
		size_t k;

		while (in != NULL && out != NULL && (k = fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, k, out);
		if (out != NULL)
			fclose(out);
		_exit(0);
	}
	p.file = fifo;
	c = ns_capture_open(&p, errbuf);
	if (c == NULL)
		fprintf(stderr, "\n  %s\n", errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	ns_capture_get_info(c, &info);
	CU_ASSERT_STRING_EQUAL(info.driver, "libpcap");
	for (;;) {
		unsigned n = ns_capture_rx_burst(c, f, 64);

		got += n;
		if (n == 0 && ns_capture_status(c) != NS_CAPTURE_RUNNING)
			break;
	}
	CU_ASSERT_EQUAL(got, 20);
	CU_ASSERT_EQUAL(ns_capture_status(c), NS_CAPTURE_EOF);
	ns_capture_close(c);
	waitpid(pid, NULL, 0);
	unlink(fifo);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_native_usec),
	NS_TEST(test_byte_orders_and_resolutions),
	NS_TEST(test_big_endian_nanosecond_values),
	NS_TEST(test_timestamp_extremes),
	NS_TEST(test_link_types),
	NS_TEST(test_fallbacks),
	NS_TEST(test_bad_headers_fail_like_libpcap),
	NS_TEST(test_header_only),
	NS_TEST(test_cut_files),
	NS_TEST(test_oversized_records),
	NS_TEST(test_long_files),
	NS_TEST(test_filter_counts),
	NS_TEST(test_frame_lifetime),
	NS_TEST(test_breakloop),
	NS_TEST(test_truncated_under_reader),
	NS_TEST(test_rss_bounded),
	NS_TEST(test_fifo_falls_back),
};

int
main(void)
{
	int rc;

	if (mkdtemp(g_dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(g_path, sizeof(g_path), "%s/t.pcap", g_dir);
	rc = ns_test_run("capture_file_reader", cases, NS_ARRAY_SIZE(cases));
	unlink(g_path);
	rmdir(g_dir);
	return rc;
}
