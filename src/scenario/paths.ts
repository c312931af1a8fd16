/**
 * The file system paths of a scenario (bind mount points, `umount`, `mount proc`) and the nsfs
 * files `open` and `bind` take. A path must mean the same file on every run and survive being
 * written back as one word of a scenario line (and of the probe's line protocol), so it is
 * spelt one way only: absolute, POSIX portable file name characters, no `.`, `..` or empty
 * parts, within PATH_MAX and NAME_MAX; and never under /proc, which the probe does not mount
 * on (the nsfs files there are reached as `/proc/TASK/ns/FILE`).
 */

/** Longest path and path part Linux takes (PATH_MAX without its NUL, NAME_MAX). */
const PATH_MAX = 4095;
const NAME_MAX = 255;
const PORTABLE = /^[A-Za-z0-9._-]+$/;

/**
 * A path or source read from text, or what was wrong with it; `offset` is where in the text
 * the fault is (0 when it is about the whole text).
 *
 * @remarks Since 0.2.0
 * @internal
 */
export type PathReading = { readonly ok: true; readonly path: string } | PathFailure;

/** {@inheritDoc PathReading} @internal */
export interface PathFailure {
  readonly ok: false;
  readonly offset: number;
  readonly expected: string;
}

/**
 * How input errors describe a path.
 *
 * @remarks Since 0.2.0
 * @internal
 */
export const PATH_SHAPE = 'an absolute path such as /run/netns/a';

/**
 * Checks a path (see the module comment for the rules).
 *
 * @remarks Since 0.2.0
 * @internal
 */
export function readPath(text: string): PathReading {
  const fail = (expected: string, offset = 0): PathFailure => ({ ok: false, offset, expected });
  if (!text.startsWith('/')) return fail(`${PATH_SHAPE} (starting with "/")`);
  if (text === '/') return fail('a path below "/"');
  if (text.length > PATH_MAX) return fail(`a path of at most ${PATH_MAX} characters`);
  let offset = 1;
  for (const part of text.slice(1).split('/')) {
    if (part === '') return fail('a path without empty parts ("//" or a trailing "/")', offset);
    if (part === '.' || part === '..') return fail('a path without "." or ".." parts', offset);
    if (!PORTABLE.test(part)) {
      return fail('a path of POSIX portable file name characters (A-Z, a-z, 0-9, ".", "_", "-") and "/"', offset);
    }
    if (part.length > NAME_MAX) return fail(`a path whose parts have at most ${NAME_MAX} characters`, offset);
    offset += part.length + 1;
  }
  if (text === '/proc' || text.startsWith('/proc/')) return fail('a path outside /proc');
  return { ok: true, path: text };
}

/**
 * What `open` and `bind` take, as written: `/proc/TASK/ns/FILE` (TASK and FILE not checked
 * yet: the caller knows the tasks), an absolute path, or an fd name.
 *
 * @remarks Since 0.2.0
 * @internal
 */
export type SourceReading =
  | {
      readonly ok: true;
      readonly kind: 'proc';
      readonly task: string;
      readonly taskOffset: number;
      readonly file: string;
      readonly fileOffset: number;
    }
  | { readonly ok: true; readonly kind: 'path'; readonly path: string }
  | { readonly ok: true; readonly kind: 'fd'; readonly fd: string }
  | PathFailure;

const PROC_NS = /^\/proc\/([^/]*)\/ns\/([^/]*)$/;
const PROC_PREFIX = '/proc/';

/**
 * How input errors describe an nsfs file (`open`) and, with `fd`, what `bind` takes.
 *
 * @remarks Since 0.2.0
 * @internal
 */
export function sourceShape(fd: boolean): string {
  const files = '/proc/TASK/ns/FILE, /proc/self/ns/FILE or a bind-mounted absolute path';
  return fd ? `an nsfs file (${files}) or an fd name` : `an nsfs file (${files})`;
}

/**
 * Reads an nsfs source: a text starting with `/proc` must be `/proc/TASK/ns/FILE`; another
 * absolute path must pass {@link readPath}; anything else is an fd name (when `fd` allows it).
 *
 * @remarks Since 0.2.0
 * @internal
 */
export function readSource(text: string, fd: boolean): SourceReading {
  if (text === '/proc' || text.startsWith(PROC_PREFIX)) {
    const m = PROC_NS.exec(text);
    if (!m) return { ok: false, offset: 0, expected: 'an nsfs file /proc/TASK/ns/FILE (no other file under /proc)' };
    const [, task = '', file = ''] = m;
    const taskOffset = PROC_PREFIX.length;
    return { ok: true, kind: 'proc', task, taskOffset, file, fileOffset: taskOffset + task.length + '/ns/'.length };
  }
  if (text.startsWith('/')) {
    const reading = readPath(text);
    return reading.ok ? { ok: true, kind: 'path', path: reading.path } : reading;
  }
  if (fd) return { ok: true, kind: 'fd', fd: text };
  return { ok: false, offset: 0, expected: sourceShape(false) };
}
