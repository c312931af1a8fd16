import type { NsType } from '../nsType.ts';
import type { KernelProfile } from '../profile.ts';
import { ipcReaper } from './ipc.ts';
import { mntReaper } from './mnt.ts';
import { netReaper } from './net.ts';
import { pidReaper } from './pid.ts';
import type { Reaper } from './reaper.ts';
import { simpleReaper } from './simple.ts';
import { userReaper } from './user.ts';

/**
 * A holder kind: something that keeps a reference on a namespace.
 *
 * @public
 */
export interface HolderRule {
  readonly holder: string;
  /** `ref`: keeps the namespace alive (`__ns_ref`); `passive`: memory only. */
  readonly kind: 'ref' | 'passive';
  readonly source: string;
}

/**
 * The rules row of one namespace type — the model's `proc_ns_operations`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export interface NsRules {
  readonly type: NsType;
  /** The `CLONE_NEW*` flag. */
  readonly flag: string;
  /** The function that creates it on clone/unshare. */
  readonly createdBy: string;
  /**
   * Where a task holds it: in its credentials (user), through its struct pid (pid: the task's
   * own; the nsproxy's `pid_for_children` for its children), or in its nsproxy. For pid and
   * time, unshare fills the `*_for_children` slot only: the caller's children enter it.
   */
  readonly heldBy: 'cred' | 'struct-pid' | 'nsproxy';
  /** unshare/clone put the new namespace in `*_for_children` (pid, time), not in the caller's own slot. */
  readonly forChildren: boolean;
  /** Owner: the creator's user namespace (after a simultaneous CLONE_NEWUSER). User namespaces: the parent. */
  readonly owner: string;
  /** The user namespace charged for `max_<type>_namespaces`. */
  readonly charges: 'parent-user-ns' | 'owner';
  /** Inode numbers taken at creation beyond the namespace's own (its /proc/net entries). */
  readonly extraInodes: (p: KernelProfile) => number;
  readonly holders: readonly HolderRule[];
  readonly reaper: (p: KernelProfile) => Reaper;
}

const NSFS: HolderRule = {
  holder: 'its nsfs inode: every open /proc/*/ns file and every bind mount of one share it and it holds one reference',
  kind: 'ref',
  source: 'fs/nsfs.c: ns_get_path_cb, path_from_stashed, nsfs_evict [6.1–7.3]',
};
const NSPROXY = (slot: string): HolderRule => ({
  holder: `task nsproxy (nsproxy->${slot}), dropped at exit (exit_task_namespaces), before the zombie stage`,
  kind: 'ref',
  source: 'kernel/nsproxy.c: create_new_namespaces, free_nsproxy; kernel/exit.c: do_exit',
});
/**
 * One row per namespace type, the kernel's shape (include/linux/proc_ns.h: one ops row per type).
 *
 * @public
 */
export const NS_RULES: Readonly<Record<NsType, NsRules>> = {
  user: {
    type: 'user',
    flag: 'CLONE_NEWUSER',
    // create_user_ns: level check, inc_user_namespaces(parent), ns_common_init (inum), parent
    // takes over the creator cred's reference. kernel/user_namespace.c [6.1–7.3]
    createdBy: 'kernel/user_namespace.c: create_user_ns (via unshare_userns / copy_creds)',
    heldBy: 'cred',
    forChildren: false,
    owner: 'its parent',
    charges: 'parent-user-ns',
    extraInodes: () => 0,
    holders: [
      {
        holder: 'task credentials (cred->user_ns), of zombies too until reaped (put after an RCU grace period)',
        kind: 'ref',
        source: 'kernel/cred.c: prepare_creds, __put_cred → call_rcu(put_cred_rcu); kernel/exit.c: release_task',
      },
      {
        holder: "open files' credentials (file->f_cred), any kind of file",
        kind: 'ref',
        source: 'fs/file_table.c: alloc_empty_file (get_cred), __fput → put_cred',
      },
      {
        holder: 'child user namespaces (ns->parent)',
        kind: 'ref',
        source: 'kernel/user_namespace.c: create_user_ns, free_user_ns',
      },
      {
        holder: 'owned namespaces (->user_ns) until their reaper puts it',
        kind: 'ref',
        source: 'each create function: get_user_ns; each free function: put_user_ns',
      },
      {
        holder: 'its ucounts entries while they carry a charge',
        kind: 'ref',
        source: 'kernel/ucount.c: alloc_ucounts (get_user_ns), put_ucounts (put_user_ns)',
      },
      NSFS,
    ],
    reaper: () => userReaper(),
  },
  pid: {
    type: 'pid',
    flag: 'CLONE_NEWPID',
    createdBy: 'kernel/pid_namespace.c: copy_pid_ns → create_pid_namespace',
    heldBy: 'struct-pid',
    forChildren: true,
    owner: "the creator's user namespace",
    charges: 'owner',
    extraInodes: () => 0,
    holders: [
      {
        holder: 'struct pid of its members (task until reaped, then an RCU grace period; every pidfd)',
        kind: 'ref',
        source: 'kernel/pid.c: alloc_pid (get_pid_ns), put_pid → put_pid_ns, free_pid → call_rcu(delayed_put_pid)',
      },
      NSPROXY('pid_ns_for_children'),
      {
        holder: 'child pid namespaces (ns->parent)',
        kind: 'ref',
        source: 'kernel/pid_namespace.c: create_pid_namespace',
      },
      {
        holder: 'procfs superblocks (fs_info->pid_ns)',
        kind: 'ref',
        source: 'fs/proc/root.c: proc_init_fs_context, proc_kill_sb',
      },
      NSFS,
    ],
    reaper: (p) => pidReaper(p),
  },
  net: {
    type: 'net',
    flag: 'CLONE_NEWNET',
    // copy_net_ns: inc_net_namespaces, net_alloc, preinit_net (ns_common_init → inum, 6.18),
    // setup_net runs every pernet init, which registers the /proc/net entries (one inum each).
    createdBy: 'net/core/net_namespace.c: copy_net_ns → preinit_net, setup_net',
    heldBy: 'nsproxy',
    forChildren: false,
    owner: "the creator's user namespace",
    charges: 'owner',
    extraInodes: (p) => p.inodes.netProcEntries,
    holders: [
      NSPROXY('net_ns'),
      {
        holder: 'user sockets (sk_alloc kern=0: sk_net_refcnt); kernel sockets hold only net->passive (memory)',
        kind: 'ref',
        source: 'net/core/sock.c: sk_alloc, __sk_destruct',
      },
      NSFS,
    ],
    reaper: (p) => netReaper(p),
  },
  mnt: {
    type: 'mnt',
    flag: 'CLONE_NEWNS',
    createdBy: 'fs/namespace.c: copy_mnt_ns (copy_tree: mounts are copied, mnt-ns nsfs binds are skipped)',
    heldBy: 'nsproxy',
    forChildren: false,
    owner: "the creator's user namespace",
    charges: 'owner',
    extraInodes: () => 0,
    holders: [NSPROXY('mnt_ns'), NSFS],
    reaper: () => mntReaper(),
  },
  uts: {
    type: 'uts',
    flag: 'CLONE_NEWUTS',
    createdBy: 'kernel/utsname.c: copy_utsname → clone_uts_ns',
    heldBy: 'nsproxy',
    forChildren: false,
    owner: "the creator's user namespace",
    charges: 'owner',
    extraInodes: () => 0,
    holders: [NSPROXY('uts_ns'), NSFS],
    reaper: () => simpleReaper('free_uts_ns'),
  },
  ipc: {
    type: 'ipc',
    flag: 'CLONE_NEWIPC',
    createdBy: 'ipc/namespace.c: copy_ipcs → create_ipc_ns',
    heldBy: 'nsproxy',
    forChildren: false,
    owner: "the creator's user namespace",
    charges: 'owner',
    extraInodes: () => 0,
    holders: [
      NSPROXY('ipc_ns'),
      {
        holder:
          'attached SysV shm segments (the shm file, while any process maps it); a mounted mqueue does not pin it',
        kind: 'ref',
        source: 'ipc/shm.c: do_shmat (get_ipc_ns), shm_release (put_ipc_ns); ipc/mqueue.c: mq_clear_sbinfo',
      },
      NSFS,
    ],
    reaper: () => ipcReaper(),
  },
  cgroup: {
    type: 'cgroup',
    flag: 'CLONE_NEWCGROUP',
    createdBy: 'kernel/cgroup/namespace.c: copy_cgroup_ns',
    heldBy: 'nsproxy',
    forChildren: false,
    owner: "the creator's user namespace",
    charges: 'owner',
    extraInodes: () => 0,
    holders: [NSPROXY('cgroup_ns'), NSFS],
    reaper: () => simpleReaper('free_cgroup_ns'),
  },
  time: {
    type: 'time',
    flag: 'CLONE_NEWTIME',
    createdBy: 'kernel/time/namespace.c: copy_time_ns → clone_time_ns',
    heldBy: 'nsproxy',
    forChildren: true,
    owner: "the creator's user namespace",
    charges: 'owner',
    extraInodes: () => 0,
    holders: [NSPROXY('time_ns and time_ns_for_children (two references when both point at it)'), NSFS],
    reaper: () => simpleReaper('free_time_ns'),
  },
};
