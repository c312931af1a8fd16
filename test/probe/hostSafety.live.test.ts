import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/cli/root.ts';
import { probeAvailable, probeBinaryPath, runProbe } from '../../src/probe/driver.ts';
import {
  PROBE_LOCK_PATH,
  bootTicks,
  compareHostStates,
  holdProbeLock,
  lockHolders,
  parseLocks,
  readHostState,
  traceNamespaces,
  type HostChanges,
  type HostState,
} from '../../src/probe/hostState.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import type { Trace } from '../../src/trace/format.ts';
import { parseTrace } from '../../src/trace/read.ts';

// The probe never changes the host (README, "Safety"): the host's state is
// snapshotted, every catalog scenario (test/fixtures/scenarios/*.nsl) and the seed at 0 ms run
// one after the other, and a second snapshot must show the host as it was (src/probe/hostState.ts
// says what is compared). Each snapshot is taken while holding the probe lock, so that no probe
// (another engineer's, another test file's) runs during it.

const available = probeAvailable();
const isRoot = process.geteuid?.() === 0;
const hasFlock = spawnSync('flock', ['--version'], { stdio: 'ignore' }).status === 0;
const hasUnshare = spawnSync('unshare', ['--version'], { stdio: 'ignore' }).status === 0;

/** How long a snapshot may wait for other probes (a whole live test file of someone else). */
const LOCK_WAIT_MS = 300_000;

const CATALOG_DIR = 'test/fixtures/scenarios';
const RUNS: readonly { file: string; params: Record<string, string> }[] = [
  ...readdirSync(join(PACKAGE_ROOT, CATALOG_DIR))
    .filter((f) => f.endsWith('.nsl'))
    .sort()
    .map((f) => ({ file: `${CATALOG_DIR}/${f}`, params: {} })),
  { file: 'examples/seed.nsl', params: { delay: '0ms' } },
];

const skipWhy = !available.ok
  ? available.why
  : !hasFlock
    ? 'flock(1) is missing: the snapshots cannot hold the probe lock'
    : undefined;

describe.skipIf(skipWhy !== undefined)(
  `host safety: the whole catalog and the seed at 0 ms leave the host as it was${skipWhy ? ` (skipped: ${skipWhy})` : ''}`,
  () => {
    let before: HostState;
    let after: HostState;
    let changes: HostChanges;
    const traces: Trace[] = [];
    const leftInOutDirs: string[] = [];
    /** Holders of the probe lock right after the last run, and whether each was still alive. */
    let holdersAtEnd: { pid: number; alive: boolean }[] = [];
    let lockWaitAfterMs = 0;
    let elapsedMs = 0;

    beforeAll(async () => {
      const t0 = Date.now();
      const lock1 = await holdProbeLock(LOCK_WAIT_MS);
      try {
        before = readHostState();
      } finally {
        await lock1.release();
      }
      const dir = mkdtempSync(join(tmpdir(), 'nslife-hostsafety-'));
      try {
        for (const [k, run] of RUNS.entries()) {
          const scenario = parseScenario(readFileSync(join(PACKAGE_ROOT, run.file), 'utf8'), run.file, run.params);
          const out = join(dir, `${k}.jsonl`);
          traces.push(parseTrace(await runProbe(scenario, { outFile: out }), run.file));
          // The trace was renamed into place: no FILE.tmp-<pid> left beside it.
          leftInOutDirs.push(...readdirSync(dir).filter((f) => !/^\d+\.jsonl$/.test(f)));
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const endTicks = bootTicks();
      // (e) Right after the last run: whoever holds the lock now must be alive (a lock held by a
      // dead coordinator's pid would be one its leftovers kept through the inherited fd).
      const st = statSync(PROBE_LOCK_PATH);
      holdersAtEnd = lockHolders(parseLocks(readFileSync('/proc/locks', 'utf8')), st.dev, st.ino).map((pid) => ({
        pid,
        alive: existsSync(`/proc/${pid}`),
      }));
      const lock2 = await holdProbeLock(LOCK_WAIT_MS);
      try {
        lockWaitAfterMs = lock2.waitedMs;
        after = readHostState();
        // While we hold it, /proc/locks lists us as its only holder.
        expect(lockHolders(parseLocks(after.locks), st.dev, st.ino)).toEqual([lock2.pid]);
      } finally {
        await lock2.release();
      }
      changes = compareHostStates(before, after, {
        exe: probeBinaryPath(),
        namespaces: traceNamespaces(traces),
        endTicks,
      });
      elapsedMs = Date.now() - t0;
    }, 30 * 60_000);

    afterAll(() => {
      if (changes === undefined) return;
      console.log(
        `host safety: ${RUNS.length} runs, ${traces.reduce((n, t) => n + t.steps.length, 0)} steps, ` +
          `${(elapsedMs / 1000).toFixed(1)} s; snapshots of ${before.processes.length} and ${after.processes.length} ` +
          `processes, ${Object.keys(after.mountinfoByMntNs).length} mount namespaces; ` +
          `${traceNamespaces(traces).size} namespaces seen by the runs; lock waited ${lockWaitAfterMs} ms after the runs` +
          (before.tracefsInstances === null ? `; tracefs not compared: ${before.tracefsWhy}` : ''),
      );
    });

    it('every run is complete and not refused, and leaves no temporary trace file', () => {
      expect(traces.map((t) => [t.header.scenario.file, t.complete, t.header.refused ?? null])).toEqual(
        RUNS.map((r) => [r.file, true, null]),
      );
      expect(leftInOutDirs).toEqual([]);
    });

    it('(a) /proc/self/mountinfo and /proc/1/mountinfo are identical: no mount left behind', () => {
      expect(changes.mounts).toEqual([]);
      expect(after.selfMountinfo).toBe(before.selfMountinfo);
      if (isRoot) expect(after.pid1Mountinfo).not.toBeNull();
    });

    it('(b) the processes of both snapshots use the same namespaces; no new nsfs mount anywhere', () => {
      // Enough of the host was seen for this to mean something: PID 1 and this process.
      const pids = new Set(after.processes.map((p) => p.pid));
      expect(pids.has(process.pid)).toBe(true);
      if (isRoot) expect(pids.has(1)).toBe(true);
      expect(changes.namespaces).toEqual([]);
      expect(changes.nsfsMounts).toEqual([]);
    });

    it('(c) no process of the probe is left: neither its binary nor anything in a namespace it made', () => {
      expect(changes.processes).toEqual([]);
    });

    it('(d) no tracefs instance or /tmp mount point of the probe is left', () => {
      if (isRoot) expect(after.tracefsInstances, after.tracefsWhy).not.toBeNull();
      expect(changes.tracefs).toEqual([]);
    });

    it('(e) the probe lock is released: after the last run no dead process holds it', () => {
      expect(holdersAtEnd.filter((h) => !h.alive)).toEqual([]);
    });

    it('(f) /proc/sys/user/max_*_namespaces of the initial user namespace are unchanged, and no SysV shm segment is left', () => {
      expect(Object.keys(before.limits)).toHaveLength(8);
      expect(changes.limits).toEqual([]);
      // The catalog did lower limits, inside the probe's sandbox user namespace.
      expect(traces.flatMap((t) => t.steps.filter((s) => s.op === 'set-limit' && s.errno === null))).not.toEqual([]);
      expect(changes.sysvShm).toEqual([]);
    });
  },
);

/** `node bin/nslife.js probe ...` under `wrap` (a command prefix), with a 2-minute bound. */
function nslifeProbe(
  wrap: string[],
  scenario: string,
  out: string,
): { status: number | null; stderr: string; stdout: string } {
  const args = [...wrap, process.execPath, join(PACKAGE_ROOT, 'bin/nslife.js'), 'probe', scenario, '-o', out];
  const r = spawnSync(args[0]!, args.slice(1), { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

// Where `nslife probe` refuses to run (status 2, one line on stderr, no trace written). Those
// that can be provoked without changing the host are tested here:
// - the output cannot be written: its directory does not exist (refused before the probe runs),
//   or the probe cannot create FILE.tmp-<pid> there (/proc);
// - no user namespaces: in a user namespace of our own whose max_user_namespaces is 0 (the
//   host's limit stays as it is);
// - the probe lock cannot be used: a private /tmp (tmpfs in a throw-away mount namespace) where
//   /tmp/nslife-probe.lock is a symlink (the probe opens it O_NOFOLLOW).
// Not tested here: the lock held by another probe for longer than the probe's fixed 60 s wait
// (LOCK_WAIT_MS; neither the probe nor the driver takes a shorter wait) and a missing C
// compiler; README "Safety" lists every case.
describe.skipIf(!available.ok)(
  `nslife probe refuses where it cannot run safely${available.ok ? '' : ` (skipped: ${available.why})`}`,
  () => {
    const seed = 'examples/seed.nsl';
    const expectRefused = (r: { status: number | null; stderr: string; stdout: string }, message: string): void => {
      expect(r.status, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')).toEqual([message, '']);
    };

    it('an output file in a directory that does not exist: refused before the probe runs', () => {
      const dir = mkdtempSync(join(tmpdir(), 'nslife-refuse-'));
      try {
        const out = join(dir, 'missing', 'trace.jsonl');
        expectRefused(
          nslifeProbe([], seed, out),
          `nslife probe: field -o: expected a trace file in an existing directory, found "${out}" (no directory "${join(dir, 'missing')}")`,
        );
        expect(readdirSync(dir)).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it.skipIf(!isRoot)('an output file the probe cannot create (/proc/x.jsonl): the probe refuses', () => {
      expectRefused(
        nslifeProbe([], seed, '/proc/x.jsonl'),
        'nslife: nslife-probe: cannot write /proc/x.jsonl: No such file or directory',
      );
    });

    it.skipIf(!hasUnshare)('no user namespaces (max_user_namespaces 0 in a user namespace of our own)', () => {
      const limit = readFileSync('/proc/sys/user/max_user_namespaces', 'utf8');
      const r = nslifeProbe(
        [
          'unshare',
          '--user',
          '--map-root-user',
          'sh',
          '-c',
          'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"',
          'sh',
        ],
        seed,
        join(tmpdir(), `nslife-refuse-${process.pid}.jsonl`),
      );
      expectRefused(
        r,
        'nslife: probe: cannot run on this machine: user namespaces unavailable: unshare(CLONE_NEWUSER|CLONE_NEWNS) failed with ENOSPC',
      );
      expect(existsSync(join(tmpdir(), `nslife-refuse-${process.pid}.jsonl`))).toBe(false);
      expect(readFileSync('/proc/sys/user/max_user_namespaces', 'utf8')).toBe(limit);
    });

    it.skipIf(!isRoot || !hasUnshare)(
      'a probe lock that is not a plain file (a private /tmp where it is a symlink)',
      () => {
        // A checkout under /tmp (a CI clone) is carried over into the private /tmp through /mnt
        // (a tmpfs of that mount namespace too).
        const q = (x: string): string => `'${x.replaceAll("'", `'\\''`)}'`;
        const underTmp = PACKAGE_ROOT.startsWith('/tmp/');
        const keepRepo = underTmp
          ? `mount -t tmpfs nslife-keep /mnt && mkdir /mnt/repo && mount --bind ${q(PACKAGE_ROOT)} /mnt/repo && `
          : '';
        const restoreRepo = underTmp
          ? ` && mkdir -p ${q(PACKAGE_ROOT)} && mount --bind /mnt/repo ${q(PACKAGE_ROOT)}`
          : '';
        const r = nslifeProbe(
          [
            'unshare',
            '-m',
            '--propagation',
            'private',
            'sh',
            '-c',
            `${keepRepo}mount -t tmpfs nslife-refuse /tmp${restoreRepo} && ln -s /nowhere ${PROBE_LOCK_PATH} && exec "$@"`,
            'sh',
          ],
          seed,
          '/tmp/trace.jsonl',
        );
        expectRefused(
          r,
          `nslife: probe: cannot run on this machine: nslife-probe --check exited with status 2: nslife-probe: cannot open the probe lock ${PROBE_LOCK_PATH}: Too many levels of symbolic links`,
        );
        expect(statSync(PROBE_LOCK_PATH).isFile()).toBe(true); // the host's lock is untouched
      },
    );
  },
);
