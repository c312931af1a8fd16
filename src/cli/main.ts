import { InputError, quote } from '../errors/inputError.ts';
import { CALIBRATE_HELP, calibrateCommand } from './calibrate.ts';
import { CHECK_HELP, checkCommand } from './commands/check.ts';
import { DEMO_HELP, demoCommand } from './commands/demo.ts';
import { PROBE_HELP, probeCommand } from './commands/probe.ts';
import { RUN_HELP, runCommand } from './commands/run.ts';
import { WHATIF_HELP, whatifCommand } from './commands/whatif.ts';
import { WHY_HELP, whyCommand } from './commands/why.ts';
import { PROFILES } from '../../model/profiles/index.ts';

const HELP = `nslife — when does the Linux kernel really destroy a namespace?

Usage:
  nslife demo                 the seed question: model, live kernel (where possible), checker
  nslife run SCENARIO         run a scenario on the model
  nslife probe SCENARIO -o T  run a scenario on the live kernel, write its trace
  nslife check TRACE          does the model admit this trace?
  nslife calibrate TRACES -o P  fit a profile file to kernel traces
  nslife why SCENARIO NS      why is a namespace still there (holder chains, pending reapers)?
  nslife whatif SCENARIO --op 'TASK: OP'   what one more operation would free, and when
  nslife profiles             list kernel profiles
  nslife COMMAND --help       options of a command

Exit status: 0 ok, 1 a check or expectation failed, 2 bad input.`;

type Command = (argv: string[], out: (s: string) => void) => number | Promise<number>;
const COMMANDS: Record<string, { run: Command; help: string }> = {
  demo: { run: demoCommand, help: DEMO_HELP },
  run: { run: runCommand, help: RUN_HELP },
  probe: { run: probeCommand, help: PROBE_HELP },
  check: { run: checkCommand, help: CHECK_HELP },
  calibrate: { run: calibrateCommand, help: CALIBRATE_HELP },
  why: { run: whyCommand, help: WHY_HELP },
  whatif: { run: whatifCommand, help: WHATIF_HELP },
  profiles: {
    run: (argv, out) => {
      if (argv.length > 0) {
        throw new InputError({
          file: 'nslife profiles',
          field: 'arguments',
          expected: 'no arguments',
          found: quote(argv.join(' ')),
        });
      }
      for (const p of Object.values(PROFILES)) out(`${p.name.padEnd(12)} ${p.description}`);
      return 0;
    },
    help: 'nslife profiles\n\nLists the kernel profiles.',
  },
};

/**
 * The CLI: runs one command and returns its exit status. Input errors become one line on stderr
 * and status 2; nothing already written is lost (outputs are written by rename).
 *
 * @internal
 */
export async function main(argv: string[]): Promise<number> {
  // A reader that stops early (`| head`) closes the pipe: the output is no longer wanted.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const out = (s: string): void => void process.stdout.write(s + '\n');
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(HELP + '\n');
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    out(HELP);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`nslife: unknown command "${name}" (expected one of: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(cmd.help);
    return 0;
  }
  try {
    return await cmd.run(rest, out);
  } catch (e) {
    if (e instanceof InputError) {
      const line = e.format();
      process.stderr.write(line.startsWith('nslife') ? `${line}\n` : `nslife: ${line}\n`);
      return 2;
    }
    throw e;
  }
}
