import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { LatencyRange } from '../../model/time.ts';
import type { Timing } from './ctx.ts';
import { point, type Interval } from './interval.ts';

/**
 * The seeded choice source of a simulation: every nondeterministic kernel step (how long a
 * reaper waits, how long a syscall takes) is drawn from it, so the same seed replays exactly.
 * pure-rand (fast-check's generator library) provides the generator.
 *
 * @public
 */
export interface ChoiceSource {
  readonly seed: number;
  /** A duration in `r`, in ns. */
  draw(r: LatencyRange): number;
  /** One of `n` discrete outcomes (0 … n-1), e.g. which CPU's id batch a namespace got. */
  pick(n: number): number;
}

/** @public */
export function createChoiceSource(seed: number): ChoiceSource {
  const rng = xoroshiro128plus(seed | 0);
  return {
    seed,
    draw: (r) => (r.max <= r.min ? r.min : uniformInt(rng, r.min, r.max)),
    pick: (n) => (n <= 1 ? 0 : uniformInt(rng, 0, n - 1)),
  };
}

/** Timing of a simulation: each due time is one drawn point. @internal */
export function drawnTiming(choice: ChoiceSource): Timing {
  return { due: (from: Interval, r: LatencyRange) => point(from.lo + choice.draw(r)) };
}

/** Timing of the checker: every latency in the range stays possible. @internal */
export function intervalTiming(): Timing {
  return { due: (from: Interval, r: LatencyRange) => ({ lo: from.lo + r.min, hi: from.hi + r.max }) };
}
