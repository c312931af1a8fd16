const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * The shape of identifiers, as input errors show it.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export const IDENTIFIER_PATTERN = IDENTIFIER.source.slice(1, -1);

/**
 * Whether `s` is a scenario identifier: a task, parameter, loop variable, scenario name or a
 * name bound by `read ... as NAME`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function isIdentifier(s: string): boolean {
  return IDENTIFIER.test(s);
}
