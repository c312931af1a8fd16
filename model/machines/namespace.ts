import { assign, setup } from 'xstate';
import type { KernelProfile } from '../profile.ts';
import type { NsRules } from '../rules/table.ts';

/**
 * What happens to one namespace, named after the engine's `Effect` kinds
 * (src/engine/effects.ts); `ns.created` is not an event but the machine's initial state.
 *
 * - `ns.lastPut`: `__ns_ref` hit zero (`ns_ref_put` → `__put_net` / `__put_user_ns`);
 * - `reaper.queued`: the namespace was put on its reaper's queue (`llist_add(&cleanup_list)` for
 *   net, `schedule_work(&ns->work)` for user);
 * - `reaper.step`: the reaper ran step `step` (an id of the rules row's reaper) for it;
 * - `ns.freed`: the reaper's last step is over: the namespace is gone.
 *
 * @remarks Since 0.1.0
 * @public
 */
export type NsMachineEvent =
  | { readonly type: 'ns.lastPut' }
  | { readonly type: 'reaper.queued' }
  | { readonly type: 'reaper.step'; readonly step: string }
  | { readonly type: 'ns.freed' };

/**
 * Context of a namespace machine: whether the namespace sits on its reaper's queue. A user
 * namespace whose last reference is dropped by its child's `free_user_ns` is never queued: the
 * running work item loops up to it (kernel/user_namespace.c: free_user_ns).
 *
 * @remarks Since 0.1.0
 * @public
 */
export interface NsMachineContext {
  readonly queued: boolean;
}

/**
 * Name of the `dying` substate a namespace is in before its reaper did anything for it.
 *
 * @remarks Since 0.1.0
 * @public
 */
export const NOT_STARTED = 'queued';

const nsSetup = setup({
  types: { context: {} as NsMachineContext, events: {} as NsMachineEvent },
  guards: {
    /** The reaper step the event reports is `params.step`. */
    isStep: ({ event }, params: { step: string }) => event.type === 'reaper.step' && event.step === params.step,
    notQueuedYet: ({ context }) => !context.queued,
  },
});

/** A state config typed by the machine's setup (guards included). */
type DyingState = Parameters<typeof nsSetup.createStateConfig>[0];

/**
 * The lifecycle of one namespace of the type `rules` describes, under `profile` — the readable
 * specification the engine (src/engine/refs.ts, src/engine/reapers.ts) is tested against.
 *
 * `active` → (`ns.lastPut`) `dying` → one substate per reaper step, in the order of the rules
 * row's reaper (`netReaper(profile).steps`, `userReaper().steps`) → (`ns.freed`) `freed`.
 * The substates are built from the rules row, so a profile that changes the reaper's steps
 * changes the machine. Substate `queued` is "dying, the reaper has not run for it yet"; substate
 * `<id>` is "step `<id>` has run for it".
 *
 * For net on 6.18: `queued` → `start` (cleanup_net: llist_del_all, ns_tree_remove, unhash_nsid)
 * → `unregister` (ops_undo_list: pre_exit, synchronize_rcu_expedited, unregister_netdevice_many)
 * → `exit` (ops->exit / exit_batch: the /proc/net entries) → `final` (rcu_barrier,
 * ns_common_free, dec_net_namespaces, put_user_ns) → `freed`.
 * For user: `queued` → `free` (free_user_ns) → `freed`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function namespaceMachine(rules: NsRules, profile: KernelProfile) {
  const reaper = rules.reaper(profile);
  const steps = reaper.steps;
  if (steps.length === 0) throw new Error(`the ${rules.type} reaper has no steps`);
  // Substate i: steps[0..i-1] have run; it waits for steps[i], or for the end after the last.
  const dying: Record<string, DyingState> = {};
  [NOT_STARTED, ...steps.map((s) => s.id)].forEach((name, i) => {
    const next = steps[i];
    dying[name] = {
      // The kernel code of the step that led here (model/rules/*.ts names it).
      description: i === 0 ? `last reference dropped; waiting for ${reaper.queue}` : steps[i - 1]?.source,
      on: {
        // __put_net: llist_add(&net->cleanup_list, &cleanup_list); __put_user_ns: schedule_work.
        ...(i === 0 ? { 'reaper.queued': { guard: 'notQueuedYet', actions: assign({ queued: true }) } } : {}),
        ...(next
          ? { 'reaper.step': { guard: { type: 'isStep', params: { step: next.id } }, target: next.id } }
          : // The reaper's last step ends with the namespace freed (cleanup_net's final loop; free_user_ns).
            { 'ns.freed': { target: '#namespace.freed' } }),
      },
    };
  });
  return nsSetup.createMachine({
    id: 'namespace',
    description: `${rules.type} namespace (${rules.createdBy})`,
    context: { queued: false },
    initial: 'active',
    states: {
      // Created by rules.createdBy with one reference (the new cred / nsproxy); holders take and
      // drop references while it is active.
      active: {
        on: { 'ns.lastPut': { target: 'dying' } },
      },
      // ns_ref_put hit zero: nothing holds it any more, but its reaper has not freed it yet.
      dying: {
        initial: NOT_STARTED,
        states: dying,
      },
      // Inode number, ucount charge and owner/parent references are all given back.
      freed: { type: 'final' },
    },
  });
}

/**
 * A namespace machine, as `namespaceMachine` builds it.
 *
 * @remarks Since 0.1.0
 * @public
 */
export type NamespaceMachine = ReturnType<typeof namespaceMachine>;
