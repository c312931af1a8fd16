import type { Trace } from './format.ts';

/**
 * One run of a kernel work function seen by tracefs: when it was queued, started and ended.
 *
 * @public
 */
export interface WorkRun {
  readonly fn: string;
  readonly queued: number;
  readonly start: number;
  readonly end: number;
}

/**
 * Pairs the `kernel.workqueue.queue/start/end` events of a trace into runs of `fn`
 * (the queueing that precedes each start; the first end after it).
 *
 * @remarks Since 0.1.0
 * @public
 */
export function reaperLatencies(trace: Trace, fn = 'cleanup_net'): WorkRun[] {
  const runs: WorkRun[] = [];
  let queued: number | null = null;
  let start: number | null = null;
  // Work queued again while a run is in progress belongs to the next run.
  let queuedNext: number | null = null;
  for (const e of trace.events) {
    if (e.fn !== fn) continue;
    if (e.name === 'kernel.workqueue.queue') {
      if (start === null) queued ??= e.t;
      else queuedNext ??= e.t;
    } else if (e.name === 'kernel.workqueue.start' && start === null) start = e.t;
    else if (e.name === 'kernel.workqueue.end' && start !== null) {
      runs.push({ fn, queued: queued ?? start, start, end: e.t });
      queued = queuedNext;
      queuedNext = null;
      start = null;
    }
  }
  return runs;
}
