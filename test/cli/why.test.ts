import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const nslife = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin/nslife.js'), ...args], { cwd: root, encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'nslife-why-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

/** Bad input: one line on stderr, status 2, nothing on stdout, no stack trace. */
function expectInputError(r: ReturnType<typeof nslife>, line: RegExp): void {
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(line);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
}

const BIND = 'examples/bind-mount.nsl';
// examples/bind-mount.nsl: steps 1 unshare net, 2 read net as blue, 3 bind, 4 unshare net,
// 5 read net as other, 6–7 expect, 8 open, 9 close, 10 expect, 11 umount, 12 expect.

describe('nslife why', () => {
  it('a name bound by read: the bind mount holds it; the seed and the replay are printed', () => {
    const r = nslife('why', BIND, 'blue', '--at', '4', '--seed', '42');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.stdout.split('\n');
    expect(out[0]).toMatch(
      /^nslife why examples\/bind-mount\.nsl blue — profile linux-6\.18, seed 42, t=[\d.]+ ms, after step 4 of 12 \(line 10: main: unshare net\)$/,
    );
    expect(out[1]).toBe('(replay: node bin/nslife.js why examples/bind-mount.nsl blue --seed 42 --at 4)');
    expect(r.stdout).toContain(
      '1 reference (created at 0 ms); held by:\n    1. bind mount /run/netns/blue in initial mnt ns\n',
    );
    // same seed, same output
    expect(nslife('why', BIND, 'blue', '--at', '4', '--seed', '42').stdout).toBe(r.stdout);
  });

  it('after the umount: dying, with cleanup_net’s steps to come', () => {
    const r = nslife('why', BIND, 'blue', '--seed', '42');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/dying: its last reference went at t=[\d.]+ ms/);
    expect(r.stdout).toMatch(/queued for cleanup_net since t=[\d.]+ ms, next step start due/);
    expect(r.stdout).toMatch(/ {4}final +[\d.]+–[\d.]+ ms +inode 4026532175/);
  });

  it('--at-ms late enough: freed, and when', () => {
    const r = nslife('why', BIND, 'blue', '--seed', '42', '--at-ms', '500');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/freed at t=[\d.]+ ms \(last reference gone at [\d.]+ ms; created at 0 ms\)/);
  });

  it('TASK:FILE names the task’s namespace at that point; a seed is chosen and printed when none is given', () => {
    const r = nslife('why', BIND, 'main:user', '--at', '9');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/seed \d+,/);
    expect(r.stdout).toContain('initial user ns (user:[4026531837])');
    expect(r.stdout).toContain('2. credentials of task main');
    expect(r.stdout).toContain('owned net ns 9, which bind mount /run/netns/blue in initial mnt ns holds');
  });

  it('--json: the data', () => {
    const r = nslife('why', BIND, 'blue', '--at', '4', '--seed', '42', '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as {
      seed: number;
      why: { ns: { id: number }; chains: { links: { kind: string }[] }[] };
    };
    expect(j.seed).toBe(42);
    expect(j.why.ns.id).toBe(9);
    expect(j.why.chains).toEqual([
      {
        links: [
          { kind: 'mount', mountKind: 'nsfs', path: '/run/netns/blue', mntNs: expect.objectContaining({ id: 4 }) },
        ],
        active: null,
      },
    ]);
  });

  it('bad input: one line, status 2', () => {
    expectInputError(
      nslife('why', BIND),
      /^nslife why: field arguments: expected a scenario file and a namespace \(SCENARIO NS\), found 1: /,
    );
    expectInputError(
      nslife('why', BIND, 'other', '--at', '2'),
      /^nslife why: field NS: expected a name bound by .*found "other" \(bound only at step 5\)$/,
    );
    expectInputError(nslife('why', BIND, 'nosuch'), /field NS: .*found "nosuch"$/);
    expectInputError(
      nslife('why', BIND, 'bob:net'),
      /field NS: expected TASK:FILE with a task of the scenario by then \(main\), found "bob:net"$/,
    );
    expectInputError(
      nslife('why', BIND, 'main:nett'),
      /field NS: expected TASK:FILE with a namespace file .*found "main:nett"$/,
    );
    expectInputError(
      nslife('why', BIND, 'blue', '--at', '13'),
      /^nslife why: field --at: expected an integer from 0 to 12, found "13"$/,
    );
    expectInputError(
      nslife('why', BIND, 'blue', '--at-ms=-1'),
      /^nslife why: field --at-ms: expected a virtual time in ms/,
    );
    expectInputError(
      nslife('why', BIND, 'blue', '--at', '1', '--at-ms', '1'),
      /field --at-ms: expected either --at or --at-ms, not both/,
    );
    expectInputError(nslife('why', BIND, 'blue', '--bogus'), /^nslife why: field options: .*'--bogus'/);
    expectInputError(nslife('why', BIND, 'blue', '--profile', 'nope'), /field --profile: expected a profile name/);
    expectInputError(
      nslife('why', file('typo.nsl', 'task main\nmain: unshare nett\n'), 'main:net'),
      /typo\.nsl:2:15: expected a namespace type .*found "nett"$/,
    );
  });

  it('a name whose read failed cannot be explained', () => {
    // pid_for_children before the first child: ENOENT on 6.18 (a model prediction, not an input error)
    const f = file('failed.nsl', 'task main\nmain: unshare pid\nmain: read pid_for_children as gone\n');
    expectInputError(nslife('why', f, 'gone'), /field NS: .*found "gone", whose read at line 3 failed \(ENOENT\)$/);
  });
});
