import { freeze } from 'immer';
import type { Scenario } from '../scenario/ast.ts';
import { createEngine } from '../engine/engine.ts';
import { simulate, type ModelRun, type SimulateOptions, type Snapshot } from '../engine/simulate.ts';
import type { World } from '../engine/world.ts';
import { diff, type Change } from './diff.ts';

/**
 * The world at a virtual time: after `steps` steps of the scenario, with the kernel work due by
 * `t` done. `inStep` is the index of a syscall in progress at `t` (the world is then the one
 * before it: a syscall is not split by `at`).
 *
 * @public
 */
export interface WorldAt {
  readonly t: number;
  readonly steps: number;
  readonly inStep: number | null;
  readonly world: World;
}

/**
 * Time travel through a model run made with `history: true`: a cursor over its snapshots (back,
 * forward, go), the world at any virtual time, and the differences between two worlds.
 *
 * Snapshot `k` is the world after the first `k` steps (0: the initial world);
 * the last one is after the run settled (`settleNs` after the last step).
 *
 * @public
 */
export class History {
  readonly snapshots: readonly Snapshot[];
  /** Index of the current snapshot. */
  position = 0;

  constructor(
    readonly scenario: Scenario,
    readonly options: SimulateOptions,
    readonly run: ModelRun,
  ) {
    if (!run.history) throw new Error('History needs a run made with history: true');
    this.snapshots = run.history;
  }

  /** The number of snapshots (steps + 2: the initial world and the settled one). */
  get length(): number {
    return this.snapshots.length;
  }

  current(): Snapshot {
    return this.snapshots[this.position] as Snapshot;
  }

  /** Moves the cursor to snapshot `i` (clamped to the run). */
  go(i: number): Snapshot {
    this.position = Math.max(0, Math.min(this.snapshots.length - 1, Math.trunc(i)));
    return this.current();
  }

  back(n = 1): Snapshot {
    return this.go(this.position - n);
  }

  forward(n = 1): Snapshot {
    return this.go(this.position + n);
  }

  /** The snapshot after the first `k` steps (0 ≤ k ≤ steps). */
  afterSteps(k: number): Snapshot {
    const s = this.snapshots[k];
    if (!s || k < 0 || k > this.scenario.steps.length) throw new RangeError(`no snapshot after ${k} steps`);
    return s;
  }

  /**
   * The world at virtual time `t` (ns). Between two snapshots the world is the earlier one, with
   * the kernel work due by `t` run when a `sleep` (or the settling after the last step, or any
   * time after it) is in progress: the run is replayed from its seed up to there and the engine
   * advanced to `t`, which draws exactly what the run drew. A syscall in progress is not split.
   */
  at(t: number): WorldAt {
    if (!(t >= 0)) throw new RangeError(`no world at t=${t} (virtual time starts at 0)`);
    const steps = this.scenario.steps;
    let k = 0;
    for (let i = 0; i <= steps.length; i++) if ((this.snapshots[i] as Snapshot).t <= t) k = i;
    const snap = this.snapshots[k] as Snapshot;
    if (snap.t === t) return { t, steps: k, inStep: null, world: snap.world };
    const next = steps[k];
    if (next && next.kind !== 'sleep') return { t, steps: k, inStep: k, world: snap.world };
    const last = this.snapshots.at(-1) as Snapshot;
    if (!next && last.t === t) return { t, steps: k, inStep: null, world: last.world };
    return { t, steps: k, inStep: null, world: freeze(this.replay(k, t), true) };
  }

  /** The run's first `k` steps replayed on a fresh engine with the same seed, then advanced to `t`. */
  private replay(k: number, t: number): World {
    const { engine, world } = createEngine(
      { profile: this.options.profile, seed: this.options.seed, effects: false },
      this.scenario.tasks,
    );
    for (let i = 0; i < k; i++) engine.exec(world, this.scenario.steps[i]!);
    engine.advance(world, t);
    return world;
  }

  /** What changed from `a` to `b` (snapshots, worlds, or snapshot indices). */
  diff(a: Snapshot | World | number, b: Snapshot | World | number): Change[] {
    return diff(this.worldOf(a), this.worldOf(b));
  }

  private worldOf(x: Snapshot | World | number): World {
    if (typeof x === 'number') {
      const s = this.snapshots[x];
      if (!s) throw new RangeError(`no snapshot ${x} (the run has ${this.snapshots.length})`);
      return s.world;
    }
    return 'world' in x ? x.world : x;
  }
}

/**
 * A {@link History} of `scenario` run with `options` (history on); pass `run` to reuse a run
 * already made with the same scenario and options.
 *
 * @public
 */
export function openHistory(scenario: Scenario, options: SimulateOptions, run?: ModelRun): History {
  return new History(scenario, options, run ?? simulate(scenario, { ...options, history: true }));
}
