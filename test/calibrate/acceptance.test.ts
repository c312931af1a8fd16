import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { calibrate } from '../../src/calibrate/fit.ts';
import { checkTrace } from '../../src/checker/check.ts';
import { simulate } from '../../src/engine/simulate.ts';
import { createdNamespaces } from '../../src/render/inodeColumns.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import type { Trace } from '../../src/trace/format.ts';
import { parseTrace } from '../../src/trace/read.ts';

// Issue 5 item 4, acceptance: a profile calibrated on the recorded seed traces (6.18.44, this
// project's VM) makes the model predict the kernel's netns inode numbers for examples/seed.nsl.
const root = join(import.meta.dirname, '../..');
const dir = join(root, 'test/fixtures/traces');
const seedFiles = readdirSync(dir)
  .filter((f) => /^seed-.*\.jsonl$/.test(f))
  .sort();
const traces = new Map<string, Trace>(seedFiles.map((f) => [f, parseTrace(readFileSync(join(dir, f), 'utf8'), f)]));
const { profile } = calibrate(
  seedFiles.map((f) => ({ file: f, trace: traces.get(f)! })),
  linux618,
);

/** The seed trace the model does not admit yet (test/checker/fixtures.test.ts KNOWN_GAPS). */
const KNOWN_GAP = 'seed-10ms-1.jsonl';
const SEEDS = Array.from({ length: 100 }, (_, i) => i + 1);
const text = readFileSync(join(root, 'examples/seed.nsl'), 'utf8');
const netInodes = (t: Trace): number[] => createdNamespaces(t, 'net').map((c) => c.inode);
const relative = (xs: number[]): string => xs.map((x) => `+${x - xs[0]!}`).join(' ');

/** Patterns with how often each occurs, most common first (ties: the first seen). */
function tally(patterns: string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const p of patterns) counts.set(p, (counts.get(p) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]);
}

describe('calibrated on the seed traces, the model predicts the kernel`s netns inode numbers', () => {
  for (const delay of ['500ms', '10ms', '0ms']) {
    const kernelRuns = seedFiles.filter((f) => f.startsWith(`seed-${delay}-`));
    const kernel = tally(kernelRuns.map((f) => relative(netInodes(traces.get(f)!))));
    const [kernelPattern, kernelCount] = kernel[0]!;
    const scenario = parseScenario(text, 'examples/seed.nsl', { delay });
    const runs = SEEDS.map((seed) => netInodes(simulate(scenario, { profile, seed }).trace));
    const model = tally(runs.map(relative));
    const matches = model.find(([p]) => p === kernelPattern)?.[1] ?? 0;
    const summary =
      `${delay}: kernel ${kernelPattern} in ${kernelCount}/${kernelRuns.length} runs; ` +
      `model matches it with ${matches}/${SEEDS.length} seeds (${model.map(([p, n]) => `${p} ×${n}`).join(', ')})`;

    it(summary, () => {
      console.info(`calibrate acceptance — ${summary}`);
      expect(model[0]![0], summary).toBe(kernelPattern);
      expect(matches, summary).toBeGreaterThan(SEEDS.length / 2);
      // 500 ms: the kernel never varies, and neither may the model.
      if (kernel.length === 1 && delay === '500ms') expect(matches).toBe(SEEDS.length);
    });

    it(`${delay}: the model's first netns gets the kernel's number (inodes.modelStart)`, () => {
      const first = new Set(kernelRuns.map((f) => netInodes(traces.get(f)!)[0]));
      expect(first.size).toBe(1);
      for (const r of runs) expect(r[0]).toBe([...first][0]);
    });
  }

  it('the checker admits every seed trace under the calibrated profile, timed — but the known gap', () => {
    const verdicts = seedFiles.map((f) => [f, checkTrace(traces.get(f)!, { profile, strictness: 'timed' })] as const);
    for (const [f, v] of verdicts) {
      if (f === KNOWN_GAP) expect(v.outcome, f).toBe('rejected');
      else expect(v.outcome, `${f}: ${JSON.stringify(v).slice(0, 300)}`).toBe('admitted');
    }
    expect(verdicts.length).toBeGreaterThanOrEqual(15);
  });
});
