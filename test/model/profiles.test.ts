/**
 * The kernel profiles against the kernel sources they were read from (docs/kernel-versions.md).
 * Every expected value below is written from the source named in the test, not copied from the
 * profile: a profile edit that contradicts the source fails here.
 */
import { describe, expect, it } from 'vitest';
import type { KernelProfile } from '../../model/profile.ts';
import { DEFAULT_PROFILE, PROFILES, profileForRelease } from '../../model/profiles/index.ts';

type Field = Exclude<keyof KernelProfile, 'name' | 'description' | 'releases' | 'inodes' | 'latency' | 'opDuration'>;

interface Expectation {
  readonly field: Field | 'inodes.netInumRelease' | 'inodes.dynamicFirst';
  readonly value: unknown;
  readonly source: string;
}

const SIX_FIXED = ['user', 'pid', 'uts', 'ipc', 'cgroup', 'time'];
const ALL_FIXED = ['user', 'pid', 'net', 'mnt', 'uts', 'ipc', 'cgroup', 'time'];
const ALL_TYPES_LIMIT = {
  user: 96362,
  pid: 96362,
  net: 96362,
  mnt: 96362,
  uts: 96362,
  ipc: 96362,
  cgroup: 96362,
  time: 96362,
};

const EXPECTED: Readonly<Record<string, { releases: { from: string; to: string }; fields: readonly Expectation[] }>> = {
  'linux-6.1': {
    releases: { from: '6.1', to: '6.1' },
    fields: [
      { field: 'inodes.dynamicFirst', value: 0xf0000000, source: 'fs/proc/generic.c: PROC_DYNAMIC_FIRST [6.1]' },
      {
        field: 'inodes.netInumRelease',
        value: 'exit',
        source: 'net/core/net_namespace.c: net_ns_net_exit → ns_free_inum [6.1]',
      },
      { field: 'nsIds', value: 'none', source: 'include/uapi/linux/nsfs.h: no id ioctl [6.1]' },
      {
        field: 'initialLimits',
        value: ALL_TYPES_LIMIT,
        source: 'kernel/fork.c: fork_init max_threads/2 (this VM) [6.1]',
      },
      { field: 'userNestingLimit', value: 32, source: 'kernel/user_namespace.c: create_user_ns level > 32 [6.1]' },
      { field: 'pidNestingLimit', value: 32, source: 'include/linux/pid_namespace.h: MAX_PID_NS_LEVEL [6.1]' },
      {
        field: 'fixedInitInodes',
        value: SIX_FIXED,
        source: 'include/linux/proc_ns.h: PROC_*_INIT_INO, no NET/MNT [6.1]',
      },
      { field: 'pidReaper', value: 'sync', source: 'kernel/pid_namespace.c: put_pid_ns → destroy_pid_namespace [6.1]' },
      { field: 'ipcCreateFlushRetry', value: false, source: 'ipc/namespace.c: create_ipc_ns, no flush_work [6.1]' },
      { field: 'execEntersTimeForChildren', value: false, source: 'fs/exec.c: no exec_task_namespaces [6.1]' },
      {
        field: 'pidForChildrenBeforeInit',
        value: 'ENOENT',
        source: 'kernel/pid_namespace.c: pidns_for_children_get [6.1]',
      },
      { field: 'activeRefs', value: false, source: 'include/linux/ns_common.h: one refcount [6.1]' },
      { field: 'fileHandles', value: false, source: 'fs/nsfs.c: no export_operations [6.1]' },
      { field: 'listns', value: false, source: 'syscall_64.tbl: no listns [6.1]' },
    ],
  },
  'linux-6.12': {
    releases: { from: '6.11', to: '6.13' },
    fields: [
      { field: 'inodes.dynamicFirst', value: 0xf0000000, source: 'fs/proc/generic.c: PROC_DYNAMIC_FIRST [6.12]' },
      {
        field: 'inodes.netInumRelease',
        value: 'exit',
        source: 'net/core/net_namespace.c: net_ns_net_exit → ns_free_inum [6.12]',
      },
      { field: 'nsIds', value: 'mnt-only', source: 'include/uapi/linux/nsfs.h: NS_GET_MNTNS_ID only [6.12]' },
      {
        field: 'initialLimits',
        value: ALL_TYPES_LIMIT,
        source: 'kernel/fork.c: fork_init max_threads/2 (this VM) [6.12]',
      },
      { field: 'userNestingLimit', value: 32, source: 'kernel/user_namespace.c: create_user_ns level > 32 [6.12]' },
      { field: 'pidNestingLimit', value: 32, source: 'include/linux/pid_namespace.h: MAX_PID_NS_LEVEL [6.12]' },
      {
        field: 'fixedInitInodes',
        value: SIX_FIXED,
        source: 'include/linux/proc_ns.h: PROC_*_INIT_INO, no NET/MNT [6.12]',
      },
      {
        field: 'pidReaper',
        value: 'sync',
        source: 'kernel/pid_namespace.c: put_pid_ns → destroy_pid_namespace [6.12]',
      },
      { field: 'ipcCreateFlushRetry', value: true, source: 'ipc/namespace.c: create_ipc_ns flush_work retry [6.12]' },
      {
        field: 'execEntersTimeForChildren',
        value: true,
        source: 'fs/exec.c: begin_new_exec → exec_task_namespaces [6.12]',
      },
      {
        field: 'pidForChildrenBeforeInit',
        value: 'ENOENT',
        source: 'kernel/pid_namespace.c: pidns_for_children_get [6.12]',
      },
      { field: 'activeRefs', value: false, source: 'include/linux/ns_common.h: one refcount [6.12]' },
      { field: 'fileHandles', value: false, source: 'fs/nsfs.c: no export_operations [6.12]' },
      { field: 'listns', value: false, source: 'syscall_64.tbl: no listns [6.12]' },
    ],
  },
  'linux-6.14': {
    releases: { from: '6.14', to: '6.17' },
    fields: [
      { field: 'inodes.dynamicFirst', value: 0xf0000000, source: 'fs/proc/generic.c: PROC_DYNAMIC_FIRST [6.12, 7.3]' },
      { field: 'inodes.netInumRelease', value: 'exit', source: 'pernet exit until the 6.18 series [6.12]' },
      { field: 'nsIds', value: 'mnt-only', source: 'NS_GET_MNTNS_ID 6.11, NS_GET_ID 6.18 series [6.12]' },
      {
        field: 'initialLimits',
        value: ALL_TYPES_LIMIT,
        source: 'kernel/fork.c: fork_init max_threads/2 (this VM) [6.12, 7.3]',
      },
      {
        field: 'userNestingLimit',
        value: 32,
        source: 'kernel/user_namespace.c: create_user_ns level > 32 [6.12, 7.3]',
      },
      { field: 'pidNestingLimit', value: 32, source: 'include/linux/pid_namespace.h: MAX_PID_NS_LEVEL [6.12, 7.3]' },
      { field: 'fixedInitInodes', value: SIX_FIXED, source: 'NET/MNT fixed by the 6.18 series [6.12]' },
      { field: 'pidReaper', value: 'work', source: '7863dcc72d0f merged for 6.14: destroy_pid_namespace_work [7.3]' },
      {
        field: 'ipcCreateFlushRetry',
        value: true,
        source: 'ipc/namespace.c: create_ipc_ns flush_work retry since 6.3 [6.12, 7.3]',
      },
      {
        field: 'execEntersTimeForChildren',
        value: true,
        source: 'fs/exec.c: exec_task_namespaces since 6.2 [6.12, 7.3]',
      },
      {
        field: 'pidForChildrenBeforeInit',
        value: 'ENOENT',
        source: 'kernel/pid_namespace.c: pidns_for_children_get [6.12]',
      },
      { field: 'activeRefs', value: false, source: 'active refs are the 6.19 listns series' },
      { field: 'fileHandles', value: false, source: 'nsfs file handles are the 6.18 series' },
      { field: 'listns', value: false, source: 'listns(2) is the 6.19 series' },
    ],
  },
  'linux-6.18': {
    releases: { from: '6.18', to: '6.18' },
    fields: [
      { field: 'inodes.dynamicFirst', value: 0xf0000000, source: 'fs/proc/generic.c: PROC_DYNAMIC_FIRST [6.12, 7.3]' },
      {
        field: 'inodes.netInumRelease',
        value: 'final',
        source: 'cleanup_net: ns_common_free after rcu_barrier [6.18 as quoted, 7.3]',
      },
      {
        field: 'nsIds',
        value: 'percpu-cookie',
        source: 'kernel/nstree.c: ns_tree_gen_id → gen_cookie_next [6.18 as quoted]',
      },
      {
        field: 'initialLimits',
        value: ALL_TYPES_LIMIT,
        source: 'kernel/fork.c: fork_init max_threads/2 (this VM) [6.12, 7.3]',
      },
      {
        field: 'userNestingLimit',
        value: 32,
        source: 'kernel/user_namespace.c: create_user_ns level > 32 [6.12, 7.3]',
      },
      { field: 'pidNestingLimit', value: 32, source: 'include/linux/pid_namespace.h: MAX_PID_NS_LEVEL [6.12, 7.3]' },
      {
        field: 'fixedInitInodes',
        value: ALL_FIXED,
        source: 'include/uapi/linux/nsfs.h: enum init_ns_ino (6.18 series)',
      },
      { field: 'pidReaper', value: 'work', source: 'destroy_pid_namespace_work since 6.14 [6.18.44 kallsyms, 7.3]' },
      {
        field: 'ipcCreateFlushRetry',
        value: true,
        source: 'ipc/namespace.c: create_ipc_ns flush_work retry since 6.3 [6.12, 7.3]',
      },
      {
        field: 'execEntersTimeForChildren',
        value: true,
        source: 'fs/exec.c: exec_task_namespaces since 6.2 [6.12, 7.3]',
      },
      {
        field: 'pidForChildrenBeforeInit',
        value: 'ENOENT',
        source: 'pidns_for_children_get child_reaper test [6.12; 6.18 exp]',
      },
      { field: 'activeRefs', value: false, source: 'active refs are the 6.19 listns series' },
      { field: 'fileHandles', value: true, source: 'fs/nsfs.c: nsfs_export_operations (6.18 series)' },
      { field: 'listns', value: false, source: 'listns(2) is the 6.19 series; ENOSYS [6.18 exp]' },
    ],
  },
  'linux-6.19': {
    releases: { from: '6.19', to: '7.0' },
    fields: [
      { field: 'inodes.dynamicFirst', value: 0xf0000000, source: 'fs/proc/generic.c: PROC_DYNAMIC_FIRST [7.3]' },
      {
        field: 'inodes.netInumRelease',
        value: 'final',
        source: 'net/core/net_namespace.c: cleanup_net ns_common_free after rcu_barrier [7.3]',
      },
      { field: 'nsIds', value: 'global-counter', source: 'kernel/nstree.c: __ns_tree_gen_id atomic64 counter [7.3]' },
      {
        field: 'initialLimits',
        value: ALL_TYPES_LIMIT,
        source: 'kernel/fork.c: fork_init max_threads/2 (this VM) [7.3]',
      },
      { field: 'userNestingLimit', value: 32, source: 'kernel/user_namespace.c: create_user_ns level > 32 [7.3]' },
      { field: 'pidNestingLimit', value: 32, source: 'include/linux/pid_namespace.h: MAX_PID_NS_LEVEL [7.3]' },
      { field: 'fixedInitInodes', value: ALL_FIXED, source: 'include/uapi/linux/nsfs.h: enum init_ns_ino [7.3]' },
      { field: 'pidReaper', value: 'work', source: 'kernel/pid_namespace.c: destroy_pid_namespace_work [7.3]' },
      { field: 'ipcCreateFlushRetry', value: true, source: 'ipc/namespace.c: create_ipc_ns flush_work retry [7.3]' },
      { field: 'execEntersTimeForChildren', value: true, source: 'fs/exec.c: exec_task_namespaces [7.3]' },
      {
        field: 'pidForChildrenBeforeInit',
        value: 'ENOENT',
        source: 'child_reaper test removed by a patch posted 2026-02-23, after 6.19',
      },
      { field: 'activeRefs', value: true, source: 'include/linux/ns/ns_common_types.h: __ns_ref_active [7.3]' },
      { field: 'fileHandles', value: true, source: 'fs/nsfs.c: nsfs_export_operations [7.3]' },
      { field: 'listns', value: true, source: 'kernel/nstree.c: SYSCALL_DEFINE4(listns) [7.3]' },
    ],
  },
  'linux-7.x': {
    releases: { from: '7.1', to: '7.3' },
    fields: [
      { field: 'inodes.dynamicFirst', value: 0xf0000000, source: 'fs/proc/generic.c: PROC_DYNAMIC_FIRST [7.3]' },
      {
        field: 'inodes.netInumRelease',
        value: 'final',
        source: 'net/core/net_namespace.c: cleanup_net ns_common_free after rcu_barrier [7.3]',
      },
      { field: 'nsIds', value: 'global-counter', source: 'kernel/nstree.c: __ns_tree_gen_id atomic64 counter [7.3]' },
      {
        field: 'initialLimits',
        value: ALL_TYPES_LIMIT,
        source: 'kernel/fork.c: fork_init max_threads/2 (this VM) [7.3]',
      },
      { field: 'userNestingLimit', value: 32, source: 'kernel/user_namespace.c: create_user_ns level > 32 [7.3]' },
      { field: 'pidNestingLimit', value: 32, source: 'include/linux/pid_namespace.h: MAX_PID_NS_LEVEL [7.3]' },
      { field: 'fixedInitInodes', value: ALL_FIXED, source: 'include/uapi/linux/nsfs.h: enum init_ns_ino [7.3]' },
      { field: 'pidReaper', value: 'work', source: 'kernel/pid_namespace.c: destroy_pid_namespace_work [7.3]' },
      { field: 'ipcCreateFlushRetry', value: true, source: 'ipc/namespace.c: create_ipc_ns flush_work retry [7.3]' },
      { field: 'execEntersTimeForChildren', value: true, source: 'fs/exec.c: exec_task_namespaces [7.3]' },
      {
        field: 'pidForChildrenBeforeInit',
        value: 'allowed',
        source: 'kernel/pid_namespace.c: pidns_for_children_get, no child_reaper test [7.3]',
      },
      { field: 'activeRefs', value: true, source: 'include/linux/ns/ns_common_types.h: __ns_ref_active [7.3]' },
      { field: 'fileHandles', value: true, source: 'fs/nsfs.c: nsfs_export_operations [7.3]' },
      { field: 'listns', value: true, source: 'kernel/nstree.c: SYSCALL_DEFINE4(listns) [7.3]' },
    ],
  },
};

function valueOf(p: KernelProfile, field: Expectation['field']): unknown {
  if (field === 'inodes.netInumRelease') return p.inodes.netInumRelease;
  if (field === 'inodes.dynamicFirst') return p.inodes.dynamicFirst;
  return p[field];
}

describe('kernel profiles', () => {
  it('PROFILES holds exactly the profiles this file checks', () => {
    expect(Object.keys(PROFILES).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    describe(name, () => {
      const p = PROFILES[name];
      it('is registered under its own name', () => {
        expect(p?.name).toBe(name);
      });
      it(`covers ${want.releases.from}–${want.releases.to}`, () => {
        expect(p?.releases).toEqual(want.releases);
      });
      for (const e of want.fields) {
        it(`${e.field} = ${JSON.stringify(e.value)} (${e.source})`, () => {
          expect(p).toBeDefined();
          expect(valueOf(p!, e.field)).toEqual(e.value);
        });
      }
    });
  }

  it('release ranges do not overlap', () => {
    const num = (s: string): number => {
      const [a, b] = s.split('.').map(Number);
      return (a ?? 0) * 1000 + (b ?? 0);
    };
    const ranges = Object.values(PROFILES)
      .map((p) => [num(p.releases.from), num(p.releases.to)] as const)
      .sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThan(ranges[i - 1]![1]);
  });
});

describe('profileForRelease', () => {
  it.each([
    ['6.1.192', 'linux-6.1'],
    ['6.1.176', 'linux-6.1'],
    ['6.11.0', 'linux-6.12'],
    ['6.12.117', 'linux-6.12'],
    ['6.13.12', 'linux-6.12'],
    ['6.14.1', 'linux-6.14'],
    ['6.17.9', 'linux-6.14'],
    ['6.18.44-fc', 'linux-6.18'],
    ['6.18.44-fc-v1147', 'linux-6.18'],
    ['6.19.1', 'linux-6.19'],
    ['7.0.3', 'linux-6.19'],
    ['7.1.0', 'linux-7.x'],
    ['7.3.4', 'linux-7.x'],
  ])('%s → %s', (release, name) => {
    expect(profileForRelease(release)?.name).toBe(name);
  });

  it.each([['5.15.0'], ['6.2.16'], ['6.10.14'], ['7.4.0'], ['not-a-release'], ['']])('%s → no profile', (release) => {
    expect(profileForRelease(release)).toBeNull();
  });

  it('6.10 is not read as 6.1 (minor versions compare as numbers)', () => {
    expect(profileForRelease('6.10.1')).toBeNull();
  });

  it('the default profile stays linux-6.18', () => {
    expect(DEFAULT_PROFILE.name).toBe('linux-6.18');
  });
});
