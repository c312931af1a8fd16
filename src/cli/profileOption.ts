import { DEFAULT_PROFILE, PROFILES } from '../../model/profiles/index.ts';
import type { KernelProfile } from '../../model/profile.ts';
import { InputError, quote } from '../errors/inputError.ts';

/** The profile named by `--profile`, or the default. @internal */
export function profileOption(name: string | undefined, command: string): KernelProfile {
  if (name === undefined) return DEFAULT_PROFILE;
  const p = PROFILES[name];
  if (!p) {
    throw new InputError({
      file: `nslife ${command}`,
      field: '--profile',
      expected: `a profile name (${Object.keys(PROFILES).join(', ')})`,
      found: quote(name),
    });
  }
  return p;
}

/** A fresh seed when none is given (printed, so the run can be replayed). @internal */
export function seedOption(seed: number | undefined): number {
  return seed ?? Math.floor(Math.random() * 0x7fffffff);
}
