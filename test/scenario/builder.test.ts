import { test } from '@fast-check/vitest';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NsType } from '../../model/nsType.ts';
import type { NsFile, Scenario } from '../../src/scenario/ast.ts';
import {
  BUILDER_FILE,
  held,
  otherInode,
  otherNs,
  read,
  released,
  sameInode,
  sameNs,
  scenario,
  unshare,
  type ScenarioBuilder,
} from '../../src/scenario/builder.ts';
import { sourceText } from '../../src/scenario/observed.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { fullScenarioArb } from '../arbitraries/scenario.ts';
import { expectInputError, withoutPos } from './support.ts';

const seedText = readFileSync(new URL('../../examples/seed.nsl', import.meta.url), 'utf8');

/** The builder's seed: what examples/seed.nsl says, in TypeScript. */
function seed(params?: Record<string, string>) {
  return scenario('seed', { params })
    .param('delay', '500ms')
    .task('main')
    .do('main', unshare('user'))
    .do('main', read('net', 'orig'))
    .repeat(4, (b, i) =>
      b
        .do('main', unshare('net'))
        .do('main', read('net', `trash${i}`))
        .sleep('$delay'),
    )
    .build();
}

/** Scenarios equal but for where they came from. */
function sameScenario(built: ReturnType<typeof seed>, parsed: ReturnType<typeof seed>) {
  expect({ ...withoutPos(built), file: '' }).toEqual({ ...withoutPos(parsed), file: '' });
}

describe('scenario builder', () => {
  it('builds the seed exactly as examples/seed.nsl parses', () => {
    sameScenario(seed(), parseScenario(seedText, 'examples/seed.nsl'));
  });

  it('builds the seed with an overridden delay as the parser does', () => {
    sameScenario(seed({ delay: '0ms' }), parseScenario(seedText, 'examples/seed.nsl', { delay: '0ms' }));
  });

  it('expands $i and $PARAM in its strings like the parser', () => {
    const viaTemplates = scenario('seed')
      .param('delay', '500ms')
      .task('main')
      .do('main', unshare('user'))
      .do('main', read('net', 'orig'))
      .repeat(4, (b) => b.do('main', unshare('net')).do('main', read('net', 'trash$i')).sleep('${delay}'))
      .build();
    sameScenario(viaTemplates, seed());
  });

  it('numbers its calls as lines of the file <builder>', () => {
    const s = scenario('x')
      .task('m')
      .do('m', read('net', 'a'))
      .repeat(2, (b) => b.sleep(0))
      .build();
    expect(s.file).toBe(BUILDER_FILE);
    expect(s.steps.map((step) => step.pos)).toEqual([2, 4, 5].map((line) => ({ file: '<builder>', line, col: 1 })));
  });

  it('makes every kind of step', () => {
    const s = scenario('all')
      .task('a', 'b')
      .do('a', unshare(['user', 'net'], 'ok'))
      .do('b', unshare('pid', 'EPERM'))
      .do('a', read('net'))
      .do('a', read('net', 'x'))
      .do('b', read('user', 'y'))
      .sleep('1.5us')
      .sleep(7)
      .expect(held('x'))
      .expect(released('y'))
      .expect(sameInode('x', 'y'))
      .expect(otherInode('x', 'y'))
      .expect(sameNs('x', 'x'))
      .expect(otherNs('y', 'x'))
      .build();
    const text = `scenario all
task a b
a: unshare user,net => ok
b: unshare pid => EPERM
a: read net
a: read net as x
b: read user as y
sleep 1.5us
sleep 7ns
expect x held
expect y released
expect same-inode x y
expect other-inode x y
expect same-ns x x
expect other-ns y x`;
    sameScenario(s, parseScenario(text, 'all.nsl'));
  });

  it('nests repeats with named variables', () => {
    const s = scenario('n')
      .task('m')
      .repeat(2, (b) => b.repeat(2, (c, j) => c.do('m', read('net', `x$i.${j}`)), { as: 'j' }))
      .build();
    expect(s.steps.map((step) => (step.kind === 'read' ? step.as : ''))).toEqual(['x1.1', 'x1.2', 'x2.1', 'x2.2']);
  });

  it('takes its repeat count from a parameter', () => {
    expect(
      scenario('n', { params: { n: '3' } })
        .param('n', '1')
        .repeat('$n', (b) => b.sleep('1s'))
        .build().steps,
    ).toHaveLength(3);
  });

  it('builds the same scenario on each build()', () => {
    const b = scenario('x').task('m').do('m', read('net'));
    expect(b.build()).toEqual(b.build());
    expect(b.build().steps).not.toBe(b.build().steps);
  });
});

/** The builder calls that make `s` again, one method per step. */
function rebuild(s: Scenario): Scenario {
  const b: ScenarioBuilder = scenario(s.name);
  if (s.tasks.length > 0) b.task(...s.tasks);
  for (const step of s.steps) {
    const o = 'expect' in step && step.expect !== undefined ? { expect: step.expect } : {};
    switch (step.kind) {
      case 'unshare':
        b.unshare(step.task, step.types, o);
        break;
      case 'fork':
        b.fork(step.task, step.child, {
          ...o,
          ...(step.types.length > 0 ? { new: step.types } : {}),
          ...(step.pidfd === undefined ? {} : { pidfd: step.pidfd }),
        });
        break;
      case 'thread':
        b.thread(step.task, step.child, o);
        break;
      case 'setns':
        b.setns(step.task, step.fd, { ...o, types: step.types });
        break;
      case 'open':
        b.open(step.task, sourceText(step.source), step.as, { ...o, cloexec: step.cloexec });
        break;
      case 'ioctl':
        b.ioctl(step.task, step.fd, step.request, step.as, { ...o, cloexec: step.cloexec });
        break;
      case 'close':
        b.close(step.task, step.fd, o);
        break;
      case 'bind':
        b.bind(step.task, sourceText(step.source), step.path, o);
        break;
      case 'umount':
        b.umount(step.task, step.path, { ...o, lazy: step.lazy });
        break;
      case 'mount-proc':
        b.mountProc(step.task, step.path, o);
        break;
      case 'socket':
        b.socket(step.task, step.as, { ...o, cloexec: step.cloexec });
        break;
      case 'pidfd':
        b.pidfd(step.task, step.target, step.as, o);
        break;
      case 'shmat':
        b.shmat(step.task, step.as, o);
        break;
      case 'shmdt':
        b.shmdt(step.task, step.segment, o);
        break;
      case 'exec':
        b.exec(step.task, o);
        break;
      case 'exit':
        b.exit(step.task, o);
        break;
      case 'wait':
        b.wait(step.task, step.child, o);
        break;
      case 'set-limit':
        b.setLimit(step.task, step.nsType, step.value, o);
        break;
      case 'read':
        b.read(step.task, step.nsType, { ...o, ...(step.as === undefined ? {} : { as: step.as }) });
        break;
      case 'next-inode':
        b.nextInode(step.as === undefined ? {} : { as: step.as });
        break;
      case 'sleep':
        b.sleep(step.ns);
        break;
      case 'expect':
        b.expect(step.check);
        break;
    }
  }
  return b.build();
}

describe('scenario builder: operations', () => {
  test.prop([fullScenarioArb({ maxSteps: 60 })], { numRuns: 200 })(
    'has one method per operation that makes the same steps as the IR it is given',
    (s) => {
      expect({ ...withoutPos(rebuild(s)), file: '' }).toEqual({ ...withoutPos(s), file: '' });
    },
  );

  it('makes every operation exactly as the parser reads its text', () => {
    const built = scenario('ops', { params: { dir: '/srv' } })
      .param('dir', '/run/netns')
      .task('m')
      .unshare('m', ['user', 'net'], { expect: 'ok' })
      .fork('m', 'c', { new: 'pid', pidfd: 'p' })
      .fork('m', 'd', { new: ['user', 'net'] })
      .thread('c', 't')
      .open('m', '/proc/self/ns/net', 'f', { cloexec: true })
      .open('t', '/proc/c/ns/pid_for_children', 'g')
      .ioctl('m', 'f', 'get-userns', 'u', { cloexec: true, expect: 'EPERM' })
      .ioctl('m', 'u', 'get-parent', 'v')
      .setns('m', 'p', { types: ['user', 'pid'] })
      .setns('m', 'f')
      .bind('m', '/proc/self/ns/net', '$dir/a')
      .bind('m', 'f', '$dir/b')
      .open('m', '$dir/b', 'h')
      .umount('m', '$dir/a', { lazy: true })
      .umount('m', '$dir/b')
      .mountProc('m', '/mnt/proc')
      .socket('m', 's', { cloexec: true })
      .socket('m', 's2')
      .close('m', 's')
      .pidfd('m', 'c', 'q')
      .shmat('m', 'seg')
      .shmdt('m', 'seg', { expect: 'ok' })
      .exec('c')
      .exit('t')
      .wait('m', 'd', { expect: 'EAGAIN' })
      .setLimit('m', 'net', 0)
      .setLimit('m', 'user', '7')
      .read('m', 'time_for_children', { as: 'tc', expect: 'ENOENT' })
      .read('m', 'net')
      .nextInode()
      .nextInode({ as: 'free' })
      .expect(sameInode('free', 'h'))
      .expect(held('u'))
      .build();
    const text = `scenario ops
param dir = /run/netns
task m
m: unshare user,net => ok
m: fork c new pid pidfd as p
m: fork d new user,net
c: thread t
m: open /proc/self/ns/net as f cloexec
t: open /proc/c/ns/pid_for_children as g
m: ioctl f get-userns as u cloexec => EPERM
m: ioctl u get-parent as v
m: setns p user,pid
m: setns f
m: bind /proc/self/ns/net $dir/a
m: bind f $dir/b
m: open $dir/b as h
m: umount $dir/a lazy
m: umount $dir/b
m: mount proc /mnt/proc
m: socket as s cloexec
m: socket as s2
m: close s
m: pidfd c as q
m: shmat as seg
m: shmdt seg => ok
c: exec
t: exit
m: wait d => EAGAIN
m: set max_net_namespaces = 0
m: set max_user_namespaces = 7
m: read time_for_children as tc => ENOENT
m: read net
next-inode
next-inode as free
expect same-inode free h
expect u held`;
    sameScenario(built, parseScenario(text, 'ops.nsl', { dir: '/srv' }));
  });

  it('still takes unshare() and read() operations through do()', () => {
    const viaDo = scenario('x').task('m').do('m', unshare('net', 'ok')).do('m', read('pid_for_children', 'p')).build();
    const viaMethods = scenario('x')
      .task('m')
      .unshare('m', 'net', { expect: 'ok' })
      .read('m', 'pid_for_children', { as: 'p' })
      .build();
    expect(withoutPos(viaDo)).toEqual(withoutPos(viaMethods));
  });
});

describe('scenario builder errors', () => {
  it('name the call and the argument', () => {
    expectInputError(
      () => scenario('2x'),
      '<builder>: field scenario.name: expected a scenario name ([A-Za-z_][A-Za-z0-9_.-]*), found "2x"',
    );
    expectInputError(
      () => scenario('x').param('d', '5 ms'),
      '<builder>: field param#1.value: expected a parameter value without spaces or "#", found "5 ms"',
    );
    expectInputError(
      () => scenario('x').task('a', 'a'),
      '<builder>: field task#1.names[1]: expected a task name not declared or forked before, found "a" again',
    );
    expectInputError(
      () => scenario('x').task('main').do('mian', read('net')),
      '<builder>: field do#2.task: expected a task declared or forked earlier (main), found "mian"',
    );
    expectInputError(
      () =>
        scenario('x')
          .task('m')
          .do('m', unshare(['user', 'nett' as NsType])),
      '<builder>: field do#2.types[1]: expected a namespace type (user, pid, net, mnt, uts, ipc, cgroup, time), found "nett"',
    );
    expectInputError(
      () =>
        scenario('x')
          .task('m')
          .do('m', unshare(['net', 'net'])),
      '<builder>: field do#2.types[1]: expected each namespace type at most once, found "net" again',
    );
    expectInputError(
      () => scenario('x').task('m').do('m', unshare([])),
      '<builder>: field do#2: expected a namespace type (user, pid, net, mnt, uts, ipc, cgroup, time), found none',
    );
    expectInputError(
      () =>
        scenario('x')
          .task('m')
          .do('m', unshare('net', 'eperm' as 'EPERM')),
      '<builder>: field do#2.expect: expected an outcome (ok, or an errno name such as ENOSPC), found "eperm"',
    );
    expectInputError(
      () =>
        scenario('x')
          .task('m')
          .do('m', read('mount' as NsType)),
      '<builder>: field do#2.nsType: expected a namespace file (user, pid, pid_for_children, net, mnt, uts, ipc, cgroup, time, time_for_children), found "mount"',
    );
    expectInputError(
      () => scenario('x').task('m').do('m', read('net', 'other-ns')),
      '<builder>: field do#2.as: expected a name other than same-inode, other-inode, same-ns, other-ns, found "other-ns"',
    );
    expectInputError(
      () => scenario('x').sleep('5x'),
      '<builder>: field sleep#1.duration: expected a duration such as 500ms, 0.5s, 10us or 0ns, found "5x"',
    );
    expectInputError(
      () => scenario('x').sleep(0.5),
      '<builder>: field sleep#1.duration: expected a duration that is a whole number of nanoseconds, found "0.5ns"',
    );
    expectInputError(
      () => scenario('x').repeat(0, () => {}),
      '<builder>: field repeat#1.count: expected a repeat count (a positive integer or $PARAM), found "0"',
    );
    expectInputError(
      () => scenario('x').repeat(2, () => {}, { as: 'a b' }),
      '<builder>: field repeat#1.as: expected a loop variable name ([A-Za-z_][A-Za-z0-9_.-]*), found "a b"',
    );
    expectInputError(
      () => scenario('x').task('m').do('m', read('net', 'a')).expect(sameNs('a', 'b')),
      '<builder>: field expect#3.b: expected a name bound earlier by "as NAME" of read, open or ioctl (bound so far: a), found "b"',
    );
    expectInputError(
      () =>
        scenario('x')
          .task('m')
          .repeat(2, (b) => b.do('m', read('net', 'x$j'))),
      '<builder>: field do#3.as: expected a parameter or loop variable declared earlier (in scope: i), found "$j"',
    );
  });

  it('name the call and the argument of every operation', () => {
    const m = () => scenario('x').task('m');
    const cases: [() => unknown, string][] = [
      [
        () => m().fork('m', 'm'),
        '<builder>: field fork#2.child: expected a task name not declared or forked before, found "m" again',
      ],
      [
        () => m().fork('m', 'c', { new: ['user', 'user'] }),
        '<builder>: field fork#2.new[1]: expected each namespace type at most once, found "user" again',
      ],
      [
        () => m().fork('m', 'c', { new: [] }),
        '<builder>: field fork#2: expected a namespace type (user, pid, net, mnt, uts, ipc, cgroup, time), found none',
      ],
      [
        () => m().fork('m', 'c', { pidfd: 'a b' }),
        '<builder>: field fork#2.pidfd: expected a name ([A-Za-z_][A-Za-z0-9_.-]*), found "a b"',
      ],
      [
        () => m().thread('m', 'self'),
        '<builder>: field thread#2.child: expected a task name other than "self" (/proc/self is the executing task), found "self"',
      ],
      [
        () => m().setns('m', 'f'),
        '<builder>: field setns#2.fd: expected an fd bound earlier by "as NAME" of open, ioctl, socket, pidfd or fork (none is bound yet), found "f"',
      ],
      [
        () => m().open('m', '/proc/c/ns/net', 'f'),
        '<builder>: field open#2.source: expected a task declared or forked earlier (m), found "c"',
      ],
      [
        () => m().open('m', '/proc/self/ns/network', 'f'),
        '<builder>: field open#2.source: expected a namespace file (user, pid, pid_for_children, net, mnt, uts, ipc, cgroup, time, time_for_children), found "network"',
      ],
      [
        () => m().open('m', '/proc/self/ns/net', 'same-ns'),
        '<builder>: field open#2.as: expected a name other than same-inode, other-inode, same-ns, other-ns, found "same-ns"',
      ],
      [
        () =>
          m()
            .socket('m', 's')
            .ioctl('m', 's', 'get-owner' as 'get-parent', 'x'),
        '<builder>: field ioctl#3.request: expected an ioctl request (get-userns or get-parent), found "get-owner"',
      ],
      [
        () => m().shmat('m', 'g').close('m', 'g'),
        '<builder>: field close#3.fd: expected an fd bound earlier by "as NAME" of open, ioctl, socket, pidfd or fork (no such name is bound yet), found "g", bound by shmat',
      ],
      [
        () => m().bind('m', '/proc/self/ns/net', 'run/netns/a'),
        '<builder>: field bind#2.path: expected an absolute path such as /run/netns/a (starting with "/"), found "run/netns/a"',
      ],
      [
        () => m().umount('m', '/run/../a'),
        '<builder>: field umount#2.path: expected a path without "." or ".." parts, found "/run/../a"',
      ],
      [
        () => m().mountProc('m', '/proc'),
        '<builder>: field mountProc#2.path: expected a path outside /proc, found "/proc"',
      ],
      [
        () => m().pidfd('m', 'c', 'p'),
        '<builder>: field pidfd#2.target: expected a task declared or forked earlier (m), found "c"',
      ],
      [
        () => m().socket('m', 's').shmdt('m', 's'),
        '<builder>: field shmdt#3.segment: expected a segment bound earlier by "shmat as NAME" (no such name is bound yet), found "s", bound by socket',
      ],
      [
        () => m().exit('m').exec('m'),
        '<builder>: field exec#3.task: expected a task that has not exited, found "m", which exited at exit#2',
      ],
      [
        () => m().wait('m', 'c', { expect: 'ok' }),
        '<builder>: field wait#2.child: expected a task declared or forked earlier (m), found "c"',
      ],
      [
        () => m().exit('m', { expect: 'eperm' as 'EPERM' }),
        '<builder>: field exit#2.expect: expected an outcome (ok, or an errno name such as ENOSPC), found "eperm"',
      ],
      [
        () => m().setLimit('m', 'nett' as NsType, 1),
        '<builder>: field setLimit#2.nsType: expected a namespace type (user, pid, net, mnt, uts, ipc, cgroup, time), found "nett"',
      ],
      [
        () => m().setLimit('m', 'net', 2 ** 31),
        '<builder>: field setLimit#2.value: expected a limit (an integer from 0 to 2147483647, or $PARAM), found "2147483648"',
      ],
      [
        () => m().setLimit('m', 'net', 1.5),
        '<builder>: field setLimit#2.value: expected a limit (an integer from 0 to 2147483647, or $PARAM), found "1.5"',
      ],
      [
        () => m().read('m', 'pid_for_child' as NsFile),
        '<builder>: field read#2.file: expected a namespace file (user, pid, pid_for_children, net, mnt, uts, ipc, cgroup, time, time_for_children), found "pid_for_child"',
      ],
      [
        () => m().nextInode({ as: '1x' }),
        '<builder>: field nextInode#2.as: expected a name ([A-Za-z_][A-Za-z0-9_.-]*), found "1x"',
      ],
      [
        () => m().nextInode({ as: 'n' }).expect(released('n')),
        '<builder>: field expect#3.name: expected a name bound earlier by "as NAME" of read, open or ioctl (no such name is bound yet), found "n", bound by next-inode',
      ],
      [
        () => m().unshare('mm', 'net'),
        '<builder>: field unshare#2.task: expected a task declared or forked earlier (m), found "mm"',
      ],
    ];
    for (const [f, message] of cases) expectInputError(f, message);
  });

  it('name an undeclared parameter override at build()', () => {
    const b = scenario('x', { params: { dealy: '0ms' } }).param('delay', '1s');
    expectInputError(
      () => b.build(),
      '<builder>: field params.dealy: expected a parameter the scenario declares (delay), found undeclared "dealy"',
    );
  });

  it('leave the loop scope when a repeat body throws', () => {
    const b = scenario('x').task('m');
    expect(() =>
      b.repeat(2, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expectInputError(
      () => b.do('m', read('net', 'x$i')),
      '<builder>: field do#3.as: expected a parameter or loop variable declared earlier (none is declared here), found "$i"',
    );
  });

  it('stop at the step limit', () => {
    expectInputError(
      () => scenario('x').repeat(1_000_001, (b) => b.sleep(0)),
      '<builder>: field repeat#1.count: expected at most 1000000 steps once repeat blocks are expanded, found more (this repeat goes past the limit)',
    );
  });
});
