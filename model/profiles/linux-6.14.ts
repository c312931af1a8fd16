import type { KernelProfile } from '../profile.ts';
import { linux618 } from './linux-6.18.ts';

/**
 * Linux 6.14–6.17: 6.12's behaviour except that pid namespaces are destroyed from a work item.
 * No source of these releases was read. Every value is one that 6.12.117 (read) and 6.18 share,
 * except `pidReaper`, placed by the release of the change that sets it:
 * - `pidReaper: 'work'`: 7863dcc72d0f "pid: allow pid_max to be set per pid namespace", on the
 *   kernel-6.14.pid branch based on v6.13-rc1 (merged for 6.14); destroy_pid_namespace_work is
 *   in 7.3's kernel/pid_namespace.c and in 6.18.44's kallsyms;
 * - what 6.18 changes (NS_GET_ID for every type, fixed init NET/MNT inode numbers, nsfs file
 *   handles, netns inum freed after rcu_barrier) is the "ns: support file handles" series,
 *   posted 2025-09-12 (after 6.17-rc5) and merged for 6.18, so 6.17 still has 6.12's values.
 *
 * Inode and latency numbers are not measured on these kernels: they are 6.18.44's.
 *
 * @public
 */
export const linux614: KernelProfile = {
  name: 'linux-6.14',
  description: 'Linux 6.14–6.17: as 6.12, but pid namespaces are destroyed from a work item (per-pidns pid_max)',
  releases: { from: '6.14', to: '6.17' },
  inodes: {
    ...linux618.inodes, // dynamicFirst: fs/proc/generic.c PROC_DYNAMIC_FIRST [6.12, 7.3]; the rest: 6.18.44 measurements, not measured on 6.14–6.17
    netInumRelease: 'exit', // net/core/net_namespace.c: net_ns_net_exit → ns_free_inum [6.12]; moved after rcu_barrier by the 6.18 series [not read in 6.14–6.17]
  },
  nsIds: 'mnt-only', // NS_GET_MNTNS_ID since 6.11 [read in 6.12]; NS_GET_ID arrives with the 6.18 series [not read in 6.14–6.17]
  initialLimits: linux618.initialLimits, // kernel/fork.c: fork_init — ucount_max[i] = max_threads/2 [6.12, 7.3]; 96362 is this VM's max_threads/2
  userNestingLimit: 32, // kernel/user_namespace.c: create_user_ns — parent_ns->level > 32 [6.12, 7.3]
  pidNestingLimit: 32, // include/linux/pid_namespace.h: MAX_PID_NS_LEVEL 32 [6.12, 7.3]
  fixedInitInodes: ['user', 'pid', 'uts', 'ipc', 'cgroup', 'time'], // include/linux/proc_ns.h [6.12]; NET/MNT fixed by the 6.18 series (enum init_ns_ino) [not read in 6.14–6.17]
  pidReaper: 'work', // put_pid_ns → schedule_work(destroy_pid_namespace_work), 7863dcc72d0f merged for 6.14 [not read in 6.14–6.17; read in 7.3]
  ipcCreateFlushRetry: true, // ipc/namespace.c: create_ipc_ns — flush_work(&free_ipc_work) and retry, since 6.3 [6.12, 7.3]
  pidfdOfThread: 'EINVAL', // as 6.12 [not confirmed: the ENOENT form arrived between 6.12 and 6.18]
  execEntersTimeForChildren: true, // fs/exec.c: begin_new_exec → exec_task_namespaces, since 6.2 [6.12, 7.3]
  pidForChildrenBeforeInit: 'ENOENT', // kernel/pid_namespace.c: pidns_for_children_get — !child_reaper → ENOENT [6.12; 6.18 exp]
  activeRefs: false, // active references are the 6.19 listns series [6.12: include/linux/ns_common.h one refcount]
  fileHandles: false, // nsfs export_operations arrive with the 6.18 series [6.12: none]
  listns: false, // listns(2) is 6.19 [6.12: not in syscall_64.tbl; 6.18: ENOSYS exp]
  latency: linux618.latency, // not measured on 6.14–6.17: 6.18.44's
  opDuration: linux618.opDuration, // not measured on 6.14–6.17: 6.18.44's
};
