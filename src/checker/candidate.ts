import type { Interval } from '../engine/interval.ts';
import type { World } from '../engine/world.ts';

/**
 * One model state consistent with the trace so far.
 *
 * @internal
 */
export interface Candidate {
  readonly world: World;
  /** Kernel inode number minus model inode number; null until the first allocated number is seen. */
  readonly anchor: number | null;
  /** Model namespace index → observed NS_GET_ID id. */
  readonly ids: Readonly<Record<number, number>>;
  /** Earliest time the next transition can happen. */
  readonly tMin: number;
  /** Index of the next kernel reaper event of the trace not yet explained. */
  readonly ev: number;
}

/**
 * The discrete part of a candidate, as a string: two candidates with the same key differ only
 * in the time intervals of their pending kernel work, and are merged (interval hull). Freed
 * namespaces never change again and are left out.
 *
 * @internal
 */
export function candidateKey(c: Candidate): string {
  const w = c.world;
  const parts: (string | number)[] = [c.ev, c.anchor ?? 'x', w.inodes.next, w.inodes.runs.join(',')];
  for (const t of w.tasks) parts.push(`${t.ns.user},${t.ns.net}`);
  for (const n of w.ns) {
    if (n.state === 'freed' || n.initial) continue;
    parts.push(
      `${n.id}:${n.refs}${n.state[0]}${n.reaperStep}n${n.inode}p${n.procRuns.join(',')}d${n.devInodes.join(',')}c${n.chargedTo}i${c.ids[n.id] ?? ''}`,
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
