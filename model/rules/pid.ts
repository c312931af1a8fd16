import type { KernelProfile } from '../profile.ts';
import type { Reaper } from './reaper.ts';

/**
 * The pid namespace reaper. The last reference usually comes from `put_pid` of the last struct
 * pid, from the RCU callback `delayed_put_pid` after the reap (the model's deferred pid put).
 * - ≤ 6.13: `put_pid_ns` → `destroy_pid_namespace` in the putter's context, looping up the
 *   parents whose count drops to 0; `call_rcu(delayed_free_pidns)` gives the ucount back and
 *   puts the owner after a grace period (kernel/pid_namespace.c [6.1, 6.12]).
 * - 6.14+: `put_pid_ns` → `schedule_work(&ns->work)`; `destroy_pid_namespace_work` loops the
 *   same way (kernel/pid_namespace.c [6.18 kallsyms, 7.3]).
 *
 * @public
 */
export function pidReaper(p: KernelProfile): Reaper {
  const work = p.pidReaper === 'work';
  return {
    kind: work ? 'work-item' : 'sync',
    fn: work ? 'destroy_pid_namespace_work' : 'destroy_pid_namespace',
    queue: work ? 'system_wq' : 'none (the last putter)',
    queuedBy: work
      ? 'kernel/pid_namespace.c: put_pid_ns (schedule_work) [6.14+]'
      : 'kernel/pid_namespace.c: put_pid_ns [≤6.13]',
    steps: [
      {
        id: 'destroy',
        source:
          'kernel/pid_namespace.c: destroy_pid_namespace — ns_tree_remove [6.18+]; unregister_pidns_sysctls [6.14+]; ns_free_inum/ns_common_free (inum); idr_destroy; call_rcu(delayed_free_pidns); then the parent',
        latency: work ? 'workqueue' : null,
        releases: ['tree', 'inum', 'parent-ref'],
      },
      {
        id: 'rcu',
        source:
          'kernel/pid_namespace.c: delayed_free_pidns — dec_pid_namespaces (ucount); put_user_ns; kmem_cache_free',
        latency: 'rcuGrace',
        releases: ['ucount', 'owner-ref'],
      },
    ],
  };
}
