/**
 * A probe run that did not produce a complete trace. The message is one line.
 *
 * @remarks Since 0.1.0
 * @public
 */
export class ProbeError extends Error {
  override readonly name = 'ProbeError';

  constructor(
    message: string,
    /** The probe's exit status (1 incomplete, 2 bad input or busy), or `null` if it did not exit. */
    readonly exitCode: number | null,
    /**
     * What the probe wrote: an incomplete trace (end record `complete: false`, or no end record
     * when the probe was killed), or `''`.
     */
    readonly trace: string,
  ) {
    super(message);
  }
}
