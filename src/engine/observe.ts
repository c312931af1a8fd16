import { INIT_INODE, type NsType } from '../../model/nsType.ts';
import type { NsObservation } from '../trace/format.ts';
import { taskOf } from './ops.ts';
import type { NsNode, World } from './world.ts';

/**
 * What `stat` + `NS_GET_ID` on /proc/TASK/ns/TYPE would show in the model. Model ids are the
 * model's own (identity only, like 6.18's per-CPU ids); initial namespaces show the kernel's
 * fixed initial inode numbers.
 *
 * @internal
 */
export function observeNs(w: World, task: string, type: NsType): NsObservation {
  const n = w.ns[taskOf(w, task).ns[type]] as NsNode;
  return { type, inode: n.initial ? INIT_INODE[type] : n.inode, id: modelNsId(n.id) };
}

/** The NS_GET_ID a model namespace shows (model index + 1; 0 is never an id). @internal */
export const modelNsId = (index: number): number => index + 1;
