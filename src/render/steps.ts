import { formatStep } from '../scenario/format.ts';
import type { Trace, TraceStep } from '../trace/format.ts';
import { stepOfRecord } from '../trace/stepOf.ts';

/** Milliseconds with three decimals. @internal */
export const ms = (ns: number): string => (ns / 1e6).toFixed(3);

/**
 * One line per step: time, task, operation, result, what was observed.
 *
 * @public
 */
export function renderSteps(trace: Trace): string {
  const origin = trace.steps[0]?.t0 ?? 0;
  return trace.steps.map((s) => `  ${ms(s.t0 - origin).padStart(10)} ms  ${describeStep(s)}`).join('\n');
}

/** @public */
export function describeStep(s: TraceStep): string {
  const what = formatStep(stepOfRecord(s));
  const result = s.op === 'sleep' ? '' : s.errno ? ` → ${s.errno}` : ' → ok';
  const next = s.next !== undefined ? `  next free inode ${s.next}` : '';
  const ns = s.ns.map((o) => `${o.type}:[${o.inode}]${o.id !== null ? ` id ${o.id}` : ''}`).join(' ');
  return `${what}${result}${ns ? `  ${ns}` : ''}${next}`;
}
