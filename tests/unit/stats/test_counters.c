/* SPDX-License-Identifier: MIT */
/*
 * ns_stats_count_burst() against ns_stats_count_pkt() packet by packet: random parse results
 * drawn from few values (so runs of equal packets form and break), and runs broken by one
 * packet at every position, give the same counters.
 */
#include <stdlib.h>
#include <string.h>

#include "ns_core.h"
#include "ns_stats.h"
#include "ns_test.h"

static unsigned long long rng = 88172645463325252ull;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void
random_pkt(struct ns_pkt *p, unsigned odd_pct)
{
	static const uint16_t layer_sets[] = {
		NS_LAYER_BIT(ETH) | NS_LAYER_BIT(IPV4) | NS_LAYER_BIT(TCP),
		NS_LAYER_BIT(ETH) | NS_LAYER_BIT(IPV6) | NS_LAYER_BIT(UDP),
		NS_LAYER_BIT(ETH) | NS_LAYER_BIT(VLAN) | NS_LAYER_BIT(IPV4) | NS_LAYER_BIT(TCP),
		0,
	};

	memset(p, 0, sizeof(*p));
	p->layers = layer_sets[rnd(4)];
	p->wirelen = 60 + rnd(1500);
	p->caplen = p->wirelen;
	p->verdict = NS_PARSE_OK;
	p->reason = rnd(8) == 0 ? (uint8_t)rnd(NS_PARSE_REASON_MAX) : NS_PARSE_R_NONE;
	p->ip_version = rnd(2) ? 4 : 6;
	if (rnd(100) < odd_pct) {
		switch (rnd(4)) {
		case 0:
			p->frag = NS_FRAG_IS;
			break;
		case 1:
			p->caplen = p->wirelen - 1 - rnd(p->wirelen - 1);
			break;
		case 2:
			p->verdict = NS_PARSE_MALFORMED;
			break;
		default:
			p->verdict = NS_PARSE_UNSUPPORTED;
			break;
		}
	}
}

static void
test_burst_equals_per_packet(void)
{
	struct ns_pkt pkts[64];

	for (unsigned round = 0; round < 2000; round++) {
		struct ns_pkt_counters a, b;
		unsigned n = rnd(65);
		unsigned odd = round % 3 == 0 ? 0 : rnd(50);

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		for (unsigned i = 0; i < n; i++) {
			random_pkt(&pkts[i], odd);
			/* repeat the previous packet often: the burst counts runs at once */
			if (i > 0 && rnd(2))
				pkts[i] = pkts[i - 1];
		}
		for (unsigned i = 0; i < n; i++)
			ns_stats_count_pkt(&a, &pkts[i]);
		ns_stats_count_burst(&b, pkts, n);
		CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
		CU_ASSERT_EQUAL(b.packets, n);
	}
}

/*
 * A run of equal plain packets broken at every position by one packet that differs in one
 * counted property (layers, verdict, reason, fragment, cut by the snaplen), with runs at the
 * start and the end of the burst and reasons beyond the table (not counted per reason); and by
 * a packet that differs only in a field of the compared word that is not counted (l4,
 * ip_version, frag bits other than NS_FRAG_IS), where the run breaks and the counts must not
 * change.
 */
static void
test_run_breaks(void)
{
	struct ns_pkt pkts[40], base;

	memset(&base, 0, sizeof(base));
	base.layers = NS_LAYER_BIT(ETH) | NS_LAYER_BIT(IPV4) | NS_LAYER_BIT(UDP);
	base.caplen = base.wirelen = 60;
	base.ip_version = 4;
	for (unsigned what = 0; what < 12; what++) {
		for (unsigned at = 0; at < NS_ARRAY_SIZE(pkts); at++) {
			struct ns_pkt_counters a, b;
			struct ns_pkt *p = &pkts[at];

			for (unsigned i = 0; i < NS_ARRAY_SIZE(pkts); i++) {
				pkts[i] = base;
				pkts[i].wirelen = 60 + i; /* the byte sum sees every packet */
				pkts[i].caplen = pkts[i].wirelen;
			}
			switch (what) {
			case 0:
				p->layers |= NS_LAYER_BIT(VLAN);
				break;
			case 1:
				p->verdict = NS_PARSE_TRUNCATED;
				break;
			case 2:
				p->verdict = NS_PARSE_MALFORMED;
				break;
			case 3:
				p->verdict = NS_PARSE_UNSUPPORTED;
				break;
			case 4:
				p->reason = NS_PARSE_REASON_MAX - 1;
				break;
			case 5:
				p->reason = NS_PARSE_REASON_MAX; /* out of the table */
				break;
			case 6:
				p->frag = NS_FRAG_IS;
				break;
			case 7:
				p->caplen = p->wirelen - 1;
				break;
			case 8: /* in the compared word but not counted: the run breaks, */
				p->l4 = NS_L4_UDP; /* the counts do not change */
				break;
			case 9:
				p->frag = NS_FRAG_MORE; /* without NS_FRAG_IS: not a fragment */
				break;
			case 10:
				p->ip_version = 6;
				break;
			default: /* more than the wire: not "truncated" */
				p->caplen = p->wirelen + 1;
				break;
			}
			memset(&a, 0, sizeof(a));
			memset(&b, 0, sizeof(b));
			for (unsigned i = 0; i < NS_ARRAY_SIZE(pkts); i++)
				ns_stats_count_pkt(&a, &pkts[i]);
			ns_stats_count_burst(&b, pkts, NS_ARRAY_SIZE(pkts));
			CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
			/* and every shorter burst from the start, down to none */
			memset(&b, 0, sizeof(b));
			for (unsigned n = 0; n <= NS_ARRAY_SIZE(pkts); n++)
				ns_stats_count_burst(&b, pkts, n);
			memset(&a, 0, sizeof(a));
			for (unsigned n = 0; n <= NS_ARRAY_SIZE(pkts); n++)
				for (unsigned i = 0; i < n; i++)
					ns_stats_count_pkt(&a, &pkts[i]);
			CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
		}
	}
}

int
main(void)
{
	static const struct ns_test_case cases[] = {
		NS_TEST(test_burst_equals_per_packet),
		NS_TEST(test_run_breaks),
	};

	return ns_test_run("stats_counters", cases, sizeof(cases) / sizeof(cases[0]));
}
