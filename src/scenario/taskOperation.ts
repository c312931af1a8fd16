import type { NsType } from '../../model/nsType.ts';
import type { NsFile, Outcome } from './ast.ts';

/**
 * What a task does in one step: the argument of {@link ScenarioBuilder.do}, made by
 * {@link unshare} or {@link read}. (Every operation also has a method of its own on the
 * builder: {@link ScenarioBuilder.unshare}, {@link ScenarioBuilder.fork}, ....)
 *
 * @remarks Since 0.1.0
 * @public
 */
export type TaskOperation =
  | { readonly kind: 'unshare'; readonly types: readonly NsType[]; readonly expect?: Outcome }
  | { readonly kind: 'read'; readonly nsType: NsFile; readonly as?: string };

/**
 * `TASK: unshare TYPES [=> OUTCOME]`: `unshare('net')`, `unshare(['user', 'net'], 'EPERM')`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function unshare(types: NsType | readonly NsType[], expect?: Outcome): TaskOperation {
  const list = typeof types === 'string' ? [types] : types;
  return expect === undefined ? { kind: 'unshare', types: list } : { kind: 'unshare', types: list, expect };
}

/**
 * `TASK: read FILE [as NAME]`: `read('net', 'orig')`; `NAME` may use `$i` and `$PARAM`.
 *
 * @remarks Since 0.1.0
 * @public
 */
export function read(nsType: NsFile, as?: string): TaskOperation {
  return as === undefined ? { kind: 'read', nsType } : { kind: 'read', nsType, as };
}
