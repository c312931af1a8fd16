import { NSPROXY_SLOTS, type NsNode, type World } from './world.ts';
import { slotNs } from './tasks.ts';

/**
 * One holder of a namespace reference, as data a person can act on. `active` says whether it
 * also holds an active reference on kernels that have them (6.19+, kernel/nscommon.c).
 *
 * @public
 */
export type Holder = { readonly active: boolean } & (
  | { readonly kind: 'initial' }
  | { readonly kind: 'cred'; readonly task: number }
  | { readonly kind: 'nsproxy'; readonly task: number; readonly slot: string }
  | { readonly kind: 'struct-pid'; readonly pid: number; readonly task: number }
  | {
      readonly kind: 'nsfs';
      readonly files: readonly number[];
      readonly mounts: readonly { mntNs: number; path: string }[];
    }
  | { readonly kind: 'f_cred'; readonly file: number }
  | { readonly kind: 'socket'; readonly file: number }
  | { readonly kind: 'procfs'; readonly mntNs: number; readonly path: string }
  | { readonly kind: 'shm'; readonly segment: number }
  | { readonly kind: 'owned'; readonly ns: number }
  | { readonly kind: 'child'; readonly ns: number }
  | { readonly kind: 'ucounts' }
  | { readonly kind: 'deferred-put'; readonly due: { lo: number; hi: number } }
);

/**
 * Every holder of every namespace, by namespace index, found by walking the world (tasks, files,
 * mounts, segments, namespaces, pending work). The engine keeps only counts; this is the
 * reference the counts are checked against, and what `why` explains.
 *
 * @public
 */
export function holdersOf(w: World): Holder[][] {
  const out: Holder[][] = w.ns.map((n) => (n.initial ? [{ kind: 'initial', active: true }] : []));
  const add = (ns: number, h: Holder): void => void (out[ns] as Holder[]).push(h);
  w.tasks.forEach((t, i) => {
    if (t.state === 'reaped') return;
    add(t.ns.user, { kind: 'cred', task: i, active: true });
    if (t.state !== 'running') return;
    for (const s of NSPROXY_SLOTS) add(slotNs(t, s), { kind: 'nsproxy', task: i, slot: s, active: true });
  });
  w.pids.forEach((p, i) => {
    if (p.refs > 0)
      add(p.ns, { kind: 'struct-pid', pid: i, task: p.task, active: w.tasks[p.task]?.state !== 'reaped' });
  });
  const nsfsFiles = new Map<number, number[]>();
  const nsfsMounts = new Map<number, { mntNs: number; path: string }[]>();
  w.files.forEach((f, i) => {
    if (f.refs <= 0) return;
    add(f.cred, { kind: 'f_cred', file: i, active: false });
    if (f.kind === 'socket') add(f.target, { kind: 'socket', file: i, active: false });
    else if (f.kind === 'nsfs') nsfsFiles.set(f.target, [...(nsfsFiles.get(f.target) ?? []), i]);
  });
  for (const n of w.ns) {
    for (const m of n.mounts ?? []) {
      if (m.kind === 'proc') add(m.ns, { kind: 'procfs', mntNs: n.id, path: m.path, active: false });
      else if (m.kind === 'nsfs')
        nsfsMounts.set(m.ns, [...(nsfsMounts.get(m.ns) ?? []), { mntNs: n.id, path: m.path }]);
    }
  }
  for (const n of w.ns) {
    if (n.nsfs > 0)
      add(n.id, { kind: 'nsfs', files: nsfsFiles.get(n.id) ?? [], mounts: nsfsMounts.get(n.id) ?? [], active: true });
    if (n.state === 'freed' || n.initial) continue;
    // The owner reference goes at the reaper's last step for every type (user: its parent).
    if (n.type !== 'user' && n.owner >= 0) add(n.owner, { kind: 'owned', ns: n.id, active: false });
    // Parents: free_user_ns puts it at its only step; destroy_pid_namespace at its first.
    if (n.parent >= 0 && (n.type === 'user' || n.reaperStep < 0))
      add(n.parent, { kind: 'child', ns: n.id, active: false });
  }
  for (const n of w.ns) if (n.ucounts && n.ucounts.total > 0) add(n.id, { kind: 'ucounts', active: false });
  w.shm.forEach((s, i) => {
    if (s.maps > 0) add(s.ns, { kind: 'shm', segment: i, active: false });
  });
  // (a delayed struct pid put, step -2, is part of the struct pid's count: its holder above)
  for (const it of w.work) if (it.step === -1) add(it.ns, { kind: 'deferred-put', due: it.due, active: false });
  return out;
}

/**
 * Which namespaces are active (6.19+ semantics: a direct active holder, or an active namespace it
 * owns — owner propagation, kernel/nscommon.c: __ns_ref_active_get/put, ns_owner).
 *
 * @public
 */
export function activeSet(w: World, holders: Holder[][] = holdersOf(w)): boolean[] {
  const active = w.ns.map((n, i) => n.state !== 'freed' && (holders[i] ?? []).some((h) => h.active));
  // Propagate up the owner chain (a user namespace's owner is its parent).
  for (let changed = true; changed;) {
    changed = false;
    for (const n of w.ns) {
      if (!active[n.id]) continue;
      const owner = n.type === 'user' ? n.parent : n.owner;
      if (owner >= 0 && !active[owner]) {
        active[owner] = true;
        changed = true;
      }
    }
  }
  return active;
}

/**
 * Whether a file handle on `ns` still opens: while it has references (6.18: nsfs_fh_to_dentry →
 * refcount_inc_not_zero), or while it is active (6.19+: ns_get_unless_inactive).
 *
 * @public
 */
export function handleOpens(w: World, ns: number, activeRefs: boolean, active?: boolean[]): boolean {
  const n = w.ns[ns] as NsNode;
  if (!activeRefs) return n.refs > 0;
  return (active ?? activeSet(w))[ns] === true;
}
