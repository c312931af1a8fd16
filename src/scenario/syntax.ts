import { InputError, quote } from '../errors/inputError.ts';
import {
  COUNT_SHAPE,
  DEFAULT_LOOP_VARIABLE,
  PAIR_CHECKS,
  STATE_CHECKS,
  type Origin,
  type PairCheck,
  type StateCheck,
  type Written,
} from './assembler.ts';
import { DURATION_SHAPE } from './duration.ts';
import { splitLines, tokenize } from './lex.ts';
import { LineReader } from './lineReader.ts';
import type { Statement } from './statement.ts';
import { taskStep } from './taskSyntax.ts';

const STATEMENT_SHAPE = 'a statement (scenario, param, task, TASK: OPERATION, next-inode, sleep, repeat, expect)';
const STEP_SHAPE = 'a step (TASK: OPERATION, next-inode, sleep, repeat, expect) or "}"';
const EXPECTATION_SHAPE =
  'an expectation (NAME held, NAME released, same-inode A B, other-inode A B, same-ns A B, other-ns A B)';

/**
 * Reads the statement tree of a scenario text. Checks the shape of each line and the nesting of
 * blocks; the values in it (names, durations, counts, references) are checked when the tree is
 * run ({@link runStatements}).
 *
 * @remarks Since 0.1.0
 * @internal
 */
export function parseStatements(text: string, file: string): Statement[] {
  return new BlockParser(file, splitLines(text)).block(undefined);
}

class BlockParser {
  private next = 0;

  constructor(
    private readonly file: string,
    private readonly lines: readonly string[],
  ) {}

  /** Statements up to the `}` that closes `opener`, or up to the end of the file. */
  block(opener: Written | undefined): Statement[] {
    const statements: Statement[] = [];
    while (this.next < this.lines.length) {
      const line = new LineReader(this.file, this.next + 1, tokenize(this.lines[this.next] ?? ''));
      this.next++;
      if (line.atEnd()) continue;
      const first = line.take(STATEMENT_SHAPE);
      if (first.text === '}') {
        if (opener === undefined) line.fail(first.site, STATEMENT_SHAPE, '"}" with no open repeat block');
        line.end('end of line after "}"');
        if (statements.length === 0) line.fail(first.site, 'at least one step in the repeat block', '"}"');
        return statements;
      }
      statements.push(this.statement(line, first, opener !== undefined));
    }
    if (opener !== undefined) {
      throw new InputError({
        file: this.file,
        ...opener.site,
        expected: '"}" closing this repeat block',
        found: 'end of file',
      });
    }
    return statements;
  }

  private statement(line: LineReader, first: Written, inBlock: boolean): Statement {
    const origin = line.origin(first);
    const colon = first.text.indexOf(':');
    if (colon >= 0) return taskStep(line, origin, first, colon);
    switch (first.text) {
      case 'scenario':
      case 'param':
      case 'task':
        if (inBlock) line.fail(first.site, STEP_SHAPE, `${quote(first.text)} (declarations go at top level)`);
        return declaration(line, origin, first);
      case 'sleep': {
        const duration = line.take(`${DURATION_SHAPE} or $PARAM`);
        line.end();
        return { kind: 'sleep', origin, duration };
      }
      case 'next-inode': {
        const as = line.takeIf('as') ? line.take('a name after "as"') : undefined;
        line.end(as === undefined ? '"as NAME" or end of line' : 'end of line');
        return { kind: 'next-inode', origin, as };
      }
      case 'expect':
        return expectation(line, origin);
      case 'repeat':
        return this.repeat(line, origin, first);
      default:
        return line.fail(first.site, inBlock ? STEP_SHAPE : STATEMENT_SHAPE, quote(first.text));
    }
  }

  private repeat(line: LineReader, origin: Origin, keyword: Written): Statement {
    const count = line.take(COUNT_SHAPE);
    if (count.text === '{') line.fail(count.site, COUNT_SHAPE, '"{"');
    let variable: Written = { text: DEFAULT_LOOP_VARIABLE, site: keyword.site };
    if (line.takeIf('as')) {
      variable = line.take('a loop variable name after "as"');
      if (variable.text === '{') line.fail(variable.site, 'a loop variable name after "as"', '"{"');
    }
    const brace = line.take('"{" at the end of the repeat line');
    if (brace.text !== '{') line.fail(brace.site, '"{" at the end of the repeat line', quote(brace.text));
    line.end('end of line after "{"');
    return { kind: 'repeat', origin, count, variable, body: this.block(brace) };
  }
}

function declaration(line: LineReader, origin: Origin, keyword: Written): Statement {
  switch (keyword.text) {
    case 'scenario': {
      const name = line.take('a scenario name');
      line.end();
      return { kind: 'scenario', origin, keyword, name };
    }
    case 'param': {
      const name = line.take('a parameter name');
      if (name.text.includes('=')) line.fail(name.site, 'spaces around "=" (param NAME = VALUE)', quote(name.text));
      const equals = line.take('"=" after the parameter name');
      if (equals.text !== '=') line.fail(equals.site, '"=" after the parameter name', quote(equals.text));
      const value = line.take('a parameter value after "="');
      line.end();
      return { kind: 'param', origin, name, value };
    }
    default: {
      const names = [line.take('a task name')];
      while (!line.atEnd()) names.push(line.take('a task name'));
      return { kind: 'task', origin, names };
    }
  }
}

function expectation(line: LineReader, origin: Origin): Statement {
  const first = line.take(EXPECTATION_SHAPE);
  if ((PAIR_CHECKS as readonly string[]).includes(first.text)) {
    const a = line.take(`a name after "${first.text}"`);
    const b = line.take(`a second name after "${first.text} ${a.text}"`);
    line.end();
    return { kind: 'expect', origin, check: first.text as PairCheck, names: [a, b] };
  }
  const state = line.take(`"held" or "released" after ${quote(first.text)}`);
  if (!(STATE_CHECKS as readonly string[]).includes(state.text)) {
    line.fail(state.site, `"held" or "released" after ${quote(first.text)}`, quote(state.text));
  }
  line.end();
  return { kind: 'expect', origin, check: state.text as StateCheck, names: [first] };
}
