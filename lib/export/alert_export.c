/* SPDX-License-Identifier: MIT */
/*
 * Anomaly alerts as JSON lines (--export-alerts): one object per raised, update or cleared
 * event, shaped like Suricata's EVE alerts (timestamp, event_type, alert.signature, src_ip,
 * dst_ip) so existing log pipelines take them as they are. Each line is flushed as it is
 * written: alerts are rare and someone may be tailing the file. Keys are part of the
 * interface (docs/anomaly-detection.md): they are only ever added, never renamed.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ns_anomaly.h"
#include "ns_core.h"
#include "ns_export.h"

struct ns_alert_writer {
	int fd;
	bool own; /* close on close (not standard output) */
	uint64_t written;
	uint64_t errors;
};

static void
add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static void
add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* Rates and ratios with at most four decimals ("1000.0", "0.25"), not %.17g noise. */
static void
add_double(struct json_object *o, const char *key, double v)
{
	char s[64];
	size_t n;

	snprintf(s, sizeof(s), "%.4f", v);
	n = strlen(s);
	while (n > 2 && s[n - 1] == '0' && s[n - 2] != '.')
		s[--n] = '\0';
	json_object_object_add(o, key, json_object_new_double_s(v, s));
}

static void
add_addr(struct json_object *o, const char *key, const struct ns_addr *a)
{
	char s[64];

	add_str(o, key, ns_addr_format(a, s, sizeof(s)));
}

static void
add_time(struct json_object *o, const char *key, uint64_t ts_ns)
{
	char s[40];

	add_str(o, key, ns_time_fmt_rfc3339(ts_ns, s, sizeof(s)));
}

static struct json_object *
top_list(const struct ns_anomaly_top *t, unsigned n, bool ports, const char *count_key)
{
	struct json_object *arr = json_object_new_array();

	for (unsigned i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();

		if (ports)
			add_u64(e, "port", t[i].port);
		else
			add_addr(e, "ip", &t[i].addr);
		add_u64(e, count_key, t[i].count);
		json_object_array_add(arr, e);
	}
	return arr;
}

static void
syn_details(struct json_object *d, const struct ns_anomaly_alert *a)
{
	const struct ns_anomaly_syn_info *s = &a->syn;
	bool victim = a->role == NS_ANOMALY_ROLE_VICTIM;
	struct json_object *thr = json_object_new_object();

	add_double(d, "syn_rate", s->rate);
	add_double(d, "peak_syn_rate", s->peak_rate);
	add_double(d, "completion_ratio", s->ratio);
	add_u64(d, "window_syns", s->window_syns);
	add_u64(d, "window_completed", s->window_done);
	add_u64(d, "total_syns", s->total_syns);
	add_u64(d, "total_completed", s->total_done);
	add_u64(d, victim ? "sources" : "victims", s->peers);
	add_u64(d, "ports", s->ports);
	json_object_object_add(d, victim ? "top_sources" : "top_victims",
			       top_list(s->top_peers, s->n_top_peers, false, "syns"));
	json_object_object_add(d, "top_ports",
			       top_list(s->top_ports, s->n_top_ports, true, "syns"));
	add_double(thr, "rate", s->thr_rate);
	add_double(thr, "ratio", s->thr_ratio);
	add_u64(thr, "window_s", a->window_ns / NS_NSEC_PER_SEC);
	json_object_object_add(d, "thresholds", thr);
}

static void
scan_details(struct json_object *d, const struct ns_anomaly_alert *a)
{
	const struct ns_anomaly_scan_info *s = &a->scan;
	struct json_object *fails = json_object_new_object();
	struct json_object *thr = json_object_new_object();
	struct json_object *ports = json_object_new_array();
	struct json_object *hosts = json_object_new_array();
	static const char *const shapes[] = { "none", "vertical", "horizontal",
					      "vertical+horizontal" };

	add_str(d, "protocol", s->proto == 17 ? "udp" : "tcp");
	add_str(d, "scan_type", shapes[s->shape & 3]);
	add_u64(d, "ports", s->ports);
	add_u64(d, "hosts", s->hosts);
	add_u64(d, "peak_ports", s->peak_ports);
	add_u64(d, "peak_hosts", s->peak_hosts);
	add_u64(d, "probes", s->probes);
	add_u64(d, "distinct_ports", s->distinct_ports);
	add_u64(d, "distinct_hosts", s->distinct_hosts);
	add_double(d, "probe_rate", s->probe_rate);
	for (unsigned i = 0; i < NS_ANOMALY_FAIL_MAX; i++)
		add_u64(fails, ns_anomaly_fail_name(i), s->fails[i]);
	json_object_object_add(d, "failures", fails);
	for (unsigned i = 0; i < s->n_sample_ports; i++)
		json_object_array_add(ports, json_object_new_uint64(s->sample_ports[i]));
	json_object_object_add(d, "ports_sample", ports);
	add_u64(d, "top_port", s->top_port);
	for (unsigned i = 0; i < s->n_sample_hosts; i++) {
		char buf[64];

		ns_addr_format(&s->sample_hosts[i], buf, sizeof(buf));
		json_object_array_add(hosts, json_object_new_string(buf));
	}
	json_object_object_add(d, "hosts_sample", hosts);
	add_u64(thr, "ports", s->thr_ports);
	add_u64(thr, "hosts", s->thr_hosts);
	add_u64(thr, "window_s", a->window_ns / NS_NSEC_PER_SEC);
	json_object_object_add(d, "thresholds", thr);
}

static struct json_object *
alert_object(const struct ns_anomaly_alert *a)
{
	struct json_object *root = json_object_new_object();
	struct json_object *al = json_object_new_object();
	struct json_object *d = json_object_new_object();

	add_time(root, "timestamp", a->ts_ns);
	add_str(root, "event_type", "alert");
	add_str(al, "signature", ns_anomaly_signature_name(a->signature));
	add_str(al, "state", ns_anomaly_state_name(a->state));
	add_u64(al, "id", a->id);
	add_str(al, "key", ns_anomaly_role_name(a->role));
	json_object_object_add(root, "alert", al);
	add_str(root, "severity", ns_anomaly_severity_name(a->severity));
	if (a->has_src)
		add_addr(root, "src_ip", &a->src);
	if (a->has_dst)
		add_addr(root, "dst_ip", &a->dst);
	if (a->has_port)
		add_u64(root, "dst_port", a->dst_port);
	add_str(root, "proto",
		a->signature == NS_ANOMALY_PORT_SCAN && a->scan.proto == 17 ? "udp" : "tcp");
	add_u64(d, "window_s", a->window_ns / NS_NSEC_PER_SEC);
	if (a->signature == NS_ANOMALY_SYN_FLOOD)
		syn_details(d, a);
	else
		scan_details(d, a);
	add_time(d, "first_seen", a->first_ns);
	add_time(d, "last_active", a->last_active_ns);
	add_double(d, "duration_s", (double)(a->ts_ns - a->first_ns) / 1e9);
	add_u64(d, "updates", a->updates);
	if (a->state == NS_ANOMALY_CLEARED)
		add_str(d, "clear_reason", ns_anomaly_clear_reason_name(a->clear_reason));
	json_object_object_add(root, "details", d);
	return root;
}

int
ns_export_alert_json(const struct ns_anomaly_alert *a, char *buf, size_t len)
{
	struct json_object *o = alert_object(a);
	int n;

	if (o == NULL)
		return -ENOMEM;
	n = snprintf(buf, len, "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return n;
}

struct ns_alert_writer *
ns_alert_writer_open(const char *path)
{
	struct ns_alert_writer *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	if (strcmp(path, "-") == 0) {
		w->fd = STDOUT_FILENO; /* written through stdio, as the rest of stdout is */
		return w;
	}
	/* Appended, as an EVE log is: a restarted capture adds to the history. */
	w->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		int err = errno;

		free(w);
		errno = err;
		return NULL;
	}
	w->own = true;
	return w;
}

/* Write all of @len bytes; returns 0 or -errno. */
static int
write_all(int fd, const char *s, size_t len)
{
	while (len != 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Each line goes out to a file in write() calls of its own, no stdio buffer in between. When
 * one fails part way (a full disk), the file is cut back to where the line began: what reached
 * it would otherwise run into the next line and spoil both. Standard output cannot be cut.
 */
int
ns_alert_writer_write(struct ns_alert_writer *w, const struct ns_anomaly_alert *a)
{
	struct json_object *o = alert_object(a);
	struct stat st;
	const char *js;
	char *line;
	size_t len;
	off_t at = -1;
	int rc;

	if (o == NULL) {
		w->errors++;
		return -ENOMEM;
	}
	js = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	line = js != NULL ? malloc(len + 1) : NULL;
	if (line == NULL) {
		json_object_put(o);
		w->errors++;
		return -ENOMEM;
	}
	memcpy(line, js, len);
	line[len++] = '\n';
	json_object_put(o);
	if (w->own && fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode))
		at = st.st_size; /* O_APPEND: the line starts at the end */
	if (w->own) {
		rc = write_all(w->fd, line, len);
	} else {
		rc = fwrite(line, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -EIO;
		clearerr(stdout);
	}
	free(line);
	if (rc < 0) {
		if (at >= 0 && ftruncate(w->fd, at) != 0)
			NS_LOG(WARNING, "export", "alert log: a part line could not be cut: %s",
			       strerror(errno));
		w->errors++;
		return rc;
	}
	w->written++;
	return 0;
}

uint64_t
ns_alert_writer_written(const struct ns_alert_writer *w)
{
	return w->written;
}

uint64_t
ns_alert_writer_errors(const struct ns_alert_writer *w)
{
	return w->errors;
}

int
ns_alert_writer_close(struct ns_alert_writer *w)
{
	int rc = 0;

	if (w == NULL)
		return 0;
	if (w->own && close(w->fd) != 0)
		rc = -errno;
	free(w);
	return rc;
}
