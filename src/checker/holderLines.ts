import { holdersOf, type Holder } from '../engine/holders.ts';
import type { World } from '../engine/world.ts';
import type { Candidate } from './candidate.ts';

/**
 * The holders of the namespaces a rejected step concerns, in one candidate state from just
 * before the step: one line per namespace, by the id the trace showed for it.
 *
 * @internal
 */
export function holderLines(c: Candidate, ids: readonly number[]): string[] {
  const w = c.world;
  const all = holdersOf(w);
  const out: string[] = [];
  for (const [idx, id] of Object.entries(c.ids)) {
    if (!ids.includes(id)) continue;
    const n = w.ns[Number(idx)];
    if (!n) continue;
    const hs = all[n.id] ?? [];
    const what = hs.length > 0 ? hs.map((h) => holderText(w, h)).join('; ') : `none (${n.state})`;
    out.push(`${n.type} ns id ${id}: ${what}`);
  }
  return out;
}

/** One holder in words. */
function holderText(w: World, h: Holder): string {
  const task = (i: number): string => w.tasks[i]?.name ?? `#${i}`;
  const fileOwner = (f: number): string => {
    for (const [ti, t] of w.tasks.entries()) {
      if (t.state === 'reaped') continue;
      const table = w.fdTables[t.files];
      for (const [name, e] of Object.entries(table?.fds ?? {})) if (e.file === f) return `fd ${name} of ${task(ti)}`;
    }
    return `file #${f}`;
  };
  switch (h.kind) {
    case 'initial':
      return 'initial namespace';
    case 'cred':
      return `credentials of ${task(h.task)}${w.tasks[h.task]?.state === 'zombie' ? ' (zombie, not reaped)' : ''}`;
    case 'nsproxy':
      return `nsproxy ${h.slot} of ${task(h.task)}`;
    case 'struct-pid':
      return `struct pid of ${task(h.task)}${w.tasks[h.task]?.state === 'reaped' ? ' (reaped; held by a pidfd or its RCU-delayed put)' : ''}`;
    case 'nsfs':
      return `nsfs inode (${[...h.files.map(fileOwner), ...h.mounts.map((m) => `bind mount ${m.path} in mnt ns #${m.mntNs}`)].join(', ')})`;
    case 'f_cred':
      return `f_cred of ${fileOwner(h.file)}`;
    case 'socket':
      return `socket ${fileOwner(h.file)}`;
    case 'procfs':
      return `procfs at ${h.path} in mnt ns #${h.mntNs}`;
    case 'shm':
      return `shm segment #${h.segment}`;
    case 'owned':
      return `owned ${w.ns[h.ns]?.type} ns #${h.ns}`;
    case 'child':
      return `child ${w.ns[h.ns]?.type} ns #${h.ns}`;
    case 'ucounts':
      return 'ucounts charges';
    case 'deferred-put':
      return 'an RCU-delayed put (cred or struct pid)';
  }
}
