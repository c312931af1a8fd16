import { expect } from 'vitest';
import type { Trace } from '../../src/trace/format.ts';

/** How many inode numbers a `proc` field's `[first, last, ...]` runs cover. */
export function procSize(proc: readonly number[] | undefined): number {
  let n = 0;
  for (let i = 0; i + 1 < (proc ?? []).length; i += 2) n += proc![i + 1]! - proc![i]! + 1;
  return n;
}

/** `proc` is there, and is ascending, maximal `[first, last]` runs (no two runs touch). */
export function expectWellFormedRuns(proc: readonly number[] | undefined): void {
  expect(proc, 'proc runs').toBeDefined();
  const p = proc!;
  expect(p.length % 2, `proc ${JSON.stringify(p)}: pairs`).toBe(0);
  expect(p.length).toBeGreaterThan(0);
  for (let i = 0; i < p.length; i += 2) {
    expect(p[i]! <= p[i + 1]!, `proc ${JSON.stringify(p)}: run ${i / 2} ascending`).toBe(true);
    if (i > 0) expect(p[i]! > p[i - 1]! + 1, `proc ${JSON.stringify(p)}: runs ${i / 2 - 1}, ${i / 2} apart`).toBe(true);
  }
}

/**
 * refs are bounded: a namespace is listed from the step that first observed it up to and
 * including the first step that sees it released (`held: false`), in every step in between,
 * and never after.
 */
export function expectBoundedRefs(trace: Trace): void {
  const firstSeen = new Map<number, number>();
  const released = new Map<number, number>();
  trace.steps.forEach((s, i) => {
    for (const o of s.ns) if (o.id !== null && !firstSeen.has(o.id)) firstSeen.set(o.id, i);
    const listed = new Set(s.refs.map((r) => r.id));
    for (const r of s.refs) {
      expect(released.has(r.id), `step ${s.index}: id ${r.id} listed after it was seen released`).toBe(false);
      if (!r.held) released.set(r.id, i);
    }
    for (const [id, first] of firstSeen) {
      const initial = trace.header.initial.some((o) => o.id === id);
      const gone = released.has(id) && released.get(id)! < i;
      if (first <= i && !initial && !gone)
        expect(listed.has(id), `step ${s.index}: id ${id} (not yet released) is listed`).toBe(true);
    }
  });
}
