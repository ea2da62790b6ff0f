/* SPDX-License-Identifier: MIT */
/*
 * Parses every frame of every capture in tests/corpus/pcaps and compares the parser's layer
 * and fragment counts with the tshark oracle in tests/corpus/expected/<name>.json. Where
 * NetScope counts differently by definition (see the table at the end of ns_proto.h), the
 * difference is listed in `adjustments` below with its reason, and a stale entry fails too.
 * The corpus directory comes as argv[1] (meson passes `corpus_dir`) or NS_CORPUS_DIR.
 */
#include <dirent.h>
#include <json-c/json.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ns_proto.h"
#include "ns_test.h"

static const char *corpus_dir;

/* Our count = tshark's count + delta, for a documented difference of definition. */
struct adjustment {
	const char *file;
	const char *key;
	long delta;
	const char *why;
	bool used;
};

static struct adjustment adjustments[] = {
	{ "libpcap-ipv6_ext_headers.pcap", "fragments.ipv6_first_fragment", -1,
	  "the fragment headers are atomic (offset 0, M=0): RFC 6946, not a fragment for us",
	  false },
	{ "tcpdump-ipv6-bad-version.pcap", "outer_l3.ipv6", +2,
	  "ethertype 0x86dd with version 0: we count the layer the link announces (malformed "
	  "IP_VERSION); tshark's IPv6 dissector rejects it and shows data",
	  false },
	{ "tcpdump-vxlan.pcap", "any.arp", -2,
	  "the ARP frames are inside VXLAN; we count outer layers only", false },
	{ "tcpdump-bad-ipv4-version-pgm-heapoverflow.pcap", "derived.other", -1,
	  "ethertype IPv4 carrying version 6: tshark hands it to IPv6 (outer_l4 other:ipv6); "
	  "for us it is a malformed IPv4 frame (IP_VERSION), not OTHER",
	  false },
	{ "tcpdump-heap-overflow-1.pcap", "derived.other", -1,
	  "raw frame whose version nibble is 3: malformed (IP_VERSION), no layer at all", false },
	{ "tcpdump-ipv6-bad-version.pcap", "derived.other", -2,
	  "the two version-0 frames are malformed IPv6 for us, tshark's outer_l3 none", false },
};

struct counts {
	long packets;
	long truncated;
	long layer[NS_LAYER_MAX];
	long v4_first, v4_nonfirst, v6_first, v6_nonfirst;
};

static long
apply_adjustment(const char *file, const char *key, long expected)
{
	for (size_t i = 0; i < sizeof(adjustments) / sizeof(adjustments[0]); i++) {
		if (strcmp(adjustments[i].file, file) == 0 &&
		    strcmp(adjustments[i].key, key) == 0) {
			adjustments[i].used = true;
			return expected + adjustments[i].delta;
		}
	}
	return expected;
}

/* expected[obj][key], 0 when absent (the oracle leaves zero counts out of some objects) */
static long
json_count(struct json_object *root, const char *obj, const char *key)
{
	struct json_object *o, *v;

	if (obj != NULL) {
		if (!json_object_object_get_ex(root, obj, &o))
			return 0;
	} else {
		o = root;
	}
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return (long)json_object_get_int64(v);
}

/* Sum of the outer_l4 entries "other:*" except "other:none" (IP with nothing decodable after
 * it, which for us is a truncated or malformed frame, not OTHER). */
static long
json_other_l4(struct json_object *root)
{
	struct json_object *o;
	long sum = 0;

	if (!json_object_object_get_ex(root, "outer_l4", &o))
		return 0;
	json_object_object_foreach(o, key, val)
	{
		if (strncmp(key, "other:", 6) == 0 && strcmp(key, "other:none") != 0)
			sum += (long)json_object_get_int64(val);
	}
	return sum;
}

static int
check(const char *file, const char *key, long ours, long expected)
{
	expected = apply_adjustment(file, key, expected);
	if (ours == expected)
		return 0;
	fprintf(stderr, "\n  %s: %s ours %ld, expected %ld", file, key, ours, expected);
	return 1;
}

static bool
count_file(const char *path, struct counts *n)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct ns_pkt pkt;
	pcap_t *p;
	int linktype;

	memset(n, 0, sizeof(*n));
	p = pcap_open_offline(path, errbuf);
	if (p == NULL)
		return false;
	linktype = pcap_datalink(p);
	while (pcap_next_ex(p, &hdr, &data) == 1) {
		n->packets++;
		if (hdr->caplen < hdr->len)
			n->truncated++;
		ns_parse(linktype, data, hdr->caplen, hdr->len, &pkt);
		for (unsigned i = 0; i < NS_LAYER_MAX; i++)
			if (pkt.layers & (1u << i))
				n->layer[i]++;
		if (pkt.frag & NS_FRAG_IS) {
			bool first = (pkt.frag & NS_FRAG_FIRST) != 0;

			if (pkt.l3 == NS_L3_IPV4)
				first ? n->v4_first++ : n->v4_nonfirst++;
			else
				first ? n->v6_first++ : n->v6_nonfirst++;
		}
	}
	pcap_close(p);
	return true;
}

static int
compare_file(const char *name, const struct counts *n, struct json_object *exp)
{
	int bad = 0;
	long other;

#define L(idx) n->layer[NS_LAYER_IDX_##idx]
	bad += check(name, "packets", n->packets, json_count(exp, NULL, "packets"));
	bad += check(name, "truncated_frames", n->truncated,
		     json_count(exp, NULL, "truncated_frames"));
	bad += check(name, "any.eth", L(ETH), json_count(exp, "protocol_frames_any_layer", "eth"));
	bad += check(name, "any.sll", L(SLL), json_count(exp, "protocol_frames_any_layer", "sll"));
	/* tshark counts 802.1Q (vlan) and 802.1ad (ieee8021ad) apart; every S-tagged frame in
	 * the corpus also has a C-tag, so its vlan count equals our any-tag count */
	bad += check(name, "any.vlan", L(VLAN),
		     json_count(exp, "protocol_frames_any_layer", "vlan"));
	bad += check(name, "any.qinq_2plus_tags", L(QINQ),
		     json_count(exp, "protocol_frames_any_layer", "qinq_2plus_tags"));
	bad += check(name, "any.arp", L(ARP), json_count(exp, "protocol_frames_any_layer", "arp"));
	bad += check(name, "outer_l3.ip", L(IPV4), json_count(exp, "outer_l3", "ip"));
	bad += check(name, "outer_l3.ipv6", L(IPV6), json_count(exp, "outer_l3", "ipv6"));
	bad += check(name, "outer_l4.tcp", L(TCP), json_count(exp, "outer_l4", "tcp"));
	bad += check(name, "outer_l4.udp", L(UDP), json_count(exp, "outer_l4", "udp"));
	bad += check(name, "outer_l4.icmp", L(ICMP), json_count(exp, "outer_l4", "icmp"));
	bad += check(name, "outer_l4.icmpv6", L(ICMPV6), json_count(exp, "outer_l4", "icmpv6"));
	bad += check(name, "fragments.ip_first_fragment", n->v4_first,
		     json_count(exp, "fragments", "ip_first_fragment"));
	bad += check(name, "fragments.ip_nonfirst_fragment", n->v4_nonfirst,
		     json_count(exp, "fragments", "ip_nonfirst_fragment"));
	bad += check(name, "fragments.ipv6_first_fragment", n->v6_first,
		     json_count(exp, "fragments", "ipv6_first_fragment"));
	bad += check(name, "fragments.ipv6_nonfirst_fragment", n->v6_nonfirst,
		     json_count(exp, "fragments", "ipv6_nonfirst_fragment"));
	/*
	 * OTHER has no single tshark key: it is the frames without an outer IP and without ARP
	 * (outer_l3.none minus ARP), plus IP frames with an undecoded transport (outer_l4
	 * other:*) or a non-first fragment (outer_l4.fragment). Malformed frames whose IP we
	 * could not read are in outer_l3.none / other:<x> for tshark and not OTHER for us: those
	 * are adjustments.
	 */
	other = json_count(exp, "outer_l3", "none") -
		apply_adjustment(name, "any.arp",
				 json_count(exp, "protocol_frames_any_layer", "arp")) +
		json_other_l4(exp) + json_count(exp, "outer_l4", "fragment");
	bad += check(name, "derived.other", L(OTHER), other);
#undef L
	return bad;
}

static void
test_corpus_layer_counts(void)
{
	char *pcaps, *path, *json;
	struct dirent **names;
	struct counts n;
	int nfiles, checked = 0, bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(corpus_dir);
	CU_ASSERT_FATAL(asprintf(&pcaps, "%s/pcaps", corpus_dir) > 0);
	nfiles = scandir(pcaps, &names, NULL, alphasort);
	CU_ASSERT_FATAL(nfiles > 0);
	for (int i = 0; i < nfiles; i++) {
		const char *name = names[i]->d_name;
		struct json_object *exp;

		path = NULL;
		json = NULL;
		if (name[0] == '.')
			goto next;
		if (asprintf(&path, "%s/%s", pcaps, name) < 0 ||
		    asprintf(&json, "%s/expected/%s.json", corpus_dir, name) < 0) {
			CU_FAIL("out of memory");
			goto next_path;
		}
		exp = json_object_from_file(json);
		CU_ASSERT_PTR_NOT_NULL(exp);
		if (exp == NULL) {
			fprintf(stderr, "\n  %s: no expectation %s", name, json);
			goto next_path;
		}
		if (count_file(path, &n)) {
			bad += compare_file(name, &n, exp);
		} else if (json_count(exp, NULL, "packets") != 0) {
			/* libpcap refuses only the invalid files, where tshark read nothing */
			fprintf(stderr, "\n  %s: libpcap cannot open it", name);
			bad++;
		}
		json_object_put(exp);
		checked++;
	next_path:
		free(path);
		free(json);
	next:
		free(names[i]);
	}
	free(names);
	free(pcaps);
	CU_ASSERT(checked >= 40);
	CU_ASSERT_EQUAL(bad, 0);
}

/* Every documented difference must still be needed; a stale entry hides a regression. */
static void
test_adjustments_all_used(void)
{
	for (size_t i = 0; i < sizeof(adjustments) / sizeof(adjustments[0]); i++) {
		if (!adjustments[i].used)
			fprintf(stderr, "\n  unused adjustment %s %s", adjustments[i].file,
				adjustments[i].key);
		CU_ASSERT(adjustments[i].used);
	}
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_corpus_layer_counts),
	NS_TEST(test_adjustments_all_used),
};

int
main(int argc, char **argv)
{
	corpus_dir = argc > 1 ? argv[1] : getenv("NS_CORPUS_DIR");
	if (corpus_dir == NULL) {
		fprintf(stderr, "usage: %s CORPUS_DIR (or set NS_CORPUS_DIR)\n", argv[0]);
		return 2;
	}
	return ns_test_run("proto_corpus_layers", cases, sizeof(cases) / sizeof(cases[0]));
}
