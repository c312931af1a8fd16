import type { Scenario } from '../scenario/ast.ts';

/**
 * Version line that starts every probe input (probe/nslife-probe.c: parse_input).
 *
 * @remarks Since 0.1.0
 * @internal
 */
export const PROBE_INPUT_VERSION = 'nslife-probe-input 1';

/**
 * The scenario in the probe's line protocol, fed to `nslife-probe` on stdin:
 *
 * ```
 * nslife-probe-input 1
 * meta {"name":"seed","file":"examples/seed.nsl","params":{"delay":"500ms"}}
 * task 0 main
 * step 0 8 0 unshare user
 * step 1 9 0 read net
 * step 4 14 - sleep 500000000
 * run
 * ```
 *
 * `meta` is copied verbatim into the trace header's `scenario`. Step indexes are the scenario's
 * (`expect` steps are skipped: they are evaluated on traces, not executed), so a trace step
 * and its scenario step share an index.
 *
 * @throws Error when the scenario cannot be expressed (a task name with white space, a step of
 * an undeclared task, an empty `unshare`, a sleep that is not a whole number of nanoseconds).
 * @remarks Since 0.1.0
 * @public
 */
export function probeInput(scenario: Scenario): string {
  const taskId = new Map<string, number>();
  const lines = [
    PROBE_INPUT_VERSION,
    `meta ${JSON.stringify({ name: scenario.name, file: scenario.file, params: scenario.params })}`,
  ];
  scenario.tasks.forEach((name, i) => {
    if (!/^[^\s]+$/.test(name)) throw new Error(`probe input: task name ${JSON.stringify(name)} must be one word`);
    taskId.set(name, i);
    lines.push(`task ${i} ${name}`);
  });
  const tid = (task: string, index: number): number => {
    const id = taskId.get(task);
    if (id === undefined)
      throw new Error(
        `probe input: step ${index} uses task ${JSON.stringify(task)}, which the scenario does not declare`,
      );
    return id;
  };
  scenario.steps.forEach((step, index) => {
    const head = `step ${index} ${step.pos.line}`;
    switch (step.kind) {
      case 'unshare':
        if (step.types.length === 0) throw new Error(`probe input: step ${index} unshares no namespace type`);
        lines.push(`${head} ${tid(step.task, index)} unshare ${step.types.join(',')}`);
        break;
      case 'read':
        lines.push(`${head} ${tid(step.task, index)} read ${step.nsType}`);
        break;
      case 'sleep':
        if (!Number.isSafeInteger(step.ns) || step.ns < 0)
          throw new Error(`probe input: step ${index} sleeps ${step.ns} ns, expected a whole number ≥ 0`);
        lines.push(`${head} - sleep ${step.ns}`);
        break;
      case 'expect':
        break;
    }
  });
  lines.push('run');
  return `${lines.join('\n')}\n`;
}
