/* SPDX-License-Identifier: MIT */
/*
 * The libpcap backend: a live interface (kernel BPF filter, TPACKET ring) or a capture file
 * (filter applied here so rejected frames are counted). A classic pcap file that is a regular
 * file is read by the zero-copy reader (capture_file.c): frames point into the mapped file and
 * only the BPF filter comes from libpcap. Everything else goes through libpcap, which hands out
 * one frame at a time and reuses its buffer on the next read, so frames of a burst are copied
 * into an arena; the last frame of a burst is returned in place, which is valid until the next
 * read. One queue per handle; in auto mode it takes every source nothing else claims.
 */
#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture_priv.h"
#include "ns_core.h"

/* Room for a burst of copied frames; a burst ends early rather than overflow it. */
#define ARENA_BYTES (4u << 20)

struct pcap_cap {
	pcap_t *pcap;
	bool live;
	int fd;         /* live: the capture socket, polled with timeout_ms */
	int timeout_ms; /* live: longest wait of one rx_burst */
	bool have_filter; /* file mode: userspace filter */
	struct bpf_program prog;
	struct ns_capture_stats st;
	bool handle_nano; /* libpcap hands out nanoseconds in tv_usec (else microseconds) */
	/* live: the kernel's 32-bit drop counters as last read, and their 64-bit totals */
	uint32_t drop_last, ifdrop_last;
	uint64_t drop_total, ifdrop_total;
	uint8_t *arena; /* libpcap file reads */
	struct file_reader *file; /* a classic pcap file, read in place; pcap is then a dead
				     handle for compiling the filter */
};

/*
 * Whether a file libpcap reads is written back (-w) with nanosecond timestamps. A classic pcap
 * file stores them only under the 0xa1b23c4d magic and keeps its own precision. Anything else
 * gets nanoseconds, which lose nothing: a pcapng file (its interfaces may have any resolution)
 * and a stream ("-", a FIFO), which is not opened a second time to look: that would hand us
 * bytes of the stream libpcap is reading, or block.
 */
static bool
file_is_nanosecond(const char *path)
{
	uint8_t m[4];
	struct stat st;
	FILE *f;
	bool nano = true;

	if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return true;
	f = fopen(path, "rb");
	if (f == NULL)
		return true;
	/* the microsecond magic, either byte order */
	if (fread(m, 1, 4, f) == 4)
		nano = !((m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0xc3 && m[3] == 0xd4) ||
			 (m[0] == 0xd4 && m[1] == 0xc3 && m[2] == 0xb2 && m[3] == 0xa1));
	fclose(f);
	return nano;
}

/*
 * A file: the zero-copy reader when it takes the file, libpcap otherwise; -v says which and why
 * (the tests rely on these lines). Either way the filter is compiled by libpcap for the
 * file's link type and snapshot length, and applied here.
 */
static int
open_file(struct pcap_cap *c, struct ns_capture *h, const struct ns_capture_params *p, char *errbuf)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	char why[160] = "";
	int rc;

	rc = file_reader_open(p->file, &c->file, why, sizeof(why), errbuf);
	if (rc == 0) {
		int linktype = file_reader_linktype(c->file);
		uint32_t snaplen = file_reader_snaplen(c->file);

		h->nanosecond = file_reader_nanosecond(c->file);
		c->pcap = pcap_open_dead_with_tstamp_precision(linktype, (int)snaplen,
							       PCAP_TSTAMP_PRECISION_NANO);
		if (c->pcap == NULL) {
			capture_errf(errbuf, "out of memory");
			return -ENOMEM;
		}
		NS_LOG(INFO, "capture",
		       "reading %s with the zero-copy reader (pcap, %s, %s timestamps)", p->file,
		       file_reader_swapped(c->file) ? "byte-swapped" : "native byte order",
		       h->nanosecond ? "nanosecond" : "microsecond");
	} else if (rc == -ENOTSUP) {
		NS_LOG(INFO, "capture", "reading %s with libpcap: %s", p->file, why);
		c->pcap = pcap_open_offline_with_tstamp_precision(p->file,
								  PCAP_TSTAMP_PRECISION_NANO, pe);
		if (c->pcap == NULL) {
			capture_errf(errbuf, "cannot read '%s': %s", p->file, pe);
			return -EIO;
		}
		h->nanosecond = file_is_nanosecond(p->file);
		c->handle_nano = true;
		c->arena = malloc(ARENA_BYTES);
		if (c->arena == NULL) {
			capture_errf(errbuf, "out of memory");
			return -ENOMEM;
		}
	} else {
		return rc;
	}
	if (p->filter != NULL && p->filter[0] != '\0') {
		/* netmask 0, as tcpdump -r uses: "ip broadcast" compiles */
		if (pcap_compile(c->pcap, &c->prog, p->filter, 1, 0) != 0) {
			capture_errf(errbuf, "bad filter '%s': %s", p->filter,
				     pcap_geterr(c->pcap));
			return -EINVAL;
		}
		c->have_filter = true;
	}
	return 0;
}

static const char *
activate_hint(int rc)
{
	switch (rc) {
	case PCAP_ERROR_PERM_DENIED:
		return "live capture needs the CAP_NET_RAW capability: run as root (sudo netscope "
		       "...) or grant it with 'setcap cap_net_raw,cap_net_admin=eip netscope'";
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return "no such interface (netscope -D lists them)";
	case PCAP_ERROR_IFACE_NOT_UP:
		return "the interface is down";
	default:
		return "";
	}
}

static int
open_live(struct pcap_cap *c, struct ns_capture *h, const struct ns_capture_params *p, char *errbuf)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	int rc;

	c->live = true;
	c->pcap = pcap_create(p->interface, pe);
	if (c->pcap == NULL) {
		capture_errf(errbuf, "cannot open interface '%s': %s", p->interface, pe);
		return -ENODEV;
	}
	pcap_set_snaplen(c->pcap, (int)p->snaplen);
	pcap_set_promisc(c->pcap, p->promisc);
	pcap_set_timeout(c->pcap, (int)p->timeout_ms);
	pcap_set_buffer_size(c->pcap, (int)NS_MIN((uint64_t)p->buffer_mb << 20, (uint64_t)INT_MAX));
	/* a device without nanosecond time stamps (nfqueue, some USB) keeps microseconds */
	h->nanosecond = pcap_set_tstamp_precision(c->pcap, PCAP_TSTAMP_PRECISION_NANO) == 0;
	c->handle_nano = h->nanosecond;
	rc = pcap_activate(c->pcap);
	if (rc < 0) {
		const char *hint = activate_hint(rc);

		snprintf(errbuf, NS_CAPTURE_ERRBUF, "cannot capture on '%s': %s%s%s", p->interface,
			 pcap_geterr(c->pcap), hint[0] != '\0' ? "; " : "", hint);
		if (rc == PCAP_ERROR_PERM_DENIED)
			return -EPERM;
		return rc == PCAP_ERROR_NO_SUCH_DEVICE ? -ENODEV : -EIO;
	}
	if (rc > 0)
		NS_LOG(WARNING, "capture", "%s: %s", p->interface, pcap_statustostr(rc));
	/*
	 * With TPACKET_V3 libpcap blocks in poll() without a timeout and relies on the kernel's
	 * block timer, which never fires while no packet arrives: an idle interface would block a
	 * read (and --duration) forever. Read non-blocking and poll the socket ourselves.
	 */
	c->fd = pcap_get_selectable_fd(c->pcap);
	c->timeout_ms = (int)p->timeout_ms;
	if (c->fd >= 0 && pcap_setnonblock(c->pcap, 1, pe) != 0) {
		NS_LOG(WARNING, "capture", "%s: %s; reads may block", p->interface, pe);
		c->fd = -1;
	}
	/*
	 * Live capture filters in the kernel: rejected frames never reach us, so none counted.
	 * The interface's netmask, as tcpdump passes it, lets "ip broadcast" compile.
	 */
	if (p->filter != NULL && p->filter[0] != '\0') {
		bpf_u_int32 net, mask;

		if (pcap_lookupnet(p->interface, &net, &mask, pe) != 0)
			mask = 0; /* no IPv4 address: tcpdump's fallback too */
		if (pcap_compile(c->pcap, &prog, p->filter, 1, mask) != 0) {
			capture_errf(errbuf, "bad filter '%s': %s", p->filter,
				     pcap_geterr(c->pcap));
			return -EINVAL;
		}
		rc = pcap_setfilter(c->pcap, &prog);
		pcap_freecode(&prog);
		if (rc != 0) {
			capture_errf(errbuf, "cannot set filter '%s': %s", p->filter,
				     pcap_geterr(c->pcap));
			return -EIO;
		}
	}
	return 0;
}

static void
pcap_close_backend(struct ns_capture *h)
{
	struct pcap_cap *c = h->priv;

	if (c == NULL)
		return;
	if (c->have_filter)
		pcap_freecode(&c->prog);
	if (c->pcap != NULL)
		pcap_close(c->pcap);
	file_reader_close(c->file);
	free(c->arena);
	free(c);
	h->priv = NULL;
}

static int
pcap_open_backend(struct ns_capture *h, const struct ns_capture_params *p, bool automatic,
		  char *errbuf)
{
	struct pcap_cap *c;
	bool has_file = p->file != NULL && p->file[0] != '\0';
	int rc;

	(void)automatic; /* the last resort never declines */
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto nomem;
	c->fd = -1;
	h->priv = c;
	if (!has_file) {
		c->arena = malloc(ARENA_BYTES);
		if (c->arena == NULL)
			goto nomem;
	}
	rc = has_file ? open_file(c, h, p, errbuf) : open_live(c, h, p, errbuf);
	if (rc < 0) {
		pcap_close_backend(h);
		return rc;
	}
	h->nb_queues = 1;
	h->linktype = pcap_datalink(c->pcap);
	h->snaplen = (uint32_t)pcap_snapshot(c->pcap);
	h->info.name = has_file ? p->file : p->interface;
	h->info.driver = !has_file ? "" : c->file != NULL ? "mmap" : "libpcap";
	h->info.numa_socket = -1;
	h->info.symmetric = true;
	h->info.spread = "one queue";
	h->info.live = c->live;
	return 0;
nomem:
	pcap_close_backend(h);
	capture_errf(errbuf, "out of memory");
	return -ENOMEM;
}

/* Files and interfaces: pcap opens anything, so it is what auto falls back to. */
static enum capture_claim
pcap_claim(const struct ns_capture_params *p, char *why, size_t len)
{
	if (p->file != NULL && p->file[0] != '\0')
		snprintf(why, len, "reading a capture file");
	else
		snprintf(why, len, "'%s' is not a DPDK port", p->interface);
	return CAPTURE_CLAIM_FALLBACK;
}

/* @nano: the handle has nanosecond precision, and tv_usec holds nanoseconds. */
static uint64_t
ts_to_ns(const struct timeval *tv, bool nano)
{
	return (uint64_t)tv->tv_sec * NS_NSEC_PER_SEC + (uint64_t)tv->tv_usec * (nano ? 1 : 1000);
}

/* Keep the frames the filter accepts, in order; count the others. Returns how many stay. */
static unsigned
filter_burst(struct pcap_cap *c, struct ns_frame *frames, unsigned n)
{
	struct pcap_pkthdr ph; /* the filter reads caplen and len only */
	unsigned kept = 0;

	memset(&ph, 0, sizeof(ph));
	for (unsigned i = 0; i < n; i++) {
		ph.caplen = frames[i].caplen;
		ph.len = frames[i].wirelen;
		if (pcap_offline_filter(&c->prog, &ph, frames[i].data) == 0) {
			c->st.filtered++;
			continue;
		}
		frames[kept++] = frames[i];
	}
	return kept;
}

/* A mapped file: the reader fills the burst in place, the filter compacts it. */
static unsigned
file_rx_burst(struct ns_capture *h, struct pcap_cap *c, struct ns_frame *frames, unsigned n)
{
	unsigned got = 0;
	uint64_t bytes = 0;

	if (ns_capture_queue_status(h, 0) == NS_CAPTURE_ERROR)
		return 0;
	if (h->stop) {
		capture_set_status(h, 0, NS_CAPTURE_STOPPED);
		return 0;
	}
	if (!c->have_filter) {
		/* the reader sums the wire lengths as it walks */
		got = file_reader_burst(c->file, frames, n, &bytes);
	} else {
		while (got < n) {
			uint64_t unused = 0;
			unsigned k = file_reader_burst(c->file, frames + got, n - got, &unused);

			got += filter_burst(c, frames + got, k);
			if (file_reader_status(c->file) != NS_CAPTURE_RUNNING)
				break;
		}
		for (unsigned i = 0; i < got; i++)
			bytes += frames[i].wirelen;
	}
	c->st.received += got;
	c->st.bytes += bytes;
	switch (file_reader_status(c->file)) {
	case NS_CAPTURE_EOF:
		capture_set_status(h, 0, NS_CAPTURE_EOF);
		break;
	case NS_CAPTURE_ERROR:
		capture_set_error(h, 0, "%s", file_reader_error(c->file));
		break;
	default:
		break;
	}
	return got;
}

static unsigned
pcap_rx_burst(struct ns_capture *h, unsigned q, struct ns_frame *frames, unsigned n)
{
	struct pcap_cap *c = h->priv;
	size_t used = 0;
	unsigned got = 0;
	bool waited = false;

	(void)q; /* one queue */
	if (c->file != NULL)
		return file_rx_burst(h, c, frames, n);
	/*
	 * A read error ends the source for good: libpcap would report the rest of a cut file as
	 * a clean end, and the caller must still see the error after this burst's frames.
	 */
	if (ns_capture_queue_status(h, 0) == NS_CAPTURE_ERROR)
		return 0;
	while (got < n) {
		struct pcap_pkthdr *ph;
		const u_char *data;
		int rc;

		if (h->stop) {
			capture_set_status(h, 0, NS_CAPTURE_STOPPED);
			break;
		}
		rc = pcap_next_ex(c->pcap, &ph, &data);
		if (rc == 0 && got == 0 && !waited && c->fd >= 0) {
			/* nothing queued: wait up to timeout_ms once (a signal ends it early) */
			struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

			waited = true;
			if (poll(&pfd, 1, c->timeout_ms) > 0)
				continue;
		}
		if (rc == 0) /* live read timeout */
			break;
		if (rc < 0) {
			if (h->stop)
				capture_set_status(h, 0, NS_CAPTURE_STOPPED);
			else if (rc == PCAP_ERROR_BREAK)
				capture_set_status(h, 0, NS_CAPTURE_EOF);
			else
				capture_set_error(h, 0, "%s", pcap_geterr(c->pcap));
			break;
		}
		if (c->have_filter && pcap_offline_filter(&c->prog, ph, data) == 0) {
			c->st.filtered++;
			continue;
		}
		frames[got].caplen = ph->caplen;
		frames[got].wirelen = ph->len;
		frames[got].ts_ns = ts_to_ns(&ph->ts, c->handle_nano);
		c->st.received++;
		c->st.bytes += ph->len;
		/*
		 * The newest frame stays in libpcap's buffer (valid until the next read); earlier
		 * ones must be copied. Stop when the arena can't take this one.
		 */
		if (got + 1 == n || used + ph->caplen > ARENA_BYTES) {
			frames[got++].data = data;
			break;
		}
		memcpy(c->arena + used, data, ph->caplen);
		frames[got++].data = c->arena + used;
		used += ph->caplen;
	}
	return got;
}

static void
pcap_breakloop_backend(struct ns_capture *h)
{
	struct pcap_cap *c = h->priv;

	pcap_breakloop(c->pcap);
}

static int
pcap_stats_backend(struct ns_capture *h, int q, struct ns_capture_stats *st)
{
	struct pcap_cap *c = h->priv;
	struct pcap_stat ps;

	*st = c->st;
	/*
	 * The kernel's counters belong to the handle, which is also its only queue. They are 32
	 * bits (struct pcap_stat) and wrap under a long overload: the totals add each change
	 * modulo 2^32 (the management thread is the one caller).
	 */
	if (q < 0 && c->live && pcap_stats(c->pcap, &ps) == 0) {
		c->drop_total += (uint32_t)(ps.ps_drop - c->drop_last);
		c->ifdrop_total += (uint32_t)(ps.ps_ifdrop - c->ifdrop_last);
		c->drop_last = ps.ps_drop;
		c->ifdrop_last = ps.ps_ifdrop;
	}
	if (c->live) {
		st->dropped = c->drop_total;
		st->if_dropped = c->ifdrop_total;
	}
	return 0;
}

int
ns_capture_filter_check(const char *filter, int linktype, uint32_t snaplen, char *errbuf)
{
	struct bpf_program prog;
	pcap_t *p = pcap_open_dead(linktype, (int)snaplen);
	int rc = 0;

	if (p == NULL) {
		capture_errf(errbuf, "out of memory");
		return -ENOMEM;
	}
	if (pcap_compile(p, &prog, filter, 1, 0) != 0) {
		capture_errf(errbuf, "bad filter '%s': %s", filter, pcap_geterr(p));
		rc = -EINVAL;
	} else {
		pcap_freecode(&prog);
	}
	pcap_close(p);
	return rc;
}

static int
pcap_list(FILE *out, const struct ns_capture_params *p, int first, char *errbuf)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all, *d;
	int n = 0;

	(void)p;
	if (pcap_findalldevs(&all, pe) != 0) {
		capture_errf(errbuf, "cannot list interfaces: %s", pe);
		return -EINVAL;
	}
	for (d = all; d != NULL; d = d->next) {
		const char *state = "";

		if (d->flags & PCAP_IF_LOOPBACK)
			state = " loopback";
		fprintf(out, "%d. %s [pcap%s%s%s]%s%s\n", first + ++n, d->name, state,
			(d->flags & PCAP_IF_UP) ? " up" : " down",
			(d->flags & PCAP_IF_RUNNING) ? " running" : "",
			d->description != NULL ? " " : "",
			d->description != NULL ? d->description : "");
	}
	pcap_freealldevs(all);
	return n;
}

const struct capture_ops capture_pcap_ops = {
	.name = "pcap",
	.kind = NS_BACKEND_PCAP,
	.claim = pcap_claim,
	.open = pcap_open_backend,
	.rx_burst = pcap_rx_burst,
	.stats = pcap_stats_backend,
	.breakloop = pcap_breakloop_backend,
	.close = pcap_close_backend,
	.list = pcap_list,
};
