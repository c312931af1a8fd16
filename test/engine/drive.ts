/**
 * A test rig for standing between two kernel steps: the engine runtime (createEngine) executes
 * the syscalls, but every deferred kernel step is due only in the far future, so none runs by
 * itself; tests fire the batched workers (netns, ipc) and per-namespace work items (reaper
 * steps, deferred puts) by hand.
 */
import type { NsType } from '../../model/nsType.ts';
import type { KernelProfile } from '../../model/profile.ts';
import type { EngineCtx } from '../../src/engine/ctx.ts';
import type { Effect } from '../../src/engine/effects.ts';
import { createEngine, type Engine } from '../../src/engine/engine.ts';
import { point } from '../../src/engine/interval.ts';
import { taskOf } from '../../src/engine/ops.ts';
import { fireInternal, fireWorkAt } from '../../src/engine/reapers.ts';
import type { World } from '../../src/engine/world.ts';
import type { Scenario, Step } from '../../src/scenario/ast.ts';

/** Later than any test runs (ns): deferred work due then never runs by itself. */
const FAR = 1e12;

/** `profile` with every deferred kernel step due only at `FAR`. */
function handCranked(p: KernelProfile): KernelProfile {
  const latency = Object.fromEntries(Object.keys(p.latency).map((k) => [k, { min: FAR, max: FAR }]));
  return { ...p, latency: latency as unknown as KernelProfile['latency'] };
}

/** An engine, its world, and a context to fire deferred kernel work with. */
export interface Rig {
  readonly w: World;
  readonly engine: Engine;
  readonly ctx: EngineCtx;
  /** Every effect so far, the engine's and the hand-fired work's, in order. */
  readonly effects: Effect[];
}

/** A rig with `tasks` in the initial namespaces. */
export function rig(profile: KernelProfile, tasks: readonly string[]): Rig {
  const p = handCranked(profile);
  const { engine, world } = createEngine({ profile: p, seed: 0, effects: true }, tasks);
  const effects = engine.effects as Effect[];
  const ctx: EngineCtx = { profile: p, timing: { due: (from, r) => point(from.lo + r.min) }, at: point(0), effects };
  return { w: world, engine, ctx, effects };
}

/** unshare(2) of `types` by `task`; returns the errno or null. */
export function unshare(r: Rig, task: string, types: readonly NsType[]): string | null {
  return r.engine.exec(r.w, { kind: 'unshare', task, types, pos: { file: '<test>', line: 1, col: 1 } })?.errno ?? null;
}

/** The namespace of `type` task `task` is in. */
export const nsOf = (w: World, task: string, type: NsType): number => taskOf(w, task).ns[type];

/** The context for deferred work happening now. */
export function now(r: Rig): EngineCtx {
  r.ctx.at = point(r.engine.now);
  return r.ctx;
}

/** Fires the netns worker once (the start of a run, or its next cleanup_net step). */
export const fireNetns = (r: Rig): void => fireInternal(r.w, 'netns', now(r));

/** Fires the ipc worker once (the start of a `free_ipc` run, or its next step). */
export const fireIpc = (r: Rig): void => fireInternal(r.w, 'ipc', now(r));

/**
 * Runs the first queued work item of namespace `id` (its reaper's next step, or a deferred put
 * when `deferred`); throws when there is none.
 */
export function fireWork(r: Rig, id: number, deferred = false): void {
  const i = r.w.work.findIndex((it) => it.ns === id && it.step < 0 === deferred);
  if (i < 0) throw new Error(`no ${deferred ? 'deferred put' : 'reaper work'} queued for namespace ${id}`);
  fireWorkAt(r.w, i, now(r));
}

/** Runs every pending deferred kernel step (workers and work items), in queue order, until none is left. */
export function drainAll(r: Rig): void {
  for (let i = 0; ; i++) {
    if (i > 100_000) throw new Error('deferred work does not stop');
    if (r.w.netns.state !== 'idle') fireNetns(r);
    else if (r.w.ipc.state !== 'idle') fireIpc(r);
    else if (r.w.work.length > 0) fireWorkAt(r.w, 0, now(r));
    else return;
  }
}

/** Executes one step (without its position) on the rig; returns its errno or null. */
export function exec(r: Rig, step: StepSpec): string | null {
  const out = r.engine.exec(r.w, { ...step, pos: { file: '<test>', line: 1, col: 1 } } as Step);
  return out?.errno ?? null;
}

/** Fires the netns worker until it is idle. */
export function drainNetns(r: Rig): void {
  for (let i = 0; r.w.netns.state !== 'idle'; i++) {
    if (i > 1000) throw new Error('netns worker does not stop');
    fireNetns(r);
  }
}

/** A step without its position. */
export type StepSpec = Step extends infer S ? (S extends Step ? Omit<S, 'pos'> : never) : never;

/** A scenario of `steps` (step i at line i + 1 of `<test>`). */
export function scenarioOf(tasks: readonly string[], steps: readonly StepSpec[]): Scenario {
  return {
    name: 'test',
    file: '<test>',
    tasks,
    params: {},
    steps: steps.map((s, i) => ({ ...s, pos: { file: '<test>', line: i + 1, col: 1 } }) as Step),
  };
}
