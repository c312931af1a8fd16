/**
 * Records live kernel traces into test/fixtures/traces/<name>-<variant>-<k>.jsonl with the
 * native probe: `npm run traces:record -- [--runs N] [--no-tracefs]` (build the probe first:
 * `npm run build:probe`). Runs are serialised by the probe itself; each one ends after the
 * namespaces it made are freed, so runs do not disturb each other.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/cli/root.ts';
import { probeAvailable, runProbe } from '../src/probe/driver.ts';
import type { Scenario, SourcePos, Step } from '../src/scenario/ast.ts';
import { parseTrace } from '../src/trace/read.ts';

/**
 * The seed scenario as `parseScenario` makes it from examples/seed.nsl with `delay` set:
 * task main; `unshare user` (line 8); `read net as orig` (9); then 4 times `unshare net` (12),
 * `read net as trash$i` (13), `sleep $delay` (14).
 */
function seedScenario(delay: string, delayNs: number): Scenario {
  const at = (line: number, col: number): SourcePos => ({ file: 'examples/seed.nsl', line, col });
  const steps: Step[] = [
    { kind: 'unshare', task: 'main', types: ['user'], pos: at(8, 1) },
    { kind: 'read', task: 'main', nsType: 'net', as: 'orig', pos: at(9, 1) },
  ];
  for (let i = 1; i <= 4; i++) {
    steps.push(
      { kind: 'unshare', task: 'main', types: ['net'], pos: at(12, 3) },
      { kind: 'read', task: 'main', nsType: 'net', as: `trash${i}`, pos: at(13, 3) },
      { kind: 'sleep', ns: delayNs, pos: at(14, 3) },
    );
  }
  return { name: 'seed', file: 'examples/seed.nsl', tasks: ['main'], params: { delay }, steps };
}

/** What is recorded: a scenario name, a variant (its parameters, in short) and the scenario. */
const RECORDINGS: readonly { name: string; variant: string; scenario: Scenario }[] = [
  { name: 'seed', variant: '500ms', scenario: seedScenario('500ms', 500_000_000) },
  { name: 'seed', variant: '10ms', scenario: seedScenario('10ms', 10_000_000) },
  { name: 'seed', variant: '0ms', scenario: seedScenario('0ms', 0) },
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
  for (const { name, variant, scenario } of RECORDINGS) {
    for (let k = 1; k <= runs; k++) {
      const file = join(dir, `${name}-${variant}-${k}.jsonl`);
      const trace = parseTrace(await runProbe(scenario, { outFile: file, tracefs: !values['no-tracefs'] }), file);
      const nets = trace.steps.filter((s) => s.op === 'unshare').flatMap((s) => s.ns.filter((o) => o.type === 'net'));
      const events = trace.events.filter((e) => e.fn === 'cleanup_net').length;
      process.stdout.write(
        `${relative(process.cwd(), file)}: netns inodes ${nets.map((o) => o.inode).join(' ')}; ${events} cleanup_net events\n`,
      );
    }
  }
  return 0;
}

process.exitCode = await main();
