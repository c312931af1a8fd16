import type { Effect } from '../../src/engine/effects.ts';
import type { NsMachineEvent } from './namespace.ts';
import type { NetnsWorkerEvent } from './netnsWorker.ts';

/**
 * The spec-machine events one engine `Effect` stands for: events for namespace machines (keyed by
 * namespace id) and for the netns worker machine, in the order they happen.
 * `ns.created` stands for no event: it is a namespace machine's initial state.
 *
 * @remarks Since 0.1.0
 * @public
 */
export interface MachineEvents {
  /** Namespaces the effect created (their machines start here, in `active`). */
  readonly created: readonly number[];
  readonly namespaces: readonly (readonly [ns: number, event: NsMachineEvent])[];
  readonly netnsWorker: readonly NetnsWorkerEvent[];
}

/**
 * Maps one engine effect to the spec machines' events. Pure.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function machineEventsOf(e: Effect): MachineEvents {
  switch (e.kind) {
    case 'ns.created':
      return { created: [e.ns], namespaces: [], netnsWorker: [] };
    case 'ns.lastPut':
      return { created: [], namespaces: [[e.ns, { type: 'ns.lastPut' }]], netnsWorker: [] };
    case 'ns.freed':
      return { created: [], namespaces: [[e.ns, { type: 'ns.freed' }]], netnsWorker: [] };
    case 'reaper.queued':
      return {
        created: [],
        namespaces: [[e.ns, { type: 'reaper.queued' }]],
        netnsWorker: e.reaper === 'cleanup_net' ? [{ type: 'reaper.queued', ns: e.ns }] : [],
      };
    case 'reaper.step':
      return {
        created: [],
        namespaces: e.ns.map((ns) => [ns, { type: 'reaper.step', step: e.step }] as const),
        netnsWorker: e.reaper === 'cleanup_net' ? [{ type: 'reaper.step', step: e.step, ns: e.ns }] : [],
      };
    case 'put.deferred':
    case 'task.exited':
    case 'task.reaped':
      // Holder-side events: no lifecycle transition of their own (the put itself is a later ns.lastPut).
      return { created: [], namespaces: [], netnsWorker: [] };
  }
}

/**
 * Splits an effect list into one event sequence per machine: per namespace (created ones start
 * with an empty sequence) and for the netns worker.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function machineEventSequences(effects: readonly Effect[]): {
  readonly namespaces: ReadonlyMap<number, readonly NsMachineEvent[]>;
  readonly netnsWorker: readonly NetnsWorkerEvent[];
} {
  const namespaces = new Map<number, NsMachineEvent[]>();
  const netnsWorker: NetnsWorkerEvent[] = [];
  const seq = (ns: number): NsMachineEvent[] => {
    let s = namespaces.get(ns);
    if (!s) namespaces.set(ns, (s = []));
    return s;
  };
  for (const e of effects) {
    const m = machineEventsOf(e);
    for (const ns of m.created) seq(ns);
    for (const [ns, ev] of m.namespaces) seq(ns).push(ev);
    netnsWorker.push(...m.netnsWorker);
  }
  return { namespaces, netnsWorker };
}
