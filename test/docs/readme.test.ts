import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README's snippets are executed: the TypeScript one as a program against the package's
// public entry, the scenario one must be examples/seed.nsl itself.
const root = join(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = (lang: string): string[] =>
  [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] ?? '');

describe('README', () => {
  it('its TypeScript example runs against the public API', () => {
    const [code] = blocks('ts');
    expect(code).toBeDefined();
    const file = join(root, `.readme-snippet-${process.pid}.ts`);
    writeFileSync(
      file,
      `${code}\nif (checkTrace(run.trace, { profile: DEFAULT_PROFILE }).outcome !== 'admitted') process.exit(1);\nif (run.history?.length !== s.steps.length + 2) process.exit(1);\n`,
    );
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('its scenario is examples/seed.nsl', () => {
    const [nsl] = blocks('nsl');
    const seed = readFileSync(join(root, 'examples/seed.nsl'), 'utf8');
    expect(seed).toContain(nsl!.trim());
  });
});
