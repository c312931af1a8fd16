import fc from 'fast-check';
import { MS } from '../../model/time.ts';
import type { Scenario, SourcePos, Step } from '../../src/scenario/ast.ts';

/** Task names a generated scenario may use. @internal */
export const TASK_NAMES = ['a', 'b', 'c'] as const;

type StepAt = (pos: SourcePos) => Step;

/** One step for one of `tasks`, without its position (the position is its index). */
const stepArb = (tasks: readonly string[]): fc.Arbitrary<StepAt> => {
  const task = fc.constantFrom(...tasks);
  return fc.oneof(
    task.map((t): StepAt => (pos) => ({ kind: 'unshare', task: t, types: ['user'], pos })),
    task.map((t): StepAt => (pos) => ({ kind: 'unshare', task: t, types: ['net'], pos })),
    task.map((t): StepAt => (pos) => ({ kind: 'unshare', task: t, types: ['user', 'net'], pos })),
    task.map((t): StepAt => (pos) => ({ kind: 'read', task: t, nsType: 'net', pos })),
    task.map((t): StepAt => (pos) => ({ kind: 'read', task: t, nsType: 'user', pos })),
    fc.integer({ min: 0, max: 50 }).map((ms): StepAt => (pos) => ({ kind: 'sleep', ns: ms * MS, pos })),
  );
};

/**
 * Scenario IR values as the parser would produce them: 1–3 tasks, `minSteps`–`maxSteps` steps
 * among `unshare user`, `unshare net`, `unshare user,net`, `read net`, `read user` and
 * `sleep 0–50ms`; step `i` sits at line `i + 1` of file `<gen>`. Shrinks towards fewer tasks,
 * fewer steps, `unshare user` and shorter sleeps.
 *
 * @internal
 */
export function scenarioArb(opts: { minSteps?: number; maxSteps?: number } = {}): fc.Arbitrary<Scenario> {
  return fc.integer({ min: 1, max: TASK_NAMES.length }).chain((n) => {
    const tasks = TASK_NAMES.slice(0, n);
    return fc
      .array(stepArb(tasks), { minLength: opts.minSteps ?? 1, maxLength: opts.maxSteps ?? 50 })
      .map((mk): Scenario => ({
        name: 'generated',
        file: '<gen>',
        tasks,
        params: {},
        steps: mk.map((f, i) => f({ file: '<gen>', line: i + 1, col: 1 })),
      }));
  });
}

/** Seeds of the engine's choice source (any 32-bit integer). @internal */
export const seedArb = fc.integer();
