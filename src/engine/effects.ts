import type { Interval } from './interval.ts';

/**
 * What a model transition did, as data (xstate's "actions as data"): the engine's trace events,
 * the spec machines' input in the equivalence tests, and the history's step descriptions.
 *
 * @public
 */
export type Effect =
  | { readonly kind: 'ns.created'; readonly ns: number; readonly at: Interval }
  | { readonly kind: 'ns.lastPut'; readonly ns: number; readonly at: Interval }
  | { readonly kind: 'reaper.queued'; readonly reaper: ReaperName; readonly ns: number; readonly at: Interval }
  | {
      readonly kind: 'reaper.step';
      readonly reaper: ReaperName;
      readonly step: string;
      readonly ns: readonly number[];
      readonly inodes: readonly number[];
      readonly at: Interval;
    }
  | { readonly kind: 'ns.freed'; readonly ns: number; readonly at: Interval }
  | { readonly kind: 'put.deferred'; readonly ns: number; readonly at: Interval }
  | { readonly kind: 'task.exited' | 'task.reaped'; readonly task: number; readonly at: Interval };

/** The kernel function of a reaper (`cleanup_net`, `free_user_ns`, ...: model/rules). @public */
export type ReaperName = string;
