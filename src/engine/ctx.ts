import type { KernelProfile } from '../../model/profile.ts';
import type { LatencyRange } from '../../model/time.ts';
import type { Effect } from './effects.ts';
import type { Interval } from './interval.ts';

/**
 * How the engine learns about time. A simulation draws each latency from the profile's range
 * with its seeded choice source (points); the checker keeps whole intervals.
 *
 * @internal
 */
export interface Timing {
  /** When something made possible at `from` with latency `r` becomes due. */
  due(from: Interval, r: LatencyRange): Interval;
}

/**
 * Everything a transition needs besides the world: the profile, the time window the transition
 * happens in, the timing policy, and where effects go.
 *
 * @internal
 */
export interface EngineCtx {
  readonly profile: KernelProfile;
  readonly timing: Timing;
  /** The window in which the current transition happens. */
  at: Interval;
  /** Effects sink; null when nobody listens (fast path). */
  readonly effects: Effect[] | null;
}
