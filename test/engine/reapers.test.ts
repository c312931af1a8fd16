import { describe, expect, it } from 'vitest';
import type { KernelProfile } from '../../model/profile.ts';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { isFreeInode, peekInode } from '../../src/engine/allocator.ts';
import type { Effect } from '../../src/engine/effects.ts';
import type { NsNode, World } from '../../src/engine/world.ts';
import { drainNetns, exec, fireNetns, fireWork, nsOf, rig, unshare } from './drive.ts';

const N = linux618.inodes.modelStart;
const node = (w: World, id: number): NsNode => w.ns[id] as NsNode;
const stepsOf = (effects: readonly Effect[]) =>
  effects.flatMap((e) => (e.kind === 'reaper.step' ? [{ step: e.step, ns: e.ns, inodes: e.inodes }] : []));

/** A task in netns A (N..N+64), which it then leaves for netns B (N+65..N+129): A is dying. */
function oneDyingNet(profile: KernelProfile) {
  const r = rig(profile, ['a']);
  const w = r.w;
  unshare(r, 'a', ['net']);
  const a = nsOf(w, 'a', 'net');
  unshare(r, 'a', ['net']);
  r.effects.length = 0;
  return { r, w, a };
}

describe('cleanup_net: order in which numbers come back', () => {
  it('lo’s dev_snmp6 inode first, the other /proc/net entries next, the netns inode last (6.18)', () => {
    // KERNEL-RULES 3.1 and 7.2 [exp 6.18.44]: +64 (dev_snmp6/lo, unregister_netdevice_many) free at
    // ~0.3 ms, +1..+63 (pernet exits) at ~17 ms, the netns inum after rcu_barrier at ~33 ms.
    const { r, w, a } = oneDyingNet(linux618);
    expect(node(w, a).state).toBe('dying');
    drainNetns(r);
    expect(stepsOf(r.effects)).toEqual([
      { step: 'start', ns: [a], inodes: [] },
      { step: 'unregister', ns: [a], inodes: [N + 64] },
      { step: 'exit', ns: [a], inodes: Array.from({ length: 63 }, (_, i) => N + 1 + i) },
      { step: 'final', ns: [a], inodes: [N] },
    ]);
    expect(node(w, a).state).toBe('freed');
  });

  it('a netns made while the previous one is half-way through cleanup_net lands on +64', () => {
    // KERNEL-RULES 4: it reuses the freed dev_snmp6 slot — the 64/65 pattern.
    const { r, w, a } = oneDyingNet(linux618);
    fireNetns(r); // start
    fireNetns(r); // unregister
    expect(peekInode(w.inodes)).toBe(node(w, a).inode + 64);
  });

  it('6.1–6.17: the netns inode comes back with the pernet exits, before rcu_barrier', () => {
    // net_ns_ops.exit = net_ns_net_exit → ns_free_inum runs in ops_undo_list (KERNEL-RULES 3.1).
    const old: KernelProfile = { ...linux618, inodes: { ...linux618.inodes, netInumRelease: 'exit' } };
    const { r, w, a } = oneDyingNet(old);
    drainNetns(r);
    const steps = stepsOf(r.effects);
    expect(steps.find((s) => s.step === 'exit')?.inodes).toContain(N);
    expect(steps.find((s) => s.step === 'final')?.inodes).toEqual([]);
    expect(node(w, a).state).toBe('freed');
  });

  it('the ucount charge goes only in the final step: a quick re-create gets ENOSPC', () => {
    // cleanup_net: dec_net_namespaces is in the last loop, after rcu_barrier (KERNEL-RULES 3.7;
    // [exp] 7.3: under max_net_namespaces=1 a second netns fails with ENOSPC until ~39 ms).
    const r = rig(linux618, ['a']);
    const w = r.w;
    node(w, 0).ucounts!.max.net = 2;
    expect(unshare(r, 'a', ['net'])).toBeNull();
    const a = nsOf(w, 'a', 'net');
    expect(unshare(r, 'a', ['net'])).toBeNull(); // A dies here
    expect(node(w, a).state).toBe('dying');
    for (const step of ['start', 'unregister', 'exit']) {
      expect(unshare(r, 'a', ['net']), `after ${step}`).toBe('ENOSPC');
      fireNetns(r);
      expect(node(w, a).reaperStep).toBe(['start', 'unregister', 'exit'].indexOf(step));
    }
    expect(unshare(r, 'a', ['net']), 'after exit').toBe('ENOSPC');
    fireNetns(r); // final
    expect(node(w, 0).ucounts!.charged.net).toBe(1);
    expect(unshare(r, 'a', ['net'])).toBeNull();
  });

  it('the owner user namespace is put in the final step', () => {
    // cleanup_net's last loop: put_user_ns(net->user_ns).
    const r = rig(linux618, ['a']);
    const w = r.w;
    unshare(r, 'a', ['user', 'net']);
    const u = nsOf(w, 'a', 'user');
    const a = nsOf(w, 'a', 'net');
    const refs = node(w, u).refs; // the task's cred and netns A
    unshare(r, 'a', ['net']); // A dies; B is owned by u too
    expect(node(w, u).refs).toBe(refs + 1);
    for (let i = 0; i < 3; i++) fireNetns(r);
    expect(node(w, u).refs).toBe(refs + 1);
    fireNetns(r);
    expect(node(w, a).state).toBe('freed');
    expect(node(w, u).refs).toBe(refs);
  });
});

describe('cleanup_net: batching', () => {
  /** Tasks a and b, each in a netns of its own (A and B). */
  function twoTasksInNets() {
    const r = rig(linux618, ['a', 'b']);
    unshare(r, 'a', ['net']);
    unshare(r, 'b', ['net']);
    return { r, w: r.w, a: nsOf(r.w, 'a', 'net'), b: nsOf(r.w, 'b', 'net') };
  }

  it('nets put before a run starts are one batch', () => {
    // __put_net: llist_add; only the first adder queues net_cleanup_work; cleanup_net takes them all.
    const { r, a, b } = twoTasksInNets();
    unshare(r, 'a', ['net']);
    unshare(r, 'b', ['net']);
    expect(r.effects.filter((e) => e.kind === 'reaper.queued').map((e) => e.ns)).toEqual([a, b]);
    drainNetns(r);
    expect(stepsOf(r.effects).map((s) => [s.step, s.ns])).toEqual([
      ['start', [a, b]],
      ['unregister', [a, b]],
      ['exit', [a, b]],
      ['final', [a, b]],
    ]);
  });

  it('a net put while a run is in progress waits for the next run', () => {
    // cleanup_net: net_kill_list = llist_del_all(&cleanup_list) is a snapshot; a later __put_net
    // is the first adder to the emptied list and queues the work again (ordered netns_wq).
    const { r, w, a, b } = twoTasksInNets();
    unshare(r, 'a', ['net']); // A dies
    fireNetns(r); // run 1 takes [A]
    fireNetns(r); // unregister
    unshare(r, 'b', ['net']); // B dies during run 1
    expect(w.netns).toMatchObject({ state: 'running', batch: [a], cleanupList: [b], requeued: true });
    drainNetns(r);
    expect(stepsOf(r.effects).map((s) => [s.step, s.ns])).toEqual([
      ['start', [a]],
      ['unregister', [a]],
      ['exit', [a]],
      ['final', [a]],
      ['start', [b]],
      ['unregister', [b]],
      ['exit', [b]],
      ['final', [b]],
    ]);
    // B's numbers come back only in run 2: it was alive (dying) all through run 1.
    expect(node(w, b).state).toBe('freed');
  });
});

describe('free_user_ns', () => {
  it('gives the inode back before the ucount, and frees parents whose last reference it drops in the same work', () => {
    // kernel/user_namespace.c: free_user_ns — ns_common_free (inum), then dec_user_namespaces,
    // then `while (ns_ref_put(parent))` loops up in the same work item (KERNEL-RULES 3.2).
    const r = rig(linux618, ['a']);
    const w = r.w;
    unshare(r, 'a', ['user']);
    const u1 = nsOf(w, 'a', 'user');
    unshare(r, 'a', ['user']);
    const u2 = nsOf(w, 'a', 'user');
    // u2's parent reference, and u1's ucounts entry, which carries u2's charge (alloc_ucounts: get_user_ns).
    expect(node(w, u1).refs).toBe(2);
    // The task exits and is reaped at once (its parent is outside the scenario); its cred goes
    // after a grace period (put_cred_rcu), and with it the last reference on u2.
    exec(r, { kind: 'exit', task: 'a' });
    fireWork(r, u2, true);
    r.effects.length = 0;
    expect(w.work.map((x) => x.ns)).toEqual([u2]);
    fireWork(r, u2);
    expect(r.effects.map((e) => [e.kind, 'ns' in e ? e.ns : e.task])).toEqual([
      ['reaper.step', [u2]],
      ['ns.freed', u2],
      ['ns.lastPut', u1], // no second queueing: the running work loops up
      ['reaper.step', [u1]],
      ['ns.freed', u1],
    ]);
    expect(w.work).toEqual([]);
    expect(stepsOf(r.effects).map((s) => s.inodes)).toEqual([[N + 1], [N]]);
    expect(isFreeInode(w.inodes, N) && isFreeInode(w.inodes, N + 1)).toBe(true);
    expect(node(w, 0).ucounts!.charged.user).toBe(0);
  });
});
