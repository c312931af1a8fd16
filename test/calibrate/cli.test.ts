import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseProfile } from '../../model/profiles/load.ts';

const root = join(import.meta.dirname, '../..');
const nslife = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin/nslife.js'), ...args], { cwd: root, encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'nslife-calibrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const seedTraces = readdirSync(join(root, 'test/fixtures/traces'))
  .filter((f) => f.startsWith('seed-'))
  .map((f) => `test/fixtures/traces/${f}`);

/** Bad input: exactly one line on stderr, exit status 2, nothing on stdout, no stack trace. */
function expectInputError(r: ReturnType<typeof nslife>, line: RegExp): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(line);
}

describe('nslife calibrate', () => {
  const out = join(dir, 'calibrated.json');
  const r = nslife('calibrate', ...seedTraces, '-o', out);

  it('prints the fitted parameters (n, min, median, max, chosen) and the file written', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^nslife calibrate — 29 kernel trace\(s\) \(6\.18\.44-fc-v1147\), base linux-6\.18/);
    expect(r.stdout).toMatch(/parameter\s+n\s+min\s+median\s+max\s+chosen/);
    expect(r.stdout).toMatch(/inodes\.netProcEntries\s+116\s+64\s+64\s+64\s+64\n/);
    expect(r.stdout).toMatch(/inodes\.netDeviceProcEntries\s+19\s+1\s+1\s+53\s+1\n/);
    expect(r.stdout).toMatch(/latency\.netnsStart\s+70\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\.\.[\d.]+\n/);
    expect(r.stdout).toMatch(/latency\.credPut\s+-\s+0\.100\.\.80\.000 \(base\)/);
    expect(r.stdout).toContain('kept from the base profile:\n  latency.workqueue: no free_user_ns');
    expect(r.stdout).toContain(`profile linux-6.18-calibrated written to ${out}`);
  });

  it('writes a profile file that reads back, with the traces it came from', () => {
    const text = readFileSync(out, 'utf8');
    const p = parseProfile(text, out);
    expect(p.name).toBe('linux-6.18-calibrated');
    expect(p.inodes.netProcEntries).toBe(64);
    const file = JSON.parse(text) as { calibratedFrom: string[]; fitted: unknown[] };
    expect(file.calibratedFrom).toEqual(seedTraces);
    expect(file.fitted.length).toBeGreaterThan(20);
  });

  it('run, check and demo take --profile FILE.json', () => {
    const run = nslife('run', 'examples/seed.nsl', '--profile', out, '--seed', '1', '--set', 'delay=0ms', '-q');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('profile linux-6.18-calibrated, seed 1');
    const check = nslife('check', 'test/fixtures/traces/seed-10ms-2.jsonl', '--profile', out, '--strict', 'timed');
    expect(check.stdout).toContain('under linux-6.18-calibrated: admitted (timed)');
    expect(check.status).toBe(0);
    const demo = nslife('demo', '--recorded', '--profile', out, '--seed', '1');
    expect(demo.stdout).toContain('model: profile linux-6.18-calibrated, seed 1');
    expect(demo.status).toBe(0);
  });

  it('a bad profile file: one line, file:line:col or the field, status 2', () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{\n  "name": "x",\n  oops\n}\n');
    expectInputError(
      nslife('run', 'examples/seed.nsl', '--profile', broken),
      /broken\.json:3:3: expected a JSON kernel profile/,
    );
    const p = JSON.parse(readFileSync(out, 'utf8')) as { latency: { netnsExit: { min: number } } };
    p.latency.netnsExit.min = -3;
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(p));
    expectInputError(
      nslife('check', 'test/fixtures/traces/seed-0ms-1.jsonl', '--profile', bad),
      /bad\.json: field latency\.netnsExit\.min: expected an integer ≥ 0, found -3$/,
    );
    expectInputError(
      nslife('demo', '--recorded', '--profile', join(dir, 'missing.json')),
      /missing\.json:1:1: expected a readable file, found ENOENT/,
    );
    expectInputError(
      nslife('run', 'examples/seed.nsl', '--profile', 'linux-9'),
      /field --profile: expected a profile name .* or a profile file/,
    );
  });

  it('bad input: no traces, no -o, a model trace, an unknown base — and nothing is overwritten', () => {
    const keep = join(dir, 'keep.json');
    writeFileSync(keep, 'precious\n');
    expectInputError(
      nslife('calibrate', '-o', keep),
      /field arguments: expected one or more kernel trace files, found none/,
    );
    expectInputError(nslife('calibrate', seedTraces[0]!), /field -o: expected an output profile file/);
    const model = join(dir, 'model.jsonl');
    expect(nslife('run', 'examples/seed.nsl', '--seed', '2', '-o', model, '-q').status).toBe(0);
    expectInputError(
      nslife('calibrate', model, '-o', keep),
      /model\.jsonl: field header\.source: expected a kernel trace .*found "model"/,
    );
    expectInputError(
      nslife('calibrate', seedTraces[0]!, '-o', keep, '--base', 'linux-9'),
      /field --profile: expected a profile name/,
    );
    expect(readFileSync(keep, 'utf8')).toBe('precious\n');
  });

  it('--base takes a profile name or file', () => {
    const again = join(dir, 'again.json');
    const r2 = nslife('calibrate', 'test/fixtures/traces/seed-500ms-1.jsonl', '-o', again, '--base', out);
    expect(r2.status).toBe(0);
    expect(r2.stdout).toContain('base linux-6.18-calibrated');
    // 500 ms alone cannot tell the device entries: kept from the base (the first calibration's 1)
    expect(r2.stdout).toMatch(/inodes\.netDeviceProcEntries\s+-\s+1 \(base\)/);
    expect(parseProfile(readFileSync(again, 'utf8'), again).name).toBe('linux-6.18-calibrated-calibrated');
  });
});
