/** Nanoseconds per millisecond; model times are integer nanoseconds. @public */
export const MS = 1_000_000;

/**
 * A closed range of durations in nanoseconds: when a deferred kernel step may run, relative to
 * the moment it became possible.
 *
 * @remarks Since 0.1.0
 * @public
 */
export interface LatencyRange {
  readonly min: number;
  readonly max: number;
}

/** @public */
export function range(minMs: number, maxMs: number): LatencyRange {
  return { min: Math.round(minMs * MS), max: Math.round(maxMs * MS) };
}
