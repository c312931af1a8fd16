import type { Reaper } from './reaper.ts';

/**
 * The ipc namespace reaper: `put_ipc_ns` (refcount_dec_and_lock with mq_lock, mq_clear_sbinfo,
 * ns_tree_remove [6.18+]) adds the namespace to `free_ipc_list`; the first adder schedules the
 * one static `free_ipc_work`, which takes the whole list, waits a grace period and frees each.
 * ipc/namespace.c: put_ipc_ns, free_ipc, free_ipc_ns [6.1, 6.12, 7.3].
 *
 * @public
 */
export function ipcReaper(): Reaper {
  return {
    kind: 'batched-worker',
    fn: 'free_ipc',
    queue: 'system_wq (one static work item, free_ipc_work)',
    queuedBy: 'ipc/namespace.c: put_ipc_ns (llist_add(&ns->mnt_llist, &free_ipc_list); first adder schedule_work)',
    steps: [
      {
        id: 'start',
        source: 'ipc/namespace.c: free_ipc — llist_del_all(&free_ipc_list); mnt_make_shortterm(mq_mnt)',
        latency: 'workqueue',
        releases: ['tree'],
      },
      {
        id: 'final',
        // ucount before inum (same callback).
        source:
          'ipc/namespace.c: free_ipc — synchronize_rcu(); free_ipc_ns: mntput(mq_mnt), sem/msg/shm_exit_ns, dec_ipc_namespaces (ucount), put_user_ns, ns_free_inum/ns_common_free (inum)',
        latency: 'rcuGrace',
        releases: ['ucount', 'owner-ref', 'inum'],
      },
    ],
  };
}
