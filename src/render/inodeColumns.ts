import type { NsType } from '../../model/nsType.ts';
import type { Trace } from '../trace/format.ts';

/**
 * One namespace creation as a run saw it: its inode number, relative to the first namespace of
 * that type the run created, and which earlier one it reuses the number of (1-based), if any.
 *
 * @public
 */
export interface CreatedNs {
  readonly inode: number;
  readonly relative: number;
  readonly reuses: number | null;
  readonly errno: string | null;
}

/**
 * The namespaces of one type created by `unshare` steps of a trace, in order.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function createdNamespaces(trace: Trace, type: NsType): CreatedNs[] {
  const out: CreatedNs[] = [];
  for (const s of trace.steps) {
    if (s.op !== 'unshare' || !(s.args['types'] as string[] | undefined)?.includes(type)) continue;
    const o = s.ns.find((x) => x.type === type);
    if (!o) {
      out.push({ inode: 0, relative: 0, reuses: null, errno: s.errno ?? 'unobserved' });
      continue;
    }
    const first = out.find((x) => x.errno === null)?.inode ?? o.inode;
    const k = out.findIndex((x) => x.errno === null && x.inode === o.inode);
    out.push({ inode: o.inode, relative: o.inode - first, reuses: k >= 0 ? k + 1 : null, errno: null });
  }
  return out;
}

/**
 * Model and kernel side by side, one line per created namespace, reuse marked.
 *
 * @public
 */
export function renderSideBySide(type: NsType, model: Trace, kernel: Trace | null): string {
  const m = createdNamespaces(model, type);
  const k = kernel ? createdNamespaces(kernel, type) : [];
  const cell = (c: CreatedNs | undefined, abs: boolean): string => {
    if (!c) return '';
    if (c.errno !== null) return c.errno;
    const rel = c.relative === 0 ? '+0' : c.relative > 0 ? `+${c.relative}` : String(c.relative);
    const reuse = c.reuses !== null ? `  reuses #${c.reuses}` : '  new';
    return `${abs ? `${c.inode} ` : ''}${rel.padStart(abs ? 5 : 5)}${reuse}`;
  };
  const rows = [[`${type}ns`, 'model (relative)', kernel ? 'kernel (inode, relative)' : '']];
  for (let i = 0; i < Math.max(m.length, k.length); i++) rows.push([`#${i + 1}`, cell(m[i], false), cell(k[i], true)]);
  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const w1 = Math.max(...rows.map((r) => r[1]!.length));
  return rows.map((r) => `  ${r[0]!.padEnd(w0)}  ${r[1]!.padEnd(w1)}  ${r[2]}`.trimEnd()).join('\n');
}
