import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError, quote } from '../errors/inputError.ts';

/**
 * Reads a whole input file; a missing or unreadable file is an input error.
 *
 * @internal
 */
export function readInput(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'an error';
    throw new InputError({ file, line: 1, col: 1, expected: 'a readable file', found: code });
  }
}

/**
 * Writes a file so that it is never seen half-written: a temporary name in the same directory,
 * then rename. On failure nothing already there is touched.
 *
 * @internal
 */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.nslife-tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === undefined) throw e;
    throw new InputError({ file, line: 1, col: 1, expected: 'a writable output file', found: code });
  }
}

/**
 * Refuses an output path before any work is done: its directory must exist and the path must not
 * be a directory (`-o FILE` of run, probe, calibrate).
 *
 * @internal
 */
export function checkOutputPath(path: string, command: string, what: string): void {
  const isDir = (p: string): boolean | undefined => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return undefined; // not there
    }
  };
  const dir = dirname(path);
  if (isDir(dir) === true && isDir(path) !== true) return;
  throw new InputError({
    file: `nslife ${command}`,
    field: '-o',
    expected: `${what} in an existing directory`,
    found: isDir(path) ? `the directory ${quote(path)}` : `${quote(path)} (no directory ${quote(dir)})`,
  });
}
