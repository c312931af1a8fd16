import type { NsType } from '../../model/nsType.ts';
import type { Step, TaskStep } from '../scenario/ast.ts';
import type { EngineCtx } from './ctx.ts';
import { createNamespaces, createRest, fillNet, type Creation } from './create.ts';
import {
  bindFd,
  bindMount,
  closeFd,
  fdTableOf,
  ioctlNs,
  mountProc,
  openNs,
  openPidfd,
  openSocket,
  procNs,
  setns,
  shmAttach,
  shmDetach,
  swap,
  umountPath,
} from './files.ts';
import { openFile, putFile, putNs } from './refs.ts';
import { addTask, detachAllShm, exitTask, exitThread, reap, taskByPid, threadsOf, zapWaiting } from './tasks.ts';
import type { NsNode, PidNsState, TaskNode, World } from './world.ts';

export { taskOf } from './tasks.ts';

/**
 * The steps the engine executes (everything but `sleep` and `expect`).
 *
 * @internal
 */
export type ExecStep = Exclude<Step, { kind: 'sleep' | 'expect' }>;

/**
 * Scratch state carried from an op's start to its end. The syscall-side operations are split
 * where the kernel changes shared state, so that deferred kernel work can be placed in between:
 * - `beginOp`: the start — for unshare and clone, the new namespaces' ucount charges and own
 *   inode numbers (ns_common_init runs before setup_net);
 * - `fillOp`: setup_net registers the /proc/net entries one at a time (proc_register →
 *   proc_alloc_inum), while a running cleanup_net may give numbers back between two of them;
 * - `endOp`: the end — everything else (switch_task_namespaces, commit_creds, the new task, the
 *   puts of close, exit, umount, ...).
 *
 * @internal
 */
export interface OpState extends Creation {
  errno: string | null;
  /** Choices made during the op (bind of a mount namespace on per-CPU-id kernels). */
  choose: (options: number) => number;
}

const firstOption = (): number => 0;

/** A fresh scratch state. @internal */
export function newOpState(choose: (options: number) => number = firstOption): OpState {
  return { errno: null, created: {}, fill: 0, last: -1, rest: [], ti: -1, choose };
}

/** Copies a scratch state (the checker forks it with the world). @internal */
export function copyOpState(st: OpState): OpState {
  return {
    errno: st.errno,
    created: { ...st.created },
    fill: st.fill,
    last: st.last,
    rest: st.rest,
    ti: st.ti,
    choose: st.choose,
  };
}

/**
 * The caller of a task step, or null (ESRCH) when it is no longer running — or was never born:
 * its fork or thread step failed (the probe records ESRCH for such a task's steps too).
 */
function caller(w: World, step: TaskStep): { i: number; t: TaskNode } | null {
  const i = w.taskIndex[step.task];
  const t = i === undefined ? undefined : w.tasks[i];
  return t && i !== undefined && t.state === 'running' ? { i, t } : null;
}

/** The start of `step`. @internal */
export function beginOp(w: World, step: ExecStep, st: OpState, ctx: EngineCtx): void {
  if (step.kind === 'next-inode') return;
  const c = caller(w, step);
  if (!c) {
    st.errno = 'ESRCH';
    return;
  }
  if (step.kind === 'unshare') st.errno = createNamespaces(w, c.i, step.types, st, ctx, false);
  else if (step.kind === 'fork') {
    const target = step.types.includes('pid') ? null : (w.ns[c.t.pidForChildren] as NsNode).pidns;
    // kernel/pid.c: alloc_pid — `if (!(ns->pid_allocated & PIDNS_ADDING)) goto out_free` (ENOMEM):
    // the pid namespace's init has died.
    if (target && !target.adding) st.errno = 'ENOMEM';
    else st.errno = createNamespaces(w, c.i, step.types, st, ctx, true);
  }
}

/**
 * Registers the next `count` /proc/net entries of the netns being created; after the last one,
 * creates the namespaces create_new_namespaces makes after the netns (time).
 *
 * @internal
 */
export function fillOp(w: World, st: OpState, count: number, ctx: EngineCtx): void {
  fillNet(w, st, count, ctx);
  if (st.fill === 0 && st.rest.length > 0) st.errno = createRest(w, st, ctx);
}

/** The end of `step`. @internal */
export function endOp(w: World, step: ExecStep, st: OpState, ctx: EngineCtx): void {
  if (st.errno !== null) return;
  if (step.kind === 'next-inode') return;
  const c = caller(w, step);
  if (!c) {
    st.errno = 'ESRCH';
    return;
  }
  st.errno = commit(w, c.i, c.t, step, st, ctx);
}

function commit(w: World, i: number, t: TaskNode, step: TaskStep, st: OpState, ctx: EngineCtx): string | null {
  switch (step.kind) {
    case 'unshare':
      return unshareCommit(w, t, st, ctx);
    case 'fork':
      return forkCommit(w, i, t, step, st, ctx);
    case 'thread':
      return threadCommit(w, i, t, step.child);
    case 'setns':
      return setns(w, i, step, ctx);
    case 'open':
      return openNs(w, t, step, ctx);
    case 'ioctl':
      return ioctlNs(w, t, step, ctx);
    case 'close':
      return closeFd(w, t, step.fd, ctx);
    case 'bind':
      return bindMount(w, t, step, ctx, st.choose);
    case 'umount':
      return umountPath(w, t, step.path, ctx);
    case 'mount-proc':
      return mountProc(w, t, step.path);
    case 'socket':
      return openSocket(w, t, step.as, step.cloexec, ctx);
    case 'pidfd':
      return openPidfd(w, t, step.target, step.as, ctx);
    case 'shmat':
      return shmAttach(w, t, step.as, ctx);
    case 'shmdt':
      return shmDetach(w, t, step.segment, ctx);
    case 'exec':
      return execCommit(w, i, t, ctx);
    case 'exit':
      exitTask(w, i, ctx);
      return null;
    case 'wait':
      return waitChild(w, t, step.child, ctx);
    case 'set-limit':
      return setLimit(w, t, step.nsType, step.value);
    case 'read': {
      const r = procNs(w, t, step.nsType, ctx);
      return 'errno' in r ? r.errno : null;
    }
  }
}

/**
 * ksys_unshare: switch_task_namespaces puts the old nsproxy's namespaces; commit_creds puts the
 * old cred (after a grace period). New pid and time namespaces go to the *_for_children slots.
 */
function unshareCommit(w: World, t: TaskNode, st: OpState, ctx: EngineCtx): null {
  for (const type of Object.keys(st.created) as NsType[]) {
    const id = st.created[type] as number;
    if (type === 'user') {
      // commit_creds puts the old cred after a grace period (put_cred_rcu), but that put is
      // never the last: the new user namespace holds its parent until it is freed itself, which
      // takes its own reap, grace period and work. So it is applied now.
      const old = t.ns.user;
      t.ns.user = id;
      putNs(w, old, ctx);
      continue;
    }
    const slot = type === 'pid' ? 'pidForChildren' : type === 'time' ? 'timeForChildren' : type;
    // The new namespace's first reference is the nsproxy slot's: swap takes one more, so drop it.
    swap(w, t, slot, id, ctx);
    (w.ns[id] as NsNode).refs--;
  }
  return null;
}

/**
 * copy_process: the child gets the caller's credentials (or a new user namespace), a copy of
 * its nsproxy (or new namespaces), a copy of its fd table (the files are shared), the shm
 * attachments (the mm is copied), a struct pid in pid_for_children (or in a new pid namespace,
 * whose init it becomes), and enters time_for_children (timens_on_fork).
 */
function forkCommit(
  w: World,
  i: number,
  t: TaskNode,
  step: Extract<TaskStep, { kind: 'fork' }>,
  st: OpState,
  ctx: EngineCtx,
): string | null {
  const created = st.created;
  const pidNs = created.pid ?? t.pidForChildren;
  const timeForChildren = created.time ?? t.timeForChildren;
  const table = fdTableOf(w, t);
  w.fdTables.push({ users: 1, fds: { ...table.fds } });
  for (const name of Object.keys(table.fds))
    (w.files[(table.fds[name] as { file: number }).file] as { refs: number }).refs++;
  const leader = w.tasks[t.leader] as TaskNode;
  for (const name of Object.keys(leader.shm)) (w.shm[leader.shm[name] as number] as { maps: number }).maps++;
  const ci = addTask(w, step.child, {
    leader: null,
    parent: t.leader,
    state: 'running',
    ns: {
      user: created.user ?? t.ns.user,
      pid: pidNs,
      net: created.net ?? t.ns.net,
      mnt: created.mnt ?? t.ns.mnt,
      uts: created.uts ?? t.ns.uts,
      ipc: created.ipc ?? t.ns.ipc,
      cgroup: created.cgroup ?? t.ns.cgroup,
      time: timeForChildren,
    },
    pidForChildren: pidNs,
    timeForChildren,
    files: w.fdTables.length - 1,
    shm: { ...leader.shm },
  });
  // The new namespaces' first references were for the child's cred / nsproxy: addTask took its own.
  for (const type of Object.keys(created) as NsType[]) (w.ns[created[type] as number] as NsNode).refs--;
  if (step.pidfd !== undefined)
    bindFd(w, t, step.pidfd, openFile(w, 'pidfd', (w.tasks[ci] as TaskNode).pid, t.ns.user), true, ctx);
  void i;
  return null;
}

/**
 * clone(CLONE_THREAD|CLONE_VM|CLONE_FILES|CLONE_FS|CLONE_SIGHAND): same process, fd table and
 * mm; its own struct pid in the caller's pid namespace. EINVAL when pid_for_children differs
 * from the active pid namespace (kernel/fork.c: copy_process); ENOMEM when that namespace no
 * longer accepts pids.
 */
function threadCommit(w: World, i: number, t: TaskNode, child: string): string | null {
  if (t.pidForChildren !== t.ns.pid) return 'EINVAL';
  const pidns = (w.ns[t.ns.pid] as NsNode).pidns as PidNsState;
  if (!pidns.adding) return 'ENOMEM';
  const table = w.fdTables[t.files] as { users: number };
  table.users++;
  addTask(w, child, {
    leader: t.leader,
    parent: t.parent,
    state: 'running',
    ns: { ...t.ns },
    pidForChildren: t.pidForChildren,
    timeForChildren: t.timeForChildren,
    files: t.files,
    shm: {},
  });
  void i;
  return null;
}

/**
 * execve (fs/exec.c: begin_new_exec), in the kernel's order: de_thread — every other thread,
 * the leader too, exits (zap_other_threads; do_exit drops its fd table share and nsproxy) and is
 * released; a non-leader caller takes the leader's place (exchange_tids: its struct pid; exit_notify
 * → forget_original_parent → find_alive_thread: its children; find_child_reaper: the pid
 * namespace's child_reaper). Then O_CLOEXEC fds close (do_close_on_exec), the mm goes
 * (exec_mmap: shm detaches), and exec_task_namespaces enters time_for_children where the
 * profile has it.
 */
function execCommit(w: World, i: number, t: TaskNode, ctx: EngineCtx): null {
  const leaderIdx = t.leader;
  for (const th of threadsOf(w, leaderIdx)) if (th !== i && th !== leaderIdx) exitThread(w, th, ctx);
  const leader = w.tasks[leaderIdx] as TaskNode;
  if (leaderIdx !== i) {
    const mine = t.pid;
    t.pid = leader.pid;
    leader.pid = mine;
    (w.pids[t.pid] as { task: number }).task = i;
    (w.pids[mine] as { task: number }).task = leaderIdx;
    t.leader = i;
    t.parent = leader.parent;
    t.shm = leader.shm;
    leader.shm = {};
    exitThread(w, leaderIdx, ctx);
    w.tasks.forEach((c) => {
      if (c.parent === leaderIdx) c.parent = i;
    });
    const pidns = (w.ns[t.ns.pid] as NsNode).pidns as PidNsState;
    if (pidns.reaper === leaderIdx) pidns.reaper = i;
  }
  const table = fdTableOf(w, t);
  for (const name of Object.keys(table.fds)) {
    const e = table.fds[name] as { file: number; cloexec: boolean };
    if (!e.cloexec) continue;
    const { [name]: _gone, ...rest } = table.fds;
    table.fds = rest;
    putFile(w, e.file, ctx);
  }
  detachAllShm(w, t, ctx);
  if (ctx.profile.execEntersTimeForChildren && t.ns.time !== t.timeForChildren)
    swap(w, t, 'time', t.timeForChildren, ctx);
  return null;
}

/**
 * waitid(P_PID, child, WEXITED|WNOHANG): ECHILD unless `child` is a process whose parent is the
 * caller's process and not reaped yet; EAGAIN (nslife's name for "nothing reaped") while it runs.
 */
function waitChild(w: World, t: TaskNode, child: string, ctx: EngineCtx): string | null {
  const ci = taskByPid(w, child);
  const c = ci === undefined ? undefined : w.tasks[ci];
  if (ci === undefined || !c) return 'ECHILD'; // never born: no such child
  if (c.leader !== ci || c.parent !== t.leader || c.state === 'reaped') return 'ECHILD';
  if (c.state === 'running' || zapWaiting(w, ci)) return 'EAGAIN';
  reap(w, ci, ctx);
  return null;
}

/**
 * /proc/sys/user/max_<type>_namespaces of the caller's user namespace (kernel/ucount.c:
 * user_table, set_permissions: writable with CAP_SYS_RESOURCE there — always, for its own).
 */
function setLimit(w: World, t: TaskNode, type: NsType, value: number): null {
  const uc = (w.ns[t.ns.user] as NsNode).ucounts;
  if (uc) uc.max = { ...uc.max, [type]: value };
  return null;
}
