import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors/inputError.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { expectInputError } from './support.ts';

const TYPES = 'a namespace type (user, pid, net, mnt, uts, ipc, cgroup, time)';
const STATEMENT = 'a statement (scenario, param, task, TASK: OPERATION, next-inode, sleep, repeat, expect)';
const STEP = 'a step (TASK: OPERATION, next-inode, sleep, repeat, expect) or "}"';
const OPERATION =
  'an operation (unshare, fork, thread, setns, open, ioctl, close, bind, umount, mount, socket, pidfd, shmat, shmdt, exec, exit, wait, set, read)';
const FILES = 'a namespace file (user, pid, pid_for_children, net, mnt, uts, ipc, cgroup, time, time_for_children)';
const BOUND = 'a name bound earlier by "as NAME" of read, open or ioctl';
const EXPECTATION =
  'an expectation (NAME held, NAME released, same-inode A B, other-inode A B, same-ns A B, other-ns A B)';
const DURATION = 'a duration such as 500ms, 0.5s, 10us or 0ns';
const COUNT = 'a repeat count (a positive integer or $PARAM)';
const OUTCOME = 'an outcome (ok, or an errno name such as ENOSPC)';
const ID = '([A-Za-z_][A-Za-z0-9_.-]*)';

/** [what, scenario text, the exact one-line error]; the file is always e.nsl. */
type Case = readonly [string, string, string];

function check(cases: readonly Case[]): void {
  it.each(cases)('%s', (_what, text, message) => {
    expectInputError(() => parseScenario(text, 'e.nsl'), message);
  });
}

describe('syntax errors', () => {
  describe('blocks', () => {
    check([
      ['stray }', 'task m\n}', `e.nsl:2:1: expected ${STATEMENT}, found "}" with no open repeat block`],
      ['text after }', 'repeat 2 {\n sleep 1s\n } x', 'e.nsl:3:4: expected end of line after "}", found "x"'],
      [
        'empty repeat body',
        'repeat 2 {\n  # nothing\n}',
        'e.nsl:3:1: expected at least one step in the repeat block, found "}"',
      ],
      [
        'unclosed {',
        'task m\nrepeat 2 {\n  sleep 1s',
        'e.nsl:2:10: expected "}" closing this repeat block, found end of file',
      ],
      [
        'unclosed outer {',
        'repeat 2 {\n  repeat 3   {\n sleep 1s\n}',
        'e.nsl:1:10: expected "}" closing this repeat block, found end of file',
      ],
      [
        'unclosed inner {',
        'repeat 2 {\n  repeat 3   {\n sleep 1s',
        'e.nsl:2:14: expected "}" closing this repeat block, found end of file',
      ],
      [
        'declaration in a block',
        'repeat 2 {\n  task m\n}',
        `e.nsl:2:3: expected ${STEP}, found "task" (declarations go at top level)`,
      ],
      [
        'param in a block',
        'repeat 2 {\n  param x = 1\n}',
        `e.nsl:2:3: expected ${STEP}, found "param" (declarations go at top level)`,
      ],
      ['unknown statement', '\n  frobnicate now', `e.nsl:2:3: expected ${STATEMENT}, found "frobnicate"`],
      ['unknown step in a block', 'repeat 1 {\n  unshare net\n}', `e.nsl:2:3: expected ${STEP}, found "unshare"`],
    ]);
  });

  describe('declarations', () => {
    check([
      ['scenario without a name', 'scenario', 'e.nsl:1:9: expected a scenario name, found end of line'],
      ['scenario with two names', 'scenario a b', 'e.nsl:1:12: expected end of line, found "b"'],
      ['param without a name', 'param   ', 'e.nsl:1:6: expected a parameter name, found end of line'],
      [
        'param NAME=VALUE',
        'param delay=500ms',
        'e.nsl:1:7: expected spaces around "=" (param NAME = VALUE), found "delay=500ms"',
      ],
      ['param without =', 'param delay', 'e.nsl:1:12: expected "=" after the parameter name, found end of line'],
      ['param with : for =', 'param delay : 5ms', 'e.nsl:1:13: expected "=" after the parameter name, found ":"'],
      [
        'param without a value',
        'param delay =  # none',
        'e.nsl:1:14: expected a parameter value after "=", found end of line',
      ],
      ['param with two values', 'param delay = 5 ms', 'e.nsl:1:17: expected end of line, found "ms"'],
      ['task without a name', 'task', 'e.nsl:1:5: expected a task name, found end of line'],
    ]);
  });

  describe('task steps', () => {
    check([
      ['no task before :', 'task m\n: unshare net', 'e.nsl:2:1: expected a task name before ":", found ":"'],
      ['no operation', 'task m\nm:', `e.nsl:2:3: expected ${OPERATION} after ":", found end of line`],
      ['unknown operation', 'task m\nm: clone net', `e.nsl:2:4: expected ${OPERATION}, found "clone"`],
      ['unknown operation glued to :', 'task m\nm:spawn', `e.nsl:2:3: expected ${OPERATION}, found "spawn"`],
      ['unshare without types', 'task m\nm: unshare', `e.nsl:2:11: expected ${TYPES}, found end of line`],
      ['unshare with a trailing comma', 'task m\nm: unshare user,', `e.nsl:2:17: expected ${TYPES}, found end of line`],
      [
        'unshare with a lone trailing comma',
        'task m\nm: unshare user , => ok',
        `e.nsl:2:19: expected ${TYPES}, found "=>"`,
      ],
      ['unshare with an empty type', 'task m\nm: unshare user,,net', `e.nsl:2:17: expected ${TYPES}, found ","`],
      ['unshare with a leading comma', 'task m\nm: unshare ,net', `e.nsl:2:12: expected ${TYPES}, found ","`],
      [
        'unshare with a space-separated list',
        'task m\nm: unshare user net',
        'e.nsl:2:17: expected "=>" or end of line, found "net"',
      ],
      [
        'unshare with => and no outcome',
        'task m\nm: unshare net =>',
        `e.nsl:2:18: expected ${OUTCOME} after "=>", found end of line`,
      ],
      [
        'unshare with two outcomes',
        'task m\nm: unshare net => ok EPERM',
        'e.nsl:2:22: expected end of line, found "EPERM"',
      ],
      ['read without a type', 'task m\nm: read', `e.nsl:2:8: expected ${FILES}, found end of line`],
      ['read as without a name', 'task m\nm: read net as', 'e.nsl:2:15: expected a name after "as", found end of line'],
      [
        'read with a stray word',
        'task m\nm: read net x',
        'e.nsl:2:13: expected "as NAME", "=>" or end of line, found "x"',
      ],
      ['read as with two names', 'task m\nm: read net as x y', 'e.nsl:2:18: expected "=>" or end of line, found "y"'],
    ]);
  });

  describe('sleep, repeat and expect', () => {
    check([
      ['sleep without a duration', 'sleep', `e.nsl:1:6: expected ${DURATION} or $PARAM, found end of line`],
      ['sleep with a spaced unit', 'sleep 5 ms', 'e.nsl:1:9: expected end of line, found "ms"'],
      ['repeat without a count', 'repeat', `e.nsl:1:7: expected ${COUNT}, found end of line`],
      ['repeat without a count before {', 'repeat {\n sleep 1s\n}', `e.nsl:1:8: expected ${COUNT}, found "{"`],
      [
        'repeat without {',
        'repeat 4\n sleep 1s\n}',
        'e.nsl:1:9: expected "{" at the end of the repeat line, found end of line',
      ],
      [
        'repeat with ( for {',
        'repeat 4 (\n sleep 1s\n}',
        'e.nsl:1:10: expected "{" at the end of the repeat line, found "("',
      ],
      [
        'repeat as without a variable',
        'repeat 4 as {\n sleep 1s\n}',
        'e.nsl:1:13: expected a loop variable name after "as", found "{"',
      ],
      [
        'repeat with a step on the { line',
        'repeat 4 { sleep 1s\n}',
        'e.nsl:1:12: expected end of line after "{", found "sleep"',
      ],
      ['expect without anything', 'expect', `e.nsl:1:7: expected ${EXPECTATION}, found end of line`],
      ['expect pair without names', 'expect same-ns', 'e.nsl:1:15: expected a name after "same-ns", found end of line'],
      [
        'expect pair with one name',
        'expect other-inode a',
        'e.nsl:1:21: expected a second name after "other-inode a", found end of line',
      ],
      ['expect pair with three names', 'expect same-inode a b c', 'e.nsl:1:23: expected end of line, found "c"'],
      [
        'expect NAME without a state',
        'expect trash1',
        'e.nsl:1:14: expected "held" or "released" after "trash1", found end of line',
      ],
      [
        'expect NAME with a wrong state',
        'expect trash1 alive',
        'e.nsl:1:15: expected "held" or "released" after "trash1", found "alive"',
      ],
      ['expect NAME state and more', 'expect trash1 held now', 'e.nsl:1:20: expected end of line, found "now"'],
    ]);
  });
});

describe('value and reference errors', () => {
  describe('declarations', () => {
    check([
      [
        'a second scenario line',
        'scenario a\nscenario b',
        'e.nsl:2:1: expected at most one "scenario" line, found a second one',
      ],
      [
        'scenario after a step',
        'sleep 1s\nscenario a',
        'e.nsl:2:1: expected the "scenario" line before the first step, found it after a step',
      ],
      ['bad scenario name', 'scenario 2fast', `e.nsl:1:10: expected a scenario name ${ID}, found "2fast"`],
      ['bad parameter name', 'param d$ = 1', `e.nsl:1:7: expected a parameter name ${ID}, found "d$"`],
      [
        'duplicate parameter',
        'param d = 1\nparam d = 2',
        'e.nsl:2:7: expected a parameter name not declared before, found "d" again',
      ],
      ['bad task name', 'task main w:1', `e.nsl:1:11: expected a task name ${ID}, found "w:1"`],
      [
        'duplicate task on one line',
        'task main main',
        'e.nsl:1:11: expected a task name not declared or forked before, found "main" again',
      ],
      [
        'duplicate task on another line',
        'task a main\n\ntask main',
        'e.nsl:3:6: expected a task name not declared or forked before, found "main" again',
      ],
      [
        'bad loop variable',
        'repeat 2 as $j {\n sleep 1s\n}',
        `e.nsl:1:13: expected a loop variable name ${ID}, found "$j"`,
      ],
    ]);
  });

  describe('tasks, types and outcomes', () => {
    check([
      [
        'no task declared',
        'main: unshare net',
        'e.nsl:1:1: expected a task declared or forked earlier (none is declared; add "task main" before this step), found "main"',
      ],
      [
        'unknown task',
        'task main helper\nmian: unshare net',
        'e.nsl:2:1: expected a task declared or forked earlier (main, helper), found "mian"',
      ],
      [
        'task declared too late',
        'task a\nmain: read net\ntask main',
        'e.nsl:2:1: expected a task declared or forked earlier (a), found "main"',
      ],
      [
        'unknown task from $i',
        'task w1\nrepeat 2 {\n  w$i: read net\n}',
        'e.nsl:3:3: expected a task declared or forked earlier (w1), found "w$i" (= "w2")',
      ],
      ['bad type', 'task main\n\n\nmain: unshare nett', `e.nsl:4:15: expected ${TYPES}, found "nett"`],
      ['bad type in a list', 'task m\nm: unshare user,NET', `e.nsl:2:17: expected ${TYPES}, found "NET"`],
      ['bad type in a spaced list', 'task m\nm: unshare user, mount', `e.nsl:2:18: expected ${TYPES}, found "mount"`],
      ['bad type to read', 'task m\nm: read network', `e.nsl:2:9: expected ${FILES}, found "network"`],
      [
        'duplicate type',
        'task m\nm: unshare net,user,net',
        'e.nsl:2:21: expected each namespace type at most once, found "net" again',
      ],
      ['lower-case errno', 'task m\nm: unshare net => enospc', `e.nsl:2:19: expected ${OUTCOME}, found "enospc"`],
      ['bare E', 'task m\nm: unshare net => E', `e.nsl:2:19: expected ${OUTCOME}, found "E"`],
      ['errno with punctuation', 'task m\nm: unshare net => EPERM!', `e.nsl:2:19: expected ${OUTCOME}, found "EPERM!"`],
      ['ok spelled OK', 'task m\nm: unshare net => OK', `e.nsl:2:19: expected ${OUTCOME}, found "OK"`],
    ]);
  });

  describe('durations and counts', () => {
    check([
      ['duration without a unit', 'sleep 500', `e.nsl:1:7: expected ${DURATION}, found "500"`],
      ['duration with a bad unit', 'sleep 5m', `e.nsl:1:7: expected ${DURATION}, found "5m"`],
      ['negative duration', 'sleep -1s', `e.nsl:1:7: expected ${DURATION}, found "-1s"`],
      [
        'sub-nanosecond duration',
        'sleep 1.5ns',
        'e.nsl:1:7: expected a duration that is a whole number of nanoseconds, found "1.5ns"',
      ],
      [
        'bad duration from a parameter',
        'param delay = 5x\nsleep $delay',
        `e.nsl:2:7: expected ${DURATION}, found "$delay" (= "5x")`,
      ],
      ['zero count', 'repeat 0 {\n sleep 1s\n}', `e.nsl:1:8: expected ${COUNT}, found "0"`],
      ['negative count', 'repeat -2 {\n sleep 1s\n}', `e.nsl:1:8: expected ${COUNT}, found "-2"`],
      ['fractional count', 'repeat 1.5 {\n sleep 1s\n}', `e.nsl:1:8: expected ${COUNT}, found "1.5"`],
      ['count with a leading zero', 'repeat 04 {\n sleep 1s\n}', `e.nsl:1:8: expected ${COUNT}, found "04"`],
      [
        'unsafe count',
        'repeat 99999999999999999 {\n sleep 1s\n}',
        `e.nsl:1:8: expected ${COUNT}, found "99999999999999999"`,
      ],
      [
        'bad count from a parameter',
        'param n = 0\nrepeat $n {\n sleep 1s\n}',
        `e.nsl:2:8: expected ${COUNT}, found "$n" (= "0")`,
      ],
    ]);
  });

  describe('names and variables', () => {
    check([
      ['expect an unbound name', 'expect x held', `e.nsl:1:8: expected ${BOUND} (none is bound yet), found "x"`],
      [
        'expect a misspelt name',
        'task m\nm: read net as orig\nm: read net as trash1\nexpect same-inode trash1 trsh1',
        `e.nsl:4:26: expected a name bound earlier by "as NAME" of read, open, ioctl or next-inode (bound so far: orig, trash1), found "trsh1"`,
      ],
      [
        'expect a name bound later',
        'task m\nexpect x released\nm: read net as x',
        `e.nsl:2:8: expected ${BOUND} (none is bound yet), found "x"`,
      ],
      [
        'expect a name from $i',
        'task m\nm: read net as n1\nrepeat 2 {\n  expect n$i held\n}',
        `e.nsl:4:10: expected ${BOUND} (bound so far: n1), found "n$i" (= "n2")`,
      ],
      [
        'many bound names are cut short',
        'task m\nrepeat 10 {\n  m: read net as n$i\n}\nexpect x held',
        `e.nsl:5:8: expected ${BOUND} (bound so far: n1, n2, n3, n4, n5, n6, n7, n8 and 2 more), found "x"`,
      ],
      ['bind a bad name', 'task m\nm: read net as 1x', `e.nsl:2:16: expected a name ${ID}, found "1x"`],
      [
        'bind a bad name from a parameter',
        'param p = a:b\ntask m\nm: read net as $p',
        `e.nsl:3:16: expected a name ${ID}, found "$p" (= "a:b")`,
      ],
      [
        'bind an expect keyword',
        'task m\nm: read net as same-ns',
        'e.nsl:2:16: expected a name other than same-inode, other-inode, same-ns, other-ns, found "same-ns"',
      ],
      [
        'unknown variable',
        'task m\nrepeat 2 as j {\n  m: read net as trash$i\n}',
        'e.nsl:3:23: expected a parameter or loop variable declared earlier (in scope: j), found "$i"',
      ],
      [
        'variable outside its loop',
        'task m\nrepeat 2 {\n  m: read net\n}\nm: read net as x$i',
        'e.nsl:5:17: expected a parameter or loop variable declared earlier (none is declared here), found "$i"',
      ],
      [
        'parameter used before its declaration',
        'sleep $d\nparam d = 1s',
        'e.nsl:1:7: expected a parameter or loop variable declared earlier (none is declared here), found "$d"',
      ],
      [
        'scope listed innermost first',
        'param delay = 1s\nrepeat 1 {\n repeat 1 as j {\n  sleep ${dleay}\n }\n}',
        'e.nsl:4:9: expected a parameter or loop variable declared earlier (in scope: j, i, delay), found "${dleay}"',
      ],
      [
        '$ with no name',
        'task m\nm: read net as a$-b',
        'e.nsl:2:17: expected a variable name after "$" (none is declared here), found "$"',
      ],
      [
        '${} with no name',
        'task m\nm: read net as a${}',
        'e.nsl:2:17: expected a variable name after "$" (none is declared here), found "${}"',
      ],
      [
        '${ without }',
        'param x = 1\ntask m\nm: read net as a${x',
        'e.nsl:3:17: expected "}" closing "${", found "${x" with no "}"',
      ],
    ]);
  });
});

describe('parameter overrides', () => {
  it('names an undeclared parameter', () => {
    expectInputError(
      () => parseScenario('param delay = 500ms\nparam n = 4', 'seed.nsl', { delay: '0ms', dealy: '0ms' }),
      'seed.nsl: field params.dealy: expected a parameter the scenario declares (delay, n), found undeclared "dealy"',
    );
    expectInputError(
      () => parseScenario('sleep 1s', 'x.nsl', { n: '1' }),
      'x.nsl: field params.n: expected a parameter the scenario declares (none is declared), found undeclared "n"',
    );
  });

  it.each(['', '5 ms', 'a#b', 'x\ny'])('refuses the value %j, which no param line could hold', (value) => {
    expectInputError(
      () => parseScenario('param d = 1s', 'x.nsl', { d: value }),
      `x.nsl: field params.d: expected a parameter value without spaces or "#", found ${JSON.stringify(value)}`,
    );
  });

  it('checks an overriding value where it is used', () => {
    expectInputError(
      () => parseScenario('param delay = 1s\nsleep $delay', 'x.nsl', { delay: 'soon' }),
      `x.nsl:2:7: expected ${DURATION}, found "$delay" (= "soon")`,
    );
  });
});

describe('the step limit', () => {
  it('points at the repeat that goes past 1,000,000 steps', () => {
    expectInputError(
      () => parseScenario('sleep 1s\nrepeat 999999 {\n  sleep 1s\n}\nsleep 1s', 'big.nsl'),
      'big.nsl:5:1: expected at most 1000000 steps once repeat blocks are expanded, found more',
    );
    expectInputError(
      () => parseScenario('repeat 1000 {\n  repeat    1001 {\n    sleep 1s\n  }\n}', 'big.nsl'),
      'big.nsl:1:8: expected at most 1000000 steps once repeat blocks are expanded, found more (this repeat goes past the limit)',
    );
  });

  it('stops early on an absurd count', () => {
    const start = performance.now();
    expectInputError(
      () => parseScenario('repeat 9007199254740991 {\n  sleep 1s\n}', 'big.nsl'),
      'big.nsl:1:8: expected at most 1000000 steps once repeat blocks are expanded, found more (this repeat goes past the limit)',
    );
    expect(performance.now() - start).toBeLessThan(10_000);
  });
});

describe('every error', () => {
  it('is one line', () => {
    expectInputError(
      () => parseScenario('task m\nm: unshare "a\vb"', 'e.nsl'),
      `e.nsl:2:12: expected ${TYPES}, found "\\"a\\u000bb\\""`,
    );
  });
});

describe('any text', () => {
  const WORDS = [
    'task',
    'm',
    'm:',
    'w$i:',
    'unshare',
    'read',
    'net',
    'user,',
    ',',
    'pid',
    '=>',
    'ok',
    'EPERM',
    'as',
    'x',
    'n$i',
    '${i}',
    'sleep',
    '1s',
    '0.5ms',
    '$p',
    'repeat',
    '2',
    '$i',
    '{',
    '}',
    'expect',
    'held',
    'released',
    'same-ns',
    'other-inode',
    'param',
    'p',
    '=',
    'scenario',
    '#',
    '$',
    '${',
    'time',
    'fork',
    'c',
    'c:',
    'new',
    'pidfd',
    'thread',
    'setns',
    'open',
    '/proc/self/ns/net',
    '/proc/c/ns/pid_for_children',
    '/run/netns/a',
    '/proc',
    'cloexec',
    'ioctl',
    'get-userns',
    'close',
    'bind',
    'umount',
    'lazy',
    'mount',
    'proc',
    'socket',
    'shmat',
    'shmdt',
    'exec',
    'exit',
    'wait',
    'set',
    'max_net_namespaces',
    '5',
    'next-inode',
    'same-inode',
  ];
  const text = fc
    .array(fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(' ', ' ', '\t', '\n', '\n')), { maxLength: 40 })
    .map((pairs) => pairs.map(([word, gap]) => word + gap).join(''));

  test.prop([text])('parses, or fails with one InputError line pointing into the text', (source) => {
    let scenario;
    try {
      scenario = parseScenario(source, 'e.nsl', {});
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      const error = e as InputError;
      expect(error.format()).toMatch(/^e\.nsl:\d+:\d+: expected [^\n]+, found [^\n]+$/);
      const lines = source.split('\n');
      const line = lines[(error.line ?? 0) - 1];
      expect(line).toBeDefined();
      expect(error.col).toBeGreaterThanOrEqual(1);
      expect(error.col).toBeLessThanOrEqual((line ?? '').length + 1);
      return;
    }
    expect(scenario.file).toBe('e.nsl');
  });
});
