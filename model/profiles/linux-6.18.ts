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
    // init_user_ns: ucount_max[i] = max_threads / 2 (kernel/fork.c: fork_init [6.1, 6.12, 7.3]); 96362 on this VM
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
  pidNestingLimit: 32, // create_pid_namespace: level > MAX_PID_NS_LEVEL (32) → ENOSPC
  fixedInitInodes: ['user', 'pid', 'net', 'mnt', 'uts', 'ipc', 'cgroup', 'time'], // init_ns_ino: NET, MNT new in 6.18
  pidReaper: 'work', // put_pid_ns → schedule_work(destroy_pid_namespace_work) since 6.14 (7863dcc72d0f); kallsyms 6.18.44
  ipcCreateFlushRetry: true, // ipc/namespace.c: create_ipc_ns — flush_work(&free_ipc_work) and retry (since 6.3; absent in 6.1)
  pidfdOfThread: 'ENOENT', // [exp 6.18.44: campaign seed 11] matches 7.3's pidfd_prepare: not a thread-group leader → ENOENT
  execEntersTimeForChildren: true, // fs/exec.c → exec_task_namespaces (timens_on_fork) [exp 6.18.44]
  pidForChildrenBeforeInit: 'ENOENT', // kernel/pid_namespace.c: pidns_for_children_get — no child_reaper → ENOENT [exp]
  activeRefs: false, // __ns_ref_active arrives in 6.19
  fileHandles: true, // fs/nsfs.c: nsfs_export_operations (6.18)
  listns: false, // listns(2) is 6.19+; ENOSYS here [exp]
  // Measured on 6.18.44 (2 CPUs), test/fixtures/traces seed-* (29 traces, 70 cleanup_net runs,
  // tracefs): start→end 29.6–67.2 ms (median 36.5); queue→start a few µs to 2 ms when the
  // worker is idle. Inside a run, from where new netns numbers land (/proc/net runs): the lo
  // device entry is back within ~1 ms of the start (0–5 ms sweeps: netns #3 at +64; once later,
  // +130), the other /proc/net entries 10–25 ms after it (10/20 ms sweeps: #3 or #4 at +1, once
  // in the middle of a setup_net: +21), the netns number itself only at the end (never reused
  // within 20 ms; at 50 ms a run once was still going), at least 8.8 ms after the exits.
  latency: {
    netnsStart: range(0, 2),
    netnsUnregister: range(0.02, 10),
    netnsExit: range(8, 30),
    netnsFinal: range(5, 45),
    // Work items and grace periods, measured by `nslife calibrate` on the 71 traces of
    // test/fixtures/traces (tracefs, 6.18.44, 2 CPUs, loaded VM): workqueue queue→start
    // n=21 0.008–0.207 ms (median 0.014); free_ipc's synchronize_rcu n=6 4.4–19.9 ms; reap →
    // free_user_ns n=6 41.4–59.9 ms (the live test saw the handle go stale 47–52 ms after the
    // reap). The ranges below are wider on purpose: load stretches them. pidPut: no trace yet
    // shows a pid namespace dying by a reap (KERNEL-RULES 7.7: handle stale ~17 ms after).
    workqueue: range(0.001, 5),
    rcuGrace: range(0.1, 40),
    credPut: range(0.1, 80),
    pidPut: range(0.1, 40),
  },
  opDuration: {
    unshareUser: range(0.005, 1),
    unshareNet: range(0.2, 10),
    unshareOther: range(0.005, 2),
    fork: range(0.05, 5),
    syscall: range(0.002, 1),
    read: range(0.002, 1),
  },
};
