/**
 * Invariants of the model over generated scenarios (every operation of the IR, every profile),
 * checked on every history snapshot; see ./worldInvariants.ts for how each expected value is
 * derived from the world's structure.
 */
import { test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { MS } from '../../model/time.ts';
import { simulate } from '../../src/engine/simulate.ts';
import type { NsNode, World } from '../../src/engine/world.ts';
import { fullScenarioArb } from '../arbitraries/fullScenario.ts';
import { profileArb } from '../arbitraries/profile.ts';
import { seedArb } from '../arbitraries/scenario.ts';
import { scenarioOf } from '../engine/drive.ts';
import { expectDrained, expectInvariants } from './worldInvariants.ts';

const RUNS = { numRuns: 150 };

describe('model invariants on every snapshot (every operation, every profile)', () => {
  test.prop([fullScenarioArb(), seedArb, profileArb], RUNS)(
    'refs = holders (derived and holdersOf); freed ⇒ no holder; referenced ⇔ active; inode numbers held once and accounted; ucounts = live charged namespaces',
    (scenario, seed, profile) => {
      const run = simulate(scenario, { profile, seed, history: true });
      for (const snap of run.history!) expectInvariants(snap.world, profile, `after step ${snap.step}`);
    },
  );

  test.prop([fullScenarioArb(), seedArb, profileArb], RUNS)(
    'once the reapers have drained, everything without a holder is freed, its number and charge back',
    (scenario, seed, profile) => {
      // Far longer than any reaper chain a profile allows.
      const { world } = simulate(scenario, { profile, seed, settleNs: 10_000 * MS });
      expectDrained(world, profile);
    },
  );

  test.prop([fullScenarioArb(), seedArb, profileArb], { numRuns: 100 })(
    'the same seed gives the same run, with or without history',
    (scenario, seed, profile) => {
      const a = simulate(scenario, { profile, seed });
      const b = simulate(scenario, { profile, seed, history: true });
      const c = simulate(scenario, { profile, seed });
      expect(b.trace).toEqual(a.trace);
      expect(b.effects).toEqual(a.effects);
      expect(b.world).toEqual(a.world);
      expect(c.trace).toEqual(a.trace);
      expect(c.effects).toEqual(a.effects);
    },
  );
});

describe('the invariant checks notice a broken world', () => {
  // a: a user ns with a netns in it; b: forks c, holds a socket, a pidfd, an nsfs fd and a bind
  // mount, a segment; c exits and stays a zombie; a closes an fd (its f_cred put is deferred).
  const scenario = scenarioOf(
    ['a', 'b'],
    [
      { kind: 'unshare', task: 'a', types: ['user', 'net'] },
      { kind: 'unshare', task: 'a', types: ['net'] },
      { kind: 'unshare', task: 'b', types: ['mnt', 'ipc'] },
      { kind: 'fork', task: 'b', child: 'c', types: ['user', 'pid'], pidfd: 'p' },
      { kind: 'socket', task: 'b', as: 's', cloexec: false },
      { kind: 'open', task: 'b', source: { kind: 'proc', task: 'a', file: 'net' }, as: 'n', cloexec: false },
      { kind: 'bind', task: 'b', source: { kind: 'proc', task: 'a', file: 'user' }, path: '/run/netns/u' },
      { kind: 'shmat', task: 'b', as: 'm' },
      { kind: 'exit', task: 'c' },
      { kind: 'open', task: 'a', source: { kind: 'proc', task: 'a', file: 'uts' }, as: 'x', cloexec: false },
      { kind: 'close', task: 'a', fd: 'x' },
    ],
  );
  const { world } = simulate(scenario, { profile: linux618, seed: 3, settleNs: 0 });
  const find = (f: (n: NsNode) => boolean): number => {
    const i = world.ns.findIndex(f);
    if (i < 0) throw new Error('no such namespace');
    return i;
  };
  const net = find((n) => n.type === 'net' && n.state === 'active' && !n.initial);
  const user = find((n) => n.type === 'user' && !n.initial);
  const ipc = find((n) => n.type === 'ipc' && !n.initial);
  const broken = (f: (w: World) => void): World => {
    const w = structuredClone(world);
    f(w);
    return w;
  };

  it('accepts the world as it is (after settling too)', () => {
    expectInvariants(world, linux618, 'intact');
    expectDrained(simulate(scenario, { profile: linux618, seed: 3, settleNs: 10_000 * MS }).world, linux618);
  });
  it.each([
    ['a reference too many', (w: World) => void w.ns[net]!.refs++],
    ['a reference too few', (w: World) => void w.ns[user]!.refs--],
    ['an nsfs user not counted', (w: World) => void w.ns[user]!.nsfs++],
    ['a leaked inode number', (w: World) => void w.inodes.next++],
    ['a number handed out twice', (w: World) => void w.ns[net]!.devInodes.push(w.ns[net]!.inode)],
    ['a charge not released', (w: World) => void w.ns[user]!.ucounts!.charged.net++],
    ['a zombie that dropped its cred', (w: World) => void (w.tasks[w.taskIndex['c']!]!.state = 'reaped')],
    ['a file nobody holds', (w: World) => void w.files[0]!.refs++],
    ['a segment detached behind its back', (w: World) => void (w.tasks[w.taskIndex['b']!]!.shm = {})],
    ['a bind mount gone without its reference', (w: World) => void (w.ns.find((n) => n.mounts?.length)!.mounts = [])],
    ['a dying namespace with a holder', (w: World) => void (w.ns[ipc]!.state = 'dying')],
    ['a deferred put lost', (w: World) => void w.work.pop()],
  ])('rejects %s', (_, f) => {
    expect(() => expectInvariants(broken(f), linux618, 'broken')).toThrow();
  });
  it('rejects a namespace left dying after the reapers drained', () => {
    const { world: settled } = simulate(scenario, { profile: linux618, seed: 3, settleNs: 10_000 * MS });
    const w = structuredClone(settled);
    const freed = w.ns.find((n) => n.state === 'freed')!;
    freed.state = 'dying';
    expect(() => expectDrained(w, linux618)).toThrow();
  });
});
