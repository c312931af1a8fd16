import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const nslife = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin/nslife.js'), ...args], { cwd: root, encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'nslife-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

/** Bad input: exactly one line on stderr, exit status 2, nothing on stdout, no stack trace. */
function expectInputError(r: ReturnType<typeof nslife>, line: RegExp): void {
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(line);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('nslife CLI: bad input', () => {
  it('an output path that cannot be written is refused before any work (run, calibrate)', () => {
    const trace = join(root, 'test/fixtures/traces/seed-0ms-1.jsonl');
    expectInputError(
      nslife('run', join(root, 'examples/seed.nsl'), '-o', join(dir, 'none/x.jsonl')),
      /^nslife run: field -o: expected a trace file in an existing directory, found ".*none\/x\.jsonl" \(no directory/,
    );
    expectInputError(
      nslife('calibrate', trace, '-o', dir),
      /^nslife calibrate: field -o: expected a profile file in an existing directory, found the directory/,
    );
  });

  it('a negative number after an option that takes a value is its value (--seed -5)', () => {
    const r = nslife('run', join(root, 'examples/seed.nsl'), '--seed', '-5', '-q');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/seed -5 \(replay: .* --seed -5\)/);
  });

  it('a reader that stops early (| head) ends the output quietly', () => {
    const r = spawnSync(
      'sh',
      ['-c', `"${process.execPath}" bin/nslife.js run examples/seed.nsl --seed 1 | head -c 10`],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a scenario with a typo: file:line:col and what was expected', () => {
    const f = file('typo.nsl', 'task main\nmain: unshare user\nmain: unshare nett\n');
    expectInputError(nslife('run', f), /typo\.nsl:3:15: expected a namespace type .*found "nett"/);
  });

  it('a trace with a malformed step: file:line and the field', () => {
    const good = readFileSync(join(root, 'test/fixtures/traces/seed-0ms-1.jsonl'), 'utf8').split('\n');
    good[2] = good[2]!.replace(/"type":"net"/, '"type":"bogus"');
    expectInputError(
      nslife('check', file('bad.jsonl', good.join('\n'))),
      /bad\.jsonl:3:1: expected field .*found "bogus"/,
    );
  });

  it('options: unknown option, bad numbers, unknown profile, missing -o', () => {
    expectInputError(nslife('run', 'examples/seed.nsl', '--bogus'), /^nslife run: field options: .*'--bogus'/);
    expectInputError(nslife('run', 'examples/seed.nsl', '--seed', 'abc'), /field --seed: expected an integer/);
    expectInputError(
      nslife('check', 'test/fixtures/traces/seed-0ms-1.jsonl', '--max-candidates', '0'),
      /--max-candidates/,
    );
    expectInputError(
      nslife('run', 'examples/seed.nsl', '--profile', 'nope'),
      /field --profile: expected a profile name/,
    );
    expectInputError(nslife('probe', 'examples/seed.nsl'), /field -o/);
    expectInputError(nslife('frob'), /unknown command "frob"/);
  });

  it('writes nothing over an existing output when the input is bad', () => {
    const out = file('keep.jsonl', 'precious\n');
    nslife('run', file('bad.nsl', 'task main\nmain: frob\n'), '-o', out);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
  });
});

describe('nslife CLI: runs', () => {
  it('run prints its seed and replays exactly', () => {
    const a = nslife('run', 'examples/seed.nsl', '--set', 'delay=0ms', '--seed', '5');
    const b = nslife('run', 'examples/seed.nsl', '--set', 'delay=0ms', '--seed', '5');
    expect(a.status).toBe(0);
    expect(a.stdout).toContain('seed 5');
    expect(a.stdout).toBe(b.stdout);
  });

  it('run -o writes a trace that check admits; check exits 1 on a rejection', () => {
    const out = join(dir, 'model.jsonl');
    expect(nslife('run', 'examples/fast-pileup.nsl', '--seed', '3', '-o', out, '-q').status).toBe(0);
    expect(nslife('check', out, '--json').stdout).toContain('"outcome":"admitted"');
    // the same trace, but a namespace that still has references reported released
    const records = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; refs?: { held: boolean }[] });
    const step = records.find((r) => r.type === 'step' && r.refs?.some((x) => x.held))!;
    step.refs!.find((x) => x.held)!.held = false;
    const lines = records.map((r) => JSON.stringify(r));
    const r = nslife('check', file('altered.jsonl', lines.join('\n')));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('REJECTED');
  });

  it('demo --recorded explains every recorded seed trace (exit 0)', () => {
    const r = nslife('demo', '--recorded', '--seed', '1');
    expect(r.stdout).toContain('recorded traces');
    expect(r.stdout).not.toContain('REJECTED');
    expect(r.status).toBe(0);
  });
});
