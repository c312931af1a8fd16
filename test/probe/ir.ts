import type { NsType } from '../../model/nsType.ts';
import type { NsFile, NsSource, Outcome, Scenario, Step } from '../../src/scenario/ast.ts';
import type { NsObservation, Trace, TraceStep } from '../../src/trace/format.ts';

/**
 * Scenario IR built by hand, for the probe's tests (the text parser and the TypeScript builder
 * are being extended meanwhile; the IR, src/scenario/ast.ts, is fixed). Each step's line is its
 * index + 1, and `mark` names the index of the step just added.
 */
export class IrBuilder {
  readonly steps: Step[] = [];
  readonly marks = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly tasks: readonly string[] = ['main'],
  ) {}

  private add(step: Record<string, unknown>): this {
    const line = this.steps.length + 1;
    this.steps.push({ ...step, pos: { file: `<ir ${this.name}>`, line, col: 1 } } as unknown as Step);
    return this;
  }

  /** Names the last step, for {@link stepOf}. */
  mark(label: string): this {
    this.marks.set(label, this.steps.length - 1);
    return this;
  }

  unshare(task: string, types: NsType[], expect?: Outcome): this {
    return this.add({ kind: 'unshare', task, types, ...(expect ? { expect } : {}) });
  }
  fork(task: string, child: string, types: NsType[] = [], pidfd?: string): this {
    return this.add({ kind: 'fork', task, child, types, ...(pidfd ? { pidfd } : {}) });
  }
  thread(task: string, child: string): this {
    return this.add({ kind: 'thread', task, child });
  }
  setns(task: string, fd: string, types: NsType[] = []): this {
    return this.add({ kind: 'setns', task, fd, types });
  }
  open(task: string, source: NsSource, as: string, cloexec = false): this {
    return this.add({ kind: 'open', task, source, as, cloexec });
  }
  ioctl(task: string, fd: string, request: 'get-userns' | 'get-parent', as: string, cloexec = false): this {
    return this.add({ kind: 'ioctl', task, fd, request, as, cloexec });
  }
  close(task: string, fd: string): this {
    return this.add({ kind: 'close', task, fd });
  }
  bind(task: string, source: NsSource, path: string): this {
    return this.add({ kind: 'bind', task, source, path });
  }
  umount(task: string, path: string, lazy = false): this {
    return this.add({ kind: 'umount', task, path, lazy });
  }
  mountProc(task: string, path: string): this {
    return this.add({ kind: 'mount-proc', task, path });
  }
  socket(task: string, as: string, cloexec = false): this {
    return this.add({ kind: 'socket', task, as, cloexec });
  }
  pidfd(task: string, target: string, as: string): this {
    return this.add({ kind: 'pidfd', task, target, as });
  }
  shmat(task: string, as: string): this {
    return this.add({ kind: 'shmat', task, as });
  }
  shmdt(task: string, segment: string): this {
    return this.add({ kind: 'shmdt', task, segment });
  }
  exec(task: string): this {
    return this.add({ kind: 'exec', task });
  }
  exit(task: string): this {
    return this.add({ kind: 'exit', task });
  }
  wait(task: string, child: string): this {
    return this.add({ kind: 'wait', task, child });
  }
  setLimit(task: string, nsType: NsType, value: number): this {
    return this.add({ kind: 'set-limit', task, nsType, value });
  }
  read(task: string, nsType: NsFile, as?: string): this {
    return this.add({ kind: 'read', task, nsType, ...(as ? { as } : {}) });
  }
  nextInode(as?: string): this {
    return this.add({ kind: 'next-inode', ...(as ? { as } : {}) });
  }
  sleep(ms: number): this {
    return this.add({ kind: 'sleep', ns: Math.round(ms * 1e6) });
  }

  build(): Scenario {
    return { name: this.name, file: `<ir ${this.name}>`, tasks: this.tasks, params: {}, steps: this.steps };
  }
}

/** `/proc/TASK/ns/FILE`, a bind-mounted path, an fd by name. */
export const proc = (task: string, file: NsFile): NsSource => ({ kind: 'proc', task, file });
export const atPath = (path: string): NsSource => ({ kind: 'path', path });
export const fd = (name: string): NsSource => ({ kind: 'fd', fd: name });

/** The trace step of the step marked `label`. */
export function stepOf(trace: Trace, b: IrBuilder, label: string): TraceStep {
  const index = b.marks.get(label);
  if (index === undefined) throw new Error(`no step marked ${label}`);
  const s = trace.steps.find((x) => x.index === index);
  if (!s) throw new Error(`step ${label} (${index}) is not in the trace`);
  return s;
}

/** The (first) namespace a marked step observed. */
export function obsOf(trace: Trace, b: IrBuilder, label: string): NsObservation {
  const s = stepOf(trace, b, label);
  const o = s.ns[0];
  if (!o) throw new Error(`step ${label} observed nothing (errno ${s.errno})`);
  return o;
}

/**
 * Whether namespace `id` is held right after the marked step: its refs entry, or false when an
 * earlier step saw it released (it is then no longer listed).
 */
export function heldAfter(trace: Trace, b: IrBuilder, label: string, id: number | null): boolean | undefined {
  const s = stepOf(trace, b, label);
  const r = s.refs.find((x) => x.id === id);
  if (r) return r.held;
  const before = trace.steps.filter((x) => x.index < s.index);
  return before.some((x) => x.refs.some((y) => y.id === id && !y.held)) ? false : undefined;
}
