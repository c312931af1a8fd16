/**
 * The campaign on the model alone (every machine): generated scenarios over every operation and
 * type; the checker must admit each model trace under the profile it was made with.
 */
import { describe, expect, it } from 'vitest';
import { renderSummary, runCampaign } from './campaign.ts';

describe('model campaign', () => {
  it('300 generated scenarios: every model trace is admitted (seed 20261203)', async () => {
    const s = await runCampaign({ runs: 300, seed: 20261203, live: false });
    expect(s.failure, renderSummary(s)).toBeNull();
    expect(s.modelAdmitted).toBe(300);
  });
});
