import { produce } from 'immer';
import { NS_TYPES } from '../../model/nsType.ts';
import type { KernelProfile } from '../../model/profile.ts';
import { MS } from '../../model/time.ts';
import type { Scenario } from '../scenario/ast.ts';
import { TRACE_FORMAT, TRACE_VERSION, type Trace, type TraceEvent, type TraceStep } from '../trace/format.ts';
import type { Effect } from './effects.ts';
import { createEngine } from './engine.ts';
import type { EngineCtx } from './ctx.ts';
import { activeSet, handleOpens } from './holders.ts';
import { point } from './interval.ts';
import { modelNsId, nextFreeInode, nsOfTask, observeNode, observedNode } from './observe.ts';
import { isTaskStep, observedNs, stepArgs } from '../scenario/observed.ts';
import { createWorld, type World } from './world.ts';

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
  /** Index of the step just done (-1: the initial world; steps.length: after settling). */
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
 * Runs a scenario on the model with a virtual clock and records it as a trace, in the probe's
 * format. Every choice (how long each syscall and each reaper step takes) is drawn from the
 * seeded choice source within the profile's ranges, so a seed replays exactly.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function simulate(scenario: Scenario, opts: SimulateOptions): ModelRun {
  const { profile } = opts;
  const made = createEngine({ profile, seed: opts.seed, effects: true }, scenario.tasks);
  const engine = made.engine;
  let world = made.world;
  const history: Snapshot[] | null = opts.history ? [] : null;
  if (history) {
    world = produce(world, () => {});
    history.push({ step: -1, t: 0, world });
  }
  const steps: TraceStep[] = [];
  // Observed namespaces are probed after every step until they are seen released (a namespace
  // without references never gets one back), which keeps each record small.
  let probed: number[] = [];
  const seen = new Set<number>();

  const octx: EngineCtx = { profile, timing: { due: (f) => f }, at: point(0), effects: null };
  scenario.steps.forEach((step, index) => {
    const apply = (w: World): void => {
      const done = engine.exec(w, step);
      if (!done || step.kind === 'expect') return;
      const task = isTaskStep(step) ? step.task : null;
      const nodes = done.errno === null ? observedNs(step).flatMap((o) => observedNode(w, o, octx) ?? []) : [];
      const ns = nodes.map(observeNode);
      for (const n of nodes) {
        if (!n.initial && !seen.has(n.id)) {
          seen.add(n.id);
          probed.push(n.id);
        }
      }
      const active = profile.activeRefs ? activeSet(w) : undefined;
      const held = probed.map((i) => handleOpens(w, i, profile.activeRefs, active));
      const refs = probed.map((i, k) => ({ id: modelNsId(i), type: w.ns[i]!.type, held: held[k] as boolean }));
      probed = probed.filter((_, k) => held[k]);
      steps.push({
        type: 'step',
        index,
        line: step.pos.line,
        task,
        op: step.kind,
        args: stepArgs(step),
        t0: done.t0,
        t1: done.t1,
        errno: done.errno,
        ns,
        refs,
        ...(step.kind === 'next-inode' ? { next: nextFreeInode(w.inodes) } : {}),
      });
    };
    if (history) {
      world = produce(world, apply);
      history.push({ step: index, t: engine.now, world });
    } else apply(world);
  });
  const end = engine.now + (opts.settleNs ?? 300 * MS);
  if (history) {
    world = produce(world, (w) => engine.advance(w, end));
    history.push({ step: scenario.steps.length, t: end, world });
  } else engine.advance(world, end);

  const effects = engine.effects ?? [];
  const events: TraceEvent[] = effects.flatMap((e): TraceEvent[] =>
    e.kind === 'reaper.step'
      ? [{ type: 'event', name: `model.${e.reaper}.${e.step}`, t: e.at.lo, ns: e.ns.map(modelNsId), inodes: e.inodes }]
      : e.kind === 'reaper.queued'
        ? [{ type: 'event', name: `model.${e.reaper}.queue`, t: e.at.lo, ns: [modelNsId(e.ns)] }]
        : [],
  );
  const w0 = createWorld(profile, scenario.tasks);
  const first = scenario.tasks[0];
  const trace: Trace = {
    header: {
      type: 'header',
      format: TRACE_FORMAT,
      version: TRACE_VERSION,
      source: 'model',
      tool: 'nslife 0.1.0',
      kernel: null,
      profile: profile.name,
      capabilities: { userns: true, tracefs: true, nsGetId: true, fileHandles: true, listns: profile.listns },
      missing: [],
      clock: 'virtual',
      scenario: { name: scenario.name, file: scenario.file, params: scenario.params, tasks: scenario.tasks },
      seed: opts.seed,
      initial: first === undefined ? [] : NS_TYPES.map((t) => observeNode(nsOfTask(w0, first, t))),
    },
    steps,
    events,
    end: { type: 'end', complete: true, steps: steps.length, t: end },
    complete: true,
  };
  return { trace, history, effects, world };
}
