import { describe, expect, it } from 'vitest';
import { expandVariables, type VariableScope } from '../../src/scenario/variables.ts';

const scope = (vars: Record<string, string>): VariableScope => ({
  lookup: (name) => (Object.hasOwn(vars, name) ? vars[name] : undefined),
  names: () => Object.keys(vars),
});

describe('expandVariables', () => {
  const vars = scope({ i: '3', delay: '500ms', 'a.b': 'x' });

  it.each([
    ['trash', 'trash'],
    ['trash$i', 'trash3'],
    ['$i$i', '33'],
    ['${i}ms', '3ms'],
    ['trash$i.a', 'trash3.a'],
    ['n$i-$i', 'n3-3'],
    ['$delay', '500ms'],
    ['${a.b}', 'x'],
  ])('%s is %s', (text, expanded) => {
    expect(expandVariables(text, vars)).toBe(expanded);
  });

  it.each([
    [
      'x$j',
      { offset: 1, expected: 'a parameter or loop variable declared earlier (in scope: i, delay, a.b)', found: '"$j"' },
    ],
    [
      '$ix',
      {
        offset: 0,
        expected: 'a parameter or loop variable declared earlier (in scope: i, delay, a.b)',
        found: '"$ix"',
      },
    ],
    ['a$', { offset: 1, expected: 'a variable name after "$" (in scope: i, delay, a.b)', found: '"$"' }],
    ['a${}', { offset: 1, expected: 'a variable name after "$" (in scope: i, delay, a.b)', found: '"${}"' }],
    ['$i${i', { offset: 2, expected: '"}" closing "${"', found: '"${i" with no "}"' }],
  ])('%s fails', (text, failure) => {
    expect(expandVariables(text, vars)).toEqual(failure);
  });

  it('says when nothing is in scope', () => {
    expect(expandVariables('$i', scope({}))).toEqual({
      offset: 0,
      expected: 'a parameter or loop variable declared earlier (none is declared here)',
      found: '"$i"',
    });
  });
});
