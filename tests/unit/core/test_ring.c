/* SPDX-License-Identifier: MIT */
/* SPSC ring: capacity rounding, burst limits, wrap-around, and a two-thread ordering check. */
#include <pthread.h>
#include <stdint.h>

#include "ns_core.h"
#include "ns_test.h"

static void
test_capacity_rounds_up(void)
{
	struct ns_ring *r = ns_ring_create(8, 1000);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(ns_ring_capacity(r), 1024);
	ns_ring_destroy(r);
	CU_ASSERT_PTR_NULL(ns_ring_create(0, 16));
	CU_ASSERT_PTR_NULL(ns_ring_create(8, 0));
}

static void
test_full_and_wrap(void)
{
	struct ns_ring *r = ns_ring_create(sizeof(uint64_t), 8);
	uint64_t in[12], out[12];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (unsigned i = 0; i < 12; i++)
		in[i] = 100 + i;
	CU_ASSERT_EQUAL(ns_ring_enqueue_burst(r, in, 12), 8); /* full after 8 */
	CU_ASSERT_EQUAL(ns_ring_enqueue_burst(r, in, 1), 0);
	CU_ASSERT_EQUAL(ns_ring_dequeue_burst(r, out, 5), 5);
	CU_ASSERT_EQUAL(out[0], 100);
	CU_ASSERT_EQUAL(out[4], 104);
	/* these 5 wrap around the end of the storage */
	CU_ASSERT_EQUAL(ns_ring_enqueue_burst(r, in + 8, 4), 4);
	CU_ASSERT_EQUAL(ns_ring_count(r), 7);
	CU_ASSERT_EQUAL(ns_ring_dequeue_burst(r, out, 12), 7);
	CU_ASSERT_EQUAL(out[0], 105);
	CU_ASSERT_EQUAL(out[2], 107);
	CU_ASSERT_EQUAL(out[3], 108);
	CU_ASSERT_EQUAL(out[6], 111);
	CU_ASSERT_EQUAL(ns_ring_dequeue_burst(r, out, 1), 0);
	ns_ring_destroy(r);
}

#define N_ITEMS 2000000u

static void *
producer(void *arg)
{
	struct ns_ring *r = arg;
	uint64_t buf[16];
	uint64_t next = 0;

	while (next < N_ITEMS) {
		unsigned n = 0;

		while (n < 16 && next + n < N_ITEMS) {
			buf[n] = next + n;
			n++;
		}
		next += ns_ring_enqueue_burst(r, buf, n);
	}
	return NULL;
}

static void
test_two_threads_in_order(void)
{
	struct ns_ring *r = ns_ring_create(sizeof(uint64_t), 256);
	pthread_t t;
	uint64_t buf[32], expect = 0;
	int ordered = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, producer, r), 0);
	while (expect < N_ITEMS) {
		uint32_t n = ns_ring_dequeue_burst(r, buf, 32);

		for (uint32_t i = 0; i < n; i++)
			if (buf[i] != expect++)
				ordered = 0;
	}
	pthread_join(t, NULL);
	CU_ASSERT_TRUE(ordered);
	CU_ASSERT_EQUAL(ns_ring_count(r), 0);
	ns_ring_destroy(r);
}

static const struct ns_test_case cases[] = {
	NS_TEST(test_capacity_rounds_up),
	NS_TEST(test_full_and_wrap),
	NS_TEST(test_two_threads_in_order),
};

NS_TEST_MAIN("core_ring", cases)
