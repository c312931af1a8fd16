import { DEFAULT_PROFILE, PROFILES } from '../../model/profiles/index.ts';
import { parseProfile } from '../../model/profiles/load.ts';
import type { KernelProfile } from '../../model/profile.ts';
import { InputError, quote } from '../errors/inputError.ts';
import { readInput } from './io.ts';

/** Whether a `--profile` value names a file (a path or a `.json` name) rather than a built-in profile. */
const isProfileFile = (name: string): boolean => name.endsWith('.json') || name.includes('/') || name.includes('\\');

/**
 * The profile named by `--profile`: a built-in profile name, or a profile file (`FILE.json`, as
 * `nslife calibrate` writes it; a bad file is one input error line naming file:line:col or the
 * field); the default when none is given.
 *
 * @internal
 */
export function profileOption(name: string | undefined, command: string): KernelProfile {
  if (name === undefined) return DEFAULT_PROFILE;
  const p = PROFILES[name];
  if (p) return p;
  if (isProfileFile(name)) return parseProfile(readInput(name), name);
  throw new InputError({
    file: `nslife ${command}`,
    field: '--profile',
    expected: `a profile name (${Object.keys(PROFILES).join(', ')}) or a profile file (FILE.json)`,
    found: quote(name),
  });
}

/** A fresh seed when none is given (printed, so the run can be replayed). @internal */
export function seedOption(seed: number | undefined): number {
  return seed ?? Math.floor(Math.random() * 0x7fffffff);
}
