/*
 * nslife-probe: runs an nslife scenario on the real kernel and prints a JSONL trace
 * (format: src/trace/format.ts).
 *
 * Processes:
 *   coordinator  root in the initial user ns (when run as root). Private mount ns, its own
 *                tracefs instance; drives the steps, tests references with nsfs file handles.
 *                It never waits for a scenario task: only for the sandbox.
 *   sandbox      unshare(CLONE_NEWUSER|CLONE_NEWNS), a private tmpfs on /tmp (the sandbox root:
 *                scenario path /run/netns/a is /tmp/run/netns/a in there); child subreaper;
 *                forks the initial tasks, makes the throw-away namespaces of `next-inode`, and
 *                reaps, as soon as they exit, the tasks that have no scenario parent (initial
 *                tasks, orphans).
 *   task         one per scenario task: the initial tasks are children of the sandbox; a
 *                `fork` step's child is a child of the forking task (clone3 with the step's
 *                CLONE_NEW* flags), a `thread` step's child a pthread of the caller's process.
 *                Each task runs a command loop on a channel of its own (a SOCK_SEQPACKET
 *                socketpair the coordinator made in the initial namespaces, so that its f_cred
 *                pins nothing of the scenario; a new task's end is passed with SCM_RIGHTS).
 *                After `exec` the task runs this binary again (--task-resume) on the same
 *                channel, with its named fds listed in argv.
 *
 * Observation must not change what is observed: once the run starts nothing here mounts procfs
 * or creates /proc entries (proc_alloc_inum is one global lowest-free IDA shared with the
 * namespace inode numbers, fs/proc/generic.c) and the coordinator creates no namespace (the
 * scenario's own `mount-proc` and `next-inode` steps aside).
 *
 * The walk of /proc/thread-self/net that goes with a net observation of the task's own netns
 * (proc_net_walk) only reads existing entries: readdir and stat allocate no proc inode number,
 * and the inodes it instantiates are dropped at the last dput (the dentries below
 * /proc/<pid>/net are never cached: fs/proc/proc_net.c, always_delete_dentry), so it pins no
 * entry of a dying netns.
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
#include <pthread.h>
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
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <netinet/in.h>
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
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
/* include/uapi/linux/nsfs.h; NS_GET_ID is new in 6.18, the installed headers may predate it. */
#define NSIO 0xb7
#define NS_GET_USERNS_REQ _IO(NSIO, 0x1)
#define NS_GET_PARENT_REQ _IO(NSIO, 0x2)
#define NS_GET_NSTYPE_REQ _IO(NSIO, 0x3)
#define NS_GET_ID _IOR(NSIO, 13, uint64_t)
/* include/uapi/linux/fcntl.h [6.18]: dirfd for decoding nsfs file handles. */
#define FD_NSFS_ROOT (-10003)
/* include/uapi/asm-generic/unistd.h [6.19+]: listns(2). */
#define SYS_LISTNS 470
/* include/uapi/linux/openat2.h */
#define P_RESOLVE_NO_MAGICLINKS 0x02
#define P_RESOLVE_NO_SYMLINKS 0x04
#define P_RESOLVE_BENEATH 0x08
struct p_open_how {
	uint64_t flags, mode, resolve;
};
/* include/uapi/linux/sched.h: struct clone_args, CLONE_ARGS_SIZE_VER0 = 64 bytes */
struct p_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};
#define TMPFS_MAGIC_NR 0x01021994

#define MAX_HANDLE 128
#define MAX_INPUT_BYTES (16u << 20)
#define MAX_TASKS 256
#define MAX_STEPS 100000
#define MAX_NAME 128
#define MAX_NAMES 1024
#define MAX_MISSING 32
#define MAX_NOTES 32
/* /proc/thread-self/net walk bounds: entries stat'ed, directory depth, runs sent back (a fresh
 * netns on 6.18 has 64 entries in 1 run). */
#define PROC_MAX_ENTRIES 65536
#define PROC_MAX_DEPTH 8
#define PROC_MAX_RUNS 512
#define POLL_SLICE_MS 100
#define NS_PER_MS ((int64_t)1000000)
/* The sandbox root: a tmpfs the sandbox mounts over /tmp in its private mount namespace. */
#define SANDBOX_ROOT "/tmp"

/* Order of model/nsType.ts NS_TYPES. */
enum { NT_USER, NT_PID, NT_NET, NT_MNT, NT_UTS, NT_IPC, NT_CGROUP, NT_TIME, NT_COUNT };
static const char *const ns_name[NT_COUNT] = {"user", "pid", "net", "mnt", "uts", "ipc", "cgroup", "time"};
static const int ns_flag[NT_COUNT] = {CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWNS,
                                      CLONE_NEWUTS,  CLONE_NEWIPC, CLONE_NEWCGROUP, CLONE_NEWTIME};
/* The files of /proc/TASK/ns (src/scenario/ast.ts: NsFile); the first NT_COUNT are the types. */
enum { F_PID_FOR_CHILDREN = NT_COUNT, F_TIME_FOR_CHILDREN, F_COUNT };
static const char *const file_name[F_COUNT] = {"user", "pid", "net", "mnt", "uts", "ipc", "cgroup", "time",
                                               "pid_for_children", "time_for_children"};
static const int file_type[F_COUNT] = {NT_USER, NT_PID, NT_NET, NT_MNT, NT_UTS, NT_IPC, NT_CGROUP, NT_TIME, NT_PID, NT_TIME};

/* Scenario operations (src/scenario/ast.ts: StepKind without expect). */
enum op {
	OP_UNSHARE, OP_FORK, OP_THREAD, OP_SETNS, OP_OPEN, OP_IOCTL, OP_CLOSE, OP_BIND, OP_UMOUNT,
	OP_MOUNT_PROC, OP_SOCKET, OP_PIDFD, OP_SHMAT, OP_SHMDT, OP_EXEC, OP_EXIT, OP_WAIT, OP_SET_LIMIT,
	OP_READ, OP_NEXT_INODE, OP_SLEEP, OP_COUNT,
	/* internal commands */
	CMD_OBSERVE_ALL = 100,
};
static const char *const op_name[OP_COUNT] = {
	"unshare", "fork", "thread", "setns", "open", "ioctl", "close", "bind", "umount", "mount-proc", "socket",
	"pidfd", "shmat", "shmdt", "exec", "exit", "wait", "set-limit", "read", "next-inode", "sleep"};
/* Where an nsfs file comes from (src/scenario/ast.ts: NsSource). */
enum { SRC_NONE, SRC_PROC, SRC_PATH, SRC_FD };

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

static void sleep_ns(int64_t ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL};
	nanosleep(&ts, NULL);
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
	E(ENOKEY) E(EKEYREJECTED) E(EOWNERDEAD) E(EIDRM) E(ENOTBLK) E(ETXTBSY) E(ECONNRESET)
	E(ENOBUFS) E(EADDRINUSE) E(ENOEXEC)
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

/* Reads a small text file into buf (NUL-terminated). 0 or an errno. */
static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return e;
		}
		if (n == 0 || (len += (size_t)n) == size - 1)
			break;
	}
	buf[len] = 0;
	close(fd);
	return 0;
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
static void stop_sandbox(void);

static void cleanup(void)
{
	if (getpid() != coordinator_pid)
		return;
	stop_sandbox();
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
 * incomplete trace; parseTrace also reads a last line cut in the middle). The tasks see their
 * channels close when this process is gone, and exit. */
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


/* ---------------------------------------------------------------------------------------- */
/* input */

struct step {
	long index, line;
	int task;       /* -1 for sleep and next-inode */
	enum op op;
	int ntypes;
	int types[NT_COUNT];
	int flag;       /* cloexec (open, ioctl, socket), lazy (umount) */
	int request;    /* ioctl: 0 get-userns, 1 get-parent */
	int other;      /* task id: fork/thread child, pidfd target, wait child; -1 */
	int src_kind;   /* SRC_*: open, bind */
	int src_task, src_file;
	int file;       /* read */
	int64_t value;  /* sleep: ns; set-limit: the value */
	char *name;     /* the fd/segment the step names: as NAME, FD, segment */
	char *name2;    /* fork: the pidfd's name */
	char *src;      /* source path (SRC_PATH) or fd name (SRC_FD; ioctl: its fd) */
	char *path;     /* bind, umount, mount-proc */
	char *args;     /* the trace args, JSON, verbatim */
};

static char *meta_json;
static int ntasks;
static char *task_name[MAX_TASKS];
static int task_initial[MAX_TASKS];
static int task_born_by[MAX_TASKS]; /* index+1 of the step that forks a child task; 0 none */
static struct step *steps;
static int nsteps;

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

/* A step line, read word by word; the rest of the line after the words is the args JSON. */
struct cursor {
	char *p;
	int ln;
	const char *shape; /* what the whole line should look like, for errors */
};

static char *word(struct cursor *c, const char *what)
{
	if (!*c->p || *c->p == '{')
		input_error(c->ln, "%s in %s", what, c->shape);
	char *w = c->p, *sp = strchr(w, ' ');
	if (sp) {
		*sp = 0;
		c->p = sp + 1;
	} else {
		c->p = w + strlen(w);
	}
	if (!*w)
		input_error(c->ln, "%s (one space between words) in %s", what, c->shape);
	return w;
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

static void types_or_none(struct cursor *c, struct step *st)
{
	char *w = word(c, "namespace types or \"-\"");
	if (strcmp(w, "-"))
		parse_types(c->ln, w, st);
}

static int task_word(struct cursor *c, const char *what)
{
	int64_t v;
	char *w = word(c, what);
	if (parse_u64(w, &v) || v >= ntasks)
		input_error(c->ln, "%s (a task id declared by a \"task\" line), got \"%s\"", what, w);
	return (int)v;
}

static char *name_word(struct cursor *c, const char *what)
{
	char *w = word(c, what);
	if (!strcmp(w, "-") || strlen(w) > MAX_NAME)
		input_error(c->ln, "%s (a name of at most %d bytes, not \"-\"), got \"%s\"", what, MAX_NAME, w);
	for (const unsigned char *p = (const unsigned char *)w; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			input_error(c->ln, "%s without control characters", what);
	return strdup(w);
}

/* An absolute path below the sandbox root: no empty, "." or ".." parts, no control characters. */
static int path_ok(const char *p)
{
	if (p[0] != '/' || !p[1] || strlen(p) >= PATH_MAX - sizeof SANDBOX_ROOT)
		return 0;
	for (const char *s = p; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
		if (*s == '/') {
			const char *e = strchr(s + 1, '/');
			size_t n = e ? (size_t)(e - s - 1) : strlen(s + 1);
			if (n == 0 || (n == 1 && s[1] == '.') || (n == 2 && s[1] == '.' && s[2] == '.') || n > NAME_MAX)
				return 0;
		}
	}
	return 1;
}

static char *path_word(struct cursor *c)
{
	char *w = word(c, "a path");
	if (!path_ok(w))
		input_error(c->ln, "an absolute path below \"/\" without empty, \".\" or \"..\" parts, got \"%s\"", w);
	return strdup(w);
}

static int flag_word(struct cursor *c, const char *name)
{
	char *w = word(c, name);
	if (!strcmp(w, name))
		return 1;
	if (!strcmp(w, "-"))
		return 0;
	input_error(c->ln, "\"%s\" or \"-\", got \"%s\"", name, w);
}

static int file_word(struct cursor *c)
{
	char *w = word(c, "a namespace file");
	for (int i = 0; i < F_COUNT; i++)
		if (!strcmp(w, file_name[i]))
			return i;
	input_error(c->ln, "a namespace file (user, pid, pid_for_children, net, mnt, uts, ipc, cgroup, time, "
	                   "time_for_children), got \"%s\"", w);
}

/* proc TID FILE | path PATH | fd NAME */
static void source_words(struct cursor *c, struct step *st)
{
	char *kind = word(c, "a source (proc, path or fd)");
	if (!strcmp(kind, "proc")) {
		st->src_kind = SRC_PROC;
		st->src_task = task_word(c, "the task of a /proc/TASK/ns/FILE source");
		st->src_file = file_word(c);
	} else if (!strcmp(kind, "path")) {
		st->src_kind = SRC_PATH;
		st->src = path_word(c);
	} else if (!strcmp(kind, "fd")) {
		st->src_kind = SRC_FD;
		st->src = name_word(c, "an fd name");
	} else {
		input_error(c->ln, "a source (\"proc TID FILE\", \"path PATH\" or \"fd NAME\"), got \"%s\"", kind);
	}
}

/* step <index> <line> <tid|-> <op> <words...> <args JSON>; see src/probe/input.ts. */
static void parse_step(int ln, char *line, struct step *st, const struct step *prev)
{
	struct cursor c = {line + 5, ln, "\"step <index> <line> <tid|-> <op> <words...> <args>\""};
	int64_t v;
	memset(st, 0, sizeof *st);
	st->other = -1;
	st->task = -1;
	if (parse_u64(word(&c, "a step index"), &v) || v > INT32_MAX)
		input_error(ln, "a step index (non-negative integer) in %s", c.shape);
	st->index = (long)v;
	if (prev && st->index <= prev->index)
		input_error(ln, "step indexes in increasing order, got %ld after %ld", st->index, prev->index);
	if (parse_u64(word(&c, "a source line"), &v) || v > INT32_MAX)
		input_error(ln, "a source line number (non-negative integer) in %s", c.shape);
	st->line = (long)v;
	char *tw = word(&c, "a task id or \"-\"");
	char *opw = word(&c, "an operation");
	int op = -1;
	for (int i = 0; i < OP_COUNT; i++)
		if (!strcmp(opw, op_name[i]))
			op = i;
	if (op < 0)
		input_error(ln, "an operation (unshare, fork, thread, setns, open, ioctl, close, bind, umount, mount-proc, "
		                "socket, pidfd, shmat, shmdt, exec, exit, wait, set-limit, read, next-inode, sleep), got \"%s\"",
		            opw);
	st->op = op;
	if (op == OP_SLEEP || op == OP_NEXT_INODE) {
		if (strcmp(tw, "-"))
			input_error(ln, "\"-\" as the task of a %s step, got \"%s\"", op_name[op], tw);
	} else {
		if (parse_u64(tw, &v) || v >= ntasks)
			input_error(ln, "a task id declared by a \"task\" line, got \"%s\"", tw);
		st->task = (int)v;
	}
	switch (st->op) {
	case OP_UNSHARE:
		parse_types(ln, word(&c, "namespace types"), st);
		break;
	case OP_FORK:
	case OP_THREAD: {
		st->other = task_word(&c, "the child's task id");
		if (task_initial[st->other] || task_born_by[st->other] || st->other == st->task)
			input_error(ln, "a child task (declared \"child\") that no other step makes, got task %d", st->other);
		task_born_by[st->other] = nsteps + 1;
		if (st->op == OP_FORK) {
			types_or_none(&c, st);
			char *pw = word(&c, "a pidfd name or \"-\"");
			if (strcmp(pw, "-")) {
				if (strlen(pw) > MAX_NAME)
					input_error(ln, "a pidfd name of at most %d bytes", MAX_NAME);
				st->name2 = strdup(pw);
			}
		}
		break;
	}
	case OP_SETNS:
		st->name = name_word(&c, "an fd name");
		types_or_none(&c, st);
		break;
	case OP_OPEN:
		source_words(&c, st);
		st->name = name_word(&c, "an fd name");
		st->flag = flag_word(&c, "cloexec");
		break;
	case OP_IOCTL: {
		st->src_kind = SRC_FD;
		st->src = name_word(&c, "an fd name");
		char *r = word(&c, "get-userns or get-parent");
		if (!strcmp(r, "get-userns"))
			st->request = 0;
		else if (!strcmp(r, "get-parent"))
			st->request = 1;
		else
			input_error(ln, "get-userns or get-parent, got \"%s\"", r);
		st->name = name_word(&c, "an fd name");
		st->flag = flag_word(&c, "cloexec");
		break;
	}
	case OP_CLOSE:
		st->name = name_word(&c, "an fd name");
		break;
	case OP_BIND:
		source_words(&c, st);
		st->path = path_word(&c);
		break;
	case OP_UMOUNT:
		st->path = path_word(&c);
		st->flag = flag_word(&c, "lazy");
		break;
	case OP_MOUNT_PROC:
		st->path = path_word(&c);
		break;
	case OP_SOCKET:
		st->name = name_word(&c, "an fd name");
		st->flag = flag_word(&c, "cloexec");
		break;
	case OP_PIDFD:
		st->other = task_word(&c, "the target task id");
		st->name = name_word(&c, "an fd name");
		break;
	case OP_SHMAT:
	case OP_SHMDT:
		st->name = name_word(&c, "a segment name");
		break;
	case OP_EXEC:
	case OP_EXIT:
	case OP_NEXT_INODE:
		break;
	case OP_WAIT:
		st->other = task_word(&c, "the child's task id");
		break;
	case OP_SET_LIMIT: {
		char *t = word(&c, "a namespace type");
		int ty = ns_type_of(t);
		if (ty < 0)
			input_error(ln, "a namespace type (user, pid, net, mnt, uts, ipc, cgroup, time), got \"%s\"", t);
		st->ntypes = 1;
		st->types[0] = ty;
		if (parse_u64(word(&c, "a limit"), &st->value))
			input_error(ln, "a limit (non-negative integer)");
		break;
	}
	case OP_READ:
		st->file = file_word(&c);
		break;
	case OP_SLEEP:
		if (parse_u64(word(&c, "a sleep duration"), &st->value))
			input_error(ln, "a sleep duration in nanoseconds (non-negative integer)");
		break;
	case OP_COUNT:
	case CMD_OBSERVE_ALL:
		break;
	}
	const char *end;
	if (*c.p != '{' || !(end = json_value(c.p, 0)) || *json_ws(end))
		input_error(ln, "the step's args as one JSON object at the end of the line (%s)", c.shape);
	st->args = strdup(c.p);
}

/* task <tid> <name> initial|child, tids 0, 1, ... in order */
static void parse_task(int ln, char *line)
{
	char *w[4];
	int64_t v;
	if (split_words(line, w, 4) != 4 || (strcmp(w[3], "initial") && strcmp(w[3], "child")))
		input_error(ln, "\"task <tid> <name> initial|child\"");
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
	task_initial[ntasks] = !strcmp(w[3], "initial");
	if (!task_initial[ntasks] && !ntasks)
		input_error(ln, "an initial task first");
	task_name[ntasks++] = strdup(w[2]);
}

#define INPUT_VERSION_LINE "nslife-probe-input 2"

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
			if (strcmp(line, INPUT_VERSION_LINE))
				input_error(ln, "\"%s\" (protocol version 2)", INPUT_VERSION_LINE);
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
				input_error(ln, "\"task <tid> <name> initial|child\" (at least one task)");
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
	case S_HEADER: input_error(ln + 1, "\"%s\" (protocol version 2)", INPUT_VERSION_LINE);
	case S_META: input_error(ln + 1, "\"meta <JSON object>\"");
	case S_TASKS: input_error(ln + 1, ntasks ? "\"step ...\" or \"run\"" : "\"task <tid> <name> initial|child\" (at least one task)");
	case S_STEPS: input_error(ln + 1, "\"run\" as the last line");
	case S_DONE: break;
	}
	free(buf);
}

/* ---------------------------------------------------------------------------------------- */
/* tasks (child processes and threads; they share the coordinator's binary, so messages are
 * raw structs over SOCK_SEQPACKET socketpairs created by the coordinator in the initial
 * namespaces: their files' f_cred pins nothing of the scenario) */

/* One command. Tasks are named by their host thread id (0: not alive, or never born): the
 * executing task reaches /proc/<tid>/ns/FILE through the host procfs its mount namespace has,
 * and translates the id into its own pid namespace where it needs to (pidfd, wait). */
struct task_cmd {
	int op;
	int ntypes;
	int types[NT_COUNT];
	int flag, request, is_thread;
	int src_kind, src_file, file;
	pid_t src_tid; /* SRC_PROC: host tid of the source task */
	pid_t target;  /* pidfd target, wait child: host tid */
	int64_t value;
	char name[MAX_NAME + 1];
	char name2[MAX_NAME + 1];
	char src[PATH_MAX];
	char path[PATH_MAX];
};

struct observation {
	int type;
	int err;    /* errno of opening the file; 0 when observed */
	int skip;   /* the fd is not an nsfs file (a pidfd): nothing to observe */
	uint64_t inode, dev;
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
	int walked; /* 1 when the walk ran (a net observation of the task's own netns, walk on) */
	int err;    /* errno of the walk (E2BIG: too many entries or runs); 0 when `run` is valid */
	int nrun;
	uint64_t run[2 * PROC_MAX_RUNS];
};

struct task_reply {
	int err;            /* errno of the operation; 0 on success */
	int map_err;        /* errno of writing our own id maps after CLONE_NEWUSER */
	char map_file[16];
	int64_t t0, t1;
	pid_t tgid, tid;    /* host ids (hello, exec) */
	int nobs;
	struct observation obs[NT_COUNT];
	struct proc_runs proc;
	int64_t limits[NT_COUNT]; /* CMD_OBSERVE_ALL: /proc/sys/user/max_*_namespaces, -1 unreadable */
	int limits_err;
	char note[256];     /* a line for the trace's notes (a refusal for safety), "" */
};

/* Per process (threads share it, fork copies it; exec passes the fds on in argv): the names the
 * scenario gave to fds and shm segments, and the command channels of the process's tasks. */
enum { NAME_FD = 1, NAME_SHM };
struct name_ent {
	char name[MAX_NAME + 1];
	int kind;
	int fd;
	void *addr;
};
static struct name_ent names[MAX_NAMES];
static int nnames;
static int chans[MAX_TASKS];
static int nchans;
static pid_t pdeath_parent;     /* initial tasks: the sandbox (they die with it); others 0 */
static uint64_t sandbox_dev;    /* st_dev of the sandbox root's tmpfs */
static char *self_exe_argv0;

static struct name_ent *name_find(const char *name, int kind)
{
	for (int i = 0; i < nnames; i++)
		if (names[i].kind == kind && !strcmp(names[i].name, name))
			return &names[i];
	return NULL;
}

/* The fd a name stands for; -1 (not open: the kernel says EBADF) when there is none. */
static int name_fd(const char *name)
{
	struct name_ent *e = name_find(name, NAME_FD);
	return e ? e->fd : -1;
}

/* Binds a name (again: the fd it named stays open). 0, or EMFILE when the table is full. */
static int name_bind(const char *name, int kind, int fd, void *addr)
{
	struct name_ent *e = name_find(name, kind);
	if (!e) {
		if (nnames == MAX_NAMES)
			return EMFILE;
		e = &names[nnames++];
		snprintf(e->name, sizeof e->name, "%s", name);
		e->kind = kind;
	}
	e->fd = fd;
	e->addr = addr;
	return 0;
}

static void name_drop(struct name_ent *e)
{
	*e = names[--nnames];
}

static void chan_forget(int fd)
{
	for (int i = 0; i < nchans; i++)
		if (chans[i] == fd) {
			chans[i] = chans[--nchans];
			return;
		}
}

static int type_of_clone_flag(int flag)
{
	for (int i = 0; i < NT_COUNT; i++)
		if (ns_flag[i] == flag)
			return i;
	return -1;
}

/* Inode number, NS_GET_ID id and nsfs file handle of the namespace behind `fd`. A file that is
 * not an nsfs file (NS_GET_NSTYPE fails: a pidfd) is marked `skip`. */
static void observe_fd(int fd, struct observation *o)
{
	_Alignas(struct file_handle) unsigned char raw[sizeof(struct file_handle) + MAX_HANDLE];
	struct file_handle *fh = (struct file_handle *)raw;
	struct stat st;
	int mnt_id;

	memset(o, 0, sizeof *o);
	if (fstat(fd, &st) < 0) {
		o->err = errno;
		return;
	}
	int flag = ioctl(fd, NS_GET_NSTYPE_REQ);
	if (flag < 0 || (o->type = type_of_clone_flag(flag)) < 0) {
		o->skip = 1;
		return;
	}
	o->inode = st.st_ino;
	o->dev = st.st_dev;
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
}

/* The same for a path; the fd is closed before returning: its reference is dropped
 * synchronously (fs/nsfs.c: nsfs_evict). */
static void observe_path(const char *path, int type, struct observation *o)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		memset(o, 0, sizeof *o);
		o->type = type;
		o->err = errno;
		return;
	}
	observe_fd(fd, o);
	if (o->skip) {
		o->skip = 0;
		o->type = type;
		o->err = ENOTTY;
	}
	close(fd);
}

/* The calling thread's /proc/TASK/ns/FILE (thread-self: a thread may be in other namespaces
 * than its thread group leader). */
static void observe_self(int file, struct observation *o)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/thread-self/ns/%s", file_name[file]);
	observe_path(path, file_type[file], o);
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

/* The inode numbers of the calling thread's netns's /proc/net entries: every entry under
 * /proc/thread-self/net (whose entries are the netns's proc_dir_entries, fs/proc/proc_net.c),
 * subdirectories included, as ascending runs. The directory itself is left out: it is a
 * per-task /proc/<pid> inode, not a proc_dir_entry (its number does not come from the proc
 * inode IDA, KERNEL-RULES.md section 4). */
static void proc_net_walk(struct proc_runs *pr)
{
	static uint64_t *ino; /* one command runs at a time in a process: threads may share it */
	size_t n = 0;
	pr->walked = 1;
	pr->nrun = 0;
	if (!ino && !(ino = malloc(PROC_MAX_ENTRIES * sizeof *ino))) {
		pr->err = ENOMEM;
		return;
	}
	int fd = open("/proc/thread-self/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

/* After the operation (t1): the /proc/net runs of a net observation, when that netns is the
 * calling thread's own (its /proc/thread-self/net shows it). */
static void walk_own_net(struct task_reply *rep)
{
	if (!proc_net_on)
		return;
	for (int i = 0; i < rep->nobs; i++) {
		const struct observation *o = &rep->obs[i];
		struct stat st;
		if (o->type != NT_NET || o->err || o->skip)
			continue;
		if (stat("/proc/thread-self/ns/net", &st) == 0 && (uint64_t)st.st_ino == o->inode)
			proc_net_walk(&rep->proc);
		return;
	}
}

/* After CLONE_NEWUSER map uid/gid 0 to our own (parent-ns) ids 0, like `unshare -Ur`, so the
 * task keeps CAP_SYS_ADMIN for the next unshare. Allowed without privilege in the parent for a
 * single line mapping the writer's own euid/egid once setgroups is denied
 * (kernel/user_namespace.c: new_idmap_permitted). */
static void write_own_maps(struct task_reply *rep)
{
	static const char *const file[3] = {"/proc/thread-self/setgroups", "/proc/thread-self/uid_map",
	                                    "/proc/thread-self/gid_map"};
	static const char *const text[3] = {"deny", "0 0 1\n", "0 0 1\n"};
	for (int i = 0; i < 3; i++) {
		int e = write_file(file[i], text[i]);
		if (e) {
			rep->map_err = e;
			snprintf(rep->map_file, sizeof rep->map_file, "%s", file[i] + strlen("/proc/thread-self/"));
			return;
		}
	}
}

/* Initial tasks die with the sandbox (PR_SET_PDEATHSIG); commit_creds clears the parent-death
 * signal when the credentials change (unshare/setns of a user ns, exec), so it is set again. */
static void rearm_pdeath(void)
{
	if (!pdeath_parent)
		return;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != pdeath_parent)
		_exit(1);
}

/* The calling thread's host thread group and thread ids: /proc/thread-self is
 * "<tgid>/task/<tid>" as the procfs's pid namespace (the host's, the one this mount namespace
 * has on /proc) numbers them. */
static void host_ids(pid_t *tgid, pid_t *tid)
{
	char buf[64];
	ssize_t n = readlink("/proc/thread-self", buf, sizeof buf - 1);
	int a = 0, b = 0;
	*tgid = *tid = 0;
	if (n <= 0)
		return;
	buf[n] = 0;
	if (sscanf(buf, "%d/task/%d", &a, &b) == 2) {
		*tgid = a;
		*tid = b;
	}
}

/* PPid and NSpid (the ids in each pid namespace from the procfs's down to the task's own) of
 * /proc/<tid>/status (tid 0: the calling thread). 0 or an errno. */
static int pid_status(pid_t tid, pid_t *ppid, pid_t *nspid, int *nlevels)
{
	char path[64], buf[4096];
	if (tid)
		snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	else
		snprintf(path, sizeof path, "/proc/thread-self/status");
	int e = read_small(path, buf, sizeof buf);
	if (e)
		return e;
	char *pp = strstr(buf, "\nPPid:"), *ns = strstr(buf, "\nNSpid:");
	if (!pp || !ns)
		return ENOENT;
	*ppid = (pid_t)atoi(pp + 6);
	*nlevels = 0;
	for (char *s = ns + 7; *s && *s != '\n' && *nlevels < 40;) {
		while (*s == '\t' || *s == ' ')
			s++;
		if (*s < '0' || *s > '9')
			break;
		nspid[(*nlevels)++] = (pid_t)strtol(s, &s, 10);
	}
	return *nlevels ? 0 : ENOENT;
}

/* The id of the host thread `host` in the calling thread's pid namespace, or 0 when it has none
 * there (it is not in that namespace or a descendant at the same depth: checked by the caller). */
static pid_t pid_here(pid_t host, pid_t *host_ppid)
{
	pid_t mine[40], theirs[40], ppid;
	int nm, nt;
	if (!host || pid_status(0, &ppid, mine, &nm) || pid_status(host, host_ppid, theirs, &nt) || nt < nm)
		return 0;
	return theirs[nm - 1];
}

/* pidfd_open(2) of the task whose host thread id is `host`, by its id in our pid namespace.
 * That id is checked: the pidfd's fdinfo shows the host id (the procfs reading it is the
 * host's). ESRCH where the task has no id here. */
static int open_pidfd(pid_t host, int *err)
{
	pid_t ppid, pid = pid_here(host, &ppid);
	char path[64], buf[1024];
	if (!pid) {
		*err = ESRCH;
		return -1;
	}
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	snprintf(path, sizeof path, "/proc/thread-self/fdinfo/%d", fd);
	char *p;
	if (read_small(path, buf, sizeof buf) || !(p = strstr(buf, "\nPid:")) || atoi(p + 5) != host) {
		close(fd);
		*err = ESRCH; /* another task has that id here: the target has none */
		return -1;
	}
	return fd;
}

/* ---- paths below the sandbox root ---- */

/* The sandbox root in the calling thread's mount namespace, checked to be the probe's tmpfs
 * (a scenario step must never reach the host's file system). */
static int sandbox_root(void)
{
	struct stat st;
	int fd = open(SANDBOX_ROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_dev != sandbox_dev) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	return fd;
}

/* openat2 below `dfd`: no symlinks, no magic links, never above `dfd`. */
static int open_beneath(int dfd, const char *rel, int flags)
{
	struct p_open_how how = {.flags = (uint64_t)flags | O_CLOEXEC,
	                         .resolve = P_RESOLVE_BENEATH | P_RESOLVE_NO_SYMLINKS | P_RESOLVE_NO_MAGICLINKS};
	return (int)syscall(SYS_openat2, dfd, rel, &how, sizeof how);
}

/* Opens (O_PATH) the directory holding the last part of `path` below the sandbox root,
 * creating the directories on the way (mkdir -p); with `all`, the last part is made a
 * directory too and returned. `*last` is the last part (not with `all`). -1 with errno. */
static int sandbox_dir(const char *path, int all, char *last, size_t lastsize)
{
	char buf[PATH_MAX];
	int dfd = sandbox_root();
	if (dfd < 0)
		return -1;
	snprintf(buf, sizeof buf, "%s", path + 1);
	char *save = NULL, *part = strtok_r(buf, "/", &save);
	while (part) {
		char *next = strtok_r(NULL, "/", &save);
		if (!next && !all) {
			snprintf(last, lastsize, "%s", part);
			return dfd;
		}
		if (mkdirat(dfd, part, 0755) < 0 && errno != EEXIST)
			goto fail;
		int nfd = open_beneath(dfd, part, O_PATH | O_DIRECTORY);
		if (nfd < 0)
			goto fail;
		close(dfd);
		dfd = nfd;
		part = next;
	}
	return dfd;
fail:;
	int e = errno;
	close(dfd);
	errno = e;
	return -1;
}

/* Opens a path below the sandbox root (O_RDONLY or O_PATH). */
static int sandbox_open(const char *path, int flags)
{
	int root = sandbox_root();
	if (root < 0)
		return -1;
	int fd = open_beneath(root, path + 1, flags);
	int e = errno;
	close(root);
	errno = e;
	return fd;
}

/* The path of an nsfs source as mount(2)/open(2) take it; `*tmp` is an fd to close after use
 * (SRC_PATH). -1 with errno. */
static int source_path(const struct task_cmd *cmd, char *out, size_t size, int *tmp)
{
	*tmp = -1;
	switch (cmd->src_kind) {
	case SRC_PROC:
		snprintf(out, size, "/proc/%d/ns/%s", (int)cmd->src_tid, file_name[cmd->src_file]);
		return 0;
	case SRC_PATH:
		if ((*tmp = sandbox_open(cmd->src, O_PATH)) < 0)
			return -1;
		snprintf(out, size, "/proc/thread-self/fd/%d", *tmp);
		return 0;
	case SRC_FD: {
		int fd = name_fd(cmd->src);
		if (fd < 0) {
			errno = EBADF;
			return -1;
		}
		snprintf(out, size, "/proc/thread-self/fd/%d", fd);
		return 0;
	}
	default:
		errno = EINVAL;
		return -1;
	}
}

/* ---- the command loop ---- */

static void task_loop(int chan, int is_thread) __attribute__((noreturn));

static int send_reply(int chan, const struct task_reply *rep)
{
	return send(chan, rep, sizeof *rep, MSG_NOSIGNAL) == (ssize_t)sizeof *rep ? 0 : -1;
}

/* A new task's first message: its host ids and what it sees. */
static void hello(int chan, struct task_reply *rep)
{
	host_ids(&rep->tgid, &rep->tid);
	if (send_reply(chan, rep) < 0)
		_exit(1);
}

static void *thread_main(void *arg)
{
	struct task_reply *rep = calloc(1, sizeof *rep);
	int chan = (int)(intptr_t)arg;
	if (!rep)
		syscall(SYS_exit, 1);
	hello(chan, rep);
	free(rep);
	task_loop(chan, 1);
}

/* The fork child: closes the other tasks' channels it inherited, writes its id maps (a new
 * user namespace), shows its new namespaces, then serves its own channel. */
static void fork_child(int chan, const struct task_cmd *cmd, int flags) __attribute__((noreturn));
static void fork_child(int chan, const struct task_cmd *cmd, int flags)
{
	static struct task_reply rep;
	for (int i = 0; i < nchans; i++)
		if (chans[i] != chan)
			close(chans[i]);
	nchans = 0;
	chans[nchans++] = chan;
	pdeath_parent = 0; /* an orphan lives on (the sandbox, a subreaper, adopts it) */
	memset(&rep, 0, sizeof rep);
	if (flags & CLONE_NEWUSER)
		write_own_maps(&rep);
	for (int i = 0; i < cmd->ntypes; i++)
		observe_self(cmd->types[i], &rep.obs[rep.nobs++]);
	walk_own_net(&rep);
	hello(chan, &rep);
	task_loop(chan, 0);
}

static void exec_self(int chan, struct task_reply *rep)
{
	char *argv[MAX_NAMES + 16], arg[8][64];
	static char fdarg[MAX_NAMES][MAX_NAME + 32];
	int n = 0, k = 0;
	argv[n++] = self_exe_argv0 ? self_exe_argv0 : "nslife-probe";
	argv[n++] = "--task-resume";
	snprintf(arg[k], 64, "chan=%d", chan), argv[n++] = arg[k++];
	snprintf(arg[k], 64, "root=%" PRIu64, sandbox_dev), argv[n++] = arg[k++];
	snprintf(arg[k], 64, "procnet=%d", proc_net_on), argv[n++] = arg[k++];
	snprintf(arg[k], 64, "pdeath=%d", (int)pdeath_parent), argv[n++] = arg[k++];
	snprintf(arg[k], 64, "t0=%" PRId64, rep->t0), argv[n++] = arg[k++];
	int nf = 0;
	for (int i = 0; i < nnames; i++) {
		if (names[i].kind != NAME_FD)
			continue;
		snprintf(fdarg[nf], sizeof fdarg[nf], "fd=%d,%.128s", names[i].fd, names[i].name);
		argv[n++] = fdarg[nf++];
	}
	argv[n] = NULL;
	/* The channel must stay open across execve; the other tasks' channels must not. */
	fcntl(chan, F_SETFD, 0);
	extern char **environ;
	execve("/proc/self/exe", argv, environ);
	rep->err = errno;
	fcntl(chan, F_SETFD, FD_CLOEXEC);
	rep->t1 = now_ns();
}

/* --task-resume: the image a task's `exec` started. Takes the channel and the named fds that
 * are still open (execve closed the close-on-exec ones), answers the exec step, serves on. */
static int task_resume(int argc, char **argv)
{
	static struct task_reply rep;
	int chan = -1;
	memset(&rep, 0, sizeof rep);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "chan=", 5))
			chan = atoi(a + 5);
		else if (!strncmp(a, "root=", 5))
			sandbox_dev = strtoull(a + 5, NULL, 10);
		else if (!strncmp(a, "procnet=", 8))
			proc_net_on = atoi(a + 8);
		else if (!strncmp(a, "pdeath=", 7))
			pdeath_parent = (pid_t)atoi(a + 7);
		else if (!strncmp(a, "t0=", 3))
			rep.t0 = strtoll(a + 3, NULL, 10);
		else if (!strncmp(a, "fd=", 3)) {
			char *comma = strchr(a + 3, ',');
			int fd = atoi(a + 3);
			if (comma && fcntl(fd, F_GETFD) >= 0) /* execve closed it: the name is gone */
				name_bind(comma + 1, NAME_FD, fd, NULL);
		}
	}
	rep.t1 = now_ns();
	if (chan < 0 || fcntl(chan, F_SETFD, FD_CLOEXEC) < 0)
		_exit(1);
	self_exe_argv0 = argv[0];
	chans[nchans++] = chan;
	rearm_pdeath();
	host_ids(&rep.tgid, &rep.tid);
	if (send_reply(chan, &rep) < 0)
		_exit(1);
	task_loop(chan, 0);
}

/* Reads one command, and the fd passed with it (a new task's channel end), if any. */
static ssize_t recv_cmd(int chan, struct task_cmd *cmd, int *passed)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = {cmd, sizeof *cmd};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	*passed = -1;
	ssize_t n = recvmsg(chan, &m, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(passed, CMSG_DATA(c), sizeof(int));
	return n;
}

static void run_cmd(int chan, const struct task_cmd *cmd, int passed, struct task_reply *rep)
{
	char path[PATH_MAX + 64], src[PATH_MAX + 64], last[NAME_MAX + 1];
	int flags = 0, r, fd, tmp;
	for (int i = 0; i < cmd->ntypes; i++)
		flags |= ns_flag[cmd->types[i]];
	switch (cmd->op) {
	case OP_UNSHARE:
		rep->t0 = now_ns();
		r = unshare(flags);
		rep->err = r < 0 ? errno : 0;
		rep->t1 = now_ns();
		if (r == 0 && (flags & CLONE_NEWUSER))
			write_own_maps(rep);
		rearm_pdeath();
		if (r == 0)
			for (int i = 0; i < cmd->ntypes; i++)
				if (cmd->types[i] != NT_PID) /* unchanged for the caller; pid_for_children: ENOENT */
					observe_self(cmd->types[i] == NT_TIME ? F_TIME_FOR_CHILDREN : cmd->types[i],
					             &rep->obs[rep->nobs++]);
		break;
	case OP_FORK: {
		struct p_clone_args ca;
		int pidfd = -1;
		memset(&ca, 0, sizeof ca);
		ca.flags = (uint64_t)flags | (cmd->name2[0] ? CLONE_PIDFD : 0);
		ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
		ca.exit_signal = SIGCHLD;
		rep->t0 = now_ns();
		long pid = syscall(SYS_clone3, &ca, sizeof ca);
		if (pid == 0)
			fork_child(passed, cmd, flags);
		rep->err = pid < 0 ? errno : 0;
		rep->t1 = now_ns();
		close(passed);
		if (pid > 0 && cmd->name2[0] && (r = name_bind(cmd->name2, NAME_FD, pidfd, NULL)))
			snprintf(rep->note, sizeof rep->note, "fork: no room for the pidfd's name (%s)", errno_name(r));
		break;
	}
	case OP_THREAD: {
		pthread_t th;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 1 << 20);
		if (nchans == MAX_TASKS)
			_exit(1);
		chans[nchans++] = passed;
		rep->t0 = now_ns();
		r = pthread_create(&th, &attr, thread_main, (void *)(intptr_t)passed);
		rep->t1 = now_ns();
		pthread_attr_destroy(&attr);
		rep->err = r;
		if (r) {
			chan_forget(passed);
			close(passed);
		}
		break;
	}
	case OP_SETNS:
		fd = name_fd(cmd->name);
		rep->t0 = now_ns();
		r = setns(fd, flags);
		rep->err = r < 0 ? errno : 0;
		rep->t1 = now_ns();
		rearm_pdeath();
		if (r == 0)
			observe_fd(fd, &rep->obs[rep->nobs++]);
		break;
	case OP_OPEN:
		rep->t0 = now_ns();
		if (cmd->src_kind == SRC_PATH) {
			fd = sandbox_open(cmd->src, O_RDONLY | (cmd->flag ? O_CLOEXEC : 0));
		} else if (source_path(cmd, src, sizeof src, &tmp) == 0) {
			fd = open(src, O_RDONLY | (cmd->flag ? O_CLOEXEC : 0));
		} else {
			fd = -1;
		}
		rep->err = fd < 0 ? errno : 0;
		rep->t1 = now_ns();
		if (fd >= 0) {
			if (cmd->src_kind == SRC_PATH && !cmd->flag)
				fcntl(fd, F_SETFD, 0); /* openat2 took O_CLOEXEC for the resolution */
			if ((r = name_bind(cmd->name, NAME_FD, fd, NULL)))
				snprintf(rep->note, sizeof rep->note, "open: no room for the fd's name (%s)", errno_name(r));
			observe_fd(fd, &rep->obs[rep->nobs++]);
		}
		break;
	case OP_IOCTL:
		rep->t0 = now_ns();
		/* open_related_ns makes the new fd O_CLOEXEC (fs/nsfs.c); without `cloexec` it is cleared */
		fd = ioctl(name_fd(cmd->src), cmd->request ? NS_GET_PARENT_REQ : NS_GET_USERNS_REQ);
		rep->err = fd < 0 ? errno : 0;
		rep->t1 = now_ns();
		if (fd >= 0) {
			if (!cmd->flag)
				fcntl(fd, F_SETFD, 0);
			if ((r = name_bind(cmd->name, NAME_FD, fd, NULL)))
				snprintf(rep->note, sizeof rep->note, "ioctl: no room for the fd's name (%s)", errno_name(r));
			observe_fd(fd, &rep->obs[rep->nobs++]);
		}
		break;
	case OP_CLOSE: {
		struct name_ent *e = name_find(cmd->name, NAME_FD);
		rep->t0 = now_ns();
		r = close(e ? e->fd : -1);
		rep->err = r < 0 ? errno : 0;
		rep->t1 = now_ns();
		if (e)
			name_drop(e);
		break;
	}
	case OP_BIND: {
		int dfd = -1, tfd = -1;
		rep->t0 = now_ns();
		r = -1;
		if (source_path(cmd, src, sizeof src, &tmp) == 0 &&
		    (dfd = sandbox_dir(cmd->path, 0, last, sizeof last)) >= 0 &&
		    (tfd = openat(dfd, last, O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644)) >= 0) {
			snprintf(path, sizeof path, "/proc/thread-self/fd/%d", tfd);
			r = mount(src, path, NULL, MS_BIND, NULL);
		}
		rep->err = r < 0 ? errno : 0;
		rep->t1 = now_ns();
		if (tfd >= 0)
			close(tfd);
		if (dfd >= 0)
			close(dfd);
		if (tmp >= 0)
			close(tmp);
		if (r == 0) {
			if ((fd = sandbox_open(cmd->path, O_RDONLY)) >= 0) {
				observe_fd(fd, &rep->obs[rep->nobs++]);
				close(fd);
			} else {
				snprintf(rep->note, sizeof rep->note, "bind: observing %.180s after the mount failed with %s", cmd->path,
				         errno_name(errno));
			}
		}
		break;
	}
	case OP_UMOUNT:
		rep->t0 = now_ns();
		/* the path is checked to stay below the sandbox root (no symlinks), then unmounted by name */
		r = -1;
		if ((fd = sandbox_open(cmd->path, O_PATH)) >= 0) {
			close(fd);
			snprintf(path, sizeof path, "%s%s", SANDBOX_ROOT, cmd->path);
			r = umount2(path, (cmd->flag ? MNT_DETACH : 0) | UMOUNT_NOFOLLOW);
		}
		rep->err = r < 0 ? errno : 0;
		rep->t1 = now_ns();
		break;
	case OP_MOUNT_PROC:
		rep->t0 = now_ns();
		r = -1;
		if ((fd = sandbox_dir(cmd->path, 1, NULL, 0)) >= 0) {
			snprintf(path, sizeof path, "/proc/thread-self/fd/%d", fd);
			r = mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
			int e = errno;
			close(fd);
			errno = e;
		}
		rep->err = r < 0 ? errno : 0;
		rep->t1 = now_ns();
		break;
	case OP_SOCKET:
		rep->t0 = now_ns();
		fd = socket(AF_INET, SOCK_DGRAM | (cmd->flag ? SOCK_CLOEXEC : 0), 0);
		rep->err = fd < 0 ? errno : 0;
		rep->t1 = now_ns();
		if (fd >= 0 && (r = name_bind(cmd->name, NAME_FD, fd, NULL)))
			snprintf(rep->note, sizeof rep->note, "socket: no room for the fd's name (%s)", errno_name(r));
		break;
	case OP_PIDFD: {
		int e = 0;
		rep->t0 = now_ns();
		fd = open_pidfd(cmd->target, &e); /* O_CLOEXEC, as pidfd_open makes every pidfd */
		rep->err = fd < 0 ? e : 0;
		rep->t1 = now_ns();
		if (fd >= 0 && (r = name_bind(cmd->name, NAME_FD, fd, NULL)))
			snprintf(rep->note, sizeof rep->note, "pidfd: no room for the fd's name (%s)", errno_name(r));
		break;
	}
	case OP_SHMAT: {
		void *addr = (void *)-1;
		rep->t0 = now_ns();
		int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
		if (id >= 0) {
			addr = shmat(id, NULL, 0);
			int e = errno;
			shmctl(id, IPC_RMID, NULL); /* destroyed at the last detach */
			errno = e;
		}
		rep->err = addr == (void *)-1 ? errno : 0;
		rep->t1 = now_ns();
		if (addr != (void *)-1 && (r = name_bind(cmd->name, NAME_SHM, -1, addr))) {
			shmdt(addr);
			snprintf(rep->note, sizeof rep->note, "shmat: no room for the segment's name (%s)", errno_name(r));
		}
		break;
	}
	case OP_SHMDT: {
		struct name_ent *e = name_find(cmd->name, NAME_SHM);
		rep->t0 = now_ns();
		if (e) {
			r = shmdt(e->addr);
			rep->err = r < 0 ? errno : 0;
		} else {
			rep->err = EINVAL; /* shmdt(2) of an address with no segment attached */
		}
		rep->t1 = now_ns();
		if (e)
			name_drop(e);
		break;
	}
	case OP_EXEC:
		rep->t0 = now_ns();
		exec_self(chan, rep); /* returns only when execve failed */
		break;
	case OP_EXIT:
		rep->t0 = rep->t1 = now_ns();
		if (send_reply(chan, rep) < 0)
			_exit(1);
		if (cmd->is_thread) {
			chan_forget(chan);
			close(chan);
			syscall(SYS_exit, 0); /* this thread only */
		}
		_exit(0); /* exit_group */
	case OP_WAIT: {
		pid_t ppid = 0, mytgid, mytid;
		pid_t pid = pid_here(cmd->target, &ppid);
		host_ids(&mytgid, &mytid);
		siginfo_t si;
		memset(&si, 0, sizeof si);
		rep->t0 = now_ns();
		if (!pid || ppid != mytgid) {
			rep->err = ECHILD; /* not our child (or gone): waitid would say ECHILD */
		} else {
			r = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG);
			rep->err = r < 0 ? errno : si.si_pid == 0 ? EAGAIN : 0;
		}
		rep->t1 = now_ns();
		break;
	}
	case OP_SET_LIMIT: {
		char text[32];
		snprintf(path, sizeof path, "/proc/sys/user/max_%s_namespaces", ns_name[cmd->types[0]]);
		snprintf(text, sizeof text, "%" PRId64 "\n", cmd->value);
		rep->t0 = now_ns();
		rep->err = write_file(path, text);
		rep->t1 = now_ns();
		break;
	}
	case OP_READ:
		rep->t0 = now_ns();
		observe_self(cmd->file, &rep->obs[0]);
		rep->t1 = now_ns();
		if (rep->obs[0].err)
			rep->err = rep->obs[0].err;
		else
			rep->nobs = 1;
		break;
	case CMD_OBSERVE_ALL:
		rep->t0 = now_ns();
		for (int i = 0; i < NT_COUNT; i++)
			observe_self(i, &rep->obs[rep->nobs++]);
		rep->t1 = now_ns();
		for (int i = 0; i < NT_COUNT; i++) {
			char text[64];
			int64_t v;
			snprintf(path, sizeof path, "/proc/sys/user/max_%s_namespaces", ns_name[i]);
			int e = read_small(path, text, sizeof text);
			text[strcspn(text, "\n")] = 0;
			rep->limits[i] = -1;
			if (e)
				rep->limits_err = e;
			else if (parse_u64(text, &v) == 0)
				rep->limits[i] = v;
		}
		if (proc_net_on)
			proc_net_walk(&rep->proc); /* a trial: can this task walk /proc/thread-self/net? */
		return;
	default:
		_exit(1);
	}
	/* after t1: [t0, t1] brackets the operation, the walk reads what it left */
	walk_own_net(rep);
}

static void task_loop(int chan, int is_thread)
{
	static _Thread_local struct task_cmd cmd;
	static _Thread_local struct task_reply rep;
	for (;;) {
		int passed;
		ssize_t n = recv_cmd(chan, &cmd, &passed);
		if (n == 0 || (n < 0 && errno != EINTR)) {
			/* the coordinator is gone or done: end (a thread ends alone) */
			if (is_thread)
				syscall(SYS_exit, 0);
			_exit(0);
		}
		if (n < 0)
			continue;
		if (n != (ssize_t)sizeof cmd || cmd.ntypes < 0 || cmd.ntypes > NT_COUNT ||
		    ((cmd.op == OP_FORK || cmd.op == OP_THREAD) && passed < 0))
			_exit(1);
		for (int i = 0; i < cmd.ntypes; i++)
			if (cmd.types[i] < 0 || cmd.types[i] >= NT_COUNT)
				_exit(1);
		if (cmd.src_file < 0 || cmd.src_file >= F_COUNT || cmd.file < 0 || cmd.file >= F_COUNT)
			_exit(1);
		cmd.name[MAX_NAME] = cmd.name2[MAX_NAME] = 0;
		cmd.src[PATH_MAX - 1] = cmd.path[PATH_MAX - 1] = 0;
		if (passed >= 0 && cmd.op != OP_FORK && cmd.op != OP_THREAD)
			close(passed);
		memset(&rep, 0, sizeof rep);
		run_cmd(chan, &cmd, passed, &rep);
		if (send_reply(chan, &rep) < 0)
			_exit(1);
	}
}

/* The initial tasks: children of the sandbox, which they die with. */
static void initial_task(int chan, pid_t sandbox)
{
	static struct task_reply rep;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* the sandbox blocks SIGCHLD for its signalfd */
	pdeath_parent = sandbox;
	rearm_pdeath();
	chans[nchans++] = chan;
	memset(&rep, 0, sizeof rep);
	hello(chan, &rep);
	task_loop(chan, 0);
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

/* What the sandbox says once it has set up its root and forked the initial tasks. */
struct sandbox_status {
	int err;
	int stage; /* 0 forking the tasks, 1 making / private, 2 mounting the sandbox root */
};

/* The reply to a `next-inode` request. */
struct next_reply {
	int err;
	uint64_t inode;
};

/* `next-inode`: the lowest free proc inode number, seen as the number a throw-away uts
 * namespace gets. A helper process unshares it, stats it and exits; the namespace is freed
 * synchronously when the helper exits (kernel/utsname.c: free_uts_ns gives the number back),
 * and the helper is reaped before the reply. */
static void next_inode(int ctl)
{
	struct next_reply r = {0, 0};
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		r.err = errno;
		goto out;
	}
	pid_t h = fork();
	if (h < 0) {
		r.err = errno;
		close(p[0]);
		close(p[1]);
		goto out;
	}
	if (h == 0) {
		struct next_reply c = {0, 0};
		struct stat st;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		if (unshare(CLONE_NEWUTS) < 0)
			c.err = errno;
		else if (stat("/proc/self/ns/uts", &st) < 0)
			c.err = errno;
		else
			c.inode = st.st_ino;
		ssize_t w = write(p[1], &c, sizeof c);
		_exit(w == (ssize_t)sizeof c ? 0 : 1);
	}
	close(p[1]);
	struct pollfd pfd = {.fd = p[0], .events = POLLIN};
	if (poll(&pfd, 1, 5000) > 0 && read(p[0], &r, sizeof r) == (ssize_t)sizeof r) {
		waitpid(h, NULL, 0);
	} else {
		r.err = ETIMEDOUT;
		kill(h, SIGKILL);
		waitpid(h, NULL, 0);
	}
	close(p[0]);
out:
	if (send(ctl, &r, sizeof r, MSG_NOSIGNAL) != (ssize_t)sizeof r)
		_exit(1);
}

/* The sandbox: a fresh user + mount namespace, mapped by the coordinator, with a private tmpfs
 * as the sandbox root; parent of the initial tasks and child subreaper (the orphans of the
 * scenario come to it). It reaps its children as soon as they exit (SIGCHLD through a
 * signalfd), and lives until the coordinator closes `ctl` (or dies: PDEATHSIG). */
static void sandbox_main(int ctl, const int *fds, int n, pid_t coordinator)
{
	pid_t task_pid[MAX_TASKS];
	struct sandbox_status status = {0, 0};
	int err = 0;
	char go;

	default_signals();
	setpgid(0, 0); /* a terminal ^C reaches the coordinator only; it ends the run */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != coordinator)
		_exit(1);
	/* Neither the sandbox nor the tasks write anything: they must not keep the coordinator's
	 * stdout (the trace, maybe a pipe) open. /dev/null is opened before the unshare, so its
	 * f_cred pins nothing of the scenario. */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		for (int i = 0; i < 3; i++)
			dup2(devnull, i);
		close(devnull);
	}
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		err = errno;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (send(ctl, &err, sizeof err, MSG_NOSIGNAL) != (ssize_t)sizeof err || err)
		_exit(1);
	if (recv(ctl, &go, 1, 0) != 1) /* the coordinator has written our uid/gid maps */
		_exit(1);
	/* Nothing mounted here propagates anywhere; the tmpfs on /tmp is where scenario paths live. */
	struct stat st;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		status.err = errno;
		status.stage = 1;
	} else if (mount("nslife-sandbox", SANDBOX_ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=4m") < 0 ||
	           stat(SANDBOX_ROOT, &st) < 0) {
		status.err = errno;
		status.stage = 2;
	} else {
		sandbox_dev = (uint64_t)st.st_dev;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	pid_t self = getpid();
	int forked = 0;
	for (int i = 0; i < n && !status.err; i++) {
		pid_t p = fork();
		if (p < 0) {
			status.err = errno;
			break;
		}
		if (p == 0) {
			close(ctl);
			if (sfd >= 0)
				close(sfd);
			for (int j = 0; j < n; j++)
				if (j != i)
					close(fds[j]);
			initial_task(fds[i], self);
		}
		task_pid[forked++] = p;
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	if (send(ctl, &status, sizeof status, MSG_NOSIGNAL) != (ssize_t)sizeof status || status.err)
		_exit(1);
	for (;;) {
		struct pollfd pfd[2] = {{.fd = ctl, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
		int r = poll(pfd, sfd >= 0 ? 2 : 1, sfd >= 0 ? 1000 : 20);
		if (sfd >= 0 && r > 0 && (pfd[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) > 0)
				;
		}
		pid_t w;
		while ((w = waitpid(-1, NULL, WNOHANG)) > 0)
			for (int i = 0; i < forked; i++)
				if (task_pid[i] == w)
					task_pid[i] = 0; /* reaped: never killed by number */
		if (r > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			char c;
			ssize_t got = recv(ctl, &c, 1, MSG_DONTWAIT);
			if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
				break;
			if (got == 1 && c == 'n')
				next_inode(ctl);
		}
	}
	for (int i = 0; i < forked; i++)
		if (task_pid[i] > 0)
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
static int ns_ok;        /* coordinator has its private mount namespace */

static struct observation initial[NT_COUNT];
static int ninitial;
/* The sandbox user namespace's /proc/sys/user/max_*_namespaces (header.limits), when read. */
static int64_t limits[NT_COUNT];
static int limits_ok;

/* The scenario's tasks as the coordinator follows them. A task is `live` from its hello to the
 * step that ends it (exit, an exec of another thread of its process, a wait's reap) or until
 * /proc shows it gone or a zombie; a step of a task that is not live records ESRCH. */
enum { T_UNBORN, T_LIVE, T_DEAD };
static struct task {
	int state;
	int fd;                  /* the channel's coordinator end, -1 */
	int is_thread;           /* made by a `thread` step */
	int proc;                /* which process (thread group) it is a thread of */
	int parent;              /* the task whose step made it; -1 for initial tasks */
	pid_t tid, tgid;         /* host ids */
	pid_t born;              /* the host thread id it was born with (its scenario name's pid) */
	unsigned long long start; /* /proc/<tid>/stat starttime: the id is not reused meanwhile */
} tasks[MAX_TASKS];
static int nprocs;

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
		add_missing("%s: observing a %s namespace failed with %s", when, ns_name[o->type], errno_name(o->err));
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


/* ---- tasks seen from the coordinator ---- */

/* /proc/<tid>/stat of a host thread id: its state letter and starttime. 0 or -1 (gone). */
static int tid_stat(pid_t tid, char *state, unsigned long long *start)
{
	char path[64], buf[1024];
	if (tid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)tid);
	if (read_small(path, buf, sizeof buf))
		return -1;
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -1;
	*state = p[2];
	*start = 0;
	int field = 3; /* p + 2 is field 3 (state); starttime is field 22 */
	for (char *s = p + 2; *s; s++)
		if (*s == ' ' && ++field == 22) {
			*start = strtoull(s + 1, NULL, 10);
			break;
		}
	return 0;
}

/* 1 running, 0 a zombie, -1 gone (or its id now names another task). */
static int task_state_now(const struct task *t)
{
	char state;
	unsigned long long start;
	if (t->tid <= 0 || tid_stat(t->tid, &state, &start) < 0 || start != t->start)
		return -1;
	return state == 'Z' || state == 'X' || state == 'x' ? 0 : 1;
}

static void mark_dead(struct task *t)
{
	t->state = T_DEAD;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* Is the task alive (and so able to run a step)? A task seen gone or a zombie is dead. */
static int task_live(struct task *t)
{
	if (t->state != T_LIVE)
		return 0;
	if (task_state_now(t) != 1) {
		mark_dead(t);
		return 0;
	}
	return 1;
}

/* The host id a task's scenario name means where the kernel sees pid numbers (/proc/NAME,
 * pidfd_open, waitid): the id it was born with, while a task of ours holds it. After a thread's
 * exec the exec'ing thread holds its leader's id and its own id is gone (fs/exec.c: de_thread →
 * exchange_tids; the thread also takes the leader's start time, so the leader's record still
 * matches /proc/<id>/stat). A zombie still holds its id. 0 when no task of ours holds it. */
static pid_t task_name_tid(int i)
{
	const struct task *t = &tasks[i];
	if (t->state == T_UNBORN)
		return 0;
	for (int j = 0; j < ntasks; j++) {
		const struct task *u = &tasks[j];
		if (u->state != T_UNBORN && u->tid == t->born && task_state_now(u) >= 0)
			return t->born;
	}
	return 0;
}

/* Takes a new task's hello: its host ids. */
static void task_born(struct task *t, int fd, const struct task_reply *hello, int is_thread, int proc, int parent)
{
	char state;
	t->state = T_LIVE;
	t->fd = fd;
	t->tid = t->born = hello->tid;
	t->tgid = hello->tgid;
	t->is_thread = is_thread;
	t->proc = proc;
	t->parent = parent;
	if (tid_stat(t->tid, &state, &t->start) < 0)
		mark_dead(t);
}

/* At the end: SIGKILL any task still alive (they all end when their channel closes; this is for
 * one that did not). Through a pidfd, after checking that the id still names our task. */
static void kill_leftover_tasks(void)
{
	for (int i = 0; i < ntasks; i++) {
		struct task *t = &tasks[i];
		if (t->state == T_UNBORN || t->is_thread || t->tid <= 0)
			continue;
		int pfd = (int)syscall(SYS_pidfd_open, t->tid, 0);
		if (pfd < 0)
			continue;
		if (task_state_now(t) == 1)
			syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
		close(pfd);
	}
}

static int send_cmd(int fd, const struct task_cmd *cmd, int pass)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = {(void *)cmd, sizeof *cmd};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (pass >= 0) {
		memset(&u, 0, sizeof u);
		m.msg_control = u.buf;
		m.msg_controllen = sizeof u.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass, sizeof(int));
	}
	return sendmsg(fd, &m, MSG_NOSIGNAL) == (ssize_t)sizeof *cmd ? 0 : -1;
}

/* A reply: 0, 1 when the channel ended (the task died), -1 with abort_reason set. */
static int recv_reply(int fd, struct task_reply *rep, const char *what)
{
	if (wait_readable(fd, now_ns() + opt.step_timeout_ns, what) < 0)
		return -1;
	ssize_t n = recv(fd, rep, sizeof *rep, 0);
	if (n == (ssize_t)sizeof *rep)
		return 0;
	if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
		return 1;
	set_abort("%s: short message (%zd bytes)", what, n);
	return -1;
}

/* ---- sandbox lifecycle ---- */

/* Forks the sandbox with a channel per initial task and maps its ids. NULL on success, else the
 * reason the scenario cannot run (a refusal); -1 style failures set abort_reason and return "". */
static const char *start_sandbox(void)
{
	static char reason[256];
	int ctl[2], tfd[MAX_TASKS][2], err, n = 0, initial_id[MAX_TASKS];
	char path[64], map[64];

	for (int i = 0; i < ntasks; i++) {
		tasks[i].fd = -1;
		tasks[i].parent = -1;
		if (task_initial[i])
			initial_id[n++] = i;
	}
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
		tasks[initial_id[i]].fd = tfd[i][0];
	}
	ctl_fd = ctl[0];

	if (wait_readable(ctl_fd, now_ns() + opt.step_timeout_ns, "creating the sandbox") < 0)
		return "";
	if (recv(ctl_fd, &err, sizeof err, 0) != (ssize_t)sizeof err) {
		set_abort("creating the sandbox: the process exited unexpectedly");
		return "";
	}
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
	struct sandbox_status status;
	if (wait_readable(ctl_fd, now_ns() + opt.step_timeout_ns, "starting the tasks") < 0)
		return "";
	if (recv(ctl_fd, &status, sizeof status, 0) != (ssize_t)sizeof status) {
		set_abort("starting the tasks: the sandbox exited unexpectedly");
		return "";
	}
	if (status.err) {
		static const char *const stage[3] = {"forking the initial tasks", "making / private in the sandbox",
		                                     "mounting a tmpfs on " SANDBOX_ROOT " in the sandbox"};
		set_abort("starting the sandbox: %s failed with %s", stage[status.stage < 0 || status.stage > 2 ? 0 : status.stage],
		          errno_name(status.err));
		return "";
	}
	for (int i = 0; i < n; i++) {
		struct task_reply hello;
		struct task *t = &tasks[initial_id[i]];
		int fd = t->fd;
		if (recv_reply(fd, &hello, "starting the tasks") != 0) {
			set_abort("starting the tasks: task %s did not start", task_name[initial_id[i]]);
			return "";
		}
		task_born(t, fd, &hello, 0, nprocs++, -1);
		if (t->state != T_LIVE) {
			set_abort("starting the tasks: task %s is not in /proc", task_name[initial_id[i]]);
			return "";
		}
	}
	return NULL;
}

/* Ends the tasks and the sandbox: EOF on their channels makes the tasks exit (zombies go to
 * their parents, then to the sandbox, which reaps them); EOF on `ctl` ends the sandbox. SIGKILL
 * after 2 s for the sandbox, and for any task still alive then. */
static void stop_sandbox(void)
{
	if (sandbox_pid <= 0)
		return;
	for (int i = 0; i < ntasks; i++)
		if (tasks[i].fd >= 0) {
			close(tasks[i].fd);
			tasks[i].fd = -1;
		}
	int64_t deadline = now_ns() + 2000 * NS_PER_MS;
	for (int i = 0; i < ntasks; i++)
		while (tasks[i].state != T_UNBORN && task_state_now(&tasks[i]) == 1 && now_ns() < deadline)
			sleep_ns(2 * NS_PER_MS);
	if (ctl_fd >= 0)
		close(ctl_fd);
	ctl_fd = -1;
	for (int i = 0; i < 200; i++) {
		if (waitpid(sandbox_pid, NULL, WNOHANG) == sandbox_pid) {
			sandbox_pid = -1;
			break;
		}
		sleep_ns(10 * NS_PER_MS);
	}
	if (sandbox_pid > 0) {
		kill(sandbox_pid, SIGKILL);
		waitpid(sandbox_pid, NULL, 0);
		sandbox_pid = -1;
	}
	kill_leftover_tasks();
}

static void wait_released(const struct known_ns *k, int64_t deadline)
{
	while (ns_held(k) == 1 && now_ns() < deadline && !stop_signal)
		sleep_ns(10 * NS_PER_MS);
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

static int observe_initial(void)
{
	static struct task_cmd cmd;
	struct task_reply rep;
	memset(&cmd, 0, sizeof cmd);
	cmd.op = CMD_OBSERVE_ALL;
	if (send_cmd(tasks[0].fd, &cmd, -1) < 0 || recv_reply(tasks[0].fd, &rep, "observing the initial namespaces")) {
		set_abort("observing the initial namespaces: the task exited unexpectedly");
		return -1;
	}
	cap.nsGetId = 1;
	cap.fileHandles = 1;
	for (int i = 0; i < rep.nobs; i++) {
		note_observation(&rep.obs[i], "initial", 0);
		if (!rep.obs[i].err)
			initial[ninitial++] = rep.obs[i];
	}
	limits_ok = 1;
	for (int i = 0; i < NT_COUNT; i++) {
		limits[i] = rep.limits[i];
		if (limits[i] < 0)
			limits_ok = 0;
	}
	if (!limits_ok)
		add_missing("limits: reading /proc/sys/user/max_*_namespaces in the sandbox failed%s%s",
		            rep.limits_err ? " with " : "", rep.limits_err ? errno_name(rep.limits_err) : "");
	if (proc_net_on && rep.proc.err)
		add_missing("procNet: walking /proc/thread-self/net in the sandbox failed with %s; no proc runs on net observations",
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

/* The step's record, written at once. `next` < 0: none. */
static void json_step(const struct step *st, const struct task_reply *rep, int64_t next)
{
	static struct sbuf line;
	struct sbuf *b = &line;
	sb_printf(b, "{\"type\":\"step\",\"index\":%ld,\"line\":%ld,\"task\":", st->index, st->line);
	if (st->task < 0)
		sb_printf(b, "null");
	else
		sb_json_str(b, task_name[st->task]);
	sb_printf(b, ",\"op\":\"%s\",\"args\":%s", op_name[st->op], st->args);
	sb_printf(b, ",\"t0\":%" PRId64 ",\"t1\":%" PRId64 ",\"errno\":", rep->t0, rep->t1);
	if (rep->err)
		sb_printf(b, "\"%s\"", errno_name(rep->err));
	else
		sb_printf(b, "null");
	sb_printf(b, ",\"ns\":[");
	int first = 1;
	for (int i = 0; i < rep->nobs && !rep->err; i++) {
		if (rep->obs[i].err || rep->obs[i].skip)
			continue;
		if (!first)
			sb_printf(b, ",");
		json_observation(b, &rep->obs[i], proc_net_on ? &rep->proc : NULL);
		first = 0;
	}
	sb_printf(b, "],");
	if (next >= 0)
		sb_printf(b, "\"next\":%" PRId64 ",", next);
	json_refs(b);
	sb_printf(b, "}\n");
	emit(b);
}

static int orphan_noted;

/* A task that had no live scenario parent when it exited is reaped by the sandbox at once. */
static void note_orphan(const struct task *t)
{
	if (orphan_noted || t->is_thread)
		return;
	if (t->parent >= 0 && tasks[t->parent].state == T_LIVE && task_state_now(&tasks[t->parent]) == 1)
		return;
	orphan_noted = 1;
	add_missing("reaping: a task with no live scenario parent (an initial task, or an orphan the sandbox adopted as "
	            "child subreaper) is reaped by the probe's sandbox as soon as it exits; a wait for it finds ECHILD");
}

/* Waits (bounded) until `t` has exited: gone or a zombie. */
static void wait_exited(const struct task *t)
{
	int64_t deadline = now_ns() + opt.step_timeout_ns;
	while (task_state_now(t) == 1 && now_ns() < deadline && !stop_signal)
		sleep_ns(50000);
}

/* Runs a step of a task. 0, or -1 with abort_reason set. */
static int run_task_step(const struct step *st, struct task_reply *rep, const char *what)
{
	static struct task_cmd cmd;
	struct task *t = &tasks[st->task];
	int mine = -1, pass = -1;
	memset(rep, 0, sizeof *rep);
	if (!task_live(t)) {
		rep->t0 = rep->t1 = now_ns();
		rep->err = ESRCH;
		return 0;
	}
	memset(&cmd, 0, sizeof cmd);
	cmd.op = st->op;
	cmd.ntypes = st->ntypes;
	memcpy(cmd.types, st->types, sizeof cmd.types);
	cmd.flag = st->flag;
	cmd.request = st->request;
	cmd.is_thread = t->is_thread;
	cmd.src_kind = st->src_kind;
	cmd.src_file = st->src_kind == SRC_PROC ? st->src_file : 0;
	cmd.file = st->op == OP_READ ? st->file : 0;
	cmd.value = st->value;
	if (st->src_kind == SRC_PROC)
		cmd.src_tid = task_name_tid(st->src_task);
	if (st->op == OP_PIDFD || st->op == OP_WAIT)
		cmd.target = task_name_tid(st->other);
	if (st->name)
		snprintf(cmd.name, sizeof cmd.name, "%s", st->name);
	if (st->name2)
		snprintf(cmd.name2, sizeof cmd.name2, "%s", st->name2);
	if (st->src)
		snprintf(cmd.src, sizeof cmd.src, "%s", st->src);
	if (st->path)
		snprintf(cmd.path, sizeof cmd.path, "%s", st->path);
	if (st->op == OP_FORK || st->op == OP_THREAD) {
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
			set_abort("%s: socketpair failed: %s", what, errno_name(errno));
			return -1;
		}
		mine = sp[0];
		pass = sp[1];
	}
	int sent = send_cmd(t->fd, &cmd, pass);
	if (pass >= 0)
		close(pass);
	int r = sent < 0 ? 1 : recv_reply(t->fd, rep, what);
	if (r != 0) {
		if (mine >= 0)
			close(mine);
		if (r < 0)
			return -1;
		/* the task is gone (between the check and the command, or during it) */
		mark_dead(t);
		memset(rep, 0, sizeof *rep);
		rep->t0 = rep->t1 = now_ns();
		rep->err = ESRCH;
		add_missing("step %ld: task %s ended while it was sent the step; recorded as ESRCH", st->index,
		            task_name[st->task]);
		return 0;
	}
	switch (st->op) {
	case OP_FORK:
	case OP_THREAD: {
		struct task *c = &tasks[st->other];
		if (rep->err) {
			close(mine);
			break;
		}
		struct task_reply hello;
		int h = recv_reply(mine, &hello, what);
		if (h < 0) {
			close(mine);
			return -1;
		}
		if (h == 1) {
			close(mine);
			c->state = T_DEAD;
			add_missing("step %ld: the new task %s ended before it said hello", st->index, task_name[st->other]);
			break;
		}
		task_born(c, mine, &hello, st->op == OP_THREAD, st->op == OP_THREAD ? t->proc : nprocs++, st->task);
		rep->nobs = hello.nobs;
		memcpy(rep->obs, hello.obs, sizeof rep->obs);
		rep->proc = hello.proc;
		if (hello.map_err) {
			rep->map_err = hello.map_err;
			memcpy(rep->map_file, hello.map_file, sizeof rep->map_file);
		}
		break;
	}
	case OP_EXEC:
		if (rep->err)
			break;
		/* execve made the caller the thread group leader, and ended the process's other threads */
		t->tid = rep->tid;
		t->tgid = rep->tgid;
		{
			char state;
			if (tid_stat(t->tid, &state, &t->start) < 0)
				mark_dead(t);
		}
		for (int i = 0; i < ntasks; i++)
			if (&tasks[i] != t && tasks[i].state == T_LIVE && tasks[i].proc == t->proc)
				mark_dead(&tasks[i]);
		break;
	case OP_EXIT:
		wait_exited(t);
		if (!t->is_thread)
			for (int i = 0; i < ntasks; i++)
				if (tasks[i].state == T_LIVE && tasks[i].proc == t->proc)
					wait_exited(&tasks[i]);
		rep->t1 = now_ns();
		note_orphan(t);
		for (int i = 0; i < ntasks; i++)
			if (&tasks[i] == t || (!t->is_thread && tasks[i].state == T_LIVE && tasks[i].proc == t->proc))
				mark_dead(&tasks[i]);
		break;
	default:
		break;
	}
	return 0;
}

/* `next-inode`, by the sandbox. 0, or -1 with abort_reason set. */
static int run_next_inode(struct task_reply *rep, int64_t *next)
{
	struct next_reply nr;
	memset(rep, 0, sizeof *rep);
	rep->t0 = now_ns();
	if (send(ctl_fd, "n", 1, MSG_NOSIGNAL) != 1) {
		set_abort("next-inode: the sandbox exited unexpectedly");
		return -1;
	}
	if (wait_readable(ctl_fd, now_ns() + opt.step_timeout_ns, "next-inode") < 0)
		return -1;
	if (recv(ctl_fd, &nr, sizeof nr, 0) != (ssize_t)sizeof nr) {
		set_abort("next-inode: the sandbox exited unexpectedly");
		return -1;
	}
	rep->t1 = now_ns();
	rep->err = nr.err;
	*next = nr.err ? -1 : (int64_t)nr.inode;
	return 0;
}

static int run_steps(void)
{
	char what[128 + MAX_NAME];
	static struct task_reply rep;
	run_start = now_ns();
	for (int i = 0; i < nsteps; i++) {
		const struct step *st = &steps[i];
		int64_t next = -1;
		if (check_stop())
			return -1;
		if (st->op == OP_SLEEP) {
			memset(&rep, 0, sizeof rep);
			rep.t0 = now_ns();
			if (sleep_until(rep.t0 + st->value) < 0)
				return -1;
			rep.t1 = now_ns();
		} else if (st->op == OP_NEXT_INODE) {
			if (run_next_inode(&rep, &next) < 0)
				return -1;
		} else {
			snprintf(what, sizeof what, "step %ld (line %ld, task %s)", st->index, st->line, task_name[st->task]);
			if (run_task_step(st, &rep, what) < 0)
				return -1;
			if (rep.map_err)
				add_missing("userns: writing /proc/thread-self/%s after CLONE_NEWUSER failed with %s", rep.map_file,
				            errno_name(rep.map_err));
			if (rep.note[0])
				add_missing("step %ld: %s", st->index, rep.note);
			for (int k = 0; k < rep.nobs && !rep.err; k++)
				if (!rep.obs[k].skip)
					note_observation(&rep.obs[k], "step", 1);
			if (proc_net_on && rep.proc.walked && rep.proc.err)
				add_missing("procNet: walking /proc/thread-self/net after step %ld failed with %s; that observation has no proc runs",
				            st->index, errno_name(rep.proc.err));
		}
		json_step(st, &rep, next);
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
	if (limits_ok) {
		sb_printf(b, ",\"limits\":{");
		for (int i = 0; i < NT_COUNT; i++)
			sb_printf(b, "%s\"%s\":%" PRId64, i ? "," : "", ns_name[i], limits[i]);
		sb_printf(b, "}");
	}
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

	if (argc > 1 && !strcmp(argv[1], "--task-resume"))
		return task_resume(argc, argv); /* a task's `exec` */
	self_exe_argv0 = argv[0];
	coordinator_pid = getpid();
	parse_args(argc, argv);
	if (!opt.check)
		parse_input();
	else
		ntasks = task_initial[0] = 1;
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
	refused = start_sandbox();
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
