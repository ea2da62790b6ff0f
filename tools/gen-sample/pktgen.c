/* SPDX-License-Identifier: MIT */
/*
 * Frame builder behind pktgen.h. Frames are assembled in a stack buffer, checksummed
 * (RFC 1071; TCP/UDP pseudo-headers per RFC 793/768/8200) and appended to the pcap writer.
 */
#include <arpa/inet.h>
#include <string.h>

#include "pktgen.h"

#define FRAME_MAX 9216

/* Ethernet header plus tags; returns its length. */
static size_t
put_eth(uint8_t *f, const uint8_t *src, const uint8_t *dst, const struct pg_opts *o,
	uint16_t ethertype)
{
	size_t off = 12;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	if (o != NULL && o->vlan[0] != 0) {
		pg_put16(f + off, o->vlan[1] != 0 ? 0x88a8 : 0x8100);
		pg_put16(f + off + 2, o->vlan[0]);
		off += 4;
		if (o->vlan[1] != 0) {
			pg_put16(f + off, 0x8100);
			pg_put16(f + off + 2, o->vlan[1]);
			off += 4;
		}
	}
	pg_put16(f + off, ethertype);
	return off + 2;
}

/* IP header for @l4len bytes of transport; returns its length. */
static size_t
put_ip(struct pg_writer *pw, uint8_t *p, const struct pg_opts *o, const struct pg_host *a,
       const struct pg_host *b, uint8_t proto, uint32_t l4len)
{
	uint8_t ttl = o->ttl != 0 ? o->ttl : 64;

	if (o->v6) {
		p[0] = 0x60;
		p[1] = p[2] = p[3] = 0;
		pg_put16(p + 4, (uint16_t)l4len);
		p[6] = proto;
		p[7] = ttl;
		memcpy(p + 8, a->ip6, 16);
		memcpy(p + 24, b->ip6, 16);
		return 40;
	}
	p[0] = 0x45;
	p[1] = 0;
	pg_put16(p + 2, (uint16_t)(20 + l4len));
	pg_put16(p + 4, pw->ip_id++);
	pg_put16(p + 6, 0x4000); /* DF */
	p[8] = ttl;
	p[9] = proto;
	pg_put16(p + 10, 0);
	memcpy(p + 12, a->ip4, 4);
	memcpy(p + 16, b->ip4, 4);
	pg_put16(p + 10, pg_csum_fold(pg_csum_add(0, p, 20)));
	return 20;
}

static uint16_t
l4_csum(const struct pg_opts *o, const uint8_t *ip, uint8_t proto, const uint8_t *l4,
	uint32_t len)
{
	uint32_t sum = 0;

	if (o->v6)
		sum = pg_csum_add(sum, ip + 8, 32);
	else
		sum = pg_csum_add(sum, ip + 12, 8);
	sum += proto + len;
	return pg_csum_fold(pg_csum_add(sum, l4, len));
}

static void
emit(struct pg_writer *pw, const uint8_t *f, uint32_t len)
{
	/* Ethernet minimum frame (without FCS) is 60 bytes; pad as a NIC would. */
	uint8_t pad[60];

	if (len < 60) {
		memset(pad, 0, sizeof(pad));
		memcpy(pad, f, len);
		f = pad;
		len = 60;
	}
	ns_pcap_writer_write(pw->w, pw->now_ns, f, len, len);
}

static void
fill(uint8_t *dst, const void *payload, uint32_t len)
{
	if (payload != NULL) {
		memcpy(dst, payload, len);
		return;
	}
	for (uint32_t i = 0; i < len; i++)
		dst[i] = (uint8_t)('a' + i % 26);
}

void
pg_tcp(struct pg_writer *pw, const struct pg_opts *o, struct pg_ep a, struct pg_ep b,
       uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, const void *payload, uint32_t len,
       bool syn_options)
{
	uint8_t f[FRAME_MAX];
	uint32_t hlen = syn_options ? 40 : 20;
	size_t off = put_eth(f, a.host->mac, b.host->mac, o, o->v6 ? 0x86dd : 0x0800);
	uint8_t *ip = f + off;
	uint8_t *t;

	off += put_ip(pw, ip, o, a.host, b.host, 6, hlen + len);
	t = f + off;
	pg_put16(t, a.port);
	pg_put16(t + 2, b.port);
	pg_put32(t + 4, seq);
	pg_put32(t + 8, ack);
	t[12] = (uint8_t)((hlen / 4) << 4);
	t[13] = flags;
	pg_put16(t + 14, win);
	pg_put16(t + 16, 0);
	pg_put16(t + 18, 0);
	if (syn_options) {
		/* MSS 1460, SACK permitted, timestamps, NOP, window scale 7 */
		static const uint8_t opts[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
						  0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };
		memcpy(t + 20, opts, sizeof(opts));
	}
	fill(t + hlen, payload, len);
	pg_put16(t + 16, l4_csum(o, ip, 6, t, hlen + len));
	emit(pw, f, (uint32_t)(off + hlen + len));
}

void
pg_udp(struct pg_writer *pw, const struct pg_opts *o, struct pg_ep a, struct pg_ep b,
       const void *payload, uint32_t len)
{
	uint8_t f[FRAME_MAX];
	size_t off = put_eth(f, a.host->mac, b.host->mac, o, o->v6 ? 0x86dd : 0x0800);
	uint8_t *ip = f + off;
	uint8_t *u;

	off += put_ip(pw, ip, o, a.host, b.host, 17, 8 + len);
	u = f + off;
	pg_put16(u, a.port);
	pg_put16(u + 2, b.port);
	pg_put16(u + 4, (uint16_t)(8 + len));
	pg_put16(u + 6, 0);
	fill(u + 8, payload, len);
	pg_put16(u + 6, l4_csum(o, ip, 17, u, 8 + len));
	emit(pw, f, (uint32_t)(off + 8 + len));
}

void
pg_echo(struct pg_writer *pw, const struct pg_opts *o, const struct pg_host *a,
	const struct pg_host *b, bool reply, uint16_t id, uint16_t seq)
{
	uint8_t f[FRAME_MAX];
	uint8_t proto = o->v6 ? 58 : 1;
	size_t off = put_eth(f, a->mac, b->mac, o, o->v6 ? 0x86dd : 0x0800);
	uint8_t *ip = f + off;
	uint8_t *m;
	uint32_t len = 8 + 56;

	off += put_ip(pw, ip, o, a, b, proto, len);
	m = f + off;
	m[0] = o->v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
	m[1] = 0;
	pg_put16(m + 2, 0);
	pg_put16(m + 4, id);
	pg_put16(m + 6, seq);
	fill(m + 8, NULL, len - 8);
	if (o->v6)
		pg_put16(m + 2, l4_csum(o, ip, proto, m, len));
	else
		pg_put16(m + 2, pg_csum_fold(pg_csum_add(0, m, len)));
	emit(pw, f, (uint32_t)(off + len));
}

void
pg_arp(struct pg_writer *pw, const struct pg_host *a, const struct pg_host *b, bool reply)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t f[64];
	size_t off = put_eth(f, a->mac, reply ? b->mac : bcast, NULL, 0x0806);
	uint8_t *p = f + off;

	pg_put16(p, 1);
	pg_put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	pg_put16(p + 6, reply ? 2 : 1);
	memcpy(p + 8, a->mac, 6);
	memcpy(p + 14, a->ip4, 4);
	memcpy(p + 18, reply ? b->mac : (const uint8_t[6]){ 0 }, 6);
	memcpy(p + 24, b->ip4, 4);
	emit(pw, f, (uint32_t)(off + 28));
}

void
pg_udp_fragmented(struct pg_writer *pw, struct pg_ep a, struct pg_ep b, uint32_t len,
		  uint32_t mtu)
{
	uint8_t dgram[FRAME_MAX];
	uint32_t total = 8 + len, step = (mtu - 20) & ~7u;
	uint16_t id = pw->ip_id++;
	struct pg_opts o = { 0 };
	uint8_t pseudo_ip[20];

	pg_put16(dgram, a.port);
	pg_put16(dgram + 2, b.port);
	pg_put16(dgram + 4, (uint16_t)total);
	pg_put16(dgram + 6, 0);
	fill(dgram + 8, NULL, len);
	memcpy(pseudo_ip + 12, a.host->ip4, 4);
	memcpy(pseudo_ip + 16, b.host->ip4, 4);
	pg_put16(dgram + 6, l4_csum(&o, pseudo_ip, 17, dgram, total));
	for (uint32_t foff = 0; foff < total; foff += step) {
		uint8_t f[FRAME_MAX];
		uint32_t chunk = total - foff < step ? total - foff : step;
		size_t off = put_eth(f, a.host->mac, b.host->mac, NULL, 0x0800);
		uint8_t *ip = f + off;

		ip[0] = 0x45;
		ip[1] = 0;
		pg_put16(ip + 2, (uint16_t)(20 + chunk));
		pg_put16(ip + 4, id);
		pg_put16(ip + 6, (uint16_t)((foff + chunk < total ? 0x2000 : 0) | foff / 8));
		ip[8] = 64;
		ip[9] = 17;
		pg_put16(ip + 10, 0);
		memcpy(ip + 12, a.host->ip4, 4);
		memcpy(ip + 16, b.host->ip4, 4);
		pg_put16(ip + 10, pg_csum_fold(pg_csum_add(0, ip, 20)));
		memcpy(ip + 20, dgram + foff, chunk);
		emit(pw, f, (uint32_t)(off + 20 + chunk));
		pg_advance(pw, 15);
	}
}

void
pg_advance(struct pg_writer *pw, uint64_t us)
{
	pw->now_ns += us * 1000;
}
