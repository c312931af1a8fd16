import type { KernelProfile } from '../profile.ts';
import { linux618 } from './linux-6.18.ts';

/**
 * Linux 6.1 (read in Debian's linux-source-6.1, 6.1.176). Covers 6.1 only: 6.2 already lets
 * exec enter time_for_children (fs/exec.c: exec_task_namespaces, execve pull for v6.2-rc1), so
 * no later release has all of these values.
 *
 * Inode and latency numbers are not measured on a 6.1 kernel: they are 6.18.44's.
 *
 * @public
 */
export const linux61: KernelProfile = {
  name: 'linux-6.1',
  description:
    'Linux 6.1: no namespace ids, sync pid ns destroy, netns inum freed by the pernet exit, no ipc flush retry, exec keeps the time ns',
  releases: { from: '6.1', to: '6.1' },
  inodes: {
    ...linux618.inodes, // dynamicFirst: fs/proc/generic.c PROC_DYNAMIC_FIRST 0xF0000000 [6.1]; the rest: 6.18.44 measurements, not measured on 6.1
    netInumRelease: 'exit', // net/core/net_namespace.c: net_ns_net_exit → ns_free_inum (pernet exit), before rcu_barrier in cleanup_net [6.1]
  },
  nsIds: 'none', // include/uapi/linux/nsfs.h: only NS_GET_USERNS/PARENT/NSTYPE/OWNER_UID, no id ioctl [6.1]
  initialLimits: linux618.initialLimits, // kernel/fork.c: fork_init — ucount_max[i] = max_threads/2 [6.1]; 96362 is this VM's max_threads/2
  userNestingLimit: 32, // kernel/user_namespace.c: create_user_ns — parent_ns->level > 32 → ENOSPC [6.1]
  pidNestingLimit: 32, // kernel/pid_namespace.c: create_pid_namespace — level > MAX_PID_NS_LEVEL (32) → ENOSPC [6.1]
  // include/linux/proc_ns.h: PROC_{IPC,UTS,USER,PID,CGROUP,TIME}_INIT_INO only; init_net and
  // init_mnt_ns take ns_alloc_inum (net_ns_net_init, alloc_mnt_ns) [6.1]
  fixedInitInodes: ['user', 'pid', 'uts', 'ipc', 'cgroup', 'time'],
  pidReaper: 'sync', // kernel/pid_namespace.c: put_pid_ns → destroy_pid_namespace in the putter's context [6.1]
  ipcCreateFlushRetry: false, // ipc/namespace.c: create_ipc_ns — inc_ipc_namespaces failure → ENOSPC, no flush_work [6.1]
  pidfdOfThread: 'EINVAL', // kernel/fork.c: pidfd_prepare — not a TGID pid → EINVAL [not read in 6.1; pidfd_open on threads refused since 5.3]
  execEntersTimeForChildren: false, // fs/exec.c has no exec_task_namespaces; kernel/nsproxy.c: timens_on_fork only in copy_namespaces [6.1]
  pidForChildrenBeforeInit: 'ENOENT', // kernel/pid_namespace.c: pidns_for_children_get — !child_reaper → NULL; fs/nsfs.c: ns_get_path_cb → -ENOENT [6.1]
  activeRefs: false, // include/linux/ns_common.h: one refcount (ns.count) [6.1]
  fileHandles: false, // fs/nsfs.c: no export_operations [6.1]
  listns: false, // arch/x86/entry/syscalls/syscall_64.tbl: no listns [6.1]
  latency: linux618.latency, // not measured on 6.1: 6.18.44's
  opDuration: linux618.opDuration, // not measured on 6.1: 6.18.44's
};
