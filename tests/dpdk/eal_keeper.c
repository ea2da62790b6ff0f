/* SPDX-License-Identifier: MIT */
#include "eal_keeper.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

void
eal_keeper_args(struct eal_keeper *k, char *args, size_t len, const char *tag,
		unsigned mem_mb)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "nstest-%s-%ld", tag, (long)getpid());
	snprintf(args, len,
		 "--no-huge -m %u --no-pci --no-shconf --no-telemetry "
		 "--log-level=lib.eal:warning --file-prefix=%s",
		 mem_mb, prefix);
	snprintf(k->dir, sizeof(k->dir), "/var/run/dpdk/%s", prefix);
	k->cap = NULL;
}

int
eal_keeper_start(struct eal_keeper *k, const struct ns_capture_params *p)
{
	char errbuf[NS_CAPTURE_ERRBUF] = "";

	k->cap = ns_capture_open(p, errbuf);
	if (k->cap == NULL) {
		fprintf(stderr, "cannot start: %s\n", errbuf);
		return 1;
	}
	return 0;
}

int
eal_keeper_stop(struct eal_keeper *k)
{
	struct stat sb;

	ns_capture_close(k->cap);
	k->cap = NULL;
	if (stat(k->dir, &sb) == 0) {
		fprintf(stderr, "FAIL: %s left behind after the last close\n", k->dir);
		return 1;
	}
	return 0;
}
