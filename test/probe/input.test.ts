import { describe, expect, it } from 'vitest';
import type { Scenario, SourcePos } from '../../src/scenario/ast.ts';
import { probeInput } from '../../src/probe/input.ts';

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

describe('probeInput', () => {
  it('writes the line protocol, skipping expect steps but keeping the scenario indexes', () => {
    expect(probeInput(scenario)).toBe(
      [
        'nslife-probe-input 1',
        'meta {"name":"two","file":"examples/two.nsl","params":{"delay":"10ms"}}',
        'task 0 main',
        'task 1 helper',
        'step 0 4 0 unshare user,net',
        'step 1 5 1 read net',
        'step 3 7 - sleep 10000000',
        'step 4 8 1 unshare ipc',
        'run',
        '',
      ].join('\n'),
    );
  });

  it('keeps meta on one line whatever the parameter values hold', () => {
    const odd = { ...scenario, params: { note: 'a\nb "c"' } };
    const meta = probeInput(odd).split('\n')[1] ?? '';
    expect(JSON.parse(meta.slice('meta '.length))).toEqual({
      name: 'two',
      file: 'examples/two.nsl',
      params: { note: 'a\nb "c"' },
    });
  });

  it('refuses what the protocol cannot carry, in one line', () => {
    expect(() => probeInput({ ...scenario, tasks: ['main task', 'helper'] })).toThrow(
      /^probe input: task name "main task" must be one word$/,
    );
    expect(() => probeInput({ ...scenario, tasks: ['main'] })).toThrow(
      /step 1 uses task "helper", which the scenario does not declare/,
    );
    expect(() => probeInput({ ...scenario, steps: [{ kind: 'sleep', ns: 1.5, pos: at(1) }] })).toThrow(/whole number/);
    expect(() =>
      probeInput({ ...scenario, steps: [{ kind: 'unshare', task: 'main', types: [], pos: at(1) }] }),
    ).toThrow(/no namespace type/);
  });
});
