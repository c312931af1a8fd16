/**
 * One word of a scenario line and its 1-based column (a tab counts as one column).
 *
 * @remarks Since 0.1.0
 * @internal
 */
export interface Token {
  readonly text: string;
  readonly col: number;
}

const WORD = /[^ \t]+/g;

/**
 * Splits a scenario line into tokens: words separated by spaces and tabs, up to a `#` that
 * starts a comment.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export function tokenize(line: string): Token[] {
  const hash = line.indexOf('#');
  const code = hash < 0 ? line : line.slice(0, hash);
  return Array.from(code.matchAll(WORD), (m) => ({ text: m[0], col: m.index + 1 }));
}

/**
 * The lines of a scenario text: any line ending (LF, CRLF, CR), a leading byte-order mark
 * dropped.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export function splitLines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
}
