import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NsType } from '../../model/nsType.ts';
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
} from '../../src/scenario/builder.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
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
