/**
 * Issue 5: the same scenario or trace under two profiles, where the kernels really differ, shows
 * the difference.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROFILES } from '../../model/profiles/index.ts';
import { checkTrace } from '../../src/checker/check.ts';
import { simulate } from '../../src/engine/simulate.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { evaluateExpectations } from '../../src/trace/expectations.ts';
import { parseTrace } from '../../src/trace/read.ts';
import type { KernelProfile } from '../../model/profile.ts';

const dir = join(import.meta.dirname, '../fixtures/traces');
const trace = (f: string) => parseTrace(readFileSync(join(dir, f), 'utf8'), f);
const profile = (name: string): KernelProfile => {
  const p = PROFILES[name];
  if (!p) throw new Error(`no profile ${name}`);
  return p;
};

describe('active references (6.19+) against 6.18, on real 6.18 traces', () => {
  // KERNEL-RULES 5.5: sockets hold __ns_ref but no active reference; in 6.19+ a file handle
  // does not open an inactive namespace (ns_get_unless_inactive).
  it('a netns kept only by a socket: held on 6.18, inactive on 6.19+', () => {
    const t = trace('socket-keeps-netns-1.jsonl');
    expect(checkTrace(t, { profile: profile('linux-6.18') }).outcome).toBe('admitted');
    for (const name of ['linux-6.19', 'linux-7.x']) {
      const v = checkTrace(t, { profile: profile(name) });
      expect(v.outcome, name).toBe('rejected');
      if (v.outcome !== 'rejected') continue;
      expect(v.allowed.join(' '), name).toMatch(/released/);
      expect(v.seen, name).toMatch(/held/);
    }
  });

  // 6.18 [exp 7.7]: a reaped task's user ns still opens by handle until put_cred_rcu; 6.19+:
  // release_task drops the active reference at once.
  it('the user ns of a just-reaped zombie: still held on 6.18, inactive at the reap on 6.19+', () => {
    const t = trace('zombie-keeps-userns-1.jsonl');
    expect(checkTrace(t, { profile: profile('linux-6.18') }).outcome).toBe('admitted');
    const v = checkTrace(t, { profile: profile('linux-7.x') });
    expect(v.outcome).toBe('rejected');
    if (v.outcome === 'rejected') expect(v.step.op).toBe('wait');
  });
});

describe('pid_for_children before the first child', () => {
  // kernel/pid_namespace.c: pidns_for_children_get — ENOENT without a child reaper up to 7.0;
  // 7.1+ allows it (docs/kernel-versions.md).
  it('ENOENT up to 7.0 (the real 6.18 trace is admitted by linux-6.19), allowed on linux-7.x', () => {
    const t = trace('pidns-init-death-1.jsonl');
    expect(checkTrace(t, { profile: profile('linux-6.19') }).outcome).toBe('admitted');
    const v = checkTrace(t, { profile: profile('linux-7.x') });
    expect(v.outcome).toBe('rejected');
    if (v.outcome === 'rejected') {
      expect(v.seen).toBe('errno ENOENT');
      expect(v.allowed.join(' ')).toMatch(/^ok/);
    }
  });
});

describe('model runs that differ between profiles', () => {
  // ipc/namespace.c: create_ipc_ns flushes free_ipc_work and retries since 6.3; 6.1 gives ENOSPC
  // while the previous ipc namespace's free work is pending (the live 6.18.44 kernel reuses the
  // first one's number at once: test/fixtures/traces/churn-uts-ipc-time-cgroup-*).
  const ipcChurn = parseScenario(
    [
      'scenario ipc-churn',
      'task main',
      'main: unshare user',
      'main: set max_ipc_namespaces = 2',
      'main: unshare ipc',
      'main: unshare ipc', // the first one is now dying: its free work is pending
      'main: unshare ipc',
    ].join('\n'),
    'ipc-churn.nsl',
  );
  it('ipc churn against max_ipc_namespaces=2: ENOSPC on linux-6.1, ok on linux-6.18', () => {
    for (let seed = 0; seed < 20; seed++) {
      const last = (name: string) => simulate(ipcChurn, { profile: profile(name), seed }).trace.steps.at(-1)?.errno;
      expect(last('linux-6.18'), `seed ${seed}`).toBeNull();
      // workqueue + synchronize_rcu take longer than the next syscall here for every seed
      expect(last('linux-6.1'), `seed ${seed}`).toBe('ENOSPC');
    }
  });

  // fs/exec.c → exec_task_namespaces enters time_for_children since 6.2 (docs/kernel-versions.md).
  const timeExec = parseScenario(
    [
      'scenario time-exec',
      'task main',
      'main: unshare user',
      'main: read time as before',
      'main: unshare time',
      'main: exec',
      'main: read time as after',
      'expect other-ns before after',
    ].join('\n'),
    'time-exec.nsl',
  );
  it('exec after unshare(CLONE_NEWTIME) enters the new time ns on linux-6.12+, not on linux-6.1', () => {
    const status = (name: string) =>
      evaluateExpectations(timeExec, simulate(timeExec, { profile: profile(name), seed: 1 }).trace).map(
        (r) => r.status,
      );
    expect(status('linux-6.12')).toEqual(['pass']);
    expect(status('linux-6.18')).toEqual(['pass']);
    expect(status('linux-6.1')).toEqual(['fail']);
  });
});
