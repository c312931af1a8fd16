import type { KernelProfile } from '../../model/profile.ts';
import type { Release } from '../../model/rules/reaper.ts';
import { activeSet, holdersOf, type Holder } from '../engine/holders.ts';
import type { Interval } from '../engine/interval.ts';
import { userNsWithin } from '../engine/tasks.ts';
import type { FileNode, NsNode, NsproxySlot, TaskNode, World } from '../engine/world.ts';
import { msText, nsLabel, nsRef, slotText, windowText, type NsRef } from './format.ts';
import { pendingOf, stepReleasing, type Pending, type ScheduledStep } from './pending.ts';

/**
 * One link of a holder chain. The first link of a chain holds the namespace asked about; each
 * further link holds the one before it; the last is something a person can act on (a task, a
 * zombie's parent, an fd, a mount) or pending kernel work.
 *
 * - `initial`: the static reference of an initial namespace (never put);
 * - `nsproxy`: a task's nsproxy slot; `cred`: a task's credentials;
 * - `zombie`: the task before it has exited and its parent has not reaped it (`wait` does);
 * - `fd`: an fd of a task's process: the file itself (an nsfs file, a socket, a pidfd) or its
 *   `f_cred` (every open file holds its opener's user namespace);
 * - `mount`: a bind mount of an nsfs file, or a procfs instance, in a mount namespace;
 * - `struct-pid`: a task's struct pid (held by the task until reaped, and by pidfds);
 * - `shm`: an attached SysV shm segment of a process;
 * - `owned` / `child`: a namespace this user (or pid) namespace owns / is the parent of;
 * - `ucounts`: the user namespace's ucounts entry while it carries charges;
 * - `deferred-put`: a reference an RCU callback drops later (a credential, a struct pid);
 * - `reaper`: the namespace before it is dying; its reaper drops the reference at `drops`;
 * - `cycle`, `unexplained`: guards (never expected: a reference cycle, a holder with no owner).
 *
 * @public
 */
export type WhyLink =
  | { readonly kind: 'initial' }
  | { readonly kind: 'nsproxy'; readonly task: string; readonly slot: NsproxySlot }
  | { readonly kind: 'cred'; readonly task: string }
  | { readonly kind: 'zombie'; readonly task: string; readonly parent: string }
  | {
      readonly kind: 'fd';
      readonly task: string;
      readonly fd: string;
      readonly fileKind: FileNode['kind'];
      /** `file`: the file holds it; `f_cred`: the file's credentials do. */
      readonly via: 'file' | 'f_cred';
    }
  | { readonly kind: 'mount'; readonly mountKind: 'nsfs' | 'proc'; readonly path: string; readonly mntNs: NsRef }
  | { readonly kind: 'struct-pid'; readonly task: string; readonly taskState: TaskNode['state'] }
  | { readonly kind: 'shm'; readonly task: string; readonly segment: string }
  | { readonly kind: 'owned'; readonly ns: NsRef }
  | { readonly kind: 'child'; readonly ns: NsRef }
  | { readonly kind: 'ucounts'; readonly charged: readonly NsRef[] }
  | { readonly kind: 'deferred-put'; readonly what: 'cred' | 'struct pid'; readonly due: Interval }
  | {
      readonly kind: 'reaper';
      readonly ns: NsRef;
      readonly pending: Pending | null;
      /** The step that drops the reference, and when. */
      readonly drops: ScheduledStep | null;
    }
  | { readonly kind: 'cycle'; readonly ns: NsRef }
  | { readonly kind: 'unexplained'; readonly what: string };

/**
 * One holder chain, from the direct holder to a root. `active`: whether the direct holder holds
 * an active reference (profiles with active references, 6.19+; null otherwise).
 *
 * @public
 */
export interface WhyChain {
  readonly links: readonly WhyLink[];
  readonly active: boolean | null;
}

/**
 * Why a namespace is still there (or when it went): its holder chains down to roots, and for a
 * dying namespace what its reaper still has to do.
 *
 * @public
 */
export interface Why {
  /** The world's time. */
  readonly at: number;
  readonly profile: string;
  readonly ns: NsRef;
  readonly state: NsNode['state'];
  readonly refs: number;
  readonly createdAt: number;
  readonly diedAt: number | null;
  readonly freedAt: number | null;
  /** Profiles with active references: whether it is active (file handles open, listns lists it); else null. */
  readonly active: boolean | null;
  /** One chain per way it is held (empty once dying). */
  readonly chains: readonly WhyChain[];
  /** Chains beyond {@link MAX_CHAINS} were left out. */
  readonly truncated: boolean;
  /** A dying namespace: its reaper's steps still to come. */
  readonly pending: Pending | null;
  /** The user namespace its `max_<type>_namespaces` charge is in (null: not charged, or given back). */
  readonly chargedTo: NsRef | null;
  /** Its owner (a user namespace's: its parent); null for the initial user namespace. */
  readonly owner: NsRef | null;
  /** Its parent (user and pid namespaces), else null. */
  readonly parent: NsRef | null;
}

/** Most chains `why` lists. @public */
export const MAX_CHAINS = 200;

/** Most chains `why` builds, nested ones included (a bound on the work for huge worlds). */
const MAX_WORK = 20_000;

/**
 * Every holder chain of namespace `nsIndex` in `w`, down to roots a person can act on, or for a
 * dying namespace its pending reaper work, or for a freed one when it went. Chains recurse: a
 * mount is held by its mount namespace, which is held by something in turn, until a task, a
 * zombie or pending kernel work; cycles cannot happen in the kernel (copy_tree skips mount
 * namespace binds, mnt_ns_loop refuses the rest) but are guarded anyway.
 *
 * @public
 */
export function why(w: World, nsIndex: number, profile: KernelProfile): Why {
  const n = w.ns[nsIndex];
  if (!n) throw new RangeError(`no namespace ${nsIndex} (the world has ${w.ns.length})`);
  const holders = holdersOf(w);
  const ctx: Ctx = { w, profile, holders, work: 0 };
  const chains = chainsOf(ctx, nsIndex, new Set());
  const active = profile.activeRefs ? activeSet(w, holders)[nsIndex] === true : null;
  return {
    at: w.now,
    profile: profile.name,
    ns: nsRef(w, nsIndex),
    state: n.state,
    refs: n.refs,
    createdAt: n.createdAt,
    diedAt: n.diedAt >= 0 ? n.diedAt : null,
    freedAt: n.state === 'freed' ? n.freedAt : null,
    active,
    chains: chains.slice(0, MAX_CHAINS),
    truncated: chains.length > MAX_CHAINS || ctx.work > MAX_WORK,
    pending: pendingOf(w, nsIndex, profile),
    chargedTo: n.chargedTo >= 0 ? nsRef(w, n.chargedTo) : null,
    owner: n.owner >= 0 ? nsRef(w, n.owner) : null,
    parent: n.parent >= 0 ? nsRef(w, n.parent) : null,
  };
}

interface Ctx {
  readonly w: World;
  readonly profile: KernelProfile;
  readonly holders: Holder[][];
  /** Chains made so far, at every level (a bound on the work). */
  work: number;
}

type Chain = { links: WhyLink[]; active: boolean | null };

function chainsOf(c: Ctx, ns: number, seen: ReadonlySet<number>): Chain[] {
  const { w } = c;
  if (seen.has(ns)) return [{ links: [{ kind: 'cycle', ns: nsRef(w, ns) }], active: null }];
  const inner = new Set(seen).add(ns);
  const out: Chain[] = [];
  for (const h of c.holders[ns] ?? []) {
    if (c.work > MAX_WORK) break;
    const active = c.profile.activeRefs ? h.active : null;
    for (const links of linksOf(c, ns, h, inner)) {
      out.push({ links, active });
      c.work++;
    }
  }
  return out;
}

/** The chains through one holder. */
function linksOf(c: Ctx, ns: number, h: Holder, seen: ReadonlySet<number>): WhyLink[][] {
  const { w } = c;
  const name = (i: number): string => (w.tasks[i] as TaskNode).name;
  switch (h.kind) {
    case 'initial':
      return [[{ kind: 'initial' }]];
    case 'nsproxy':
      return [[{ kind: 'nsproxy', task: name(h.task), slot: h.slot as NsproxySlot }]];
    case 'cred': {
      const link: WhyLink = { kind: 'cred', task: name(h.task) };
      return [[link, ...zombieOf(w, h.task)]];
    }
    case 'struct-pid': {
      const t = w.tasks[h.task] as TaskNode;
      const link: WhyLink = { kind: 'struct-pid', task: t.name, taskState: t.state };
      const out: WhyLink[][] = t.state === 'reaped' ? [] : [[link, ...zombieOf(w, h.task)]];
      w.files.forEach((f, i) => {
        if (f.refs > 0 && f.kind === 'pidfd' && f.target === h.pid)
          for (const fd of fdLinks(w, i, 'file')) out.push([link, fd]);
      });
      return out;
    }
    case 'nsfs': {
      const out: WhyLink[][] = [];
      for (const f of h.files) for (const fd of fdLinks(w, f, 'file')) out.push([fd]);
      for (const m of h.mounts)
        out.push(
          ...via(c, { kind: 'mount', mountKind: 'nsfs', path: m.path, mntNs: nsRef(w, m.mntNs) }, m.mntNs, seen),
        );
      return out;
    }
    case 'f_cred':
      return fdLinks(w, h.file, 'f_cred').map((l) => [l]);
    case 'socket':
      return fdLinks(w, h.file, 'file').map((l) => [l]);
    case 'procfs':
      return via(c, { kind: 'mount', mountKind: 'proc', path: h.path, mntNs: nsRef(w, h.mntNs) }, h.mntNs, seen);
    case 'shm': {
      const out: WhyLink[][] = [];
      w.tasks.forEach((t, i) => {
        if (t.leader !== i || t.state !== 'running') return;
        for (const [segment, idx] of Object.entries(t.shm))
          if (idx === h.segment) out.push([{ kind: 'shm', task: t.name, segment }]);
      });
      return out.length > 0 ? out : [[{ kind: 'unexplained', what: `shm segment #${h.segment}` }]];
    }
    case 'owned':
      return through(c, { kind: 'owned', ns: nsRef(w, h.ns) }, h.ns, 'owner-ref', seen);
    case 'child':
      return through(c, { kind: 'child', ns: nsRef(w, h.ns) }, h.ns, 'parent-ref', seen);
    case 'ucounts': {
      // Every namespace charged here or in a descendant (inc_ucount charges each level up).
      const charged = w.ns
        .filter((m) => m.chargedTo >= 0 && userNsWithin(w, m.chargedTo, ns))
        .map((m) => nsRef(w, m.id));
      return [[{ kind: 'ucounts', charged }]];
    }
    case 'deferred-put':
      // Only credentials (user) and struct pids (pid) are put by RCU callbacks (src/engine/refs.ts).
      return [
        [{ kind: 'deferred-put', what: (w.ns[ns] as NsNode).type === 'pid' ? 'struct pid' : 'cred', due: h.due }],
      ];
  }
}

/** `first`, followed by every chain of namespace `mntNs` (a mount namespace, or an owned / child one). */
function via(c: Ctx, first: WhyLink, mntNs: number, seen: ReadonlySet<number>): WhyLink[][] {
  // An initial namespace is never freed: a mount in it is a root (umount acts on it).
  if ((c.w.ns[mntNs] as NsNode).initial) return [[first]];
  const rest = chainsOf(c, mntNs, seen);
  if (rest.length === 0) return [[first, { kind: 'unexplained', what: nsLabel(nsRef(c.w, mntNs)) }]];
  return rest.map((r) => [first, ...r.links]);
}

/**
 * `first` (a namespace that holds a reference on the one asked about), then: if it is dying,
 * its reaper up to the step that drops `release`; else every chain that holds it.
 */
function through(c: Ctx, first: WhyLink, ns: number, release: Release, seen: ReadonlySet<number>): WhyLink[][] {
  const n = c.w.ns[ns] as NsNode;
  if (n.state === 'dying') {
    const pending = pendingOf(c.w, ns, c.profile);
    return [
      [first, { kind: 'reaper', ns: nsRef(c.w, ns), pending, drops: pending ? stepReleasing(pending, release) : null }],
    ];
  }
  return via(c, first, ns, seen);
}

/** The zombie link of task `i`, when it is one. */
function zombieOf(w: World, i: number): WhyLink[] {
  const t = w.tasks[i] as TaskNode;
  if (t.state !== 'zombie') return [];
  const parent = t.parent >= 0 ? (w.tasks[t.parent] as TaskNode).name : '(outside the scenario)';
  return [{ kind: 'zombie', task: t.name, parent }];
}

/** The fds that point at file `f`, each as a link naming its process. */
function fdLinks(w: World, f: number, v: 'file' | 'f_cred'): WhyLink[] {
  const file = w.files[f] as FileNode;
  const out: WhyLink[] = [];
  w.fdTables.forEach((table, ti) => {
    for (const [fd, e] of Object.entries(table.fds)) {
      if (e.file !== f) continue;
      out.push({ kind: 'fd', task: tableOwner(w, ti), fd, fileKind: file.kind, via: v });
    }
  });
  return out.length > 0 ? out : [{ kind: 'unexplained', what: `open file #${f}` }];
}

/** The process an fd table belongs to (its leader's name). @internal */
export function tableOwner(w: World, table: number): string {
  let any: TaskNode | undefined;
  for (const t of w.tasks) {
    if (t.files !== table) continue;
    const leader = w.tasks[t.leader] as TaskNode;
    if (t.state === 'running') return leader.name;
    any ??= leader;
  }
  return any?.name ?? `fd table #${table}`;
}

/** A link as the first of its chain: what holds the namespace. */
function noun(l: WhyLink): string {
  switch (l.kind) {
    case 'initial':
      return 'a static reference (an initial namespace is never freed)';
    case 'nsproxy':
      return `nsproxy of task ${l.task}${slotNote(l.slot)}`;
    case 'cred':
      return `credentials of task ${l.task}`;
    case 'zombie':
      return `zombie ${l.task}, not reaped by its parent ${l.parent}`;
    case 'fd': {
      const fd =
        l.fileKind === 'socket' ? `socket fd ${l.fd}` : l.fileKind === 'pidfd' ? `pidfd ${l.fd}` : `fd ${l.fd}`;
      return `${l.via === 'f_cred' ? 'f_cred of ' : ''}${fd} of task ${l.task}`;
    }
    case 'mount':
      return l.mountKind === 'proc'
        ? `procfs mounted at ${l.path} in ${nsLabel(l.mntNs)}`
        : `bind mount ${l.path} in ${nsLabel(l.mntNs)}`;
    case 'struct-pid':
      return `struct pid of task ${l.task}${l.taskState === 'running' ? '' : ` (${l.taskState})`}`;
    case 'shm':
      return `shm segment ${l.segment} of task ${l.task}`;
    case 'owned':
      return `owned ${nsLabel(l.ns)}`;
    case 'child':
      return `child ${nsLabel(l.ns)}`;
    case 'ucounts':
      return `ucounts charges (${l.charged.length} namespace${l.charged.length === 1 ? '' : 's'} charged here${l.charged.length > 0 ? `: ${l.charged.map(nsLabel).join(', ')}` : ''})`;
    case 'deferred-put':
      return `RCU-delayed put (${l.what}), ${dueText(l.due)}`;
    case 'reaper':
      return `${nsLabel(l.ns)} is dying: ${reaperText(l.pending, l.drops)}`;
    case 'cycle':
      return `a cycle back to ${nsLabel(l.ns)} (not expected)`;
    case 'unexplained':
      return `nothing found holding ${l.what} (not expected)`;
  }
}

/** A link after the first: how it holds the link before it. */
function which(l: WhyLink): string {
  switch (l.kind) {
    case 'nsproxy':
      return `which task ${l.task} holds (nsproxy${l.slot === 'pidForChildren' || l.slot === 'timeForChildren' ? `, ${slotText(l.slot)}` : ''})`;
    case 'cred':
      return `which task ${l.task} holds (credentials)`;
    case 'zombie':
      return `a zombie not reaped by its parent ${l.parent}`;
    case 'owned':
      return `which owns ${nsLabel(l.ns)}`;
    case 'child':
      return `which is the parent of ${nsLabel(l.ns)}`;
    case 'reaper':
      return `which is dying: ${reaperText(l.pending, l.drops)}`;
    case 'ucounts':
      return `whose ${noun(l)}`;
    case 'deferred-put':
      return `which only an RCU-delayed put (${l.what}) still holds, ${dueText(l.due)}`;
    case 'cycle':
    case 'unexplained':
    case 'initial':
      return noun(l);
    default:
      return `which ${noun(l)} holds`;
  }
}

function dueText(due: Interval): string {
  return due.lo === due.hi ? `due at ${msText(due.lo)} ms` : `due between ${msText(due.lo)} and ${msText(due.hi)} ms`;
}

function slotNote(slot: NsproxySlot): string {
  return slot === 'pidForChildren' || slot === 'timeForChildren' ? ` (${slotText(slot)})` : '';
}

/** Where in its reaper a dying namespace waits, from when. */
function queueText(p: Pending): string {
  const since = `since t=${msText(p.since)} ms`;
  if (p.queue === 'list') return `queued for ${p.reaper} ${since}`;
  if (p.queue === 'batch') return `in the running ${p.reaper} batch (queued ${since})`;
  return `${p.reaper} work pending ${since}`;
}

/** `queued for cleanup_net since t=12 ms, next step start due 13 ms; the reference goes ...` */
function reaperText(p: Pending | null, drops: ScheduledStep | null): string {
  if (!p) return 'its reaper has nothing left to run (not expected)';
  const next = p.steps[0];
  const last = p.behind.at(-1);
  const wait = last ? `, behind a run in progress (ends ${windowText(last.window)})` : '';
  const nextText = next ? `, next step ${next.id} due ${windowText(next.window)}` : '';
  const drop = drops ? `; the reference goes at its ${drops.id} step, ${windowText(drops.window)}` : '';
  return queueText(p) + wait + nextText + drop;
}

/** One chain as a line. @public */
export function renderChain(links: readonly WhyLink[]): string {
  return links.map((l, i) => (i === 0 ? noun(l) : which(l))).join(', ');
}

/** What a reaper step gives back, for namespace `y`. */
function releaseText(y: Why, r: Release): string {
  const inRef = (x: NsRef | null): string => (x ? ` (${nsLabel(x)})` : '');
  switch (r) {
    case 'tree':
      return 'leaves the ns tree';
    case 'device-proc-inodes':
      return 'device /proc/net entry numbers';
    case 'proc-inodes':
      return '/proc/net entry numbers';
    case 'inum':
      return `inode ${y.ns.inode}`;
    case 'ucount':
      return `max_${y.ns.type}_namespaces charge${inRef(y.chargedTo)}`;
    case 'owner-ref':
      return `owner reference${inRef(y.owner)}`;
    case 'parent-ref':
      return `parent reference${inRef(y.parent)}`;
    case 'mounts':
      return 'its mounts, and what they pin';
  }
}

/**
 * `why` as text: a headline (state, references, times), then one line per chain, or the reaper
 * steps still to come.
 *
 * @public
 */
export function renderWhy(y: Why): string {
  const head = `${nsLabel(y.ns)} (${y.ns.type}:[${y.ns.inode}]) at t=${msText(y.at)} ms, profile ${y.profile}`;
  const lines = [head];
  const created = y.ns.initial ? 'an initial namespace' : `created at ${msText(y.createdAt)} ms`;
  if (y.state === 'freed') {
    lines.push(
      `  freed at t=${msText(y.freedAt ?? 0)} ms (last reference gone at ${msText(y.diedAt ?? 0)} ms; ${created})`,
    );
    return lines.join('\n');
  }
  if (y.state === 'dying') {
    lines.push(`  dying: its last reference went at t=${msText(y.diedAt ?? 0)} ms (${created}); nothing holds it`);
    const p = y.pending;
    if (!p) lines.push('  its reaper has nothing left to run (not expected)');
    else {
      lines.push(`  ${reaperText(p, null)}`);
      lines.push('  still to come:');
      for (const s of p.steps) {
        const what = s.releases.map((r) => releaseText(y, r)).join(', ');
        lines.push(`    ${s.id.padEnd(10)} ${windowText(s.window).padEnd(22)} ${what}`);
      }
      lines.push(`  freed between ${msText(p.freed.lo)} and ${msText(p.freed.hi)} ms`);
    }
    return lines.join('\n');
  }
  const activity = y.active === null ? '' : y.active ? ', active' : ', inactive (references left, but no active one)';
  lines.push(`  ${y.refs} reference${y.refs === 1 ? '' : 's'}${activity} (${created}); held by:`);
  if (y.chains.length === 0) lines.push('    nothing found (not expected)');
  y.chains.forEach((ch, i) => {
    const mark = ch.active === null ? '' : ch.active ? ' [active]' : '';
    lines.push(`    ${i + 1}. ${renderChain(ch.links)}${mark}`);
  });
  if (y.truncated) lines.push(`    ... (more than ${MAX_CHAINS} chains)`);
  return lines.join('\n');
}
