import type { KernelProfile } from '../profile.ts';
import type { Reaper } from './reaper.ts';

/**
 * The netns reaper: `__put_net` adds the net to `cleanup_list` and only the first adder queues
 * `net_cleanup_work` on the ordered `netns_wq`; `cleanup_net` takes everything queued as one batch.
 * net/core/net_namespace.c: __put_net, cleanup_net [6.1, 6.12, 6.18 (as quoted), 7.3].
 *
 * @public
 */
export function netReaper(p: KernelProfile): Reaper {
  const inumAtExit = p.inodes.netInumRelease === 'exit';
  return {
    kind: 'batched-worker',
    fn: 'cleanup_net',
    queue: 'netns_wq (create_singlethread_workqueue: ordered, one run at a time)',
    queuedBy: 'net/core/net_namespace.c: __put_net (llist_add(&net->cleanup_list); first adder queue_work)',
    steps: [
      {
        id: 'start',
        // llist_del_all is an atomic snapshot: nets put later wait for the next run.
        source:
          'net/core/net_namespace.c: cleanup_net — llist_del_all(&cleanup_list); ns_tree_remove [6.18+]; list_del_rcu(&net->list); unhash_nsid',
        latency: 'netnsStart',
        releases: p.nsIds === 'percpu-cookie' || p.nsIds === 'global-counter' ? ['tree'] : [],
      },
      {
        id: 'unregister',
        // The loopback device goes first: its /proc/net/dev_snmp6/lo inode comes back long before
        // the others [exp on 6.18.44: ~0.3 ms after the last put].
        source:
          'net/core/net_namespace.c: ops_undo_list — pre_exit; synchronize_rcu_expedited(); ops_exit_rtnl_list → unregister_netdevice_many (default_device_exit_batch)',
        latency: 'netnsUnregister',
        releases: ['device-proc-inodes'],
      },
      {
        id: 'exit',
        // net_ns_ops is registered first, so its exit (net_ns_net_exit → ns_free_inum) runs
        // last among the exits [≤6.17]; 6.18 moved the inum release to the final loop.
        // Approximation, seen on 6.18.44: ops_undo_list runs the exits op by op (reverse
        // registration order, 7.3 source), so the /proc/net numbers come back in pieces while
        // another netns may be registering its own; here they come back in one step
        // (test/fixtures/traces/seed-10ms-1.jsonl is the known gap this leaves).
        source: inumAtExit
          ? 'net/core/net_namespace.c: ops_undo_list — ops->exit / exit_batch (proc_net_remove ...), net_ns_net_exit → ns_free_inum [6.1, 6.12]'
          : 'net/core/net_namespace.c: ops_undo_list — ops->exit / exit_batch (proc_net_remove ...); ops_free_list',
        latency: 'netnsExit',
        releases: inumAtExit ? ['proc-inodes', 'inum'] : ['proc-inodes'],
      },
      {
        id: 'final',
        source: inumAtExit
          ? 'net/core/net_namespace.c: cleanup_net — rcu_barrier(); dec_net_namespaces; put_user_ns; net_passive_dec [6.1, 6.12]'
          : 'net/core/net_namespace.c: cleanup_net — rcu_barrier(); ns_common_free (inum); dec_net_namespaces; put_user_ns; net_passive_dec [6.18+]',
        latency: 'netnsFinal',
        releases: inumAtExit ? ['ucount', 'owner-ref'] : ['inum', 'ucount', 'owner-ref'],
      },
    ],
  };
}
