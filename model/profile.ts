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
    /** last cred put (task reaped) until `free_user_ns` runs (RCU grace period + system_wq). */
    readonly userFree: LatencyRange;
  };
  /** How long the operations themselves take on the machine (they are not instantaneous). */
  readonly opDuration: {
    readonly unshareUser: LatencyRange;
    readonly unshareNet: LatencyRange;
    readonly read: LatencyRange;
  };
}
