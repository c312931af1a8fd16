import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/cli/root.ts';
import { probeInput } from '../../src/probe/input.ts';
import type { Scenario, Step } from '../../src/scenario/ast.ts';
import { stepArgs } from '../../src/scenario/observed.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { evaluateExpectations } from '../../src/trace/expectations.ts';
import { parseTrace } from '../../src/trace/read.ts';
import { expectBoundedRefs, expectWellFormedRuns, procSize } from './traceChecks.ts';

// The recorded kernel traces (npm run traces:record): what the checker and the demo read.
const dir = join(PACKAGE_ROOT, 'test/fixtures/traces');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.jsonl'))
  .sort();
const seedFiles = files.filter((f) => f.startsWith('seed-'));

// The catalog: one scenario per lifetime rule family (test/fixtures/scenarios), three recorded
// runs each (npm run traces:record -- --group catalog).
const CATALOG = 'test/fixtures/scenarios';
const catalog = readdirSync(join(PACKAGE_ROOT, CATALOG))
  .filter((f) => f.endsWith('.nsl'))
  .sort();
const loadScenario = (f: string): Scenario =>
  parseScenario(readFileSync(join(PACKAGE_ROOT, CATALOG, f), 'utf8'), `${CATALOG}/${f}`);

describe('recorded kernel traces', () => {
  it('cover the seed at 500/10/0 ms (5 runs) and the delay sweep (2 runs)', () => {
    const want = [
      ...['500ms', '10ms', '0ms'].flatMap((d) => [1, 2, 3, 4, 5].map((k) => `seed-${d}-${k}.jsonl`)),
      ...['1ms', '2ms', '5ms', '20ms', '50ms', '100ms', '200ms'].flatMap((d) =>
        [1, 2].map((k) => `seed-${d}-${k}.jsonl`),
      ),
    ];
    expect(files).toEqual(expect.arrayContaining(want));
  });

  it.each(seedFiles)('%s: complete, /proc/net runs on every net observation, refs bounded', (file) => {
    const trace = parseTrace(readFileSync(join(dir, file), 'utf8'), file);
    expect(trace.complete).toBe(true);
    expect(trace.end?.notes).toBeUndefined();
    expect(trace.header.missing.some((m) => m.startsWith('procNet:'))).toBe(false);
    const nets = trace.steps.flatMap((s) => s.ns.filter((o) => o.type === 'net'));
    expect(nets.length).toBe(9); // read orig, then 4 x (unshare net, read net)
    for (const o of nets) expectWellFormedRuns(o.proc);
    // Every netns the run made has as many /proc/net entries as the first one.
    const made = trace.steps
      .filter((s) => s.op === 'unshare' && (s.args['types'] as string[]).includes('net'))
      .map((s) => s.ns.find((o) => o.type === 'net')!);
    expect(new Set(made.map((o) => procSize(o.proc))).size).toBe(1);
    expectBoundedRefs(trace);
  });
});

describe('catalog scenarios', () => {
  it('has one scenario per rule family', () => {
    expect(catalog.map((f) => basename(f, '.nsl'))).toEqual([
      'bind-copied-mntns',
      'bind-until-umount',
      'child-keeps-netns',
      'churn-uts-ipc-time-cgroup',
      'exec-drops-cloexec',
      'fd-keeps-netns',
      'limits-churn',
      'mntns-death-drops-binds',
      'netns-keeps-owner',
      'pidfd-keeps-pidns',
      'pidns-init-death',
      'regression-exec-thread-names', // found by the live campaign
      'regression-locked-mounts', // found by the live campaign
      'regression-pidfd-after-reap', // found by the live campaign
      'regression-pidfd-thread', // found by the live campaign
      'setns-last-fd',
      'socket-keeps-netns',
      'zombie-keeps-userns',
    ]);
  });

  it.each(catalog)('%s: parses, names its scenario after its file, encodes for the probe', (f) => {
    const s = loadScenario(f);
    expect(s.name).toBe(basename(f, '.nsl'));
    expect(s.steps.some((x) => x.kind === 'expect' || ('expect' in x && x.expect !== undefined))).toBe(true);
    expect(probeInput(s)).toMatch(/^nslife-probe-input 2\n/);
  });

  it.each(catalog.flatMap((f) => [1, 2, 3].map((k) => [f, k] as const)))(
    '%s run %i: recorded, complete, the scenario step for step, every expectation holds',
    (f, k) => {
      const s = loadScenario(f);
      const name = `${basename(f, '.nsl')}-${k}.jsonl`;
      expect(files).toContain(name);
      const trace = parseTrace(readFileSync(join(dir, name), 'utf8'), name);
      expect(trace.complete).toBe(true);
      expect(trace.header.source).toBe('kernel');
      // (traces recorded since the header names the declared tasks carry them too)
      const { tasks, ...named } = trace.header.scenario;
      expect(named).toEqual({ name: s.name, file: s.file, params: s.params });
      if (tasks) expect(tasks).toEqual(s.tasks);
      expect(Object.keys(trace.header.limits ?? {}).sort()).toEqual(
        ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'].sort(),
      );
      const executed = s.steps.flatMap((step, index) => (step.kind === 'expect' ? [] : [{ step, index }]));
      expect(trace.steps.map((x) => x.index)).toEqual(executed.map((x) => x.index));
      trace.steps.forEach((rec, i) => {
        const step = executed[i]!.step as Exclude<Step, { kind: 'expect' }>;
        expect([rec.op, rec.args, rec.line]).toEqual([step.kind, stepArgs(step), step.pos.line]);
      });
      for (const r of evaluateExpectations(s, trace)) expect(r.status, `${r.text}: ${r.detail}`).toBe('pass');
      for (const rec of trace.steps)
        for (const o of rec.ns.filter((x) => x.proc !== undefined)) expectWellFormedRuns(o.proc);
      expectBoundedRefs(trace);
    },
  );
});
