/* SPDX-License-Identifier: MIT */
/*
 * ring-feed: plays the part of a NIC for tools/bench/run-dpdk.sh's ring replay. It runs as a
 * DPDK secondary process next to a primary (netscope, or dpdk-testpmd as the ceiling) that owns
 * a `net_ring` port, and on its own core does what a NIC's DMA does: it takes mbufs from the
 * primary's RX pool, writes a frame of a capture held in memory into each, and puts them on
 * the port's RX ring, which the primary's rte_eth_rx_burst() dequeues. The primary's core then
 * spends nothing on producing packets (net_pcap's infinite_rx copies every frame on the
 * receiving core, out of mbufs spread over up to 2 GB).
 *
 * The capture is replayed in passes, and each pass moves every TCP segment's sequence and
 * acknowledgement numbers on by what its direction of the connection carried in one pass
 * (payload plus SYN and FIN), so the analyser sees each connection continue in order rather
 * than the same segments again as retransmissions (net_pcap's infinite_rx). This needs a file
 * whose connections are consistent within one pass, as gen-bench --steady writes them.
 *
 * Only the first -H bytes of each frame (default 128: Ethernet, IP and TCP headers with
 * options) are written; the mbuf's lengths are the frame's. The bytes beyond are whatever the
 * recycled mbuf held: the primary counts and analyses lengths and headers and never reads a
 * payload on this path. On a real NIC the payload costs no CPU either.
 *
 *   ring-feed [EAL options] -- [-p POOL] [-r RING] [-H BYTES] [-s SECONDS] [-n PASSES] [-R]
 *             FILE.pcap
 *
 * EAL options must include --proc-type=secondary and the primary's --file-prefix. POOL is the
 * primary's RX mempool (netscope: ns_rx_p0_q0; testpmd: mb_pool_0), RING the port's RX ring
 * (`--vdev net_ring0` makes ETH_RXTX0_net_ring0). It stops on SIGINT or SIGTERM, after
 * SECONDS, after exactly PASSES passes over the file, or when the primary goes away, and
 * prints what it fed. -R replays every pass unchanged (the test's control: the analyser must
 * then see retransmissions).
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#define BURST 32
#define ETH_HDR 14
#define ETHERTYPE_IPV4 0x0800
#define IPPROTO_TCP_ 6
#define TCP_FIN 0x01
#define TCP_SYN 0x02

struct frame {
	uint32_t off; /* into the frame store */
	uint16_t caplen;
	uint16_t seq_at; /* offset of the TCP sequence number, 0 when not TCP over IPv4 */
	uint32_t adv_seq; /* per pass: what this direction sends */
	uint32_t adv_ack; /* per pass: what the other direction sends */
};

struct capture {
	uint8_t *store;
	struct frame *f;
	size_t n;
	unsigned max_caplen;
};

/* one direction of a connection: 12 bytes of addresses and ports, and its bytes per pass */
struct dir_slot {
	uint8_t key[12];
	bool used;
	uint32_t adv;
};

struct dir_map {
	struct dir_slot *s;
	size_t mask;
};

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static uint64_t
key_hash(const uint8_t *k)
{
	uint64_t h = 1469598103934665603ull;

	for (int i = 0; i < 12; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	return h;
}

static struct dir_slot *
dir_get(struct dir_map *m, const uint8_t *key)
{
	for (size_t i = key_hash(key) & m->mask;; i = (i + 1) & m->mask) {
		struct dir_slot *s = &m->s[i];

		if (!s->used) {
			s->used = true;
			memcpy(s->key, key, sizeof(s->key));
			return s;
		}
		if (memcmp(s->key, key, sizeof(s->key)) == 0)
			return s;
	}
}

/*
 * Where the TCP header of an untagged Ethernet / IPv4 (first fragment or unfragmented) / TCP
 * frame starts, its 12-byte direction key (addresses, ports) and the sequence space it uses;
 * 0 for any other frame (left unchanged on every pass).
 */
static unsigned
tcp_locate(const uint8_t *p, uint32_t caplen, uint8_t key[12], uint32_t *space)
{
	unsigned ihl, l4, doff, flags;
	uint32_t iplen;

	if (caplen < ETH_HDR + 20 || ((unsigned)p[12] << 8 | p[13]) != ETHERTYPE_IPV4)
		return 0;
	ihl = (p[ETH_HDR] & 0x0f) * 4u;
	if ((p[ETH_HDR] >> 4) != 4 || ihl < 20 || p[ETH_HDR + 9] != IPPROTO_TCP_ ||
	    (((unsigned)p[ETH_HDR + 6] << 8 | p[ETH_HDR + 7]) & 0x1fff) != 0)
		return 0;
	l4 = ETH_HDR + ihl;
	if (caplen < l4 + 20)
		return 0;
	doff = (p[l4 + 12] >> 4) * 4u;
	flags = p[l4 + 13];
	iplen = (uint32_t)p[ETH_HDR + 2] << 8 | p[ETH_HDR + 3];
	if (iplen < ihl + doff)
		return 0;
	memcpy(key, p + ETH_HDR + 12, 8);
	memcpy(key + 8, p + l4, 4);
	*space = iplen - ihl - doff + ((flags & TCP_SYN) != 0) + ((flags & TCP_FIN) != 0);
	return l4 + 4;
}

static void
key_reverse(const uint8_t *k, uint8_t *r)
{
	memcpy(r, k + 4, 4);
	memcpy(r + 4, k, 4);
	memcpy(r + 8, k + 10, 2);
	memcpy(r + 10, k + 8, 2);
}

/* Load @path into @cap and work out every TCP frame's per-pass advance. */
static int
capture_load(const char *path, unsigned hdr, bool advance, struct capture *cap)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *ph;
	const u_char *data;
	size_t cap_f = 1024, cap_b = 1u << 20, used = 0;
	struct dir_map m;
	pcap_t *pc;
	int rc;

	pc = pcap_open_offline(path, err);
	if (pc == NULL) {
		fprintf(stderr, "ring-feed: %s\n", err);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "ring-feed: %s: not an Ethernet capture\n", path);
		pcap_close(pc);
		return -1;
	}
	cap->f = malloc(cap_f * sizeof(*cap->f));
	cap->store = malloc(cap_b);
	cap->n = 0;
	cap->max_caplen = 0;
	while ((rc = pcap_next_ex(pc, &ph, &data)) == 1) {
		uint32_t len = ph->caplen > UINT16_MAX ? UINT16_MAX : ph->caplen;
		uint32_t keep = len < hdr ? len : hdr;

		if (cap->f != NULL && cap->n == cap_f) {
			void *p = realloc(cap->f, 2 * cap_f * sizeof(*cap->f));

			if (p != NULL)
				cap_f *= 2;
			cap->f = p != NULL ? p : cap->f;
		}
		/* each frame's header bytes on its own 64-byte boundary, as a NIC writes them */
		while (cap->store != NULL && used + keep + 64 > cap_b) {
			void *p = realloc(cap->store, 2 * cap_b);

			if (p == NULL)
				break;
			cap->store = p;
			cap_b *= 2;
		}
		if (cap->f == NULL || cap->store == NULL || cap->n == cap_f ||
		    used + keep + 64 > cap_b) {
			fprintf(stderr, "ring-feed: out of memory loading %s\n", path);
			pcap_close(pc);
			return -1;
		}
		memcpy(cap->store + used, data, keep);
		if (len > cap->max_caplen)
			cap->max_caplen = len;
		cap->f[cap->n++] = (struct frame){ .off = (uint32_t)used, .caplen = (uint16_t)len };
		used += (keep + 63) & ~(size_t)63;
	}
	if (rc == -1)
		fprintf(stderr, "ring-feed: %s: %s\n", path, pcap_geterr(pc));
	pcap_close(pc);
	if (rc == -1 || cap->n == 0)
		return -1;

	/* what each direction carries in one pass */
	m.mask = 1;
	while (m.mask < cap->n * 2)
		m.mask <<= 1;
	m.s = calloc(m.mask, sizeof(*m.s));
	m.mask--;
	if (m.s == NULL)
		return -1;
	for (size_t i = 0; i < cap->n; i++) {
		struct frame *f = &cap->f[i];
		uint8_t key[12];
		uint32_t space;
		unsigned at = tcp_locate(cap->store + f->off, f->caplen < hdr ? f->caplen : hdr,
					 key, &space);

		if (at == 0 || at + 14 > hdr || at + 14 > f->caplen)
			continue;
		f->seq_at = (uint16_t)at;
		dir_get(&m, key)->adv += space;
	}
	for (size_t i = 0; i < cap->n; i++) {
		struct frame *f = &cap->f[i];
		uint8_t key[12], rev[12];
		uint32_t space;

		if (f->seq_at == 0)
			continue;
		tcp_locate(cap->store + f->off, hdr, key, &space);
		key_reverse(key, rev);
		f->adv_seq = advance ? dir_get(&m, key)->adv : 0;
		f->adv_ack = advance ? dir_get(&m, rev)->adv : 0;
	}
	free(m.s);
	return 0;
}

/*
 * Add @v to the big-endian 32-bit field at @p and fold the change into the one's-complement
 * checksum at @csum (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m'), per 16-bit word), so the
 * replayed segments keep a valid TCP checksum.
 */
static inline void
be32_add(uint8_t *p, uint32_t v, uint8_t *csum)
{
	uint32_t x, old, new, sum;

	memcpy(&x, p, 4);
	old = rte_be_to_cpu_32(x);
	new = old + v;
	x = rte_cpu_to_be_32(new);
	memcpy(p, &x, 4);
	sum = (uint16_t) ~((unsigned)csum[0] << 8 | csum[1]);
	sum += (uint16_t) ~(old >> 16) + (uint16_t)~old + (new >> 16) + (new & 0xffff);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = (uint16_t)~sum;
	csum[0] = (uint8_t)(sum >> 8);
	csum[1] = (uint8_t)sum;
}

/* Fill @m[0..n) with frames @i.. of pass @pass; returns the next frame index. */
static size_t
burst_fill(const struct capture *cap, unsigned hdr, uint64_t rearm, struct rte_mbuf **m, unsigned n,
	   size_t i, uint32_t *pass)
{
	for (unsigned k = 0; k < n; k++) {
		const struct frame *f = &cap->f[i];
		uint8_t *dst;

		memcpy((uint8_t *)m[k] + offsetof(struct rte_mbuf, rearm_data), &rearm, 8);
		dst = rte_pktmbuf_mtod(m[k], uint8_t *);
		unsigned keep = f->caplen < hdr ? f->caplen : hdr;

		rte_memcpy(dst, cap->store + f->off, keep);
		if (f->seq_at != 0) {
			/* the checksum is 12 bytes after the sequence number */
			be32_add(dst + f->seq_at, *pass * f->adv_seq, dst + f->seq_at + 12);
			be32_add(dst + f->seq_at + 4, *pass * f->adv_ack, dst + f->seq_at + 12);
		}
		/* the receive descriptor's fields, all in the mbuf's first line (see main) */
		m[k]->ol_flags = 0;
		m[k]->packet_type = 0;
		m[k]->data_len = f->caplen;
		m[k]->pkt_len = f->caplen;
		m[k]->vlan_tci = 0;
		if (++i == cap->n) {
			i = 0;
			++*pass;
		}
		rte_prefetch0(cap->store + cap->f[i].off + 256);
	}
	return i;
}

static void
usage(void)
{
	fprintf(stderr, "usage: ring-feed [EAL options] -- [-p POOL] [-r RING] [-H BYTES] "
			"[-s SECONDS] [-n PASSES] [-R] FILE.pcap\n");
}

int
main(int argc, char **argv)
{
	const char *pool_name = "ns_rx_p0_q0", *ring_name = "ETH_RXTX0_net_ring0";
	unsigned hdr = 128;
	double seconds = 0;
	uint64_t passes = 0, total = UINT64_MAX;
	bool advance = true;
	struct rte_mempool *pool = NULL;
	struct rte_ring *ring = NULL;
	struct capture cap = { 0 };
	uint64_t fed = 0, full_spins = 0, nombuf = 0, t0, t1, deadline = UINT64_MAX;
	uint32_t pass = 0;
	uint64_t rearm;
	size_t data_at, i = 0;
	int n, c, rc = 1;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "ring-feed: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while ((c = getopt(argc, argv, "p:r:H:s:n:Rh")) != -1) {
		switch (c) {
		case 'p':
			pool_name = optarg;
			break;
		case 'r':
			ring_name = optarg;
			break;
		case 'H':
			hdr = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			seconds = strtod(optarg, NULL);
			break;
		case 'n':
			passes = strtoull(optarg, NULL, 10);
			break;
		case 'R':
			advance = false;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind != argc - 1 || hdr < 64 || hdr > 2048) {
		usage();
		return 2;
	}
	if (capture_load(argv[optind], hdr, advance, &cap) != 0)
		goto out;
	if (passes != 0)
		total = passes * cap.n;
	/* the primary creates both once its port is set up: wait for them */
	for (int tries = 0; tries < 600 && !stop_flag; tries++) {
		pool = rte_mempool_lookup(pool_name);
		ring = rte_ring_lookup(ring_name);
		if (pool != NULL && ring != NULL)
			break;
		usleep(100000);
	}
	if (pool == NULL || ring == NULL) {
		fprintf(stderr, "ring-feed: no %s %s in the primary\n",
			pool == NULL ? "mempool" : "ring", pool == NULL ? pool_name : ring_name);
		goto out;
	}
	if (rte_pktmbuf_data_room_size(pool) < RTE_PKTMBUF_HEADROOM + cap.max_caplen) {
		fprintf(stderr, "ring-feed: %s's mbufs hold %u bytes, the largest frame is %u\n",
			pool_name, rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM,
			cap.max_caplen);
		goto out;
	}
	{
		struct rte_mbuf t = { .data_off = RTE_PKTMBUF_HEADROOM, .nb_segs = 1, .port = 0 };

		rte_mbuf_refcnt_set(&t, 1);
		memcpy(&rearm, (uint8_t *)&t + offsetof(struct rte_mbuf, rearm_data), 8);
	}
	data_at = sizeof(struct rte_mbuf) + rte_pktmbuf_priv_size(pool) + RTE_PKTMBUF_HEADROOM;
	fprintf(stderr, "ring-feed: %zu frames, %u header bytes each, into %s from %s\n", cap.n,
		hdr, ring_name, pool_name);
	t0 = rte_get_tsc_cycles();
	if (seconds > 0)
		deadline = t0 + (uint64_t)(seconds * (double)rte_get_tsc_hz());
	while (!stop_flag && fed < total) {
		struct rte_mbuf *m[BURST];
		unsigned want = total - fed < BURST ? (unsigned)(total - fed) : BURST, put = 0;

		/*
		 * As a PMD refills its ring: raw mbufs, and only the first line's fields written
		 * (data offset, reference count, segments, port, lengths, flags). A free mbuf
		 * already has next == NULL and one segment; rte_pktmbuf_reset() would also write
		 * the second line, which the primary's rte_pktmbuf_free() then pulls back from
		 * this core.
		 */
		if (rte_mempool_get_bulk(pool, (void **)m, want) != 0) {
			/* the primary holds them all: it is behind, or gone */
			if ((++nombuf & 0xfffff) == 0 && !rte_eal_primary_proc_alive(NULL))
				break;
			rte_pause();
			continue;
		}
		/*
		 * The consumer's core wrote these lines last: ask for them all for writing at
		 * once, so the transfers overlap instead of queueing one per store. The data
		 * room's place is fixed in each mbuf, so no header load is needed to find it.
		 */
		for (unsigned k = 0; k < want; k++) {
			__builtin_prefetch(m[k], 1, 3);
			__builtin_prefetch((uint8_t *)m[k] + data_at, 1, 3);
		}
		i = burst_fill(&cap, hdr, rearm, m, want, i, &pass);
		while (put < want && !stop_flag) {
			put += rte_ring_sp_enqueue_burst(ring, (void *const *)(m + put), want - put,
							 NULL);
			if (put < want) {
				/* the consumer is behind, stopped, or gone */
				if ((++full_spins & 0xfffff) == 0 &&
				    (!rte_eal_primary_proc_alive(NULL) ||
				     rte_get_tsc_cycles() >= deadline))
					break;
				rte_pause();
			}
		}
		fed += put;
		if (put < want) {
			/* stopped, or the consumer went away or the time is up while the ring was
			 * full */
			rte_mempool_put_bulk(pool, (void *const *)(m + put), want - put);
			break;
		}
		if ((fed & 0xffff) < BURST && rte_get_tsc_cycles() >= deadline)
			break;
	}
	t1 = rte_get_tsc_cycles();
	printf("ring-feed fed=%" PRIu64 " passes=%" PRIu32 " seconds=%.3f mpps=%.3f "
	       "ring_full_spins=%" PRIu64 " nombuf_spins=%" PRIu64 "\n",
	       fed, pass, (double)(t1 - t0) / (double)rte_get_tsc_hz(),
	       (double)fed / ((double)(t1 - t0) / (double)rte_get_tsc_hz()) / 1e6, full_spins,
	       nombuf);
	fflush(stdout);
	rc = 0;
out:
	free(cap.f);
	free(cap.store);
	rte_eal_cleanup();
	return rc;
}
