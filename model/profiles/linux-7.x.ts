import type { KernelProfile } from '../profile.ts';
import { linux618 } from './linux-6.18.ts';

/**
 * Linux 7.x (read in Debian's linux-source-7.3, 7.3.4): active references, listns(2), global
 * namespace ids, and `pid_for_children` opens before the namespace has an init. Covers 7.1–7.3:
 * 7.3 is read; the pid_for_children change was posted on 2026-02-23, after the 7.0 merge window,
 * so 7.1 is the earliest release that can have it — that 7.1 and 7.2 have it is [not confirmed].
 * Releases after 7.3 are not covered until someone reads them.
 *
 * Inode and latency numbers are not measured on a 7.x kernel: they are 6.18.44's.
 *
 * @public
 */
export const linux7x: KernelProfile = {
  name: 'linux-7.x',
  description:
    'Linux 7.1–7.3: active references, listns, global namespace ids, pid_for_children opens before the first child',
  releases: { from: '7.1', to: '7.3' },
  inodes: {
    ...linux618.inodes, // dynamicFirst: fs/proc/generic.c PROC_DYNAMIC_FIRST 0xF0000000 [7.3]; the rest: 6.18.44 measurements, not measured on 7.x
    netInumRelease: 'final', // net/core/net_namespace.c: cleanup_net — ns_common_free after rcu_barrier and net_complete_free [7.3]
  },
  nsIds: 'global-counter', // kernel/nstree.c: __ns_tree_gen_id — atomic64_inc_return from NS_LAST_INIT_ID + 1; init ids 1–8 (uapi enum init_ns_id) [7.3]
  initialLimits: linux618.initialLimits, // kernel/fork.c: fork_init — ucount_max[i] = max_threads/2 [7.3]; 96362 is this VM's max_threads/2
  userNestingLimit: 32, // kernel/user_namespace.c: create_user_ns — parent_ns->level > 32 → ENOSPC [7.3]
  pidNestingLimit: 32, // include/linux/pid_namespace.h: MAX_PID_NS_LEVEL 32; create_pid_namespace → ENOSPC [7.3]
  fixedInitInodes: ['user', 'pid', 'net', 'mnt', 'uts', 'ipc', 'cgroup', 'time'], // include/uapi/linux/nsfs.h: enum init_ns_ino; include/linux/ns_common.h: ns_common_init uses ns_init_inum for init ns [7.3]
  pidReaper: 'work', // kernel/pid_namespace.c: put_pid_ns → schedule_work; destroy_pid_namespace_work [7.3]
  ipcCreateFlushRetry: true, // ipc/namespace.c: create_ipc_ns — flush_work(&free_ipc_work) and retry [7.3]
  pidfdOfThread: 'ENOENT', // kernel/fork.c: pidfd_prepare — `!pid_has_task(pid, PIDTYPE_TGID)` → ENOENT [7.3]
  execEntersTimeForChildren: true, // fs/exec.c: begin_new_exec → exec_task_namespaces (kernel/nsproxy.c) [7.3]
  pidForChildrenBeforeInit: 'allowed', // kernel/pid_namespace.c: pidns_for_children_get — no child_reaper test [7.3]; selftest pid_namespace/pidns_init_via_setns
  activeRefs: true, // include/linux/ns/ns_common_types.h: __ns_ref_active; kernel/nscommon.c: __ns_ref_active_get/put [7.3]
  fileHandles: true, // fs/nsfs.c: nsfs_export_operations; nsfs_fh_to_dentry refuses inactive ns (ns_get_unless_inactive) [7.3]
  listns: true, // kernel/nstree.c: SYSCALL_DEFINE4(listns); arch/x86/entry/syscalls/syscall_64.tbl 470 [7.3]
  latency: linux618.latency, // not measured on 7.x: 6.18.44's
  opDuration: linux618.opDuration, // not measured on 7.x: 6.18.44's
};
