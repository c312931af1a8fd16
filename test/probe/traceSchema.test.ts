import { describe, expect, it } from 'vitest';
import type { Step } from '../../src/scenario/ast.ts';
import { stepArgs } from '../../src/scenario/observed.ts';
import { parseTrace } from '../../src/trace/read.ts';
import { IrBuilder, atPath, fd, proc } from './ir.ts';

// The trace schema and the reader's semantic checks for every operation: what the probe writes
// (args = stepArgs(step), copied verbatim) reads back, and what no executor can write is refused
// with the line and the field.

const header = {
  type: 'header',
  format: 'nslife-trace',
  version: 1,
  source: 'kernel',
  tool: 'nslife-probe 0.1.0',
  kernel: { release: '6.18.44', machine: 'x86_64' },
  profile: 'linux-6.18',
  capabilities: { userns: true, tracefs: false, nsGetId: true, fileHandles: true, listns: false },
  missing: [],
  clock: 'CLOCK_MONOTONIC',
  scenario: { name: 't', file: 't.nsl', params: {} },
  seed: null,
  initial: [{ type: 'net', inode: 4026531833, id: 3 }],
};

type Rec = Record<string, unknown>;
const net = (id: number): Rec => ({ type: 'net', inode: 4026532000 + id, id });

/** A step record of `step` (the IR's) at index `i`. */
function record(step: Exclude<Step, { kind: 'expect' }>, i: number, extra: Rec = {}): Rec {
  return {
    type: 'step',
    index: i,
    line: step.pos.line,
    task: 'task' in step ? step.task : null,
    op: step.kind,
    args: stepArgs(step),
    t0: 1000 + i,
    t1: 1000 + i,
    errno: null,
    ns: [],
    refs: [],
    ...extra,
  };
}

const text = (records: Rec[], head: Rec = header): string =>
  [head, ...records, { type: 'end', complete: true, steps: records.length, t: 99999 }]
    .map((r) => JSON.stringify(r))
    .join('\n') + '\n';

const every = new IrBuilder('all', ['main', 'other'])
  .unshare('main', ['user', 'net'])
  .fork('main', 'c', ['net', 'pid'], 'pfd')
  .fork('main', 'd')
  .thread('c', 'th')
  .setns('main', 'pfd', ['net', 'uts'])
  .setns('main', 'f')
  .open('main', proc('c', 'net'), 'f', true)
  .open('main', atPath('/run/netns/a'), 'g')
  .open('main', fd('f'), 'h')
  .ioctl('main', 'f', 'get-userns', 'u')
  .ioctl('main', 'u', 'get-parent', 'p', true)
  .close('main', 'f')
  .bind('main', proc('main', 'time_for_children'), '/run/t')
  .bind('main', fd('g'), '/run/v')
  .umount('main', '/run/t', true)
  .mountProc('c', '/p')
  .socket('main', 's', true)
  .pidfd('main', 'c', 'pc')
  .shmat('main', 'seg')
  .shmdt('main', 'seg')
  .exec('c')
  .exit('th')
  .wait('main', 'c')
  .setLimit('main', 'net', 4)
  .read('main', 'pid_for_children', 'pfc')
  .nextInode('free')
  .sleep(1);

const steps = every.steps as Exclude<Step, { kind: 'expect' }>[];

describe('trace schema and reader: every operation', () => {
  it('reads a trace with every operation, args as stepArgs, and the header limits', () => {
    const recs = steps.map((s, i) =>
      record(
        s,
        i,
        s.kind === 'next-inode'
          ? { next: 4026532100 }
          : s.kind === 'read'
            ? { ns: [{ type: 'pid', inode: 4026532300, id: 77 }] }
            : s.kind === 'fork' && i === 1
              ? { ns: [net(2), { type: 'pid', inode: 4026532301, id: 78 }] }
              : {},
      ),
    );
    const limits = { user: 1, pid: 2, net: 3, mnt: 4, uts: 5, ipc: 6, cgroup: 7, time: 8 };
    const trace = parseTrace(text(recs, { ...header, limits }), 't.jsonl');
    expect(trace.steps.map((s) => s.op)).toEqual(steps.map((s) => s.kind));
    expect(new Set(trace.steps.map((s) => s.op)).size).toBe(21);
    expect(trace.header.limits).toEqual(limits);
    expect(trace.steps.find((s) => s.op === 'next-inode')?.next).toBe(4026532100);
    expect(trace.complete).toBe(true);
  });

  const bad =
    (records: Rec[], head: Rec = header): (() => unknown) =>
    () =>
      parseTrace(text(records, head), 't.jsonl');
  const at = (kind: Step['kind']): number => steps.findIndex((s) => s.kind === kind);
  const rec = (kind: Step['kind'], extra: Rec = {}): Rec => record(steps[at(kind)]!, 0, extra);

  it('refuses args that do not match the operation', () => {
    expect(bad([rec('fork', { args: { types: [] } })])).toThrow(
      /^t\.jsonl:2:1: expected field args to be valid \(must have required property 'child'\)/,
    );
    expect(bad([rec('open', { args: { source: { kind: 'pipe' }, as: 'f', cloexec: false } })])).toThrow(
      /field args\.source to be valid/,
    );
    expect(bad([rec('close', { args: { fd: 'f', extra: 1 } })])).toThrow(/must NOT have additional properties/);
    expect(bad([rec('umount', { args: { path: 'run/t', lazy: false } })])).toThrow(/field args\.path to be valid/);
    expect(bad([rec('ioctl', { args: { fd: 'f', request: 'get-owner', as: 'u', cloexec: false } })])).toThrow(
      /field args\.request to be valid/,
    );
    expect(bad([rec('set-limit', { args: { nsType: 'net', value: -1 } })])).toThrow(/field args\.value/);
    expect(bad([rec('read', { args: { type: 'pid_for_parents' } })])).toThrow(/field args\.type/);
    expect(bad([rec('sleep', { op: 'expect' })])).toThrow(/field op to be valid/);
    expect(bad([rec('unshare', { args: { types: [] } })])).toThrow(/field args\.types/);
  });

  it('refuses header limits that are not one whole number per namespace type', () => {
    expect(bad([], { ...header, limits: { net: 2 } })).toThrow(/^t\.jsonl:1:1: expected field limits to be valid/);
    expect(
      bad([], {
        ...header,
        limits: {
          ...Object.fromEntries(['user', 'pid', 'net', 'mnt', 'uts', 'ipc', 'cgroup', 'time'].map((t) => [t, 1.5])),
        },
      }),
    ).toThrow(/field limits\.user to be valid/);
  });

  it('refuses what an operation cannot show: task, next, namespaces of a failed or non-observing step', () => {
    expect(bad([rec('sleep', { task: 'main' })])).toThrow(/^t\.jsonl:2:1: expected field task null for sleep steps/);
    expect(bad([rec('exit', { task: null })])).toThrow(/field task a task name for exit steps/);
    expect(bad([rec('unshare', { next: 5 })])).toThrow(/no field next on unshare steps/);
    expect(bad([rec('next-inode')])).toThrow(/field next on a successful next-inode step, found none/);
    expect(parseTrace(text([rec('next-inode', { errno: 'ENOSPC' })]), 't').steps[0]!.next).toBeUndefined();
    expect(
      parseTrace(text([rec('next-inode')], { ...header, source: 'model', clock: 'virtual' }), 't').steps,
    ).toHaveLength(1);
    expect(bad([rec('open', { errno: 'EBADF', ns: [net(1)] })])).toThrow(/field ns empty on a failed step/);
    expect(bad([rec('close', { ns: [net(1)] })])).toThrow(/field ns with at most 0 namespaces on close steps/);
    expect(bad([rec('open', { ns: [net(1), net(2)] })])).toThrow(/at most 1 namespaces on open steps/);
    expect(bad([rec('unshare', { ns: [net(1), { type: 'pid', inode: 4026532500, id: 9 }] })])).toThrow(
      /field ns\[1\]\.type one of the step's types \(user, net\), each once/,
    );
    expect(bad([rec('fork', { ns: [net(1), net(2)] })])).toThrow(/field ns\[1\]\.type one of the step's types/);
    expect(bad([rec('read', { ns: [net(1)] })])).toThrow(/field ns\[0\]\.type "pid" \(the file read\)/);
  });
});
