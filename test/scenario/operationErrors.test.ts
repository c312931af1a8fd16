import { describe, it } from 'vitest';
import { parseScenario } from '../../src/scenario/parse.ts';
import { expectInputError } from './support.ts';

// Input errors of each operation: [what, scenario text, the exact one-line error]; the file is
// always e.nsl. Syntax errors (the shape of a line) and value errors (names, tasks, bindings,
// paths, limits) alike. State-dependent failures (EBADF, ESRCH, ...) are not input errors.

const FD = 'an fd bound earlier by "as NAME" of open, ioctl, socket, pidfd or fork';
const NS_NAME = 'a name bound earlier by "as NAME" of read, open or ioctl';
const INODE_NAME = 'a name bound earlier by "as NAME" of read, open, ioctl or next-inode';
const SOURCE_OR_FD =
  'an nsfs file (/proc/TASK/ns/FILE, /proc/self/ns/FILE or a bind-mounted absolute path) or an fd name';
const SOURCE = 'an nsfs file (/proc/TASK/ns/FILE, /proc/self/ns/FILE or a bind-mounted absolute path)';
const FILES = 'a namespace file (user, pid, pid_for_children, net, mnt, uts, ipc, cgroup, time, time_for_children)';
const TYPES = 'a namespace type (user, pid, net, mnt, uts, ipc, cgroup, time)';
const PORTABLE = 'a path of POSIX portable file name characters (A-Z, a-z, 0-9, ".", "_", "-") and "/"';
const LIMIT = 'a limit (an integer from 0 to 2147483647, or $PARAM)';
const LIMIT_NAME = 'a limit name max_TYPE_namespaces (TYPE: user, pid, net, mnt, uts, ipc, cgroup, time)';
const OUTCOME = 'an outcome (ok, or an errno name such as ENOSPC)';
const ID = 'a name ([A-Za-z_][A-Za-z0-9_.-]*)';
const TASK_ID = 'a task name ([A-Za-z_][A-Za-z0-9_.-]*)';
/** Binds fd f (also a namespace), pidfd p of the forked task c, socket s, segment g, inode n, namespace r. */
const P =
  'task m\nm: open /proc/self/ns/net as f\nm: fork c pidfd as p\nm: socket as s\nm: shmat as g\nnext-inode as n\nm: read net as r\n';
const LONG_PART = `/${'a'.repeat(256)}`;
const LONG_PATH = `/${'a'.repeat(200)}`.repeat(21);

type Case = readonly [string, string, string];

function check(cases: readonly Case[]): void {
  it.each(cases)('%s', (_what, text, message) => {
    expectInputError(() => parseScenario(text, 'e.nsl'), message);
  });
}

describe('fork', () => {
  check([
    ['fork no child', 'task m\nm: fork', 'e.nsl:2:8: expected a name for the child task, found end of line'],
    [
      'fork existing child',
      'task m\nm: fork m',
      'e.nsl:2:9: expected a task name not declared or forked before, found "m" again',
    ],
    [
      'fork declared child',
      'task m c\nm: fork c',
      'e.nsl:2:9: expected a task name not declared or forked before, found "c" again',
    ],
    [
      'fork forked child again',
      'task m\nm: fork c\nm: fork c',
      'e.nsl:3:9: expected a task name not declared or forked before, found "c" again',
    ],
    [
      'fork child in repeat w/o $i',
      'task m\nrepeat 2 {\n  m: fork c\n}',
      'e.nsl:3:11: expected a task name not declared or forked before, found "c" again',
    ],
    [
      'fork child self',
      'task m\nm: fork self',
      'e.nsl:2:9: expected a task name other than "self" (/proc/self is the executing task), found "self"',
    ],
    ['fork bad child', 'task m\nm: fork 2c', `e.nsl:2:9: expected ${TASK_ID}, found "2c"`],
    [
      'fork bad child from $',
      'param x = a:b\ntask m\nm: fork $x',
      `e.nsl:3:9: expected ${TASK_ID}, found "$x" (= "a:b")`,
    ],
    ['fork new without types', 'task m\nm: fork c new', `e.nsl:2:14: expected ${TYPES}, found end of line`],
    ['fork new =>', 'task m\nm: fork c new => ok', `e.nsl:2:15: expected ${TYPES}, found "=>"`],
    ['fork bad type', 'task m\nm: fork c new user,nett', `e.nsl:2:20: expected ${TYPES}, found "nett"`],
    [
      'fork dup type',
      'task m\nm: fork c new user,user',
      'e.nsl:2:20: expected each namespace type at most once, found "user" again',
    ],
    [
      'fork stray',
      'task m\nm: fork c x',
      'e.nsl:2:11: expected "new TYPES", "pidfd as NAME", "=>" or end of line, found "x"',
    ],
    [
      'fork new then stray',
      'task m\nm: fork c new user x',
      'e.nsl:2:20: expected "pidfd as NAME", "=>" or end of line, found "x"',
    ],
    ['fork pidfd without as', 'task m\nm: fork c pidfd p', 'e.nsl:2:17: expected "as NAME" after "pidfd", found "p"'],
    [
      'fork pidfd as nothing',
      'task m\nm: fork c pidfd as',
      'e.nsl:2:19: expected a name after "as", found end of line',
    ],
    [
      'fork pidfd bad name',
      'task m\nm: fork c pidfd as same-ns',
      'e.nsl:2:20: expected a name other than same-inode, other-inode, same-ns, other-ns, found "same-ns"',
    ],
    [
      'fork pidfd then new',
      'task m\nm: fork c pidfd as p new user',
      'e.nsl:2:22: expected "=>" or end of line, found "new"',
    ],
  ]);
});

describe('thread', () => {
  check([
    ['thread no child', 'task m\nm: thread', 'e.nsl:2:10: expected a name for the new thread, found end of line'],
    [
      'thread existing',
      'task m\nm: thread m',
      'e.nsl:2:11: expected a task name not declared or forked before, found "m" again',
    ],
    ['thread stray', 'task m\nm: thread t x', 'e.nsl:2:13: expected "=>" or end of line, found "x"'],
  ]);
});

describe('setns', () => {
  check([
    ['setns no fd', 'task m\nm: setns', 'e.nsl:2:9: expected an fd name, found end of line'],
    ['setns unbound', 'task m\nm: setns f', `e.nsl:2:10: expected ${FD} (none is bound yet), found "f"`],
    [
      'setns read name',
      P + 'm: setns r',
      `e.nsl:8:10: expected ${FD} (bound so far: f, p, s), found "r", bound by read`,
    ],
    [
      'setns segment',
      P + 'm: setns g',
      `e.nsl:8:10: expected ${FD} (bound so far: f, p, s), found "g", bound by shmat`,
    ],
    [
      'setns next-inode name',
      P + 'm: setns n',
      `e.nsl:8:10: expected ${FD} (bound so far: f, p, s), found "n", bound by next-inode`,
    ],
    ['setns bad type', P + 'm: setns f nett', `e.nsl:8:12: expected ${TYPES}, found "nett"`],
    ['setns types then stray', P + 'm: setns f net x', 'e.nsl:8:16: expected "=>" or end of line, found "x"'],
  ]);
});

describe('open', () => {
  check([
    ['open nothing', 'task m\nm: open', `e.nsl:2:8: expected ${SOURCE}, found end of line`],
    ['open fd name', P + 'm: open f as x', `e.nsl:8:9: expected ${SOURCE}, found "f"`],
    ['open relative', 'task m\nm: open run/netns/a as x', `e.nsl:2:9: expected ${SOURCE}, found "run/netns/a"`],
    [
      'open /proc other',
      'task m\nm: open /proc/self/net as x',
      'e.nsl:2:9: expected an nsfs file /proc/TASK/ns/FILE (no other file under /proc), found "/proc/self/net"',
    ],
    [
      'open /proc/1',
      'task m\nm: open /proc/1/ns/net as x',
      'e.nsl:2:15: expected a task declared or forked earlier (m), found "1"',
    ],
    [
      'open /proc unknown task',
      'task m\nm: open /proc/c/ns/net as x',
      'e.nsl:2:15: expected a task declared or forked earlier (m), found "c"',
    ],
    [
      'open /proc unknown task $',
      'task m w1\nrepeat 2 {\n  m: open /proc/w$i/ns/net as x\n}',
      'e.nsl:3:11: expected a task declared or forked earlier (m, w1), found "w2" in "/proc/w$i/ns/net" (= "/proc/w2/ns/net")',
    ],
    ['open bad file', 'task m\nm: open /proc/self/ns/network as x', `e.nsl:2:23: expected ${FILES}, found "network"`],
    [
      'open bad file $',
      'param f = nett\ntask m\nm: open /proc/self/ns/$f as x',
      `e.nsl:3:9: expected ${FILES}, found "nett" in "/proc/self/ns/$f" (= "/proc/self/ns/nett")`,
    ],
    [
      'open /proc',
      'task m\nm: open /proc as x',
      'e.nsl:2:9: expected an nsfs file /proc/TASK/ns/FILE (no other file under /proc), found "/proc"',
    ],
    [
      'open without as',
      'task m\nm: open /proc/self/ns/net',
      'e.nsl:2:26: expected "as NAME" after the nsfs file, found end of line',
    ],
    [
      'open with wrong as',
      'task m\nm: open /proc/self/ns/net to x',
      'e.nsl:2:27: expected "as NAME" after the nsfs file, found "to"',
    ],
    [
      'open as nothing',
      'task m\nm: open /proc/self/ns/net as',
      'e.nsl:2:29: expected a name after "as", found end of line',
    ],
    [
      'open stray',
      'task m\nm: open /proc/self/ns/net as x y',
      'e.nsl:2:32: expected "cloexec", "=>" or end of line, found "y"',
    ],
    [
      'open cloexec stray',
      'task m\nm: open /proc/self/ns/net as x cloexec y',
      'e.nsl:2:40: expected "=>" or end of line, found "y"',
    ],
    ['open bad name', 'task m\nm: open /proc/self/ns/net as a/b', `e.nsl:2:30: expected ${ID}, found "a/b"`],
    [
      'open path ..',
      'task m\nm: open /run/../etc as x',
      'e.nsl:2:14: expected a path without "." or ".." parts, found "/run/../etc"',
    ],
    [
      'open path .',
      'task m\nm: open /run/./a as x',
      'e.nsl:2:14: expected a path without "." or ".." parts, found "/run/./a"',
    ],
    [
      'open path //',
      'task m\nm: open /run//a as x',
      'e.nsl:2:14: expected a path without empty parts ("//" or a trailing "/"), found "/run//a"',
    ],
    [
      'open path trailing /',
      'task m\nm: open /run/a/ as x',
      'e.nsl:2:16: expected a path without empty parts ("//" or a trailing "/"), found "/run/a/"',
    ],
    ['open path /', 'task m\nm: open / as x', 'e.nsl:2:9: expected a path below "/", found "/"'],
    ['open path odd char', 'task m\nm: open /run/a:b as x', `e.nsl:2:14: expected ${PORTABLE}, found "/run/a:b"`],
    [
      'open path vtab',
      'task m\nm: open /run/a\u000bb as x',
      `e.nsl:2:14: expected ${PORTABLE}, found "/run/a\\u000bb"`,
    ],
    [
      'open path $ param bad',
      'param d = /run/x$y\ntask m\nm: open $d as x',
      `e.nsl:3:9: expected ${PORTABLE}, found "$d" (= "/run/x$y")`,
    ],
  ]);
});

describe('ioctl', () => {
  check([
    ['ioctl nothing', 'task m\nm: ioctl', 'e.nsl:2:9: expected an fd name, found end of line'],
    [
      'ioctl no request',
      P + 'm: ioctl f',
      'e.nsl:8:11: expected an ioctl request (get-userns or get-parent), found end of line',
    ],
    [
      'ioctl bad request',
      P + 'm: ioctl f get-owner as x',
      'e.nsl:8:12: expected an ioctl request (get-userns or get-parent), found "get-owner"',
    ],
    [
      'ioctl no as',
      P + 'm: ioctl f get-userns',
      'e.nsl:8:22: expected "as NAME" after "get-userns", found end of line',
    ],
    [
      'ioctl unbound',
      'task m\nm: ioctl f get-userns as x',
      `e.nsl:2:10: expected ${FD} (none is bound yet), found "f"`,
    ],
    [
      'ioctl stray',
      P + 'm: ioctl f get-parent as x lazy',
      'e.nsl:8:28: expected "cloexec", "=>" or end of line, found "lazy"',
    ],
  ]);
});

describe('close', () => {
  check([
    ['close nothing', 'task m\nm: close', 'e.nsl:2:9: expected an fd name, found end of line'],
    ['close unbound', 'task m\nm: close f', `e.nsl:2:10: expected ${FD} (none is bound yet), found "f"`],
    [
      'close read name',
      P + 'm: close r',
      `e.nsl:8:10: expected ${FD} (bound so far: f, p, s), found "r", bound by read`,
    ],
    ['close stray', P + 'm: close f g', 'e.nsl:8:12: expected "=>" or end of line, found "g"'],
  ]);
});

describe('bind', () => {
  check([
    ['bind nothing', 'task m\nm: bind', `e.nsl:2:8: expected ${SOURCE_OR_FD}, found end of line`],
    [
      'bind no path',
      P + 'm: bind f',
      'e.nsl:8:10: expected an absolute path such as /run/netns/a to mount on, found end of line',
    ],
    ['bind relative source', P + 'm: bind run/a /run/b', `e.nsl:8:9: expected ${SOURCE_OR_FD}, found "run/a"`],
    ['bind unbound fd', 'task m\nm: bind f /run/b', `e.nsl:2:9: expected ${FD} (none is bound yet), found "f"`],
    [
      'bind segment',
      P + 'm: bind g /run/b',
      `e.nsl:8:9: expected ${FD} (bound so far: f, p, s), found "g", bound by shmat`,
    ],
    [
      'bind relative path',
      P + 'm: bind f run/b',
      'e.nsl:8:11: expected an absolute path such as /run/netns/a (starting with "/"), found "run/b"',
    ],
    ['bind under proc', P + 'm: bind f /proc/x', 'e.nsl:8:11: expected a path outside /proc, found "/proc/x"'],
    ['bind /proc itself', P + 'm: bind f /proc', 'e.nsl:8:11: expected a path outside /proc, found "/proc"'],
    ['bind stray', P + 'm: bind f /run/b /run/c', 'e.nsl:8:18: expected "=>" or end of line, found "/run/c"'],
  ]);
});

describe('umount', () => {
  check([
    [
      'umount nothing',
      'task m\nm: umount',
      'e.nsl:2:10: expected an absolute path such as /run/netns/a, found end of line',
    ],
    [
      'umount relative',
      'task m\nm: umount a',
      'e.nsl:2:11: expected an absolute path such as /run/netns/a (starting with "/"), found "a"',
    ],
    ['umount stray', 'task m\nm: umount /a now', 'e.nsl:2:14: expected "lazy", "=>" or end of line, found "now"'],
    ['umount lazy stray', 'task m\nm: umount /a lazy now', 'e.nsl:2:19: expected "=>" or end of line, found "now"'],
  ]);
});

describe('mount proc', () => {
  check([
    [
      'mount nothing',
      'task m\nm: mount',
      'e.nsl:2:9: expected "proc" after "mount" (mount proc PATH), found end of line',
    ],
    [
      'mount sysfs',
      'task m\nm: mount sysfs /sys',
      'e.nsl:2:10: expected "proc" after "mount" (mount proc PATH), found "sysfs"',
    ],
    [
      'mount proc nothing',
      'task m\nm: mount proc',
      'e.nsl:2:14: expected an absolute path such as /run/netns/a, found end of line',
    ],
    [
      'mount proc under proc',
      'task m\nm: mount proc /proc',
      'e.nsl:2:15: expected a path outside /proc, found "/proc"',
    ],
    [
      'mount proc long part',
      `task m\nm: mount proc ${LONG_PART}`,
      `e.nsl:2:16: expected a path whose parts have at most 255 characters, found "${LONG_PART}"`,
    ],
    [
      'mount proc long',
      `task m\nm: mount proc ${LONG_PATH}`,
      `e.nsl:2:15: expected a path of at most 4095 characters, found "${LONG_PATH}"`,
    ],
  ]);
});

describe('socket', () => {
  check([
    ['socket nothing', 'task m\nm: socket', 'e.nsl:2:10: expected "as NAME" after "socket", found end of line'],
    ['socket no as', 'task m\nm: socket s', 'e.nsl:2:11: expected "as NAME" after "socket", found "s"'],
    ['socket stray', 'task m\nm: socket as s x', 'e.nsl:2:16: expected "cloexec", "=>" or end of line, found "x"'],
  ]);
});

describe('pidfd', () => {
  check([
    ['pidfd nothing', 'task m\nm: pidfd', 'e.nsl:2:9: expected a task name, found end of line'],
    [
      'pidfd unknown',
      'task m\nm: pidfd c as p',
      'e.nsl:2:10: expected a task declared or forked earlier (m), found "c"',
    ],
    ['pidfd no as', 'task m\nm: pidfd m', 'e.nsl:2:11: expected "as NAME" after the task, found end of line'],
    [
      'pidfd self',
      'task m\nm: pidfd self as p',
      'e.nsl:2:10: expected a task declared or forked earlier (m), found "self"',
    ],
  ]);
});

describe('shmat', () => {
  check([
    ['shmat nothing', 'task m\nm: shmat', 'e.nsl:2:9: expected "as NAME" after "shmat", found end of line'],
    ['shmat name', 'task m\nm: shmat g', 'e.nsl:2:10: expected "as NAME" after "shmat", found "g"'],
  ]);
});

describe('shmdt', () => {
  check([
    ['shmdt nothing', 'task m\nm: shmdt', 'e.nsl:2:9: expected a segment name, found end of line'],
    [
      'shmdt unbound',
      'task m\nm: shmdt g',
      'e.nsl:2:10: expected a segment bound earlier by "shmat as NAME" (none is bound yet), found "g"',
    ],
    [
      'shmdt fd',
      P + 'm: shmdt f',
      'e.nsl:8:10: expected a segment bound earlier by "shmat as NAME" (bound so far: g), found "f", bound by open',
    ],
  ]);
});

describe('exec', () => {
  check([['exec stray', 'task m\nm: exec now', 'e.nsl:2:9: expected "=>" or end of line, found "now"']]);
});

describe('exit', () => {
  check([['exit stray', 'task m\nm: exit now', 'e.nsl:2:9: expected "=>" or end of line, found "now"']]);
});

describe('acting after exit', () => {
  check([
    [
      'after exit',
      'task m\nm: exit\nm: read net',
      'e.nsl:3:1: expected a task that has not exited, found "m", which exited at line 2',
    ],
    [
      'after exit in repeat',
      'task m\nrepeat 2 {\n  m: exit\n}',
      'e.nsl:3:3: expected a task that has not exited, found "m", which exited at line 3',
    ],
    [
      'after exit $',
      'task m w1\nw1: exit\nrepeat 1 {\n  w$i: exec\n}',
      'e.nsl:4:3: expected a task that has not exited, found "w$i" (= "w1"), which exited at line 2',
    ],
  ]);
});

describe('wait', () => {
  check([
    ['wait nothing', 'task m\nm: wait', 'e.nsl:2:8: expected a task name, found end of line'],
    ['wait unknown', 'task m\nm: wait c', 'e.nsl:2:9: expected a task declared or forked earlier (m), found "c"'],
    ['wait stray', 'task m\nm: fork c\nm: wait c d', 'e.nsl:3:11: expected "=>" or end of line, found "d"'],
  ]);
});

describe('set', () => {
  check([
    ['set nothing', 'task m\nm: set', `e.nsl:2:7: expected ${LIMIT_NAME}, found end of line`],
    [
      'set glued',
      'task m\nm: set max_net_namespaces=5',
      'e.nsl:2:8: expected spaces around "=" (set max_TYPE_namespaces = N), found "max_net_namespaces=5"',
    ],
    [
      'set glued right',
      'task m\nm: set max_net_namespaces =5',
      'e.nsl:2:27: expected "=" after the limit name, found "=5"',
    ],
    ['set bad name', 'task m\nm: set max_net 5', `e.nsl:2:8: expected ${LIMIT_NAME}, found "max_net"`],
    ['set bad type', 'task m\nm: set max_nett_namespaces = 5', `e.nsl:2:12: expected ${TYPES}, found "nett"`],
    ['set no =', 'task m\nm: set max_net_namespaces 5', 'e.nsl:2:27: expected "=" after the limit name, found "5"'],
    ['set no value', 'task m\nm: set max_net_namespaces =', `e.nsl:2:28: expected ${LIMIT}, found end of line`],
    ['set negative', 'task m\nm: set max_net_namespaces = -1', `e.nsl:2:29: expected ${LIMIT}, found "-1"`],
    [
      'set too big',
      'task m\nm: set max_net_namespaces = 2147483648',
      `e.nsl:2:29: expected ${LIMIT}, found "2147483648"`,
    ],
    ['set leading zero', 'task m\nm: set max_net_namespaces = 05', `e.nsl:2:29: expected ${LIMIT}, found "05"`],
    [
      'set $ bad',
      'param n = x\ntask m\nm: set max_net_namespaces = $n',
      `e.nsl:3:29: expected ${LIMIT}, found "$n" (= "x")`,
    ],
    ['set stray', 'task m\nm: set max_net_namespaces = 5 6', 'e.nsl:2:31: expected "=>" or end of line, found "6"'],
  ]);
});

describe('read', () => {
  check([['read bad file', 'task m\nm: read pid_for_child', `e.nsl:2:9: expected ${FILES}, found "pid_for_child"`]]);
});

describe('next-inode', () => {
  check([
    ['next-inode stray', 'next-inode x', 'e.nsl:1:12: expected "as NAME" or end of line, found "x"'],
    ['next-inode as nothing', 'next-inode as', 'e.nsl:1:14: expected a name after "as", found end of line'],
    ['next-inode as two', 'next-inode as a b', 'e.nsl:1:17: expected end of line, found "b"'],
    ['next-inode bad name', 'next-inode as 1a', `e.nsl:1:15: expected ${ID}, found "1a"`],
    ['next-inode =>', 'next-inode => ok', 'e.nsl:1:12: expected "as NAME" or end of line, found "=>"'],
  ]);
});

describe('expect and the kind of binding', () => {
  check([
    [
      'expect held next-inode',
      'next-inode as n\nexpect n held',
      `e.nsl:2:8: expected ${NS_NAME} (no such name is bound yet), found "n", bound by next-inode`,
    ],
    [
      'expect same-ns next-inode',
      P + 'expect same-ns r n',
      `e.nsl:8:18: expected ${NS_NAME} (bound so far: f, r), found "n", bound by next-inode`,
    ],
    [
      'expect held socket',
      P + 'expect s held',
      `e.nsl:8:8: expected ${NS_NAME} (bound so far: f, r), found "s", bound by socket`,
    ],
    [
      'expect same-inode pidfd',
      P + 'expect same-inode r p',
      `e.nsl:8:21: expected ${INODE_NAME} (bound so far: f, n, r), found "p", bound by fork`,
    ],
    [
      'expect unbound none',
      'next-inode as n\nexpect x released',
      `e.nsl:2:8: expected ${NS_NAME} (no such name is bound yet), found "x"`,
    ],
  ]);
});

describe('task names', () => {
  check([
    [
      'task self',
      'task self',
      'e.nsl:1:6: expected a task name other than "self" (/proc/self is the executing task), found "self"',
    ],
    [
      'task after fork',
      'task m\nm: fork c\ntask c',
      'e.nsl:3:6: expected a task name not declared or forked before, found "c" again',
    ],
  ]);
});

describe('outcomes of any operation', () => {
  check([
    ['outcome bad', 'task m\nm: exit => oops', `e.nsl:2:12: expected ${OUTCOME}, found "oops"`],
    ['outcome missing', 'task m\nm: fork c =>', `e.nsl:2:13: expected ${OUTCOME} after "=>", found end of line`],
  ]);
});
