import type { NsType } from '../../model/nsType.ts';
import type { StepKind } from '../scenario/ast.ts';

/** Current trace format version. @public */
export const TRACE_FORMAT = 'nslife-trace';
/** @public */
export const TRACE_VERSION = 1;

/**
 * One namespace as observed: its inode number (an observation: inode numbers are reused) and
 * its `NS_GET_ID` id (identity where the kernel has it; `null` where it has not).
 *
 * @public
 */
export interface NsObservation {
  readonly type: NsType;
  readonly inode: number;
  readonly id: number | null;
  /**
   * net only, where observed: the inode numbers of the netns's /proc/net entries (stat of every
   * entry under /proc/self/net, subdirectories included), as ascending `[first, last]` runs
   * (flat: `[a, b, c, d]` is a..b and c..d). They come from the same allocator as namespace
   * inode numbers, so they show where a dying netns's numbers went.
   */
  readonly proc?: readonly number[];
}

/**
 * First line of every trace.
 *
 * @public
 */
export interface TraceHeader {
  readonly type: 'header';
  readonly format: typeof TRACE_FORMAT;
  readonly version: number;
  /** `kernel` for a probe run, `model` for an engine run. */
  readonly source: 'kernel' | 'model';
  readonly tool: string;
  readonly kernel: { readonly release: string; readonly machine: string } | null;
  /** Profile the trace was made with (model) or the one it most likely matches (kernel). */
  readonly profile: string;
  readonly capabilities: {
    readonly userns: boolean;
    readonly tracefs: boolean;
    readonly nsGetId: boolean;
    readonly fileHandles: boolean;
    readonly listns: boolean;
  };
  /** Why a capability is missing, one line each (empty when all are present). */
  readonly missing: readonly string[];
  /** `CLOCK_MONOTONIC` (kernel) or `virtual` (model); times are integer nanoseconds. */
  readonly clock: 'CLOCK_MONOTONIC' | 'virtual';
  readonly scenario: {
    readonly name: string;
    readonly file: string;
    readonly params: Readonly<Record<string, string>>;
    /** The tasks the scenario declares (its first tasks; forked ones come later). Absent in older traces. */
    readonly tasks?: readonly string[];
  };
  /** Seed of the engine's choice source (model traces only). */
  readonly seed: number | null;
  /** Namespaces each task starts in, as the first task saw them. */
  readonly initial: readonly NsObservation[];
  /**
   * The `/proc/sys/user/max_<type>_namespaces` limits of the user namespace the tasks start in
   * (kernel traces: the probe's sandbox user namespace), where they were read.
   */
  readonly limits?: Readonly<Record<NsType, number>>;
  /** Set when the run could not execute the scenario at all (no user namespaces, ...). */
  readonly refused?: string;
}

/**
 * One executed scenario step.
 *
 * @public
 */
export interface TraceStep {
  readonly type: 'step';
  /** Index of the step in the expanded scenario. */
  readonly index: number;
  /** Source line of the step in the scenario file. */
  readonly line: number;
  readonly task: string | null;
  /** The scenario step kind (never `expect`: expectations are evaluated on traces, not executed). */
  readonly op: Exclude<StepKind, 'expect'>;
  readonly args: Readonly<Record<string, unknown>>;
  /** Start and end of the operation (ns). */
  readonly t0: number;
  readonly t1: number;
  /** `null` on success, else the errno name (`ENOSPC`). */
  readonly errno: string | null;
  /** Namespaces the step touched, as the task sees them after the step. */
  readonly ns: readonly NsObservation[];
  /** `next-inode` steps: the lowest free proc inode number the probe saw. */
  readonly next?: number;
  /**
   * Every namespace observed in this run (by id) and not yet seen released, and whether it
   * still has references right after the step: a file handle taken while it existed still opens
   * (`true`) or fails with ESTALE (`false`). A namespace is listed until (and including) the
   * first step that sees it released: it can never get a reference back.
   */
  readonly refs: readonly { readonly id: number; readonly type: NsType; readonly held: boolean }[];
}

/**
 * A kernel (or model) event on the trace clock. Names are namespaced:
 * `kernel.workqueue.queue|start|end` with `fn` the work function (`cleanup_net`, ...), and for
 * model traces `model.<reaper>.<phase>`.
 *
 * @public
 */
export interface TraceEvent {
  readonly type: 'event';
  readonly name: string;
  readonly t: number;
  readonly fn?: string;
  readonly cpu?: number;
  /** Model events: namespaces concerned (model ids) and inode numbers given back. */
  readonly ns?: readonly number[];
  readonly inodes?: readonly number[];
}

/**
 * Last line of a finished trace. A trace without it was cut short and is incomplete.
 *
 * @public
 */
export interface TraceEnd {
  readonly type: 'end';
  readonly complete: boolean;
  readonly steps: number;
  readonly t: number;
  readonly reason?: string;
  /**
   * What the writer learnt after the header was written (a trace is written as it goes, header
   * first): an observation that failed mid-run, a trace read error. One line each.
   */
  readonly notes?: readonly string[];
}

/** @public */
export type TraceRecord = TraceHeader | TraceStep | TraceEvent | TraceEnd;

/**
 * A whole trace, as read.
 *
 * @public
 */
export interface Trace {
  readonly header: TraceHeader;
  readonly steps: readonly TraceStep[];
  readonly events: readonly TraceEvent[];
  readonly end: TraceEnd | null;
  /** False when the end record is missing or says so. */
  readonly complete: boolean;
}
