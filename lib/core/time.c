/* SPDX-License-Identifier: MIT */
/*
 * Clocks and timestamp formatting. Packet timestamps are ns since the epoch everywhere;
 * these helpers render them the way operators read them (UTC, microseconds).
 */
#include <stdio.h>
#include <time.h>

#include "ns_core.h"

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t
ns_time_now_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

uint64_t
ns_time_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

char *
ns_time_fmt_hms(uint64_t ts_ns, char *buf, size_t len)
{
	uint64_t sec = ts_ns / NS_NSEC_PER_SEC;
	unsigned usec = (unsigned)((ts_ns % NS_NSEC_PER_SEC) / NS_NSEC_PER_USEC);
	unsigned day_sec = (unsigned)(sec % 86400);

	snprintf(buf, len, "%02u:%02u:%02u.%06u", day_sec / 3600, day_sec / 60 % 60, day_sec % 60,
		 usec);
	return buf;
}

char *
ns_time_fmt_rfc3339(uint64_t ts_ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ts_ns / NS_NSEC_PER_SEC);
	unsigned usec = (unsigned)((ts_ns % NS_NSEC_PER_SEC) / NS_NSEC_PER_USEC);
	struct tm tm;
	char date[24];

	gmtime_r(&sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06uZ", date, usec);
	return buf;
}
