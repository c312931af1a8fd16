import { describe, expect, it } from 'vitest';
import type { Scenario, SourcePos, Step } from '../../src/scenario/ast.ts';
import { stepArgs } from '../../src/scenario/observed.ts';
import { PROBE_INPUT_VERSION, probeInput } from '../../src/probe/input.ts';
import { IrBuilder, atPath, fd, proc } from './ir.ts';

const at = (line: number): SourcePos => ({ file: 'examples/two.nsl', line, col: 1 });

const scenario: Scenario = {
  name: 'two',
  file: 'examples/two.nsl',
  tasks: ['main', 'helper'],
  params: { delay: '10ms' },
  steps: [
    { kind: 'unshare', task: 'main', types: ['user', 'net'], pos: at(4) },
    { kind: 'read', task: 'helper', nsType: 'net', as: 'orig', pos: at(5) },
    { kind: 'expect', check: { kind: 'other-inode', a: 'orig', b: 'orig' }, pos: at(6) },
    { kind: 'sleep', ns: 10_000_000, pos: at(7) },
    { kind: 'unshare', task: 'helper', types: ['ipc'], expect: 'EPERM', pos: at(8) },
  ],
};

/** The step lines of an input, without their args JSON. */
const stepWords = (input: string): string[] =>
  input
    .split('\n')
    .filter((l) => l.startsWith('step '))
    .map((l) => l.slice(0, l.indexOf(' {')));

describe('probeInput', () => {
  it('writes the line protocol, skipping expect steps but keeping the scenario indexes', () => {
    expect(probeInput(scenario)).toBe(
      [
        'nslife-probe-input 2',
        'meta {"name":"two","file":"examples/two.nsl","params":{"delay":"10ms"},"tasks":["main","helper"]}',
        'task 0 main initial',
        'task 1 helper initial',
        'step 0 4 0 unshare user,net {"types":["user","net"]}',
        'step 1 5 1 read net {"type":"net"}',
        'step 3 7 - sleep 10000000 {"ns":10000000}',
        'step 4 8 1 unshare ipc {"types":["ipc"]}',
        'run',
        '',
      ].join('\n'),
    );
    expect(PROBE_INPUT_VERSION).toBe('nslife-probe-input 2');
  });

  it('encodes every operation: the words the probe executes, then stepArgs verbatim', () => {
    const b = new IrBuilder('all', ['main', 'other'])
      .unshare('main', ['user', 'mnt'])
      .fork('main', 'c', ['net', 'pid'], 'pfd')
      .fork('main', 'd')
      .thread('c', 'th')
      .setns('main', 'pfd', ['net', 'uts'])
      .setns('main', 'f', [])
      .open('main', proc('c', 'net'), 'f', true)
      .open('main', atPath('/run/netns/a'), 'g')
      .open('main', fd('f'), 'h')
      .open('main', proc('other', 'pid_for_children'), 'k')
      .ioctl('main', 'f', 'get-userns', 'u')
      .ioctl('main', 'u', 'get-parent', 'p', true)
      .close('main', 'f')
      .bind('main', proc('main', 'time_for_children'), '/run/t')
      .bind('main', atPath('/run/t'), '/run/u')
      .bind('main', fd('g'), '/run/v')
      .umount('main', '/run/t')
      .umount('main', '/run/u', true)
      .mountProc('c', '/p')
      .socket('main', 's')
      .socket('main', 's2', true)
      .pidfd('main', 'c', 'pc')
      .shmat('main', 'seg')
      .shmdt('main', 'seg')
      .exec('c')
      .exit('th')
      .wait('main', 'c')
      .setLimit('main', 'net', 4)
      .read('main', 'time_for_children', 'tfc')
      .nextInode('free')
      .nextInode()
      .sleep(1.5);
    const s = b.build();
    const input = probeInput(s);
    const lines = input.split('\n');
    expect(lines.slice(2, 7)).toEqual([
      'task 0 main initial',
      'task 1 other initial',
      'task 2 c child',
      'task 3 d child',
      'task 4 th child',
    ]);
    expect(stepWords(input)).toEqual([
      'step 0 1 0 unshare user,mnt',
      'step 1 2 0 fork 2 net,pid pfd',
      'step 2 3 0 fork 3 - -',
      'step 3 4 2 thread 4',
      'step 4 5 0 setns pfd net,uts',
      'step 5 6 0 setns f -',
      'step 6 7 0 open proc 2 net f cloexec',
      'step 7 8 0 open path /run/netns/a g -',
      'step 8 9 0 open fd f h -',
      'step 9 10 0 open proc 1 pid_for_children k -',
      'step 10 11 0 ioctl f get-userns u -',
      'step 11 12 0 ioctl u get-parent p cloexec',
      'step 12 13 0 close f',
      'step 13 14 0 bind proc 0 time_for_children /run/t',
      'step 14 15 0 bind path /run/t /run/u',
      'step 15 16 0 bind fd g /run/v',
      'step 16 17 0 umount /run/t -',
      'step 17 18 0 umount /run/u lazy',
      'step 18 19 2 mount-proc /p',
      'step 19 20 0 socket s -',
      'step 20 21 0 socket s2 cloexec',
      'step 21 22 0 pidfd 2 pc',
      'step 22 23 0 shmat seg',
      'step 23 24 0 shmdt seg',
      'step 24 25 2 exec',
      'step 25 26 4 exit',
      'step 26 27 0 wait 2',
      'step 27 28 0 set-limit net 4',
      'step 28 29 0 read time_for_children',
      'step 29 30 - next-inode',
      'step 30 31 - next-inode',
      'step 31 32 - sleep 1500000',
    ]);
    // Every kind but expect is there, and each line ends with its stepArgs, verbatim.
    const kinds = new Set(s.steps.map((x) => x.kind));
    expect(kinds.size).toBe(21);
    const steps = lines.filter((l) => l.startsWith('step '));
    s.steps.forEach((step, i) => {
      const line = steps[i]!;
      const args = line.slice(line.indexOf(' {') + 1);
      expect(JSON.parse(args)).toEqual(stepArgs(step as Exclude<Step, { kind: 'expect' }>));
      expect(args).toBe(JSON.stringify(stepArgs(step as Exclude<Step, { kind: 'expect' }>)));
    });
    expect(steps[29]!.endsWith(' {"as":"free"}')).toBe(true);
    expect(steps[30]!.endsWith(' {}')).toBe(true);
    expect(lines.at(-2)).toBe('run');
  });

  it('keeps meta on one line whatever the parameter values hold', () => {
    const odd = { ...scenario, params: { note: 'a\nb "c"' } };
    const meta = probeInput(odd).split('\n')[1] ?? '';
    expect(JSON.parse(meta.slice('meta '.length))).toEqual({
      name: 'two',
      file: 'examples/two.nsl',
      params: { note: 'a\nb "c"' },
      tasks: ['main', 'helper'],
    });
  });

  it('refuses what the protocol cannot carry, in one line', () => {
    const one = (steps: Step[], tasks = ['main']): string => probeInput({ ...scenario, tasks, steps });
    expect(() => probeInput({ ...scenario, tasks: ['main task', 'helper'] })).toThrow(
      /^probe input: task name "main task" must be one word/,
    );
    expect(() => probeInput({ ...scenario, tasks: ['main'] })).toThrow(
      /step 1 uses task "helper", which the scenario does not declare or fork/,
    );
    expect(() => one([{ kind: 'sleep', ns: 1.5, pos: at(1) }])).toThrow(/whole number/);
    expect(() => one([{ kind: 'unshare', task: 'main', types: [], pos: at(1) }])).toThrow(/no namespace type/);
    expect(() => one(new IrBuilder('x').fork('main', 'c').fork('main', 'c').steps)).toThrow(
      /^probe input: step 1 makes task "c", which already exists/,
    );
    expect(() => one(new IrBuilder('x').fork('main', 'main').steps)).toThrow(/already exists/);
    expect(() => one(new IrBuilder('x').bind('main', proc('main', 'net'), 'run/a').steps)).toThrow(
      /path "run\/a" must be absolute/,
    );
    expect(() => one(new IrBuilder('x').umount('main', '/run/../etc').steps)).toThrow(/"\.\." parts/);
    expect(() => one(new IrBuilder('x').umount('main', '/').steps)).toThrow(/must be absolute, below "\/"/);
    expect(() => one(new IrBuilder('x').open('main', atPath('/a b'), 'f').steps)).toThrow(/white space/);
    expect(() => one(new IrBuilder('x').close('main', '-').steps)).toThrow(/fd name "-" must be one word/);
    expect(() => one(new IrBuilder('x').pidfd('main', 'nobody', 'p').steps)).toThrow(/task "nobody"/);
    expect(() => one(new IrBuilder('x').setLimit('main', 'net', -1).steps)).toThrow(/whole number ≥ 0/);
  });
});
