/**
 * Records live kernel traces into test/fixtures/traces/<name>-<variant>-<k>.jsonl with the
 * native probe: `npm run traces:record -- [--runs N] [--only FILE,...] [--no-tracefs]
 * [--no-proc-net]` (build the probe first: `npm run build:probe`). Each group of variants has its
 * own number of runs; `--runs N` sets them all. The order is fixed (group, variant, run), runs
 * are serialised by the probe itself, and each one ends after the namespaces it made are freed,
 * so runs do not disturb each other. Other live work on the machine does (anything that creates
 * namespaces or /proc entries, and CPU load changes the reaper timing): record on a quiet
 * machine, and re-record a run that was disturbed with `--only seed-500ms-3` (names without
 * `.jsonl`).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/cli/root.ts';
import { probeAvailable, runProbe } from '../src/probe/driver.ts';
import { parseScenario } from '../src/scenario/parse.ts';
import { parseTrace } from '../src/trace/read.ts';
import type { NsObservation } from '../src/trace/format.ts';

/** What is recorded: a scenario file (from the package root), its variants' parameters, runs each. */
const RECORDINGS: readonly {
  name: string;
  file: string;
  runs: number;
  variants: readonly { label: string; params: Readonly<Record<string, string>> }[];
}[] = [
  {
    // The seed question: slow (500 ms), fast (10 ms) and back to back (0 ms).
    name: 'seed',
    file: 'examples/seed.nsl',
    runs: 5,
    variants: ['500ms', '10ms', '0ms'].map((delay) => ({ label: delay, params: { delay } })),
  },
  {
    // Where between fast and slow the reuse pattern changes (cleanup_net takes tens of ms here).
    name: 'seed',
    file: 'examples/seed.nsl',
    runs: 2,
    variants: ['1ms', '2ms', '5ms', '20ms', '50ms', '100ms', '200ms'].map((delay) => ({
      label: delay,
      params: { delay },
    })),
  },
];

/** `a..b` runs of a `proc` field, e.g. `179..242,372..373`. */
function procRuns(o: NsObservation): string {
  const p = o.proc ?? [];
  const runs: string[] = [];
  for (let i = 0; i + 1 < p.length; i += 2) runs.push(p[i] === p[i + 1] ? `${p[i]}` : `${p[i]}..${p[i + 1]}`);
  return runs.join(',') || '-';
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      only: { type: 'string' },
      'no-tracefs': { type: 'boolean' },
      'no-proc-net': { type: 'boolean' },
    },
  });
  const runsOverride = values.runs === undefined ? undefined : Number(values.runs);
  if (runsOverride !== undefined && (!Number.isSafeInteger(runsOverride) || runsOverride < 1 || runsOverride > 100)) {
    process.stderr.write(`record-traces: --runs: expected a whole number in 1..100, found "${values.runs}"\n`);
    return 2;
  }
  const only = values.only === undefined ? undefined : new Set(values.only.split(',').filter((n) => n !== ''));
  const all = new Set(
    RECORDINGS.flatMap((r) =>
      r.variants.flatMap((v) =>
        Array.from({ length: runsOverride ?? r.runs }, (_, i) => `${r.name}-${v.label}-${i + 1}`),
      ),
    ),
  );
  const unknown = [...(only ?? [])].filter((n) => !all.has(n));
  if (unknown.length > 0) {
    process.stderr.write(
      `record-traces: --only: expected recording names such as seed-500ms-1, found "${unknown[0]}"\n`,
    );
    return 2;
  }
  const avail = probeAvailable();
  if (!avail.ok) {
    process.stderr.write(`record-traces: cannot run the probe here: ${avail.why}\n`);
    return 2;
  }
  const dir = join(PACKAGE_ROOT, 'test/fixtures/traces');
  mkdirSync(dir, { recursive: true });
  for (const recording of RECORDINGS) {
    const text = readFileSync(join(PACKAGE_ROOT, recording.file), 'utf8');
    const runs = runsOverride ?? recording.runs;
    for (const { label, params } of recording.variants) {
      const scenario = parseScenario(text, recording.file, params);
      for (let k = 1; k <= runs; k++) {
        if (only !== undefined && !only.has(`${recording.name}-${label}-${k}`)) continue;
        const file = join(dir, `${recording.name}-${label}-${k}.jsonl`);
        const trace = parseTrace(
          await runProbe(scenario, {
            outFile: file,
            tracefs: !values['no-tracefs'],
            procNet: !values['no-proc-net'],
          }),
          file,
        );
        const nets = trace.steps.filter((s) => s.op === 'unshare').flatMap((s) => s.ns.filter((o) => o.type === 'net'));
        const events = trace.events.filter((e) => e.fn === 'cleanup_net').length;
        const notes = trace.end?.notes?.length ? `; notes: ${trace.end.notes.join(' | ')}` : '';
        process.stdout.write(
          `${relative(process.cwd(), file)}: netns ${nets.map((o) => `${o.inode} [${procRuns(o)}]`).join(' ')}; ` +
            `${events} cleanup_net events${notes}\n`,
        );
      }
    }
  }
  return 0;
}

process.exitCode = await main();
