import { INIT_INODE } from '../../model/nsType.ts';
import type { NsObservation } from '../trace/format.ts';
import type { ObservedNs } from '../scenario/observed.ts';
import { addRun } from './allocator.ts';
import type { EngineCtx } from './ctx.ts';
import { fdTableOf, procNs, resolveSource } from './files.ts';
import { taskOf } from './tasks.ts';
import type { NsNode, World } from './world.ts';

/**
 * What `stat` + `NS_GET_ID` on a namespace would show in the model — and, for a netns, the
 * numbers of its /proc/net entries, as the probe records them. Model ids are the model's own
 * (identity only, like 6.18's per-CPU ids); initial namespaces show the kernel's fixed initial
 * inode numbers.
 *
 * @internal
 */
export function observeNode(n: NsNode): NsObservation {
  const type = n.type;
  if (n.initial) return { type, inode: INIT_INODE[type], id: modelNsId(n.id) };
  if (type !== 'net') return { type, inode: n.inode, id: modelNsId(n.id) };
  return { type, inode: n.inode, id: modelNsId(n.id), proc: procRunsOf(n) };
}

/**
 * The namespace an observation target names in `w`, or null when it cannot be reached (the
 * task is gone, the fd closed): the probe then records nothing for it either.
 *
 * @internal
 */
export function observedNode(w: World, o: ObservedNs, ctx: EngineCtx): NsNode | null {
  const t = taskOf(w, o.task);
  if (o.kind === 'proc') {
    const r = procNs(w, taskOf(w, o.task), o.file, ctx);
    return 'ns' in r ? (w.ns[r.ns] as NsNode) : null;
  }
  if (o.kind === 'fd') {
    const e = fdTableOf(w, t).fds[o.fd];
    const f = e ? w.files[e.file] : undefined;
    return f && f.kind === 'nsfs' ? (w.ns[f.target] as NsNode) : null;
  }
  const r = resolveSource(w, t, { kind: 'path', path: o.path }, ctx);
  return 'ns' in r ? (w.ns[r.ns] as NsNode) : null;
}

/** The namespace of `type` a task is in (its own: `user` by cred, `pid` by struct pid). @internal */
export function nsOfTask(w: World, task: string, type: NsNode['type']): NsNode {
  return w.ns[taskOf(w, task).ns[type]] as NsNode;
}

/** A netns's /proc/net entry numbers as ascending `[first, last]` runs. @internal */
export function procRunsOf(n: NsNode): number[] {
  const runs = n.procRuns.slice(); // already a sorted set; the device entries may sit anywhere
  for (const d of n.devInodes) addRun(runs, d, d);
  return runs;
}

/** The lowest free inode number (what a throw-away uts namespace would get). @internal */
export { peekInode as nextFreeInode } from './allocator.ts';

/** The NS_GET_ID a model namespace shows (model index + 1; 0 is never an id). @internal */
export const modelNsId = (index: number): number => index + 1;
