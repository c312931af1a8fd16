import type { Expectation, Scenario, Step } from './ast.ts';
import { formatDuration } from './duration.ts';
import { isIdentifier } from './identifier.ts';
import { sourceText } from './observed.ts';

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
 * One step as a scenario line. An nsfs source is written `/proc/TASK/ns/FILE` with the task's
 * name, also when the task reads its own (`/proc/self/ns/FILE` reads back the same).
 *
 * @remarks Since 0.1.0
 * @public
 */
export function formatStep(step: Step): string {
  switch (step.kind) {
    case 'sleep':
      return `sleep ${formatDuration(step.ns)}`;
    case 'expect':
      return `expect ${formatExpectation(step.check)}`;
    case 'next-inode':
      return `next-inode${as(step.as)}`;
    default:
      return `${step.task}: ${operationText(step)}${step.expect === undefined ? '' : ` => ${step.expect}`}`;
  }
}

/** The operation of a task step, after `TASK: ` and before `=> OUTCOME`. */
function operationText(step: Exclude<Step, { kind: 'sleep' | 'expect' | 'next-inode' }>): string {
  switch (step.kind) {
    case 'unshare':
      return `unshare ${step.types.join(',')}`;
    case 'fork':
      return `fork ${step.child}${step.types.length === 0 ? '' : ` new ${step.types.join(',')}`}${step.pidfd === undefined ? '' : ` pidfd as ${step.pidfd}`}`;
    case 'thread':
      return `thread ${step.child}`;
    case 'setns':
      return `setns ${step.fd}${step.types.length === 0 ? '' : ` ${step.types.join(',')}`}`;
    case 'open':
      return `open ${sourceText(step.source)} as ${step.as}${step.cloexec ? ' cloexec' : ''}`;
    case 'ioctl':
      return `ioctl ${step.fd} ${step.request} as ${step.as}${step.cloexec ? ' cloexec' : ''}`;
    case 'close':
      return `close ${step.fd}`;
    case 'bind':
      return `bind ${sourceText(step.source)} ${step.path}`;
    case 'umount':
      return `umount ${step.path}${step.lazy ? ' lazy' : ''}`;
    case 'mount-proc':
      return `mount proc ${step.path}`;
    case 'socket':
      return `socket as ${step.as}${step.cloexec ? ' cloexec' : ''}`;
    case 'pidfd':
      return `pidfd ${step.target} as ${step.as}`;
    case 'shmat':
      return `shmat as ${step.as}`;
    case 'shmdt':
      return `shmdt ${step.segment}`;
    case 'exec':
    case 'exit':
      return step.kind;
    case 'wait':
      return `wait ${step.child}`;
    case 'set-limit':
      return `set max_${step.nsType}_namespaces = ${step.value}`;
    case 'read':
      return `read ${step.nsType}${as(step.as)}`;
  }
}

function as(name: string | undefined): string {
  return name === undefined ? '' : ` as ${name}`;
}

function formatExpectation(check: Expectation): string {
  return 'name' in check ? `${check.name} ${check.kind}` : `${check.kind} ${check.a} ${check.b}`;
}
