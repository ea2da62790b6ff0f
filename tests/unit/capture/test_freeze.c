/* SPDX-License-Identifier: MIT */
/*
 * ns_capture_freeze_drops() over a stand-in backend whose port keeps counting: after the
 * freeze the drop counters stay where they were (a port left open after the capture stopped
 * misses every frame nobody reads), the others stay live.
 */
#include <string.h>

#include "capture_priv.h"
#include "ns_capture.h"
#include "ns_test.h"

static unsigned polls;

/* Every read of the counters: ten more frames missed, one more received. */
static int
stand_in_stats(struct ns_capture *c, int q, struct ns_capture_stats *st)
{
	(void)c;
	(void)q;
	polls++;
	st->received = polls;
	st->filtered = 2 * polls;
	st->imissed = st->rx_nombuf = 10 * polls;
	st->dropped = st->imissed + st->rx_nombuf;
	st->ierrors = st->if_dropped = polls;
	return 0;
}

static const struct capture_ops stand_in = {
	.name = "stand-in",
	.stats = stand_in_stats,
};

static void
test_freeze_drops(void)
{
	struct ns_capture c;
	struct ns_capture_stats st;

	memset(&c, 0, sizeof(c));
	c.ops = &stand_in;
	polls = 0;
	CU_ASSERT_EQUAL(ns_capture_stats(&c, &st), 0);
	CU_ASSERT_EQUAL(st.dropped, 20);
	CU_ASSERT_EQUAL(ns_capture_stats(&c, &st), 0);
	CU_ASSERT_EQUAL(st.dropped, 40); /* live: the port counts on */
	ns_capture_freeze_drops(&c); /* third read */
	ns_capture_freeze_drops(&c); /* once: a second call changes nothing */
	for (unsigned i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(ns_capture_stats(&c, &st), 0);
		CU_ASSERT_EQUAL(st.dropped, 60);
		CU_ASSERT_EQUAL(st.imissed, 30);
		CU_ASSERT_EQUAL(st.rx_nombuf, 30);
		CU_ASSERT_EQUAL(st.ierrors, 3);
		CU_ASSERT_EQUAL(st.if_dropped, 3);
		/* what only grows with reading stays live */
		CU_ASSERT_EQUAL(st.received, 4 + i);
		CU_ASSERT_EQUAL(st.filtered, 2 * (4 + i));
	}
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_freeze_drops),
};

NS_TEST_MAIN("capture_freeze", cases)
