import { simulate } from '../../engine/simulate.ts';
import { parseScenario } from '../../scenario/parse.ts';
import { evaluateExpectations } from '../../trace/expectations.ts';
import { formatTrace } from '../../trace/write.ts';
import { onePositional, parseIntOption, parseOptions, parseSets } from '../args.ts';
import { checkOutputPath, readInput, writeAtomic } from '../io.ts';
import { profileOption, seedOption } from '../profileOption.ts';
import { renderSteps } from '../../render/steps.ts';
import { renderExpectations } from '../../render/expectations.ts';

export const RUN_HELP = `nslife run SCENARIO [--set NAME=VALUE]... [--profile P] [--seed N] [-o TRACE] [-q|--quiet]

Runs a scenario on the model (virtual clock) and prints every step, then the scenario's
expectations. Exit status: 0 all expectations hold, 1 one failed, 2 bad input.`;

/** `nslife run`. @internal */
export function runCommand(argv: string[], out: (s: string) => void): number {
  const { values, positionals } = parseOptions(
    argv,
    {
      set: { type: 'string', multiple: true },
      profile: { type: 'string' },
      seed: { type: 'string' },
      output: { type: 'string', short: 'o' },
      quiet: { type: 'boolean', short: 'q' },
    },
    'run',
  );
  const file = onePositional(positionals, 'scenario file', 'run');
  const profile = profileOption(values.profile, 'run');
  const seed = seedOption(parseIntOption(values.seed, '--seed', 'run'));
  const scenario = parseScenario(readInput(file), file, parseSets(values.set, 'run'));
  if (values.output !== undefined) checkOutputPath(values.output, 'run', 'a trace file');
  const run = simulate(scenario, { profile, seed });
  out(
    `nslife run ${file} — profile ${profile.name}, seed ${seed} (replay: node bin/nslife.js run ${file} --seed ${seed}${setArgs(values.set)})`,
  );
  if (!values.quiet) out(renderSteps(run.trace));
  const results = evaluateExpectations(scenario, run.trace);
  if (results.length > 0) out(renderExpectations(results));
  if (values.output !== undefined) {
    writeAtomic(values.output, formatTrace(run.trace));
    out(`trace written to ${values.output}`);
  }
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}

function setArgs(sets: string[] | undefined): string {
  return (sets ?? []).map((s) => ` --set ${s}`).join('');
}
