import { Ajv } from 'ajv';
import { InputError, quote } from '../errors/inputError.ts';
import schema from './trace.schema.json' with { type: 'json' };
import type { Trace, TraceEnd, TraceEvent, TraceHeader, TraceRecord, TraceStep } from './format.ts';

const validate = new Ajv({ allErrors: false, strict: false }).compile<TraceRecord>(schema);

/**
 * Reads a JSON Lines trace. Every record is validated against the trace JSON Schema
 * (src/trace/trace.schema.json); a bad record is an {@link InputError} naming the line and the
 * field. A trace cut short (no end record, or a last line cut in the middle) still reads, marked
 * incomplete.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function parseTrace(text: string, file: string): Trace {
  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  let header: TraceHeader | null = null;
  const steps: TraceStep[] = [];
  const events: TraceEvent[] = [];
  let end: TraceEnd | null = null;
  let truncated = false;
  const seenIds = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    if (raw.trim() === '') continue;
    const line = i + 1;
    const last = i === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      if (last && !endsWithNewline && header !== null) {
        truncated = true; // the writer was stopped in the middle of a line
        break;
      }
      throw new InputError({
        file,
        line,
        col: jsonErrorColumn(e, raw),
        expected: 'a JSON object',
        found: describeJsonError(e),
      });
    }
    if (!validate(value)) {
      const err = validate.errors?.[0];
      const field =
        (err?.instancePath ?? '')
          .replace(/^\//, '')
          .replace(/\/(\d+)/g, '[$1]')
          .replace(/\//g, '.') || 'record';
      throw new InputError({
        file,
        line,
        col: 1,
        expected: `field ${field} to be valid (${err?.message ?? 'schema'}${allowedValues(err?.params)})`,
        found: JSON.stringify(pick(value, err?.instancePath ?? '')) ?? 'nothing',
      });
    }
    const rec = value;
    if (header === null) {
      if (rec.type !== 'header')
        throw new InputError({ file, line, col: 1, expected: 'a header record first', found: quote(rec.type) });
      header = rec;
      for (const o of rec.initial) if (o.id !== null) seenIds.add(o.id);
      continue;
    }
    if (end !== null)
      throw new InputError({ file, line, col: 1, expected: 'nothing after the end record', found: quote(rec.type) });
    switch (rec.type) {
      case 'header':
        throw new InputError({ file, line, col: 1, expected: 'one header only', found: '"header"' });
      case 'step':
        checkStep(rec, steps[steps.length - 1], header.source, file, line);
        for (const o of rec.ns) if (o.id !== null) seenIds.add(o.id);
        for (const [i, r] of rec.refs.entries()) {
          if (!seenIds.has(r.id)) {
            throw new InputError({
              file,
              line,
              col: 1,
              expected: `field refs[${i}].id to name a namespace observed before`,
              found: String(r.id),
            });
          }
        }
        steps.push(rec);
        break;
      case 'event':
        events.push(rec);
        break;
      case 'end':
        end = rec;
        break;
    }
  }
  if (header === null)
    throw new InputError({ file, line: 1, col: 1, expected: 'a trace header', found: 'an empty file' });
  events.sort((a, b) => a.t - b.t);
  return { header, steps, events, end, complete: !truncated && end !== null && end.complete };
}

/**
 * What the schema cannot say: times run forward, steps come in order, runs are well formed, and
 * each operation shows only what it can (src/scenario/observed.ts: observedNs): a failed step
 * shows no namespace; `sleep` and `next-inode` have no task, and only a `next-inode` step has
 * `next` (a successful one from the kernel always has it); `unshare` and `fork` show namespaces
 * of the types they made, at most one each; `setns`, `open`, `ioctl`, `bind` and `read` at most
 * one (a `read` of the type of its file); the other operations none.
 */
function checkStep(
  rec: TraceStep,
  prev: TraceStep | undefined,
  source: TraceHeader['source'],
  file: string,
  line: number,
): void {
  const bad = (expected: string, found: string): never => {
    throw new InputError({ file, line, col: 1, expected, found });
  };
  if (rec.t1 < rec.t0) bad('field t1 >= t0', `t0 ${rec.t0}, t1 ${rec.t1}`);
  if (prev && rec.index <= prev.index) bad(`field index > ${prev.index} (steps in order)`, String(rec.index));
  if (prev && rec.t0 < prev.t0) bad(`field t0 >= ${prev.t0} (steps in time order)`, String(rec.t0));
  const taskless = rec.op === 'sleep' || rec.op === 'next-inode';
  if (taskless !== (rec.task === null))
    bad(`field task ${taskless ? 'null' : 'a task name'} for ${rec.op} steps`, JSON.stringify(rec.task));
  if (rec.next !== undefined && rec.op !== 'next-inode') bad(`no field next on ${rec.op} steps`, String(rec.next));
  if (rec.op === 'next-inode' && source === 'kernel' && rec.errno === null && rec.next === undefined)
    bad('field next on a successful next-inode step', 'none');
  if (rec.errno !== null && rec.ns.length > 0) bad('field ns empty on a failed step', `${rec.ns.length} namespaces`);
  const types = rec.ns.map((o) => o.type);
  const made = (rec.op === 'unshare' || rec.op === 'fork') && (rec.args['types'] as string[]);
  if (made) {
    for (const [i, t] of types.entries()) {
      if (!made.includes(t) || types.indexOf(t) !== i)
        bad(`field ns[${i}].type one of the step's types (${made.join(', ')}), each once`, JSON.stringify(t));
    }
  } else {
    const most = ['setns', 'open', 'ioctl', 'bind', 'read'].includes(rec.op) ? 1 : 0;
    if (rec.ns.length > most) bad(`field ns with at most ${most} namespaces on ${rec.op} steps`, String(rec.ns.length));
    if (rec.op === 'read' && rec.ns[0] !== undefined) {
      const want = String(rec.args['type']).replace(/_for_children$/, '');
      if (rec.ns[0].type !== want)
        bad(`field ns[0].type ${JSON.stringify(want)} (the file read)`, JSON.stringify(rec.ns[0].type));
    }
  }
  for (const [i, o] of rec.ns.entries()) {
    const runs = o.proc ?? [];
    if (runs.length % 2 !== 0) bad(`field ns[${i}].proc as [first, last] pairs`, `${runs.length} numbers`);
    for (let k = 0; k + 1 < runs.length; k += 2) {
      if ((runs[k] as number) > (runs[k + 1] as number) || (k > 0 && (runs[k] as number) <= (runs[k - 1] as number))) {
        bad(`field ns[${i}].proc as ascending, disjoint [first, last] runs`, JSON.stringify(runs.slice(k, k + 2)));
      }
    }
  }
}

function jsonErrorColumn(e: unknown, raw: string): number {
  const m = /position (\d+)/.exec(String((e as Error).message));
  return m ? Number(m[1]) + 1 : raw.length + 1;
}

function describeJsonError(e: unknown): string {
  return quote(String((e as Error).message).split('\n')[0] ?? 'invalid JSON');
}

function allowedValues(params: unknown): string {
  const p = params as { allowedValues?: unknown[] } | undefined;
  return p?.allowedValues ? ` (${p.allowedValues.map((v) => JSON.stringify(v)).join(', ')})` : '';
}

function pick(value: unknown, path: string): unknown {
  let cur = value;
  for (const part of path.split('/').filter(Boolean)) cur = (cur as Record<string, unknown> | undefined)?.[part];
  return cur;
}
