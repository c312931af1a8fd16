import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README's `why` and `whatif` examples are real output: each block starting with
// `$ nslife why|whatif ...` is run and compared line for line.
const root = join(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const examples = [...readme.matchAll(/```text\n\$ nslife (why|whatif) ([^\n]*)\n([\s\S]*?)```/g)].map((m) => ({
  command: m[1] as string,
  args: words(m[2] as string),
  output: m[3] as string,
}));

/** Shell words: spaces split, single quotes group. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

describe('README: why and whatif examples', () => {
  it('has examples of both commands', () => {
    expect(examples.map((e) => e.command).sort()).toEqual(['whatif', 'why', 'why']);
  });

  for (const e of examples) {
    it(`nslife ${e.command} ${e.args.join(' ')}`, () => {
      const r = spawnSync(process.execPath, [join(root, 'bin/nslife.js'), e.command, ...e.args], {
        cwd: root,
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(e.output);
    });
  }
});
