import type { NsType } from '../../model/nsType.ts';
import type { Interval } from '../engine/interval.ts';
import { observeNode } from '../engine/observe.ts';
import type { NsNode, NsproxySlot, World } from '../engine/world.ts';

/**
 * A namespace as the queries name it: its index in `World.ns`, and the id `run` and traces show
 * (the model's NS_GET_ID: index + 1).
 *
 * @public
 */
export interface NsRef {
  readonly index: number;
  readonly id: number;
  readonly type: NsType;
  readonly initial: boolean;
  /** The inode number `stat` shows (initial namespaces: the kernel's fixed numbers). */
  readonly inode: number;
}

/** The {@link NsRef} of namespace `index`. @internal */
export function nsRef(w: World, index: number): NsRef {
  const n = w.ns[index] as NsNode;
  return { index, id: index + 1, type: n.type, initial: n.initial, inode: observeNode(n).inode };
}

/** `net ns 5`, or `initial net ns`. @internal */
export function nsLabel(r: NsRef): string {
  return r.initial ? `initial ${r.type} ns` : `${r.type} ns ${r.id}`;
}

/** Milliseconds, at most three decimals, trailing zeros dropped: `12`, `0.25`, `36.512`. @internal */
export function msText(ns: number): string {
  const s = (ns / 1e6).toFixed(3);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** `12 ms`, or `12–40.5 ms` for a window. @internal */
export function windowText(iv: Interval): string {
  return iv.lo === iv.hi ? `${msText(iv.lo)} ms` : `${msText(iv.lo)}–${msText(iv.hi)} ms`;
}

/** The procfs file name of an nsproxy slot (`pid_for_children`). @internal */
export function slotText(slot: NsproxySlot | string): string {
  return slot === 'pidForChildren' ? 'pid_for_children' : slot === 'timeForChildren' ? 'time_for_children' : slot;
}

/** Inode numbers as ranges: `4026532176–4026532239, 4026532241`. @internal */
export function inodeRanges(inodes: readonly number[]): string {
  const xs = [...inodes].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j + 1 < xs.length && (xs[j + 1] as number) === (xs[j] as number) + 1) j++;
    parts.push(i === j ? `${xs[i]}` : `${xs[i]}–${xs[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}
