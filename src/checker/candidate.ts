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
  /** cleanup_net runs seen by tracefs that held none of the trace's namespaces. */
  readonly foreign: number;
}

/**
 * The discrete part of a candidate, as a string: two candidates with the same key differ only
 * in the time intervals of their pending kernel work, and are merged (interval hull). Freed
 * namespaces never change again and are left out. Worlds and id maps are immutable, so their
 * parts of the key are computed once per object.
 *
 * @internal
 */
export function candidateKey(c: Candidate): string {
  return `${c.ev}|${c.anchor ?? 'x'}|${idsKey(c.ids)}|${worldKey(c.world)}`;
}

const worldKeys = new WeakMap<World, string>();
const idsKeys = new WeakMap<object, string>();

function idsKey(ids: Readonly<Record<number, number>>): string {
  let k = idsKeys.get(ids);
  if (k === undefined) idsKeys.set(ids, (k = Object.entries(ids).join(';')));
  return k;
}

/** The key of a world without time intervals. Kept per world object. */
function worldKey(w: World): string {
  let k = worldKeys.get(w);
  if (k !== undefined) return k;
  const parts: (string | number)[] = [w.inodes.next, w.inodes.runs.join(','), w.paths.join(',')];
  for (const t of w.tasks)
    parts.push(
      `${t.state[0]}${t.parent}:${t.ns.user},${t.ns.pid},${t.ns.net},${t.ns.mnt},${t.ns.uts},${t.ns.ipc},${t.ns.cgroup},${t.ns.time},${t.pidForChildren},${t.timeForChildren}f${t.files}s${Object.entries(t.shm).join(';')}`,
    );
  for (const p of w.pids) parts.push(p.refs);
  for (const ft of w.fdTables)
    parts.push(
      `T${ft.users}${Object.entries(ft.fds)
        .map(([n, e]) => `${n}=${e.file}${e.cloexec ? 'c' : ''}`)
        .join(';')}`,
    );
  for (const f of w.files) parts.push(`F${f.refs}`);
  for (const s of w.shm) parts.push(`S${s.maps}`);
  for (const n of w.ns) {
    if (n.state === 'freed') continue;
    let part = `${n.id}:${n.refs}/${n.nsfs}${n.state[0]}${n.reaperStep}c${n.chargedTo}`;
    if (!n.initial) part += `n${n.inode}p${n.procRuns.join(',')}d${n.devInodes.join(',')}`;
    if (n.ucounts) part += `u${Object.values(n.ucounts.charged).join(',')}m${Object.values(n.ucounts.max).join(',')}`;
    if (n.pidns) part += `r${n.pidns.reaper}${n.pidns.adding ? 'a' : ''}`;
    if (n.mounts) part += `M${n.mounts.map((m) => `${m.path}>${m.kind}${m.ns}${m.locked ? 'L' : ''}`).join(';')}`;
    parts.push(part);
  }
  for (const q of [w.netns, w.ipc])
    parts.push(`Q${q.state}${q.step}${q.requeued ? 'r' : ''}[${q.cleanupList.join(',')}][${q.batch.join(',')}]`);
  parts.push(`W[${w.work.map((x) => `${x.ns}.${x.step}${x.pid === undefined ? '' : `p${x.pid}`}`).join(',')}]`);
  k = parts.join('|');
  worldKeys.set(w, k);
  return k;
}

/** Smallest interval holding both. @internal */
export function hull(a: Interval, b: Interval): Interval {
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
}
