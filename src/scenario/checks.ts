import type { Expectation } from './ast.ts';

/**
 * `expect NAME held`: the namespace NAME names still has references.
 *
 * @remarks Since 0.1.0
 * @public
 */
export const held = (name: string): Expectation => ({ kind: 'held', name });
/**
 * `expect NAME released`: the namespace NAME names has no references any more.
 *
 * @remarks Since 0.1.0
 * @public
 */
export const released = (name: string): Expectation => ({ kind: 'released', name });
/**
 * `expect same-inode A B`: equal inode numbers (A and B may be `next-inode` names).
 *
 * @remarks Since 0.1.0
 * @public
 */
export const sameInode = (a: string, b: string): Expectation => ({ kind: 'same-inode', a, b });
/**
 * `expect other-inode A B`: different inode numbers (A and B may be `next-inode` names).
 *
 * @remarks Since 0.1.0
 * @public
 */
export const otherInode = (a: string, b: string): Expectation => ({ kind: 'other-inode', a, b });
/**
 * `expect same-ns A B`: the same namespace (by NS_GET_ID).
 *
 * @remarks Since 0.1.0
 * @public
 */
export const sameNs = (a: string, b: string): Expectation => ({ kind: 'same-ns', a, b });
/**
 * `expect other-ns A B`: different namespaces (by NS_GET_ID).
 *
 * @remarks Since 0.1.0
 * @public
 */
export const otherNs = (a: string, b: string): Expectation => ({ kind: 'other-ns', a, b });
