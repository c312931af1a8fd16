/**
 * The proc inode number allocator: an IDA that always hands out the lowest free number
 * (fs/proc/generic.c: proc_alloc_inum → ida_alloc_max; proc_free_inum → ida_free).
 * Free numbers below the high-water mark live in a binary min-heap.
 *
 * Plain data so that immer can snapshot it; mutated in place by the functions below.
 *
 * @internal
 */
export interface InodeAllocator {
  /** Lowest number never handed out. */
  next: number;
  /** Freed numbers below `next`, as a binary min-heap. */
  free: number[];
}

/** @internal */
export function createAllocator(start: number): InodeAllocator {
  return { next: start, free: [] };
}

/** Takes the lowest free number. @internal */
export function allocInode(a: InodeAllocator): number {
  const heap = a.free;
  const n = heap.length;
  if (n === 0) return a.next++;
  const top = heap[0] as number;
  const last = heap.pop() as number;
  if (n > 1) {
    // sift down
    let i = 0;
    const len = n - 1;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= len) break;
      const r = l + 1;
      const c = r < len && (heap[r] as number) < (heap[l] as number) ? r : l;
      if ((heap[c] as number) >= last) break;
      heap[i] = heap[c] as number;
      i = c;
    }
    heap[i] = last;
  }
  return top;
}

/** Gives a number back. @internal */
export function freeInode(a: InodeAllocator, inode: number): void {
  const heap = a.free;
  let i = heap.length;
  heap.push(inode);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if ((heap[p] as number) <= inode) break;
    heap[i] = heap[p] as number;
    i = p;
  }
  heap[i] = inode;
}

/** The number the next allocation would return, without taking it. @internal */
export function peekInode(a: InodeAllocator): number {
  return a.free.length > 0 ? (a.free[0] as number) : a.next;
}
