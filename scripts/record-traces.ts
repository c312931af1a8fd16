/**
 * Records live kernel traces into test/fixtures/traces with the native probe:
 * `npm run traces:record -- [--group seed|catalog] [--runs N] [--only NAME,...] [--no-tracefs]
 * [--no-proc-net]` (build the probe first: `npm run build:probe`).
 *
 * - `seed`: examples/seed.nsl at several delays, into `seed-<delay>-<k>.jsonl`;
 * - `catalog`: every scenario of test/fixtures/scenarios (one per lifetime rule family), three
 *   runs each, into `<scenario file name>-<k>.jsonl`.
 *
 * Each group of variants has its own number of runs; `--runs N` sets them all. The order is
 * fixed (group, variant, run), runs are serialised by the probe itself, and each one ends after
 * the namespaces it made are freed, so runs do not disturb each other. Other live work on the
 * machine does (anything that creates namespaces or /proc entries, and CPU load changes the
 * reaper timing): record on a quiet machine, and re-record a run that was disturbed with
 * `--only seed-500ms-3` or `--only fd-keeps-netns-2` (names without `.jsonl`).
 */
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/cli/root.ts';
import { probeAvailable, runProbe } from '../src/probe/driver.ts';
import { parseScenario } from '../src/scenario/parse.ts';
import { evaluateExpectations } from '../src/trace/expectations.ts';
import { parseTrace } from '../src/trace/read.ts';
import type { NsObservation, Trace } from '../src/trace/format.ts';

interface Recording {
  readonly group: 'seed' | 'catalog';
  readonly name: string;
  /** Scenario file, from the package root. */
  readonly file: string;
  readonly runs: number;
  /** A variant's label goes into the trace names (`seed-500ms-1`); an empty label adds nothing. */
  readonly variants: readonly { label: string; params: Readonly<Record<string, string>> }[];
}

const CATALOG_DIR = 'test/fixtures/scenarios';

/** What is recorded: a scenario file, its variants' parameters, runs each. */
const RECORDINGS: readonly Recording[] = [
  {
    // The seed question: slow (500 ms), fast (10 ms) and back to back (0 ms).
    group: 'seed',
    name: 'seed',
    file: 'examples/seed.nsl',
    runs: 5,
    variants: ['500ms', '10ms', '0ms'].map((delay) => ({ label: delay, params: { delay } })),
  },
  {
    // Where between fast and slow the reuse pattern changes (cleanup_net takes tens of ms here).
    group: 'seed',
    name: 'seed',
    file: 'examples/seed.nsl',
    runs: 2,
    variants: ['1ms', '2ms', '5ms', '20ms', '50ms', '100ms', '200ms'].map((delay) => ({
      label: delay,
      params: { delay },
    })),
  },
  // The catalog: one scenario per lifetime rule family, with its default parameters.
  ...readdirSync(join(PACKAGE_ROOT, CATALOG_DIR))
    .filter((f) => f.endsWith('.nsl'))
    .sort()
    .map((f): Recording => ({
      group: 'catalog',
      name: basename(f, '.nsl'),
      file: `${CATALOG_DIR}/${f}`,
      runs: 3,
      variants: [{ label: '', params: {} }],
    })),
];

const recordingName = (r: Recording, label: string, k: number): string =>
  label === '' ? `${r.name}-${k}` : `${r.name}-${label}-${k}`;

/** `a..b` runs of a `proc` field, e.g. `179..242,372..373`. */
function procRuns(o: NsObservation): string {
  const p = o.proc ?? [];
  const runs: string[] = [];
  for (let i = 0; i + 1 < p.length; i += 2) runs.push(p[i] === p[i + 1] ? `${p[i]}` : `${p[i]}..${p[i + 1]}`);
  return runs.join(',') || '-';
}

/** One line on what a run recorded. */
function summary(r: Recording, trace: Trace, expectations: string): string {
  const notes = trace.end?.notes?.length ? `; notes: ${trace.end.notes.join(' | ')}` : '';
  if (r.group === 'seed') {
    const nets = trace.steps.filter((s) => s.op === 'unshare').flatMap((s) => s.ns.filter((o) => o.type === 'net'));
    const events = trace.events.filter((e) => e.fn === 'cleanup_net').length;
    return `netns ${nets.map((o) => `${o.inode} [${procRuns(o)}]`).join(' ')}; ${events} cleanup_net events${notes}`;
  }
  const failed = trace.steps.filter((s) => s.errno !== null).map((s) => `${s.index} ${s.op} ${s.errno}`);
  return `${trace.steps.length} steps, ${trace.events.length} events; errno: ${failed.join(', ') || 'none'}; expectations: ${expectations}${notes}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      group: { type: 'string' },
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
  if (values.group !== undefined && values.group !== 'seed' && values.group !== 'catalog') {
    process.stderr.write(`record-traces: --group: expected seed or catalog, found "${values.group}"\n`);
    return 2;
  }
  const recordings = RECORDINGS.filter((r) => values.group === undefined || r.group === values.group);
  const only = values.only === undefined ? undefined : new Set(values.only.split(',').filter((n) => n !== ''));
  const all = new Set(
    recordings.flatMap((r) =>
      r.variants.flatMap((v) =>
        Array.from({ length: runsOverride ?? r.runs }, (_, i) => recordingName(r, v.label, i + 1)),
      ),
    ),
  );
  const unknown = [...(only ?? [])].filter((n) => !all.has(n));
  if (unknown.length > 0) {
    process.stderr.write(
      `record-traces: --only: expected recording names such as seed-500ms-1 or fd-keeps-netns-1, found "${unknown[0]}"\n`,
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
  for (const recording of recordings) {
    const text = readFileSync(join(PACKAGE_ROOT, recording.file), 'utf8');
    const runs = runsOverride ?? recording.runs;
    for (const { label, params } of recording.variants) {
      const scenario = parseScenario(text, recording.file, params);
      for (let k = 1; k <= runs; k++) {
        const name = recordingName(recording, label, k);
        if (only !== undefined && !only.has(name)) continue;
        const file = join(dir, `${name}.jsonl`);
        const trace = parseTrace(
          await runProbe(scenario, {
            outFile: file,
            tracefs: !values['no-tracefs'],
            procNet: !values['no-proc-net'],
          }),
          file,
        );
        const results = evaluateExpectations(scenario, trace);
        const pass = results.filter((x) => x.status === 'pass').length;
        const off = results.filter((x) => x.status !== 'pass').map((x) => `${x.status} ${x.text}`);
        const expectations = `${pass}/${results.length} pass${off.length ? ` (${off.join('; ')})` : ''}`;
        process.stdout.write(`${relative(process.cwd(), file)}: ${summary(recording, trace, expectations)}\n`);
      }
    }
  }
  return 0;
}

process.exitCode = await main();
