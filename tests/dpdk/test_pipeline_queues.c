/* SPDX-License-Identifier: MIT */
/*
 * The pipeline's per-queue mode over a two-file net_pcap port (queue i = file i) with two EAL
 * worker lcores mapped onto CPU 0: each worker polls its own queue on its own lcore, counts
 * exactly its file's packets, tracks them in its own shard (flow ids carry the worker), runs
 * the stage hooks on its lcore, samples frames for management, and ends its flows once. Also
 * the capture handle's lcore API and the per-queue parameter checks.
 * Usage: test_pipeline_queues SAMPLE_PCAP CORPUS_DIR
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ns_capture.h"
#include "ns_core.h"
#include "ns_pipeline.h"
#include "ns_test.h"

static const char *sample;
static const char *corpus;
static char eal_args[256];

static unsigned
pcap_count(const char *path)
{
	char pe[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, pe);
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned n = 0;

	if (pc == NULL)
		return 0;
	while (pcap_next_ex(pc, &h, &d) == 1)
		n++;
	pcap_close(pc);
	return n;
}

struct sink {
	unsigned records;
	unsigned per_shard[2];
	unsigned bad_shard;
	unsigned samples;
	unsigned bad_samples;
	/* written by the workers' stage hooks, each its own slot */
	_Atomic uint64_t stage_pkts[2];
	atomic_uint finished[2];
};

static void
on_records(void *arg, const struct ns_flow_record *recs, unsigned n)
{
	struct sink *s = arg;

	for (unsigned i = 0; i < n; i++) {
		unsigned shard = (unsigned)(recs[i].flow_id >> 56);

		s->records++;
		if (shard < 2)
			s->per_shard[shard]++;
		else
			s->bad_shard++;
	}
}

static void
on_sample(void *arg, const struct ns_frame *frames, unsigned n)
{
	struct sink *s = arg;

	for (unsigned i = 0; i < n; i++) {
		s->samples++;
		/* every frame of both files is Ethernet: 14 bytes at least, and 64 kept at most */
		if (frames[i].caplen < 14 || frames[i].caplen > 64 || frames[i].ts_ns == 0)
			s->bad_samples++;
	}
}

static void
stage_burst(void *arg, unsigned worker, const struct ns_pkt *pkts, const uint64_t *ts, unsigned n)
{
	struct sink *s = arg;

	(void)pkts;
	(void)ts;
	if (worker < 2)
		atomic_fetch_add(&s->stage_pkts[worker], n);
}

static void
stage_finish(void *arg, unsigned worker)
{
	struct sink *s = arg;

	if (worker < 2)
		atomic_fetch_add(&s->finished[worker], 1);
}

static struct ns_capture *
open_two(const char *name, char *ssh, size_t len)
{
	struct ns_capture_params p = {
		.backend = NS_BACKEND_DPDK,
		.eal_args = eal_args,
		.mbufs = 4095,
		.mbuf_cache = 64,
		.rx_desc = 512,
		.queues = 2,
		.queues_up_to = true,
	};
	char iface[1024], errbuf[NS_CAPTURE_ERRBUF] = "";
	struct ns_capture *c;

	snprintf(ssh, len, "%s/pcaps/tcpdump-ssh.pcap", corpus);
	snprintf(iface, sizeof(iface), "%s,rx_pcap=%s,rx_pcap=%s", name, sample, ssh);
	p.interface = iface;
	c = ns_capture_open(&p, errbuf);
	if (c == NULL)
		fprintf(stderr, "open: %s\n", errbuf);
	return c;
}

static void
params_for(struct ns_pipeline_params *pp, struct ns_pipeline_queues *q, struct ns_capture *c,
	   struct sink *s)
{
	unsigned lcores[4];

	memset(pp, 0, sizeof(*pp));
	memset(q, 0, sizeof(*q));
	ns_flow_params_default(&pp->flow);
	pp->flow.capacity = 4096;
	pp->flow.hugepages = false;
	pp->workers = 2;
	pp->threaded = true;
	pp->ring_size = 1024;
	pp->on_records = on_records;
	pp->arg = s;
	pp->stage.burst = stage_burst;
	pp->stage.finish = stage_finish;
	pp->stage.arg = s;
	CU_ASSERT_EQUAL(ns_capture_worker_lcores(c, lcores, 4), 2);
	q->cap = c;
	q->linktype = ns_capture_linktype(c);
	q->burst = 32;
	q->lcores[0] = lcores[0];
	q->lcores[1] = lcores[1];
	q->sample_rate = 1000;
	q->sample_bytes = 64;
	q->on_sample = on_sample;
	pp->queues = q;
}

static void
test_per_queue(void)
{
	char ssh[512];
	struct ns_capture *c = open_two("net_pcap3", ssh, sizeof(ssh));
	struct ns_pipeline_worker_stats ws[2];
	struct ns_pipeline_params pp;
	struct ns_pipeline_queues q;
	struct ns_pipeline *pl;
	struct sink s;
	unsigned n0 = pcap_count(sample), n1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	n1 = pcap_count(ssh);
	memset(&s, 0, sizeof(s));
	params_for(&pp, &q, c, &s);
	pl = ns_pipeline_create(&pp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	/* management only: the workers read until both files end */
	for (int i = 0; i < 20000 && ns_capture_status(c) == NS_CAPTURE_RUNNING; i++) {
		ns_pipeline_poll(pl, 0);
		usleep(500);
	}
	CU_ASSERT_EQUAL(ns_capture_status(c), NS_CAPTURE_EOF);
	/* nothing to submit in this mode */
	CU_ASSERT_EQUAL(ns_pipeline_submit(pl, NULL, NULL, 0), 0);
	CU_ASSERT_EQUAL(ns_pipeline_finish(pl), 0);
	CU_ASSERT_EQUAL(ns_pipeline_stats(pl, ws), 2);
	/* queue i is file i: each worker saw exactly its file */
	CU_ASSERT_EQUAL(ws[0].packets, n0);
	CU_ASSERT_EQUAL(ws[1].packets, n1);
	CU_ASSERT_EQUAL(ws[0].counters.packets, n0);
	CU_ASSERT_EQUAL(ws[1].counters.packets, n1);
	CU_ASSERT_EQUAL(atomic_load(&s.stage_pkts[0]), n0);
	CU_ASSERT_EQUAL(atomic_load(&s.stage_pkts[1]), n1);
	CU_ASSERT_EQUAL(atomic_load(&s.finished[0]), 1);
	CU_ASSERT_EQUAL(atomic_load(&s.finished[1]), 1);
	CU_ASSERT_EQUAL(ws[0].lcore, (int)q.lcores[0]);
	CU_ASSERT_EQUAL(ws[1].lcore, (int)q.lcores[1]);
	CU_ASSERT(ws[0].last_ts > 0 && ws[1].last_ts > 0);
	/* every flow ended once, in the shard of its worker */
	CU_ASSERT_EQUAL(s.records, ws[0].flow.created + ws[1].flow.created);
	CU_ASSERT_EQUAL(s.per_shard[0], ws[0].flow.created);
	CU_ASSERT_EQUAL(s.per_shard[1], ws[1].flow.created);
	CU_ASSERT(s.per_shard[0] > 0 && s.per_shard[1] > 0);
	CU_ASSERT_EQUAL(s.bad_shard, 0);
	/* samples: at most one second's budget (500 per worker), cut to 64 bytes */
	CU_ASSERT(s.samples > 0 && s.samples <= n0 + n1);
	CU_ASSERT_EQUAL(s.bad_samples, 0);
	ns_pipeline_destroy(pl);
	ns_capture_close(c);
}

static void
test_checks(void)
{
	char ssh[512];
	struct ns_capture *c = open_two("net_pcap4", ssh, sizeof(ssh));
	struct ns_pipeline_params pp;
	struct ns_pipeline_queues q;
	struct sink s;
	unsigned lcores[4];

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	memset(&s, 0, sizeof(s));
	params_for(&pp, &q, c, &s);
	/* a worker per queue */
	pp.workers = 3;
	errno = 0;
	CU_ASSERT_PTR_NULL(ns_pipeline_create(&pp));
	CU_ASSERT_EQUAL(errno, EINVAL);
	pp.workers = 2;
	/* threaded only */
	pp.threaded = false;
	CU_ASSERT_PTR_NULL(ns_pipeline_create(&pp));
	pp.threaded = true;
	/* a burst the capture can hand out */
	q.burst = NS_PIPELINE_QUEUE_BURST_MAX + 1;
	CU_ASSERT_PTR_NULL(ns_pipeline_create(&pp));
	q.burst = 32;
	/* samples need somewhere to go */
	q.on_sample = NULL;
	CU_ASSERT_PTR_NULL(ns_pipeline_create(&pp));

	/* the lcore API: worker lcores 1 and 2 (--lcores=0@0,1@0,2@0), never the main lcore 0 */
	CU_ASSERT_EQUAL(ns_capture_worker_lcores(c, lcores, 4), 2);
	CU_ASSERT_EQUAL(lcores[0], 1);
	CU_ASSERT_EQUAL(lcores[1], 2);
	CU_ASSERT_EQUAL(ns_capture_lcore_socket(c, 1), 0);
	CU_ASSERT_EQUAL(ns_capture_lcore_socket(c, 1000), -1);
	CU_ASSERT_EQUAL(ns_capture_lcore_launch(c, 0, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(ns_capture_lcore_launch(c, 1000, NULL, NULL), -EINVAL);
	ns_capture_close(c);
}

static void
test_pcap_has_no_lcores(void)
{
	struct ns_capture_params p = { .file = sample, .backend = NS_BACKEND_PCAP };
	char errbuf[NS_CAPTURE_ERRBUF];
	struct ns_capture *c = ns_capture_open(&p, errbuf);
	struct ns_capture_info info;
	unsigned ids[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(ns_capture_worker_lcores(c, ids, 2), 0);
	CU_ASSERT_EQUAL(ns_capture_lcore_launch(c, 1, NULL, NULL), -ENOTSUP);
	ns_capture_get_info(c, &info);
	CU_ASSERT_TRUE(info.symmetric);
	ns_capture_close(c);
}

static const struct ns_test_case cases[] = {
	{ "per_queue", test_per_queue },
	{ "checks", test_checks },
	{ "pcap_has_no_lcores", test_pcap_has_no_lcores },
};

int
main(int argc, char **argv)
{
	struct ns_capture_params kp = {
		.interface = "net_null0",
		.backend = NS_BACKEND_DPDK,
		.eal_args = eal_args,
		.mbufs = 4095,
		.mbuf_cache = 64,
		.rx_desc = 512,
	};
	char prefix[64], dir[128], errbuf[NS_CAPTURE_ERRBUF];
	struct ns_capture *keeper;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SAMPLE_PCAP CORPUS_DIR\n", argv[0]);
		return 2;
	}
	sample = argv[1];
	corpus = argv[2];
	snprintf(prefix, sizeof(prefix), "nstest-plq-%ld", (long)getpid());
	snprintf(eal_args, sizeof(eal_args),
		 "--no-huge -m 512 --no-pci --no-shconf --no-telemetry "
		 "--log-level=lib.eal:warning --file-prefix=%s --lcores=0@0,1@0,2@0",
		 prefix);
	/* EAL lives once per process: this handle keeps it up across the tests */
	keeper = ns_capture_open(&kp, errbuf);
	if (keeper == NULL) {
		fprintf(stderr, "cannot start: %s\n", errbuf);
		return 1;
	}
	rc = ns_test_run("pipeline_queues", cases, NS_ARRAY_SIZE(cases));
	ns_capture_close(keeper);
	snprintf(dir, sizeof(dir), "/var/run/dpdk/%s", prefix);
	rmdir(dir);
	return rc;
}
