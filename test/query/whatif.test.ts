import { describe, expect, it } from 'vitest';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { linux619 } from '../../model/profiles/linux-6.19.ts';
import { MS } from '../../model/time.ts';
import { renderWhatIf, whatif, type WhatIfOp } from '../../src/query/whatif.ts';
import { scenario } from '../../src/scenario/builder.ts';
import { FIRST_NEW, worldAfter } from './support.ts';

const pos = { file: '<test>', line: 1, col: 1 };
/** linux-6.18's first model inode number (model/profiles/linux-6.18.ts: modelStart). */
const N = 4026532175;
const ms = (x: number): number => Math.round(x * MS);

// Expected windows are summed by hand from linux-6.18's ranges (model/profiles/linux-6.18.ts):
// syscall 0.002–1 ms; netnsStart 0–2, netnsUnregister 0.02–10, netnsExit 8–30, netnsFinal 5–45;
// credPut 0.1–80, workqueue 0.001–5.

describe('whatif: the last fd of a netns is closed', () => {
  const w = worldAfter(
    scenario('fd').task('main').unshare('main', 'net').open('main', '/proc/self/ns/net', 'fd').unshare('main', 'net'),
  );
  const close: WhatIfOp = { kind: 'close', task: 'main', fd: 'fd', pos };
  const t0 = w.now;
  const op = { lo: t0 + ms(0.002), hi: t0 + ms(1) };
  const start = { lo: op.lo, hi: op.hi + ms(2) };
  const unregister = { lo: start.lo + ms(0.02), hi: start.hi + ms(10) };
  const exit = { lo: unregister.lo + ms(8), hi: unregister.hi + ms(30) };
  const final = { lo: exit.lo + ms(5), hi: exit.hi + ms(45) };

  it('net ns 9 loses its last reference at the close and is freed at cleanup_net’s final step', () => {
    const r = whatif(w, close, linux618);
    expect(r.errno).toBeNull();
    expect(r.at).toEqual(op);
    expect(r.namespaces).toEqual([
      {
        ns: expect.objectContaining({ id: 9, type: 'net', inode: N }),
        lastPut: op,
        freed: final,
        reaper: 'cleanup_net',
        alsoWithoutOp: false,
      },
    ]);
    expect(r.deactivated).toBeNull();
    expect(r.settled).toEqual(final);
  });

  it('its numbers come back in three waves: the lo device entry, the other /proc/net entries, its own', () => {
    const r = whatif(w, close, linux618);
    const byWhat = Object.fromEntries(r.inodes.map((x) => [x.what, x]));
    expect(byWhat['device-proc']).toMatchObject({ inodes: [N + 64], at: unregister });
    expect(byWhat['proc']).toMatchObject({ at: exit });
    expect(byWhat['proc']!.inodes).toEqual(Array.from({ length: 63 }, (_, i) => N + 1 + i));
    expect(byWhat['inum']).toMatchObject({ inodes: [N], at: final });
  });

  it('its max_net_namespaces charge comes back at the final step, in the initial user namespace', () => {
    const r = whatif(w, close, linux618);
    expect(r.charges).toEqual([
      {
        ns: expect.objectContaining({ id: 9 }),
        type: 'net',
        userNs: expect.objectContaining({ id: 1, initial: true }),
        at: final,
        alsoWithoutOp: false,
      },
    ]);
  });

  it('6.19+: the netns becomes inactive when the fd is closed', () => {
    const w19 = worldAfter(
      scenario('fd').task('main').unshare('main', 'net').open('main', '/proc/self/ns/net', 'fd').unshare('main', 'net'),
      linux619,
    );
    const r = whatif(w19, close, linux619);
    expect(r.deactivated).toEqual([{ ns: expect.objectContaining({ id: 9 }), at: r.at, alsoWithoutOp: false }]);
  });

  it('is deterministic and leaves the world as it was', () => {
    const refs = w.ns.map((n) => n.refs);
    const a = whatif(w, close, linux618);
    const b = whatif(w, close, linux618);
    expect({ ...a, world: null }).toEqual({ ...b, world: null });
    expect(w.ns.map((n) => n.refs)).toEqual(refs);
    expect(a.world.ns[FIRST_NEW]!.state).toBe('freed');
    expect(w.ns[FIRST_NEW]!.state).toBe('active');
  });

  it('renders the outcome', () => {
    const text = renderWhatIf(whatif(w, close, linux618), 'main: close fd');
    expect(text).toMatch(/^what if main: close fd\? → ok, done [\d.]+–[\d.]+ ms \(profile linux-6.18\)/);
    expect(text).toContain(`net ns 9 (net:[${N}]): last reference goes`);
    expect(text).toContain(`${N + 1}–${N + 63} (net ns 9: its /proc/net entries)`);
    expect(text).toContain('max_net_namespaces of net ns 9, charged in initial user ns');
  });
});

describe('whatif: other operations', () => {
  it('a parent reaps its zombie child: the user namespace goes after the credentials’ RCU put and free_user_ns', () => {
    const w = worldAfter(scenario('z').task('main').fork('main', 'c', { new: 'user' }).exit('c'));
    const r = whatif(w, { kind: 'wait', task: 'main', child: 'c', pos }, linux618);
    const op = r.at;
    expect(op).toEqual({ lo: w.now + ms(0.002), hi: w.now + ms(1) });
    const lastPut = { lo: op.lo + ms(0.1), hi: op.hi + ms(80) };
    const freed = { lo: lastPut.lo + ms(0.001), hi: lastPut.hi + ms(5) };
    expect(r.namespaces).toEqual([
      {
        ns: expect.objectContaining({ id: 9, type: 'user' }),
        lastPut,
        freed,
        reaper: 'free_user_ns',
        alsoWithoutOp: false,
      },
    ]);
    expect(r.inodes).toEqual([
      { ns: expect.objectContaining({ id: 9 }), what: 'inum', inodes: [N], at: freed, alsoWithoutOp: false },
    ]);
    expect(r.charges).toMatchObject([{ type: 'user', userNs: { id: 1 }, at: freed }]);
  });

  it('what was already on its way is marked as happening without the operation too', () => {
    // net ns 9 is dying (left by the second unshare); exit drops net ns 10 as well.
    const w = worldAfter(scenario('two').task('a').unshare('a', 'net').unshare('a', 'net'));
    const r = whatif(w, { kind: 'exit', task: 'a', pos }, linux618);
    const fate = Object.fromEntries(r.namespaces.map((f) => [f.ns.id, f]));
    expect(fate[9]).toMatchObject({ lastPut: null, alsoWithoutOp: true });
    expect(fate[10]).toMatchObject({ lastPut: r.at, alsoWithoutOp: false });
    expect(fate[10]!.freed).not.toBeNull();
    expect(r.charges.map((c) => [c.ns.id, c.alsoWithoutOp]).sort()).toEqual([
      [10, false],
      [9, true],
    ]);
  });

  it('a failing operation changes nothing', () => {
    const w = worldAfter(scenario('ebadf').task('a').unshare('a', 'net'));
    const r = whatif(w, { kind: 'close', task: 'a', fd: 'nope', pos }, linux618);
    expect(r.errno).toBe('EBADF');
    expect(r.namespaces).toEqual([]);
    expect(r.inodes).toEqual([]);
    expect(renderWhatIf(r, 'a: close nope')).toContain('no namespace loses its last reference or is freed');
  });

  it('a synchronous reaper frees at once: exit of the only task in a uts namespace', () => {
    const w = worldAfter(scenario('uts').task('a').unshare('a', 'uts'));
    const r = whatif(w, { kind: 'exit', task: 'a', pos }, linux618);
    // free_uts_ns runs in the exiting task's context: freed, number and charge back, all within the exit.
    expect(r.namespaces).toEqual([
      {
        ns: expect.objectContaining({ id: 9, type: 'uts' }),
        lastPut: r.at,
        freed: r.at,
        reaper: 'free_uts_ns',
        alsoWithoutOp: false,
      },
    ]);
    expect(r.inodes).toMatchObject([{ what: 'inum', inodes: [N], at: r.at }]);
    expect(r.charges).toMatchObject([{ type: 'uts', at: r.at }]);
  });
});
