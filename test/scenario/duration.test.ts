import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, readDuration } from '../../src/scenario/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['0ns', 0],
    ['0ms', 0],
    ['7ns', 7],
    ['10us', 10_000],
    ['500ms', 500_000_000],
    ['0.5s', 500_000_000],
    ['0.3s', 300_000_000],
    ['1.5us', 1_500],
    ['2.000s', 2_000_000_000],
    ['0.000000001s', 1],
    ['007ms', 7_000_000],
  ])('%s is %d ns', (text, ns) => {
    expect(parseDuration(text)).toBe(ns);
  });

  it.each(['', '5', '5x', '5 ms', '-1ms', '.5s', '5.ms', '1e3ns', '5MS', '$delay', '1,5s'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(
      `expected a duration such as 500ms, 0.5s, 10us or 0ns, found ${JSON.stringify(text)}`,
    );
  });

  it('rejects fractions of a nanosecond', () => {
    expect(readDuration('0.5ns')).toEqual({ ok: false, expected: 'a duration that is a whole number of nanoseconds' });
    expect(readDuration('1.0001us')).toEqual({
      ok: false,
      expected: 'a duration that is a whole number of nanoseconds',
    });
    expect(readDuration('1.0000us')).toEqual({ ok: true, ns: 1000 });
  });

  it('rejects durations past 2^53 ns', () => {
    expect(readDuration('9007199254740991ns')).toEqual({ ok: true, ns: Number.MAX_SAFE_INTEGER });
    expect(readDuration('9007199254740992ns').ok).toBe(false);
    expect(readDuration('10000000s').ok).toBe(false);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [1, '1ns'],
    [999, '999ns'],
    [1_000, '1us'],
    [1_500, '1.5us'],
    [500_000_000, '500ms'],
    [1_500_000_000, '1.5s'],
    [60_000_000_001, '60.000000001s'],
  ])('%d ns is %s', (ns, text) => {
    expect(formatDuration(ns)).toBe(text);
  });

  it.each([-1, 0.5, Number.NaN, 2 ** 53])('rejects %d', (ns) => {
    expect(() => formatDuration(ns)).toThrow(RangeError);
  });

  test.prop([fc.maxSafeNat()])('parseDuration reads back what formatDuration writes', (ns) => {
    expect(parseDuration(formatDuration(ns))).toBe(ns);
  });

  test.prop([fc.maxSafeNat()])('formatDuration is exact near 2^53', (ns) => {
    const big = Number.MAX_SAFE_INTEGER - (ns % 1_000_000_000);
    expect(parseDuration(formatDuration(big))).toBe(big);
  });
});
