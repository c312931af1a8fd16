import { describe, expect, it } from 'vitest';
import { splitLines, tokenize } from '../../src/scenario/lex.ts';

describe('tokenize', () => {
  it('splits on spaces and tabs, with 1-based columns', () => {
    expect(tokenize('  main:\tunshare  net,user')).toEqual([
      { text: 'main:', col: 3 },
      { text: 'unshare', col: 9 },
      { text: 'net,user', col: 18 },
    ]);
  });

  it('drops everything from #', () => {
    expect(tokenize('sleep 1s# comment')).toEqual([
      { text: 'sleep', col: 1 },
      { text: '1s', col: 7 },
    ]);
    expect(tokenize('# only a comment')).toEqual([]);
    expect(tokenize(' \t ')).toEqual([]);
  });
});

describe('splitLines', () => {
  it('accepts LF, CRLF and CR, and drops a byte-order mark', () => {
    expect(splitLines('\uFEFFa\nb\r\nc\rd')).toEqual(['a', 'b', 'c', 'd']);
  });
});
