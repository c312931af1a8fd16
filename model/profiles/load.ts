import { InputError, quote } from '../../src/errors/inputError.ts';
import { NS_TYPES, isNsType } from '../nsType.ts';
import type { KernelProfile } from '../profile.ts';

/**
 * Fields a profile file may carry besides the profile itself (written by `nslife calibrate`):
 * the traces it was calibrated from, the fit report and its notes. They are not part of the profile.
 */
const EXTRA_FIELDS = ['calibratedFrom', 'fitted', 'fitNotes'] as const;

/** One field's check: returns what was expected when `v` is not valid, else null. */
type Check = (v: unknown, path: string, file: string) => void;

const fail = (file: string, field: string, expected: string, found: unknown): never => {
  throw new InputError({ file, field, expected, found: describe(found) });
};

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const integer =
  (min = 0): Check =>
  (v, path, file) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(file, path, `an integer ≥ ${min}`, v);
  };
const string: Check = (v, path, file) => {
  if (typeof v !== 'string' || v === '') fail(file, path, 'a non-empty string', v);
};
const boolean: Check = (v, path, file) => {
  if (typeof v !== 'boolean') fail(file, path, 'true or false', v);
};
const oneOf =
  (...values: string[]): Check =>
  (v, path, file) => {
    if (typeof v !== 'string' || !values.includes(v)) fail(file, path, `one of ${values.map(quote).join(', ')}`, v);
  };
const release: Check = (v, path, file) => {
  if (typeof v !== 'string' || !/^\d+\.\d+$/.test(v)) fail(file, path, 'a release MAJOR.MINOR such as "6.18"', v);
};
/** A latency range in integer nanoseconds, min ≤ max. */
const range: Check = (v, path, file) => {
  object({ min: integer(), max: integer() })(v, path, file);
  const r = v as { min: number; max: number };
  if (r.max < r.min) fail(file, `${path}.max`, `at least min (${r.min}) — integer nanoseconds`, r.max);
};

function object(fields: Record<string, Check>, extra: readonly string[] = []): Check {
  return (v, path, file) => {
    const at = (k: string): string => (path === '' ? k : `${path}.${k}`);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(file, path || 'profile', 'a JSON object', v);
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!(k in fields) && !extra.includes(k))
        fail(file, at(k), `one of the fields ${[...Object.keys(fields), ...extra].join(', ')}`, k);
    }
    for (const [k, check] of Object.entries(fields)) check(o[k], at(k), file);
  };
}

const RANGE_KEYS = <K extends string>(keys: readonly K[]): Record<K, Check> =>
  Object.fromEntries(keys.map((k) => [k, range])) as Record<K, Check>;

/** Every field of a KernelProfile (the compiler checks that none is left out). */
const PROFILE_FIELDS: Record<keyof KernelProfile, Check> = {
  name: string,
  description: (v, path, file) => {
    if (typeof v !== 'string') fail(file, path, 'a string', v);
  },
  releases: object({ from: release, to: release }),
  inodes: (v, path, file) => {
    object({
      dynamicFirst: integer(),
      modelStart: integer(),
      netProcEntries: integer(),
      netDeviceProcEntries: integer(),
      netInumRelease: oneOf('exit', 'final'),
    })(v, path, file);
    const i = v as KernelProfile['inodes'];
    if (i.netDeviceProcEntries > i.netProcEntries)
      fail(
        file,
        `${path}.netDeviceProcEntries`,
        `at most netProcEntries (${i.netProcEntries})`,
        i.netDeviceProcEntries,
      );
  },
  nsIds: oneOf('none', 'mnt-only', 'percpu-cookie', 'global-counter'),
  initialLimits: object(Object.fromEntries(NS_TYPES.map((t) => [t, integer()]))),
  userNestingLimit: integer(),
  pidNestingLimit: integer(),
  fixedInitInodes: (v, path, file) => {
    if (!Array.isArray(v)) return fail(file, path, `a list of namespace types (${NS_TYPES.join(', ')})`, v);
    v.forEach((t, i) => {
      if (typeof t !== 'string' || !isNsType(t))
        fail(file, `${path}[${i}]`, `a namespace type (${NS_TYPES.join(', ')})`, t);
      if (v.indexOf(t) !== i) fail(file, `${path}[${i}]`, 'each type once', t);
    });
  },
  pidReaper: oneOf('sync', 'work'),
  ipcCreateFlushRetry: boolean,
  execEntersTimeForChildren: boolean,
  pidForChildrenBeforeInit: oneOf('ENOENT', 'allowed'),
  pidfdOfThread: oneOf('EINVAL', 'ENOENT'),
  activeRefs: boolean,
  fileHandles: boolean,
  listns: boolean,
  latency: object(
    RANGE_KEYS([
      'netnsStart',
      'netnsUnregister',
      'netnsExit',
      'netnsFinal',
      'workqueue',
      'rcuGrace',
      'credPut',
      'pidPut',
    ] satisfies (keyof KernelProfile['latency'])[]),
  ),
  opDuration: object(
    RANGE_KEYS([
      'unshareUser',
      'unshareNet',
      'unshareOther',
      'fork',
      'syscall',
      'read',
    ] satisfies (keyof KernelProfile['opDuration'])[]),
  ),
};

/**
 * Reads a kernel profile from a JSON file (as `nslife calibrate` writes it: a full profile, times
 * in integer nanoseconds, optionally with `calibratedFrom` and `fitted`). A JSON syntax error is an
 * {@link InputError} at `file:line:col`; a missing, unknown or invalid field names the field
 * (`latency.netnsStart.max`).
 *
 * @remarks Since 0.1.0
 * @public
 */
export function parseProfile(text: string, file: string): KernelProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const { line, col } = jsonErrorPosition(e, text);
    throw new InputError({
      file,
      line,
      col,
      expected: 'a JSON kernel profile',
      found: quote(String((e as Error).message).split('\n')[0] ?? 'invalid JSON'),
    });
  }
  object(PROFILE_FIELDS, EXTRA_FIELDS)(value, '', file);
  const o = value as Record<string, unknown>;
  const calibratedFrom = o['calibratedFrom'];
  if (
    calibratedFrom !== undefined &&
    (!Array.isArray(calibratedFrom) || calibratedFrom.some((x) => typeof x !== 'string'))
  )
    fail(file, 'calibratedFrom', 'a list of trace file names', calibratedFrom);
  const profile = Object.fromEntries(Object.keys(PROFILE_FIELDS).map((k) => [k, o[k]])) as unknown as KernelProfile;
  return deepFreeze(profile);
}

/** Where a JSON.parse error is: node 20 says "at position N", later ones "(line L column C)". */
function jsonErrorPosition(e: unknown, text: string): { line: number; col: number } {
  const msg = String((e as Error).message);
  const lc = /line (\d+) column (\d+)/.exec(msg);
  if (lc) return { line: Number(lc[1]), col: Number(lc[2]) };
  const pos = /position (\d+)/.exec(msg);
  const at = pos ? Number(pos[1]) : text.length;
  const before = text.slice(0, at).split('\n');
  return { line: before.length, col: (before[before.length - 1]?.length ?? 0) + 1 };
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
