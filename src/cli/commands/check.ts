import { checkTrace, type Strictness } from '../../checker/check.ts';
import { PROFILES, profileForRelease } from '../../../model/profiles/index.ts';
import type { KernelProfile } from '../../../model/profile.ts';
import { InputError, quote } from '../../errors/inputError.ts';
import { renderVerdict } from '../../render/verdict.ts';
import { parseTrace } from '../../trace/read.ts';
import { onePositional, parseIntOption, parseOptions } from '../args.ts';
import { readInput } from '../io.ts';
import { profileOption } from '../profileOption.ts';

export const CHECK_HELP = `nslife check TRACE [--profile P] [--strict ordering|timed] [--max-candidates N] [--json]

Says whether the model admits a trace (from the probe or the model). Exit status: 0 admitted,
1 rejected or undecided, 2 bad input.
  --profile P          kernel profile (default: the one for the trace's kernel release)
  --strict ordering    deferred kernel work may be arbitrarily late or early (default)
  --strict timed       deferred kernel work keeps to the profile's latency ranges
  --max-candidates N   bound on model states kept (default 20000); past it: undecided
  --json               one JSON line: the verdict`;

/** `nslife check`. @internal */
export function checkCommand(argv: string[], out: (s: string) => void): number {
  const { values, positionals } = parseOptions(
    argv,
    {
      profile: { type: 'string' },
      strict: { type: 'string' },
      'max-candidates': { type: 'string' },
      json: { type: 'boolean' },
    },
    'check',
  );
  const file = onePositional(positionals, 'trace file', 'check');
  const strictness = values.strict ?? 'ordering';
  if (strictness !== 'ordering' && strictness !== 'timed') {
    throw new InputError({
      file: 'nslife check',
      field: '--strict',
      expected: 'ordering or timed',
      found: quote(strictness),
    });
  }
  const maxCandidates = parseIntOption(values['max-candidates'], '--max-candidates', 'check', 1, 10_000_000);
  const trace = parseTrace(readInput(file), file);
  const profile =
    values.profile !== undefined
      ? profileOption(values.profile, 'check')
      : // A trace names its profile; only built-in names are taken from it (a trace is data, never
        // a path to read). A model trace made with a profile file needs --profile.
        (profileForRelease(trace.header.kernel?.release ?? '') ?? headerProfile(trace.header.profile));
  const verdict = checkTrace(trace, {
    profile,
    strictness: strictness as Strictness,
    ...(maxCandidates !== undefined ? { maxCandidates } : {}),
  });
  if (values.json) out(JSON.stringify({ file, profile: profile.name, strictness, ...verdict }));
  else out(`${file} under ${profile.name}: ${renderVerdict(verdict, strictness)}`);
  return verdict.admitted ? 0 : 1;
}

/** The built-in profile a trace header names, or an input error asking for --profile. */
function headerProfile(name: string): KernelProfile {
  const p = Object.hasOwn(PROFILES, name) ? PROFILES[name] : undefined;
  if (p) return p;
  throw new InputError({
    file: 'nslife check',
    field: '--profile',
    expected: `--profile (the trace was made with profile ${quote(name)}, which is not built in: pass its file)`,
    found: 'none',
  });
}
