import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import type { Trace } from '../trace/format.ts';

// What a probe run could leave behind on the host, and how to see it: snapshots of the host's
// state (mounts, processes and their namespaces, tracefs instances, the probe's /tmp entries,
// the initial user namespace's limits, SysV shared memory, file locks), pure comparisons of two
// snapshots, and the I/O that takes one. test/probe/hostSafety.live.test.ts runs the whole
// catalog between two snapshots.

/**
 * The probe's lock file (probe/nslife-probe.c: LOCK_PATH). Every process of a run inherits the
 * coordinator's `flock` on it (until a task's `exec`: the fd is close-on-exec), so whoever holds
 * it knows that no probe runs.
 *
 * @internal
 */
export const PROBE_LOCK_PATH = '/tmp/nslife-probe.lock';

/**
 * A tracefs instance of the probe: `instances/nslife-<pid>-<8 hex digits>` (probe/nslife-probe.c:
 * tracing_setup).
 *
 * @internal
 */
export const PROBE_TRACEFS_INSTANCE = /^nslife-(\d+)-[0-9a-f]{8}$/;

/**
 * The probe's private tracefs mount point: `/tmp/nslife-tracefs-<pid>-XXXXXX` (mkdtemp; made
 * on the host's /tmp, mounted only in the coordinator's private mount namespace).
 *
 * @internal
 */
export const PROBE_TMP_ENTRY = /^nslife-tracefs-(\d+)-[A-Za-z0-9]{6}$/;

/** The namespace files of /proc/PID/ns (`pid_for_children` and `time_for_children` included). */
const NS_FILES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'pid_for_children', 'time', 'time_for_children', 'user', 'uts'];

/** The limits compared: /proc/sys/user/max_<type>_namespaces. */
const LIMIT_TYPES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'];

// ---------------------------------------------------------------------------------------------
// snapshots

/**
 * One process as /proc shows it. `pid` and `start` together name a process: a pid alone may be
 * reused between two snapshots.
 *
 * @internal
 */
export interface ProcessState {
  readonly pid: number;
  /** /proc/PID/stat field 22: start time in clock ticks since boot. */
  readonly start: number;
  /** /proc/PID/stat field 2 (`comm`, at most 15 bytes; `exe` after an exec of /proc/self/exe). */
  readonly comm: string;
  /** /proc/PID/stat field 3 (`Z`: a zombie, which has neither an exe nor namespaces). */
  readonly state: string;
  readonly ppid: number;
  /** readlink /proc/PID/exe, `null` where it cannot be read (kernel threads, zombies). */
  readonly exe: string | null;
  /** readlink /proc/PID/ns/* as `net:[4026531840]`, sorted; the files that could be read. */
  readonly ns: readonly string[];
}

/**
 * The host's state as far as a probe run could change it.
 *
 * @internal
 */
export interface HostState {
  /** /proc/self/mountinfo of the process that took the snapshot. */
  readonly selfMountinfo: string;
  /** /proc/1/mountinfo, `null` where it cannot be read. */
  readonly pid1Mountinfo: string | null;
  /** Every process that could be read. */
  readonly processes: readonly ProcessState[];
  /** One mountinfo per mount namespace in use (`mnt:[inode]` → the text), read through one of its processes. */
  readonly mountinfoByMntNs: Readonly<Record<string, string>>;
  /** The names under tracefs `instances/`, or `null` with the reason in `tracefsWhy`. */
  readonly tracefsInstances: readonly string[] | null;
  readonly tracefsWhy?: string;
  /** The names in /tmp that start with `nslife-tracefs-`. */
  readonly tmpEntries: readonly string[];
  /** /proc/sys/user/max_<type>_namespaces of the snapshot taker's user namespace (the initial one when run on the host). */
  readonly limits: Readonly<Record<string, string>>;
  /** /proc/sysvipc/shm (the snapshot taker's IPC namespace), `''` where it cannot be read. */
  readonly sysvShm: string;
  /** /proc/locks. */
  readonly locks: string;
  /** /proc/uptime as clock ticks since boot when the snapshot was taken (see {@link bootTicks}). */
  readonly ticks: number;
}

/**
 * One line of /proc/PID/mountinfo (proc(5)); octal escapes (`\040`) kept as written.
 *
 * @internal
 */
export interface MountEntry {
  readonly id: number;
  readonly parent: number;
  readonly dev: string;
  readonly root: string;
  readonly mountPoint: string;
  readonly options: string;
  /** The optional fields (`shared:1 master:2`), space separated, `''` when none. */
  readonly optional: string;
  readonly fsType: string;
  readonly source: string;
  readonly superOptions: string;
}

/**
 * Parses /proc/PID/mountinfo.
 *
 * @throws Error on a line that is not a mountinfo line.
 * @internal
 */
export function parseMountinfo(text: string): MountEntry[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const sep = line.indexOf(' - ');
      const head = (sep < 0 ? '' : line.slice(0, sep)).split(' ');
      const tail = sep < 0 ? [] : line.slice(sep + 3).split(' ');
      if (head.length < 6 || tail.length < 3 || !/^\d+$/.test(head[0]!) || !/^\d+$/.test(head[1]!))
        throw new Error(`not a mountinfo line: ${JSON.stringify(line)}`);
      return {
        id: Number(head[0]),
        parent: Number(head[1]),
        dev: head[2]!,
        root: head[3]!,
        mountPoint: head[4]!,
        options: head[5]!,
        optional: head.slice(6).join(' '),
        fsType: tail[0]!,
        source: tail[1]!,
        superOptions: tail.slice(2).join(' '),
      };
    });
}

/**
 * Parses /proc/PID/stat: the command name (in parentheses, which it may itself contain), the
 * state, the parent pid and the start time.
 *
 * @throws Error on a text that is not a stat line.
 * @internal
 */
export function parseStat(text: string): { comm: string; state: string; ppid: number; start: number } {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest =
    close < 0
      ? []
      : text
          .slice(close + 2)
          .trim()
          .split(' ');
  // rest[0] is field 3 (state), rest[1] field 4 (ppid), rest[19] field 22 (starttime).
  if (open < 0 || close < open || rest.length < 20 || !/^\d+$/.test(rest[19]!))
    throw new Error(`not a /proc/PID/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  return { comm: text.slice(open + 1, close), state: rest[0]!, ppid: Number(rest[1]), start: Number(rest[19]) };
}

/**
 * One lock of /proc/locks (`1: FLOCK  ADVISORY  WRITE 1234 00:1f:5678 0 EOF`); `blocked` for a
 * waiter's `->` line.
 *
 * @internal
 */
export interface FileLock {
  readonly kind: string;
  readonly mode: string;
  readonly pid: number;
  readonly major: number;
  readonly minor: number;
  readonly inode: number;
  readonly blocked: boolean;
}

/**
 * Parses /proc/locks (fs/locks.c: lock_get_status); lines it does not know are skipped.
 *
 * @internal
 */
export function parseLocks(text: string): FileLock[] {
  const locks: FileLock[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+(->\s+)?(\S+)\s+\S+\s+(\S+)\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (!m) continue;
    locks.push({
      kind: m[2]!,
      mode: m[3]!,
      pid: Number(m[4]),
      major: parseInt(m[5]!, 16),
      minor: parseInt(m[6]!, 16),
      inode: Number(m[7]),
      blocked: m[1] !== undefined,
    });
  }
  return locks;
}

/**
 * The pids that hold (not wait for) a lock on the file with device `dev` (a `stat` st_dev) and
 * inode `ino`.
 *
 * @internal
 */
export function lockHolders(locks: readonly FileLock[], dev: number, ino: number): number[] {
  // glibc's dev_t encoding (gnu_dev_major/minor): 12 bits of major, 20 of minor, split.
  const major = ((dev >>> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >>> 12) & ~0xff & 0xfffff);
  return locks.filter((l) => !l.blocked && l.inode === ino && l.major === major && l.minor === minor).map((l) => l.pid);
}

/**
 * The namespaces a set of probe traces saw (`type:[inode]`, as /proc/PID/ns links read): the
 * header's initial namespaces and every step's observations. Those among them that the host
 * did not use before the runs are namespaces the probe created.
 *
 * @internal
 */
export function traceNamespaces(traces: readonly Trace[]): Set<string> {
  const seen = new Set<string>();
  for (const t of traces)
    for (const o of [...t.header.initial, ...t.steps.flatMap((s) => s.ns)]) seen.add(`${o.type}:[${o.inode}]`);
  return seen;
}

/** `type:[inode]` of a /proc/PID/ns link as a trace names its type (`pid_for_children` is a pid namespace). */
function nsOfLink(link: string): string {
  return link.replace(/^(pid|time)_for_children:/, '$1:');
}

// ---------------------------------------------------------------------------------------------
// comparison

/**
 * What changed on the host between two snapshots, one line per finding, by what was compared.
 * Every list is empty when the host is as it was.
 *
 * @internal
 */
export interface HostChanges {
  /** (a) mountinfo of the snapshot taker and of PID 1: lines gone or new. */
  readonly mounts: readonly string[];
  /** (b) namespaces in use by the processes in both snapshots: gone or new. */
  readonly namespaces: readonly string[];
  /** (b) nsfs mounts (a namespace bound to a path) in any mount namespace in use before and after. */
  readonly nsfsMounts: readonly string[];
  /** (c) processes left by the probe: its binary, or in a namespace it created. */
  readonly processes: readonly string[];
  /** (d) tracefs instances and /tmp entries named like the probe's that were not there before. */
  readonly tracefs: readonly string[];
  /** (f) /proc/sys/user/max_*_namespaces. */
  readonly limits: readonly string[];
  /** SysV shared memory segments that were not there before (`shmat` steps in the host's IPC namespace). */
  readonly sysvShm: readonly string[];
}

/**
 * What the comparison knows about the probe.
 *
 * @internal
 */
export interface ProbeFacts {
  /** The probe binary (src/probe/binary.ts: probeBinaryPath). */
  readonly exe: string;
  /** Namespaces the runs saw ({@link traceNamespaces}); those the host used before are not the probe's. */
  readonly namespaces: ReadonlySet<string>;
  /**
   * Clock ticks since boot when the runs ended ({@link bootTicks}): a process started later is
   * not one of theirs (namespace inode numbers are reused at once, so a namespace seen by a
   * run may be somebody else's by the time of the second snapshot).
   */
  readonly endTicks: number;
}

const processKey = (p: ProcessState): string => `${p.pid}@${p.start}`;
const describe = (p: ProcessState): string =>
  `pid ${p.pid} (${p.comm}, state ${p.state}, ppid ${p.ppid}, exe ${p.exe ?? '?'}, started at tick ${p.start})`;

/** Lines of `a` not in `b` (as a multiset). */
function linesMissing(a: readonly string[], b: readonly string[]): string[] {
  const count = new Map<string, number>();
  for (const l of b) count.set(l, (count.get(l) ?? 0) + 1);
  const out: string[] = [];
  for (const l of a) {
    const n = count.get(l) ?? 0;
    if (n > 0) count.set(l, n - 1);
    else out.push(l);
  }
  return out;
}

function mountinfoChanges(what: string, before: string | null, after: string | null): string[] {
  if (before === null || after === null)
    return before === after ? [] : [`${what}: readable ${before !== null} before, ${after !== null} after`];
  const b = before.split('\n').filter((l) => l !== '');
  const a = after.split('\n').filter((l) => l !== '');
  return [
    ...linesMissing(b, a).map((l) => `${what}: gone: ${l}`),
    ...linesMissing(a, b).map((l) => `${what}: new: ${l}`),
  ];
}

const isProbeExe = (p: ProcessState, exe: string): boolean => p.exe === exe || p.exe === `${exe} (deleted)`;

/**
 * Compares two snapshots taken around probe runs (each while holding the probe lock, so that no
 * probe ran during either). `after` must have been taken after `probe.endTicks`.
 *
 * @internal
 */
export function compareHostStates(before: HostState, after: HostState, probe: ProbeFacts): HostChanges {
  const mounts = [
    ...mountinfoChanges('/proc/self/mountinfo', before.selfMountinfo, after.selfMountinfo),
    ...mountinfoChanges('/proc/1/mountinfo', before.pid1Mountinfo, after.pid1Mountinfo),
  ];

  // (b) The processes of both snapshots, and the namespaces they use.
  const beforeByKey = new Map(before.processes.map((p) => [processKey(p), p]));
  const common = after.processes.filter((p) => beforeByKey.has(processKey(p)));
  const nsOf = (ps: readonly ProcessState[]): Map<string, number[]> => {
    const m = new Map<string, number[]>();
    for (const p of ps) for (const n of p.ns) m.set(n, [...(m.get(n) ?? []), p.pid]);
    return m;
  };
  const nsBefore = nsOf(common.map((p) => beforeByKey.get(processKey(p))!));
  const nsAfter = nsOf(common);
  const namespaces = [
    ...[...nsBefore]
      .filter(([n]) => !nsAfter.has(n))
      .map(([n, pids]) => `gone: ${n} (used by pids ${pids.join(', ')} before)`),
    ...[...nsAfter].filter(([n]) => !nsBefore.has(n)).map(([n, pids]) => `new: ${n} (used by pids ${pids.join(', ')})`),
  ];

  // (b) nsfs mounts, in the mount namespaces in use before and after (and in any the probe made).
  const usedBefore = new Set(before.processes.flatMap((p) => p.ns));
  const probeMade = new Set([...probe.namespaces].filter((n) => !usedBefore.has(n)));
  const nsfs = (byNs: Readonly<Record<string, string>>, keep: (ns: string) => boolean): Set<string> =>
    new Set(
      Object.entries(byNs)
        .filter(([ns]) => keep(ns))
        .flatMap(([ns, text]) =>
          parseMountinfo(text)
            .filter((m) => m.fsType === 'nsfs')
            .map((m) => `${ns}: mount ${m.id} of ${m.root} on ${m.mountPoint}`),
        ),
    );
  const nsfsBefore = nsfs(before.mountinfoByMntNs, () => true);
  const nsfsMounts = [...nsfs(after.mountinfoByMntNs, (ns) => ns in before.mountinfoByMntNs || probeMade.has(ns))]
    .filter((k) => !nsfsBefore.has(k))
    .map((k) => `new nsfs mount: ${k}`);

  // (c) Processes the runs left: the probe binary, or in a namespace a run made.
  const processes: string[] = [];
  for (const p of after.processes) {
    if (beforeByKey.has(processKey(p))) continue;
    if (
      isProbeExe(p, probe.exe) ||
      (p.state === 'Z' && (p.comm === 'nslife-probe' || p.comm === 'exe') && p.start <= probe.endTicks)
    ) {
      processes.push(`probe process left: ${describe(p)}`);
      continue;
    }
    const inProbeNs = p.ns.map(nsOfLink).filter((n) => probeMade.has(n));
    if (inProbeNs.length > 0 && p.start <= probe.endTicks)
      processes.push(`process in namespaces the probe made (${inProbeNs.join(', ')}): ${describe(p)}`);
  }

  // (d) tracefs instances and /tmp entries named like the probe's.
  const newNames = (b: readonly string[] | null, a: readonly string[] | null, re: RegExp): string[] =>
    (a ?? []).filter((n) => re.test(n) && !(b ?? []).includes(n));
  const tracefs = [
    ...newNames(before.tracefsInstances, after.tracefsInstances, PROBE_TRACEFS_INSTANCE).map(
      (n) => `tracefs instance left: instances/${n}`,
    ),
    ...newNames(before.tmpEntries, after.tmpEntries, PROBE_TMP_ENTRY).map((n) => `/tmp entry left: /tmp/${n}`),
  ];
  if ((before.tracefsInstances === null) !== (after.tracefsInstances === null))
    tracefs.push(
      `tracefs instances: readable ${before.tracefsInstances !== null} before, ${after.tracefsInstances !== null} after`,
    );

  const limits = [...new Set([...Object.keys(before.limits), ...Object.keys(after.limits)])]
    .sort()
    .filter((k) => before.limits[k] !== after.limits[k])
    .map((k) => `${k}: ${before.limits[k] ?? '(unreadable)'} before, ${after.limits[k] ?? '(unreadable)'} after`);

  const shmLines = (t: string): string[] =>
    t
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .filter((l) => l !== '');
  const shmKey = (l: string): string => l.split(/\s+/).slice(0, 2).join(' '); // key, shmid
  const shmBefore = new Set(shmLines(before.sysvShm).map(shmKey));
  const sysvShm = shmLines(after.sysvShm)
    .filter((l) => !shmBefore.has(shmKey(l)))
    .map((l) => `new SysV shm segment: ${l.replace(/\s+/g, ' ')}`);

  return { mounts, namespaces, nsfsMounts, processes, tracefs, limits, sysvShm };
}

// ---------------------------------------------------------------------------------------------
// I/O

/** Clock ticks per second of /proc/PID/stat times (USER_HZ). */
let userHz: number | undefined;
function clockTicksPerSecond(): number {
  if (userHz === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(r.stdout?.trim());
    userHz = r.status === 0 && Number.isSafeInteger(n) && n > 0 ? n : 100;
  }
  return userHz;
}

/**
 * Now, in the clock ticks since boot of /proc/PID/stat start times (/proc/uptime, rounded up).
 *
 * @internal
 */
export function bootTicks(): number {
  const up = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Math.ceil(up * clockTicksPerSecond());
}

const tryRead = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};
const tryReadlink = (path: string): string | null => {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
};

function readProcess(pid: number): ProcessState | null {
  const stat = tryRead(`/proc/${pid}/stat`);
  if (stat === null) return null; // gone
  const { comm, state, ppid, start } = parseStat(stat);
  const ns = NS_FILES.map((f) => tryReadlink(`/proc/${pid}/ns/${f}`))
    .filter((l): l is string => l !== null)
    .sort();
  return { pid, start, comm, state, ppid, exe: tryReadlink(`/proc/${pid}/exe`), ns };
}

/**
 * The names under tracefs `instances/`: where tracefs is mounted on the host, there; else
 * through a private mount of it in a throw-away mount namespace (`unshare -m`, root only),
 * which changes nothing on the host.
 */
function readTracefsInstances(): { names: string[] | null; why?: string } {
  for (const dir of ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'])
    if (existsSync(`${dir}/instances`)) return { names: readdirSync(`${dir}/instances`).sort() };
  const r = spawnSync(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t tracefs nodev /sys/kernel/tracing && ls -1 /sys/kernel/tracing/instances',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (r.status !== 0)
    return { names: null, why: `mounting tracefs privately failed: ${(r.stderr ?? '').trim() || r.error?.message}` };
  return {
    names: r.stdout
      .split('\n')
      .filter((s) => s !== '')
      .sort(),
  };
}

/**
 * Takes a snapshot of the host's state ({@link HostState}). Hold the probe lock
 * ({@link holdProbeLock}) meanwhile, so that no probe runs during it.
 *
 * @internal
 */
export function readHostState(): HostState {
  // tracefs first: its helper's mount namespace is gone before the processes are read.
  const tracefs = readTracefsInstances();
  const processes: ProcessState[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const p = readProcess(Number(name));
      if (p) processes.push(p);
    } catch {
      // it went away half-way through
    }
  }
  const mountinfoByMntNs: Record<string, string> = {};
  for (const p of processes) {
    const mnt = p.ns.find((n) => n.startsWith('mnt:'));
    if (mnt === undefined || mnt in mountinfoByMntNs) continue;
    const text = tryRead(`/proc/${p.pid}/mountinfo`);
    if (text !== null && text !== '') mountinfoByMntNs[mnt] = text;
  }
  const limits: Record<string, string> = {};
  for (const t of LIMIT_TYPES) {
    const v = tryRead(`/proc/sys/user/max_${t}_namespaces`);
    if (v !== null) limits[`max_${t}_namespaces`] = v.trim();
  }
  return {
    selfMountinfo: readFileSync('/proc/self/mountinfo', 'utf8'),
    pid1Mountinfo: tryRead('/proc/1/mountinfo'),
    processes,
    mountinfoByMntNs,
    tracefsInstances: tracefs.names,
    ...(tracefs.why !== undefined ? { tracefsWhy: tracefs.why } : {}),
    tmpEntries: readdirSync('/tmp')
      .filter((n) => n.startsWith('nslife-tracefs-'))
      .sort(),
    limits,
    sysvShm: tryRead('/proc/sysvipc/shm') ?? '',
    locks: tryRead('/proc/locks') ?? '',
    ticks: bootTicks(),
  };
}

/**
 * The probe lock, held by a helper process (`flock(1)`) until `release`.
 *
 * @internal
 */
export interface HeldProbeLock {
  /** How long it took to get the lock (another probe may have held it). */
  readonly waitedMs: number;
  /** Who held it when we first asked (`/proc/locks` pids), `[]` when it was free at once. */
  readonly heldBy: readonly number[];
  /** The helper's pid (the holder /proc/locks shows). */
  readonly pid: number;
  release(): Promise<void>;
}

/**
 * Takes the probe lock ({@link PROBE_LOCK_PATH}) as a probe does, through a `flock(1)` helper
 * that holds it until `release` (or until this process dies: the helper waits on its stdin).
 * While it is held no probe runs. Rejects when the lock is not free within `timeoutMs`, naming
 * the holders.
 *
 * @internal
 */
export async function holdProbeLock(timeoutMs: number): Promise<HeldProbeLock> {
  const t0 = Date.now();
  const heldBy = (): number[] => {
    try {
      const st = statSync(PROBE_LOCK_PATH);
      return lockHolders(parseLocks(readFileSync('/proc/locks', 'utf8')), st.dev, st.ino);
    } catch {
      return [];
    }
  };
  const first = heldBy();
  const child = spawn(
    'flock',
    [
      '-w',
      String(Math.max(1, Math.ceil(timeoutMs / 1000))),
      PROBE_LOCK_PATH,
      'sh',
      '-c',
      'echo locked; exec cat >/dev/null',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const locked = await new Promise<boolean>((resolve) => {
    child.stdout.on('data', (b: Buffer) => {
      if (b.toString().includes('locked')) resolve(true);
    });
    child.on('error', (e) => {
      err += e.message;
      resolve(false);
    });
    void exited.then(() => resolve(false));
  });
  if (!locked) {
    const holders = heldBy();
    throw new Error(
      `could not take ${PROBE_LOCK_PATH} within ${timeoutMs} ms (${err.trim() || 'flock gave up'}); held by pids ${
        holders.join(', ') || 'none listed'
      } (${holders.map((p) => tryReadlink(`/proc/${p}/exe`) ?? 'gone').join(', ')})`,
    );
  }
  return {
    waitedMs: Date.now() - t0,
    heldBy: first,
    pid: child.pid!,
    release: async () => {
      child.stdin.end();
      await exited;
    },
  };
}
