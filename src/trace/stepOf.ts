import type { NsFile, Step } from '../scenario/ast.ts';
import type { TraceStep } from './format.ts';

/**
 * The scenario step a trace step executed: its op and args (src/scenario/observed.ts: stepArgs,
 * validated by the trace schema) back into the IR. The position is the trace's line.
 *
 * @internal
 */
export function stepOfRecord(rec: TraceStep, file = '<trace>'): Exclude<Step, { kind: 'expect' }> {
  const pos = { file, line: rec.line, col: 1 };
  const task = rec.task ?? '';
  switch (rec.op) {
    case 'read':
      return { kind: 'read', task, nsType: String(rec.args['type']) as NsFile, pos };
    case 'next-inode':
      return { kind: 'next-inode', pos };
    case 'sleep':
      return { kind: 'sleep', ns: Number(rec.args['ns'] ?? rec.t1 - rec.t0), pos };
    default:
      return { ...rec.args, kind: rec.op, task, pos } as unknown as Exclude<Step, { kind: 'expect' }>;
  }
}
