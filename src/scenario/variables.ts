import { quote } from '../errors/inputError.ts';

/**
 * The variables a `$NAME` can refer to at one point of a scenario: loop counters of the
 * enclosing `repeat` blocks (innermost first) and the parameters declared so far.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export interface VariableScope {
  lookup(name: string): string | undefined;
  /** Names in scope, for error messages. */
  names(): readonly string[];
}

/**
 * Why a text could not be expanded: `offset` is the 0-based index of the offending `$` in it.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export interface ExpansionFailure {
  readonly offset: number;
  readonly expected: string;
  readonly found: string;
}

const BARE_NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/**
 * Replaces each `$NAME` and `${NAME}` in `text` by its value. A bare `$NAME` takes the longest
 * run of letters, digits and `_`, so `trash$i.a` is `trash` + i + `.a`; `${NAME}` is needed
 * when letters follow (`${i}x`) or the name has `.` or `-` in it.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export function expandVariables(text: string, scope: VariableScope): string | ExpansionFailure {
  let dollar = text.indexOf('$');
  if (dollar < 0) return text;
  let out = '';
  let from = 0;
  while (dollar >= 0) {
    out += text.slice(from, dollar);
    let name: string;
    if (text[dollar + 1] === '{') {
      const close = text.indexOf('}', dollar + 2);
      if (close < 0)
        return { offset: dollar, expected: '"}" closing "${"', found: `${quote(text.slice(dollar))} with no "}"` };
      name = text.slice(dollar + 2, close);
      from = close + 1;
    } else {
      BARE_NAME.lastIndex = dollar + 1;
      name = BARE_NAME.exec(text)?.[0] ?? '';
      from = dollar + 1 + name.length;
    }
    const value = name === '' ? undefined : scope.lookup(name);
    if (value === undefined) return unknownVariable(text.slice(dollar, from), dollar, scope);
    out += value;
    dollar = text.indexOf('$', from);
  }
  return out + text.slice(from);
}

function unknownVariable(reference: string, offset: number, scope: VariableScope): ExpansionFailure {
  const names = scope.names();
  const inScope = names.length === 0 ? 'none is declared here' : `in scope: ${names.join(', ')}`;
  const what =
    reference === '$' || reference === '${}'
      ? 'a variable name after "$"'
      : 'a parameter or loop variable declared earlier';
  return { offset, expected: `${what} (${inScope})`, found: quote(reference) };
}
