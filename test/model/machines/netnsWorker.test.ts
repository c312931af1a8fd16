import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import {
  netnsWorkerMachine,
  type NetnsWorkerEvent,
  type NetnsWorkerMachine,
} from '../../../model/machines/netnsWorker.ts';
import { linux618 } from '../../../model/profiles/linux-6.18.ts';

const m = netnsWorkerMachine(linux618);

function run(events: readonly NetnsWorkerEvent[]): SnapshotFrom<NetnsWorkerMachine> {
  let s = initialTransition(m)[0];
  for (const e of events) {
    if (!s.can(e)) throw new Error(`refused ${JSON.stringify(e)} in ${JSON.stringify(s.value)}`);
    s = transition(m, s, e)[0];
  }
  return s;
}

const put = (ns: number): NetnsWorkerEvent => ({ type: 'reaper.queued', ns });
const step = (id: string, ns: number[]): NetnsWorkerEvent => ({ type: 'reaper.step', step: id, ns });
const rest = (ns: number[]) => ['unregister', 'exit', 'final'].map((id) => step(id, ns));

describe('netns worker machine', () => {
  it('has one running state per cleanup_net step after the start', () => {
    expect(Object.keys(m.root.states)).toEqual(['idle', 'queued', 'running', 'finishing']);
    expect(Object.keys(m.root.states['running']?.states ?? {})).toEqual(['unregister', 'exit', 'final']);
  });

  it('the first put queues the work; later puts join the list', () => {
    // __put_net: only the first llist_add queues net_cleanup_work.
    const s = run([put(8), put(9)]);
    expect(s.value).toBe('queued');
    expect(s.context.cleanupList).toEqual([8, 9]);
  });

  it('a run takes the whole list as its batch and goes back to idle', () => {
    const s1 = run([put(8), put(9), step('start', [8, 9])]);
    expect(s1.value).toEqual({ running: 'unregister' });
    expect(s1.context).toEqual({ cleanupList: [], batch: [8, 9] });
    const s2 = run([put(8), put(9), step('start', [8, 9]), ...rest([8, 9])]);
    expect(s2.value).toBe('idle');
    expect(s2.context).toEqual({ cleanupList: [], batch: [] });
  });

  it('a net put during a run waits for the next run (llist_del_all snapshot)', () => {
    const s = run([put(8), step('start', [8]), put(9), step('unregister', [8]), step('exit', [8])]);
    expect(s.context).toEqual({ cleanupList: [9], batch: [8] });
    const after = run([put(8), step('start', [8]), put(9), ...rest([8])]);
    expect(after.value).toBe('queued');
    expect(after.context).toEqual({ cleanupList: [9], batch: [] });
    expect(run([put(8), step('start', [8]), put(9), ...rest([8]), step('start', [9]), ...rest([9])]).value).toBe(
      'idle',
    );
  });

  it('refuses a batch that is not the queued list, and steps out of order', () => {
    expect(() => run([step('start', [])])).toThrow(/refused/);
    expect(() => run([put(8), put(9), step('start', [8])])).toThrow(/refused/);
    expect(() => run([put(8), step('start', [8]), put(9), step('unregister', [8, 9])])).toThrow(/refused/);
    expect(() => run([put(8), step('start', [8]), step('exit', [8])])).toThrow(/refused/);
    expect(() => run([put(8), step('unregister', [8])])).toThrow(/refused/);
  });
});
