import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../cli/root.ts';
import { probeBinaryPath } from './driver.ts';

/**
 * Builds the probe with `sh probe/build.sh` if it is not built yet (never at install time).
 * Without a C compiler this says why instead of failing.
 *
 * @internal
 */
export function ensureProbeBuilt(): { ok: true } | { ok: false; why: string } {
  if (existsSync(probeBinaryPath())) return { ok: true };
  const cc = process.env['CC'] ?? 'cc';
  if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status !== 0) {
    return { ok: false, why: `the probe is not built and there is no C compiler (${cc}) to build it` };
  }
  const r = spawnSync('sh', [join(PACKAGE_ROOT, 'probe/build.sh')], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout || '').trim().split('\n').pop() ?? 'unknown error';
    return { ok: false, why: `building the probe failed: ${why}` };
  }
  return { ok: true };
}
