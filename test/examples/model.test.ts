import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROFILES } from '../../model/profiles/index.ts';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { MS } from '../../model/time.ts';
import { simulate } from '../../src/engine/simulate.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { evaluateExpectations } from '../../src/trace/expectations.ts';
import { expectDrained, expectInvariants } from '../model/worldInvariants.ts';

// Every example is a test: whatever is in examples/ when the tests run (the folder is read, not
// listed here), on the model with all its expectations holding on the profile it was written for
// (and on the live kernel: test/live/examples.test.ts), and on every profile with the model's
// invariants holding.
const dir = join(import.meta.dirname, '../../examples');
const examples = readdirSync(dir)
  .filter((f) => f.endsWith('.nsl'))
  .sort();
const load = (f: string) => parseScenario(readFileSync(join(dir, f), 'utf8'), `examples/${f}`);

describe('examples on the model', () => {
  it('the folder has examples', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  for (const f of examples) {
    it(`${f}: every expectation holds on linux-6.18 (seeds 1-5)`, () => {
      const s = load(f);
      for (let seed = 1; seed <= 5; seed++) {
        const results = evaluateExpectations(s, simulate(s, { profile: linux618, seed }).trace);
        for (const r of results) expect(r.status, `seed ${seed}: ${r.text} (${r.detail})`).toBe('pass');
      }
    });

    it(`${f}: runs on every profile with the model's invariants holding, then drains`, () => {
      const s = load(f);
      for (const profile of Object.values(PROFILES)) {
        const run = simulate(s, { profile, seed: 1, history: true });
        for (const snap of run.history!)
          expectInvariants(snap.world, profile, `${profile.name}, after step ${snap.step}`);
        expectDrained(simulate(s, { profile, seed: 1, settleNs: 10_000 * MS }).world, profile);
      }
    });
  }
});
