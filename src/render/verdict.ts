import type { Verdict } from '../checker/check.ts';
import { describeStep } from './steps.ts';

/**
 * The checker's verdict in words.
 *
 * @public
 */
export function renderVerdict(v: Verdict, strictness: string): string {
  const incomplete = v.complete ? '' : ' (trace incomplete: judged on the steps it has)';
  if (v.admitted) {
    return `admitted (${strictness}): ${v.steps} steps explained, at most ${v.maxCandidates} candidate model states${incomplete}`;
  }
  return [
    `REJECTED (${strictness}) at step ${v.step.index} (line ${v.step.line}): ${describeStep(v.step)}${incomplete}`,
    `  the model allowed: ${v.allowed.length > 0 ? v.allowed.join('\n                     ') : 'nothing'}`,
    `  the trace shows:   ${v.seen}`,
  ].join('\n');
}
