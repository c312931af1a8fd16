import { InputError } from '../../errors/inputError.ts';
import { probeAvailable, runProbe } from '../../probe/driver.ts';
import { ensureProbeBuilt } from '../../probe/ensureBuilt.ts';
import { renderSteps } from '../../render/steps.ts';
import { parseScenario } from '../../scenario/parse.ts';
import { parseTrace } from '../../trace/read.ts';
import { onePositional, parseIntOption, parseOptions, parseSets } from '../args.ts';
import { readInput } from '../io.ts';

export const PROBE_HELP = `nslife probe SCENARIO -o TRACE [--set NAME=VALUE]... [--no-tracefs] [--timeout-ms N]

Runs a scenario on the live kernel with the native probe (inside a user and mount namespace of
its own; nothing on the host changes) and writes its trace (JSON Lines). Refuses with status 2
where it cannot run safely (no probe, no user namespaces).`;

/** `nslife probe`. @internal */
export async function probeCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseOptions(
    argv,
    {
      output: { type: 'string', short: 'o' },
      set: { type: 'string', multiple: true },
      'no-tracefs': { type: 'boolean' },
      'timeout-ms': { type: 'string' },
    },
    'probe',
  );
  const file = onePositional(positionals, 'scenario file', 'probe');
  if (values.output === undefined) {
    throw new InputError({
      file: 'nslife probe',
      field: '-o',
      expected: 'an output trace file (-o TRACE)',
      found: 'none',
    });
  }
  const timeoutMs = parseIntOption(values['timeout-ms'], '--timeout-ms', 'probe', 1, 86_400_000);
  const scenario = parseScenario(readInput(file), file, parseSets(values.set, 'probe'));
  const built = ensureProbeBuilt();
  const avail = built.ok ? probeAvailable() : built;
  if (!avail.ok) {
    process.stderr.write(`nslife: probe: cannot run on this machine: ${avail.why}\n`);
    return 2;
  }
  await runProbe(scenario, {
    outFile: values.output,
    tracefs: !values['no-tracefs'],
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  const trace = parseTrace(readInput(values.output), values.output);
  out(renderSteps(trace));
  out(`trace written to ${values.output}${trace.complete ? '' : ' (incomplete)'}`);
  return 0;
}
