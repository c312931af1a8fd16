import { INIT_INODE, type NsType } from '../../model/nsType.ts';
import type { NsObservation } from '../trace/format.ts';
import { addRun } from './allocator.ts';
import { taskOf, type ExecStep } from './ops.ts';
import type { NsNode, World } from './world.ts';

/**
 * What `stat` + `NS_GET_ID` on /proc/TASK/ns/TYPE would show in the model — and, for a netns,
 * the numbers of its /proc/net entries, as the probe records them. Model ids are the model's own
 * (identity only, like 6.18's per-CPU ids); initial namespaces show the kernel's fixed initial
 * inode numbers.
 *
 * @internal
 */
export function observeNs(w: World, task: string, type: NsType): NsObservation {
  const n = nsOfTask(w, task, type);
  if (n.initial) return { type, inode: INIT_INODE[type], id: modelNsId(n.id) };
  if (type !== 'net') return { type, inode: n.inode, id: modelNsId(n.id) };
  return { type, inode: n.inode, id: modelNsId(n.id), proc: procRunsOf(n) };
}

/** The namespace of `type` a task is in. @internal */
export function nsOfTask(w: World, task: string, type: NsType): NsNode {
  return w.ns[taskOf(w, task).ns[type]] as NsNode;
}

/** The namespace types a step shows after it ran (none when it failed). @internal */
export function touchedTypes(step: ExecStep, errno: string | null): readonly NsType[] {
  return step.kind === 'read' ? [step.nsType] : errno === null ? step.types : [];
}

/** A netns's /proc/net entry numbers as ascending `[first, last]` runs. @internal */
export function procRunsOf(n: NsNode): number[] {
  const runs = n.procRuns.slice(); // already a sorted set; the device entries may sit anywhere
  for (const d of n.devInodes) addRun(runs, d, d);
  return runs;
}

/** The NS_GET_ID a model namespace shows (model index + 1; 0 is never an id). @internal */
export const modelNsId = (index: number): number => index + 1;
