/* SPDX-License-Identifier: MIT */
/*
 * DPDK EAL for the capture backend: turning dpdk.eal_args / --dpdk-args into an argv (shell-like
 * word splitting plus the defaults we add), bringing EAL up once per process, and shutting it
 * down so that nothing stays behind in /dev/hugepages or /var/run/dpdk. DPDK's log goes through
 * a stream we own: to stderr (DPDK 22.11 writes to stdout by default, which would corrupt
 * `-w -` and `--summary-json -`), remembering the last line so errors can quote EAL's reason.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "capture_priv.h"
#include "ns_core.h"

/* Room EAL, ethdev and the per-queue bounce buffers take besides the pools. */
#define EAL_BASE_MB 64
/*
 * One mbuf in a pool: struct rte_mbuf (128) and the mempool object header (64) besides its data
 * room (dpdk.mbuf_size, RTE_MBUF_DEFAULT_BUF_SIZE = 2176 by default: 2368 bytes in all). On 4 KB
 * pages a pktmbuf object may not straddle a page (its buffer must be IOVA-contiguous), so a
 * page holds 4096 / footprint whole objects: one page each by default, measured 270 MB for
 * 65535 mbufs with --no-huge.
 */
#define EAL_MBUF_OVERHEAD 192
#define EAL_PAGE_4K 4096

static int
word_add(struct eal_argv *a, const char *w, size_t len, char *err, size_t errlen)
{
	if (a->argc >= EAL_ARGS_MAX) {
		snprintf(err, errlen, "more than %d EAL arguments", EAL_ARGS_MAX);
		return -E2BIG;
	}
	a->argv[a->argc] = strndup(w, len);
	if (a->argv[a->argc] == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	a->argv[++a->argc] = NULL;
	return 0;
}

static bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

int
eal_args_split(const char *s, struct eal_argv *a, char *err, size_t errlen)
{
	size_t cap = s != NULL ? strlen(s) + 1 : 1;
	char *word = malloc(cap);
	int rc = 0;

	if (word == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while (s != NULL && *s != '\0') {
		size_t len = 0;
		bool in_word = false; /* '' and "" make an empty word */

		while (is_blank(*s))
			s++;
		while (*s != '\0' && !is_blank(*s)) {
			in_word = true;
			if (*s == '\'') {
				const char *end = strchr(s + 1, '\'');

				if (end == NULL) {
					snprintf(err, errlen, "unterminated ' in EAL arguments");
					rc = -EINVAL;
					goto out;
				}
				memcpy(word + len, s + 1, (size_t)(end - s - 1));
				len += (size_t)(end - s - 1);
				s = end + 1;
			} else if (*s == '"') {
				for (s++; *s != '"'; s++) {
					if (*s == '\0') {
						snprintf(err, errlen,
							 "unterminated \" in EAL arguments");
						rc = -EINVAL;
						goto out;
					}
					if (*s == '\\' && s[1] != '\0' &&
					    strchr("\"\\$`", s[1]) != NULL)
						s++;
					word[len++] = *s;
				}
				s++;
			} else if (*s == '\\') {
				if (s[1] == '\0') {
					snprintf(err, errlen, "EAL arguments end with a backslash");
					rc = -EINVAL;
					goto out;
				}
				word[len++] = s[1];
				s += 2;
			} else {
				word[len++] = *s++;
			}
		}
		if (in_word) {
			rc = word_add(a, word, len, err, errlen);
			if (rc < 0)
				goto out;
		}
	}
out:
	free(word);
	return rc;
}

bool
eal_args_has(const struct eal_argv *a, const char *opt)
{
	size_t n = strlen(opt);
	bool is_short = n == 2 && opt[0] == '-' && opt[1] != '-';

	for (int i = 0; i < a->argc; i++) {
		const char *w = a->argv[i];

		if (strncmp(w, opt, n) != 0)
			continue;
		/* "--opt", "--opt=V"; short options also glue the value on: "-m512" */
		if (w[n] == '\0' || (!is_short && w[n] == '=') || is_short)
			return true;
	}
	return false;
}

const char *
eal_args_vdev(const struct eal_argv *a, const char *name)
{
	static const char opt[] = "--vdev";
	size_t n = strlen(name);

	for (int i = 0; i < a->argc; i++) {
		const char *w = a->argv[i], *v;

		if (strncmp(w, opt, sizeof(opt) - 1) != 0)
			continue;
		if (w[sizeof(opt) - 1] == '=')
			v = w + sizeof(opt);
		else if (w[sizeof(opt) - 1] == '\0' && i + 1 < a->argc)
			v = a->argv[++i];
		else
			continue;
		if (strncmp(v, name, n) == 0 && (v[n] == '\0' || v[n] == ','))
			return v;
	}
	return NULL;
}

void
eal_argv_free(struct eal_argv *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
	a->argc = 0;
	a->argv[0] = NULL;
}

static int __attribute__((format(printf, 4, 5)))
add_fmt(struct eal_argv *a, char *err, size_t errlen, const char *fmt, ...)
{
	char w[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w, sizeof(w), fmt, ap);
	va_end(ap);
	return word_add(a, w, strlen(w), err, errlen);
}

/*
 * The rules (docs/pipeline.md, "EAL arguments"):
 * 1. argv[0] "netscope", then --log-level from netscope's level, then the user's words (a user
 *    --log-level comes later and wins).
 * 2. --file-prefix=netscope-<pid> unless the user gave one: parallel runs never collide.
 * 3. Memory, unless the user chose it (--no-huge, --in-memory, --huge-unlink, --huge-dir,
 *    --legacy-mem, --proc-type): --in-memory when free hugepages cover what the pools need
 *    (fast, and nothing stays in /dev/hugepages or /var/run/dpdk), else --no-huge --no-shconf
 *    -m <need> (works anywhere, ~4x slower). A user --no-huge also gets --no-shconf (no
 *    secondary process can attach to a --no-huge primary anyway, and without it EAL leaves
 *    its config files behind) and -m <need> unless -m/--socket-mem was given (EAL's 64 MB
 *    default does not hold the default pool).
 */
int
eal_args_build(const char *user, struct eal_env *env, struct eal_argv *out, char *err,
	       size_t errlen)
{
	static const char *const memory_opts[] = {
		"--no-huge",  "--in-memory",  "--huge-unlink",
		"--huge-dir", "--legacy-mem", "--proc-type",
	};
	struct eal_argv u = { 0 };
	bool user_memory = false;
	int rc;

	out->argc = 0;
	out->argv[0] = NULL;
	rc = eal_args_split(user, &u, err, errlen);
	if (rc < 0)
		goto done;
	rc = add_fmt(out, err, errlen, "netscope");
	if (rc == 0)
		rc = add_fmt(out, err, errlen, "--log-level=%d", env->log_level);
	for (int i = 0; rc == 0 && i < u.argc; i++)
		rc = word_add(out, u.argv[i], strlen(u.argv[i]), err, errlen);
	if (rc == 0 && !eal_args_has(&u, "--file-prefix"))
		rc = add_fmt(out, err, errlen, "--file-prefix=netscope-%ld", env->pid);
	for (size_t i = 0; i < NS_ARRAY_SIZE(memory_opts); i++)
		user_memory |= eal_args_has(&u, memory_opts[i]);
	if (rc < 0)
		goto done;
	if (user_memory) {
		env->memory = "as given in the EAL arguments";
		if (eal_args_has(&u, "--no-huge")) {
			if (!eal_args_has(&u, "--no-shconf") && !eal_args_has(&u, "--proc-type"))
				rc = add_fmt(out, err, errlen, "--no-shconf");
			if (rc == 0 && !eal_args_has(&u, "-m") && !eal_args_has(&u, "--socket-mem"))
				rc = add_fmt(out, err, errlen, "-m%llu",
					     (unsigned long long)env->mem_need_4k_mb);
		}
	} else if (env->huge_free_mb >= env->mem_need_mb) {
		env->memory = "hugepages, --in-memory";
		rc = add_fmt(out, err, errlen, "--in-memory");
	} else {
		env->memory = "4 KB pages (not enough free hugepages; see docs/pipeline.md)";
		rc = add_fmt(out, err, errlen, "--no-huge");
		if (rc == 0)
			rc = add_fmt(out, err, errlen, "--no-shconf");
		if (rc == 0 && !eal_args_has(&u, "-m") && !eal_args_has(&u, "--socket-mem"))
			rc = add_fmt(out, err, errlen, "-m%llu",
				     (unsigned long long)env->mem_need_4k_mb);
	}
done:
	eal_argv_free(&u);
	return rc;
}

uint64_t
eal_hugepages_free_mb(const char *sysfs)
{
	DIR *dir = opendir(sysfs);
	struct dirent *e;
	uint64_t kb = 0;

	if (dir == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL) {
		unsigned long long size_kb, nfree;
		char path[512];
		FILE *f;

		if (sscanf(e->d_name, "hugepages-%llukB", &size_kb) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s/free_hugepages", sysfs, e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fscanf(f, "%llu", &nfree) == 1)
			kb += size_kb * nfree;
		fclose(f);
	}
	closedir(dir);
	return kb / 1024;
}

uint64_t
eal_mem_need_mb(unsigned queues, uint32_t mbufs, uint32_t mbuf_size, bool small_pages)
{
	uint64_t obj = EAL_MBUF_OVERHEAD + (uint64_t)mbuf_size, bytes;

	if (small_pages && obj <= EAL_PAGE_4K) {
		uint64_t per_page = EAL_PAGE_4K / obj;

		bytes = (uint64_t)queues * ((mbufs + per_page - 1) / per_page) * EAL_PAGE_4K;
	} else if (small_pages) {
		bytes = (uint64_t)queues * mbufs * ((obj + EAL_PAGE_4K - 1) / EAL_PAGE_4K) *
			EAL_PAGE_4K;
	} else {
		bytes = (uint64_t)queues * mbufs * obj;
	}
	return EAL_BASE_MB + (bytes + (1u << 20) - 1) / (1u << 20);
}

/* ---- EAL lifetime ---- */

enum eal_state {
	EAL_DOWN = 0,
	EAL_UP,
	EAL_FAILED,
	EAL_DONE, /* cleaned up: DPDK cannot start again in this process */
};

static struct {
	enum eal_state state;
	unsigned users;
	int failure; /* -errno of a failed init */
	struct eal_argv argv; /* kept while EAL runs: it may point into it */
	char reason[NS_CAPTURE_ERRBUF];
	char runtime_dir[512];
	FILE *log;
	/* the thread running rte_eal_init(): the only one whose lines are remembered */
	pthread_t init_thread;
	bool init_running;
	char last_line[256]; /* DPDK's last log line during init, for error messages */
	size_t line_len;
	char line[256];
} eal;

/*
 * DPDK log lines go to stderr; during rte_eal_init() the init thread's last complete line is
 * kept for the error message (other threads only print: no shared state).
 */
static ssize_t
log_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	fwrite(buf, 1, size, stderr);
	if (!eal.init_running || !pthread_equal(pthread_self(), eal.init_thread))
		return (ssize_t)size;
	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n') {
			if (eal.line_len > 0) {
				memcpy(eal.last_line, eal.line, eal.line_len);
				eal.last_line[eal.line_len] = '\0';
			}
			eal.line_len = 0;
		} else if (eal.line_len + 1 < sizeof(eal.line)) {
			eal.line[eal.line_len++] = buf[i];
		}
	}
	return (ssize_t)size;
}

static int
log_stream_open(void)
{
	static const cookie_io_functions_t io = { .write = log_write };

	if (eal.log == NULL) {
		eal.log = fopencookie(NULL, "w", io);
		if (eal.log == NULL)
			return -errno;
		setvbuf(eal.log, NULL, _IOLBF, 0);
	}
	return rte_openlog_stream(eal.log);
}

static int
dpdk_log_level(void)
{
	/* netscope's notice is DPDK's warning: EAL says a lot at notice/info on every start. */
	static const int map[] = {
		[NS_LOG_ERR] = RTE_LOG_ERR,        [NS_LOG_WARNING] = RTE_LOG_WARNING,
		[NS_LOG_NOTICE] = RTE_LOG_WARNING, [NS_LOG_INFO] = RTE_LOG_INFO,
		[NS_LOG_DEBUG] = RTE_LOG_DEBUG,
	};
	enum ns_log_level l = ns_log_get_level();

	return (unsigned)l < NS_ARRAY_SIZE(map) ? map[l] : (int)RTE_LOG_WARNING;
}

static void
join_args(const struct eal_argv *a, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 1; i < a->argc && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i > 1 ? " " : "", a->argv[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/*
 * EAL leaves its runtime directory behind, empty when it ran --in-memory or --no-shconf except
 * for the telemetry sockets, which telemetry unlinks only from an atexit() handler. Remove those
 * and the directory; any other file means the user asked for shared config, so it stays.
 */
static void
runtime_dir_remove(const char *dir)
{
	DIR *d;
	struct dirent *e;

	if (dir == NULL || dir[0] == '\0')
		return;
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[768];

		if (strncmp(e->d_name, "dpdk_telemetry.", 15) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	if (rmdir(dir) != 0 && errno != ENOENT)
		NS_LOG(INFO, "capture", "DPDK runtime directory %s kept: %s", dir, strerror(errno));
}

static int
eal_start(const char *user, unsigned queues, uint32_t mbufs, uint32_t mbuf_size, char *errbuf)
{
	struct eal_env env = {
		.log_level = dpdk_log_level(),
		.mem_need_mb = eal_mem_need_mb(queues, mbufs, mbuf_size, false),
		.mem_need_4k_mb = eal_mem_need_mb(queues, mbufs, mbuf_size, true),
		.huge_free_mb = eal_hugepages_free_mb("/sys/kernel/mm/hugepages"),
		.pid = (long)getpid(),
	};
	char err[256] = "", joined[384];
	char *argv[EAL_ARGS_MAX + 1];
	int rc, saved_stdout;

	rc = eal_args_build(user, &env, &eal.argv, err, sizeof(err));
	if (rc < 0) {
		capture_errf(errbuf, "bad DPDK EAL arguments: %s", err);
		eal_argv_free(&eal.argv);
		return rc; /* nothing started: a later open may retry with other arguments */
	}
	join_args(&eal.argv, joined, sizeof(joined));
	NS_LOG(INFO, "capture", "starting DPDK EAL: %s", joined);
	NS_LOG(INFO, "capture", "DPDK memory: %s", env.memory);
	rc = log_stream_open();
	if (rc < 0)
		NS_LOG(WARNING, "capture", "DPDK log stays on stdout: %s", strerror(-rc));
	/* EAL permutes its argv: give it a copy of the pointers, keep the strings. */
	memcpy(argv, eal.argv.argv, sizeof(argv));
	/* EAL prints its usage (bad arguments) with printf: keep it off our stdout */
	fflush(stdout);
	saved_stdout = dup(STDOUT_FILENO);
	if (saved_stdout >= 0)
		dup2(STDERR_FILENO, STDOUT_FILENO);
	eal.init_thread = pthread_self();
	eal.init_running = true;
	rc = rte_eal_init(eal.argv.argc, argv);
	fflush(eal.log);
	eal.init_running = false;
	if (saved_stdout >= 0) {
		fflush(stdout);
		dup2(saved_stdout, STDOUT_FILENO);
		close(saved_stdout);
	}
	if (rc < 0) {
		int e = rte_errno != 0 ? rte_errno : ENODEV;

		eal.state = EAL_FAILED;
		eal.failure = -e;
		capture_errf(eal.reason, "DPDK EAL did not start: %s%s(%s; EAL arguments: %s)",
			     eal.last_line, eal.last_line[0] != '\0' ? " " : "", rte_strerror(e),
			     joined);
		capture_errf(errbuf, "%s", eal.reason);
		/* EAL may have made its runtime directory before failing; it is empty then */
		runtime_dir_remove(rte_eal_get_runtime_dir());
		return eal.failure;
	}
	snprintf(eal.runtime_dir, sizeof(eal.runtime_dir), "%s", rte_eal_get_runtime_dir());
	eal.state = EAL_UP;
	NS_LOG(INFO, "capture", "DPDK EAL up, memory: %s, runtime dir %s", env.memory,
	       eal.runtime_dir);
	return 0;
}

int
eal_acquire(const char *user, unsigned queues, uint32_t mbufs, uint32_t mbuf_size,
	    char *errbuf)
{
	int rc;

	switch (eal.state) {
	case EAL_UP:
		if (user != NULL && user[0] != '\0')
			NS_LOG(INFO, "capture", "DPDK EAL already runs; EAL arguments '%s' ignored",
			       user);
		eal.users++;
		return 0;
	case EAL_FAILED:
		capture_errf(errbuf, "%s", eal.reason);
		return eal.failure;
	case EAL_DONE:
		capture_errf(errbuf, "DPDK EAL was shut down in this process and cannot start "
				     "again");
		return -ENOTSUP;
	default:
		rc = eal_start(user, queues, mbufs, mbuf_size, errbuf);
		if (rc == 0)
			eal.users = 1;
		return rc;
	}
}

void
eal_release(void)
{
	if (eal.state != EAL_UP || eal.users == 0 || --eal.users > 0)
		return;
	rte_eal_cleanup();
	eal.state = EAL_DONE;
	runtime_dir_remove(eal.runtime_dir);
	eal_argv_free(&eal.argv);
}
