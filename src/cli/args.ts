import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError, quote } from '../errors/inputError.ts';

/**
 * node:util parseArgs with nslife's error shape: an unknown or malformed option is one input
 * error line naming the option.
 *
 * @internal
 */
export function parseOptions<T extends ParseArgsConfig['options']>(argv: string[], options: T, command: string) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals: true, strict: true });
  } catch (e) {
    // node's messages: "Unknown option '--x'. To specify a positional argument ...": the first sentence says it
    const msg = (String((e as Error).message).split('\n')[0] ?? '').split('. ')[0] ?? '';
    throw new InputError({
      file: `nslife ${command}`,
      field: 'options',
      expected: `the options of nslife ${command} --help`,
      found: msg,
    });
  }
}

/**
 * `--seed -5` as `--seed=-5`: parseArgs takes a value starting with `-` for an option (and calls
 * it ambiguous); a negative number after an option that takes a value is that option's value.
 */
function joinNegativeValues(argv: string[], options: ParseArgsConfig['options']): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : null;
    if (name !== null && options?.[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Parses `--set name=value` pairs. @internal */
export function parseSets(sets: string[] | undefined, command: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets ?? []) {
    const i = s.indexOf('=');
    if (i <= 0)
      throw new InputError({ file: `nslife ${command}`, field: '--set', expected: 'NAME=VALUE', found: quote(s) });
    out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

/** Parses an integer option within [min, max] (default: a 32-bit signed integer). @internal */
export function parseIntOption(
  value: string | undefined,
  name: string,
  command: string,
  min = -0x80000000,
  max = 0x7fffffff,
): number | undefined {
  if (value === undefined) return undefined;
  const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) {
    throw new InputError({
      file: `nslife ${command}`,
      field: name,
      expected: `an integer from ${min} to ${max}`,
      found: quote(value),
    });
  }
  return n;
}

/** The one positional argument a command takes (a file), or an input error saying how many came. @internal */
export function onePositional(positionals: string[], what: string, command: string): string {
  const [file] = positionals;
  if (file === undefined || positionals.length > 1) {
    throw new InputError({
      file: `nslife ${command}`,
      field: 'arguments',
      expected: `one ${what}`,
      found: positionals.length === 0 ? 'none' : `${positionals.length}: ${positionals.map(quote).join(' ')}`,
    });
  }
  return file;
}
