import { describe, expect, it } from 'vitest';
import { MAX_STEPS } from '../../src/scenario/assembler.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { withoutPos } from './support.ts';

const parse = (text: string, params?: Record<string, string>) => parseScenario(text, 'test.nsl', params);
const steps = (text: string, params?: Record<string, string>) => withoutPos(parse(text, params)).steps;

describe('parseScenario: declarations', () => {
  it('takes the scenario name from the scenario line', () => {
    expect(parse('scenario seed-2.b').name).toBe('seed-2.b');
  });

  it.each([
    ['examples/seed.nsl', 'seed'],
    ['/a/b.c/slow.reuse.nsl', 'slow.reuse'],
    ['C:\\x\\fast.nsl', 'fast'],
    ['noext', 'noext'],
    ['.hidden', '.hidden'],
  ])('defaults the name of %s to %s', (file, name) => {
    expect(parseScenario('', file).name).toBe(name);
  });

  it('keeps the file', () => {
    expect(parseScenario('', 'examples/seed.nsl').file).toBe('examples/seed.nsl');
  });

  it('allows the scenario line after declarations', () => {
    expect(parse('task a\nparam p = 1\nscenario s').name).toBe('s');
  });

  it('declares tasks, several per line, in order', () => {
    expect(parse('task main helper\ntask third').tasks).toEqual(['main', 'helper', 'third']);
  });

  it('declares parameters with their defaults', () => {
    expect(parse('param delay = 500ms\nparam n = 4').params).toEqual({ delay: '500ms', n: '4' });
  });

  it('lets callers override parameters', () => {
    const s = parse('param delay = 500ms\nparam n = 4\nsleep $delay', { delay: '0ms' });
    expect(s.params).toEqual({ delay: '0ms', n: '4' });
    expect(withoutPos(s).steps).toEqual([{ kind: 'sleep', ns: 0 }]);
  });

  it('accepts a parameter called __proto__ as an ordinary one', () => {
    const s = parse('param __proto__ = 1ms\nsleep $__proto__', { __proto__: '2ms' } as Record<string, string>);
    expect(Object.keys(s.params)).toEqual(['__proto__']);
    expect(withoutPos(s).steps).toEqual([{ kind: 'sleep', ns: 1_000_000 }]);
    const own = parse('param __proto__ = 1ms\nsleep $__proto__', JSON.parse('{"__proto__":"2ms"}'));
    expect(Object.hasOwn(own.params, '__proto__')).toBe(true);
    expect(withoutPos(own).steps).toEqual([{ kind: 'sleep', ns: 2_000_000 }]);
  });
});

describe('parseScenario: steps', () => {
  it('reads unshare with one type, several types, spaced lists and outcomes', () => {
    expect(
      steps(
        'task m\nm: unshare net\nm: unshare user,pid,mnt\nm: unshare uts, ipc,\tcgroup ,time\nm: unshare net => ok\nm: unshare user => ENOSPC\nm: unshare pid => E2BIG',
      ),
    ).toEqual([
      { kind: 'unshare', task: 'm', types: ['net'] },
      { kind: 'unshare', task: 'm', types: ['user', 'pid', 'mnt'] },
      { kind: 'unshare', task: 'm', types: ['uts', 'ipc', 'cgroup', 'time'] },
      { kind: 'unshare', task: 'm', types: ['net'], expect: 'ok' },
      { kind: 'unshare', task: 'm', types: ['user'], expect: 'ENOSPC' },
      { kind: 'unshare', task: 'm', types: ['pid'], expect: 'E2BIG' },
    ]);
  });

  it('reads "TASK:op" without a space like "TASK: op"', () => {
    expect(steps('task m\nm:unshare net\nm:read net as x')).toEqual([
      { kind: 'unshare', task: 'm', types: ['net'] },
      { kind: 'read', task: 'm', nsType: 'net', as: 'x' },
    ]);
  });

  it('reads read with and without a name', () => {
    expect(steps('task m\nm: read net\nm: read user as u.1')).toEqual([
      { kind: 'read', task: 'm', nsType: 'net' },
      { kind: 'read', task: 'm', nsType: 'user', as: 'u.1' },
    ]);
  });

  it('reads sleeps in nanoseconds', () => {
    expect(steps('sleep 500ms\nsleep 0.5s\nsleep 0ms\nsleep 3us\nsleep 7ns')).toEqual(
      [500_000_000, 500_000_000, 0, 3_000, 7].map((ns) => ({ kind: 'sleep', ns })),
    );
  });

  it('reads all six expectations', () => {
    const text =
      'task m\nm: read net as a\nm: read net as b\n' +
      'expect a held\nexpect a released\nexpect same-inode a b\nexpect other-inode a b\nexpect same-ns b a\nexpect other-ns a a';
    expect(steps(text).slice(2)).toEqual([
      { kind: 'expect', check: { kind: 'held', name: 'a' } },
      { kind: 'expect', check: { kind: 'released', name: 'a' } },
      { kind: 'expect', check: { kind: 'same-inode', a: 'a', b: 'b' } },
      { kind: 'expect', check: { kind: 'other-inode', a: 'a', b: 'b' } },
      { kind: 'expect', check: { kind: 'same-ns', a: 'b', b: 'a' } },
      { kind: 'expect', check: { kind: 'other-ns', a: 'a', b: 'a' } },
    ]);
  });

  it('lets a name be bound again', () => {
    expect(steps('task m\nm: read net as x\nm: read user as x\nexpect x held')).toHaveLength(3);
  });

  it('allows task names that are keywords, thanks to the colon', () => {
    expect(steps('task sleep repeat\nsleep: unshare net\nrepeat: read net')).toEqual([
      { kind: 'unshare', task: 'sleep', types: ['net'] },
      { kind: 'read', task: 'repeat', nsType: 'net' },
    ]);
  });
});

describe('parseScenario: lexical rules', () => {
  it('ignores comments, blank lines, tabs and any line ending', () => {
    const text = '\uFEFF# header\r\n\r\n\tscenario\tx   # trailing\rtask m#no space needed\n  m:  unshare net  \n#\n';
    const s = parse(text);
    expect(s.name).toBe('x');
    expect(s.tasks).toEqual(['m']);
    expect(withoutPos(s).steps).toEqual([{ kind: 'unshare', task: 'm', types: ['net'] }]);
  });

  it('positions each step at the first token of its line', () => {
    const s = parse(
      'task m\n\n  m: unshare net\n\tsleep 1s\n  expect x held'.replace('  expect x held', '  m: read net as x'),
    );
    expect(s.steps.map((step) => step.pos)).toEqual([
      { file: 'test.nsl', line: 3, col: 3 },
      { file: 'test.nsl', line: 4, col: 2 },
      { file: 'test.nsl', line: 5, col: 3 },
    ]);
  });
});

describe('parseScenario: repeat', () => {
  it("expands a block in execution order, counting $i from 1, keeping each line's position", () => {
    const s = parse('task m\nrepeat 3 {\n  m: read net as n$i\n  sleep ${i}ms\n}\nexpect n3 held');
    expect(withoutPos(s).steps).toEqual([
      { kind: 'read', task: 'm', nsType: 'net', as: 'n1' },
      { kind: 'sleep', ns: 1_000_000 },
      { kind: 'read', task: 'm', nsType: 'net', as: 'n2' },
      { kind: 'sleep', ns: 2_000_000 },
      { kind: 'read', task: 'm', nsType: 'net', as: 'n3' },
      { kind: 'sleep', ns: 3_000_000 },
      { kind: 'expect', check: { kind: 'held', name: 'n3' } },
    ]);
    expect(s.steps.map((step) => `${step.pos.line}:${step.pos.col}`)).toEqual([
      '3:3',
      '4:3',
      '3:3',
      '4:3',
      '3:3',
      '4:3',
      '6:1',
    ]);
  });

  it('nests, with named and shadowing loop variables', () => {
    const text =
      'task m\nrepeat 2 as outer {\n  repeat 2 {\n    m: read net as x$outer.$i\n    repeat 1 as outer {\n      m: read net as y$outer\n    }\n  }\n}';
    expect(steps(text).map((s) => (s.kind === 'read' ? s.as : s.kind))).toEqual([
      'x1.1',
      'y1',
      'x1.2',
      'y1',
      'x2.1',
      'y1',
      'x2.2',
      'y1',
    ]);
  });

  it('takes counts from parameters and enclosing loop variables', () => {
    const text =
      'param n = 3\ntask m\nrepeat $n as row {\n  repeat ${row} as col {\n    m: read net as c$row-$col\n  }\n}';
    expect(steps(text).map((s) => (s.kind === 'read' ? s.as : ''))).toEqual([
      'c1-1',
      'c2-1',
      'c2-2',
      'c3-1',
      'c3-2',
      'c3-3',
    ]);
    expect(steps(text, { n: '1' })).toHaveLength(1);
  });

  it('lets a loop variable hide a parameter of the same name', () => {
    expect(
      steps('param i = 9\ntask m\nrepeat 1 {\n  m: read net as a$i\n}\nm: read net as b$i').map((s) =>
        s.kind === 'read' ? s.as : '',
      ),
    ).toEqual(['a1', 'b9']);
  });

  it('expands $NAME in task names', () => {
    expect(
      steps('task w1 w2\nrepeat 2 {\n  w$i: unshare net\n}').map((s) => (s.kind === 'unshare' ? s.task : '')),
    ).toEqual(['w1', 'w2']);
  });

  it('expands up to the step limit and no further', () => {
    expect(parse(`repeat ${MAX_STEPS / 2} {\n sleep 0s\n sleep 1s\n}`).steps).toHaveLength(MAX_STEPS);
  });
});
