import type { KernelProfile } from '../profile.ts';
import { range } from '../time.ts';

/**
 * Linux 6.18 — the kernel of the machine nslife was built on (6.18.44).
 * Latencies and the /proc/net entry count are measured there (test/fixtures/traces, tracefs).
 *
 * @public
 */
export const linux618: KernelProfile = {
  name: 'linux-6.18',
  description:
    'Linux 6.18: ns_tree and NS_GET_ID for every type, per-CPU id batches, netns inum freed after rcu_barrier',
  releases: { from: '6.18', to: '6.18' },
  inodes: {
    dynamicFirst: 0xf0000000, // PROC_DYNAMIC_FIRST, fs/proc/generic.c
    modelStart: 4026532175, // lowest free proc inum on a freshly booted 6.18.44 VM [exp]
    netProcEntries: 64, // find /proc/self/net in a fresh netns: 64 entries + the ns [exp 6.18.44]
    netDeviceProcEntries: 1, // /proc/net/dev_snmp6/lo [exp]
    netInumRelease: 'final', // cleanup_net: ns_common_free after rcu_barrier [6.18+]
  },
  nsIds: 'percpu-cookie', // kernel/nstree.c ns_tree_gen_id → gen_cookie_next (COOKIE_LOCAL_BATCH 4096)
  initialLimits: {
    // init_user_ns: ucount_max = max_threads / 2 (kernel/ucount.c: setup_userns_sysctls, user_namespace_sysctl_init)
    user: 96362,
    pid: 96362,
    net: 96362,
    mnt: 96362,
    uts: 96362,
    ipc: 96362,
    cgroup: 96362,
    time: 96362,
  },
  userNestingLimit: 32, // create_user_ns: parent_ns->level > 32 → ENOSPC
  latency: {
    netnsStart: range(0, 5),
    netnsUnregister: range(0.02, 10),
    netnsExit: range(0.5, 60),
    netnsFinal: range(0.5, 80),
    userFree: range(0.5, 100),
  },
  opDuration: {
    unshareUser: range(0.005, 1),
    unshareNet: range(0.2, 10),
    read: range(0.002, 1),
  },
};
