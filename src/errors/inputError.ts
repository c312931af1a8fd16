/**
 * Where in an input an error is: a 1-based line and column, or a named field (for whole-value
 * errors, builder calls, options).
 *
 * @remarks Since 0.1.0
 * @public
 */
export type InputErrorSite = { readonly line: number; readonly col: number } | { readonly field: string };

/**
 * What an {@link InputError} is made of. Without `line` and `field` the error is about the
 * whole file.
 *
 * @remarks Since 0.1.0
 * @public
 */
export interface InputErrorInit {
  readonly file: string;
  readonly line?: number;
  readonly col?: number;
  readonly field?: string;
  /** What was expected there, e.g. `a namespace type (user, pid, ...)`. */
  readonly expected: string;
  /** What was found instead, already rendered: `"nett"` (use {@link quote}), `end of line`. */
  readonly found: string;
}

/**
 * A malformed input (scenario, trace, option): the CLI prints {@link InputError.format} and
 * exits with status 2, without a stack trace.
 *
 * The message is always exactly one line:
 * `FILE:LINE:COL: expected X, found Y`, or `FILE: field F: expected X, found Y`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly file: string;
  /** 1-based; absent for whole-file and field errors. */
  readonly line: number | undefined;
  /** 1-based; absent for whole-file and field errors. */
  readonly col: number | undefined;
  /** The field at fault when there is no line and column (`params.delay`, `sleep#3.duration`). */
  readonly field: string | undefined;
  readonly expected: string;
  readonly found: string;

  constructor(init: InputErrorInit) {
    super(formatLine(init));
    this.file = init.file;
    this.line = init.line;
    this.col = init.col;
    this.field = init.field;
    this.expected = init.expected;
    this.found = init.found;
  }

  /** The one-line message the CLI prints. */
  format(): string {
    return this.message;
  }
}

/**
 * Quotes a token the way input errors show it: JSON string syntax, so that control characters
 * and line breaks cannot split the one-line message.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function quote(token: string): string {
  return JSON.stringify(token);
}

function formatLine(init: InputErrorInit): string {
  const where =
    init.line !== undefined
      ? `${init.file}:${init.line}${init.col === undefined ? '' : `:${init.col}`}`
      : init.field !== undefined
        ? `${init.file}: field ${init.field}`
        : init.file;
  return oneLine(`${where}: expected ${init.expected}, found ${init.found}`);
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
