import { NS_TYPES, type NsType } from '../../model/nsType.ts';
import type { KernelProfile } from '../../model/profile.ts';
import { createAllocator, type InodeAllocator } from './allocator.ts';
import type { Interval } from './interval.ts';

/**
 * Lifecycle of a namespace (the spec machine in model/machines/namespace.ts):
 * `active` (has references) → `dying` (no references; waiting for its reaper) → `freed`.
 *
 * @public
 */
export type NsState = 'active' | 'dying' | 'freed';

/**
 * A mount a mount namespace holds that pins a namespace: a bind mount of an nsfs file (its
 * dentry holds the namespace's nsfs inode) or a procfs instance (its superblock holds a pid
 * namespace).
 *
 * @public
 */
export interface MountNode {
  readonly path: string;
  /** `plain`: a bind mount of a file that is not an nsfs file (it pins nothing: `ns` is -1). */
  readonly kind: 'nsfs' | 'proc' | 'plain';
  /** The namespace it pins. */
  readonly ns: number;
  /**
   * Copied into a mount namespace owned by another user namespace than its source's (or copied
   * from such a mount): MNT_LOCKED, so umount gives EINVAL (fs/namespace.c: copy_mnt_ns →
   * lock_mnt_tree, copy_tree keeps MNT_LOCKED; can_umount) [6.1–7.3].
   */
  readonly locked?: boolean;
}

/**
 * State a pid namespace has beyond the common record (kernel/pid_namespace.c).
 *
 * @public
 */
export interface PidNsState {
  /** `child_reaper`: the task that got pid 1 in it (-1: no child yet). */
  reaper: number;
  /** `PIDNS_ADDING`: new pids can be allocated (cleared when the reaper dies). */
  adding: boolean;
}

/**
 * The common namespace record — the model's `struct ns_common`, plus the few type-specific
 * fields the lifetime rules need.
 *
 * @public
 */
export interface NsNode {
  readonly id: number;
  readonly type: NsType;
  readonly initial: boolean;
  /** Own inode number (model numbers; initial namespaces: 0, not allocated by the model). */
  readonly inode: number;
  /** Inode numbers of the /proc/net entries still held (net), as ascending `[first, last]` runs. */
  procRuns: number[];
  /** Inode numbers of per-device /proc/net entries still held (`dev_snmp6/lo`). */
  devInodes: number[];
  /** `__ns_ref`: the number of holders (see src/engine/holders.ts for who they are). */
  refs: number;
  /**
   * Users of the namespace's single nsfs inode: open nsfs files and bind mounts. The inode holds
   * one reference while it has users (fs/nsfs.c: ns->stashed, nsfs_evict).
   */
  nsfs: number;
  state: NsState;
  /** Last reaper step done (-1 none). */
  reaperStep: number;
  /**
   * Owning user namespace (a user namespace's owner is its parent); -1: the user namespace above
   * the initial one (the host's), which owns the initial user, pid, net, uts, ipc, cgroup and time
   * namespaces (see createWorld).
   */
  readonly owner: number;
  /** Parent (user and pid namespaces; -1 otherwise). */
  readonly parent: number;
  /** Nesting level (user and pid namespaces; initial = 0). */
  readonly level: number;
  /** User namespace whose ucounts carry this namespace's charge (-1: not charged). */
  chargedTo: number;
  /**
   * User namespaces only: charges per type held in this namespace's ucounts (its own and every
   * descendant's, kernel/ucount.c: inc_ucount walks up), and the limits. A ucounts entry with
   * charges holds a reference on its user namespace (alloc_ucounts: get_user_ns).
   */
  readonly ucounts: { charged: Record<NsType, number>; max: Record<NsType, number>; total: number } | null;
  /** Pid namespaces only. */
  readonly pidns: PidNsState | null;
  /** Mount namespaces only: the mounts that pin other namespaces, in mount order. */
  mounts: MountNode[] | null;
  readonly createdAt: number;
  diedAt: number;
  freedAt: number;
}

/** The nsproxy slots (include/linux/nsproxy.h), each holding one reference. @public */
export const NSPROXY_SLOTS = [
  'mnt',
  'uts',
  'ipc',
  'pidForChildren',
  'net',
  'time',
  'timeForChildren',
  'cgroup',
] as const;

/** @public */
export type NsproxySlot = (typeof NSPROXY_SLOTS)[number];

/**
 * A scenario task: a process (thread-group leader) or a thread.
 *
 * @public
 */
export interface TaskNode {
  readonly name: string;
  /** Index of its thread-group leader (itself for a process; a thread that execs becomes it). */
  leader: number;
  /** The parent process (leader index); -1 for the scenario's first tasks, whose parent reaps at once. */
  parent: number;
  /** `running`; `zombie` (exited, not reaped: cred and struct pid still held); `reaped`. */
  state: 'running' | 'zombie' | 'reaped';
  /** `user`: the credentials' user namespace; `pid`: the task's own (its struct pid's); the others: its nsproxy. */
  ns: Record<NsType, number>;
  pidForChildren: number;
  timeForChildren: number;
  /** Its struct pid (index into `World.pids`; a thread that execs takes its leader's: exchange_tids). */
  pid: number;
  /**
   * The struct pid it was born with: what its scenario name means in /proc/NAME, pidfd_open and
   * waitid (a pid number). After a thread's exec that pid belongs to the exec'ing thread.
   */
  readonly pid0: number;
  /** Its fd table (index into `World.fdTables`; threads share one). */
  files: number;
  /** Attached SysV shm segments by scenario name → index into `World.shm` (leaders only: one mm per process). */
  shm: Record<string, number>;
}

/** A struct pid: held by its task until reaped and by every pidfd on it; holds its pid namespace. @public */
export interface PidNode {
  task: number;
  readonly ns: number;
  refs: number;
}

/** An fd: an open file and its close-on-exec flag. @public */
export interface FdEntry {
  readonly file: number;
  readonly cloexec: boolean;
}

/** A fd table (`struct files_struct`): fds by scenario name; shared by threads. @public */
export interface FdTable {
  users: number;
  fds: Record<string, FdEntry>;
}

/**
 * An open file (`struct file`). Every file holds its opener's credentials (`f_cred`, a user
 * namespace reference) and, by kind: an nsfs file the namespace's nsfs inode; a socket its
 * network namespace; a pidfd its struct pid.
 *
 * @public
 */
export interface FileNode {
  /** `plain`: any other file (a path where no nsfs file is mounted any more): only its f_cred. */
  readonly kind: 'nsfs' | 'socket' | 'pidfd' | 'plain';
  /** Namespace (nsfs, socket) or struct pid (pidfd); -1 for plain files. */
  readonly target: number;
  /** User namespace of `f_cred`. */
  readonly cred: number;
  /** fd entries pointing at it (fork and dup share a file). */
  refs: number;
}

/** An attached SysV shm segment: its shm file holds its ipc namespace while any process maps it. @public */
export interface ShmNode {
  readonly ns: number;
  maps: number;
}

/**
 * A batched reaper's worker (spec machine: model/machines/netnsWorker.ts): `cleanup_net` on
 * netns_wq, `free_ipc` on system_wq.
 *
 * @public
 */
export interface BatchWorker {
  state: 'idle' | 'queued' | 'running';
  /** The llist: namespaces whose last reference is gone, not yet taken by a run. */
  cleanupList: number[];
  /** The batch of the current run. */
  batch: number[];
  /** Index of the next reaper step of the current run. */
  step: number;
  /** When the next transition (start of a run, or the next step) may happen. */
  due: Interval;
  /** The work was queued again while running (it will run once more). */
  requeued: boolean;
}

/** @public */
export type NetnsWorker = BatchWorker;

/**
 * Deferred kernel work for one namespace: the next step of its reaper (`step` ≥ 0), or a
 * deferred reference drop (`step` = -1: an RCU-delayed cred or struct pid put).
 *
 * @public
 */
export interface WorkItem {
  readonly ns: number;
  /**
   * The reaper step to run; -1: an RCU-delayed put of `ns` (put_cred_rcu); -2: an RCU-delayed put
   * of the struct pid `pid` (free_pid → call_rcu(delayed_put_pid)), which puts `ns`, its pid
   * namespace, only if it was the struct pid's last reference.
   */
  readonly step: number;
  readonly pid?: number;
  due: Interval;
}

/**
 * The whole model state. Plain data: immer snapshots it, the checker forks it.
 *
 * @remarks Since 0.1.0
 * @public
 */
export interface World {
  now: number;
  ns: NsNode[];
  tasks: TaskNode[];
  /** Task name → index in `tasks`. */
  taskIndex: Record<string, number>;
  pids: PidNode[];
  fdTables: FdTable[];
  files: FileNode[];
  shm: ShmNode[];
  inodes: InodeAllocator;
  netns: BatchWorker;
  ipc: BatchWorker;
  /** Per-namespace deferred work, in queueing order. */
  work: WorkItem[];
  /**
   * Paths that exist as files: a bind's mount point (created as an empty file before mount(2),
   * src/scenario/ast.ts) and a procfs mount point. One file system, whatever mount namespace
   * made them (the probe's sandbox tmpfs, copied into every new mount namespace).
   */
  paths: string[];
}

const zeroCounts = (): Record<NsType, number> =>
  Object.fromEntries(NS_TYPES.map((t) => [t, 0])) as Record<NsType, number>;

/** An idle batched worker. @internal */
export const idleWorker = (): BatchWorker => ({
  state: 'idle',
  cleanupList: [],
  batch: [],
  step: 0,
  due: { lo: 0, hi: 0 },
  requeued: false,
});

/**
 * A world with the initial namespaces (one per type, never freed) and the given tasks in them.
 * The tasks are processes whose parent is outside the scenario (it reaps them as soon as they
 * exit); the initial pid namespace has a reaper.
 *
 * The initial namespaces are those a probe run starts in: the tasks are root of the probe's
 * sandbox user namespace (the initial user namespace here), which owns their mount namespace;
 * the other initial namespaces are the host's, owned by a user namespace above it (owner -1),
 * over which the tasks have no capability — setns into them, mounting procfs for the initial
 * pid namespace and NS_GET_USERNS on them are refused (EPERM), as on the live kernel.
 *
 * @public
 */
export function createWorld(profile: KernelProfile, tasks: readonly string[]): World {
  const n = tasks.length;
  const ns: NsNode[] = NS_TYPES.map((type, id) => ({
    id,
    type,
    initial: true,
    inode: 0,
    procRuns: [],
    devInodes: [],
    // A static reference (init_net & co. are never put) + each task: cred (user), struct pid
    // (pid), nsproxy slots (time and pid: two slots each, the own one and *_for_children).
    refs: 1 + (type === 'time' ? 2 * n : n),
    nsfs: 0,
    state: 'active' as NsState,
    reaperStep: -1,
    owner: type === 'mnt' ? 0 : -1,
    parent: -1,
    level: 0,
    chargedTo: -1,
    ucounts: type === 'user' ? { charged: zeroCounts(), max: { ...profile.initialLimits }, total: 0 } : null,
    pidns: type === 'pid' ? { reaper: -2, adding: true } : null,
    mounts: type === 'mnt' ? [] : null,
    createdAt: 0,
    diedAt: -1,
    freedAt: -1,
  }));
  // pid: each task's struct pid holds the initial pid ns, and each nsproxy's pid_for_children too.
  (ns[1] as NsNode).refs = 1 + 2 * n;
  const initial = Object.fromEntries(NS_TYPES.map((t, i) => [t, i])) as Record<NsType, number>;
  return {
    now: 0,
    ns,
    tasks: tasks.map((name, i) => ({
      name,
      leader: i,
      parent: -1,
      state: 'running',
      ns: { ...initial },
      pidForChildren: initial.pid,
      timeForChildren: initial.time,
      pid: i,
      pid0: i,
      files: i,
      shm: {},
    })),
    taskIndex: Object.fromEntries(tasks.map((name, i) => [name, i])),
    pids: tasks.map((_, i) => ({ task: i, ns: initial.pid, refs: 1 })),
    fdTables: tasks.map(() => ({ users: 1, fds: {} })),
    files: [],
    shm: [],
    inodes: createAllocator(profile.inodes.modelStart),
    netns: idleWorker(),
    ipc: idleWorker(),
    work: [],
    paths: [],
  };
}
