import { expect } from 'vitest';
import { InputError } from '../../src/errors/inputError.ts';
import type { Scenario, Step } from '../../src/scenario/ast.ts';

/** A step without its position, for comparing scenarios "modulo positions". */
export type PlainStep = Step extends infer S ? (S extends Step ? Omit<S, 'pos'> : never) : never;

export function withoutPos(s: Scenario): Omit<Scenario, 'steps'> & { steps: PlainStep[] } {
  return { ...s, steps: s.steps.map(({ pos: _pos, ...rest }) => rest as PlainStep) };
}

/** Runs `f`, which must throw an InputError whose one-line message is exactly `message`. */
export function expectInputError(f: () => unknown, message: string): InputError {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(InputError);
  const error = thrown as InputError;
  expect(error.format()).toBe(message);
  return error;
}
