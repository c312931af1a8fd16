import { produce } from 'immer';
import type { EngineCtx } from '../engine/ctx.ts';
import type { Interval } from '../engine/interval.ts';
import {
  enabledInternal,
  fireInternal,
  netReaperOf,
  startForeignRun,
  type InternalTransition,
} from '../engine/reapers.ts';
import type { World } from '../engine/world.ts';
import { candidateKey, type Candidate } from './candidate.ts';
import type { ReaperObservation } from './reaperEvents.ts';

/**
 * What the checker knows of the kernel's own activity: the reaper steps the trace observed
 * (tracefs), and which kinds of step it observes at all.
 *
 * @internal
 */
export interface KernelActivity {
  readonly events: readonly ReaperObservation[];
  readonly observed: ReadonlySet<string>;
}

/**
 * Which kernel work may matter at a point: work that cannot change anything observed there is
 * left for a later point of the same window (firing it earlier or later gives the same states).
 *
 * @internal
 */
export type Relevance = (c: Candidate, key: string) => boolean;

/** Thrown when more states than allowed would be needed: the verdict is then undecided. @internal */
export class TooManyStates extends Error {}

/**
 * Every candidate reachable from `c` by kernel work that may run before a point that happens
 * somewhere in `window`: unobserved reaper steps may or may not run; an observed one runs exactly
 * when the trace saw it (and only then); observed events before the window must have happened.
 * Callers that expand several candidates towards the same point share `seen` (state key → the
 * earliest time it was explored from) so that each state is explored once: the candidates of one
 * point reach largely the same states, in every order of the same pending work.
 *
 * @internal
 */
export function expand(
  c: Candidate,
  window: Interval,
  ctx: EngineCtx,
  k: KernelActivity,
  bound: number,
  relevant?: Relevance,
  seen: Map<string, number> = new Map(),
): Candidate[] {
  const out: Candidate[] = [];
  const stack: Candidate[] = [c];
  while (stack.length > 0) {
    const cur = stack.pop() as Candidate;
    const key = candidateKey(cur);
    // A state already explored no later than this one (from this or another candidate of the
    // same point) has already given every state this one can reach.
    const was = seen.get(key);
    if (was !== undefined && was <= cur.tMin) continue;
    seen.set(key, cur.tMin);
    if (seen.size > bound) throw new TooManyStates(`more than ${bound} interleavings before one point`);
    const enabled = enabledInternal(cur.world)
      .filter((t) => mayBeLast(cur.world, t.key) && (!relevant || relevant(cur, t.key)))
      // A deferred put that waited (see mayBeLast) may run as soon as it may be the last.
      .map((t) => (isDeferredPut(t.key) ? { ...t, due: { lo: t.due.lo, hi: Math.max(t.due.hi, cur.tMin) } } : t));
    const next = relevant && !relevant(cur, 'netns') ? undefined : k.events[cur.ev];
    // Stopping here means nothing else runs before the point: pending work must be able to wait
    // until the window opens, and no observed event may lie before it.
    if (enabled.every((t) => t.due.hi >= window.lo) && (!next || next.t >= window.lo))
      out.push(notBefore(cur, window.lo));
    const horizon = Math.min(window.hi, next ? next.t : Infinity);
    // tracefs saw cleanup_net start while the model's worker has nothing queued: a run for
    // another netns on the machine (its batch holds none of ours).
    if (
      next &&
      next.step === 'start' &&
      next.t <= window.hi &&
      next.t >= cur.tMin &&
      cur.world.netns.state === 'idle'
    ) {
      ctx.at = { lo: next.t, hi: next.t };
      const world = produce(cur.world, (d: World) => startForeignRun(d, ctx));
      stack.push({ ...cur, world, tMin: next.t, ev: cur.ev + 1, foreign: cur.foreign + 1 });
    }
    for (const t of enabled) {
      const step = stepOf(cur.world, t, ctx);
      if (step !== null && k.observed.has(step)) {
        // Observed kinds happen only as the trace saw them: the next event, if it is this step.
        if (!next || next.step !== step || next.t > window.hi) continue;
        if (t.due.lo > next.t || t.due.hi < next.t || cur.tMin > next.t) continue;
        stack.push(fire(cur, t.key, { lo: next.t, hi: next.t }, ctx, cur.ev + 1));
        continue;
      }
      const at: Interval = { lo: Math.max(t.due.lo, cur.tMin), hi: Math.min(t.due.hi, horizon) };
      if (at.lo > at.hi) continue;
      stack.push(fire(cur, t.key, at, ctx, cur.ev));
    }
  }
  return out;
}

function fire(c: Candidate, key: string, at: Interval, ctx: EngineCtx, ev: number): Candidate {
  // (a foreign run's steps fire like any other: its batch is empty)
  ctx.at = at;
  const world = produce(c.world, (d: World) => fireInternal(d, key, ctx));
  return { ...c, world, tMin: at.lo, ev };
}

/** The reaper step an internal transition is (null: not one the trace can observe). */
function stepOf(w: World, t: InternalTransition, ctx: EngineCtx): string | null {
  if (t.key !== 'netns') return null;
  const steps = netReaperOf(ctx.profile).steps;
  return steps[w.netns.state === 'queued' ? 0 : w.netns.step]?.id ?? null;
}

/** Pending work that did not run before a point at or after `t` runs at or after `t`. */
function notBefore(c: Candidate, t: number): Candidate {
  const w = c.world;
  const late = (d: Interval): boolean => d.lo < t;
  if (
    !(w.netns.state !== 'idle' && late(w.netns.due)) &&
    !(w.ipc.state !== 'idle' && late(w.ipc.due)) &&
    !w.work.some((x) => late(x.due))
  )
    return c;
  const world = produce(w, (d: World) => {
    if (d.netns.state !== 'idle' && d.netns.due.lo < t) d.netns.due = { lo: t, hi: d.netns.due.hi };
    if (d.ipc.state !== 'idle' && d.ipc.due.lo < t) d.ipc.due = { lo: t, hi: d.ipc.due.hi };
    // (a deferred put that waited past its window runs as soon as it may: its window moves along)
    for (const x of d.work) if (x.due.lo < t) x.due = { lo: t, hi: Math.max(t, x.due.hi) };
  });
  return { ...c, world };
}

/** Whether some pending kernel work that matters could run before `window` ends. @internal */
export function mayRunWithin(c: Candidate, window: Interval, relevant?: Relevance): boolean {
  return enabledInternal(c.world).some(
    (t) => t.due.lo <= window.hi && mayBeLast(c.world, t.key) && (!relevant || relevant(c, t.key)),
  );
}

/**
 * Whether a deferred put (an RCU-delayed cred or struct pid put: work items `w:<ns>:-1:...`)
 * may be the namespace's last reference now: every reference left is a pending deferred put.
 * While some other holder remains, when the put runs changes nothing anyone can observe (the
 * count stays above zero), so it waits — one state instead of one per interleaving — and runs,
 * no earlier than it was due, once it may be the last (`notBefore` moves its window). Other
 * transitions always count.
 *
 * @internal
 */
export function mayBeLast(w: World, key: string): boolean {
  if (!isDeferredPut(key)) return true;
  const id = Number(key.split(':')[1]);
  let pending = 0;
  for (const it of w.work) if (it.ns === id && it.step < 0) pending++;
  return (w.ns[id]?.refs ?? 0) <= pending;
}

/** A deferred put's work key (`w:<ns>:-1:...`). */
const isDeferredPut = (key: string): boolean => key.startsWith('w:') && key.split(':')[2] === '-1';
