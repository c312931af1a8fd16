import type { KernelProfile } from '../profile.ts';
import { linux618 } from './linux-6.18.ts';

/**
 * The kernel profiles nslife knows, by name.
 *
 * @public
 */
export const PROFILES: Readonly<Record<string, KernelProfile>> = {
  [linux618.name]: linux618,
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
