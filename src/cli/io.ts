import { readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { InputError } from '../errors/inputError.ts';

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
    throw e;
  }
}
