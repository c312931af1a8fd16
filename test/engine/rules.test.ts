/**
 * One test per lifetime rule, each with the kernel's value as the expected one and the source it
 * comes from in the test name (a KERNEL-RULES.md section or the kernel function). The steps run
 * on the engine runtime with every deferred kernel step held back (./drive.ts), so each test
 * stands between two kernel steps and fires them by hand.
 */
import { describe, expect, it } from 'vitest';
import { NS_TYPES, type NsType } from '../../model/nsType.ts';
import type { NsFile } from '../../src/scenario/ast.ts';
import type { KernelProfile } from '../../model/profile.ts';
import { PROFILES } from '../../model/profiles/index.ts';
import { linux61 } from '../../model/profiles/linux-6.1.ts';
import { linux612 } from '../../model/profiles/linux-6.12.ts';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { linux7x } from '../../model/profiles/linux-7.x.ts';
import { isFreeInode, peekInode } from '../../src/engine/allocator.ts';
import type { Effect } from '../../src/engine/effects.ts';
import { holdersOf } from '../../src/engine/holders.ts';
import { simulate } from '../../src/engine/simulate.ts';
import type { NsNode, TaskNode, World } from '../../src/engine/world.ts';
import {
  drainAll,
  drainNetns,
  exec,
  fireIpc,
  fireNetns,
  fireWork,
  nsOf,
  rig,
  scenarioOf,
  type Rig,
  type StepSpec,
} from './drive.ts';

const node = (w: World, id: number): NsNode => w.ns[id] as NsNode;
const task = (w: World, name: string): TaskNode => w.tasks[w.taskIndex[name]!]!;
/** Runs the steps in order; each must succeed. */
const ok = (r: Rig, ...steps: StepSpec[]): void => {
  for (const s of steps) expect(exec(r, s), JSON.stringify(s)).toBeNull();
};
const holderKinds = (w: World, id: number): string[] => {
  const holders = holdersOf(w)[id] ?? [];
  return holders.map((h) => h.kind).sort();
};
const lastPuts = (effects: readonly Effect[]): number[] =>
  effects.flatMap((e) => (e.kind === 'ns.lastPut' ? [e.ns] : []));

describe('holders (KERNEL-RULES 2)', () => {
  it('a zombie keeps its user ns until reaped, then the cred goes one credPut later (2.1; kernel/exit.c: release_task → delayed_put_task_struct → put_cred_rcu)', () => {
    const r = rig(linux618, ['a']);
    const w = r.w;
    ok(r, { kind: 'fork', task: 'a', child: 'c', types: ['user'] }, { kind: 'exit', task: 'c' });
    const u = nsOf(w, 'c', 'user');
    expect(task(w, 'c').state).toBe('zombie');
    expect(holderKinds(w, u)).toEqual(['cred']);
    ok(r, { kind: 'wait', task: 'a', child: 'c' });
    expect(node(w, u).state).toBe('active'); // the reaped task's cred is put after a grace period
    expect(holderKinds(w, u)).toEqual(['deferred-put']);
    fireWork(r, u, true);
    expect(node(w, u).state).toBe('dying');

    // With the profile's latencies: the last put comes credPut after the reap.
    const s = scenarioOf(
      ['a'],
      [
        { kind: 'fork', task: 'a', child: 'c', types: ['user'] },
        { kind: 'exit', task: 'c' },
        { kind: 'wait', task: 'a', child: 'c' },
      ],
    );
    for (const seed of [1, 2, 3]) {
      const run = simulate(s, { profile: linux618, seed });
      const reaped = run.effects.find((e) => e.kind === 'task.reaped')!.at.lo;
      const put = run.effects.find((e) => e.kind === 'ns.lastPut')!;
      expect(put.at.lo - reaped).toBeGreaterThanOrEqual(linux618.latency.credPut.min);
      expect(put.at.lo - reaped).toBeLessThanOrEqual(linux618.latency.credPut.max);
    }
  });

  it('the nsproxy goes at exit, before the zombie stage: a net only a zombie was in dies at its exit (1.3; kernel/exit.c: do_exit → exit_task_namespaces)', () => {
    const r = rig(linux618, ['a']);
    const w = r.w;
    ok(r, { kind: 'fork', task: 'a', child: 'c', types: ['net'] });
    const net = nsOf(w, 'c', 'net');
    r.effects.length = 0;
    ok(r, { kind: 'exit', task: 'c' });
    expect(task(w, 'c').state).toBe('zombie');
    expect(node(w, net)).toMatchObject({ refs: 0, state: 'dying' });
    expect(r.effects.map((e) => e.kind)).toEqual(['ns.lastPut', 'reaper.queued', 'task.exited']);
  });

  it('a pidfd keeps the pid ns (its struct pid), not the net (2.2; kernel/pid.c: put_pid → put_pid_ns)', () => {
    const r = rig(linux618, ['a']);
    const w = r.w;
    ok(r, { kind: 'fork', task: 'a', child: 'c', types: ['pid', 'net'], pidfd: 'p' });
    const pid = nsOf(w, 'c', 'pid');
    const net = nsOf(w, 'c', 'net');
    ok(r, { kind: 'exit', task: 'c' }, { kind: 'wait', task: 'a', child: 'c' });
    drainAll(r);
    expect(node(w, net).state).toBe('freed');
    expect(node(w, pid).state).toBe('active');
    expect(holderKinds(w, pid)).toEqual(['struct-pid']);
    ok(r, { kind: 'close', task: 'a', fd: 'p' }); // pidfd release → put_pid: the last reference
    expect(node(w, pid).state).toBe('dying');
  });

  it('the reap puts its struct pid after a grace period: closing the last pidfd before that is not the last put (kernel/pid.c: free_pid → call_rcu(delayed_put_pid))', () => {
    // Seen on 6.18.44 (test/fixtures/traces/regression-pidfd-after-reap-*.jsonl): the pid
    // namespace still held 11 ms after the close, released by 111 ms.
    const r = rig(linux618, ['a']);
    const w = r.w;
    ok(r, { kind: 'fork', task: 'a', child: 'c', types: ['pid'], pidfd: 'p' });
    const pid = nsOf(w, 'c', 'pid');
    ok(r, { kind: 'exit', task: 'c' }, { kind: 'wait', task: 'a', child: 'c' });
    ok(r, { kind: 'close', task: 'a', fd: 'p' });
    expect(node(w, pid).state).toBe('active');
    expect(holderKinds(w, pid)).toEqual(['struct-pid']);
    fireWork(r, pid, true); // delayed_put_pid: now the struct pid's last reference
    expect(node(w, pid).state).toBe('dying');
  });

  it('a socket keeps its net after its task moved on; closing it releases the net (2.3; net/core/sock.c: sk_alloc, __sk_destruct)', () => {
    const r = rig(linux618, ['a']);
    const w = r.w;
    ok(r, { kind: 'unshare', task: 'a', types: ['net'] }, { kind: 'socket', task: 'a', as: 's', cloexec: false });
    const net = nsOf(w, 'a', 'net');
    ok(r, { kind: 'unshare', task: 'a', types: ['net'] });
    expect(holderKinds(w, net)).toEqual(['socket']);
    ok(r, { kind: 'close', task: 'a', fd: 's' });
    expect(node(w, net).state).toBe('dying');
  });

  it('an open nsfs fd keeps a net after its task moved on; close releases it (1.2; fs/nsfs.c: nsfs_evict)', () => {
    const r = rig(linux618, ['a']);
    const w = r.w;
    ok(r, { kind: 'unshare', task: 'a', types: ['net'] });
    const net = nsOf(w, 'a', 'net');
    ok(
      r,
      { kind: 'open', task: 'a', source: { kind: 'proc', task: 'a', file: 'net' }, as: 'f', cloexec: false },
      { kind: 'open', task: 'a', source: { kind: 'proc', task: 'a', file: 'net' }, as: 'g', cloexec: false },
      { kind: 'unshare', task: 'a', types: ['net'] },
    );
    // Two fds, one nsfs inode, one reference (ns->stashed).
    expect(node(w, net).refs).toBe(1);
    ok(r, { kind: 'close', task: 'a', fd: 'f' });
    expect(node(w, net).state).toBe('active');
    ok(r, { kind: 'close', task: 'a', fd: 'g' });
    expect(node(w, net).state).toBe('dying');
  });

  it('a bind mount of an nsfs file keeps the namespace until umount (1.2; fs/namespace.c: umount → mntput → cleanup_mnt)', () => {
    const r = rig(linux618, ['a']);
    const w = r.w;
    ok(r, { kind: 'unshare', task: 'a', types: ['net'] });
    const net = nsOf(w, 'a', 'net');
    ok(
      r,
      { kind: 'bind', task: 'a', source: { kind: 'proc', task: 'a', file: 'net' }, path: '/run/netns/x' },
      { kind: 'unshare', task: 'a', types: ['net'] },
    );
    expect(holderKinds(w, net)).toEqual(['nsfs']);
    ok(r, { kind: 'umount', task: 'a', path: '/run/netns/x', lazy: false });
    expect(node(w, net).state).toBe('dying');
  });

  it('a new mount ns copies nsfs bind mounts but not mount-ns ones, and its death drops its copies (2.4; fs/namespace.c: copy_tree skips is_mnt_ns_file, put_mnt_ns → umount_tree)', () => {
    // linux-6.12: mount namespace ids are a global sequence, so "newer" is creation order.
    const r = rig(linux612, ['a']);
    const w = r.w;
    ok(
      r,
      { kind: 'unshare', task: 'a', types: ['net'] },
      { kind: 'fork', task: 'a', child: 'd', types: ['mnt', 'net'] },
      { kind: 'bind', task: 'a', source: { kind: 'proc', task: 'a', file: 'net' }, path: '/run/netns/n' },
      { kind: 'bind', task: 'a', source: { kind: 'proc', task: 'd', file: 'mnt' }, path: '/run/netns/m' },
      { kind: 'fork', task: 'a', child: 'c', types: ['mnt', 'net'] },
    );
    const net = nsOf(w, 'a', 'net');
    const cNet = nsOf(w, 'c', 'net');
    const dMnt = nsOf(w, 'd', 'mnt');
    const cMnt = nsOf(w, 'c', 'mnt');
    expect(node(w, cMnt).mounts!.map((m) => m.path)).toEqual(['/run/netns/n']);
    expect(node(w, net).nsfs).toBe(2);
    expect(node(w, dMnt).nsfs).toBe(1);
    // a leaves the net and takes its own bind away: only c's copy holds the net.
    ok(
      r,
      { kind: 'unshare', task: 'a', types: ['net'] },
      { kind: 'umount', task: 'a', path: '/run/netns/n', lazy: true },
    );
    expect(node(w, net).state).toBe('active');
    r.effects.length = 0;
    ok(r, { kind: 'exit', task: 'c' }); // c's mount ns dies (synchronously): its copy goes, the net with it
    // free_nsproxy puts mnt first: its umount_tree drops the copy (the net dies with it), then c's own net.
    expect(lastPuts(r.effects)).toEqual([cMnt, net, cNet]);
    expect(node(w, cMnt).state).toBe('dying'); // free_mnt_ns done; the owner goes after a grace period
    expect(node(w, net).state).toBe('dying');
  });

  it('an shm attachment keeps its ipc ns after the task unshared or setns’d away; shmdt releases it (2.5; ipc/shm.c: do_shmat get_ipc_ns, shm_release)', () => {
    const r = rig(linux618, ['a', 'b']);
    const w = r.w;
    ok(
      r,
      { kind: 'unshare', task: 'b', types: ['ipc'] }, // one a may enter (the initial one is the host's)
      { kind: 'unshare', task: 'a', types: ['ipc'] },
      { kind: 'shmat', task: 'a', as: 's' },
    );
    const first = nsOf(w, 'a', 'ipc');
    ok(r, { kind: 'unshare', task: 'a', types: ['ipc'] }, { kind: 'shmat', task: 'a', as: 't' });
    const second = nsOf(w, 'a', 'ipc');
    ok(
      r,
      { kind: 'open', task: 'a', source: { kind: 'proc', task: 'b', file: 'ipc' }, as: 'f', cloexec: false },
      { kind: 'setns', task: 'a', fd: 'f', types: ['ipc'] },
    );
    expect(holderKinds(w, first)).toEqual(['shm']);
    expect(holderKinds(w, second)).toEqual(['shm']);
    ok(r, { kind: 'shmdt', task: 'a', segment: 's' });
    expect(node(w, first).state).toBe('dying');
    ok(r, { kind: 'shmdt', task: 'a', segment: 't' });
    expect(node(w, second).state).toBe('dying');
  });
});

describe('exec (fs/exec.c: begin_new_exec)', () => {
  it.each(Object.values(PROFILES).map((p) => [p.name, p] as const))(
    '%s: O_CLOEXEC fds close (do_close_on_exec); time_for_children is entered on 6.2+ only (exec_task_namespaces; KERNEL-RULES 9)',
    (_, p) => {
      const r = rig(p, ['a']);
      const w = r.w;
      ok(
        r,
        { kind: 'unshare', task: 'a', types: ['time'] },
        { kind: 'open', task: 'a', source: { kind: 'proc', task: 'a', file: 'uts' }, as: 'kept', cloexec: false },
        { kind: 'open', task: 'a', source: { kind: 'proc', task: 'a', file: 'uts' }, as: 'gone', cloexec: true },
        { kind: 'socket', task: 'a', as: 's', cloexec: true },
      );
      const t = task(w, 'a').timeForChildren;
      ok(r, { kind: 'exec', task: 'a' });
      expect(Object.keys(w.fdTables[task(w, 'a').files]!.fds)).toEqual(['kept']);
      const enters = p.name !== 'linux-6.1';
      expect(p.execEntersTimeForChildren).toBe(enters);
      expect(nsOf(w, 'a', 'time')).toBe(enters ? t : NS_TYPES.indexOf('time')); // else still the initial one
    },
  );
});

describe('creation order (KERNEL-RULES 3.8)', () => {
  it('a time ns made with a netns takes its number after the netns’s /proc/net entries (kernel/nsproxy.c: create_new_namespaces — net (copy_net_ns → setup_net) before time)', () => {
    // Seen on 6.18.44 with the probe: fork new net,uts,ipc,cgroup,time gave uts 4026532177,
    // ipc …178, cgroup …179, net …180 (/proc/net …181–…244), time …245.
    const r = rig(linux618, ['a']);
    const w = r.w;
    const N = linux618.inodes.modelStart;
    ok(r, { kind: 'fork', task: 'a', child: 'c', types: ['time', 'net', 'cgroup', 'ipc', 'uts'] });
    const inode = (type: NsType) => node(w, task(w, 'c').ns[type]).inode;
    expect(['uts', 'ipc', 'cgroup', 'net', 'time'].map((t) => inode(t as NsType) - N)).toEqual([0, 1, 2, 3, 68]);
    ok(r, { kind: 'unshare', task: 'a', types: ['net', 'time'] });
    expect(node(w, nsOf(w, 'a', 'net')).inode - N).toBe(69);
    expect(node(w, task(w, 'a').timeForChildren).inode - N).toBe(69 + 65);
  });

  it('a time ns refused after the netns (ENOSPC) puts the new netns back (create_new_namespaces error path)', () => {
    const r = rig(linux618, ['a']);
    const w = r.w;
    node(w, 0).ucounts!.max.time = 0;
    expect(exec(r, { kind: 'unshare', task: 'a', types: ['net', 'time'] })).toBe('ENOSPC');
    const made = w.ns.find((n) => !n.initial)!;
    expect(made).toMatchObject({ type: 'net', refs: 0, state: 'dying' });
    expect(nsOf(w, 'a', 'net')).toBe(NS_TYPES.indexOf('net'));
    drainAll(r);
    expect(peekInode(w.inodes)).toBe(linux618.inodes.modelStart);
  });
});

describe('creation errors (KERNEL-RULES 6)', () => {
  it('unshare(CLONE_NEWPID) twice before a child → EINVAL (kernel/pid_namespace.c: copy_pid_ns — task_active_pid_ns(current) != old_ns)', () => {
    const r = rig(linux618, ['a']);
    ok(r, { kind: 'unshare', task: 'a', types: ['pid'] });
    expect(exec(r, { kind: 'unshare', task: 'a', types: ['pid'] })).toBe('EINVAL');
    expect(exec(r, { kind: 'fork', task: 'a', child: 'c', types: ['pid'] })).toBe('EINVAL'); // clone too
    ok(r, { kind: 'fork', task: 'a', child: 'd', types: [] }, { kind: 'unshare', task: 'd', types: ['pid'] });
  });

  it.each([
    [linux618, 'ENOENT'],
    [linux7x, null],
  ] as const)(
    '%s: pid_for_children before the first child (kernel/pid_namespace.c: pidns_for_children_get — !child_reaper → ENOENT ≤ 6.18; no such test in 7.3)',
    (p, want) => {
      const r = rig(p, ['a']);
      ok(r, { kind: 'unshare', task: 'a', types: ['pid'] });
      const open = { kind: 'proc', task: 'a', file: 'pid_for_children' } as const;
      expect(exec(r, { kind: 'open', task: 'a', source: open, as: 'f', cloexec: false })).toBe(want);
      ok(r, { kind: 'fork', task: 'a', child: 'init', types: [] });
      expect(exec(r, { kind: 'open', task: 'a', source: open, as: 'g', cloexec: false })).toBeNull();
    },
  );

  it('after the pid ns init died, fork into it → ENOMEM, and the members were killed (6 "pid ns death"; kernel/pid.c: alloc_pid — !(pid_allocated & PIDNS_ADDING); zap_pid_ns_processes)', () => {
    const r = rig(linux618, ['a', 'b']);
    const w = r.w;
    const pfc = { kind: 'proc', task: 'a', file: 'pid_for_children' } as const;
    ok(
      r,
      { kind: 'unshare', task: 'a', types: ['pid'] },
      { kind: 'fork', task: 'a', child: 'init', types: [] },
      { kind: 'fork', task: 'init', child: 'm', types: [] },
      { kind: 'fork', task: 'a', child: 'n', types: [] },
      { kind: 'open', task: 'b', source: pfc, as: 'p', cloexec: false },
      { kind: 'exit', task: 'init' },
    );
    expect(task(w, 'm').state).toBe('reaped'); // init's child: reaped by init (kernel_wait4)
    expect(task(w, 'n').state).toBe('zombie'); // a's child: killed, a zombie until a waits
    expect(exec(r, { kind: 'fork', task: 'a', child: 'late', types: [] })).toBe('ENOMEM');
    // Through setns(pid_for_children) too: the namespace is still there, it takes no task.
    ok(r, { kind: 'setns', task: 'b', fd: 'p', types: ['pid'] });
    expect(exec(r, { kind: 'fork', task: 'b', child: 'late2', types: [] })).toBe('ENOMEM');
    expect(node(w, nsOf(w, 'n', 'pid')).state).toBe('active');
  });

  it('unshare(CLONE_NEWUSER) while multithreaded → EINVAL (kernel/fork.c: check_unshare_flags — CLONE_NEWUSER implies CLONE_THREAD)', () => {
    const r = rig(linux618, ['a']);
    ok(r, { kind: 'thread', task: 'a', child: 't' });
    expect(exec(r, { kind: 'unshare', task: 'a', types: ['user'] })).toBe('EINVAL');
    expect(exec(r, { kind: 'unshare', task: 't', types: ['user', 'net'] })).toBe('EINVAL');
    expect(exec(r, { kind: 'unshare', task: 'a', types: ['net'] })).toBeNull(); // only user needs a single thread
    ok(r, { kind: 'exit', task: 't' }, { kind: 'unshare', task: 'a', types: ['user'] });
  });

  it('pid namespaces nest 32 levels; the 33rd → ENOSPC (kernel/pid_namespace.c: create_pid_namespace — level > MAX_PID_NS_LEVEL)', () => {
    const r = rig(linux618, ['t0']);
    const w = r.w;
    const results: (string | null)[] = [];
    let parent = 't0';
    for (let k = 1; k <= 33; k++) {
      results.push(exec(r, { kind: 'fork', task: parent, child: `t${k}`, types: ['pid'] }));
      if (w.taskIndex[`t${k}`] !== undefined) parent = `t${k}`;
    }
    expect(results.slice(0, 32)).toEqual(Array(32).fill(null));
    expect(results[32]).toBe('ENOSPC');
    expect(node(w, nsOf(w, 't32', 'pid')).level).toBe(32);
    // The refused one charged nothing and took no number.
    expect(node(w, 0).ucounts!.charged.pid).toBe(32);
    expect(peekInode(w.inodes)).toBe(linux618.inodes.modelStart + 32);
  });
});

describe('setns (kernel/nsproxy.c: setns, validate_ns, validate_nsset)', () => {
  it('into a time ns while multithreaded → EUSERS (kernel/time/namespace.c: timens_install — !current_is_single_threaded())', () => {
    const r = rig(linux618, ['a', 'b']);
    ok(
      r,
      { kind: 'unshare', task: 'b', types: ['time'] },
      { kind: 'fork', task: 'b', child: 'c', types: [] },
      { kind: 'open', task: 'a', source: { kind: 'proc', task: 'c', file: 'time' }, as: 'f', cloexec: false },
      { kind: 'thread', task: 'a', child: 't' },
    );
    expect(exec(r, { kind: 'setns', task: 'a', fd: 'f', types: [] })).toBe('EUSERS');
    ok(r, { kind: 'exit', task: 't' }, { kind: 'setns', task: 'a', fd: 'f', types: ['time'] });
    expect(nsOf(r.w, 'a', 'time')).toBe(nsOf(r.w, 'c', 'time'));
    expect(task(r.w, 'a').timeForChildren).toBe(nsOf(r.w, 'c', 'time'));
  });

  it('to the current user ns → EINVAL (kernel/user_namespace.c: userns_install — "Don\'t allow gaining capabilities by reentering")', () => {
    const r = rig(linux618, ['a']);
    ok(r, {
      kind: 'open',
      task: 'a',
      source: { kind: 'proc', task: 'a', file: 'user' },
      as: 'f',
      cloexec: false,
    });
    expect(exec(r, { kind: 'setns', task: 'a', fd: 'f', types: [] })).toBe('EINVAL');
    expect(exec(r, { kind: 'setns', task: 'a', fd: 'f', types: ['user'] })).toBe('EINVAL');
  });

  it('by a pidfd with CLONE_NEWUSER naming the caller’s own user ns → EINVAL too (kernel/nsproxy.c: validate_nsset → userns_install)', () => {
    // Seen on 6.18.44 with the probe: a: pidfd b as q; a: setns q user => EINVAL; a: setns q user,uts => EINVAL.
    const r = rig(linux618, ['a', 'b']);
    ok(r, { kind: 'unshare', task: 'b', types: ['uts'] }, { kind: 'pidfd', task: 'a', target: 'b', as: 'q' });
    expect(exec(r, { kind: 'setns', task: 'a', fd: 'q', types: ['user'] })).toBe('EINVAL');
    expect(exec(r, { kind: 'setns', task: 'a', fd: 'q', types: ['user', 'uts'] })).toBe('EINVAL');
    ok(r, { kind: 'setns', task: 'a', fd: 'q', types: ['uts'] });
  });

  it('by a pidfd with user and other types: capabilities are checked with the caller’s current credentials, not the new user ns’s (*_install: ns_capable → current_cred)', () => {
    // Seen on 6.18.44 with the probe: a: unshare net; a: fork c new user; d: pidfd c as p;
    // d: setns p user,net => ok — the net is owned by d's user ns, the parent of the one d enters.
    const r = rig(linux618, ['a', 'd']);
    const w = r.w;
    ok(
      r,
      { kind: 'unshare', task: 'a', types: ['net'] },
      { kind: 'fork', task: 'a', child: 'c', types: ['user'] },
      { kind: 'pidfd', task: 'd', target: 'c', as: 'p' },
      { kind: 'setns', task: 'd', fd: 'p', types: ['user', 'net'] },
    );
    expect([nsOf(w, 'd', 'user'), nsOf(w, 'd', 'net')]).toEqual([nsOf(w, 'c', 'user'), nsOf(w, 'c', 'net')]);
  });

  it('by a pidfd: the namespaces are validated in validate_nsset’s order (user, mnt, uts, ipc, pid, cgroup, net, time), whatever order the flags are written in (kernel/nsproxy.c: validate_nsset)', () => {
    // linux-6.12 (read): mntns_install refuses a shared fs_struct (current->fs->users != 1) before
    // timens_install's EUSERS is reached.
    const r = rig(linux612, ['a', 'd']);
    ok(r, { kind: 'thread', task: 'd', child: 't' }, { kind: 'pidfd', task: 'd', target: 'a', as: 'p' });
    expect(exec(r, { kind: 'setns', task: 'd', fd: 'p', types: ['time', 'mnt'] })).toBe('EINVAL');
    expect(exec(r, { kind: 'setns', task: 'd', fd: 'p', types: ['mnt', 'time'] })).toBe('EINVAL');
    expect(exec(r, { kind: 'setns', task: 'd', fd: 'p', types: ['time'] })).toBe('EUSERS');
  });

  it('into a time ns while multithreaded: EUSERS comes before the capability check (kernel/time/namespace.c: timens_install)', () => {
    const r = rig(linux618, ['a', 'b']);
    ok(
      r,
      { kind: 'open', task: 'a', source: { kind: 'proc', task: 'b', file: 'time' }, as: 'f', cloexec: false },
      { kind: 'unshare', task: 'a', types: ['user'] }, // no CAP_SYS_ADMIN over the initial time ns any more
    );
    expect(exec(r, { kind: 'setns', task: 'a', fd: 'f', types: [] })).toBe('EPERM');
    ok(r, { kind: 'thread', task: 'a', child: 't' });
    expect(exec(r, { kind: 'setns', task: 'a', fd: 'f', types: [] })).toBe('EUSERS');
  });

  it('the initial namespaces but user and mnt are the host’s: setns into them, NS_GET_USERNS on them, procfs for the initial pid ns → EPERM (probe sandbox: tasks are root of a user ns that owns only their mount ns)', () => {
    // Seen on 6.18.44 with the probe (.nsl: a: open /proc/b/ns/ipc as f; a: setns f => EPERM;
    // ioctl on the initial net get-userns => EPERM; mount proc => EPERM; the mnt ns's owner is
    // the sandbox user ns (ok); its parent is out of scope (EPERM)).
    const r = rig(linux618, ['a', 'b']);
    const src = (file: NsFile) => ({ kind: 'proc', task: 'b', file }) as const;
    ok(
      r,
      { kind: 'open', task: 'a', source: src('ipc'), as: 'f', cloexec: false },
      { kind: 'open', task: 'a', source: src('net'), as: 'n', cloexec: false },
      { kind: 'open', task: 'a', source: src('mnt'), as: 'm', cloexec: false },
      { kind: 'open', task: 'a', source: src('user'), as: 'us', cloexec: false },
    );
    expect(exec(r, { kind: 'setns', task: 'a', fd: 'f', types: [] })).toBe('EPERM');
    expect(exec(r, { kind: 'ioctl', task: 'a', fd: 'n', request: 'get-userns', as: 'u', cloexec: false })).toBe(
      'EPERM',
    );
    expect(exec(r, { kind: 'mount-proc', task: 'a', path: '/mnt/p' })).toBe('EPERM');
    expect(exec(r, { kind: 'ioctl', task: 'a', fd: 'm', request: 'get-userns', as: 'mu', cloexec: false })).toBeNull();
    expect(exec(r, { kind: 'ioctl', task: 'a', fd: 'us', request: 'get-parent', as: 'up', cloexec: false })).toBe(
      'EPERM',
    );
    // What the tasks create is theirs: a new pid ns's procfs, a new ipc ns.
    ok(
      r,
      { kind: 'unshare', task: 'a', types: ['pid'] },
      { kind: 'fork', task: 'a', child: 'c', types: [] },
      { kind: 'mount-proc', task: 'c', path: '/mnt/q' },
      { kind: 'unshare', task: 'a', types: ['ipc'] },
      { kind: 'open', task: 'b', source: { kind: 'proc', task: 'a', file: 'ipc' }, as: 'g', cloexec: false },
      { kind: 'setns', task: 'b', fd: 'g', types: [] },
    );
  });

  it('an nsfs fd with another nstype → EINVAL; a socket fd → EINVAL (setns: ns->ns_type != flags; neither nsfs nor pidfd)', () => {
    const r = rig(linux618, ['a']);
    ok(
      r,
      { kind: 'open', task: 'a', source: { kind: 'proc', task: 'a', file: 'net' }, as: 'f', cloexec: false },
      { kind: 'socket', task: 'a', as: 's', cloexec: false },
    );
    expect(exec(r, { kind: 'setns', task: 'a', fd: 'f', types: ['uts'] })).toBe('EINVAL');
    expect(exec(r, { kind: 'setns', task: 'a', fd: 's', types: [] })).toBe('EINVAL');
    expect(exec(r, { kind: 'setns', task: 'a', fd: 'nope', types: [] })).toBe('EBADF');
  });
});

describe('nesting and limits (KERNEL-RULES 1.4, 3.7, 6)', () => {
  it('max_net_namespaces=1: a second netns → ENOSPC until cleanup_net’s final step (3.1 step 9: dec_net_namespaces after rcu_barrier)', () => {
    const r = rig(linux618, ['a']);
    const w = r.w;
    ok(
      r,
      { kind: 'unshare', task: 'a', types: ['user'] },
      { kind: 'set-limit', task: 'a', nsType: 'net', value: 1 },
      { kind: 'fork', task: 'a', child: 'c', types: ['net'] },
    );
    const net = nsOf(w, 'c', 'net');
    expect(exec(r, { kind: 'unshare', task: 'a', types: ['net'] })).toBe('ENOSPC'); // c's net is alive
    ok(r, { kind: 'exit', task: 'c' });
    for (const step of ['start', 'unregister', 'exit']) {
      expect(exec(r, { kind: 'unshare', task: 'a', types: ['net'] }), `before ${step}`).toBe('ENOSPC');
      fireNetns(r);
    }
    expect(exec(r, { kind: 'unshare', task: 'a', types: ['net'] }), 'before final').toBe('ENOSPC');
    fireNetns(r);
    expect(node(w, net).state).toBe('freed');
    ok(r, { kind: 'unshare', task: 'a', types: ['net'] });
  });

  it.each([
    [linux618, null],
    [linux612, null],
    [linux61, 'ENOSPC'],
  ] as const)(
    '%s: max_ipc_namespaces=1, a dead ipc ns still queued → re-create flushes free_ipc and succeeds at once (ipc/namespace.c: create_ipc_ns — flush_work retry, 6.3+), else ENOSPC',
    (p, want) => {
      const r = rig(p, ['a']);
      const w = r.w;
      ok(
        r,
        { kind: 'unshare', task: 'a', types: ['user'] },
        { kind: 'set-limit', task: 'a', nsType: 'ipc', value: 1 },
        { kind: 'fork', task: 'a', child: 'c', types: ['ipc'] },
        { kind: 'exit', task: 'c' },
      );
      const dead = nsOf(w, 'c', 'ipc');
      expect(node(w, dead).state).toBe('dying');
      expect(exec(r, { kind: 'unshare', task: 'a', types: ['ipc'] })).toBe(want);
      expect(node(w, dead).state).toBe(want === null ? 'freed' : 'dying');
      if (want !== null) {
        fireIpc(r);
        fireIpc(r);
        ok(r, { kind: 'unshare', task: 'a', types: ['ipc'] });
      }
    },
  );
});

describe('when the inode number and the charge come back (KERNEL-RULES 3.7)', () => {
  /** a forks c into a new namespace of `type`; c exits and (if it is a's zombie) is reaped. */
  function oneDead(p: KernelProfile, type: NsType): { r: Rig; dead: number } {
    const r = rig(p, ['a']);
    ok(r, { kind: 'fork', task: 'a', child: 'c', types: [type] });
    const dead = type === 'time' ? task(r.w, 'c').ns.time : nsOf(r.w, 'c', type);
    ok(r, { kind: 'exit', task: 'c' }, { kind: 'wait', task: 'a', child: 'c' });
    return { r, dead };
  }

  it.each(['uts', 'cgroup', 'time', 'mnt'] as const)(
    '%s is freed in the last putter’s context: its number is the very next one handed out (3.5, 3.6: free_*_ns, namespace_unlock → free_mnt_ns)',
    (type) => {
      const { r, dead } = oneDead(linux618, type);
      const w = r.w;
      expect(isFreeInode(w.inodes, node(w, dead).inode)).toBe(true);
      expect(node(w, 0).ucounts!.charged[type]).toBe(0);
      ok(r, { kind: 'fork', task: 'a', child: 'd', types: [type] });
      const again = type === 'time' ? task(w, 'd').ns.time : nsOf(w, 'd', type);
      expect(node(w, again).inode).toBe(node(w, dead).inode);
    },
  );

  it.each(['ipc', 'pid', 'user', 'net'] as const)(
    '%s is freed later, by deferred work: its number is still taken after the last task is reaped (3.1–3.4)',
    (type) => {
      const { r, dead } = oneDead(linux618, type);
      const w = r.w;
      expect(node(w, dead).state).not.toBe('freed');
      expect(isFreeInode(w.inodes, node(w, dead).inode)).toBe(false);
      expect(node(w, 0).ucounts!.charged[type]).toBe(1);
      drainAll(r);
      expect(node(w, dead).state).toBe('freed');
      expect(isFreeInode(w.inodes, node(w, dead).inode)).toBe(true);
      expect(node(w, 0).ucounts!.charged[type]).toBe(0);
    },
  );

  it.each([
    [linux618, 'work'],
    [linux61, 'sync'],
  ] as const)(
    '%s: a pid ns gives its number back, then its ucount one grace period later (3.3: destroy_pid_namespace, call_rcu(delayed_free_pidns))',
    (p, reaper) => {
      const r = rig(p, ['a']);
      const w = r.w;
      ok(
        r,
        { kind: 'fork', task: 'a', child: 'c', types: ['pid'] },
        { kind: 'exit', task: 'c' },
        { kind: 'wait', task: 'a', child: 'c' },
      );
      const pid = nsOf(w, 'c', 'pid');
      fireWork(r, pid, true); // delayed_put_pid: the last struct pid goes
      expect(node(w, pid).state).toBe('dying');
      if (reaper === 'work') {
        expect(isFreeInode(w.inodes, node(w, pid).inode)).toBe(false); // destroy_pid_namespace_work queued
        fireWork(r, pid);
      }
      expect(isFreeInode(w.inodes, node(w, pid).inode)).toBe(true);
      expect(node(w, 0).ucounts!.charged.pid).toBe(1);
      fireWork(r, pid); // delayed_free_pidns
      expect(node(w, 0).ucounts!.charged.pid).toBe(0);
      expect(node(w, pid).state).toBe('freed');
    },
  );

  it.each(Object.values(PROFILES).map((p) => [p.name, p] as const))(
    '%s: the netns number comes back at the pernet exit step on ≤ 6.17, at the final step (after rcu_barrier) on 6.18+ (3.1; net_ns_net_exit vs cleanup_net ns_common_free)',
    (_, p) => {
      const r = rig(p, ['a']);
      const w = r.w;
      ok(r, { kind: 'unshare', task: 'a', types: ['net'] });
      const net = nsOf(w, 'a', 'net');
      ok(r, { kind: 'unshare', task: 'a', types: ['net'] });
      r.effects.length = 0;
      drainNetns(r);
      const at = r.effects.find((e) => e.kind === 'reaper.step' && e.inodes.includes(node(w, net).inode));
      const old = ['linux-6.1', 'linux-6.12', 'linux-6.14'].includes(p.name);
      expect(at && at.kind === 'reaper.step' ? at.step : null).toBe(old ? 'exit' : 'final');
    },
  );
});

describe('mounts and ioctls', () => {
  it('binding a mount-ns file that is not newer than the caller’s mount ns → EINVAL (fs/namespace.c: do_loopback → mnt_ns_loop)', () => {
    const r = rig(linux612, ['a']);
    ok(
      r,
      { kind: 'fork', task: 'a', child: 'c', types: ['mnt'] },
      { kind: 'fork', task: 'a', child: 'd', types: ['mnt'] },
    );
    const bind = (from: string, of: string) =>
      exec(r, { kind: 'bind', task: from, source: { kind: 'proc', task: of, file: 'mnt' }, path: `/run/${of}` });
    expect(bind('c', 'a')).toBe('EINVAL'); // the initial one: older
    expect(bind('c', 'c')).toBe('EINVAL'); // itself
    expect(bind('d', 'c')).toBe('EINVAL'); // c's is older than d's
    expect(bind('c', 'd')).toBeNull(); // d's is newer
    expect(bind('a', 'c')).toBeNull();
  });

  it('umount of a path that does not exist → ENOENT, before any permission check; of an existing path with nothing mounted → EINVAL (fs/namespace.c: ksys_umount → user_path_at, path_umount → can_umount)', () => {
    // Seen on 6.18.44 with the probe: umount /run/netns/n1 => ENOENT when no bind ever made it.
    const r = rig(linux618, ['a', 'b']);
    expect(exec(r, { kind: 'umount', task: 'a', path: '/run/netns/x', lazy: false })).toBe('ENOENT');
    const src = { kind: 'path', path: '/run/netns/nothing' } as const;
    expect(exec(r, { kind: 'bind', task: 'a', source: src, path: '/run/netns/y' })).toBe('ENOENT');
    expect(exec(r, { kind: 'umount', task: 'a', path: '/run/netns/y', lazy: false })).toBe('ENOENT'); // not made
    ok(
      r,
      { kind: 'bind', task: 'a', source: { kind: 'proc', task: 'a', file: 'uts' }, path: '/run/netns/x' },
      { kind: 'umount', task: 'a', path: '/run/netns/x', lazy: false },
    );
    expect(exec(r, { kind: 'umount', task: 'a', path: '/run/netns/x', lazy: false })).toBe('EINVAL'); // the file stays
    // A task without CAP_SYS_ADMIN over its mount ns: the lookup still comes first.
    ok(r, { kind: 'unshare', task: 'b', types: ['user'] });
    expect(exec(r, { kind: 'umount', task: 'b', path: '/run/netns/none', lazy: false })).toBe('ENOENT');
    expect(exec(r, { kind: 'umount', task: 'b', path: '/run/netns/x', lazy: false })).toBe('EPERM');
  });

  it('mounts copied into a mount ns of another owner are locked: umount → EINVAL, the namespace stays held (fs/namespace.c: copy_mnt_ns → lock_mnt_tree, copy_tree keeps MNT_LOCKED, can_umount)', () => {
    // Seen on 6.18.44 (test/fixtures/traces/regression-locked-mounts-*.jsonl): the same errnos.
    const r = rig(linux618, ['a', 'b']);
    const umount = (task: string, path: string, lazy = false) => exec(r, { kind: 'umount', task, path, lazy });
    ok(
      r,
      { kind: 'bind', task: 'a', source: { kind: 'proc', task: 'a', file: 'uts' }, path: '/run/netns/n0' },
      { kind: 'unshare', task: 'a', types: ['user', 'mnt'] },
    );
    expect(umount('a', '/run/netns/n0')).toBe('EINVAL');
    expect(umount('a', '/run/netns/n0', true)).toBe('EINVAL'); // MNT_DETACH too
    ok(r, { kind: 'bind', task: 'a', source: { kind: 'proc', task: 'a', file: 'net' }, path: '/run/netns/n1' });
    expect(umount('a', '/run/netns/n1')).toBeNull(); // made there: not locked
    ok(r, { kind: 'unshare', task: 'a', types: ['mnt'] }); // same owner, but the copy of a locked mount stays locked
    expect(umount('a', '/run/netns/n0')).toBe('EINVAL');
    expect(umount('b', '/run/netns/n0')).toBeNull(); // the original, in b's mount ns
  });

  it('NS_GET_PARENT on a net fd → EINVAL; on a user or pid fd the parent (fs/nsfs.c: ns_ioctl — no get_parent op)', () => {
    const r = rig(linux618, ['a']);
    const w = r.w;
    ok(
      r,
      { kind: 'fork', task: 'a', child: 'c', types: ['user', 'pid', 'net'] },
      { kind: 'open', task: 'c', source: { kind: 'proc', task: 'c', file: 'net' }, as: 'n', cloexec: false },
      { kind: 'open', task: 'a', source: { kind: 'proc', task: 'c', file: 'user' }, as: 'u', cloexec: false },
    );
    expect(exec(r, { kind: 'ioctl', task: 'c', fd: 'n', request: 'get-parent', as: 'x', cloexec: false })).toBe(
      'EINVAL',
    );
    ok(r, { kind: 'ioctl', task: 'c', fd: 'n', request: 'get-userns', as: 'y', cloexec: false });
    ok(r, { kind: 'ioctl', task: 'a', fd: 'u', request: 'get-parent', as: 'z', cloexec: false });
    const file = (t: string, fd: string) => w.files[w.fdTables[task(w, t).files]!.fds[fd]!.file]!.target;
    expect(file('c', 'y')).toBe(nsOf(w, 'c', 'user'));
    expect(file('a', 'z')).toBe(0); // init_user_ns
  });
});
