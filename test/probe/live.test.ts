import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/cli/root.ts';
import type { Scenario } from '../../src/scenario/ast.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { ProbeError, probeAvailable, probeBinaryPath, runProbe } from '../../src/probe/driver.ts';
import { probeInput } from '../../src/probe/input.ts';
import { parseTrace } from '../../src/trace/read.ts';
import type { NsObservation, Trace } from '../../src/trace/format.ts';
import { expectBoundedRefs, expectWellFormedRuns, procSize } from './traceChecks.ts';

// Live kernel tests: they run the native probe, which serialises itself with a lock file; the
// tests in this file run one after the other.
const built = existsSync(probeBinaryPath());
const available = probeAvailable();
const isRoot = process.geteuid?.() === 0;

const SEED_FILE = 'examples/seed.nsl';
const seedText = readFileSync(join(PACKAGE_ROOT, SEED_FILE), 'utf8');

/** The seed scenario (examples/seed.nsl) with `delayMs` between the netns creations. */
const seed = (delayMs: number): Scenario => parseScenario(seedText, SEED_FILE, { delay: `${delayMs}ms` });

/** Instances under tracefs `instances/` (root only: mounts tracefs in a private mount ns). */
function tracefsInstances(): string[] {
  const r = spawnSync(
    'unshare',
    ['-m', 'sh', '-c', 'd=$(mktemp -d) && mount -t tracefs nodev "$d" && ls "$d/instances"; umount "$d"; rmdir "$d"'],
    {
      encoding: 'utf8',
    },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((s) => s !== '');
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

const unshareNet = (trace: Trace): NsObservation[] =>
  trace.steps
    .filter((s) => s.op === 'unshare' && (s.args['types'] as string[]).includes('net'))
    .map((s) => s.ns.find((o) => o.type === 'net')!);

/** /proc/net entries of a fresh netns (loopback only) on this VM's kernel; elsewhere unknown. */
const FRESH_NETNS_PROC_ENTRIES = release().startsWith('6.18.44') ? 64 : undefined;

async function waitFor<T>(what: string, get: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!available.ok)(`live probe${available.ok ? '' : ` (skipped: ${available.why})`}`, () => {
  it('runs the seed with 200 ms sleeps: abandoned netns are freed, two inode numbers alternate', async () => {
    const scenario = seed(200);
    const trace = parseTrace(await runProbe(scenario), '<probe>');
    const h = trace.header;
    expect(h.source).toBe('kernel');
    expect(h.tool).toBe('nslife-probe 0.1.0');
    expect(h.kernel?.release).toBe(release());
    expect(h.profile).toMatch(/^linux-\d+\.\d+$/);
    expect(h.clock).toBe('CLOCK_MONOTONIC');
    expect(h.scenario).toEqual({
      name: 'seed',
      file: 'examples/seed.nsl',
      params: { delay: '200ms' },
      tasks: ['main'],
    });
    expect(h.capabilities.userns).toBe(true);
    expect(h.refused).toBeUndefined();
    expect(h.initial.map((o) => o.type)).toEqual(expect.arrayContaining(['user', 'net']));
    expect(trace.complete).toBe(true);
    expect(trace.end?.steps).toBe(scenario.steps.length);
    expect(trace.steps.map((s) => s.index)).toEqual(scenario.steps.map((_, i) => i));
    expect(trace.steps.map((s) => s.line)).toEqual(scenario.steps.map((s) => s.pos.line));
    expect(trace.steps.every((s) => s.errno === null && s.t0 <= s.t1)).toBe(true);

    // An id names one namespace: never seen with another type or inode number.
    const byId = new Map<number, string>();
    for (const o of [...h.initial, ...trace.steps.flatMap((s) => s.ns)]) {
      if (o.id === null) continue;
      const what = `${o.type}:${o.inode}`;
      expect(byId.get(o.id) ?? what, `id ${o.id}`).toBe(what);
      byId.set(o.id, what);
    }
    const nets = unshareNet(trace);
    expect(new Set(nets.map((o) => o.id)).size).toBe(4);

    // /proc/net entry numbers on every net observation (unshare net and read net).
    const netObs = trace.steps.flatMap((s) => s.ns.filter((o) => o.type === 'net'));
    expect(netObs.length).toBe(1 + 2 * 4);
    for (const o of netObs) expectWellFormedRuns(o.proc);
    for (const o of nets) {
      // A fresh netns takes its own number, then one per /proc/net entry, lowest free first.
      expect(o.proc, `netns ${o.inode}`).toContain(o.inode + 1);
      if (FRESH_NETNS_PROC_ENTRIES !== undefined)
        expect(procSize(o.proc), `netns ${o.inode}`).toBe(FRESH_NETNS_PROC_ENTRIES);
    }
    // A read of a netns sees what the unshare that made it saw.
    for (const s of trace.steps.filter((x) => x.op === 'read' && x.args['type'] === 'net')) {
      const made = nets.find((o) => o.id === s.ns[0]!.id);
      if (made) expect(s.ns[0]!.proc).toEqual(made.proc);
    }

    if (!h.capabilities.nsGetId || !h.capabilities.fileHandles) return; // refs need both (6.18+)
    // After each sleep every earlier netns is gone (cleanup_net takes tens of ms here): listed as
    // released, or no longer listed because an earlier step saw it released (checked below)...
    for (const s of trace.steps.filter((x) => x.op === 'sleep')) {
      const created = nets.filter((o) => trace.steps.some((x) => x.index < s.index && x.ns.some((n) => n.id === o.id)));
      const current = created.at(-1)!;
      for (const o of created)
        expect(s.refs.find((r) => r.id === o.id)?.held ?? false, `netns ${o.id} after step ${s.index}`).toBe(
          o === current,
        );
    }
    // ...so the lowest-free inode allocator hands the same two numbers out in turn, and every
    // /proc/net number of the dead netns comes back too: the walks pinned none of them.
    const [a, b, c, d] = nets.map((o) => o.inode);
    expect([a !== b, c, d]).toEqual([true, a, b]);
    expect([nets[2]!.proc, nets[3]!.proc]).toEqual([nets[0]!.proc, nets[1]!.proc]);

    // refs: each namespace until (and including) the first step that sees it released.
    expectBoundedRefs(trace);
    expect(trace.steps.at(-1)!.refs.length).toBeLessThanOrEqual(3); // the user ns, the last netns (+ the one before)

    if (h.capabilities.tracefs) {
      const names = new Set(trace.events.filter((e) => e.fn === 'cleanup_net').map((e) => e.name));
      expect([...names].sort()).toEqual(['kernel.workqueue.end', 'kernel.workqueue.queue', 'kernel.workqueue.start']);
    }
  });

  it('finishes an interrupted run as an incomplete trace that still parses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nslife-live-'));
    try {
      const out = join(dir, 'trace.jsonl');
      const child = spawn(probeBinaryPath(), ['-o', out], { stdio: ['pipe', 'ignore', 'pipe'] });
      child.stdin.end(probeInput(seed(2000)));
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const code = await new Promise<number | null>((resolve) => {
        setTimeout(() => child.kill('SIGTERM'), 1500);
        child.on('close', resolve);
      });
      expect(code).toBe(1);
      expect(stderr).toBe('nslife-probe: trace incomplete: interrupted by SIGTERM\n');
      expect(readdirSync(dir)).toEqual(['trace.jsonl']); // renamed, no temporary left
      const trace = parseTrace(readFileSync(out, 'utf8'), out);
      expect(trace.complete).toBe(false);
      expect(trace.end).toMatchObject({ complete: false, reason: 'interrupted by SIGTERM' });
      expect(trace.steps.length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('streams: a SIGKILLed probe leaves FILE.tmp-<pid> with whole lines, header first, no end record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nslife-live-'));
    try {
      const out = join(dir, 'trace.jsonl');
      const run = runProbe(seed(3000), { outFile: out });
      const settled = run.then(
        () => null,
        (e: unknown) => e,
      );
      // The probe writes the header before the first step and each step when it is done: wait for
      // the first netns's steps (unshare, read), then kill it in the 3 s sleep that follows.
      const tmp = await waitFor('the temporary trace file', () => {
        const name = readdirSync(dir).find((f) => /^trace\.jsonl\.tmp-\d+$/.test(f));
        if (name === undefined) return undefined;
        const text = readFileSync(join(dir, name), 'utf8');
        return text.split('\n').filter((l) => l.includes('"type":"step"')).length >= 4 ? name : undefined;
      });
      const pid = Number(tmp.slice('trace.jsonl.tmp-'.length));
      process.kill(pid, 'SIGKILL');
      const err = await settled;
      expect(err).toBeInstanceOf(ProbeError);
      expect((err as ProbeError).exitCode).toBe(null);
      expect((err as ProbeError).message).toBe(
        `nslife-probe was killed by SIGKILL; its incomplete trace is in ${join(dir, tmp)}`,
      );
      expect(readdirSync(dir)).toEqual([tmp]); // not renamed: nobody was left to do it
      const text = readFileSync(join(dir, tmp), 'utf8');
      expect((err as ProbeError).trace).toBe(text);
      expect(text.endsWith('\n')).toBe(true);
      const records = text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string });
      expect(records[0]!.type).toBe('header');
      expect(records.map((r) => r.type).slice(1)).toEqual(records.slice(1).map(() => 'step'));
      const trace = parseTrace(text, tmp);
      expect([trace.complete, trace.end]).toEqual([false, null]);
      expect(trace.steps.map((s) => s.index)).toEqual([0, 1, 2, 3]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      // The killed probe's sandbox dies with it (parent-death signals); --check waits for its
      // lock and sweeps what it left in tracefs and /tmp.
      expect(probeAvailable()).toEqual({ ok: true });
    }
  });

  it('--no-proc-net: no /proc/net runs, and the header says so', async () => {
    const trace = parseTrace(await runProbe(seed(0), { procNet: false }), '<probe>');
    expect(trace.complete).toBe(true);
    expect(trace.header.missing).toContain('procNet: disabled by --no-proc-net');
    expect(trace.steps.flatMap((s) => s.ns).filter((o) => o.proc !== undefined)).toEqual([]);
    expect(unshareNet(trace)).toHaveLength(4);
  });

  it.skipIf(!isRoot)('leaves the host as it was: mounts, tracefs instances, temporary directories', async () => {
    const mountsBefore = readFileSync('/proc/self/mountinfo', 'utf8');
    const trace = parseTrace(await runProbe(seed(0)), '<probe>');
    expect(trace.complete).toBe(true);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).toBe(mountsBefore);
    // A probe running now in another process may own an instance; none may outlive its probe.
    const leaked = (names: string[], prefix: string): string[] =>
      names.filter((name) => name.startsWith(prefix) && !pidAlive(Number(name.slice(prefix.length).split('-')[0])));
    expect(leaked(tracefsInstances(), 'nslife-')).toEqual([]);
    expect(leaked(readdirSync('/tmp'), 'nslife-tracefs-')).toEqual([]);
  });
});

describe.skipIf(!built)(
  `probe input errors${built ? '' : ` (skipped: ${probeBinaryPath()} is not built; run npm run build:probe)`}`,
  () => {
    it('rejects malformed input with exit status 2 and one line naming the input line', () => {
      const good = probeInput(seed(0));
      const bad = good.replace('unshare user', 'unshare users');
      const r = spawnSync(probeBinaryPath(), [], { input: bad, encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        'nslife-probe: <stdin>:4: expected a namespace type (user, pid, net, mnt, uts, ipc, cgroup, time), got "users"\n',
      );
    });

    it.each([
      ['nslife-probe-input 1', 1, 'expected "nslife-probe-input 2" (protocol version 2)'],
      ['task 0 main', 3, 'expected "task <tid> <name> initial|child"'],
      [
        'task 0 main initial\ntask 1 c child\nstep 0 1 0 fork 1 - - {}\nstep 1 2 0 thread 1 {}',
        6,
        'a child task (declared "child") that no other step makes, got task 1',
      ],
      [
        'step 0 1 0 umount /run/../x - {}',
        4,
        'an absolute path below "/" without empty, "." or ".." parts, got "/run/../x"',
      ],
      ['step 0 1 0 close f', 4, "the step's args as one JSON object at the end of the line"],
      ['step 0 1 0 close f {"fd":', 4, "the step's args as one JSON object at the end of the line"],
      [
        'step 0 1 0 frob {}',
        4,
        'an operation (unshare, fork, thread, setns, open, ioctl, close, bind, umount, mount-proc',
      ],
      ['step 0 1 0 open proc 0 netz f - {}', 4, 'a namespace file (user, pid, pid_for_children, net, mnt, uts'],
      [
        'step 0 1 0 open proc 7 net f - {}',
        4,
        'the task of a /proc/TASK/ns/FILE source (a task id declared by a "task" line), got "7"',
      ],
      ['step 0 1 - read net {}', 4, 'a task id declared by a "task" line, got "-"'],
      ['step 0 1 0 sleep 5 {}', 4, '"-" as the task of a sleep step, got "0"'],
      ['step 0 1 0 umount /a maybe {}', 4, '"lazy" or "-", got "maybe"'],
    ])('rejects protocol-2 input %j with status 2, naming line %i', (body, line, message) => {
      const head = 'nslife-probe-input 2\nmeta {}\n';
      const input = body.startsWith('nslife-probe-input')
        ? `${body}\n`
        : body.startsWith('task')
          ? `${head}${body}\nrun\n`
          : `${head}task 0 main initial\n${body}\nrun\n`;
      const r = spawnSync(probeBinaryPath(), [], { input, encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')).toHaveLength(2); // one line
      expect(r.stderr).toContain(`nslife-probe: <stdin>:${line}: expected `);
      expect(r.stderr).toContain(message);
    });
  },
);
