import type { Trace, TraceStep } from '../trace/format.ts';

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
  const what =
    s.op === 'sleep'
      ? `sleep ${ms(Number(s.args['ns'] ?? s.t1 - s.t0))} ms`
      : s.op === 'read'
        ? `${s.task}: read ${String(s.args['type'])}`
        : `${s.task}: unshare ${(s.args['types'] as string[]).join(',')}`;
  const result = s.op === 'sleep' ? '' : s.errno ? ` → ${s.errno}` : ' → ok';
  const ns = s.ns.map((o) => `${o.type}:[${o.inode}]${o.id !== null ? ` id ${o.id}` : ''}`).join(' ');
  return `${what}${result}${ns ? `  ${ns}` : ''}`;
}
