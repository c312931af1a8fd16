import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KernelProfile } from '../../model/profile.ts';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { MS, range, type LatencyRange } from '../../model/time.ts';
import { calibrate, type Calibration, type FittedParam } from '../../src/calibrate/fit.ts';
import { opClass, traceFacts } from '../../src/calibrate/observe.ts';
import { summarize } from '../../src/calibrate/stats.ts';
import { parseTrace } from '../../src/trace/read.ts';
import { reaperLatencies } from '../../src/trace/reaperLatencies.ts';

// Expected values come from the recorded 6.18.44 traces (test/fixtures/traces), read by hand or
// with the trace helpers — not from the code under test.
const dir = join(import.meta.dirname, '../fixtures/traces');
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.jsonl'))
  .sort();
const load = (files: string[]) =>
  files.map((f) => ({ file: f, trace: parseTrace(readFileSync(join(dir, f), 'utf8'), f) }));
const seed = load(all.filter((f) => f.startsWith('seed-')));
const param = (c: Calibration, name: string): FittedParam => {
  const p = c.fitted.find((x) => x.param === name);
  if (!p) throw new Error(`no ${name} in the report`);
  return p;
};
const rangeOf = (c: Calibration, name: string): LatencyRange => param(c, name).chosen as LatencyRange;
const within = (r: LatencyRange, x: number): boolean => r.min <= x && x <= r.max;

describe('calibrate on the seed traces (6.18.44)', () => {
  const c = calibrate(seed, linux618);
  const p = c.profile;

  it('/proc/net entries: 64 per netns, the loopback device`s one (ns+64) handed back first', () => {
    expect(p.inodes.netProcEntries).toBe(64);
    expect(param(c, 'inodes.netProcEntries').sample).toMatchObject({ n: 116, min: 64, max: 64 }); // 29 traces × 4 netns
    // seed-0ms-*: netns #3 landed on ns+64 (the first netns's dev_snmp6/lo entry) while ns+1..63 were taken
    expect(p.inodes.netDeviceProcEntries).toBe(1);
    expect(param(c, 'inodes.netDeviceProcEntries').fitted).toBe(true);
    // seed-10ms-1 (the known gap): #4 landed on ns+12 / ns+21 while ns+1.. were taken: not the device wave
    expect(param(c, 'inodes.netDeviceProcEntries').sample!.max).toBe(53);
  });

  it('modelStart: every seed trace`s first namespace (the user ns) got 4026532177', () => {
    expect(p.inodes.modelStart).toBe(4026532177);
    expect(param(c, 'inodes.modelStart').sample).toMatchObject({ n: 29, min: 4026532177, max: 4026532177 });
  });

  it('netnsStart covers every tracefs queue → start (from the previous end when queued during a run)', () => {
    const r = p.latency.netnsStart;
    // seed-10ms-1: queued at 4867709716000 during a run that ended at 4867748180000, started 4 µs later
    expect(r.min).toBeLessThanOrEqual(4000);
    for (const { trace } of seed) {
      let prevEnd = -Infinity;
      for (const run of reaperLatencies(trace)) {
        expect(within(r, run.start - Math.max(run.queued, prevEnd))).toBe(true);
        prevEnd = run.end;
      }
    }
    expect(r.max).toBeLessThan(1 * MS);
  });

  it('the three cleanup_net steps sum to cover every run, and the split follows where new netns landed', () => {
    const L = p.latency;
    const lengths = seed.flatMap(({ trace }) => reaperLatencies(trace).map((r) => r.end - r.start));
    expect(lengths.length).toBe(70);
    const sumMin = L.netnsUnregister.min + L.netnsExit.min + L.netnsFinal.min;
    const sumMax = L.netnsUnregister.max + L.netnsExit.max + L.netnsFinal.max;
    expect(sumMin).toBeLessThanOrEqual(Math.min(...lengths));
    expect(sumMax).toBeGreaterThanOrEqual(Math.max(...lengths));
    // seed-0ms-1: netns #3 (step 8) took ns+64 by 0.795 ms after cleanup_net started
    expect(L.netnsUnregister.max).toBeGreaterThanOrEqual(0.795 * MS);
    expect(L.netnsUnregister.max).toBeLessThan(1 * MS);
    // seed-20ms-2: #3 took ns+1 by 21.827 ms after the start; seed-10ms-4: #4 passed over it at 22.539 ms
    expect(L.netnsUnregister.min + L.netnsExit.min).toBeLessThanOrEqual(21.827 * MS);
    expect(L.netnsUnregister.max + L.netnsExit.max).toBeGreaterThan(22.539 * MS);
    for (const k of ['netnsUnregister', 'netnsExit', 'netnsFinal'] as const)
      expect(param(c, `latency.${k}`).fitted).toBe(true);
    expect(c.notes.join('\n')).toContain('in pieces'); // seed-10ms-1
  });

  it('no free_user_ns / destroy_pid_namespace_work / free_ipc in the seed traces: those latencies stay the base`s, and say so', () => {
    for (const k of ['workqueue', 'rcuGrace', 'credPut', 'pidPut'] as const) {
      expect(p.latency[k]).toEqual(linux618.latency[k]);
      expect(param(c, `latency.${k}`).fitted).toBe(false);
      expect(param(c, `latency.${k}`).how).toMatch(/^kept the base value: /);
    }
  });

  it('op durations: each class`s range covers its steps, start to the next step`s start less the sleeps between', () => {
    for (const { trace } of seed) {
      const steps = trace.steps;
      steps.forEach((s, i) => {
        const cls = opClass(s);
        if (cls === null || s.errno !== null) return;
        let j = i + 1;
        let slept = 0;
        for (; j < steps.length && steps[j]!.op === 'sleep'; j++) slept += Number(steps[j]!.args['ns']);
        if (j < steps.length) expect(within(p.opDuration[cls], steps[j]!.t0 - s.t0 - slept)).toBe(true);
        expect(p.opDuration[cls].max).toBeGreaterThanOrEqual(s.t1 - s.t0);
      });
    }
    // seed traces have no fork, no other syscalls: kept
    expect(p.opDuration.fork).toEqual(linux618.opDuration.fork);
    expect(param(c, 'opDuration.fork').fitted).toBe(false);
  });

  it('every fitted range holds its sample (with the 10% margin), and is written into the profile', () => {
    for (const f of c.fitted) {
      if (f.chosen === null || !f.fitted || f.sample === null || typeof f.chosen === 'number') continue;
      expect(f.chosen.min).toBeLessThanOrEqual(f.sample.min);
      expect(f.chosen.max).toBeGreaterThanOrEqual(f.sample.max);
      expect(f.chosen.max).toBeLessThanOrEqual(Math.ceil(f.sample.max * 1.1));
    }
    expect(p.name).toBe('linux-6.18-calibrated');
    // what the kernel fixes is the base's
    expect({ ...p, name: '', description: '', inodes: null, latency: null, opDuration: null }).toEqual({
      ...linux618,
      name: '',
      description: '',
      inodes: null,
      latency: null,
      opDuration: null,
    });
  });
});

describe('calibrate on the catalog traces: work items', () => {
  const catalog = load(all.filter((f) => !f.startsWith('seed-')));
  const c = calibrate(catalog, linux618);

  it('workqueue from free_user_ns, destroy_pid_namespace_work and free_ipc queue → start', () => {
    const r = rangeOf(c, 'latency.workqueue');
    // netns-keeps-owner-1: free_user_ns queued 9595…244.281 ms, started 19 µs later; churn: free_ipc 10 µs
    expect(param(c, 'latency.workqueue').sample!.n).toBeGreaterThanOrEqual(12);
    expect(r.max).toBeLessThan(1 * MS);
    expect(param(c, 'latency.workqueue').fitted).toBe(true);
  });

  it('rcuGrace from free_ipc runs (synchronize_rcu, then free_ipc_ns)', () => {
    // churn-uts-ipc-time-cgroup-1: free_ipc 1.952 → 17.951 ms and 18.140 → 33.950 ms
    const s = param(c, 'latency.rcuGrace').sample!;
    expect(s.n).toBe(6);
    const ipc = catalog.flatMap(({ trace }) => reaperLatencies(trace, 'free_ipc').map((r) => r.end - r.start));
    expect(summarize(ipc)).toEqual(s);
    for (const x of ipc) expect(within(rangeOf(c, 'latency.rcuGrace'), x)).toBe(true);
  });

  it('credPut: the zombie`s reap → free_user_ns queued (put_cred_rcu), about 60 ms', () => {
    // zombie-keeps-userns-1: wait (reap) ends at +203.711 ms, free_user_ns queued at +263.642 ms
    const s = param(c, 'latency.credPut').sample!;
    expect(s.n).toBe(6); // 3 zombie traces + limits-churn's 3 (u1 reaped, then its user ns)
    expect(s.max).toBeGreaterThan(59 * MS);
    expect(s.max).toBeLessThan(61 * MS);
    expect(param(c, 'latency.credPut').fitted).toBe(true);
  });

  it('pidPut: no pid namespace lost its last reference through a reap: kept, and said why', () => {
    // pidfd-keeps-pidns: destroy_pid_namespace_work is queued within the close of the last pidfd
    expect(c.profile.latency.pidPut).toEqual(linux618.latency.pidPut);
    expect(param(c, 'latency.pidPut').how).toMatch(
      /^kept the base value: no destroy_pid_namespace_work queued after a reap/,
    );
  });

  it('the checker still admits every catalog trace under the profile, timed', async () => {
    const { checkTrace } = await import('../../src/checker/check.ts');
    for (const { file, trace } of catalog)
      expect(checkTrace(trace, { profile: c.profile, strictness: 'timed' }).outcome, file).toBe('admitted');
  });
});

describe('calibrate where the traces cannot tell', () => {
  const slow = load(all.filter((f) => f.startsWith('seed-500ms-')));

  it('500 ms only: no netns created during a cleanup_net run: the device entry count and the split stay the base`s', () => {
    const c = calibrate(slow, linux618);
    expect(c.profile.inodes.netDeviceProcEntries).toBe(linux618.inodes.netDeviceProcEntries);
    expect(param(c, 'inodes.netDeviceProcEntries').fitted).toBe(false);
    expect(param(c, 'inodes.netDeviceProcEntries').how).toMatch(/kept the base value: no netns was created while/);
    for (const k of ['netnsUnregister', 'netnsExit', 'netnsFinal'] as const) {
      expect(c.profile.latency[k]).toEqual(linux618.latency[k]);
      expect(param(c, `latency.${k}`).how).toMatch(/already cover every run/);
    }
  });

  it('a base whose split is too short is widened in its own proportions until every run fits', () => {
    const base: KernelProfile = {
      ...linux618,
      latency: {
        ...linux618.latency,
        netnsUnregister: range(0.01, 1),
        netnsExit: range(0.1, 2),
        netnsFinal: range(0.1, 5),
      },
    };
    const c = calibrate(slow, base);
    const L = c.profile.latency;
    const lengths = slow.flatMap(({ trace }) => reaperLatencies(trace).map((r) => r.end - r.start));
    expect(L.netnsUnregister.max + L.netnsExit.max + L.netnsFinal.max).toBeGreaterThanOrEqual(
      Math.max(...lengths) * 1.1,
    );
    expect(L.netnsExit.max / L.netnsUnregister.max).toBeCloseTo(2, 3);
    expect(L.netnsFinal.max / L.netnsUnregister.max).toBeCloseTo(5, 3);
    expect(L.netnsUnregister.min).toBe(base.latency.netnsUnregister.min); // the base's mins already fit
    expect(param(c, 'latency.netnsExit').how).toMatch(/proportions, widened/);
  });

  it('a trace without tracefs: no reaper timings from it, said in the notes', () => {
    const [t] = slow;
    const trace = {
      ...t!.trace,
      header: { ...t!.trace.header, capabilities: { ...t!.trace.header.capabilities, tracefs: false } },
      events: [],
    };
    const c = calibrate([{ file: 'x.jsonl', trace }], linux618);
    expect(c.profile.latency).toEqual(linux618.latency);
    expect(c.notes.join('\n')).toContain('x.jsonl: no tracefs events');
    expect(traceFacts(trace, 'x.jsonl').netRuns).toEqual([]);
  });
});
