import { MS } from '../model/time.ts';
import type { Scenario, Step } from '../src/scenario/ast.ts';

const pos = { file: '<bench>', line: 1, col: 1 };

/**
 * The benchmark workload: `tasks` tasks in their own user namespace, then `n` operations cycling
 * through unshare net / read net / sleep (0–18 ms), task after task — the seed question's mix,
 * spread over several tasks so that reapers batch.
 */
export function churn(n: number, tasks = 4): Scenario {
  const names = Array.from({ length: tasks }, (_, i) => `t${i}`);
  const steps: Step[] = names.map((task) => ({ kind: 'unshare', task, types: ['user'], pos }));
  for (let i = 0; steps.length < n; i++) {
    const task = names[i % tasks] as string;
    steps.push({ kind: 'unshare', task, types: ['net'], pos });
    steps.push({ kind: 'read', task, nsType: 'net', pos });
    steps.push({ kind: 'sleep', ns: (i % 7) * 3 * MS, pos });
  }
  return { name: 'churn', file: '<bench>', tasks: names, params: {}, steps: steps.slice(0, n) };
}

/**
 * The floor any simulator pays: the same reference changes as `churn` makes (a new netns with one
 * reference and one on its owner; the task's old netns put; a dead netns's owner reference put),
 * applied to a typed array, with nothing else — no holders, reapers, allocator or history.
 */
export function rawRefcountLoop(s: Scenario): number {
  const refs = new Int32Array(s.steps.length + 64);
  const owner = new Int32Array(s.steps.length + 64);
  const taskNet = new Int32Array(s.tasks.length);
  const taskUser = new Int32Array(s.tasks.length);
  const taskIndex = new Map(s.tasks.map((t, i) => [t, i]));
  let next = 2; // 0: initial user ns, 1: initial netns
  refs[0] = 1 + s.tasks.length;
  refs[1] = 1 + s.tasks.length;
  let dead = 0;
  for (const step of s.steps) {
    if (step.kind === 'unshare') {
      const t = taskIndex.get(step.task) as number;
      if (step.types.includes('user')) {
        const u = next++;
        refs[u] = 1;
        refs[taskUser[t] as number]!++; // child's parent reference
        refs[taskUser[t] as number]!--; // the old cred's
        taskUser[t] = u;
      } else {
        const n = next++;
        refs[n] = 1;
        owner[n] = taskUser[t] as number;
        refs[owner[n] as number]!++;
        const old = taskNet[t] as number;
        taskNet[t] = n;
        if (--refs[old]! === 0) {
          dead++;
          refs[owner[old] as number]!--; // cleanup_net's put_user_ns
        }
      }
    }
  }
  return dead;
}
