/**
 * npm run campaign -- [--runs N] [--seed S] [--path P] [--max-steps K] [--model-only]
 *                     [--no-tracefs] [--time-limit-s T] [--save DIR]
 *
 * A differential campaign: generated scenarios on the model and, where the probe can run, on the
 * live kernel; every trace must be admitted by the checker. Prints a progress bar and a summary;
 * exits 1 on a failure (with the minimal scenario, its seed and a replay command), 2 on bad
 * options.
 */
import { parseArgs } from 'node:util';
import { renderSummary, runCampaign, type CampaignSummary } from '../test/campaign/campaign.ts';

function fail(msg: string): never {
  process.stderr.write(`npm run campaign: ${msg}\n`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  values = parseArgs({
    options: {
      runs: { type: 'string' },
      seed: { type: 'string' },
      path: { type: 'string' },
      'max-steps': { type: 'string' },
      'model-only': { type: 'boolean' },
      'no-tracefs': { type: 'boolean' },
      'time-limit-s': { type: 'string' },
      save: { type: 'string' },
    },
    strict: true,
  }).values;
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
const int = (name: string, def: number, min: number, max: number): number => {
  const v = values[name];
  if (v === undefined) return def;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    fail(`--${name}: expected an integer from ${min} to ${max}, found ${JSON.stringify(v)}`);
  return Number(v);
};
const runs = int('runs', 100, 1, 1_000_000);
const seed = int('seed', Math.floor(Math.random() * 0x7fffffff), 0, 0x7fffffff);
const maxSteps = int('max-steps', 30, 1, 200);
const timeLimit = values['time-limit-s'] === undefined ? undefined : int('time-limit-s', 0, 1, 86_400) * 1000;

process.stderr.write(
  `campaign: ${runs} scenario(s), seed ${seed} (replay: npm run campaign -- --runs ${runs} --seed ${seed})\n`,
);
const width = 30;
const bar = (s: CampaignSummary): void => {
  const k = s.live ? ` kernel ok ${s.kernelAdmitted} rejected ${s.kernelRejected} undecided ${s.kernelUndecided}` : '';
  const count = `${s.runs}/${runs} model ok ${s.modelAdmitted}${k}`;
  // Not a terminal (a log, CI): a plain line every 10 runs, counting shrink runs too.
  if (!process.stderr.isTTY) {
    if (s.runs % 10 === 0) process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${count}\n`);
    return;
  }
  const done = Math.min(width, Math.round((s.runs / runs) * width));
  process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${count}`);
};
const summary = await runCampaign({
  runs,
  seed,
  maxSteps,
  live: values['model-only'] !== true,
  tracefs: values['no-tracefs'] !== true,
  progress: bar,
  ...(typeof values.path === 'string' ? { path: values.path } : {}),
  ...(timeLimit !== undefined ? { timeLimitMs: timeLimit } : {}),
  ...(typeof values.save === 'string' ? { saveDir: values.save } : {}),
});
if (process.stderr.isTTY) process.stderr.write('\n');
process.stdout.write(`${renderSummary(summary)}\n`);
process.exit(summary.failure ? 1 : 0);
