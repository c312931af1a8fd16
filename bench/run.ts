/**
 * nslife benchmarks, as ratios against a baseline measured in the same run (DESIGN.md targets).
 * `npm run bench` (add `-- --quick` for a short run). Nothing here is asserted: figures are printed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { linux618 } from '../model/profiles/linux-6.18.ts';
import { checkTrace } from '../src/checker/check.ts';
import { createEngine } from '../src/engine/engine.ts';
import { simulate } from '../src/engine/simulate.ts';
import { parseScenario } from '../src/scenario/parse.ts';
import { parseTrace } from '../src/trace/read.ts';
import { scenarioArb } from '../test/arbitraries/scenario.ts';
import { churn, rawRefcountLoop } from './workload.ts';

const quick = process.argv.includes('--quick');
const profile = linux618;
const rows: [string, string, string][] = [];
const report = (what: string, figure: string, target: string): void => {
  rows.push([what, figure, target]);
  console.log(`${what.padEnd(44)} ${figure.padEnd(34)} ${target}`);
};

/** Best of `k` timings of `f`, in ms. */
function best(k: number, f: () => void): number {
  let b = Infinity;
  for (let i = 0; i < k; i++) {
    const t0 = performance.now();
    f();
    b = Math.min(b, performance.now() - t0);
  }
  return b;
}

// 1. Engine throughput, and against the raw reference-count loop.
{
  const s = churn(quick ? 200_000 : 1_000_000);
  const engineMs = best(3, () => {
    const { engine, world } = createEngine({ profile, seed: 1, effects: false }, s.tasks);
    for (const step of s.steps) engine.exec(world, step);
  });
  const rawMs = best(3, () => rawRefcountLoop(s));
  report(
    'engine: scenario operations per second',
    `${(((s.steps.length / engineMs) * 1000) / 1e6).toFixed(2)} M/s`,
    '>= 2 M/s',
  );
  report('engine vs raw refcount loop (same changes)', `${(engineMs / rawMs).toFixed(1)}x slower`, '<= 10x');
}

// 2. The seed on the model vs on the kernel (0 ms sleeps).
{
  const seed = parseScenario(readFileSync('examples/seed.nsl', 'utf8'), 'examples/seed.nsl', { delay: '0ms' });
  const n = 2000;
  // The model running the scenario: the engine alone (virtual sleeps), and with a recorded trace.
  const modelMs =
    best(3, () => {
      for (let i = 0; i < n; i++) {
        const { engine, world } = createEngine({ profile, seed: i, effects: false }, seed.tasks);
        for (const step of seed.steps) engine.exec(world, step);
      }
    }) / n;
  const recordedMs =
    best(3, () => {
      for (let i = 0; i < n / 10; i++) simulate(seed, { profile, seed: i });
    }) /
    (n / 10);
  let kernelMs: number | null = null;
  const probe = spawnSync(
    'node',
    ['bin/nslife.js', 'probe', 'examples/seed.nsl', '--set', 'delay=0ms', '-o', '/tmp/nslife-bench-seed.jsonl'],
    {
      encoding: 'utf8',
    },
  );
  const traceFile = probe.status === 0 ? '/tmp/nslife-bench-seed.jsonl' : 'test/fixtures/traces/seed-0ms-1.jsonl';
  const source = probe.status === 0 ? 'live probe' : 'recorded trace (no live probe)';
  const t = parseTrace(readFileSync(traceFile, 'utf8'), traceFile);
  const first = t.steps[0];
  const last = t.steps[t.steps.length - 1];
  if (first && last) kernelMs = (last.t1 - first.t0) / 1e6;
  if (kernelMs !== null) {
    report(
      `seed (0 ms): model vs kernel (${source})`,
      `${(kernelMs / modelMs).toFixed(0)}x faster (${(modelMs * 1000).toFixed(1)} us vs ${kernelMs.toFixed(2)} ms)`,
      '>= 1000x',
    );
    report(
      '  same, model recording a full trace',
      `${(kernelMs / recordedMs).toFixed(0)}x faster (${(recordedMs * 1000).toFixed(1)} us)`,
      '',
    );
  }
}

// 3. Checker: cost per step as traces grow (model traces with every reaper step observed), in
// both strictness modes (`ordering`, the default, shares explored states and leaves kernel work
// that cannot matter pending; `timed` enumerates every interleaving within the latency ranges).
// Sizes double from 1,000 up to 100,000 steps; a series stops once one run takes over 60 s and
// the figure for 100,000 steps is then extrapolated from the last one (and says so).
for (const strictness of ['ordering', 'timed'] as const) {
  let prev: number | null = null;
  for (let n = 1_000; n <= (quick ? 4_000 : 100_000); n *= 2) {
    const trace = simulate(churn(n), { profile, seed: 7 }).trace;
    const ms = best(1, () => {
      const v = checkTrace(trace, { profile, strictness });
      if (!v.admitted) throw new Error(`bench trace not admitted: ${v.outcome}`);
    });
    const growth = prev ? `, x${(ms / prev).toFixed(2)} for x2 steps` : '';
    report(
      `checker: ${n}-step trace (${strictness})`,
      `${(ms / 1000).toFixed(2)} s, ${((ms * 1000) / n).toFixed(0)} us/step${growth}`,
      'linear',
    );
    prev = ms;
    if (ms > 60_000 || n * 2 > (quick ? 4_000 : 100_000)) {
      report(
        `checker: 100,000-step trace (${strictness})`,
        `${n === 100_000 ? '' : '~'}${((ms / n) * 100).toFixed(0)} s${n === 100_000 ? '' : ' (extrapolated)'}`,
        '< 5 s',
      );
      break;
    }
  }
}

// 4. Property-test throughput: generated 50-step scenarios run on the model.
{
  const samples = fc.sample(scenarioArb({ minSteps: 50, maxSteps: 50 }), quick ? 500 : 2000);
  const ms = best(3, () => {
    samples.forEach((s, i) => simulate(s, { profile, seed: i }));
  });
  report(
    'property tests: 50-step scenarios per second',
    `${((samples.length / ms) * 1000).toFixed(0)} /s`,
    '>= 500 /s',
  );
}

// 5. Memory: live namespaces with their holders.
{
  const live = quick ? 200_000 : 1_000_000;
  const tasks = Array.from({ length: live / 2 }, (_, i) => `t${i}`);
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  // Limits raised as root would with /proc/sys/user/max_*_namespaces (96362 by default here).
  const roomy = { ...profile, initialLimits: { ...profile.initialLimits, user: 1 << 30, net: 1 << 30 } };
  const { engine, world } = createEngine({ profile: roomy, seed: 1, effects: false }, tasks);
  const pos = { file: '<bench>', line: 1, col: 1 };
  for (const task of tasks) engine.exec(world, { kind: 'unshare', task, types: ['user', 'net'], pos });
  globalThis.gc?.();
  const mb = (process.memoryUsage().heapUsed - before) / 2 ** 20;
  const count = world.ns.filter((n) => n.state === 'active' && !n.initial).length;
  report(
    `memory: ${count} live namespaces + ${tasks.length} tasks`,
    `${mb.toFixed(0)} MB heap${globalThis.gc ? '' : ' (run with --expose-gc for exact)'}`,
    live === 1_000_000 ? '< 500 MB' : '',
  );
}
