import type { EngineCtx } from './ctx.ts';
import { getNs, getNsfs, putNs, putNsfs } from './refs.ts';
import type { MountNode, NsNode, World } from './world.ts';

/**
 * Mounts that pin namespaces, per mount namespace: nsfs bind mounts (the mount's dentry holds the
 * namespace's nsfs inode) and procfs instances (the superblock holds a pid namespace).
 * Other mounts exist but pin nothing the model follows.
 */

/** Adds a mount at `path` (stacked over any mount already there) and takes what it pins. @internal */
export function addMount(w: World, mntNs: number, m: MountNode): void {
  const n = w.ns[mntNs] as NsNode;
  if (m.kind === 'nsfs') getNsfs(w, m.ns);
  else if (m.kind === 'proc') getNs(w, m.ns);
  n.mounts = [...(n.mounts ?? []), m];
}

/** Drops what a mount pins (mntput of the last reference; cleanup_mnt runs before the syscall returns). */
function releaseMount(w: World, m: MountNode, ctx: EngineCtx): void {
  if (m.kind === 'nsfs') putNsfs(w, m.ns, ctx);
  else if (m.kind === 'proc') putNs(w, m.ns, ctx); // proc_kill_sb → put_pid_ns
}

/**
 * umount2(path): the topmost mount at `path` in `mntNs`. With MNT_DETACH the mount is detached
 * at once and released when its last user goes — the model has no other user of an nsfs or proc
 * mount than the tree, so lazy and plain umount release alike. Returns false when nothing is
 * mounted there or the mount is locked (EINVAL).
 *
 * @internal
 */
export function umount(w: World, mntNs: number, path: string, ctx: EngineCtx): boolean {
  const n = w.ns[mntNs] as NsNode;
  const list = n.mounts ?? [];
  const i = list.map((m) => m.path).lastIndexOf(path);
  if (i < 0) return false;
  const m = list[i] as MountNode;
  if (m.locked) return false; // can_umount: MNT_LOCKED → EINVAL, lazy or not
  n.mounts = [...list.slice(0, i), ...list.slice(i + 1)];
  releaseMount(w, m, ctx);
  return true;
}

/** The topmost mount at `path` in `mntNs`, or undefined. @internal */
export function mountAt(w: World, mntNs: number, path: string): MountNode | undefined {
  const list = (w.ns[mntNs] as NsNode).mounts ?? [];
  for (let i = list.length - 1; i >= 0; i--) if ((list[i] as MountNode).path === path) return list[i];
  return undefined;
}

/**
 * copy_mnt_ns → copy_tree: a new mount namespace gets a copy of every mount of the old one, and
 * each copy pins the same namespace again; bind mounts of mount-namespace files are skipped
 * (fs/namespace.c: copy_tree skips `is_mnt_ns_file` roots — the cycle guard) [6.1–7.3].
 *
 * @internal
 */
export function copyMounts(w: World, from: number, to: number): void {
  // copy_mnt_ns: `if (user_ns != ns->user_ns) lock_mnt_tree(new)` — every copied mount but the
  // root gets MNT_LOCKED (an unprivileged owner may not reveal what is under it); copy_tree
  // keeps MNT_LOCKED of a mount that had it [6.1–7.3].
  const foreign = (w.ns[from] as NsNode).owner !== (w.ns[to] as NsNode).owner;
  for (const m of (w.ns[from] as NsNode).mounts ?? []) {
    if (m.kind === 'nsfs' && (w.ns[m.ns] as NsNode).type === 'mnt') continue;
    addMount(w, to, foreign && !m.locked ? { ...m, locked: true } : m);
  }
}

/** umount_tree at the death of a mount namespace: every mount goes, with what it pins. @internal */
export function dropMounts(w: World, n: NsNode, ctx: EngineCtx): void {
  const list = n.mounts ?? [];
  n.mounts = [];
  for (const m of list) releaseMount(w, m, ctx);
}
