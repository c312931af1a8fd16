import type { EngineCtx } from './ctx.ts';
import { deferPut, getNs, putFile, putNs, putPid } from './refs.ts';
import { NSPROXY_SLOTS, type NsNode, type NsproxySlot, type PidNsState, type TaskNode, type World } from './world.ts';

/** A task by name; throws for a name the scenario never introduced (the parser rejects those). @internal */
export function taskOf(w: World, name: string): TaskNode {
  const i = w.taskIndex[name];
  const t = i === undefined ? undefined : w.tasks[i];
  if (!t) throw new Error(`unknown task ${name}`);
  return t;
}

/** The index of a task by name. @internal */
export function taskIndexOf(w: World, name: string): number {
  const i = w.taskIndex[name];
  if (i === undefined) throw new Error(`unknown task ${name}`);
  return i;
}

/** The namespace in one nsproxy slot of a task. @internal */
export function slotNs(t: TaskNode, slot: NsproxySlot): number {
  return slot === 'pidForChildren' ? t.pidForChildren : slot === 'timeForChildren' ? t.timeForChildren : t.ns[slot];
}

/** Takes a reference for each nsproxy slot (a new nsproxy, or a task sharing one: the model counts per task). @internal */
export function getNsproxy(w: World, t: TaskNode): void {
  for (const s of NSPROXY_SLOTS) getNs(w, slotNs(t, s));
}

/**
 * kernel/nsproxy.c: free_nsproxy order — mnt, uts, ipc, pid_for_children, time,
 * time_for_children, cgroup, net.
 */
const FREE_ORDER: readonly NsproxySlot[] = [
  'mnt',
  'uts',
  'ipc',
  'pidForChildren',
  'time',
  'timeForChildren',
  'cgroup',
  'net',
];

/** exit_task_namespaces → put_nsproxy. @internal */
export function putNsproxy(w: World, t: TaskNode, ctx: EngineCtx): void {
  for (const s of FREE_ORDER) putNs(w, slotNs(t, s), ctx);
}

/** Running threads of a process, the leader included. @internal */
export function threadsOf(w: World, leader: number): number[] {
  const out: number[] = [];
  w.tasks.forEach((t, i) => {
    if (t.leader === leader && t.state === 'running') out.push(i);
  });
  return out;
}

/** Is the process of task `i` multithreaded? @internal */
export function multithreaded(w: World, i: number): boolean {
  const t = w.tasks[i] as TaskNode;
  // Threads share their process's fd table (CLONE_FILES): a table with one user has no other
  // thread, which spares the walk over every task (unshare(CLONE_NEWUSER) asks each time).
  if ((w.fdTables[t.files]?.users ?? 0) <= 1) return false;
  return threadsOf(w, t.leader).length > 1;
}

/** Closes every fd of a table whose last user is gone (exit_files → put_files_struct). @internal */
export function dropFdTable(w: World, table: number, ctx: EngineCtx): void {
  const ft = w.fdTables[table];
  if (!ft || --ft.users > 0) return;
  const fds = ft.fds;
  ft.fds = {};
  for (const name of Object.keys(fds)) putFile(w, (fds[name] as { file: number }).file, ctx);
}

/** Detaches every shm segment of a process (exit_mm / exec: the mm goes, shm_close → shm_release). @internal */
export function detachAllShm(w: World, leader: TaskNode, ctx: EngineCtx): void {
  const shm = leader.shm;
  leader.shm = {};
  for (const name of Object.keys(shm)) detachShm(w, shm[name] as number, ctx);
}

/** One mapping of a segment goes; the last puts its ipc namespace (ipc/shm.c: shm_release). @internal */
export function detachShm(w: World, seg: number, ctx: EngineCtx): void {
  const s = w.shm[seg] as { maps: number; ns: number };
  if (--s.maps === 0) putNs(w, s.ns, ctx);
}

/**
 * Reaps a zombie (release_task): its credentials go after a grace period
 * (delayed_put_task_struct → put_cred_rcu), its struct pid too (free_pid → delayed_put_pid).
 *
 * @internal
 */
export function reap(w: World, i: number, ctx: EngineCtx): void {
  const t = w.tasks[i] as TaskNode;
  if (t.state === 'reaped') return;
  t.state = 'reaped';
  deferPut(w, t.ns.user, ctx, ctx.profile.latency.credPut);
  putPid(w, t.pid, ctx, true);
  ctx.effects?.push({ kind: 'task.reaped', task: i, at: ctx.at });
  // An init waiting in zap_pid_ns_processes for its members finishes exiting with the last of
  // them; a parent outside the scenario then reaps it at once.
  for (let p = t.ns.pid; p >= 0; p = (w.ns[p] as NsNode).parent) {
    const init = ((w.ns[p] as NsNode).pidns as PidNsState).reaper;
    const it = init >= 0 ? w.tasks[init] : undefined;
    if (!it || it.state !== 'zombie' || zapWaiting(w, init)) continue;
    const parent = it.parent >= 0 ? w.tasks[it.parent] : undefined;
    if (!parent || parent.state !== 'running') reap(w, init, ctx);
  }
}

/**
 * Whether task `i`, the init of its pid namespace, is still in zap_pid_ns_processes: it has
 * exited, but waits until every other task of its namespace (and of the namespaces below) is
 * reaped — members whose parent is outside the namespace stay zombies until that parent waits
 * (kernel/pid_namespace.c: zap_pid_ns_processes, "kernel_wait4() misses ... EXIT_ZOMBIE process
 * whose parents processes are outside of the pid namespace"). Until then it is not a zombie its
 * parent can reap: waitid says nothing to reap (EAGAIN) [exp 6.18.44, probe].
 *
 * @internal
 */
export function zapWaiting(w: World, i: number): boolean {
  const t = w.tasks[i] as TaskNode;
  if (t.state !== 'zombie') return false;
  const pidns = (w.ns[t.ns.pid] as NsNode).pidns as PidNsState;
  if (pidns.reaper !== i || pidns.adding) return false;
  return w.tasks.some((m, j) => j !== i && m.state !== 'reaped' && pidNsWithin(w, m.ns.pid, t.ns.pid));
}

/** Whether pid namespace `anc` is `ns` or one of its ancestors. @internal */
export function pidNsWithin(w: World, ns: number, anc: number): boolean {
  for (let p = ns; p >= 0; p = (w.ns[p] as NsNode).parent) if (p === anc) return true;
  return false;
}

/** Whether user namespace `anc` is `ns` or an ancestor of it (ns_capable from `anc` in `ns`). @internal */
export function userNsWithin(w: World, ns: number, anc: number): boolean {
  for (let u = ns; u >= 0; u = (w.ns[u] as NsNode).parent) if (u === anc) return true;
  return false;
}

/**
 * A thread leaves (do_exit of one thread): its fd table share, its nsproxy; non-leader threads
 * are released at once (autoreap): credentials and struct pid after a grace period.
 *
 * @internal
 */
export function exitThread(w: World, i: number, ctx: EngineCtx): void {
  const t = w.tasks[i] as TaskNode;
  if (t.state !== 'running') return;
  dropFdTable(w, t.files, ctx);
  putNsproxy(w, t, ctx);
  t.state = 'zombie';
  reap(w, i, ctx);
}

/**
 * exit_group of a process (kernel/exit.c: do_group_exit → do_exit): the other threads die; then
 * exit_mm (shm detaches), exit_files, exit_task_namespaces (nsproxy: before the zombie stage),
 * exit_notify. If it was the child reaper of its pid namespace, zap_pid_ns_processes: no more
 * pids there (PIDNS_ADDING cleared: later forks get ENOMEM), every other member is killed and
 * reaped. Its children are reparented; zombies among them are reaped at once. The task stays a
 * zombie until its parent waits — the scenario's first tasks (and orphans) are reaped at once
 * by a parent outside the scenario that always waits.
 *
 * @internal
 */
export function exitProcess(w: World, i: number, ctx: EngineCtx): void {
  const t = w.tasks[i] as TaskNode;
  if (t.state !== 'running') return;
  const leaderIdx = t.leader;
  for (const th of threadsOf(w, leaderIdx)) if (th !== leaderIdx) exitThread(w, th, ctx);
  const leader = w.tasks[leaderIdx] as TaskNode;
  detachAllShm(w, leader, ctx);
  dropFdTable(w, leader.files, ctx);
  putNsproxy(w, leader, ctx);
  leader.state = 'zombie';
  ctx.effects?.push({ kind: 'task.exited', task: leaderIdx, at: ctx.at });
  const pidns = (w.ns[leader.ns.pid] as NsNode).pidns as PidNsState;
  if (pidns.reaper === leaderIdx) {
    // kernel/pid_namespace.c: zap_pid_ns_processes → disable_pid_allocation; SIGKILL every
    // member. Members whose parent is the init (or dies with it) are reaped by it (kernel_wait4,
    // SIGCHLD ignored); those whose parent is outside stay zombies until that parent waits, and
    // the init waits for them (zapWaiting).
    pidns.adding = false;
    w.tasks.forEach((m, j) => {
      if (j === leaderIdx || m.state !== 'running' || !pidNsWithin(w, m.ns.pid, leader.ns.pid)) return;
      if (m.leader === j) exitProcess(w, j, ctx);
      else exitThread(w, j, ctx);
    });
  }
  // forget_original_parent: the children go to the child_reaper of this process's pid namespace
  // (find_child_reaper) — a scenario task when the scenario made that namespace, which keeps the
  // zombies among them until it waits. In the initial pid namespace they go to the probe's
  // sandbox instead (a child subreaper, found by find_new_reaper only at the same pid level),
  // which reaps them at once (-1).
  const heir =
    pidns.reaper >= 0 && pidns.reaper !== leaderIdx && w.tasks[pidns.reaper]?.state === 'running' ? pidns.reaper : -1;
  w.tasks.forEach((c, j) => {
    if (c.parent !== leaderIdx || c.leader !== j) return;
    c.parent = heir;
    if (heir < 0 && c.state === 'zombie' && !zapWaiting(w, j)) reap(w, j, ctx);
  });
  const parent = leader.parent >= 0 ? (w.tasks[leader.parent] as TaskNode) : null;
  if ((!parent || parent.state !== 'running') && !zapWaiting(w, leaderIdx)) reap(w, leaderIdx, ctx);
}

/** A task step's task exits: the process for a leader, the thread alone for a thread. @internal */
export function exitTask(w: World, i: number, ctx: EngineCtx): void {
  const t = w.tasks[i] as TaskNode;
  if (t.leader === i) exitProcess(w, i, ctx);
  else exitThread(w, i, ctx);
}

/** Pid namespace fields of a new pid namespace. @internal */
export const newPidNs = (): PidNsState => ({ reaper: -1, adding: true });

/**
 * Adds a task (fork child or thread) holding: its credentials' user namespace, a struct pid in
 * `pidNs` (alloc_pid: get_pid_ns), its nsproxy slots. The caller has checked the pid namespace
 * still accepts members.
 *
 * @internal
 */
export function addTask(
  w: World,
  name: string,
  init: Omit<TaskNode, 'pid' | 'pid0' | 'name' | 'leader' | 'shm'> & {
    leader: number | null;
    shm: Record<string, number>;
  },
): number {
  const i = w.tasks.length;
  w.pids.push({ task: i, ns: init.ns.pid, refs: 1 });
  getNs(w, init.ns.pid);
  const t: TaskNode = { ...init, name, leader: init.leader ?? i, pid: w.pids.length - 1, pid0: w.pids.length - 1 };
  w.tasks.push(t);
  w.taskIndex[name] = i;
  getNs(w, t.ns.user);
  getNsproxy(w, t);
  const pidns = (w.ns[t.ns.pid] as NsNode).pidns as PidNsState;
  if (pidns.reaper === -1) pidns.reaper = i; // the first process in a pid namespace is its init
  return i;
}

/**
 * The task a scenario name designates where the kernel sees a pid number (/proc/NAME, pidfd_open,
 * waitid): the task now holding the struct pid the name was born with — after a thread's exec,
 * that thread (fs/exec.c: de_thread → exchange_tids). Undefined for a name never born.
 *
 * @internal
 */
export function taskByPid(w: World, name: string): number | undefined {
  const i = w.taskIndex[name];
  const t = i === undefined ? undefined : w.tasks[i];
  if (i === undefined || !t) return undefined;
  return w.pids[t.pid0]?.task ?? i;
}
