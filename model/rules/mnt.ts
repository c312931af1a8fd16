import type { Reaper } from './reaper.ts';

/**
 * The mount namespace reaper: synchronous, in the last putter's context (task exit, last nsfs
 * fd close, setns/unshare switch). `put_mnt_ns` unmounts the whole tree; `namespace_unlock`
 * frees the namespace (inum, ucount) and then drops the unmounted mounts — which drops what
 * they pin (nsfs bind mounts, procfs superblocks), possibly freeing other namespaces in turn.
 * The owner reference goes with the passive count after a grace period (`mnt_ns_release_rcu`).
 * fs/namespace.c: put_mnt_ns, namespace_unlock, free_mnt_ns, mnt_ns_tree_remove [6.18, 7.3];
 * 6.1 puts the owner in free_mnt_ns itself [not confirmed on the kernel: no 6.1 machine].
 *
 * @public
 */
export function mntReaper(): Reaper {
  return {
    kind: 'sync',
    fn: 'free_mnt_ns',
    queue: 'none (the last putter)',
    queuedBy: 'fs/namespace.c: put_mnt_ns',
    steps: [
      {
        id: 'free',
        source:
          'fs/namespace.c: put_mnt_ns → umount_tree; namespace_unlock → free_mnt_ns (ns_common_free: inum; dec_mnt_namespaces: ucount; ns_tree_remove), synchronize_rcu_expedited, mntput of every unmounted mount',
        latency: null,
        releases: ['inum', 'ucount', 'tree', 'mounts'],
      },
      {
        id: 'rcu',
        source: 'fs/namespace.c: mnt_ns_release_rcu → mnt_ns_release (passive 0: put_user_ns, kfree) [6.12+]',
        latency: 'rcuGrace',
        releases: ['owner-ref'],
      },
    ],
  };
}
