/**
 * What a model world must satisfy, derived from its structure — who points at whom: tasks, fd
 * tables, files, mounts, segments, namespaces, pending work — never from the counters the
 * engine keeps for it (`refs`, `nsfs`, `maps`, `ucounts`, the allocator's runs). The engine's
 * own holder walk (src/engine/holders.ts) is compared too.
 */
import { expect } from 'vitest';
import { NS_TYPES, type NsType } from '../../model/nsType.ts';
import type { KernelProfile } from '../../model/profile.ts';
import type { Release } from '../../model/rules/reaper.ts';
import { NS_RULES } from '../../model/rules/table.ts';
import { expandRuns, isFreeInode } from '../../src/engine/allocator.ts';
import { holdersOf } from '../../src/engine/holders.ts';
import type { NsNode, World } from '../../src/engine/world.ts';

/** Whether `n`'s reaper has done a step that releases `r` (a freed namespace has done them all). */
function released(n: NsNode, p: KernelProfile, r: Release): boolean {
  if (n.state === 'freed') return true;
  return NS_RULES[n.type]
    .reaper(p)
    .steps.slice(0, n.reaperStep + 1)
    .some((s) => s.releases.includes(r));
}

/** The user namespace whose ucounts carry `n`'s charge (kernel/ucount.c: the parent for user, the owner for others). */
const chargedUserNs = (n: NsNode): number => (n.type === 'user' ? n.parent : n.owner);

/** `u` and its ancestors. */
function chain(w: World, u: number): number[] {
  const out: number[] = [];
  for (let x = u; x >= 0; x = (w.ns[x] as NsNode).parent) out.push(x);
  return out;
}

/** What the structure of a world says, computed without the engine's counters. */
interface Derived {
  /** Open files: those some fd of a running task's fd table points at, with how many fds. */
  readonly fileRefs: Map<number, number>;
  /** Per namespace: the number of holders (KERNEL-RULES 2), by kind (for messages). */
  readonly holders: Map<string, number>[];
  /** Per namespace: open nsfs files + nsfs bind mounts on it. */
  readonly nsfsUsers: number[];
  /** Per struct pid: its task (until reaped, then until its RCU-delayed put) + the open pidfds on it. */
  readonly pidRefs: number[];
  /** Per segment: the processes that have it attached. */
  readonly shmMaps: number[];
  /** Per user namespace: charges per type (one per namespace charged to it or below it, not yet uncharged). */
  readonly charges: Map<number, Record<NsType, number>>;
}

function derive(w: World, p: KernelProfile): Derived {
  const holders = w.ns.map(() => new Map<string, number>());
  const hold = (ns: number, kind: string): void => {
    const m = holders[ns] as Map<string, number>;
    m.set(kind, (m.get(kind) ?? 0) + 1);
  };
  for (const n of w.ns) if (n.initial) hold(n.id, 'initial'); // init_* are never put

  // Tasks: credentials until reaped (a zombie keeps them); the nsproxy's eight slots while
  // running (exit_task_namespaces drops them before the zombie stage).
  for (const t of w.tasks) {
    if (t.state === 'reaped') continue;
    hold(t.ns.user, 'cred');
    if (t.state !== 'running') continue;
    for (const slot of [
      t.ns.mnt,
      t.ns.uts,
      t.ns.ipc,
      t.pidForChildren,
      t.ns.net,
      t.ns.time,
      t.timeForChildren,
      t.ns.cgroup,
    ])
      hold(slot, 'nsproxy');
  }

  // Files: the fd tables of running tasks (a table goes with its last task: exit_files).
  const fileRefs = new Map<number, number>();
  const liveTables = new Set(w.tasks.filter((t) => t.state === 'running').map((t) => t.files));
  for (const table of liveTables)
    for (const e of Object.values(w.fdTables[table]?.fds ?? {})) fileRefs.set(e.file, (fileRefs.get(e.file) ?? 0) + 1);
  const nsfsUsers = w.ns.map(() => 0);
  const pidRefs = w.pids.map((pid) => ((w.tasks[pid.task]?.state ?? 'reaped') !== 'reaped' ? 1 : 0));
  // A reaped task's RCU-delayed put (delayed_put_pid) not run yet.
  for (const it of w.work) if (it.step === -2 && it.pid !== undefined) pidRefs[it.pid]!++;
  for (const f of fileRefs.keys()) {
    const file = w.files[f];
    if (!file) throw new Error(`fd on file ${f}, which does not exist`);
    hold(file.cred, 'f_cred'); // every file, a plain one too
    if (file.kind === 'socket') hold(file.target, 'socket');
    else if (file.kind === 'nsfs') nsfsUsers[file.target]!++;
    else if (file.kind === 'pidfd') pidRefs[file.target]!++;
  }
  // Mounts of every mount namespace: nsfs binds (through the nsfs inode) and procfs instances.
  for (const n of w.ns)
    for (const m of n.mounts ?? []) {
      if (m.kind === 'nsfs') nsfsUsers[m.ns]!++;
      else if (m.kind === 'proc') hold(m.ns, 'procfs'); // a plain file's bind pins nothing
    }
  // The nsfs inode holds one reference while anything uses it (ns->stashed, nsfs_evict).
  nsfsUsers.forEach((k, ns) => k > 0 && hold(ns, 'nsfs'));
  // A struct pid holds its pid namespace while its task is unreaped or a pidfd is open on it.
  pidRefs.forEach((k, i) => k > 0 && hold(w.pids[i]!.ns, 'struct-pid'));

  // SysV shm: a segment attached by some process holds its ipc namespace.
  const shmMaps = w.shm.map(() => 0);
  for (const t of w.tasks) for (const seg of Object.values(t.shm)) shmMaps[seg]!++;
  shmMaps.forEach((k, i) => k > 0 && hold(w.shm[i]!.ns, 'shm'));

  // Namespaces: the owner until the reaper's owner-ref step (user: the parent, until parent-ref),
  // the parent (user, pid) until the parent-ref step; charges until the ucount step.
  const charges = new Map<number, Record<NsType, number>>();
  for (const n of w.ns)
    if (n.type === 'user') charges.set(n.id, Object.fromEntries(NS_TYPES.map((t) => [t, 0])) as Record<NsType, number>);
  for (const n of w.ns) {
    if (n.initial) continue;
    if (n.type !== 'user' && !released(n, p, 'owner-ref')) hold(n.owner, 'owned');
    if (n.parent >= 0 && !released(n, p, 'parent-ref')) hold(n.parent, 'child');
    if (!released(n, p, 'ucount')) for (const u of chain(w, chargedUserNs(n))) charges.get(u)![n.type]++;
  }
  // A ucounts entry carrying charges holds its user namespace (alloc_ucounts: get_user_ns).
  for (const [u, c] of charges) if (NS_TYPES.some((t) => c[t] > 0)) hold(u, 'ucounts');
  // RCU-deferred puts not done yet (put_cred_rcu, delayed_put_pid).
  for (const it of w.work) if (it.step === -1) hold(it.ns, 'deferred-put');

  return { fileRefs, holders, nsfsUsers, pidRefs, shmMaps, charges };
}

const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
const describeHolders = (m: Map<string, number>): string => JSON.stringify(Object.fromEntries(m));

/** Inode numbers `n` holds now: its own until its inum step, its /proc/net entries until theirs. */
function heldInodes(n: NsNode, p: KernelProfile): number[] {
  if (n.initial) return [];
  return [
    ...(released(n, p, 'inum') ? [] : [n.inode]),
    ...(released(n, p, 'proc-inodes') ? [] : expandRuns(n.procRuns)),
    ...(released(n, p, 'device-proc-inodes') ? [] : n.devInodes),
  ];
}

/** Numbers the allocator considers in use: from where the model starts to `next`, minus free runs. */
function allocated(w: World, p: KernelProfile): number[] {
  const free = new Set(expandRuns(w.inodes.runs));
  const out: number[] = [];
  for (let x = p.inodes.modelStart; x < w.inodes.next; x++) if (!free.has(x)) out.push(x);
  return out;
}

/** Every invariant on one world; throws (expect) with `where` in the message on the first broken one. */
export function expectInvariants(w: World, p: KernelProfile, where: string): void {
  const d = derive(w, p);
  const walked = holdersOf(w);
  for (const n of w.ns) {
    const what = `${where}: ns ${n.id} (${n.type}, ${n.state}, holders ${describeHolders(d.holders[n.id]!)})`;
    const k = total(d.holders[n.id]!);
    // (a) refs = holders, derived here and walked by the engine's holders.ts.
    expect(n.refs, `${what}: refs = holders`).toBe(k);
    expect(walked[n.id]!.length, `${what}: holdersOf agrees`).toBe(k);
    expect(n.nsfs, `${what}: nsfs users`).toBe(d.nsfsUsers[n.id]);
    // (b) freed ⇒ nothing holds it; referenced ⇔ active.
    if (n.state === 'freed') expect(k, `${what}: freed has no holder`).toBe(0);
    expect(n.refs > 0, `${what}: referenced ⇔ active`).toBe(n.state === 'active');
    if (n.state !== 'dying')
      expect(n.state === 'freed' || !released(n, p, 'inum'), `${what}: nothing released while active`).toBe(true);
  }
  // Counters of the other objects against the structure.
  w.files.forEach((f, i) => expect(f.refs, `${where}: file ${i} (${f.kind}) fd count`).toBe(d.fileRefs.get(i) ?? 0));
  w.pids.forEach((pid, i) => expect(pid.refs, `${where}: struct pid ${i} refs`).toBe(d.pidRefs[i]));
  w.shm.forEach((s, i) => expect(s.maps, `${where}: shm ${i} maps`).toBe(d.shmMaps[i]));
  w.fdTables.forEach((t, i) => {
    const users = w.tasks.filter((x) => x.state === 'running' && x.files === i).length;
    expect(t.users, `${where}: fd table ${i} users`).toBe(users);
    if (users === 0) expect(t.fds, `${where}: fd table ${i} closed with its last task`).toEqual({});
  });

  // (c) inode numbers: each held by one namespace at most; the allocator has exactly those in
  // use. A net holds 1 + netProcEntries numbers until its reaper gives them back.
  for (const n of w.ns) {
    if (n.type !== 'net' || n.initial) continue;
    const plain = p.inodes.netProcEntries - p.inodes.netDeviceProcEntries;
    const what = `${where}: net ${n.id}`;
    expect(expandRuns(n.procRuns).length, `${what}: /proc/net entries`).toBe(released(n, p, 'proc-inodes') ? 0 : plain);
    expect(n.devInodes.length, `${what}: device entries`).toBe(
      released(n, p, 'device-proc-inodes') ? 0 : p.inodes.netDeviceProcEntries,
    );
  }
  const held = w.ns.flatMap((n) => heldInodes(n, p));
  expect(new Set(held).size, `${where}: no number held twice`).toBe(held.length);
  expect(allocated(w, p), `${where}: allocator in use = numbers held`).toEqual([...held].sort((a, b) => a - b));

  // (e) ucounts: per type, one charge per namespace charged to this user namespace or below it.
  for (const u of w.ns) {
    if (u.type !== 'user' || !u.ucounts) continue;
    expect(u.ucounts.charged, `${where}: ucounts of user ns ${u.id}`).toEqual(d.charges.get(u.id));
  }
}

/** A scenario's namespaces once the reapers are done: nothing pending, nothing stuck dying. */
export function expectDrained(w: World, p: KernelProfile): void {
  expect(w.netns.state, 'netns worker').toBe('idle');
  expect(w.netns.cleanupList).toEqual([]);
  expect(w.ipc.state, 'ipc worker').toBe('idle');
  expect(w.ipc.cleanupList).toEqual([]);
  expect(w.work, 'pending work').toEqual([]);
  const d = derive(w, p);
  for (const n of w.ns) {
    const k = total(d.holders[n.id]!);
    // (d) no holder ⇒ freed, its number back (free, or reused by a namespace that holds it now)
    // and its charge back (the ucounts equality of expectInvariants).
    expect(n.state, `ns ${n.id} (${n.type}) with holders ${describeHolders(d.holders[n.id]!)}`).toBe(
      k > 0 ? 'active' : 'freed',
    );
    if (n.state === 'freed') {
      const reused = w.ns.some((m) => m !== n && heldInodes(m, p).includes(n.inode));
      expect(isFreeInode(w.inodes, n.inode) || reused, `ns ${n.id}: inode ${n.inode} back`).toBe(true);
      expect(n.chargedTo, `ns ${n.id}: uncharged`).toBe(-1);
    }
  }
  expectInvariants(w, p, 'drained');
}
