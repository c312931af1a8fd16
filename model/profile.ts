import type { NsType } from './nsType.ts';
import type { LatencyRange } from './time.ts';

/**
 * Where the netns inode number is given back inside `cleanup_net`.
 * - `exit`: by the pernet exit `net_ns_net_exit` → `ns_free_inum`, before `rcu_barrier()`
 *   (net/core/net_namespace.c, 6.1–6.17);
 * - `final`: by `ns_common_free(net)` in the last loop, after `rcu_barrier()` (6.18+).
 *
 * @public
 */
export type NetInumRelease = 'exit' | 'final';

/**
 * A kernel profile: everything the model needs that differs between kernel versions or that the
 * kernel does not fix (measured per machine). Pure data.
 *
 * @remarks Since 0.1.0
 * @public
 */
export interface KernelProfile {
  readonly name: string;
  readonly description: string;
  /** Kernel releases this profile describes (inclusive, `major.minor`). */
  readonly releases: { readonly from: string; readonly to: string };
  readonly inodes: {
    /** First dynamic proc inode number (`PROC_DYNAMIC_FIRST` = 0xF0000000, fs/proc/generic.c). */
    readonly dynamicFirst: number;
    /** Where model runs start allocating (the lowest free number on a quiet machine). */
    readonly modelStart: number;
    /**
     * `/proc/net` proc_dir_entries each netns registers (one inode number each, from the same
     * IDA as namespaces). Machine-dependent: depends on the protocols and devices configured.
     */
    readonly netProcEntries: number;
    /**
     * Of those, how many belong to devices (`/proc/net/dev_snmp6/lo`): given back when the
     * device is unregistered, before the other pernet exits run.
     */
    readonly netDeviceProcEntries: number;
    readonly netInumRelease: NetInumRelease;
  };
  /** How NS_GET_ID ids are handed out: identity only on `percpu-cookie` kernels. */
  readonly nsIds: 'none' | 'mnt-only' | 'percpu-cookie' | 'global-counter';
  /** Default `/proc/sys/user/max_*_namespaces` of the initial user namespace. */
  readonly initialLimits: Readonly<Record<NsType, number>>;
  /** Nesting limit of user namespaces: creation fails with ENOSPC when the parent's level is above it. */
  readonly userNestingLimit: number;
  /** Nesting limit of pid namespaces (`MAX_PID_NS_LEVEL`): ENOSPC when the new level would exceed it. */
  readonly pidNestingLimit: number;
  /**
   * Which initial namespaces have fixed inode numbers (include/uapi/linux/nsfs.h `init_ns_ino`);
   * NET and MNT are fixed since 6.18, before that they took dynamic numbers at boot.
   */
  readonly fixedInitInodes: readonly NsType[];
  /**
   * How a pid namespace is destroyed once its last reference is gone:
   * - `sync`: `put_pid_ns` → `destroy_pid_namespace` in the putter's context (≤ 6.13);
   * - `work`: `schedule_work(destroy_pid_namespace_work)` (6.14+, per-pidns pid_max sysctls).
   */
  readonly pidReaper: 'sync' | 'work';
  /** `create_ipc_ns` flushes the pending `free_ipc` work and retries before giving ENOSPC (6.3+; absent in 6.1 — docs/kernel-versions.md). */
  readonly ipcCreateFlushRetry: boolean;
  /**
   * pidfd_open(2) of a thread that is not a thread-group leader (without PIDFD_THREAD):
   * kernel/fork.c: pidfd_prepare — EINVAL (6.9–6.12 source), ENOENT (7.3 source; seen on 6.18.44
   * by the differential campaign).
   */
  readonly pidfdOfThread: 'EINVAL' | 'ENOENT';
  /** execve() moves the caller into its `time_for_children` (`exec_task_namespaces`). */
  readonly execEntersTimeForChildren: boolean;
  /** Opening `pid_for_children` before the first child exists: ENOENT (≤ 7.0) or allowed (7.1+; docs/kernel-versions.md). */
  readonly pidForChildrenBeforeInit: 'ENOENT' | 'allowed';
  /**
   * Active references (6.19+): a namespace with references but no active one is inactive — its
   * file handles no longer open, listns no longer lists it. Without them, a file handle opens
   * while the reference count is above zero.
   */
  readonly activeRefs: boolean;
  /** nsfs file handles (`name_to_handle_at` on nsfs; 6.18+). */
  readonly fileHandles: boolean;
  /** The listns(2) system call (6.19+). */
  readonly listns: boolean;
  /** Latencies of the deferred steps (calibrated; see `nslife calibrate`). */
  readonly latency: {
    /** `queue_work(netns_wq)` until `cleanup_net` takes the batch (`llist_del_all`). */
    readonly netnsStart: LatencyRange;
    /** batch taken until device unregistration (pre_exit, `synchronize_rcu_expedited`, rtnl exits). */
    readonly netnsUnregister: LatencyRange;
    /** device unregistration until the remaining pernet exits have run. */
    readonly netnsExit: LatencyRange;
    /** exits done until the end of the final loop (`rcu_barrier()` dominates). */
    readonly netnsFinal: LatencyRange;
    /** `schedule_work` on system_wq until the work function runs (`free_user_ns`, `destroy_pid_namespace_work`, `free_ipc`). */
    readonly workqueue: LatencyRange;
    /** An RCU grace period (`call_rcu`, `synchronize_rcu`, `kfree_rcu`). */
    readonly rcuGrace: LatencyRange;
    /**
     * Reap until the task's credentials are put (`release_task` → `delayed_put_task_struct`,
     * call_rcu → `put_cred_rcu`): the zombie's user namespace reference outlives the reap by this.
     */
    readonly credPut: LatencyRange;
    /** Reap until the task's struct pid is put (`free_pid` → call_rcu `delayed_put_pid`). */
    readonly pidPut: LatencyRange;
  };
  /** How long the operations themselves take on the machine (they are not instantaneous). */
  readonly opDuration: {
    readonly unshareUser: LatencyRange;
    readonly unshareNet: LatencyRange;
    /** Any other namespace creation (unshare/clone of mnt, uts, ipc, pid, cgroup, time). */
    readonly unshareOther: LatencyRange;
    readonly fork: LatencyRange;
    /** Everything else: open, close, setns, ioctl, mount, socket, exit, wait, ... */
    readonly syscall: LatencyRange;
    readonly read: LatencyRange;
  };
}
