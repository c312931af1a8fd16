import { describe, expect, it } from 'vitest';
import { machineEventSequences, machineEventsOf } from '../../../model/machines/effectEvents.ts';
import type { Effect } from '../../../src/engine/effects.ts';
import { point } from '../../../src/engine/interval.ts';

const at = point(0);

describe('machine events of engine effects', () => {
  it('maps each effect kind', () => {
    expect(machineEventsOf({ kind: 'ns.created', ns: 8, at })).toEqual({
      created: [8],
      namespaces: [],
      netnsWorker: [],
    });
    expect(machineEventsOf({ kind: 'ns.lastPut', ns: 8, at }).namespaces).toEqual([[8, { type: 'ns.lastPut' }]]);
    expect(machineEventsOf({ kind: 'reaper.queued', reaper: 'cleanup_net', ns: 8, at })).toEqual({
      created: [],
      namespaces: [[8, { type: 'reaper.queued' }]],
      netnsWorker: [{ type: 'reaper.queued', ns: 8 }],
    });
    expect(machineEventsOf({ kind: 'reaper.queued', reaper: 'free_user_ns', ns: 9, at }).netnsWorker).toEqual([]);
    expect(
      machineEventsOf({ kind: 'reaper.step', reaper: 'cleanup_net', step: 'start', ns: [8, 10], inodes: [], at }),
    ).toEqual({
      created: [],
      namespaces: [
        [8, { type: 'reaper.step', step: 'start' }],
        [10, { type: 'reaper.step', step: 'start' }],
      ],
      netnsWorker: [{ type: 'reaper.step', step: 'start', ns: [8, 10] }],
    });
    expect(machineEventsOf({ kind: 'ns.freed', ns: 8, at }).namespaces).toEqual([[8, { type: 'ns.freed' }]]);
  });

  it('splits an effect list per machine, keeping the order', () => {
    const effects: Effect[] = [
      { kind: 'ns.created', ns: 8, at },
      { kind: 'ns.created', ns: 9, at },
      { kind: 'ns.lastPut', ns: 8, at },
      { kind: 'reaper.queued', reaper: 'cleanup_net', ns: 8, at },
      { kind: 'reaper.step', reaper: 'cleanup_net', step: 'start', ns: [8], inodes: [], at },
    ];
    const s = machineEventSequences(effects);
    expect([...s.namespaces.keys()]).toEqual([8, 9]);
    expect(s.namespaces.get(8)).toEqual([
      { type: 'ns.lastPut' },
      { type: 'reaper.queued' },
      { type: 'reaper.step', step: 'start' },
    ]);
    expect(s.namespaces.get(9)).toEqual([]);
    expect(s.netnsWorker).toEqual([
      { type: 'reaper.queued', ns: 8 },
      { type: 'reaper.step', step: 'start', ns: [8] },
    ]);
  });
});
