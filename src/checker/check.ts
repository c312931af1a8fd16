import { produce } from 'immer';
import { NS_TYPES, type NsType } from '../../model/nsType.ts';
import { stepOfRecord } from '../trace/stepOf.ts';
import type { KernelProfile } from '../../model/profile.ts';
import { expandRuns } from '../engine/allocator.ts';
import { intervalTiming } from '../engine/choice.ts';
import type { EngineCtx } from '../engine/ctx.ts';
import type { Interval } from '../engine/interval.ts';
import { beginOp, copyOpState, endOp, fillOp, newOpState, type ExecStep, type OpState } from '../engine/ops.ts';
import { createWorld, type World } from '../engine/world.ts';
import type { Trace, TraceStep } from '../trace/format.ts';
import { candidateKey, hull, type Candidate } from './candidate.ts';
import { holderLines } from './holderLines.ts';
import { expand, mayRunWithin, TooManyStates, type KernelActivity, type Relevance } from './expand.ts';
import { describeRefs, describeSeen, describeSeenRefs, match, refsMatch } from './match.ts';
import { reaperObservations } from './reaperEvents.ts';
import { lazyRelevance, refsPoint, stepPoint } from './relevance.ts';
import { relaxLatencies } from './strictness.ts';
import type { Verdict } from './verdict.ts';

export type { Verdict } from './verdict.ts';

/**
 * `ordering`: a deferred kernel step may happen arbitrarily late (or early): only what the
 * kernel's ordering forbids is rejected. `timed`: deferred steps keep to the profile's latency
 * ranges.
 *
 * @public
 */
export type Strictness = 'ordering' | 'timed';

/** @public */
export interface CheckOptions {
  readonly profile: KernelProfile;
  readonly strictness?: Strictness;
  /** Upper bound on candidate states kept at any point (default 20000). */
  readonly maxCandidates?: number;
  /**
   * Leave kernel work that cannot matter at a point pending, and share explored states between
   * candidates (`ordering` only; default true). Off, every interleaving is enumerated: the same
   * verdicts, far more states (tests compare the two).
   */
  readonly reduce?: boolean;
}

/** A candidate within a step, its op's scratch state, and which kernel work matters there. */
type Work = { c: Candidate; st: OpState; rel: Relevance | undefined };

/**
 * Decides whether the model, under a profile, admits a trace. Keeps the set of model states that
 * fit the trace so far (in the manner of Porcupine's nondeterministic models): before each point of
 * each step it forks over the kernel work that may have run by then — unobserved reaper steps may
 * or may not have run, observed ones (tracefs) ran exactly when the trace says — applies the step,
 * and keeps the states whose predictions match what the trace observed (errno, inode numbers,
 * /proc/net entry numbers, ids, held/released). Equal states are merged.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function checkTrace(trace: Trace, opts: CheckOptions): Verdict {
  const strictness = opts.strictness ?? 'ordering';
  // Candidates of one point share the states they explore (see expand). Only where latencies are
  // relaxed: with the profile's ranges, the same state reached another way may have other due times.
  const share = strictness !== 'timed' && opts.reduce !== false;
  const profile = strictness === 'timed' ? opts.profile : relaxLatencies(opts.profile);
  const bound = opts.maxCandidates ?? 20_000;
  const tasks = initialTasks(trace);
  const origin = trace.steps[0]?.t0 ?? 0;
  const ctx: EngineCtx = { profile, timing: intervalTiming(), at: { lo: 0, hi: 0 }, effects: null };
  const kernel: KernelActivity = reaperObservations(trace, origin);
  const tracedNet = kernel.observed.size > 0;
  const notes: string[] = [];
  if (!trace.header.capabilities.tracefs) notes.push('no tracefs events: reaper runs were not observed');

  const ids: Record<number, number> = {};
  for (const o of trace.header.initial) if (o.id !== null) ids[NS_TYPES.indexOf(o.type)] = o.id;
  let cands: Candidate[] = [{ world: createWorld(profile, tasks), anchor: null, ids, tMin: 0, ev: 0, foreign: 0 }];
  let maxCands = 1;
  let done = 0;
  const base = () => ({ steps: done, maxCandidates: maxCands, complete: trace.complete, notes });
  const rejected = (step: TraceStep, allowed: Set<string>, seen: string): Verdict => {
    // The holders, just before the step, of what it concerns (in the first candidate state).
    const ids = [...step.ns.flatMap((o) => (o.id === null ? [] : [o.id])), ...step.refs.map((r) => r.id)];
    const first = cands[0];
    return {
      ...base(),
      outcome: 'rejected',
      admitted: false,
      step,
      allowed: [...allowed].sort(),
      seen,
      holders: first ? holderLines(first, ids) : [],
    };
  };
  const undecided = (step: TraceStep, e: unknown): Verdict => {
    if (!(e instanceof TooManyStates)) throw e;
    return { ...base(), outcome: 'undecided', admitted: false, step, reason: e.message };
  };

  const initial = new Map<NsType, number>(trace.header.initial.map((o) => [o.type, o.inode]));
  const steps = trace.steps;
  for (let i = 0; i < steps.length; i++) {
    const rec = steps[i] as TraceStep;
    let survivors: Candidate[];
    if (rec.op === 'sleep') survivors = cands;
    else {
      const step = execStepOf(rec);
      const window: Interval = { lo: rec.t0 - origin, hi: rec.t1 - origin };
      let work: Work[];
      try {
        work = runStep(cands, step, rec, window, ctx, kernel, bound, share && { tracedNet });
      } catch (e) {
        if (e instanceof NoFit) {
          const o = rec.ns.find((x) => x.type === 'net');
          return rejected(
            rec,
            new Set([`ok, with ${e.message}`]),
            `${describeSeen(rec)}; /proc/net ${JSON.stringify(o?.proc ?? [])}`,
          );
        }
        return undecided(rec, e);
      }
      survivors = [];
      const allowed = new Set<string>();
      for (const { c, st } of work) {
        const m = match(c, rec, st, step, initial, ctx);
        if (m.ok) survivors.push(m.c);
        else allowed.add(m.predicted);
      }
      if (survivors.length === 0) {
        const pending = kernel.events.find(
          (e) => e.t <= window.hi && cands.every((c) => c.ev <= kernel.events.indexOf(e)),
        );
        if (allowed.size === 0 && pending) {
          allowed.add(
            `nothing: no model state explains cleanup_net ${pending.step} at ${(pending.t / 1e6).toFixed(3)} ms`,
          );
        }
        return rejected(rec, allowed, describeSeen(rec));
      }
    }
    // The probe checks references right after the step, before the next one: kernel work may
    // have run by then (a dying netns's final step puts its owner user namespace).
    if (rec.refs.length > 0) {
      const next = steps[i + 1];
      const window: Interval = { lo: rec.t1 - origin, hi: next ? next.t0 - origin : Infinity };
      const held: Candidate[] = [];
      const allowed = new Set<string>();
      const seen = new Map<string, Map<string, number>>();
      // Only a release can need kernel work to have run: a namespace seen held is explained by
      // the state where the work that would drop it is still pending (it can run later).
      const probedIds = new Set(rec.refs.filter((r) => !r.held).map((r) => r.id));
      try {
        for (const c of merge(survivors)) {
          const probed = new Set(
            Object.entries(c.ids)
              .filter(([, id]) => probedIds.has(id))
              .map(([i]) => Number(i)),
          );
          const rel = share ? lazyRelevance(refsPoint(probed, tracedNet, profile.activeRefs)) : undefined;
          for (const e of expand(c, window, ctx, kernel, bound, rel, shared(seen, share ? '' : null))) {
            if (refsMatch(e, rec, ctx)) held.push(e);
            else allowed.add(describeRefs(e, rec, ctx));
          }
        }
      } catch (e) {
        return undecided(rec, e);
      }
      if (held.length === 0) {
        return rejected(rec, allowed, describeSeenRefs(rec));
      }
      survivors = held;
    }
    cands = merge(survivors);
    if (cands.length > bound) {
      return {
        ...base(),
        outcome: 'undecided',
        admitted: false,
        step: rec,
        reason: `more than ${bound} candidate states`,
      };
    }
    maxCands = Math.max(maxCands, cands.length);
    done++;
  }
  // Reaper events after the last step (the probe's settling time) are explained where the model
  // can; the rest come from the probe tearing its tasks down, which the scenario does not describe.
  const lastT = trace.steps.length > 0 ? (trace.steps[trace.steps.length - 1] as TraceStep).t1 - origin : 0;
  let explained = 0;
  // Only for a note: a few states and a small bound (every interleaving of the tail is not needed).
  const tailBound = Math.min(bound, 500);
  // (only the netns worker's steps are explained, and what shares a namespace with them)
  const tailRel = share ? lazyRelevance(refsPoint(new Set(), true, false)) : undefined;
  let tailCut = false;
  try {
    if (kernel.events.some((e) => e.t >= lastT)) {
      for (const c of cands.slice(0, 16)) {
        for (const e of expand(c, { lo: lastT, hi: Infinity }, ctx, kernel, tailBound, tailRel))
          explained = Math.max(explained, e.ev);
        if (explained === kernel.events.length) break; // one state that explains them all is enough
      }
    } else explained = kernel.events.length;
  } catch (e) {
    if (!(e instanceof TooManyStates)) throw e;
    tailCut = true;
  }
  const foreign = Math.min(...cands.map((c) => c.foreign));
  if (foreign > 0)
    notes.push(`${foreign} cleanup_net run(s) held none of the trace's namespaces (another netns on the machine)`);
  const tail = kernel.events.length - explained;
  if (tail > 0 && tailCut)
    notes.push(`${tail} reaper event(s) after the last step not matched (too many interleavings to try them all)`);
  else if (tail > 0)
    notes.push(`${tail} cleanup_net event(s) after the last step not explained by the scenario (probe teardown)`);
  return { ...base(), outcome: 'admitted', admitted: true };
}

/** Runs one step on every candidate: begin, /proc/net entries, end, with kernel work in between. */
function runStep(
  cands: Candidate[],
  step: ExecStep,
  rec: TraceStep,
  window: Interval,
  ctx: EngineCtx,
  k: KernelActivity,
  bound: number,
  /** Lazy kernel work and shared exploration (`ordering`), or false. */
  share: false | { readonly tracedNet: boolean },
): Work[] {
  // A step that makes a choice the trace decides (bind of a mount namespace's file on kernels
  // with per-CPU ns ids: fs/namespace.c mnt_ns_loop) is tried each way.
  const choices = step.kind === 'bind' && ctx.profile.nsIds === 'percpu-cookie' ? [0, 1] : [0];
  // Where latencies are relaxed, kernel work that cannot matter to this step is left pending.
  const relOf = (c: Candidate): Relevance | undefined => {
    if (!share) return undefined;
    ctx.at = window;
    return lazyRelevance(stepPoint(c.world, step, ctx, share.tracedNet));
  };
  let work: Work[] = cands.flatMap((c) => {
    const rel = relOf(c);
    return choices.map((k) => ({ c, st: newOpState(() => k), rel }));
  });
  const advance = (apply: (d: World, st: OpState) => void, relevant?: Relevance): void => {
    const next: Work[] = [];
    const seen = new Map<string, Map<string, number>>();
    for (const { c, st, rel } of work) {
      for (const e of expand(c, window, ctx, k, bound, relevant ?? rel, shared(seen, share ? opStateKey(st) : null))) {
        const st2 = copyOpState(st);
        ctx.at = window;
        const world = produce(e.world, (d: World) => apply(d, st2));
        next.push({ c: { ...e, world, tMin: window.lo }, st: st2, rel });
      }
    }
    work = dedupe(next);
    if (work.length > bound) throw new TooManyStates(`more than ${bound} candidate states within one step`);
  };
  advance((d, st) => beginOp(d, step, st, ctx));
  // The /proc/net entries one at a time while kernel work may run between them (in one go once
  // nothing else can run within this step's window); where the trace shows where they went,
  // forks that put one elsewhere are dropped at once.
  const seenProc = observedProc(rec);
  // Where the trace shows the entries' numbers, only kernel work that gives back one of them can
  // change where an entry lands; other work is left for the step's end (same window, same states).
  const relevant = seenProc ? freesOneOf(seenProc) : undefined;
  let noFit: string | null = null; // why the last placement was dropped, if nothing else survives
  const settled: Work[] = [];
  for (;;) {
    // A candidate with no kernel work that could run within the window takes the rest in one go.
    const active: Work[] = [];
    for (const x of work) {
      if (x.st.fill === 0) settled.push(x);
      else if (!mayRunWithin(x.c, window, relevant ?? x.rel)) {
        const st2 = copyOpState(x.st);
        settled.push({
          c: { ...x.c, world: produce(x.c.world, (d: World) => fillOp(d, st2, st2.fill, ctx)) },
          st: st2,
          rel: x.rel,
        });
      } else active.push(x);
    }
    if (active.length === 0) break;
    work = active;
    advance((d, st) => fillOp(d, st, 1, ctx), relevant);
    if (seenProc) {
      const fits = work.filter(({ c, st }) => lastFillFits(c, st, seenProc));
      if (fits.length === 0 && work.length > 0) {
        const entry = ctx.profile.inodes.netProcEntries - (work[0]?.st.fill ?? 0);
        const took = [...new Set(work.map(({ c, st }) => st.last + (c.anchor ?? 0)))].sort((a, b) => a - b);
        noFit = `its /proc/net entry ${entry} on inode ${took.join(' or ')}, which the trace does not show`;
      }
      work = fits;
    }
  }
  work = dedupe(settled);
  advance((d, st) => endOp(d, step, st, ctx));
  if (work.length === 0 && noFit !== null) throw new NoFit(noFit);
  return work;
}

/** Kernel work that gives back (or leads to giving back) one of `seen` (kernel numbers). */
function freesOneOf(seen: Set<number>): Relevance {
  return (c, key) => {
    const w = c.world;
    const a = c.anchor;
    if (a === null) return true;
    const holds = (id: number): boolean => {
      const n = w.ns[id];
      if (!n) return false;
      if (seen.has(n.inode + a) || n.devInodes.some((x) => seen.has(x + a))) return true;
      for (let i = 0; i < n.procRuns.length; i += 2) {
        for (let x = n.procRuns[i] as number; x <= (n.procRuns[i + 1] as number); x++) if (seen.has(x + a)) return true;
      }
      return false;
    };
    if (key === 'netns') return w.netns.batch.some(holds) || w.netns.cleanupList.some(holds);
    if (key === 'ipc') return w.ipc.batch.some(holds) || w.ipc.cleanupList.some(holds);
    // A work item (w:<ns>:<step>:...) frees its namespace's number, or puts a reference that may
    // start a reaper: the latter can lead anywhere, so it always matters.
    const [, ns, step] = key.split(':');
    return Number(step) < 0 || holds(Number(ns));
  };
}

/** No placement of a netns's /proc/net entries fits what the trace shows. */
class NoFit extends Error {}

function observedProc(rec: TraceStep): Set<number> | null {
  const o = rec.ns.find((x) => x.type === 'net' && x.proc !== undefined);
  return o?.proc ? new Set(expandRuns(o.proc)) : null;
}

/** The entry just registered is one the trace saw (when the anchor is known). */
function lastFillFits(c: Candidate, st: OpState, seen: Set<number>): boolean {
  if (c.anchor === null || st.created.net === undefined) return true;
  return st.last < 0 || seen.has(st.last + c.anchor);
}

/** The map of explored states shared by the candidates with one op state (null: none shared). */
function shared(maps: Map<string, Map<string, number>>, key: string | null): Map<string, number> | undefined {
  if (key === null) return undefined;
  let m = maps.get(key);
  if (!m) maps.set(key, (m = new Map()));
  return m;
}

/** An op state's data, as a string: candidates share explored states only with equal op states. */
function opStateKey(st: OpState): string {
  return `${st.fill}|${st.errno ?? ''}|${st.last}|${st.ti}|${JSON.stringify(st.created)}|${st.rest.join(',')}|${st.choose(2)}`;
}

function dedupe(work: Work[]): Work[] {
  const seen = new Map<string, Work>();
  for (const x of work) {
    const key = `${candidateKey(x.c)}#${x.st.fill}${x.st.errno ?? ''}#${x.st.choose(2)}`;
    if (!seen.has(key)) seen.set(key, x);
  }
  return [...seen.values()];
}

/** Merges candidates that differ only in their pending work's time intervals (interval hull). */
function merge(cands: Candidate[]): Candidate[] {
  const byKey = new Map<string, Candidate>();
  for (const c of cands) {
    const key = candidateKey(c);
    const old = byKey.get(key);
    if (!old) {
      byKey.set(key, c);
      continue;
    }
    const world = produce(old.world, (d: World) => {
      d.netns.due = hull(d.netns.due, c.world.netns.due);
      d.ipc.due = hull(d.ipc.due, c.world.ipc.due);
      d.work.forEach((x, i) => {
        const y = c.world.work[i];
        if (y) x.due = hull(x.due, y.due);
      });
    });
    byKey.set(key, { ...old, world, tMin: Math.min(old.tMin, c.tMin) });
  }
  return [...byKey.values()];
}

function execStepOf(rec: TraceStep): ExecStep {
  return stepOfRecord(rec) as ExecStep;
}

/**
 * The tasks a trace starts with: every task that acts (or is named) before a fork or thread step
 * creates it. Tasks created by the scenario are not initial.
 */
function initialTasks(trace: Trace): string[] {
  if (trace.header.scenario.tasks) return [...trace.header.scenario.tasks];
  // Older traces: every task named before a fork or thread step creates it.
  const created = new Set<string>();
  const initial: string[] = [];
  const note = (name: unknown): void => {
    if (typeof name === 'string' && name !== '' && !created.has(name) && !initial.includes(name)) initial.push(name);
  };
  for (const s of trace.steps) {
    note(s.task);
    const src = s.args['source'];
    if (src && typeof src === 'object' && 'task' in src) note((src as { task: unknown }).task);
    note(s.args['target']);
    if ((s.op === 'fork' || s.op === 'thread') && typeof s.args['child'] === 'string') created.add(s.args['child']);
  }
  return initial;
}
