import type { NsType } from '../../model/nsType.ts';
import type { KernelProfile } from '../../model/profile.ts';
import { expandRuns } from '../engine/allocator.ts';
import type { Trace, TraceStep } from '../trace/format.ts';
import { reaperLatencies, type WorkRun } from '../trace/reaperLatencies.ts';

/**
 * What calibration reads from kernel traces: plain facts per trace (namespaces as first seen,
 * cleanup_net runs and the namespaces each one freed, work function runs, step durations).
 * The fitting is in fit.ts.
 */

/** A namespace as first seen in a trace. @internal */
export interface SeenNs {
  readonly id: number;
  readonly type: NsType;
  readonly inode: number;
  /** netns: its /proc/net entry numbers, ascending (null: not observed). */
  readonly proc: readonly number[] | null;
  /** The step that first showed it. */
  readonly step: TraceStep;
  /** Whether that step created it (unshare / fork with its type): then its numbers were taken within the step. */
  readonly created: boolean;
}

/** One step that created namespaces: every number it took (inode numbers and /proc/net entries). @internal */
export interface Creation {
  readonly step: TraceStep;
  readonly nums: ReadonlySet<number>;
  readonly max: number;
  readonly min: number;
}

/** A cleanup_net run (tracefs) and the trace's network namespaces it freed. @internal */
export interface NetRun {
  readonly file: string;
  readonly queued: number;
  readonly start: number;
  readonly end: number;
  /** queue → start, from when the worker was free (a run queued during another starts after it). */
  readonly startLatency: number;
  readonly batch: readonly SeenNs[];
}

/** A work function run with its queue → start latency (from when the worker was free). @internal */
export interface WorkSample extends WorkRun {
  readonly file: string;
  readonly startLatency: number;
}

/** The facts of one trace. @internal */
export interface TraceFacts {
  readonly file: string;
  readonly trace: Trace;
  /** Every namespace the trace shows that is not an initial one, in the order first seen. */
  readonly seen: readonly SeenNs[];
  readonly creations: readonly Creation[];
  readonly netRuns: readonly NetRun[];
  /** free_user_ns, destroy_pid_namespace_work, free_ipc runs. */
  readonly work: readonly WorkSample[];
}

/** The work functions whose tracefs runs calibrate `workqueue`, `rcuGrace`, `credPut`, `pidPut`. @internal */
export const WORK_FNS = ['free_user_ns', 'destroy_pid_namespace_work', 'free_ipc'] as const;

/** Reads the facts of one kernel trace. @internal */
export function traceFacts(trace: Trace, file: string): TraceFacts {
  const initial = new Set(trace.header.initial.map((o) => o.id).filter((x): x is number => x !== null));
  const seen: SeenNs[] = [];
  const ids = new Set<number | string>();
  for (const s of trace.steps) {
    for (const o of s.ns) {
      const created = s.errno === null && createsType(s, o.type);
      // Without NS_GET_ID a namespace has no identity: each creation is a new one, and a number
      // seen otherwise stands for the namespace that had it.
      const key = o.id ?? (created ? `${s.index}:${o.type}` : `${o.type}:${o.inode}`);
      if (ids.has(key)) continue;
      ids.add(key);
      if (
        o.id !== null ? initial.has(o.id) : trace.header.initial.some((i) => i.type === o.type && i.inode === o.inode)
      )
        continue;
      if (o.id === null) ids.add(`${o.type}:${o.inode}`);
      seen.push({
        id: o.id ?? -(seen.length + 1),
        type: o.type,
        inode: o.inode,
        proc: o.proc ? expandRuns(o.proc) : null,
        step: s,
        created,
      });
    }
  }
  const creations: Creation[] = [];
  for (const s of trace.steps) {
    const made = seen.filter((n) => n.created && n.step === s);
    if (made.length === 0) continue;
    const nums = new Set<number>();
    for (const n of made) {
      nums.add(n.inode);
      for (const p of n.proc ?? []) nums.add(p);
    }
    creations.push({ step: s, nums, max: Math.max(...nums), min: Math.min(...nums) });
  }

  const nets = seen.filter((n) => n.type === 'net');
  const netRuns: NetRun[] = [];
  let prevEnd = -Infinity;
  const claimed = new Set<number>();
  for (const r of reaperLatencies(trace, 'cleanup_net')) {
    // The batch is taken at the start (llist_del_all, then ns_tree_remove): a namespace whose
    // file handle still opened after a step was not in a batch taken before that step ended, so
    // it is in the first run that starts after the last such step.
    // Without file handles the trace cannot tell when a netns lost its last reference: no batch.
    const batch = trace.header.capabilities.fileHandles
      ? nets.filter((n) => !claimed.has(n.id) && r.start > lastHeld(trace, n))
      : [];
    for (const n of batch) claimed.add(n.id);
    netRuns.push({ file, ...r, startLatency: r.start - Math.max(r.queued, prevEnd), batch });
    prevEnd = r.end;
  }

  const work: WorkSample[] = [];
  for (const fn of WORK_FNS) {
    let prev = -Infinity;
    for (const r of reaperLatencies(trace, fn)) {
      work.push({ file, ...r, startLatency: r.start - Math.max(r.queued, prev) });
      prev = r.end;
    }
  }
  return { file, trace, seen, creations, netRuns, work };
}

/** Whether step `s` creates a namespace of `type` (unshare, or fork / clone with it). */
function createsType(s: TraceStep, type: NsType): boolean {
  if (s.op !== 'unshare' && s.op !== 'fork') return false;
  const types = s.args['types'];
  return Array.isArray(types) && types.includes(type);
}

/**
 * The end of the last step after which the namespace still had references by the trace (a file
 * handle still opened it), or of the step that first showed it.
 */
function lastHeld(trace: Trace, n: SeenNs): number {
  let t = n.step.t1;
  for (const s of trace.steps) if (s.refs.some((r) => r.id === n.id && r.held)) t = Math.max(t, s.t1);
  return t;
}

/**
 * The op classes of `profile.opDuration`, as the engine draws them (src/engine/engine.ts:
 * durationOf): null for steps that take no modelled time (sleep).
 *
 * @internal
 */
export function opClass(s: TraceStep): keyof KernelProfile['opDuration'] | null {
  switch (s.op) {
    case 'sleep':
      return null;
    case 'read':
    case 'next-inode':
      return 'read';
    case 'unshare':
    case 'fork': {
      const types = Array.isArray(s.args['types']) ? (s.args['types'] as string[]) : [];
      if (types.includes('net')) return 'unshareNet';
      if (types.some((t) => t !== 'user')) return 'unshareOther';
      return s.op === 'fork' ? 'fork' : 'unshareUser';
    }
    case 'thread':
      return 'fork';
    default:
      return 'syscall';
  }
}
