/**
 * The steps that bind a name with `as NAME` (`fork` with `pidfd as NAME`).
 *
 * @remarks Since 0.2.0
 * @internal
 */
export type Binder = 'read' | 'open' | 'ioctl' | 'next-inode' | 'socket' | 'pidfd' | 'fork' | 'shmat';

/**
 * What a bound name is used as:
 * - `fd`: a file descriptor (`setns`, `ioctl`, `close`, `bind` from an fd);
 * - `segment`: an attached shm segment (`shmdt`);
 * - `namespace`: an observed namespace (`expect held|released|same-ns|other-ns`);
 * - `inode`: an observed inode number (`expect same-inode|other-inode`).
 *
 * @remarks Since 0.2.0
 * @internal
 */
export type NameUse = 'fd' | 'segment' | 'namespace' | 'inode';

const ACCEPTED: Readonly<Record<NameUse, readonly Binder[]>> = {
  fd: ['open', 'ioctl', 'socket', 'pidfd', 'fork'],
  segment: ['shmat'],
  namespace: ['read', 'open', 'ioctl'],
  inode: ['read', 'open', 'ioctl', 'next-inode'],
};

const SHAPE: Readonly<Record<NameUse, string>> = {
  fd: 'an fd bound earlier by "as NAME" of open, ioctl, socket, pidfd or fork',
  segment: 'a segment bound earlier by "shmat as NAME"',
  namespace: 'a name bound earlier by "as NAME" of read, open or ioctl',
  inode: 'a name bound earlier by "as NAME" of read, open, ioctl or next-inode',
};

/**
 * Names bound so far, in execution order, each with the step that bound it last: binding a
 * name again rebinds it, whatever bound it before. A name can be used as what its latest
 * binder makes it (an `open` or `ioctl` name is both an fd and a namespace).
 *
 * @remarks Since 0.2.0
 * @internal
 */
export class Bindings {
  private readonly binder = new Map<string, Binder>();

  bind(name: string, by: Binder): void {
    this.binder.set(name, by);
  }

  /** Whether `name` is bound and can be used as `use`. */
  usable(name: string, use: NameUse): boolean {
    const by = this.binder.get(name);
    return by !== undefined && ACCEPTED[use].includes(by);
  }

  isEmpty(): boolean {
    return this.binder.size === 0;
  }

  /** What bound `name` last, if anything. */
  boundBy(name: string): Binder | undefined {
    return this.binder.get(name);
  }

  /** The names usable as `use` now, in the order they were first bound. */
  names(use: NameUse): string[] {
    return [...this.binder].filter(([, by]) => ACCEPTED[use].includes(by)).map(([name]) => name);
  }

  /** What input errors say is expected of a name used as `use`. */
  static shape(use: NameUse): string {
    return SHAPE[use];
  }
}
