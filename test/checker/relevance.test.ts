/**
 * Lazy kernel work (src/checker/relevance.ts): leaving work that cannot matter at a point pending
 * must change no verdict, only the number of states. Each property checks the same trace with the
 * reduction and without it (every interleaving enumerated) and asks for the same outcome, on the
 * model's own traces and on copies with one observation changed into one that depends on when the
 * reapers ran (an inode number from an earlier namespace: a reuse, early or not).
 */
import { fc, test } from '@fast-check/vitest';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE } from '../../model/profiles/index.ts';
import { checkTrace, type Verdict } from '../../src/checker/check.ts';
import { simulate } from '../../src/engine/simulate.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import type { Trace } from '../../src/trace/format.ts';
import { fullScenarioArb } from '../arbitraries/fullScenario.ts';
import { profileArb } from '../arbitraries/profile.ts';

/** Without the reduction a trace can need many states: past this the verdict is undecided. */
const EAGER_BOUND = 4000;

const decided = (v: Verdict): boolean => v.admitted || 'allowed' in v;

/** Every (step, observation) of a new namespace, and an inode number seen earlier in the trace. */
function reuses(t: Trace): { step: number; obs: number; inode: number }[] {
  const out: { step: number; obs: number; inode: number }[] = [];
  const earlier: number[] = [];
  t.steps.forEach((s, step) => {
    s.ns.forEach((o, obs) => {
      for (const inode of earlier) if (inode !== o.inode) out.push({ step, obs, inode });
    });
    for (const o of s.ns) if (!earlier.includes(o.inode)) earlier.push(o.inode);
  });
  return out;
}

describe('lazy kernel work', () => {
  test.prop([fullScenarioArb({ maxSteps: 16 }), profileArb, fc.nat()], { numRuns: 40 })(
    'the same verdict with and without the reduction (model traces, and one inode number changed)',
    (scenario, profile, pick) => {
      const { trace } = simulate(scenario, { profile, seed: 7 });
      const rs = reuses(trace);
      const r = rs.length > 0 ? rs[pick % rs.length] : undefined;
      const traces: Trace[] = [trace];
      if (r)
        traces.push({
          ...trace,
          steps: trace.steps.map((s, j) =>
            j === r.step ? { ...s, ns: s.ns.map((o, i) => (i === r.obs ? { ...o, inode: r.inode } : o)) } : s,
          ),
        });
      for (const t of traces) {
        const eager = checkTrace(t, { profile, reduce: false, maxCandidates: EAGER_BOUND });
        if (!decided(eager)) continue; // too many interleavings to compare with
        const lazy = checkTrace(t, { profile });
        expect(lazy.outcome, JSON.stringify({ eager, lazy })).toBe(eager.outcome);
        if ('allowed' in eager && 'allowed' in lazy) expect(lazy.step).toEqual(eager.step);
      }
    },
  );

  it('decides a task exit that leaves eight kinds of reaper work pending (found by the campaign)', () => {
    const file = 'test/fixtures/checker/exit-with-pending-work.nsl';
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    const { trace } = simulate(scenario, { profile: DEFAULT_PROFILE, seed: 137 });
    const lazy = checkTrace(trace, { profile: DEFAULT_PROFILE });
    expect(lazy.outcome).toBe('admitted');
    // Enumerating every interleaving, the same trace needs more than the default bound of 20000
    // states before one point (undecided), and minutes; the lazy checker keeps about 5000.
    expect(lazy.maxCandidates).toBeLessThan(10_000);
  });
});
