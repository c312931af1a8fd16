import type { KernelProfile } from '../profile.ts';
import { netReaper } from './net.ts';
import type { Reaper } from './reaper.ts';
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
  readonly type: 'user' | 'net';
  /** The function that creates it on clone/unshare. */
  readonly createdBy: string;
  /** The user namespace charged for `max_<type>_namespaces`. */
  readonly charges: 'parent-user-ns' | 'owner';
  /** Inode numbers taken at creation beyond the namespace's own (its /proc/net entries). */
  readonly extraInodes: (p: KernelProfile) => number;
  readonly holders: readonly HolderRule[];
  readonly reaper: (p: KernelProfile) => Reaper;
}

/**
 * One row per namespace type, the kernel's shape (include/linux/proc_ns.h: one ops row per type).
 * v0 models user and net.
 *
 * @public
 */
export const NS_RULES: Readonly<Record<'user' | 'net', NsRules>> = {
  user: {
    type: 'user',
    // create_user_ns: level check, inc_user_namespaces(parent), ns_common_init (inum), parent
    // takes over the creator cred's reference. kernel/user_namespace.c [6.1–7.3]
    createdBy: 'kernel/user_namespace.c: create_user_ns (via unshare_userns / copy_creds)',
    charges: 'parent-user-ns',
    extraInodes: () => 0,
    holders: [
      { holder: 'task credentials (cred->user_ns)', kind: 'ref', source: 'kernel/cred.c: prepare_creds, put_cred_rcu' },
      {
        holder: 'child user namespaces (ns->parent)',
        kind: 'ref',
        source: 'kernel/user_namespace.c: create_user_ns, free_user_ns',
      },
      {
        holder: 'owned namespaces (->user_ns)',
        kind: 'ref',
        source: 'net/core/net_namespace.c: copy_net_ns (get_user_ns)',
      },
    ],
    reaper: () => userReaper(),
  },
  net: {
    type: 'net',
    // copy_net_ns: inc_net_namespaces, net_alloc, preinit_net (ns_common_init → inum, 6.18),
    // setup_net runs every pernet init, which registers the /proc/net entries (one inum each).
    createdBy: 'net/core/net_namespace.c: copy_net_ns → preinit_net, setup_net',
    charges: 'owner',
    extraInodes: (p) => p.inodes.netProcEntries,
    holders: [
      {
        holder: 'task membership (nsproxy->net_ns)',
        kind: 'ref',
        source: 'kernel/nsproxy.c: create_new_namespaces, free_nsproxy',
      },
    ],
    reaper: (p) => netReaper(p),
  },
};
