import type { KernelProfile } from '../../model/profile.ts';
import type { Reaper, Release } from '../../model/rules/reaper.ts';
import type { Interval } from '../engine/interval.ts';
import { reaperOf } from '../engine/reapers.ts';
import type { BatchWorker, NsNode, World } from '../engine/world.ts';

/**
 * One reaper step still to come for a dying namespace, with the window it may run in: the step
 * due next has the window the world holds; each later one adds its profile latency range
 * (`lo + min`, `hi + max`, the checker's interval timing).
 *
 * @public
 */
export interface ScheduledStep {
  readonly id: string;
  /** `file: function`, from the model's rules. */
  readonly source: string;
  readonly releases: readonly Release[];
  readonly window: Interval;
}

/**
 * Where a dying namespace is in its reaper, and what is still to come.
 *
 * - `list`: on a batched reaper's llist, waiting for a run to take it (`cleanup_net`, `free_ipc`);
 * - `batch`: in the batch of the running run;
 * - `work`: a per-namespace work item (or the deferred steps of a synchronous reaper).
 *
 * @public
 */
export interface Pending {
  /** The kernel function (`cleanup_net`, `free_user_ns`, ...). */
  readonly reaper: string;
  readonly queue: 'list' | 'batch' | 'work';
  /** When its last reference went (`diedAt`). */
  readonly since: number;
  /**
   * Steps of another run the namespace waits behind (a batched reaper already running when it
   * was queued), before its own.
   */
  readonly behind: readonly ScheduledStep[];
  /** Its own steps still to come, the next first. */
  readonly steps: readonly ScheduledStep[];
  /** When it is freed: the window of its last step. */
  readonly freed: Interval;
}

const after = (from: Interval, r: { min: number; max: number }): Interval => ({
  lo: from.lo + r.min,
  hi: from.hi + r.max,
});

/** Windows for `reaper.steps[first..]`, the first due in `due`. */
function schedule(reaper: Reaper, first: number, due: Interval, p: KernelProfile, batched: boolean): ScheduledStep[] {
  const out: ScheduledStep[] = [];
  let window = due;
  reaper.steps.forEach((s, i) => {
    if (i < first) return;
    if (i > first) {
      // Batched workers: every step is queued work (a null latency counts as a workqueue hop, as
      // in the engine); per-namespace reapers: a null latency runs in the same instant.
      const key = s.latency ?? (batched ? 'workqueue' : null);
      if (key !== null) window = after(window, p.latency[key]);
    }
    out.push({ id: s.id, source: s.source, releases: s.releases, window });
  });
  return out;
}

/**
 * The reaper state of namespace `index` in `w`: null unless it is dying (no references, not yet
 * freed) and its reaper has work left.
 *
 * @public
 */
export function pendingOf(w: World, index: number, p: KernelProfile): Pending | null {
  const n = w.ns[index] as NsNode;
  if (n.state !== 'dying') return null;
  const reaper = reaperOf(p, n.type);
  const since = n.diedAt;
  if (reaper.kind === 'batched-worker') {
    const worker: BatchWorker = n.type === 'net' ? w.netns : w.ipc;
    if (worker.batch.includes(index)) {
      const steps = schedule(reaper, worker.step, worker.due, p, true);
      return { reaper: reaper.fn, queue: 'batch', since, behind: [], steps, freed: lastWindow(steps) };
    }
    if (!worker.cleanupList.includes(index)) return null;
    if (worker.state === 'queued') {
      const steps = schedule(reaper, 0, worker.due, p, true);
      return { reaper: reaper.fn, queue: 'list', since, behind: [], steps, freed: lastWindow(steps) };
    }
    // A run is going on: it finishes its batch, then the requeued work starts a new run.
    const behind = worker.state === 'running' ? schedule(reaper, worker.step, worker.due, p, true) : [];
    const start = after(lastWindow(behind, worker.due), p.latency[reaper.steps[0]?.latency ?? 'workqueue']);
    const steps = schedule(reaper, 0, start, p, true);
    return { reaper: reaper.fn, queue: 'list', since, behind, steps, freed: lastWindow(steps) };
  }
  const item = w.work.find((it) => it.ns === index && it.step >= 0);
  if (!item) return null;
  const steps = schedule(reaper, item.step, item.due, p, false);
  return { reaper: reaper.fn, queue: 'work', since, behind: [], steps, freed: lastWindow(steps) };
}

function lastWindow(steps: readonly ScheduledStep[], fallback: Interval = { lo: 0, hi: 0 }): Interval {
  return steps.at(-1)?.window ?? fallback;
}

/** The scheduled step that gives back `release` (the first one), if any is still to come. @internal */
export function stepReleasing(pending: Pending, release: Release): ScheduledStep | null {
  return pending.steps.find((s) => s.releases.includes(release)) ?? null;
}
