/* SPDX-License-Identifier: MIT */
/*
 * EAL comes up once per process, with its first capture, and goes with the last one. A DPDK
 * test program therefore keeps one capture open across its cases (eal_keeper_start()) and, at
 * the end, checks that closing it took EAL's runtime directory with it (eal_keeper_stop()).
 */
#ifndef NS_TEST_EAL_KEEPER_H
#define NS_TEST_EAL_KEEPER_H

#include <stddef.h>

#include "ns_capture.h"

struct eal_keeper {
	struct ns_capture *cap;
	char dir[128]; /* /var/run/dpdk/PREFIX: gone after the last close */
};

/*
 * EAL arguments into @args (@len bytes): no hugepages, @mem_mb MB, no PCI, no shared config, a
 * file prefix of "nstest-@tag-PID"; notes the runtime directory in @k.
 */
void eal_keeper_args(struct eal_keeper *k, char *args, size_t len, const char *tag,
		     unsigned mem_mb);

/* Open @p, bringing EAL up, and keep it open. 0, or 1 after printing why not. */
int eal_keeper_start(struct eal_keeper *k, const struct ns_capture_params *p);

/* Close the kept capture. 0, or 1 after printing that EAL's directory was left behind. */
int eal_keeper_stop(struct eal_keeper *k);

#endif
