/* SPDX-License-Identifier: MIT */
/*
 * The libpcap backend: a live interface (kernel BPF filter, TPACKET ring) or a pcap/pcapng
 * file (filter applied here so rejected frames are counted). libpcap hands out one frame at a
 * time and reuses its buffer on the next read, so frames of a burst are copied into an arena;
 * the last frame of a burst is returned in place, which is valid until the next read.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ns_capture.h"
#include "ns_core.h"

/* Room for a burst of copied frames; a burst ends early rather than overflow it. */
#define ARENA_BYTES (4u << 20)

struct ns_capture {
	pcap_t *pcap;
	bool live;
	bool nanosecond;
	bool have_filter; /* file mode: userspace filter */
	struct bpf_program prog;
	enum ns_capture_status status;
	volatile sig_atomic_t stop; /* set from a signal handler */
	struct ns_capture_stats st;
	uint8_t *arena;
	char err[NS_CAPTURE_ERRBUF];
};

static void __attribute__((format(printf, 2, 3)))
set_err(char *errbuf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, NS_CAPTURE_ERRBUF, fmt, ap);
	va_end(ap);
}

/* A pcap file stores nanosecond timestamps only under the 0xa1b23c4d magic. */
static bool
file_is_nanosecond(const char *path)
{
	uint8_t m[4];
	FILE *f;
	bool nano = false;

	if (strcmp(path, "-") == 0)
		return false;
	f = fopen(path, "rb");
	if (f == NULL)
		return false;
	if (fread(m, 1, 4, f) == 4)
		nano = (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0x3c && m[3] == 0x4d) ||
		       (m[0] == 0x4d && m[1] == 0x3c && m[2] == 0xb2 && m[3] == 0xa1);
	fclose(f);
	return nano;
}

static int
open_file(struct ns_capture *c, const struct ns_capture_params *p, char *errbuf)
{
	char pe[PCAP_ERRBUF_SIZE] = "";

	c->pcap = pcap_open_offline_with_tstamp_precision(p->file, PCAP_TSTAMP_PRECISION_NANO, pe);
	if (c->pcap == NULL) {
		set_err(errbuf, "cannot read '%s': %s", p->file, pe);
		return -EINVAL;
	}
	c->nanosecond = file_is_nanosecond(p->file);
	if (p->filter != NULL && p->filter[0] != '\0') {
		if (pcap_compile(c->pcap, &c->prog, p->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
			set_err(errbuf, "bad filter '%s': %s", p->filter, pcap_geterr(c->pcap));
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
open_live(struct ns_capture *c, const struct ns_capture_params *p, char *errbuf)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	int rc;

	c->live = true;
	c->pcap = pcap_create(p->interface, pe);
	if (c->pcap == NULL) {
		set_err(errbuf, "cannot open interface '%s': %s", p->interface, pe);
		return -EINVAL;
	}
	pcap_set_snaplen(c->pcap, (int)p->snaplen);
	pcap_set_promisc(c->pcap, p->promisc);
	pcap_set_timeout(c->pcap, (int)p->timeout_ms);
	pcap_set_buffer_size(c->pcap, (int)(p->buffer_mb << 20));
	c->nanosecond = pcap_set_tstamp_precision(c->pcap, PCAP_TSTAMP_PRECISION_NANO) == 0;
	rc = pcap_activate(c->pcap);
	if (rc < 0) {
		const char *hint = activate_hint(rc);

		snprintf(errbuf, NS_CAPTURE_ERRBUF, "cannot capture on '%s': %s%s%s", p->interface,
			 pcap_geterr(c->pcap), hint[0] != '\0' ? "; " : "", hint);
		return rc == PCAP_ERROR_PERM_DENIED ? -EPERM : -EINVAL;
	}
	if (rc > 0)
		NS_LOG(WARNING, "capture", "%s: %s", p->interface, pcap_statustostr(rc));
	/* Live capture filters in the kernel: rejected frames never reach us, so none counted. */
	if (p->filter != NULL && p->filter[0] != '\0') {
		if (pcap_compile(c->pcap, &prog, p->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
			set_err(errbuf, "bad filter '%s': %s", p->filter, pcap_geterr(c->pcap));
			return -EINVAL;
		}
		rc = pcap_setfilter(c->pcap, &prog);
		pcap_freecode(&prog);
		if (rc != 0) {
			set_err(errbuf, "cannot set filter '%s': %s", p->filter, pcap_geterr(c->pcap));
			return -EINVAL;
		}
	}
	return 0;
}

struct ns_capture *
ns_capture_open(const struct ns_capture_params *p, char *errbuf)
{
	struct ns_capture *c;
	bool has_if = p->interface != NULL && p->interface[0] != '\0';
	bool has_file = p->file != NULL && p->file[0] != '\0';
	int rc;

	if (has_if == has_file) {
		set_err(errbuf, "give exactly one source: an interface (-i) or a file (-r)");
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto nomem;
	c->arena = malloc(ARENA_BYTES);
	if (c->arena == NULL)
		goto nomem;
	rc = has_file ? open_file(c, p, errbuf) : open_live(c, p, errbuf);
	if (rc < 0) {
		ns_capture_close(c);
		errno = -rc;
		return NULL;
	}
	return c;
nomem:
	ns_capture_close(c);
	set_err(errbuf, "out of memory");
	errno = ENOMEM;
	return NULL;
}

int
ns_capture_linktype(const struct ns_capture *c)
{
	return pcap_datalink(c->pcap);
}

bool
ns_capture_nanosecond(const struct ns_capture *c)
{
	return c->nanosecond;
}

uint32_t
ns_capture_snaplen(const struct ns_capture *c)
{
	return (uint32_t)pcap_snapshot(c->pcap);
}

static uint64_t
ts_to_ns(const struct timeval *tv)
{
	/* The handle was opened with nanosecond precision: tv_usec holds nanoseconds. */
	return (uint64_t)tv->tv_sec * NS_NSEC_PER_SEC + (uint64_t)tv->tv_usec;
}

unsigned
ns_capture_rx_burst(struct ns_capture *c, struct ns_frame *frames, unsigned n)
{
	size_t used = 0;
	unsigned got = 0;

	while (got < n) {
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc;

		if (c->stop) {
			c->status = NS_CAPTURE_STOPPED;
			break;
		}
		rc = pcap_next_ex(c->pcap, &h, &data);
		if (rc == 0) /* live read timeout */
			break;
		if (rc < 0) {
			if (c->stop)
				c->status = NS_CAPTURE_STOPPED;
			else if (rc == PCAP_ERROR_BREAK)
				c->status = NS_CAPTURE_EOF;
			else {
				c->status = NS_CAPTURE_ERROR;
				snprintf(c->err, sizeof(c->err), "%s", pcap_geterr(c->pcap));
			}
			break;
		}
		if (c->have_filter &&
		    pcap_offline_filter(&c->prog, h, data) == 0) {
			c->st.filtered++;
			continue;
		}
		frames[got].caplen = h->caplen;
		frames[got].wirelen = h->len;
		frames[got].ts_ns = ts_to_ns(&h->ts);
		c->st.received++;
		c->st.bytes += h->len;
		/*
		 * The newest frame stays in libpcap's buffer (valid until the next read); earlier
		 * ones must be copied. Stop when the arena can't take this one.
		 */
		if (got + 1 == n || used + h->caplen > ARENA_BYTES) {
			frames[got++].data = data;
			break;
		}
		memcpy(c->arena + used, data, h->caplen);
		frames[got++].data = c->arena + used;
		used += h->caplen;
	}
	return got;
}

enum ns_capture_status
ns_capture_status(const struct ns_capture *c)
{
	return c->status;
}

const char *
ns_capture_error(const struct ns_capture *c)
{
	return c->err;
}

void
ns_capture_breakloop(struct ns_capture *c)
{
	c->stop = 1;
	pcap_breakloop(c->pcap);
}

int
ns_capture_stats(struct ns_capture *c, struct ns_capture_stats *st)
{
	struct pcap_stat ps;

	*st = c->st;
	if (c->live && pcap_stats(c->pcap, &ps) == 0) {
		st->dropped = ps.ps_drop;
		st->if_dropped = ps.ps_ifdrop;
	}
	return 0;
}

void
ns_capture_close(struct ns_capture *c)
{
	if (c == NULL)
		return;
	if (c->have_filter)
		pcap_freecode(&c->prog);
	if (c->pcap != NULL)
		pcap_close(c->pcap);
	free(c->arena);
	free(c);
}

int
ns_capture_filter_check(const char *filter, int linktype, uint32_t snaplen, char *errbuf)
{
	struct bpf_program prog;
	pcap_t *p = pcap_open_dead(linktype, (int)snaplen);
	int rc = 0;

	if (p == NULL) {
		set_err(errbuf, "out of memory");
		return -ENOMEM;
	}
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		set_err(errbuf, "bad filter '%s': %s", filter, pcap_geterr(p));
		rc = -EINVAL;
	} else {
		pcap_freecode(&prog);
	}
	pcap_close(p);
	return rc;
}

int
ns_capture_list_interfaces(FILE *out, char *errbuf)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all, *d;
	int n = 0;

	if (pcap_findalldevs(&all, pe) != 0) {
		set_err(errbuf, "cannot list interfaces: %s", pe);
		return -EINVAL;
	}
	for (d = all; d != NULL; d = d->next) {
		const char *state = "";

		if (d->flags & PCAP_IF_LOOPBACK)
			state = " loopback";
		fprintf(out, "%d. %s [pcap%s%s%s]%s%s\n", ++n, d->name, state,
			(d->flags & PCAP_IF_UP) ? " up" : " down",
			(d->flags & PCAP_IF_RUNNING) ? " running" : "",
			d->description != NULL ? " " : "",
			d->description != NULL ? d->description : "");
	}
	pcap_freealldevs(all);
	return n;
}
