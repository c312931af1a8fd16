import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { namespaceMachine, type NamespaceMachine, type NsMachineEvent } from '../../../model/machines/namespace.ts';
import { linux618 } from '../../../model/profiles/linux-6.18.ts';
import { NS_RULES, type NsRules } from '../../../model/rules/table.ts';

/** Runs `events` from the initial state; throws on the first one the machine refuses. */
function run(m: NamespaceMachine, events: readonly NsMachineEvent[]): SnapshotFrom<NamespaceMachine> {
  let s = initialTransition(m)[0];
  for (const e of events) {
    if (!s.can(e)) throw new Error(`refused ${JSON.stringify(e)} in ${JSON.stringify(s.value)}`);
    s = transition(m, s, e)[0];
  }
  return s;
}

const step = (id: string): NsMachineEvent => ({ type: 'reaper.step', step: id });
const dyingStates = (m: NamespaceMachine): string[] => Object.keys(m.root.states['dying']?.states ?? {});

describe('namespace machine', () => {
  const net = namespaceMachine(NS_RULES.net, linux618);
  const user = namespaceMachine(NS_RULES.user, linux618);

  it('net on 6.18: dying follows cleanup_net — queued, start, unregister, exit, final', () => {
    expect(dyingStates(net)).toEqual(['queued', 'start', 'unregister', 'exit', 'final']);
    // Each substate names the kernel code of the step that led to it.
    expect(net.root.states['dying']?.states['start']?.description).toMatch(/cleanup_net — llist_del_all/);
    expect(net.root.states['dying']?.states['final']?.description).toMatch(/rcu_barrier\(\); ns_common_free/);
  });

  it('user: dying is queued, then free_user_ns', () => {
    expect(dyingStates(user)).toEqual(['queued', 'free']);
    expect(user.root.states['dying']?.states['free']?.description).toMatch(/free_user_ns/);
  });

  it('is built from the rules row: other reaper steps, other substates', () => {
    const rules: NsRules = {
      ...NS_RULES.net,
      reaper: () => ({
        kind: 'sync',
        fn: 'test_free',
        queue: 'none',
        queuedBy: 'test',
        steps: [
          { id: 'a', source: 'test: a', latency: null, releases: ['inum'] },
          { id: 'b', source: 'test: b', latency: null, releases: ['ucount'] },
        ],
      }),
    };
    const m = namespaceMachine(rules, linux618);
    expect(dyingStates(m)).toEqual(['queued', 'a', 'b']);
    expect(run(m, [{ type: 'ns.lastPut' }, step('a'), step('b'), { type: 'ns.freed' }]).value).toBe('freed');
  });

  it('a net namespace goes active → dying → freed through every step', () => {
    const seen: unknown[] = [];
    let s = initialTransition(net)[0];
    seen.push(s.value);
    for (const e of [
      { type: 'ns.lastPut' },
      { type: 'reaper.queued' },
      ...['start', 'unregister', 'exit', 'final'].map(step),
      { type: 'ns.freed' },
    ] as const) {
      s = transition(net, s, e)[0];
      seen.push(s.value);
    }
    expect(seen).toEqual([
      'active',
      { dying: 'queued' },
      { dying: 'queued' },
      { dying: 'start' },
      { dying: 'unregister' },
      { dying: 'exit' },
      { dying: 'final' },
      'freed',
    ]);
    expect(s.status).toBe('done');
  });

  it('a user namespace freed by its child’s free_user_ns is never queued', () => {
    // kernel/user_namespace.c: free_user_ns loops up to parents whose last reference it drops.
    expect(run(user, [{ type: 'ns.lastPut' }, step('free'), { type: 'ns.freed' }]).value).toBe('freed');
  });

  it('refuses what the kernel cannot do', () => {
    const lastPut: NsMachineEvent = { type: 'ns.lastPut' };
    expect(() => run(net, [step('start')])).toThrow(/refused/); // no reaper while referenced
    expect(() => run(net, [lastPut, lastPut])).toThrow(/refused/); // refcount is not revived
    expect(() => run(net, [lastPut, { type: 'reaper.queued' }, { type: 'reaper.queued' }])).toThrow(/refused/);
    expect(() => run(net, [lastPut, step('unregister')])).toThrow(/refused/); // steps in order
    expect(() => run(net, [lastPut, step('start'), step('exit')])).toThrow(/refused/);
    expect(() => run(net, [lastPut, step('start'), { type: 'ns.freed' }])).toThrow(/refused/); // freed only at the end
    expect(() => run(user, [lastPut, step('start')])).toThrow(/refused/); // not this reaper's step
    expect(() => run(user, [lastPut, step('free'), { type: 'ns.freed' }, lastPut])).toThrow(/refused/);
  });
});
