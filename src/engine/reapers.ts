import type { NsType } from '../../model/nsType.ts';
import type { KernelProfile } from '../../model/profile.ts';
import type { Reaper, Release } from '../../model/rules/reaper.ts';
import { NS_RULES } from '../../model/rules/table.ts';
import { freeInode, freeInodes } from './allocator.ts';
import type { EngineCtx } from './ctx.ts';
import type { Interval } from './interval.ts';
import { dropMounts } from './mounts.ts';
import { putNs, putPid, unchargeUcount } from './refs.ts';
import type { BatchWorker, NsNode, WorkItem, World } from './world.ts';

/**
 * One internal (kernel-side) transition that may happen now: a batched worker's next step
 * (`netns`, `ipc`), or a per-namespace work item (`w:<ns>:<step>:<due>`: a reaper step, or a
 * deferred put when step is -1). `due` is when it may happen.
 *
 * @internal
 */
export interface InternalTransition {
  readonly key: string;
  readonly due: Interval;
}

const reapers = new WeakMap<KernelProfile, Record<NsType, Reaper>>();
/** The reaper rows of a profile (built once per profile). @internal */
export function reapersOf(p: KernelProfile): Record<NsType, Reaper> {
  let r = reapers.get(p);
  if (!r) {
    r = Object.fromEntries(Object.values(NS_RULES).map((row) => [row.type, row.reaper(p)])) as Record<NsType, Reaper>;
    reapers.set(p, r);
  }
  return r;
}
/** The reaper of one type. @internal */
export const reaperOf = (p: KernelProfile, type: NsType): Reaper => reapersOf(p)[type];
/** The netns reaper of a profile. @internal */
export const netReaperOf = (p: KernelProfile): Reaper => reapersOf(p).net;

const workKey = (it: WorkItem): string =>
  `w:${it.ns}:${it.step}:${it.due.lo}:${it.due.hi}${it.pid === undefined ? '' : `:p${it.pid}`}`;

/** The internal transitions enabled in `w`: the batched workers, then work items in queue order. @internal */
export function enabledInternal(w: World): InternalTransition[] {
  const out: InternalTransition[] = [];
  if (w.netns.state !== 'idle') out.push({ key: 'netns', due: w.netns.due });
  if (w.ipc.state !== 'idle') out.push({ key: 'ipc', due: w.ipc.due });
  for (const it of w.work) out.push({ key: workKey(it), due: it.due });
  return out;
}

/** The earliest time any internal transition may happen (Infinity: none pending). @internal */
export function nextDue(w: World): number {
  let due = w.netns.state !== 'idle' ? w.netns.due.lo : Infinity;
  if (w.ipc.state !== 'idle' && w.ipc.due.lo < due) due = w.ipc.due.lo;
  for (const it of w.work) if (it.due.lo < due) due = it.due.lo;
  return due;
}

/**
 * Hands a namespace whose last reference just went to its reaper: a synchronous reaper runs its
 * first step now; a work item is queued; a batched reaper adds it to its list (only the first
 * adder queues the work). Inside a reaper's parent loop (`inReaper`) the first step runs now.
 *
 * @internal
 */
export function startReaper(w: World, id: number, ctx: EngineCtx, inReaper: boolean): void {
  const n = w.ns[id] as NsNode;
  const reaper = reaperOf(ctx.profile, n.type);
  if (reaper.kind === 'batched-worker') return queueBatch(w, n.type === 'net' ? w.netns : w.ipc, id, reaper, ctx);
  const first = reaper.steps[0];
  if (!first) return;
  if (first.latency === null || inReaper) return runStep(w, id, 0, ctx);
  ctx.effects?.push({ kind: 'reaper.queued', reaper: reaper.fn, ns: id, at: ctx.at });
  w.work.push({ ns: id, step: 0, due: ctx.timing.due(ctx.at, ctx.profile.latency[first.latency]) });
}

/**
 * `llist_add(&ns->list, &list)`; the first adder queues the work: net/core/net_namespace.c:
 * __put_net (netns_wq), ipc/namespace.c: put_ipc_ns (free_ipc_work). A run in progress has
 * taken its batch, so the work is queued once more behind it.
 */
function queueBatch(w: World, worker: BatchWorker, id: number, reaper: Reaper, ctx: EngineCtx): void {
  const firstAdder = worker.cleanupList.length === 0;
  worker.cleanupList.push(id);
  ctx.effects?.push({ kind: 'reaper.queued', reaper: reaper.fn, ns: id, at: ctx.at });
  if (!firstAdder) return;
  if (worker.state === 'idle') {
    worker.state = 'queued';
    worker.step = 0;
    worker.due = ctx.timing.due(ctx.at, ctx.profile.latency[reaper.steps[0]?.latency ?? 'workqueue']);
  } else if (worker.state === 'running') worker.requeued = true;
}

/** Runs step `step` of a per-namespace reaper on `id`, and schedules (or runs) the next one. */
function runStep(w: World, id: number, step: number, ctx: EngineCtx): void {
  const n = w.ns[id] as NsNode;
  const reaper = reaperOf(ctx.profile, n.type);
  const s = reaper.steps[step];
  if (!s) throw new Error(`${reaper.fn} has no step ${step}`);
  const freed: number[] | null = ctx.effects ? [] : null;
  // Everything of the namespace goes before its parent is put (and possibly freed in turn).
  for (const r of s.releases) if (r !== 'parent-ref') applyRelease(w, n, r, ctx, freed);
  n.reaperStep = step;
  ctx.effects?.push({ kind: 'reaper.step', reaper: reaper.fn, step: s.id, ns: [id], inodes: freed ?? [], at: ctx.at });
  const next = reaper.steps[step + 1];
  if (!next) markFreed(w, id, ctx);
  else if (next.latency === null) runStep(w, id, step + 1, ctx);
  else w.work.push({ ns: id, step: step + 1, due: ctx.timing.due(ctx.at, ctx.profile.latency[next.latency]) });
  if (s.releases.includes('parent-ref') && n.parent >= 0) putNs(w, n.parent, ctx, true);
}

/** Does what a release says for one namespace. */
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
      if (n.chargedTo >= 0) unchargeUcount(w, n.chargedTo, n.type, ctx);
      n.chargedTo = -1;
      return;
    case 'owner-ref':
      if (n.type !== 'user' && n.owner >= 0) putNs(w, n.owner, ctx);
      return;
    case 'parent-ref':
      if (n.parent >= 0) putNs(w, n.parent, ctx, true);
      return;
    case 'mounts':
      dropMounts(w, n, ctx);
      return;
  }
}

/**
 * A `cleanup_net` run for namespaces the model does not know (another netns on the machine died):
 * the worker runs with none of the model's namespaces in its batch. Only the checker uses it,
 * when tracefs shows a run the model's own worker cannot be doing.
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
  if (key === 'netns') return fireBatch(w, w.netns, reapersOf(ctx.profile).net, ctx);
  if (key === 'ipc') return fireBatch(w, w.ipc, reapersOf(ctx.profile).ipc, ctx);
  const i = w.work.findIndex((it) => workKey(it) === key);
  if (i < 0) throw new Error(`no queued work ${key}`);
  const [it] = w.work.splice(i, 1);
  if (!it) return;
  fireWork(w, it, ctx);
}

/** Fires the work item at index `i` of `w.work` (the engine's fast path). @internal */
export function fireWorkAt(w: World, i: number, ctx: EngineCtx): void {
  const [it] = w.work.splice(i, 1);
  if (!it) return;
  fireWork(w, it, ctx);
}

/** Runs one work item: a reaper step, or an RCU-delayed put (of a namespace, or of a struct pid). */
function fireWork(w: World, it: WorkItem, ctx: EngineCtx): void {
  if (it.step === -2)
    putPid(w, it.pid as number, ctx, false); // delayed_put_pid → put_pid
  else if (it.step < 0) putNs(w, it.ns, ctx);
  else runStep(w, it.ns, it.step, ctx);
}

/** One step of a batched reaper (or the start of a run). */
function fireBatch(w: World, worker: BatchWorker, reaper: Reaper, ctx: EngineCtx): void {
  const steps = reaper.steps;
  if (worker.state === 'queued') {
    worker.state = 'running';
    worker.batch = worker.cleanupList;
    worker.cleanupList = [];
    worker.step = 0;
  }
  const step = steps[worker.step];
  if (!step) throw new Error(`${reaper.fn} past its last step`);
  const freed: number[] | null = ctx.effects ? [] : null;
  for (const id of worker.batch) {
    const n = w.ns[id] as NsNode;
    for (const r of step.releases) applyRelease(w, n, r, ctx, freed);
    n.reaperStep = worker.step;
  }
  ctx.effects?.push({
    kind: 'reaper.step',
    reaper: reaper.fn,
    step: step.id,
    ns: worker.batch.slice(),
    inodes: freed ?? [],
    at: ctx.at,
  });
  worker.step++;
  const next = steps[worker.step];
  if (next) {
    worker.due = ctx.timing.due(ctx.at, ctx.profile.latency[next.latency ?? 'workqueue']);
    return;
  }
  for (const id of worker.batch) markFreed(w, id, ctx);
  worker.batch = [];
  worker.step = 0;
  if (worker.requeued) {
    worker.requeued = false;
    worker.state = 'queued';
    worker.due = ctx.timing.due(ctx.at, ctx.profile.latency[steps[0]?.latency ?? 'workqueue']);
  } else worker.state = 'idle';
}

/**
 * Runs the ipc worker to the end now: `create_ipc_ns` → `flush_work(&free_ipc_work)` waits for the
 * queued work (ipc/namespace.c [6.3+]). Namespaces put meanwhile go to a later run.
 *
 * @internal
 */
export function flushIpc(w: World, ctx: EngineCtx): boolean {
  if (w.ipc.state === 'idle') return false;
  const reaper = reapersOf(ctx.profile).ipc;
  const worker: BatchWorker = w.ipc;
  while (worker.state !== ('idle' as BatchWorker['state'])) fireBatch(w, worker, reaper, ctx);
  return true;
}

function markFreed(w: World, id: number, ctx: EngineCtx): void {
  const n = w.ns[id] as NsNode;
  n.state = 'freed';
  n.freedAt = ctx.at.lo;
  ctx.effects?.push({ kind: 'ns.freed', ns: id, at: ctx.at });
}
