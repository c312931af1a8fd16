import type { InputErrorSite } from '../errors/inputError.ts';
import type { Origin, Written } from './assembler.ts';

/**
 * The file name of scenarios made with the builder; their steps' `line` is the number of the
 * builder call that made them.
 *
 * @remarks Since 0.1.0
 * @public
 */
export const BUILDER_FILE = '<builder>';

/**
 * One builder call: where its steps say they come from (`line` is the call's number), and the
 * field names its arguments have in errors (`fork#3.child`).
 *
 * @remarks Since 0.1.0
 * @internal
 */
export class BuilderCall {
  readonly origin: Origin;

  constructor(
    private readonly name: string,
    line: number,
  ) {
    this.origin = { pos: { file: BUILDER_FILE, line, col: 1 }, site: this.site() };
  }

  arg(field: string, text: string): Written {
    return { text, site: this.site(field) };
  }

  /** `undefined` stays `undefined`: an optional argument not given. */
  optional(field: string, text: string | undefined): Written | undefined {
    return text === undefined ? undefined : this.arg(field, text);
  }

  /** A list argument, one field per element: `types[0]`, `types[1]`, .... */
  list(field: string, texts: readonly string[]): Written[] {
    return texts.map((text, k) => this.arg(`${field}[${k}]`, text));
  }

  private site(field?: string): InputErrorSite {
    return { field: field === undefined ? this.name : `${this.name}.${field}` };
  }
}
