/* SPDX-License-Identifier: MIT */
/*
 * The DPDK backend: one ethdev port (PCI address, or a vdev string hot-plugged after EAL
 * init), N RX queues each with its own mempool on the port's NUMA node, symmetric-key RSS when
 * the port has it, and per-queue receive so that one worker can own one queue. Frames are mbuf
 * data handed out in place and freed at the start of the next call on the queue; the BPF
 * filter is libpcap's own pcap_offline_filter() so verdicts equal libpcap's (see
 * docs/pipeline.md for why not rte_bpf). net_pcap rx_pcap= files end like pcap files do.
 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>

#include "capture_priv.h"
#include "ns_core.h"

#define DEFAULT_RX_DESC 1024
#define DEFAULT_MBUFS 65535
/*
 * A frame at the default MTU with one VLAN tag: an mbuf data room (dpdk.mbuf_size less the
 * headroom) below this needs RX scatter to receive every frame whole.
 */
#define STD_FRAME_MAX (RTE_ETHER_MTU + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + RTE_VLAN_HLEN)
#define DEFAULT_SNAPLEN 262144
/* The smallest burst a caller holds (pipeline.burst's default); bigger ones may see rx_nombuf. */
#define MIN_BURST 32
/* Bytes a queue may copy per burst to make multi-segment frames contiguous. */
#define BOUNCE_BYTES (1u << 20)
/*
 * An empty burst from an rx_pcap queue means the file is consumed, unless net_pcap could not get
 * an mbuf (it then counts rx_nombuf). One empty burst with rx_nombuf unchanged would prove it;
 * three in a row costs nothing and needs no reasoning about a stats read racing the PMD.
 */
#define EOF_POLLS 3
/* Empty polls of the whole handle before the single-threaded loop naps (an idle port). */
#define IDLE_POLLS 1024
#define IDLE_NAP_US 100
/*
 * The TSC clock re-anchors to CLOCK_REALTIME this often and measures the TSC rate from the last
 * interval: EAL may estimate rte_get_tsc_hz() and round it to 10 MHz (0.17% off at 3 GHz).
 */
#define CLOCK_RESYNC_NS 1000000000ull
/* Jumbo frames: with scatter, ask for this MTU (capped at the port's max_mtu). */
#define JUMBO_MTU 9000
/* Symmetric Toeplitz key: a repeated 16-bit pattern makes hash(a,b) == hash(b,a). */
#define RSS_KEY_HI 0x6d
#define RSS_KEY_LO 0x5a
#define RSS_KEY_MAX 128
#define RSS_HF (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_SCTP)

/* TSC to wall-clock ns, one per queue so that no two workers share it. */
struct tsc_clock {
	uint64_t tsc0, ns0; /* anchor */
	uint64_t mult; /* ns per cycle << 32 */
	uint64_t nominal; /* mult from rte_get_tsc_hz(), the sanity reference */
	uint64_t resync; /* TSC value of the next re-anchor */
	uint64_t interval; /* cycles between re-anchors */
	uint64_t last; /* last value handed out: time never goes backwards */
};

struct dpdk_queue {
	/* queue owner: rw (relaxed stores once per burst); stats reader: ro (relaxed loads) */
	uint64_t received;
	uint64_t bytes;
	uint64_t filtered;
	uint64_t frames_cut;
	/* queue owner only */
	struct rte_mempool *pool;
	uint8_t *bounce;
	unsigned nb_held;
	/*
	 * Every held mbuf can go back to the pool as it is, without rte_pktmbuf_free()'s per-mbuf
	 * work: rte_pktmbuf_prefree_seg() would hand it on unchanged (one reference, one segment
	 * so next is NULL by the chain invariant, its own buffer) and it is from our pool. That
	 * is every mbuf an RX burst returns in practice; anything else takes free_bulk.
	 */
	bool held_raw;
	unsigned empty_polls;
	uint64_t last_nombuf;
	bool eof;
	struct tsc_clock clock;
	struct rte_mbuf *held[CAPTURE_BURST_MAX];
	/* received beyond a request below MIN_BURST, handed out first by the next call */
	unsigned pend_head, pend_n;
	struct rte_mbuf *pend[MIN_BURST];
} __rte_cache_aligned;

struct dpdk_cap {
	uint16_t port;
	bool port_valid;
	bool started;
	bool hotplugged;
	bool eal_ref;
	struct rte_device *dev;
	char name[RTE_ETH_NAME_MAX_LEN];
	char driver[64];
	unsigned nb_q;
	uint32_t cut; /* caplen limit (snaplen) */
	bool eof_detect; /* net_pcap rx_pcap without infinite_rx */
	/* net_pcap: queue q's rx_pcap= file (queue_check_eof()); NULL past the files */
	char *rx_file[CAPTURE_QUEUES_MAX];
	bool pmd_ts; /* net_pcap: mbufs carry the file's (or libpcap's) us timestamps */
	int ts_off; /* timestamp dynfield offset */
	uint64_t ts_flag; /* its RX flag */
	bool has_filter;
	struct bpf_program prog;
	unsigned rr; /* rx_burst_all: queue to start from */
	unsigned idle; /* rx_burst_all: empty polls in a row */
	struct dpdk_queue *q;
};

/* ---- names ---- */

static bool
is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* "DDDD:BB:DD.F" or "BB:DD.F" up to the first comma. */
static bool
is_pci_addr(const char *s)
{
	static const char full[] = "hhhh:hh:hh.d", shrt[] = "hh:hh.d";
	size_t len = strcspn(s, ",");
	const char *pat = len == sizeof(full) - 1 ? full : len == sizeof(shrt) - 1 ? shrt : NULL;

	if (pat == NULL)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (pat[i] == 'h' && !is_hex(s[i]))
			return false;
		if (pat[i] == 'd' && (s[i] < '0' || s[i] > '7'))
			return false;
		if (pat[i] != 'h' && pat[i] != 'd' && pat[i] != s[i])
			return false;
	}
	return true;
}

/* ethdev vdev drivers are all named net_<pmd> ("net_pcap0,rx_pcap=f.pcap"). */
static bool
is_vdev(const char *s)
{
	return strncmp(s, "net_", 4) == 0 && s[4] != '\0' && s[4] != ',';
}

/*
 * The device string to probe (a short PCI address gets the 0000 domain, as the PCI bus names
 * the device) and the port name to look up (the part before the first comma).
 */
static void
dev_names(const char *iface, char *devstr, size_t devlen, char *name, size_t namelen)
{
	const char *pci_domain = is_pci_addr(iface) && strcspn(iface, ",") == 7 ? "0000:" : "";

	snprintf(devstr, devlen, "%s%s", pci_domain, iface);
	for (char *ch = devstr; *ch != '\0' && *ch != ','; ch++)
		if (*ch >= 'A' && *ch <= 'F')
			*ch = (char)(*ch - 'A' + 'a');
	snprintf(name, namelen, "%.*s", (int)strcspn(devstr, ","), devstr);
}

static bool
has_text(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static enum capture_claim
dpdk_claim(const struct ns_capture_params *p, char *why, size_t len)
{
	if (has_text(p->file))
		return CAPTURE_CLAIM_NO;
	if (is_vdev(p->interface)) {
		snprintf(why, len, "'%.*s' names a DPDK virtual device",
			 (int)strcspn(p->interface, ","), p->interface);
		return CAPTURE_CLAIM_NATIVE;
	}
	if (is_pci_addr(p->interface)) {
		snprintf(why, len, "'%s' is a PCI address", p->interface);
		return CAPTURE_CLAIM_NATIVE;
	}
	if (has_text(p->eal_args)) {
		snprintf(why, len, "DPDK EAL arguments are set");
		return CAPTURE_CLAIM_NATIVE;
	}
	return CAPTURE_CLAIM_NO;
}

/* ---- time ---- */

static void
clock_init(struct tsc_clock *k)
{
	uint64_t hz = rte_get_tsc_hz();

	k->nominal = (uint64_t)(((unsigned __int128)NS_NSEC_PER_SEC << 32) / hz);
	k->mult = k->nominal;
	k->interval = (uint64_t)(((unsigned __int128)CLOCK_RESYNC_NS * hz) / NS_NSEC_PER_SEC);
	k->ns0 = ns_time_now_ns();
	k->tsc0 = rte_get_tsc_cycles();
	k->resync = k->tsc0 + k->interval;
	k->last = 0;
}

/* Re-anchor; keep the measured rate only when it is within 1% of EAL's (no clock step). */
static void
clock_resync(struct tsc_clock *k, uint64_t tsc)
{
	uint64_t now = ns_time_now_ns();

	if (now > k->ns0 && tsc > k->tsc0) {
		uint64_t m =
			(uint64_t)(((unsigned __int128)(now - k->ns0) << 32) / (tsc - k->tsc0));

		if (m > k->nominal - k->nominal / 100 && m < k->nominal + k->nominal / 100)
			k->mult = m;
	}
	k->tsc0 = tsc;
	k->ns0 = now;
	k->resync = tsc + k->interval;
}

static inline uint64_t
clock_now(struct tsc_clock *k)
{
	uint64_t tsc = rte_get_tsc_cycles();
	uint64_t ns;

	if (NS_UNLIKELY(tsc >= k->resync))
		clock_resync(k, tsc);
	ns = k->ns0 + (uint64_t)(((unsigned __int128)(tsc - k->tsc0) * k->mult) >> 32);
	if (ns < k->last)
		ns = k->last;
	k->last = ns;
	return ns;
}

/* ---- receive ---- */

static inline void
counter_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

static inline void
queue_release(struct dpdk_queue *rq)
{
	if (rq->nb_held == 0)
		return;
	if (NS_LIKELY(rq->held_raw))
		rte_mempool_put_bulk(rq->pool, (void *const *)rq->held, rq->nb_held);
	else
		rte_pktmbuf_free_bulk(rq->held, rq->nb_held);
	rq->nb_held = 0;
	rq->held_raw = true;
}

/* Free the frames received but not handed out (close). */
static void
queue_drop_pending(struct dpdk_queue *rq)
{
	if (rq->pend_n != 0)
		rte_pktmbuf_free_bulk(rq->pend + rq->pend_head, rq->pend_n);
	rq->pend_n = 0;
}

/*
 * Up to @room mbufs of queue @q into @held. A request below MIN_BURST (the rest of -c, the
 * later queues of one rx_burst_all() call) asks the PMD for MIN_BURST and keeps what it does
 * not hand out for the next call: vector receive paths (ixgbe, i40e, ...) return nothing for
 * fewer than 4 or 8, and a count that ends on such a remainder would wait for ever. After a
 * stop (@stop) it receives nothing more, but still hands out what it kept: the PMD counted
 * those frames as received.
 */
static inline unsigned
queue_fetch(const struct dpdk_cap *d, struct dpdk_queue *rq, unsigned q, struct rte_mbuf **held,
	    unsigned room, bool stop)
{
	unsigned nb;

	if (NS_LIKELY(rq->pend_n == 0)) {
		if (stop)
			return 0;
		if (NS_LIKELY(room >= MIN_BURST) || room == 0)
			return rte_eth_rx_burst(d->port, (uint16_t)q, held, (uint16_t)room);
		rq->pend_n = rte_eth_rx_burst(d->port, (uint16_t)q, rq->pend, MIN_BURST);
		rq->pend_head = 0;
	}
	nb = NS_MIN(room, rq->pend_n);
	memcpy(held, rq->pend + rq->pend_head, nb * sizeof(*held));
	rq->pend_head += nb;
	rq->pend_n -= nb;
	return nb;
}

/*
 * Whether net_pcap delivered queue @q's whole rx_pcap file: the file reads to its end without
 * an error and has as many records as the port counts received on the queue. Its error counter
 * is the port's only (q_errors stays 0), so with several files this says which one it was.
 * Reads the file again, once, at the end of a queue when the port counted errors.
 */
static bool
rx_file_whole(const struct dpdk_cap *d, unsigned q, const struct rte_eth_stats *st)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t records = 0;
	pcap_t *pc;
	int rc;

	if (q >= RTE_ETHDEV_QUEUE_STAT_CNTRS || d->rx_file[q] == NULL)
		return false;
	pc = pcap_open_offline(d->rx_file[q], pe);
	if (pc == NULL)
		return false;
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1)
		records++;
	pcap_close(pc);
	return rc == PCAP_ERROR_BREAK && records == st->q_ipackets[q];
}

/* An empty burst on an rx_pcap queue: is the file consumed? (see EOF_POLLS) */
static void
queue_check_eof(struct ns_capture *c, struct dpdk_cap *d, struct dpdk_queue *rq, unsigned q)
{
	struct rte_eth_stats st;

	if (rte_eth_stats_get(d->port, &st) != 0)
		return;
	if (st.rx_nombuf != rq->last_nombuf) {
		rq->last_nombuf = st.rx_nombuf;
		rq->empty_polls = 0;
		return;
	}
	if (++rq->empty_polls < EOF_POLLS)
		return;
	rq->eof = true;
	/* Records net_pcap could not read (a cut file) end a pcap read with an error too. */
	if (st.ierrors != 0 && !rx_file_whole(d, q, &st))
		capture_set_error(c, q,
				  "%s: net_pcap could not read or store %" PRIu64
				  " record(s) of its rx_pcap file%s%s (truncated or corrupt file?)",
				  d->name, st.ierrors, d->rx_file[q] != NULL ? " " : "",
				  d->rx_file[q] != NULL ? d->rx_file[q] : "");
	else
		capture_set_status(c, q, NS_CAPTURE_EOF);
}

/*
 * The chained frames of one burst: bounce buffer bytes used so far, and which frames of the
 * burst frame_linear() handed out cut (bit i for frame i; zeroed at the burst's first cut).
 */
struct burst_chains {
	size_t used;
	unsigned cut;
	uint64_t cutmap[CAPTURE_BURST_MAX / 64];
};

/* Bytes the chain at @m holds, up to @max (net_pcap's pkt_len may claim more, see below). */
static uint32_t
chain_bytes(const struct rte_mbuf *m, uint32_t max)
{
	uint32_t n = 0;

	for (; m != NULL && n < max; m = m->next)
		n += m->data_len;
	return NS_MIN(n, max);
}

/*
 * Frames larger than one mbuf arrive as a chain: copy them into the queue's bounce buffer so
 * the caller sees one contiguous frame; when the buffer is full, hand out the first segment,
 * and *@cut says whether that lost bytes the chain holds. The copy walks the segments rather
 * than trusting pkt_len: net_pcap in DPDK 22.11 chains only (length mod 65536) bytes of a
 * record above 64 KiB yet sets pkt_len to the full length, and rte_pktmbuf_read() then runs off
 * the end of the chain. Such a frame, copied whole, is short of its wire length but not cut.
 */
static const uint8_t *
frame_linear(struct dpdk_queue *rq, const struct rte_mbuf *m, uint32_t *caplen, size_t *used,
	     bool *cut)
{
	uint8_t *dst = rq->bounce + *used;
	uint32_t want = *caplen, got = 0;

	if (*used + want > BOUNCE_BYTES) {
		*caplen = NS_MIN(want, (uint32_t)m->data_len);
		*cut = *caplen < chain_bytes(m, want);
		return rte_pktmbuf_mtod(m, const uint8_t *);
	}
	for (const struct rte_mbuf *seg = m; seg != NULL && got < want; seg = seg->next) {
		uint32_t len = NS_MIN((uint32_t)seg->data_len, want - got);

		memcpy(dst + got, rte_pktmbuf_mtod(seg, const uint8_t *), len);
		got += len;
	}
	*caplen = got;
	*used += got;
	*cut = false;
	return dst;
}

/*
 * Drop the frames the BPF filter rejects from frames[0..n), keeping the order; their mbufs stay
 * held until the next call like the others. A rejected frame is not handed out, so when it was
 * one of @bc's cut frames it no longer counts as cut. Returns the frames kept.
 */
static unsigned
frames_filter(const struct dpdk_cap *d, struct ns_frame *frames, unsigned n, uint64_t *bytes,
	      struct burst_chains *bc)
{
	unsigned got = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct ns_frame *f = &frames[i];
		struct pcap_pkthdr ph;

		ph.caplen = f->caplen;
		ph.len = f->wirelen;
		ph.ts.tv_sec = (time_t)(f->ts_ns / NS_NSEC_PER_SEC);
		ph.ts.tv_usec = (suseconds_t)(f->ts_ns % NS_NSEC_PER_SEC / NS_NSEC_PER_USEC);
		if (pcap_offline_filter(&d->prog, &ph, f->data) == 0) {
			*bytes -= f->wirelen;
			if (bc->cut != 0 && (bc->cutmap[i / 64] >> (i % 64) & 1) != 0)
				bc->cut--;
			continue;
		}
		frames[got++] = *f;
	}
	return got;
}

/* Chained frame @i of the burst, made contiguous (frame_linear); kept out of the receive loop. */
static __rte_noinline void
frame_chained(struct dpdk_queue *rq, const struct rte_mbuf *m, uint32_t limit, struct ns_frame *f,
	      unsigned i, struct burst_chains *bc)
{
	bool cut;

	f->caplen = NS_MIN(m->pkt_len, limit);
	f->data = frame_linear(rq, m, &f->caplen, &bc->used, &cut);
	if (cut) {
		if (bc->cut++ == 0)
			memset(bc->cutmap, 0, sizeof(bc->cutmap));
		bc->cutmap[i / 64] |= UINT64_C(1) << (i % 64);
	}
}

static unsigned
queue_rx(struct ns_capture *c, struct dpdk_cap *d, unsigned q, struct ns_frame *frames, unsigned n)
{
	struct dpdk_queue *rq = &d->q[q];
	struct rte_mbuf **held = rq->held + rq->nb_held;
	/* locals: the frame stores below could alias d and rq as far as the compiler knows */
	const struct rte_mempool *pool = rq->pool;
	const uint32_t limit = d->cut;
	const uint64_t ts_flag = d->pmd_ts ? d->ts_flag : 0;
	const int ts_off = d->ts_off;
	uint64_t bytes = 0, ts = 0;
	struct burst_chains bc; /* bc.cutmap is set only once a frame is cut */
	unsigned nb, got;
	bool raw = true;

	c->rx_busy[q] = false;
	if (rq->eof)
		return 0;
	nb = queue_fetch(d, rq, q, held, NS_MIN(n, CAPTURE_BURST_MAX - rq->nb_held), c->stop);
	if (NS_UNLIKELY(c->stop) && nb == 0) {
		capture_set_status(c, q, NS_CAPTURE_STOPPED);
		return 0;
	}
	if (nb == 0) {
		if (d->eof_detect)
			queue_check_eof(c, d, rq, q);
		return 0;
	}
	rq->empty_polls = 0;
	bc.used = 0;
	bc.cut = 0;
	/* frames arrived: even if the filter rejects them all, the port is not idle */
	c->rx_busy[q] = true;
	/*
	 * A PMD that fills the mbuf headers itself has them in cache, but one that only hands over
	 * mbufs another core wrote (net_ring, a software RX ring) does not: ask for all the
	 * burst's header lines at once, so their misses overlap instead of queueing one per frame.
	 * The data may not be in cache either (a NIC's DMA), and the caller parses it next:
	 * prefetch it. Frames without a PMD timestamp share one clock reading per burst
	 * (net_pcap's infinite_rx sets none).
	 */
	for (unsigned i = 0; i < nb; i++)
		rte_prefetch0(held[i]);
	for (unsigned i = 0; i < nb; i++) {
		const struct rte_mbuf *m = held[i];
		struct ns_frame *f = &frames[i];
		const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t wirelen = m->pkt_len;

		rte_prefetch0(data);
		f->wirelen = wirelen;
		bytes += wirelen;
		if (NS_LIKELY(m->nb_segs == 1)) {
			f->caplen = NS_MIN((uint32_t)m->data_len, limit);
			f->data = data;
			raw &= rte_mbuf_refcnt_read(m) == 1 && RTE_MBUF_DIRECT(m) &&
			       m->pool == pool;
		} else {
			frame_chained(rq, m, limit, f, i, &bc);
			raw = false;
		}
		if ((m->ol_flags & ts_flag) != 0) {
			f->ts_ns = *RTE_MBUF_DYNFIELD(m, ts_off, rte_mbuf_timestamp_t *) *
				   NS_NSEC_PER_USEC;
		} else {
			if (ts == 0)
				ts = clock_now(&rq->clock);
			f->ts_ns = ts;
		}
	}
	got = d->has_filter ? frames_filter(d, frames, nb, &bytes, &bc) : nb;
	rq->held_raw = (rq->nb_held == 0 || rq->held_raw) && raw;
	rq->nb_held += nb;
	/* publish once per burst */
	counter_add(&rq->received, got);
	counter_add(&rq->bytes, bytes);
	if (got != nb)
		counter_add(&rq->filtered, nb - got);
	if (bc.cut != 0)
		counter_add(&rq->frames_cut, bc.cut);
	return got;
}

static unsigned
dpdk_rx_burst(struct ns_capture *c, unsigned q, struct ns_frame *frames, unsigned n)
{
	struct dpdk_cap *d = c->priv;

	queue_release(&d->q[q]);
	return queue_rx(c, d, q, frames, n);
}

/*
 * The single-threaded caller: release every queue's last burst, then fill from each in turn;
 * after IDLE_POLLS polls in a row that received nothing (not even frames the filter then
 * rejected) it naps between polls (a worker owning a queue calls dpdk_rx_burst() and keeps its
 * own idle policy, with ns_capture_queue_busy()).
 */
static unsigned
dpdk_rx_burst_all(struct ns_capture *c, struct ns_frame *frames, unsigned n)
{
	struct dpdk_cap *d = c->priv;
	unsigned got = 0;
	bool busy = false;

	for (unsigned q = 0; q < d->nb_q; q++)
		queue_release(&d->q[q]);
	for (unsigned i = 0, q = d->rr; i < d->nb_q && got < n; i++) {
		got += queue_rx(c, d, q, frames + got, n - got);
		busy |= c->rx_busy[q];
		if (++q == d->nb_q)
			q = 0;
	}
	if (++d->rr == d->nb_q)
		d->rr = 0;
	/* busy: frames came that the filter rejected, so the port is not idle */
	if (busy) {
		d->idle = 0;
	} else if (++d->idle >= IDLE_POLLS && !c->stop) {
		/* an idle live port: nap instead of spinning a core for the single-threaded run */
		rte_delay_us_sleep(IDLE_NAP_US);
	}
	return got;
}

/* ---- stats ---- */

static int
dpdk_stats(struct ns_capture *c, int q, struct ns_capture_stats *st)
{
	struct dpdk_cap *d = c->priv;
	struct rte_eth_stats es;
	unsigned first = q < 0 ? 0 : (unsigned)q, last = q < 0 ? d->nb_q : (unsigned)q + 1;
	int rc;

	for (unsigned i = first; i < last; i++) {
		const struct dpdk_queue *rq = &d->q[i];

		st->received += __atomic_load_n(&rq->received, __ATOMIC_RELAXED);
		st->bytes += __atomic_load_n(&rq->bytes, __ATOMIC_RELAXED);
		st->filtered += __atomic_load_n(&rq->filtered, __ATOMIC_RELAXED);
		st->frames_cut += __atomic_load_n(&rq->frames_cut, __ATOMIC_RELAXED);
	}
	rc = rte_eth_stats_get(d->port, &es);
	if (rc != 0)
		return rc;
	if (q >= 0) {
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS)
			st->ierrors = es.q_errors[q];
		return 0;
	}
	st->imissed = es.imissed;
	st->ierrors = es.ierrors;
	st->rx_nombuf = es.rx_nombuf;
	st->dropped = es.imissed + es.rx_nombuf;
	st->if_dropped = es.ierrors;
	return 0;
}

static int
dpdk_xstats_dump(struct ns_capture *c, FILE *out)
{
	struct dpdk_cap *d = c->priv;
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	int n, rc;

	n = rte_eth_xstats_get_names(d->port, NULL, 0);
	if (n <= 0)
		return n < 0 ? n : 0;
	names = calloc((size_t)n, sizeof(*names));
	vals = calloc((size_t)n, sizeof(*vals));
	rc = -ENOMEM;
	if (names == NULL || vals == NULL)
		goto out;
	rc = rte_eth_xstats_get_names(d->port, names, (unsigned)n);
	if (rc == n)
		rc = rte_eth_xstats_get(d->port, vals, (unsigned)n);
	if (rc != n) {
		rc = rc < 0 ? rc : -EAGAIN; /* the set changed under us */
		goto out;
	}
	for (int i = 0; i < n; i++)
		fprintf(out, "%s: %" PRIu64 "\n", names[vals[i].id].name, vals[i].value);
out:
	free(names);
	free(vals);
	return rc;
}

/* ---- open / close ---- */

/*
 * A failed rte_eth_dev_stop() leaves the port started (DPDK 22.11 clears dev_started only when
 * the driver's stop succeeds): its RX rings still hold mbufs of our pools, the NIC may still
 * write into them, and rte_eth_dev_close() refuses a started port. Closing, unplugging or
 * freeing the pools would hand that memory back while the device can still use it, so the
 * port, its pools and the EAL reference under them are kept for the process's lifetime.
 */
static void
dpdk_close(struct ns_capture *c)
{
	struct dpdk_cap *d = c->priv;
	bool running = false;
	int rc;

	if (d == NULL)
		return;
	if (d->q != NULL)
		for (unsigned q = 0; q < d->nb_q; q++) {
			queue_release(&d->q[q]);
			queue_drop_pending(&d->q[q]);
		}
	if (d->started && (rc = rte_eth_dev_stop(d->port)) != 0) {
		running = true;
		NS_LOG(WARNING, "capture",
		       "%s: stopping the port failed (%s): the port stays open and its %u mbuf "
		       "pool(s) and DPDK's memory are kept until exit, as the device may still "
		       "write into them",
		       d->name, rte_strerror(-rc), d->nb_q);
	}
	if (d->port_valid && !running)
		rte_eth_dev_close(d->port);
	if (d->hotplugged && d->dev != NULL && !running && rte_dev_remove(d->dev) != 0)
		NS_LOG(WARNING, "capture", "%s: removing the device failed", d->name);
	if (d->q != NULL) {
		for (unsigned q = 0; q < d->nb_q; q++) {
			if (!running)
				rte_mempool_free(d->q[q].pool);
			rte_free(d->q[q].bounce);
		}
		rte_free(d->q);
	}
	if (d->has_filter)
		pcap_freecode(&d->prog);
	for (unsigned q = 0; q < CAPTURE_QUEUES_MAX; q++)
		free(d->rx_file[q]);
	/* rte_eal_cleanup() would release DPDK's memory, the pools with it, under the port */
	if (d->eal_ref && !running)
		eal_release();
	free(d);
	c->priv = NULL;
}

/* net_pcap's rx_pcap= files: queue count, link type, snapshot length, paths. */
struct rx_pcap_info {
	unsigned files;
	char *path[CAPTURE_QUEUES_MAX]; /* the caller frees them */
	bool infinite;
	int linktype;
	uint32_t snaplen;
	char err[NS_CAPTURE_ERRBUF];
};

static int
rx_pcap_file(const char *key, const char *value, void *opaque)
{
	struct rx_pcap_info *ri = opaque;
	char pe[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc;

	(void)key;
	pc = pcap_open_offline(value, pe);
	if (pc == NULL) {
		capture_errf(ri->err, "cannot read rx_pcap file '%s': %s", value, pe);
		return -1;
	}
	if (ri->files > 0 && pcap_datalink(pc) != ri->linktype) {
		capture_errf(ri->err, "the rx_pcap files have different link types (%d, %d)",
			     ri->linktype, pcap_datalink(pc));
		pcap_close(pc);
		return -1;
	}
	ri->linktype = pcap_datalink(pc);
	ri->snaplen = NS_MAX(ri->snaplen, (uint32_t)pcap_snapshot(pc));
	if (ri->files < CAPTURE_QUEUES_MAX)
		ri->path[ri->files] = strdup(value);
	ri->files++;
	pcap_close(pc);
	return 0;
}

static int
rx_pcap_inspect(const struct rte_device *dev, struct rx_pcap_info *ri)
{
	const struct rte_devargs *da = rte_dev_devargs(dev);
	struct rte_kvargs *kv;
	int rc = 0;

	memset(ri, 0, sizeof(*ri));
	if (da == NULL || da->args == NULL || da->args[0] == '\0')
		return 0;
	kv = rte_kvargs_parse(da->args, NULL);
	if (kv == NULL)
		return 0;
	if (rte_kvargs_count(kv, "infinite_rx") != 0) {
		const char *v = NULL;

		for (unsigned i = 0; i < kv->count; i++)
			if (strcmp(kv->pairs[i].key, "infinite_rx") == 0)
				v = kv->pairs[i].value;
		ri->infinite = v != NULL && strcmp(v, "0") != 0;
	}
	if (rte_kvargs_process(kv, "rx_pcap", rx_pcap_file, ri) < 0)
		rc = -EINVAL;
	rte_kvargs_free(kv);
	return rc;
}

static struct rte_device *
port_device(uint16_t port)
{
	struct rte_eth_dev_info di;

	return rte_eth_dev_info_get(port, &di) == 0 ? di.device : NULL;
}

/* Find the port for @name, hot-plugging @devstr when no port has that name yet. */
static int
port_find(struct dpdk_cap *d, const char *iface, bool automatic, char *errbuf)
{
	char devstr[512], name[RTE_ETH_NAME_MAX_LEN];
	int rc;

	dev_names(iface, devstr, sizeof(devstr), name, sizeof(name));
	if (rte_eth_dev_get_port_by_name(name, &d->port) == 0)
		return 0;
	if (!is_vdev(iface) && !is_pci_addr(iface)) {
		capture_errf(errbuf,
			     "no DPDK port named '%s' (netscope -D --backend dpdk lists "
			     "them)",
			     iface);
		return automatic ? -EAGAIN : -ENODEV;
	}
	rc = rte_dev_probe(devstr);
	if (rc < 0) {
		capture_errf(errbuf, "DPDK cannot probe '%s': %s%s", devstr, rte_strerror(-rc),
			     is_pci_addr(iface) ? " (is it bound to vfio-pci or uio? "
						  "dpdk-devbind.py --status)"
						: "");
		return -ENODEV;
	}
	if (rte_eth_dev_get_port_by_name(name, &d->port) == 0)
		goto found;
	/* a PCI device whose driver names its ports differently: take its first port */
	RTE_ETH_FOREACH_DEV(d->port)
	{
		struct rte_eth_dev_info di;

		if (rte_eth_dev_info_get(d->port, &di) == 0 && di.device != NULL &&
		    strcmp(rte_dev_name(di.device), name) == 0)
			goto found;
	}
	/*
	 * The driver made no port (a PCI function of another class, net_vdev_netvsc without a
	 * NetVSC interface): unplug the device again, or it stays probed and bound to its driver
	 * for as long as EAL runs.
	 */
	capture_errf(errbuf, "'%s' was probed but has no ethdev port", devstr);
	rc = rte_eal_hotplug_remove(is_vdev(iface) ? "vdev" : "pci", name);
	if (rc != 0)
		NS_LOG(WARNING, "capture", "%s: removing the device failed: %s", name,
		       rte_strerror(-rc));
	return -ENODEV;
found:
	/* dpdk_close() unplugs it, even when port_open() fails before reading the device */
	d->hotplugged = true;
	d->dev = port_device(d->port);
	return 0;
}

static int
port_configure(struct dpdk_cap *d, const struct rte_eth_dev_info *di, unsigned nb_q,
	       const struct ns_capture_params *p, uint16_t *nb_tx, const char **rss, char *errbuf)
{
	uint8_t key[RSS_KEY_MAX];
	struct rte_eth_conf conf;
	uint64_t hf = RSS_HF & di->flow_type_rss_offloads;
	bool scatter = (di->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) != 0;
	uint32_t size = p->mbuf_size != 0 ? p->mbuf_size : RTE_MBUF_DEFAULT_BUF_SIZE;
	uint32_t room = size > RTE_PKTMBUF_HEADROOM ? size - RTE_PKTMBUF_HEADROOM : 0;
	/* net_pcap chains any record over several mbufs itself and has no offload to ask for */
	bool chains = scatter || strcmp(d->driver, "net_pcap") == 0;
	bool small = room < STD_FRAME_MAX;
	int rc = -EINVAL;

	if (size <= RTE_PKTMBUF_HEADROOM || size < di->min_rx_bufsize + RTE_PKTMBUF_HEADROOM) {
		capture_errf(errbuf,
			     "%s: dpdk.mbuf_size %u is below the port's smallest RX buffer: %u "
			     "bytes plus the %u-byte headroom",
			     d->name, size, di->min_rx_bufsize, RTE_PKTMBUF_HEADROOM);
		return -EINVAL;
	}
	if (small && !chains) {
		capture_errf(errbuf,
			     "%s: dpdk.mbuf_size %u holds frames of up to %u bytes, the port "
			     "(%s) cannot spread a frame over several mbufs (no RX scatter) and "
			     "receives frames of up to %u bytes; set dpdk.mbuf_size to at least %u",
			     d->name, size, room, d->driver, STD_FRAME_MAX,
			     STD_FRAME_MAX + RTE_PKTMBUF_HEADROOM);
		return -EINVAL;
	}

	memset(&conf, 0, sizeof(conf));
	*rss = "off";
	if (nb_q > 1 && !p->rss) {
		NS_LOG(NOTICE, "capture", "%s: dpdk.rss is off: %u queues without RSS", d->name,
		       nb_q);
	} else if (nb_q > 1 && hf == 0 && strcmp(d->driver, "net_af_packet") == 0) {
		NS_LOG(INFO, "capture", "%s: %u queues filled by the kernel's symmetric fanout hash",
		       d->name, nb_q);
	} else if (nb_q > 1 && hf == 0) {
		NS_LOG(WARNING, "capture",
		       "%s: the port has no RSS; its %u queues are filled by "
		       "the driver's own rule and the pipeline spreads flows in software",
		       d->name, nb_q);
	} else if (nb_q > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = hf;
		if (di->hash_key_size > 0 && di->hash_key_size <= RSS_KEY_MAX) {
			for (unsigned i = 0; i < di->hash_key_size; i++)
				key[i] = i % 2 == 0 ? RSS_KEY_HI : RSS_KEY_LO;
			conf.rx_adv_conf.rss_conf.rss_key = key;
			conf.rx_adv_conf.rss_conf.rss_key_len = di->hash_key_size;
			*rss = "on, symmetric key";
		} else {
			*rss = "on, the driver's key";
			NS_LOG(WARNING, "capture",
			       "%s: RSS key cannot be set; the two directions of "
			       "a flow may land on different queues",
			       d->name);
		}
	}
	/* No VLAN strip, no CRC keep: frames look as libpcap shows them. */
	for (int attempt = 0; attempt < 4; attempt++) {
		bool jumbo = scatter && (attempt & 1) == 0;

		*nb_tx = (attempt & 2) != 0 ? (uint16_t)nb_q : 0;
		if ((attempt & 1) != 0 && !scatter)
			continue;
		conf.rxmode.offloads = jumbo || (scatter && small) ? RTE_ETH_RX_OFFLOAD_SCATTER : 0;
		conf.rxmode.mtu = jumbo ? NS_MIN((uint32_t)di->max_mtu, JUMBO_MTU) : 0;
		rc = rte_eth_dev_configure(d->port, (uint16_t)nb_q, *nb_tx, &conf);
		if (rc == 0) {
			if (scatter && !jumbo)
				NS_LOG(NOTICE, "capture", "%s: no jumbo frames; MTU 1500", d->name);
			return 0;
		}
	}
	capture_errf(errbuf, "%s: configuring %u RX queue(s) failed: %s", d->name, nb_q,
		     rte_strerror(-rc));
	return -EIO;
}

static int
queues_setup(struct dpdk_cap *d, const struct ns_capture_params *p, int socket, uint16_t nb_rxd,
	     uint16_t nb_tx, uint16_t nb_txd, char *errbuf)
{
	uint32_t mbufs = p->mbufs != 0 ? p->mbufs : DEFAULT_MBUFS;
	uint32_t size = p->mbuf_size != 0 ? p->mbuf_size : RTE_MBUF_DEFAULT_BUF_SIZE;
	int rc;

	/* the ring full, one lcore's cache and a burst in the caller's hands (as config checks) */
	if (mbufs < (uint32_t)nb_rxd + p->mbuf_cache + MIN_BURST) {
		capture_errf(errbuf,
			     "%s: dpdk.mbufs %u is too small for %u RX descriptors, a "
			     "cache of %u and a burst of %u",
			     d->name, mbufs, nb_rxd, p->mbuf_cache, MIN_BURST);
		return -EINVAL;
	}
	for (unsigned q = 0; q < d->nb_q; q++) {
		struct dpdk_queue *rq = &d->q[q];
		char pool[RTE_MEMPOOL_NAMESIZE];

		snprintf(pool, sizeof(pool), "ns_rx_p%u_q%u", d->port, q);
		rq->pool = rte_pktmbuf_pool_create(pool, mbufs, p->mbuf_cache, 0,
						   (uint16_t)size, socket);
		rq->bounce = rte_malloc_socket("ns_rx_bounce", BOUNCE_BYTES, RTE_CACHE_LINE_SIZE,
					       socket);
		if (rq->pool == NULL || rq->bounce == NULL) {
			capture_errf(errbuf,
				     "%s: no memory for queue %u (%u mbufs of %u bytes on NUMA "
				     "node %d): %s; lower dpdk.mbufs or dpdk.mbuf_size or give EAL "
				     "more memory",
				     d->name, q, mbufs, size, socket, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		clock_init(&rq->clock);
		rc = rte_eth_rx_queue_setup(d->port, (uint16_t)q, nb_rxd, (unsigned)socket, NULL,
					    rq->pool);
		if (rc < 0) {
			/* net_pcap's infinite_rx keeps each record in one mbuf */
			char hint[128] = "";

			if (strcmp(d->driver, "net_pcap") == 0 && !d->eof_detect)
				snprintf(hint, sizeof(hint),
					 " (infinite_rx=1 needs every record in one mbuf: "
					 "dpdk.mbuf_size %u less the %u-byte headroom)",
					 size, RTE_PKTMBUF_HEADROOM);
			capture_errf(errbuf, "%s: RX queue %u setup failed: %s%s", d->name, q,
				     rte_strerror(-rc), hint);
			return -EIO;
		}
	}
	for (uint16_t q = 0; q < nb_tx; q++) {
		rc = rte_eth_tx_queue_setup(d->port, q, nb_txd, (unsigned)socket, NULL);
		if (rc < 0) {
			capture_errf(errbuf, "%s: TX queue %u setup failed: %s", d->name, q,
				     rte_strerror(-rc));
			return -EIO;
		}
	}
	return 0;
}

static void
link_describe(uint16_t port, char *buf, size_t len)
{
	struct rte_eth_link link;
	const char *duplex;

	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(port, &link) != 0) {
		snprintf(buf, len, "link unknown");
		return;
	}
	if (link.link_status == RTE_ETH_LINK_DOWN) {
		snprintf(buf, len, "link down");
		return;
	}
	duplex = link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full-duplex" : "half-duplex";
	if (link.link_speed == RTE_ETH_SPEED_NUM_NONE ||
	    link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN)
		snprintf(buf, len, "link up %s", duplex);
	else
		snprintf(buf, len, "link up %u Mbps %s", link.link_speed, duplex);
}

static int
filter_setup(struct dpdk_cap *d, const struct ns_capture_params *p, int linktype, uint32_t snaplen,
	     char *errbuf)
{
	pcap_t *dead;
	int rc = 0;

	if (!has_text(p->filter))
		return 0;
	dead = pcap_open_dead(linktype, (int)snaplen);
	if (dead == NULL) {
		capture_errf(errbuf, "out of memory");
		return -ENOMEM;
	}
	/* netmask 0, as for files (tcpdump -r): "ip broadcast" compiles */
	if (pcap_compile(dead, &d->prog, p->filter, 1, 0) != 0) {
		capture_errf(errbuf, "bad filter '%s': %s", p->filter, pcap_geterr(dead));
		rc = -EINVAL;
	} else {
		d->has_filter = true;
	}
	pcap_close(dead);
	return rc;
}

/*
 * Does every queue hold whole flows (both directions)? That decides whether one worker per
 * queue sees whole conversations (pipeline.mode per-queue) or a reader has to spread flows in
 * software.
 * - One queue: trivially.
 * - NIC RSS with our symmetric key (port_configure()): hash(a->b) == hash(b->a).
 * - net_af_packet with qpairs=N: DPDK 22.11's rte_eth_af_packet.c joins the N sockets to one
 *   fanout group with PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG (| ROLLOVER), and the
 *   kernel's fanout_demux_hash() (net/packet/af_packet.c) picks the socket with
 *   reciprocal_scale(__skb_get_hash_symmetric(skb), num): the flow dissector's symmetric keys
 *   (addresses and ports in canonical order), so both directions of a flow go to one socket.
 *   The ROLLOVER flag moves packets to another socket only when the chosen one's ring is
 *   full; then a flow can split, and those packets would have been lost without it.
 */
static void
spread_describe(struct ns_capture *c, const struct dpdk_cap *d, unsigned nb_q)
{
	if (nb_q == 1) {
		c->info.symmetric = true;
		c->info.spread = "one queue";
	} else if (c->info.hw_rss) {
		c->info.symmetric = true;
		c->info.spread = "NIC RSS with the symmetric key";
	} else if (strcmp(d->driver, "net_af_packet") == 0) {
		c->info.symmetric = true;
		c->info.spread = "kernel PACKET_FANOUT_HASH (a symmetric flow hash)";
	} else {
		c->info.symmetric = false;
		c->info.spread = "the driver's own rule (not by flow)";
	}
}

static int
port_open(struct ns_capture *c, struct dpdk_cap *d, const struct ns_capture_params *p, char *errbuf)
{
	struct rte_eth_dev_info di;
	struct rx_pcap_info ri;
	uint16_t nb_rxd = (uint16_t)(p->rx_desc != 0 ? p->rx_desc : DEFAULT_RX_DESC);
	uint16_t nb_txd = 512, nb_tx = 0;
	unsigned nb_q = p->queues != 0 ? p->queues : 1;
	const char *rss;
	int socket, rc;
	char link[96];

	rc = rte_eth_dev_info_get(d->port, &di);
	if (rc != 0) {
		capture_errf(errbuf, "%s: cannot read device info: %s", p->interface,
			     rte_strerror(-rc));
		return -EIO;
	}
	d->port_valid = true;
	d->dev = di.device;
	rte_eth_dev_get_name_by_port(d->port, d->name);
	snprintf(d->driver, sizeof(d->driver), "%s", di.driver_name);
	c->linktype = DLT_EN10MB;
	c->snaplen = p->snaplen != 0 ? p->snaplen : DEFAULT_SNAPLEN;
	d->cut = c->snaplen;
	if (strcmp(d->driver, "net_pcap") == 0) {
		rc = rx_pcap_inspect(di.device, &ri);
		/* the queues' files, freed by dpdk_close() whatever came of it */
		memcpy(d->rx_file, ri.path, sizeof(d->rx_file));
		if (rc < 0) {
			capture_errf(errbuf, "%s: %s", d->name, ri.err);
			return -EIO;
		}
		if (ri.files > 0) {
			/* A file's bytes are what its header says they are, cut as in the file. */
			c->linktype = ri.linktype;
			c->snaplen = ri.snaplen;
			d->cut = UINT32_MAX;
			d->eof_detect = !ri.infinite;
			if (nb_q < ri.files) {
				NS_LOG(NOTICE, "capture", "%s: %u rx_pcap files, so %u queues",
				       d->name, ri.files, ri.files);
				nb_q = ri.files;
			}
		}
		d->pmd_ts = true;
	}
	/*
	 * net_af_packet opens one socket per qpair, all in one PACKET_FANOUT group, and the kernel
	 * hands each socket its share of the flows whether we poll it or not: every qpair must be
	 * a queue we read, or its flows are lost.
	 */
	if (strcmp(d->driver, "net_af_packet") == 0 && nb_q != di.max_rx_queues) {
		NS_LOG(NOTICE, "capture", "%s: %u qpairs, so %u RX queues", d->name,
		       di.max_rx_queues, di.max_rx_queues);
		nb_q = di.max_rx_queues;
	}
	if (p->queues_up_to && nb_q > di.max_rx_queues)
		nb_q = NS_MAX(1u, (unsigned)di.max_rx_queues);
	if (nb_q > di.max_rx_queues || nb_q > CAPTURE_QUEUES_MAX) {
		capture_errf(errbuf, "%s: %u RX queues asked, the port has at most %u", d->name,
			     nb_q, NS_MIN((unsigned)di.max_rx_queues, CAPTURE_QUEUES_MAX));
		return -EINVAL;
	}
	rc = filter_setup(d, p, c->linktype, c->snaplen, errbuf);
	if (rc < 0)
		return rc;
	socket = rte_eth_dev_socket_id(d->port);
	c->info.numa_socket = socket;
	if (socket < 0)
		socket = (int)rte_socket_id(); /* a vdev: where we run */
	d->q = rte_zmalloc_socket("ns_rx_queues", nb_q * sizeof(*d->q), RTE_CACHE_LINE_SIZE,
				  socket);
	if (d->q == NULL) {
		capture_errf(errbuf, "%s: out of DPDK memory", d->name);
		return -ENOMEM;
	}
	d->nb_q = nb_q;
	rc = port_configure(d, &di, nb_q, p, &nb_tx, &rss, errbuf);
	if (rc < 0)
		return rc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(d->port, &nb_rxd, &nb_txd);
	if (rc < 0) {
		capture_errf(errbuf, "%s: descriptor counts rejected: %s", d->name,
			     rte_strerror(-rc));
		return -EINVAL;
	}
	rc = queues_setup(d, p, socket, nb_rxd, nb_tx, nb_txd, errbuf);
	if (rc < 0)
		return rc;
	if (p->promisc) {
		rc = rte_eth_promiscuous_enable(d->port);
		if (rc != 0 && rc != -ENOTSUP)
			NS_LOG(WARNING, "capture", "%s: promiscuous mode: %s", d->name,
			       rte_strerror(-rc));
	}
	rte_eth_stats_reset(d->port); /* counters describe this run; not every PMD can */
	rc = rte_eth_dev_start(d->port);
	if (rc < 0) {
		capture_errf(errbuf, "%s: starting the port failed: %s", d->name,
			     rte_strerror(-rc));
		return -EIO;
	}
	d->started = true;
	if (d->pmd_ts) {
		int bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);

		d->ts_off = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
		d->pmd_ts = bit >= 0 && d->ts_off >= 0;
		d->ts_flag = bit >= 0 ? UINT64_C(1) << bit : 0;
	}
	c->nb_queues = nb_q;
	c->info.name = d->name;
	c->info.driver = d->driver;
	c->info.hw_rss = strcmp(rss, "on, symmetric key") == 0;
	spread_describe(c, d, nb_q);
	c->info.live = !d->eof_detect;
	link_describe(d->port, link, sizeof(link));
	NS_LOG(NOTICE, "capture",
	       "dpdk port %u %s (%s, NUMA %d): %s, %u RX queue(s) x %u "
	       "descriptors, %u mbufs of %u bytes each, RSS %s",
	       d->port, d->name, d->driver, c->info.numa_socket, link, nb_q, nb_rxd,
	       p->mbufs != 0 ? p->mbufs : DEFAULT_MBUFS,
	       p->mbuf_size != 0 ? p->mbuf_size : RTE_MBUF_DEFAULT_BUF_SIZE, rss);
	return 0;
}

/*
 * RX queues a device string makes port_open() set up: one per rx_pcap= file of net_pcap,
 * qpairs= of net_af_packet (0 when it names none). EAL's memory (-m with --no-huge) is sized
 * before the port exists, so the string is read here.
 */
static unsigned
devstr_queues(const char *iface)
{
	const char *args = strchr(iface, ',');
	struct rte_kvargs *kv;
	unsigned n = 0;

	if (args == NULL || (kv = rte_kvargs_parse(args + 1, NULL)) == NULL)
		return 0;
	n = rte_kvargs_count(kv, "rx_pcap");
	for (unsigned i = 0; i < kv->count; i++)
		if (strcmp(kv->pairs[i].key, "qpairs") == 0 && kv->pairs[i].value != NULL)
			n = NS_MAX(n, (unsigned)strtoul(kv->pairs[i].value, NULL, 10));
	rte_kvargs_free(kv);
	return NS_MIN(n, (unsigned)CAPTURE_QUEUES_MAX);
}

/*
 * RX queues the port -i names will have, as far as the device strings tell: -i's own, or that
 * of a --vdev of the same name in the EAL arguments (-i net_pcap0 with --dpdk-args
 * "--vdev=net_pcap0,rx_pcap=a,rx_pcap=b" opens two queues). That port is the only one started;
 * the other --vdev ports are probed at EAL init but get no queues or pools.
 */
static unsigned
port_queues_hint(const struct ns_capture_params *p)
{
	char devstr[512], name[RTE_ETH_NAME_MAX_LEN], err[128];
	struct eal_argv a = { 0 };
	unsigned n = devstr_queues(p->interface);
	const char *vdev;

	/* arguments that do not split make eal_acquire() fail with the reason */
	if (eal_args_split(p->eal_args, &a, err, sizeof(err)) == 0) {
		dev_names(p->interface, devstr, sizeof(devstr), name, sizeof(name));
		vdev = eal_args_vdev(&a, name);
		if (vdev != NULL)
			n = NS_MAX(n, devstr_queues(vdev));
	}
	eal_argv_free(&a);
	return n;
}

static int
dpdk_open(struct ns_capture *c, const struct ns_capture_params *p, bool automatic, char *errbuf)
{
	struct dpdk_cap *d;
	unsigned nb_q = p->queues != 0 ? p->queues : 1;
	int rc;

	if (has_text(p->file)) {
		capture_errf(errbuf,
			     "the DPDK backend reads ports, not files; read '%s' with "
			     "-i net_pcap0,rx_pcap=%s",
			     p->file, p->file);
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		capture_errf(errbuf, "out of memory");
		return -ENOMEM;
	}
	c->priv = d;
	rc = eal_acquire(p->eal_args, NS_MAX(nb_q, port_queues_hint(p)),
			 p->mbufs != 0 ? p->mbufs : DEFAULT_MBUFS,
			 p->mbuf_size != 0 ? p->mbuf_size : RTE_MBUF_DEFAULT_BUF_SIZE, errbuf);
	if (rc < 0) {
		dpdk_close(c);
		return automatic ? -EAGAIN : rc;
	}
	d->eal_ref = true;
	rc = port_find(d, p->interface, automatic, errbuf);
	if (rc == 0)
		rc = port_open(c, d, p, errbuf);
	if (rc < 0)
		dpdk_close(c);
	return rc;
}

/* ---- listing ---- */

/*
 * -D starts EAL only when asked to: --backend dpdk, EAL arguments, or -i naming a DPDK device.
 * Starting it on every -D would scan and take over PCI devices bound to vfio behind the
 * user's back and print EAL's chatter.
 */
static bool
list_wanted(const struct ns_capture_params *p)
{
	if (p == NULL || p->backend == NS_BACKEND_PCAP)
		return false;
	if (p->backend == NS_BACKEND_DPDK || has_text(p->eal_args))
		return true;
	return has_text(p->interface) && (is_vdev(p->interface) || is_pci_addr(p->interface));
}

static void
list_port(FILE *out, int idx, uint16_t port)
{
	struct rte_eth_dev_info di;
	struct rte_ether_addr mac;
	char name[RTE_ETH_NAME_MAX_LEN] = "", macs[RTE_ETHER_ADDR_FMT_SIZE] = "?", link[96];
	char rss[96];

	if (rte_eth_dev_info_get(port, &di) != 0)
		return;
	rte_eth_dev_get_name_by_port(port, name);
	if (rte_eth_macaddr_get(port, &mac) == 0)
		rte_ether_format_addr(macs, sizeof(macs), &mac);
	link_describe(port, link, sizeof(link));
	if ((di.flow_type_rss_offloads & RSS_HF) == 0)
		snprintf(rss, sizeof(rss), "none");
	else if (di.hash_key_size == 0)
		snprintf(rss, sizeof(rss), "yes, fixed key");
	else
		snprintf(rss, sizeof(rss), "yes, %u-byte key, %u-entry table", di.hash_key_size,
			 di.reta_size);
	fprintf(out,
		"%d. %s [dpdk port %u] driver %s, mac %s, %s, max rx queues %u, rss %s, "
		"numa %d\n",
		idx, name, port, di.driver_name, macs, link, di.max_rx_queues, rss,
		rte_eth_dev_socket_id(port));
}

static int
dpdk_list(FILE *out, const struct ns_capture_params *p, int first, char *errbuf)
{
	struct rte_device *plugged = NULL;
	uint16_t port;
	int n = 0, rc;

	if (!list_wanted(p))
		return 0;
	rc = eal_acquire(p->eal_args, 0, 0, 0, errbuf);
	if (rc < 0) {
		if (p->backend == NS_BACKEND_DPDK)
			return rc;
		NS_LOG(NOTICE, "capture", "DPDK ports not listed: %s", errbuf);
		return 0;
	}
	/* -i names a device that is not there yet: plug it in so it is listed */
	if (has_text(p->interface) && (is_vdev(p->interface) || is_pci_addr(p->interface))) {
		char devstr[512], name[RTE_ETH_NAME_MAX_LEN];

		dev_names(p->interface, devstr, sizeof(devstr), name, sizeof(name));
		if (rte_eth_dev_get_port_by_name(name, &port) != 0) {
			rc = rte_dev_probe(devstr);
			if (rc < 0)
				NS_LOG(WARNING, "capture", "DPDK cannot probe '%s': %s", devstr,
				       rte_strerror(-rc));
			else if (rte_eth_dev_get_port_by_name(name, &port) == 0)
				plugged = port_device(port);
		}
	}
	RTE_ETH_FOREACH_DEV(port)
	list_port(out, first + ++n, port);
	if (n == 0)
		fprintf(out, "(no DPDK ports: bind a NIC to vfio-pci or give --dpdk-args "
			     "\"--vdev=net_pcap0,rx_pcap=FILE\")\n");
	if (plugged != NULL) {
		RTE_ETH_FOREACH_DEV_OF(port, plugged)
		rte_eth_dev_close(port);
		rte_dev_remove(plugged);
	}
	eal_release();
	return n;
}

/* ---- lcores ---- */

static unsigned
dpdk_lcores(const struct ns_capture *c, unsigned *ids, unsigned max)
{
	unsigned n = 0, lcore;

	(void)c;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (n < max)
			ids[n] = lcore;
		n++;
	}
	return n;
}

static int
dpdk_lcore_socket(const struct ns_capture *c, unsigned lcore)
{
	(void)c;
	if (lcore >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lcore))
		return -1;
	return (int)rte_lcore_to_socket_id(lcore);
}

static int
dpdk_lcore_launch(struct ns_capture *c, unsigned lcore, int (*fn)(void *), void *arg)
{
	(void)c;
	if (lcore >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lcore) ||
	    lcore == rte_get_main_lcore())
		return -EINVAL;
	return rte_eal_remote_launch(fn, arg, lcore);
}

static int
dpdk_lcore_wait(struct ns_capture *c, unsigned lcore)
{
	(void)c;
	if (lcore >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lcore))
		return -EINVAL;
	return rte_eal_wait_lcore(lcore);
}

const struct capture_ops capture_dpdk_ops = {
	.name = "dpdk",
	.kind = NS_BACKEND_DPDK,
	.claim = dpdk_claim,
	.open = dpdk_open,
	.rx_burst = dpdk_rx_burst,
	.rx_burst_all = dpdk_rx_burst_all,
	.stats = dpdk_stats,
	.xstats_dump = dpdk_xstats_dump,
	.close = dpdk_close,
	.list = dpdk_list,
	.lcores = dpdk_lcores,
	.lcore_socket = dpdk_lcore_socket,
	.lcore_launch = dpdk_lcore_launch,
	.lcore_wait = dpdk_lcore_wait,
};
