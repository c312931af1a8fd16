import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { tokenize } from '../../src/scenario/lex.ts';
import { readPath, readSource } from '../../src/scenario/paths.ts';

describe('readPath', () => {
  it.each(['/run/netns/a', '/a', '/mnt/proc2', '/tmp/x_1.y-2', '/a/.hidden/..b', '/procfs', '/proc2/x'])(
    'accepts %s',
    (path) => {
      expect(readPath(path)).toEqual({ ok: true, path });
    },
  );

  it.each([
    ['run/a', 0, 'an absolute path such as /run/netns/a (starting with "/")'],
    ['', 0, 'an absolute path such as /run/netns/a (starting with "/")'],
    ['/', 0, 'a path below "/"'],
    ['/a//b', 3, 'a path without empty parts ("//" or a trailing "/")'],
    ['/a/', 3, 'a path without empty parts ("//" or a trailing "/")'],
    ['/a/./b', 3, 'a path without "." or ".." parts'],
    ['/a/..', 3, 'a path without "." or ".." parts'],
    ['/a/b c', 3, 'a path of POSIX portable file name characters (A-Z, a-z, 0-9, ".", "_", "-") and "/"'],
    ['/a/$x', 3, 'a path of POSIX portable file name characters (A-Z, a-z, 0-9, ".", "_", "-") and "/"'],
    ['/a#b', 1, 'a path of POSIX portable file name characters (A-Z, a-z, 0-9, ".", "_", "-") and "/"'],
    ['/proc', 0, 'a path outside /proc'],
    ['/proc/self/ns/net', 0, 'a path outside /proc'],
  ])('refuses %j at offset %d: %s', (path, offset, expected) => {
    expect(readPath(path)).toEqual({ ok: false, offset, expected });
  });

  test.prop([fc.string({ unit: 'binary-ascii', maxLength: 30 })])(
    'accepts only what a scenario line gives back as one token, unchanged',
    (text) => {
      const path = `/${text}`;
      if (!readPath(path).ok) return;
      expect(tokenize(`m: umount ${path}`).map((t) => t.text)).toEqual(['m:', 'umount', path]);
      expect(path).not.toMatch(/[$#\s]/);
    },
  );
});

describe('readSource', () => {
  it('reads /proc/TASK/ns/FILE with where TASK and FILE start', () => {
    expect(readSource('/proc/main/ns/pid_for_children', false)).toEqual({
      ok: true,
      kind: 'proc',
      task: 'main',
      taskOffset: 6,
      file: 'pid_for_children',
      fileOffset: 14,
    });
  });

  it('reads other absolute paths as bind-mounted files and the rest as fd names when allowed', () => {
    expect(readSource('/run/netns/a', false)).toEqual({ ok: true, kind: 'path', path: '/run/netns/a' });
    expect(readSource('fd1', true)).toEqual({ ok: true, kind: 'fd', fd: 'fd1' });
    expect(readSource('fd1', false)).toMatchObject({ ok: false, offset: 0 });
  });

  it('refuses other files under /proc', () => {
    for (const text of ['/proc', '/proc/self', '/proc/self/ns', '/proc/self/ns/net/x', '/proc/self/net'])
      expect(readSource(text, true)).toEqual({
        ok: false,
        offset: 0,
        expected: 'an nsfs file /proc/TASK/ns/FILE (no other file under /proc)',
      });
  });
});
