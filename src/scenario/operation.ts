import type { Written } from './assembler.ts';

/**
 * What a task does in one step, as the author wrote it (before `$NAME` expansion and checks):
 * the text parser and the TypeScript builder both make these, and the assembler checks them
 * and turns them into IR steps. `types` of `fork` is absent without `new`; of `setns`, empty
 * without types.
 *
 * @remarks Since 0.2.0
 * @internal
 */
export type WrittenOp =
  | { readonly kind: 'unshare'; readonly types: readonly Written[] }
  | {
      readonly kind: 'fork';
      readonly child: Written;
      readonly types: readonly Written[] | undefined;
      readonly pidfd: Written | undefined;
    }
  | { readonly kind: 'thread'; readonly child: Written }
  | { readonly kind: 'setns'; readonly fd: Written; readonly types: readonly Written[] }
  | { readonly kind: 'open'; readonly source: Written; readonly as: Written; readonly cloexec: boolean }
  | {
      readonly kind: 'ioctl';
      readonly fd: Written;
      readonly request: Written;
      readonly as: Written;
      readonly cloexec: boolean;
    }
  | { readonly kind: 'close'; readonly fd: Written }
  | { readonly kind: 'bind'; readonly source: Written; readonly path: Written }
  | { readonly kind: 'umount'; readonly path: Written; readonly lazy: boolean }
  | { readonly kind: 'mount-proc'; readonly path: Written }
  | { readonly kind: 'socket'; readonly as: Written; readonly cloexec: boolean }
  | { readonly kind: 'pidfd'; readonly target: Written; readonly as: Written }
  | { readonly kind: 'shmat'; readonly as: Written }
  | { readonly kind: 'shmdt'; readonly segment: Written }
  | { readonly kind: 'exec' }
  | { readonly kind: 'exit' }
  | { readonly kind: 'wait'; readonly child: Written }
  | { readonly kind: 'set-limit'; readonly nsType: Written; readonly value: Written }
  | { readonly kind: 'read'; readonly file: Written; readonly as: Written | undefined };

/**
 * The operation keywords after `TASK:`, in the order the documentation lists them (`mount` is
 * `mount proc`, `set` is `set max_TYPE_namespaces`).
 *
 * @remarks Since 0.2.0
 * @internal
 */
export const OPERATION_KEYWORDS = [
  'unshare',
  'fork',
  'thread',
  'setns',
  'open',
  'ioctl',
  'close',
  'bind',
  'umount',
  'mount',
  'socket',
  'pidfd',
  'shmat',
  'shmdt',
  'exec',
  'exit',
  'wait',
  'set',
  'read',
] as const;

/** The `ioctl` requests: NS_GET_USERNS and NS_GET_PARENT. @internal */
export const IOCTL_REQUESTS = ['get-userns', 'get-parent'] as const;
