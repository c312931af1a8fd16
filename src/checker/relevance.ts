import { produce } from 'immer';
import type { EngineCtx } from '../engine/ctx.ts';
import { beginOp, endOp, fillOp, newOpState, type ExecStep } from '../engine/ops.ts';
import { enabledInternal } from '../engine/reapers.ts';
import type { NsNode, World } from '../engine/world.ts';
import type { Relevance } from './expand.ts';

/**
 * Lazy kernel work (a partial-order reduction for the `ordering` checker).
 *
 * Between two points of a trace the kernel may have run any subset of the pending reaper work, in
 * any order: enumerating every subset at every point costs 2^k states for k pending items, which
 * is what a task's exit (freeing eight namespaces at once) pends. Most of that work cannot change
 * what the next point observes and commutes with everything that does; such work is left pending
 * (it may still run at any later point, where it is enumerated if it matters there). With
 * latencies relaxed, running it later reaches the same states as running it earlier.
 *
 * A work item is kept lazy unless:
 * - it may free a reference of what the point observes (`held/released` of a probed namespace),
 *   or of what the step itself drops (the step and the item may each be the last put: which one
 *   is decides whether the free happens inside a reaper's loop or is queued anew);
 * - it may give back an inode number lower than the highest the step allocates (the allocator
 *   hands out the lowest free one), or the step fails with ENOSPC (charges come back);
 * - it may free a reference that another item kept above may also free (same reason as the step);
 * - it is the netns worker while tracefs observes its steps (they happen exactly when seen).
 *
 * "May free a reference of d" uses the reach of an item — the namespaces it puts, and what those
 * hold in turn (owner, parent, the user namespaces charged, the namespaces a mount namespace's
 * mounts pin) — restricted to contested namespaces: those whose references could all be pending
 * puts (refs ≤ pending puts that reach them). A namespace some task or fd holds is not contested,
 * so work that only drops it towards a count that stays above zero commutes with everything.
 *
 * @internal
 */
export interface LazyPoint {
  /** Model indices of the namespaces the point sees released (work that drops them must be able to run). */
  readonly probed: ReadonlySet<number>;
  /** Namespaces whose references or state the step decreases or changes (none at a refs check). */
  readonly dropped: ReadonlySet<number>;
  /** The step changes a batched worker's list (-1: the netns worker; -2: the ipc worker). */
  readonly touchesWorker: ReadonlySet<number>;
  /** Numbers below this one, given back before the step, change what it allocates (-1: none). */
  readonly threshold: number;
  /** Every item matters (the step fails with ENOSPC, or it observes the allocator directly). */
  readonly all: boolean;
  /** tracefs observes the netns worker's steps. */
  readonly tracedNet: boolean;
}

const NET = -1;
const IPC = -2;

/**
 * What one step does to a world, by running it once on the unexpanded candidate: which
 * namespaces it drops, which batched worker it touches, the highest number it allocates.
 *
 * @internal
 */
export function stepPoint(w: World, step: ExecStep, ctx: EngineCtx, tracedNet: boolean): LazyPoint {
  const none = new Set<number>();
  const everything: LazyPoint = {
    probed: none,
    dropped: none,
    touchesWorker: none,
    threshold: -1,
    all: true,
    tracedNet,
  };
  if (step.kind === 'next-inode') return everything;
  const st = newOpState();
  const at = ctx.at;
  const after = produce(w, (d: World) => {
    beginOp(d, step, st, ctx);
    if (st.fill > 0) fillOp(d, st, st.fill, ctx);
    endOp(d, step, st, ctx);
  });
  ctx.at = at;
  if (st.errno === 'ENOSPC') return everything;
  const dropped = new Set<number>();
  for (let i = 0; i < w.ns.length; i++) {
    const a = w.ns[i] as NsNode;
    const b = after.ns[i] as NsNode;
    if (a !== b && (b.refs < a.refs || b.nsfs < a.nsfs || b.state !== a.state)) dropped.add(i);
  }
  const touchesWorker = new Set<number>();
  if (after.netns !== w.netns) touchesWorker.add(NET);
  if (after.ipc !== w.ipc) touchesWorker.add(IPC);
  let threshold = -1;
  for (let i = w.ns.length; i < after.ns.length; i++)
    threshold = Math.max(threshold, highestNumber(after.ns[i] as NsNode));
  return { probed: none, dropped, touchesWorker, threshold, all: false, tracedNet };
}

/** A refs check of the namespaces `probed` (model indices). @internal */
export function refsPoint(probed: ReadonlySet<number>, tracedNet: boolean, activeRefs: boolean): LazyPoint {
  const none = new Set<number>();
  // With active references, a namespace's visibility follows other namespaces' activity too.
  return { probed, dropped: none, touchesWorker: none, threshold: -1, all: activeRefs, tracedNet };
}

/**
 * The relevance of kernel work at a point (see {@link LazyPoint}); undefined: everything matters.
 * Decided once per world.
 *
 * @internal
 */
export function lazyRelevance(p: LazyPoint): Relevance | undefined {
  if (p.all) return undefined;
  const cache = new WeakMap<World, Set<string>>();
  return (c, key) => {
    let keys = cache.get(c.world);
    if (!keys) cache.set(c.world, (keys = relevantKeys(c.world, p)));
    return keys.has(key);
  };
}

function relevantKeys(w: World, p: LazyPoint): Set<string> {
  const items = enabledInternal(w).map((t) => t.key);
  const puts = new Map<number, number>();
  const reached = new Map<string, Reach>();
  for (const key of items) {
    const r = reachOf(w, key);
    reached.set(key, r);
    for (const [d, k] of r.puts) puts.set(d, (puts.get(d) ?? 0) + k);
  }
  const contested = (d: number): boolean => {
    if (d < 0) return true; // a worker's list
    const n = w.ns[d];
    return !!n && !n.initial && n.state !== 'freed' && n.refs <= (puts.get(d) ?? 0) + (p.dropped.has(d) ? 1 : 0);
  };
  // Only contested namespaces count; one that may be queued to a batched worker feeds its list.
  const reach = new Map<string, Set<number>>();
  for (const [key, r] of reached) {
    const set = new Set<number>();
    for (const d of r.puts.keys()) {
      if (!contested(d)) continue;
      set.add(d);
      const t = d >= 0 ? (w.ns[d] as NsNode).type : null;
      if (t === 'net') set.add(NET);
      else if (t === 'ipc') set.add(IPC);
    }
    reach.set(key, set);
  }
  // Two puts of one namespace commute unless one may be the last inside a reaper's loop (freed
  // at once) and the other not (queued): `hard` namespaces conflict with any put (what the point
  // probes; a worker's list, whose order against its worker matters), `loop` ones with any put,
  // `put` ones only with a put inside a loop.
  const hard = new Set<number>(p.probed);
  const loop = new Set<number>();
  const put = new Set<number>();
  for (const d of p.dropped) if (contested(d)) put.add(d);
  for (const d of p.touchesWorker) hard.add(d);
  const out = new Set<string>();
  const take = (key: string): void => {
    out.add(key);
    const inLoop = (reached.get(key) as Reach).inLoop;
    for (const d of reach.get(key) ?? []) {
      if (d < 0) hard.add(d);
      else if (inLoop.has(d)) loop.add(d);
      else put.add(d);
    }
  };
  const conflicts = (key: string): boolean => {
    const inLoop = (reached.get(key) as Reach).inLoop;
    for (const d of reach.get(key) as Set<number>) {
      if (hard.has(d) || loop.has(d) || (put.has(d) && inLoop.has(d))) return true;
    }
    return false;
  };
  for (const key of items) {
    if ((key === 'netns' && p.tracedNet) || (p.threshold >= 0 && givesBackBelow(w, key, reach.get(key), p.threshold)))
      take(key);
  }
  // Fixed point: whatever conflicts with what matters.
  for (let grew = true; grew;) {
    grew = false;
    for (const key of items) {
      if (out.has(key) || !conflicts(key)) continue;
      take(key);
      grew = true;
    }
  }
  return out;
}

/** An item's reach: how many references it may drop per namespace, and which of those drops may happen inside a reaper's parent loop. */
interface Reach {
  readonly puts: Map<number, number>;
  readonly inLoop: Set<number>;
}

/**
 * The namespaces an item may put, and what those hold in turn (its reach), each with how many
 * references the item may drop on it at most: the put itself, then per namespace reached its
 * owner and parent references, one per user namespace up the chain from the one charged (each
 * ucounts entry holds its user namespace while charged: kernel/ucount.c put_ucounts), one per
 * mount that pins a namespace (fs/namespace.c: a dying mount namespace drops its mounts). A user
 * or pid namespace's parent is put inside the reaper's loop (kernel/user_namespace.c
 * free_user_ns, kernel/pid_namespace.c put_pid_ns: the parent is freed at once if that was its
 * last reference); every other put of a last reference queues the namespace's reaper.
 */
function reachOf(w: World, key: string): Reach {
  const puts = new Map<number, number>();
  const inLoop = new Set<number>();
  const bump = (d: number): void => {
    if (d >= 0) puts.set(d, (puts.get(d) ?? 0) + 1);
  };
  const roots: number[] = [];
  if (key === 'netns' || key === 'ipc') {
    const q = key === 'netns' ? w.netns : w.ipc;
    puts.set(key === 'netns' ? NET : IPC, 1);
    roots.push(...q.batch, ...q.cleanupList);
  } else roots.push(Number(key.split(':')[1]));
  for (const r of roots) bump(r);
  const visited = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const id = stack.pop() as number;
    if (id < 0 || visited.has(id)) continue;
    visited.add(id);
    const n = w.ns[id];
    if (!n || n.initial || n.state === 'freed') continue;
    if (n.parent >= 0 && (n.type === 'user' || n.type === 'pid')) inLoop.add(n.parent);
    const edges = [n.owner, n.parent];
    for (let u = n.chargedTo; u >= 0; u = (w.ns[u] as NsNode).parent) edges.push(u);
    for (const m of n.mounts ?? []) edges.push(m.ns);
    for (const d of edges) {
      bump(d);
      stack.push(d);
    }
  }
  return { puts, inLoop };
}

/** Whether an item may give back a number below `threshold` (its own namespace's, or a reached one's). */
function givesBackBelow(w: World, key: string, reach: Set<number> | undefined, threshold: number): boolean {
  for (const d of reach ?? []) if (d >= 0 && lowestNumber(w.ns[d] as NsNode) < threshold) return true;
  if (key.startsWith('w:')) {
    const n = w.ns[Number(key.split(':')[1])];
    if (n && !n.initial && lowestNumber(n) < threshold) return true;
  }
  return false;
}

function lowestNumber(n: NsNode): number {
  if (n.initial) return Infinity;
  let lo = n.inode;
  if (n.procRuns.length > 0) lo = Math.min(lo, n.procRuns[0] as number);
  for (const x of n.devInodes) lo = Math.min(lo, x);
  return lo;
}

function highestNumber(n: NsNode): number {
  let hi = n.initial ? -1 : n.inode;
  if (n.procRuns.length > 0) hi = Math.max(hi, n.procRuns[n.procRuns.length - 1] as number);
  for (const x of n.devInodes) hi = Math.max(hi, x);
  return hi;
}
