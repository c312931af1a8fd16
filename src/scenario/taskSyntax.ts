import { NS_TYPES } from '../../model/nsType.ts';
import { quote } from '../errors/inputError.ts';
import {
  LIMIT_SHAPE,
  NS_FILE_SHAPE,
  NS_TYPE_SHAPE,
  OUTCOME_SHAPE,
  REQUEST_SHAPE,
  type Origin,
  type Written,
} from './assembler.ts';
import type { LineReader } from './lineReader.ts';
import { OPERATION_KEYWORDS, type WrittenOp } from './operation.ts';
import { PATH_SHAPE, sourceShape } from './paths.ts';
import type { Statement } from './statement.ts';

/**
 * How input errors list the operations a task can do.
 *
 * @remarks Since 0.2.0
 * @internal
 */
export const OPERATION_SHAPE = `an operation (${OPERATION_KEYWORDS.join(', ')})`;

type Keyword = (typeof OPERATION_KEYWORDS)[number];

/**
 * Reads the arguments of one operation. `more` lists the optional parts that could still have
 * come before the `=> OUTCOME` (for the error when something else follows).
 */
type OperationReader = (line: LineReader, keyword: Written) => { op: WrittenOp; more: readonly string[] };

const NAME_AFTER_AS = 'a name after "as"';
const LIMIT_NAME = `a limit name max_TYPE_namespaces (TYPE: ${NS_TYPES.join(', ')})`;
const CLOEXEC = '"cloexec"';

/** `as NAME`, after `what` (for the error when "as" is missing). */
function asName(line: LineReader, what: string): Written {
  line.keyword('as', `"as NAME" after ${what}`);
  return line.take(NAME_AFTER_AS);
}

const READERS: Readonly<Record<Keyword, OperationReader>> = {
  unshare: (line) => ({ op: { kind: 'unshare', types: nsTypeList(line) }, more: [] }),
  fork: (line) => {
    const child = line.take('a name for the child task');
    const types = line.takeIf('new') ? nsTypeList(line) : undefined;
    const pidfd = line.takeIf('pidfd') ? asName(line, '"pidfd"') : undefined;
    const more =
      pidfd !== undefined ? [] : types !== undefined ? ['"pidfd as NAME"'] : ['"new TYPES"', '"pidfd as NAME"'];
    return { op: { kind: 'fork', child, types, pidfd }, more };
  },
  thread: (line) => ({ op: { kind: 'thread', child: line.take('a name for the new thread') }, more: [] }),
  setns: (line) => {
    const fd = line.take('an fd name');
    if (line.atEnd() || line.nextIs('=>')) return { op: { kind: 'setns', fd, types: [] }, more: ['TYPES'] };
    return { op: { kind: 'setns', fd, types: nsTypeList(line) }, more: [] };
  },
  open: (line) => {
    const source = line.take(sourceShape(false));
    const as = asName(line, 'the nsfs file');
    const cloexec = line.takeIf('cloexec');
    return { op: { kind: 'open', source, as, cloexec }, more: cloexec ? [] : [CLOEXEC] };
  },
  ioctl: (line) => {
    const fd = line.take('an fd name');
    const request = line.take(REQUEST_SHAPE);
    const as = asName(line, `"${request.text}"`);
    const cloexec = line.takeIf('cloexec');
    return { op: { kind: 'ioctl', fd, request, as, cloexec }, more: cloexec ? [] : [CLOEXEC] };
  },
  close: (line) => ({ op: { kind: 'close', fd: line.take('an fd name') }, more: [] }),
  bind: (line) => {
    const source = line.take(sourceShape(true));
    const path = line.take(`${PATH_SHAPE} to mount on`);
    return { op: { kind: 'bind', source, path }, more: [] };
  },
  umount: (line) => {
    const path = line.take(PATH_SHAPE);
    const lazy = line.takeIf('lazy');
    return { op: { kind: 'umount', path, lazy }, more: lazy ? [] : ['"lazy"'] };
  },
  mount: (line) => {
    line.keyword('proc', '"proc" after "mount" (mount proc PATH)');
    return { op: { kind: 'mount-proc', path: line.take(PATH_SHAPE) }, more: [] };
  },
  socket: (line) => {
    const as = asName(line, '"socket"');
    const cloexec = line.takeIf('cloexec');
    return { op: { kind: 'socket', as, cloexec }, more: cloexec ? [] : [CLOEXEC] };
  },
  pidfd: (line) => {
    const target = line.take('a task name');
    return { op: { kind: 'pidfd', target, as: asName(line, 'the task') }, more: [] };
  },
  shmat: (line) => ({ op: { kind: 'shmat', as: asName(line, '"shmat"') }, more: [] }),
  shmdt: (line) => ({ op: { kind: 'shmdt', segment: line.take('a segment name') }, more: [] }),
  exec: () => ({ op: { kind: 'exec' }, more: [] }),
  exit: () => ({ op: { kind: 'exit' }, more: [] }),
  wait: (line) => ({ op: { kind: 'wait', child: line.take('a task name') }, more: [] }),
  set: (line) => {
    const name = line.take(LIMIT_NAME);
    if (name.text.includes('='))
      line.fail(name.site, 'spaces around "=" (set max_TYPE_namespaces = N)', quote(name.text));
    const m = /^max_(.*)_namespaces$/.exec(name.text);
    if (!m) return line.fail(name.site, LIMIT_NAME, quote(name.text));
    const nsType = line.shifted(name, 'max_'.length, m[1] ?? '');
    line.keyword('=', '"=" after the limit name');
    return { op: { kind: 'set-limit', nsType, value: line.take(LIMIT_SHAPE) }, more: [] };
  },
  read: (line) => {
    const file = line.take(NS_FILE_SHAPE);
    const as = line.takeIf('as') ? line.take(NAME_AFTER_AS) : undefined;
    return { op: { kind: 'read', file, as }, more: as === undefined ? ['"as NAME"'] : [] };
  },
};

/**
 * `TASK: OPERATION ... [=> OUTCOME]`; `TASK:op` without the space is read alike.
 *
 * @remarks Since 0.2.0
 * @internal
 */
export function taskStep(line: LineReader, origin: Origin, first: Written, colon: number): Statement {
  const task = { text: first.text.slice(0, colon), site: first.site };
  if (task.text === '') line.fail(first.site, 'a task name before ":"', quote(first.text));
  const rest = first.text.slice(colon + 1);
  const keyword = rest === '' ? line.take(`${OPERATION_SHAPE} after ":"`) : line.shifted(first, colon + 1, rest);
  if (!Object.hasOwn(READERS, keyword.text)) line.fail(keyword.site, OPERATION_SHAPE, quote(keyword.text));
  const { op, more } = READERS[keyword.text as Keyword](line, keyword);
  let outcome: Written | undefined;
  if (line.takeIf('=>')) {
    outcome = line.take(`${OUTCOME_SHAPE} after "=>"`);
    line.end();
  } else line.end(alternatives([...more, '"=>"', 'end of line']));
  return { kind: 'task-step', origin, task, op, outcome };
}

/** `a, b or c`. */
function alternatives(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/**
 * `user,net`, `user, net` or `user ,net`: the list goes on while a comma is pending or the next
 * token starts with one.
 */
function nsTypeList(line: LineReader): Written[] {
  const types: Written[] = [];
  let needType = true;
  for (;;) {
    const token = line.take(NS_TYPE_SHAPE);
    if (token.text === '=>') line.fail(token.site, NS_TYPE_SHAPE, '"=>"');
    let offset = 0;
    for (const [k, part] of token.text.split(',').entries()) {
      if (k > 0) {
        if (needType) line.fail(line.shifted(token, offset - 1, ',').site, NS_TYPE_SHAPE, '","');
        needType = true;
      }
      if (part !== '') {
        types.push(line.shifted(token, offset, part));
        needType = false;
      }
      offset += part.length + 1;
    }
    if (!needType && !line.nextStartsWith(',')) return types;
  }
}
