import type { NsType } from '../../model/nsType.ts';

/**
 * Where a construct came from in a scenario file (1-based line and column).
 *
 * @public
 */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/**
 * The expected outcome of an operation: `ok` or an errno name such as `ENOSPC`.
 *
 * @public
 */
export type Outcome = 'ok' | `E${string}`;

/**
 * A namespace file a task can open or bind: `/proc/TASK/ns/FILE`. `pid_for_children` and
 * `time_for_children` are the nsproxy slots a task's future children get (fs/proc/namespaces.c:
 * ns_entries).
 *
 * @public
 */
export type NsFile = NsType | 'pid_for_children' | 'time_for_children';

/** @public */
export const NS_FILES: readonly NsFile[] = [
  'user',
  'pid',
  'pid_for_children',
  'net',
  'mnt',
  'uts',
  'ipc',
  'cgroup',
  'time',
  'time_for_children',
];

/**
 * Where an nsfs file comes from:
 * - `proc`: `/proc/TASK/ns/FILE` of a scenario task;
 * - `path`: a path a bind mount put an nsfs file on (`/run/netns/a`), in the caller's mount
 *   namespace;
 * - `fd`: an nsfs file descriptor the caller's process holds, by its scenario name.
 *
 * @public
 */
export type NsSource =
  | { readonly kind: 'proc'; readonly task: string; readonly file: NsFile }
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'fd'; readonly fd: string };

/** Fields every task step has. @public */
interface TaskStepBase {
  readonly task: string;
  /** The outcome the scenario expects (`=> ENOSPC`); checked on traces, not enforced. */
  readonly expect?: Outcome;
  readonly pos: SourcePos;
}

/**
 * One operation, after `repeat` blocks and `$params` have been expanded.
 * Durations are integer nanoseconds. File descriptors are named by the scenario (`as NAME`);
 * a name belongs to the process that holds the fd table (threads share it, fork copies it).
 *
 * @public
 */
export type Step =
  /** unshare(2) with the CLONE_NEW* flags of `types`. */
  | (TaskStepBase & { readonly kind: 'unshare'; readonly types: readonly NsType[] })
  /**
   * clone(2) of a new process `child` (a new scenario task), with the CLONE_NEW* flags of
   * `types`; with `pidfd`, CLONE_PIDFD and the parent holds the pidfd under that name.
   */
  | (TaskStepBase & {
      readonly kind: 'fork';
      readonly child: string;
      readonly types: readonly NsType[];
      readonly pidfd?: string;
    })
  /** clone(2) with CLONE_THREAD|CLONE_VM|CLONE_FILES|CLONE_FS|CLONE_SIGHAND: a thread `child` of the caller's process. */
  | (TaskStepBase & { readonly kind: 'thread'; readonly child: string })
  /** setns(2) on an nsfs fd or a pidfd; `types` is the nstype argument (empty: 0, any). */
  | (TaskStepBase & { readonly kind: 'setns'; readonly fd: string; readonly types: readonly NsType[] })
  /** open(2) of an nsfs file, O_RDONLY, plus O_CLOEXEC when `cloexec`. */
  | (TaskStepBase & {
      readonly kind: 'open';
      readonly source: NsSource;
      readonly as: string;
      readonly cloexec: boolean;
    })
  /** ioctl(2) NS_GET_USERNS or NS_GET_PARENT on an nsfs fd: a new fd on the result. */
  | (TaskStepBase & {
      readonly kind: 'ioctl';
      readonly fd: string;
      readonly request: 'get-userns' | 'get-parent';
      readonly as: string;
      readonly cloexec: boolean;
    })
  /** close(2). */
  | (TaskStepBase & { readonly kind: 'close'; readonly fd: string })
  /** mount(2) MS_BIND of an nsfs file onto `path` (created as an empty file) in the caller's mount namespace. */
  | (TaskStepBase & { readonly kind: 'bind'; readonly source: NsSource; readonly path: string })
  /** umount2(2), with MNT_DETACH when `lazy`. */
  | (TaskStepBase & { readonly kind: 'umount'; readonly path: string; readonly lazy: boolean })
  /** mount(2) of a new procfs instance on `path` (its superblock pins the caller's active pid namespace). */
  | (TaskStepBase & { readonly kind: 'mount-proc'; readonly path: string })
  /** socket(AF_INET, SOCK_DGRAM): a user socket in the caller's network namespace. */
  | (TaskStepBase & { readonly kind: 'socket'; readonly as: string; readonly cloexec: boolean })
  /** pidfd_open(2) on the task `target`. */
  | (TaskStepBase & { readonly kind: 'pidfd'; readonly target: string; readonly as: string })
  /** shmget(IPC_PRIVATE) + shmat(2) + shmctl(IPC_RMID): one attached segment of the caller's ipc namespace. */
  | (TaskStepBase & { readonly kind: 'shmat'; readonly as: string })
  /** shmdt(2) of a segment attached by `shmat ... as NAME`. */
  | (TaskStepBase & { readonly kind: 'shmdt'; readonly segment: string })
  /** execve(2) of the probe itself: O_CLOEXEC fds close, shm detaches, other threads die, time_for_children is entered. */
  | (TaskStepBase & { readonly kind: 'exec' })
  /** _exit(2) (the whole thread group for a process, the thread alone for a thread). */
  | (TaskStepBase & { readonly kind: 'exit' })
  /** waitid(P_PID, child, WEXITED|WNOHANG): reaps a zombie child; EAGAIN when it has not exited, ECHILD when it is not a child. */
  | (TaskStepBase & { readonly kind: 'wait'; readonly child: string })
  /** Writes /proc/sys/user/max_<type>_namespaces of the caller's user namespace. */
  | (TaskStepBase & { readonly kind: 'set-limit'; readonly nsType: NsType; readonly value: number })
  /** Observes the namespace behind /proc/TASK/ns/FILE (stat + NS_GET_ID + a file handle) and names it. */
  | (TaskStepBase & { readonly kind: 'read'; readonly nsType: NsFile; readonly as?: string })
  /** Observes the lowest free proc inode number (a throw-away uts namespace, made and dropped by the coordinator). */
  | { readonly kind: 'next-inode'; readonly as?: string; readonly pos: SourcePos }
  | { readonly kind: 'sleep'; readonly ns: number; readonly pos: SourcePos }
  | { readonly kind: 'expect'; readonly check: Expectation; readonly pos: SourcePos };

/** A step some task executes. @public */
export type TaskStep = Extract<Step, { readonly task: string }>;

/** Every step kind. @public */
export type StepKind = Step['kind'];

/**
 * An expectation over what a run observed. Names are those bound by `as NAME` on `read`, `open`,
 * `ioctl` (a namespace) or `next-inode` (an inode number) — the latest binding at that point.
 *
 * - `held` / `released`: the namespace still has references, or not (file-handle probe);
 * - `same-inode` / `other-inode`: two observed namespaces have equal / different inode numbers;
 * - `same-ns` / `other-ns`: two observations are / are not the same namespace (by id).
 *
 * @public
 */
export type Expectation =
  | { readonly kind: 'held' | 'released'; readonly name: string }
  | { readonly kind: 'same-inode' | 'other-inode' | 'same-ns' | 'other-ns'; readonly a: string; readonly b: string };

/**
 * A parsed scenario: tasks that start in the initial namespaces, and a flat list of steps in
 * execution order.
 *
 * @public
 */
export interface Scenario {
  readonly name: string;
  readonly file: string;
  readonly tasks: readonly string[];
  /** Parameter values in effect (defaults overridden by the caller), as written. */
  readonly params: Readonly<Record<string, string>>;
  readonly steps: readonly Step[];
}
