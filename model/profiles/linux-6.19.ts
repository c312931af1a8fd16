import type { KernelProfile } from '../profile.ts';
import { linux618 } from './linux-6.18.ts';

/**
 * Linux 6.19–7.0: the listns(2) / active-reference series (mainline merge 415d34b92c1f "Pull
 * namespace updates": listns, active reference counting), with the global id counter — but
 * opening `pid_for_children` before the first child still fails. The change that lets it open
 * (pidns_for_children_get without the child_reaper test; selftest pidns_init_via_setns) was
 * posted by Pavel Tikhomirov on 2026-02-23 (LKML, reply by Andrei Vagin), after 6.19 was
 * released and after the 7.0 merge window closed.
 *
 * No 6.19 or 7.0 source was read: the other values are 7.3.4's (read), which the series set.
 * 7.0 in this range is inferred from the patch date [not confirmed].
 *
 * Inode and latency numbers are not measured on these kernels: they are 6.18.44's.
 *
 * @public
 */
export const linux619: KernelProfile = {
  name: 'linux-6.19',
  description:
    'Linux 6.19–7.0: active references, listns, global namespace ids; pid_for_children still ENOENT before the first child',
  releases: { from: '6.19', to: '7.0' },
  inodes: {
    ...linux618.inodes, // dynamicFirst: fs/proc/generic.c PROC_DYNAMIC_FIRST [7.3]; the rest: 6.18.44 measurements, not measured on 6.19/7.0
    netInumRelease: 'final', // net/core/net_namespace.c: cleanup_net — ns_common_free after rcu_barrier, since 6.18 [7.3; not read in 6.19/7.0]
  },
  nsIds: 'global-counter', // kernel/nstree.c: __ns_tree_gen_id — atomic64_inc_return from NS_LAST_INIT_ID + 1; init ids 1–8 (uapi enum init_ns_id) [7.3; 6.19 per KERNEL-RULES §5.1, not read]
  initialLimits: linux618.initialLimits, // kernel/fork.c: fork_init — ucount_max[i] = max_threads/2 [7.3]; 96362 is this VM's max_threads/2
  userNestingLimit: 32, // kernel/user_namespace.c: create_user_ns — parent_ns->level > 32 → ENOSPC [7.3]
  pidNestingLimit: 32, // include/linux/pid_namespace.h: MAX_PID_NS_LEVEL 32; create_pid_namespace → ENOSPC [7.3]
  fixedInitInodes: ['user', 'pid', 'net', 'mnt', 'uts', 'ipc', 'cgroup', 'time'], // include/uapi/linux/nsfs.h: enum init_ns_ino; include/linux/ns_common.h: ns_common_init uses ns_init_inum for init ns [7.3]
  pidReaper: 'work', // kernel/pid_namespace.c: put_pid_ns → schedule_work; destroy_pid_namespace_work [7.3]
  ipcCreateFlushRetry: true, // ipc/namespace.c: create_ipc_ns — flush_work(&free_ipc_work) and retry [7.3]
  pidfdOfThread: 'ENOENT', // kernel/fork.c: pidfd_prepare [7.3 source; 6.18.44 live]
  execEntersTimeForChildren: true, // fs/exec.c: begin_new_exec → exec_task_namespaces (kernel/nsproxy.c) [7.3]
  pidForChildrenBeforeInit: 'ENOENT', // kernel/pid_namespace.c: pidns_for_children_get — !child_reaper → ENOENT [6.12 read; 6.18 exp]; removal posted 2026-02-23, after 6.19's release [not read in 6.19/7.0]
  activeRefs: true, // include/linux/ns/ns_common_types.h: __ns_ref_active; kernel/nscommon.c [7.3]; merged with listns (415d34b92c1f) [6.19 not read]
  fileHandles: true, // fs/nsfs.c: nsfs_export_operations; nsfs_fh_to_dentry refuses inactive ns (ns_get_unless_inactive) [7.3]
  listns: true, // kernel/nstree.c: SYSCALL_DEFINE4(listns); syscall_64.tbl 470 [7.3]; merged for 6.19 (415d34b92c1f) [6.19 not read]
  latency: linux618.latency, // not measured on 6.19/7.0: 6.18.44's
  opDuration: linux618.opDuration, // not measured on 6.19/7.0: 6.18.44's
};
