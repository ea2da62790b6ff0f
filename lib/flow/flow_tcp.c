/* SPDX-License-Identifier: MIT */
/*
 * TCP analysis of one segment: tshark 4.0.17's sequence-number rules in their evaluation order
 * (docs tcp-analysis.md §2-§4 and §7, numbered the same way below), our flow state machine,
 * Zeek's endpoint states for conn_state, and one running RTT sample per flow. Only the rules
 * that feed a counter or later state are kept: window_update and window_full change nothing
 * else, so they are not evaluated (flow-tracking.md lists every difference).
 */
#include <string.h>

#include "flow_priv.h"

static inline bool
inc16(uint16_t *c)
{
	if (*c != UINT16_MAX)
		(*c)++;
	return *c == UINT16_MAX;
}

static inline bool
inc8(uint8_t *c)
{
	if (*c != UINT8_MAX)
		(*c)++;
	return *c == UINT8_MAX;
}

void
flow_tcp_init(struct flow_rec *r)
{
	memset(&r->tcp, 0, sizeof(r->tcp));
}

/* Our flow-level state machine (ns_flow_tcp_state); @d is the canonical direction. */
static void
tcp_state_update(struct flow_hot *h, unsigned d, uint8_t fl)
{
	bool syn = fl & NS_TCP_SYN, ack = fl & NS_TCP_ACK, fin = fl & NS_TCP_FIN;
	bool from_client = d == ((h->flags & FF_CLIENT_HI) ? 1u : 0u);
	uint8_t findir = (h->flags & FF_FINDIR) ? 1 : 0;
	uint8_t s = h->state;

	if (fl & NS_TCP_RST) {
		h->state = NS_FLOW_TCP_RESET;
		return;
	}
	switch (s) {
	case NS_FLOW_TCP_NONE:
		if (syn)
			s = ack ? NS_FLOW_TCP_SYN_RECEIVED : NS_FLOW_TCP_SYN_SENT;
		else if (fin)
			s = NS_FLOW_TCP_FIN_WAIT, findir = d;
		else
			s = NS_FLOW_TCP_MIDSTREAM;
		break;
	case NS_FLOW_TCP_SYN_SENT:
		/* a SYN/ACK, or the responder's own SYN (simultaneous open) */
		if (syn && (ack || !from_client))
			s = NS_FLOW_TCP_SYN_RECEIVED;
		else if (fin)
			s = NS_FLOW_TCP_FIN_WAIT, findir = d;
		else if (ack && !syn)
			s = NS_FLOW_TCP_ESTABLISHED;
		break;
	case NS_FLOW_TCP_SYN_RECEIVED:
		if (fin)
			s = NS_FLOW_TCP_FIN_WAIT, findir = d;
		else if (ack && !syn)
			s = NS_FLOW_TCP_ESTABLISHED;
		break;
	case NS_FLOW_TCP_ESTABLISHED:
	case NS_FLOW_TCP_MIDSTREAM:
		if (fin)
			s = NS_FLOW_TCP_FIN_WAIT, findir = d;
		break;
	case NS_FLOW_TCP_FIN_WAIT:
		if (fin && d != findir)
			s = NS_FLOW_TCP_CLOSING, findir = d;
		break;
	case NS_FLOW_TCP_CLOSING:
		/* the ACK of the last FIN comes from the other side */
		if (ack && !fin && !syn && d != findir)
			s = NS_FLOW_TCP_CLOSED;
		break;
	default:
		break;
	}
	h->state = s;
	h->flags = (uint8_t)((h->flags & ~FF_FINDIR) | (findir ? FF_FINDIR : 0));
}

static inline unsigned
ep_get(uint8_t ep, bool orig)
{
	return orig ? (ep & 7u) : ((ep >> 3) & 7u);
}

static inline uint8_t
ep_set(uint8_t ep, bool orig, unsigned v)
{
	return orig ? (uint8_t)((ep & ~7u) | v) : (uint8_t)((ep & ~(7u << 3)) | (v << 3));
}

/*
 * Zeek's per-endpoint TCP state machine (TCPSessionAdapter::UpdateStateMachine), reduced to the
 * transitions that decide conn_state. @orig: the segment comes from the originator.
 */
static uint8_t
ep_update(uint8_t ep, bool orig, uint8_t fl, uint32_t seglen)
{
	bool syn = fl & NS_TCP_SYN, ack = fl & NS_TCP_ACK, fin = fl & NS_TCP_FIN;
	bool rst = fl & NS_TCP_RST;
	unsigned e = ep_get(ep, orig), p = ep_get(ep, !orig);

	if (seglen > 0)
		ep |= orig ? EP_DATA_ORIG : EP_DATA_RESP;
	switch (e) {
	case EP_INACTIVE:
		if (syn) {
			if (orig) {
				e = ack ? EP_SYN_ACK_SENT : EP_SYN_SENT;
			} else {
				if (p == EP_SYN_SENT)
					p = EP_ESTABLISHED;
				e = EP_ESTABLISHED;
			}
		}
		if (fin)
			e = EP_CLOSED;
		if (rst)
			e = EP_RESET;
		if (e == EP_INACTIVE) {
			/* some stacks ACK a SYN before answering it: not a partial connection */
			if (!orig && seglen == 0 && ep_get(ep, true) == EP_SYN_SENT)
				;
			else if (ack && p == EP_ESTABLISHED)
				e = EP_ESTABLISHED;
			else
				e = EP_PARTIAL;
		}
		break;
	case EP_SYN_SENT:
	case EP_SYN_ACK_SENT:
		if (fin)
			e = EP_CLOSED;
		if (rst)
			e = (orig && e == EP_SYN_SENT && !fin) ? EP_RESET_S0 : EP_RESET;
		break;
	case EP_ESTABLISHED:
	case EP_PARTIAL:
		if (syn && e == EP_PARTIAL && p == EP_INACTIVE && !ack)
			e = EP_SYN_SENT;
		if (fin && !rst)
			e = EP_CLOSED;
		if (rst)
			e = EP_RESET;
		break;
	case EP_CLOSED:
		if (rst && p != EP_CLOSED)
			e = EP_RESET;
		break;
	default:
		break;
	}
	ep = ep_set(ep, orig, e);
	return ep_set(ep, !orig, p);
}

bool
flow_tcp_segment(struct flow_rec *r, const struct ns_pkt *p, unsigned d, uint32_t t)
{
	struct flow_hot *h = &r->hot;
	struct flow_tcp *tc = &r->tcp;
	struct flow_cold *c = &r->cold;
	struct tcp_dir *fwd = &tc->dir[d];
	struct tcp_dir *rev = &tc->dir[d ^ 1];
	const uint32_t seq = p->tcp_seq, ack = p->tcp_ack, seglen = p->payload_len;
	const uint8_t fl = p->tcp_flags;
	const uint16_t win = p->tcp_win;
	const bool syn = fl & NS_TCP_SYN, ackf = fl & NS_TCP_ACK, fin = fl & NS_TCP_FIN;
	const bool rst = fl & NS_TCP_RST, sfr = fl & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST);
	bool zwp = false, keepalive = false, rexmit = false, ovf = false;

	tc->tcp_flags[d] |= fl;
	if (rst)
		ovf |= inc8(&c->rst[d]);

	/* §2 rule 3: a SYN with the same ISN rewinds nextseq (the SYN is then a retransmission);
	 * rule 4: a SYN/ACK with a new ISN moves the base (rule 2 is the caller's split) */
	if (syn && (fwd->bits & TD_BASE_SET)) {
		if (!ackf && seq == c->base_seq[d])
			fwd->nextseq = fwd->maxseqtobeacked;
		else if (ackf && seq != c->base_seq[d])
			c->base_seq[d] = seq;
	}
	/* §2 rule 5: base sequence numbers */
	if (!(fwd->bits & TD_BASE_SET)) {
		c->base_seq[d] = syn ? seq : seq - 1;
		fwd->bits |= TD_BASE_SET;
	}
	if (!(rev->bits & TD_BASE_SET) && ackf) {
		c->base_seq[d ^ 1] = ack - 1;
		rev->bits |= TD_BASE_SET;
	}

	/* 1: zero-window probe skips rules 2 to 9 */
	if (seglen == 1 && seq == fwd->nextseq && (rev->bits & TD_WIN_SET) && rev->window == 0) {
		zwp = true;
	} else {
		/* 2: zero window */
		if (win == 0 && !sfr)
			ovf |= inc16(&c->zerowin);
		/* 3: previous segment not captured */
		if (fwd->nextseq != 0 && seq_gt(seq, fwd->nextseq) && !rst) {
			ovf |= inc16(&c->lost[d]);
			rexmit = true; /* a gap also spoils a pending RTT sample */
		}
		/* 4: keep-alive (no check that nextseq is set, as in tshark) */
		if (seglen <= 1 && seq == fwd->nextseq - 1 && !sfr)
			keepalive = true;
		/* 5-9: same seq, same ack, no data */
		if (seglen == 0 && seq == fwd->nextseq && ack == fwd->lastack && !sfr) {
			bool win_same = (fwd->bits & TD_WIN_SET) && win == fwd->window;

			if (win != 0 && win_same && (rev->bits & TD_KEEPALIVE)) {
				/* 7: keep-alive ACK */
			} else if (win == 0 && (fwd->bits & TD_WIN_SET) && fwd->window == 0 &&
				   (rev->bits & TD_ZWP)) {
				/* 8: zero-window-probe ACK */
			} else if (win != 0 && win_same) {
				/* 9: duplicate ACK */
				if (fwd->dupacks == -1)
					fwd->dupacks = 1;
				else if (fwd->dupacks < INT8_MAX)
					fwd->dupacks++;
				ovf |= inc16(&c->dupack[d]);
			}
		}
	}
	/* 10 */
	if (ack != fwd->lastack)
		fwd->dupacks = 0;
	/* 11: ACKed unseen segment */
	if (ackf && rev->maxseqtobeacked != 0 && seq_gt(ack, rev->maxseqtobeacked)) {
		if (seq_lt(rev->maxseqtobeacked, rev->nextseq))
			rev->maxseqtobeacked = rev->nextseq;
		else
			rev->dupacks = -1;
	}
	/* 12: retransmission family */
	if ((seglen > 0 || syn || fin) && !keepalive) {
		bool sna = fwd->nextseq != 0 && seq_lt(seq, fwd->nextseq);
		uint32_t ooo_us = (h->flags & FF_IRTT) ? flow_tcp_irtt_us(r) : OOO_DEFAULT_US;

		if (seglen > 1 && seq == fwd->nextseq - 1)
			sna = false;
		if (seglen > 0 && rev->lastack != 0 && seq_le(seq + seglen, rev->lastack)) {
			ovf |= inc16(&c->spurious);
			ovf |= inc16(&c->retrans[d]);
			rexmit = true;
		} else if (sna && rev->dupacks >= 2 && rev->lastack == seq &&
			   (uint32_t)(t - c->lastack_t[d ^ 1]) < FAST_RETRANS_US) {
			ovf |= inc16(&c->fast);
			ovf |= inc16(&c->retrans[d]);
			rexmit = true;
		} else if (sna && (uint32_t)(t - fwd->nextseq_t) < ooo_us &&
			   fwd->nextseq != seq + seglen + ((syn || fin) ? 1 : 0)) {
			ovf |= inc16(&c->ooo[d]);
			rexmit = true;
		} else if (sna) {
			ovf |= inc16(&c->retrans[d]);
			rexmit = true;
		}
	}
	/* 13-15 */
	uint32_t nxt = seq + seglen + ((syn || fin) ? 1 : 0);
	bool advanced = false;

	if (!zwp) {
		if (seq_gt(nxt, fwd->nextseq) || fwd->nextseq == 0) {
			fwd->nextseq = nxt;
			fwd->nextseq_t = t;
			advanced = true;
		}
		if (seq == fwd->maxseqtobeacked || fwd->maxseqtobeacked == 0)
			fwd->maxseqtobeacked = fwd->nextseq;
	}
	/* 16, 17 */
	fwd->window = win;
	fwd->lastack = ack;
	flow_tcp_lastack_t(r, d, t);
	fwd->bits = (uint8_t)((fwd->bits & ~(TD_KEEPALIVE | TD_ZWP)) | TD_WIN_SET |
			      (keepalive ? TD_KEEPALIVE : 0) | (zwp ? TD_ZWP : 0));

	/* 18 (ours): one data/ACK RTT sample in flight per flow; Karn's rule drops it when its
	 * direction retransmits or shows a gap before the ACK arrives */
	if (h->flags & FF_RTT_PEND) {
		unsigned pd = (h->flags & FF_RTT_DIR) ? 1u : 0u;

		if (pd != d && ackf && !rst && !seq_lt(ack, tc->rtt_seq)) {
			uint32_t s = t - tc->rtt_t;

			if ((int32_t)s >= 0)
				flow_rtt_add(r, s);
			h->flags &= (uint8_t)~FF_RTT_PEND;
		} else if (pd == d && rexmit) {
			h->flags &= (uint8_t)~FF_RTT_PEND;
		}
	}
	if (!(h->flags & FF_RTT_PEND) && seglen > 0 && advanced && !rexmit && !keepalive && !rst) {
		tc->rtt_seq = nxt;
		tc->rtt_t = t;
		h->flags = (uint8_t)((h->flags & ~FF_RTT_DIR) | FF_RTT_PEND | (d ? FF_RTT_DIR : 0));
	}

	/* 19: handshake RTT = latest bare SYN -> first segment with ACK and without SYN */
	if (syn) {
		if (!ackf) {
			if (!(h->flags & FF_IRTT)) {
				flow_tcp_syn_set(r, t);
				h->flags = (uint8_t)((h->flags | FF_SYN) & ~FF_SYNACK);
			}
		} else if ((h->flags & (FF_SYN | FF_IRTT)) == FF_SYN) {
			c->syn_synack_us = t - flow_tcp_syn_t(r);
			h->flags |= FF_SYNACK;
		}
	} else if (ackf && (h->flags & (FF_SYN | FF_IRTT)) == FF_SYN) {
		uint32_t irtt = t - flow_tcp_syn_t(r);

		if (irtt != 0 && (int32_t)irtt > 0)
			flow_tcp_irtt_set(r, irtt);
	}

	tcp_state_update(h, d, fl);
	h->ep = ep_update(h->ep, d == ((h->flags & FF_CLIENT_HI) ? 1u : 0u), fl, seglen);
	flow_tcp_fast_set(r);
	return ovf;
}
