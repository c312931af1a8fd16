import type { NsType } from '../../model/nsType.ts';
import type { Step } from '../scenario/ast.ts';
import { addRun, allocInode, allocInodes } from './allocator.ts';
import type { EngineCtx } from './ctx.ts';
import { chargeUcount, getNs, putNs, rulesOf } from './refs.ts';
import type { NsNode, TaskNode, World } from './world.ts';

/**
 * The syscall-side operations. Each is split where the kernel changes shared state, so that
 * deferred kernel work can be placed in between:
 * - `beginOp`: the start of the syscall — ucount charges, the namespaces' own inode numbers
 *   (ns_common_init runs before setup_net);
 * - `fillOp`: per-item work inside the syscall that deferred work interleaves with — setup_net
 *   registers the /proc/net entries one at a time (proc_register → proc_alloc_inum), while a
 *   running cleanup_net may give numbers back between two of them;
 * - `endOp`: the end — `switch_task_namespaces` and `commit_creds`, which put the old namespaces.
 *
 * @internal
 */
export type ExecStep = Extract<Step, { kind: 'unshare' | 'read' }>;

/** Scratch state carried from an op's start to its end. @internal */
export interface OpState {
  errno: string | null;
  created: Partial<Record<NsType, number>>;
  /** /proc/net entries still to register for `created.net`. */
  fill: number;
  /** The number the last registered entry got (-1: none yet). */
  last: number;
}

/** A fresh scratch state. @internal */
export function newOpState(): OpState {
  return { errno: null, created: {}, fill: 0, last: -1 };
}

/** Copies a scratch state (the checker forks it with the world). @internal */
export function copyOpState(st: OpState): OpState {
  return { errno: st.errno, created: { ...st.created }, fill: st.fill, last: st.last };
}

/** The start of `step`. @internal */
export function beginOp(w: World, step: ExecStep, st: OpState, ctx: EngineCtx): void {
  if (step.kind === 'read') return;
  unshareCreate(w, taskOf(w, step.task), step.types, st, ctx);
}

/**
 * Registers the next `count` /proc/net entries of the netns being created. The last
 * `netDeviceProcEntries` of them belong to the loopback device (`dev_snmp6/lo`, ns+64 on 6.18.44).
 *
 * @internal
 */
export function fillOp(w: World, st: OpState, count: number, ctx: EngineCtx): void {
  const id = st.created.net;
  if (id === undefined || count <= 0) return;
  const n = w.ns[id] as NsNode;
  const dev = Math.min(ctx.profile.inodes.netDeviceProcEntries, ctx.profile.inodes.netProcEntries);
  const plain = Math.min(count, st.fill - dev);
  if (plain > 0) {
    const taken = scratchRuns;
    taken.length = 0;
    allocInodes(w.inodes, plain, taken);
    for (let i = 0; i < taken.length; i += 2) addRun(n.procRuns, taken[i] as number, taken[i + 1] as number);
    st.last = taken[taken.length - 1] as number;
    st.fill -= plain;
    count -= plain;
  }
  for (; count > 0 && st.fill > 0; count--, st.fill--) n.devInodes.push((st.last = allocInode(w.inodes)));
}

/** Reused for the runs one fill takes (copied into the namespace's set right away). */
const scratchRuns: number[] = [];

/** The end of `step`. @internal */
export function endOp(w: World, step: ExecStep, st: OpState, ctx: EngineCtx): void {
  if (step.kind === 'read' || st.errno !== null) return;
  unshareCommit(w, taskOf(w, step.task), st, ctx);
}

/** @internal */
export function taskOf(w: World, name: string): TaskNode {
  const i = w.taskIndex[name];
  const t = i === undefined ? undefined : w.tasks[i];
  if (!t) throw new Error(`unknown task ${name}`);
  return t;
}

/**
 * kernel/fork.c: ksys_unshare — unshare_userns (create_user_ns), then unshare_nsproxy_namespaces
 * → create_new_namespaces (mnt, uts, ipc, pid, cgroup, net, time), each owned by the new user
 * namespace if there is one. A failure aborts the new creds (abort_creds puts the new user ns).
 */
function unshareCreate(w: World, task: TaskNode, types: readonly NsType[], st: OpState, ctx: EngineCtx): void {
  for (const t of types) rulesOf(t);
  let owner = task.ns.user;
  if (types.includes('user')) {
    const parent = w.ns[owner] as NsNode;
    // kernel/user_namespace.c: create_user_ns — `if (parent_ns->level > 32) return -ENOSPC`
    if (parent.level > ctx.profile.userNestingLimit || !chargeUcount(w, owner, 'user')) {
      st.errno = 'ENOSPC';
      return;
    }
    const id = createNs(w, 'user', owner, owner, parent.level + 1, ctx);
    st.created.user = id;
    owner = id;
  }
  if (types.includes('net')) {
    // net/core/net_namespace.c: copy_net_ns — inc_net_namespaces first (ENOSPC before any allocation)
    if (!chargeUcount(w, owner, 'net')) {
      st.errno = 'ENOSPC';
      if (st.created.user !== undefined) putNs(w, st.created.user, ctx); // abort_creds
      return;
    }
    st.created.net = createNs(w, 'net', owner, -1, 0, ctx);
    st.fill = ctx.profile.inodes.netProcEntries;
  }
}

function createNs(
  w: World,
  type: 'user' | 'net',
  chargedTo: number,
  parent: number,
  level: number,
  ctx: EngineCtx,
): number {
  const id = w.ns.length;
  // ns_common_init → proc_alloc_inum: the namespace's own number first, then (net) setup_net's
  // pernet inits register the /proc/net entries, one number each.
  const inode = allocInode(w.inodes);
  const owner = type === 'user' ? parent : chargedTo;
  w.ns.push({
    id,
    type,
    initial: false,
    inode,
    procRuns: [],
    devInodes: [],
    refs: 1, // the new cred (user) / the new nsproxy (others)
    state: 'active',
    reaperStep: -1,
    owner,
    parent,
    level,
    chargedTo,
    ucounts: type === 'user' ? { charged: zero(), max: maxAll() } : null,
    createdAt: ctx.at.lo,
    diedAt: -1,
    freedAt: -1,
  });
  // user: prepare_creds took a reference on the parent for the new cred, and create_user_ns
  // leaves it with the child as its parent reference (kernel/user_namespace.c: create_user_ns).
  // Others: get_user_ns(owner) in each create function.
  if (owner >= 0) getNs(w, owner);
  ctx.effects?.push({ kind: 'ns.created', ns: id, at: ctx.at });
  return id;
}

/**
 * ksys_unshare: switch_task_namespaces (puts the old nsproxy's namespaces) then commit_creds
 * (puts the old cred and with it its user namespace reference; the kernel does that put from an
 * RCU callback, put_cred_rcu — it cannot be the last one here: the new user ns is a child).
 */
function unshareCommit(w: World, task: TaskNode, st: OpState, ctx: EngineCtx): void {
  if (st.created.net !== undefined) {
    const old = task.ns.net;
    task.ns.net = st.created.net;
    putNs(w, old, ctx);
  }
  if (st.created.user !== undefined) {
    const old = task.ns.user;
    task.ns.user = st.created.user;
    putNs(w, old, ctx);
  }
}

const zero = (): Record<NsType, number> => ({ user: 0, pid: 0, net: 0, mnt: 0, uts: 0, ipc: 0, cgroup: 0, time: 0 });
// create_user_ns: ns->ucount_max[i] = INT_MAX for every type of a new user namespace
const INT_MAX = 2147483647;
const maxAll = (): Record<NsType, number> => ({
  user: INT_MAX,
  pid: INT_MAX,
  net: INT_MAX,
  mnt: INT_MAX,
  uts: INT_MAX,
  ipc: INT_MAX,
  cgroup: INT_MAX,
  time: INT_MAX,
});
