import type { NsType } from '../../model/nsType.ts';
import type { InputErrorSite } from '../errors/inputError.ts';
import type { Expectation, Outcome, Scenario } from './ast.ts';
import { DEFAULT_LOOP_VARIABLE, ScenarioAssembler, type Origin, type Written } from './assembler.ts';

/**
 * The file name of scenarios made with {@link scenario}; their steps' `line` is the number of
 * the builder call that made them.
 *
 * @remarks Since 0.1.0
 * @public
 */
export const BUILDER_FILE = '<builder>';

/**
 * What a task does in one step: the argument of {@link ScenarioBuilder.do}, made by
 * {@link unshare} or {@link read}.
 *
 * @remarks Since 0.1.0
 * @public
 */
export type TaskOperation =
  | { readonly kind: 'unshare'; readonly types: readonly NsType[]; readonly expect?: Outcome }
  | { readonly kind: 'read'; readonly nsType: NsType; readonly as?: string };

/**
 * `TASK: unshare TYPES [=> OUTCOME]`: `unshare('net')`, `unshare(['user', 'net'], 'EPERM')`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function unshare(types: NsType | readonly NsType[], expect?: Outcome): TaskOperation {
  const list = typeof types === 'string' ? [types] : types;
  return expect === undefined ? { kind: 'unshare', types: list } : { kind: 'unshare', types: list, expect };
}

/**
 * `TASK: read TYPE [as NAME]`: `read('net', 'orig')`; `NAME` may use `$i` and `$PARAM`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function read(nsType: NsType, as?: string): TaskOperation {
  return as === undefined ? { kind: 'read', nsType } : { kind: 'read', nsType, as };
}

/**
 * `expect NAME held`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export const held = (name: string): Expectation => ({ kind: 'held', name });
/**
 * `expect NAME released`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export const released = (name: string): Expectation => ({ kind: 'released', name });
/**
 * `expect same-inode A B`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export const sameInode = (a: string, b: string): Expectation => ({ kind: 'same-inode', a, b });
/**
 * `expect other-inode A B`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export const otherInode = (a: string, b: string): Expectation => ({ kind: 'other-inode', a, b });
/**
 * `expect same-ns A B`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export const sameNs = (a: string, b: string): Expectation => ({ kind: 'same-ns', a, b });
/**
 * `expect other-ns A B`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export const otherNs = (a: string, b: string): Expectation => ({ kind: 'other-ns', a, b });

/**
 * Starts a scenario in TypeScript. It makes the same {@link Scenario} the text parser makes and
 * checks the same things, throwing an InputError whose field names the builder call
 * (`do#5.types[0]`: the fifth call, a `do`) at the first bad call.
 *
 * @example
 * ```ts
 * const seed = scenario('seed').param('delay', '500ms').task('main')
 *   .do('main', unshare('user')).do('main', read('net', 'orig'))
 *   .repeat(4, (b, i) => b.do('main', unshare('net')).do('main', read('net', `trash${i}`)).sleep('$delay'))
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
 * The fluent builder {@link scenario} returns. Each call is checked when it is made; string
 * arguments that name things, durations and counts may use `$PARAM` and loop variables.
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
    names.forEach((name, k) => this.assembler.declareTask(call.arg(`names[${k}]`, name)));
    return this;
  }

  /** `TASK: ...`: the task does `operation`. */
  do(task: string, operation: TaskOperation): this {
    const call = this.call('do');
    const taskArg = call.arg('task', task);
    if (operation.kind === 'unshare') {
      const types = operation.types.map((type, k) => call.arg(`types[${k}]`, type));
      const outcome = operation.expect === undefined ? undefined : call.arg('expect', operation.expect);
      this.assembler.unshare(call.origin, taskArg, types, outcome);
    } else {
      const as = operation.as === undefined ? undefined : call.arg('as', operation.as);
      this.assembler.read(call.origin, taskArg, call.arg('nsType', operation.nsType), as);
    }
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

  private call(method: string): BuilderCall {
    this.calls++;
    return new BuilderCall(`${method}#${this.calls}`, this.calls);
  }
}

/** One builder call: where its steps say they come from, and the field names of its arguments. */
class BuilderCall {
  readonly origin: Origin;

  constructor(
    private readonly name: string,
    line: number,
  ) {
    this.origin = { pos: { file: BUILDER_FILE, line, col: 1 }, site: this.site() };
  }

  arg(field: string, text: string): Written {
    return { text, site: this.site(field) };
  }

  private site(field?: string): InputErrorSite {
    return { field: field === undefined ? this.name : `${this.name}.${field}` };
  }
}
