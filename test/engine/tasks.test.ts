/**
 * Tasks as the kernel makes and ends them: a task whose creation failed never exists.
 */
import { describe, expect, it } from 'vitest';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { exec, rig } from './drive.ts';

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
