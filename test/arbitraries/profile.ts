import fc from 'fast-check';
import type { KernelProfile } from '../../model/profile.ts';
import { PROFILES } from '../../model/profiles/index.ts';
import { linux618 } from '../../model/profiles/linux-6.18.ts';

/**
 * `p` with `max_user_namespaces` = 3 and `max_net_namespaces` = 2 on the initial user
 * namespace: generated scenarios then hit ENOSPC, and `unshare user,net` failing on net drops
 * its new user namespace (abort_creds).
 *
 * @internal
 */
export const tight = (p: KernelProfile): KernelProfile => ({
  ...p,
  name: `${p.name}-tight`,
  initialLimits: { ...p.initialLimits, user: 3, net: 2 },
});

/** linux-6.18, tight (see {@link tight}). @internal */
export const tightLinux618: KernelProfile = tight(linux618);

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

/** Every profile nslife knows (model/profiles/index.ts), as it is and tight. @internal */
export const ALL_PROFILES: readonly KernelProfile[] = [
  ...Object.values(PROFILES),
  ...Object.values(PROFILES).map(tight),
  inumAtExitLinux618,
];

/** The profiles generated runs use: every known profile, as it is and tight. @internal */
export const profileArb: fc.Arbitrary<KernelProfile> = fc.constantFrom(...ALL_PROFILES);
