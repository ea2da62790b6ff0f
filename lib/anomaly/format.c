/* SPDX-License-Identifier: MIT */
/*
 * Parameters (defaults and validation), the names of signatures, states and counters, and
 * the one-line terminal text of an alert event.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "anomaly_priv.h"

/*
 * Second-block defaults. 3 s without an answer: TCP's initial retransmission timeout is 1 s
 * (RFC 6298 section 2.1), so a live peer has answered a SYN or its first retransmission by
 * then, and nmap's default probe timeout is shorter still. 256 alerts keep the dashboard list
 * and the engine's alert tables small while far exceeding what an operator can read. 2 s of
 * lateness covers a worker's housekeeping period many times over.
 */
#define DEF_NO_ANSWER_MS 3000
#define DEF_MAX_ALERTS 256
#define DEF_LATENESS_MS 2000

void
ns_anomaly_params_init(struct ns_anomaly_params *p)
{
	memset(p, 0, sizeof(*p));
	p->syn_rate = NS_ANOMALY_DEF_SYN_RATE;
	p->syn_ratio = NS_ANOMALY_DEF_SYN_RATIO;
	p->syn_window_s = NS_ANOMALY_DEF_SYN_WINDOW_S;
	p->scan_ports = NS_ANOMALY_DEF_SCAN_PORTS;
	p->scan_hosts = NS_ANOMALY_DEF_SCAN_HOSTS;
	p->scan_window_s = NS_ANOMALY_DEF_SCAN_WINDOW_S;
	p->max_sources = NS_ANOMALY_DEF_MAX_SOURCES;
	p->clear_after_s = NS_ANOMALY_DEF_CLEAR_AFTER_S;
	p->shards = 1;
	p->no_answer_ms = DEF_NO_ANSWER_MS;
	p->max_alerts = DEF_MAX_ALERTS;
	p->lateness_ms = DEF_LATENESS_MS;
}

int
params_check(const struct ns_anomaly_params *in, struct ns_anomaly_params *out)
{
	if (in == NULL)
		return -EINVAL;
	*out = *in;
	if (out->shards == 0)
		out->shards = 1;
	if (out->no_answer_ms == 0)
		out->no_answer_ms = DEF_NO_ANSWER_MS;
	if (out->max_alerts == 0)
		out->max_alerts = DEF_MAX_ALERTS;
	if (out->lateness_ms == 0)
		out->lateness_ms = DEF_LATENESS_MS;
	/* The same ranges as the config schema, so a valid config is always accepted. */
	if (!isfinite(out->syn_rate) || out->syn_rate <= 0 || !(out->syn_ratio >= 0) ||
	    out->syn_ratio > 1)
		return -EINVAL;
	if (out->syn_window_s < 1 || out->syn_window_s > 86400 || out->scan_window_s < 1 ||
	    out->scan_window_s > 86400 || out->clear_after_s < 1)
		return -EINVAL;
	if (out->scan_ports < 1 || out->scan_ports > 65535 || out->scan_hosts < 1)
		return -EINVAL;
	if (out->max_sources < 64 || out->max_sources > (1u << 24) || out->shards > 1024 ||
	    out->max_alerts > 65536)
		return -EINVAL;
	return 0;
}

/* ---- names ---- */

static const char *const sig_names[] = { "syn_flood", "port_scan" };
static const char *const state_names[] = { "raised", "update", "cleared" };
static const char *const sev_names[] = { "low", "medium", "high" };
static const char *const role_names[] = { "victim", "attacker", "scanner" };
static const char *const fail_names[] = { "rejected", "unreachable", "no_answer", "half_open" };
static const char *const clear_names[] = { "", "quiet", "end_of_input" };

static const char *const counter_names[] = {
#define NS_X(name, str, help) str,
	NS_ANOMALY_COUNTERS(NS_X)
#undef NS_X
};

static const char *const counter_help[] = {
#define NS_X(name, str, help) help,
	NS_ANOMALY_COUNTERS(NS_X)
#undef NS_X
};

#define NAME_OF(tab, i) ((i) < NS_ARRAY_SIZE(tab) ? (tab)[i] : "unknown")

const char *
ns_anomaly_signature_name(unsigned sig)
{
	return NAME_OF(sig_names, sig);
}

const char *
ns_anomaly_state_name(unsigned state)
{
	return NAME_OF(state_names, state);
}

const char *
ns_anomaly_severity_name(unsigned sev)
{
	return NAME_OF(sev_names, sev);
}

const char *
ns_anomaly_role_name(unsigned role)
{
	return NAME_OF(role_names, role);
}

const char *
ns_anomaly_fail_name(unsigned fail)
{
	return NAME_OF(fail_names, fail);
}

const char *
ns_anomaly_clear_reason_name(unsigned reason)
{
	return NAME_OF(clear_names, reason);
}

const char *
ns_anomaly_counter_name(unsigned idx)
{
	return NAME_OF(counter_names, idx);
}

const char *
ns_anomaly_counter_help(unsigned idx)
{
	return NAME_OF(counter_help, idx);
}

/* ---- terminal line ---- */

struct out {
	char *buf;
	size_t len;
	int n; /* would-be length, snprintf style */
};

static void __attribute__((format(printf, 2, 3))) put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t used = (size_t)o->n < o->len ? (size_t)o->n : o->len;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(o->buf + used, o->len - used, fmt, ap);
	va_end(ap);
	if (r > 0)
		o->n += r;
}

static void
put_endpoints(struct out *o, const struct ns_anomaly_alert *a)
{
	char s[64], d[64];

	if (a->has_src)
		ns_addr_format(&a->src, s, sizeof(s));
	else if (a->signature == NS_ANOMALY_SYN_FLOOD)
		snprintf(s, sizeof(s), "%u sources", a->syn.peers);
	else
		snprintf(s, sizeof(s), "?");
	if (a->has_dst)
		ns_addr_format(&a->dst, d, sizeof(d));
	else if (a->signature == NS_ANOMALY_SYN_FLOOD)
		snprintf(d, sizeof(d), "%u victims", a->syn.peers);
	else
		snprintf(d, sizeof(d), "%u hosts",
			 NS_MAX(a->scan.distinct_hosts, a->scan.peak_hosts));
	put(o, "%s -> %s", s, d);
	if (a->has_port)
		put(o, a->has_dst ? ":%u" : " port %u", a->dst_port);
}

static void
put_fails(struct out *o, const struct ns_anomaly_scan_info *sc)
{
	const char *sep = "";

	put(o, " (");
	for (unsigned i = 0; i < NS_ANOMALY_FAIL_MAX; i++) {
		if (sc->fails[i] == 0)
			continue;
		put(o, "%s%s %llu", sep, ns_anomaly_fail_name(i), (unsigned long long)sc->fails[i]);
		sep = ", ";
	}
	put(o, ")");
}

int
ns_anomaly_alert_format(const struct ns_anomaly_alert *a, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len, .n = 0 };
	double window_s = (double)a->window_ns / 1e9;
	char ts[32];

	if (len > 0)
		buf[0] = '\0';
	ns_time_fmt_hms(a->ts_ns, ts, sizeof(ts));
	put(&o, "%s ALERT %s %s #%llu [%s] ", ts, ns_anomaly_state_name(a->state),
	    ns_anomaly_signature_name(a->signature), (unsigned long long)a->id,
	    ns_anomaly_severity_name(a->severity));
	put_endpoints(&o, a);
	if (a->signature == NS_ANOMALY_SYN_FLOOD) {
		const struct ns_anomaly_syn_info *sy = &a->syn;

		if (a->state == NS_ANOMALY_CLEARED) {
			put(&o, ": lasted %.1f s, %llu SYNs, peak %.1f SYN/s (%s)",
			    (double)(a->ts_ns - a->first_ns) / 1e9,
			    (unsigned long long)sy->total_syns, sy->peak_rate,
			    a->clear_reason == NS_ANOMALY_CLEAR_END ? "input ended" : "quiet");
		} else {
			put(&o,
			    ": %.1f SYN/s over %.0f s, %.1f%% completed (rate > %g/s, "
			    "completion < %g%%)",
			    sy->rate, window_s, sy->ratio * 100.0, sy->thr_rate,
			    sy->thr_ratio * 100.0);
		}
	} else {
		const struct ns_anomaly_scan_info *sc = &a->scan;
		const char *proto = sc->proto == 17 ? "udp" : "tcp";

		if (a->state == NS_ANOMALY_CLEARED) {
			put(&o,
			    ": %s scan lasted %.1f s, peak %u ports on one host, %u hosts on "
			    "one port (%s)",
			    proto, (double)(a->ts_ns - a->first_ns) / 1e9, sc->peak_ports,
			    sc->peak_hosts,
			    a->clear_reason == NS_ANOMALY_CLEAR_END ? "input ended" : "quiet");
		} else {
			put(&o,
			    ": %s %s%s%s scan, %u ports on one host, %u hosts on one port in "
			    "%.0f s",
			    proto, sc->shape & NS_ANOMALY_SCAN_VERTICAL ? "vertical" : "",
			    sc->shape == (NS_ANOMALY_SCAN_VERTICAL | NS_ANOMALY_SCAN_HORIZONTAL)
				    ? "+"
				    : "",
			    sc->shape & NS_ANOMALY_SCAN_HORIZONTAL ? "horizontal" : "", sc->ports,
			    sc->hosts, window_s);
			put_fails(&o, sc);
			put(&o, " (ports >= %u or hosts >= %u)", sc->thr_ports, sc->thr_hosts);
		}
	}
	return o.n;
}
