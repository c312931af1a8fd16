import { relative } from 'node:path';
import { DEFAULT_PROFILE, profileForRelease } from '../../model/profiles/index.ts';
import type { LatencyRange } from '../../model/time.ts';
import { calibrate, type Calibration, type FittedParam } from '../calibrate/fit.ts';
import { InputError, quote } from '../errors/inputError.ts';
import { parseTrace } from '../trace/read.ts';
import { parseOptions } from './args.ts';
import { checkOutputPath, readInput, writeAtomic } from './io.ts';
import { profileOption } from './profileOption.ts';

export const CALIBRATE_HELP = `nslife calibrate TRACES... -o PROFILE [--base P]

Fits the profile parameters the kernel does not fix (the /proc/net entry counts, where model runs
start allocating, the reaper latencies, the operations' durations) from kernel traces (nslife
probe), and writes a profile file (JSON: a full profile, plus calibratedFrom and the fit report).
Use it with --profile PROFILE in run, check, demo, ... What the traces cannot tell keeps the base
profile's value, and the table says so. Ranges get a 10% margin on both sides.
  -o PROFILE   the profile file to write (JSON)
  --base P     profile to start from: a name or a profile file (default: the one for the traces'
               kernel release, else ${DEFAULT_PROFILE.name})`;

/** `nslife calibrate`. @internal */
export function calibrateCommand(argv: string[], out: (s: string) => void): number {
  const { values, positionals } = parseOptions(
    argv,
    { output: { type: 'string', short: 'o' }, base: { type: 'string' } },
    'calibrate',
  );
  if (positionals.length === 0) {
    throw new InputError({
      file: 'nslife calibrate',
      field: 'arguments',
      expected: 'one or more kernel trace files',
      found: 'none',
    });
  }
  if (values.output === undefined) {
    throw new InputError({
      file: 'nslife calibrate',
      field: '-o',
      expected: 'an output profile file (-o PROFILE)',
      found: 'none',
    });
  }
  if (positionals.includes(values.output)) {
    throw new InputError({
      file: 'nslife calibrate',
      field: '-o',
      expected: 'a file that is not one of the traces',
      found: quote(values.output),
    });
  }
  checkOutputPath(values.output, 'calibrate', 'a profile file');
  const traces = positionals.map((file) => {
    const trace = parseTrace(readInput(file), file);
    if (trace.header.source !== 'kernel')
      throw new InputError({
        file,
        field: 'header.source',
        expected: 'a kernel trace (calibration fits the kernel, not the model)',
        found: quote(trace.header.source),
      });
    return { file, trace };
  });
  const releases = [...new Set(traces.map((t) => t.trace.header.kernel?.release ?? ''))];
  const base =
    values.base !== undefined
      ? profileOption(values.base, 'calibrate')
      : ((releases.length === 1 ? profileForRelease(releases[0]!) : null) ?? DEFAULT_PROFILE);
  const cal = calibrate(traces, base);
  const calibratedFrom = traces.map((t) => relative(process.cwd(), t.file) || t.file);
  writeAtomic(values.output, profileFileText(cal, calibratedFrom));

  const refused = traces.filter((t) => t.trace.header.refused !== undefined);
  out(
    `nslife calibrate — ${traces.length} kernel trace(s) (${releases.join(', ') || 'unknown kernel'}), base ${base.name}, margin 10%; times in ms`,
  );
  for (const t of refused) out(`  ${t.file}: the run was refused (${t.trace.header.refused}): nothing to fit from it`);
  out(renderTable(cal.fitted));
  const kept = cal.fitted.filter((p) => p.chosen !== null && !p.fitted);
  if (kept.length > 0) {
    out('kept from the base profile:');
    for (const p of kept) out(`  ${p.param}: ${p.how.replace(/^kept the base value: /, '')}`);
  }
  for (const n of cal.notes) out(`note: ${n}`);
  out(`profile ${cal.profile.name} written to ${values.output} (use: --profile ${values.output})`);
  return 0;
}

/** The profile file: the profile, the traces it came from, and the fit report. @internal */
export function profileFileText(cal: Calibration, calibratedFrom: readonly string[]): string {
  const fitted = cal.fitted.map((p) => ({
    param: p.param,
    unit: p.unit,
    ...(p.sample ?? { n: 0 }),
    chosen: p.chosen,
    base: p.base,
    fitted: p.fitted,
    how: p.how,
  }));
  return JSON.stringify({ ...cal.profile, calibratedFrom, fitted, fitNotes: cal.notes }, null, 2) + '\n';
}

const isRange = (v: unknown): v is LatencyRange => typeof v === 'object' && v !== null && 'min' in v;

/** The fit report as a table: parameter, n, min, median, max, chosen (durations in ms). @internal */
export function renderTable(params: readonly FittedParam[]): string {
  const num = (p: FittedParam, x: number): string => (p.unit === 'ns' ? (x / 1e6).toFixed(3) : String(x));
  const chosen = (p: FittedParam): string => {
    if (p.chosen === null) return '';
    const v = isRange(p.chosen) ? `${num(p, p.chosen.min)}..${num(p, p.chosen.max)}` : num(p, p.chosen);
    return p.fitted ? v : `${v} (base)`;
  };
  const rows = [
    ['parameter', 'n', 'min', 'median', 'max', 'chosen'],
    ...params.map((p) => [
      p.param,
      p.sample ? String(p.sample.n) : '-',
      p.sample ? num(p, p.sample.min) : '',
      p.sample ? num(p, p.sample.median) : '',
      p.sample ? num(p, p.sample.max) : '',
      chosen(p),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .map((l) => `  ${l}`)
    .join('\n');
}
