import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { simulate } from '../../src/engine/simulate.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { evaluateExpectations } from '../../src/trace/expectations.ts';

// Every example is a test: it runs on the model (several seeds) with all its expectations
// holding (and on the live kernel: test/live/examples.test.ts).
const dir = join(import.meta.dirname, '../../examples');
const examples = readdirSync(dir).filter((f) => f.endsWith('.nsl'));
const load = (f: string) => parseScenario(readFileSync(join(dir, f), 'utf8'), `examples/${f}`);

describe('examples on the model', () => {
  for (const f of examples) {
    it(`${f}: every expectation holds (seeds 1-5)`, () => {
      const s = load(f);
      for (let seed = 1; seed <= 5; seed++) {
        const results = evaluateExpectations(s, simulate(s, { profile: linux618, seed }).trace);
        for (const r of results) expect(r.status, `seed ${seed}: ${r.text} (${r.detail})`).toBe('pass');
      }
    });
  }
});
