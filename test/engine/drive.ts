/**
 * Drives the engine's transitions one by one, for unit tests that need to stand between two
 * kernel steps (simulate runs a whole scenario). Latencies are the profile's minimum, so a
 * transition is due as early as the profile allows; tests fire internal transitions by hand.
 */
import type { NsType } from '../../model/nsType.ts';
import type { KernelProfile } from '../../model/profile.ts';
import type { EngineCtx } from '../../src/engine/ctx.ts';
import type { Effect } from '../../src/engine/effects.ts';
import { point } from '../../src/engine/interval.ts';
import { applyOpPoint, taskOf, type OpState } from '../../src/engine/ops.ts';
import { fireInternal } from '../../src/engine/reapers.ts';
import type { World } from '../../src/engine/world.ts';
import type { Scenario, SourcePos, Step } from '../../src/scenario/ast.ts';

/** A context whose due times are the earliest the profile allows. */
export function testCtx(profile: KernelProfile): EngineCtx & { effects: Effect[] } {
  return { profile, timing: { due: (from, r) => point(from.lo + r.min) }, at: point(0), effects: [] };
}

/** unshare(2) of `types` by `task`, both points; returns the errno or null. */
export function unshare(w: World, task: string, types: readonly NsType[], ctx: EngineCtx): string | null {
  const step = { kind: 'unshare', task, types, pos: POS } as const;
  const st: OpState = { errno: null, created: {} };
  applyOpPoint(w, step, 0, st, ctx);
  applyOpPoint(w, step, 1, st, ctx);
  return st.errno;
}

/** The namespace of `type` task `task` is in. */
export const nsOf = (w: World, task: string, type: NsType): number => taskOf(w, task).ns[type];

/** Fires the netns worker once (the start of a run, or its next cleanup_net step). */
export const fireNetns = (w: World, ctx: EngineCtx): void => fireInternal(w, 'netns', ctx);

/** Fires the netns worker until it is idle. */
export function drainNetns(w: World, ctx: EngineCtx): void {
  for (let i = 0; w.netns.state !== 'idle'; i++) {
    if (i > 1000) throw new Error('netns worker does not stop');
    fireNetns(w, ctx);
  }
}

const POS: SourcePos = { file: '<test>', line: 1, col: 1 };

/** A step without its position. */
type StepSpec = Step extends infer S ? (S extends Step ? Omit<S, 'pos'> : never) : never;

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
