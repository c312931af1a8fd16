import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
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

// fs/proc/generic.c: proc_alloc_inum → ida_alloc_max(&proc_inum_ida, ...): an IDA always hands
// out the lowest free id, so a number given back (proc_free_inum → ida_free) is the very next
// one handed out again (KERNEL-RULES 4).
describe('inode allocator (proc_alloc_inum: lowest free, kept as runs)', () => {
  const start = 4026532175;

  it('hands out consecutive numbers from the start', () => {
    const a = createAllocator(start);
    expect([allocInode(a), allocInode(a), allocInode(a)]).toEqual([start, start + 1, start + 2]);
  });

  it('hands out the lowest free number first, whatever order numbers came back in', () => {
    const a = createAllocator(start);
    for (let i = 0; i < 10; i++) allocInode(a);
    freeInode(a, start + 7);
    freeInode(a, start + 2);
    freeInode(a, start + 5);
    expect(peekInode(a)).toBe(start + 2);
    expect([allocInode(a), allocInode(a), allocInode(a), allocInode(a)]).toEqual([
      start + 2,
      start + 5,
      start + 7,
      start + 10,
    ]);
  });

  test.prop([fc.integer({ min: 0, max: 5 })])('a freed number is the next one handed out', (k) => {
    const a = createAllocator(start);
    const got = Array.from({ length: 6 }, () => allocInode(a));
    freeInode(a, got[k]!);
    expect(allocInode(a)).toBe(got[k]);
    expect(allocInode(a)).toBe(start + 6);
  });

  it('peek does not take the number', () => {
    const a = createAllocator(start);
    expect(peekInode(a)).toBe(start);
    expect(peekInode(a)).toBe(start);
    expect(allocInode(a)).toBe(start);
  });

  it('gives ranges back and takes ranges out lowest first (the /proc/net entries of a netns)', () => {
    const a = createAllocator(start);
    const taken: number[] = [];
    allocInodes(a, 10, taken);
    expect(taken).toEqual([start, start + 9]);
    freeInodes(a, start + 2, start + 4);
    freeInode(a, start + 7);
    const again: number[] = [];
    allocInodes(a, 5, again); // 2, 3, 4, 7, then the first never used
    expect(expandRuns(again)).toEqual([start + 2, start + 3, start + 4, start + 7, start + 10]);
  });

  // Reference: the set of numbers in use; the lowest number not in it (from `start`) is next.
  const opArb = fc.oneof(
    fc.record({ op: fc.constant('alloc' as const), k: fc.integer({ min: 1, max: 70 }) }),
    fc.record({ op: fc.constant('free' as const), pick: fc.nat(), len: fc.integer({ min: 1, max: 70 }) }),
  );
  test.prop([fc.array(opArb, { maxLength: 200 })], { numRuns: 200 })(
    'matches a naive lowest-free set, one number or a range at a time',
    (ops) => {
      const a = createAllocator(start);
      const used = new Set<number>();
      const lowestFree = (): number => {
        let n = start;
        while (used.has(n)) n++;
        return n;
      };
      for (const o of ops) {
        if (o.op === 'alloc') {
          // One by one, or all at once: the same numbers.
          const want = Array.from({ length: o.k }, () => {
            const n = lowestFree();
            used.add(n);
            return n;
          });
          if (o.k === 1) expect(allocInode(a)).toBe(want[0]);
          else {
            const out: number[] = [];
            allocInodes(a, o.k, out);
            expect(expandRuns(out)).toEqual(want);
          }
        } else {
          // Give back a stretch of numbers in use (only numbers in use are ever given back).
          const inUse = [...used].sort((x, y) => x - y);
          const lo = inUse[o.pick % Math.max(1, inUse.length)];
          if (lo === undefined) continue;
          let hi = lo;
          while (hi - lo + 1 < o.len && used.has(hi + 1)) hi++;
          for (let n = lo; n <= hi; n++) used.delete(n);
          if (lo === hi) freeInode(a, lo);
          else freeInodes(a, lo, hi);
        }
        expect(peekInode(a)).toBe(lowestFree());
      }
      // The free runs hold exactly the gaps below `next`: disjoint, non-adjacent, highest first.
      const gaps: number[] = [];
      for (let n = start; n < a.next; n++) if (!used.has(n)) gaps.push(n);
      expect(expandRuns(a.runs).sort((x, y) => x - y)).toEqual(gaps);
      for (let i = 2; i < a.runs.length; i += 2) expect(a.runs[i + 1]! + 1).toBeLessThan(a.runs[i - 2]!);
      for (let n = start; n < a.next + 2; n++) expect(isFreeInode(a, n)).toBe(!used.has(n));
    },
  );
});
