import { NS_TYPES, isNsType, type NsType } from '../../model/nsType.ts';
import { InputError, quote, type InputErrorSite } from '../errors/inputError.ts';
import {
  NS_FILES,
  type Expectation,
  type NsFile,
  type NsSource,
  type Outcome,
  type Scenario,
  type SourcePos,
  type Step,
  type TaskStep,
} from './ast.ts';
import { Bindings, type Binder, type NameUse } from './bindings.ts';
import { readDuration } from './duration.ts';
import { IDENTIFIER_PATTERN, isIdentifier } from './identifier.ts';
import { IOCTL_REQUESTS, type WrittenOp } from './operation.ts';
import { readPath, readSource, sourceShape } from './paths.ts';
import { expandVariables, type VariableScope } from './variables.ts';

/**
 * Most steps a scenario may have once its `repeat` blocks are expanded.
 *
 * @remarks Since 0.1.0
 * @public
 */
export const MAX_STEPS = 1_000_000;

/**
 * A value as the author wrote it (before `$NAME` expansion) and where, so that an error about
 * it can point there: a line and column in a file, or a builder call's field.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export interface Written {
  readonly text: string;
  readonly site: InputErrorSite;
}

/**
 * Where a step comes from: its position in the IR and the site errors about it point at.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export interface Origin {
  readonly pos: SourcePos;
  readonly site: InputErrorSite;
}

/**
 * The expectations that compare two names, and those about one name.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export const PAIR_CHECKS = ['same-inode', 'other-inode', 'same-ns', 'other-ns'] as const;
/** {@inheritDoc PAIR_CHECKS} @internal */
export const STATE_CHECKS = ['held', 'released'] as const;
/** @internal */
export type PairCheck = (typeof PAIR_CHECKS)[number];
/** @internal */
export type StateCheck = (typeof STATE_CHECKS)[number];

/**
 * The loop variable of `repeat COUNT {` without `as VAR`.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export const DEFAULT_LOOP_VARIABLE = 'i';

/**
 * What input errors say was expected, where the parser and the assembler both need it.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export const NS_TYPE_SHAPE = `a namespace type (${NS_TYPES.join(', ')})`;
/** {@inheritDoc NS_TYPE_SHAPE} @internal */
export const NS_FILE_SHAPE = `a namespace file (${NS_FILES.join(', ')})`;
/** {@inheritDoc NS_TYPE_SHAPE} @internal */
export const OUTCOME_SHAPE = 'an outcome (ok, or an errno name such as ENOSPC)';
/** {@inheritDoc NS_TYPE_SHAPE} @internal */
export const COUNT_SHAPE = 'a repeat count (a positive integer or $PARAM)';
/**
 * The largest value `set max_TYPE_namespaces = N` takes: the sysctl is an int with a minimum
 * of 0 (kernel/ucount.c: user_table, proc_dointvec_minmax).
 *
 * @remarks Since 0.2.0
 * @internal
 */
export const MAX_LIMIT = 2_147_483_647;
/** {@inheritDoc NS_TYPE_SHAPE} @internal */
export const LIMIT_SHAPE = `a limit (an integer from 0 to ${MAX_LIMIT}, or $PARAM)`;
/** {@inheritDoc NS_TYPE_SHAPE} @internal */
export const REQUEST_SHAPE = `an ioctl request (${IOCTL_REQUESTS.join(' or ')})`;
/**
 * The name `/proc/self/ns/FILE` gives the executing task; no task may have it.
 *
 * @remarks Since 0.2.0
 * @internal
 */
export const SELF = 'self';

const OUTCOME = /^(?:ok|E[A-Z0-9]+)$/;
const COUNT = /^[1-9][0-9]*$/;
const LIMIT = /^(?:0|[1-9][0-9]*)$/;
/** A parameter value must survive being written back as one token of a `param` line. */
const PARAM_VALUE = /^[^ \t\r\n#]+$/;
const NAMES_SHOWN = 8;

/** A step of some task, before its task, expected outcome and position are added. */
type StepBody = TaskStep extends infer S ? (S extends TaskStep ? Omit<S, 'expect' | 'pos'> : never) : never;

interface TaskState {
  /** Where the task did `exit`, if it did. */
  exitedAt: InputErrorSite | undefined;
}

interface LoopFrame {
  readonly variable: string;
  value: string;
  readonly countSite: InputErrorSite;
}

/**
 * Turns declarations and steps, in execution order, into a {@link Scenario}, checking each as
 * it comes: names and `$NAME` references, tasks declared or forked before they act or are
 * referenced (and not acting after their `exit`), names bound before use and bound by a step
 * that makes them usable there, paths, durations, outcomes, the step limit. Failures that
 * depend on the state of a run (EBADF, ESRCH, EINVAL, ...) are not its business: the model
 * predicts them. The text parser and the TypeScript builder both feed it, so both
 * accept exactly the same scenarios and word their errors alike.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export class ScenarioAssembler implements VariableScope {
  private scenarioName: string | undefined;
  private readonly params = new Map<string, string>();
  /** Declared tasks, in order: the scenario's `tasks`. */
  private readonly declared: string[] = [];
  /** Every task so far, declared or made by `fork` / `thread`. */
  private readonly tasks = new Map<string, TaskState>();
  private readonly bindings = new Bindings();
  private readonly steps: Step[] = [];
  private readonly loops: LoopFrame[] = [];

  constructor(
    private readonly file: string,
    private readonly overrides: Readonly<Record<string, string>> = {},
  ) {}

  lookup(name: string): string | undefined {
    for (let k = this.loops.length - 1; k >= 0; k--) {
      const frame = this.loops[k];
      if (frame?.variable === name) return frame.value;
    }
    return this.params.get(name);
  }

  names(): readonly string[] {
    const loopVariables = this.loops.map((f) => f.variable).reverse();
    return [...new Set([...loopVariables, ...this.params.keys()])];
  }

  nameScenario(keyword: Written, name: Written): void {
    if (this.scenarioName !== undefined) this.fail(keyword.site, 'at most one "scenario" line', 'a second one');
    if (this.steps.length > 0) this.fail(keyword.site, 'the "scenario" line before the first step', 'it after a step');
    this.scenarioName = this.declaredName(name, 'a scenario name');
  }

  declareParam(name: Written, value: Written): void {
    const param = this.declaredName(name, 'a parameter name');
    if (this.params.has(param)) this.fail(name.site, 'a parameter name not declared before', `${quote(param)} again`);
    const overridden = Object.hasOwn(this.overrides, param);
    const text = overridden ? (this.overrides[param] ?? '') : value.text;
    if (!PARAM_VALUE.test(text)) {
      const site = overridden ? { field: `params.${param}` } : value.site;
      this.fail(site, 'a parameter value without spaces or "#"', quote(text));
    }
    this.params.set(param, text);
  }

  declareTask(name: Written): void {
    const task = this.declaredName(name, 'a task name');
    this.checkNewTask(name, task);
    this.declared.push(task);
    this.tasks.set(task, { exitedAt: undefined });
  }

  /** `TASK: OPERATION [=> OUTCOME]`: checks the parts left to right, then adds the step. */
  taskStep(origin: Origin, task: Written, op: WrittenOp, outcome?: Written): void {
    const actor = this.actor(task);
    const after: (() => void)[] = [];
    const body = this.operation(origin, actor, op, after);
    const expect = outcome === undefined ? undefined : this.outcome(outcome);
    const step = (expect === undefined ? { ...body, pos: origin.pos } : { ...body, expect, pos: origin.pos }) as Step;
    this.push(origin, step);
    for (const effect of after) effect();
  }

  /** `next-inode [as NAME]`. */
  nextInode(origin: Origin, as?: Written): void {
    if (as === undefined) return this.push(origin, { kind: 'next-inode', pos: origin.pos });
    const name = this.bindingName(as);
    this.push(origin, { kind: 'next-inode', as: name, pos: origin.pos });
    this.bindings.bind(name, 'next-inode');
  }

  sleep(origin: Origin, duration: Written): void {
    const text = this.expand(duration);
    const reading = readDuration(text);
    if (!reading.ok) this.fail(duration.site, reading.expected, this.describe(duration, text));
    this.push(origin, { kind: 'sleep', ns: reading.ns, pos: origin.pos });
  }

  expect(origin: Origin, kind: StateCheck | PairCheck, names: readonly Written[]): void {
    const [first, second] = names;
    if (first === undefined) return this.fail(origin.site, 'a name to expect something of', 'none');
    const use: NameUse = kind === 'same-inode' || kind === 'other-inode' ? 'inode' : 'namespace';
    let check: Expectation;
    if (kind === 'held' || kind === 'released') check = { kind, name: this.boundRef(first, use) };
    else if (second === undefined) return this.fail(origin.site, 'two names to compare', 'one');
    else check = { kind, a: this.boundRef(first, use), b: this.boundRef(second, use) };
    this.push(origin, { kind: 'expect', check, pos: origin.pos });
  }

  /** Starts a `repeat` block; returns its count. Call {@link setIteration} before each pass. */
  openRepeat(count: Written, variable: Written): number {
    const text = this.expand(count);
    const n = Number(text);
    if (!COUNT.test(text) || !Number.isSafeInteger(n)) this.fail(count.site, COUNT_SHAPE, this.describe(count, text));
    const name = this.declaredName(variable, 'a loop variable name');
    this.loops.push({ variable: name, value: '', countSite: count.site });
    return n;
  }

  /** `iteration` is 1-based: it is what `$VAR` expands to. */
  setIteration(iteration: number): void {
    const frame = this.loops.at(-1);
    if (frame) frame.value = String(iteration);
  }

  closeRepeat(): void {
    this.loops.pop();
  }

  /** The scenario so far; fails on parameter overrides that the scenario never declared. */
  build(): Scenario {
    for (const param of Object.keys(this.overrides)) {
      if (!this.params.has(param)) {
        const declared = this.params.size === 0 ? 'none is declared' : listNames(this.params.keys());
        this.fail(
          { field: `params.${param}` },
          `a parameter the scenario declares (${declared})`,
          `undeclared ${quote(param)}`,
        );
      }
    }
    return {
      name: this.scenarioName ?? basename(this.file),
      file: this.file,
      tasks: [...this.declared],
      params: Object.fromEntries(this.params),
      steps: [...this.steps],
    };
  }

  private push(origin: Origin, step: Step): void {
    if (this.steps.length >= MAX_STEPS) {
      const outermost = this.loops[0];
      const found = outermost ? 'more (this repeat goes past the limit)' : 'more';
      this.fail(
        outermost?.countSite ?? origin.site,
        `at most ${MAX_STEPS} steps once repeat blocks are expanded`,
        found,
      );
    }
    this.steps.push(step);
  }

  /** A name being declared: written literally, no `$NAME` in it. */
  private declaredName(name: Written, what: string): string {
    if (!isIdentifier(name.text)) this.fail(name.site, `${what} (${IDENTIFIER_PATTERN})`, quote(name.text));
    return name.text;
  }

  /** The IR of `op`, checked; `after` gets what the step changes once it is added. */
  private operation(origin: Origin, task: string, op: WrittenOp, after: (() => void)[]): StepBody {
    const bind = (name: string, by: Binder) => after.push(() => this.bindings.bind(name, by));
    switch (op.kind) {
      case 'unshare':
        return { kind: 'unshare', task, types: this.nsTypes(op.types, origin) };
      case 'fork': {
        const child = this.newTask(op.child);
        const types = op.types === undefined ? [] : this.nsTypes(op.types, origin);
        const pidfd = op.pidfd === undefined ? undefined : this.bindingName(op.pidfd);
        after.push(() => this.tasks.set(child, { exitedAt: undefined }));
        if (pidfd === undefined) return { kind: 'fork', task, child, types };
        bind(pidfd, 'fork');
        return { kind: 'fork', task, child, types, pidfd };
      }
      case 'thread': {
        const child = this.newTask(op.child);
        after.push(() => this.tasks.set(child, { exitedAt: undefined }));
        return { kind: 'thread', task, child };
      }
      case 'setns': {
        const fd = this.boundRef(op.fd, 'fd');
        return { kind: 'setns', task, fd, types: op.types.length === 0 ? [] : this.nsTypes(op.types, origin) };
      }
      case 'open': {
        const source = this.source(op.source, task, false);
        const as = this.bindingName(op.as);
        bind(as, 'open');
        return { kind: 'open', task, source, as, cloexec: op.cloexec };
      }
      case 'ioctl': {
        const fd = this.boundRef(op.fd, 'fd');
        const request = this.request(op.request);
        const as = this.bindingName(op.as);
        bind(as, 'ioctl');
        return { kind: 'ioctl', task, fd, request, as, cloexec: op.cloexec };
      }
      case 'close':
        return { kind: 'close', task, fd: this.boundRef(op.fd, 'fd') };
      case 'bind': {
        const source = this.source(op.source, task, true);
        return { kind: 'bind', task, source, path: this.path(op.path) };
      }
      case 'umount':
        return { kind: 'umount', task, path: this.path(op.path), lazy: op.lazy };
      case 'mount-proc':
        return { kind: 'mount-proc', task, path: this.path(op.path) };
      case 'socket': {
        const as = this.bindingName(op.as);
        bind(as, 'socket');
        return { kind: 'socket', task, as, cloexec: op.cloexec };
      }
      case 'pidfd': {
        const target = this.taskRef(op.target);
        const as = this.bindingName(op.as);
        bind(as, 'pidfd');
        return { kind: 'pidfd', task, target, as };
      }
      case 'shmat': {
        const as = this.bindingName(op.as);
        bind(as, 'shmat');
        return { kind: 'shmat', task, as };
      }
      case 'shmdt':
        return { kind: 'shmdt', task, segment: this.boundRef(op.segment, 'segment') };
      case 'exec':
        return { kind: 'exec', task };
      case 'exit': {
        const state = this.tasks.get(task);
        after.push(() => {
          if (state) state.exitedAt = origin.site;
        });
        return { kind: 'exit', task };
      }
      case 'wait':
        return { kind: 'wait', task, child: this.taskRef(op.child) };
      case 'set-limit': {
        const nsType = this.nsType(op.nsType);
        return { kind: 'set-limit', task, nsType, value: this.limit(op.value) };
      }
      case 'read': {
        const nsType = this.nsFile(op.file);
        if (op.as === undefined) return { kind: 'read', task, nsType };
        const as = this.bindingName(op.as);
        bind(as, 'read');
        return { kind: 'read', task, nsType, as };
      }
    }
  }

  /** A task that exists (declared, or made by an earlier fork or thread), exited or not. */
  private taskRef(task: Written): string {
    const text = this.expand(task);
    this.knownTask(text, task.site, this.describe(task, text));
    return text;
  }

  private knownTask(name: string, site: InputErrorSite, found: string): void {
    if (this.tasks.has(name)) return;
    const known =
      this.tasks.size === 0 ? `none is declared; add "task ${name}" before this step` : listNames(this.tasks.keys());
    this.fail(site, `a task declared or forked earlier (${known})`, found);
  }

  /** The task doing a step: it exists and has not exited. */
  private actor(task: Written): string {
    const name = this.taskRef(task);
    const exitedAt = this.tasks.get(name)?.exitedAt;
    if (exitedAt !== undefined) {
      const where = 'line' in exitedAt ? `line ${exitedAt.line}` : exitedAt.field;
      this.fail(task.site, 'a task that has not exited', `${this.describe(task, name)}, which exited at ${where}`);
    }
    return name;
  }

  /** The child of `fork` or `thread`: a new task. */
  private newTask(child: Written): string {
    const text = this.expand(child);
    if (!isIdentifier(text)) this.fail(child.site, `a task name (${IDENTIFIER_PATTERN})`, this.describe(child, text));
    this.checkNewTask(child, text);
    return text;
  }

  private checkNewTask(written: Written, name: string): void {
    if (name === SELF) {
      this.fail(written.site, `a task name other than "${SELF}" (/proc/${SELF} is the executing task)`, quote(name));
    }
    if (this.tasks.has(name)) {
      this.fail(written.site, 'a task name not declared or forked before', `${this.describe(written, name)} again`);
    }
  }

  private bindingName(name: Written): string {
    const text = this.expand(name);
    if (!isIdentifier(text)) this.fail(name.site, `a name (${IDENTIFIER_PATTERN})`, this.describe(name, text));
    if ((PAIR_CHECKS as readonly string[]).includes(text)) {
      this.fail(name.site, `a name other than ${PAIR_CHECKS.join(', ')}`, this.describe(name, text));
    }
    return text;
  }

  /** A name bound earlier by a step that makes it usable as `use`. */
  private boundRef(name: Written, use: NameUse): string {
    const text = this.expand(name);
    if (!this.bindings.usable(text, use)) {
      const usable = this.bindings.names(use);
      const by = this.bindings.boundBy(text);
      const bound =
        usable.length > 0
          ? `bound so far: ${listNames(usable)}`
          : this.bindings.isEmpty()
            ? 'none is bound yet'
            : 'no such name is bound yet';
      const found = this.describe(name, text) + (by === undefined ? '' : `, bound by ${by}`);
      this.fail(name.site, `${Bindings.shape(use)} (${bound})`, found);
    }
    return text;
  }

  /** What `open` (`fd` false) or `bind` (`fd` true) takes; `self` is `task`. */
  private source(written: Written, task: string, fd: boolean): NsSource {
    const text = this.expand(written);
    const reading = readSource(text, fd);
    if (!reading.ok)
      return this.fail(this.inside(written, text, reading.offset), reading.expected, this.describe(written, text));
    switch (reading.kind) {
      case 'path':
        return { kind: 'path', path: reading.path };
      case 'fd':
        if (!isIdentifier(text)) this.fail(written.site, sourceShape(true), this.describe(written, text));
        return { kind: 'fd', fd: this.boundRef(written, 'fd') };
      case 'proc': {
        const target = reading.task === SELF ? task : reading.task;
        if (reading.task !== SELF) {
          const site = this.inside(written, text, reading.taskOffset);
          this.knownTask(target, site, this.part(written, text, reading.task));
        }
        if (!(NS_FILES as readonly string[]).includes(reading.file)) {
          const site = this.inside(written, text, reading.fileOffset);
          this.fail(site, NS_FILE_SHAPE, this.part(written, text, reading.file));
        }
        return { kind: 'proc', task: target, file: reading.file as NsFile };
      }
    }
  }

  private path(written: Written): string {
    const text = this.expand(written);
    const reading = readPath(text);
    if (!reading.ok)
      this.fail(this.inside(written, text, reading.offset), reading.expected, this.describe(written, text));
    return text;
  }

  private request(written: Written): (typeof IOCTL_REQUESTS)[number] {
    const text = this.expand(written);
    if (!(IOCTL_REQUESTS as readonly string[]).includes(text)) {
      this.fail(written.site, REQUEST_SHAPE, this.describe(written, text));
    }
    return text as (typeof IOCTL_REQUESTS)[number];
  }

  private limit(written: Written): number {
    const text = this.expand(written);
    const n = Number(text);
    if (!LIMIT.test(text) || n > MAX_LIMIT) this.fail(written.site, LIMIT_SHAPE, this.describe(written, text));
    return n;
  }

  /**
   * The site `offset` characters into a value: exact when the value was written without
   * `$NAME`s, else the start of the value (offsets in the expansion are not the author's).
   */
  private inside(written: Written, expanded: string, offset: number): InputErrorSite {
    if (written.text !== expanded || !('col' in written.site)) return written.site;
    return { ...written.site, col: written.site.col + offset };
  }

  /** A part of a value, for "found": alone, or with the value when `$NAME`s moved it. */
  private part(written: Written, expanded: string, part: string): string {
    return written.text === expanded ? quote(part) : `${quote(part)} in ${this.describe(written, expanded)}`;
  }

  private nsFile(written: Written): NsFile {
    if (!(NS_FILES as readonly string[]).includes(written.text))
      this.fail(written.site, NS_FILE_SHAPE, quote(written.text));
    return written.text as NsFile;
  }

  private nsTypes(types: readonly Written[], origin: Origin): NsType[] {
    const seen: NsType[] = [];
    for (const written of types) {
      const type = this.nsType(written);
      if (seen.includes(type)) this.fail(written.site, 'each namespace type at most once', `${quote(type)} again`);
      seen.push(type);
    }
    if (seen.length === 0) this.fail(origin.site, NS_TYPE_SHAPE, 'none');
    return seen;
  }

  private nsType(written: Written): NsType {
    if (!isNsType(written.text)) this.fail(written.site, NS_TYPE_SHAPE, quote(written.text));
    return written.text;
  }

  private outcome(written: Written): Outcome {
    if (!OUTCOME.test(written.text)) this.fail(written.site, OUTCOME_SHAPE, quote(written.text));
    return written.text as Outcome;
  }

  private expand(written: Written): string {
    const result = expandVariables(written.text, this);
    if (typeof result === 'string') return result;
    const site = 'col' in written.site ? { ...written.site, col: written.site.col + result.offset } : written.site;
    return this.fail(site, result.expected, result.found);
  }

  /** `"trash$i" (= "trash3")` when the text had variables in it, else just the quoted text. */
  private describe(written: Written, expanded: string): string {
    return written.text === expanded ? quote(expanded) : `${quote(written.text)} (= ${quote(expanded)})`;
  }

  private fail(site: InputErrorSite, expected: string, found: string): never {
    throw new InputError({ file: this.file, ...site, expected, found });
  }
}

function listNames(names: Iterable<string>): string {
  const shown: string[] = [];
  let more = 0;
  for (const name of names) {
    if (shown.length < NAMES_SHOWN) shown.push(name);
    else more++;
  }
  return more === 0 ? shown.join(', ') : `${shown.join(', ')} and ${more} more`;
}

/** `examples/seed.nsl` → `seed`: the default scenario name. */
function basename(file: string): string {
  const last = file.split(/[\\/]/).at(-1) ?? file;
  const dot = last.lastIndexOf('.');
  return dot > 0 ? last.slice(0, dot) : last;
}
