import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../src/scenario/ast.ts';
import { formatStep } from '../../src/scenario/format.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { withoutPos } from './support.ts';

const dir = new URL('../../examples/', import.meta.url);
const load = (name: string, params?: Record<string, string>): Scenario =>
  parseScenario(readFileSync(new URL(name, dir), 'utf8'), `examples/${name}`, params);
const lines = (s: Scenario) => s.steps.map(formatStep);

describe('examples/*.nsl', () => {
  it.each(readdirSync(dir).filter((f) => f.endsWith('.nsl')))('%s parses and is named after its file', (file) => {
    const s = load(file);
    expect(s.name).toBe(file.replace(/\.nsl$/, ''));
    expect(s.steps.length).toBeGreaterThan(0);
  });

  it('seed.nsl is the question: four netns trashed, $delay apart', () => {
    const s = load('seed.nsl');
    expect(s.params).toEqual({ delay: '500ms' });
    expect(s.tasks).toEqual(['main']);
    const trash = (i: number) => ['main: unshare net', `main: read net as trash${i}`, 'sleep 500ms'];
    expect(lines(s)).toEqual(['main: unshare user', 'main: read net as orig', ...[1, 2, 3, 4].flatMap(trash)]);
    expect(withoutPos(load('seed.nsl', { delay: '10ms' })).steps.filter((step) => step.kind === 'sleep')).toEqual(
      Array(4).fill({ kind: 'sleep', ns: 10_000_000 }),
    );
  });

  it('slow-reuse.nsl expects the numbers to oscillate', () => {
    const expects = lines(load('slow-reuse.nsl')).filter((line) => line.startsWith('expect'));
    expect(expects).toEqual([
      'expect trash1 released',
      'expect same-inode trash3 trash1',
      'expect other-ns trash3 trash1',
      'expect same-inode trash4 trash2',
      'expect other-ns trash4 trash2',
      'expect trash4 held',
    ]);
  });

  it('slow-reuse.nsl checks trash1 released right after trash2 is made', () => {
    const all = lines(load('slow-reuse.nsl'));
    const at = all.indexOf('expect trash1 released');
    expect(all.slice(at - 2, at)).toEqual(['main: unshare net', 'main: read net as trash2']);
  });

  it('fast-pileup.nsl expects six different numbers and no pause', () => {
    const s = load('fast-pileup.nsl');
    const all = lines(s);
    expect(all.filter((line) => line.startsWith('expect other-inode'))).toHaveLength(6);
    for (const [a, b] of [
      [1, 2],
      [1, 3],
      [1, 4],
      [2, 3],
      [2, 4],
      [3, 4],
    ]) {
      expect(all).toContain(`expect other-inode trash${a} trash${b}`);
    }
    expect(withoutPos(s).steps.filter((step) => step.kind === 'sleep')).toEqual(
      Array(3).fill({ kind: 'sleep', ns: 0 }),
    );
    const at = all.indexOf('expect trash1 released');
    expect(all.slice(at - 2, at)).toEqual(['main: unshare net', 'main: read net as trash2']);
  });

  it('fd-keeps-netns.nsl: the fd alone holds the netns, and closing it releases it', () => {
    const all = lines(load('fd-keeps-netns.nsl'));
    const open = all.indexOf('main: open /proc/main/ns/net as fd');
    expect(all.slice(open - 1, open)).toEqual(['main: read net as first']);
    expect(all.slice(open + 1, open + 3)).toEqual(['main: unshare net', 'main: read net as second']);
    const held = all.indexOf('expect first held');
    expect(held).toBeGreaterThan(open);
    expect(all.slice(held + 1)).toEqual(['main: close fd', 'expect first released']);
  });

  it('bind-mount.nsl: the mount alone holds the netns until umount', () => {
    const all = lines(load('bind-mount.nsl'));
    expect(all).toContain('main: bind /proc/main/ns/net /run/netns/blue');
    const bind = all.indexOf('main: bind /proc/main/ns/net /run/netns/blue');
    expect(all.slice(bind + 1, bind + 2)).toEqual(['main: unshare net']);
    expect(all.filter((line) => line === 'expect blue held')).toHaveLength(2);
    expect(all.slice(-2)).toEqual(['main: umount /run/netns/blue', 'expect blue released']);
    expect(all.indexOf('main: close fd')).toBeLessThan(all.lastIndexOf('expect blue held'));
  });

  it('zombie-userns.nsl: the zombie holds its user namespace until the parent waits', () => {
    const all = lines(load('zombie-userns.nsl'));
    expect(all).toEqual([
      'main: fork child new user',
      'child: read user as inner',
      'main: wait child => EAGAIN',
      'child: exit',
      'sleep 100ms',
      'expect inner held',
      'main: wait child',
      'sleep 100ms',
      'expect inner released',
    ]);
  });
});
