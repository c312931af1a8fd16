import { INIT_INODE, type NsType } from '../../model/nsType.ts';
import type { NsObservation } from '../trace/format.ts';
import { taskOf } from './ops.ts';
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
  const n = w.ns[taskOf(w, task).ns[type]] as NsNode;
  if (n.initial) return { type, inode: INIT_INODE[type], id: modelNsId(n.id) };
  if (type !== 'net') return { type, inode: n.inode, id: modelNsId(n.id) };
  return { type, inode: n.inode, id: modelNsId(n.id), proc: procRunsOf(n) };
}

/** A netns's /proc/net entry numbers as ascending `[first, last]` runs. @internal */
export function procRunsOf(n: NsNode): number[] {
  const runs: number[] = [];
  const add = (lo: number, hi: number): void => {
    // insert keeping runs ascending and merged (device entries may sit anywhere)
    let i = 0;
    while (i < runs.length && (runs[i + 1] as number) < lo - 1) i += 2;
    if (i < runs.length && (runs[i] as number) <= hi + 1) {
      runs[i] = Math.min(runs[i] as number, lo);
      runs[i + 1] = Math.max(runs[i + 1] as number, hi);
      while (i + 2 < runs.length && (runs[i + 2] as number) <= (runs[i + 1] as number) + 1) {
        runs[i + 1] = Math.max(runs[i + 1] as number, runs[i + 3] as number);
        runs.splice(i + 2, 2);
      }
    } else runs.splice(i, 0, lo, hi);
  };
  for (let i = 0; i < n.procRuns.length; i += 2) add(n.procRuns[i] as number, n.procRuns[i + 1] as number);
  for (const d of n.devInodes) add(d, d);
  return runs;
}

/** The NS_GET_ID a model namespace shows (model index + 1; 0 is never an id). @internal */
export const modelNsId = (index: number): number => index + 1;
