import type { Expectation, Scenario, Step } from './ast.ts';
import { formatDuration } from './duration.ts';
import { isIdentifier } from './identifier.ts';

/**
 * Writes a scenario as text that {@link parseScenario} reads back to the same scenario (step
 * positions aside): one line per step, no `repeat` blocks, no `$NAME`s.
 *
 * The `scenario` line is left out when the name is not an identifier: such a name can only
 * have come from the file name, which gives it back.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function formatScenario(s: Scenario): string {
  const lines: string[] = [];
  if (isIdentifier(s.name)) lines.push(`scenario ${s.name}`);
  for (const [name, value] of Object.entries(s.params)) lines.push(`param ${name} = ${value}`);
  if (s.tasks.length > 0) lines.push(`task ${s.tasks.join(' ')}`);
  for (const step of s.steps) lines.push(formatStep(step));
  return lines.map((line) => `${line}\n`).join('');
}

/**
 * One step as a scenario line.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function formatStep(step: Step): string {
  switch (step.kind) {
    case 'unshare':
      return `${step.task}: unshare ${step.types.join(',')}${step.expect === undefined ? '' : ` => ${step.expect}`}`;
    case 'read':
      return `${step.task}: read ${step.nsType}${step.as === undefined ? '' : ` as ${step.as}`}`;
    case 'sleep':
      return `sleep ${formatDuration(step.ns)}`;
    case 'expect':
      return `expect ${formatExpectation(step.check)}`;
  }
}

function formatExpectation(check: Expectation): string {
  return 'name' in check ? `${check.name} ${check.kind}` : `${check.kind} ${check.a} ${check.b}`;
}
