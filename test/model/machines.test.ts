/**
 * Equivalence of the engine (a hand-written reducer) and the spec machines (xstate): every
 * transition the engine makes, as recorded in its effects, is one the machines accept, and after
 * it each machine is in the state the engine records.
 *
 * The run is driven through the engine runtime (createEngine) and stopped after every step and,
 * inside sleeps and the final settle, at every time an effect happens; the stopped run must be
 * exactly `simulate`'s run (same effects, same final world). That gives the engine's state after
 * each effect, except for effects inside one syscall or at one instant.
 */
import { test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { machineEventsOf } from '../../model/machines/effectEvents.ts';
import { NOT_STARTED, namespaceMachine, type NamespaceMachine } from '../../model/machines/namespace.ts';
import { netnsWorkerMachine, type NetnsWorkerMachine } from '../../model/machines/netnsWorker.ts';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import type { KernelProfile } from '../../model/profile.ts';
import type { NsType } from '../../model/nsType.ts';
import { netReaper } from '../../model/rules/net.ts';
import { NS_RULES } from '../../model/rules/table.ts';
import { MS } from '../../model/time.ts';
import type { Effect } from '../../src/engine/effects.ts';
import { createEngine } from '../../src/engine/engine.ts';
import { simulate } from '../../src/engine/simulate.ts';
import type { BatchWorker, NsNode, World } from '../../src/engine/world.ts';
import type { Scenario } from '../../src/scenario/ast.ts';
import { fullScenarioArb } from '../arbitraries/fullScenario.ts';
import { profileArb } from '../arbitraries/profile.ts';
import { seedArb } from '../arbitraries/scenario.ts';

const SETTLE = 300 * MS; // simulate's default

/**
 * Runs `scenario` as `simulate` does, stopping after every step and at every time in `times`
 * that falls inside a sleep or the final settle; `visit` gets the effects made since the last
 * stop and the world. Returns all effects and the final world.
 */
function runWithStops(
  scenario: Scenario,
  profile: KernelProfile,
  seed: number,
  times: readonly number[],
  visit: (effects: readonly Effect[], w: World, where: string) => void,
): { effects: readonly Effect[]; world: World } {
  const { engine, world } = createEngine({ profile, seed, effects: true }, scenario.tasks);
  const effects = engine.effects as Effect[];
  let done = 0;
  const stop = (where: string): void => {
    visit(effects.slice(done), world, where);
    done = effects.length;
  };
  // A sleep lets due kernel work run up to its end; advancing there in stages changes nothing.
  const advanceTo = (end: number, label: string): void => {
    for (const t of times)
      if (t > engine.now && t < end) {
        engine.advance(world, t);
        stop(`${label}, t=${t}`);
      }
    engine.advance(world, end);
  };
  stop('start');
  scenario.steps.forEach((step, i) => {
    if (step.kind === 'sleep') advanceTo(engine.now + step.ns, `in step ${i}`);
    else engine.exec(world, step);
    stop(`after step ${i}`);
  });
  advanceTo(engine.now + SETTLE, 'settling');
  stop('settled');
  return { effects, world };
}

/** The namespace machine state the engine's record of `n` stands for. */
function expectedNsValue(n: NsNode, profile: KernelProfile): unknown {
  if (n.state !== 'dying') return n.state;
  const steps = NS_RULES[n.type].reaper(profile).steps;
  return { dying: n.reaperStep < 0 ? NOT_STARTED : steps[n.reaperStep]?.id };
}

/** The worker machine state the engine's `NetnsWorker` stands for. */
function expectedWorkerValue(w: World, profile: KernelProfile): unknown {
  const q = w.netns;
  return q.state === 'running' ? { running: netReaper(profile).steps[q.step]?.id } : q.state;
}

/** The spec machines of a profile, built once (building one costs milliseconds). */
const machinesOf = (() => {
  const cache = new Map<KernelProfile, { ns: Record<NsType, NamespaceMachine>; worker: NetnsWorkerMachine }>();
  return (p: KernelProfile) => {
    let m = cache.get(p);
    if (!m) {
      const ns = Object.fromEntries(Object.values(NS_RULES).map((row) => [row.type, namespaceMachine(row, p)]));
      cache.set(p, (m = { ns: ns as Record<NsType, NamespaceMachine>, worker: netnsWorkerMachine(p) }));
    }
    return m;
  };
})();

/**
 * The free_ipc worker (ipc/namespace.c: put_ipc_ns, free_ipc) has no spec machine of its own; its
 * lists are followed here the way the netns worker machine follows cleanup_net's: `llist_add` on
 * each put, `llist_del_all` at the start of a run, the batch done at the last step.
 */
class IpcWorkerShadow {
  cleanupList: number[] = [];
  batch: number[] = [];

  apply(e: Effect, profile: KernelProfile): void {
    if (e.kind === 'reaper.queued' && e.reaper === 'free_ipc') this.cleanupList = [...this.cleanupList, e.ns];
    if (e.kind !== 'reaper.step' || e.reaper !== 'free_ipc') return;
    const steps = NS_RULES.ipc.reaper(profile).steps;
    if (e.step === steps[0]?.id) {
      expect(e.ns, 'free_ipc takes the whole list').toEqual(this.cleanupList);
      this.batch = this.cleanupList;
      this.cleanupList = [];
    } else expect(e.ns, `free_ipc step ${e.step} on its batch`).toEqual(this.batch);
    if (e.step === steps.at(-1)?.id) this.batch = [];
  }

  expectMatches(q: BatchWorker, where: string): void {
    expect(q.cleanupList, `${where}: free_ipc_list`).toEqual(this.cleanupList);
    expect(q.batch, `${where}: free_ipc batch`).toEqual(this.batch);
    expect(q.state === 'idle', `${where}: free_ipc idle`).toBe(
      this.cleanupList.length === 0 && this.batch.length === 0,
    );
  }
}

/** Replays engine effects through the machines with xstate's pure API (no actors). */
class Replay {
  private readonly machines: ReturnType<typeof machinesOf>;
  private readonly ns = new Map<number, SnapshotFrom<NamespaceMachine>>();
  private workerSnap: SnapshotFrom<NetnsWorkerMachine>;
  private readonly ipc = new IpcWorkerShadow();

  constructor(private readonly profile: KernelProfile) {
    this.machines = machinesOf(profile);
    this.workerSnap = initialTransition(this.machines.worker)[0];
  }

  private machineOf(id: number, world: World): NamespaceMachine {
    const type = world.ns[id]?.type;
    if (!type) throw new Error(`namespace ${id} is not in the world`);
    return this.machines.ns[type];
  }

  /** Feeds one effect; `world` is any later engine world (for the types of created namespaces). */
  apply(e: Effect, world: World): void {
    // A deferred put (put_cred_rcu, delayed_put_pid) is a reference still held: on a live namespace only.
    if (e.kind === 'put.deferred') {
      const snap = this.ns.get(e.ns);
      if (snap) expect(snap.value, `deferred put on namespace ${e.ns}`).toBe('active');
    }
    const m = machineEventsOf(e);
    for (const id of m.created) {
      expect(this.ns.has(id), `namespace ${id} created twice`).toBe(false);
      this.ns.set(id, initialTransition(this.machineOf(id, world))[0]);
    }
    for (const [id, ev] of m.namespaces) {
      const snap = this.ns.get(id);
      if (!snap)
        throw new Error(
          `effect ${JSON.stringify(e)} for namespace ${id}, which has no machine (initial or never created)`,
        );
      expect(snap.can(ev), `namespace ${id} in ${JSON.stringify(snap.value)} refuses ${JSON.stringify(ev)}`).toBe(true);
      this.ns.set(id, transition(this.machineOf(id, world), snap, ev)[0]);
    }
    for (const ev of m.netnsWorker) {
      const snap = this.workerSnap;
      expect(
        snap.can(ev),
        `netns worker in ${JSON.stringify(snap.value)} ${JSON.stringify(snap.context)} refuses ${JSON.stringify(ev)}`,
      ).toBe(true);
      this.workerSnap = transition(this.machines.worker, snap, ev)[0];
    }
    this.ipc.apply(e, this.profile);
  }

  /** Asserts every machine is in the state the engine's world records. */
  expectMatches(w: World, where: string): void {
    for (const n of w.ns) {
      const snap = this.ns.get(n.id);
      if (n.initial) {
        expect(snap, `${where}: initial namespace ${n.id} has a machine`).toBeUndefined();
        expect(n.state, `${where}: initial namespace ${n.id}`).toBe('active');
        continue;
      }
      if (!snap) throw new Error(`${where}: namespace ${n.id} exists in the engine but was never created by an effect`);
      expect(snap.value, `${where}: namespace ${n.id} (${n.type}, reaperStep ${n.reaperStep})`).toEqual(
        expectedNsValue(n, this.profile),
      );
      // Queued and not yet taken by its reaper ⇔ on the engine's queue: the batched worker's list
      // (cleanup_net, free_ipc) or its first step's work item (free_user_ns, destroy_pid_namespace_work).
      const waiting = snap.matches({ dying: NOT_STARTED }) && snap.context.queued;
      const onQueue =
        n.type === 'net'
          ? w.netns.cleanupList.includes(n.id)
          : n.type === 'ipc'
            ? w.ipc.cleanupList.includes(n.id)
            : w.work.some((x) => x.ns === n.id && x.step === 0);
      expect(onQueue, `${where}: namespace ${n.id} (${n.type}) on its reaper's queue`).toBe(waiting);
    }
    const ws = this.workerSnap;
    expect(ws.value, `${where}: netns worker`).toEqual(expectedWorkerValue(w, this.profile));
    expect(ws.context.cleanupList, `${where}: cleanup_list`).toEqual(w.netns.cleanupList);
    expect(ws.context.batch, `${where}: batch`).toEqual(w.netns.batch);
    expect(w.netns.requeued, `${where}: requeued`).toBe(
      w.netns.state === 'running' && ws.context.cleanupList.length > 0,
    );
    this.ipc.expectMatches(w.ipc, where);
  }
}

describe('engine ≡ spec machines', () => {
  test.prop([fullScenarioArb(), seedArb, profileArb], { numRuns: 150 })(
    'every engine transition (every operation, every profile) is accepted by the machines, which then agree with the engine',
    (scenario, seed, profile) => {
      const full = simulate(scenario, { profile, seed });
      const times = [...new Set(full.effects.map((e) => e.at.lo))].sort((a, b) => a - b);
      const replay = new Replay(profile);
      const stopped = runWithStops(scenario, profile, seed, times, (effects, w, where) => {
        for (const e of effects) replay.apply(e, w);
        replay.expectMatches(w, where);
      });
      // The stopped run is simulate's run.
      expect(stopped.effects).toEqual(full.effects);
      expect(stopped.world).toEqual(full.world);
    },
  );
});

describe('the replay notices a disagreement', () => {
  const scenario: Scenario = {
    name: 'two nets',
    file: '<test>',
    tasks: ['a'],
    params: {},
    steps: [
      { kind: 'unshare', task: 'a', types: ['net'], pos: { file: '<test>', line: 1, col: 1 } },
      { kind: 'unshare', task: 'a', types: ['net'], pos: { file: '<test>', line: 2, col: 1 } },
    ],
  };

  test('a reaper step out of order is refused', () => {
    const run = simulate(scenario, { profile: linux618, seed: 1 });
    const effects = [...run.effects];
    const i = effects.findIndex((e) => e.kind === 'reaper.step' && e.step === 'unregister');
    const j = effects.findIndex((e) => e.kind === 'reaper.step' && e.step === 'exit');
    expect(i).toBeGreaterThanOrEqual(0);
    expect(j).toBeGreaterThan(i);
    [effects[i], effects[j]] = [effects[j] as Effect, effects[i] as Effect];
    const replay = new Replay(linux618);
    expect(() => effects.forEach((e) => replay.apply(e, run.world))).toThrow(/refuses/);
  });

  test('a world whose namespace skipped a step does not match', () => {
    const run = simulate(scenario, { profile: linux618, seed: 1, settleNs: 0 });
    const replay = new Replay(linux618);
    for (const e of run.effects) replay.apply(e, run.world);
    replay.expectMatches(run.world, 'unchanged');
    const dying = run.world.ns.find((n) => n.state === 'dying');
    expect(dying).toBeDefined();
    const changed: World = {
      ...run.world,
      ns: run.world.ns.map((n) => (n === dying ? { ...n, reaperStep: n.reaperStep + 1 } : n)),
    };
    expect(() => replay.expectMatches(changed, 'changed')).toThrow();
  });
});
