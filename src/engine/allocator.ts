/**
 * The proc inode number allocator: an IDA that always hands out the lowest free number
 * (fs/proc/generic.c: proc_alloc_inum → ida_alloc_max; proc_free_inum → ida_free).
 *
 * Free numbers below the high-water mark are kept as runs, so that the 64 /proc/net entries a
 * netns takes and gives back cost a couple of run operations, not 64 heap operations.
 * `runs` is flat, `[lo, hi, lo, hi, ...]` (inclusive), disjoint and non-adjacent, in
 * *descending* order so that the lowest run is at the end (taken with a pop).
 *
 * Plain data so that immer can snapshot it; mutated in place by the functions below.
 *
 * @internal
 */
export interface InodeAllocator {
  /** Lowest number never handed out. */
  next: number;
  /** Free runs below `next`, highest first. */
  runs: number[];
}

/** @internal */
export function createAllocator(start: number): InodeAllocator {
  return { next: start, runs: [] };
}

/** Takes the lowest free number. @internal */
export function allocInode(a: InodeAllocator): number {
  const runs = a.runs;
  const n = runs.length;
  if (n === 0) return a.next++;
  const lo = runs[n - 2] as number;
  if (lo === runs[n - 1]) runs.length = n - 2;
  else runs[n - 2] = lo + 1;
  return lo;
}

/**
 * Takes the `k` lowest free numbers, as one allocation after another would, and appends them to
 * `out` as ascending `[first, last]` runs.
 *
 * @internal
 */
export function allocInodes(a: InodeAllocator, k: number, out: number[]): void {
  const runs = a.runs;
  while (k > 0) {
    const n = runs.length;
    if (n === 0) {
      pushRun(out, a.next, a.next + k - 1);
      a.next += k;
      return;
    }
    const lo = runs[n - 2] as number;
    const hi = runs[n - 1] as number;
    const take = Math.min(k, hi - lo + 1);
    pushRun(out, lo, lo + take - 1);
    if (take === hi - lo + 1) runs.length = n - 2;
    else runs[n - 2] = lo + take;
    k -= take;
  }
}

function pushRun(out: number[], lo: number, hi: number): void {
  const n = out.length;
  if (n > 0 && out[n - 1] === lo - 1) out[n - 1] = hi;
  else out.push(lo, hi);
}

/**
 * Adds the run `lo..hi` to a set kept as ascending, merged `[first, last]` runs (a namespace's
 * /proc/net entries: which numbers it holds matters, not the order it took them in).
 *
 * @internal
 */
export function addRun(runs: number[], lo: number, hi: number): void {
  let i = runs.length;
  // Usually appended at the end: find the first run that does not lie wholly below lo - 1.
  while (i > 0 && (runs[i - 1] as number) >= lo - 1) i -= 2;
  if (i < runs.length && (runs[i] as number) <= hi + 1) {
    runs[i] = Math.min(runs[i] as number, lo);
    runs[i + 1] = Math.max(runs[i + 1] as number, hi);
    while (i + 2 < runs.length && (runs[i + 2] as number) <= (runs[i + 1] as number) + 1) {
      runs[i + 1] = Math.max(runs[i + 1] as number, runs[i + 3] as number);
      runs.splice(i + 2, 2);
    }
  } else runs.splice(i, 0, lo, hi);
}

/** Gives one number back. @internal */
export function freeInode(a: InodeAllocator, inode: number): void {
  freeInodes(a, inode, inode);
}

/** Gives the numbers `lo..hi` back (all must be allocated). @internal */
export function freeInodes(a: InodeAllocator, lo: number, hi: number): void {
  const runs = a.runs;
  // Binary search over pairs (descending): first pair index i whose run lies below `lo`.
  let l = 0;
  let r = runs.length >> 1;
  while (l < r) {
    const m = (l + r) >> 1;
    if ((runs[2 * m] as number) > hi) l = m + 1;
    else r = m;
  }
  const i = 2 * l; // runs[i..] are below; runs[..i-1] above
  const above = i > 0 && runs[i - 2] === hi + 1;
  const below = i < runs.length && runs[i + 1] === lo - 1;
  if (above && below) {
    runs[i - 2] = runs[i] as number;
    runs.splice(i, 2);
  } else if (above) runs[i - 2] = lo;
  else if (below) runs[i + 1] = hi;
  else runs.splice(i, 0, lo, hi);
}

/** The number the next allocation would return, without taking it. @internal */
export function peekInode(a: InodeAllocator): number {
  const n = a.runs.length;
  return n > 0 ? (a.runs[n - 2] as number) : a.next;
}

/** Whether `inode` is free (never handed out, or given back). @internal */
export function isFreeInode(a: InodeAllocator, inode: number): boolean {
  if (inode >= a.next) return true;
  for (let i = 0; i < a.runs.length; i += 2)
    if ((a.runs[i] as number) <= inode && inode <= (a.runs[i + 1] as number)) return true;
  return false;
}

/** Every number in `[first, last]` runs, ascending. @internal */
export function expandRuns(runs: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs.length; i += 2)
    for (let x = runs[i] as number; x <= (runs[i + 1] as number); x++) out.push(x);
  return out;
}
