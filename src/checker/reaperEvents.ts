import type { Trace } from '../trace/format.ts';

/**
 * A reaper step the trace saw happen, at time `t` (relative to the trace's first step).
 *
 * @internal
 */
export interface ReaperObservation {
  readonly t: number;
  readonly reaper: 'cleanup_net';
  /** The reaper step (model/rules/net.ts step ids). */
  readonly step: string;
}

/**
 * The reaper steps a trace observes, in time order, and which step kinds are observed at all
 * (a kind that is observed is observed every time it happens: tracefs sees every run).
 * Kernel traces: `workqueue_execute_start` of cleanup_net is the batch being taken (`start`),
 * `workqueue_execute_end` the end of the final loop (`final`). Model traces name every step.
 * free_user_ns and the other work functions are not used: the probe's own sandbox user
 * namespace also goes through free_user_ns at the end of a run.
 *
 * @internal
 */
export function reaperObservations(
  trace: Trace,
  origin: number,
): { events: ReaperObservation[]; observed: Set<string> } {
  const events: ReaperObservation[] = [];
  for (const e of trace.events) {
    let step: string | null = null;
    if (e.fn === 'cleanup_net' && e.name === 'kernel.workqueue.start') step = 'start';
    else if (e.fn === 'cleanup_net' && e.name === 'kernel.workqueue.end') step = 'final';
    else if (e.name.startsWith('model.cleanup_net.') && e.name !== 'model.cleanup_net.queue') {
      step = e.name.slice('model.cleanup_net.'.length);
    }
    if (step !== null) events.push({ t: e.t - origin, reaper: 'cleanup_net', step });
  }
  events.sort((a, b) => a.t - b.t);
  return { events, observed: new Set(events.map((e) => e.step)) };
}
