/**
 * Tasks as the kernel makes and ends them: a task whose creation failed never exists, and exec
 * from a thread makes that thread the process (fs/exec.c: de_thread).
 */
import { describe, expect, it } from 'vitest';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import type { TaskNode, World } from '../../src/engine/world.ts';
import { drainAll, exec, nsOf, rig } from './drive.ts';

const task = (w: World, name: string): TaskNode => w.tasks[w.taskIndex[name]!]!;

describe('a task whose fork or thread failed', () => {
  it('does not exist: its steps get ESRCH, /proc/TASK ENOENT, pidfd_open ESRCH, waitid ECHILD', () => {
    // kernel/fork.c: copy_process — CLONE_THREAD while pid_ns_for_children is not the active pid
    // namespace → EINVAL: no task. Then there is no /proc/<pid> (ENOENT), pidfd_open finds no
    // pid (kernel/pid.c: pidfd_open → ESRCH), waitid no such child (ECHILD). The probe records
    // ESRCH for a step of a task never born (probe/nslife-probe.c: run_task_step, T_UNBORN).
    const r = rig(linux618, ['a', 'b']);
    expect(exec(r, { kind: 'unshare', task: 'a', types: ['pid'] })).toBeNull();
    expect(exec(r, { kind: 'thread', task: 'a', child: 't1' })).toBe('EINVAL');
    expect(exec(r, { kind: 'read', task: 't1', nsType: 'net' })).toBe('ESRCH');
    expect(exec(r, { kind: 'exit', task: 't1' })).toBe('ESRCH');
    const open = { kind: 'proc', task: 't1', file: 'net' } as const;
    expect(exec(r, { kind: 'open', task: 'b', source: open, as: 'x', cloexec: false })).toBe('ENOENT');
    expect(exec(r, { kind: 'bind', task: 'b', source: open, path: '/run/netns/x' })).toBe('ENOENT');
    expect(exec(r, { kind: 'pidfd', task: 'b', target: 't1', as: 'p' })).toBe('ESRCH');
    expect(exec(r, { kind: 'wait', task: 'a', child: 't1' })).toBe('ECHILD');
    expect(r.w.taskIndex['t1']).toBeUndefined();
  });
});

describe('exec from a thread (fs/exec.c: de_thread)', () => {
  it('the old leader exits like any thread: its nsproxy goes, and a net only it held is released', () => {
    // zap_other_threads: the leader too goes through do_exit → exit_task_namespaces, then
    // de_thread releases it (release_task).
    const r = rig(linux618, ['a']);
    const w = r.w;
    exec(r, { kind: 'thread', task: 'a', child: 't1' });
    expect(exec(r, { kind: 'unshare', task: 'a', types: ['net'] })).toBeNull();
    const net = nsOf(w, 'a', 'net');
    expect(exec(r, { kind: 'exec', task: 't1' })).toBeNull();
    expect(task(w, 'a').state).toBe('reaped');
    expect(w.ns[net]).toMatchObject({ refs: 0, state: 'dying' });
    drainAll(r);
    expect(w.ns[net]!.state).toBe('freed');
  });

  it('the caller takes the leader’s pid (exchange_tids): a pidfd on the process still reaches it', () => {
    const r = rig(linux618, ['a', 'b']);
    exec(r, { kind: 'unshare', task: 'a', types: ['net'] }); // a net b may enter (the initial one is the host's)
    exec(r, { kind: 'thread', task: 'a', child: 't1' });
    exec(r, { kind: 'pidfd', task: 'b', target: 'a', as: 'p' });
    const pid = task(r.w, 'a').pid;
    exec(r, { kind: 'exec', task: 't1' });
    expect(exec(r, { kind: 'setns', task: 'b', fd: 'p', types: ['net'] })).toBeNull();
    expect(task(r.w, 't1')).toMatchObject({ leader: r.w.taskIndex['t1'], pid });
    // Names mean pid numbers where the kernel sees numbers (/proc/NAME, pidfd_open, waitid): `a`
    // now designates the exec'd process (t1 holds its pid), t1's own old tid is gone — as the
    // live campaign showed (/proc/<a's pid>/ns/* still opens after t1's exec).
    expect(exec(r, { kind: 'pidfd', task: 'b', target: 'a', as: 'q' })).toBeNull();
    expect(exec(r, { kind: 'pidfd', task: 'b', target: 't1', as: 'q2' })).toBe('ESRCH');
  });

  it('the caller takes the leader’s children (forget_original_parent → find_alive_thread)', () => {
    // A child that exits stays a zombie until the exec'd process waits for it.
    const r = rig(linux618, ['a']);
    exec(r, { kind: 'fork', task: 'a', child: 'c', types: ['user'] });
    exec(r, { kind: 'thread', task: 'a', child: 't1' });
    exec(r, { kind: 'exec', task: 't1' });
    exec(r, { kind: 'exit', task: 'c' });
    expect(task(r.w, 'c').state).toBe('zombie');
    expect(exec(r, { kind: 'wait', task: 't1', child: 'c' })).toBeNull();
    expect(task(r.w, 'c').state).toBe('reaped');
  });

  it('the caller becomes the pid namespace’s child_reaper (find_child_reaper): its exit ends the namespace', () => {
    // kernel/exit.c: find_child_reaper moves child_reaper to a live thread; when that process
    // exits, zap_pid_ns_processes kills the members and forks into it fail (alloc_pid: ENOMEM).
    const r = rig(linux618, ['a']);
    exec(r, { kind: 'unshare', task: 'a', types: ['pid'] });
    exec(r, { kind: 'fork', task: 'a', child: 'init', types: [] });
    exec(r, { kind: 'thread', task: 'init', child: 't1' });
    exec(r, { kind: 'exec', task: 't1' });
    expect(exec(r, { kind: 'fork', task: 'a', child: 'x', types: [] })).toBeNull();
    exec(r, { kind: 'exit', task: 't1' });
    expect(task(r.w, 'x').state).not.toBe('running');
    expect(exec(r, { kind: 'fork', task: 'a', child: 'y', types: [] })).toBe('ENOMEM');
  });
});

describe('pid namespace init death (kernel/pid_namespace.c: zap_pid_ns_processes)', () => {
  it('a member whose parent is outside stays a zombie until that parent waits; the init waits for it (wait init: EAGAIN)', () => {
    // zap_pid_ns_processes SIGKILLs every member, reaps its own children (kernel_wait4) and then
    // waits until pid_allocated == init_pids: "kernel_wait4() misses ... EXIT_ZOMBIE process whose
    // parents processes are outside of the pid namespace". Seen on 6.18.44 with the probe:
    // a: unshare pid; a: fork init; a: fork m; init: exit; a: wait init → EAGAIN; a: wait m → ok;
    // a: wait init → ok.
    const r = rig(linux618, ['a']);
    const w = r.w;
    exec(r, { kind: 'unshare', task: 'a', types: ['pid'] });
    exec(r, { kind: 'fork', task: 'a', child: 'init', types: [] });
    exec(r, { kind: 'fork', task: 'a', child: 'm', types: ['user'] });
    const mUser = nsOf(w, 'm', 'user');
    expect(exec(r, { kind: 'exit', task: 'init' })).toBeNull();
    expect(task(w, 'm').state).toBe('zombie'); // killed, not reaped: its cred still holds its user ns
    expect(w.ns[mUser]!.state).toBe('active');
    expect(exec(r, { kind: 'fork', task: 'a', child: 'late', types: [] })).toBe('ENOMEM');
    expect(exec(r, { kind: 'wait', task: 'a', child: 'init' })).toBe('EAGAIN');
    expect(exec(r, { kind: 'wait', task: 'a', child: 'm' })).toBeNull();
    expect(exec(r, { kind: 'wait', task: 'a', child: 'init' })).toBeNull();
  });

  it('an init whose parent is outside the scenario is reaped with its last member', () => {
    // The init's own children are reaped by it (kernel_wait4); the outside parent of the
    // scenario's first tasks reaps the init as soon as it can.
    const r = rig(linux618, ['a', 'b']);
    const w = r.w;
    exec(r, { kind: 'unshare', task: 'a', types: ['pid'] });
    exec(r, { kind: 'fork', task: 'a', child: 'init', types: [] });
    exec(r, { kind: 'fork', task: 'a', child: 'm', types: [] });
    exec(r, { kind: 'exit', task: 'a' }); // m goes to a's reaper (outside): reaped when it exits
    exec(r, { kind: 'fork', task: 'init', child: 'c', types: [] });
    exec(r, { kind: 'exit', task: 'init' });
    expect([task(w, 'c').state, task(w, 'm').state, task(w, 'init').state]).toEqual(['reaped', 'reaped', 'reaped']);
  });
});

describe('orphans (kernel/exit.c: forget_original_parent → find_new_reaper)', () => {
  it('go to the child_reaper of their parent’s pid namespace: a scenario init keeps them as zombies until it waits', () => {
    // find_new_reaper looks for a child subreaper only at the exiting parent's pid level, so the
    // probe's sandbox (a subreaper in the initial pid ns) does not take orphans of a new pid ns:
    // its init does, and does not reap them by itself. Seen on 6.18.44 with the probe:
    // a: unshare pid; a: fork init; init: fork p; p: fork c new user; p: exit; c: exit;
    // (c's user ns held) init: wait c => ok; init: wait p => ok.
    const r = rig(linux618, ['a']);
    const w = r.w;
    exec(r, { kind: 'unshare', task: 'a', types: ['pid'] });
    exec(r, { kind: 'fork', task: 'a', child: 'init', types: [] });
    exec(r, { kind: 'fork', task: 'init', child: 'p', types: [] });
    exec(r, { kind: 'fork', task: 'p', child: 'c', types: ['user'] });
    exec(r, { kind: 'exit', task: 'p' });
    exec(r, { kind: 'exit', task: 'c' });
    expect(task(w, 'c').state).toBe('zombie');
    expect(w.ns[nsOf(w, 'c', 'user')]!.state).toBe('active');
    expect(exec(r, { kind: 'wait', task: 'init', child: 'c' })).toBeNull();
    expect(exec(r, { kind: 'wait', task: 'init', child: 'p' })).toBeNull();
  });

  it('in the initial pid namespace go to the probe’s sandbox (a child subreaper), which reaps them at once', () => {
    const r = rig(linux618, ['a']);
    exec(r, { kind: 'fork', task: 'a', child: 'p', types: [] });
    exec(r, { kind: 'fork', task: 'p', child: 'c', types: [] });
    exec(r, { kind: 'exit', task: 'p' });
    exec(r, { kind: 'exit', task: 'c' });
    expect(task(r.w, 'c').state).toBe('reaped');
    expect(exec(r, { kind: 'wait', task: 'a', child: 'c' })).toBe('ECHILD');
  });
});
