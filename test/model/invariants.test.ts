/**
 * Invariants of the model over generated scenarios, checked on every history snapshot. Each
 * expected value is derived from the world's structure (who points at whom), never from the
 * counters the engine keeps for it (`refs`, `ucounts.charged`, the allocator's runs).
 */
import { test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { NS_TYPES } from '../../model/nsType.ts';
import type { KernelProfile } from '../../model/profile.ts';
import { NS_RULES } from '../../model/rules/table.ts';
import { MS } from '../../model/time.ts';
import { expandRuns } from '../../src/engine/allocator.ts';
import { simulate } from '../../src/engine/simulate.ts';
import type { NsNode, World } from '../../src/engine/world.ts';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { profileArb } from '../arbitraries/profile.ts';
import { scenarioArb, seedArb } from '../arbitraries/scenario.ts';

const RUNS = { numRuns: 150 };

/**
 * The holders of namespace `n` (KERNEL-RULES 2.1, 2.3): task slots (nsproxy / cred), child user
 * namespaces (`ns->parent`, held until free_user_ns), owned non-user namespaces (`->user_ns`,
 * held until the end of cleanup_net), and the static reference of initial namespaces.
 */
function holders(w: World, n: NsNode): number {
  let k = n.initial ? 1 : 0;
  for (const t of w.tasks) for (const type of NS_TYPES) if (t.ns[type] === n.id) k++;
  for (const m of w.ns) {
    if (m.initial || m.state === 'freed') continue;
    if (m.type === 'user' ? m.parent === n.id : m.owner === n.id) k++;
  }
  return k;
}

/** Whether `n`'s reaper has given its own inode number back (6.18: final step; ≤6.17: exit). */
function inumReleased(n: NsNode, p: KernelProfile): boolean {
  if (n.state === 'freed') return true;
  const steps = NS_RULES[n.type === 'net' ? 'net' : 'user'].reaper(p).steps;
  return steps.slice(0, n.reaperStep + 1).some((s) => s.releases.includes('inum'));
}

/** Inode numbers `n` still holds: its own (until released) and its /proc/net entries. */
function heldInodes(n: NsNode, p: KernelProfile): number[] {
  if (n.initial) return [];
  return [...(inumReleased(n, p) ? [] : [n.inode]), ...expandRuns(n.procRuns), ...n.devInodes];
}

/** Numbers the allocator considers in use: below `next` and not in a free run. */
function allocated(w: World, p: KernelProfile): number[] {
  const free = new Set(expandRuns(w.inodes.runs));
  const out: number[] = [];
  for (let x = p.inodes.modelStart; x < w.inodes.next; x++) if (!free.has(x)) out.push(x);
  return out;
}

/** The user namespace charged for `n` (kernel/ucount.c: the parent for user, the owner for others). */
const chargedUserNs = (n: NsNode): number => (n.type === 'user' ? n.parent : n.owner);

/** `u` and its ancestors. */
function chain(w: World, u: number): number[] {
  const out: number[] = [];
  for (let x = u; x >= 0; x = (w.ns[x] as NsNode).parent) out.push(x);
  return out;
}

function expectInvariants(w: World, p: KernelProfile, where: string): void {
  for (const n of w.ns) {
    const what = `${where}: ns ${n.id} (${n.type}, ${n.state})`;
    expect(n.refs, `${what}: refs = holders`).toBe(holders(w, n));
    expect(n.refs > 0, `${what}: referenced ⇔ active`).toBe(n.state === 'active');
  }
  // Inode numbers: unfreed namespaces hold distinct numbers, and the allocator has exactly those
  // in use (nothing leaked, nothing handed out twice).
  const held = w.ns.flatMap((n) => heldInodes(n, p));
  expect(new Set(held).size, `${where}: no number held twice`).toBe(held.length);
  expect(allocated(w, p), `${where}: allocator in use = numbers held`).toEqual([...held].sort((a, b) => a - b));
  // ucounts: a user namespace is charged once per unfreed namespace created in it or below it.
  for (const u of w.ns) {
    if (u.type !== 'user' || !u.ucounts) continue;
    for (const type of ['user', 'net'] as const) {
      const live = w.ns.filter(
        (n) => !n.initial && n.type === type && n.state !== 'freed' && chain(w, chargedUserNs(n)).includes(u.id),
      ).length;
      expect(u.ucounts.charged[type], `${where}: ucount ${type} of user ns ${u.id}`).toBe(live);
    }
  }
}

describe('model invariants on every snapshot', () => {
  test.prop([scenarioArb(), seedArb, profileArb], RUNS)(
    'refs = holders; referenced ⇔ active; inodes held once and accounted; ucounts = live namespaces',
    (scenario, seed, profile) => {
      const run = simulate(scenario, { profile, seed, history: true });
      for (const snap of run.history!) expectInvariants(snap.world, profile, `after step ${snap.step}`);
    },
  );

  test.prop([scenarioArb(), seedArb, profileArb], RUNS)(
    'once the reapers have drained, everything without a holder is freed and every number is back',
    (scenario, seed, profile) => {
      // Far longer than any reaper chain the profile allows (netnsStart + ... + netnsFinal, userFree).
      const { world: w } = simulate(scenario, { profile, seed, settleNs: 10_000 * MS });
      expect(w.netns.state).toBe('idle');
      expect(w.netns.cleanupList).toEqual([]);
      expect(w.userWork).toEqual([]);
      for (const n of w.ns) expect(n.state, `ns ${n.id}`).toBe(holders(w, n) > 0 ? 'active' : 'freed');
      const live = w.ns.filter((n) => n.state !== 'freed').flatMap((n) => heldInodes(n, profile));
      expect(allocated(w, profile)).toEqual(live.sort((a, b) => a - b));
      expectInvariants(w, profile, 'drained');
    },
  );

  test.prop([scenarioArb(), seedArb, profileArb], { numRuns: 100 })(
    'the same seed gives the same run, with or without history',
    (scenario, seed, profile) => {
      const a = simulate(scenario, { profile, seed });
      const b = simulate(scenario, { profile, seed, history: true });
      expect(b.trace).toEqual(a.trace);
      expect(b.effects).toEqual(a.effects);
      expect(b.world).toEqual(a.world);
    },
  );
});

describe('the invariant checks notice a broken world', () => {
  const scenario = {
    name: 'two nets',
    file: '<test>',
    tasks: ['a'],
    params: {},
    steps: [
      { kind: 'unshare', task: 'a', types: ['user', 'net'], pos: { file: '<test>', line: 1, col: 1 } },
      { kind: 'unshare', task: 'a', types: ['net'], pos: { file: '<test>', line: 2, col: 1 } },
    ],
  } as const;
  const { world } = simulate(scenario, { profile: linux618, seed: 3, settleNs: 0 });
  const net = world.ns.findIndex((n) => n.type === 'net' && n.state === 'active' && !n.initial);
  const user = world.ns.findIndex((n) => n.type === 'user' && !n.initial);
  const broken = (f: (w: World) => void): World => {
    const w = structuredClone(world);
    f(w);
    return w;
  };

  it('accepts the world as it is', () => {
    expectInvariants(world, linux618, 'intact');
  });
  it.each([
    ['a reference too many', (w: World) => void w.ns[net]!.refs++],
    ['a leaked inode number', (w: World) => void w.inodes.next++],
    ['a number handed out twice', (w: World) => void w.ns[net]!.devInodes.push(w.ns[net]!.inode)],
    ['a charge not released', (w: World) => void w.ns[user]!.ucounts!.charged.net++],
  ])('rejects %s', (_, f) => {
    expect(() => expectInvariants(broken(f), linux618, 'broken')).toThrow();
  });
});
