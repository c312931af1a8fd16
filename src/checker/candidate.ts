import type { Interval } from '../engine/interval.ts';
import type { World } from '../engine/world.ts';

/**
 * One model state consistent with the trace so far, with what the checker has learnt about how
 * the model's names map to the trace's.
 *
 * @internal
 */
export interface Candidate {
  readonly world: World;
  /** Kernel inode number minus model inode number; null until the first allocated number is seen. */
  readonly anchor: number | null;
  /** Model namespace index → observed NS_GET_ID id. */
  readonly ids: Readonly<Record<number, number>>;
  /** Earliest time the next transition can happen (the last point's window start). */
  readonly tMin: number;
}

/**
 * The discrete part of a candidate, as a string: two candidates with the same key differ only
 * in the time intervals of their pending kernel work, and are merged (interval hull).
 *
 * @internal
 */
export function candidateKey(c: Candidate): string {
  const w = c.world;
  const parts: (string | number)[] = [c.anchor ?? 'x', w.inodes.next, w.inodes.runs.join(',')];
  for (const t of w.tasks) parts.push(`${t.name}:${t.ns.user},${t.ns.net}`);
  for (const n of w.ns) {
    const id = c.ids[n.id];
    if (n.state === 'freed') parts.push(`${n.id}F${id ?? ''}`);
    else
      parts.push(
        `${n.id}:${n.refs}${n.state[0]}${n.reaperStep}n${n.inode}p${n.procRuns.join(',')}d${n.devInodes.join(',')}c${n.chargedTo}i${id ?? ''}`,
      );
  }
  const q = w.netns;
  parts.push(`N${q.state}${q.step}${q.requeued ? 'r' : ''}[${q.cleanupList.join(',')}][${q.batch.join(',')}]`);
  parts.push(`U[${w.userWork.map((x) => x.ns).join(',')}]`);
  return parts.join('|');
}

/** Smallest interval holding both. @internal */
export function hull(a: Interval, b: Interval): Interval {
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
}
