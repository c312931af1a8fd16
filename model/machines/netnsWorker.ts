import { assign, setup } from 'xstate';
import type { KernelProfile } from '../profile.ts';
import { netReaper } from '../rules/net.ts';

/**
 * What the netns cleanup worker sees, named after the engine's `Effect` kinds
 * (src/engine/effects.ts, reaper `cleanup_net`):
 * - `reaper.queued`: `__put_net` added net `ns` to `cleanup_list`;
 * - `reaper.step`: `cleanup_net` ran step `step` for the batch `ns`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export type NetnsWorkerEvent =
  | { readonly type: 'reaper.queued'; readonly ns: number }
  | { readonly type: 'reaper.step'; readonly step: string; readonly ns: readonly number[] };

/**
 * Context of the worker machine: the two lists `cleanup_net` works on (as namespace ids).
 * The work is queued again during a run exactly when `cleanupList` is non-empty while running
 * (the engine's `requeued` flag).
 *
 * @remarks Since 0.1.0
 * @public
 */
export interface NetnsWorkerContext {
  /** `cleanup_list` (net/core/net_namespace.c): nets put since the last `llist_del_all`. */
  readonly cleanupList: readonly number[];
  /** `net_kill_list` of the current run: the batch every step works on. */
  readonly batch: readonly number[];
}

const sameIds = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

const workerSetup = setup({
  types: { context: {} as NetnsWorkerContext, events: {} as NetnsWorkerEvent },
  guards: {
    /** The step reported is `params.step` and it ran on exactly the list `params.on` says. */
    isStepOn: ({ context, event }, params: { step: string; on: 'cleanupList' | 'batch' }) =>
      event.type === 'reaper.step' && event.step === params.step && sameIds(event.ns, context[params.on]),
    /** Someone was put while the batch ran: the first of them queued the work again. */
    requeued: ({ context }) => context.cleanupList.length > 0,
  },
  actions: {
    // llist_add(&net->cleanup_list, &cleanup_list)
    addToCleanupList: assign({
      cleanupList: ({ context, event }) =>
        event.type === 'reaper.queued' ? [...context.cleanupList, event.ns] : context.cleanupList,
    }),
    // net_kill_list = llist_del_all(&cleanup_list): an atomic snapshot; later puts wait for the next run.
    takeBatch: assign({ batch: ({ context }) => context.cleanupList, cleanupList: () => [] }),
    endBatch: assign({ batch: () => [] }),
  },
});

/** A state config typed by the machine's setup (guards and actions included). */
type WorkerState = Parameters<typeof workerSetup.createStateConfig>[0];

/**
 * The netns cleanup worker: `net_cleanup_work` on the ordered `netns_wq`
 * (net/core/net_namespace.c: __put_net, cleanup_net; `create_singlethread_workqueue("netns")`).
 *
 * `idle` → (first `__put_net`: `queue_work`) `queued` → (`cleanup_net` starts: `llist_del_all`
 * takes the batch — the first reaper step) `running` with one substate per remaining reaper step,
 * named after the step it waits for → after the last step back to `idle`, or to `queued` when a
 * net was put during the run (that put was the first adder to the emptied `cleanup_list`, so it
 * queued the work again; an ordered workqueue runs it after this run).
 * The steps come from `netReaper(profile).steps`, so a profile that changes them changes the
 * machine.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function netnsWorkerMachine(profile: KernelProfile) {
  const steps = netReaper(profile).steps;
  const [first, ...rest] = steps;
  if (!first) throw new Error('the netns reaper has no steps');
  // Where the worker goes once step `i` is done: the next step's state, or the end of the run.
  const after = (i: number): WorkerState['on'] => {
    const step = steps[i];
    if (!step) throw new Error(`no reaper step ${i}`);
    const on = i === 0 ? 'cleanupList' : 'batch';
    const guard = { type: 'isStepOn', params: { step: step.id, on } } as const;
    const next = steps[i + 1];
    // After the last step (cleanup_net's final loop) the run is over.
    const target = next ? `#netnsWorker.running.${next.id}` : '#netnsWorker.finishing';
    return { 'reaper.step': { guard, target, actions: i === 0 ? ['takeBatch'] : [] } };
  };
  const running: Record<string, WorkerState> = {};
  rest.forEach((step, k) => {
    // Waiting for step `step.id` of cleanup_net (step.source names the kernel code).
    running[step.id] = { description: step.source, on: after(k + 1) };
  });
  return workerSetup.createMachine({
    id: 'netnsWorker',
    context: { cleanupList: [], batch: [] },
    initial: 'idle',
    states: {
      // Nothing on cleanup_list, net_cleanup_work not queued.
      idle: {
        // __put_net: llist_add returned true (first adder) → queue_work(netns_wq, &net_cleanup_work).
        on: { 'reaper.queued': { target: 'queued', actions: 'addToCleanupList' } },
      },
      // net_cleanup_work is queued; cleanup_net has not taken the list yet.
      queued: {
        description: first.source,
        on: {
          // llist_add, not the first adder: the work is already queued.
          'reaper.queued': { actions: 'addToCleanupList' },
          ...after(0),
        },
      },
      // cleanup_net is running on its batch; nets put now go on the emptied cleanup_list.
      running: {
        on: { 'reaper.queued': { actions: 'addToCleanupList' } },
        ...(rest[0] ? { initial: rest[0].id, states: running } : {}),
      },
      // End of cleanup_net (WRITE_ONCE(cleanup_net_task, NULL)): transient, decided at once.
      finishing: {
        entry: 'endBatch',
        always: [{ guard: 'requeued', target: 'queued' }, { target: 'idle' }],
      },
    },
  });
}

/**
 * The netns worker machine, as `netnsWorkerMachine` builds it.
 *
 * @remarks Since 0.1.0
 * @public
 */
export type NetnsWorkerMachine = ReturnType<typeof netnsWorkerMachine>;
