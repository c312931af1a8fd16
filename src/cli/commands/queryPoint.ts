import type { KernelProfile } from '../../../model/profile.ts';
import { MS } from '../../../model/time.ts';
import { InputError, quote } from '../../errors/inputError.ts';
import { openHistory, type History } from '../../history/history.ts';
import type { World } from '../../engine/world.ts';
import { NS_FILES, type NsFile, type Scenario, type Step } from '../../scenario/ast.ts';
import { formatStep } from '../../scenario/format.ts';
import { msText } from '../../query/format.ts';
import { parseScenario } from '../../scenario/parse.ts';
import { parseIntOption, parseSets } from '../args.ts';
import { readInput } from '../io.ts';
import { profileOption, seedOption } from '../profileOption.ts';

/** The options `why` and `whatif` share. @internal */
export const POINT_OPTIONS = {
  at: { type: 'string' },
  'at-ms': { type: 'string' },
  set: { type: 'string', multiple: true },
  profile: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** A scenario run on the model, and the point of it a query looks at. @internal */
export interface QueryPoint {
  readonly file: string;
  readonly scenario: Scenario;
  readonly profile: KernelProfile;
  readonly seed: number;
  readonly history: History;
  /** Steps done at that point. */
  readonly steps: number;
  /** A syscall in progress at `--at-ms` (the world is the one before it). */
  readonly inStep: number | null;
  readonly t: number;
  readonly world: World;
  /** The replay arguments after the file (`--seed N --set ...` and the point). */
  readonly replay: string;
}

type Values = {
  at?: string | undefined;
  'at-ms'?: string | undefined;
  set?: string[] | undefined;
  profile?: string | undefined;
  seed?: string | undefined;
};

/**
 * Parses the shared options, runs the scenario with history and picks the point: `--at N` after
 * the first N steps, `--at-ms T` the world at virtual time T ms, else after the last step (before
 * the run settles).
 *
 * @internal
 */
export function queryPoint(file: string, values: Values, command: string): QueryPoint {
  const profile = profileOption(values.profile, command);
  const seed = seedOption(parseIntOption(values.seed, '--seed', command));
  if (values.at !== undefined && values['at-ms'] !== undefined)
    fail(command, '--at-ms', 'either --at or --at-ms, not both', quote(values['at-ms']));
  const atMs = values['at-ms'] === undefined ? undefined : parseMs(values['at-ms'], command);
  const scenario = parseScenario(readInput(file), file, parseSets(values.set, command));
  const n = scenario.steps.length;
  const at = parseIntOption(values.at, '--at', command, 0, n);
  const history = openHistory(scenario, { profile, seed });
  const sets = (values.set ?? []).map((s) => ` --set ${s}`).join('');
  let point: { steps: number; inStep: number | null; t: number; world: World };
  if (atMs !== undefined) {
    const r = history.at(Math.round(atMs * MS));
    point = { steps: r.steps, inStep: r.inStep, t: r.t, world: r.world };
  } else {
    const s = history.afterSteps(at ?? n);
    point = { steps: at ?? n, inStep: null, t: s.t, world: s.world };
  }
  const where = atMs !== undefined ? ` --at-ms ${values['at-ms']}` : at !== undefined ? ` --at ${at}` : '';
  return { file, scenario, profile, seed, history, ...point, replay: `--seed ${seed}${sets}${where}` };
}

function parseMs(text: string, command: string): number {
  const v = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(v)) fail(command, '--at-ms', 'a virtual time in ms (a number ≥ 0, e.g. 12.5)', quote(text));
  return v;
}

/** `after step 5 of 13 (line 9: main: close fd)`. @internal */
export function describePoint(p: QueryPoint): string {
  const n = p.scenario.steps.length;
  const t = `t=${msText(p.t)} ms`;
  if (p.inStep !== null)
    return `${t}, during step ${p.inStep + 1} of ${n} (${stepText(p.scenario.steps[p.inStep])}; shown before it)`;
  if (p.steps === 0) return `${t}, before the first step`;
  return `${t}, after step ${p.steps} of ${n} (${stepText(p.scenario.steps[p.steps - 1])})`;
}

function stepText(s: Step | undefined): string {
  return s ? `line ${s.pos.line}: ${formatStep(s)}` : '';
}

/** Names that bind a namespace at a point: `read`, `open`, `ioctl`. */
const NS_BINDERS = new Set(['read', 'open', 'ioctl']);

/** The name a step binds with `as NAME` (fork: `pidfd as NAME`). */
function boundName(s: Step): string | undefined {
  if (s.kind === 'fork') return s.pidfd;
  return 'as' in s ? s.as : undefined;
}

/**
 * The namespace `NS` names at the point: `TASK:FILE` (the namespace of that file of the task, as
 * /proc/TASK/ns/FILE shows it), or a name bound by `read|open|ioctl ... as NAME` in the steps done
 * (its latest binding: the namespace that step observed).
 *
 * @internal
 */
export function resolveNs(p: QueryPoint, ns: string, command: string): number {
  const w = p.world;
  const colon = ns.indexOf(':');
  if (colon >= 0) {
    const task = ns.slice(0, colon);
    const file = ns.slice(colon + 1);
    const ti = w.taskIndex[task];
    if (ti === undefined) {
      const known = Object.keys(w.taskIndex).join(', ');
      fail(command, 'NS', `TASK:FILE with a task of the scenario by then (${known})`, quote(ns));
    }
    if (!(NS_FILES as readonly string[]).includes(file))
      fail(command, 'NS', `TASK:FILE with a namespace file (${NS_FILES.join(', ')})`, quote(ns));
    const t = w.tasks[ti]!;
    const f = file as NsFile;
    return f === 'pid_for_children' ? t.pidForChildren : f === 'time_for_children' ? t.timeForChildren : t.ns[f];
  }
  let j = -1;
  for (let i = 0; i < p.steps; i++) if (boundName(p.scenario.steps[i]!) === ns) j = i;
  const step = p.scenario.steps[j];
  const shape = 'a name bound by "read|open|ioctl ... as NAME" in the steps done, or TASK:FILE';
  if (!step) {
    const later = p.scenario.steps.findIndex((s) => boundName(s) === ns);
    fail(command, 'NS', shape, later >= 0 ? `${quote(ns)} (bound only at step ${later + 1})` : quote(ns));
  }
  if (!NS_BINDERS.has(step.kind))
    fail(command, 'NS', shape, `${quote(ns)}, bound by ${step.kind} at line ${step.pos.line}`);
  const rec = p.history.run.trace.steps.find((s) => s.index === j);
  const obs = rec?.ns[0];
  if (!rec || !obs || obs.id === null)
    fail(
      command,
      'NS',
      shape,
      `${quote(ns)}, whose ${step.kind} at line ${step.pos.line} failed (${rec?.errno ?? 'no result'})`,
    );
  return obs.id - 1; // model ids are index + 1 (src/engine/observe.ts: modelNsId)
}

/** An input error about an option or argument of `command`. @internal */
export function fail(command: string, field: string, expected: string, found: string): never {
  throw new InputError({ file: `nslife ${command}`, field, expected, found });
}
