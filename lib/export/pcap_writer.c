/* SPDX-License-Identifier: MIT */
/*
 * A classic pcap file writer (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-03.html),
 * buffered through stdio. Write failures (a full disk) are counted per record and the writer
 * keeps going: the capture must not stop because the disk filled up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ns_export.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define WRITE_BUF (1u << 20)

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
	FILE *f;
	bool nanosecond;
	bool is_stdout;
	uint64_t written;
	uint64_t errors;
	char *buf;
};

/* Files store LINKTYPE_* values; only DLT_RAW's number differs among the ones we produce. */
static uint32_t
dlt_to_linktype(int dlt)
{
	if (dlt == 12 || dlt == 14)
		return 101;
	return (uint32_t)dlt;
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
	w->is_stdout = strcmp(path, "-") == 0;
	w->f = w->is_stdout ? stdout : fopen(path, "wb");
	if (w->f == NULL)
		goto fail;
	w->buf = malloc(WRITE_BUF);
	if (w->buf != NULL)
		setvbuf(w->f, w->buf, _IOFBF, WRITE_BUF);
	if (fwrite(&h, sizeof(h), 1, w->f) != 1 || fflush(w->f) != 0)
		goto fail;
	return w;
fail:
	err = errno != 0 ? errno : EIO;
	if (w->f != NULL && !w->is_stdout)
		fclose(w->f);
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
	struct pcap_rec_hdr h = {
		.ts_sec = (uint32_t)(ts_ns / 1000000000ULL),
		.ts_frac = (uint32_t)(w->nanosecond ? frac : frac / 1000),
		.caplen = caplen,
		.wirelen = wirelen,
	};

	if (fwrite(&h, sizeof(h), 1, w->f) != 1 || fwrite(data, 1, caplen, w->f) != caplen) {
		int err = errno != 0 ? errno : EIO;

		w->errors++;
		clearerr(w->f);
		return -err;
	}
	w->written++;
	return 0;
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
	int rc = 0;

	if (w == NULL)
		return 0;
	if (fflush(w->f) != 0)
		rc = -(errno != 0 ? errno : EIO);
	if (!w->is_stdout) {
		if (fclose(w->f) != 0 && rc == 0)
			rc = -(errno != 0 ? errno : EIO);
	} else {
		setvbuf(stdout, NULL, _IOLBF, 0);
	}
	free(w->buf);
	free(w);
	return rc;
}
