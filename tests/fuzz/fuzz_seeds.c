/* SPDX-License-Identifier: MIT */
/*
 * Turns the capture corpus into libFuzzer seeds for fuzz_parse: every frame of every pcap in
 * PCAP_DIR (at most MAX_PER_FILE per file, so the big captures do not drown the small ones)
 * becomes one file in OUT_DIR holding the selector byte fuzz_parse expects, then the frame cut
 * to MAX_FRAME bytes, with the wire-length nibble chosen so the seed keeps at least the frame's
 * original wire length. Usage: fuzz_seeds PCAP_DIR OUT_DIR
 */
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ns_proto.h"

/* Keep seeds well under libFuzzer's -max_len (run_fuzz.sh passes 4096). */
#define MAX_FRAME 2048
#define MAX_PER_FILE 64

/* Same order and values as fuzz_parse.c. */
static const int links[] = {
	NS_LINK_NULL, NS_LINK_EN10MB,    NS_LINK_RAW,  NS_LINK_RAW_OPENBSD, NS_LINK_RAW_FILE,
	NS_LINK_LOOP, NS_LINK_LINUX_SLL, NS_LINK_IPV4, NS_LINK_IPV6,        NS_LINK_LINUX_SLL2,
};
static const uint32_t wire_extra[] = { 0,  1,   2,    4,    8,     16,     40,
				       64, 256, 1500, 9000, 65536, 100000, 1 << 24 };

static int
link_index(int linktype)
{
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (links[i] == linktype)
			return (int)i;
	return -1;
}

/* Smallest wire nibble whose extra covers what the seed's frame lost on the wire. */
static unsigned
wire_nibble(uint32_t kept, uint32_t wirelen)
{
	uint32_t missing = wirelen > kept ? wirelen - kept : 0;

	for (unsigned i = 0; i < sizeof(wire_extra) / sizeof(wire_extra[0]); i++)
		if (wire_extra[i] >= missing)
			return i;
	return sizeof(wire_extra) / sizeof(wire_extra[0]) - 1;
}

static int
write_seed(const char *dir, const char *name, unsigned n, uint8_t sel, const uint8_t *frame,
	   uint32_t len)
{
	char path[4096];
	FILE *f;
	int ok;

	if (snprintf(path, sizeof(path), "%s/%s-%u", dir, name, n) >= (int)sizeof(path))
		return -1;
	f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	ok = fwrite(&sel, 1, 1, f) == 1 && fwrite(frame, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int
seed_file(const char *pcap_path, const char *name, const char *out, unsigned *written)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	unsigned n = 0;
	pcap_t *p;
	int idx;

	p = pcap_open_offline(pcap_path, errbuf);
	if (p == NULL)
		return 0; /* the corpus holds deliberately unreadable files */
	idx = link_index(pcap_datalink(p));
	while (idx >= 0 && n < MAX_PER_FILE && pcap_next_ex(p, &hdr, &data) == 1) {
		uint32_t kept = hdr->caplen < MAX_FRAME ? hdr->caplen : MAX_FRAME;
		uint8_t sel = (uint8_t)(idx | wire_nibble(kept, hdr->len) << 4);

		if (write_seed(out, name, n, sel, data, kept) != 0) {
			fprintf(stderr, "fuzz_seeds: cannot write a seed into %s\n", out);
			pcap_close(p);
			return -1;
		}
		n++;
	}
	pcap_close(p);
	*written += n;
	return 0;
}

int
main(int argc, char **argv)
{
	struct dirent **names;
	unsigned written = 0;
	char path[4096];
	int n, rc = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s PCAP_DIR OUT_DIR\n", argv[0]);
		return 2;
	}
	n = scandir(argv[1], &names, NULL, alphasort);
	if (n < 0) {
		perror(argv[1]);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (rc == 0 && names[i]->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]->d_name) <
			    (int)sizeof(path))
			rc = seed_file(path, names[i]->d_name, argv[2], &written);
		free(names[i]);
	}
	free(names);
	if (rc != 0)
		return 1;
	printf("fuzz_seeds: %u seeds in %s\n", written, argv[2]);
	return written != 0 ? 0 : 1;
}
