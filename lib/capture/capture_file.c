/* SPDX-License-Identifier: MIT */
/*
 * The zero-copy reader of classic pcap files. The file is mapped read-only and its 16-byte
 * record headers are walked in place: a burst is a list of pointers into the mapping, with no
 * read() and no copy, which is what lets a file be read at ~2 ns per frame instead of libpcap's
 * fread + memcpy. It takes only what it can read exactly as libpcap would: a regular file in
 * version 2.4 with the microsecond or nanosecond magic in either byte order, whose link type
 * needs no per-frame fix-up. Everything else (pcapng, stdin, pipes, old versions, the modified
 * formats, link types whose pseudo-headers libpcap byte-swaps) is declined with a reason and
 * read through libpcap by capture_pcap.c. Records are checked against the remaining length
 * before they are touched; the truncation and "invalid capture length" verdicts, their texts,
 * the cut to the snapshot length and the timestamp arithmetic follow libpcap's sf-pcap.c, so
 * both readers report the same frames, counts and errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_priv.h"
#include "ns_core.h"

#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16

/*
 * libpcap's max_snaplen_for_dlt() for every link type taken here (MAXIMUM_SNAPLEN): a record
 * claiming more is a damaged file and ends the read with an error.
 */
#define PCAP_SNAPLEN_MAX 262144u

/*
 * Memory: the whole file is mapped (address space is free on 64-bit), but it is consumed in
 * windows of this size. When the cursor enters window k, window k+1 is populated ahead in one
 * madvise(MADV_POPULATE_READ) (no page fault per 64 KB in the loop) and windows before k-1 are
 * released with madvise(MADV_DONTNEED), so the process's resident set stays at about three
 * windows whatever the file size. Released pages are clean, read-only, file-backed: a pointer
 * into them stays valid (the page faults back in from the page cache), so releasing never
 * breaks a frame still held by a pipeline worker. 2 MB is two madvise() calls per ~27k
 * minimum-size frames, which measured as fast as 8 MB, with a resident set of ~6 MB instead
 * of ~24 MB.
 *
 * The kernel's part is per 4 KB page: mapping (populate) and unmapping (release or exit) each
 * touch the page's struct folio, ~190 ns a page, ~7 ms for a 152 MB file, whatever the advice
 * (measured: populate ahead, plain faults, MAP_POPULATE, MADV_SEQUENTIAL, MADV_RANDOM, no
 * release until munmap, 512 KB to 8 MB windows: all within noise). Page-cache folios of a
 * file written by small writes are order 0, so nothing is mapped larger. read() into a reused
 * 64 KB to 1 MB buffer costs more than it saves: walking 2M minimum-size records took 40-45
 * ms that way against 33 ms mapped (medians of 9, user + sys), the copy being the dearer part.
 */
/*
 * Where a record starts depends on the previous header, so the walk is a chain of dependent
 * loads the hardware prefetcher follows only within a page. The walk therefore keeps every
 * cache line up to PREFETCH_AHEAD bytes ahead of its cursor requested, a line or two per
 * minimum-size record: ~100 ns of memory latency is ~250 bytes of minimum-size records and
 * ~700 bytes of IMIX at the rates we read. On the min-size 100k-flow export run (perf
 * samples in the reader, medians of 12-15 runs) 2 and 4 KB ahead, one or two lines a step,
 * are within noise of each other; requesting 16 lines at a time every 1 KB costs ~20% more
 * there (the flow table's misses hold the fill buffers and a run of prefetches waits for
 * them), although it is 5 instructions a record fewer and faster when nothing else misses.
 */
#define PREFETCH_AHEAD 4096
#define WINDOW_BYTES (2u << 20)

struct file_reader {
	const uint8_t *map;
	size_t map_len; /* bytes mapped: the file size at open */
	size_t size; /* bytes readable: map_len, less if the file shrank since */
	size_t pos; /* offset of the next record header */
	size_t next_window; /* window boundary whose crossing runs window_advance() */
	size_t pf; /* the walk prefetched every line from its cursor to this offset */
	size_t released; /* [0, released) was given back with MADV_DONTNEED */
	int fd;
	bool swapped; /* the file's byte order is not ours */
	bool populate; /* MADV_POPULATE_READ works here (else MADV_WILLNEED) */
	uint32_t ts_mult; /* 1 for nanosecond files, 1000 for microsecond ones */
	uint32_t snaplen;
	uint32_t walk_caplen; /* walk() takes records up to this caplen: snaplen, at most the max */
	int linktype; /* DLT_* */
	enum ns_capture_status status;
	char err[NS_CAPTURE_ERRBUF];
};

/* On-disk record header (pcap-savefile(5)), in the file's byte order. */
struct rec_hdr {
	uint32_t sec;
	uint32_t frac; /* microseconds or nanoseconds */
	uint32_t caplen;
	uint32_t len;
};

/*
 * Link types the fast path reads: LINKTYPE_* value in the file, DLT_* value reported. All are
 * the ones the parser decodes. LINKTYPE_LINUX_SLL/SLL2 only in our byte order: in a swapped
 * file libpcap byte-swaps the CAN ID inside their frames, which a read-only mapping cannot do.
 */
static const struct {
	uint32_t linktype;
	int dlt;
	bool swapped_ok;
} fast_linktypes[] = {
	{ 0, DLT_NULL, true },   { 1, DLT_EN10MB, true },        { 101, DLT_RAW, true },
	{ 108, DLT_LOOP, true }, { 113, DLT_LINUX_SLL, false },  { 228, DLT_IPV4, true },
	{ 229, DLT_IPV6, true }, { 276, DLT_LINUX_SLL2, false },
};

static inline uint32_t
file_u32(uint32_t v, bool swapped)
{
	return swapped ? __builtin_bswap32(v) : v;
}

static inline uint16_t
file_u16(uint16_t v, bool swapped)
{
	return swapped ? __builtin_bswap16(v) : v;
}

/* Check the global header; fill @r or say in @why why libpcap should read this file instead. */
static int
parse_header(struct file_reader *r, const uint8_t *h, char *why, size_t len)
{
	uint32_t magic, linktype;
	uint16_t major, minor;
	unsigned i;

	memcpy(&magic, h, 4);
	if (magic == PCAP_MAGIC_USEC || magic == PCAP_MAGIC_NSEC) {
		r->swapped = false;
	} else if (__builtin_bswap32(magic) == PCAP_MAGIC_USEC ||
		   __builtin_bswap32(magic) == PCAP_MAGIC_NSEC) {
		r->swapped = true;
		magic = __builtin_bswap32(magic);
	} else {
		snprintf(why, len, "not a classic pcap file (pcapng or another format)");
		return -ENOTSUP;
	}
	r->ts_mult = magic == PCAP_MAGIC_NSEC ? 1 : 1000;
	memcpy(&major, h + 4, 2);
	memcpy(&minor, h + 6, 2);
	major = file_u16(major, r->swapped);
	minor = file_u16(minor, r->swapped);
	if (major != 2 || minor != 4) {
		snprintf(why, len, "pcap version %u.%u", major, minor);
		return -ENOTSUP;
	}
	memcpy(&r->snaplen, h + 16, 4);
	memcpy(&linktype, h + 20, 4);
	r->snaplen = file_u32(r->snaplen, r->swapped);
	/* the top 6 bits carry FCS information, which libpcap drops from the link type too */
	linktype = file_u32(linktype, r->swapped) & 0x03ffffffu;
	for (i = 0; i < NS_ARRAY_SIZE(fast_linktypes); i++)
		if (fast_linktypes[i].linktype == linktype)
			break;
	if (i == NS_ARRAY_SIZE(fast_linktypes)) {
		snprintf(why, len, "link type %u", linktype);
		return -ENOTSUP;
	}
	if (r->swapped && !fast_linktypes[i].swapped_ok) {
		snprintf(why, len, "link type %u in the other byte order", linktype);
		return -ENOTSUP;
	}
	r->linktype = fast_linktypes[i].dlt;
	/*
	 * libpcap's pcap_adjust_snapshot(): 0 or more than INT_MAX means the maximum; a value
	 * between the maximum and INT_MAX stays, and then caplen is held to the maximum.
	 */
	if (r->snaplen == 0 || r->snaplen > INT_MAX)
		r->snaplen = PCAP_SNAPLEN_MAX;
	r->walk_caplen = NS_MIN(r->snaplen, PCAP_SNAPLEN_MAX);
	return 0;
}

static void
prefetch_range(struct file_reader *r, size_t from, size_t to)
{
	if (to > r->size)
		to = r->size;
	if (from >= to)
		return;
	if (r->populate && madvise((void *)(r->map + from), to - from, MADV_POPULATE_READ) == 0)
		return;
	/* older kernels: at least start the readahead */
	r->populate = false;
	madvise((void *)(r->map + from), to - from, MADV_WILLNEED);
}

/*
 * Once per window (and before the first burst): populate the next window, release what is two
 * windows behind (see above). A file cut short while mapped would raise SIGBUS past its new
 * end, so the size is checked here too (before the first burst and once per window) and the
 * read ends where the file now ends. A file cut by another program in the middle of a window
 * remains a race that only a SIGBUS handler could close. (-r F -w F is refused by the config.)
 */
static void
window_advance(struct file_reader *r)
{
	size_t cur = r->pos - r->pos % WINDOW_BYTES;
	struct stat st;

	if (fstat(r->fd, &st) == 0 && (uint64_t)st.st_size < r->size)
		r->size = NS_MAX((size_t)st.st_size, r->pos);

	if (cur >= 2 * (size_t)WINDOW_BYTES && cur - WINDOW_BYTES > r->released) {
		madvise((void *)(r->map + r->released), cur - WINDOW_BYTES - r->released,
			MADV_DONTNEED);
		r->released = cur - WINDOW_BYTES;
	}
	prefetch_range(r, cur + WINDOW_BYTES, cur + 2 * (size_t)WINDOW_BYTES);
	r->next_window = cur + WINDOW_BYTES;
}

int
file_reader_open(const char *path, struct file_reader **out, char *why, size_t whylen, char *errbuf)
{
	struct file_reader *r;
	uint8_t hdr[PCAP_FILE_HDR];
	struct stat st;
	void *map;
	int rc;

	*out = NULL;
	if (strcmp(path, "-") == 0) {
		snprintf(why, whylen, "standard input");
		return -ENOTSUP;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		capture_errf(errbuf, "out of memory");
		return -ENOMEM;
	}
	r->fd = -1;
	/*
	 * Only a regular file is opened: opening a FIFO (or /dev/fd/N of a pipe) and closing it
	 * again would lose what its writer sent before libpcap reopens it. Failing to stat or
	 * open is left to libpcap, which reports it in its own words.
	 */
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		rc = -ENOTSUP;
		goto fail;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		rc = -ENOTSUP;
		goto fail;
	}
	if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		rc = -ENOTSUP;
		goto fail;
	}
	if (st.st_size < PCAP_FILE_HDR || pread(r->fd, hdr, sizeof(hdr), 0) != sizeof(hdr)) {
		snprintf(why, whylen, "shorter than a pcap file header");
		rc = -ENOTSUP;
		goto fail;
	}
	rc = parse_header(r, hdr, why, whylen);
	if (rc < 0)
		goto fail;
	if ((uint64_t)st.st_size > SIZE_MAX / 2) {
		snprintf(why, whylen, "larger than the address space");
		rc = -ENOTSUP;
		goto fail;
	}
	r->size = r->map_len = (size_t)st.st_size;
	map = mmap(NULL, r->map_len, PROT_READ, MAP_PRIVATE, r->fd, 0);
	if (map == MAP_FAILED) {
		snprintf(why, whylen, "mmap: %s", strerror(errno));
		rc = -ENOTSUP;
		goto fail;
	}
	r->map = map;
	/* readahead in big steps: the file is read once, front to back */
	madvise(map, r->map_len, MADV_SEQUENTIAL);
	r->populate = true;
	r->pos = PCAP_FILE_HDR;
	r->next_window = 0; /* the first burst checks the size and populates */
	r->status = NS_CAPTURE_RUNNING;
	*out = r;
	return 0;
fail:
	file_reader_close(r);
	return rc;
}

void
file_reader_close(struct file_reader *r)
{
	if (r == NULL)
		return;
	if (r->map != NULL)
		munmap((void *)r->map, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

int
file_reader_linktype(const struct file_reader *r)
{
	return r->linktype;
}

uint32_t
file_reader_snaplen(const struct file_reader *r)
{
	return r->snaplen;
}

bool
file_reader_nanosecond(const struct file_reader *r)
{
	return r->ts_mult == 1;
}

bool
file_reader_swapped(const struct file_reader *r)
{
	return r->swapped;
}

enum ns_capture_status
file_reader_status(const struct file_reader *r)
{
	return r->status;
}

const char *
file_reader_error(const struct file_reader *r)
{
	return r->err;
}

/*
 * libpcap's arithmetic: both fields are signed 32-bit in struct pcap_timeval, widened to
 * time_t / suseconds_t and scaled as such; capture_pcap.c then adds them as unsigned.
 */
static inline uint64_t
rec_ts(uint32_t sec, uint32_t frac, uint32_t mult)
{
	return (uint64_t)(int64_t)(int32_t)sec * NS_NSEC_PER_SEC +
	       (uint64_t)((int64_t)(int32_t)frac * mult);
}

/*
 * The fast loop: whole, sane records that leave room for the next record header (caplen within
 * the snapshot length, the maximum and the file less 16 bytes, so one compare covers both the
 * next header and this body). It stops at the first record it cannot take (always the file's
 * last one, among others) and leaves it to record_slow(). Inlined twice, so the byte order is a
 * constant in each copy. Adds the frames' wire lengths to *@bytes.
 */
static inline __attribute__((always_inline)) unsigned
walk(struct file_reader *r, struct ns_frame *frames, unsigned n, bool swapped, uint64_t *bytes)
{
	const uint8_t *map = r->map;
	const size_t last = r->size - PCAP_REC_HDR; /* size >= PCAP_FILE_HDR: no wrap */
	const uint32_t snaplen = r->walk_caplen, mult = r->ts_mult;
	struct ns_frame *f = frames, *const end = frames + n;
	size_t pos = r->pos, pf = NS_MAX(r->pf, pos); /* nothing behind the cursor */
	uint64_t sum = 0;

	/* caplen and the wire length are copied as one 8-byte word in our byte order */
	_Static_assert(offsetof(struct ns_frame, wirelen) == offsetof(struct ns_frame, caplen) + 4,
		       "ns_frame: wirelen follows caplen");
	_Static_assert(offsetof(struct rec_hdr, len) == offsetof(struct rec_hdr, caplen) + 4,
		       "rec_hdr: len follows caplen");
	if (pos > last)
		return 0;
	/* here and after every record taken: the header at pos is inside the file */
	while (f < end) {
		struct rec_hdr h;
		uint32_t caplen, len;
		size_t next;

		/* past the end of the mapping too (not bounded by the size here: two instructions
		 * a record): a prefetch never faults, and the address is formed as an integer, so
		 * no pointer leaves the mapping */
		for (const size_t want = pos + PREFETCH_AHEAD; pf < want; pf += NS_CACHE_LINE)
			__builtin_prefetch((const void *)((uintptr_t)map + pf));
		memcpy(&h, map + pos, sizeof(h));
		caplen = file_u32(h.caplen, swapped);
		next = pos + PCAP_REC_HDR + caplen;
		if (NS_UNLIKELY(caplen > snaplen || next > last))
			break;
		len = file_u32(h.len, swapped);
		f->data = map + pos + PCAP_REC_HDR;
		if (swapped) {
			f->caplen = caplen;
			f->wirelen = len;
		} else {
			memcpy(&f->caplen, &h.caplen, 8);
		}
		f->ts_ns = rec_ts(file_u32(h.sec, swapped), file_u32(h.frac, swapped), mult);
		sum += len;
		f++;
		pos = next;
	}
	r->pos = pos;
	r->pf = pf;
	*bytes += sum;
	return (unsigned)(f - frames);
}

__attribute__((format(printf, 2, 3))) static void
reader_fail(struct file_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	r->status = NS_CAPTURE_ERROR;
}

/*
 * The record walk() declined: the end of the file, its last record, a cut header or body, an
 * absurd caplen, or one bigger than the snapshot length, which libpcap cuts to it (sf-pcap.c,
 * "Solaris 2.3 ... BUFMOD"). Returns 1 with @f filled or 0 with the status set. Messages are
 * libpcap's.
 */
static unsigned
record_slow(struct file_reader *r, struct ns_frame *f)
{
	size_t left = r->size - r->pos, avail;
	struct rec_hdr h;
	uint32_t caplen;

	if (left == 0) {
		r->status = NS_CAPTURE_EOF;
		return 0;
	}
	if (left < PCAP_REC_HDR) {
		reader_fail(r, "truncated dump file; tried to read %u header bytes, only got %zu",
			    PCAP_REC_HDR, left);
		return 0;
	}
	memcpy(&h, r->map + r->pos, sizeof(h));
	caplen = file_u32(h.caplen, r->swapped);
	avail = left - PCAP_REC_HDR;
	if (caplen > PCAP_SNAPLEN_MAX) {
		if (caplen > r->snaplen)
			reader_fail(r,
				    "invalid packet capture length %u, bigger than snaplen of %u",
				    caplen, r->snaplen);
		else
			reader_fail(r,
				    "invalid packet capture length %u, bigger than maximum of %u",
				    caplen, PCAP_SNAPLEN_MAX);
		return 0;
	}
	if (caplen > r->snaplen && avail < r->snaplen) {
		reader_fail(r, "truncated dump file; tried to read %u captured bytes, only got %zu",
			    r->snaplen, avail);
		return 0;
	}
	if (caplen > avail) {
		reader_fail(r, "truncated dump file; tried to read %u captured bytes, only got %zu",
			    caplen, avail);
		return 0;
	}
	f->data = r->map + r->pos + PCAP_REC_HDR;
	f->caplen = NS_MIN(caplen, r->snaplen);
	f->wirelen = file_u32(h.len, r->swapped);
	f->ts_ns = rec_ts(file_u32(h.sec, r->swapped), file_u32(h.frac, r->swapped), r->ts_mult);
	r->pos += PCAP_REC_HDR + caplen;
	return 1;
}

unsigned
file_reader_burst(struct file_reader *r, struct ns_frame *frames, unsigned n, uint64_t *bytes)
{
	unsigned got = 0;

	if (r->status != NS_CAPTURE_RUNNING)
		return 0;
	if (NS_UNLIKELY(r->pos >= r->next_window)) {
		if (r->next_window == 0)
			prefetch_range(r, 0, WINDOW_BYTES);
		window_advance(r);
	}
	for (;;) {
		got += r->swapped ? walk(r, frames + got, n - got, true, bytes)
				  : walk(r, frames + got, n - got, false, bytes);
		if (NS_LIKELY(got == n) || record_slow(r, &frames[got]) == 0)
			break;
		*bytes += frames[got++].wirelen;
		if (got == n)
			break;
	}
	return got;
}
