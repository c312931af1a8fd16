/**
 * How long the probe waits for another probe to finish before it gives up (probe/nslife-probe.c:
 * LOCK_WAIT_MS). Callers add it to their own timeouts.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export const PROBE_LOCK_WAIT_MS = 60_000;

/**
 * The last non-empty line of a process's output (the probe's messages are one line each).
 *
 * @remarks Since 0.1.0
 * @internal
 */
export function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .pop() ?? '(no output)'
  );
}
