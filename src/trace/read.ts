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
        expected: `field ${field} ${err?.message ?? 'to be valid'}${allowedValues(err?.params)}`,
        found: quote(JSON.stringify(pick(value, err?.instancePath ?? '')) ?? 'nothing'),
      });
    }
    const rec = value;
    if (header === null) {
      if (rec.type !== 'header')
        throw new InputError({ file, line, col: 1, expected: 'a header record first', found: quote(rec.type) });
      header = rec;
      continue;
    }
    if (end !== null)
      throw new InputError({ file, line, col: 1, expected: 'nothing after the end record', found: quote(rec.type) });
    switch (rec.type) {
      case 'header':
        throw new InputError({ file, line, col: 1, expected: 'one header only', found: '"header"' });
      case 'step':
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
