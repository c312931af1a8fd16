import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/cli/root.ts';
import { parseTrace } from '../../src/trace/read.ts';
import { expectBoundedRefs, expectWellFormedRuns, procSize } from './traceChecks.ts';

// The recorded kernel traces (npm run traces:record): what the checker and the demo read.
const dir = join(PACKAGE_ROOT, 'test/fixtures/traces');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.jsonl'))
  .sort();

describe('recorded kernel traces', () => {
  it('cover the seed at 500/10/0 ms (5 runs) and the delay sweep (2 runs)', () => {
    const want = [
      ...['500ms', '10ms', '0ms'].flatMap((d) => [1, 2, 3, 4, 5].map((k) => `seed-${d}-${k}.jsonl`)),
      ...['1ms', '2ms', '5ms', '20ms', '50ms', '100ms', '200ms'].flatMap((d) =>
        [1, 2].map((k) => `seed-${d}-${k}.jsonl`),
      ),
    ];
    expect(files).toEqual(expect.arrayContaining(want));
  });

  it.each(files)('%s: complete, /proc/net runs on every net observation, refs bounded', (file) => {
    const trace = parseTrace(readFileSync(join(dir, file), 'utf8'), file);
    expect(trace.complete).toBe(true);
    expect(trace.end?.notes).toBeUndefined();
    expect(trace.header.missing.some((m) => m.startsWith('procNet:'))).toBe(false);
    const nets = trace.steps.flatMap((s) => s.ns.filter((o) => o.type === 'net'));
    expect(nets.length).toBe(9); // read orig, then 4 x (unshare net, read net)
    for (const o of nets) expectWellFormedRuns(o.proc);
    // Every netns the run made has as many /proc/net entries as the first one.
    const made = trace.steps
      .filter((s) => s.op === 'unshare' && (s.args['types'] as string[]).includes('net'))
      .map((s) => s.ns.find((o) => o.type === 'net')!);
    expect(new Set(made.map((o) => procSize(o.proc))).size).toBe(1);
    expectBoundedRefs(trace);
  });
});
