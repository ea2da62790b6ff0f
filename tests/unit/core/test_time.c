/* SPDX-License-Identifier: MIT */
/* Timestamp and unit formatting. */
#include <string.h>

#include "ns_core.h"
#include "ns_test.h"

static void
test_hms(void)
{
	char buf[32];

	/* 2009-02-13T23:31:30.123456789Z */
	CU_ASSERT_STRING_EQUAL(ns_time_fmt_hms(1234567890123456789ULL, buf, sizeof(buf)),
			       "23:31:30.123456");
	CU_ASSERT_STRING_EQUAL(ns_time_fmt_hms(0, buf, sizeof(buf)), "00:00:00.000000");
}

static void
test_rfc3339(void)
{
	char buf[40];

	CU_ASSERT_STRING_EQUAL(ns_time_fmt_rfc3339(1234567890123456789ULL, buf, sizeof(buf)),
			       "2009-02-13T23:31:30.123456Z");
}

static void
test_si(void)
{
	char buf[32];

	CU_ASSERT_STRING_EQUAL(ns_fmt_si(999, "B", buf, sizeof(buf)), "999 B");
	CU_ASSERT_STRING_EQUAL(ns_fmt_si(1234567, "bps", buf, sizeof(buf)), "1.23 Mbps");
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_hms),
	NS_TEST(test_rfc3339),
	NS_TEST(test_si),
};

NS_TEST_MAIN("core_time", cases)
