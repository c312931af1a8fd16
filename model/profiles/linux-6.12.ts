import type { KernelProfile } from '../profile.ts';
import { linux618 } from './linux-6.18.ts';

/**
 * Linux 6.12 LTS (read in Debian's linux-source-6.12, 6.12.117). Covers 6.11–6.13: the nearest
 * changes of its fields are NS_GET_MNTNS_ID, new in 6.11 (vfs-6.11.mount pull: "fs: add an
 * ioctl to get the mnt ns id from nsfs"), and the per-pidns pid_max work that makes pid
 * namespace destruction deferred in 6.14 (7863dcc72d0f, on the kernel-6.14.pid branch based
 * on v6.13-rc1). 6.11 and 6.13 themselves are not read: their values follow from those dates.
 *
 * Inode and latency numbers are not measured on a 6.12 kernel: they are 6.18.44's.
 *
 * @public
 */
export const linux612: KernelProfile = {
  name: 'linux-6.12',
  description:
    'Linux 6.12: mount ns ids only, sync pid ns destroy, netns inum freed by the pernet exit, ipc flush retry, exec enters the time ns',
  releases: { from: '6.11', to: '6.13' },
  inodes: {
    ...linux618.inodes, // dynamicFirst: fs/proc/generic.c PROC_DYNAMIC_FIRST 0xF0000000 [6.12]; the rest: 6.18.44 measurements, not measured on 6.12
    netInumRelease: 'exit', // net/core/net_namespace.c: net_ns_net_exit → ns_free_inum (pernet exit), before rcu_barrier in cleanup_net [6.12]
  },
  nsIds: 'mnt-only', // include/uapi/linux/nsfs.h: NS_GET_MNTNS_ID only; fs/namespace.c: alloc_mnt_ns — seq = atomic64_add_return(1, &mnt_ns_seq) [6.12]
  initialLimits: linux618.initialLimits, // kernel/fork.c: fork_init — ucount_max[i] = max_threads/2 [6.12]; 96362 is this VM's max_threads/2
  userNestingLimit: 32, // kernel/user_namespace.c: create_user_ns — parent_ns->level > 32 → ENOSPC [6.12]
  pidNestingLimit: 32, // kernel/pid_namespace.c: create_pid_namespace — level > MAX_PID_NS_LEVEL (32) → ENOSPC [6.12]
  // include/linux/proc_ns.h: PROC_{IPC,UTS,USER,PID,CGROUP,TIME}_INIT_INO only; init_net and
  // init_mnt_ns take ns_alloc_inum (net_ns_net_init, alloc_mnt_ns) [6.12]
  fixedInitInodes: ['user', 'pid', 'uts', 'ipc', 'cgroup', 'time'],
  pidReaper: 'sync', // kernel/pid_namespace.c: put_pid_ns → destroy_pid_namespace in the putter's context [6.12]
  ipcCreateFlushRetry: true, // ipc/namespace.c: create_ipc_ns — flush_work(&free_ipc_work) and retry [6.12] (since 6.3)
  pidfdOfThread: 'EINVAL', // kernel/fork.c: pidfd_prepare — !pid_has_task(pid, PIDTYPE_TGID) → EINVAL [6.12 source]
  execEntersTimeForChildren: true, // fs/exec.c: begin_new_exec → exec_task_namespaces → timens_on_fork (kernel/nsproxy.c) [6.12]
  pidForChildrenBeforeInit: 'ENOENT', // kernel/pid_namespace.c: pidns_for_children_get — !child_reaper → NULL; fs/nsfs.c: ns_get_path_cb → -ENOENT [6.12]
  activeRefs: false, // include/linux/ns_common.h: one refcount (ns.count) [6.12]
  fileHandles: false, // fs/nsfs.c: no export_operations [6.12]
  listns: false, // arch/x86/entry/syscalls/syscall_64.tbl: no listns [6.12]
  latency: linux618.latency, // not measured on 6.12: 6.18.44's
  opDuration: linux618.opDuration, // not measured on 6.12: 6.18.44's
};
