import { produce } from 'immer';
import type { NsType } from '../../model/nsType.ts';
import type { KernelProfile } from '../../model/profile.ts';
import type { Step } from '../scenario/ast.ts';
import { intervalTiming } from '../engine/choice.ts';
import type { EngineCtx } from '../engine/ctx.ts';
import type { Effect } from '../engine/effects.ts';
import { durationOf } from '../engine/engine.ts';
import { activeSet } from '../engine/holders.ts';
import { point, type Interval } from '../engine/interval.ts';
import { beginOp, endOp, fillOp, newOpState } from '../engine/ops.ts';
import { enabledInternal, fireInternal, reaperOf } from '../engine/reapers.ts';
import type { NsNode, World } from '../engine/world.ts';
import { inodeRanges, nsLabel, nsRef, windowText, type NsRef } from './format.ts';

/** An operation `whatif` can apply: any step but `sleep` and `expect`. @public */
export type WhatIfOp = Exclude<Step, { kind: 'sleep' | 'expect' }>;

/**
 * What becomes of one namespace: when its last reference goes (null: it was already dying),
 * when it is freed, by which reaper. `alsoWithoutOp`: the same happens when the world just
 * drains, without the operation (it was already on its way).
 *
 * @public
 */
export interface NsFate {
  readonly ns: NsRef;
  readonly lastPut: Interval | null;
  readonly freed: Interval | null;
  readonly reaper: string;
  readonly alsoWithoutOp: boolean;
}

/** Inode numbers one namespace gives back in one reaper step. @public */
export interface InodesBack {
  readonly ns: NsRef;
  /** `inum`: its own number; `proc`: /proc/net entries; `device-proc`: per-device /proc/net entries. */
  readonly what: 'inum' | 'proc' | 'device-proc';
  readonly inodes: readonly number[];
  readonly at: Interval;
  readonly alsoWithoutOp: boolean;
}

/** A `max_<type>_namespaces` charge given back (in `userNs` and each ancestor). @public */
export interface ChargeBack {
  readonly ns: NsRef;
  readonly type: NsType;
  readonly userNs: NsRef;
  readonly at: Interval;
  readonly alsoWithoutOp: boolean;
}

/** A namespace that stops being active (profiles with active references, 6.19+). @public */
export interface Deactivated {
  readonly ns: NsRef;
  readonly at: Interval;
  readonly alsoWithoutOp: boolean;
}

/**
 * The outcome of a hypothetical operation, once every reaper has drained.
 *
 * @public
 */
export interface WhatIf {
  readonly profile: string;
  readonly op: WhatIfOp;
  /** The window the operation ends in (it starts at the world's time). */
  readonly at: Interval;
  /** What the operation returned (null: success). */
  readonly errno: string | null;
  /** Namespaces that lose their last reference or are freed, in the order it happens. */
  readonly namespaces: readonly NsFate[];
  /** Profiles with active references: namespaces that become inactive; else null. */
  readonly deactivated: readonly Deactivated[] | null;
  readonly inodes: readonly InodesBack[];
  readonly charges: readonly ChargeBack[];
  /** When the last kernel work may have run. */
  readonly settled: Interval;
  /** The world after the operation and the drain. */
  readonly world: World;
}

/** Most kernel transitions a drain runs (a guard: a drain always ends). */
const MAX_TRANSITIONS = 1_000_000;

interface Log {
  lastPut: Map<number, Interval>;
  freed: Map<number, Interval>;
  inodes: { ns: number; what: InodesBack['what']; inodes: number[]; at: Interval }[];
  charges: { ns: number; type: NsType; userNs: number; at: Interval }[];
  deactivated: Map<number, Interval>;
  order: number[];
  last: Interval;
}

const newLog = (t: number): Log => ({
  lastPut: new Map(),
  freed: new Map(),
  inodes: [],
  charges: [],
  deactivated: new Map(),
  order: [],
  last: point(t),
});

/** Records what one transition (`before` → `after`, effects `fx`, window `at`) did. */
function record(log: Log, before: World, after: World, fx: readonly Effect[], at: Interval, p: KernelProfile): void {
  const touch = (ns: number): void => void (log.order.includes(ns) || log.order.push(ns));
  for (const e of fx) {
    if (e.kind === 'ns.lastPut') {
      log.lastPut.set(e.ns, e.at);
      touch(e.ns);
    } else if (e.kind === 'ns.freed') {
      log.freed.set(e.ns, e.at);
      touch(e.ns);
    } else if (e.kind === 'reaper.step' && e.inodes.length > 0) {
      for (const id of e.ns) {
        const n = before.ns[id] as NsNode;
        const own = e.inodes.filter((x) => x === n.inode);
        const dev = e.inodes.filter((x) => n.devInodes.includes(x));
        const proc = e.inodes.filter((x) => x !== n.inode && !n.devInodes.includes(x) && inRuns(n.procRuns, x));
        if (own.length) log.inodes.push({ ns: id, what: 'inum', inodes: own, at: e.at });
        if (dev.length) log.inodes.push({ ns: id, what: 'device-proc', inodes: dev, at: e.at });
        if (proc.length) log.inodes.push({ ns: id, what: 'proc', inodes: proc, at: e.at });
      }
    }
    if ('at' in e && e.at.hi > log.last.hi) log.last = { lo: Math.max(log.last.lo, e.at.lo), hi: e.at.hi };
  }
  before.ns.forEach((n, i) => {
    const m = after.ns[i] as NsNode;
    if (n.chargedTo >= 0 && m.chargedTo < 0) log.charges.push({ ns: i, type: n.type, userNs: n.chargedTo, at });
  });
  if (p.activeRefs) {
    const was = activeSet(before);
    const now = activeSet(after);
    was.forEach((a, i) => {
      if (a && !now[i] && !log.deactivated.has(i)) log.deactivated.set(i, at);
    });
  }
}

function inRuns(runs: readonly number[], x: number): boolean {
  for (let i = 0; i < runs.length; i += 2) if ((runs[i] as number) <= x && x <= (runs[i + 1] as number)) return true;
  return false;
}

/**
 * Runs every pending kernel transition, earliest possible first (ties: the netns worker, the ipc
 * worker, then work items in queueing order — the engine's order), each in the window it may
 * happen in (interval timing: later steps' windows widen by their latency ranges).
 */
function drain(w: World, ctx: EngineCtx, log: Log): World {
  for (let k = 0; k < MAX_TRANSITIONS; k++) {
    const enabled = enabledInternal(w);
    let best = enabled[0];
    if (!best) return w;
    for (const t of enabled) if (t.due.lo < best.due.lo) best = t;
    const key = best.key;
    ctx.at = best.due;
    const from = (ctx.effects as Effect[]).length;
    const before = w;
    w = produce(w, (d: World) => fireInternal(d, key, ctx));
    record(log, before, w, (ctx.effects as Effect[]).slice(from), best.due, ctx.profile);
  }
  throw new Error(`the reapers did not drain within ${MAX_TRANSITIONS} transitions`);
}

/**
 * What would happen if `op` ran now on `world`: the operation is applied to a copy (immer), from
 * the world's time to the end of its duration range, then every reaper drains with interval
 * timing, so that each time comes out as the window the profile allows. Reported: namespaces
 * that lose their last reference (and, with active references, become inactive), when each is
 * freed, which inode numbers and which limit charges come back and when. Everything is marked
 * with whether it also happens without the operation (a drain of the unchanged world).
 * Deterministic: no choice is drawn.
 *
 * @public
 */
export function whatif(world: World, op: WhatIfOp, profile: KernelProfile): WhatIf {
  const t0 = world.now;
  const base = runDrain(world, profile, null);
  const withOp = runDrain(world, profile, op);
  const key = (...xs: unknown[]): string => xs.join(':');
  const baseFreed = new Set([...base.log.freed.keys(), ...base.log.lastPut.keys()]);
  const baseInodes = new Set(base.log.inodes.map((x) => key(x.ns, x.what)));
  const baseCharges = new Set(base.log.charges.map((x) => key(x.ns, x.type)));
  const baseInactive = new Set(base.log.deactivated.keys());
  const w = withOp.world;
  const log = withOp.log;
  return {
    profile: profile.name,
    op,
    at: withOp.at,
    errno: withOp.errno,
    namespaces: log.order.map((i) => ({
      ns: nsRef(w, i),
      lastPut: log.lastPut.get(i) ?? null,
      freed: log.freed.get(i) ?? null,
      reaper: reaperOf(profile, (w.ns[i] as NsNode).type).fn,
      alsoWithoutOp: baseFreed.has(i),
    })),
    deactivated: profile.activeRefs
      ? [...log.deactivated].map(([i, at]) => ({ ns: nsRef(w, i), at, alsoWithoutOp: baseInactive.has(i) }))
      : null,
    inodes: log.inodes.map((x) => ({
      ns: nsRef(w, x.ns),
      what: x.what,
      inodes: x.inodes,
      at: x.at,
      alsoWithoutOp: baseInodes.has(key(x.ns, x.what)),
    })),
    charges: log.charges.map((x) => ({
      ns: nsRef(w, x.ns),
      type: x.type,
      userNs: nsRef(w, x.userNs),
      at: x.at,
      alsoWithoutOp: baseCharges.has(key(x.ns, x.type)),
    })),
    settled: log.last.hi < t0 ? point(t0) : log.last,
    world: w,
  };
}

/** Applies `op` (if any) at the world's time, then drains. */
function runDrain(
  world: World,
  profile: KernelProfile,
  op: WhatIfOp | null,
): { world: World; log: Log; at: Interval; errno: string | null } {
  const t0 = world.now;
  const ctx: EngineCtx = { profile, timing: intervalTiming(), at: point(t0), effects: [] };
  const log = newLog(t0);
  let w = world;
  let at = point(t0);
  let errno: string | null = null;
  if (op) {
    const d = durationOf(profile, op);
    at = { lo: t0 + d.min, hi: t0 + d.max };
    const end = at;
    const before = w;
    w = produce(w, (dr: World) => {
      const st = newOpState();
      ctx.at = point(t0);
      beginOp(dr, op, st, ctx);
      // setup_net's /proc/net entries: all at once (no kernel work is placed inside the op).
      if (st.fill > 0) fillOp(dr, st, st.fill, ctx);
      ctx.at = end;
      endOp(dr, op, st, ctx);
      errno = st.errno;
    });
    record(log, before, w, ctx.effects as Effect[], end, profile);
  }
  w = drain(w, ctx, log);
  return { world: w, log, at, errno };
}

const WHAT_TEXT: Record<InodesBack['what'], string> = {
  inum: 'its own number',
  proc: 'its /proc/net entries',
  'device-proc': 'its device /proc/net entries',
};

/**
 * `whatif` as text: the operation and its result, then per namespace when its last reference
 * goes and when it is freed, the inode numbers and charges that come back, and (6.19+) what
 * becomes inactive. `(also without it)` marks what happens anyway.
 *
 * @public
 */
export function renderWhatIf(r: WhatIf, opText: string): string {
  const anyway = (b: boolean): string => (b ? ' (also without it)' : '');
  const lines = [`what if ${opText}? → ${r.errno ?? 'ok'}, done ${windowText(r.at)} (profile ${r.profile})`];
  if (r.namespaces.length === 0) lines.push('  no namespace loses its last reference or is freed');
  for (const f of r.namespaces) {
    const died = f.lastPut ? `last reference goes ${windowText(f.lastPut)}` : 'already dying';
    const freed = f.freed ? `freed ${windowText(f.freed)} (${f.reaper})` : `not freed (${f.reaper} has work left)`;
    lines.push(`  ${nsLabel(f.ns)} (${f.ns.type}:[${f.ns.inode}]): ${died}; ${freed}${anyway(f.alsoWithoutOp)}`);
  }
  if (r.deactivated) {
    if (r.deactivated.length === 0) lines.push('  no namespace becomes inactive');
    for (const d of r.deactivated)
      lines.push(`  ${nsLabel(d.ns)} becomes inactive ${windowText(d.at)}${anyway(d.alsoWithoutOp)}`);
  }
  if (r.inodes.length > 0) lines.push('  inode numbers back:');
  for (const x of r.inodes)
    lines.push(
      `    ${windowText(x.at).padEnd(22)} ${inodeRanges(x.inodes)} (${nsLabel(x.ns)}: ${WHAT_TEXT[x.what]})${anyway(x.alsoWithoutOp)}`,
    );
  if (r.charges.length > 0) lines.push('  limit charges back:');
  for (const c of r.charges)
    lines.push(
      `    ${windowText(c.at).padEnd(22)} max_${c.type}_namespaces of ${nsLabel(c.ns)}, charged in ${nsLabel(c.userNs)}${c.userNs.initial ? '' : ' and its ancestors'}${anyway(c.alsoWithoutOp)}`,
    );
  lines.push(`  everything settled by ${windowText(r.settled)}`);
  return lines.join('\n');
}
