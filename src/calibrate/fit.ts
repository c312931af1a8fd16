import type { KernelProfile } from '../../model/profile.ts';
import type { LatencyRange } from '../../model/time.ts';
import type { Trace } from '../trace/format.ts';
import { opClass, traceFacts, type NetRun, type SeenNs, type TraceFacts } from './observe.ts';
import { mode, summarize, type Summary } from './stats.ts';

const ms = (ns: number): string => (ns / 1e6).toFixed(3);

/**
 * One line of the calibration report: a profile parameter (or a measurement it is fitted from),
 * the sample (n, min, median, max), what was chosen and how.
 *
 * @internal
 */
export interface FittedParam {
  /** Profile field (`latency.netnsStart`) or, for a measurement, what it is. */
  readonly param: string;
  /** `ns` for durations (the profile's unit), `count` or `inode` otherwise. */
  readonly unit: 'ns' | 'count' | 'inode';
  readonly sample: Summary | null;
  /** The value written (null for a measurement line that is not itself a profile field). */
  readonly chosen: number | LatencyRange | null;
  readonly base: number | LatencyRange | null;
  /** Whether the traces decided the value (false: the base profile's value was kept). */
  readonly fitted: boolean;
  /** How the value was chosen, or why the base's was kept. */
  readonly how: string;
}

/** A calibrated profile and its report. @internal */
export interface Calibration {
  readonly profile: KernelProfile;
  readonly fitted: readonly FittedParam[];
  readonly notes: readonly string[];
}

/** @internal */
export interface CalibrateOptions {
  /** Relative margin added on both sides of a fitted range (default 0.1: min × 0.9, max × 1.1). */
  readonly margin?: number;
  /** The calibrated profile's name (default `<base>-calibrated`). */
  readonly name?: string;
}

/** A trace to calibrate from, with the name it is reported under. @internal */
export interface NamedTrace {
  readonly file: string;
  readonly trace: Trace;
}

/**
 * Fits the parameters of `base` that the kernel does not fix from kernel traces:
 * - `inodes.netProcEntries`: the /proc/net entry count of every netns the traces created;
 * - `inodes.netDeviceProcEntries`: where a netns landed when created while an earlier one was
 *   being cleaned up (on its highest entries only: those are the device's, given back first);
 * - `inodes.modelStart`: the lowest number of each trace's first created namespace, if the same;
 * - `latency.netnsStart`: tracefs queue → start of cleanup_net;
 * - `latency.netnsUnregister/Exit/Final`: the run length (tracefs start → end) split where the
 *   traces show it — a netns created during a run landing on the dying one's device entry
 *   (unregister done) or on its first /proc/net entry (exits done), or passing over them (not
 *   yet) — else in the base's proportions, widened so that every observed run fits;
 * - `latency.workqueue`, `rcuGrace`, `credPut`, `pidPut`: free_user_ns,
 *   destroy_pid_namespace_work and free_ipc runs, relative to the reap that dropped the last
 *   reference where that is what dropped it;
 * - `opDuration.*`: per op class, a step's start to the next step's start less the sleeps in
 *   between (the model's clock has no time between steps; t1 − t0 is reported alongside).
 * Every fitted range gets the margin on both sides. What the traces cannot tell keeps the base's
 * value, and the report says so.
 *
 * @internal
 */
export function calibrate(
  traces: readonly NamedTrace[],
  base: KernelProfile,
  opts: CalibrateOptions = {},
): Calibration {
  const m = opts.margin ?? 0.1;
  const facts = traces.map((t) => traceFacts(t.trace, t.file));
  const out: FittedParam[] = [];
  const notes: string[] = [];
  for (const t of traces) {
    const caps = t.trace.header.capabilities;
    if (!caps.tracefs) notes.push(`${t.file}: no tracefs events: no reaper timings from it`);
    else if (!caps.fileHandles)
      notes.push(`${t.file}: no nsfs file handles: which netns each cleanup_net run freed is unknown`);
  }
  const widen = (lo: number, hi: number): LatencyRange => ({
    min: Math.max(0, Math.floor(lo * (1 - m))),
    max: Math.ceil(hi * (1 + m)),
  });

  // ---- inodes -------------------------------------------------------------------------------
  const nets = facts.flatMap((f) => f.seen.filter((n) => n.type === 'net' && n.created && n.proc !== null));
  const counts = nets.map((n) => n.proc!.length);
  const entries = mode(counts);
  const netProcEntries = entries ?? base.inodes.netProcEntries;
  const sCounts = summarize(counts);
  out.push({
    param: 'inodes.netProcEntries',
    unit: 'count',
    sample: sCounts,
    chosen: netProcEntries,
    base: base.inodes.netProcEntries,
    fitted: entries !== null,
    how:
      entries === null
        ? 'kept the base value: no created netns with its /proc/net entries observed'
        : sCounts!.min === sCounts!.max
          ? 'the /proc/net entry count of every created netns'
          : `the most common /proc/net entry count (they differ: ${sCounts!.min}..${sCounts!.max})`,
  });

  const landings = facts.flatMap(deviceLandings);
  const ks = landings.map((l) => l.k);
  const sKs = summarize(ks);
  const netDeviceProcEntries = sKs ? Math.min(sKs.min, netProcEntries) : base.inodes.netDeviceProcEntries;
  out.push({
    param: 'inodes.netDeviceProcEntries',
    unit: 'count',
    sample: sKs,
    chosen: netDeviceProcEntries,
    base: base.inodes.netDeviceProcEntries,
    fitted: sKs !== null,
    how: sKs
      ? `from where a netns created during a cleanup_net run landed in the dying one's /proc/net numbers: the fewest top entries back (device entries go first; more means exits already under way)`
      : 'kept the base value: no netns was created while an earlier one was being cleaned up',
  });

  const firsts = facts.flatMap((f) => (f.creations[0] ? [f.creations[0].min] : []));
  const sFirst = summarize(firsts);
  const consistent = sFirst !== null && sFirst.min === sFirst.max;
  out.push({
    param: 'inodes.modelStart',
    unit: 'inode',
    sample: sFirst,
    chosen: consistent ? sFirst.min : base.inodes.modelStart,
    base: base.inodes.modelStart,
    fitted: consistent,
    how: consistent
      ? "the lowest number of each trace's first created namespace (informational: the checker anchors on the first number it sees)"
      : sFirst
        ? `kept the base value: the traces' first created namespaces got different numbers (${sFirst.min}..${sFirst.max})`
        : 'kept the base value: no trace created a namespace',
  });

  // ---- cleanup_net ----------------------------------------------------------------------------
  const runs = facts.flatMap((f) => f.netRuns);
  const sStart = summarize(runs.map((r) => r.startLatency));
  const netnsStart = sStart ? widen(sStart.min, sStart.max) : base.latency.netnsStart;
  out.push({
    param: 'latency.netnsStart',
    unit: 'ns',
    sample: sStart,
    chosen: netnsStart,
    base: base.latency.netnsStart,
    fitted: sStart !== null,
    how: sStart
      ? 'tracefs cleanup_net queue → start (from the end of the previous run when queued during it)'
      : 'kept the base value: no cleanup_net runs in the traces (tracefs)',
  });
  const split = fitNetSplit(facts, runs, netDeviceProcEntries, base, m, widen);
  out.push(...split.params);

  // ---- work items -------------------------------------------------------------------------------
  const work = facts.flatMap((f) => f.work);
  const sWq = summarize(work.map((w) => w.startLatency));
  out.push({
    param: 'latency.workqueue',
    unit: 'ns',
    sample: sWq,
    chosen: sWq ? widen(sWq.min, sWq.max) : base.latency.workqueue,
    base: base.latency.workqueue,
    fitted: sWq !== null,
    how: sWq
      ? `tracefs queue → start of ${[...new Set(work.map((w) => w.fn))].join(', ')}`
      : 'kept the base value: no free_user_ns, destroy_pid_namespace_work or free_ipc runs in the traces',
  });
  const ipcRuns = work.filter((w) => w.fn === 'free_ipc');
  const sRcu = summarize(ipcRuns.map((w) => w.end - w.start));
  out.push({
    param: 'latency.rcuGrace',
    unit: 'ns',
    sample: sRcu,
    chosen: sRcu ? widen(sRcu.min, sRcu.max) : base.latency.rcuGrace,
    base: base.latency.rcuGrace,
    fitted: sRcu !== null,
    how: sRcu
      ? 'tracefs free_ipc start → end (synchronize_rcu, then free_ipc_ns: the ipc reaper step it times)'
      : 'kept the base value: no free_ipc runs in the traces',
  });
  const puts = facts.flatMap(deferredPuts);
  for (const [param, fn, what] of [
    ['credPut', 'free_user_ns', 'the reap (wait) that dropped the task, → free_user_ns queued (put_cred_rcu)'],
    ['pidPut', 'destroy_pid_namespace_work', 'the reap (wait) → destroy_pid_namespace_work queued (delayed_put_pid)'],
  ] as const) {
    const xs = puts.filter((p) => p.fn === fn).map((p) => p.latency);
    const s = summarize(xs);
    out.push({
      param: `latency.${param}`,
      unit: 'ns',
      sample: s,
      chosen: s ? widen(s.min, s.max) : base.latency[param],
      base: base.latency[param],
      fitted: s !== null,
      how: s
        ? `from ${what}`
        : `kept the base value: no ${fn} queued after a reap (the last reference went another way, or no tracefs)`,
    });
  }

  // ---- op durations -----------------------------------------------------------------------------
  // The model's clock moves only by op durations and sleeps: the probe's own time between steps
  // (reading /proc/net, opening file handles) and a sleep's overshoot are part of the step's
  // duration as the model must spend it. t1 − t0 alone would run the model ahead of the kernel
  // (about 1 ms per unshare / read / sleep round on 6.18.44).
  const cycles = new Map<keyof KernelProfile['opDuration'], number[]>();
  const inner = new Map<keyof KernelProfile['opDuration'], number[]>();
  for (const f of facts) {
    const steps = f.trace.steps;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      const c = opClass(s);
      if (c === null || s.errno !== null) continue;
      let j = i + 1;
      let slept = 0;
      for (; j < steps.length && steps[j]!.op === 'sleep'; j++) slept += Number(steps[j]!.args['ns']) || 0;
      const next = steps[j];
      if (!next) continue;
      (cycles.get(c) ?? cycles.set(c, []).get(c)!).push(Math.max(s.t1 - s.t0, next.t0 - s.t0 - slept));
      (inner.get(c) ?? inner.set(c, []).get(c)!).push(s.t1 - s.t0);
    }
  }
  for (const c of Object.keys(base.opDuration) as (keyof KernelProfile['opDuration'])[]) {
    const s = summarize(cycles.get(c) ?? []);
    const own = summarize(inner.get(c) ?? []);
    out.push({
      param: `opDuration.${c}`,
      unit: 'ns',
      sample: s,
      chosen: s ? widen(s.min, s.max) : base.opDuration[c],
      base: base.opDuration[c],
      fitted: s !== null,
      how:
        s && own
          ? `successful steps of this class, start → next step's start less the sleeps between (the model has no time between steps); t1 − t0 alone: ${ms(own.min)}..${ms(own.max)} ms, median ${ms(own.median)}`
          : 'kept the base value: no such step (followed by another) in the traces',
    });
  }
  notes.push(...split.notes);

  const value = <T>(param: string): T => out.find((p) => p.param === param)!.chosen as T;
  const release = [...new Set(traces.map((t) => t.trace.header.kernel?.release ?? '?'))].join(', ');
  const profile: KernelProfile = {
    ...base,
    name: opts.name ?? `${base.name}-calibrated`,
    description: `${base.name} calibrated from ${traces.length} kernel trace(s) (${release})`,
    inodes: {
      ...base.inodes,
      modelStart: value('inodes.modelStart'),
      netProcEntries,
      netDeviceProcEntries,
    },
    latency: {
      netnsStart,
      netnsUnregister: value('latency.netnsUnregister'),
      netnsExit: value('latency.netnsExit'),
      netnsFinal: value('latency.netnsFinal'),
      workqueue: value('latency.workqueue'),
      rcuGrace: value('latency.rcuGrace'),
      credPut: value('latency.credPut'),
      pidPut: value('latency.pidPut'),
    },
    opDuration: Object.fromEntries(
      Object.keys(base.opDuration).map((c) => [c, value(`opDuration.${c}`)]),
    ) as unknown as KernelProfile['opDuration'],
  };
  return { profile, fitted: out, notes };
}

/** The dying netns's /proc/net numbers a later creation could have landed on. */
interface Landing {
  readonly run: NetRun;
  readonly dying: SeenNs;
  /** How many of the dying netns's entries are at or above the lowest one the creation took. */
  readonly k: number;
}

/**
 * Numbers taken by namespaces first seen after `from` and before `to` (steps in between), other
 * than `except`: a dying netns's number they hold says nothing about when it came back.
 */
function takenBetween(f: TraceFacts, from: number, to: number, except: SeenNs): Set<number> {
  const out = new Set<number>();
  for (const n of f.seen) {
    if (n === except || n.step.index <= from || n.step.index >= to) continue;
    out.add(n.inode);
    for (const p of n.proc ?? []) out.add(p);
  }
  return out;
}

/** Pairs of (cleanup_net run, netns in its batch, creation during the run). */
function* duringRuns(f: TraceFacts) {
  for (const run of f.netRuns) {
    for (const dying of run.batch) {
      if (!dying.proc || dying.proc.length === 0) continue;
      for (const c of f.creations) {
        if (c.step.index <= dying.step.index || c.step.t1 <= run.start || c.step.t0 >= run.end) continue;
        const taken = takenBetween(f, dying.step.index, c.step.index, dying);
        const free = dying.proc.filter((p) => !taken.has(p));
        yield { run, dying, c, free };
      }
    }
  }
}

/** Creations during a run that took some of the dying netns's entries, but not its lowest free one. */
function deviceLandings(f: TraceFacts): Landing[] {
  const out: Landing[] = [];
  for (const { run, dying, c, free } of duringRuns(f)) {
    const hit = free.filter((p) => c.nums.has(p));
    if (hit.length === 0 || hit[0] === free[0]) continue;
    out.push({ run, dying, k: dying.proc!.filter((p) => p >= hit[0]!).length });
  }
  return out;
}

/** Per run: the phase was done by `done` (ns after the start), not yet at `notYet`. */
interface PhaseBounds {
  readonly run: NetRun;
  done: number | null;
  notYet: number | null;
}

/**
 * When the device entries (unregister) and the other entries (exits) came back, from creations
 * during the run: taking one of them means done by the creation's end; taking a higher number
 * while one was still taken means not done at its start. A creation that took some of the other
 * entries but not the lowest saw them come back in pieces (the model gives them back at once):
 * counted apart.
 */
function phaseBounds(facts: readonly TraceFacts[], k: number) {
  const unreg = new Map<NetRun, PhaseBounds>();
  const exits = new Map<NetRun, PhaseBounds>();
  let partial = 0;
  const note = (map: Map<NetRun, PhaseBounds>, run: NetRun, done: number | null, notYet: number | null): void => {
    const b = map.get(run) ?? { run, done: null, notYet: null };
    if (done !== null) b.done = b.done === null ? done : Math.min(b.done, done);
    if (notYet !== null && notYet > 0) b.notYet = b.notYet === null ? notYet : Math.max(b.notYet, notYet);
    if (b.done !== null || b.notYet !== null) map.set(run, b);
  };
  for (const f of facts) {
    for (const { run, dying, c, free } of duringRuns(f)) {
      const proc = dying.proc!;
      const dev = new Set(proc.slice(proc.length - k));
      const devFree = free.filter((p) => dev.has(p));
      const otherFree = free.filter((p) => !dev.has(p));
      const done = c.step.t1 - run.start;
      const notYet = c.step.t0 - run.start;
      if (devFree.length > 0) {
        if (devFree.some((p) => c.nums.has(p))) note(unreg, run, done, null);
        else if (c.max > devFree[0]!) note(unreg, run, null, notYet);
      }
      if (otherFree.length > 0) {
        if (c.nums.has(otherFree[0]!)) note(exits, run, done, null);
        else if (otherFree.some((p) => c.nums.has(p))) partial++;
        else if (c.max > otherFree[0]!) note(exits, run, null, notYet);
      }
    }
  }
  return { unreg: [...unreg.values()], exits: [...exits.values()], partial };
}

/**
 * A range from per-run bounds: between the earliest "done by" and the latest "not yet" (each run
 * fits in it: its min is at most every "done by", its max above every "not yet"); with one side
 * missing, the base's min (or max) on that side.
 */
function fromBounds(bounds: readonly PhaseBounds[], base: LatencyRange): { lo: number; hi: number } | null {
  const dones = bounds.flatMap((b) => (b.done === null ? [] : [b.done]));
  const notYets = bounds.flatMap((b) => (b.notYet === null ? [] : [b.notYet]));
  if (dones.length === 0 && notYets.length === 0) return null;
  const hi = dones.length > 0 ? Math.min(...dones) : null;
  const lo = notYets.length > 0 ? Math.max(...notYets) : null;
  if (hi !== null && lo !== null) return { lo: Math.min(lo, hi), hi: Math.max(lo, hi) };
  if (hi !== null) return { lo: Math.min(base.min, hi), hi };
  return { lo: lo!, hi: Math.max(base.max, lo!) };
}

/** The cleanup_net run split into unregister, exits and the final loop. */
function fitNetSplit(
  facts: readonly TraceFacts[],
  runs: readonly NetRun[],
  k: number,
  base: KernelProfile,
  m: number,
  widen: (lo: number, hi: number) => LatencyRange,
): { params: FittedParam[]; notes: string[] } {
  const L = base.latency;
  const notes: string[] = [];
  const params: FittedParam[] = [];
  const lengths = runs.map((r) => r.end - r.start);
  const sLen = summarize(lengths);
  const { unreg, exits, partial } = phaseBounds(facts, k);
  const bound = (param: string, what: string, xs: number[], how: string): void => {
    params.push({
      param,
      unit: 'ns',
      sample: summarize(xs),
      chosen: null,
      base: null,
      fitted: false,
      how: `${what}: ${how}`,
    });
  };
  const dones = (b: PhaseBounds[]): number[] => b.flatMap((x) => (x.done === null ? [] : [x.done]));
  const notYets = (b: PhaseBounds[]): number[] => b.flatMap((x) => (x.notYet === null ? [] : [x.notYet]));
  bound(
    'cleanup_net start → end',
    'measurement',
    lengths,
    'tracefs run lengths; the three steps below sum to cover them',
  );
  bound(
    '  device entries back (≤)',
    'measurement',
    dones(unreg),
    'per run, the earliest creation that took the dying netns’s device entry (t1 − start)',
  );
  bound(
    '  device entries back (>)',
    'measurement',
    notYets(unreg),
    'per run, the latest creation that passed over it (t0 − start)',
  );
  bound(
    '  other entries back (≤)',
    'measurement',
    dones(exits),
    'per run, the earliest creation that took its first /proc/net entry',
  );
  bound('  other entries back (>)', 'measurement', notYets(exits), 'per run, the latest creation that passed over it');
  if (partial > 0)
    notes.push(
      `${partial} creation(s) took some of a dying netns's /proc/net entries but not the first: the pernet exits gave them back in pieces (the model gives them back at once); not used`,
    );

  // Where the traces show nothing, the base's proportions, widened to fit every run.
  const sumMin = L.netnsUnregister.min + L.netnsExit.min + L.netnsFinal.min;
  const sumMax = L.netnsUnregister.max + L.netnsExit.max + L.netnsFinal.max;
  const s1 = sLen ? Math.min(1, (sLen.min * (1 - m)) / sumMin) : 1;
  const s2 = sLen ? Math.max(1, (sLen.max * (1 + m)) / sumMax) : 1;
  const proportional = (r: LatencyRange): LatencyRange => ({ min: Math.floor(r.min * s1), max: Math.ceil(r.max * s2) });

  const u = fromBounds(unreg, L.netnsUnregister);
  const e = fromBounds(exits, {
    min: L.netnsUnregister.min + L.netnsExit.min,
    max: L.netnsUnregister.max + L.netnsExit.max,
  });
  const unregister = u ? widen(u.lo, u.hi) : proportional(L.netnsUnregister);
  let exit: LatencyRange;
  if (e) {
    const done = widen(e.lo, e.hi); // start → exits done
    const min = Math.max(0, done.min - unregister.max);
    exit = { min, max: Math.max(min, done.max - unregister.min) };
  } else exit = proportional(L.netnsExit);
  let final: LatencyRange;
  if (sLen && (u || e)) {
    const min = Math.max(0, Math.floor(sLen.min * (1 - m)) - unregister.max - exit.max);
    final = { min, max: Math.max(min, Math.ceil(sLen.max * (1 + m)) - unregister.min - exit.min) };
  } else final = proportional(L.netnsFinal);

  const stepParam = (
    param: 'netnsUnregister' | 'netnsExit' | 'netnsFinal',
    chosen: LatencyRange,
    fitted: boolean,
    how: string,
  ): FittedParam => ({ param: `latency.${param}`, unit: 'ns', sample: null, chosen, base: L[param], fitted, how });
  const prop = sLen
    ? s1 === 1 && s2 === 1
      ? "kept the base value: the traces do not show the split, and the base's steps already cover every run"
      : "the base's proportions, widened so that every run fits: the traces do not show the split"
    : 'kept the base value: no cleanup_net runs in the traces (tracefs)';
  params.push(
    stepParam(
      'netnsUnregister',
      unregister,
      u !== null,
      u ? 'start → device entries back, from the bounds above (narrowest range every run fits, with the margin)' : prop,
    ),
    stepParam(
      'netnsExit',
      exit,
      e !== null,
      e ? 'start → other entries back, from the bounds above, less the unregister step' : prop,
    ),
    stepParam(
      'netnsFinal',
      final,
      sLen !== null && (u !== null || e !== null),
      sLen && (u || e) ? 'the rest of every run (start → end less the steps before)' : prop,
    ),
  );
  return { params, notes };
}

/** A work function queued by a deferred put after a reap. */
interface DeferredPut {
  readonly fn: string;
  readonly latency: number;
}

/**
 * free_user_ns / destroy_pid_namespace_work queued after a reap, outside any step and outside a
 * reaper run (cleanup_net and free_ipc put the owner user namespace themselves): the reap's
 * deferred put (put_cred_rcu, delayed_put_pid) dropped the last reference. Measured from the end
 * of the reaping step.
 */
function deferredPuts(f: TraceFacts): DeferredPut[] {
  const out: DeferredPut[] = [];
  const steps = f.trace.steps.filter((s) => s.op !== 'sleep');
  const threads = new Set(f.trace.steps.filter((s) => s.op === 'thread').map((s) => String(s.args['child'])));
  const reaperRuns = [...f.netRuns, ...f.work.filter((w) => w.fn === 'free_ipc')];
  for (const w of f.work) {
    if (w.fn !== 'free_user_ns' && w.fn !== 'destroy_pid_namespace_work') continue;
    const q = w.queued;
    if (steps.some((s) => s.t0 <= q && q <= s.t1)) continue; // put within a step: not deferred
    if (reaperRuns.some((r) => r.start <= q && q <= r.end)) continue; // put by another reaper
    const before = steps.filter((s) => s.t1 < q).pop();
    if (!before || before.errno !== null) continue;
    const reap = before.op === 'wait' || (before.op === 'exit' && threads.has(String(before.task)));
    if (reap) out.push({ fn: w.fn, latency: q - before.t1 });
  }
  return out;
}
