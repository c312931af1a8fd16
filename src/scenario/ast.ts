import type { NsType } from '../../model/nsType.ts';

/**
 * Where a construct came from in a scenario file (1-based line and column).
 *
 * @public
 */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/**
 * The expected outcome of an operation: `ok` or an errno name such as `ENOSPC`.
 *
 * @public
 */
export type Outcome = 'ok' | `E${string}`;

/**
 * One operation, after `repeat` blocks and `$params` have been expanded.
 * Durations are integer nanoseconds.
 *
 * @public
 */
export type Step =
  | {
      readonly kind: 'unshare';
      readonly task: string;
      readonly types: readonly NsType[];
      readonly expect?: Outcome;
      readonly pos: SourcePos;
    }
  | {
      readonly kind: 'read';
      readonly task: string;
      readonly nsType: NsType;
      readonly as?: string;
      readonly pos: SourcePos;
    }
  | { readonly kind: 'sleep'; readonly ns: number; readonly pos: SourcePos }
  | { readonly kind: 'expect'; readonly check: Expectation; readonly pos: SourcePos };

/**
 * An expectation over what a run observed. Names are those bound by `read ... as NAME`
 * (the latest binding at that point of the scenario).
 *
 * - `held` / `released`: the namespace still has references, or not (file-handle probe);
 * - `same-inode` / `other-inode`: two observed namespaces have equal / different inode numbers;
 * - `same-ns` / `other-ns`: two observations are / are not the same namespace (by id).
 *
 * @public
 */
export type Expectation =
  | { readonly kind: 'held' | 'released'; readonly name: string }
  | { readonly kind: 'same-inode' | 'other-inode' | 'same-ns' | 'other-ns'; readonly a: string; readonly b: string };

/**
 * A parsed scenario: tasks that start in the initial namespaces, and a flat list of steps in
 * execution order.
 *
 * @public
 */
export interface Scenario {
  readonly name: string;
  readonly file: string;
  readonly tasks: readonly string[];
  /** Parameter values in effect (defaults overridden by the caller), as written. */
  readonly params: Readonly<Record<string, string>>;
  readonly steps: readonly Step[];
}
