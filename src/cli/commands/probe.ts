import { InputError } from '../../errors/inputError.ts';
import { ProbeError, probeAvailable, runProbe } from '../../probe/driver.ts';
import { ensureProbeBuilt } from '../../probe/ensureBuilt.ts';
import { probeInput } from '../../probe/input.ts';
import { renderSteps } from '../../render/steps.ts';
import { parseScenario } from '../../scenario/parse.ts';
import { parseTrace } from '../../trace/read.ts';
import { onePositional, parseIntOption, parseOptions, parseSets } from '../args.ts';
import { checkOutputPath, readInput } from '../io.ts';

export const PROBE_HELP = `nslife probe SCENARIO -o TRACE [--set NAME=VALUE]... [--no-tracefs] [--timeout-ms N]

Runs a scenario on the live kernel with the native probe (inside a user and mount namespace of
its own; nothing on the host changes) and writes its trace (JSON Lines). Refuses with status 2
and one line where it cannot run safely: no probe and no C compiler, no user namespaces, the
probe lock held by another probe for a minute, an output file it cannot write, a scenario the
probe cannot express. Status 1: the run was cut short (its incomplete trace is kept).`;

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
  // What can be refused without the probe is refused before waiting for its lock.
  try {
    probeInput(scenario);
  } catch (e) {
    process.stderr.write(`nslife: ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  checkOutputPath(values.output, 'probe', 'a trace file');
  const built = ensureProbeBuilt();
  const avail = built.ok ? probeAvailable() : built;
  if (!avail.ok) {
    process.stderr.write(`nslife: probe: cannot run on this machine: ${avail.why}\n`);
    return 2;
  }
  try {
    await runProbe(scenario, {
      outFile: values.output,
      tracefs: !values['no-tracefs'],
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
  } catch (e) {
    if (!(e instanceof ProbeError)) throw e;
    // The probe's own messages start with "nslife-probe: "; one line either way.
    const msg = e.message.startsWith('nslife-probe: ') ? e.message : `probe: ${e.message}`;
    // Exit 2: refused (busy, cannot write the output), nothing written. Else cut short: an
    // incomplete trace is where the message says (or in the output file).
    if (e.exitCode === 2) {
      process.stderr.write(`nslife: ${msg}\n`);
      return 2;
    }
    const kept = e.exitCode === 1 ? `; incomplete trace written to ${values.output}` : '';
    process.stderr.write(`nslife: ${msg}${kept}\n`);
    return 1;
  }
  const trace = parseTrace(readInput(values.output), values.output);
  out(renderSteps(trace));
  out(`trace written to ${values.output}${trace.complete ? '' : ' (incomplete)'}`);
  return 0;
}
