import type { Expectation, Scenario, SourcePos } from '../scenario/ast.ts';
import { formatStep } from '../scenario/format.ts';
import type { NsObservation, Trace, TraceStep } from './format.ts';

/**
 * The outcome of one expectation of a scenario on one trace.
 *
 * @public
 */
export interface ExpectationResult {
  readonly pos: SourcePos;
  readonly text: string;
  /** `unknown` when the trace does not have what it needs (cut short, capability missing). */
  readonly status: 'pass' | 'fail' | 'unknown';
  readonly detail: string;
}

/**
 * Evaluates a scenario's expectations (`expect ...` lines and `=> OUTCOME` on operations) on a
 * trace from any executor. A name refers to the latest step before the expectation that bound it
 * with `as NAME`: `read` (the namespace read), `open` / `ioctl` (the namespace behind the new fd),
 * `next-inode` (an inode number only: for `same-inode` / `other-inode`).
 *
 * @remarks Since 0.1.0
 * @public
 */
export function evaluateExpectations(scenario: Scenario, trace: Trace): ExpectationResult[] {
  const byIndex = new Map<number, TraceStep>(trace.steps.map((s) => [s.index, s]));
  const bound = new Map<string, NsObservation | null>();
  // Latest held/released per id: a trace lists a namespace until it is first seen released
  // (it never gets a reference back), so the last word on it stands.
  const held = new Map<number, boolean>();
  const out: ExpectationResult[] = [];
  scenario.steps.forEach((step, index) => {
    const rec = byIndex.get(index);
    if (rec) for (const r of rec.refs) held.set(r.id, r.held);
    const ok = rec !== undefined && rec.errno === null;
    if (step.kind === 'read' && step.as !== undefined) bound.set(step.as, (ok && rec.ns[0]) || null);
    if ((step.kind === 'open' || step.kind === 'ioctl') && step.as !== undefined)
      bound.set(step.as, (ok && rec.ns[0]) || null);
    if (step.kind === 'next-inode' && step.as !== undefined)
      bound.set(step.as, rec?.next !== undefined ? { type: 'uts', inode: rec.next, id: null } : null);
    if ('task' in step && step.expect !== undefined) {
      const want = step.expect === 'ok' ? null : step.expect;
      const text = formatStep(step);
      if (!rec) out.push({ pos: step.pos, text, status: 'unknown', detail: 'step not in the trace' });
      else {
        const got = rec.errno ?? 'ok';
        out.push({ pos: step.pos, text, status: rec.errno === want ? 'pass' : 'fail', detail: `got ${got}` });
      }
    }
    if (step.kind === 'expect') out.push(evaluate(step.check, step.pos, bound, held));
  });
  return out;
}

function evaluate(
  check: Expectation,
  pos: SourcePos,
  bound: Map<string, NsObservation | null>,
  held: ReadonlyMap<number, boolean>,
): ExpectationResult {
  const text = 'name' in check ? `expect ${check.name} ${check.kind}` : `expect ${check.kind} ${check.a} ${check.b}`;
  const unknown = (detail: string): ExpectationResult => ({ pos, text, status: 'unknown', detail });
  const verdict = (ok: boolean, detail: string): ExpectationResult => ({
    pos,
    text,
    status: ok ? 'pass' : 'fail',
    detail,
  });
  if ('name' in check) {
    const o = bound.get(check.name);
    if (!o || o.id === null) return unknown(`${check.name} was not observed with an id`);
    const h = held.get(o.id);
    if (h === undefined) return unknown(`no reference probe of ${check.name} before this line`);
    return verdict(h === (check.kind === 'held'), `${check.name} (id ${o.id}) is ${h ? 'held' : 'released'}`);
  }
  const a = bound.get(check.a);
  const b = bound.get(check.b);
  if (!a || !b) return unknown(`${!a ? check.a : check.b} was not observed`);
  switch (check.kind) {
    case 'same-inode':
    case 'other-inode':
      return verdict((a.inode === b.inode) === (check.kind === 'same-inode'), `inodes ${a.inode} and ${b.inode}`);
    case 'same-ns':
    case 'other-ns':
      if (a.id === null || b.id === null) return unknown('no NS_GET_ID ids in this trace');
      return verdict((a.id === b.id) === (check.kind === 'same-ns'), `ids ${a.id} and ${b.id}`);
  }
}
