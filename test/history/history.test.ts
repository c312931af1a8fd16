import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { MS } from '../../model/time.ts';
import { diff, renderDiff, type Change } from '../../src/history/diff.ts';
import { openHistory } from '../../src/history/history.ts';
import { scenario } from '../../src/scenario/builder.ts';

const FD = scenario('fd')
  .task('main')
  .unshare('main', 'net') // 0: net ns 9
  .open('main', '/proc/self/ns/net', 'fd') // 1
  .unshare('main', 'net') // 2: net ns 10; 9 is held by the fd alone
  .close('main', 'fd') // 3: 9 dies
  .sleep('200ms') // 4: cleanup_net frees it
  .build();

const h0 = () => openHistory(FD, { profile: linux618, seed: 11 });

describe('history: a cursor over the snapshots', () => {
  it('one snapshot per step, plus the initial and the settled world', () => {
    const h = h0();
    expect(h.length).toBe(FD.steps.length + 2);
    expect(h.current().step).toBe(-1);
    expect(h.forward().step).toBe(0);
    expect(h.forward(2).step).toBe(2);
    expect(h.back().step).toBe(1);
    expect(h.go(100).step).toBe(FD.steps.length); // clamped: the settled world
    expect(h.back(100).step).toBe(-1);
    expect(h.afterSteps(4).step).toBe(3);
    expect(() => h.afterSteps(6)).toThrow(RangeError);
  });
});

describe('history: at(t)', () => {
  it('at a snapshot’s time: that snapshot', () => {
    const h = h0();
    for (let k = 0; k <= FD.steps.length; k++) {
      const s = h.afterSteps(k);
      const at = h.at(s.t);
      expect(at.steps).toBe(k);
      expect(at.world).toBe(s.world);
    }
  });

  it('inside a sleep: the run replayed to t, consistent with the run’s own reaper events', () => {
    const h = h0();
    // The run recorded when cleanup_net ran each step on net ns 9 (model events, virtual clock).
    const ev = (step: string): number => h.run.trace.events.find((e) => e.name === `model.cleanup_net.${step}`)!.t;
    const sleepStart = h.afterSteps(4).t;
    for (const [i, step] of ['start', 'unregister', 'exit', 'final'].entries()) {
      const t = ev(step);
      expect(t).toBeGreaterThan(sleepStart);
      const before = h.at(t - 1).world.ns[8]!;
      const after = h.at(t).world.ns[8]!;
      expect(before.reaperStep).toBe(i - 1);
      expect(after.reaperStep).toBe(i);
    }
    expect(h.at(ev('final') - 1).world.ns[8]!.state).toBe('dying');
    expect(h.at(ev('final')).world.ns[8]!.state).toBe('freed');
  });

  it('after the run: replayed further; during a syscall: the world before it', () => {
    const h = h0();
    const end = h.snapshots.at(-1)!;
    const later = h.at(end.t + 1000 * MS);
    expect(later.steps).toBe(FD.steps.length);
    expect(isDeepStrictEqual(later.world.ns, end.world.ns)).toBe(true);
    const s2 = h.afterSteps(2);
    const s3 = h.afterSteps(3);
    const mid = h.at(Math.floor((s2.t + s3.t) / 2));
    expect(mid).toMatchObject({ steps: 2, inStep: 2 });
    expect(mid.world).toBe(s2.world);
  });
});

describe('history: diff', () => {
  // Expected changes follow the scenario by hand: which references each step takes or drops.
  it('open: an fd, the nsfs reference on net ns 9, the f_cred reference on the initial user ns', () => {
    const h = h0();
    const changes = h.diff(h.afterSteps(1), h.afterSteps(2));
    expect(changes).toEqual<Change[]>([
      // initial user ns: static + main's cred + owner of net ns 9 + ucounts = 4, + f_cred
      { kind: 'ns.refs', ns: expect.objectContaining({ id: 1 }), from: 4, to: 5 },
      { kind: 'ns.refs', ns: expect.objectContaining({ id: 9 }), from: 1, to: 2 },
      {
        kind: 'fd.opened',
        task: 'main',
        fd: 'fd',
        fileKind: 'nsfs',
        target: { ns: expect.objectContaining({ id: 9 }) },
      },
    ]);
  });

  it('unshare net: net ns 10 created; main leaves net ns 9', () => {
    const h = h0();
    const changes = h.diff(2, 3);
    expect(changes).toContainEqual({
      kind: 'ns.created',
      ns: expect.objectContaining({ id: 10, type: 'net' }),
      state: 'active',
      refs: 1,
    });
    expect(changes).toContainEqual({ kind: 'ns.refs', ns: expect.objectContaining({ id: 9 }), from: 2, to: 1 });
  });

  it('close: the fd goes and net ns 9 starts dying; the sleep frees it', () => {
    const h = h0();
    const closed = h.diff(3, 4);
    expect(closed).toContainEqual({
      kind: 'ns.state',
      ns: expect.objectContaining({ id: 9 }),
      from: 'active',
      to: 'dying',
    });
    expect(closed).toContainEqual({ kind: 'ns.refs', ns: expect.objectContaining({ id: 9 }), from: 1, to: 0 });
    expect(closed).toContainEqual(expect.objectContaining({ kind: 'fd.closed', task: 'main', fd: 'fd' }));
    expect(h.diff(4, 5)).toContainEqual({
      kind: 'ns.state',
      ns: expect.objectContaining({ id: 9 }),
      from: 'dying',
      to: 'freed',
    });
    expect(renderDiff(h.diff(3, 4))).toContain('~ net ns 9: active → dying');
    expect(renderDiff(h.diff(3, 4))).toContain('- fd fd of task main: nsfs → net ns 9');
  });

  it('tasks and mounts', () => {
    const s = scenario('tm')
      .task('main')
      .unshare('main', 'net')
      .fork('main', 'c')
      .bind('main', '/proc/self/ns/net', '/run/netns/x')
      .exit('c')
      .umount('main', '/run/netns/x')
      .build();
    const h = openHistory(s, { profile: linux618, seed: 1 });
    // diff(i, i + 1): snapshot i is the world after i steps, so this is step i (0-based)
    expect(h.diff(1, 2)).toContainEqual({ kind: 'task.added', task: 'c', state: 'running' });
    const bound = h.diff(2, 3);
    expect(bound).toContainEqual({
      kind: 'mount.added',
      mntNs: expect.objectContaining({ id: 4, initial: true }),
      path: '/run/netns/x',
      mountKind: 'nsfs',
      target: expect.objectContaining({ id: 9 }),
    });
    // c's parent main is running: c stays a zombie
    expect(h.diff(3, 4)).toContainEqual({ kind: 'task.state', task: 'c', from: 'running', to: 'zombie' });
    expect(h.diff(4, 5)).toContainEqual(expect.objectContaining({ kind: 'mount.removed', path: '/run/netns/x' }));
    expect(renderDiff(h.diff(2, 3))).toContain('+ bind mount /run/netns/x in initial mnt ns → net ns 9');
    expect(diff(h.afterSteps(0).world, h.afterSteps(0).world)).toEqual([]);
    expect(renderDiff([])).toBe('  (no change)');
  });
});
