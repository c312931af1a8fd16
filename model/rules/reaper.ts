import type { KernelProfile } from '../profile.ts';

/**
 * What a reaper step gives back.
 * - `tree`: removed from the ns tree (file handles stop decoding; 6.18+);
 * - `device-proc-inodes`: inode numbers of per-device /proc/net entries (`dev_snmp6/lo`);
 * - `proc-inodes`: inode numbers of the other /proc/net entries;
 * - `inum`: the namespace's own inode number;
 * - `ucount`: the `max_*_namespaces` charge, all the way up the user namespace chain;
 * - `owner-ref`: the reference on the owning user namespace;
 * - `parent-ref`: the reference on the parent (user, pid); a parent whose last reference this
 *   was is freed by the same reaper at once (the kernel's loop up the parent chain);
 * - `mounts`: every mount of a mount namespace (umount_tree), which drops what they pin.
 *
 * @public
 */
export type Release =
  'tree' | 'device-proc-inodes' | 'proc-inodes' | 'inum' | 'ucount' | 'owner-ref' | 'parent-ref' | 'mounts';

/**
 * One step of a reaper, in the kernel's order.
 *
 * @remarks Since 0.1.0
 * @public
 */
export interface ReaperStep {
  readonly id: string;
  /** Kernel function(s) this step is, `file: function [versions]`. */
  readonly source: string;
  /**
   * Delay from the previous step (or, for the first, from the last put), a key of
   * `profile.latency`; null = same instant (the first step of a synchronous reaper runs in the
   * last putter's context).
   */
  readonly latency: keyof KernelProfile['latency'] | null;
  readonly releases: readonly Release[];
}

/**
 * How a namespace type is freed once its last reference is gone.
 * - `sync`: in the context of the last putter;
 * - `batched-worker`: queued on a list, one ordered worker takes all queued as one batch;
 * - `work-item`: one work item per namespace on `system_wq`.
 *
 * @public
 */
export interface Reaper {
  readonly kind: 'sync' | 'batched-worker' | 'work-item';
  /** The kernel function that does the work (trace event names: `model.<fn>.<step>`). */
  readonly fn: string;
  /** Where the work is queued (`netns_wq`, `system_wq`). */
  readonly queue: string;
  /** The function that puts the namespace on the queue. */
  readonly queuedBy: string;
  readonly steps: readonly ReaperStep[];
}
