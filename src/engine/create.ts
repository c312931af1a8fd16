import { NS_RULES } from '../../model/rules/table.ts';
import type { NsType } from '../../model/nsType.ts';
import { addRun, allocInode, allocInodes } from './allocator.ts';
import type { EngineCtx } from './ctx.ts';
import { copyMounts } from './mounts.ts';
import { flushIpc } from './reapers.ts';
import { chargeUcount, getNs, putCred, putNs } from './refs.ts';
import { multithreaded, newPidNs } from './tasks.ts';
import type { NsNode, TaskNode, World } from './world.ts';

/**
 * Namespaces being created by one unshare or clone, and the /proc/net entries of a new netns
 * still to register.
 *
 * @internal
 */
export interface Creation {
  created: Partial<Record<NsType, number>>;
  /** /proc/net entries still to register for `created.net`. */
  fill: number;
  /** The number the last registered entry got (-1: none yet). */
  last: number;
  /**
   * Types still to create once the new netns has registered its /proc/net entries
   * (create_new_namespaces makes time after net, and setup_net registers them in between).
   */
  rest: NsType[];
  /** The task whose creation this is (for `rest`). */
  ti: number;
}

/**
 * create_new_namespaces order: mnt, uts, ipc, pid, cgroup, net, time (kernel/nsproxy.c); the user
 * namespace comes first (unshare_userns / copy_creds).
 */
const ORDER: readonly NsType[] = ['user', 'mnt', 'uts', 'ipc', 'pid', 'cgroup', 'net', 'time'];

const INT_MAX = 2147483647;
const counts = (v: number): Record<NsType, number> => ({
  user: v,
  pid: v,
  net: v,
  mnt: v,
  uts: v,
  ipc: v,
  cgroup: v,
  time: v,
});

/**
 * Creates the namespaces of `types` for task `ti` (unshare) or for its child (clone), in the
 * kernel's order, each charging its ucount first and then taking its inode number
 * (ns_common_init). Returns null, or the errno; on failure the ones already made are put again
 * (create_new_namespaces' unwinding) and nothing stays charged.
 *
 * @internal
 */
export function createNamespaces(
  w: World,
  ti: number,
  types: readonly NsType[],
  c: Creation,
  ctx: EngineCtx,
  clone: boolean,
): string | null {
  const task = w.tasks[ti] as TaskNode;
  const want = new Set(types);
  // kernel/fork.c: ksys_unshare → unshare_userns: CLONE_NEWUSER implies CLONE_THREAD, and a
  // multithreaded caller gets EINVAL (check_unshare_flags).
  if (!clone && want.has('user') && multithreaded(w, ti)) return 'EINVAL';
  let owner = task.ns.user;
  const order = ORDER.filter((t) => want.has(t));
  for (const [k, type] of order.entries()) {
    const err = createOne(w, task, type, owner, c, ctx);
    if (err !== null) {
      unwind(w, c, ctx);
      return err;
    }
    if (type === 'user') owner = c.created.user as number;
    // copy_net_ns → setup_net registers the /proc/net entries before the next namespace (time)
    // takes its number: the rest is made once they are all registered (createRest).
    if (type === 'net' && c.fill > 0 && k + 1 < order.length) {
      c.rest = order.slice(k + 1);
      c.ti = ti;
      return null;
    }
  }
  return null;
}

/**
 * Creates the namespaces left for after the new netns's /proc/net entries (`Creation.rest`).
 * Returns null, or the errno; on failure everything this creation made is put again.
 *
 * @internal
 */
export function createRest(w: World, c: Creation, ctx: EngineCtx): string | null {
  const rest = c.rest;
  c.rest = [];
  const task = w.tasks[c.ti] as TaskNode;
  const owner = c.created.user ?? task.ns.user;
  for (const type of rest) {
    const err = createOne(w, task, type, owner, c, ctx);
    if (err !== null) {
      unwind(w, c, ctx);
      return err;
    }
  }
  return null;
}

function createOne(w: World, task: TaskNode, type: NsType, owner: number, c: Creation, ctx: EngineCtx): string | null {
  const p = ctx.profile;
  let parent = -1;
  let level = 0;
  if (type === 'user') {
    parent = owner;
    const pn = w.ns[owner] as NsNode;
    // kernel/user_namespace.c: create_user_ns — `if (parent_ns->level > 32) return -ENOSPC`
    if (pn.level > p.userNestingLimit) return 'ENOSPC';
    level = pn.level + 1;
  } else if (type === 'pid') {
    // kernel/pid_namespace.c: copy_pid_ns — `if (task_active_pid_ns(current) != old_ns) return
    // -EINVAL` (a second CLONE_NEWPID before the first child). It comes after the user namespace
    // of the same call was made (unshare_userns / copy_creds run first), which is then dropped
    // like any abandoned cred: its number stays taken until free_user_ns [exp 6.18.44, campaign].
    if (task.pidForChildren !== task.ns.pid) return 'EINVAL';
    parent = task.pidForChildren;
    const pn = w.ns[parent] as NsNode;
    // kernel/pid_namespace.c: create_pid_namespace — `if (!in_userns(parent_pid_ns->user_ns, user_ns))
    // goto out` (EINVAL); `if (level > MAX_PID_NS_LEVEL) goto out` (ENOSPC)
    if (!userWithin(w, owner, pn.owner)) return 'EINVAL';
    level = pn.level + 1;
    if (level > p.pidNestingLimit) return 'ENOSPC';
  }
  // Every create function charges first: inc_<type>_namespaces → inc_ucount (ENOSPC).
  const chargedTo = owner;
  if (!chargeUcount(w, chargedTo, type)) {
    // ipc/namespace.c: create_ipc_ns — on failure flush_work(&free_ipc_work) and retry [6.3+].
    if (!(type === 'ipc' && p.ipcCreateFlushRetry && flushIpc(w, ctx) && chargeUcount(w, chargedTo, type)))
      return 'ENOSPC';
  }
  const id = w.ns.length;
  const inode = allocInode(w.inodes); // ns_common_init → proc_alloc_inum
  w.ns.push({
    id,
    type,
    initial: false,
    inode,
    procRuns: [],
    devInodes: [],
    refs: 1, // the new cred (user) / the new nsproxy's slot (others)
    nsfs: 0,
    state: 'active',
    reaperStep: -1,
    owner,
    parent,
    level,
    chargedTo,
    ucounts: type === 'user' ? { charged: counts(0), max: counts(INT_MAX), total: 0 } : null,
    pidns: type === 'pid' ? newPidNs() : null,
    mounts: type === 'mnt' ? [] : null,
    createdAt: ctx.at.lo,
    diedAt: -1,
    freedAt: -1,
  });
  // user: the creator cred's reference is left with the child as its parent reference
  // (kernel/user_namespace.c: create_user_ns); the new cred's reference is the one above.
  // Others: get_user_ns(owner); pid also get_pid_ns(parent).
  getNs(w, owner);
  if (type === 'pid') getNs(w, parent);
  if (type === 'mnt') copyMounts(w, task.ns.mnt, id); // copy_mnt_ns → copy_tree
  if (type === 'net') c.fill = NS_RULES.net.extraInodes(p);
  c.created[type] = id;
  ctx.effects?.push({ kind: 'ns.created', ns: id, at: ctx.at });
  return null;
}

/** Whether `anc` is `ns` or one of its ancestors (user namespaces). */
function userWithin(w: World, ns: number, anc: number): boolean {
  if (anc < 0) return true; // the user namespace above the initial one (the host's) is everyone's ancestor
  for (let u = ns; u >= 0; u = (w.ns[u] as NsNode).parent) if (u === anc) return true;
  return false;
}

/**
 * Puts what a failed creation made, in reverse order (create_new_namespaces' error path); a
 * half-registered netns registers the rest first (setup_net finished before the failure).
 */
function unwind(w: World, c: Creation, ctx: EngineCtx): void {
  if (c.created.net !== undefined && c.fill > 0) fillNet(w, c, c.fill, ctx);
  for (const type of [...ORDER].reverse()) {
    const id = c.created[type];
    if (id === undefined) continue;
    if (type === 'user')
      putCred(w, id, ctx); // abort_creds → put_cred (RCU)
    else putNs(w, id, ctx);
  }
  c.created = {};
}

/**
 * Registers the next `count` /proc/net entries of the netns being created. The last
 * `netDeviceProcEntries` of them belong to the loopback device (`dev_snmp6/lo`, ns+64 on 6.18.44).
 *
 * @internal
 */
export function fillNet(w: World, c: Creation, count: number, ctx: EngineCtx): void {
  const id = c.created.net;
  if (id === undefined || count <= 0) return;
  const n = w.ns[id] as NsNode;
  const dev = Math.min(ctx.profile.inodes.netDeviceProcEntries, ctx.profile.inodes.netProcEntries);
  const plain = Math.min(count, c.fill - dev);
  if (plain > 0) {
    const taken = scratchRuns;
    taken.length = 0;
    allocInodes(w.inodes, plain, taken);
    for (let i = 0; i < taken.length; i += 2) addRun(n.procRuns, taken[i] as number, taken[i + 1] as number);
    c.last = taken[taken.length - 1] as number;
    c.fill -= plain;
    count -= plain;
  }
  for (; count > 0 && c.fill > 0; count--, c.fill--) n.devInodes.push((c.last = allocInode(w.inodes)));
}

/** Reused for the runs one fill takes (copied into the namespace's set right away). */
const scratchRuns: number[] = [];
