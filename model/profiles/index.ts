import type { KernelProfile } from '../profile.ts';
import { linux61 } from './linux-6.1.ts';
import { linux612 } from './linux-6.12.ts';
import { linux614 } from './linux-6.14.ts';
import { linux618 } from './linux-6.18.ts';
import { linux619 } from './linux-6.19.ts';
import { linux7x } from './linux-7.x.ts';

/**
 * The kernel profiles nslife knows, by name. Their release ranges do not overlap; 6.2–6.10 and
 * releases after 7.3 have no profile (see docs/kernel-versions.md).
 *
 * @public
 */
export const PROFILES: Readonly<Record<string, KernelProfile>> = {
  [linux61.name]: linux61,
  [linux612.name]: linux612,
  [linux614.name]: linux614,
  [linux618.name]: linux618,
  [linux619.name]: linux619,
  [linux7x.name]: linux7x,
};

/** The default profile (the kernel nslife was calibrated on). @public */
export const DEFAULT_PROFILE: KernelProfile = linux618;

/**
 * The profile for a kernel release such as `6.18.44-fc-v1147`, or null when none covers it.
 *
 * @public
 */
export function profileForRelease(release: string): KernelProfile | null {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return null;
  const v = Number(m[1]) * 1000 + Number(m[2]);
  const num = (s: string): number => {
    const [a, b] = s.split('.').map(Number);
    return (a ?? 0) * 1000 + (b ?? 0);
  };
  return Object.values(PROFILES).find((p) => num(p.releases.from) <= v && v <= num(p.releases.to)) ?? null;
}
