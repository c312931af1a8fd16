import { NS_RULES } from '../../model/rules/table.ts';
import type { NsType } from '../../model/nsType.ts';
import type { EngineCtx } from './ctx.ts';
import type { NsNode, World } from './world.ts';

/** Takes a reference. @internal */
export function getNs(w: World, id: number): void {
  (w.ns[id] as NsNode).refs++;
}

/**
 * Drops a reference; on the last one the namespace starts dying and is queued on its reaper.
 * `inReaper` is set when the put comes from inside a user namespace's own free work: there
 * `free_user_ns` loops up the parent chain in the same work item instead of queueing new work.
 *
 * @internal
 */
export function putNs(w: World, id: number, ctx: EngineCtx, inReaper = false): boolean {
  const n = w.ns[id] as NsNode;
  if (--n.refs > 0) return false;
  n.state = 'dying';
  n.diedAt = ctx.at.lo;
  ctx.effects?.push({ kind: 'ns.lastPut', ns: id, at: ctx.at });
  if (n.type === 'net') queueCleanupNet(w, id, ctx);
  else if (n.type === 'user' && !inReaper) queueFreeUserNs(w, id, ctx);
  return true;
}

/**
 * net/core/net_namespace.c: __put_net — `if (llist_add(&net->cleanup_list, &cleanup_list))
 * queue_work(netns_wq, &net_cleanup_work)`: only the first adder queues; a run already in
 * progress has taken its batch, so the work is queued once more behind it.
 */
function queueCleanupNet(w: World, id: number, ctx: EngineCtx): void {
  const worker = w.netns;
  const firstAdder = worker.cleanupList.length === 0;
  worker.cleanupList.push(id);
  ctx.effects?.push({ kind: 'reaper.queued', reaper: 'cleanup_net', ns: id, at: ctx.at });
  if (!firstAdder) return;
  if (worker.state === 'idle') {
    worker.state = 'queued';
    worker.step = 0;
    worker.due = ctx.timing.due(ctx.at, ctx.profile.latency.netnsStart);
  } else if (worker.state === 'running') {
    worker.requeued = true;
  }
}

/** kernel/user_namespace.c: __put_user_ns → schedule_work(&ns->work) (system_wq). */
function queueFreeUserNs(w: World, id: number, ctx: EngineCtx): void {
  w.userWork.push({ ns: id, due: ctx.timing.due(ctx.at, ctx.profile.latency.userFree) });
  ctx.effects?.push({ kind: 'reaper.queued', reaper: 'free_user_ns', ns: id, at: ctx.at });
}

/**
 * kernel/ucount.c: inc_ucount — charges the (user ns, uid) entry of `userNs` and of every
 * ancestor, each against that level's `max_<type>_namespaces`; on failure nothing stays charged
 * and the creator gets ENOSPC. Returns false on failure.
 *
 * @internal
 */
export function chargeUcount(w: World, userNs: number, type: NsType): boolean {
  for (let u = userNs; u >= 0; u = (w.ns[u] as NsNode).parent) {
    const uc = (w.ns[u] as NsNode).ucounts;
    if (uc && uc.charged[type] + 1 > uc.max[type]) return false;
  }
  for (let u = userNs; u >= 0; u = (w.ns[u] as NsNode).parent) {
    const uc = (w.ns[u] as NsNode).ucounts;
    if (uc) uc.charged[type]++;
  }
  return true;
}

/** kernel/ucount.c: dec_ucount — walks the same chain down again. @internal */
export function unchargeUcount(w: World, userNs: number, type: NsType): void {
  for (let u = userNs; u >= 0; u = (w.ns[u] as NsNode).parent) {
    const uc = (w.ns[u] as NsNode).ucounts;
    if (uc) uc.charged[type]--;
  }
}

/** The rules row of a modelled type. @internal */
export function rulesOf(type: NsType) {
  if (type !== 'user' && type !== 'net') throw new Error(`the model does not cover ${type} namespaces yet`);
  return NS_RULES[type];
}
