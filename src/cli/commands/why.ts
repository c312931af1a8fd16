import { renderWhy, why } from '../../query/why.ts';
import { onePositional, parseOptions } from '../args.ts';
import { describePoint, fail, POINT_OPTIONS, queryPoint, resolveNs } from './queryPoint.ts';

export const WHY_HELP = `nslife why SCENARIO NS [--at STEP | --at-ms T] [--set NAME=VALUE]... [--profile P] [--seed N] [--json]

Runs a scenario on the model and says why namespace NS is still there at a point: every chain of
holders down to what a person can act on (a task, an fd, a mount, a zombie's parent) or to
pending kernel work; for a dying namespace, its reaper's steps still to come and when; for a
freed one, when it went.

NS is a name bound by "read|open|ioctl ... as NAME", or TASK:FILE (the namespace of
/proc/TASK/ns/FILE then). The point: --at STEP after the first STEP steps (0: before the first),
--at-ms T at virtual time T ms; default: after the last step.
Exit status: 0, or 2 for bad input.`;

/** `nslife why`. @internal */
export function whyCommand(argv: string[], out: (s: string) => void): number {
  const { values, positionals } = parseOptions(argv, POINT_OPTIONS, 'why');
  if (positionals.length !== 2)
    fail(
      'why',
      'arguments',
      'a scenario file and a namespace (SCENARIO NS)',
      positionals.length === 0
        ? 'none'
        : `${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(' ')}`,
    );
  const file = onePositional(positionals.slice(0, 1), 'scenario file', 'why');
  const name = positionals[1] as string;
  const p = queryPoint(file, values, 'why');
  const index = resolveNs(p, name, 'why');
  const result = why(p.world, index, p.profile);
  const replay = `node bin/nslife.js why ${file} ${name} ${p.replay}`;
  if (values.json) {
    out(
      JSON.stringify({
        scenario: file,
        name,
        seed: p.seed,
        profile: p.profile.name,
        steps: p.steps,
        t: p.t,
        replay,
        why: result,
      }),
    );
    return 0;
  }
  out(`nslife why ${file} ${name} — profile ${p.profile.name}, seed ${p.seed}, ${describePoint(p)}`);
  out(`(replay: ${replay})`);
  out(renderWhy(result));
  return 0;
}
