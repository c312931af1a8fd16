import { InputError, quote } from '../errors/inputError.ts';
import { ScenarioAssembler, type Origin, type Written } from '../scenario/assembler.ts';
import type { Scenario, TaskStep } from '../scenario/ast.ts';
import type { WrittenOp } from '../scenario/operation.ts';
import { runStatements } from '../scenario/statement.ts';
import { parseStatements } from '../scenario/syntax.ts';

/** Thrown to stop assembling a scenario after its first `limit` steps. */
class Stop extends Error {}

/** An assembler that stops before step `limit` (0-based), so that what follows is checked there. */
class StopAt extends ScenarioAssembler {
  private seenSteps = 0;
  private halted = false;

  constructor(
    file: string,
    params: Readonly<Record<string, string>>,
    private readonly stopAfter: number,
  ) {
    super(file, params);
  }

  /** No more steps to count: what comes next is the operation. */
  halt(): void {
    this.halted = true;
  }

  private tick(): void {
    if (this.halted) return;
    if (this.seenSteps++ >= this.stopAfter) {
      this.halted = true;
      throw new Stop();
    }
  }

  override taskStep(origin: Origin, task: Written, op: WrittenOp, outcome?: Written): void {
    this.tick();
    super.taskStep(origin, task, op, outcome);
  }

  override nextInode(origin: Origin, as?: Written): void {
    this.tick();
    super.nextInode(origin, as);
  }

  override sleep(origin: Origin, duration: Written): void {
    this.tick();
    super.sleep(origin, duration);
  }

  override expect(...args: Parameters<ScenarioAssembler['expect']>): void {
    this.tick();
    super.expect(...args);
  }
}

/**
 * One operation written in the scenario language (`main: exit`, `a: close fd`), checked as if it
 * came right after the first `steps` steps of the scenario `text`: its task must exist and not
 * have exited by then, the names it uses must be bound by then, `$PARAM`s expand. Errors are one
 * line, `OPFILE:1:COL: expected ..., found ...` (`opFile` names the operation's source, e.g.
 * `--op`).
 *
 * @public
 */
export function parseOp(
  text: string,
  file: string,
  params: Readonly<Record<string, string>>,
  steps: number,
  op: string,
  opFile = '--op',
): TaskStep {
  const statements = parseStatements(op, opFile);
  const first = statements[0];
  if (statements.length !== 1 || first?.kind !== 'task-step') {
    throw new InputError({
      file: opFile,
      line: 1,
      col: 1,
      expected: 'one operation, TASK: OPERATION',
      found:
        statements.length === 0
          ? 'nothing'
          : first?.kind === 'task-step'
            ? `${statements.length} lines`
            : quote(op.trim()),
    });
  }
  const assembler = new StopAt(file, params, steps);
  try {
    runStatements(parseStatements(text, file), assembler);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
  }
  assembler.halt();
  try {
    assembler.taskStep(first.origin, first.task, first.op, first.outcome);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError({
      file: opFile,
      ...(e.line !== undefined ? { line: e.line } : {}),
      ...(e.col !== undefined ? { col: e.col } : {}),
      ...(e.field !== undefined ? { field: e.field } : {}),
      expected: e.expected,
      found: e.found,
    });
  }
  const built: Scenario = assembler.build();
  return built.steps.at(-1) as TaskStep;
}
