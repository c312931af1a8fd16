import type { Scenario } from './ast.ts';
import { ScenarioAssembler } from './assembler.ts';
import { runStatements } from './statement.ts';
import { parseStatements } from './syntax.ts';

/**
 * Parses a scenario text into its flat {@link Scenario}: `repeat` blocks expanded, `$NAME`s
 * replaced, every step with the position of the line it came from.
 *
 * @param text - the scenario, in the language of docs/scenario-language.md
 * @param file - the name errors and positions use; its basename is the default scenario name
 * @param params - values overriding the defaults of `param` lines
 * @throws InputError on the first malformed line, unknown name or undeclared parameter, with
 *   its `file:line:col` (or `file: field params.NAME`) and what was expected there.
 * @remarks Since 0.1.0
 * @public
 */
export function parseScenario(text: string, file: string, params?: Readonly<Record<string, string>>): Scenario {
  const assembler = new ScenarioAssembler(file, params);
  runStatements(parseStatements(text, file), assembler);
  return assembler.build();
}
