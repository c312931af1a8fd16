import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors/inputError.ts';
import { parseOp } from '../../src/query/parseOp.ts';

const TEXT = `scenario p
param name = blue
task main
main: unshare net
main: open /proc/self/ns/net as fd
main: fork child
child: exit
main: close fd
`;
// steps: 0 unshare, 1 open, 2 fork, 3 child exit, 4 close

const err = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e.format();
    throw e;
  }
  throw new Error('no error');
};

describe('parseOp: one operation, checked at a point of the scenario', () => {
  it('parses to the IR step, positioned in the operation’s own text', () => {
    expect(parseOp(TEXT, 's.nsl', {}, 5, 'main: close fd')).toEqual({
      kind: 'close',
      task: 'main',
      fd: 'fd',
      pos: { file: '--op', line: 1, col: 1 },
    });
    expect(parseOp(TEXT, 's.nsl', {}, 5, 'main: bind /proc/self/ns/net /run/netns/$name')).toMatchObject({
      kind: 'bind',
      path: '/run/netns/blue',
    });
  });

  it('names and tasks are those of that point', () => {
    // fd is bound at step 1: before it, closing it is an input error; after it, fine.
    expect(err(() => parseOp(TEXT, 's.nsl', {}, 1, 'main: close fd'))).toMatch(
      /^--op:1:13: expected an fd bound earlier .*found "fd"$/,
    );
    expect(parseOp(TEXT, 's.nsl', {}, 2, 'main: close fd')).toMatchObject({ kind: 'close' });
    // child exists after step 2 and exits at step 3
    expect(err(() => parseOp(TEXT, 's.nsl', {}, 2, 'child: exit'))).toMatch(
      /^--op:1:1: expected a task declared or forked earlier/,
    );
    expect(parseOp(TEXT, 's.nsl', {}, 3, 'child: exit')).toMatchObject({ kind: 'exit', task: 'child' });
    expect(err(() => parseOp(TEXT, 's.nsl', {}, 4, 'child: exit'))).toMatch(
      /^--op:1:1: expected a task that has not exited, found "child", which exited at line 7$/,
    );
  });

  it('syntax errors point into the operation', () => {
    expect(err(() => parseOp(TEXT, 's.nsl', {}, 5, 'main: unshare nett'))).toMatch(
      /^--op:1:15: expected a namespace type .*found "nett"$/,
    );
    expect(err(() => parseOp(TEXT, 's.nsl', {}, 5, ''))).toBe(
      '--op:1:1: expected one operation, TASK: OPERATION, found nothing',
    );
    expect(err(() => parseOp(TEXT, 's.nsl', {}, 5, 'sleep 1ms'))).toBe(
      '--op:1:1: expected one operation, TASK: OPERATION, found "sleep 1ms"',
    );
  });
});
