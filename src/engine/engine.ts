import type { KernelProfile } from '../../model/profile.ts';
import type { LatencyRange } from '../../model/time.ts';
import type { Step } from '../scenario/ast.ts';
import { createChoiceSource, drawnTiming, type ChoiceSource } from './choice.ts';
import type { EngineCtx } from './ctx.ts';
import type { Effect } from './effects.ts';
import { point } from './interval.ts';
import { beginOp, endOp, fillOp, newOpState, type ExecStep } from './ops.ts';
import { fireInternal, fireWorkAt, nextDue } from './reapers.ts';
import { createWorld, type World } from './world.ts';

/**
 * What executing one step did, on the virtual clock.
 *
 * @public
 */
export interface StepOutcome {
  readonly t0: number;
  readonly t1: number;
  readonly errno: string | null;
}

/**
 * The simulation runtime around the pure transitions: a virtual clock, the seeded choice source,
 * and the order in which due kernel work runs. `exec` mutates `world` in place (pass an immer
 * draft to keep snapshots); it never steps an xstate actor.
 *
 * @remarks Since 0.1.0
 * @public
 */
export interface Engine {
  readonly profile: KernelProfile;
  readonly choice: ChoiceSource;
  /** Effects of every transition so far (null when not collected). */
  readonly effects: Effect[] | null;
  now: number;
  /** Executes one step on `world`; `expect` steps do nothing and return null. */
  exec(world: World, step: Step): StepOutcome | null;
  /** Lets due kernel work run up to time `t` (inclusive) and moves the clock there. */
  advance(world: World, t: number): void;
}

/** @public */
export interface EngineOptions {
  readonly profile: KernelProfile;
  readonly seed: number;
  /** Collect effects (trace events, machine equivalence); off for the fastest runs. */
  readonly effects?: boolean;
}

/**
 * A new engine and its initial world.
 *
 * @public
 */
export function createEngine(opts: EngineOptions, tasks: readonly string[]): { engine: Engine; world: World } {
  const { profile } = opts;
  const choice = createChoiceSource(opts.seed);
  const effects: Effect[] | null = opts.effects === false ? null : [];
  const ctx: EngineCtx = { profile, timing: drawnTiming(choice), at: point(0), effects };

  const runDue = (w: World, t: number): void => {
    for (;;) {
      // Earliest due transition first; ties: the netns worker, the ipc worker, then work items
      // in queueing order (enabledInternal's order).
      let key: string | null = null;
      let idx = -1;
      let at = Infinity;
      if (w.netns.state !== 'idle' && w.netns.due.lo <= t) {
        key = 'netns';
        at = w.netns.due.lo;
      }
      if (w.ipc.state !== 'idle' && w.ipc.due.lo <= t && w.ipc.due.lo < at) {
        key = 'ipc';
        at = w.ipc.due.lo;
      }
      const work = w.work;
      for (let i = 0; i < work.length; i++) {
        const lo = (work[i] as { due: { lo: number } }).due.lo;
        if (lo <= t && lo < at) {
          key = null;
          idx = i;
          at = lo;
        }
      }
      if (key === null && idx < 0) return;
      ctx.at = point(at);
      if (idx >= 0) fireWorkAt(w, idx, ctx);
      else fireInternal(w, key as string, ctx);
    }
  };

  const engine: Engine = {
    profile,
    choice,
    effects,
    now: 0,
    advance(w, t) {
      runDue(w, t);
      engine.now = t;
      w.now = t;
    },
    exec(w, step) {
      if (step.kind === 'expect') return null;
      const t0 = engine.now;
      if (step.kind === 'sleep') {
        engine.advance(w, t0 + step.ns);
        return { t0, t1: engine.now, errno: null };
      }
      const t1 = t0 + choice.draw(durationOf(profile, step));
      const st = newOpState((n) => choice.pick(n));
      runDue(w, t0);
      ctx.at = point(t0);
      beginOp(w, step, st, ctx);
      // The /proc/net entries are registered one by one across the syscall (entry j at
      // t0 + j·d/(E+1)); due kernel work runs between them. Entries before the next due
      // transition are taken in one go (all of them, usually: nothing falls due mid-syscall).
      const entries = st.fill;
      if (entries > 0 && nextDue(w) > t1) fillOp(w, st, entries, ctx);
      for (let j = 1; st.fill > 0;) {
        const due = nextDue(w);
        let k = 0;
        while (j + k <= entries && entryTime(t0, t1, j + k, entries) < due) k++;
        if (k > 0) {
          fillOp(w, st, k, ctx);
          j += k;
        } else {
          runDue(w, entryTime(t0, t1, j, entries));
          fillOp(w, st, 1, ctx);
          j++;
        }
      }
      runDue(w, t1);
      ctx.at = point(t1);
      endOp(w, step, st, ctx);
      engine.now = t1;
      w.now = t1;
      return { t0, t1, errno: st.errno };
    },
  };
  return { engine, world: createWorld(profile, tasks) };
}

/** When entry `j` of `entries` is registered in a syscall spanning t0..t1. */
function entryTime(t0: number, t1: number, j: number, entries: number): number {
  return t0 + Math.floor((j * (t1 - t0)) / (entries + 1));
}

/** How long an operation takes on the machine: its profile range. @internal */
export function durationOf(p: KernelProfile, step: ExecStep): LatencyRange {
  switch (step.kind) {
    case 'read':
    case 'next-inode':
      return p.opDuration.read;
    case 'unshare':
    case 'fork':
      if (step.types.includes('net')) return p.opDuration.unshareNet;
      if (step.types.some((t) => t !== 'user')) return p.opDuration.unshareOther;
      return step.kind === 'fork' ? p.opDuration.fork : p.opDuration.unshareUser;
    case 'thread':
      return p.opDuration.fork;
    default:
      return p.opDuration.syscall;
  }
}
