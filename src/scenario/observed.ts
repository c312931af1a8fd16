import type { NsFile, NsSource, Step, TaskStep } from './ast.ts';

/**
 * A namespace a step shows after it ran, and how the probe (and the model) reaches it:
 * `/proc/TASK/ns/FILE`, an fd of the task's process, or a bind-mounted path in the task's mount
 * namespace.
 *
 * @public
 */
export type ObservedNs =
  | { readonly kind: 'proc'; readonly task: string; readonly file: NsFile }
  | { readonly kind: 'fd'; readonly task: string; readonly fd: string }
  | { readonly kind: 'path'; readonly task: string; readonly path: string };

/**
 * The namespaces a successful step shows, in order (a failed step shows none). One list for the
 * probe and the model, so that their traces observe the same things:
 * - `unshare`: each new namespace, through the caller's `/proc/self/ns/TYPE`; for pid and time,
 *   through `time_for_children` (time) — the caller stays in its own pid and time namespaces, and
 *   `pid_for_children` cannot be opened before the first child exists (ENOENT on ≤ 6.18), so a
 *   new pid namespace is shown by the first `fork`;
 * - `fork`: each new namespace, as the child sees it (`pid`: the child's own);
 * - `setns`, `open`, `ioctl`: the namespace behind the fd; `bind`: behind the new mount;
 * - `read`: the file read.
 *
 * @public
 */
export function observedNs(step: Step): readonly ObservedNs[] {
  switch (step.kind) {
    case 'unshare':
      return step.types.flatMap((t): ObservedNs[] =>
        t === 'pid' ? [] : [{ kind: 'proc', task: step.task, file: t === 'time' ? 'time_for_children' : t }],
      );
    case 'fork':
      return step.types.map((t) => ({ kind: 'proc', task: step.child, file: t }));
    case 'setns':
    case 'close':
      return step.kind === 'setns' ? [{ kind: 'fd', task: step.task, fd: step.fd }] : [];
    case 'open':
    case 'ioctl':
      return [{ kind: 'fd', task: step.task, fd: step.as }];
    case 'bind':
      return [{ kind: 'path', task: step.task, path: step.path }];
    case 'read':
      return [{ kind: 'proc', task: step.task, file: step.nsType }];
    default:
      return [];
  }
}

/**
 * The arguments of a step as a trace records them (`args`): the step without its kind, task,
 * position, expected outcome and (for `read`) binding name. One function for the probe driver and the model.
 *
 * @public
 */
export function stepArgs(step: Exclude<Step, { kind: 'expect' }>): Record<string, unknown> {
  // `read` keeps the v1 field name `type` (recorded traces have it).
  if (step.kind === 'read') return { type: step.nsType };
  const { kind: _kind, pos: _pos, ...rest } = step as Step & { task?: string; expect?: string };
  const out: Record<string, unknown> = { ...rest };
  delete out.task;
  delete out.expect;
  return out;
}

/** Renders an nsfs source as the scenario language writes it. @public */
export function sourceText(s: NsSource): string {
  return s.kind === 'proc' ? `/proc/${s.task}/ns/${s.file}` : s.kind === 'path' ? s.path : s.fd;
}

/** Is `step` executed by a task? @public */
export function isTaskStep(step: Step): step is TaskStep {
  return 'task' in step;
}
