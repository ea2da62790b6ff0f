/* SPDX-License-Identifier: MIT */
/*
 * A classic pcap file writer (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-03.html)
 * with its own buffer, so a failed write is seen when it happens: the records of a buffer that
 * could not be written (a full disk) are counted as lost, the file is cut back to its last whole
 * record, and the writer keeps going: the capture must not stop because the disk filled up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ns_export.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
/* Large enough that a write(2) per buffer is cheap, small enough that a full disk is noticed
 * within a few hundred records. */
#define WRITE_BUF (256u << 10)

struct pcap_file_hdr {
	uint32_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

struct pcap_rec_hdr {
	uint32_t ts_sec;
	uint32_t ts_frac; /* microseconds or nanoseconds, per the magic */
	uint32_t caplen;
	uint32_t wirelen;
};

struct ns_pcap_writer {
	int fd;
	bool nanosecond;
	bool is_stdout;
	uint32_t snaplen; /* the file header's: no record is longer */
	off_t committed; /* bytes of whole records in the file */
	uint64_t written;
	uint64_t errors;
	uint8_t *buf;
	size_t used;
	uint32_t buffered; /* records in buf */
};

/* Files store LINKTYPE_* values; only DLT_RAW's number differs among the ones we produce. */
static uint32_t
dlt_to_linktype(int dlt)
{
	if (dlt == 12 || dlt == 14)
		return 101;
	return (uint32_t)dlt;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write the buffer out; on failure its records are lost, counted, and the file cut back. */
static int
flush_buf(struct ns_pcap_writer *w)
{
	int rc;

	if (w->used == 0)
		return 0;
	rc = write_all(w->fd, w->buf, w->used);
	if (rc == 0) {
		w->committed += (off_t)w->used;
		w->written += w->buffered;
	} else {
		w->errors += w->buffered;
		/* a partial record would misalign every later one: keep whole records only */
		if (!w->is_stdout && ftruncate(w->fd, w->committed) == 0)
			(void)lseek(w->fd, w->committed, SEEK_SET);
	}
	w->used = 0;
	w->buffered = 0;
	return rc;
}

struct ns_pcap_writer *
ns_pcap_writer_open(const char *path, int linktype, uint32_t snaplen, bool nanosecond)
{
	struct pcap_file_hdr h = {
		.magic = nanosecond ? PCAP_MAGIC_NS : PCAP_MAGIC_US,
		.version_major = 2,
		.version_minor = 4,
		.snaplen = snaplen,
		.linktype = dlt_to_linktype(linktype),
	};
	struct ns_pcap_writer *w = calloc(1, sizeof(*w));
	int err;

	if (w == NULL)
		return NULL;
	w->nanosecond = nanosecond;
	w->snaplen = snaplen;
	w->is_stdout = strcmp(path, "-") == 0;
	w->fd = w->is_stdout ? STDOUT_FILENO : open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	w->buf = malloc(WRITE_BUF);
	if (w->fd < 0 || w->buf == NULL)
		goto fail;
	err = write_all(w->fd, (const uint8_t *)&h, sizeof(h));
	if (err < 0) {
		errno = -err;
		goto fail;
	}
	w->committed = sizeof(h);
	return w;
fail:
	err = errno != 0 ? errno : EIO;
	if (w->fd >= 0 && !w->is_stdout)
		close(w->fd);
	free(w->buf);
	free(w);
	errno = err;
	return NULL;
}

int
ns_pcap_writer_write(struct ns_pcap_writer *w, uint64_t ts_ns, const uint8_t *data,
		     uint32_t caplen, uint32_t wirelen)
{
	uint64_t frac = ts_ns % 1000000000ULL;
	struct pcap_rec_hdr h;
	size_t need;
	int rc = 0;

	/* readers reject a record longer than the snaplen, or than the packet */
	if (w->snaplen != 0 && caplen > w->snaplen)
		caplen = w->snaplen;
	if (wirelen < caplen)
		wirelen = caplen;
	h = (struct pcap_rec_hdr){
		.ts_sec = (uint32_t)(ts_ns / 1000000000ULL),
		.ts_frac = (uint32_t)(w->nanosecond ? frac : frac / 1000),
		.caplen = caplen,
		.wirelen = wirelen,
	};
	need = sizeof(h) + caplen;

	if (w->used + need > WRITE_BUF)
		rc = flush_buf(w);
	if (need > WRITE_BUF) {
		/* a record larger than the buffer goes out on its own */
		memcpy(w->buf, &h, sizeof(h));
		w->used = sizeof(h);
		w->buffered = 1;
		if (write_all(w->fd, w->buf, w->used) < 0 || write_all(w->fd, data, caplen) < 0) {
			int err = -errno;

			w->used = 0;
			w->buffered = 0;
			w->errors++;
			if (!w->is_stdout && ftruncate(w->fd, w->committed) == 0)
				(void)lseek(w->fd, w->committed, SEEK_SET);
			return err != 0 ? err : -EIO;
		}
		w->committed += (off_t)need;
		w->written++;
		w->used = 0;
		w->buffered = 0;
		return rc;
	}
	memcpy(w->buf + w->used, &h, sizeof(h));
	memcpy(w->buf + w->used + sizeof(h), data, caplen);
	w->used += need;
	w->buffered++;
	return rc;
}

int
ns_pcap_writer_flush(struct ns_pcap_writer *w)
{
	return flush_buf(w);
}

uint64_t
ns_pcap_writer_written(const struct ns_pcap_writer *w)
{
	return w->written;
}

uint64_t
ns_pcap_writer_errors(const struct ns_pcap_writer *w)
{
	return w->errors;
}

int
ns_pcap_writer_close(struct ns_pcap_writer *w)
{
	int rc;

	if (w == NULL)
		return 0;
	rc = flush_buf(w);
	if (!w->is_stdout && close(w->fd) != 0 && rc == 0)
		rc = -errno;
	free(w->buf);
	free(w);
	return rc;
}
