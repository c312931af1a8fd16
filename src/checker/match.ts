import type { NsType } from '../../model/nsType.ts';
import { expandRuns } from '../engine/allocator.ts';
import type { ExecStep, OpState } from '../engine/ops.ts';
import type { EngineCtx } from '../engine/ctx.ts';
import { activeSet, handleOpens } from '../engine/holders.ts';
import { observedNode, procRunsOf } from '../engine/observe.ts';
import type { NsNode } from '../engine/world.ts';
import { observedNs } from '../scenario/observed.ts';
import type { NsObservation, TraceStep } from '../trace/format.ts';
import type { Candidate } from './candidate.ts';

/** @internal */
export type Match = { ok: true; c: Candidate } | { ok: false; predicted: string };

/**
 * Compares what a candidate predicts for a step with what the trace saw: the errno, each touched
 * namespace's inode number (after the anchor), its /proc/net entry numbers, its id (ids are never
 * reused, so a new namespace must show an id never seen before), and held/released.
 *
 * @internal
 */
export function match(
  c: Candidate,
  rec: TraceStep,
  st: OpState,
  step: ExecStep,
  initial: ReadonlyMap<NsType, number>,
  ctx: EngineCtx,
): Match {
  const predicted = (extra = ''): Match => ({ ok: false, predicted: describePredicted(c, st, step, ctx) + extra });
  if ((st.errno ?? null) !== (rec.errno ?? null)) return predicted();
  if (rec.next !== undefined && step.kind === 'next-inode' && c.anchor !== null) {
    const next = nextFree(c);
    if (next + c.anchor !== rec.next) return predicted(` (next free inode ${next + c.anchor})`);
  }
  let anchor = c.anchor;
  let ids = c.ids;
  for (const n of predictedNodes(c, st, step, ctx)) {
    const type = n.type;
    const o = rec.ns.find((x) => x.type === type);
    if (!o) continue; // not observed (capability missing)
    if (n.initial) {
      // A namespace keeps its inode number for life (ns_common_init sets it once).
      const seen = initial.get(type);
      if (seen !== undefined && seen !== o.inode) return predicted(` (the initial ${type} namespace is ${seen})`);
    } else {
      if (anchor === null) anchor = o.inode - n.inode;
      else if (n.inode + anchor !== o.inode) return predicted();
      if (o.proc && !sameNumbers(procRunsOf(n), o.proc, anchor)) return predicted(' (/proc/net entries elsewhere)');
    }
    if (o.id !== null) {
      const bound = ids[n.id];
      if (bound === undefined) {
        // NS_GET_ID ids are never reused (kernel/nstree.c: ns_tree_gen_id).
        if (Object.values(ids).includes(o.id)) return predicted(` (id ${o.id} already belongs to another namespace)`);
        ids = { ...ids, [n.id]: o.id };
      } else if (bound !== o.id) return predicted();
    }
  }
  return { ok: true, c: { ...c, anchor, ids } };
}

/**
 * Whether every namespace the trace probed right after a step has references exactly when the
 * candidate says so (held ⇔ refs > 0: the file handle decodes while the refcount is not zero).
 *
 * @internal
 */
export function refsMatch(c: Candidate, rec: TraceStep, ctx: EngineCtx): boolean {
  const activeRefs = ctx.profile.activeRefs;
  const active = activeRefs ? activeSet(c.world) : undefined;
  for (const r of rec.refs) {
    const idx = Object.entries(c.ids).find(([, v]) => v === r.id)?.[0];
    if (idx === undefined) continue;
    if (!c.world.ns[Number(idx)] || handleOpens(c.world, Number(idx), activeRefs, active) !== r.held) return false;
  }
  return true;
}

/** The namespaces a step shows in a candidate (none when it failed). */
function predictedNodes(c: Candidate, st: OpState, step: ExecStep, ctx: EngineCtx): NsNode[] {
  if (st.errno !== null) return [];
  return observedNs(step).flatMap((o) => observedNode(c.world, o, ctx) ?? []);
}

/** The lowest free model inode number. */
function nextFree(c: Candidate): number {
  const a = c.world.inodes;
  const n = a.runs.length;
  return n > 0 ? (a.runs[n - 2] as number) : a.next;
}

/** The same numbers: model runs shifted by the anchor, and the trace's runs. */
function sameNumbers(model: readonly number[], observed: readonly number[], anchor: number): boolean {
  const a = expandRuns(model);
  const b = expandRuns(observed);
  return a.length === b.length && a.every((x, i) => x + anchor === b[i]);
}

function describePredicted(c: Candidate, st: OpState, step: ExecStep, ctx: EngineCtx): string {
  if (st.errno !== null) return `errno ${st.errno}`;
  const parts = predictedNodes(c, st, step, ctx).map((n) => {
    if (n.initial) return `${n.type}: initial`;
    return `${n.type} inode ${c.anchor === null ? `(model ${n.inode})` : n.inode + c.anchor}`;
  });
  return parts.length > 0 ? `ok, ${parts.join(', ')}` : 'ok';
}

/** The candidate's held/released for the namespaces a trace step probed. @internal */
export function describeRefs(c: Candidate, rec: TraceStep, ctx: EngineCtx): string {
  const active = ctx.profile.activeRefs ? activeSet(c.world) : undefined;
  const refs = Object.entries(c.ids)
    .filter(([, id]) => rec.refs.some((r) => r.id === id))
    .map(([i, id]) => `${id}:${handleOpens(c.world, Number(i), ctx.profile.activeRefs, active) ? 'held' : 'released'}`);
  return `refs ${refs.join(' ')}`;
}

/** What a trace step shows, in the same words. @internal */
export function describeSeen(rec: TraceStep): string {
  if (rec.errno !== null) return `errno ${rec.errno}`;
  if (rec.ns.length === 0) return rec.next !== undefined ? `ok, next free inode ${rec.next}` : 'ok';
  return `ok, ${rec.ns.map((o: NsObservation) => `${o.type} inode ${o.inode} id ${o.id ?? '-'}`).join(', ')}`;
}

/** The held/released a trace step shows. @internal */
export function describeSeenRefs(rec: TraceStep): string {
  return `refs ${rec.refs.map((r) => `${r.id}:${r.held ? 'held' : 'released'}`).join(' ')}`;
}
