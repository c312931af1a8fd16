import type { NsType } from '../../model/nsType.ts';
import type { NsFile, NsSource, TaskStep } from '../scenario/ast.ts';
import type { EngineCtx } from './ctx.ts';
import { addMount, mountAt, umount } from './mounts.ts';
import { getNs, openFile, putCred, putFile, putNs } from './refs.ts';
import { detachShm, multithreaded, pidNsWithin, taskByPid, userNsWithin } from './tasks.ts';
import type { FdTable, NsNode, TaskNode, World } from './world.ts';

/** An errno name, or a namespace / file index. */
type Result = { errno: string } | { ns: number };
/** What an nsfs source names: a namespace, a plain file (no nsfs file there), or an errno. */
type SourceResult = Result | { plain: true } | { pidfd: number };

/**
 * The namespace behind /proc/TASK/ns/FILE (fs/proc/namespaces.c → ns_get_path → ops->get):
 * a reaped task has no /proc entry (ENOENT); a zombie has dropped its nsproxy (exit_task_namespaces),
 * so only `user` (cred) and `pid` (struct pid) still resolve; `pid_for_children` needs a child
 * reaper on ≤ 6.18 (pidns_for_children_get → ENOENT).
 *
 * @internal
 */
export function procNs(w: World, t: TaskNode, file: NsFile, ctx: EngineCtx): Result {
  if (t.state === 'reaped') return { errno: 'ENOENT' };
  if (t.state === 'zombie' && file !== 'user' && file !== 'pid') return { errno: 'ENOENT' };
  if (file === 'pid_for_children') {
    const n = w.ns[t.pidForChildren] as NsNode;
    if (ctx.profile.pidForChildrenBeforeInit === 'ENOENT' && n.pidns && n.pidns.reaper === -1)
      return { errno: 'ENOENT' };
    return { ns: t.pidForChildren };
  }
  if (file === 'time_for_children') return { ns: t.timeForChildren };
  return { ns: t.ns[file] };
}

/** The fd table of a task's process. @internal */
export function fdTableOf(w: World, t: TaskNode): FdTable {
  return w.fdTables[t.files] as FdTable;
}

/** The namespace an nsfs source names, as the task `t` sees it. @internal */
export function resolveSource(w: World, t: TaskNode, src: NsSource, ctx: EngineCtx): SourceResult {
  switch (src.kind) {
    case 'proc': {
      if (src.task === 'self') return procNs(w, t, src.file, ctx);
      // A task whose fork failed has no /proc entry.
      const i = taskByPid(w, src.task);
      const other = i === undefined ? undefined : w.tasks[i];
      if (!other) return { errno: 'ENOENT' };
      // proc_ns_get_link → ptrace_may_access(PTRACE_MODE_READ_FSCREDS), else EACCES: another
      // task's namespace files need the caller in the target's user namespace (same
      // capabilities) or CAP_SYS_PTRACE over it (kernel/ptrace.c: __ptrace_may_access;
      // security/commoncap.c: cap_ptrace_access_check) [exp 6.18.44: EACCES from a child user ns].
      if (other !== t && other.state !== 'reaped' && !userNsWithin(w, other.ns.user, t.ns.user))
        return { errno: 'EACCES' };
      return procNs(w, other, src.file, ctx);
    }
    case 'path': {
      // An nsfs bind mount there: its namespace. Another mount, or the empty file a past bind
      // mount left (its mount point): a plain file. Nothing ever made there: ENOENT.
      const m = mountAt(w, t.ns.mnt, src.path);
      if (m && m.kind === 'nsfs') return { ns: m.ns };
      return m || w.paths.includes(src.path) ? { plain: true } : { errno: 'ENOENT' };
    }
    case 'fd': {
      const e = fdTableOf(w, t).fds[src.fd];
      if (!e) return { errno: 'EBADF' };
      const f = w.files[e.file];
      if (!f || f.kind === 'plain') return { plain: true };
      if (f.kind === 'nsfs') return { ns: f.target };
      // /proc/self/fd/N of a socket cannot be opened (ENXIO, seen on 6.18.44); of a pidfd it
      // opens another file on the same pid (seen on 6.18.44).
      return f.kind === 'socket' ? { errno: 'ENXIO' } : { pidfd: f.target };
    }
  }
}

/**
 * Binds `name` in the task's fd table to a new file. A name that already names an fd is reused
 * the way dup2 does: the old file is closed first.
 *
 * @internal
 */
export function bindFd(w: World, t: TaskNode, name: string, file: number, cloexec: boolean, ctx: EngineCtx): void {
  const table = fdTableOf(w, t);
  const old = table.fds[name];
  table.fds = { ...table.fds, [name]: { file, cloexec } };
  if (old) putFile(w, old.file, ctx);
}

/** close(2). @internal */
export function closeFd(w: World, t: TaskNode, name: string, ctx: EngineCtx): string | null {
  const table = fdTableOf(w, t);
  const e = table.fds[name];
  if (!e) return 'EBADF';
  const { [name]: _gone, ...rest } = table.fds;
  table.fds = rest;
  putFile(w, e.file, ctx);
  return null;
}

/** open(2) of an nsfs file: a new file on the namespace's nsfs inode, with the opener's f_cred. @internal */
export function openNs(
  w: World,
  t: TaskNode,
  step: Extract<TaskStep, { kind: 'open' }>,
  ctx: EngineCtx,
): string | null {
  const r = resolveSource(w, t, step.source, ctx);
  if ('errno' in r) return r.errno;
  const file =
    'plain' in r
      ? openFile(w, 'plain', -1, t.ns.user)
      : 'pidfd' in r
        ? openFile(w, 'pidfd', r.pidfd, t.ns.user)
        : openFile(w, 'nsfs', r.ns, t.ns.user);
  bindFd(w, t, step.as, file, step.cloexec, ctx);
  return null;
}

/**
 * NS_GET_USERNS / NS_GET_PARENT (fs/nsfs.c: ns_ioctl → open_related_ns). The owner (or parent)
 * must be in the caller's scope — its user namespace or a descendant (ns_get_owner,
 * userns_get_parent), for pid the caller's active pid namespace or a descendant
 * (pidns_get_parent) — else EPERM; NS_GET_PARENT on other types: EINVAL; not an nsfs file: ENOTTY
 * [not confirmed on the kernel].
 *
 * @internal
 */
export function ioctlNs(
  w: World,
  t: TaskNode,
  step: Extract<TaskStep, { kind: 'ioctl' }>,
  ctx: EngineCtx,
): string | null {
  const e = fdTableOf(w, t).fds[step.fd];
  if (!e) return 'EBADF';
  const f = w.files[e.file];
  if (!f || f.kind !== 'nsfs') return 'ENOTTY';
  const n = w.ns[f.target] as NsNode;
  let result: number;
  if (step.request === 'get-userns') {
    result = n.owner;
    if (result < 0 || !userNsWithin(w, result, t.ns.user)) return 'EPERM';
  } else {
    if (n.type !== 'user' && n.type !== 'pid') return 'EINVAL';
    result = n.parent;
    if (result < 0) return 'EPERM';
    if (n.type === 'user' ? !userNsWithin(w, result, t.ns.user) : !pidNsWithin(w, result, t.ns.pid)) return 'EPERM';
  }
  bindFd(w, t, step.as, openFile(w, 'nsfs', result, t.ns.user), step.cloexec, ctx);
  return null;
}

/**
 * may_mount: CAP_SYS_ADMIN in the user namespace owning the caller's mount namespace
 * (fs/namespace.c: may_mount → ns_capable(current->nsproxy->mnt_ns->user_ns)).
 */
function mayMount(w: World, t: TaskNode): boolean {
  return userNsWithin(w, (w.ns[t.ns.mnt] as NsNode).owner, t.ns.user);
}

/**
 * mount --bind of an nsfs file. Binding a mount namespace's file is refused unless that namespace
 * is newer than the caller's (fs/namespace.c: mnt_ns_loop compares ns ids): on 6.18 ids come in
 * per-CPU batches, so "newer" may fail either way ([exp] KERNEL-RULES 5.1) — the choice is drawn.
 *
 * @internal
 */
export function bindMount(
  w: World,
  t: TaskNode,
  step: Extract<TaskStep, { kind: 'bind' }>,
  ctx: EngineCtx,
  choose: (options: number) => number,
): string | null {
  // A path source must exist and an fd source must be one the process holds before mount(2) is
  // called (the source is reached through them); then the mount point file is made.
  const src = step.source;
  if (src.kind === 'path' && !w.paths.includes(src.path)) return 'ENOENT';
  if (src.kind === 'fd') {
    const e = fdTableOf(w, t).fds[src.fd];
    if (!e) return 'EBADF';
    // do_loopback: a file whose mount is not in the caller's namespace (sockfs, pidfs) cannot be
    // bound; nsfs files are the exception (fs/namespace.c: check_mnt || is nsfs) [exp 6.18.44:
    // binding a socket fd gives EINVAL, live campaign].
    const kind = w.files[e.file]?.kind;
    if (kind === 'socket' || kind === 'pidfd') {
      makePath(w, step.path);
      return 'EINVAL';
    }
  }
  makePath(w, step.path);
  if (!mayMount(w, t)) return 'EPERM';
  const r = resolveSource(w, t, step.source, ctx);
  if ('errno' in r) return r.errno;
  if ('pidfd' in r) return 'EINVAL'; // (checked above)
  if ('plain' in r) {
    addMount(w, t.ns.mnt, { path: step.path, kind: 'plain', ns: -1 });
    return null;
  }
  const target = w.ns[r.ns] as NsNode;
  if (target.type === 'mnt') {
    const mine = w.ns[t.ns.mnt] as NsNode;
    if (target.initial || target.id <= mine.id) return 'EINVAL';
    if (ctx.profile.nsIds === 'percpu-cookie' && choose(2) === 1) return 'EINVAL';
  }
  addMount(w, t.ns.mnt, { path: step.path, kind: 'nsfs', ns: r.ns });
  return null;
}

/**
 * mount -t proc: the superblock pins the caller's active pid namespace (fs/proc/root.c:
 * proc_init_fs_context); mounting needs CAP_SYS_ADMIN over the mount namespace and over the
 * pid namespace's owner (mount_capable with fc->user_ns = pid_ns->user_ns).
 *
 * @internal
 */
export function mountProc(w: World, t: TaskNode, path: string): string | null {
  makePath(w, path); // the mount point directory
  if (!mayMount(w, t)) return 'EPERM';
  if (!userNsWithin(w, (w.ns[t.ns.pid] as NsNode).owner, t.ns.user)) return 'EPERM';
  addMount(w, t.ns.mnt, { path, kind: 'proc', ns: t.ns.pid });
  return null;
}

/** Makes `path` exist (once). */
function makePath(w: World, path: string): void {
  if (!w.paths.includes(path)) w.paths.push(path);
}

/** umount2 (lazy or not: see mounts.ts). @internal */
export function umountPath(w: World, t: TaskNode, path: string, ctx: EngineCtx): string | null {
  if (!w.paths.includes(path)) return 'ENOENT'; // ksys_umount: user_path_at before may_mount
  if (!mayMount(w, t)) return 'EPERM';
  return umount(w, t.ns.mnt, path, ctx) ? null : 'EINVAL';
}

/** socket(2): a user socket holds its netns (sk_alloc, kern=0). @internal */
export function openSocket(w: World, t: TaskNode, name: string, cloexec: boolean, ctx: EngineCtx): string | null {
  bindFd(w, t, name, openFile(w, 'socket', t.ns.net, t.ns.user), cloexec, ctx);
  return null;
}

/**
 * pidfd_open(2) (kernel/pid.c, kernel/fork.c: pidfd_prepare): the target must be visible in the
 * caller's pid namespace (find_get_pid: ESRCH), still have its pid (ESRCH once reaped; never
 * born: ESRCH), and be a thread-group leader (EINVAL or ENOENT, by profile: `pidfdOfThread`).
 *
 * @internal
 */
export function openPidfd(w: World, t: TaskNode, target: string, name: string, ctx: EngineCtx): string | null {
  const ti = taskByPid(w, target);
  const tt = ti === undefined ? undefined : w.tasks[ti];
  if (ti === undefined || !tt || tt.state === 'reaped') return 'ESRCH'; // never born, or gone
  if (!pidNsWithin(w, tt.ns.pid, t.ns.pid)) return 'ESRCH';
  if (tt.leader !== ti) return ctx.profile.pidfdOfThread;
  bindFd(w, t, name, openFile(w, 'pidfd', tt.pid, t.ns.user), true, ctx); // pidfds are O_CLOEXEC
  return null;
}

/** shmget + shmat + IPC_RMID: one mapping of a new segment of the caller's ipc namespace. @internal */
export function shmAttach(w: World, t: TaskNode, name: string, ctx: EngineCtx): string | null {
  const leader = w.tasks[t.leader] as TaskNode;
  getNs(w, t.ns.ipc); // do_shmat: sfd->ns = get_ipc_ns(ns)
  w.shm.push({ ns: t.ns.ipc, maps: 1 });
  const old = leader.shm[name];
  leader.shm = { ...leader.shm, [name]: w.shm.length - 1 };
  if (old !== undefined) detachShm(w, old, ctx);
  return null;
}

/** shmdt(2). @internal */
export function shmDetach(w: World, t: TaskNode, name: string, ctx: EngineCtx): string | null {
  const leader = w.tasks[t.leader] as TaskNode;
  const seg = leader.shm[name];
  if (seg === undefined) return 'EINVAL';
  const { [name]: _gone, ...rest } = leader.shm;
  leader.shm = rest;
  detachShm(w, seg, ctx);
  return null;
}

/** The order kernel/nsproxy.c: validate_nsset installs a pidfd's namespaces in [6.1, 6.12, 7.3]. */
const VALIDATE_ORDER: readonly NsType[] = ['user', 'mnt', 'uts', 'ipc', 'pid', 'cgroup', 'net', 'time'];

/** The type an nsfs file's namespace has. */
const typeOf = (w: World, ns: number): NsType => (w.ns[ns] as NsNode).type;

/**
 * setns(2) (kernel/nsproxy.c: setns, validate_ns/validate_nsset, commit_nsset) by an nsfs fd
 * (nstype 0 or its type, else EINVAL) or by a pidfd (the flags name the types to take from the
 * target; the target must not have exited: ESRCH). Per type (each *_install):
 * - user: userns_install — not the current one (EINVAL, by a pidfd too), single-threaded
 *   (EINVAL), CAP_SYS_ADMIN in the target (it must be the caller's user ns or a descendant: EPERM);
 * - pid: pidns_install — the caller's active pid namespace or a descendant (EINVAL); sets
 *   pid_for_children only;
 * - time: timens_install — single-threaded (EUSERS, before the capability check); sets time
 *   and time_for_children;
 * - mnt: mntns_install — the fs_struct not shared (threads share it: EINVAL);
 * - every type: CAP_SYS_ADMIN over the target's owner (EPERM), checked with the caller's
 *   current credentials (ns_capable → current_cred), not those a CLONE_NEWUSER of the same call
 *   will give it.
 *
 * @internal
 */
export function setns(w: World, ti: number, step: Extract<TaskStep, { kind: 'setns' }>, ctx: EngineCtx): string | null {
  const t = w.tasks[ti] as TaskNode;
  const e = fdTableOf(w, t).fds[step.fd];
  if (!e) return 'EBADF';
  const f = w.files[e.file];
  if (!f || (f.kind !== 'nsfs' && f.kind !== 'pidfd')) return 'EINVAL'; // not an nsfs file nor a pidfd
  const targets: { type: NsType; ns: number }[] = [];
  if (f.kind === 'nsfs') {
    const type = typeOf(w, f.target);
    if (step.types.length > 1 || (step.types.length === 1 && step.types[0] !== type)) return 'EINVAL';
    targets.push({ type, ns: f.target });
  } else {
    if (step.types.length === 0) return 'EINVAL';
    const tt = w.tasks[(w.pids[f.target] as { task: number }).task] as TaskNode;
    if (tt.state !== 'running') return 'ESRCH';
    for (const type of step.types) targets.push({ type, ns: tt.ns[type] });
  }
  // validate_nsset's order: user, mnt, uts, ipc, pid, cgroup, net, time — the first refusal is
  // the errno, whatever order the flags were written in. Every *_install checks CAP_SYS_ADMIN
  // with ns_capable, that is with the caller's current credentials (current_cred), over the
  // target's owner and over the new credentials' user ns — which userns_install already required.
  targets.sort((a, b) => VALIDATE_ORDER.indexOf(a.type) - VALIDATE_ORDER.indexOf(b.type));
  for (const { type, ns } of targets) {
    const n = w.ns[ns] as NsNode;
    if (type === 'user') {
      // userns_install: "Don't allow gaining capabilities by reentering the same user
      // namespace" — through a pidfd too (validate_nsset installs the target's user ns).
      if (ns === t.ns.user) return 'EINVAL';
      if (multithreaded(w, ti)) return 'EINVAL';
      if (!userNsWithin(w, ns, t.ns.user)) return 'EPERM';
      continue;
    }
    if (type === 'time' && multithreaded(w, ti)) return 'EUSERS'; // timens_install: before the capability check
    if (!userNsWithin(w, n.owner, t.ns.user)) return 'EPERM';
    if (type === 'pid' && !pidNsWithin(w, ns, t.ns.pid)) return 'EINVAL';
    if (type === 'mnt' && multithreaded(w, ti)) return 'EINVAL';
  }
  // commit_nsset: switch_task_namespaces + commit_creds; old references go.
  for (const { type, ns } of targets) {
    if (type === 'user') {
      if (ns === t.ns.user) continue;
      getNs(w, ns);
      const old = t.ns.user;
      t.ns.user = ns;
      putCred(w, old, ctx);
    } else if (type === 'pid') {
      swap(w, t, 'pidForChildren', ns, ctx);
    } else if (type === 'time') {
      swap(w, t, 'time', ns, ctx);
      swap(w, t, 'timeForChildren', ns, ctx);
    } else swap(w, t, type, ns, ctx);
  }
  return null;
}

/** Puts `ns` into one nsproxy slot of `t` and the old one out. @internal */
export function swap(
  w: World,
  t: TaskNode,
  slot: Exclude<NsType, 'user' | 'pid'> | 'pidForChildren' | 'timeForChildren',
  ns: number,
  ctx: EngineCtx,
): void {
  getNs(w, ns);
  let old: number;
  if (slot === 'pidForChildren') {
    old = t.pidForChildren;
    t.pidForChildren = ns;
  } else if (slot === 'timeForChildren') {
    old = t.timeForChildren;
    t.timeForChildren = ns;
  } else {
    old = t.ns[slot];
    t.ns[slot] = ns;
  }
  putNs(w, old, ctx);
}
