import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { checkTrace, type Strictness, type Verdict } from '../../src/checker/check.ts';
import { simulate } from '../../src/engine/simulate.ts';
import type { Trace, TraceStep } from '../../src/trace/format.ts';
import { profileArb } from '../arbitraries/profile.ts';
import { scenarioArb, seedArb } from '../arbitraries/scenario.ts';
import { scenarioOf } from '../engine/drive.ts';

const strictnessArb = fc.constantFrom<Strictness>('timed', 'ordering');

/** The verdict as a rejection (first unexplained step, what the model allowed, what was seen). */
type Rejection = Extract<Verdict, { readonly allowed: readonly string[] }>;

/** `v` if it rejects the trace; throws with the verdict otherwise (admitted, or undecided). */
function rejection(v: Verdict): Rejection {
  if (v.admitted || !('allowed' in v)) throw new Error(`not rejected: ${JSON.stringify(v)}`);
  return v;
}

/** The trace with step `i` replaced. */
const withStep = (t: Trace, i: number, f: (s: TraceStep) => TraceStep): Trace => ({
  ...t,
  steps: t.steps.map((s, j) => (j === i ? f(s) : s)),
});

/**
 * Places where the model's trace can be changed into one no kernel schedule produces, whatever
 * the reapers did (so the checker must reject it at that very step):
 * - `inode`: a namespace seen again (same id) with another inode number — a namespace keeps its
 *   inode number for life (ns_common.inum is set once, in ns_common_init);
 * - `held`: a namespace's held flag flipped — in v0 scenarios whether a namespace has references
 *   depends only on the tasks' namespace slots and on child user namespaces, never on when a
 *   reaper runs;
 * - `errno`: an errno on a step that succeeded — under linux-6.18's limits (96362 per type) only
 *   the nesting limit can refuse, and it does not depend on timing either.
 */
type Mutation =
  | { kind: 'inode'; step: number; obs: number }
  | { kind: 'held'; step: number; ref: number }
  | { kind: 'errno'; step: number };

function mutationsOf(t: Trace): Mutation[] {
  const out: Mutation[] = [];
  const seen = new Set<number>();
  t.steps.forEach((s, step) => {
    s.ns.forEach((o, obs) => {
      if (o.id === null) return;
      if (seen.has(o.id)) out.push({ kind: 'inode', step, obs });
      seen.add(o.id);
    });
    s.refs.forEach((_, ref) => out.push({ kind: 'held', step, ref }));
    if (s.op !== 'sleep' && s.errno === null) out.push({ kind: 'errno', step });
  });
  return out;
}

function mutate(t: Trace, m: Mutation): Trace {
  return withStep(t, m.step, (s) => {
    switch (m.kind) {
      case 'inode':
        return { ...s, ns: s.ns.map((o, i) => (i === m.obs ? { ...o, inode: o.inode + 1 } : o)) };
      case 'held':
        return { ...s, refs: s.refs.map((r, i) => (i === m.ref ? { ...r, held: !r.held } : r)) };
      case 'errno':
        // A failed syscall touches nothing: no namespace to report.
        return { ...s, errno: 'ENOSPC', ns: [] };
    }
  });
}

/**
 * Bound on candidate states in the properties. Above it checkTrace answers `undecided` instead of
 * running for seconds (the regression test on candidate growth below); an undecided verdict is
 * inconclusive, never a pass for a trace that should be rejected.
 */
const BOUND = 500;

describe('checkTrace on the model’s own traces', () => {
  test.prop([scenarioArb({ maxSteps: 30 }), seedArb, profileArb, strictnessArb], { numRuns: 60 })(
    'never rejects them (and admits them when it decides)',
    (scenario, seed, profile, strictness) => {
      const { trace } = simulate(scenario, { profile, seed });
      const v = checkTrace(trace, { profile, strictness, maxCandidates: BOUND });
      expect(v.admitted || !('allowed' in v), JSON.stringify(v)).toBe(true);
      if (v.admitted) expect(v.steps).toBe(trace.steps.length);
    },
  );

  test.prop([scenarioArb({ maxSteps: 30 }), seedArb, fc.nat(), strictnessArb], { numRuns: 60 })(
    'rejects a copy with one impossible observation, at that step',
    (scenario, seed, pick, strictness) => {
      const { trace } = simulate(scenario, { profile: linux618, seed });
      const ms = mutationsOf(trace);
      fc.pre(ms.length > 0);
      const m = ms[pick % ms.length]!;
      const bad = mutate(trace, m);
      const v = checkTrace(bad, { profile: linux618, strictness, maxCandidates: BOUND });
      expect(v.admitted, `${JSON.stringify(m)} admitted`).toBe(false);
      if (v.admitted) return;
      if (!('allowed' in v)) {
        // Undecided: inconclusive, but it must not have got past the impossible step.
        expect(v.step.index, JSON.stringify(m)).toBeLessThanOrEqual(m.step);
        return;
      }
      expect(v.step, JSON.stringify(m)).toEqual(bad.steps[m.step]);
      expect(v.steps).toBe(m.step);
      expect(v.allowed.length).toBeGreaterThan(0);
    },
  );
});

describe('checkTrace: examples', () => {
  // The seed question at 0 ms: three netns, the first two alive together.
  const scenario = scenarioOf(
    ['p'],
    [
      { kind: 'unshare', task: 'p', types: ['user'] },
      { kind: 'unshare', task: 'p', types: ['net'] },
      { kind: 'read', task: 'p', nsType: 'net' },
      { kind: 'unshare', task: 'p', types: ['net'] },
      { kind: 'read', task: 'p', nsType: 'net' },
      { kind: 'unshare', task: 'p', types: ['net'] },
      { kind: 'read', task: 'p', nsType: 'net' },
    ],
  );
  const { trace } = simulate(scenario, { profile: linux618, seed: 11 });

  it('explains a rejection: what the model allowed and what was seen', () => {
    const bad = withStep(trace, 4, (s) => ({ ...s, ns: s.ns.map((o) => ({ ...o, inode: o.inode + 1 })) }));
    const v = rejection(checkTrace(bad, { profile: linux618, strictness: 'ordering' }));
    expect(v.step.index).toBe(4);
    expect(v.seen).toContain(`net inode ${trace.steps[4]!.ns[0]!.inode + 1}`);
    expect(v.allowed.join('\n')).toContain(`net inode ${trace.steps[4]!.ns[0]!.inode}`);
  });

  it('the second netns of a task cannot reuse the first one’s number (the first is still held)', () => {
    // unshare allocates the new netns before it leaves the old one (copy_net_ns, then
    // switch_task_namespaces), so the two never share a number.
    const first = trace.steps[2]!.ns[0]!.inode;
    const bad = withStep(trace, 3, (s) => ({ ...s, ns: s.ns.map((o) => ({ ...o, inode: first })) }));
    expect(rejection(checkTrace(bad, { profile: linux618, strictness: 'ordering' })).step.index).toBe(3);
  });

  it('checks the inode of an initial namespace against the header (was a bug)', () => {
    // A namespace's inode number never changes (ns_common.inum, set once). The header says which
    // inode the task's initial user namespace has; a later `read user` showing another number
    // cannot come from any kernel. checkTrace used to skip inode checks for initial namespaces.
    const s = scenarioOf(['p'], [{ kind: 'read', task: 'p', nsType: 'user' }]);
    const t = simulate(s, { profile: linux618, seed: 1 }).trace;
    expect(t.steps[0]!.ns[0]!.inode).toBe(t.header.initial.find((o) => o.type === 'user')!.inode);
    const bad = withStep(t, 0, (st) => ({ ...st, ns: st.ns.map((o) => ({ ...o, inode: o.inode + 1 })) }));
    expect(rejection(checkTrace(bad, { profile: linux618, strictness: 'ordering' })).step.index).toBe(0);
  });

  it('checks held flags recorded after a sleep (was a bug)', () => {
    // Every trace step, sleeps included, reports which earlier-observed namespaces still have
    // references (TraceStep.refs; the probe writes them for sleeps too). A user namespace the
    // task is still in is held by the task's cred (KERNEL-RULES 2.1), so "released" after the
    // sleep is impossible. checkTrace used to skip sleep records entirely.
    const s = scenarioOf(
      ['a'],
      [
        { kind: 'unshare', task: 'a', types: ['user'] },
        { kind: 'sleep', ns: 0 },
      ],
    );
    const t = simulate(s, { profile: linux618, seed: 0 }).trace;
    expect(t.steps[1]!.refs).toEqual([expect.objectContaining({ type: 'user', held: true })]);
    const bad = withStep(t, 1, (st) => ({ ...st, refs: st.refs.map((r) => ({ ...r, held: false })) }));
    expect(rejection(checkTrace(bad, { profile: linux618, strictness: 'ordering' })).step.index).toBe(1);
  });

  it('keeps candidate states bounded on a 12-step trace without sleeps (was a bug)', () => {
    // Found by the properties above (seed 8). The last `unshare net` runs while three nets from
    // earlier steps are queued or being cleaned up; forking every reaper step between each of the
    // 64 /proc/net registrations of the new netns (engine 9886ecf, checker fdd0ed6) needs 4224
    // candidate states and 11.6 s (ordering; 4.8 s timed) for this model trace on linux-6.18,
    // against DESIGN's "100,000 steps in under 5 s, candidate set bounded". Prefixes of 9 steps
    // take 3 ms (1 state), 10 steps 211 ms (67). Fixed: model traces record /proc/net numbers and
    // a netns's entries are kept as a set, so equivalent placements merge.
    const spec = [
      ['a', ['user', 'net']],
      ['b', 'net'],
      ['b', ['user', 'net']],
      ['a', 'user'],
      ['a', ['user']],
      ['b', ['user']],
      ['b', 'user'],
      ['b', ['user', 'net']],
      ['a', ['user']],
      ['b', ['user', 'net']],
      ['b', ['user', 'net']],
      ['a', ['net']],
    ] as const;
    const s = scenarioOf(
      ['a', 'b'],
      spec.map(([task, x]) =>
        typeof x === 'string'
          ? { kind: 'read' as const, task, nsType: x }
          : { kind: 'unshare' as const, task, types: x },
      ),
    );
    const t = simulate(s, { profile: linux618, seed: 8 }).trace;
    const v = checkTrace(t, { profile: linux618, strictness: 'ordering', maxCandidates: BOUND });
    expect(v).toMatchObject({ admitted: true });
  });
});
