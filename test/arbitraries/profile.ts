import fc from 'fast-check';
import type { KernelProfile } from '../../model/profile.ts';
import { linux618 } from '../../model/profiles/linux-6.18.ts';

/**
 * linux-6.18 with `max_user_namespaces` = 3 and `max_net_namespaces` = 2 on the initial user
 * namespace. Generated scenarios then hit ENOSPC, and `unshare user,net` failing on net drops its
 * new user namespace (abort_creds), the only way a user namespace dies in v0 scenarios.
 *
 * @internal
 */
export const tightLinux618: KernelProfile = {
  ...linux618,
  name: 'linux-6.18-tight',
  initialLimits: { ...linux618.initialLimits, user: 3, net: 2 },
};

/**
 * linux-6.18 numbers with the ≤6.17 rule that the netns inode number comes back with the pernet
 * exits (net_ns_net_exit → ns_free_inum), before rcu_barrier (KERNEL-RULES 3.1).
 *
 * @internal
 */
export const inumAtExitLinux618: KernelProfile = {
  ...tightLinux618,
  name: 'linux-6.18-inum-at-exit',
  inodes: { ...linux618.inodes, netInumRelease: 'exit' },
};

/** The profiles generated runs use. @internal */
export const profileArb: fc.Arbitrary<KernelProfile> = fc.constantFrom(linux618, tightLinux618, inumAtExitLinux618);
