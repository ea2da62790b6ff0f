/* SPDX-License-Identifier: MIT */
/*
 * Human units for terminal output: 1234567 -> "1.23 M". Decimal prefixes, as link rates are.
 */
#include <stdio.h>

#include "ns_core.h"

char *
ns_fmt_si(double v, const char *unit, char *buf, size_t len)
{
	static const char prefixes[] = { ' ', 'k', 'M', 'G', 'T', 'P' };
	unsigned i = 0;

	while ((v >= 1000.0 || v <= -1000.0) && i + 1 < sizeof(prefixes)) {
		v /= 1000.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%.0f %s", v, unit);
	else
		snprintf(buf, len, "%.2f %c%s", v, prefixes[i], unit);
	return buf;
}
