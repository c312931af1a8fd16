/**
 * A closed interval of absolute times (ns). The engine's simulation runs use points (lo = hi);
 * the checker keeps intervals for times it has not observed.
 *
 * @internal
 */
export interface Interval {
  readonly lo: number;
  readonly hi: number;
}

/** @internal */
export const point = (t: number): Interval => ({ lo: t, hi: t });
