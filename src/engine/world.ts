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
 * The common namespace record — the model's `struct ns_common`.
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
  /** `__ns_ref`: the number of holders. */
  refs: number;
  state: NsState;
  /** Last reaper step done (-1 none). */
  reaperStep: number;
  /** Owning user namespace (-1 for the initial user namespace). */
  readonly owner: number;
  /** Parent (user namespaces; -1 otherwise). */
  readonly parent: number;
  /** Nesting level (user namespaces; initial = 0). */
  readonly level: number;
  /** User namespace whose ucounts carry this namespace's charge (-1: not charged). */
  chargedTo: number;
  /** Per-type charges and limits (user namespaces only; null otherwise). */
  readonly ucounts: { charged: Record<NsType, number>; max: Record<NsType, number> } | null;
  readonly createdAt: number;
  diedAt: number;
  freedAt: number;
}

/**
 * A scenario task. v0 tasks are single-threaded processes; each holds one reference per
 * namespace it is in (the kernel counts one per nsproxy, which tasks share; liveness is the same).
 *
 * @public
 */
export interface TaskNode {
  readonly name: string;
  /** Namespace id per type (`user` is the credentials' user namespace). */
  ns: Record<NsType, number>;
}

/**
 * The netns cleanup worker (spec machine: model/machines/netnsWorker.ts).
 *
 * @public
 */
export interface NetnsWorker {
  state: 'idle' | 'queued' | 'running';
  /** `cleanup_list`: nets whose last reference is gone, not yet taken by a run. */
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

/**
 * A queued per-namespace work item (`free_user_ns` on system_wq).
 *
 * @public
 */
export interface WorkItem {
  readonly ns: number;
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
  inodes: InodeAllocator;
  netns: NetnsWorker;
  userWork: WorkItem[];
}

const zeroCounts = (): Record<NsType, number> =>
  Object.fromEntries(NS_TYPES.map((t) => [t, 0])) as Record<NsType, number>;

/**
 * A world with the initial namespaces (one per type, never freed) and the given tasks in them.
 *
 * @public
 */
export function createWorld(profile: KernelProfile, tasks: readonly string[]): World {
  const ns: NsNode[] = NS_TYPES.map((type, id) => ({
    id,
    type,
    initial: true,
    inode: 0,
    procRuns: [],
    devInodes: [],
    refs: 1 + tasks.length, // a static reference (init_net & co. are never put) + each task
    state: 'active' as NsState,
    reaperStep: -1,
    owner: type === 'user' ? -1 : 0,
    parent: -1,
    level: 0,
    chargedTo: -1,
    ucounts: type === 'user' ? { charged: zeroCounts(), max: { ...profile.initialLimits } } : null,
    createdAt: 0,
    diedAt: -1,
    freedAt: -1,
  }));
  const initial = Object.fromEntries(NS_TYPES.map((t, i) => [t, i])) as Record<NsType, number>;
  return {
    now: 0,
    ns,
    tasks: tasks.map((name) => ({ name, ns: { ...initial } })),
    taskIndex: Object.fromEntries(tasks.map((name, i) => [name, i])),
    inodes: createAllocator(profile.inodes.modelStart),
    netns: { state: 'idle', cleanupList: [], batch: [], step: 0, due: { lo: 0, hi: 0 }, requeued: false },
    userWork: [],
  };
}
