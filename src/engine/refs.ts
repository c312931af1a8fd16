import type { NsType } from '../../model/nsType.ts';
import type { LatencyRange } from '../../model/time.ts';
import type { EngineCtx } from './ctx.ts';
import { startReaper } from './reapers.ts';
import type { FileNode, NsNode, World } from './world.ts';

/** Takes a reference. @internal */
export function getNs(w: World, id: number): void {
  (w.ns[id] as NsNode).refs++;
}

/**
 * Drops a reference; on the last one the namespace starts dying and goes to its reaper.
 * `inReaper` is set when the put comes from inside a reaper that loops up the parent chain
 * (free_user_ns, destroy_pid_namespace): the parent is then freed by the same work, at once.
 * Returns whether this was the last reference.
 *
 * @internal
 */
export function putNs(w: World, id: number, ctx: EngineCtx, inReaper = false): boolean {
  const n = w.ns[id] as NsNode;
  if (--n.refs > 0) return false;
  if (n.initial) throw new Error(`the initial ${n.type} namespace lost its last reference`);
  n.state = 'dying';
  n.diedAt = ctx.at.lo;
  ctx.effects?.push({ kind: 'ns.lastPut', ns: id, at: ctx.at });
  startReaper(w, id, ctx, inReaper);
  return true;
}

/**
 * A reference dropped later by an RCU callback or deferred release: a credential's user
 * namespace (`__put_cred` → `call_rcu(put_cred_rcu)`), a reaped task's struct pid
 * (`free_pid` → `call_rcu(delayed_put_pid)`).
 *
 * @internal
 */
export function deferPut(w: World, id: number, ctx: EngineCtx, latency: LatencyRange): void {
  // An initial namespace is never freed: when its reference goes makes no difference.
  if ((w.ns[id] as NsNode).initial) return void (w.ns[id] as NsNode).refs--;
  w.work.push({ ns: id, step: -1, due: ctx.timing.due(ctx.at, latency) });
  ctx.effects?.push({ kind: 'put.deferred', ns: id, at: ctx.at });
}

/** A credential reference on a user namespace goes (kernel/cred.c: __put_cred → call_rcu). @internal */
export function putCred(w: World, userNs: number, ctx: EngineCtx): void {
  deferPut(w, userNs, ctx, ctx.profile.latency.rcuGrace);
}

/** One more user of a namespace's nsfs inode; the first takes the inode's reference. @internal */
export function getNsfs(w: World, id: number): void {
  const n = w.ns[id] as NsNode;
  if (n.nsfs++ === 0) n.refs++;
}

/** One user less; the last evicts the inode, which puts the namespace (fs/nsfs.c: nsfs_evict). @internal */
export function putNsfs(w: World, id: number, ctx: EngineCtx): void {
  const n = w.ns[id] as NsNode;
  if (--n.nsfs === 0) putNs(w, id, ctx);
}

/** Takes a struct pid reference. @internal */
export function getPid(w: World, pid: number): void {
  (w.pids[pid] as { refs: number }).refs++;
}

/**
 * Drops a struct pid reference; the last one puts its pid namespace (kernel/pid.c: put_pid →
 * put_pid_ns). `deferred`: the put comes from `delayed_put_pid` after a grace period (reap).
 *
 * @internal
 */
export function putPid(w: World, pid: number, ctx: EngineCtx, deferred: boolean): void {
  const p = w.pids[pid] as { refs: number; ns: number };
  // The reap's put is itself RCU-delayed (free_pid → call_rcu(delayed_put_pid)): until it runs,
  // the struct pid keeps its count, so closing the last pidfd meanwhile is not the last put —
  // seen on 6.18.44: the pid namespace held 11 ms after the close, released by 111 ms.
  if (deferred && !(w.ns[p.ns] as NsNode).initial) {
    w.work.push({ ns: p.ns, step: -2, pid, due: ctx.timing.due(ctx.at, ctx.profile.latency.pidPut) });
    ctx.effects?.push({ kind: 'put.deferred', ns: p.ns, at: ctx.at });
    return;
  }
  if (--p.refs > 0) return;
  putNs(w, p.ns, ctx);
}

/** A new open file (refcount 1), holding its target and its opener's credentials. @internal */
export function openFile(w: World, kind: FileNode['kind'], target: number, cred: number): number {
  if (kind === 'pidfd') getPid(w, target);
  else if (kind === 'nsfs') getNsfs(w, target);
  else if (kind === 'socket') getNs(w, target);
  getNs(w, cred);
  w.files.push({ kind, target, cred, refs: 1 });
  return w.files.length - 1;
}

/** Drops a reference on a file; the last one releases it (fs/file_table.c: __fput). @internal */
export function putFile(w: World, file: number, ctx: EngineCtx): void {
  const f = w.files[file] as FileNode;
  if (--f.refs > 0) return;
  if (f.kind === 'nsfs') putNsfs(w, f.target, ctx);
  else if (f.kind === 'socket')
    putNs(w, f.target, ctx); // __sk_destruct → put_net
  else if (f.kind === 'pidfd') putPid(w, f.target, ctx, false); // pidfd_release → put_pid
  putCred(w, f.cred, ctx); // __fput → put_cred(file->f_cred)
}

/**
 * kernel/ucount.c: inc_ucount — charges the (user ns, uid) entry of `userNs` and of every
 * ancestor, each against that level's `max_<type>_namespaces`; on failure nothing stays charged
 * and the creator gets ENOSPC. An entry that starts carrying charges takes a reference on its
 * user namespace (alloc_ucounts). Returns false on failure.
 *
 * @internal
 */
export function chargeUcount(w: World, userNs: number, type: NsType): boolean {
  for (let u = userNs; u >= 0; u = (w.ns[u] as NsNode).parent) {
    const uc = (w.ns[u] as NsNode).ucounts;
    if (uc && uc.charged[type] + 1 > uc.max[type]) return false;
  }
  for (let u = userNs; u >= 0; u = (w.ns[u] as NsNode).parent) {
    const n = w.ns[u] as NsNode;
    const uc = n.ucounts;
    if (!uc) continue;
    uc.charged[type]++;
    if (uc.total++ === 0) n.refs++;
  }
  return true;
}

/** kernel/ucount.c: dec_ucount — walks the same chain; an entry left without charges puts its user namespace. @internal */
export function unchargeUcount(w: World, userNs: number, type: NsType, ctx: EngineCtx): void {
  const chain: number[] = [];
  for (let u = userNs; u >= 0; u = (w.ns[u] as NsNode).parent) chain.push(u);
  for (const u of chain) {
    const n = w.ns[u] as NsNode;
    const uc = n.ucounts;
    if (!uc) continue;
    uc.charged[type]--;
    if (--uc.total === 0) putNs(w, u, ctx); // put_ucounts → put_user_ns (never the last: the charged namespace still holds its owner)
  }
}
