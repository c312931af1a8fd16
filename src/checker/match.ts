import type { NsType } from '../../model/nsType.ts';
import { expandRuns } from '../engine/allocator.ts';
import type { ExecStep, OpState } from '../engine/ops.ts';
import { nsOfTask, procRunsOf, touchedTypes } from '../engine/observe.ts';
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
): Match {
  const w = c.world;
  const predicted = (extra = ''): Match => ({ ok: false, predicted: describePredicted(c, st, step) + extra });
  if ((st.errno ?? null) !== (rec.errno ?? null)) return predicted();
  let anchor = c.anchor;
  let ids = c.ids;
  for (const type of touchedTypes(step, st.errno)) {
    const o = rec.ns.find((x) => x.type === type);
    if (!o) continue; // not observed (capability missing)
    const n = nsOfTask(w, step.task, type);
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
export function refsMatch(c: Candidate, rec: TraceStep): boolean {
  for (const r of rec.refs) {
    const idx = Object.entries(c.ids).find(([, v]) => v === r.id)?.[0];
    if (idx === undefined) continue;
    const n = c.world.ns[Number(idx)];
    if (!n || n.refs > 0 !== r.held) return false;
  }
  return true;
}

/** The same numbers: model runs shifted by the anchor, and the trace's runs. */
function sameNumbers(model: readonly number[], observed: readonly number[], anchor: number): boolean {
  const a = expandRuns(model);
  const b = expandRuns(observed);
  return a.length === b.length && a.every((x, i) => x + anchor === b[i]);
}

function describePredicted(c: Candidate, st: OpState, step: ExecStep): string {
  if (st.errno !== null) return `errno ${st.errno}`;
  const types: NsType[] = step.kind === 'read' ? [step.nsType] : [...step.types];
  const parts = types.map((type) => {
    const n = nsOfTask(c.world, step.task, type);
    if (n.initial) return `${type}: initial`;
    return `${type} inode ${c.anchor === null ? `(model ${n.inode})` : n.inode + c.anchor}`;
  });
  return `ok, ${parts.join(', ')}`;
}

/** The candidate's held/released for the namespaces a trace step probed. @internal */
export function describeRefs(c: Candidate, rec: TraceStep): string {
  const refs = Object.entries(c.ids)
    .filter(([, id]) => rec.refs.some((r) => r.id === id))
    .map(([i, id]) => `${id}:${(c.world.ns[Number(i)]?.refs ?? 0) > 0 ? 'held' : 'released'}`);
  return `refs ${refs.join(' ')}`;
}

/** What a trace step shows, in the same words. @internal */
export function describeSeen(rec: TraceStep): string {
  if (rec.errno !== null) return `errno ${rec.errno}`;
  return `ok, ${rec.ns.map((o: NsObservation) => `${o.type} inode ${o.inode} id ${o.id ?? '-'}`).join(', ')}`;
}

/** The held/released a trace step shows. @internal */
export function describeSeenRefs(rec: TraceStep): string {
  return `refs ${rec.refs.map((r) => `${r.id}:${r.held ? 'held' : 'released'}`).join(' ')}`;
}
