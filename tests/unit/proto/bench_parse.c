/* SPDX-License-Identifier: MIT */
/*
 * Parser throughput benchmark (meson benchmark, not a test): loads every frame of the capture
 * corpus into exact-size heap copies, then times ns_parse() over all of them repeatedly and
 * prints nanoseconds per frame. The budget is ~50 ns for RX plus parse per packet at 10+ Mpps.
 * Usage: bench_parse CORPUS_DIR [ROUNDS]
 */
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ns_proto.h"

struct frame {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	int linktype;
};

static size_t
load(const char *path, struct frame **frames, size_t *n, size_t *cap)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	size_t before = *n;
	pcap_t *p;

	p = pcap_open_offline(path, errbuf);
	if (p == NULL)
		return 0;
	while (pcap_next_ex(p, &hdr, &data) == 1) {
		uint8_t *copy = malloc(hdr->caplen != 0 ? hdr->caplen : 1);

		if (*n == *cap) {
			struct frame *grown = realloc(*frames, (*cap * 2 + 64) * sizeof(**frames));

			if (grown == NULL || copy == NULL) {
				free(copy);
				break;
			}
			*frames = grown;
			*cap = *cap * 2 + 64;
		}
		if (copy == NULL)
			break;
		memcpy(copy, data, hdr->caplen);
		(*frames)[(*n)++] = (struct frame){ copy, hdr->caplen, hdr->len, pcap_datalink(p) };
	}
	pcap_close(p);
	return *n - before;
}

int
main(int argc, char **argv)
{
	struct frame *frames = NULL;
	size_t n = 0, cap = 0;
	unsigned rounds = argc > 2 ? (unsigned)atoi(argv[2]) : 2000;
	struct dirent **names;
	struct timespec t0, t1;
	struct ns_pkt pkt;
	uint64_t sink = 0;
	char *dir;
	int nfiles;
	double ns;

	if (argc < 2 || asprintf(&dir, "%s/pcaps", argv[1]) < 0) {
		fprintf(stderr, "usage: %s CORPUS_DIR [ROUNDS]\n", argv[0]);
		return 2;
	}
	nfiles = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < nfiles; i++) {
		char *path;

		if (names[i]->d_name[0] != '.' &&
		    asprintf(&path, "%s/%s", dir, names[i]->d_name) >= 0) {
			load(path, &frames, &n, &cap);
			free(path);
		}
		free(names[i]);
	}
	if (nfiles > 0)
		free(names);
	if (n == 0) {
		fprintf(stderr, "bench_parse: no frames under %s\n", dir);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned r = 0; r < rounds; r++) {
		for (size_t i = 0; i < n; i++) {
			ns_parse(frames[i].linktype, frames[i].data, frames[i].caplen,
				 frames[i].wirelen, &pkt);
			sink += pkt.payload_len + pkt.layers;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("ns_parse: %zu frames x %u rounds, %.1f ns/frame (checksum %llu)\n", n, rounds,
	       ns / ((double)n * rounds), (unsigned long long)sink);
	for (size_t i = 0; i < n; i++)
		free((void *)frames[i].data);
	free(frames);
	free(dir);
	return 0;
}
