const DURATION = /^([0-9]+)(?:\.([0-9]+))?(ns|us|ms|s)$/;

/** Decimal digits each unit is worth in nanoseconds. */
const UNIT_DIGITS = { ns: 0, us: 3, ms: 6, s: 9 } as const;
type Unit = keyof typeof UNIT_DIGITS;

/** Largest unit first: {@link formatDuration} picks the largest one that is at least 1. */
const UNITS_DESCENDING: readonly Unit[] = ['s', 'ms', 'us', 'ns'];

/**
 * How durations are described in input errors.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export const DURATION_SHAPE = 'a duration such as 500ms, 0.5s, 10us or 0ns';

/**
 * A duration read from text: integer nanoseconds, or what was wrong with it.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export type DurationReading =
  { readonly ok: true; readonly ns: number } | { readonly ok: false; readonly expected: string };

/**
 * Reads `500ms`, `0.5s`, `10us`, `7ns`: a non-negative integer or decimal and a unit. Exact:
 * digits are scaled as text, so `0.3s` is 300000000 ns, never 299999999.99999997.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export function readDuration(text: string): DurationReading {
  const m = DURATION.exec(text);
  if (!m) return { ok: false, expected: DURATION_SHAPE };
  const [, whole = '', fraction = '', unit = 'ns'] = m;
  const digits = UNIT_DIGITS[unit as Unit];
  if (fraction.replace(/0+$/, '').length > digits) {
    return { ok: false, expected: 'a duration that is a whole number of nanoseconds' };
  }
  const ns = Number(whole + fraction.padEnd(digits, '0').slice(0, digits));
  if (!Number.isSafeInteger(ns)) {
    return { ok: false, expected: `a duration of at most ${Number.MAX_SAFE_INTEGER}ns` };
  }
  return { ok: true, ns };
}

/**
 * Parses a scenario duration (`500ms`, `0.5s`, `10us`, `0ns`) into integer nanoseconds.
 *
 * @throws RangeError when `text` is not a duration or not a whole number of nanoseconds.
 * @remarks Since 0.1.0
 * @public
 */
export function parseDuration(text: string): number {
  const reading = readDuration(text);
  if (!reading.ok) throw new RangeError(`expected ${reading.expected}, found ${JSON.stringify(text)}`);
  return reading.ns;
}

/**
 * Writes integer nanoseconds in the largest unit that keeps the number at least 1, exactly:
 * `500000000` → `500ms`, `1500000000` → `1.5s`, `0` → `0s`. {@link parseDuration} reads it
 * back to the same number.
 *
 * @throws RangeError when `ns` is not a non-negative safe integer.
 * @remarks Since 0.1.0
 * @public
 */
export function formatDuration(ns: number): string {
  if (!Number.isSafeInteger(ns) || ns < 0) {
    throw new RangeError(`expected a non-negative integer number of nanoseconds, found ${ns}`);
  }
  const unit = UNITS_DESCENDING.find((u) => ns >= 10 ** UNIT_DIGITS[u]) ?? 's';
  const digits = UNIT_DIGITS[unit];
  const scale = 10 ** digits;
  const rest = ns % scale;
  const whole = (ns - rest) / scale; // exact, unlike Math.floor(ns / scale) near 2^53
  const fraction = String(rest).padStart(digits, '0').replace(/0+$/, '');
  return fraction === '' ? `${whole}${unit}` : `${whole}.${fraction}${unit}`;
}
