import type { Reaper } from './reaper.ts';

/**
 * The reaper of uts, cgroup and time namespaces: synchronous, in the last putter's context;
 * ucount, owner, inum, in that order; the struct itself is freed after a grace period
 * (kfree_rcu, 6.18+), which nothing observes.
 * kernel/utsname.c: free_uts_ns; kernel/cgroup/namespace.c: free_cgroup_ns;
 * kernel/time/namespace.c: free_time_ns [6.1, 6.12, 6.18 (as quoted), 7.3].
 *
 * @public
 */
export function simpleReaper(fn: 'free_uts_ns' | 'free_cgroup_ns' | 'free_time_ns'): Reaper {
  const file = {
    free_uts_ns: 'kernel/utsname.c',
    free_cgroup_ns: 'kernel/cgroup/namespace.c',
    free_time_ns: 'kernel/time/namespace.c',
  }[fn];
  return {
    kind: 'sync',
    fn,
    queue: 'none (the last putter)',
    queuedBy: `${file}: put_* (refcount drop to 0)`,
    steps: [
      {
        id: 'free',
        // ucount before inum [exp 6.18.44: reusable and uncharged at once after the last task exits].
        source: `${file}: ${fn} — ns_tree_remove [6.18+]; dec_*_namespaces (ucount); put_user_ns; ns_free_inum/ns_common_free (inum)`,
        latency: null,
        releases: ['tree', 'ucount', 'owner-ref', 'inum'],
      },
    ],
  };
}
