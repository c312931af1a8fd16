import { describe, expect, it } from 'vitest';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { expandRuns, peekInode } from '../../src/engine/allocator.ts';
import type { NsNode, World } from '../../src/engine/world.ts';
import { fireWork, nsOf, rig, unshare } from './drive.ts';

const N = linux618.inodes.modelStart;
const node = (w: World, id: number): NsNode => w.ns[id] as NsNode;

describe('unshare: what creation takes', () => {
  it('a netns takes 1 + 64 inode numbers on linux-6.18, lo’s dev_snmp6 entry last', () => {
    // Measured on this VM (Linux 6.18.44):
    //   $ unshare -Urn sh -c 'find /proc/self/net | wc -l'
    //   65                     (/proc/self/net itself + 64 proc_dir_entries)
    //   $ unshare -Urn sh -c 'readlink /proc/self/ns/net; find /proc/self/net -exec stat -c "%i %n" {} + | sort -n'
    //   net:[4026532240]; 4026532241 /proc/self/net/stat ... 4026532304 /proc/self/net/dev_snmp6/lo
    // The netns number comes first (preinit_net → ns_common_init), then setup_net's pernet inits
    // register the /proc/net entries, loopback's dev_snmp6 entry last (ns + 64).
    const r = rig(linux618, ['a']);
    const w = r.w;
    expect(unshare(r, 'a', ['net'])).toBeNull();
    const net = node(w, nsOf(w, 'a', 'net'));
    expect(net.inode).toBe(N);
    expect([...expandRuns(net.procRuns), ...net.devInodes]).toEqual(Array.from({ length: 64 }, (_, i) => N + 1 + i));
    expect(net.devInodes).toEqual([N + 64]); // the device entry, given back first
    expect(peekInode(w.inodes)).toBe(N + 65);
  });

  it('a user namespace takes one number; unshare(user|net) makes the user namespace first', () => {
    // kernel/fork.c: ksys_unshare → unshare_userns (create_user_ns) before unshare_nsproxy_namespaces.
    const r = rig(linux618, ['a']);
    const w = r.w;
    expect(unshare(r, 'a', ['user'])).toBeNull();
    expect(node(w, nsOf(w, 'a', 'user')).inode).toBe(N);
    expect(unshare(r, 'a', ['user', 'net'])).toBeNull();
    expect(node(w, nsOf(w, 'a', 'user')).inode).toBe(N + 1);
    expect(node(w, nsOf(w, 'a', 'net')).inode).toBe(N + 2);
    // The new netns is owned by (and charged to) the new user namespace.
    expect(node(w, nsOf(w, 'a', 'net')).owner).toBe(nsOf(w, 'a', 'user'));
  });
});

describe('unshare: ENOSPC', () => {
  it('max_net_namespaces exhausted → ENOSPC before anything is allocated', () => {
    // kernel/ucount.c: inc_ucount fails → copy_net_ns returns -ENOSPC; the ucount is charged
    // before net_alloc / ns_common_init, so no inode number is taken (KERNEL-RULES 1.4, 3.8).
    const r = rig(linux618, ['a', 'b']);
    const w = r.w;
    const init = node(w, 0);
    init.ucounts!.max.net = 1;
    expect(unshare(r, 'a', ['net'])).toBeNull();
    const before = { next: peekInode(w.inodes), nodes: w.ns.length, charged: init.ucounts!.charged.net };
    expect(unshare(r, 'b', ['net'])).toBe('ENOSPC');
    expect(nsOf(w, 'b', 'net')).toBe(2); // still in init_net
    expect({ next: peekInode(w.inodes), nodes: w.ns.length, charged: init.ucounts!.charged.net }).toEqual(before);
  });

  it('an ancestor’s limit applies to namespaces created in a descendant user namespace', () => {
    // inc_ucount walks every ancestor user namespace, each against its own max (KERNEL-RULES 1.4).
    const r = rig(linux618, ['a']);
    const w = r.w;
    node(w, 0).ucounts!.max.net = 1;
    expect(unshare(r, 'a', ['user'])).toBeNull();
    expect(unshare(r, 'a', ['net'])).toBeNull(); // charged to the new user ns and to init
    expect(node(w, 0).ucounts!.charged.net).toBe(1);
    expect(node(w, nsOf(w, 'a', 'user')).ucounts!.charged.net).toBe(1);
    expect(unshare(r, 'a', ['user', 'net'])).toBe('ENOSPC');
  });

  it('unshare(user|net) failing on net drops the new user namespace (abort_creds, after a grace period)', () => {
    // ksys_unshare: unshare_nsproxy_namespaces fails → bad_unshare_cleanup_cred: put_cred(new_cred)
    // → __put_cred → call_rcu(put_cred_rcu): the new user namespace loses its only reference one
    // grace period later, and then goes to free_user_ns (kernel/cred.c, kernel/fork.c).
    const r = rig(linux618, ['a']);
    const w = r.w;
    node(w, 0).ucounts!.max.net = 0;
    expect(unshare(r, 'a', ['user', 'net'])).toBe('ENOSPC');
    expect(nsOf(w, 'a', 'user')).toBe(0);
    const aborted = w.ns.find((n) => !n.initial)!;
    expect(aborted).toMatchObject({ type: 'user', refs: 1, state: 'active' });
    expect(w.work.map((x) => [x.ns, x.step])).toEqual([[aborted.id, -1]]); // the RCU-deferred cred put
    fireWork(r, aborted.id, true);
    expect(aborted.state).toBe('dying');
    expect(w.work.map((x) => [x.ns, x.step])).toEqual([[aborted.id, 0]]); // free_user_ns queued
    // It is still charged until free_user_ns runs (dec_user_namespaces is in the work).
    expect(node(w, 0).ucounts!.charged.user).toBe(1);
    fireWork(r, aborted.id);
    expect(aborted.state).toBe('freed');
    expect(node(w, 0).ucounts!.charged.user).toBe(0);
  });

  it('user namespaces nest 33 levels below init_user_ns; the 34th unshare gets ENOSPC (kernel/user_namespace.c: create_user_ns — parent_ns->level > 32)', () => {
    // kernel/user_namespace.c: create_user_ns — `if (parent_ns->level > 32) return -ENOSPC;`
    // init_user_ns has level 0 (KERNEL-RULES 6: "33 levels below init_user_ns can be created" ✓).
    const r = rig(linux618, ['a']);
    const w = r.w;
    const results = Array.from({ length: 34 }, () => unshare(r, 'a', ['user']));
    expect(results.slice(0, 33)).toEqual(Array(33).fill(null));
    expect(results[33]).toBe('ENOSPC');
    expect(node(w, nsOf(w, 'a', 'user')).level).toBe(33);
    // The refused one charged nothing and took no number.
    expect(node(w, 0).ucounts!.charged.user).toBe(33);
    expect(peekInode(w.inodes)).toBe(N + 33);
  });
});
