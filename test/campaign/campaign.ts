/**
 * The differential campaign (issue 5): fast-check generates valid scenarios over every operation
 * and all eight types (test/arbitraries/fullScenario.ts), runs each on the model — whose own trace
 * the checker must admit — and, where the live kernel is available, through the probe, whose
 * trace the checker must admit under the profile of the running kernel. A failure shrinks to a
 * minimal scenario and comes with its seed, its fast-check path and a replay command; it can be
 * saved as a fixture (scenario + trace).
 *
 * Used by `npm run campaign` (scripts/campaign.ts) and by the bounded live campaign in CI
 * (test/campaign/live.campaign.test.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DEFAULT_PROFILE, profileForRelease } from '../../model/profiles/index.ts';
import type { KernelProfile } from '../../model/profile.ts';
import { checkTrace } from '../../src/checker/check.ts';
import type { Verdict } from '../../src/checker/verdict.ts';
import { simulate } from '../../src/engine/simulate.ts';
import { probeAvailable } from '../../src/probe/available.ts';
import { ProbeError, runProbe } from '../../src/probe/driver.ts';
import { renderVerdict } from '../../src/render/verdict.ts';
import type { Scenario } from '../../src/scenario/ast.ts';
import { formatScenario } from '../../src/scenario/format.ts';
import { formatTrace } from '../../src/trace/write.ts';
import { parseTrace } from '../../src/trace/read.ts';
import { fullScenarioArb } from '../arbitraries/fullScenario.ts';

/** Options of a campaign. */
export interface CampaignOptions {
  readonly runs: number;
  readonly seed: number;
  /** fast-check path, to replay one (shrunk) case. */
  readonly path?: string;
  readonly maxSteps?: number;
  /** Run on the live kernel where the probe can (default: yes). */
  readonly live?: boolean;
  /** Trace the reapers through tracefs in probe runs (default: yes). */
  readonly tracefs?: boolean;
  /** Stop generating new scenarios (and shrinking) after this long. */
  readonly timeLimitMs?: number;
  /** Save a failing (shrunk) scenario and its trace here. */
  readonly saveDir?: string;
  /** Called after each scenario. */
  readonly progress?: (s: CampaignSummary) => void;
}

/** What a campaign did. */
export interface CampaignSummary {
  runs: number;
  live: boolean;
  /** Why live runs were not made (no probe, ...), when they were not. */
  liveSkipped: string | null;
  modelAdmitted: number;
  kernelAdmitted: number;
  kernelRejected: number;
  kernelUndecided: number;
  /** Probe runs that could not be made, by reason. */
  skipped: Record<string, number>;
  /** Operations run on the kernel, by kind. */
  operations: Record<string, number>;
  failure: null | {
    readonly seed: number;
    readonly path: string;
    readonly scenario: string;
    readonly why: string;
    readonly replay: string;
    readonly saved: string | null;
  };
}

/** A verdict that is not admitted, as a thrown error (fast-check shrinks on it). */
class NotAdmitted extends Error {
  constructor(
    readonly where: 'model' | 'kernel',
    readonly verdict: Verdict,
    readonly trace: string,
    readonly profile: KernelProfile,
  ) {
    super(`${where} trace ${verdict.outcome} under ${profile.name}:\n${renderVerdict(verdict, 'ordering')}`);
  }
}

/** Runs a campaign. Resolves with its summary; a failure is in `summary.failure`. */
export async function runCampaign(opts: CampaignOptions): Promise<CampaignSummary> {
  const avail = opts.live === false ? { ok: false as const, why: 'live runs off (--model-only)' } : probeAvailable();
  const live = avail.ok;
  const kernelProfile: KernelProfile = live ? (profileForRelease(release()) ?? DEFAULT_PROFILE) : DEFAULT_PROFILE;
  const summary: CampaignSummary = {
    runs: 0,
    live,
    liveSkipped: avail.ok ? null : avail.why,
    modelAdmitted: 0,
    kernelAdmitted: 0,
    kernelRejected: 0,
    kernelUndecided: 0,
    skipped: {},
    operations: {},
    failure: null,
  };
  let last: { scenario: Scenario; trace: string } | null = null;
  const property = fc.asyncProperty(fullScenarioArb({ maxSteps: opts.maxSteps ?? 30 }), async (scenario) => {
    summary.runs++;
    // The model: its own trace must be admitted (engine and checker agree).
    const run = simulate(scenario, { profile: kernelProfile, seed: summary.runs });
    const mv = checkTrace(run.trace, { profile: kernelProfile });
    if (mv.outcome === 'rejected') throw new NotAdmitted('model', mv, formatTrace(run.trace), kernelProfile);
    if (mv.outcome === 'admitted') summary.modelAdmitted++;
    if (live) {
      let text: string;
      try {
        text = await runProbe(scenario, { tracefs: opts.tracefs ?? true, timeoutMs: 120_000 });
      } catch (e) {
        if (!(e instanceof ProbeError)) throw e;
        const reason = e.message.split('\n')[0] ?? 'probe error';
        summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
        opts.progress?.(summary);
        return;
      }
      for (const s of scenario.steps) summary.operations[s.kind] = (summary.operations[s.kind] ?? 0) + 1;
      last = { scenario, trace: text };
      const trace = parseTrace(text, '<probe>');
      const v = checkTrace(trace, { profile: kernelProfile });
      if (v.outcome === 'admitted') summary.kernelAdmitted++;
      else if (v.outcome === 'undecided') summary.kernelUndecided++;
      else {
        summary.kernelRejected++;
        throw new NotAdmitted('kernel', v, text, kernelProfile);
      }
    }
    opts.progress?.(summary);
  });
  const details = await fc.check(property, {
    numRuns: opts.runs,
    seed: opts.seed,
    ...(opts.path !== undefined ? { path: opts.path } : {}),
    ...(opts.timeLimitMs !== undefined ? { interruptAfterTimeLimit: opts.timeLimitMs } : {}),
    endOnFailure: opts.path !== undefined,
  });
  if (details.failed && details.counterexample) {
    const [scenario] = details.counterexample;
    const err = details.errorInstance;
    const why = err instanceof Error ? err.message : String(err);
    const path = details.counterexamplePath ?? '';
    let saved: string | null = null;
    if (opts.saveDir) {
      mkdirSync(opts.saveDir, { recursive: true });
      const base = join(opts.saveDir, `campaign-${opts.seed}`);
      writeFileSync(`${base}.nsl`, formatScenario({ ...scenario, name: `campaign-${opts.seed}` }));
      const trace = err instanceof NotAdmitted ? err.trace : (last as { trace: string } | null)?.trace;
      if (trace) writeFileSync(`${base}.jsonl`, trace);
      saved = `${base}.nsl`;
    }
    summary.failure = {
      seed: opts.seed,
      path,
      scenario: formatScenario(scenario),
      why,
      replay: `npm run campaign -- --runs 1 --seed ${opts.seed} --path ${path}${opts.live === false ? ' --model-only' : ''}`,
      saved,
    };
  }
  return summary;
}

/** The summary in words. */
export function renderSummary(s: CampaignSummary): string {
  const lines = [
    `scenarios run: ${s.runs}; model traces admitted: ${s.modelAdmitted}`,
    s.live
      ? `kernel: admitted ${s.kernelAdmitted}, rejected ${s.kernelRejected}, undecided ${s.kernelUndecided}`
      : `kernel: not run (${s.liveSkipped})`,
  ];
  const skipped = Object.entries(s.skipped);
  if (skipped.length > 0) lines.push(`skipped probe runs: ${skipped.map(([r, n]) => `${n} × ${r}`).join('; ')}`);
  const ops = Object.entries(s.operations).sort((a, b) => b[1] - a[1]);
  if (ops.length > 0) lines.push(`operations run on the kernel: ${ops.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (s.failure) {
    lines.push(
      `FAILED (seed ${s.failure.seed}, path ${s.failure.path}): ${s.failure.why}`,
      `minimal scenario:\n${s.failure.scenario}`,
      `replay: ${s.failure.replay}`,
    );
    if (s.failure.saved) lines.push(`saved: ${s.failure.saved} (and its trace next to it)`);
  }
  return lines.join('\n');
}
