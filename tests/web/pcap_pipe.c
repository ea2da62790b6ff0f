/* SPDX-License-Identifier: MIT */
/*
 * pcap-pipe: write a classic pcap file to stdout as one stream, for feeding `netscope -r -`
 * a capture that lasts as long as a test needs.
 *
 *   pcap-pipe [--loop] [--realtime] FILE
 *
 * --realtime paces the records as they were captured and moves their timestamps to now, so
 * the dashboard sees a live-looking source; --loop repeats the file, each pass continuing the
 * timeline after the previous one. Stops when the reader goes away (EPIPE) or, without
 * --loop, at the end of the file.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du
#define OUT_BUF (1u << 20)

static uint8_t out[OUT_BUF];
static size_t out_len;

static int
flush_out(void)
{
	size_t off = 0;

	while (off < out_len) {
		ssize_t w = write(STDOUT_FILENO, out + off, out_len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)w;
	}
	out_len = 0;
	return 0;
}

static int
put(const void *p, size_t n)
{
	if (out_len + n > OUT_BUF && flush_out() < 0)
		return -1;
	memcpy(out + out_len, p, n);
	out_len += n;
	return 0;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
sleep_until(uint64_t t)
{
	uint64_t n = now_ns();

	if (t > n)
		nanosleep(&(struct timespec){ .tv_sec = (time_t)((t - n) / 1000000000ULL),
					      .tv_nsec = (long)((t - n) % 1000000000ULL) },
			  NULL);
}

int
main(int argc, char **argv)
{
	bool loop = false, realtime = false, nano;
	const char *path = NULL;
	uint8_t *data;
	size_t len = 0, cap = 1 << 20;
	uint32_t magic;
	uint64_t first = 0, last = 0, offset = 0, wall0 = 0;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--loop") == 0)
			loop = true;
		else if (strcmp(argv[i], "--realtime") == 0)
			realtime = true;
		else
			path = argv[i];
	}
	if (path == NULL) {
		fprintf(stderr, "usage: pcap-pipe [--loop] [--realtime] FILE\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	f = fopen(path, "rb");
	data = malloc(cap);
	if (f == NULL || data == NULL) {
		fprintf(stderr, "pcap-pipe: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		free(data);
		return 1;
	}
	for (size_t got; (got = fread(data + len, 1, cap - len, f)) > 0;) {
		len += got;
		if (len == cap) {
			uint8_t *bigger = realloc(data, cap * 2);

			if (bigger == NULL) {
				free(data);
				return 1;
			}
			data = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	if (len >= 24)
		memcpy(&magic, data, 4);
	if (len < 24 || (magic != MAGIC_US && magic != MAGIC_NS)) {
		fprintf(stderr, "pcap-pipe: %s: not a little-endian classic pcap file\n", path);
		free(data);
		return 1;
	}
	nano = magic == MAGIC_NS;
	/* the span of the file, for shifting each pass */
	for (size_t off = 24; off + 16 <= len;) {
		uint32_t h[4];
		uint64_t ts;

		memcpy(h, data + off, 16);
		ts = (uint64_t)h[0] * 1000000000ULL + (uint64_t)h[1] * (nano ? 1 : 1000);
		if (first == 0)
			first = ts;
		last = ts;
		off += 16 + h[2];
	}
	if (realtime) {
		wall0 = now_ns();
		offset = wall0 - first;
	}
	if (put(data, 24) < 0)
		goto out;
	do {
		for (size_t off = 24; off + 16 <= len;) {
			uint32_t h[4];
			uint64_t ts;

			memcpy(h, data + off, 16);
			if (off + 16 + h[2] > len)
				break;
			ts = (uint64_t)h[0] * 1000000000ULL + (uint64_t)h[1] * (nano ? 1 : 1000) +
			     offset;
			if (realtime && ts > now_ns()) {
				if (flush_out() < 0)
					goto out;
				sleep_until(ts);
			}
			h[0] = (uint32_t)(ts / 1000000000ULL);
			h[1] = (uint32_t)(ts % 1000000000ULL / (nano ? 1 : 1000));
			if (put(h, 16) < 0 || put(data + off + 16, h[2]) < 0)
				goto out;
			off += 16 + h[2];
		}
		/* the next pass starts a millisecond after this one ended */
		offset += last - first + 1000000;
	} while (loop);
	flush_out();
out:
	/* the reader going away (EPIPE) is how a --loop run ends */
	free(data);
	return 0;
}
