/**
 * Records live kernel traces into test/fixtures/traces/<name>-<variant>-<k>.jsonl with the
 * native probe: `npm run traces:record -- [--runs N] [--no-tracefs]` (build the probe first:
 * `npm run build:probe`). Runs are serialised by the probe itself; each one ends after the
 * namespaces it made are freed, so runs do not disturb each other.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/cli/root.ts';
import { probeAvailable, runProbe } from '../src/probe/driver.ts';
import { parseScenario } from '../src/scenario/parse.ts';
import { parseTrace } from '../src/trace/read.ts';

/** What is recorded: a scenario file (from the package root) and its variants' parameters. */
const RECORDINGS: readonly {
  name: string;
  file: string;
  variants: readonly { label: string; params: Readonly<Record<string, string>> }[];
}[] = [
  {
    name: 'seed',
    file: 'examples/seed.nsl',
    variants: ['500ms', '10ms', '0ms'].map((delay) => ({ label: delay, params: { delay } })),
  },
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '3' }, 'no-tracefs': { type: 'boolean' } },
  });
  const runs = Number(values.runs);
  if (!Number.isSafeInteger(runs) || runs < 1 || runs > 100) {
    process.stderr.write(`record-traces: --runs: expected a whole number in 1..100, found "${values.runs}"\n`);
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
    for (const { label, params } of recording.variants) {
      const scenario = parseScenario(text, recording.file, params);
      for (let k = 1; k <= runs; k++) {
        const file = join(dir, `${recording.name}-${label}-${k}.jsonl`);
        const trace = parseTrace(await runProbe(scenario, { outFile: file, tracefs: !values['no-tracefs'] }), file);
        const nets = trace.steps.filter((s) => s.op === 'unshare').flatMap((s) => s.ns.filter((o) => o.type === 'net'));
        const events = trace.events.filter((e) => e.fn === 'cleanup_net').length;
        process.stdout.write(
          `${relative(process.cwd(), file)}: netns inodes ${nets.map((o) => o.inode).join(' ')}; ${events} cleanup_net events\n`,
        );
      }
    }
  }
  return 0;
}

process.exitCode = await main();
