import { describe, expect, it } from 'vitest';
import {
  PROBE_TMP_ENTRY,
  PROBE_TRACEFS_INSTANCE,
  compareHostStates,
  lockHolders,
  parseLocks,
  parseMountinfo,
  parseStat,
  traceNamespaces,
  type HostState,
  type ProbeFacts,
  type ProcessState,
} from '../../src/probe/hostState.ts';
import type { Trace } from '../../src/trace/format.ts';

// The pure part of the host snapshots (src/probe/hostState.ts); the live test
// (hostSafety.live.test.ts) takes real ones around the whole catalog.

const ROOT_MOUNT = '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard';
const PROC_MOUNT = '22 27 0:21 / /proc rw,relatime shared:5 master:1 - proc proc rw';
const NSFS_MOUNT = '212 27 0:4 net:[4026532178] /run/netns/a rw - nsfs nsfs rw';

const INIT_NS = ['cgroup:[4026531835]', 'mnt:[4026531841]', 'net:[4026531840]', 'user:[4026531837]'];

const proc = (pid: number, over: Partial<ProcessState> = {}): ProcessState => ({
  pid,
  start: 100 + pid,
  comm: 'sh',
  state: 'S',
  ppid: 1,
  exe: '/usr/bin/sh',
  ns: INIT_NS,
  ...over,
});

const host = (over: Partial<HostState> = {}): HostState => ({
  selfMountinfo: `${ROOT_MOUNT}\n${PROC_MOUNT}\n`,
  pid1Mountinfo: `${ROOT_MOUNT}\n`,
  processes: [proc(1), proc(7)],
  mountinfoByMntNs: { 'mnt:[4026531841]': `${ROOT_MOUNT}\n${PROC_MOUNT}\n` },
  tracefsInstances: [],
  tmpEntries: [],
  limits: { max_net_namespaces: '96362', max_user_namespaces: '96362' },
  sysvShm:
    '       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n',
  locks: '',
  ticks: 1000,
  ...over,
});

const PROBE: ProbeFacts = { exe: '/work/main/build/nslife-probe', namespaces: new Set(), endTicks: 5000 };

const none = {
  mounts: [],
  namespaces: [],
  nsfsMounts: [],
  processes: [],
  tracefs: [],
  limits: [],
  sysvShm: [],
};

describe('parseMountinfo', () => {
  it('splits the fields, optional fields and the part after " - "', () => {
    expect(parseMountinfo(`${PROC_MOUNT}\n${NSFS_MOUNT}\n`)).toEqual([
      {
        id: 22,
        parent: 27,
        dev: '0:21',
        root: '/',
        mountPoint: '/proc',
        options: 'rw,relatime',
        optional: 'shared:5 master:1',
        fsType: 'proc',
        source: 'proc',
        superOptions: 'rw',
      },
      {
        id: 212,
        parent: 27,
        dev: '0:4',
        root: 'net:[4026532178]',
        mountPoint: '/run/netns/a',
        options: 'rw',
        optional: '',
        fsType: 'nsfs',
        source: 'nsfs',
        superOptions: 'rw',
      },
    ]);
  });

  it('keeps octal escapes as written and rejects what is not mountinfo', () => {
    expect(parseMountinfo('30 27 0:40 / /mnt/a\\040b rw - tmpfs none rw')[0]!.mountPoint).toBe('/mnt/a\\040b');
    expect(() => parseMountinfo('rootfs / rootfs rw 0 0')).toThrow(/not a mountinfo line/);
  });
});

describe('parseStat', () => {
  it('reads a command name with spaces and parentheses, the state, the parent and the start time', () => {
    const fields = Array.from({ length: 49 }, (_, i) => String(i + 3));
    fields[0] = 'Z'; // field 3
    fields[1] = '42'; // field 4
    fields[19] = '123456'; // field 22
    expect(parseStat(`999 (a (b) c) ${fields.join(' ')}\n`)).toEqual({
      comm: 'a (b) c',
      state: 'Z',
      ppid: 42,
      start: 123456,
    });
    expect(() => parseStat('999 (x) S 1')).toThrow(/not a \/proc\/PID\/stat line/);
  });
});

describe('parseLocks and lockHolders', () => {
  const LOCKS =
    '1: FLOCK  ADVISORY  WRITE 24872 fe:00:2146769 0 EOF\n' +
    '1: -> FLOCK  ADVISORY  WRITE 25000 fe:00:2146769 0 EOF\n' +
    '2: POSIX  ADVISORY  READ 311 00:1a:12 0 EOF\n' +
    '3: FLOCK  ADVISORY  WRITE 400 fe:01:2146769 0 EOF\n';

  it('parses holders and waiters', () => {
    expect(parseLocks(LOCKS)).toEqual([
      { kind: 'FLOCK', mode: 'WRITE', pid: 24872, major: 0xfe, minor: 0, inode: 2146769, blocked: false },
      { kind: 'FLOCK', mode: 'WRITE', pid: 25000, major: 0xfe, minor: 0, inode: 2146769, blocked: true },
      { kind: 'POSIX', mode: 'READ', pid: 311, major: 0, minor: 0x1a, inode: 12, blocked: false },
      { kind: 'FLOCK', mode: 'WRITE', pid: 400, major: 0xfe, minor: 1, inode: 2146769, blocked: false },
    ]);
  });

  it('names the holders of one file by its st_dev and inode, not its waiters or another device', () => {
    // st_dev 65024 is 254:0 (glibc's encoding); 254:1 is 65025.
    expect(lockHolders(parseLocks(LOCKS), 65024, 2146769)).toEqual([24872]);
    expect(lockHolders(parseLocks(LOCKS), 65025, 2146769)).toEqual([400]);
    expect(lockHolders(parseLocks(LOCKS), 65024, 1)).toEqual([]);
  });
});

describe('probe names', () => {
  it('tracefs instances nslife-<pid>-<8 hex>, /tmp entries nslife-tracefs-<pid>-XXXXXX', () => {
    expect(PROBE_TRACEFS_INSTANCE.test('nslife-1234-0badf00d')).toBe(true);
    expect(PROBE_TRACEFS_INSTANCE.test('nslife-1234')).toBe(false);
    expect(PROBE_TRACEFS_INSTANCE.test('nslife-tracefs-1234-a1B2c3')).toBe(false);
    expect(PROBE_TMP_ENTRY.test('nslife-tracefs-1234-a1B2c3')).toBe(true);
    expect(PROBE_TMP_ENTRY.test('nslife-cli-a1B2c3')).toBe(false);
  });
});

describe('traceNamespaces', () => {
  it('collects the initial namespaces and every observation as type:[inode]', () => {
    const trace = {
      header: { initial: [{ type: 'user', inode: 4026532300, id: 9 }] },
      steps: [{ ns: [{ type: 'net', inode: 4026532178, id: 10, proc: [4026532179, 4026532242] }] }, { ns: [] }],
    } as unknown as Trace;
    expect([...traceNamespaces([trace])].sort()).toEqual(['net:[4026532178]', 'user:[4026532300]']);
  });
});

describe('compareHostStates', () => {
  it('finds nothing when the host is as it was (new processes of others and vanished ones aside)', () => {
    const after = host({ processes: [proc(1), proc(9, { start: 6000 })], ticks: 7000 });
    expect(compareHostStates(host(), after, PROBE)).toEqual(none);
  });

  it('(a) names mountinfo lines gone and new, also for PID 1', () => {
    const after = host({
      selfMountinfo: `${ROOT_MOUNT}\n${NSFS_MOUNT}\n`,
      pid1Mountinfo: null,
    });
    expect(compareHostStates(host(), after, PROBE).mounts).toEqual([
      `/proc/self/mountinfo: gone: ${PROC_MOUNT}`,
      `/proc/self/mountinfo: new: ${NSFS_MOUNT}`,
      '/proc/1/mountinfo: readable true before, false after',
    ]);
  });

  it('(b) compares the namespaces of the processes in both snapshots only (pid and start time)', () => {
    const before = host({ processes: [proc(1), proc(7), proc(8, { ns: ['net:[4026532500]'] })] });
    const after = host({
      processes: [
        proc(1),
        proc(7, { ns: [...INIT_NS, 'uts:[4026532600]'] }), // the same process, in a new namespace
        proc(8, { start: 4000, ns: ['net:[4026532700]'] }), // pid 8 reused: another process
      ],
    });
    expect(compareHostStates(before, after, PROBE).namespaces).toEqual(['new: uts:[4026532600] (used by pids 7)']);
    const gone = host({ processes: [proc(1, { ns: ['mnt:[4026531841]'] }), proc(7, { ns: ['mnt:[4026531841]'] })] });
    expect(compareHostStates(before, gone, PROBE).namespaces).toEqual([
      'gone: cgroup:[4026531835] (used by pids 1, 7 before)',
      'gone: net:[4026531840] (used by pids 1, 7 before)',
      'gone: user:[4026531837] (used by pids 1, 7 before)',
    ]);
  });

  it('(b) finds a new nsfs mount in a mount namespace in use before and after, or in one the probe made', () => {
    const probeMnt = 'mnt:[4026532400]';
    const after = host({
      mountinfoByMntNs: {
        'mnt:[4026531841]': `${ROOT_MOUNT}\n${PROC_MOUNT}\n${NSFS_MOUNT}\n`,
        [probeMnt]: `${ROOT_MOUNT}\n212 27 0:4 net:[4026532178] /tmp/x rw - nsfs nsfs rw\n`,
        'mnt:[4026532999]': `${NSFS_MOUNT}\n`, // somebody else's new mount namespace
      },
    });
    expect(compareHostStates(host(), after, { ...PROBE, namespaces: new Set([probeMnt]) }).nsfsMounts).toEqual([
      'new nsfs mount: mnt:[4026531841]: mount 212 of net:[4026532178] on /run/netns/a',
      `new nsfs mount: ${probeMnt}: mount 212 of net:[4026532178] on /tmp/x`,
    ]);
    // There before: not new.
    const before = host({ mountinfoByMntNs: { 'mnt:[4026531841]': `${NSFS_MOUNT}\n` } });
    expect(compareHostStates(before, host({ mountinfoByMntNs: before.mountinfoByMntNs }), PROBE).nsfsMounts).toEqual(
      [],
    );
  });

  it('(c) finds the probe binary, its zombies, and processes in namespaces a run made', () => {
    const probeNs = new Set(['net:[4026532178]', 'user:[4026532300]', 'user:[4026531837]']);
    const after = host({
      processes: [
        proc(1),
        proc(7),
        proc(20, { comm: 'nslife-probe', exe: PROBE.exe }),
        proc(21, { comm: 'exe', exe: `${PROBE.exe} (deleted)` }),
        proc(22, { comm: 'nslife-probe', state: 'Z', exe: null, ns: [] }),
        proc(23, { comm: 'sleep', exe: '/usr/bin/sleep', ns: [...INIT_NS.slice(0, 3), 'user:[4026532300]'] }),
        // a namespace the host used before (the initial user ns) is not the probe's
        proc(24, { comm: 'bash', exe: '/usr/bin/bash' }),
        // started after the runs ended: a reused inode number, not a run's namespace
        proc(25, { start: 6000, comm: 'unshare', exe: '/usr/bin/unshare', ns: ['net:[4026532178]'] }),
        // pid_for_children names a pid namespace
        proc(26, { comm: 'init', exe: '/sbin/init', ns: ['pid_for_children:[4026532301]'] }),
      ],
    });
    const facts = { ...PROBE, namespaces: new Set([...probeNs, 'pid:[4026532301]']) };
    expect(compareHostStates(host(), after, facts).processes).toEqual([
      `probe process left: pid 20 (nslife-probe, state S, ppid 1, exe ${PROBE.exe}, started at tick 120)`,
      `probe process left: pid 21 (exe, state S, ppid 1, exe ${PROBE.exe} (deleted), started at tick 121)`,
      'probe process left: pid 22 (nslife-probe, state Z, ppid 1, exe ?, started at tick 122)',
      'process in namespaces the probe made (user:[4026532300]): pid 23 (sleep, state S, ppid 1, exe /usr/bin/sleep, started at tick 123)',
      'process in namespaces the probe made (pid:[4026532301]): pid 26 (init, state S, ppid 1, exe /sbin/init, started at tick 126)',
    ]);
  });

  it("(d) finds tracefs instances and /tmp entries named like the probe's that are new", () => {
    const before = host({ tracefsInstances: ['foo', 'nslife-10-00000001'], tmpEntries: [] });
    const after = host({
      tracefsInstances: ['foo', 'bar', 'nslife-10-00000001', 'nslife-11-0000abcd'],
      tmpEntries: ['nslife-tracefs-11-Ab12Cd'],
    });
    expect(compareHostStates(before, after, PROBE).tracefs).toEqual([
      'tracefs instance left: instances/nslife-11-0000abcd',
      '/tmp entry left: /tmp/nslife-tracefs-11-Ab12Cd',
    ]);
    expect(compareHostStates(before, host({ tracefsInstances: null }), PROBE).tracefs).toEqual([
      'tracefs instances: readable true before, false after',
    ]);
  });

  it('(f) compares the limits, and finds new SysV shm segments', () => {
    const shmAfter = `${host().sysvShm}         0          5  1600                  4096  3210  3210      1     0     0     0     0 0 0 0 4096 0\n`;
    const after = host({ limits: { max_net_namespaces: '2', max_user_namespaces: '96362' }, sysvShm: shmAfter });
    const changes = compareHostStates(host(), after, PROBE);
    expect(changes.limits).toEqual(['max_net_namespaces: 96362 before, 2 after']);
    expect(changes.sysvShm).toEqual(['new SysV shm segment: 0 5 1600 4096 3210 3210 1 0 0 0 0 0 0 0 4096 0']);
    expect(compareHostStates(host({ sysvShm: shmAfter }), after, PROBE).sysvShm).toEqual([]);
  });
});
