import fc from 'fast-check';
import { MS } from '../../model/time.ts';
import type { Expectation, NsSource, Scenario, SourcePos, Step } from '../../src/scenario/ast.ts';

/** Task names a generated scenario may use. @internal */
export const TASK_NAMES = ['a', 'b', 'c'] as const;

type StepAt = (pos: SourcePos) => Step;

/** One step for one of `tasks`, without its position (the position is its index). */
const stepArb = (tasks: readonly string[]): fc.Arbitrary<StepAt> => {
  const task = fc.constantFrom(...tasks);
  return fc.oneof(
    task.map((t): StepAt => (pos) => ({ kind: 'unshare', task: t, types: ['user'], pos })),
    task.map((t): StepAt => (pos) => ({ kind: 'unshare', task: t, types: ['net'], pos })),
    task.map((t): StepAt => (pos) => ({ kind: 'unshare', task: t, types: ['user', 'net'], pos })),
    task.map((t): StepAt => (pos) => ({ kind: 'read', task: t, nsType: 'net', pos })),
    task.map((t): StepAt => (pos) => ({ kind: 'read', task: t, nsType: 'user', pos })),
    fc.integer({ min: 0, max: 50 }).map((ms): StepAt => (pos) => ({ kind: 'sleep', ns: ms * MS, pos })),
  );
};

/**
 * Scenario IR values as the parser would produce them: 1–3 tasks, `minSteps`–`maxSteps` steps
 * among `unshare user`, `unshare net`, `unshare user,net`, `read net`, `read user` and
 * `sleep 0–50ms`; step `i` sits at line `i + 1` of file `<gen>`. Shrinks towards fewer tasks,
 * fewer steps, `unshare user` and shorter sleeps.
 *
 * @internal
 */
export function scenarioArb(opts: { minSteps?: number; maxSteps?: number } = {}): fc.Arbitrary<Scenario> {
  return fc.integer({ min: 1, max: TASK_NAMES.length }).chain((n) => {
    const tasks = TASK_NAMES.slice(0, n);
    return fc
      .array(stepArb(tasks), { minLength: opts.minSteps ?? 1, maxLength: opts.maxSteps ?? 50 })
      .map((mk): Scenario => ({
        name: 'generated',
        file: '<gen>',
        tasks,
        params: {},
        steps: mk.map((f, i) => f({ file: '<gen>', line: i + 1, col: 1 })),
      }));
  });
}

/** Seeds of the engine's choice source (any 32-bit integer). @internal */
export const seedArb = fc.integer();

/** What `as NAME` bound a name with last, as the scenario language sees it. */
type BoundAs = 'read' | 'open' | 'ioctl' | 'next-inode' | 'socket' | 'pidfd' | 'fork' | 'shmat';
const FD_BINDERS: readonly BoundAs[] = ['open', 'ioctl', 'socket', 'pidfd', 'fork'];
const NS_BINDERS: readonly BoundAs[] = ['read', 'open', 'ioctl'];
const INODE_BINDERS: readonly BoundAs[] = [...NS_BINDERS, 'next-inode'];

/** Names `as NAME` may bind (few, so that names get rebound and reused). @internal */
export const BOUND_NAMES = ['x', 'y', 'fd', 'n1', 'n.2', 's-3'] as const;
/** Paths bind, umount and mount proc may use. @internal */
export const PATHS = ['/run/netns/a', '/run/netns/b', '/mnt/proc', '/tmp/x_1.y-2'] as const;
const OUTCOMES = ['ok', 'EPERM', 'EBADF', 'EINVAL', 'ESRCH', 'ENOSPC', 'EAGAIN', 'ECHILD'] as const;
const NS_TYPE_LIST = ['user', 'pid', 'net', 'mnt', 'uts', 'ipc', 'cgroup', 'time'] as const;
const NS_FILE_LIST = [...NS_TYPE_LIST, 'pid_for_children', 'time_for_children'] as const;

const k = fc.nat();
const types0 = fc.shuffledSubarray([...NS_TYPE_LIST]);
const types1 = fc.shuffledSubarray([...NS_TYPE_LIST], { minLength: 1 });
const nameIdx = fc.nat({ max: BOUND_NAMES.length - 1 });
const pathIdx = fc.nat({ max: PATHS.length - 1 });
const sourceDraft = fc.record({
  kind: fc.constantFrom('proc', 'path', 'fd'),
  task: k,
  file: fc.constantFrom(...NS_FILE_LIST),
  path: pathIdx,
  fd: k,
});

/** One step to be: indices are resolved against the tasks and names of the scenario so far. */
const fullDraft = fc.record({
  op: fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('unshare' as const), types: types1 }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('fork' as const),
        types: types0,
        pidfd: fc.option(nameIdx, { nil: undefined }),
      }),
    },
    fc.record({ kind: fc.constant('thread' as const) }),
    fc.record({ kind: fc.constant('setns' as const), fd: k, types: types0 }),
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('open' as const),
        source: sourceDraft,
        as: nameIdx,
        cloexec: fc.boolean(),
      }),
    },
    fc.record({
      kind: fc.constant('ioctl' as const),
      fd: k,
      request: fc.constantFrom('get-userns' as const, 'get-parent' as const),
      as: nameIdx,
      cloexec: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('close' as const), fd: k }),
    fc.record({ kind: fc.constant('bind' as const), source: sourceDraft, path: pathIdx }),
    fc.record({ kind: fc.constant('umount' as const), path: pathIdx, lazy: fc.boolean() }),
    fc.record({ kind: fc.constant('mount-proc' as const), path: pathIdx }),
    fc.record({ kind: fc.constant('socket' as const), as: nameIdx, cloexec: fc.boolean() }),
    fc.record({ kind: fc.constant('pidfd' as const), target: k, as: nameIdx }),
    fc.record({ kind: fc.constant('shmat' as const), as: nameIdx }),
    fc.record({ kind: fc.constant('shmdt' as const), segment: k }),
    fc.record({ kind: fc.constant('exec' as const) }),
    fc.record({ kind: fc.constant('exit' as const) }),
    fc.record({ kind: fc.constant('wait' as const), child: k }),
    fc.record({
      kind: fc.constant('set-limit' as const),
      nsType: fc.constantFrom(...NS_TYPE_LIST),
      value: fc.oneof(fc.nat(10), fc.constant(2_147_483_647)),
    }),
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('read' as const),
        file: fc.constantFrom(...NS_FILE_LIST),
        as: fc.option(nameIdx, { nil: undefined }),
      }),
    },
    fc.record({ kind: fc.constant('next-inode' as const), as: fc.option(nameIdx, { nil: undefined }) }),
    fc.record({ kind: fc.constant('sleep' as const), ms: fc.nat(50) }),
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('expect' as const),
        check: fc.constantFrom('held', 'released', 'same-inode', 'other-inode', 'same-ns', 'other-ns'),
        a: k,
        b: k,
      }),
    },
  ),
  task: k,
  expect: fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom(...OUTCOMES) },
  ),
});
type FullDraft = typeof fullDraft extends fc.Arbitrary<infer T> ? T : never;
type PlainStep = Step extends infer S ? (S extends Step ? Omit<S, 'pos'> : never) : never;

/** Turns drafts into steps the scenario language accepts, in execution order. */
class FullResolver {
  private readonly tasks: string[];
  private readonly exited = new Set<string>();
  private readonly bound = new Map<string, BoundAs>();
  private forks = 0;

  constructor(declared: readonly string[]) {
    this.tasks = [...declared];
  }

  /** The step `d` becomes (without its position), or `undefined` when nothing fits it. */
  resolve(d: FullDraft): PlainStep | undefined {
    const op = d.op;
    if (op.kind === 'sleep') return { kind: 'sleep', ns: op.ms * MS };
    if (op.kind === 'next-inode') {
      if (op.as === undefined) return { kind: 'next-inode' };
      return this.bind({ kind: 'next-inode' as const, as: BOUND_NAMES[op.as] as string }, 'next-inode');
    }
    if (op.kind === 'expect') {
      const inode = op.check === 'same-inode' || op.check === 'other-inode';
      const names = this.named(inode ? INODE_BINDERS : NS_BINDERS);
      if (names.length === 0) return undefined;
      const a = pick(names, op.a);
      const check: Expectation =
        op.check === 'held' || op.check === 'released'
          ? { kind: op.check, name: a }
          : { kind: op.check, a, b: pick(names, op.b) };
      return { kind: 'expect', check };
    }
    const alive = this.tasks.filter((t) => !this.exited.has(t));
    if (alive.length === 0) return undefined;
    const task = pick(alive, d.task);
    const body = this.operation(task, op);
    if (body === undefined) return undefined;
    return (d.expect === undefined ? { ...body, task } : { ...body, task, expect: d.expect }) as PlainStep;
  }

  private operation(
    task: string,
    op: Exclude<FullDraft['op'], { kind: 'sleep' | 'next-inode' | 'expect' }>,
  ): object | undefined {
    const fds = this.named(FD_BINDERS);
    const name = (i: number) => BOUND_NAMES[i] as string;
    switch (op.kind) {
      case 'unshare':
        return { kind: 'unshare', types: op.types };
      case 'fork': {
        const child = this.newTask();
        if (op.pidfd === undefined) return { kind: 'fork', child, types: op.types };
        const pidfd = name(op.pidfd);
        this.bound.set(pidfd, 'fork');
        return { kind: 'fork', child, types: op.types, pidfd };
      }
      case 'thread':
        return { kind: 'thread', child: this.newTask() };
      case 'setns':
        return fds.length === 0 ? undefined : { kind: 'setns', fd: pick(fds, op.fd), types: op.types };
      case 'open': {
        const source = this.source(task, op.source.kind === 'fd' ? { ...op.source, kind: 'path' } : op.source);
        return this.bind({ kind: 'open', source, as: name(op.as), cloexec: op.cloexec }, 'open');
      }
      case 'ioctl':
        if (fds.length === 0) return undefined;
        return this.bind(
          { kind: 'ioctl', fd: pick(fds, op.fd), request: op.request, as: name(op.as), cloexec: op.cloexec },
          'ioctl',
        );
      case 'close':
        return fds.length === 0 ? undefined : { kind: 'close', fd: pick(fds, op.fd) };
      case 'bind': {
        const source = this.source(task, op.source);
        return source === undefined ? undefined : { kind: 'bind', source, path: pick(PATHS, op.path) };
      }
      case 'umount':
        return { kind: 'umount', path: pick(PATHS, op.path), lazy: op.lazy };
      case 'mount-proc':
        return { kind: 'mount-proc', path: pick(PATHS, op.path) };
      case 'socket':
        return this.bind({ kind: 'socket', as: name(op.as), cloexec: op.cloexec }, 'socket');
      case 'pidfd':
        return this.bind({ kind: 'pidfd', target: pick(this.tasks, op.target), as: name(op.as) }, 'pidfd');
      case 'shmat':
        return this.bind({ kind: 'shmat', as: name(op.as) }, 'shmat');
      case 'shmdt': {
        const segments = this.named(['shmat']);
        return segments.length === 0 ? undefined : { kind: 'shmdt', segment: pick(segments, op.segment) };
      }
      case 'exec':
        return { kind: 'exec' };
      case 'exit':
        this.exited.add(task);
        return { kind: 'exit' };
      case 'wait':
        return { kind: 'wait', child: pick(this.tasks, op.child) };
      case 'set-limit':
        return { kind: 'set-limit', nsType: op.nsType, value: op.value };
      case 'read':
        if (op.as === undefined) return { kind: 'read', nsType: op.file };
        return this.bind({ kind: 'read', nsType: op.file, as: name(op.as) }, 'read');
    }
  }

  private source(
    task: string,
    d: FullDraft['op'] & { kind: 'open' } extends { source: infer S } ? S : never,
  ): NsSource | undefined {
    if (d.kind === 'proc')
      return { kind: 'proc', task: d.task % 4 === 0 ? task : pick(this.tasks, d.task), file: d.file };
    if (d.kind === 'path') return { kind: 'path', path: pick(PATHS, d.path) };
    const fds = this.named(FD_BINDERS);
    return fds.length === 0 ? undefined : { kind: 'fd', fd: pick(fds, d.fd) };
  }

  private newTask(): string {
    const child = `t${++this.forks}`;
    this.tasks.push(child);
    return child;
  }

  /** `step`, which binds its `as`. */
  private bind<T extends { readonly as: string }>(step: T, by: BoundAs): T {
    this.bound.set(step.as, by);
    return step;
  }

  private named(by: readonly BoundAs[]): string[] {
    return [...this.bound].filter(([, b]) => by.includes(b)).map(([n]) => n);
  }
}

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;

/**
 * Scenario IR values over every operation, as the parser (and the builder) would produce them:
 * 1–3 declared tasks (`a`, `b`, `c`) and tasks `t1`, `t2`, ... made by `fork` and `thread`;
 * no task acts after its `exit`; every name is bound (by `as`) before it is used, by a step that
 * makes it usable there (an fd for setns/ioctl/close/bind, a segment for shmdt, a namespace or
 * an inode for expect); paths from {@link PATHS}; about one task step in five has an expected
 * outcome. Draws that fit nothing yet (a close before any fd) are left out, so a scenario may
 * have fewer than `minSteps` steps. Step `i` sits at line `i + 1` of file `<gen>`. Whether a
 * step would succeed is not considered: the model predicts that.
 *
 * @internal
 */
export function fullScenarioArb(opts: { minSteps?: number; maxSteps?: number } = {}): fc.Arbitrary<Scenario> {
  return fc.integer({ min: 1, max: TASK_NAMES.length }).chain((n) => {
    const tasks = TASK_NAMES.slice(0, n);
    return fc
      .array(fullDraft, { minLength: opts.minSteps ?? 1, maxLength: opts.maxSteps ?? 50 })
      .map((drafts): Scenario => {
        const resolver = new FullResolver(tasks);
        const steps = drafts.flatMap((d) => {
          const step = resolver.resolve(d);
          return step === undefined ? [] : [step];
        });
        return {
          name: 'generated',
          file: '<gen>',
          tasks,
          params: {},
          steps: steps.map((s, i) => ({ ...s, pos: { file: '<gen>', line: i + 1, col: 1 } }) as Step),
        };
      });
  });
}
