import type { KernelProfile } from '../../model/profile.ts';
import type { Reaper, Release } from '../../model/rules/reaper.ts';
import { netReaper } from '../../model/rules/net.ts';
import { userReaper } from '../../model/rules/user.ts';
import { freeInode, freeInodes } from './allocator.ts';
import type { EngineCtx } from './ctx.ts';
import type { Interval } from './interval.ts';
import { putNs, unchargeUcount } from './refs.ts';
import type { NsNode, World } from './world.ts';

/**
 * One internal (kernel-side) transition that may happen now: the netns worker's next step, or a
 * queued `free_user_ns` work item. `due` is when it may happen.
 *
 * @internal
 */
export interface InternalTransition {
  /** `netns` or `user:<ns id>`. */
  readonly key: string;
  readonly due: Interval;
}

/** The internal transitions enabled in `w`, netns worker first, then work items by queue order. @internal */
export function enabledInternal(w: World): InternalTransition[] {
  const out: InternalTransition[] = [];
  if (w.netns.state !== 'idle') out.push({ key: 'netns', due: w.netns.due });
  for (const item of w.userWork) out.push({ key: `user:${item.ns}`, due: item.due });
  return out;
}

/** Does what a release says for one namespace, in the order the reaper step lists them. */
function applyRelease(w: World, n: NsNode, r: Release, ctx: EngineCtx, freed: number[] | null): void {
  switch (r) {
    case 'tree':
      return;
    case 'device-proc-inodes':
      for (const ino of n.devInodes) {
        freeInode(w.inodes, ino);
        freed?.push(ino);
      }
      n.devInodes = [];
      return;
    case 'proc-inodes':
      for (let i = 0; i < n.procRuns.length; i += 2) {
        const lo = n.procRuns[i] as number;
        const hi = n.procRuns[i + 1] as number;
        freeInodes(w.inodes, lo, hi);
        if (freed) for (let x = lo; x <= hi; x++) freed.push(x);
      }
      n.procRuns = [];
      return;
    case 'inum':
      freeInode(w.inodes, n.inode);
      freed?.push(n.inode);
      return;
    case 'ucount':
      if (n.chargedTo >= 0) unchargeUcount(w, n.chargedTo, n.type);
      n.chargedTo = -1;
      return;
    case 'owner-ref':
      if (n.owner >= 0) putNs(w, n.owner, ctx);
      return;
    case 'parent-ref':
      // free_user_ns: `ns = parent; while (ns_ref_put(parent))` — the parent dies in this same work.
      if (n.parent >= 0 && putNs(w, n.parent, ctx, true)) freeUserNs(w, n.parent, ctx);
      return;
  }
}

/**
 * A `cleanup_net` run for namespaces the model does not know (another netns on the machine died):
 * the worker runs with none of the model's namespaces in its batch. Nets put meanwhile wait for
 * the next run, as for any run (`__put_net` requeues the work). Only the checker uses it, when
 * tracefs shows a run the model's own worker cannot be doing.
 *
 * @internal
 */
export function startForeignRun(w: World, ctx: EngineCtx): void {
  if (w.netns.state !== 'idle') throw new Error('a foreign cleanup_net run needs an idle worker');
  const steps = netReaperOf(ctx.profile).steps;
  w.netns.state = 'running';
  w.netns.batch = [];
  w.netns.step = 1;
  w.netns.due = ctx.timing.due(ctx.at, ctx.profile.latency[steps[1]?.latency ?? 'netnsStart']);
}

/**
 * Fires the internal transition `key` within the window `ctx.at`.
 *
 * @internal
 */
export function fireInternal(w: World, key: string, ctx: EngineCtx): void {
  if (key === 'netns') fireNetnsWorker(w, ctx);
  else {
    const id = Number(key.slice(5));
    const i = w.userWork.findIndex((it) => it.ns === id);
    if (i < 0) throw new Error(`no queued work ${key}`);
    w.userWork.splice(i, 1);
    freeUserNs(w, id, ctx);
  }
}

const netReapers = new WeakMap<KernelProfile, Reaper>();
/** The netns reaper of a profile (built once per profile). @internal */
export function netReaperOf(p: KernelProfile): Reaper {
  let r = netReapers.get(p);
  if (!r) netReapers.set(p, (r = netReaper(p)));
  return r;
}
const userReaperRow = userReaper();

/** One step of `cleanup_net` (or the start of a run). */
function fireNetnsWorker(w: World, ctx: EngineCtx): void {
  const worker = w.netns;
  const steps = netReaperOf(ctx.profile).steps;
  if (worker.state === 'queued') {
    worker.state = 'running';
    worker.batch = worker.cleanupList;
    worker.cleanupList = [];
    worker.step = 0;
  }
  const step = steps[worker.step];
  if (!step) throw new Error('netns worker past its last step');
  const freed: number[] | null = ctx.effects ? [] : null;
  for (const id of worker.batch) {
    const n = w.ns[id] as NsNode;
    for (const r of step.releases) applyRelease(w, n, r, ctx, freed);
    n.reaperStep = worker.step;
  }
  ctx.effects?.push({
    kind: 'reaper.step',
    reaper: 'cleanup_net',
    step: step.id,
    ns: worker.batch.slice(),
    inodes: freed ?? [],
    at: ctx.at,
  });
  worker.step++;
  const next = steps[worker.step];
  if (next) {
    worker.due = ctx.timing.due(ctx.at, ctx.profile.latency[next.latency ?? 'netnsStart']);
    return;
  }
  for (const id of worker.batch) markFreed(w, id, ctx);
  worker.batch = [];
  worker.step = 0;
  if (worker.requeued) {
    worker.requeued = false;
    worker.state = 'queued';
    worker.due = ctx.timing.due(ctx.at, ctx.profile.latency.netnsStart);
  } else worker.state = 'idle';
}

/** kernel/user_namespace.c: free_user_ns, for one namespace (the parent loop is in applyRelease). */
function freeUserNs(w: World, id: number, ctx: EngineCtx): void {
  const n = w.ns[id] as NsNode;
  const freed: number[] | null = ctx.effects ? [] : null;
  const step = userReaperRow.steps[0];
  if (!step) return;
  // Everything of the namespace goes before the parent is put (and possibly freed in turn).
  for (const r of step.releases) if (r !== 'parent-ref') applyRelease(w, n, r, ctx, freed);
  n.reaperStep = 0;
  ctx.effects?.push({
    kind: 'reaper.step',
    reaper: 'free_user_ns',
    step: step.id,
    ns: [id],
    inodes: freed ?? [],
    at: ctx.at,
  });
  markFreed(w, id, ctx);
  applyRelease(w, n, 'parent-ref', ctx, freed);
}

function markFreed(w: World, id: number, ctx: EngineCtx): void {
  const n = w.ns[id] as NsNode;
  n.state = 'freed';
  n.freedAt = ctx.at.lo;
  ctx.effects?.push({ kind: 'ns.freed', ns: id, at: ctx.at });
}
