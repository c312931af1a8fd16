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
import { netReaper } from '../../model/rules/net.ts';
import { NS_RULES } from '../../model/rules/table.ts';
import { MS } from '../../model/time.ts';
import type { Effect } from '../../src/engine/effects.ts';
import { createEngine } from '../../src/engine/engine.ts';
import { simulate } from '../../src/engine/simulate.ts';
import type { NsNode, World } from '../../src/engine/world.ts';
import type { Scenario } from '../../src/scenario/ast.ts';
import { profileArb } from '../arbitraries/profile.ts';
import { scenarioArb, seedArb } from '../arbitraries/scenario.ts';

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
  const steps = NS_RULES[n.type === 'net' ? 'net' : 'user'].reaper(profile).steps;
  return { dying: n.reaperStep < 0 ? NOT_STARTED : steps[n.reaperStep]?.id };
}

/** The worker machine state the engine's `NetnsWorker` stands for. */
function expectedWorkerValue(w: World, profile: KernelProfile): unknown {
  const q = w.netns;
  return q.state === 'running' ? { running: netReaper(profile).steps[q.step]?.id } : q.state;
}

/** The spec machines of a profile, built once (building one costs milliseconds). */
const machinesOf = (() => {
  const cache = new Map<KernelProfile, { user: NamespaceMachine; net: NamespaceMachine; worker: NetnsWorkerMachine }>();
  return (p: KernelProfile) => {
    let m = cache.get(p);
    if (!m)
      cache.set(
        p,
        (m = {
          user: namespaceMachine(NS_RULES.user, p),
          net: namespaceMachine(NS_RULES.net, p),
          worker: netnsWorkerMachine(p),
        }),
      );
    return m;
  };
})();

/** Replays engine effects through the machines with xstate's pure API (no actors). */
class Replay {
  private readonly machines: ReturnType<typeof machinesOf>;
  private readonly ns = new Map<number, SnapshotFrom<NamespaceMachine>>();
  private workerSnap: SnapshotFrom<NetnsWorkerMachine>;

  constructor(private readonly profile: KernelProfile) {
    this.machines = machinesOf(profile);
    this.workerSnap = initialTransition(this.machines.worker)[0];
  }

  /** Feeds one effect; `world` is any later engine world (for the types of created namespaces). */
  apply(e: Effect, world: World): void {
    const m = machineEventsOf(e);
    for (const id of m.created) {
      const type = world.ns[id]?.type;
      if (type !== 'user' && type !== 'net') throw new Error(`created namespace ${id} has type ${type}`);
      expect(this.ns.has(id), `namespace ${id} created twice`).toBe(false);
      this.ns.set(id, initialTransition(this.machines[type])[0]);
    }
    for (const [id, ev] of m.namespaces) {
      const snap = this.ns.get(id);
      if (!snap)
        throw new Error(
          `effect ${JSON.stringify(e)} for namespace ${id}, which has no machine (initial or never created)`,
        );
      expect(snap.can(ev), `namespace ${id} in ${JSON.stringify(snap.value)} refuses ${JSON.stringify(ev)}`).toBe(true);
      const type = world.ns[id]?.type === 'net' ? 'net' : 'user';
      this.ns.set(id, transition(this.machines[type], snap, ev)[0]);
    }
    for (const ev of m.netnsWorker) {
      const snap = this.workerSnap;
      expect(
        snap.can(ev),
        `netns worker in ${JSON.stringify(snap.value)} ${JSON.stringify(snap.context)} refuses ${JSON.stringify(ev)}`,
      ).toBe(true);
      this.workerSnap = transition(this.machines.worker, snap, ev)[0];
    }
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
      // Queued and not yet taken by its reaper ⇔ on the engine's queue.
      const waiting = snap.matches({ dying: NOT_STARTED }) && snap.context.queued;
      const onQueue = n.type === 'net' ? w.netns.cleanupList.includes(n.id) : w.userWork.some((x) => x.ns === n.id);
      expect(onQueue, `${where}: namespace ${n.id} on its reaper's queue`).toBe(waiting);
    }
    const ws = this.workerSnap;
    expect(ws.value, `${where}: netns worker`).toEqual(expectedWorkerValue(w, this.profile));
    expect(ws.context.cleanupList, `${where}: cleanup_list`).toEqual(w.netns.cleanupList);
    expect(ws.context.batch, `${where}: batch`).toEqual(w.netns.batch);
    expect(w.netns.requeued, `${where}: requeued`).toBe(
      w.netns.state === 'running' && ws.context.cleanupList.length > 0,
    );
  }
}

describe('engine ≡ spec machines', () => {
  test.prop([scenarioArb(), seedArb, profileArb], { numRuns: 200 })(
    'every engine transition is accepted by the machines, which then agree with the engine',
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
