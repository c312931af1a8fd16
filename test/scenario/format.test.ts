import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { NS_TYPES } from '../../model/nsType.ts';
import type { Expectation, Outcome, Scenario, Step } from '../../src/scenario/ast.ts';
import { PAIR_CHECKS } from '../../src/scenario/assembler.ts';
import { formatScenario, formatStep } from '../../src/scenario/format.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { fullScenarioArb } from '../arbitraries/scenario.ts';
import { withoutPos } from './support.ts';

const FILE = 'gen.nsl';
const pos = { file: FILE, line: 1, col: 1 };

const identifier = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,7}$/)
  .filter((s) => !(PAIR_CHECKS as readonly string[]).includes(s));
const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  fc.constant('ok' as const),
  fc.stringMatching(/^E[A-Z0-9]{1,8}$/) as fc.Arbitrary<`E${string}`>,
);

/** A step to be: indices are resolved against the tasks and the names bound so far. */
const draft = fc.oneof(
  fc.record({
    kind: fc.constant('unshare' as const),
    task: fc.nat(),
    types: fc.shuffledSubarray([...NS_TYPES], { minLength: 1 }),
    expect: fc.option(outcome, { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('read' as const),
    task: fc.nat(),
    nsType: fc.constantFrom(...NS_TYPES),
    as: fc.option(identifier, { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('sleep' as const), ns: fc.oneof(fc.nat(2_000_000_000), fc.maxSafeNat()) }),
  fc.record({
    kind: fc.constant('expect' as const),
    check: fc.constantFrom('held', 'released', ...PAIR_CHECKS),
    a: fc.nat(),
    b: fc.nat(),
  }),
);

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    name: identifier,
    tasks: fc.uniqueArray(identifier, { minLength: 1, maxLength: 4 }),
    params: fc.uniqueArray(fc.tuple(identifier, fc.stringMatching(/^[^\s#]{1,10}$/)), {
      maxLength: 3,
      selector: ([k]) => k,
    }),
    drafts: fc.array(draft, { maxLength: 30 }),
  })
  .map(({ name, tasks, params, drafts }) => {
    const bound: string[] = [];
    const pick = <T>(list: readonly T[], k: number): T => list[k % list.length] as T;
    const steps: Step[] = [];
    for (const d of drafts) {
      if (d.kind === 'unshare') {
        const { expect: e, ...rest } = d;
        steps.push({ ...rest, task: pick(tasks, d.task), ...(e === undefined ? {} : { expect: e }), pos });
      } else if (d.kind === 'read') {
        const { as, ...rest } = d;
        steps.push({ ...rest, task: pick(tasks, d.task), ...(as === undefined ? {} : { as }), pos });
        if (as !== undefined) bound.push(as);
      } else if (d.kind === 'sleep') {
        steps.push({ ...d, pos });
      } else if (bound.length > 0) {
        const check: Expectation =
          d.check === 'held' || d.check === 'released'
            ? { kind: d.check, name: pick(bound, d.a) }
            : { kind: d.check, a: pick(bound, d.a), b: pick(bound, d.b) };
        steps.push({ kind: 'expect', check, pos });
      }
    }
    return { name, file: FILE, tasks, params: Object.fromEntries(params), steps };
  });

describe('formatScenario', () => {
  test.prop([scenarioArb], { numRuns: 300 })('writes what parseScenario reads back to the same scenario', (s) => {
    expect(withoutPos(parseScenario(formatScenario(s), FILE))).toEqual(withoutPos(s));
  });

  test.prop([fullScenarioArb({ maxSteps: 60 })], { numRuns: 300 })(
    'writes scenarios of every operation so that parseScenario reads them back to the same scenario',
    (s) => {
      expect(withoutPos(parseScenario(formatScenario(s), s.file))).toEqual(withoutPos(s));
    },
  );

  it('writes one line per step, flat', () => {
    const s = parseScenario(
      'param delay = 0.5s\ntask m\nrepeat 2 {\n  m: unshare user,net => ENOSPC\n  m: read net as n$i\n  sleep $delay\n}\nexpect same-ns n1 n2\nexpect n2 held',
      'x.nsl',
    );
    expect(formatScenario(s)).toBe(`scenario x
param delay = 0.5s
task m
m: unshare user,net => ENOSPC
m: read net as n1
sleep 500ms
m: unshare user,net => ENOSPC
m: read net as n2
sleep 500ms
expect same-ns n1 n2
expect n2 held
`);
  });

  it('leaves out a scenario line that could not be read back, keeping the name in the file name', () => {
    const s = parseScenario('sleep 1s', 'dir/2 fast.nsl');
    expect(s.name).toBe('2 fast');
    expect(formatScenario(s)).toBe('sleep 1s\n');
    expect(parseScenario(formatScenario(s), s.file).name).toBe('2 fast');
  });

  it('writes single steps', () => {
    expect(formatStep({ kind: 'read', task: 'm', nsType: 'pid', pos })).toBe('m: read pid');
    expect(formatStep({ kind: 'unshare', task: 'm', types: ['time'], pos })).toBe('m: unshare time');
    expect(formatStep({ kind: 'sleep', ns: 0, pos })).toBe('sleep 0s');
    expect(formatStep({ kind: 'expect', check: { kind: 'released', name: 'a' }, pos })).toBe('expect a released');
  });

  it.each<[string, Step]>([
    ['fork c', { kind: 'fork', task: 'm', child: 'c', types: [], pos }],
    [
      'fork c new user,pid pidfd as p => ok',
      { kind: 'fork', task: 'm', child: 'c', types: ['user', 'pid'], pidfd: 'p', expect: 'ok', pos },
    ],
    ['thread t', { kind: 'thread', task: 'm', child: 't', pos }],
    ['setns fd', { kind: 'setns', task: 'm', fd: 'fd', types: [], pos }],
    ['setns fd net,user', { kind: 'setns', task: 'm', fd: 'fd', types: ['net', 'user'], pos }],
    [
      'open /proc/c/ns/time_for_children as f',
      {
        kind: 'open',
        task: 'm',
        source: { kind: 'proc', task: 'c', file: 'time_for_children' },
        as: 'f',
        cloexec: false,
        pos,
      },
    ],
    [
      'open /proc/m/ns/net as f cloexec',
      { kind: 'open', task: 'm', source: { kind: 'proc', task: 'm', file: 'net' }, as: 'f', cloexec: true, pos },
    ],
    [
      'open /run/netns/a as f',
      { kind: 'open', task: 'm', source: { kind: 'path', path: '/run/netns/a' }, as: 'f', cloexec: false, pos },
    ],
    [
      'ioctl f get-userns as u',
      { kind: 'ioctl', task: 'm', fd: 'f', request: 'get-userns', as: 'u', cloexec: false, pos },
    ],
    [
      'ioctl f get-parent as u cloexec => EPERM',
      { kind: 'ioctl', task: 'm', fd: 'f', request: 'get-parent', as: 'u', cloexec: true, expect: 'EPERM', pos },
    ],
    ['close f', { kind: 'close', task: 'm', fd: 'f', pos }],
    ['bind f /run/netns/a', { kind: 'bind', task: 'm', source: { kind: 'fd', fd: 'f' }, path: '/run/netns/a', pos }],
    [
      'bind /proc/m/ns/net /run/netns/a',
      { kind: 'bind', task: 'm', source: { kind: 'proc', task: 'm', file: 'net' }, path: '/run/netns/a', pos },
    ],
    ['umount /run/netns/a', { kind: 'umount', task: 'm', path: '/run/netns/a', lazy: false, pos }],
    ['umount /run/netns/a lazy', { kind: 'umount', task: 'm', path: '/run/netns/a', lazy: true, pos }],
    ['mount proc /mnt/proc', { kind: 'mount-proc', task: 'm', path: '/mnt/proc', pos }],
    ['socket as s', { kind: 'socket', task: 'm', as: 's', cloexec: false, pos }],
    ['socket as s cloexec', { kind: 'socket', task: 'm', as: 's', cloexec: true, pos }],
    ['pidfd c as p', { kind: 'pidfd', task: 'm', target: 'c', as: 'p', pos }],
    ['shmat as g', { kind: 'shmat', task: 'm', as: 'g', pos }],
    ['shmdt g', { kind: 'shmdt', task: 'm', segment: 'g', pos }],
    ['exec', { kind: 'exec', task: 'm', pos }],
    ['exit => ok', { kind: 'exit', task: 'm', expect: 'ok', pos }],
    ['wait c => ECHILD', { kind: 'wait', task: 'm', child: 'c', expect: 'ECHILD', pos }],
    ['set max_user_namespaces = 2147483647', { kind: 'set-limit', task: 'm', nsType: 'user', value: 2147483647, pos }],
    [
      'read pid_for_children as p => ENOENT',
      { kind: 'read', task: 'm', nsType: 'pid_for_children', as: 'p', expect: 'ENOENT', pos },
    ],
  ])('writes m: %s', (text, step) => {
    expect(formatStep(step)).toBe(`m: ${text}`);
  });

  it('writes next-inode with and without a name', () => {
    expect(formatStep({ kind: 'next-inode', pos })).toBe('next-inode');
    expect(formatStep({ kind: 'next-inode', as: 'free', pos })).toBe('next-inode as free');
  });

  it('writes /proc/self/ns/FILE with the name of the task', () => {
    const s = parseScenario('task m\nm: open /proc/self/ns/net as f\nm: bind /proc/self/ns/user /run/u', 'x.nsl');
    expect(s.steps.map(formatStep)).toEqual(['m: open /proc/m/ns/net as f', 'm: bind /proc/m/ns/user /run/u']);
  });
});
