import { produce } from 'immer';
import { NS_TYPES, isNsType, type NsType } from '../../model/nsType.ts';
import type { KernelProfile } from '../../model/profile.ts';
import { intervalTiming } from '../engine/choice.ts';
import type { EngineCtx } from '../engine/ctx.ts';
import type { Interval } from '../engine/interval.ts';
import { applyOpPoint, opPoints, type ExecStep, type OpState } from '../engine/ops.ts';
import { enabledInternal, fireInternal } from '../engine/reapers.ts';
import { createWorld, type World } from '../engine/world.ts';
import type { NsObservation, Trace, TraceStep } from '../trace/format.ts';
import { candidateKey, hull, type Candidate } from './candidate.ts';
import { relaxLatencies } from './strictness.ts';

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
  /** Upper bound on candidate states kept between steps (default 4096). */
  readonly maxCandidates?: number;
}

/**
 * The checker's verdict on a trace.
 *
 * @public
 */
export type Verdict =
  | { readonly admitted: true; readonly steps: number; readonly maxCandidates: number; readonly complete: boolean }
  | {
      readonly admitted: false;
      readonly steps: number;
      readonly maxCandidates: number;
      readonly complete: boolean;
      /** The first step no model state explains. */
      readonly step: TraceStep;
      /** What the model allowed there, one line each (deduplicated). */
      readonly allowed: readonly string[];
      /** What the trace shows there. */
      readonly seen: string;
    };

/**
 * Decides whether the model, under a profile, admits a trace. Keeps the set of model states that
 * fit the trace so far: before each point of each step it forks over the kernel work that may have
 * run by then (a reaper step, a batch start), applies the step, and keeps the states whose
 * predictions match what the trace observed (errno, inode numbers, ids, held/released).
 *
 * @remarks Since 0.1.0
 * @public
 */
export function checkTrace(trace: Trace, opts: CheckOptions): Verdict {
  const strictness = opts.strictness ?? 'ordering';
  const profile = strictness === 'timed' ? opts.profile : relaxLatencies(opts.profile);
  const limit = opts.maxCandidates ?? 4096;
  const tasks = [...new Set(trace.steps.flatMap((s) => (s.task === null ? [] : [s.task])))];
  const origin = trace.steps[0]?.t0 ?? 0;
  const ctx: EngineCtx = { profile, timing: intervalTiming(), at: { lo: 0, hi: 0 }, effects: null };

  const ids: Record<number, number> = {};
  for (const o of trace.header.initial) if (o.id !== null) ids[NS_TYPES.indexOf(o.type)] = o.id;
  let cands: Candidate[] = [{ world: createWorld(profile, tasks), anchor: null, ids, tMin: 0 }];
  let maxCands = 1;
  let done = 0;

  for (const rec of trace.steps) {
    if (rec.op === 'sleep') {
      done++;
      continue;
    }
    const step = execStepOf(rec);
    const window: Interval = { lo: rec.t0 - origin, hi: rec.t1 - origin };
    const points = opPoints(step);
    // Each candidate carries its op scratch state through the points; forks copy it.
    let work: { c: Candidate; st: OpState }[] = cands.map((c) => ({ c, st: { errno: null, created: {} } }));
    for (let k = 0; k < points; k++) {
      const next: { c: Candidate; st: OpState }[] = [];
      for (const { c, st } of work) {
        for (const e of expand(c, window, ctx)) {
          const st2: OpState = { errno: st.errno, created: { ...st.created } };
          ctx.at = window;
          const world = produce(e.world, (d: World) => applyOpPoint(d, step, k, st2, ctx));
          next.push({ c: { ...e, world, tMin: window.lo }, st: st2 });
        }
      }
      work = next;
    }
    const survivors: Candidate[] = [];
    const allowed = new Set<string>();
    for (const { c, st } of work) {
      const m = match(c, rec, st, step);
      if (m.ok) survivors.push(m.c);
      else allowed.add(m.predicted);
    }
    if (survivors.length === 0) {
      return {
        admitted: false,
        steps: done,
        maxCandidates: maxCands,
        complete: trace.complete,
        step: rec,
        allowed: [...allowed].sort(),
        seen: describeSeen(rec),
      };
    }
    cands = merge(survivors, limit);
    maxCands = Math.max(maxCands, cands.length);
    done++;
  }
  return { admitted: true, steps: done, maxCandidates: maxCands, complete: trace.complete };
}

/** Every candidate reachable from `c` by kernel work that may run before a point in `window`. */
function expand(c: Candidate, window: Interval, ctx: EngineCtx): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const stack: Candidate[] = [c];
  while (stack.length > 0) {
    const cur = stack.pop() as Candidate;
    const key = candidateKey(cur);
    if (seen.has(key)) continue;
    seen.add(key);
    const enabled = enabledInternal(cur.world);
    // Stopping here means nothing else ran before the point: every pending transition must be
    // able to wait until the window opens; it then cannot happen before it.
    if (enabled.every((t) => t.due.hi >= window.lo)) out.push(notBefore(cur, window.lo));
    for (const t of enabled) {
      const at: Interval = { lo: Math.max(t.due.lo, cur.tMin), hi: Math.min(t.due.hi, window.hi) };
      if (at.lo > at.hi) continue;
      ctx.at = at;
      const world = produce(cur.world, (d: World) => fireInternal(d, t.key, ctx));
      stack.push({ ...cur, world, tMin: at.lo });
    }
    if (seen.size > 100_000) throw new Error('checker: too many interleavings before one step');
  }
  return out;
}

/** Pending work that did not run before a point at or after `t` runs at or after `t`. */
function notBefore(c: Candidate, t: number): Candidate {
  const w = c.world;
  const late = (d: Interval): boolean => d.lo < t;
  if (!(w.netns.state !== 'idle' && late(w.netns.due)) && !w.userWork.some((x) => late(x.due))) return c;
  const world = produce(w, (d: World) => {
    if (d.netns.state !== 'idle' && d.netns.due.lo < t) d.netns.due = { lo: t, hi: d.netns.due.hi };
    for (const x of d.userWork) if (x.due.lo < t) x.due = { lo: t, hi: x.due.hi };
  });
  return { ...c, world };
}

function merge(cands: Candidate[], limit: number): Candidate[] {
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
      d.userWork.forEach((x, i) => {
        const y = c.world.userWork[i];
        if (y) x.due = hull(x.due, y.due);
      });
    });
    byKey.set(key, { ...old, world, tMin: Math.min(old.tMin, c.tMin) });
  }
  if (byKey.size > limit) throw new Error(`checker: more than ${limit} candidate states (raise --max-candidates)`);
  return [...byKey.values()];
}

type Match = { ok: true; c: Candidate } | { ok: false; predicted: string };

/** Compares what the candidate predicts for the step with what the trace saw. */
function match(c: Candidate, rec: TraceStep, st: OpState, step: ExecStep): Match {
  const w = c.world;
  const predicted = (extra = ''): Match => ({ ok: false, predicted: describePredicted(c, st, step) + extra });
  if ((st.errno ?? null) !== (rec.errno ?? null)) return predicted();
  let anchor = c.anchor;
  let ids = c.ids;
  const touched: NsType[] = step.kind === 'read' ? [step.nsType] : st.errno === null ? [...step.types] : [];
  for (const type of touched) {
    const o = rec.ns.find((x) => x.type === type);
    if (!o) continue; // not observed (capability missing)
    const task = w.tasks.find((t) => t.name === step.task);
    if (!task) return predicted();
    const n = w.ns[task.ns[type]];
    if (!n) return predicted();
    if (!n.initial) {
      if (anchor === null) anchor = o.inode - n.inode;
      else if (n.inode + anchor !== o.inode) return predicted();
    }
    if (o.id !== null) {
      const bound = ids[n.id];
      if (bound === undefined) {
        // NS_GET_ID ids are never reused (kernel/nstree.c: ns_tree_gen_id).
        if (Object.values(ids).includes(o.id)) return predicted(` (id ${o.id} already belongs to another namespace)`);
        ids = { ...ids, [n.id]: o.id };
      } else if (bound !== o.id) return predicted();
    }
  }
  for (const r of rec.refs) {
    const idx = Object.entries(ids).find(([, v]) => v === r.id)?.[0];
    if (idx === undefined) continue;
    const n = w.ns[Number(idx)];
    if (!n || n.refs > 0 !== r.held) return predicted();
  }
  return { ok: true, c: { ...c, anchor, ids } };
}

function execStepOf(rec: TraceStep): ExecStep {
  const pos = { file: '<trace>', line: rec.line, col: 1 };
  const task = rec.task ?? '';
  if (rec.op === 'read') {
    const type = String(rec.args['type']);
    if (!isNsType(type)) throw new Error(`trace step ${rec.index}: unknown namespace type ${type}`);
    return { kind: 'read', task, nsType: type, pos };
  }
  const types = rec.args['types'];
  if (!Array.isArray(types) || !types.every((t) => typeof t === 'string' && isNsType(t))) {
    throw new Error(`trace step ${rec.index}: args.types must be a list of namespace types`);
  }
  return { kind: 'unshare', task, types: types as NsType[], pos };
}

function describePredicted(c: Candidate, st: OpState, step: ExecStep): string {
  if (st.errno !== null) return `errno ${st.errno}`;
  const w = c.world;
  const task = w.tasks.find((t) => t.name === step.task);
  const types: NsType[] = step.kind === 'read' ? [step.nsType] : [...step.types];
  const parts = types.map((type) => {
    const n = task ? w.ns[task.ns[type]] : undefined;
    if (!n) return `${type}: ?`;
    if (n.initial) return `${type}: initial`;
    return `${type} inode ${c.anchor === null ? `(model ${n.inode})` : n.inode + c.anchor}`;
  });
  return `ok, ${parts.join(', ')}${held(c)}`;
}

function held(c: Candidate): string {
  const alive = Object.entries(c.ids)
    .filter(([i]) => !c.world.ns[Number(i)]?.initial)
    .map(([i, id]) => `${id}:${(c.world.ns[Number(i)]?.refs ?? 0) > 0 ? 'held' : 'released'}`);
  return alive.length > 0 ? `; refs ${alive.join(' ')}` : '';
}

function describeSeen(rec: TraceStep): string {
  if (rec.errno !== null) return `errno ${rec.errno}`;
  const ns = rec.ns.map((o: NsObservation) => `${o.type} inode ${o.inode} id ${o.id ?? '-'}`).join(', ');
  const refs = rec.refs.map((r) => `${r.id}:${r.held ? 'held' : 'released'}`).join(' ');
  return `ok, ${ns}${refs ? `; refs ${refs}` : ''}`;
}
