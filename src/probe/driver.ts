import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Scenario } from '../scenario/ast.ts';
import { probeBinaryPath } from './binary.ts';
import { ProbeError } from './error.ts';
import { probeInput } from './input.ts';
import { PROBE_LOCK_WAIT_MS, lastLine } from './process.ts';

export { probeAvailable, type ProbeAvailability } from './available.ts';
export { probeBinaryPath } from './binary.ts';
export { ProbeError } from './error.ts';
export { probeInput } from './input.ts';

/**
 * Options of {@link runProbe}.
 *
 * @remarks Since 0.1.0
 * @public
 */
export interface RunProbeOptions {
  /**
   * Write the trace to this file instead of returning it through a pipe (it is read back and
   * returned all the same). The probe writes each record as soon as it is known into
   * `FILE.tmp-<pid>` and renames it to `FILE` at the end, also when a run is cut short (a
   * signal, a watchdog). A probe killed with SIGKILL leaves `FILE.tmp-<pid>` behind: whole lines,
   * header first, no end record (an incomplete trace); its text is then the {@link ProbeError}'s
   * `trace`, and the file stays where it is.
   */
  readonly outFile?: string;
  /** Trace the kernel's reaper work items through tracefs (default true; needs root). */
  readonly tracefs?: boolean;
  /**
   * Record the inode numbers of a netns's /proc/net entries on every net observation (default
   * true). They come from the same allocator as namespace inode numbers; the walk that reads
   * them allocates none, and costs about half a millisecond per observation.
   */
  readonly procNet?: boolean;
  /** The probe's total watchdog (default 600000 ms); a run cut short throws a {@link ProbeError}. */
  readonly timeoutMs?: number;
}

/** Default of the probe's --total-timeout-ms. */
const PROBE_TOTAL_TIMEOUT_MS = 600_000;
/** Grace after the watchdogs before this side stops the probe itself. */
const GUARD_MARGIN_MS = 30_000;

/**
 * Runs a scenario on the live kernel with the native probe and returns the trace (JSON Lines,
 * src/trace/format.ts). A scenario the machine cannot run at all (no user namespaces) still
 * returns a trace: its header's `refused` says why.
 *
 * @throws ProbeError when the probe is not built, the input is refused (exit 2: bad input, or
 * another probe held the lock for a minute), or the run was cut short (exit 1: watchdog, signal,
 * a task died; `trace` then holds the incomplete trace).
 * @remarks Since 0.1.0
 * @public
 */
export function runProbe(scenario: Scenario, opts: RunProbeOptions = {}): Promise<string> {
  const input = probeInput(scenario);
  const bin = probeBinaryPath();
  if (!existsSync(bin))
    return Promise.reject(
      new ProbeError(`the probe is not built (${bin} is missing; run npm run build:probe)`, null, ''),
    );
  const timeoutMs = opts.timeoutMs ?? PROBE_TOTAL_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 86_400_000) {
    return Promise.reject(
      new ProbeError(`probe timeout ${timeoutMs} ms: expected a whole number of ms in 1..86400000`, null, ''),
    );
  }
  const args = ['--total-timeout-ms', String(timeoutMs)];
  if (opts.outFile !== undefined) args.push('-o', opts.outFile);
  if (opts.tracefs === false) args.push('--no-tracefs');
  if (opts.procNet === false) args.push('--no-proc-net');

  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    child.stdin.on('error', () => {}); // the probe may exit before reading everything (lock timeout)
    child.stdin.end(input);
    // The probe has its own watchdogs; this only guards against a probe that ignores them.
    let killer: NodeJS.Timeout | undefined;
    const guard = setTimeout(
      () => {
        child.kill('SIGTERM');
        killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      },
      timeoutMs + PROBE_LOCK_WAIT_MS + GUARD_MARGIN_MS,
    );
    child.on('error', (e) => {
      clearTimeout(guard);
      reject(new ProbeError(`cannot run the probe ${bin}: ${e.message}`, null, ''));
    });
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(killer);
      // Exit 0 and 1 write a trace (to outFile when given); 2 and a kill write none.
      const file = opts.outFile;
      const written = (): string =>
        file === undefined
          ? Buffer.concat(stdout).toString('utf8')
          : existsSync(file)
            ? readFileSync(file, 'utf8')
            : '';
      const trace = code === 0 || code === 1 ? written() : '';
      const err = Buffer.concat(stderr).toString('utf8');
      if (code === 0) resolve(trace);
      else if (code === null) {
        // Killed (SIGKILL): what it had written is an incomplete trace, left where it was.
        const tmp = file === undefined || child.pid === undefined ? undefined : `${file}.tmp-${child.pid}`;
        const partial =
          tmp === undefined ? Buffer.concat(stdout).toString('utf8') : existsSync(tmp) ? readFileSync(tmp, 'utf8') : '';
        const where = tmp !== undefined && partial !== '' ? `; its incomplete trace is in ${tmp}` : '';
        reject(new ProbeError(`nslife-probe was killed by ${signal ?? 'a signal'}${where}`, null, partial));
      } else reject(new ProbeError(lastLine(err), code, trace));
    });
  });
}
