import { produce } from 'immer';
import type { KernelProfile } from '../../model/profile.ts';
import type { LatencyRange } from '../../model/time.ts';
import { MS } from '../../model/time.ts';
import type { Scenario } from '../scenario/ast.ts';
import {
  TRACE_FORMAT,
  TRACE_VERSION,
  type NsObservation,
  type Trace,
  type TraceEvent,
  type TraceStep,
} from '../trace/format.ts';
import { createChoiceSource, drawnTiming } from './choice.ts';
import type { EngineCtx } from './ctx.ts';
import type { Effect } from './effects.ts';
import { point } from './interval.ts';
import { observeNs, modelNsId } from './observe.ts';
import { applyOpPoint, opPoints, type ExecStep, type OpState } from './ops.ts';
import { enabledInternal, fireInternal } from './reapers.ts';
import { createWorld, type World } from './world.ts';
import { NS_TYPES } from '../../model/nsType.ts';

/**
 * Options of a model run.
 *
 * @public
 */
export interface SimulateOptions {
  readonly profile: KernelProfile;
  /** Seed of the choice source (reaper latencies, syscall durations). */
  readonly seed: number;
  /** Keep an immer snapshot of the world after every step. */
  readonly history?: boolean;
  /** Virtual time to let the reapers run after the last step (default 300 ms, like the probe). */
  readonly settleNs?: number;
}

/**
 * The world after one step, for time travel. Snapshots share structure (immer).
 *
 * @public
 */
export interface Snapshot {
  /** Index of the step just done (-1: the initial world). */
  readonly step: number;
  readonly t: number;
  readonly world: World;
}

/**
 * A model run: its trace (same format as the probe's) and, if asked, its history.
 *
 * @public
 */
export interface ModelRun {
  readonly trace: Trace;
  readonly history: readonly Snapshot[] | null;
  readonly effects: readonly Effect[];
  readonly world: World;
}

/**
 * Runs a scenario on the model with a virtual clock. Every choice (how long each syscall and
 * each reaper step takes) is drawn from the seeded choice source within the profile's ranges,
 * so a seed replays exactly.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function simulate(scenario: Scenario, opts: SimulateOptions): ModelRun {
  const { profile } = opts;
  const choice = createChoiceSource(opts.seed);
  const effects: Effect[] = [];
  const ctx: EngineCtx = { profile, timing: drawnTiming(choice), at: point(0), effects };
  let world = createWorld(profile, scenario.tasks);
  const history: Snapshot[] | null = opts.history ? [{ step: -1, t: 0, world: produce(world, () => {}) }] : null;
  if (history) world = history[0]!.world;
  const steps: TraceStep[] = [];
  const observed: number[] = [];
  const seen = new Set<number>();
  let now = 0;

  const runInternalUntil = (w: World, t: number): void => {
    for (;;) {
      let best: { key: string; at: number } | null = null;
      for (const tr of enabledInternal(w))
        if (tr.due.lo <= t && (!best || tr.due.lo < best.at)) best = { key: tr.key, at: tr.due.lo };
      if (!best) return;
      ctx.at = point(best.at);
      fireInternal(w, best.key, ctx);
    }
  };

  const exec = (w: World, step: Scenario['steps'][number], index: number): TraceStep | null => {
    if (step.kind === 'expect') return null;
    if (step.kind === 'sleep') {
      const t0 = now;
      now += step.ns;
      runInternalUntil(w, now);
      w.now = now;
      return record(index, step.pos.line, null, 'sleep', { ns: step.ns }, t0, now, null, []);
    }
    const dur = choice.draw(durationOf(profile, step));
    const t0 = now;
    const t1 = now + dur;
    const st: OpState = { errno: null, created: {} };
    const points = opPoints(step);
    for (let k = 0; k < points; k++) {
      const tk = k === 0 ? t0 : t1;
      runInternalUntil(w, tk);
      ctx.at = point(tk);
      applyOpPoint(w, step, k, st, ctx);
    }
    now = t1;
    w.now = now;
    const touched = step.kind === 'read' ? [step.nsType] : st.errno === null ? step.types : [];
    const ns = touched.map((t) => observeNs(w, step.task, t));
    for (const o of ns) {
      const index = (o.id as number) - 1;
      if (!w.ns[index]!.initial && !seen.has(index)) {
        seen.add(index);
        observed.push(index);
      }
    }
    const args = step.kind === 'read' ? { type: step.nsType } : { types: step.types };
    return record(index, step.pos.line, step.task, step.kind, args, t0, t1, st.errno, ns);
  };

  const record = (
    index: number,
    line: number,
    task: string | null,
    op: TraceStep['op'],
    args: Record<string, unknown>,
    t0: number,
    t1: number,
    errno: string | null,
    ns: NsObservation[],
  ): TraceStep => ({ type: 'step', index, line, task, op, args, t0, t1, errno, ns, refs: [] });

  scenario.steps.forEach((step, index) => {
    let rec: TraceStep | null = null;
    const apply = (w: World): void => {
      rec = exec(w, step, index);
      if (rec)
        rec = {
          ...rec,
          refs: observed.map((i) => ({ id: modelNsId(i), type: w.ns[i]!.type, held: w.ns[i]!.refs > 0 })),
        };
    };
    if (history) {
      world = produce(world, apply);
      history.push({ step: index, t: now, world });
    } else apply(world);
    if (rec) steps.push(rec);
  });
  const settle = opts.settleNs ?? 300 * MS;
  const finish = (w: World): void => {
    runInternalUntil(w, now + settle);
    w.now = now + settle;
  };
  if (history) {
    world = produce(world, finish);
    history.push({ step: scenario.steps.length, t: now + settle, world });
  } else finish(world);

  const events: TraceEvent[] = effects.flatMap((e): TraceEvent[] =>
    e.kind === 'reaper.step'
      ? [{ type: 'event', name: `model.${e.reaper}.${e.step}`, t: e.at.lo, ns: e.ns.map(modelNsId), inodes: e.inodes }]
      : e.kind === 'reaper.queued'
        ? [{ type: 'event', name: `model.${e.reaper}.queue`, t: e.at.lo, ns: [modelNsId(e.ns)] }]
        : [],
  );
  const w0 = createWorld(profile, scenario.tasks);
  const trace: Trace = {
    header: {
      type: 'header',
      format: TRACE_FORMAT,
      version: TRACE_VERSION,
      source: 'model',
      tool: 'nslife 0.1.0',
      kernel: null,
      profile: profile.name,
      capabilities: { userns: true, tracefs: true, nsGetId: true, fileHandles: true, listns: false },
      missing: [],
      clock: 'virtual',
      scenario: { name: scenario.name, file: scenario.file, params: scenario.params },
      seed: opts.seed,
      initial: scenario.tasks.length > 0 ? NS_TYPES.map((t) => observeNs(w0, scenario.tasks[0]!, t)) : [],
    },
    steps,
    events,
    end: { type: 'end', complete: true, steps: steps.length, t: now + settle },
    complete: true,
  };
  return { trace, history, effects, world };
}

function durationOf(p: KernelProfile, step: ExecStep): LatencyRange {
  if (step.kind === 'read') return p.opDuration.read;
  return step.types.includes('net') ? p.opDuration.unshareNet : p.opDuration.unshareUser;
}
