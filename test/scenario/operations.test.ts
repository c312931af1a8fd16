import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/parse.ts';
import { withoutPos } from './support.ts';

// Every operation of the scenario language, as the parser reads it into the IR. Errors are in
// operationErrors.test.ts.

const parse = (text: string, params?: Record<string, string>) => parseScenario(text, 'ops.nsl', params);
const steps = (text: string, params?: Record<string, string>) => withoutPos(parse(text, params)).steps;
/** The steps of `lines` after a prologue that declares `m` and binds what they use. */
const after = (prologue: string, lines: string) =>
  steps(`task m\n${prologue}\n${lines}`).slice(prologueSteps(prologue));
const prologueSteps = (prologue: string) => prologue.split('\n').filter((l) => l.trim() !== '').length;

/** A prologue binding fd `f` (also a namespace), pidfd `p`, socket `s` and segment `g`. */
const FDS = 'm: open /proc/self/ns/net as f\nm: fork c pidfd as p\nm: socket as s\nm: shmat as g';

describe('operations', () => {
  it('unshare TYPES', () => {
    expect(after('', 'm: unshare user,net => ENOSPC')).toEqual([
      { kind: 'unshare', task: 'm', types: ['user', 'net'], expect: 'ENOSPC' },
    ]);
  });

  it('fork CHILD [new TYPES] [pidfd as NAME]', () => {
    expect(
      after(
        '',
        'm: fork a\nm: fork b new pid\nm: fork c new user, net pidfd as p\nm: fork d pidfd as q => ok\nd: fork e new time,cgroup',
      ),
    ).toEqual([
      { kind: 'fork', task: 'm', child: 'a', types: [] },
      { kind: 'fork', task: 'm', child: 'b', types: ['pid'] },
      { kind: 'fork', task: 'm', child: 'c', types: ['user', 'net'], pidfd: 'p' },
      { kind: 'fork', task: 'm', child: 'd', types: [], pidfd: 'q', expect: 'ok' },
      { kind: 'fork', task: 'd', child: 'e', types: ['time', 'cgroup'] },
    ]);
  });

  it('thread CHILD', () => {
    expect(after('', 'm: thread t\nt: thread u => EAGAIN\nu: read net')).toEqual([
      { kind: 'thread', task: 'm', child: 't' },
      { kind: 'thread', task: 't', child: 'u', expect: 'EAGAIN' },
      { kind: 'read', task: 'u', nsType: 'net' },
    ]);
  });

  it('setns FD [TYPES]', () => {
    expect(after(FDS, 'm: setns f\nm: setns f net\nm: setns p user,pid, mnt => EINVAL\nm: setns s => EINVAL')).toEqual([
      { kind: 'setns', task: 'm', fd: 'f', types: [] },
      { kind: 'setns', task: 'm', fd: 'f', types: ['net'] },
      { kind: 'setns', task: 'm', fd: 'p', types: ['user', 'pid', 'mnt'], expect: 'EINVAL' },
      { kind: 'setns', task: 'm', fd: 's', types: [], expect: 'EINVAL' },
    ]);
  });

  it('open SOURCE as NAME [cloexec]', () => {
    expect(
      after(
        'm: fork c',
        'm: open /proc/self/ns/net as a\nm: open /proc/c/ns/pid_for_children as b cloexec\nc: open /proc/m/ns/time_for_children as a => ENOENT\nm: open /run/netns/x as d cloexec => ENOENT',
      ),
    ).toEqual([
      { kind: 'open', task: 'm', source: { kind: 'proc', task: 'm', file: 'net' }, as: 'a', cloexec: false },
      {
        kind: 'open',
        task: 'm',
        source: { kind: 'proc', task: 'c', file: 'pid_for_children' },
        as: 'b',
        cloexec: true,
      },
      {
        kind: 'open',
        task: 'c',
        source: { kind: 'proc', task: 'm', file: 'time_for_children' },
        as: 'a',
        cloexec: false,
        expect: 'ENOENT',
      },
      {
        kind: 'open',
        task: 'm',
        source: { kind: 'path', path: '/run/netns/x' },
        as: 'd',
        cloexec: true,
        expect: 'ENOENT',
      },
    ]);
  });

  it('open /proc/self/ns/FILE means the executing task, whoever it is', () => {
    const s = steps('task m n\nn: open /proc/self/ns/user as a\nm: open /proc/self/ns/user as b');
    expect(s.map((step) => (step.kind === 'open' && step.source.kind === 'proc' ? step.source.task : ''))).toEqual([
      'n',
      'm',
    ]);
  });

  it('ioctl FD get-userns|get-parent as NAME [cloexec]', () => {
    expect(
      after(
        FDS,
        'm: ioctl f get-userns as u\nm: ioctl u get-parent as v cloexec\nm: ioctl s get-parent as w => ENOTTY',
      ),
    ).toEqual([
      { kind: 'ioctl', task: 'm', fd: 'f', request: 'get-userns', as: 'u', cloexec: false },
      { kind: 'ioctl', task: 'm', fd: 'u', request: 'get-parent', as: 'v', cloexec: true },
      { kind: 'ioctl', task: 'm', fd: 's', request: 'get-parent', as: 'w', cloexec: false, expect: 'ENOTTY' },
    ]);
  });

  it('close FD', () => {
    expect(after(FDS, 'm: close f\nm: close f => EBADF\nm: close p\nm: close s')).toEqual([
      { kind: 'close', task: 'm', fd: 'f' },
      { kind: 'close', task: 'm', fd: 'f', expect: 'EBADF' },
      { kind: 'close', task: 'm', fd: 'p' },
      { kind: 'close', task: 'm', fd: 's' },
    ]);
  });

  it('bind SOURCE PATH', () => {
    expect(
      after(
        FDS,
        'm: bind /proc/self/ns/net /run/netns/a\nm: bind /proc/c/ns/user /run/u\nm: bind /run/netns/a /run/netns/b\nm: bind f /run/netns/c => EPERM',
      ),
    ).toEqual([
      { kind: 'bind', task: 'm', source: { kind: 'proc', task: 'm', file: 'net' }, path: '/run/netns/a' },
      { kind: 'bind', task: 'm', source: { kind: 'proc', task: 'c', file: 'user' }, path: '/run/u' },
      { kind: 'bind', task: 'm', source: { kind: 'path', path: '/run/netns/a' }, path: '/run/netns/b' },
      { kind: 'bind', task: 'm', source: { kind: 'fd', fd: 'f' }, path: '/run/netns/c', expect: 'EPERM' },
    ]);
  });

  it('umount PATH [lazy]', () => {
    expect(after('', 'm: umount /run/netns/a\nm: umount /run/netns/a lazy => EINVAL')).toEqual([
      { kind: 'umount', task: 'm', path: '/run/netns/a', lazy: false },
      { kind: 'umount', task: 'm', path: '/run/netns/a', lazy: true, expect: 'EINVAL' },
    ]);
  });

  it('mount proc PATH', () => {
    expect(after('', 'm: mount proc /mnt/proc\nm: mount proc /tmp/p-2.x_y => EPERM')).toEqual([
      { kind: 'mount-proc', task: 'm', path: '/mnt/proc' },
      { kind: 'mount-proc', task: 'm', path: '/tmp/p-2.x_y', expect: 'EPERM' },
    ]);
  });

  it('socket as NAME [cloexec]', () => {
    expect(after('', 'm: socket as s\nm: socket as t cloexec => EMFILE')).toEqual([
      { kind: 'socket', task: 'm', as: 's', cloexec: false },
      { kind: 'socket', task: 'm', as: 't', cloexec: true, expect: 'EMFILE' },
    ]);
  });

  it('pidfd TARGET as NAME', () => {
    expect(after('m: fork c', 'm: pidfd c as p\nc: pidfd m as q\nm: pidfd m as r => ok')).toEqual([
      { kind: 'pidfd', task: 'm', target: 'c', as: 'p' },
      { kind: 'pidfd', task: 'c', target: 'm', as: 'q' },
      { kind: 'pidfd', task: 'm', target: 'm', as: 'r', expect: 'ok' },
    ]);
  });

  it('shmat as NAME, shmdt NAME', () => {
    expect(after('', 'm: shmat as g\nm: shmdt g\nm: shmdt g => EINVAL\nm: shmat as h => ENOSPC')).toEqual([
      { kind: 'shmat', task: 'm', as: 'g' },
      { kind: 'shmdt', task: 'm', segment: 'g' },
      { kind: 'shmdt', task: 'm', segment: 'g', expect: 'EINVAL' },
      { kind: 'shmat', task: 'm', as: 'h', expect: 'ENOSPC' },
    ]);
  });

  it('exec, exit, wait CHILD', () => {
    expect(
      after('m: fork c', 'm: wait c => EAGAIN\nc: exec\nc: exit\nm: wait c\nm: wait c => ECHILD\nm: exit => ok'),
    ).toEqual([
      { kind: 'wait', task: 'm', child: 'c', expect: 'EAGAIN' },
      { kind: 'exec', task: 'c' },
      { kind: 'exit', task: 'c' },
      { kind: 'wait', task: 'm', child: 'c' },
      { kind: 'wait', task: 'm', child: 'c', expect: 'ECHILD' },
      { kind: 'exit', task: 'm', expect: 'ok' },
    ]);
  });

  it('set max_TYPE_namespaces = N', () => {
    expect(
      after(
        '',
        'm: set max_net_namespaces = 0\nm: set max_user_namespaces = 2147483647 => EINVAL\nm: set max_cgroup_namespaces = 7',
      ),
    ).toEqual([
      { kind: 'set-limit', task: 'm', nsType: 'net', value: 0 },
      { kind: 'set-limit', task: 'm', nsType: 'user', value: 2147483647, expect: 'EINVAL' },
      { kind: 'set-limit', task: 'm', nsType: 'cgroup', value: 7 },
    ]);
  });

  it('read FILE [as NAME], also pid_for_children and time_for_children', () => {
    expect(
      after('', 'm: read pid_for_children => ENOENT\nm: read time_for_children as t\nm: read net as n => ok'),
    ).toEqual([
      { kind: 'read', task: 'm', nsType: 'pid_for_children', expect: 'ENOENT' },
      { kind: 'read', task: 'm', nsType: 'time_for_children', as: 't' },
      { kind: 'read', task: 'm', nsType: 'net', as: 'n', expect: 'ok' },
    ]);
  });

  it('next-inode [as NAME], a step of no task', () => {
    expect(steps('next-inode\nnext-inode as free\nrepeat 2 {\n  next-inode as free$i\n}')).toEqual([
      { kind: 'next-inode' },
      { kind: 'next-inode', as: 'free' },
      { kind: 'next-inode', as: 'free1' },
      { kind: 'next-inode', as: 'free2' },
    ]);
  });

  it('reads "TASK:op" without a space for every operation alike', () => {
    expect(after(FDS, 'm:close f\nm:exit')).toEqual([
      { kind: 'close', task: 'm', fd: 'f' },
      { kind: 'exit', task: 'm' },
    ]);
  });

  it('takes keywords as names where a name is expected', () => {
    expect(
      after('', 'm: fork new new user pidfd as cloexec\nm: socket as lazy cloexec\nm: close lazy\nm: close cloexec'),
    ).toEqual([
      { kind: 'fork', task: 'm', child: 'new', types: ['user'], pidfd: 'cloexec' },
      { kind: 'socket', task: 'm', as: 'lazy', cloexec: true },
      { kind: 'close', task: 'm', fd: 'lazy' },
      { kind: 'close', task: 'm', fd: 'cloexec' },
    ]);
  });
});

describe('$NAME in every name and value of an operation', () => {
  it('expands children, fds, sources, paths, targets, segments, requests, limits and names', () => {
    const text = `param req = get-userns
param lim = 5
param dir = /run/netns
task m
repeat 2 {
  m: fork c$i new user pidfd as p$i
  m: thread t$i
  t$i: open /proc/c$i/ns/user as u$i cloexec
  m: ioctl u$i $req as o$i
  m: setns p$i user
  m: bind u$i $dir/ns$i
  m: bind $dir/ns$i \${dir}/copy$i
  m: open $dir/copy$i as v$i
  m: umount $dir/ns$i lazy
  m: mount proc /mnt/proc$i
  m: socket as s$i
  c$i: pidfd t$i as q$i
  m: shmat as g$i
  m: shmdt g$i
  m: close s$i
  c$i: set max_net_namespaces = $lim
  c$i: exit
  m: wait c$i
  next-inode as n$i
}
expect same-inode n1 u2
expect other-ns o1 v2`;
    const s = steps(text, { dir: '/srv' });
    const second = s.slice(19, 38);
    expect(second).toEqual([
      { kind: 'fork', task: 'm', child: 'c2', types: ['user'], pidfd: 'p2' },
      { kind: 'thread', task: 'm', child: 't2' },
      { kind: 'open', task: 't2', source: { kind: 'proc', task: 'c2', file: 'user' }, as: 'u2', cloexec: true },
      { kind: 'ioctl', task: 'm', fd: 'u2', request: 'get-userns', as: 'o2', cloexec: false },
      { kind: 'setns', task: 'm', fd: 'p2', types: ['user'] },
      { kind: 'bind', task: 'm', source: { kind: 'fd', fd: 'u2' }, path: '/srv/ns2' },
      { kind: 'bind', task: 'm', source: { kind: 'path', path: '/srv/ns2' }, path: '/srv/copy2' },
      { kind: 'open', task: 'm', source: { kind: 'path', path: '/srv/copy2' }, as: 'v2', cloexec: false },
      { kind: 'umount', task: 'm', path: '/srv/ns2', lazy: true },
      { kind: 'mount-proc', task: 'm', path: '/mnt/proc2' },
      { kind: 'socket', task: 'm', as: 's2', cloexec: false },
      { kind: 'pidfd', task: 'c2', target: 't2', as: 'q2' },
      { kind: 'shmat', task: 'm', as: 'g2' },
      { kind: 'shmdt', task: 'm', segment: 'g2' },
      { kind: 'close', task: 'm', fd: 's2' },
      { kind: 'set-limit', task: 'c2', nsType: 'net', value: 5 },
      { kind: 'exit', task: 'c2' },
      { kind: 'wait', task: 'm', child: 'c2' },
      { kind: 'next-inode', as: 'n2' },
    ]);
    expect(s.slice(38)).toEqual([
      { kind: 'expect', check: { kind: 'same-inode', a: 'n1', b: 'u2' } },
      { kind: 'expect', check: { kind: 'other-ns', a: 'o1', b: 'v2' } },
    ]);
  });

  it('keeps forked tasks out of the declared tasks', () => {
    expect(parse('task m\nm: fork c\nc: thread t').tasks).toEqual(['m']);
  });
});

describe('bindings', () => {
  it('lets expect use names bound by read, open and ioctl, and next-inode names in inode checks', () => {
    const text = `task m
m: read net as r
m: open /proc/self/ns/net as o
m: ioctl o get-userns as i
next-inode as n
expect r held
expect o released
expect i held
expect same-ns r o
expect other-ns o i
expect same-inode n r
expect other-inode i n`;
    expect(steps(text).slice(4)).toHaveLength(7);
  });

  it('rebinds a name whatever bound it before: the latest binder says what it is', () => {
    const text = `task m
m: socket as x
m: read net as x
expect x held
m: open /proc/self/ns/net as x
m: close x
next-inode as x
expect same-inode x x
m: shmat as x
m: shmdt x`;
    expect(steps(text)).toHaveLength(9);
  });

  it('keeps a binding made in a repeat usable after it', () => {
    expect(steps('task m\nrepeat 2 {\n  m: open /proc/self/ns/net as f$i\n}\nm: close f2\nm: setns f1')).toHaveLength(
      4,
    );
  });

  it('lets a task use an fd another task bound: fds are checked per process by the model', () => {
    expect(steps('task a b\na: socket as s\nb: close s => EBADF')).toHaveLength(2);
  });
});

describe('tasks', () => {
  it('lets forked and threaded tasks act, and exited tasks be waited for, targeted and read', () => {
    const text = `task m
m: fork c new user
c: thread t
t: read user as tu
c: exit
m: wait c
m: pidfd c as p => ESRCH
m: open /proc/c/ns/user as cu => ENOENT
m: bind /proc/c/ns/net /run/c => ENOENT
m: wait c => ECHILD`;
    expect(steps(text)).toHaveLength(9);
  });

  it('forks in a repeat, one new task per iteration', () => {
    expect(parse('task m\nrepeat 3 {\n  m: fork w$i\n  w$i: exit\n}').steps).toHaveLength(6);
  });

  it('lets a task declared after the step that forked another name act', () => {
    expect(steps('task m\nm: fork c\ntask d\nd: wait c')).toHaveLength(2);
  });
});
