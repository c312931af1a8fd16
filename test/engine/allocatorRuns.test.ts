import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  allocInode,
  allocInodes,
  createAllocator,
  expandRuns,
  freeInode,
  freeInodes,
  isFreeInode,
  peekInode,
} from '../../src/engine/allocator.ts';

// fs/proc/generic.c: proc_alloc_inum → ida_alloc_max: always the lowest free id. The run-based
// allocator must hand out exactly what a naive lowest-free set would.
const op = fc.oneof(
  fc.record({ kind: fc.constant('alloc' as const), k: fc.integer({ min: 1, max: 70 }) }),
  fc.record({ kind: fc.constant('free' as const), pick: fc.nat(), len: fc.integer({ min: 1, max: 70 }) }),
);

describe('inode allocator (lowest free, kept as runs)', () => {
  test.prop([fc.array(op, { maxLength: 200 })])('matches a naive lowest-free set', (ops) => {
    const a = createAllocator(1000);
    const used = new Set<number>();
    const naiveAlloc = (): number => {
      let x = 1000;
      while (used.has(x)) x++;
      used.add(x);
      return x;
    };
    for (const o of ops) {
      if (o.kind === 'alloc') {
        const want = Array.from({ length: o.k }, naiveAlloc);
        if (o.k === 1) expect(allocInode(a)).toBe(want[0]);
        else {
          const runs: number[] = [];
          allocInodes(a, o.k, runs);
          expect(expandRuns(runs)).toEqual(want);
        }
      } else {
        // free a contiguous stretch of used numbers starting at a random used one
        const sorted = [...used].sort((x, y) => x - y);
        if (sorted.length === 0) continue;
        const start = sorted[o.pick % sorted.length]!;
        let end = start;
        while (end - start + 1 < o.len && used.has(end + 1)) end++;
        for (let x = start; x <= end; x++) used.delete(x);
        if (start === end) freeInode(a, start);
        else freeInodes(a, start, end);
      }
      let lowest = 1000;
      while (used.has(lowest)) lowest++;
      expect(peekInode(a)).toBe(lowest);
      for (const x of used) expect(isFreeInode(a, x)).toBe(false);
    }
  });

  test.prop([fc.integer({ min: 0, max: 5 })])('a freed number is the next one handed out', (k) => {
    const a = createAllocator(4026532175);
    const got = Array.from({ length: 6 }, () => allocInode(a));
    freeInode(a, got[k]!);
    expect(allocInode(a)).toBe(got[k]);
    expect(allocInode(a)).toBe(4026532181);
  });
});
