/* SPDX-License-Identifier: MIT */
/*
 * Logging for the control path: one line per message on stderr, tagged with the log type.
 * The level is a single global read with a relaxed load so any thread may log.
 */
#include <stdio.h>

#include "ns_core.h"

static _Atomic int log_level = NS_LOG_NOTICE;

static const char *const level_names[] = {
	[NS_LOG_ERR] = "error",
	[NS_LOG_WARNING] = "warning",
	[NS_LOG_NOTICE] = "notice",
	[NS_LOG_INFO] = "info",
	[NS_LOG_DEBUG] = "debug",
};

void
ns_log_set_level(enum ns_log_level level)
{
	log_level = level;
}

enum ns_log_level
ns_log_get_level(void)
{
	return (enum ns_log_level)log_level;
}

void
ns_log(enum ns_log_level level, const char *type, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if ((int)level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One fprintf per message keeps lines from different threads whole. */
	if (level <= NS_LOG_WARNING)
		fprintf(stderr, "netscope: %s: %s: %s\n", type, level_names[level], msg);
	else
		fprintf(stderr, "netscope: %s: %s\n", type, msg);
}
