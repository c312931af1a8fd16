import type { KernelProfile } from '../../model/profile.ts';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import type { World } from '../../src/engine/world.ts';
import { openHistory, type History } from '../../src/history/history.ts';
import type { Scenario } from '../../src/scenario/ast.ts';
import type { ScenarioBuilder } from '../../src/scenario/builder.ts';

/** The initial namespaces are model indices 0..7 (user, pid, net, mnt, uts, ipc, cgroup, time): ids 1..8. */
export const FIRST_NEW = 8;

/** The history of a built scenario. */
export function historyOf(b: ScenarioBuilder | Scenario, profile: KernelProfile = linux618, seed = 7): History {
  const s = 'build' in b ? b.build() : b;
  return openHistory(s, { profile, seed });
}

/** The world after every step of a built scenario (before the run settles). */
export function worldAfter(b: ScenarioBuilder | Scenario, profile: KernelProfile = linux618, seed = 7): World {
  const h = historyOf(b, profile, seed);
  return h.afterSteps(h.scenario.steps.length).world;
}
