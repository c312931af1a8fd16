import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { probeBinaryPath } from './binary.ts';
import { PROBE_LOCK_WAIT_MS, lastLine } from './process.ts';

/**
 * Whether the probe can run here, or why not.
 *
 * @remarks Since 0.1.0
 * @public
 */
export type ProbeAvailability = { readonly ok: true } | { readonly ok: false; readonly why: string };

/**
 * Whether the probe can run scenarios on this machine: it is built, and `nslife-probe --check`
 * (which sets up a sandbox user namespace exactly as a run does, and observes its namespaces)
 * says so. Tracing is optional: a machine without tracefs is still `ok`.
 *
 * Synchronous, so that test files can decide to skip at collection time. It waits while another
 * probe runs (they are serialised).
 *
 * @remarks Since 0.1.0
 * @public
 */
export function probeAvailable(): ProbeAvailability {
  const bin = probeBinaryPath();
  if (!existsSync(bin))
    return { ok: false, why: `the probe is not built (${bin} is missing; run npm run build:probe)` };
  const r = spawnSync(bin, ['--check'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: PROBE_LOCK_WAIT_MS + 30_000,
  });
  if (r.error) return { ok: false, why: `running ${bin} --check failed: ${r.error.message}` };
  if (r.status !== 0)
    return { ok: false, why: `nslife-probe --check exited with status ${r.status}: ${lastLine(r.stderr)}` };
  let check: { ok?: unknown; refused?: unknown };
  try {
    check = JSON.parse(r.stdout) as typeof check;
  } catch {
    return { ok: false, why: `nslife-probe --check printed something other than JSON: ${lastLine(r.stdout)}` };
  }
  if (check.ok === true) return { ok: true };
  return {
    ok: false,
    why: typeof check.refused === 'string' ? check.refused : 'nslife-probe --check said it cannot run here',
  };
}
