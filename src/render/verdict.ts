import type { Verdict } from '../checker/verdict.ts';
import { describeStep } from './steps.ts';

/**
 * The checker's verdict in words.
 *
 * @public
 */
export function renderVerdict(v: Verdict, strictness: string): string {
  const incomplete = v.complete ? '' : ' (trace incomplete: judged on the steps it has)';
  const notes = v.notes.map((n) => `\n  note: ${n}`).join('');
  switch (v.outcome) {
    case 'admitted':
      return `admitted (${strictness}): ${v.steps} steps explained, at most ${v.maxCandidates} candidate model states${incomplete}${notes}`;
    case 'undecided':
      return `UNDECIDED (${strictness}) at step ${v.step.index} (line ${v.step.line}): ${v.reason}; the trace lacks observations that would tell the states apart (tracefs events, /proc/net entries)${incomplete}${notes}`;
    case 'rejected':
      return [
        `REJECTED (${strictness}) at step ${v.step.index} (line ${v.step.line}): ${describeStep(v.step)}${incomplete}`,
        `  the model allowed: ${v.allowed.length > 0 ? v.allowed.join('\n                     ') : 'nothing'}`,
        `  the trace shows:   ${v.seen}`,
        ...(v.holders.length > 0 ? [`  holders before it: ${v.holders.join('\n                     ')}`] : []),
        ...(notes ? [notes.slice(1)] : []),
      ].join('\n');
  }
}
