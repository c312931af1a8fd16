import type { NsSource, Scenario, Step } from '../scenario/ast.ts';
import { stepArgs } from '../scenario/observed.ts';

/**
 * Version line that starts every probe input (probe/nslife-probe.c: parse_input).
 *
 * @remarks Since 0.1.0 (protocol 2 since 0.2.0)
 * @internal
 */
export const PROBE_INPUT_VERSION = 'nslife-probe-input 2';

/** Longest path the probe takes (PATH_MAX without its NUL). */
const MAX_PATH = 4095;
/** Longest task, fd or segment name the probe takes (probe/nslife-probe.c: MAX_NAME). */
const MAX_NAME = 128;

/**
 * The scenario in the probe's line protocol (version 2), fed to `nslife-probe` on stdin. One
 * record per line, words separated by one space:
 *
 * ```
 * nslife-probe-input 2
 * meta {"name":"fd","file":"test/fixtures/scenarios/fd-keeps-netns.nsl","params":{}}
 * task 0 main initial
 * task 1 child child
 * step 0 4 0 unshare user,net {"types":["user","net"]}
 * step 1 5 0 fork 1 net - {"child":"child","types":["net"]}
 * step 2 6 0 open proc 1 net keep cloexec {"source":{"kind":"proc","task":"child","file":"net"},"as":"keep","cloexec":true}
 * step 4 8 - sleep 500000000 {"ns":500000000}
 * step 5 9 - next-inode {"as":"free"}
 * run
 * ```
 *
 * - `meta` is copied verbatim into the trace header's `scenario`.
 * - `task TID NAME initial|child`: every task, ids 0, 1, ... in order. `initial` tasks start
 *   with the run, in the sandbox's namespaces; a `child` task is born by the one `fork` or
 *   `thread` step that names it (its steps before that, or after it died, record ESRCH).
 * - `step INDEX LINE TASK OP WORD... ARGS`: TASK is a task id, or `-` for `sleep` and
 *   `next-inode`; ARGS, the rest of the line, is the step's trace `args` (`stepArgs`, one JSON
 *   object), which the probe copies verbatim into the step record. The words are what the probe
 *   executes (`-` stands for "none"; a flag word is its name or `-`):
 *
 * | OP | words |
 * |---|---|
 * | `unshare` | TYPES (comma-separated namespace types) |
 * | `fork` | CHILD-TID TYPES\|- PIDFD-NAME\|- |
 * | `thread` | CHILD-TID |
 * | `setns` | FD TYPES\|- |
 * | `open` | SOURCE NAME `cloexec`\|- |
 * | `ioctl` | FD `get-userns`\|`get-parent` NAME `cloexec`\|- |
 * | `close` | FD |
 * | `bind` | SOURCE PATH |
 * | `umount` | PATH `lazy`\|- |
 * | `mount-proc` | PATH |
 * | `socket` | NAME `cloexec`\|- |
 * | `pidfd` | TARGET-TID NAME |
 * | `shmat` | NAME |
 * | `shmdt` | NAME |
 * | `exec`, `exit` | (none) |
 * | `wait` | CHILD-TID |
 * | `set-limit` | TYPE VALUE |
 * | `read` | FILE (`net`, ..., `pid_for_children`, `time_for_children`) |
 * | `next-inode` | (none) |
 * | `sleep` | NANOSECONDS |
 *
 *   SOURCE is three words `proc TID FILE` (`/proc/TASK/ns/FILE`), or two: `path PATH` (a bind
 *   mount point) or `fd NAME` (an fd of the caller's process, by name). PATHs are absolute,
 *   with no `.`, `..` or empty parts and no white space; the probe puts them below its sandbox
 *   root (a private tmpfs over /tmp in the sandbox's mount namespace: `/run/netns/a` is
 *   /tmp/run/netns/a there), makes the directories on the way, and never follows a symlink
 *   or leaves that root while resolving them. FD, NAME and the names of `shmat`/`shmdt` are the scenario's names: they live in
 *   the caller's process (threads share them, `fork` copies them, `exec` keeps those without
 *   close-on-exec); an unknown name is an fd that is not open (the kernel says EBADF; `shmdt`:
 *   EINVAL). Binding a name again leaves the fd it named open.
 * - `run` ends the input.
 *
 * Step indexes are the scenario's (`expect` steps are skipped: they are evaluated on traces, not
 * executed), so a trace step and its scenario step share an index.
 *
 * @throws Error when the scenario cannot be expressed (a name with white space, a step of an
 * undeclared task, a task forked twice, an empty `unshare`, a path that is not absolute or has
 * `.`/`..` parts, a sleep or limit that is not a whole number).
 * @remarks Since 0.1.0 (protocol 2 since 0.2.0)
 * @public
 */
export function probeInput(scenario: Scenario): string {
  const fail = (what: string): never => {
    throw new Error(`probe input: ${what}`);
  };
  const word = (name: string, what: string): string => {
    if (!/^[^\s]+$/.test(name) || name === '-' || name.length > MAX_NAME)
      fail(`${what} ${JSON.stringify(name)} must be one word of at most ${MAX_NAME} characters, not "-"`);
    return name;
  };

  // Task ids: the declared tasks first, then each fork/thread child in step order.
  const taskId = new Map<string, number>();
  const taskLines: string[] = [];
  const addTask = (name: string, kind: 'initial' | 'child'): void => {
    word(name, 'task name');
    taskId.set(name, taskId.size);
    taskLines.push(`task ${taskId.size - 1} ${name} ${kind}`);
  };
  for (const name of scenario.tasks) {
    if (taskId.has(name)) fail(`task ${JSON.stringify(name)} is declared twice`);
    addTask(name, 'initial');
  }
  scenario.steps.forEach((step, index) => {
    if (step.kind !== 'fork' && step.kind !== 'thread') return;
    if (taskId.has(step.child))
      fail(`step ${index} makes task ${JSON.stringify(step.child)}, which already exists (a task is born once)`);
    addTask(step.child, 'child');
  });
  const tid = (task: string, index: number): number => {
    const id = taskId.get(task);
    if (id === undefined)
      fail(`step ${index} uses task ${JSON.stringify(task)}, which the scenario does not declare or fork`);
    return id as number;
  };
  const path = (p: string, index: number): string => {
    const parts = p.split('/').slice(1);
    if (
      !p.startsWith('/') ||
      p.length > MAX_PATH ||
      /\s/.test(p) ||
      parts.length === 0 ||
      parts.some((x) => x === '' || x === '.' || x === '..')
    )
      fail(
        `step ${index}: path ${JSON.stringify(p)} must be absolute, below "/", without white space or empty, "." or ".." parts`,
      );
    return p;
  };
  const types = (list: readonly string[]): string => (list.length === 0 ? '-' : list.join(','));
  const flag = (on: boolean, name: string): string => (on ? name : '-');
  const source = (s: NsSource, index: number): string =>
    s.kind === 'proc'
      ? `proc ${tid(s.task, index)} ${s.file}`
      : s.kind === 'path'
        ? `path ${path(s.path, index)}`
        : `fd ${word(s.fd, 'fd name')}`;

  const lines = [
    PROBE_INPUT_VERSION,
    `meta ${JSON.stringify({ name: scenario.name, file: scenario.file, params: scenario.params, tasks: scenario.tasks })}`,
    ...taskLines,
  ];
  scenario.steps.forEach((step, index) => {
    if (step.kind === 'expect') return;
    const words = stepWords(step, index, { tid, word, path, types, flag, source, fail });
    const task = 'task' in step ? String(tid(step.task, index)) : '-';
    lines.push(`step ${index} ${step.pos.line} ${task} ${step.kind}${words} ${JSON.stringify(stepArgs(step))}`);
  });
  lines.push('run');
  return `${lines.join('\n')}\n`;
}

interface Encoders {
  tid(task: string, index: number): number;
  word(name: string, what: string): string;
  path(p: string, index: number): string;
  types(list: readonly string[]): string;
  flag(on: boolean, name: string): string;
  source(s: NsSource, index: number): string;
  fail(what: string): never;
}

/** The words after OP (with a leading space), see {@link probeInput}. */
function stepWords(step: Exclude<Step, { kind: 'expect' }>, index: number, e: Encoders): string {
  const w = (...parts: (string | number)[]): string => parts.map((p) => ` ${p}`).join('');
  switch (step.kind) {
    case 'unshare':
      if (step.types.length === 0) e.fail(`step ${index} unshares no namespace type`);
      return w(e.types(step.types));
    case 'fork':
      return w(
        e.tid(step.child, index),
        e.types(step.types),
        step.pidfd === undefined ? '-' : e.word(step.pidfd, 'pidfd name'),
      );
    case 'thread':
      return w(e.tid(step.child, index));
    case 'setns':
      return w(e.word(step.fd, 'fd name'), e.types(step.types));
    case 'open':
      return w(e.source(step.source, index), e.word(step.as, 'fd name'), e.flag(step.cloexec, 'cloexec'));
    case 'ioctl':
      return w(e.word(step.fd, 'fd name'), step.request, e.word(step.as, 'fd name'), e.flag(step.cloexec, 'cloexec'));
    case 'close':
      return w(e.word(step.fd, 'fd name'));
    case 'bind':
      return w(e.source(step.source, index), e.path(step.path, index));
    case 'umount':
      return w(e.path(step.path, index), e.flag(step.lazy, 'lazy'));
    case 'mount-proc':
      return w(e.path(step.path, index));
    case 'socket':
      return w(e.word(step.as, 'fd name'), e.flag(step.cloexec, 'cloexec'));
    case 'pidfd':
      return w(e.tid(step.target, index), e.word(step.as, 'fd name'));
    case 'shmat':
      return w(e.word(step.as, 'segment name'));
    case 'shmdt':
      return w(e.word(step.segment, 'segment name'));
    case 'exec':
    case 'exit':
    case 'next-inode':
      return '';
    case 'wait':
      return w(e.tid(step.child, index));
    case 'set-limit':
      if (!Number.isSafeInteger(step.value) || step.value < 0)
        e.fail(`step ${index} sets max_${step.nsType}_namespaces to ${step.value}, expected a whole number ≥ 0`);
      return w(step.nsType, step.value);
    case 'read':
      return w(step.nsType);
    case 'sleep':
      if (!Number.isSafeInteger(step.ns) || step.ns < 0)
        e.fail(`step ${index} sleeps ${step.ns} ns, expected a whole number ≥ 0`);
      return w(step.ns);
  }
}
