import type { FileNode, MountNode, NsState, TaskNode, World } from '../engine/world.ts';
import { nsLabel, nsRef, type NsRef } from '../query/format.ts';
import { tableOwner } from '../query/why.ts';

/** What an fd points at: a namespace (nsfs file, socket) or a task's struct pid (pidfd). @public */
export type FdTarget = { readonly ns: NsRef } | { readonly pidOf: string };

/**
 * One difference between two worlds of the same run.
 *
 * @public
 */
export type Change =
  | { readonly kind: 'ns.created'; readonly ns: NsRef; readonly state: NsState; readonly refs: number }
  | { readonly kind: 'ns.state'; readonly ns: NsRef; readonly from: NsState; readonly to: NsState }
  | { readonly kind: 'ns.refs'; readonly ns: NsRef; readonly from: number; readonly to: number }
  | { readonly kind: 'task.added'; readonly task: string; readonly state: TaskNode['state'] }
  | {
      readonly kind: 'task.state';
      readonly task: string;
      readonly from: TaskNode['state'];
      readonly to: TaskNode['state'];
    }
  | {
      readonly kind: 'fd.opened' | 'fd.closed';
      readonly task: string;
      readonly fd: string;
      readonly fileKind: FileNode['kind'];
      readonly target: FdTarget;
    }
  | {
      readonly kind: 'mount.added' | 'mount.removed';
      readonly mntNs: NsRef;
      readonly path: string;
      readonly mountKind: MountNode['kind'];
      readonly target: NsRef;
    };

/**
 * The differences from world `a` to world `b` (`b` later in the same run, or a `whatif` outcome):
 * namespaces created, changing state (`freed` is a state) or references; tasks added or changing
 * state; fds opened or closed (an fd rebound to another file is both); mounts added or removed.
 *
 * A structural diff rather than immer patches: the engine's snapshots are made with `produce`,
 * not `produceWithPatches`, so there are no patches to read; but they share structure, so
 * unchanged namespaces, tasks and fd tables are skipped by identity. Worlds only grow (nothing is
 * ever removed from `ns`, `tasks`, `files`, `fdTables`), so index `i` is the same thing in both.
 *
 * @public
 */
export function diff(a: World, b: World): Change[] {
  const out: Change[] = [];
  b.ns.forEach((n, i) => {
    const m = a.ns[i];
    if (m === n) return;
    const ref = nsRef(b, i);
    if (!m) return void out.push({ kind: 'ns.created', ns: ref, state: n.state, refs: n.refs });
    if (m.state !== n.state) out.push({ kind: 'ns.state', ns: ref, from: m.state, to: n.state });
    if (m.refs !== n.refs) out.push({ kind: 'ns.refs', ns: ref, from: m.refs, to: n.refs });
  });
  b.tasks.forEach((t, i) => {
    const s = a.tasks[i];
    if (s === t) return;
    if (!s) out.push({ kind: 'task.added', task: t.name, state: t.state });
    else if (s.state !== t.state) out.push({ kind: 'task.state', task: t.name, from: s.state, to: t.state });
  });
  b.fdTables.forEach((tb, ti) => {
    const ta = a.fdTables[ti];
    if (ta === tb) return;
    const before = ta?.fds ?? {};
    const after = tb.fds;
    if (before === after) return;
    for (const [fd, e] of Object.entries(before))
      if (after[fd]?.file !== e.file) out.push(fdChange('fd.closed', a, ti, fd, e.file));
    for (const [fd, e] of Object.entries(after))
      if (before[fd]?.file !== e.file) out.push(fdChange('fd.opened', b, ti, fd, e.file));
  });
  b.ns.forEach((n, i) => {
    const before = a.ns[i]?.mounts ?? [];
    const after = n.mounts ?? [];
    if (before === after) return;
    const key = (m: MountNode): string => `${m.kind}\0${m.path}\0${m.ns}`;
    const left = new Map<string, number>();
    for (const m of before) left.set(key(m), (left.get(key(m)) ?? 0) + 1);
    const added: MountNode[] = [];
    for (const m of after) {
      const k = left.get(key(m)) ?? 0;
      if (k > 0) left.set(key(m), k - 1);
      else added.push(m);
    }
    const removed = before.filter((m) => {
      const k = left.get(key(m)) ?? 0;
      if (k === 0) return false;
      left.set(key(m), k - 1);
      return true;
    });
    const mount = (kind: 'mount.added' | 'mount.removed', m: MountNode): Change => ({
      kind,
      mntNs: nsRef(b, i),
      path: m.path,
      mountKind: m.kind,
      target: nsRef(b, m.ns),
    });
    for (const m of removed) out.push(mount('mount.removed', m));
    for (const m of added) out.push(mount('mount.added', m));
  });
  return out;
}

function fdChange(kind: 'fd.opened' | 'fd.closed', w: World, table: number, fd: string, file: number): Change {
  const f = w.files[file] as FileNode;
  const target: FdTarget =
    f.kind === 'pidfd'
      ? { pidOf: (w.tasks[(w.pids[f.target] as { task: number }).task] as TaskNode).name }
      : { ns: nsRef(w, f.target) };
  return { kind, task: tableOwner(w, table), fd, fileKind: f.kind, target };
}

const targetText = (t: FdTarget): string => ('ns' in t ? nsLabel(t.ns) : `task ${t.pidOf}`);

/** One line per change: `+` added, `-` removed, `~` changed. @public */
export function renderDiff(changes: readonly Change[]): string {
  if (changes.length === 0) return '  (no change)';
  return changes
    .map((c) => {
      switch (c.kind) {
        case 'ns.created':
          return `+ ${nsLabel(c.ns)} (${c.ns.type}:[${c.ns.inode}]) created, ${c.state}, ${c.refs} reference${c.refs === 1 ? '' : 's'}`;
        case 'ns.state':
          return `~ ${nsLabel(c.ns)}: ${c.from} → ${c.to}`;
        case 'ns.refs':
          return `~ ${nsLabel(c.ns)}: references ${c.from} → ${c.to}`;
        case 'task.added':
          return `+ task ${c.task} (${c.state})`;
        case 'task.state':
          return `~ task ${c.task}: ${c.from} → ${c.to}`;
        case 'fd.opened':
        case 'fd.closed':
          return `${c.kind === 'fd.opened' ? '+' : '-'} fd ${c.fd} of task ${c.task}: ${c.fileKind} → ${targetText(c.target)}`;
        case 'mount.added':
        case 'mount.removed':
          return `${c.kind === 'mount.added' ? '+' : '-'} ${c.mountKind === 'proc' ? 'procfs' : 'bind'} mount ${c.path} in ${nsLabel(c.mntNs)} → ${nsLabel(c.target)}`;
      }
    })
    .map((l) => `  ${l}`)
    .join('\n');
}
