import type { ExpectationResult } from '../trace/expectations.ts';

/**
 * The expectations' outcomes, one line each, with file:line.
 *
 * @public
 */
export function renderExpectations(results: readonly ExpectationResult[]): string {
  return results
    .map(
      (r) =>
        `  ${r.status === 'pass' ? 'pass' : r.status === 'fail' ? 'FAIL' : '????'}  ${r.pos.file}:${r.pos.line}  ${r.text}  (${r.detail})`,
    )
    .join('\n');
}
