import type { NsType } from '../../model/nsType.ts';
import type { Expectation, NsFile, Outcome, Scenario } from './ast.ts';
import { DEFAULT_LOOP_VARIABLE, ScenarioAssembler, type Written } from './assembler.ts';
import { BUILDER_FILE, BuilderCall } from './builderCall.ts';
import type { WrittenOp } from './operation.ts';
import type { TaskOperation } from './taskOperation.ts';

export { BUILDER_FILE } from './builderCall.ts';
export { held, released, sameInode, otherInode, sameNs, otherNs } from './checks.ts';
export { unshare, read, type TaskOperation } from './taskOperation.ts';

/**
 * What every task step may add: the outcome the scenario expects (`=> ENOSPC`, `=> ok`),
 * checked on traces.
 *
 * @remarks Since 0.2.0
 * @public
 */
export interface StepOptions {
  readonly expect?: Outcome;
}

/**
 * `fork`: `new` are the namespace types of CLONE_NEW* flags (`new TYPES`); `pidfd` names the
 * pidfd the parent gets (`pidfd as NAME`).
 *
 * @remarks Since 0.2.0
 * @public
 */
export interface ForkOptions extends StepOptions {
  readonly new?: NsType | readonly NsType[];
  readonly pidfd?: string;
}

/**
 * `setns`: `types` is the nstype argument (none: 0, any type).
 *
 * @remarks Since 0.2.0
 * @public
 */
export interface SetnsOptions extends StepOptions {
  readonly types?: NsType | readonly NsType[];
}

/**
 * Steps that make an fd: `cloexec` opens it with O_CLOEXEC (`exec` closes it).
 *
 * @remarks Since 0.2.0
 * @public
 */
export interface FdOptions extends StepOptions {
  readonly cloexec?: boolean;
}

/**
 * `umount`: `lazy` is MNT_DETACH.
 *
 * @remarks Since 0.2.0
 * @public
 */
export interface UmountOptions extends StepOptions {
  readonly lazy?: boolean;
}

/**
 * `read`: `as` names the namespace read, for `expect`.
 *
 * @remarks Since 0.2.0
 * @public
 */
export interface ReadOptions extends StepOptions {
  readonly as?: string;
}

/**
 * Starts a scenario in TypeScript. It makes the same {@link Scenario} the text parser makes and
 * checks the same things, throwing an InputError whose field names the builder call
 * (`unshare#5.types[0]`: the fifth call, an `unshare`) at the first bad call.
 *
 * @example
 * ```ts
 * const seed = scenario('seed').param('delay', '500ms').task('main')
 *   .unshare('main', 'user').read('main', 'net', { as: 'orig' })
 *   .repeat(4, (b, i) => b.unshare('main', 'net').read('main', 'net', { as: `trash${i}` }).sleep('$delay'))
 *   .build();
 * ```
 * @param options - `params` override the values given to {@link ScenarioBuilder.param}
 * @remarks Since 0.1.0
 * @public
 */
export function scenario(
  name: string,
  options: { readonly params?: Readonly<Record<string, string>> } = {},
): ScenarioBuilder {
  return new ScenarioBuilder(name, options.params);
}

/**
 * The fluent builder {@link scenario} returns: one method per statement and per operation, in
 * the words of the scenario language (docs/scenario-language.md). Each call is checked when it
 * is made; string arguments that name things, paths, durations, counts and limits may use
 * `$PARAM` and loop variables. Required parts of a statement are positional arguments,
 * optional ones are options.
 *
 * @remarks Since 0.1.0
 * @public
 */
export class ScenarioBuilder {
  private readonly assembler: ScenarioAssembler;
  private calls = 0;

  /** @internal */
  constructor(name: string, params?: Readonly<Record<string, string>>) {
    this.assembler = new ScenarioAssembler(BUILDER_FILE, params);
    const site = { field: 'scenario.name' };
    this.assembler.nameScenario({ text: 'scenario', site }, { text: name, site });
  }

  /** `param NAME = VALUE`: declares a parameter and its default. */
  param(name: string, value: string): this {
    const call = this.call('param');
    this.assembler.declareParam(call.arg('name', name), call.arg('value', value));
    return this;
  }

  /** `task NAME...`: declares tasks; they start in the initial namespaces. */
  task(...names: readonly string[]): this {
    const call = this.call('task');
    call.list('names', names).forEach((name) => this.assembler.declareTask(name));
    return this;
  }

  /** `TASK: ...`: the task does `operation`, made by {@link unshare} or {@link read}. */
  do(task: string, operation: TaskOperation): this {
    if (operation.kind === 'unshare') {
      return this.step('do', task, operation, (call) => ({
        kind: 'unshare',
        types: call.list('types', operation.types),
      }));
    }
    return this.step('do', task, {}, (call) => ({
      kind: 'read',
      file: call.arg('nsType', operation.nsType),
      as: call.optional('as', operation.as),
    }));
  }

  /** `TASK: unshare TYPES`: unshare(2) with the CLONE_NEW* flags of `types`. */
  unshare(task: string, types: NsType | readonly NsType[], options: StepOptions = {}): this {
    return this.step('unshare', task, options, (call) => ({ kind: 'unshare', types: call.list('types', list(types)) }));
  }

  /**
   * `TASK: fork CHILD [new TYPES] [pidfd as NAME]`: clone(2) of a new process, the new task
   * `child`.
   */
  fork(task: string, child: string, options: ForkOptions = {}): this {
    return this.step('fork', task, options, (call) => ({
      kind: 'fork',
      child: call.arg('child', child),
      types: options.new === undefined ? undefined : call.list('new', list(options.new)),
      pidfd: call.optional('pidfd', options.pidfd),
    }));
  }

  /** `TASK: thread CHILD`: clone(2) of a thread of the task's process, the new task `child`. */
  thread(task: string, child: string, options: StepOptions = {}): this {
    return this.step('thread', task, options, (call) => ({ kind: 'thread', child: call.arg('child', child) }));
  }

  /** `TASK: setns FD [TYPES]`: setns(2) on an nsfs fd or a pidfd. */
  setns(task: string, fd: string, options: SetnsOptions = {}): this {
    return this.step('setns', task, options, (call) => ({
      kind: 'setns',
      fd: call.arg('fd', fd),
      types: options.types === undefined ? [] : call.list('types', list(options.types)),
    }));
  }

  /**
   * `TASK: open SOURCE as NAME [cloexec]`: open(2) of an nsfs file: `/proc/TASK/ns/FILE`,
   * `/proc/self/ns/FILE` or a bind-mounted path. `as` names the fd and the namespace behind it.
   */
  open(task: string, source: string, as: string, options: FdOptions = {}): this {
    return this.step('open', task, options, (call) => ({
      kind: 'open',
      source: call.arg('source', source),
      as: call.arg('as', as),
      cloexec: options.cloexec ?? false,
    }));
  }

  /**
   * `TASK: ioctl FD get-userns|get-parent as NAME [cloexec]`: NS_GET_USERNS or NS_GET_PARENT,
   * a new fd (and namespace) named `as`.
   */
  ioctl(task: string, fd: string, request: 'get-userns' | 'get-parent', as: string, options: FdOptions = {}): this {
    return this.step('ioctl', task, options, (call) => ({
      kind: 'ioctl',
      fd: call.arg('fd', fd),
      request: call.arg('request', request),
      as: call.arg('as', as),
      cloexec: options.cloexec ?? false,
    }));
  }

  /** `TASK: close FD`: close(2). */
  close(task: string, fd: string, options: StepOptions = {}): this {
    return this.step('close', task, options, (call) => ({ kind: 'close', fd: call.arg('fd', fd) }));
  }

  /**
   * `TASK: bind SOURCE PATH`: a bind mount of an nsfs file (`/proc/TASK/ns/FILE`, a path, or
   * an fd name) on `path`, in the task's mount namespace.
   */
  bind(task: string, source: string, path: string, options: StepOptions = {}): this {
    return this.step('bind', task, options, (call) => ({
      kind: 'bind',
      source: call.arg('source', source),
      path: call.arg('path', path),
    }));
  }

  /** `TASK: umount PATH [lazy]`: umount2(2), with MNT_DETACH when `lazy`. */
  umount(task: string, path: string, options: UmountOptions = {}): this {
    return this.step('umount', task, options, (call) => ({
      kind: 'umount',
      path: call.arg('path', path),
      lazy: options.lazy ?? false,
    }));
  }

  /** `TASK: mount proc PATH`: a new procfs instance, which pins the task's pid namespace. */
  mountProc(task: string, path: string, options: StepOptions = {}): this {
    return this.step('mountProc', task, options, (call) => ({ kind: 'mount-proc', path: call.arg('path', path) }));
  }

  /** `TASK: socket as NAME [cloexec]`: a UDP socket in the task's network namespace. */
  socket(task: string, as: string, options: FdOptions = {}): this {
    return this.step('socket', task, options, (call) => ({
      kind: 'socket',
      as: call.arg('as', as),
      cloexec: options.cloexec ?? false,
    }));
  }

  /** `TASK: pidfd TARGET as NAME`: pidfd_open(2) on the task `target`. */
  pidfd(task: string, target: string, as: string, options: StepOptions = {}): this {
    return this.step('pidfd', task, options, (call) => ({
      kind: 'pidfd',
      target: call.arg('target', target),
      as: call.arg('as', as),
    }));
  }

  /** `TASK: shmat as NAME`: a shm segment of the task's ipc namespace, attached. */
  shmat(task: string, as: string, options: StepOptions = {}): this {
    return this.step('shmat', task, options, (call) => ({ kind: 'shmat', as: call.arg('as', as) }));
  }

  /** `TASK: shmdt NAME`: detaches a segment attached by {@link ScenarioBuilder.shmat}. */
  shmdt(task: string, segment: string, options: StepOptions = {}): this {
    return this.step('shmdt', task, options, (call) => ({ kind: 'shmdt', segment: call.arg('segment', segment) }));
  }

  /** `TASK: exec`: execve(2): O_CLOEXEC fds close, segments detach, other threads die. */
  exec(task: string, options: StepOptions = {}): this {
    return this.step('exec', task, options, () => ({ kind: 'exec' }));
  }

  /** `TASK: exit`: _exit(2); the task does nothing after it (it can still be waited for). */
  exit(task: string, options: StepOptions = {}): this {
    return this.step('exit', task, options, () => ({ kind: 'exit' }));
  }

  /** `TASK: wait CHILD`: reaps the task `child` if it is a zombie child. */
  wait(task: string, child: string, options: StepOptions = {}): this {
    return this.step('wait', task, options, (call) => ({ kind: 'wait', child: call.arg('child', child) }));
  }

  /** `TASK: set max_TYPE_namespaces = N`: the limit in the task's user namespace. */
  setLimit(task: string, nsType: NsType, value: number | string, options: StepOptions = {}): this {
    return this.step('setLimit', task, options, (call) => ({
      kind: 'set-limit',
      nsType: call.arg('nsType', nsType),
      value: call.arg('value', String(value)),
    }));
  }

  /** `TASK: read FILE [as NAME]`: observes `/proc/TASK/ns/FILE`; `as` names it for `expect`. */
  read(task: string, file: NsFile, options: ReadOptions = {}): this {
    return this.step('read', task, options, (call) => ({
      kind: 'read',
      file: call.arg('file', file),
      as: call.optional('as', options.as),
    }));
  }

  /** `next-inode [as NAME]`: observes the lowest free proc inode number. */
  nextInode(options: { readonly as?: string } = {}): this {
    const call = this.call('nextInode');
    this.assembler.nextInode(call.origin, call.optional('as', options.as));
    return this;
  }

  /** `sleep DURATION`: a duration text (`'500ms'`, `'$delay'`) or integer nanoseconds. */
  sleep(duration: string | number): this {
    const call = this.call('sleep');
    const text = typeof duration === 'number' ? `${duration}ns` : duration;
    this.assembler.sleep(call.origin, call.arg('duration', text));
    return this;
  }

  /**
   * `repeat COUNT [as VAR] { ... }`: calls `body` once per iteration with the 1-based
   * iteration number, which `$VAR` (default `$i`) also expands to inside the body.
   */
  repeat(
    count: number | string,
    body: (builder: this, iteration: number) => unknown,
    options: { readonly as?: string } = {},
  ): this {
    const call = this.call('repeat');
    const variable = call.arg('as', options.as ?? DEFAULT_LOOP_VARIABLE);
    const n = this.assembler.openRepeat(call.arg('count', String(count)), variable);
    try {
      for (let i = 1; i <= n; i++) {
        this.assembler.setIteration(i);
        body(this, i);
      }
    } finally {
      this.assembler.closeRepeat();
    }
    return this;
  }

  /** `expect ...`: made by {@link held}, {@link released}, {@link sameInode}, .... */
  expect(check: Expectation): this {
    const call = this.call('expect');
    const names = 'name' in check ? [call.arg('name', check.name)] : [call.arg('a', check.a), call.arg('b', check.b)];
    this.assembler.expect(call.origin, check.kind, names);
    return this;
  }

  /** The scenario built so far. Fails on `params` overrides that no {@link param} declared. */
  build(): Scenario {
    return this.assembler.build();
  }

  /** One task step: `op` makes the operation's arguments, field-named after `method`. */
  private step(method: string, task: string, options: StepOptions, op: (call: BuilderCall) => WrittenOp): this {
    const call = this.call(method);
    const outcome: Written | undefined = call.optional('expect', options.expect);
    this.assembler.taskStep(call.origin, call.arg('task', task), op(call), outcome);
    return this;
  }

  private call(method: string): BuilderCall {
    this.calls++;
    return new BuilderCall(`${method}#${this.calls}`, this.calls);
  }
}

function list<T extends string>(types: T | readonly T[]): readonly T[] {
  return typeof types === 'string' ? [types as T] : (types as readonly T[]);
}
