/**
 * The bounded live campaign CI runs (issue 5): generated scenarios over every operation and all
 * eight types, run on the model and through the probe on this kernel; every trace must be
 * admitted. A failure prints the minimal scenario, its seed and fast-check path, and the replay
 * command; longer campaigns: `npm run campaign -- --runs N --seed S`.
 */
import { describe, expect, it } from 'vitest';
import { probeAvailable } from '../../src/probe/available.ts';
import { renderSummary, runCampaign } from '../campaign/campaign.ts';

const avail = probeAvailable();
const RUNS = Number(process.env.NSLIFE_CAMPAIGN_RUNS ?? 200);
const SEED = Number(process.env.NSLIFE_CAMPAIGN_SEED ?? 20261203);

describe('live campaign', () => {
  (avail.ok ? it : it.skip)(
    avail.ok
      ? `${RUNS} generated scenarios on model and kernel: every trace admitted (seed ${SEED})`
      : `live campaign skipped: ${avail.why}`,
    async () => {
      const s = await runCampaign({ runs: RUNS, seed: SEED, timeLimitMs: 240_000 });
      process.stdout.write(`${renderSummary(s)}\n`);
      expect(s.failure, renderSummary(s)).toBeNull();
      expect(s.kernelRejected).toBe(0);
      expect(s.kernelAdmitted).toBeGreaterThan(0);
    },
    600_000,
  );
});
