/* SPDX-License-Identifier: MIT */
/*
 * The DPDK backend's error and tear-down paths that no virtual device takes by itself: a port
 * whose rte_eth_dev_stop() fails (a stand-in wraps the real call, linked with
 * -Wl,--wrap=rte_eth_dev_stop) keeps its mbuf pools, and a device that was hot-plugged but gave
 * no ethdev port (net_vdev_netvsc with ignore=1 probes successfully and makes none, as a PCI
 * device of another class would) is unplugged again. A "keeper" handle holds EAL for the run.
 * Usage: test_dpdk_errpaths
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "capture_priv.h"
#include "eal_keeper.h"
#include "ns_capture.h"
#include "ns_core.h"
#include "ns_test.h"

static char eal_args[256];

/* ---- the rte_eth_dev_stop() stand-in ---- */

int __real_rte_eth_dev_stop(uint16_t port_id);
int __wrap_rte_eth_dev_stop(uint16_t port_id);

/* calls to fail (the port stays started, as after a driver's failed stop); then the real one */
static unsigned stop_failures;
static unsigned stop_calls;

int
__wrap_rte_eth_dev_stop(uint16_t port_id)
{
	stop_calls++;
	if (stop_failures > 0) {
		stop_failures--;
		return -EIO;
	}
	return __real_rte_eth_dev_stop(port_id);
}

static struct ns_capture_params
params(const char *iface)
{
	struct ns_capture_params p = {
		.interface = iface,
		.backend = NS_BACKEND_DPDK,
		.eal_args = eal_args,
		.mbufs = 2047,
		.mbuf_cache = 32,
		.rx_desc = 512,
		.promisc = true,
	};

	return p;
}

/* Run @fn with stderr going to a file; returns what it printed (free it). */
static char *
stderr_of(void (*fn)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	char *text;
	long len;
	int saved;

	CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(tmp), STDERR_FILENO);
	fn(arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	len = ftell(tmp);
	text = calloc(1, (size_t)(len > 0 ? len : 0) + 1);
	rewind(tmp);
	if (len > 0 && fread(text, 1, (size_t)len, tmp) != (size_t)len)
		text[0] = '\0';
	fclose(tmp);
	fputs(text, stderr); /* still in the test log */
	return text;
}

static void
close_capture(void *c)
{
	ns_capture_close(c);
}

static unsigned
count_of(const char *text, const char *what)
{
	unsigned n = 0;

	for (const char *s = text; (s = strstr(s, what)) != NULL; s++)
		n++;
	return n;
}

/*
 * The port could not be stopped: it stays started and keeps its pools (the device may still
 * write into their mbufs), close says so once, and the port can be stopped and closed later.
 */
static void
test_stop_failure_keeps_pools(void)
{
	struct ns_capture_params p = params("net_null5");
	char errbuf[NS_CAPTURE_ERRBUF] = "", pool[RTE_MEMPOOL_NAMESIZE];
	struct ns_frame f[32];
	struct rte_mempool *mp;
	struct ns_capture *c;
	uint16_t port;
	char *log;

	c = ns_capture_open(&p, errbuf);
	if (c == NULL)
		fprintf(stderr, "open: %s\n", errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(ns_capture_rx_burst_queue(c, 0, f, 32), 32);
	CU_ASSERT_EQUAL_FATAL(rte_eth_dev_get_port_by_name("net_null5", &port), 0);
	snprintf(pool, sizeof(pool), "ns_rx_p%u_q0", port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rte_mempool_lookup(pool));

	stop_failures = 1;
	stop_calls = 0;
	log = stderr_of(close_capture, c);
	CU_ASSERT_EQUAL(stop_calls, 1);
	CU_ASSERT_EQUAL(count_of(log, "stopping the port failed"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "are kept until exit"));
	free(log);
	/* the pool, the port and the device are all still there */
	mp = rte_mempool_lookup(pool);
	CU_ASSERT_PTR_NOT_NULL(mp);
	CU_ASSERT_EQUAL(rte_eth_dev_get_port_by_name("net_null5", &port), 0);
	CU_ASSERT_EQUAL(rte_eth_dev_is_valid_port(port), 1);

	/* the device can be stopped later: then everything goes */
	stop_failures = 0;
	if (rte_eth_dev_get_port_by_name("net_null5", &port) == 0) {
		CU_ASSERT_EQUAL(rte_eth_dev_stop(port), 0);
		CU_ASSERT_EQUAL(rte_eth_dev_close(port), 0);
		CU_ASSERT_EQUAL(rte_eal_hotplug_remove("vdev", "net_null5"), 0);
		eal_release(); /* the reference the handle kept */
	}
	rte_mempool_free(mp);
	CU_ASSERT_PTR_NULL(rte_mempool_lookup(pool));
	/* and the same device opens and closes normally again */
	c = ns_capture_open(&p, errbuf);
	if (c == NULL)
		fprintf(stderr, "open again: %s\n", errbuf);
	CU_ASSERT_PTR_NOT_NULL(c);
	ns_capture_close(c);
	CU_ASSERT_PTR_NULL(rte_mempool_lookup(pool));
	CU_ASSERT_NOT_EQUAL(rte_eth_dev_get_port_by_name("net_null5", &port), 0);
}

struct open_args {
	struct ns_capture_params p;
	struct ns_capture *c;
	char errbuf[NS_CAPTURE_ERRBUF];
};

static void
open_capture(void *arg)
{
	struct open_args *a = arg;

	a->c = ns_capture_open(&a->p, a->errbuf);
}

/*
 * A device probed by name that yields no ethdev port is unplugged before the open fails: no
 * device is left to remove, and the next open probes it afresh (while still plugged, EAL says
 * "Failed to attach device on primary process" and goes on with the old one).
 */
static void
test_probed_without_port_unplugged(void)
{
	struct open_args a = { .p = params("net_vdev_netvsc0,ignore=1") };
	char *log;

	open_capture(&a);
	CU_ASSERT_PTR_NULL_FATAL(a.c);
	if (strstr(a.errbuf, "cannot probe") != NULL) {
		fprintf(stderr, "SKIP: no net_vdev_netvsc driver in this DPDK (%s)\n", a.errbuf);
		return;
	}
	CU_ASSERT_EQUAL(errno, ENODEV);
	CU_ASSERT_PTR_NOT_NULL(strstr(a.errbuf, "was probed but has no ethdev port"));
	log = stderr_of(open_capture, &a);
	CU_ASSERT_PTR_NULL(a.c);
	CU_ASSERT_PTR_NOT_NULL(strstr(a.errbuf, "was probed but has no ethdev port"));
	CU_ASSERT_PTR_NULL(strstr(log, "Failed to attach device"));
	free(log);
	/* nothing left to remove (on failure this cleans up for the tests after it) */
	CU_ASSERT_NOT_EQUAL(rte_eal_hotplug_remove("vdev", "net_vdev_netvsc0"), 0);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_stop_failure_keeps_pools),
	NS_TEST(test_probed_without_port_unplugged),
};

int
main(void)
{
	struct eal_keeper k;
	struct ns_capture_params p;
	int rc;

	eal_keeper_args(&k, eal_args, sizeof(eal_args), "err", 256);
	p = params("net_null0");
	if (eal_keeper_start(&k, &p) != 0)
		return 1;
	rc = ns_test_run("dpdk_errpaths", cases, NS_ARRAY_SIZE(cases));
	return eal_keeper_stop(&k) != 0 ? 1 : rc;
}
