import { NS_TYPES, isNsType, type NsType } from '../../model/nsType.ts';
import { InputError, quote, type InputErrorSite } from '../errors/inputError.ts';
import type { Expectation, Outcome, Scenario, SourcePos, Step } from './ast.ts';
import { readDuration } from './duration.ts';
import { IDENTIFIER_PATTERN, isIdentifier } from './identifier.ts';
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
export const OUTCOME_SHAPE = 'an outcome (ok, or an errno name such as ENOSPC)';
/** {@inheritDoc NS_TYPE_SHAPE} @internal */
export const COUNT_SHAPE = 'a repeat count (a positive integer or $PARAM)';

const OUTCOME = /^(?:ok|E[A-Z0-9]+)$/;
const COUNT = /^[1-9][0-9]*$/;
/** A parameter value must survive being written back as one token of a `param` line. */
const PARAM_VALUE = /^[^ \t\r\n#]+$/;
const NAMES_SHOWN = 8;

interface LoopFrame {
  readonly variable: string;
  value: string;
  readonly countSite: InputErrorSite;
}

/**
 * Turns declarations and steps, in execution order, into a {@link Scenario}, checking each as
 * it comes: names and `$NAME` references, declared tasks, names bound before use, durations,
 * outcomes, the step limit. The text parser and the TypeScript builder both feed it, so both
 * accept exactly the same scenarios and word their errors alike.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export class ScenarioAssembler implements VariableScope {
  private scenarioName: string | undefined;
  private readonly params = new Map<string, string>();
  private readonly tasks = new Set<string>();
  private readonly bound = new Set<string>();
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
    if (this.tasks.has(task)) this.fail(name.site, 'a task name not declared before', `${quote(task)} again`);
    this.tasks.add(task);
  }

  unshare(origin: Origin, task: Written, types: readonly Written[], outcome?: Written): void {
    const name = this.taskRef(task);
    const nsTypes = this.nsTypes(types, origin);
    if (outcome === undefined) this.push(origin, { kind: 'unshare', task: name, types: nsTypes, pos: origin.pos });
    else
      this.push(origin, {
        kind: 'unshare',
        task: name,
        types: nsTypes,
        expect: this.outcome(outcome),
        pos: origin.pos,
      });
  }

  read(origin: Origin, task: Written, nsType: Written, as?: Written): void {
    const name = this.taskRef(task);
    const type = this.nsType(nsType);
    if (as === undefined) return this.push(origin, { kind: 'read', task: name, nsType: type, pos: origin.pos });
    const binding = this.bindingName(as);
    this.push(origin, { kind: 'read', task: name, nsType: type, as: binding, pos: origin.pos });
    this.bound.add(binding);
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
    let check: Expectation;
    if (kind === 'held' || kind === 'released') check = { kind, name: this.boundRef(first) };
    else if (second === undefined) return this.fail(origin.site, 'two names to compare', 'one');
    else check = { kind, a: this.boundRef(first), b: this.boundRef(second) };
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
      tasks: [...this.tasks],
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

  private taskRef(task: Written): string {
    const text = this.expand(task);
    if (!this.tasks.has(text)) {
      const declared =
        this.tasks.size === 0 ? `none is declared; add "task ${text}" before this step` : listNames(this.tasks);
      this.fail(task.site, `a task declared earlier (${declared})`, this.describe(task, text));
    }
    return text;
  }

  private bindingName(name: Written): string {
    const text = this.expand(name);
    if (!isIdentifier(text)) this.fail(name.site, `a name (${IDENTIFIER_PATTERN})`, this.describe(name, text));
    if ((PAIR_CHECKS as readonly string[]).includes(text)) {
      this.fail(name.site, `a name other than ${PAIR_CHECKS.join(', ')}`, this.describe(name, text));
    }
    return text;
  }

  private boundRef(name: Written): string {
    const text = this.expand(name);
    if (!this.bound.has(text)) {
      const bound = this.bound.size === 0 ? 'none is bound yet' : `bound so far: ${listNames(this.bound)}`;
      this.fail(name.site, `a name bound earlier by "read TYPE as NAME" (${bound})`, this.describe(name, text));
    }
    return text;
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
