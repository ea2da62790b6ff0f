/* SPDX-License-Identifier: MIT */
/*
 * impair: a userspace L2 forwarder between two interfaces that loses, delays and reorders
 * frames, and pushes/pops 802.1Q or QinQ tags. Our test kernels have no sch_netem and no VLAN
 * devices, so this is how live tests put loss, reordering and tags on a real path: run it in
 * a middle network namespace between two veth ends (see docs/live-testing.md). Each interface
 * gets one AF_PACKET socket; frames read on A are sent on B and the other way round. Only
 * TCP and UDP over IPv4/IPv6 are dropped or reordered (unless --all), so ARP and neighbour
 * discovery stay reliable and a test does not stall on a lost neighbour solicitation. The
 * random decisions come from a seeded PRNG: the same frame sequence gets the same verdicts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * A slot holds one frame plus headroom for one tag the kernel stripped on receive (it reports
 * it in PACKET_AUXDATA and we put it back) and the two tags --qinq pushes. 2048 bytes cover a
 * 1500-byte-MTU frame with two tags and a tagged link raised to MTU 1600; a bigger frame means
 * offloads were left on (GSO/GRO super-packets) and is dropped as "oversize".
 */
#define HEADROOM 12
#define SLOT_BYTES 2048
/* Frames in flight per direction. At 10 ms delay this is 200k frames/s before queue_full. */
#define QUEUE_SLOTS 2048
/* Frames read from one socket per wake-up, so one busy direction cannot starve the other. */
#define RX_BURST 64

#define TPID_CTAG 0x8100
#define TPID_STAG 0x88a8
#define TPID_QINQ_OLD 0x9100
#define VID_MASK 0x0fff

enum dir {
	A2B,
	B2A,
};

struct slot {
	uint64_t due_ns; /* monotonic time at which the frame may leave */
	uint16_t off; /* frame start inside buf */
	uint16_t len;
	uint8_t buf[SLOT_BYTES];
};

struct counters {
	uint64_t received;
	uint64_t forwarded;
	uint64_t dropped; /* --drop verdicts */
	uint64_t reordered; /* held frames sent after the next frame */
	uint64_t held_timeout; /* held frames sent alone because no next frame came */
	uint64_t tagged; /* tags pushed */
	uint64_t untagged; /* tags popped */
	uint64_t tag_mismatch; /* B->A frames without the configured tags, forwarded as they are */
	uint64_t queue_full;
	uint64_t oversize;
	uint64_t send_errors;
	uint64_t unsent; /* still queued or held at exit */
};

struct path {
	const char *from_name;
	const char *to_name;
	int from_fd;
	int to_fd;
	struct slot *q; /* FIFO ring of QUEUE_SLOTS; due times are non-decreasing */
	unsigned head;
	unsigned count;
	struct slot held;
	bool holding;
	uint64_t held_since_ns;
	struct counters c;
};

struct opts {
	double drop_pct;
	double reorder_pct;
	uint64_t delay_ns;
	uint64_t hold_ns;
	uint64_t seed;
	unsigned duration_s;
	int ntags; /* tags pushed A->B and popped B->A: 0, 1 (--vlan) or 2 (--qinq) */
	uint16_t tpid[2]; /* outermost first */
	uint16_t vid[2];
	bool all;
	bool one_way; /* impair A->B only; B->A frames pass untouched (tags aside) */
};

static volatile sig_atomic_t stop_signal;
static uint64_t prng_state;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* splitmix64: tiny, well mixed, and any seed (including 0) gives a usable sequence. */
static uint64_t
prng_next(void)
{
	uint64_t z = (prng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* True with probability @pct percent. Always draws, so verdicts depend only on frame order. */
static bool
chance(double pct)
{
	double u = (double)(prng_next() >> 11) * (1.0 / 9007199254740992.0);

	return u * 100.0 < pct;
}

static uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Insert a tag right after the two MAC addresses; the headroom in front makes room for it. */
static void
push_tag(struct slot *s, uint16_t tpid, uint16_t tci)
{
	uint8_t *f = s->buf + s->off;

	memmove(f - 4, f, 12);
	s->off -= 4;
	s->len += 4;
	put_be16(s->buf + s->off + 12, tpid);
	put_be16(s->buf + s->off + 14, tci);
}

static void
pop_tag(struct slot *s)
{
	uint8_t *f = s->buf + s->off;

	memmove(f + 4, f, 12);
	s->off += 4;
	s->len -= 4;
}

static bool
is_tpid(uint16_t t)
{
	return t == TPID_CTAG || t == TPID_STAG || t == TPID_QINQ_OLD;
}

/* Whether the frame carries TCP or UDP over IPv4/IPv6 (after any tags). */
static bool
is_tcp_udp(const struct slot *s)
{
	const uint8_t *f = s->buf + s->off;
	unsigned pos = 12;
	uint16_t et;
	uint8_t proto;

	if (s->len < 14)
		return false;
	et = get_be16(f + pos);
	while (is_tpid(et) && pos + 6u <= s->len) {
		pos += 4;
		et = get_be16(f + pos);
	}
	pos += 2;
	if (et == ETH_P_IP && pos + 20u <= s->len)
		proto = f[pos + 9];
	else if (et == ETH_P_IPV6 && pos + 40u <= s->len)
		proto = f[pos + 6];
	else
		return false;
	return proto == 6 || proto == 17;
}

/* A->B: push the configured tags. B->A: pop them when they are there, exactly as configured. */
static void
retag(const struct opts *o, enum dir d, struct slot *s, struct counters *c)
{
	const uint8_t *f;
	int i;

	if (o->ntags == 0)
		return;
	if (d == A2B) {
		for (i = o->ntags - 1; i >= 0; i--)
			push_tag(s, o->tpid[i], o->vid[i]);
		c->tagged++;
		return;
	}
	f = s->buf + s->off;
	if (s->len < 14u + 4u * (unsigned)o->ntags)
		goto mismatch;
	for (i = 0; i < o->ntags; i++) {
		if (get_be16(f + 12 + 4 * i) != o->tpid[i] ||
		    (get_be16(f + 14 + 4 * i) & VID_MASK) != o->vid[i])
			goto mismatch;
	}
	for (i = 0; i < o->ntags; i++)
		pop_tag(s);
	c->untagged++;
	return;
mismatch:
	c->tag_mismatch++;
}

static struct slot *
queue_tail(struct path *p)
{
	if (p->count == QUEUE_SLOTS) {
		p->c.queue_full++;
		return NULL;
	}
	return &p->q[(p->head + p->count) % QUEUE_SLOTS];
}

static void
enqueue(struct path *p, const struct slot *s)
{
	struct slot *t = queue_tail(p);

	if (t == NULL)
		return;
	t->due_ns = s->due_ns;
	t->off = s->off;
	t->len = s->len;
	memcpy(t->buf + t->off, s->buf + s->off, s->len);
	p->count++;
}

/* The held frame leaves right behind the frame that overtook it (same due time). */
static void
release_held(struct path *p, uint64_t due_ns, bool overtaken)
{
	if (!p->holding)
		return;
	if (due_ns > p->held.due_ns)
		p->held.due_ns = due_ns;
	enqueue(p, &p->held);
	p->holding = false;
	if (overtaken)
		p->c.reordered++;
	else
		p->c.held_timeout++;
}

/* One received frame: tags, then the drop verdict, then delay and (maybe) holding it back. */
static void
admit(const struct opts *o, struct path *p, enum dir d, struct slot *s, uint64_t now)
{
	bool active = !(o->one_way && d == B2A);
	bool impairable;
	bool drop;
	bool hold;

	p->c.received++;
	retag(o, d, s, &p->c);
	impairable = active && (o->all || is_tcp_udp(s));
	/* Both draws happen for every impairable frame so one verdict never shifts the other. */
	drop = impairable && chance(o->drop_pct);
	hold = impairable && chance(o->reorder_pct);
	if (drop) {
		p->c.dropped++;
		return;
	}
	s->due_ns = now + (active ? o->delay_ns : 0);
	if (hold && !p->holding) {
		p->held.due_ns = s->due_ns;
		p->held.off = s->off;
		p->held.len = s->len;
		memcpy(p->held.buf + s->off, s->buf + s->off, s->len);
		p->holding = true;
		p->held_since_ns = now;
		return;
	}
	enqueue(p, s);
	release_held(p, s->due_ns, true);
}

/* Put the tag the kernel moved into metadata back in front of the payload. */
static void
restore_vlan(struct msghdr *msg, struct slot *s)
{
	struct cmsghdr *cm;
	struct tpacket_auxdata aux;
	uint16_t tpid;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_PACKET || cm->cmsg_type != PACKET_AUXDATA ||
		    cm->cmsg_len < CMSG_LEN(sizeof(aux)))
			continue;
		memcpy(&aux, CMSG_DATA(cm), sizeof(aux));
		if ((aux.tp_status & TP_STATUS_VLAN_VALID) == 0 || s->len < 12)
			return;
		tpid = (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux.tp_vlan_tpid : TPID_CTAG;
		push_tag(s, tpid, aux.tp_vlan_tci);
		return;
	}
}

/* Read up to RX_BURST frames from @p's input. Returns 0 or -errno on a socket error. */
static int
rx_burst(const struct opts *o, struct path *p, enum dir d, struct slot *scratch)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctrl;
	struct sockaddr_ll from;
	struct iovec iov;
	struct msghdr msg;
	ssize_t n;
	int i;

	for (i = 0; i < RX_BURST; i++) {
		iov.iov_base = scratch->buf + HEADROOM;
		iov.iov_len = SLOT_BYTES - HEADROOM;
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctrl.buf;
		msg.msg_controllen = sizeof(ctrl.buf);
		n = recvmsg(p->from_fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return 0;
			return -errno;
		}
		/* Frames we (or the local stack) sent on this interface: forwarding them loops. */
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if ((size_t)n > iov.iov_len) {
			p->c.received++;
			if (p->c.oversize++ == 0)
				fprintf(stderr,
					"impair: %s: %zd-byte frame dropped (turn GSO/TSO/GRO off: "
					"ethtool -K %s tso off gso off gro off)\n",
					p->from_name, n, p->from_name);
			continue;
		}
		scratch->off = HEADROOM;
		scratch->len = (uint16_t)n;
		restore_vlan(&msg, scratch);
		admit(o, p, d, scratch, mono_ns());
	}
	return 0;
}

/* Send every queued frame that is due, and let go of a held frame nobody overtook in time. */
static void
tx_due(const struct opts *o, struct path *p, uint64_t now)
{
	struct slot *s;

	if (p->holding && now - p->held_since_ns >= o->hold_ns)
		release_held(p, 0, false);
	while (p->count > 0) {
		s = &p->q[p->head];
		if (s->due_ns > now)
			break;
		if (send(p->to_fd, s->buf + s->off, s->len, 0) == (ssize_t)s->len) {
			p->c.forwarded++;
		} else if (p->c.send_errors++ == 0) {
			fprintf(stderr, "impair: send on %s: %s\n", p->to_name, strerror(errno));
		}
		p->head = (p->head + 1) % QUEUE_SLOTS;
		p->count--;
	}
}

/* The earliest moment something has to happen on @p, or UINT64_MAX. */
static uint64_t
next_event(const struct opts *o, const struct path *p)
{
	uint64_t t = UINT64_MAX;

	if (p->count > 0)
		t = p->q[p->head].due_ns;
	if (p->holding && p->held_since_ns + o->hold_ns < t)
		t = p->held_since_ns + o->hold_ns;
	return t;
}

static int
open_port(const char *ifname)
{
	struct sockaddr_ll sll;
	struct packet_mreq mr;
	int one = 1;
	int rcvbuf = 8 << 20;
	unsigned idx;
	int fd;

	idx = if_nametoindex(ifname);
	if (idx == 0) {
		fprintf(stderr, "impair: interface '%s': %s\n", ifname, strerror(errno));
		return -1;
	}
	/* Protocol 0 receives nothing until bind(), so no frame of another interface slips in. */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "impair: AF_PACKET socket: %s (needs CAP_NET_RAW)\n",
			strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0)
		goto fail;
	/* Older kernels lack it; the PACKET_OUTGOING check in rx_burst covers them. */
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	/* A full receive buffer is path loss nobody asked for; make it unlikely. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)idx;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	/* Frames between the two outer hosts are not addressed to this interface. */
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = (int)idx;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		goto fail;
	return fd;
fail:
	fprintf(stderr, "impair: %s: %s\n", ifname, strerror(errno));
	close(fd);
	return -1;
}

static void
print_counters(const struct path *p, const char *name)
{
	const struct counters *c = &p->c;

	fprintf(stderr,
		"impair: %s %s -> %s: received %" PRIu64 " forwarded %" PRIu64 " dropped %" PRIu64
		" reordered %" PRIu64 " held_timeout %" PRIu64 " tagged %" PRIu64
		" untagged %" PRIu64 " tag_mismatch %" PRIu64 " queue_full %" PRIu64
		" oversize %" PRIu64 " send_errors %" PRIu64 " unsent %" PRIu64 "\n",
		name, p->from_name, p->to_name, c->received, c->forwarded, c->dropped, c->reordered,
		c->held_timeout, c->tagged, c->untagged, c->tag_mismatch, c->queue_full,
		c->oversize, c->send_errors, c->unsent);
}

static void
print_socket_drops(int fd, const char *ifname)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		fprintf(stderr, "impair: socket %s: drops %u\n", ifname, st.tp_drops);
}

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: impair [options] IFACE_A IFACE_B\n"
		"Forward frames between two interfaces (AF_PACKET), with loss, delay, reordering\n"
		"and VLAN tags. Run it where both interfaces are (ip netns exec NS impair ...).\n"
		"\n"
		"  --drop PCT           drop PCT percent of the frames (0-100)\n"
		"  --reorder PCT        hold PCT percent of the frames back and send each one "
		"right\n"
		"                       after the next frame of the same direction\n"
		"  --delay-ms N         delay every frame by N ms\n"
		"  --hold-ms N          send a held frame anyway after N ms without a next frame "
		"(10)\n"
		"  --seed N             PRNG seed for drop/reorder verdicts (1)\n"
		"  --all                impair every frame, not only TCP and UDP over IP\n"
		"  --one-way            impair (drop, reorder, delay) only frames going A->B\n"
		"  --vlan ID            push an 802.1Q tag ID on frames A->B, pop it on B->A\n"
		"  --qinq OUTER,INNER   push 802.1ad OUTER + 802.1Q INNER on A->B, pop them on "
		"B->A\n"
		"  --duration S         stop after S seconds (default: at SIGINT/SIGTERM)\n"
		"  -h, --help           this help\n"
		"\n"
		"Counters go to stderr at exit; \"impair: ready\" on stderr means both sockets "
		"are\n"
		"bound. Exit status: 0 ok, 1 socket error, 2 usage.\n");
}

static int
parse_num(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max))
		return -EINVAL;
	*out = v;
	return 0;
}

static int
parse_vid(const char *s, char **end, uint16_t *vid)
{
	unsigned long v;

	errno = 0;
	v = strtoul(s, end, 10);
	if (errno != 0 || *end == s || v > 4095)
		return -EINVAL;
	*vid = (uint16_t)v;
	return 0;
}

enum {
	OPT_DROP = 256,
	OPT_REORDER,
	OPT_DELAY,
	OPT_HOLD,
	OPT_SEED,
	OPT_ALL,
	OPT_ONE_WAY,
	OPT_VLAN,
	OPT_QINQ,
	OPT_DURATION,
};

static int
parse_args(int argc, char **argv, struct opts *o, const char **ifa, const char **ifb)
{
	static const struct option longopts[] = {
		{ "drop", required_argument, NULL, OPT_DROP },
		{ "reorder", required_argument, NULL, OPT_REORDER },
		{ "delay-ms", required_argument, NULL, OPT_DELAY },
		{ "hold-ms", required_argument, NULL, OPT_HOLD },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "one-way", no_argument, NULL, OPT_ONE_WAY },
		{ "vlan", required_argument, NULL, OPT_VLAN },
		{ "qinq", required_argument, NULL, OPT_QINQ },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	double v;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DROP:
			if (parse_num(optarg, 0, 100, &o->drop_pct) < 0)
				goto bad;
			break;
		case OPT_REORDER:
			if (parse_num(optarg, 0, 100, &o->reorder_pct) < 0)
				goto bad;
			break;
		case OPT_DELAY:
			if (parse_num(optarg, 0, 10000, &v) < 0)
				goto bad;
			o->delay_ns = (uint64_t)(v * 1e6);
			break;
		case OPT_HOLD:
			if (parse_num(optarg, 0, 10000, &v) < 0)
				goto bad;
			o->hold_ns = (uint64_t)(v * 1e6);
			break;
		case OPT_SEED:
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-')
				goto bad;
			break;
		case OPT_ALL:
			o->all = true;
			break;
		case OPT_ONE_WAY:
			o->one_way = true;
			break;
		case OPT_VLAN:
			if (parse_vid(optarg, &end, &o->vid[0]) < 0 || *end != '\0')
				goto bad;
			o->ntags = 1;
			o->tpid[0] = TPID_CTAG;
			break;
		case OPT_QINQ:
			if (parse_vid(optarg, &end, &o->vid[0]) < 0 || *end != ',' ||
			    parse_vid(end + 1, &end, &o->vid[1]) < 0 || *end != '\0')
				goto bad;
			o->ntags = 2;
			o->tpid[0] = TPID_STAG;
			o->tpid[1] = TPID_CTAG;
			break;
		case OPT_DURATION:
			if (parse_num(optarg, 0, 86400, &v) < 0 || v != (unsigned)v)
				goto bad;
			o->duration_s = (unsigned)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "impair: need exactly two interfaces\n");
		usage(stderr);
		return -EINVAL;
	}
	*ifa = argv[optind];
	*ifb = argv[optind + 1];
	if (strcmp(*ifa, *ifb) == 0) {
		fprintf(stderr, "impair: the two interfaces must differ\n");
		return -EINVAL;
	}
	return 0;
bad:
	/* The OPT_ values follow longopts[] order, so c names its option. */
	fprintf(stderr, "impair: bad value '%s' for --%s\n", optarg, longopts[c - OPT_DROP].name);
	return -EINVAL;
}

static void
to_timespec(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000ULL);
	ts->tv_nsec = (long)(ns % 1000000000ULL);
}

/* The forwarding loop. Returns 0 when stopped (signal or --duration), -errno on socket error. */
static int
run(const struct opts *o, struct path *paths, struct slot *scratch)
{
	uint64_t deadline = o->duration_s ? mono_ns() + o->duration_s * 1000000000ULL : 0;
	struct pollfd pfd[2];
	struct timespec ts;
	sigset_t waitmask;
	uint64_t now;
	uint64_t t;
	int d;
	int rc;

	sigemptyset(&waitmask);
	pfd[A2B].fd = paths[A2B].from_fd;
	pfd[B2A].fd = paths[B2A].from_fd;
	for (;;) {
		now = mono_ns();
		if (stop_signal != 0 || (deadline != 0 && now >= deadline))
			return 0;
		t = deadline ? deadline : UINT64_MAX;
		for (d = A2B; d <= B2A; d++) {
			tx_due(o, &paths[d], now);
			if (next_event(o, &paths[d]) < t)
				t = next_event(o, &paths[d]);
		}
		pfd[A2B].events = POLLIN;
		pfd[B2A].events = POLLIN;
		now = mono_ns();
		to_timespec(t > now ? t - now : 0, &ts);
		/* Signals are blocked outside ppoll, so one arriving before it cannot be missed. */
		rc = ppoll(pfd, 2, t == UINT64_MAX ? NULL : &ts, &waitmask);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (d = A2B; d <= B2A; d++) {
			if (pfd[d].revents == 0)
				continue;
			rc = rx_burst(o, &paths[d], (enum dir)d, scratch);
			if (rc < 0) {
				fprintf(stderr, "impair: receive on %s: %s\n", paths[d].from_name,
					strerror(-rc));
				return rc;
			}
		}
	}
}

int
main(int argc, char **argv)
{
	struct opts o = { .hold_ns = 10000000ULL, .seed = 1 };
	struct path paths[2];
	struct slot *scratch = NULL;
	struct sigaction sa;
	sigset_t block;
	const char *ifa = NULL;
	const char *ifb = NULL;
	int fda = -1;
	int fdb = -1;
	int rc = 1;
	int d;

	if (parse_args(argc, argv, &o, &ifa, &ifb) < 0)
		return 2;
	prng_state = o.seed;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	memset(paths, 0, sizeof(paths));
	fda = open_port(ifa);
	if (fda < 0)
		goto out;
	fdb = open_port(ifb);
	if (fdb < 0)
		goto out;
	paths[A2B] =
		(struct path){ .from_name = ifa, .to_name = ifb, .from_fd = fda, .to_fd = fdb };
	paths[B2A] =
		(struct path){ .from_name = ifb, .to_name = ifa, .from_fd = fdb, .to_fd = fda };
	scratch = malloc(sizeof(*scratch));
	paths[A2B].q = calloc(QUEUE_SLOTS, sizeof(struct slot));
	paths[B2A].q = calloc(QUEUE_SLOTS, sizeof(struct slot));
	if (scratch == NULL || paths[A2B].q == NULL || paths[B2A].q == NULL) {
		fprintf(stderr, "impair: out of memory\n");
		goto out;
	}
	fprintf(stderr,
		"impair: ready: %s %s %s, drop %.2f%%, reorder %.2f%%, delay %.3f ms, seed %" PRIu64
		", tags %d\n",
		ifa, o.one_way ? "->" : "<->", ifb, o.drop_pct, o.reorder_pct,
		(double)o.delay_ns / 1e6, o.seed, o.ntags);
	rc = run(&o, paths, scratch) < 0 ? 1 : 0;
	if (stop_signal != 0)
		fprintf(stderr, "impair: stopped by signal %d\n", (int)stop_signal);
	for (d = A2B; d <= B2A; d++) {
		paths[d].c.unsent = paths[d].count + (paths[d].holding ? 1u : 0u);
		print_counters(&paths[d], d == A2B ? "a2b" : "b2a");
	}
	print_socket_drops(fda, ifa);
	print_socket_drops(fdb, ifb);
	fprintf(stderr, "impair: forwarded %" PRIu64 " dropped %" PRIu64 " reordered %" PRIu64 "\n",
		paths[A2B].c.forwarded + paths[B2A].c.forwarded,
		paths[A2B].c.dropped + paths[B2A].c.dropped,
		paths[A2B].c.reordered + paths[B2A].c.reordered);
out:
	free(paths[A2B].q);
	free(paths[B2A].q);
	free(scratch);
	if (fda >= 0)
		close(fda);
	if (fdb >= 0)
		close(fdb);
	return rc;
}
