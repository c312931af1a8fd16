import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linux618 } from '../../model/profiles/linux-6.18.ts';
import { checkTrace } from '../../src/checker/check.ts';
import { probeAvailable, runProbe } from '../../src/probe/driver.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { evaluateExpectations } from '../../src/trace/expectations.ts';
import { parseTrace } from '../../src/trace/read.ts';

// Every example on the live kernel, where this machine can run the probe: its expectations hold
// and the checker admits the kernel's trace. Live files run one at a time (vitest.config.ts):
// the inode allocator and the netns reaper are global to the machine.
const dir = join(import.meta.dirname, '../../examples');
const examples = readdirSync(dir).filter((f) => f.endsWith('.nsl'));
const load = (f: string) => parseScenario(readFileSync(join(dir, f), 'utf8'), `examples/${f}`);

const live = probeAvailable();
describe.skipIf(!live.ok)(`examples on the live kernel${live.ok ? '' : ` — skipped: ${live.why}`}`, () => {
  for (const f of examples) {
    it(`${f}: every expectation holds and the checker admits the trace`, async () => {
      const s = load(f);
      const trace = parseTrace(await runProbe(s), `<probe ${f}>`);
      for (const r of evaluateExpectations(s, trace)) expect(r.status, `${r.text} (${r.detail})`).toBe('pass');
      // ordering is the sound verdict on a live run; timed ranges can be left under load (the
      // machine runs the other test files meanwhile), which is an anomaly, not a model error.
      const v = checkTrace(trace, { profile: linux618, strictness: 'ordering' });
      expect(v.outcome, JSON.stringify(v)).toBe('admitted');
    });
  }
});
