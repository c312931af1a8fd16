import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const nslife = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin/nslife.js'), ...args], { cwd: root, encoding: 'utf8' });

function expectInputError(r: ReturnType<typeof nslife>, line: RegExp): void {
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(line);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
}

const BIND = 'examples/bind-mount.nsl';
const ZOMBIE = 'examples/zombie-userns.nsl';

describe('nslife whatif', () => {
  it('umount of the bind mount that alone holds a netns: freed by cleanup_net, numbers and charge back', () => {
    const r = nslife('whatif', BIND, '--op', 'main: umount /run/netns/blue', '--at', '9', '--seed', '42');
    expect(r.status).toBe(0);
    const out = r.stdout.split('\n');
    expect(out[0]).toMatch(
      /^nslife whatif examples\/bind-mount\.nsl — profile linux-6\.18, seed 42, t=[\d.]+ ms, after step 9 of 12 \(line 16: main: close fd\)$/,
    );
    expect(out[1]).toBe(
      "(replay: node bin/nslife.js whatif examples/bind-mount.nsl --op 'main: umount /run/netns/blue' --seed 42 --at 9)",
    );
    expect(out[2]).toMatch(
      /^what if main: umount \/run\/netns\/blue\? → ok, done [\d.]+–[\d.]+ ms \(profile linux-6\.18\)$/,
    );
    expect(r.stdout).toMatch(
      /net ns 9 \(net:\[4026532175\]\): last reference goes [\d.]+–[\d.]+ ms; freed [\d.]+–[\d.]+ ms \(cleanup_net\)\n/,
    );
    expect(r.stdout).toContain('4026532176–4026532238 (net ns 9: its /proc/net entries)');
    expect(r.stdout).toContain('max_net_namespaces of net ns 9, charged in initial user ns');
    expect(nslife('whatif', BIND, '--op', 'main: umount /run/netns/blue', '--at', '9', '--seed', '42').stdout).toBe(
      r.stdout,
    );
  });

  it('a zombie still holds it: exit changes nothing; the parent’s wait frees it', () => {
    const exit = nslife('whatif', ZOMBIE, '--op', 'child: exit', '--at', '3', '--seed', '1');
    expect(exit.status).toBe(0);
    expect(exit.stdout).toContain('no namespace loses its last reference or is freed');
    const wait = nslife(
      'whatif',
      ZOMBIE,
      '--op',
      'main: wait child',
      '--at',
      '5',
      '--seed',
      '1',
      '--profile',
      'linux-6.19',
    );
    expect(wait.status).toBe(0);
    expect(wait.stdout).toMatch(
      /user ns 9 \(user:\[\d+\]\): last reference goes [\d.]+–[\d.]+ ms; freed [\d.]+–[\d.]+ ms \(free_user_ns\)/,
    );
    expect(wait.stdout).toMatch(/user ns 9 becomes inactive/);
  });

  it('an operation the model says fails is a result, not an input error', () => {
    const r = nslife('whatif', BIND, '--op', 'main: umount /nowhere', '--seed', '3');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('→ ENOENT'); // ksys_umount: user_path_at fails before anything else
  });

  it('--json', () => {
    const r = nslife('whatif', BIND, '--op', 'main: umount /run/netns/blue', '--at', '9', '--seed', '42', '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as {
      seed: number;
      whatif: { errno: null; namespaces: { ns: { id: number }; reaper: string }[] };
    };
    expect(j.seed).toBe(42);
    expect(j.whatif.errno).toBeNull();
    expect(j.whatif.namespaces.map((n) => [n.ns.id, n.reaper])).toEqual([[9, 'cleanup_net']]);
  });

  it('bad input: one line, status 2, positioned in --op', () => {
    expectInputError(
      nslife('whatif', BIND),
      /^nslife whatif: field --op: expected an operation, e\.g\. --op 'main: exit', found none$/,
    );
    expectInputError(
      nslife('whatif', BIND, '--op', 'main: unshare nett'),
      /^nslife: --op:1:15: expected a namespace type .*found "nett"$/,
    );
    expectInputError(
      nslife('whatif', BIND, '--op', 'main: close fd', '--at', '7'),
      /^nslife: --op:1:13: expected an fd bound earlier/,
    );
    expectInputError(
      nslife('whatif', ZOMBIE, '--op', 'child: exit', '--at', '4'),
      /^nslife: --op:1:1: expected a task that has not exited, found "child", which exited at line 11$/,
    );
    expectInputError(
      nslife('whatif', BIND, '--op', 'bob: exit'),
      /^nslife: --op:1:1: expected a task declared or forked earlier/,
    );
    expectInputError(
      nslife('whatif', BIND, 'extra', '--op', 'main: exit'),
      /^nslife whatif: field arguments: expected one scenario file/,
    );
    expectInputError(nslife('whatif', BIND, '--op', 'main: exit', '--seed', 'x'), /field --seed: expected an integer/);
  });
});
