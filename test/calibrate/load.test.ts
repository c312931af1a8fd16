import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROFILES } from '../../model/profiles/index.ts';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { parseProfile } from '../../model/profiles/load.ts';
import { calibrate } from '../../src/calibrate/fit.ts';
import { profileFileText } from '../../src/cli/calibrate.ts';
import { InputError } from '../../src/errors/inputError.ts';
import { parseTrace } from '../../src/trace/read.ts';

const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const line = (e as InputError).format();
    expect(line).not.toContain('\n');
    return line;
  }
  throw new Error('no error');
};
const json = (o: unknown): string => JSON.stringify(o, null, 2);
const edit = (f: (p: Record<string, unknown>) => void): string => {
  const p = JSON.parse(JSON.stringify(linux618)) as Record<string, unknown>;
  f(p);
  return json(p);
};

describe('profile files', () => {
  it('every built-in profile reads back from its JSON unchanged', () => {
    for (const p of Object.values(PROFILES)) expect(parseProfile(json(p), `${p.name}.json`)).toEqual(p);
  });

  it('a calibrated profile file reads back as the calibrated profile (calibratedFrom and the report aside)', () => {
    const dir = join(import.meta.dirname, '../fixtures/traces');
    const files = readdirSync(dir).filter((f) => f.startsWith('seed-500ms-'));
    const cal = calibrate(
      files.map((f) => ({ file: f, trace: parseTrace(readFileSync(join(dir, f), 'utf8'), f) })),
      linux618,
    );
    const text = profileFileText(cal, files);
    const file = JSON.parse(text) as { calibratedFrom: string[]; fitted: { param: string; n: number }[] };
    expect(file.calibratedFrom).toEqual(files);
    expect(file.fitted.find((x) => x.param === 'latency.netnsStart')?.n).toBe(15);
    expect(parseProfile(text, 'p.json')).toEqual(cal.profile);
  });

  it('JSON syntax errors: file:line:col', () => {
    expect(errorOf(() => parseProfile('{\n  "name": "x",\n  oops\n}', 'p.json'))).toMatch(
      /^p\.json:3:3: expected a JSON kernel profile, found "/,
    );
    expect(errorOf(() => parseProfile('', 'empty.json'))).toMatch(/^empty\.json:1:1: expected a JSON kernel profile/);
  });

  it('a bad, missing or unknown field: named, with what was expected', () => {
    expect(
      errorOf(() =>
        parseProfile(
          edit((p) => ((p['latency'] as Record<string, unknown>)['netnsStart'] = { min: 5, max: 4 })),
          'p.json',
        ),
      ),
    ).toBe('p.json: field latency.netnsStart.max: expected at least min (5) — integer nanoseconds, found 4');
    expect(
      errorOf(() =>
        parseProfile(
          edit((p) => delete (p['opDuration'] as Record<string, unknown>)['read']),
          'p.json',
        ),
      ),
    ).toBe('p.json: field opDuration.read: expected a JSON object, found nothing (the field is missing)');
    expect(
      errorOf(() =>
        parseProfile(
          edit((p) => ((p['latency'] as Record<string, unknown>)['netnsStrat'] = { min: 0, max: 1 })),
          'p.json',
        ),
      ),
    ).toMatch(/^p\.json: field latency\.netnsStrat: expected one of the fields netnsStart, .*found "netnsStrat"$/);
    expect(
      errorOf(() =>
        parseProfile(
          edit((p) => ((p['inodes'] as Record<string, unknown>)['netProcEntries'] = -1)),
          'p.json',
        ),
      ),
    ).toBe('p.json: field inodes.netProcEntries: expected an integer ≥ 0, found -1');
    expect(
      errorOf(() =>
        parseProfile(
          edit((p) => ((p['inodes'] as Record<string, unknown>)['netDeviceProcEntries'] = 65)),
          'p.json',
        ),
      ),
    ).toBe('p.json: field inodes.netDeviceProcEntries: expected at most netProcEntries (64), found 65');
    expect(
      errorOf(() =>
        parseProfile(
          edit((p) => (p['pidReaper'] = 'later')),
          'p.json',
        ),
      ),
    ).toBe('p.json: field pidReaper: expected one of "sync", "work", found "later"');
    expect(
      errorOf(() =>
        parseProfile(
          edit((p) => (p['fixedInitInodes'] = ['net', 'nett'])),
          'p.json',
        ),
      ),
    ).toMatch(/^p\.json: field fixedInitInodes\[1\]: expected a namespace type/);
    expect(errorOf(() => parseProfile('[1, 2]', 'p.json'))).toBe(
      'p.json: field profile: expected a JSON object, found [1,2]',
    );
  });
});
