import { describe, expect, it } from 'vitest';
import { InputError, quote } from '../../src/errors/inputError.ts';

describe('InputError', () => {
  it('points at file:line:col', () => {
    const e = new InputError({
      file: 'seed.nsl',
      line: 4,
      col: 14,
      expected: 'a namespace type',
      found: quote('nett'),
    });
    expect(e.format()).toBe('seed.nsl:4:14: expected a namespace type, found "nett"');
    expect(e.message).toBe(e.format());
    expect([e.file, e.line, e.col, e.field]).toEqual(['seed.nsl', 4, 14, undefined]);
    expect([e.expected, e.found]).toEqual(['a namespace type', '"nett"']);
  });

  it('names a field when there is no line', () => {
    const e = new InputError({
      file: 'seed.nsl',
      field: 'params.dealy',
      expected: 'a declared parameter',
      found: quote('dealy'),
    });
    expect(e.format()).toBe('seed.nsl: field params.dealy: expected a declared parameter, found "dealy"');
    expect([e.line, e.col, e.field]).toEqual([undefined, undefined, 'params.dealy']);
  });

  it('names only the file for whole-file errors', () => {
    expect(new InputError({ file: 't.jsonl', expected: 'a header line', found: 'an empty file' }).format()).toBe(
      't.jsonl: expected a header line, found an empty file',
    );
  });

  it('is an Error named InputError', () => {
    const e = new InputError({ file: 'f', line: 1, col: 1, expected: 'x', found: 'y' });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('InputError');
  });

  it('stays on one line whatever the token holds', () => {
    const e = new InputError({ file: 'a\nb.nsl', line: 1, col: 2, expected: 'x\r\ny', found: quote('tab\tnew\nline') });
    expect(e.format()).toBe('a b.nsl:1:2: expected x y, found "tab\\tnew\\nline"');
  });
});
