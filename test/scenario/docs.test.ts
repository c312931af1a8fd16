import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../src/scenario/ast.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { expectInputError, withoutPos } from './support.ts';

const doc = readFileSync(new URL('../../docs/scenario-language.md', import.meta.url), 'utf8');
const blocks = (lang: string) =>
  [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] ?? '');
const [example = '', operations = ''] = blocks('nsl');
const [seedSnippet = '', operationsSnippet = ''] = blocks('ts');
const [errors = '', operationErrors = ''] = blocks('text');

/** `text` with line `n` (1-based) replaced; `undefined` drops it. */
function edit(text: string, n: number, line: string | undefined): string {
  const all = text.split('\n');
  all.splice(n - 1, 1, ...(line === undefined ? [] : [line]));
  return all.join('\n');
}

/** `text` with `from` replaced by `to` on line `n`, which must have it. */
function replaceOn(text: string, n: number, from: string, to: string): string {
  const line = text.split('\n')[n - 1] ?? '';
  expect(line).toContain(from);
  return edit(text, n, line.replace(from, to));
}

/** Runs a TypeScript snippet of the doc against the package entry ('nslife'); what `name` built. */
function runSnippet(code: string, name: string): Scenario {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const file = join(root, `.doc-snippet-${process.pid}.ts`);
  writeFileSync(file, `${code}\nconsole.log(JSON.stringify(${name}));\n`);
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as Scenario;
  } finally {
    rmSync(file, { force: true });
  }
}

const same = (built: Scenario, parsed: Scenario) =>
  expect({ ...withoutPos(built), file: '' }).toEqual({ ...withoutPos(parsed), file: '' });

describe('docs/scenario-language.md', () => {
  it('has an example that parses', () => {
    const s = parseScenario(example, 'seed.nsl');
    expect(s.steps).toHaveLength(2 + 4 * 3 + 1);
  });

  it('has a TypeScript example that runs and builds the same scenario', () => {
    same(runSnippet(seedSnippet, 'seed'), parseScenario(example, 'seed.nsl'));
  });

  it('shows the errors the parser really gives', () => {
    const shown = errors.trim().split('\n');
    expect(example.split('\n')[8]).toBe('  main: unshare net');
    expect(example.split('\n')[11]).toBe('}');
    expectInputError(() => parseScenario(edit(example, 9, '  main: unshare nett'), 'seed.nsl'), shown[0] ?? '');
    expectInputError(() => parseScenario(edit(example, 12, undefined), 'seed.nsl'), shown[1] ?? '');
    expectInputError(() => parseScenario(edit(example, 10, '  main: read net as trash$j'), 'seed.nsl'), shown[2] ?? '');
    expectInputError(() => parseScenario(example, 'seed.nsl', { dealy: '0ms' }), shown[3] ?? '');
    expect(shown).toHaveLength(4);
  });

  it('has one example of every operation, in a scenario that parses', () => {
    const s = parseScenario(operations, 'every-operation.nsl');
    const kinds = new Set(s.steps.map((step) => step.kind));
    expect([...kinds].sort()).toEqual(
      [
        'unshare',
        'fork',
        'thread',
        'setns',
        'open',
        'ioctl',
        'close',
        'bind',
        'umount',
        'mount-proc',
        'socket',
        'pidfd',
        'shmat',
        'shmdt',
        'exec',
        'exit',
        'wait',
        'set-limit',
        'read',
        'next-inode',
        'expect',
      ].sort(),
    );
  });

  it('builds the scenario of every operation in TypeScript exactly as its text parses', () => {
    same(runSnippet(operationsSnippet, 'ops'), parseScenario(operations, 'every-operation.nsl'));
  });

  it('shows the errors the parser really gives for the scenario of every operation', () => {
    const shown = operationErrors.trim().split('\n');
    const parse = (text: string) => () => parseScenario(text, 'every-operation.nsl');
    expectInputError(parse(replaceOn(operations, 11, 'setns netfd', 'setns netdf')), shown[0] ?? '');
    expectInputError(parse(replaceOn(operations, 25, 'main: wait child', 'child: read net')), shown[1] ?? '');
    expectInputError(parse(replaceOn(operations, 12, ' /run/netns/a', ' run/netns/a')), shown[2] ?? '');
    expectInputError(
      parse(replaceOn(operations, 28, 'expect other-inode free kids', 'expect free held')),
      shown[3] ?? '',
    );
    expect(shown).toHaveLength(4);
  });
});
