import { describe, expect, it } from 'vitest';
import { IDENTIFIER_PATTERN, isIdentifier } from '../../src/scenario/identifier.ts';

describe('isIdentifier', () => {
  it.each(['a', '_', 'trash1', 'seed-2.b', 'A_b.c-d'])('accepts %s', (s) => expect(isIdentifier(s)).toBe(true));
  it.each(['', '1a', '-a', '.a', 'a b', 'a:b', 'a$i', 'é'])('rejects %j', (s) => expect(isIdentifier(s)).toBe(false));
  it('describes itself', () => expect(IDENTIFIER_PATTERN).toBe('[A-Za-z_][A-Za-z0-9_.-]*'));
});
