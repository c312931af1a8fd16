/**
 * n, min, median, max of a sample (durations in ns, or counts).
 *
 * @internal
 */
export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

/** The summary of `xs`, or null when it is empty. The median of an even count is the lower middle one. @internal */
export function summarize(xs: readonly number[]): Summary | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, min: s[0]!, median: s[(s.length - 1) >> 1]!, max: s[s.length - 1]! };
}

/** The most common value (the smallest among equally common ones), or null. @internal */
export function mode(xs: readonly number[]): number | null {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best: number | null = null;
  let bestCount = 0;
  for (const [x, c] of [...counts].sort((a, b) => a[0] - b[0])) {
    if (c > bestCount) {
      best = x;
      bestCount = c;
    }
  }
  return best;
}
