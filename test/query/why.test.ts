import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { linux619 } from '../../model/profiles/linux-6.19.ts';
import { MS } from '../../model/time.ts';
import type { World } from '../../src/engine/world.ts';
import { scenario } from '../../src/scenario/builder.ts';
import { MAX_CHAINS, renderChain, renderWhy, why, type Why } from '../../src/query/why.ts';
import { FIRST_NEW, historyOf, worldAfter } from './support.ts';

/** Every chain of `y` as its rendered line, sorted (holders have no meaningful order). */
const lines = (y: Why): string[] => y.chains.map((c) => renderChain(c.links)).sort();

// Every expected chain below is read off the scenario by hand: which object takes a reference
// on which namespace (the kernel's rules in model/rules/table.ts), not what the code returns.
// Namespace ids: the 8 initial namespaces are ids 1–8; new ones count on from 9 in creation order.

describe('why: holder chains down to roots', () => {
  it('an nsfs fd: "fd NAME of task T"', () => {
    // net ns 9 is left by main's second unshare; only the open fd (its nsfs inode) holds it.
    const w = worldAfter(
      scenario('fd').task('main').unshare('main', 'net').open('main', '/proc/self/ns/net', 'f5').unshare('main', 'net'),
    );
    const y = why(w, FIRST_NEW, linux618);
    expect(y.ns).toMatchObject({ id: 9, type: 'net' });
    expect(y.state).toBe('active');
    expect(y.chains.map((c) => c.links)).toEqual([
      [{ kind: 'fd', task: 'main', fd: 'f5', fileKind: 'nsfs', via: 'file' }],
    ]);
    expect(lines(y)).toEqual(['fd f5 of task main']);
  });

  it('a bind mount in a mount namespace is followed to what holds that namespace', () => {
    // mnt ns 9, then net ns 10 bound on /run/netns/x inside mnt ns 9; main leaves net ns 10.
    const w = worldAfter(
      scenario('bind')
        .task('init')
        .unshare('init', 'mnt')
        .unshare('init', 'net')
        .bind('init', '/proc/self/ns/net', '/run/netns/x')
        .unshare('init', 'net'),
    );
    const y = why(w, FIRST_NEW + 1, linux618);
    expect(y.ns).toMatchObject({ id: 10, type: 'net' });
    expect(lines(y)).toEqual(['bind mount /run/netns/x in mnt ns 9, which task init holds (nsproxy)']);
  });

  it('a bind mount in the initial mount namespace is a root (it is never freed)', () => {
    const w = worldAfter(
      scenario('bind0')
        .task('main')
        .unshare('main', 'net')
        .bind('main', '/proc/self/ns/net', '/run/netns/blue')
        .unshare('main', 'net'),
    );
    expect(lines(why(w, FIRST_NEW, linux618))).toEqual(['bind mount /run/netns/blue in initial mnt ns']);
  });

  it('a socket: "socket fd NAME of task T"', () => {
    const w = worldAfter(scenario('sock').task('t9').unshare('t9', 'net').socket('t9', 's').unshare('t9', 'net'));
    expect(lines(why(w, FIRST_NEW, linux618))).toEqual(['socket fd s of task t9']);
  });

  it('a zombie: its credentials hold its user namespace until its parent reaps it', () => {
    const w = worldAfter(scenario('z').task('main').fork('main', 'child-3', { new: 'user' }).exit('child-3'));
    const y = why(w, FIRST_NEW, linux618);
    expect(y.chains.map((c) => c.links)).toEqual([
      [
        { kind: 'cred', task: 'child-3' },
        { kind: 'zombie', task: 'child-3', parent: 'main' },
      ],
    ]);
    expect(lines(y)).toEqual(['credentials of task child-3, a zombie not reaped by its parent main']);
  });

  it('once reaped: an RCU-delayed put of the credentials, due credPut after the reap', () => {
    const h = historyOf(
      scenario('z').task('main').fork('main', 'child', { new: 'user' }).exit('child').wait('main', 'child'),
    );
    const w = h.afterSteps(3).world;
    const y = why(w, FIRST_NEW, linux618);
    expect(y.chains).toHaveLength(1);
    const link = y.chains[0]!.links[0]!;
    expect(link).toMatchObject({ kind: 'deferred-put', what: 'cred' });
    // Drawn in the profile's credPut range (0.1–80 ms) after the wait.
    const due = (link as { due: { lo: number } }).due.lo;
    const waitT0 = h.run.trace.steps[2]!.t0;
    expect(due).toBeGreaterThanOrEqual(waitT0 + 0.1 * MS);
    expect(due).toBeLessThanOrEqual(h.run.trace.steps[2]!.t1 + 80 * MS);
    expect(lines(y)[0]).toMatch(/^RCU-delayed put \(cred\), due at [\d.]+ ms$/);
  });

  it('f_cred: every open file holds its opener’s user namespace', () => {
    // child is in user ns 9 (its credentials) and opened a socket there (the socket is in the
    // initial net ns, but its f_cred is user ns 9).
    const w = worldAfter(scenario('fcred').task('main').fork('main', 'c', { new: 'user' }).socket('c', 's'));
    expect(lines(why(w, FIRST_NEW, linux618))).toEqual(['credentials of task c', 'f_cred of socket fd s of task c']);
  });

  it('struct pid and pidfd: a reaped task’s struct pid stays while a pidfd holds it', () => {
    // unshare pid: pid ns 9 goes to main's pid_for_children; c is its init; c dies and is reaped,
    // but main's pidfd p keeps c's struct pid, which holds pid ns 9.
    const w = worldAfter(
      scenario('pidfd')
        .task('main')
        .unshare('main', 'pid')
        .fork('main', 'c', { pidfd: 'p' })
        .exit('c')
        .wait('main', 'c'),
    );
    expect(lines(why(w, FIRST_NEW, linux618))).toEqual([
      'nsproxy of task main (pid_for_children)',
      'struct pid of task c (reaped), which pidfd p of task main holds',
    ]);
  });

  it('struct pid of a running task, and procfs mounted in a mount namespace', () => {
    // c is forked into pid ns 9 (main's pid_for_children); its nsproxy is a copy of main's, so its
    // pid_for_children is pid ns 9 too; c's procfs instance pins its active pid ns, 9.
    const w = worldAfter(
      scenario('proc').task('main').unshare('main', 'pid').fork('main', 'c').mountProc('c', '/proc2'),
    );
    expect(lines(why(w, FIRST_NEW, linux618))).toEqual([
      'nsproxy of task c (pid_for_children)',
      'nsproxy of task main (pid_for_children)',
      'procfs mounted at /proc2 in initial mnt ns',
      'struct pid of task c',
    ]);
  });

  it('shm: an attached segment holds its ipc namespace', () => {
    const w = worldAfter(scenario('shm').task('a').unshare('a', 'ipc').shmat('a', 'm').unshare('a', 'ipc'));
    expect(lines(why(w, FIRST_NEW, linux618))).toEqual(['shm segment m of task a']);
  });

  it('a user namespace: credentials, owned namespaces (followed to their holders), ucounts charges', () => {
    // user ns 9, then net ns 10 owned by (and charged to) it.
    const w = worldAfter(scenario('own').task('a').unshare('a', 'user').unshare('a', 'net'));
    expect(lines(why(w, FIRST_NEW, linux618))).toEqual([
      'credentials of task a',
      'owned net ns 10, which task a holds (nsproxy)',
      'ucounts charges (1 namespace charged here: net ns 10)',
    ]);
  });

  it('a child user namespace holds its parent', () => {
    // c gets user ns 9 by fork, then unshares user ns 10 (a child of 9) and drops 9 from its creds.
    const w = worldAfter(scenario('child').task('main').fork('main', 'c', { new: 'user' }).unshare('c', 'user'));
    expect(lines(why(w, FIRST_NEW, linux618))).toEqual([
      'child user ns 10, which task c holds (credentials)',
      'ucounts charges (1 namespace charged here: user ns 10)',
    ]);
  });

  it('an owned namespace that is dying holds its owner until its reaper’s step that puts it', () => {
    const w = worldAfter(
      scenario('dying-owned').task('a').unshare('a', 'user').unshare('a', 'net').unshare('a', 'net'),
    );
    const y = why(w, FIRST_NEW, linux618);
    const chain = y.chains.find(
      (c) => c.links[0]?.kind === 'owned' && (c.links[0] as { ns: { id: number } }).ns.id === 10,
    );
    expect(chain?.links[1]).toMatchObject({
      kind: 'reaper',
      ns: { id: 10 },
      pending: { reaper: 'cleanup_net' },
      drops: { id: 'final' },
    });
    expect(renderChain(chain!.links)).toMatch(
      /^owned net ns 10, which is dying: queued for cleanup_net since t=[\d.]+ ms, next step start due [\d.]+ ms; the reference goes at its final step, [\d.]+–[\d.]+ ms$/,
    );
  });

  it('an initial namespace: a static reference', () => {
    const w = worldAfter(scenario('init').task('a').read('a', 'uts'));
    // uts: the static reference and a's nsproxy.
    expect(lines(why(w, 4, linux618))).toEqual([
      'a static reference (an initial namespace is never freed)',
      'nsproxy of task a',
    ]);
  });
});

describe('why: dying and freed namespaces', () => {
  it('dying netns: the reaper steps to come, windows summed from the profile’s latency ranges', () => {
    const h = historyOf(scenario('d').task('a').unshare('a', 'net').unshare('a', 'net'));
    const w = h.afterSteps(2).world;
    const y = why(w, FIRST_NEW, linux618);
    expect(y.state).toBe('dying');
    expect(y.chains).toEqual([]);
    const p = y.pending!;
    expect(p.reaper).toBe('cleanup_net');
    expect(p.queue).toBe('list');
    expect(p.since).toBe(y.diedAt);
    expect(p.steps.map((s) => s.id)).toEqual(['start', 'unregister', 'exit', 'final']);
    // start: the drawn point the world holds; then linux-6.18's ranges (model/profiles/linux-6.18.ts):
    // netnsUnregister 0.02–10 ms, netnsExit 8–30 ms, netnsFinal 5–45 ms.
    const d = w.netns.due.lo;
    expect(p.steps.map((s) => s.window)).toEqual([
      { lo: d, hi: d },
      { lo: d + 0.02 * MS, hi: d + 10 * MS },
      { lo: d + 8.02 * MS, hi: d + 40 * MS },
      { lo: d + 13.02 * MS, hi: d + 85 * MS },
    ]);
    expect(p.freed).toEqual({ lo: d + 13.02 * MS, hi: d + 85 * MS });
    const text = renderWhy(y);
    expect(text).toContain('dying: its last reference went at t=');
    expect(text).toMatch(
      /final +[\d.]+–[\d.]+ ms +inode 4026532175, max_net_namespaces charge \(initial user ns\), owner reference \(initial user ns\)/,
    );
  });

  it('dying user namespace: its free_user_ns work item', () => {
    const h = historyOf(
      scenario('u').task('main').fork('main', 'c', { new: 'user' }).exit('c').wait('main', 'c').sleep('200ms'),
    );
    // the reaped child's credentials were put within 0.1–80 ms and free_user_ns ran 1 µs–5 ms later:
    // after 200 ms the user namespace is freed.
    const y = why(h.afterSteps(4).world, FIRST_NEW, linux618);
    expect(y.state).toBe('freed');
    expect(y.freedAt).toBeGreaterThan(y.diedAt!);
    expect(renderWhy(y)).toMatch(/freed at t=[\d.]+ ms \(last reference gone at [\d.]+ ms; created at 0 ms\)/);
  });

  it('a netns in the running batch: the next step is the worker’s', () => {
    const h = historyOf(scenario('b').task('a').unshare('a', 'net').unshare('a', 'net'));
    // replay into the run: the moment cleanup_net took the batch (its start event)
    const start = h.run.trace.events.find((e) => e.name === 'model.cleanup_net.start')!;
    const at = h.at(start.t);
    const y = why(at.world, FIRST_NEW, linux618);
    expect(y.pending).toMatchObject({ queue: 'batch', steps: [{ id: 'unregister' }, { id: 'exit' }, { id: 'final' }] });
  });
});

describe('why: reapers in other states', () => {
  it('queued behind a cleanup_net run in progress: that run’s steps, then a run of its own', () => {
    // net ns 9 dies at the second unshare; its run starts within 0–2 ms and lasts at least
    // 13.02 ms (0.02 + 8 + 5); net ns 10 dies at the end of the third unshare, ≤ 3 + 10 ms later:
    // the run is going on, so 10 waits on the list for the requeued work.
    const w = worldAfter(
      scenario('behind').task('a').unshare('a', 'net').unshare('a', 'net').sleep('3ms').unshare('a', 'net'),
    );
    const p = why(w, FIRST_NEW + 1, linux618).pending!;
    expect(p.queue).toBe('list');
    expect(p.behind.length).toBeGreaterThan(0);
    expect(p.behind.at(-1)!.id).toBe('final');
    const end = p.behind.at(-1)!.window;
    expect(p.steps[0]).toMatchObject({ id: 'start', window: { lo: end.lo, hi: end.hi + 2 * MS } });
    expect(renderWhy(why(w, FIRST_NEW + 1, linux618))).toMatch(
      /queued for cleanup_net since t=[\d.]+ ms, behind a run in progress \(ends [\d.]+–[\d.]+ ms\)/,
    );
  });

  it('a mount namespace after its synchronous free: its owner reference waits for an RCU grace period', () => {
    // user ns 9; mnt ns 10 (owned by 9) is left by the second unshare mnt: free_mnt_ns runs at
    // once, mnt_ns_release_rcu puts the owner a grace period later (model/rules/mnt.ts).
    const w = worldAfter(scenario('mnt').task('a').unshare('a', 'user').unshare('a', 'mnt').unshare('a', 'mnt'));
    const y = why(w, FIRST_NEW, linux618);
    const chain = y.chains.find(
      (c) => c.links[0]?.kind === 'owned' && (c.links[0] as { ns: { id: number } }).ns.id === 10,
    )!;
    expect(chain.links[1]).toMatchObject({
      kind: 'reaper',
      pending: { reaper: 'free_mnt_ns', queue: 'work', steps: [{ id: 'rcu' }] },
      drops: { id: 'rcu' },
    });
    expect(renderChain(chain.links)).toMatch(
      /^owned mnt ns 10, which is dying: free_mnt_ns work pending since t=[\d.]+ ms, next step rcu due [\d.]+ ms; the reference goes at its rcu step, [\d.]+ ms$/,
    );
  });
});

describe('why: guards and active references', () => {
  it('a reference cycle (impossible in the kernel) ends in a cycle link instead of looping', () => {
    // Two mount namespaces, each with a bind mount of the other's nsfs file and no task in it.
    const w0 = worldAfter(scenario('cyc').task('a').unshare('a', 'mnt').unshare('a', 'mnt'));
    const w = produce(w0, (d: World) => {
      const a = d.ns[FIRST_NEW]!;
      const b = d.ns[FIRST_NEW + 1]!;
      a.mounts = [{ path: '/b', kind: 'nsfs', ns: b.id }];
      b.mounts = [{ path: '/a', kind: 'nsfs', ns: a.id }];
      a.nsfs = 1;
      b.nsfs = 1;
    });
    const y = why(w, FIRST_NEW, linux618);
    expect(lines(y)).toContain(
      'bind mount /a in mnt ns 10, which bind mount /b in mnt ns 9 holds, a cycle back to mnt ns 9 (not expected)',
    );
  });

  it('6.19+: active or not, per chain and for the namespace', () => {
    const b = scenario('act')
      .task('main')
      .unshare('main', 'net')
      .open('main', '/proc/self/ns/net', 'fd')
      .unshare('main', 'net');
    expect(why(worldAfter(b, linux619), FIRST_NEW, linux619)).toMatchObject({
      active: true,
      chains: [{ active: true }],
    });
    const s = scenario('inact').task('main').unshare('main', 'net').socket('main', 's').unshare('main', 'net');
    // a socket holds a reference but not an active one (kernel/nscommon.c): the netns is inactive
    const y = why(worldAfter(s, linux619), FIRST_NEW, linux619);
    expect(y).toMatchObject({ active: false, chains: [{ active: false }] });
    expect(renderWhy(y)).toContain('inactive (references left, but no active one)');
    expect(why(worldAfter(s), FIRST_NEW, linux618).active).toBeNull();
  });

  it('lists at most MAX_CHAINS chains and says it left some out', () => {
    // 210 sockets: 210 f_cred references on the initial user namespace, plus its other holders.
    const w = worldAfter(
      scenario('many')
        .task('main')
        .repeat(210, (b, i) => b.socket('main', `s${i}`)),
    );
    const y = why(w, 0, linux618);
    expect(y.chains).toHaveLength(MAX_CHAINS);
    expect(y.truncated).toBe(true);
    expect(renderWhy(y)).toContain(`... (more than ${MAX_CHAINS} chains)`);
  });

  it('an index outside the world is an error', () => {
    expect(() => why(worldAfter(scenario('x').task('a')), 99, linux618)).toThrow(RangeError);
  });
});
