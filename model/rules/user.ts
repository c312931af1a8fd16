import type { Reaper } from './reaper.ts';

/**
 * The user namespace reaper: `__put_user_ns` → `schedule_work(&ns->work)` on system_wq; the work
 * frees the namespace, then drops the parent's reference and loops up while parents die too.
 * kernel/user_namespace.c: __put_user_ns, free_user_ns [6.1, 6.12, 6.18, 7.3].
 * The last reference usually comes from `put_cred_rcu` (an RCU callback after the task is
 * reaped: the model's deferred cred put, `credPut`).
 *
 * @public
 */
export function userReaper(): Reaper {
  return {
    kind: 'work-item',
    fn: 'free_user_ns',
    queue: 'system_wq',
    queuedBy: 'kernel/user_namespace.c: __put_user_ns (schedule_work)',
    steps: [
      {
        id: 'free',
        // inum before ucount, both in the same work callback; the parent is put last.
        source:
          'kernel/user_namespace.c: free_user_ns — ns_tree_remove [6.18+]; ns_free_inum/ns_common_free (inum); dec_user_namespaces (ucount, charged in the parent); put parent',
        latency: 'workqueue',
        releases: ['tree', 'inum', 'ucount', 'parent-ref'],
      },
    ],
  };
}
