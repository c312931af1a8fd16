import type { KernelProfile } from '../../model/profile.ts';

/**
 * The profile as the `ordering` checker sees it: every deferred kernel step may take any time
 * from zero to forever. Tracing and load change the kernel's timing, never its ordering.
 *
 * @internal
 */
export function relaxLatencies(p: KernelProfile): KernelProfile {
  const latency = Object.fromEntries(
    Object.keys(p.latency).map((k) => [k, { min: 0, max: Number.POSITIVE_INFINITY }]),
  ) as unknown as KernelProfile['latency'];
  return { ...p, latency };
}
