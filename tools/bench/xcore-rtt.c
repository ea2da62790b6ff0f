/* SPDX-License-Identifier: MIT */
/*
 * xcore-rtt: the core-to-core round trip of one cache line, in nanoseconds. Two threads, pinned
 * to CPUs A and B, take turns writing a counter the other one waits for, so each round trip is
 * two transfers of the line between the cores' caches. tools/bench/run-dpdk.sh runs it before
 * and after every measurement: on a virtual machine the hypervisor may move the two vCPUs
 * between cores that share an L3 and cores that do not, and the ring replay (ring-feed writes
 * every frame on one core, the primary reads it on the other) runs at about half the rate in the
 * second case. The round trip tells the two apart (docs/performance.md, "Machine").
 *
 *   xcore-rtt [-a CPU] [-b CPU] [-n ROUND_TRIPS] [-r ROUNDS]
 *
 * Prints the median over ROUNDS (default 5) of the mean round trip of ROUND_TRIPS (default
 * 20000) bounces, as a bare number with one decimal: about 50 ms in all.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS_MAX 64

struct shared {
	_Alignas(64) _Atomic uint64_t turn; /* odd: B's turn, even: A's */
	uint64_t n;
	unsigned rounds;
	int cpu_b;
	_Atomic int ready; /* 0 until B is pinned: 1, or -1 when it could not be */
	int err;
};

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *
side_b(void *arg)
{
	struct shared *s = arg;
	const uint64_t total = s->n * s->rounds;

	s->err = pin(s->cpu_b);
	/* unpinned, B could share A's CPU, and every bounce would wait for a time slice */
	atomic_store_explicit(&s->ready, s->err == 0 ? 1 : -1, memory_order_release);
	if (s->err != 0)
		return NULL;
	for (uint64_t i = 0; i < total; i++) {
		while (atomic_load_explicit(&s->turn, memory_order_acquire) != 2 * i + 1)
			;
		atomic_store_explicit(&s->turn, 2 * i + 2, memory_order_release);
	}
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno != 0 || *end != '\0' || end == s || *out > max ? -1 : 0;
}

int
main(int argc, char **argv)
{
	static struct shared s;
	unsigned long a = 0, b = 1, n = 20000, rounds = 5, v;
	double rt[ROUNDS_MAX];
	pthread_t th;
	int opt, rc;

	while ((opt = getopt(argc, argv, "a:b:n:r:h")) != -1) {
		switch (opt) {
		case 'a':
		case 'b':
			if (parse_uint(optarg, CPU_SETSIZE - 1, &v) != 0) {
				fprintf(stderr, "xcore-rtt: bad CPU '%s'\n", optarg);
				return 2;
			}
			*(opt == 'a' ? &a : &b) = v;
			break;
		case 'n':
			if (parse_uint(optarg, 100000000, &n) != 0 || n == 0) {
				fprintf(stderr, "xcore-rtt: bad round trip count '%s'\n", optarg);
				return 2;
			}
			break;
		case 'r':
			if (parse_uint(optarg, ROUNDS_MAX, &rounds) != 0 || rounds == 0) {
				fprintf(stderr, "xcore-rtt: rounds must be 1..%d\n", ROUNDS_MAX);
				return 2;
			}
			break;
		default:
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: xcore-rtt [-a CPU] [-b CPU] [-n ROUND_TRIPS] [-r ROUNDS]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "xcore-rtt: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (a == b) {
		fprintf(stderr, "xcore-rtt: -a and -b must name two CPUs\n");
		return 2;
	}
	s.n = n;
	s.rounds = (unsigned)rounds;
	s.cpu_b = (int)b;
	rc = pin((int)a);
	if (rc != 0) {
		fprintf(stderr, "xcore-rtt: cannot run on CPU %lu: %s\n", a, strerror(rc));
		return 1;
	}
	rc = pthread_create(&th, NULL, side_b, &s);
	if (rc != 0) {
		fprintf(stderr, "xcore-rtt: pthread_create: %s\n", strerror(rc));
		return 1;
	}
	while ((rc = atomic_load_explicit(&s.ready, memory_order_acquire)) == 0)
		sched_yield();
	if (rc < 0) {
		pthread_join(th, NULL);
		fprintf(stderr, "xcore-rtt: cannot run on CPU %lu: %s\n", b, strerror(s.err));
		return 1;
	}
	for (unsigned r = 0; r < rounds; r++) {
		const uint64_t first = (uint64_t)r * n;
		double t0 = now_ns();

		for (uint64_t i = first; i < first + n; i++) {
			atomic_store_explicit(&s.turn, 2 * i + 1, memory_order_release);
			while (atomic_load_explicit(&s.turn, memory_order_acquire) != 2 * i + 2)
				;
		}
		rt[r] = (now_ns() - t0) / (double)n;
	}
	pthread_join(th, NULL);
	qsort(rt, rounds, sizeof(rt[0]), cmp_double);
	printf("%.1f\n", rounds % 2 ? rt[rounds / 2] : (rt[rounds / 2 - 1] + rt[rounds / 2]) / 2);
	return 0;
}
