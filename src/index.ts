/**
 * nslife — when does the Linux kernel really destroy a namespace?
 *
 * The public API: the scenario language (parser and builder), the model (kernel profiles, the
 * engine and its immer history), the trace format, and the checker. Everything else is internal.
 *
 * @packageDocumentation
 */

// Scenario language
export type { Expectation, NsFile, NsSource, Outcome, Scenario, SourcePos, Step, TaskStep } from './scenario/ast.ts';
export { observedNs, stepArgs, type ObservedNs } from './scenario/observed.ts';
export { parseScenario } from './scenario/parse.ts';
export { formatScenario } from './scenario/format.ts';
export { parseDuration, formatDuration } from './scenario/duration.ts';
export {
  scenario,
  unshare,
  read,
  held,
  released,
  sameInode,
  otherInode,
  sameNs,
  otherNs,
  ScenarioBuilder,
  type StepOptions,
  type ForkOptions,
  type SetnsOptions,
  type FdOptions,
  type UmountOptions,
  type ReadOptions,
} from './scenario/builder.ts';
export { InputError } from './errors/inputError.ts';

// Model
export { NS_TYPES, type NsType } from '../model/nsType.ts';
export type { KernelProfile } from '../model/profile.ts';
export { PROFILES, DEFAULT_PROFILE, profileForRelease } from '../model/profiles/index.ts';
export { NS_RULES, type NsRules } from '../model/rules/table.ts';
export { simulate, type ModelRun, type SimulateOptions, type Snapshot } from './engine/simulate.ts';
export { createEngine, type Engine, type EngineOptions } from './engine/engine.ts';
export type { World, NsNode, TaskNode, MountNode, FileNode, PidNode, FdTable, ShmNode } from './engine/world.ts';
export { holdersOf, activeSet, handleOpens, type Holder } from './engine/holders.ts';
export type { Effect } from './engine/effects.ts';

// Traces and checking
export type { Trace, TraceHeader, TraceStep, TraceEvent, TraceEnd, NsObservation } from './trace/format.ts';
export { parseTrace } from './trace/read.ts';
export { formatTrace } from './trace/write.ts';
export { evaluateExpectations, type ExpectationResult } from './trace/expectations.ts';
export { checkTrace, type CheckOptions, type Strictness } from './checker/check.ts';
export type { Verdict } from './checker/verdict.ts';

// Queries and history (issue 4): why a namespace is alive, what an operation would do, time travel.
export { why, renderWhy, type Why, type WhyChain, type WhyLink } from './query/why.ts';
export { whatif, renderWhatIf, type WhatIf, type WhatIfOp } from './query/whatif.ts';
export { openHistory, type History, type WorldAt } from './history/history.ts';
export { diff, renderDiff, type Change } from './history/diff.ts';
