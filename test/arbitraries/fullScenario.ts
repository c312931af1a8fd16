import fc from 'fast-check';
import { NS_TYPES, type NsType } from '../../model/nsType.ts';
import { MS } from '../../model/time.ts';
import {
  NS_FILES,
  type Expectation,
  type NsFile,
  type NsSource,
  type Scenario,
  type Step,
} from '../../src/scenario/ast.ts';
import { Bindings, type Binder, type NameUse } from '../../src/scenario/bindings.ts';

/**
 * A generator of valid scenarios over the whole IR, for property tests of the model.
 *
 * A scenario is drawn as a list of drafts (an operation kind and a few indices), then resolved
 * in order by a tracker of what the scenario has made so far: which tasks exist and which have
 * exited, each process's fds (fork copies the table, threads share it, exec drops the
 * O_CLOEXEC ones), its shm segments, which paths are mounted. Indices pick among what exists,
 * so every name a step uses was bound before by a step that makes it usable there (the
 * scenario language's rule, src/scenario/bindings.ts), and no task acts after its exit. Because
 * drafts are resolved against the scenario so far, shrinking drops or simplifies drafts and the
 * rest re-resolves: a shrunk scenario stays valid.
 *
 * Whether a step succeeds is not considered: the model predicts the errno (a setns of a socket,
 * a pidfd on a reaped task, ENOSPC under a small max_*_namespaces are all fine).
 */

/** The tasks every generated scenario declares. @internal */
export const DECLARED_TASKS = ['a', 'b'] as const;

/** Name pools, one per kind of binding, so that a name never changes what it can be used as. */
const FD_NAMES = ['f0', 'f1', 'f2', 'f3', 'f4'] as const;
const SEGMENT_NAMES = ['s0', 's1', 's2'] as const;
const READ_NAMES = ['r0', 'r1', 'r2'] as const;
const INODE_NAMES = ['i0', 'i1'] as const;
/** nsfs bind mount points (`ip netns` style) and procfs mount points. @internal */
export const NSFS_PATHS = ['/run/netns/n0', '/run/netns/n1', '/run/netns/n2'] as const;
/** @internal */
export const PROC_PATHS = ['/mnt/proc0', '/mnt/proc1'] as const;

const nat = fc.nat({ max: 1000 });
const typesAny = fc.subarray([...NS_TYPES]);
const typesSome = fc.subarray([...NS_TYPES], { minLength: 1 });
/** CLONE_NEW* sets: often one type, sometimes user plus one, sometimes anything. */
const unshareTypes = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NS_TYPES).map((t): NsType[] => [t]) },
  { weight: 2, arbitrary: fc.constantFrom(...NS_TYPES.filter((t) => t !== 'user')).map((t): NsType[] => ['user', t]) },
  { weight: 2, arbitrary: typesSome },
);
const forkTypes = fc.oneof(
  { weight: 3, arbitrary: fc.constant<NsType[]>([]) },
  { weight: 2, arbitrary: unshareTypes },
  typesAny,
);
const sourceDraft = fc.record({
  kind: fc.constantFrom('proc', 'proc', 'proc', 'path', 'fd'),
  task: nat,
  file: nat,
  path: nat,
  fd: nat,
});

const op = <K extends string, T>(weight: number, kind: K, rest: fc.Arbitrary<T>) => ({
  weight,
  arbitrary: rest.map((r) => ({ kind, ...r })),
});
const none = fc.constant({});

const draftOp = fc.oneof(
  op(6, 'unshare', fc.record({ types: unshareTypes })),
  op(5, 'fork', fc.record({ types: forkTypes, pidfd: fc.option(nat, { nil: undefined }) })),
  op(2, 'thread', none),
  op(
    4,
    'setns',
    fc.record({
      fd: nat,
      // nstype for an nsfs fd: 0, the fd's own type, or any set (EINVAL unless it is the fd's type).
      nstype: fc.oneof(
        { weight: 3, arbitrary: fc.constant('zero' as const) },
        { weight: 2, arbitrary: fc.constant('own' as const) },
        typesSome,
      ),
      // The flags for a pidfd: which of the target's namespaces to enter.
      pidfdTypes: fc.oneof({ weight: 4, arbitrary: typesSome }, fc.constant<NsType[]>([])),
    }),
  ),
  op(6, 'open', fc.record({ source: sourceDraft, as: nat, cloexec: fc.boolean() })),
  op(
    2,
    'ioctl',
    fc.record({
      fd: nat,
      request: fc.constantFrom('get-userns' as const, 'get-parent' as const),
      as: nat,
      cloexec: fc.boolean(),
    }),
  ),
  op(3, 'close', fc.record({ fd: nat })),
  op(3, 'bind', fc.record({ source: sourceDraft, path: nat })),
  op(2, 'umount', fc.record({ path: nat, lazy: fc.boolean() })),
  op(1, 'mount-proc', fc.record({ path: nat })),
  op(2, 'socket', fc.record({ as: nat, cloexec: fc.boolean() })),
  op(2, 'pidfd', fc.record({ target: nat, as: nat })),
  op(2, 'shmat', fc.record({ as: nat })),
  op(1, 'shmdt', fc.record({ segment: nat })),
  op(2, 'exec', none),
  op(3, 'exit', none),
  op(2, 'wait', fc.record({ child: nat })),
  op(
    2,
    'set-limit',
    fc.record({
      nsType: fc.constantFrom(...NS_TYPES),
      value: fc.oneof({ weight: 4, arbitrary: fc.nat(3) }, fc.constant(2_147_483_647)),
    }),
  ),
  op(3, 'read', fc.record({ file: nat, as: fc.option(nat, { nil: undefined }) })),
  op(1, 'next-inode', fc.record({ as: fc.option(nat, { nil: undefined }) })),
  op(4, 'sleep', fc.record({ ms: fc.oneof(fc.nat(2), fc.nat(100)) })),
  op(
    1,
    'expect',
    fc.record({
      check: fc.constantFrom('held', 'released', 'same-inode', 'other-inode', 'same-ns', 'other-ns'),
      a: nat,
      b: nat,
    }),
  ),
);
/** `fresh`: pick among every name bound so far rather than the caller's own (about one draw in eight). */
const draft = fc.record({ op: draftOp, task: nat, fresh: fc.nat(7).map((k) => k === 0) });
type Draft = typeof draft extends fc.Arbitrary<infer T> ? T : never;
type DraftOp = Draft['op'];

/** A step without its position. */
type PlainStep = Step extends infer S ? (S extends Step ? Omit<S, 'pos'> : never) : never;

/** A process as the tracker sees it: threads share one. */
interface Proc {
  leader: string;
  /** fd name → what it is and whether it is O_CLOEXEC. */
  fds: Map<string, Fd>;
  segments: Set<string>;
  /** Its children (processes), by name. */
  children: string[];
}

/** What an fd is: an nsfs file (open, ioctl), a pidfd (pidfd, fork), a socket. */
type FdKind = 'nsfs' | 'pidfd' | 'socket';

/** An fd as the tracker knows it; `nsType`: the namespace type of an nsfs file, when known. */
interface Fd {
  readonly kind: FdKind;
  readonly cloexec: boolean;
  readonly nsType?: NsType | undefined;
}

/** The namespace type behind /proc/TASK/ns/FILE. */
const typeOfFile = (f: NsFile): NsType => (f === 'pid_for_children' ? 'pid' : f === 'time_for_children' ? 'time' : f);

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;

/** Resolves drafts into valid steps, in execution order, tracking what exists. */
class Tracker {
  /** Every task ever, in creation order. */
  private readonly tasks: string[] = [...DECLARED_TASKS];
  private readonly alive = new Set<string>(DECLARED_TASKS);
  private readonly proc = new Map<string, Proc>();
  private readonly bindings = new Bindings();
  private readonly mounted = new Set<string>();
  private made = 0;

  constructor() {
    for (const t of DECLARED_TASKS) this.proc.set(t, { leader: t, fds: new Map(), segments: new Set(), children: [] });
  }

  resolve(d: Draft): PlainStep | undefined {
    const o = d.op;
    switch (o.kind) {
      case 'sleep':
        return { kind: 'sleep', ns: o.ms * MS };
      case 'next-inode': {
        if (o.as === undefined) return { kind: 'next-inode' };
        const as = pick(INODE_NAMES, o.as);
        this.bindings.bind(as, 'next-inode');
        return { kind: 'next-inode', as };
      }
      case 'expect':
        return this.expectation(o);
    }
    const live = this.tasks.filter((t) => this.alive.has(t));
    if (live.length === 0) return undefined;
    const task = pick(live, d.task);
    const body = this.operation(task, o, d.fresh);
    return body === undefined ? undefined : ({ ...body, task } as PlainStep);
  }

  private expectation(o: Extract<DraftOp, { kind: 'expect' }>): PlainStep | undefined {
    const use: NameUse = o.check === 'same-inode' || o.check === 'other-inode' ? 'inode' : 'namespace';
    const names = this.bindings.names(use);
    if (names.length === 0) return undefined;
    const a = pick(names, o.a);
    const check: Expectation =
      o.check === 'held' || o.check === 'released'
        ? { kind: o.check, name: a }
        : { kind: o.check, a, b: pick(names, o.b) };
    return { kind: 'expect', check };
  }

  /**
   * An fd name for `task`: usually one its process holds, of one of `kinds` when it has one (so
   * that the step acts on something), sometimes (`fresh`) any fd name bound anywhere so far
   * (EBADF, or another process's fd).
   */
  private fd(
    task: string,
    i: number,
    fresh: boolean,
    kinds: readonly FdKind[] = ['nsfs', 'pidfd', 'socket'],
  ): string | undefined {
    const fds = [...this.procOf(task).fds];
    const fitting = fds.filter(([, f]) => kinds.includes(f.kind)).map(([name]) => name);
    const own = fitting.length > 0 && i % 8 !== 0 ? fitting : fds.map(([name]) => name);
    const from = fresh ? this.bindings.names('fd') : own;
    return from.length === 0 ? undefined : pick(from, i);
  }

  private procOf(task: string): Proc {
    const p = this.proc.get(task);
    if (!p) throw new Error(`no process for ${task}`);
    return p;
  }

  private bindFd(task: string, name: string, by: Binder, fd: Fd): void {
    this.bindings.bind(name, by);
    this.procOf(task).fds.set(name, fd);
  }

  private newTask(): string {
    const name = `t${++this.made}`;
    this.tasks.push(name);
    this.alive.add(name);
    return name;
  }

  private source(
    task: string,
    d: Extract<DraftOp, { kind: 'open' }>['source'],
    fdAllowed: boolean,
  ): NsSource | undefined {
    if (d.kind === 'fd' && fdAllowed) {
      const fd = this.fd(task, d.fd, false, ['nsfs']);
      if (fd !== undefined) return { kind: 'fd', fd };
    }
    if (d.kind === 'path') {
      const mounted = [...this.mounted].filter((p) => (NSFS_PATHS as readonly string[]).includes(p));
      return {
        kind: 'path',
        path: mounted.length > 0 && d.path % 4 !== 0 ? pick(mounted, d.path) : pick(NSFS_PATHS, d.path),
      };
    }
    // Mostly the task's own /proc/self/ns files; otherwise any task's, exited ones included.
    const target = d.task % 3 === 0 ? pick(this.tasks, d.task) : task;
    return { kind: 'proc', task: target, file: pick(NS_FILES, d.file) };
  }

  private operation(
    task: string,
    o: Exclude<DraftOp, { kind: 'sleep' | 'next-inode' | 'expect' }>,
    fresh: boolean,
  ): object | undefined {
    const p = this.procOf(task);
    switch (o.kind) {
      case 'unshare':
        return { kind: 'unshare', types: o.types };
      case 'fork': {
        const child = this.newTask();
        this.proc.set(child, { leader: child, fds: new Map(p.fds), segments: new Set(p.segments), children: [] });
        p.children.push(child);
        if (o.pidfd === undefined) return { kind: 'fork', child, types: o.types };
        const pidfd = pick(FD_NAMES, o.pidfd);
        this.bindFd(task, pidfd, 'fork', { kind: 'pidfd', cloexec: true });
        return { kind: 'fork', child, types: o.types, pidfd };
      }
      case 'thread': {
        const child = this.newTask();
        this.proc.set(child, p);
        return { kind: 'thread', child };
      }
      case 'setns': {
        const fd = this.fd(task, o.fd, fresh, ['nsfs', 'pidfd']);
        if (fd === undefined) return undefined;
        const f = p.fds.get(fd);
        if (f?.kind === 'pidfd') return { kind: 'setns', fd, types: o.pidfdTypes };
        const types = o.nstype === 'zero' ? [] : o.nstype === 'own' ? (f?.nsType ? [f.nsType] : []) : o.nstype;
        return { kind: 'setns', fd, types };
      }
      case 'open': {
        const source = this.source(task, o.source, false);
        if (source === undefined) return undefined;
        const as = pick(FD_NAMES, o.as);
        this.bindFd(task, as, 'open', {
          kind: 'nsfs',
          cloexec: o.cloexec,
          nsType: source.kind === 'proc' ? typeOfFile(source.file) : undefined,
        });
        return { kind: 'open', source, as, cloexec: o.cloexec };
      }
      case 'ioctl': {
        // NS_GET_PARENT is for user and pid namespaces: prefer those.
        const parented = [...p.fds].filter(([, f]) => f.nsType === 'user' || f.nsType === 'pid').map(([n]) => n);
        const fd =
          o.request === 'get-parent' && parented.length > 0 && !fresh
            ? pick(parented, o.fd)
            : this.fd(task, o.fd, fresh, ['nsfs']);
        if (fd === undefined) return undefined;
        const as = pick(FD_NAMES, o.as);
        const nsType = o.request === 'get-userns' ? 'user' : p.fds.get(fd)?.nsType;
        this.bindFd(task, as, 'ioctl', { kind: 'nsfs', cloexec: o.cloexec, nsType });
        return { kind: 'ioctl', fd, request: o.request, as, cloexec: o.cloexec };
      }
      case 'close': {
        const fd = this.fd(task, o.fd, fresh);
        if (fd === undefined) return undefined;
        p.fds.delete(fd);
        return { kind: 'close', fd };
      }
      case 'bind': {
        const source = this.source(task, o.source, true);
        if (source === undefined) return undefined;
        const path = pick(NSFS_PATHS, o.path);
        this.mounted.add(path);
        return { kind: 'bind', source, path };
      }
      case 'umount': {
        const mounted = [...this.mounted];
        const path =
          mounted.length > 0 && !fresh ? pick(mounted, o.path) : pick([...NSFS_PATHS, ...PROC_PATHS], o.path);
        return { kind: 'umount', path, lazy: o.lazy };
      }
      case 'mount-proc': {
        const path = pick(PROC_PATHS, o.path);
        this.mounted.add(path);
        return { kind: 'mount-proc', path };
      }
      case 'socket': {
        const as = pick(FD_NAMES, o.as);
        this.bindFd(task, as, 'socket', { kind: 'socket', cloexec: o.cloexec });
        return { kind: 'socket', as, cloexec: o.cloexec };
      }
      case 'pidfd': {
        const as = pick(FD_NAMES, o.as);
        const target = pick(this.tasks, o.target);
        this.bindFd(task, as, 'pidfd', { kind: 'pidfd', cloexec: true });
        return { kind: 'pidfd', target, as };
      }
      case 'shmat': {
        const as = pick(SEGMENT_NAMES, o.as);
        this.bindings.bind(as, 'shmat');
        p.segments.add(as);
        return { kind: 'shmat', as };
      }
      case 'shmdt': {
        const own = [...p.segments];
        const from = own.length > 0 && !fresh ? own : this.bindings.names('segment');
        if (from.length === 0) return undefined;
        const segment = pick(from, o.segment);
        p.segments.delete(segment);
        return { kind: 'shmdt', segment };
      }
      case 'exec': {
        // de_thread: the other threads die; the caller becomes the leader. The mm goes (shm) and
        // the O_CLOEXEC fds close.
        for (const [t, q] of this.proc) if (q === p && t !== task) this.alive.delete(t);
        p.leader = task;
        p.segments.clear();
        for (const [name, f] of [...p.fds]) if (f.cloexec) p.fds.delete(name);
        return { kind: 'exec' };
      }
      case 'exit': {
        if (p.leader === task) for (const [t, q] of this.proc) if (q === p) this.alive.delete(t);
        this.alive.delete(task);
        return { kind: 'exit' };
      }
      case 'wait': {
        // Mostly a child that has exited (a zombie to reap), else any child (EAGAIN while it runs).
        const exited = p.children.filter((c) => !this.alive.has(c));
        const from = fresh ? this.tasks : exited.length > 0 && o.child % 4 !== 0 ? exited : p.children;
        return from.length === 0 ? undefined : { kind: 'wait', child: pick(from, o.child) };
      }
      case 'set-limit':
        return { kind: 'set-limit', nsType: o.nsType, value: o.value };
      case 'read': {
        const nsType = pick(NS_FILES, o.file);
        if (o.as === undefined) return { kind: 'read', nsType };
        const as = pick(READ_NAMES, o.as);
        this.bindings.bind(as, 'read');
        return { kind: 'read', nsType, as };
      }
    }
  }
}

/**
 * Valid scenarios over every operation of the IR: tasks `a` and `b` declared, `t1`, `t2`, ...
 * made by fork and thread; up to `maxSteps` steps (default 50; draws that fit nothing yet, such
 * as a close before any fd, are left out). Step `i` sits at line `i + 1` of file `<gen>`.
 *
 * @internal
 */
export function fullScenarioArb(opts: { minSteps?: number; maxSteps?: number } = {}): fc.Arbitrary<Scenario> {
  return fc
    .array(draft, { minLength: opts.minSteps ?? 1, maxLength: opts.maxSteps ?? 50, size: 'max' })
    .map((drafts): Scenario => {
      const tracker = new Tracker();
      const steps = drafts.flatMap((d) => tracker.resolve(d) ?? []);
      return {
        name: 'generated',
        file: '<gen>',
        tasks: [...DECLARED_TASKS],
        params: {},
        steps: steps.map((s, i) => ({ ...s, pos: { file: '<gen>', line: i + 1, col: 1 } }) as Step),
      };
    });
}
