import type { Trace, TraceRecord } from './format.ts';

/**
 * A trace as JSON Lines, records in time order: header, then steps and events merged by time,
 * then the end record (if any).
 *
 * @remarks Since 0.1.0
 * @public
 */
export function formatTrace(trace: Trace): string {
  const body: { t: number; rec: TraceRecord }[] = [
    ...trace.steps.map((s) => ({ t: s.t0, rec: s as TraceRecord })),
    ...trace.events.map((e) => ({ t: e.t, rec: e as TraceRecord })),
  ];
  body.sort((a, b) => a.t - b.t); // stable: a step before an event at the same time
  const records: TraceRecord[] = [trace.header, ...body.map((b) => b.rec), ...(trace.end ? [trace.end] : [])];
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
