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
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = String((e as Error).message).split('\n')[0] ?? '';
    throw new InputError({
      file: `nslife ${command}`,
      field: 'options',
      expected: `valid options (see nslife ${command} --help)`,
      found: quote(msg),
    });
  }
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

/** Parses an integer option. @internal */
export function parseIntOption(value: string | undefined, name: string, command: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value))
    throw new InputError({ file: `nslife ${command}`, field: name, expected: 'an integer', found: quote(value) });
  return Number(value);
}
