/* SPDX-License-Identifier: MIT */
/*
 * Every frame of every capture in CORPUS_DIR/pcaps, in name order, read with libpcap: the
 * walk the corpus tests of the parser share. Captures libpcap refuses (the corpus has two
 * invalid ones) are skipped.
 */
#ifndef CORPUS_WALK_H
#define CORPUS_WALK_H

#include <dirent.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ns_test.h"

struct corpus_walk {
	/* each frame of a capture opened with link type @linktype */
	void (*frame)(void *ctx, int linktype, const uint8_t *data, uint32_t caplen,
		      uint32_t wirelen);
	/* after the last frame of a capture; may be NULL */
	void (*file_end)(void *ctx, int linktype);
	void *ctx;
};

/* Walks @corpus_dir with @w. Returns the captures opened and adds the frames read to
 * *@frames. */
static inline int
corpus_walk(const char *corpus_dir, const struct corpus_walk *w, unsigned long *frames)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct dirent **names;
	char *pcaps;
	int nfiles, files = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(corpus_dir);
	CU_ASSERT_FATAL(asprintf(&pcaps, "%s/pcaps", corpus_dir) > 0);
	nfiles = scandir(pcaps, &names, NULL, alphasort);
	CU_ASSERT_FATAL(nfiles > 0);
	for (int i = 0; i < nfiles; i++) {
		struct pcap_pkthdr *hdr;
		const u_char *data;
		char *path;
		pcap_t *pc;

		if (names[i]->d_name[0] != '.' &&
		    asprintf(&path, "%s/%s", pcaps, names[i]->d_name) > 0) {
			pc = pcap_open_offline(path, errbuf);
			if (pc != NULL) {
				int lt = pcap_datalink(pc);

				files++;
				while (pcap_next_ex(pc, &hdr, &data) == 1) {
					(*frames)++;
					w->frame(w->ctx, lt, data, hdr->caplen, hdr->len);
				}
				pcap_close(pc);
				if (w->file_end != NULL)
					w->file_end(w->ctx, lt);
			}
			free(path);
		}
		free(names[i]);
	}
	free(names);
	free(pcaps);
	return files;
}

#endif /* CORPUS_WALK_H */
