import type { TraceStep } from '../trace/format.ts';

interface VerdictBase {
  /** Steps explained (all of them when admitted). */
  readonly steps: number;
  /** Most candidate model states kept between two steps. */
  readonly maxCandidates: number;
  /** False when the trace was cut short: the verdict covers what it has. */
  readonly complete: boolean;
  /** Remarks that do not change the verdict (ignored events, missing observations). */
  readonly notes: readonly string[];
}

/**
 * The checker's verdict on a trace: admitted, rejected (with the first step no model state
 * explains, what the model allowed there and what the trace shows), or undecided (the bound on
 * candidate states was hit before a verdict: the trace lacks observations that would prune them).
 *
 * @remarks Since 0.1.0
 * @public
 */
export type Verdict =
  | (VerdictBase & { readonly outcome: 'admitted'; readonly admitted: true })
  | (VerdictBase & {
      readonly outcome: 'rejected';
      readonly admitted: false;
      readonly step: TraceStep;
      /** What the model allowed there, one line each (deduplicated). */
      readonly allowed: readonly string[];
      /** What the trace shows there. */
      readonly seen: string;
      /** The holders, just before that step, of the namespaces it concerns (one model state). */
      readonly holders: readonly string[];
    })
  | (VerdictBase & {
      readonly outcome: 'undecided';
      readonly admitted: false;
      readonly step: TraceStep;
      readonly reason: string;
    });
