import { parseOp } from '../../query/parseOp.ts';
import { renderWhatIf, whatif } from '../../query/whatif.ts';
import { formatStep } from '../../scenario/format.ts';
import { onePositional, parseOptions } from '../args.ts';
import { readInput } from '../io.ts';
import { describePoint, fail, POINT_OPTIONS, queryPoint } from './queryPoint.ts';

export const WHATIF_HELP = `nslife whatif SCENARIO --op 'TASK: OPERATION' [--at STEP | --at-ms T] [--set NAME=VALUE]... [--profile P] [--seed N] [--json]

Runs a scenario on the model up to a point, applies one more operation there (in the scenario
language, checked as if written at that point) on a copy of the world, lets every reaper drain,
and says which namespaces lose their last reference (and, on 6.19+, which become inactive),
when each is freed, and which inode numbers and limit charges come back when — as windows the
profile's latency ranges allow. "(also without it)" marks what happens anyway.
The point: --at STEP after the first STEP steps (0: before the first), --at-ms T at virtual
time T ms; default: after the last step.
Exit status: 0, or 2 for bad input.`;

/** `nslife whatif`. @internal */
export function whatifCommand(argv: string[], out: (s: string) => void): number {
  const { values, positionals } = parseOptions(argv, { ...POINT_OPTIONS, op: { type: 'string' } }, 'whatif');
  const file = onePositional(positionals, 'scenario file', 'whatif');
  if (values.op === undefined) fail('whatif', '--op', "an operation, e.g. --op 'main: exit'", 'none');
  const p = queryPoint(file, values, 'whatif');
  if (p.inStep !== null)
    fail(
      'whatif',
      '--at-ms',
      'a time when no syscall is in progress',
      `${values['at-ms']} (during step ${p.inStep + 1})`,
    );
  const op = parseOp(readInput(file), file, p.scenario.params, p.steps, values.op);
  const result = whatif(p.world, op, p.profile);
  const opText = formatStep(op);
  const replay = `node bin/nslife.js whatif ${file} --op '${values.op}' ${p.replay}`;
  if (values.json) {
    const { world: _world, ...rest } = result;
    out(
      JSON.stringify({
        scenario: file,
        seed: p.seed,
        profile: p.profile.name,
        steps: p.steps,
        t: p.t,
        replay,
        whatif: rest,
      }),
    );
    return 0;
  }
  out(`nslife whatif ${file} — profile ${p.profile.name}, seed ${p.seed}, ${describePoint(p)}`);
  out(`(replay: ${replay})`);
  out(renderWhatIf(result, opText));
  return 0;
}
