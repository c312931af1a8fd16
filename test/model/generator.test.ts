/**
 * The full-IR scenario generator the model properties run on (test/arbitraries/fullScenario.ts):
 * what it makes is a scenario the language accepts, and it reaches every operation.
 */
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatScenario } from '../../src/scenario/format.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import type { Scenario, StepKind } from '../../src/scenario/ast.ts';
import { fullScenarioArb } from '../arbitraries/fullScenario.ts';

const withoutPos = (s: Scenario) => s.steps.map(({ pos: _pos, ...rest }) => rest);

describe('fullScenarioArb', () => {
  test.prop([fullScenarioArb()], { numRuns: 100 })(
    'is valid: its text parses back to it (every name bound before use, no task after its exit)',
    (s) => {
      const back = parseScenario(formatScenario(s), '<gen>');
      expect(back.tasks).toEqual(s.tasks);
      expect(withoutPos(back)).toEqual(withoutPos(s));
    },
  );

  it('reaches every operation of the IR, most scenarios with a few dozen steps', () => {
    const kinds = new Set<StepKind>();
    const lengths: number[] = [];
    for (const s of fc.sample(fullScenarioArb(), { numRuns: 200, seed: 42 })) {
      for (const step of s.steps) kinds.add(step.kind);
      lengths.push(s.steps.length);
    }
    const every: StepKind[] = [
      'unshare',
      'fork',
      'thread',
      'setns',
      'open',
      'ioctl',
      'close',
      'bind',
      'umount',
      'mount-proc',
      'socket',
      'pidfd',
      'shmat',
      'shmdt',
      'exec',
      'exit',
      'wait',
      'set-limit',
      'read',
      'next-inode',
      'sleep',
      'expect',
    ];
    expect([...kinds].sort()).toEqual([...every].sort());
    expect(Math.max(...lengths)).toBeLessThanOrEqual(50);
    expect(lengths.reduce((a, b) => a + b, 0) / lengths.length).toBeGreaterThan(10);
  });
});
