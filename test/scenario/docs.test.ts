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
const [example = ''] = blocks('nsl');
const [errors = ''] = blocks('text');

/** The example with line `n` (1-based) replaced; `undefined` drops it. */
function edit(n: number, line: string | undefined): string {
  const all = example.split('\n');
  all.splice(n - 1, 1, ...(line === undefined ? [] : [line]));
  return all.join('\n');
}

describe('docs/scenario-language.md', () => {
  it('has an example that parses', () => {
    const s = parseScenario(example, 'seed.nsl');
    expect(s.steps).toHaveLength(2 + 4 * 3 + 1);
  });

  it('has a TypeScript example that runs and builds the same scenario', () => {
    // The doc's snippet itself, run against the package entry ('nslife'), printing what it built.
    const [code = ''] = blocks('ts');
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const file = join(root, `.doc-snippet-${process.pid}.ts`);
    writeFileSync(file, `${code}\nconsole.log(JSON.stringify(seed));\n`);
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const built = JSON.parse(r.stdout) as Scenario;
      expect({ ...withoutPos(built), file: '' }).toEqual({
        ...withoutPos(parseScenario(example, 'seed.nsl')),
        file: '',
      });
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('shows the errors the parser really gives', () => {
    const shown = errors.trim().split('\n');
    expect(example.split('\n')[8]).toBe('  main: unshare net');
    expect(example.split('\n')[11]).toBe('}');
    expectInputError(() => parseScenario(edit(9, '  main: unshare nett'), 'seed.nsl'), shown[0] ?? '');
    expectInputError(() => parseScenario(edit(12, undefined), 'seed.nsl'), shown[1] ?? '');
    expectInputError(() => parseScenario(edit(10, '  main: read net as trash$j'), 'seed.nsl'), shown[2] ?? '');
    expectInputError(() => parseScenario(example, 'seed.nsl', { dealy: '0ms' }), shown[3] ?? '');
    expect(shown).toHaveLength(4);
  });
});
