/*
 * nslife-probe: runs an nslife scenario on the real kernel and prints a JSONL trace
 * (format: src/trace/format.ts).
 *
 * Processes:
 *   coordinator  root in the initial user ns (when run as root). Private mount ns, its own
 *                tracefs instance; drives the steps, tests references with nsfs file handles.
 *   sandbox      unshare(CLONE_NEWUSER|CLONE_NEWNS); child subreaper; forks the tasks.
 *   task i       one per scenario task; executes commands sent by the coordinator.
 *
 * Observation must not change what is observed: once the run starts nothing here mounts procfs
 * or creates /proc entries (proc_alloc_inum is one global lowest-free IDA shared with the
 * namespace inode numbers, fs/proc/generic.c) and the coordinator creates no namespace.
 *
 * The walk of /proc/self/net that goes with every net observation (proc_net_walk) only reads
 * existing entries: readdir and stat allocate no proc inode number, and the inodes it
 * instantiates are dropped at the last dput (the dentries below /proc/<pid>/net are never
 * cached: fs/proc/proc_net.c, always_delete_dentry), so it pins no entry of a dying netns.
 *
 * Input: a line protocol on stdin (see parse_input); written by src/probe/input.ts.
 *
 * Output: the trace is written as it is learnt, one record per line, each line written (and so
 * flushed: no stdio buffering) as soon as it is known: the header once the sandbox runs and its
 * namespaces are observed, each step right after it ran, the kernel events (read from tracefs
 * at the end) after the steps, then the end record. What is learnt after the header (a failing
 * observation, a trace read error) goes into the end record's `notes`. With -o FILE the lines go
 * to FILE.tmp-<pid>, renamed to FILE once the end record is written, also after SIGINT, SIGTERM,
 * SIGHUP, a watchdog or an internal error (the end record then says complete: false). A probe
 * killed with SIGKILL leaves FILE.tmp-<pid> behind: whole lines, header first, no end record,
 * i.e. an incomplete trace that parses; nothing renames or removes it.
 *
 * Exit status: 0 trace complete (or scenario refused, see header.refused); 1 trace incomplete
 * (signal, watchdog, a task died); 2 bad usage or input, or the probe lock was not obtained.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOOL "nslife-probe 0.1.0"
#define LOCK_PATH "/tmp/nslife-probe.lock"
#define LOCK_WAIT_MS 60000

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
/* include/uapi/linux/nsfs.h [6.18]; the installed headers may predate it. */
#define NS_GET_ID _IOR(0xb7, 13, uint64_t)
/* include/uapi/linux/fcntl.h [6.18]: dirfd for decoding nsfs file handles. */
#define FD_NSFS_ROOT (-10003)
/* include/uapi/asm-generic/unistd.h [6.19+]: listns(2). */
#define SYS_LISTNS 470

#define MAX_HANDLE 128
#define MAX_INPUT_BYTES (16u << 20)
#define MAX_TASKS 128
#define MAX_STEPS 100000
#define MAX_NAME 128
#define MAX_MISSING 32
#define MAX_NOTES 32
/* /proc/self/net walk bounds: entries stat'ed, directory depth, runs sent back (a fresh netns
 * on 6.18 has 64 entries in 1 run). */
#define PROC_MAX_ENTRIES 65536
#define PROC_MAX_DEPTH 8
#define PROC_MAX_RUNS 512
#define POLL_SLICE_MS 100
#define NS_PER_MS ((int64_t)1000000)

/* Order of model/nsType.ts NS_TYPES. */
enum { NT_USER, NT_PID, NT_NET, NT_MNT, NT_UTS, NT_IPC, NT_CGROUP, NT_TIME, NT_COUNT };
static const char *const ns_name[NT_COUNT] = {"user", "pid", "net", "mnt", "uts", "ipc", "cgroup", "time"};
static const int ns_flag[NT_COUNT] = {CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWNS,
                                      CLONE_NEWUTS,  CLONE_NEWIPC, CLONE_NEWCGROUP, CLONE_NEWTIME};

/* Work functions whose workqueue events are traced (section 3 of KERNEL-RULES.md). */
#define NFN 4
static const char *const reaper_fn[NFN] = {"cleanup_net", "free_user_ns", "destroy_pid_namespace_work", "free_ipc"};

/* ---------------------------------------------------------------------------------------- */
/* small utilities */

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *errno_name(int e)
{
	static char other[24];
#define E(x) case x: return #x;
	switch (e) {
	E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(EBADF) E(ECHILD) E(EAGAIN)
	E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR)
	E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK)
	E(EPIPE) E(ERANGE) E(EDEADLK) E(ENAMETOOLONG) E(ENOLCK) E(ENOSYS) E(ENOTEMPTY) E(ELOOP)
	E(EUSERS) E(EOPNOTSUPP) E(ESTALE) E(EOVERFLOW) E(EDQUOT) E(ETIMEDOUT) E(ECANCELED)
	E(EBADMSG) E(ENOTSOCK) E(EPROTONOSUPPORT) E(EAFNOSUPPORT) E(ENOTCONN) E(ECONNREFUSED)
	E(ENOKEY) E(EKEYREJECTED) E(EOWNERDEAD)
	}
#undef E
	snprintf(other, sizeof other, "E%d", e);
	return other;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Growable string; every record of the trace is built in one. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_grow(struct sbuf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		die("out of memory (trace buffer of %zu bytes)", cap);
	b->p = p;
	b->cap = cap;
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void sb_json_str(struct sbuf *b, const char *s)
{
	sb_printf(b, "\"");
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			sb_printf(b, "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			sb_printf(b, "\\u%04x", *c);
		else
			sb_printf(b, "%c", *c);
	}
	sb_printf(b, "\"");
}

/* ---------------------------------------------------------------------------------------- */
/* global state (the signal handlers and the exit path need it) */

static volatile sig_atomic_t stop_signal; /* SIGINT/SIGTERM/SIGHUP received */
static pid_t coordinator_pid;
static pid_t sandbox_pid = -1;
static char tracefs_dir[64];          /* mount point of our private tracefs, "" if none */
static int tracefs_mounted;
static char instance_dir[192];        /* our tracefs instance, "" if none */
static char out_tmp[PATH_MAX];        /* temporary output file, "" if none */
static int proc_net_on = 1;           /* 0 with --no-proc-net; read by the tasks too */

static void end_started_trace(void);

static void cleanup(void)
{
	if (getpid() != coordinator_pid)
		return;
	if (sandbox_pid > 0) {
		kill(sandbox_pid, SIGKILL);
		waitpid(sandbox_pid, NULL, 0);
		sandbox_pid = -1;
	}
	end_started_trace(); /* an internal error after the header: end it as incomplete, rename */
	if (instance_dir[0]) {
		rmdir(instance_dir);
		instance_dir[0] = 0;
	}
	if (tracefs_mounted) {
		umount2(tracefs_dir, MNT_DETACH);
		tracefs_mounted = 0;
	}
	if (tracefs_dir[0]) {
		rmdir(tracefs_dir);
		tracefs_dir[0] = 0;
	}
	if (out_tmp[0]) {
		unlink(out_tmp);
		out_tmp[0] = 0;
	}
}

static char fail_reason[512]; /* the message of die(), for the end record of a started trace */

/* One line on stderr, then exit: 1 for internal failures (die), 2 for bad usage or input. */
static void vfail(int status, const char *fmt, va_list ap) __attribute__((noreturn));
static void vfail(int status, const char *fmt, va_list ap)
{
	vsnprintf(fail_reason, sizeof fail_reason, fmt, ap);
	fprintf(stderr, "nslife-probe: %s\n", fail_reason);
	exit(status);
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(1, fmt, ap);
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(2, fmt, ap);
}

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static const char *out_path_final;    /* -o FILE, for the backstop's rename */
static volatile sig_atomic_t header_written;

/* Last-resort watchdog: the normal paths all poll with bounded timeouts, so this fires only
 * if the coordinator itself is stuck (e.g. blocked writing to a full stdout pipe). Only
 * async-signal-safe calls. A started trace is kept as it is (whole lines, no end record: an
 * incomplete trace; parseTrace also reads a last line cut in the middle). */
static void on_backstop_alarm(int sig)
{
	(void)sig;
	static const char none[] = "nslife-probe: hard watchdog fired; killed the sandbox, no trace written\n";
	static const char kept[] = "nslife-probe: hard watchdog fired; killed the sandbox, trace left incomplete\n";
	int keep = header_written && (!out_tmp[0] || (out_path_final && rename(out_tmp, out_path_final) == 0));
	if (keep)
		out_tmp[0] = 0;
	if (sandbox_pid > 0)
		kill(sandbox_pid, SIGKILL);
	if (instance_dir[0])
		rmdir(instance_dir);
	if (tracefs_mounted)
		umount2(tracefs_dir, MNT_DETACH);
	if (tracefs_dir[0])
		rmdir(tracefs_dir);
	if (out_tmp[0])
		unlink(out_tmp);
	ssize_t w = keep ? write(2, kept, sizeof kept - 1) : write(2, none, sizeof none - 1);
	(void)w;
	_exit(1);
}

/* ---------------------------------------------------------------------------------------- */
/* input */

enum op { OP_UNSHARE, OP_READ, OP_SLEEP };

struct step {
	long index, line;
	int task; /* -1 for sleep */
	enum op op;
	int ntypes;
	int types[NT_COUNT];
	int64_t sleep_ns;
};

static char *meta_json;
static int ntasks;
static char *task_name[MAX_TASKS];
static struct step *steps;
static int nsteps;

/* Minimal JSON syntax check so that `meta` can be copied verbatim into the header. */
static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = (unsigned char)*p++;
		if (c == '"')
			return p;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			c = (unsigned char)*p++;
			if (c == 'u') {
				for (int i = 0; i < 4; i++, p++)
					if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
						return NULL;
			} else if (!strchr("\"\\/bfnrt", c) || c == 0) {
				return NULL;
			}
		}
	}
}

static const char *json_digits(const char *p)
{
	if (*p < '0' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

static const char *json_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (!(p = json_digits(p)))
		return NULL;
	if (*p == '.' && !(p = json_digits(p + 1)))
		return NULL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(p = json_digits(p)))
			return NULL;
	}
	return p;
}

static const char *json_container(const char *p, int depth, char close, int keyed)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keyed) {
			if (!(p = json_string(p)))
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if (!(p = json_value(json_ws(p), depth + 1)))
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = json_ws(p);
	}
}

static const char *json_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	switch (*p) {
	case '{': return json_container(p, depth, '}', 1);
	case '[': return json_container(p, depth, ']', 0);
	case '"': return json_string(p);
	case 't': return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f': return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n': return strncmp(p, "null", 4) ? NULL : p + 4;
	default: return json_number(p);
	}
}

static void input_error(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void input_error(int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "nslife-probe: <stdin>:%d: expected ", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* Strict unsigned decimal that fits in int64. */
static int parse_u64(const char *s, int64_t *out)
{
	int64_t v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

static int ns_type_of(const char *s)
{
	for (int i = 0; i < NT_COUNT; i++)
		if (!strcmp(s, ns_name[i]))
			return i;
	return -1;
}

/* Splits `line` in place into at most `max` space-separated words; returns the count, or
 * max + 1 when there are more. */
static int split_words(char *line, char **w, int max)
{
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (n == max)
			return max + 1;
		w[n++] = t;
	}
	return n;
}


static void parse_types(int ln, char *list, struct step *st)
{
	char *save = NULL;
	size_t len = strlen(list);
	st->ntypes = 0;
	if (!len || list[0] == ',' || list[len - 1] == ',' || strstr(list, ",,"))
		input_error(ln, "a comma-separated list of namespace types (user,net,...), got \"%s\"", list);
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int ty = ns_type_of(t);
		if (ty < 0)
			input_error(ln, "a namespace type (user, pid, net, mnt, uts, ipc, cgroup, time), got \"%s\"", t);
		for (int i = 0; i < st->ntypes; i++)
			if (st->types[i] == ty)
				input_error(ln, "each namespace type at most once, got \"%s\" twice", t);
		st->types[st->ntypes++] = ty;
	}
}

/* step <index> <line> <tid> unshare <types> | step <index> <line> <tid> read <type> |
 * step <index> <line> - sleep <nanoseconds> */
static void parse_step(int ln, char *line, struct step *st, const struct step *prev)
{
	char *w[6];
	int64_t v;
	int n = split_words(line, w, 6);
	memset(st, 0, sizeof *st);
	if (n != 6)
		input_error(ln, "\"step <index> <line> <tid> unshare <types>\", \"step <index> <line> <tid> read <type>\" or \"step <index> <line> - sleep <nanoseconds>\"");
	if (parse_u64(w[1], &v) || v > INT32_MAX)
		input_error(ln, "a step index (non-negative integer), got \"%s\"", w[1]);
	st->index = (long)v;
	if (prev && st->index <= prev->index)
		input_error(ln, "step indexes in increasing order, got %ld after %ld", st->index, prev->index);
	if (parse_u64(w[2], &v) || v > INT32_MAX)
		input_error(ln, "a source line number (non-negative integer), got \"%s\"", w[2]);
	st->line = (long)v;
	if (!strcmp(w[4], "sleep")) {
		if (strcmp(w[3], "-"))
			input_error(ln, "\"-\" as the task of a sleep step, got \"%s\"", w[3]);
		if (parse_u64(w[5], &v))
			input_error(ln, "a sleep duration in nanoseconds (non-negative integer), got \"%s\"", w[5]);
		st->op = OP_SLEEP;
		st->task = -1;
		st->sleep_ns = v;
		return;
	}
	if (parse_u64(w[3], &v) || v >= ntasks)
		input_error(ln, "a task id declared by a \"task\" line, got \"%s\"", w[3]);
	st->task = (int)v;
	if (!strcmp(w[4], "unshare")) {
		st->op = OP_UNSHARE;
		parse_types(ln, w[5], st);
	} else if (!strcmp(w[4], "read")) {
		int ty = ns_type_of(w[5]);
		if (ty < 0)
			input_error(ln, "a namespace type (user, pid, net, mnt, uts, ipc, cgroup, time), got \"%s\"", w[5]);
		st->op = OP_READ;
		st->ntypes = 1;
		st->types[0] = ty;
	} else {
		input_error(ln, "an operation (unshare, read or sleep), got \"%s\"", w[4]);
	}
}

/* task <tid> <name>, tids 0, 1, ... in order */
static void parse_task(int ln, char *line)
{
	char *w[3];
	int64_t v;
	if (split_words(line, w, 3) != 3)
		input_error(ln, "\"task <tid> <name>\"");
	if (parse_u64(w[1], &v) || v != ntasks)
		input_error(ln, "task id %d (ids count up from 0), got \"%s\"", ntasks, w[1]);
	if (ntasks == MAX_TASKS)
		input_error(ln, "at most %d tasks", MAX_TASKS);
	size_t len = strlen(w[2]);
	if (len > MAX_NAME)
		input_error(ln, "a task name of at most %d bytes", MAX_NAME);
	for (const unsigned char *c = (const unsigned char *)w[2]; *c; c++)
		if (*c <= 0x20 || *c == 0x7f)
			input_error(ln, "a task name without control characters");
	task_name[ntasks++] = strdup(w[2]);
}

static void parse_input(void)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		die("out of memory reading the input");
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= MAX_INPUT_BYTES)
				usage_error("<stdin>: expected at most %u MiB of input", MAX_INPUT_BYTES >> 20);
			cap *= 2;
			if (!(buf = realloc(buf, cap)))
				die("out of memory reading the input");
		}
		ssize_t n = read(0, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			usage_error("<stdin>: read failed: %s", strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	if (memchr(buf, 0, len))
		usage_error("<stdin>: expected text without NUL bytes");

	enum { S_HEADER, S_META, S_TASKS, S_STEPS, S_DONE } state = S_HEADER;
	int ln = 0, steps_cap = 0;
	char *p = buf;
	while (*p) {
		char *nl = strchr(p, '\n');
		char *line = p;
		if (nl)
			*nl = 0;
		p = nl ? nl + 1 : p + strlen(p);
		ln++;
		if (strchr(line, '\r'))
			input_error(ln, "lines ending in \\n only, got a \\r");
		switch (state) {
		case S_HEADER:
			if (strcmp(line, "nslife-probe-input 1"))
				input_error(ln, "\"nslife-probe-input 1\" (protocol version 1)");
			state = S_META;
			break;
		case S_META: {
			const char *end;
			if (strncmp(line, "meta ", 5))
				input_error(ln, "\"meta <JSON object>\"");
			if (line[5] != '{' || !(end = json_value(line + 5, 0)) || *json_ws(end))
				input_error(ln, "one JSON object on the line after \"meta \"");
			meta_json = strndup(line + 5, (size_t)(end - (line + 5)));
			state = S_TASKS;
			break;
		}
		case S_TASKS:
			if (!strncmp(line, "task ", 5)) {
				parse_task(ln, line);
				break;
			}
			if (!ntasks)
				input_error(ln, "\"task <tid> <name>\" (at least one task)");
			state = S_STEPS;
			/* fall through */
		case S_STEPS:
			if (!strcmp(line, "run")) {
				state = S_DONE;
			} else if (!strncmp(line, "step ", 5)) {
				if (nsteps == MAX_STEPS)
					input_error(ln, "at most %d steps", MAX_STEPS);
				if (nsteps == steps_cap) {
					steps_cap = steps_cap ? steps_cap * 2 : 64;
					if (!(steps = realloc(steps, (size_t)steps_cap * sizeof *steps)))
						die("out of memory reading the input");
				}
				parse_step(ln, line, &steps[nsteps], nsteps ? &steps[nsteps - 1] : NULL);
				nsteps++;
			} else {
				input_error(ln, "\"step ...\" or \"run\"");
			}
			break;
		case S_DONE:
			input_error(ln, "end of input after \"run\"");
		}
	}
	switch (state) {
	case S_HEADER: input_error(ln + 1, "\"nslife-probe-input 1\" (protocol version 1)");
	case S_META: input_error(ln + 1, "\"meta <JSON object>\"");
	case S_TASKS: input_error(ln + 1, ntasks ? "\"step ...\" or \"run\"" : "\"task <tid> <name>\" (at least one task)");
	case S_STEPS: input_error(ln + 1, "\"run\" as the last line");
	case S_DONE: break;
	}
	free(buf);
}

/* ---------------------------------------------------------------------------------------- */
/* tasks and sandbox (child processes; they share the coordinator's binary, so messages are
 * raw structs over SOCK_SEQPACKET socketpairs created by the coordinator in the initial
 * namespaces: their files' f_cred pins nothing of the scenario) */

enum { CMD_UNSHARE = 1, CMD_READ, CMD_OBSERVE_ALL };

struct task_cmd {
	int op;
	int ntypes;
	int types[NT_COUNT];
};

struct observation {
	int type;
	int err;    /* errno of opening /proc/self/ns/<type>; 0 when observed */
	uint64_t inode;
	int id_err; /* errno of NS_GET_ID; 0 when `id` is valid */
	uint64_t id;
	int fh_err; /* errno of name_to_handle_at; 0 when the handle is valid */
	int handle_type;
	unsigned handle_bytes;
	unsigned char handle[MAX_HANDLE];
};

/* The inode numbers of the /proc/net entries of the observed netns, as ascending [first, last]
 * runs. At most one net observation per reply. */
struct proc_runs {
	int walked; /* 1 when the walk ran (a net observation with the walk on) */
	int err;    /* errno of the walk (E2BIG: too many entries or runs); 0 when `run` is valid */
	int nrun;
	uint64_t run[2 * PROC_MAX_RUNS];
};

struct task_reply {
	int err;            /* errno of the operation; 0 on success */
	int map_err;        /* errno of writing our own id maps after unshare(CLONE_NEWUSER) */
	char map_file[16];
	int64_t t0, t1;
	int nobs;
	struct observation obs[NT_COUNT];
	struct proc_runs proc;
};

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	int e = n == (ssize_t)len ? 0 : n < 0 ? errno : EIO;
	close(fd);
	return e;
}

/* Inode number, NS_GET_ID id and nsfs file handle of the caller's namespace of `type`. The fd
 * is closed before returning: its reference is dropped synchronously (fs/nsfs.c: nsfs_evict). */
static void observe(int type, struct observation *o)
{
	char path[32];
	_Alignas(struct file_handle) unsigned char raw[sizeof(struct file_handle) + MAX_HANDLE];
	struct file_handle *fh = (struct file_handle *)raw;
	struct stat st;
	int mnt_id;

	memset(o, 0, sizeof *o);
	o->type = type;
	snprintf(path, sizeof path, "/proc/self/ns/%s", ns_name[type]);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		o->err = errno;
		if (fd >= 0)
			close(fd);
		return;
	}
	o->inode = st.st_ino;
	if (ioctl(fd, NS_GET_ID, &o->id) < 0)
		o->id_err = errno;
	fh->handle_bytes = MAX_HANDLE;
	if (name_to_handle_at(fd, "", fh, &mnt_id, AT_EMPTY_PATH) < 0) {
		o->fh_err = errno;
	} else if (fh->handle_bytes > MAX_HANDLE) {
		o->fh_err = EOVERFLOW;
	} else {
		o->handle_type = fh->handle_type;
		o->handle_bytes = fh->handle_bytes;
		memcpy(o->handle, fh->f_handle, fh->handle_bytes);
	}
	close(fd);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Appends the inode number of every entry under the directory `dfd` (which it closes),
 * recursively. It uses readdir's d_ino and d_type, not stat: proc_readdir_de reports each
 * proc_dir_entry's low_ino (fs/proc/generic.c), the same number stat would give, at a fifth of
 * the cost (~110 us instead of ~600 us for 64 entries on 6.18.44) — the walk runs while a
 * dying netns's cleanup_net may be running, so the less time it takes, the less it disturbs.
 * Returns 0 or an errno. */
static int proc_walk_dir(int dfd, int depth, uint64_t *ino, size_t *n)
{
	DIR *d = fdopendir(dfd);
	int err = 0;
	if (!d) {
		err = errno;
		close(dfd);
		return err;
	}
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			err = errno;
			break;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (*n == PROC_MAX_ENTRIES) {
			err = E2BIG;
			break;
		}
		ino[(*n)++] = (uint64_t)e->d_ino;
		if (e->d_type != DT_DIR)
			continue;
		if (depth + 1 >= PROC_MAX_DEPTH) {
			err = E2BIG;
			break;
		}
		int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			if (errno == ENOENT)
				continue;
			err = errno;
			break;
		}
		if ((err = proc_walk_dir(sub, depth + 1, ino, n)))
			break;
	}
	closedir(d);
	return err;
}

/* The inode numbers of the caller's netns's /proc/net entries: every entry under
 * /proc/self/net (a symlink to /proc/<pid>/net, whose entries are the netns's proc_dir_entries,
 * fs/proc/proc_net.c), subdirectories included, as ascending runs. The directory itself is
 * left out: it is a per-task /proc/<pid> inode, not a proc_dir_entry (its number does not come
 * from the proc inode IDA, KERNEL-RULES.md section 4). */
static void proc_net_walk(struct proc_runs *pr)
{
	static uint64_t *ino;
	size_t n = 0;
	pr->walked = 1;
	pr->nrun = 0;
	if (!ino && !(ino = malloc(PROC_MAX_ENTRIES * sizeof *ino))) {
		pr->err = ENOMEM;
		return;
	}
	int fd = open("/proc/self/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		pr->err = errno;
		return;
	}
	if ((pr->err = proc_walk_dir(fd, 0, ino, &n)))
		return;
	qsort(ino, n, sizeof *ino, cmp_u64);
	for (size_t i = 0; i < n; i++) {
		if (pr->nrun && ino[i] <= pr->run[2 * pr->nrun - 1] + 1) {
			if (ino[i] > pr->run[2 * pr->nrun - 1])
				pr->run[2 * pr->nrun - 1] = ino[i];
			continue;
		}
		if (pr->nrun == PROC_MAX_RUNS) {
			pr->err = E2BIG;
			pr->nrun = 0;
			return;
		}
		pr->run[2 * pr->nrun] = pr->run[2 * pr->nrun + 1] = ino[i];
		pr->nrun++;
	}
}

/* After unshare(CLONE_NEWUSER) map uid/gid 0 to our own (parent-ns) ids 0, like `unshare -Ur`,
 * so the task keeps CAP_SYS_ADMIN for the next unshare. Allowed without privilege in the parent
 * for a single line mapping the writer's own euid/egid once setgroups is denied
 * (kernel/user_namespace.c: new_idmap_permitted). */
static void write_own_maps(struct task_reply *rep)
{
	static const char *const file[3] = {"/proc/self/setgroups", "/proc/self/uid_map", "/proc/self/gid_map"};
	static const char *const text[3] = {"deny", "0 0 1\n", "0 0 1\n"};
	for (int i = 0; i < 3; i++) {
		int e = write_file(file[i], text[i]);
		if (e) {
			rep->map_err = e;
			snprintf(rep->map_file, sizeof rep->map_file, "%s", file[i] + strlen("/proc/self/"));
			return;
		}
	}
}

static void task_main(int fd, pid_t parent)
{
	struct task_cmd cmd;
	struct task_reply rep;
	for (;;) {
		ssize_t n = recv(fd, &cmd, sizeof cmd, 0);
		if (n == 0)
			_exit(0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof cmd || cmd.ntypes < 0 || cmd.ntypes > NT_COUNT)
			_exit(1);
		for (int i = 0; i < cmd.ntypes; i++)
			if (cmd.types[i] < 0 || cmd.types[i] >= NT_COUNT)
				_exit(1);
		memset(&rep, 0, sizeof rep);
		switch (cmd.op) {
		case CMD_UNSHARE: {
			int flags = 0;
			for (int i = 0; i < cmd.ntypes; i++)
				flags |= ns_flag[cmd.types[i]];
			rep.t0 = now_ns();
			int r = unshare(flags);
			rep.err = r < 0 ? errno : 0;
			rep.t1 = now_ns();
			if (r == 0 && (flags & CLONE_NEWUSER))
				write_own_maps(&rep);
			/* commit_creds clears the parent-death signal when the credentials change */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			if (r == 0)
				for (int i = 0; i < cmd.ntypes; i++)
					observe(cmd.types[i], &rep.obs[rep.nobs++]);
			/* after t1: [t0, t1] brackets the operation, the walk reads what it left */
			if (r == 0 && (flags & CLONE_NEWNET) && proc_net_on)
				proc_net_walk(&rep.proc);
			break;
		}
		case CMD_READ:
			if (cmd.ntypes != 1)
				_exit(1);
			rep.t0 = now_ns();
			observe(cmd.types[0], &rep.obs[rep.nobs++]);
			rep.t1 = now_ns();
			if (cmd.types[0] == NT_NET && proc_net_on)
				proc_net_walk(&rep.proc);
			break;
		case CMD_OBSERVE_ALL:
			rep.t0 = now_ns();
			for (int i = 0; i < NT_COUNT; i++)
				observe(i, &rep.obs[rep.nobs++]);
			rep.t1 = now_ns();
			if (proc_net_on)
				proc_net_walk(&rep.proc); /* a trial: can this task walk /proc/self/net? */
			break;
		default:
			_exit(1);
		}
		if (send(fd, &rep, sizeof rep, MSG_NOSIGNAL) != (ssize_t)sizeof rep)
			_exit(1);
	}
}

static void default_signals(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
}

/* The sandbox: a fresh user + mount namespace, mapped by the coordinator, parent and subreaper
 * of the tasks. It lives until the coordinator closes `ctl` (or dies: PDEATHSIG). */
static void sandbox_main(int ctl, const int *fds, int n, pid_t coordinator)
{
	pid_t task_pid[MAX_TASKS];
	int err = 0;
	char go;

	default_signals();
	setpgid(0, 0); /* a terminal ^C reaches the coordinator only; it ends the run */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != coordinator)
		_exit(1);
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		err = errno;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (send(ctl, &err, sizeof err, MSG_NOSIGNAL) != (ssize_t)sizeof err || err)
		_exit(1);
	if (recv(ctl, &go, 1, 0) != 1) /* the coordinator has written our uid/gid maps */
		_exit(1);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid_t self = getpid();
	int forked = 0;
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p < 0) {
			err = errno;
			break;
		}
		if (p == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != self)
				_exit(1);
			close(ctl);
			for (int j = 0; j < n; j++)
				if (j != i)
					close(fds[j]);
			task_main(fds[i], self);
		}
		task_pid[forked++] = p;
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	if (send(ctl, &err, sizeof err, MSG_NOSIGNAL) != (ssize_t)sizeof err || err)
		_exit(1);
	for (;;) {
		struct pollfd pfd = {.fd = ctl, .events = POLLIN};
		int r = poll(&pfd, 1, 200);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (r > 0) {
			ssize_t got = recv(ctl, &go, 1, MSG_DONTWAIT);
			if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
				break;
		}
	}
	for (int i = 0; i < forked; i++)
		kill(task_pid[i], SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
	_exit(0);
}

/* ---------------------------------------------------------------------------------------- */
/* coordinator */

static struct {
	const char *out_path; /* -o FILE, NULL for stdout */
	int tracefs;          /* 0 with --no-tracefs */
	int64_t step_timeout_ns, total_timeout_ns, settle_ns;
	int check;
} opt = {NULL, 1, 10000 * NS_PER_MS, 600000 * NS_PER_MS, 300 * NS_PER_MS, 0};
/* (--no-proc-net clears proc_net_on, a global: the tasks read it) */

static struct {
	int userns, tracefs, nsGetId, fileHandles, listns;
} cap;

static char *missing[MAX_MISSING];
static int nmissing;
/* What is learnt after the header was written: the end record's `notes`. */
static char *notes[MAX_NOTES];
static int nnotes;
static int end_written;
static int out_failed;
static char abort_reason[512];
static int64_t total_deadline;
static struct utsname uts;
static char profile[64];
static int out_fd = 1;
static int ctl_fd = -1;
static int task_fd[MAX_TASKS];
static int ns_ok;        /* coordinator has its private mount namespace */

static struct observation initial[NT_COUNT];
static int ninitial;

/* Every namespace observed during the run except the initial ones, deduplicated by id, with
 * the file handle of its first observation. */
struct known_ns {
	uint64_t id;
	int type;
	int released; /* a step saw its handle fail with ESTALE: never probed again */
	int handle_type;
	unsigned handle_bytes;
	unsigned char handle[MAX_HANDLE];
};
static struct known_ns *known;
static int nknown, known_cap;

/* Workqueue functions we trace: those present in /proc/kallsyms, with their addresses. */
static struct {
	int present;
	int naddr;
	unsigned long long addr[4];
} fn_sym[NFN];

static int steps_done;
static int64_t run_start = -1;

/* A missing capability or a failed observation, one line. Before the header is written it goes
 * into header.missing, afterwards into the end record's notes. */
static void add_missing(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add_missing(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	char **list = header_written ? notes : missing;
	int *n = header_written ? &nnotes : &nmissing;
	int max = header_written ? MAX_NOTES : MAX_MISSING;
	for (int i = 0; i < *n; i++)
		if (!strcmp(list[i], line))
			return;
	if (*n < max)
		list[(*n)++] = strdup(line);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes one record (a line in `b`, which is emptied) to the output at once: a probe killed
 * after this leaves the line in the file. After a failed write nothing more is written. */
static void emit(struct sbuf *b)
{
	if (!out_failed && b->len && write_all(out_fd, b->p, b->len) < 0) {
		out_failed = errno ? errno : EIO;
		fprintf(stderr, "nslife-probe: writing the trace failed: %s\n", strerror(out_failed));
	}
	b->len = 0;
}

static void set_abort(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_abort(const char *fmt, ...)
{
	va_list ap;
	if (abort_reason[0])
		return;
	va_start(ap, fmt);
	vsnprintf(abort_reason, sizeof abort_reason, fmt, ap);
	va_end(ap);
}

static int check_stop(void)
{
	if (out_failed) {
		set_abort("writing the trace failed: %s", strerror(out_failed));
		return 1;
	}
	if (stop_signal) {
		set_abort("interrupted by %s", stop_signal == SIGINT ? "SIGINT" : stop_signal == SIGTERM ? "SIGTERM" : "SIGHUP");
		return 1;
	}
	if (now_ns() >= total_deadline) {
		set_abort("total timeout of %" PRId64 " ms reached", opt.total_timeout_ns / NS_PER_MS);
		return 1;
	}
	return 0;
}

/* Waits (in bounded slices, so signals and the watchdogs are seen) until `fd` is readable.
 * 0 when readable; -1 with abort_reason set. */
static int wait_readable(int fd, int64_t deadline, const char *what)
{
	for (;;) {
		if (check_stop())
			return -1;
		int64_t left = deadline - now_ns();
		if (left <= 0) {
			set_abort("%s timed out after %" PRId64 " ms", what, opt.step_timeout_ns / NS_PER_MS);
			return -1;
		}
		int ms = left / NS_PER_MS + 1 > POLL_SLICE_MS ? POLL_SLICE_MS : (int)(left / NS_PER_MS + 1);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, ms);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR) {
			set_abort("%s: poll failed: %s", what, errno_name(errno));
			return -1;
		}
	}
}

static int recv_exact(int fd, void *buf, size_t len, const char *what)
{
	if (wait_readable(fd, now_ns() + opt.step_timeout_ns, what) < 0)
		return -1;
	ssize_t n = recv(fd, buf, len, 0);
	if (n == (ssize_t)len)
		return 0;
	if (n == 0)
		set_abort("%s: the process exited unexpectedly", what);
	else
		set_abort("%s: short message (%zd bytes)", what, n);
	return -1;
}

static int sleep_until(int64_t target)
{
	for (;;) {
		if (check_stop())
			return -1;
		int64_t now = now_ns();
		if (now >= target)
			return 0;
		int64_t until = target;
		if (until > now + POLL_SLICE_MS * NS_PER_MS)
			until = now + POLL_SLICE_MS * NS_PER_MS;
		struct timespec ts = {.tv_sec = until / 1000000000LL, .tv_nsec = until % 1000000000LL};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

/* ---- tracefs ---- */

static int tfs_write(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", instance_dir, rel);
	return write_file(path, text);
}

static void resolve_reaper_functions(void)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512];
	if (!f) {
		/* cannot tell: trace all four by name, filtered in userspace */
		for (int i = 0; i < NFN; i++)
			fn_sym[i].present = 1;
		return;
	}
	while (fgets(line, sizeof line, f)) {
		unsigned long long addr;
		char kind, name[256];
		if (sscanf(line, "%llx %c %255s", &addr, &kind, name) != 3)
			continue;
		for (int i = 0; i < NFN; i++) {
			if (strcmp(name, reaper_fn[i]))
				continue;
			fn_sym[i].present = 1;
			if (fn_sym[i].naddr < 4)
				fn_sym[i].addr[fn_sym[i].naddr++] = addr;
		}
	}
	fclose(f);
}

/* Removes what probes that died without cleaning up (SIGKILL) left in `dir`: entries named
 * `<prefix><pid>-...` whose pid is gone. rmdir only, so only empty directories (and tracefs
 * instances) go. With the lock held no other probe runs, so nothing live is touched. */
static void sweep_dead(const char *dir, const char *prefix)
{
	char stale[64][NAME_MAX + 1];
	int nstale = 0, seen = 0;
	size_t plen = strlen(prefix);
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d)) && seen < 100000 && nstale < 64; seen++) {
		char *end;
		if (strncmp(e->d_name, prefix, plen))
			continue;
		long pid = strtol(e->d_name + plen, &end, 10);
		if (end == e->d_name + plen || *end != '-' || pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(stale[nstale++], NAME_MAX + 1, "%s", e->d_name);
	}
	closedir(d);
	for (int i = 0; i < nstale; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%.200s/%.255s", dir, stale[i]);
		rmdir(path);
	}
}

/* Sets up our own tracefs instance with the workqueue events of the reaper functions, on the
 * `mono` clock (= CLOCK_MONOTONIC). Called before the run starts. Failure: cap.tracefs stays
 * 0 and `missing` says why. */
static void tracing_setup(void)
{
	static const char *const events[3] = {"workqueue_queue_work", "workqueue_execute_start", "workqueue_execute_end"};
	char rel[128], filter[512] = "";
	uint32_t rnd;
	int e;

	if (!opt.tracefs) {
		add_missing("tracefs: disabled by --no-tracefs");
		return;
	}
	if (geteuid() != 0) {
		add_missing("tracefs: not root (euid %u); tracing needs root in the initial user namespace", (unsigned)geteuid());
		return;
	}
	if (!ns_ok)
		return; /* reason already in missing */
	sweep_dead("/tmp", "nslife-tracefs-");
	snprintf(tracefs_dir, sizeof tracefs_dir, "/tmp/nslife-tracefs-%d-XXXXXX", (int)getpid());
	if (!mkdtemp(tracefs_dir)) {
		add_missing("tracefs: mkdtemp under /tmp failed: %s", errno_name(errno));
		tracefs_dir[0] = 0;
		return;
	}
	if (mount("nodev", tracefs_dir, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		add_missing("tracefs: mount failed: %s", errno_name(errno));
		return;
	}
	tracefs_mounted = 1;
	snprintf(rel, sizeof rel, "%s/instances", tracefs_dir);
	sweep_dead(rel, "nslife-");
	if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		rnd = (uint32_t)now_ns();
	snprintf(instance_dir, sizeof instance_dir, "%s/instances/nslife-%d-%08x", tracefs_dir, (int)getpid(), rnd);
	if (mkdir(instance_dir, 0700) < 0) {
		add_missing("tracefs: creating instance %s failed: %s", instance_dir + strlen(tracefs_dir) + 1, errno_name(errno));
		instance_dir[0] = 0;
		return;
	}
	if ((e = tfs_write("trace_clock", "mono"))) {
		add_missing("tracefs: setting trace_clock to mono failed: %s", errno_name(e));
		return;
	}
	tfs_write("buffer_size_kb", "4096"); /* best effort; the default is smaller */
	resolve_reaper_functions();
	int nfn = 0, all_addr = 1;
	for (int i = 0; i < NFN; i++) {
		if (!fn_sym[i].present)
			continue;
		nfn++;
		if (!fn_sym[i].naddr)
			all_addr = 0;
		for (int k = 0; k < fn_sym[i].naddr; k++) {
			if (!fn_sym[i].addr[k])
				all_addr = 0; /* kptr_restrict hides addresses */
			size_t len = strlen(filter);
			snprintf(filter + len, sizeof filter - len, "%sfunction == 0x%llx", len ? " || " : "", fn_sym[i].addr[k]);
		}
	}
	if (!nfn) {
		add_missing("tracefs: none of cleanup_net, free_user_ns, destroy_pid_namespace_work, free_ipc is in /proc/kallsyms");
		return;
	}
	for (int i = 0; i < 3; i++) {
		/* Filter in the kernel where it accepts the function addresses; the parser filters
		 * by name in any case. */
		snprintf(rel, sizeof rel, "events/workqueue/%s/filter", events[i]);
		if (!all_addr || tfs_write(rel, filter))
			tfs_write(rel, "0");
		snprintf(rel, sizeof rel, "events/workqueue/%s/enable", events[i]);
		if ((e = tfs_write(rel, "1"))) {
			add_missing("tracefs: enabling %s failed: %s", events[i], errno_name(e));
			return;
		}
	}
	if ((e = tfs_write("tracing_on", "1"))) {
		add_missing("tracefs: tracing_on failed: %s", errno_name(e));
		return;
	}
	cap.tracefs = 1;
}

/* One line of the instance's `trace` file, e.g.
 *   kworker/u8:0-12  [001] .....  365.620065: workqueue_execute_start: work struct 0000: function cleanup_net
 * (the task name may contain spaces, so the line is read from the event tag outwards). */
static void trace_line_to_event(char *line, int64_t from)
{
	static const struct {
		const char *tag, *name, *fnkey;
	} wq[3] = {
		{" workqueue_queue_work: ", "kernel.workqueue.queue", "function="},
		{" workqueue_execute_start: ", "kernel.workqueue.start", "function "},
		{" workqueue_execute_end: ", "kernel.workqueue.end", "function "},
	};
	for (int k = 0; k < 3; k++) {
		char *tag = strstr(line, wq[k].tag);
		if (!tag)
			continue;
		/* timestamp "<sec>.<usec>:" just before the tag */
		if (tag == line || tag[-1] != ':')
			return;
		char *ts_end = tag - 1, *ts = ts_end;
		while (ts > line && ((ts[-1] >= '0' && ts[-1] <= '9') || ts[-1] == '.'))
			ts--;
		int64_t sec = 0, frac = 0;
		int fdigits = 0, dot = 0;
		for (char *c = ts; c < ts_end; c++) {
			if (*c == '.') {
				dot = 1;
			} else if (!dot) {
				if (sec > INT64_MAX / 100)
					return;
				sec = sec * 10 + (*c - '0');
			} else if (fdigits < 9) {
				frac = frac * 10 + (*c - '0');
				fdigits++;
			}
		}
		if (!dot || ts == ts_end)
			return;
		for (; fdigits < 9; fdigits++)
			frac *= 10;
		int64_t t = sec * 1000000000LL + frac;
		/* cpu "[NNN]": the last '[' before the timestamp */
		char *lb = NULL;
		for (char *c = line; c < ts; c++)
			if (*c == '[')
				lb = c;
		if (!lb)
			return;
		int cpu = atoi(lb + 1);
		char *fn = strstr(tag + strlen(wq[k].tag), wq[k].fnkey);
		if (!fn)
			return;
		fn += strlen(wq[k].fnkey);
		fn[strcspn(fn, " \n")] = 0;
		for (int i = 0; i < NFN; i++) {
			if (!fn_sym[i].present || strcmp(fn, reaper_fn[i]))
				continue;
			if (t >= from) {
				static struct sbuf ev;
				sb_printf(&ev, "{\"type\":\"event\",\"name\":\"%s\",\"t\":%" PRId64 ",\"fn\":\"%s\",\"cpu\":%d}\n",
				          wq[k].name, t, reaper_fn[i], cpu);
				emit(&ev);
			}
			return;
		}
		return;
	}
}

static void read_trace_events(int64_t from)
{
	char path[256], line[1024];
	long n = 0;
	tfs_write("tracing_on", "0");
	snprintf(path, sizeof path, "%s/trace", instance_dir);
	FILE *f = fopen(path, "re");
	if (!f) {
		add_missing("tracefs: reading the trace failed: %s", errno_name(errno));
		return;
	}
	int partial = 0;
	while (fgets(line, sizeof line, f) && n++ < 50000000) {
		int whole = strchr(line, '\n') != NULL;
		if (!partial && line[0] != '#')
			trace_line_to_event(line, from);
		partial = !whole; /* skip the rest of an over-long line */
	}
	fclose(f);
}

/* ---- observations ---- */

/* `proc`: the /proc/net runs to put on a net observation, or NULL. */
static void json_observation(struct sbuf *b, const struct observation *o, const struct proc_runs *proc)
{
	sb_printf(b, "{\"type\":\"%s\",\"inode\":%" PRIu64 ",\"id\":", ns_name[o->type], o->inode);
	if (o->id_err)
		sb_printf(b, "null");
	else
		sb_printf(b, "%" PRIu64, o->id);
	if (proc && o->type == NT_NET && proc->walked && !proc->err) {
		sb_printf(b, ",\"proc\":[");
		for (int i = 0; i < 2 * proc->nrun; i++)
			sb_printf(b, "%s%" PRIu64, i ? "," : "", proc->run[i]);
		sb_printf(b, "]");
	}
	sb_printf(b, "}");
}

static void known_from_observation(struct known_ns *k, const struct observation *o)
{
	k->id = o->id;
	k->type = o->type;
	k->released = 0;
	k->handle_type = o->handle_type;
	k->handle_bytes = o->fh_err ? 0 : o->handle_bytes;
	memcpy(k->handle, o->handle, k->handle_bytes);
}

/* Records what an observation says about the capabilities, and (when `remember`) remembers a
 * namespace not seen before. */
static void note_observation(const struct observation *o, const char *when, int remember)
{
	if (o->err) {
		add_missing("%s: /proc/self/ns/%s: %s", when, ns_name[o->type], errno_name(o->err));
		return;
	}
	if (o->id_err) {
		cap.nsGetId = 0;
		add_missing("nsGetId: ioctl(NS_GET_ID) failed with %s", errno_name(o->id_err));
		return; /* identity is the id: without it the namespace cannot be followed */
	}
	if (o->fh_err) {
		cap.fileHandles = 0;
		add_missing("fileHandles: name_to_handle_at on an nsfs file failed with %s", errno_name(o->fh_err));
	}
	if (!remember)
		return;
	for (int i = 0; i < ninitial; i++)
		if (!initial[i].id_err && initial[i].id == o->id)
			return;
	for (int i = 0; i < nknown; i++)
		if (known[i].id == o->id)
			return;
	if (nknown == known_cap) {
		known_cap = known_cap ? known_cap * 2 : 64;
		if (!(known = realloc(known, (size_t)known_cap * sizeof *known)))
			die("out of memory (namespace table)");
	}
	known_from_observation(&known[nknown++], o);
}

/* Does the namespace still have references? Decoding its nsfs file handle succeeds while it is
 * in the ns tree with a non-zero refcount, else ESTALE (fs/nsfs.c: nsfs_fh_to_dentry [6.18]).
 * 1 held, 0 released, -1 unknown (errno set). */
static int ns_held(const struct known_ns *k)
{
	_Alignas(struct file_handle) unsigned char raw[sizeof(struct file_handle) + MAX_HANDLE];
	struct file_handle *fh = (struct file_handle *)raw;
	if (!k->handle_bytes) {
		errno = EOPNOTSUPP;
		return -1;
	}
	fh->handle_bytes = k->handle_bytes;
	fh->handle_type = k->handle_type;
	memcpy(fh->f_handle, k->handle, k->handle_bytes);
	int fd = open_by_handle_at(FD_NSFS_ROOT, fh, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno == ESTALE ? 0 : -1;
}

/* The namespaces not yet seen released, and whether they are still held. One that is seen
 * released is listed this once and never probed again: on 6.18 a namespace out of the ns tree
 * with a zero refcount cannot get a reference back. So a step lists only what is alive (plus
 * what just died), and a trace stays linear in its length. */
static void json_refs(struct sbuf *b)
{
	int first = 1;
	sb_printf(b, "\"refs\":[");
	for (int i = 0; i < nknown; i++) {
		if (known[i].released)
			continue;
		int held = ns_held(&known[i]);
		if (held < 0) {
			if (known[i].handle_bytes)
				add_missing("refs: open_by_handle_at(FD_NSFS_ROOT) on a %s namespace failed with %s; such refs are left out",
				            ns_name[known[i].type], errno_name(errno));
			continue;
		}
		sb_printf(b, "%s{\"id\":%" PRIu64 ",\"type\":\"%s\",\"held\":%s}", first ? "" : ",", known[i].id,
		          ns_name[known[i].type], held ? "true" : "false");
		first = 0;
		if (!held)
			known[i].released = 1;
	}
	sb_printf(b, "]");
}

/* ---- sandbox lifecycle ---- */

/* Forks the sandbox with `n` task channels and maps its ids. NULL on success, else the reason
 * the scenario cannot run (a refusal); -1 style failures set abort_reason and return "". */
static const char *start_sandbox(int n)
{
	static char reason[256];
	int ctl[2], tfd[MAX_TASKS][2], err;
	char path[64], map[64];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0)
		die("socketpair: %s", strerror(errno));
	for (int i = 0; i < n; i++)
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, tfd[i]) < 0)
			die("socketpair: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int child_fd[MAX_TASKS];
		close(ctl[0]);
		for (int i = 0; i < n; i++) {
			close(tfd[i][0]);
			child_fd[i] = tfd[i][1];
		}
		sandbox_main(ctl[1], child_fd, n, coordinator_pid);
	}
	sandbox_pid = pid;
	close(ctl[1]);
	for (int i = 0; i < n; i++) {
		close(tfd[i][1]);
		task_fd[i] = tfd[i][0];
	}
	ctl_fd = ctl[0];

	if (recv_exact(ctl_fd, &err, sizeof err, "creating the sandbox"))
		return "";
	if (err) {
		snprintf(reason, sizeof reason, "user namespaces unavailable: unshare(CLONE_NEWUSER|CLONE_NEWNS) failed with %s",
		         errno_name(err));
		add_missing("userns: unshare(CLONE_NEWUSER) failed with %s", errno_name(err));
		return reason;
	}
	cap.userns = 1;
	static const char *const file[3] = {"setgroups", "uid_map", "gid_map"};
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file[i]);
		if (i == 0)
			snprintf(map, sizeof map, "deny");
		else
			snprintf(map, sizeof map, "0 %u 1\n", i == 1 ? (unsigned)geteuid() : (unsigned)getegid());
		if ((err = write_file(path, map))) {
			snprintf(reason, sizeof reason, "cannot map ids into the sandbox user namespace: writing %s failed with %s",
			         file[i], errno_name(err));
			cap.userns = 0;
			add_missing("userns: %s", reason);
			return reason;
		}
	}
	if (send(ctl_fd, "g", 1, MSG_NOSIGNAL) != 1) {
		set_abort("starting the sandbox: %s", errno_name(errno));
		return "";
	}
	if (recv_exact(ctl_fd, &err, sizeof err, "starting the tasks"))
		return "";
	if (err) {
		set_abort("starting the tasks: fork failed with %s", errno_name(err));
		return "";
	}
	return NULL;
}

/* Ends the tasks and the sandbox: EOF on their channels makes them exit; SIGKILL after 2 s. */
static void stop_sandbox(void)
{
	if (sandbox_pid <= 0)
		return;
	for (int i = 0; i < ntasks; i++)
		close(task_fd[i]);
	if (ctl_fd >= 0)
		close(ctl_fd);
	ctl_fd = -1;
	for (int i = 0; i < 200; i++) {
		if (waitpid(sandbox_pid, NULL, WNOHANG) == sandbox_pid) {
			sandbox_pid = -1;
			return;
		}
		struct timespec ts = {0, 10 * NS_PER_MS};
		nanosleep(&ts, NULL);
	}
	kill(sandbox_pid, SIGKILL);
	waitpid(sandbox_pid, NULL, 0);
	sandbox_pid = -1;
}

static void wait_released(const struct known_ns *k, int64_t deadline)
{
	while (ns_held(k) == 1 && now_ns() < deadline && !stop_signal) {
		struct timespec ts = {0, 10 * NS_PER_MS};
		nanosleep(&ts, NULL);
	}
}

/* After the run, waits (bounded) until the namespaces the run created are gone and their inode
 * numbers had time to come back, so that a following probe run starts from a quiet kernel.
 * That includes the sandbox's user and mount namespaces: a user ns is freed by a work item
 * after an RCU grace period (kernel/user_namespace.c: free_user_ns), tens of ms after exit. */
static void quiesce(void)
{
	int64_t deadline = now_ns() + 3000 * NS_PER_MS;
	for (int i = 0; i < ninitial; i++) {
		if (initial[i].type != NT_USER && initial[i].type != NT_MNT)
			continue;
		struct known_ns k;
		known_from_observation(&k, &initial[i]);
		wait_released(&k, deadline);
	}
	for (int i = 0; i < nknown; i++)
		if (!known[i].released)
			wait_released(&known[i], deadline);
	int64_t until = now_ns() + opt.settle_ns;
	while (now_ns() < until && !stop_signal) {
		struct timespec ts = {.tv_sec = until / 1000000000LL, .tv_nsec = until % 1000000000LL};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

/* ---- the run ---- */

static int task_call(int tid, const struct task_cmd *cmd, struct task_reply *rep, const char *what)
{
	if (send(task_fd[tid], cmd, sizeof *cmd, MSG_NOSIGNAL) != (ssize_t)sizeof *cmd) {
		set_abort("%s: the task exited unexpectedly", what);
		return -1;
	}
	return recv_exact(task_fd[tid], rep, sizeof *rep, what);
}

static int observe_initial(void)
{
	struct task_cmd cmd = {.op = CMD_OBSERVE_ALL};
	struct task_reply rep;
	if (task_call(0, &cmd, &rep, "observing the initial namespaces"))
		return -1;
	cap.nsGetId = 1;
	cap.fileHandles = 1;
	for (int i = 0; i < rep.nobs; i++) {
		note_observation(&rep.obs[i], "initial", 0);
		if (!rep.obs[i].err)
			initial[ninitial++] = rep.obs[i];
	}
	if (proc_net_on && rep.proc.err)
		add_missing("procNet: walking /proc/self/net in the sandbox failed with %s; no proc runs on net observations",
		            errno_name(rep.proc.err));
	if (rep.proc.err)
		proc_net_on = 0; /* the tasks still walk (their copy of the flag is set), the runs are dropped */
	if (!ninitial) {
		cap.nsGetId = cap.fileHandles = 0;
		return 0;
	}
	/* Can the coordinator decode a handle? Try the sandbox's own user namespace. */
	for (int i = 0; i < ninitial && cap.fileHandles; i++) {
		if (initial[i].fh_err)
			continue;
		struct known_ns k;
		known_from_observation(&k, &initial[i]);
		if (ns_held(&k) != 1) {
			cap.fileHandles = 0;
			add_missing("fileHandles: open_by_handle_at(FD_NSFS_ROOT) failed with %s", errno_name(errno));
		}
		break;
	}
	return 0;
}

/* The step's record, written at once. */
static void json_step(const struct step *st, const struct task_reply *rep)
{
	static struct sbuf line;
	struct sbuf *b = &line;
	static const char *const opname[3] = {"unshare", "read", "sleep"};
	sb_printf(b, "{\"type\":\"step\",\"index\":%ld,\"line\":%ld,\"task\":", st->index, st->line);
	if (st->task < 0)
		sb_printf(b, "null");
	else
		sb_json_str(b, task_name[st->task]);
	sb_printf(b, ",\"op\":\"%s\",\"args\":", opname[st->op]);
	if (st->op == OP_SLEEP) {
		sb_printf(b, "{\"ns\":%" PRId64 "}", st->sleep_ns);
	} else if (st->op == OP_READ) {
		sb_printf(b, "{\"type\":\"%s\"}", ns_name[st->types[0]]);
	} else {
		sb_printf(b, "{\"types\":[");
		for (int i = 0; i < st->ntypes; i++)
			sb_printf(b, "%s\"%s\"", i ? "," : "", ns_name[st->types[i]]);
		sb_printf(b, "]}");
	}
	sb_printf(b, ",\"t0\":%" PRId64 ",\"t1\":%" PRId64 ",\"errno\":", rep->t0, rep->t1);
	if (rep->err)
		sb_printf(b, "\"%s\"", errno_name(rep->err));
	else
		sb_printf(b, "null");
	sb_printf(b, ",\"ns\":[");
	int first = 1;
	for (int i = 0; i < rep->nobs; i++) {
		if (rep->obs[i].err)
			continue;
		if (!first)
			sb_printf(b, ",");
		json_observation(b, &rep->obs[i], proc_net_on ? &rep->proc : NULL);
		first = 0;
	}
	sb_printf(b, "],");
	json_refs(b);
	sb_printf(b, "}\n");
	emit(b);
}

static int run_steps(void)
{
	char what[128 + MAX_NAME];
	run_start = now_ns();
	for (int i = 0; i < nsteps; i++) {
		const struct step *st = &steps[i];
		struct task_reply rep;
		memset(&rep, 0, sizeof rep);
		if (check_stop())
			return -1;
		if (st->op == OP_SLEEP) {
			rep.t0 = now_ns();
			if (sleep_until(rep.t0 + st->sleep_ns) < 0)
				return -1;
			rep.t1 = now_ns();
		} else {
			struct task_cmd cmd = {.op = st->op == OP_UNSHARE ? CMD_UNSHARE : CMD_READ, .ntypes = st->ntypes};
			memcpy(cmd.types, st->types, sizeof cmd.types);
			snprintf(what, sizeof what, "step %ld (line %ld, task %s)", st->index, st->line, task_name[st->task]);
			if (task_call(st->task, &cmd, &rep, what))
				return -1;
			if (rep.map_err)
				add_missing("userns: writing /proc/self/%s after unshare(CLONE_NEWUSER) failed with %s",
				            rep.map_file, errno_name(rep.map_err));
			for (int k = 0; k < rep.nobs; k++)
				note_observation(&rep.obs[k], "step", 1);
			if (proc_net_on && rep.proc.walked && rep.proc.err)
				add_missing("procNet: walking /proc/self/net after step %ld failed with %s; that observation has no proc runs",
				            st->index, errno_name(rep.proc.err));
		}
		json_step(st, &rep);
		steps_done++;
	}
	return 0;
}

/* ---- output ---- */

static void json_header(struct sbuf *b, const char *refused)
{
	sb_printf(b, "{\"type\":\"header\",\"format\":\"nslife-trace\",\"version\":1,\"source\":\"kernel\",\"tool\":\"%s\",", TOOL);
	sb_printf(b, "\"kernel\":{\"release\":");
	sb_json_str(b, uts.release);
	sb_printf(b, ",\"machine\":");
	sb_json_str(b, uts.machine);
	sb_printf(b, "},\"profile\":");
	sb_json_str(b, profile);
	sb_printf(b, ",\"capabilities\":{\"userns\":%s,\"tracefs\":%s,\"nsGetId\":%s,\"fileHandles\":%s,\"listns\":%s},",
	          cap.userns ? "true" : "false", cap.tracefs ? "true" : "false", cap.nsGetId ? "true" : "false",
	          cap.fileHandles ? "true" : "false", cap.listns ? "true" : "false");
	sb_printf(b, "\"missing\":[");
	for (int i = 0; i < nmissing; i++) {
		if (i)
			sb_printf(b, ",");
		sb_json_str(b, missing[i]);
	}
	sb_printf(b, "],\"clock\":\"CLOCK_MONOTONIC\",\"scenario\":%s,\"seed\":null,\"initial\":[", meta_json ? meta_json : "null");
	for (int i = 0; i < ninitial; i++) {
		if (i)
			sb_printf(b, ",");
		json_observation(b, &initial[i], NULL);
	}
	sb_printf(b, "]");
	if (refused) {
		sb_printf(b, ",\"refused\":");
		sb_json_str(b, refused);
	}
	sb_printf(b, "}\n");
}

/* The header, written as soon as the capabilities and the initial namespaces are known (before
 * the first step). */
static void write_header(const char *refused)
{
	struct sbuf b = {0};
	json_header(&b, refused);
	emit(&b);
	free(b.p);
	header_written = 1;
}

/* The end record (`reason` NULL for a complete trace; `notes` = what was learnt after the
 * header), then with -o the rename of the temporary file. 0 on success, -1 after an error. */
static int write_end(const char *reason)
{
	struct sbuf b = {0};
	end_written = 1;
	sb_printf(&b, "{\"type\":\"end\",\"complete\":%s,\"steps\":%d,\"t\":%" PRId64, reason ? "false" : "true", steps_done,
	          now_ns());
	if (reason) {
		sb_printf(&b, ",\"reason\":");
		sb_json_str(&b, reason);
	}
	if (nnotes) {
		sb_printf(&b, ",\"notes\":[");
		for (int i = 0; i < nnotes; i++) {
			if (i)
				sb_printf(&b, ",");
			sb_json_str(&b, notes[i]);
		}
		sb_printf(&b, "]");
	}
	sb_printf(&b, "}\n");
	emit(&b);
	free(b.p);
	if (out_failed)
		return -1;
	if (opt.out_path) {
		if (fsync(out_fd) < 0 || close(out_fd) < 0 || rename(out_tmp, opt.out_path) < 0) {
			fprintf(stderr, "nslife-probe: writing %s failed: %s\n", opt.out_path, strerror(errno));
			return -1;
		}
		out_tmp[0] = 0;
	}
	return 0;
}

/* From cleanup() at exit: a trace whose header is out but which has no end record yet (an
 * internal error, die()) gets one that says why it is incomplete, and is renamed. */
static void end_started_trace(void)
{
	if (!header_written || end_written)
		return;
	write_end(fail_reason[0] ? fail_reason : "the probe stopped unexpectedly");
}

/* Writes what is still to come (the kernel events, then the end record), then ends everything.
 * Returns the exit status. */
static int finish(const char *refused)
{
	int status = refused ? 0 : abort_reason[0] ? 1 : 0;

	if (cap.tracefs && run_start >= 0)
		read_trace_events(run_start);
	if (out_failed && !abort_reason[0])
		set_abort("writing the trace failed: %s", strerror(out_failed));
	if (write_end(refused ? refused : abort_reason[0] ? abort_reason : NULL) < 0)
		status = 1;
	if (abort_reason[0]) {
		status = refused ? status : 1;
		fprintf(stderr, "nslife-probe: trace incomplete: %s\n", abort_reason);
	}
	stop_sandbox();
	quiesce();
	cleanup();
	return status;
}

static void print_check(const char *refused)
{
	struct sbuf b = {0};
	sb_printf(&b, "{\"type\":\"check\",\"ok\":%s,\"tool\":\"%s\",\"root\":%s,\"kernel\":{\"release\":",
	          refused || abort_reason[0] ? "false" : "true", TOOL, geteuid() == 0 ? "true" : "false");
	sb_json_str(&b, uts.release);
	sb_printf(&b, ",\"machine\":");
	sb_json_str(&b, uts.machine);
	sb_printf(&b, "},\"profile\":");
	sb_json_str(&b, profile);
	sb_printf(&b, ",\"capabilities\":{\"userns\":%s,\"tracefs\":%s,\"nsGetId\":%s,\"fileHandles\":%s,\"listns\":%s},\"missing\":[",
	          cap.userns ? "true" : "false", cap.tracefs ? "true" : "false", cap.nsGetId ? "true" : "false",
	          cap.fileHandles ? "true" : "false", cap.listns ? "true" : "false");
	for (int i = 0; i < nmissing; i++) {
		if (i)
			sb_printf(&b, ",");
		sb_json_str(&b, missing[i]);
	}
	sb_printf(&b, "]");
	if (refused || abort_reason[0]) {
		sb_printf(&b, ",\"refused\":");
		sb_json_str(&b, refused ? refused : abort_reason);
	}
	sb_printf(&b, "}\n");
	write_all(1, b.p, b.len);
}

/* ---- setup ---- */

static int64_t parse_ms_option(const char *name, const char *value, int64_t min, int64_t max)
{
	int64_t v;
	if (!value || parse_u64(value, &v) || v < min || v > max)
		usage_error("expected %s <milliseconds, %" PRId64 "..%" PRId64 ">, got \"%s\"", name, min, max, value ? value : "");
	return v * NS_PER_MS;
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-o")) {
			if (!v || !*v)
				usage_error("expected -o FILE");
			opt.out_path = v;
			i++;
		} else if (!strcmp(a, "--no-tracefs")) {
			opt.tracefs = 0;
		} else if (!strcmp(a, "--no-proc-net")) {
			proc_net_on = 0;
		} else if (!strcmp(a, "--check")) {
			opt.check = 1;
		} else if (!strcmp(a, "--step-timeout-ms")) {
			opt.step_timeout_ns = parse_ms_option(a, v, 1, 86400000);
			i++;
		} else if (!strcmp(a, "--total-timeout-ms")) {
			opt.total_timeout_ns = parse_ms_option(a, v, 1, 86400000);
			i++;
		} else if (!strcmp(a, "--settle-ms")) {
			opt.settle_ns = parse_ms_option(a, v, 0, 60000);
			i++;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			printf("usage: nslife-probe [-o FILE] [--no-tracefs] [--no-proc-net] [--step-timeout-ms N] "
			       "[--total-timeout-ms N] [--settle-ms N] < input\n       nslife-probe --check\n");
			exit(0);
		} else {
			usage_error("expected an option (-o FILE, --no-tracefs, --no-proc-net, --step-timeout-ms N, "
			            "--total-timeout-ms N, --settle-ms N, --check), got \"%s\"", a);
		}
	}
}

/* Only one probe at a time: the inode allocator, the ns id batches and the netns reaper are
 * global, two runs would disturb each other's observations. The lock fd is inherited by the
 * sandbox and the tasks, so the lock is released only when the last process of a run is gone. */
static void take_lock(void)
{
	int fd = -1;
	for (int i = 0; i < 3 && fd < 0; i++) {
		fd = open(LOCK_PATH, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 && errno == ENOENT)
			fd = open(LOCK_PATH, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		else if (fd < 0)
			break;
	}
	if (fd < 0)
		usage_error("cannot open the probe lock %s: %s", LOCK_PATH, strerror(errno));
	int64_t deadline = now_ns() + LOCK_WAIT_MS * NS_PER_MS;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			usage_error("cannot lock %s: %s", LOCK_PATH, strerror(errno));
		if (stop_signal)
			die("interrupted while waiting for the probe lock %s", LOCK_PATH);
		if (now_ns() >= deadline)
			usage_error("another nslife-probe held %s for %d s; live runs are serialised (the inode allocator is "
			            "global), try again later", LOCK_PATH, LOCK_WAIT_MS / 1000);
		struct timespec ts = {0, 50 * NS_PER_MS};
		nanosleep(&ts, NULL);
	}
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: waits return EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_backstop_alarm;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void detect_kernel(void)
{
	int major, minor;
	uname(&uts);
	if (sscanf(uts.release, "%d.%d", &major, &minor) == 2)
		snprintf(profile, sizeof profile, "linux-%d.%d", major, minor);
	else
		snprintf(profile, sizeof profile, "linux-unknown");
	errno = 0;
	long r = syscall(SYS_LISTNS, NULL, NULL, 0, 0);
	cap.listns = !(r < 0 && errno == ENOSYS);
	if (!cap.listns)
		add_missing("listns: syscall %d returned ENOSYS (listns arrived in Linux 6.19)", SYS_LISTNS);
}

/* The coordinator's private mount namespace, for its tracefs mount. Created before the run. */
static void private_mount_ns(void)
{
	if (!opt.tracefs || geteuid() != 0)
		return;
	if (unshare(CLONE_NEWNS) < 0) {
		add_missing("tracefs: unshare(CLONE_NEWNS) for a private mount failed: %s", errno_name(errno));
		return;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		add_missing("tracefs: making / private in our mount namespace failed: %s", errno_name(errno));
		return;
	}
	ns_ok = 1;
}

int main(int argc, char **argv)
{
	const char *refused;

	coordinator_pid = getpid();
	parse_args(argc, argv);
	if (!opt.check)
		parse_input();
	else
		ntasks = 1;
	install_signals();
	take_lock();
	if (opt.out_path && !opt.check) {
		snprintf(out_tmp, sizeof out_tmp, "%s.tmp-%d", opt.out_path, (int)getpid());
		out_fd = open(out_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out_fd < 0) {
			out_tmp[0] = 0;
			usage_error("cannot write %s: %s", opt.out_path, strerror(errno));
		}
		out_path_final = opt.out_path;
	}
	atexit(cleanup);
	total_deadline = now_ns() + opt.total_timeout_ns;
	alarm((unsigned)(opt.total_timeout_ns / 1000000000LL) + 30);
	detect_kernel();
	if (!proc_net_on)
		add_missing("procNet: disabled by --no-proc-net");
	private_mount_ns();
	/* The sandbox copies our mount namespace before tracefs is mounted in it. */
	refused = start_sandbox(ntasks);
	if (!refused) {
		tracing_setup();
		observe_initial();
	} else if (!*refused) {
		refused = NULL; /* not a refusal: abort_reason says what went wrong */
	}
	if (refused || !ninitial) {
		const char *why = refused ? "the run was refused" : "the sandbox did not start";
		if (!cap.tracefs)
			add_missing("tracefs: not set up: %s", why);
		add_missing("nsGetId: not tried: %s", why);
		add_missing("fileHandles: not tried: %s", why);
		if (proc_net_on)
			add_missing("procNet: not tried: %s", why);
	}
	if (opt.check) {
		print_check(refused);
		stop_sandbox();
		quiesce();
		cleanup();
		return 0;
	}
	write_header(refused); /* from here on, what is learnt goes into the end record's notes */
	if (!refused && !abort_reason[0]) {
		run_steps();
		if (!abort_reason[0])
			sleep_until(now_ns() + opt.settle_ns); /* trailing reaper events */
	}
	return finish(refused);
}
