import { InputError, quote, type InputErrorSite } from '../errors/inputError.ts';
import type { Origin, Written } from './assembler.ts';
import type { Token } from './lex.ts';

/**
 * The tokens of one scenario line, read left to right; every failure names this line and a
 * column.
 *
 * @remarks Since 0.2.0
 * @internal
 */
export class LineReader {
  private index = 0;

  constructor(
    private readonly file: string,
    private readonly line: number,
    private readonly tokens: readonly Token[],
  ) {}

  atEnd(): boolean {
    return this.index >= this.tokens.length;
  }

  /** The next token; `expected` says what it should be, for the error when there is none. */
  take(expected: string): Written {
    const token = this.tokens[this.index];
    if (token === undefined) return this.fail(this.endSite(), expected, 'end of line');
    this.index++;
    return { text: token.text, site: { line: this.line, col: token.col } };
  }

  /** Takes the next token if it is `text`; says whether it did. */
  takeIf(text: string): boolean {
    if (this.tokens[this.index]?.text !== text) return false;
    this.index++;
    return true;
  }

  /** The next token, which must be `keyword`; `expected` describes it for the error. */
  keyword(keyword: string, expected: string): Written {
    const token = this.take(expected);
    if (token.text !== keyword) this.fail(token.site, expected, quote(token.text));
    return token;
  }

  nextIs(text: string): boolean {
    return this.tokens[this.index]?.text === text;
  }

  nextStartsWith(prefix: string): boolean {
    return this.tokens[this.index]?.text.startsWith(prefix) ?? false;
  }

  end(expected = 'end of line'): void {
    const token = this.tokens[this.index];
    if (token !== undefined) this.fail({ line: this.line, col: token.col }, expected, quote(token.text));
  }

  /** Part of a token: `text`, starting `offset` characters into `token`. */
  shifted(token: Written, offset: number, text: string): Written {
    const col = 'col' in token.site ? token.site.col : 1;
    return { text, site: { line: this.line, col: col + offset } };
  }

  origin(first: Written): Origin {
    const col = 'col' in first.site ? first.site.col : 1;
    return { pos: { file: this.file, line: this.line, col }, site: first.site };
  }

  fail(site: InputErrorSite, expected: string, found: string): never {
    throw new InputError({ file: this.file, ...site, expected, found });
  }

  /** Just past the last token: where "found end of line" points. */
  private endSite(): InputErrorSite {
    const last = this.tokens.at(-1);
    return { line: this.line, col: last === undefined ? 1 : last.col + last.text.length };
  }
}
