import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/cli/root.ts';
import { probeAvailable, runProbe } from '../../src/probe/driver.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { evaluateExpectations } from '../../src/trace/expectations.ts';
import { parseTrace } from '../../src/trace/read.ts';
import type { Trace } from '../../src/trace/format.ts';
import { IrBuilder, atPath, fd, heldAfter, obsOf, proc, stepOf } from './ir.ts';
import { expectBoundedRefs } from './traceChecks.ts';

// Every scenario operation on the live kernel, each with the kernel fact it shows (6.18 here;
// see KERNEL-RULES.md). Live files run one at a time (vitest.config.ts), and the probe
// serialises itself with a lock file.
const available = probeAvailable();

async function run(b: IrBuilder): Promise<Trace> {
  const trace = parseTrace(await runProbe(b.build(), { tracefs: false }), `<probe ${b.name}>`);
  expect(trace.complete, JSON.stringify(trace.end)).toBe(true);
  expect(trace.steps.map((s) => s.index)).toEqual(b.steps.map((_, i) => i));
  expectBoundedRefs(trace);
  return trace;
}

const errnoOf = (t: Trace, b: IrBuilder, label: string): string | null => stepOf(t, b, label).errno;

describe.skipIf(!available.ok)(
  `probe operations on the live kernel${available.ok ? '' : ` (skipped: ${available.why})`}`,
  () => {
    it('header: listns is missing on 6.18 (ENOSYS), the sandbox user namespace limits are recorded', async () => {
      const b = new IrBuilder('header').read('main', 'user');
      const t = await run(b);
      const h = t.header;
      expect(h.capabilities.listns).toBe(false);
      expect(h.missing).toContain('listns: syscall 470 returned ENOSYS (listns arrived in Linux 6.19)');
      // A new user namespace starts with every ucount limit at INT_MAX (kernel/user_namespace.c:
      // create_user_ns); the parents' limits still apply.
      expect(h.limits).toEqual({
        user: 2147483647,
        pid: 2147483647,
        net: 2147483647,
        mnt: 2147483647,
        uts: 2147483647,
        ipc: 2147483647,
        cgroup: 2147483647,
        time: 2147483647,
      });
    });

    it('open: an nsfs fd keeps a netns after its task moves on; close releases it', async () => {
      const b = new IrBuilder('fd')
        .unshare('main', ['user'])
        .unshare('main', ['net'])
        .read('main', 'net', 'n1')
        .mark('n1')
        .open('main', proc('main', 'net'), 'f')
        .mark('open')
        .unshare('main', ['net'])
        .mark('moved')
        .close('main', 'f')
        .mark('closed')
        .close('main', 'f')
        .mark('again');
      const t = await run(b);
      const n1 = obsOf(t, b, 'n1');
      expect(obsOf(t, b, 'open').id).toBe(n1.id);
      expect(heldAfter(t, b, 'moved', n1.id)).toBe(true);
      expect(heldAfter(t, b, 'closed', n1.id)).toBe(false); // synchronous put at close
      expect(errnoOf(t, b, 'again')).toBe('EBADF');
    });

    it('socket: a UDP socket keeps its netns; closing it releases the netns', async () => {
      const b = new IrBuilder('socket')
        .unshare('main', ['user'])
        .unshare('main', ['net'])
        .read('main', 'net', 'n1')
        .mark('n1')
        .socket('main', 's')
        .unshare('main', ['net'])
        .mark('moved')
        .close('main', 's')
        .mark('closed');
      const t = await run(b);
      const n1 = obsOf(t, b, 'n1');
      expect(heldAfter(t, b, 'moved', n1.id)).toBe(true);
      expect(heldAfter(t, b, 'closed', n1.id)).toBe(false);
    });

    it('bind/umount: a bind mount keeps a netns until umount; open by path and bind of an fd work', async () => {
      const b = new IrBuilder('bind')
        .unshare('main', ['user', 'mnt'])
        .unshare('main', ['net'])
        .read('main', 'net', 'n1')
        .mark('n1')
        .bind('main', proc('main', 'net'), '/run/netns/a')
        .mark('bound')
        .unshare('main', ['net'])
        .read('main', 'net', 'n2')
        .mark('n2')
        .open('main', proc('main', 'net'), 'f2', true)
        .bind('main', fd('f2'), '/run/netns/b')
        .mark('bound-fd')
        .close('main', 'f2')
        .unshare('main', ['net'])
        .mark('moved')
        .open('main', atPath('/run/netns/a'), 'pa')
        .mark('open-path')
        .close('main', 'pa')
        .umount('main', '/run/netns/a')
        .mark('umounted')
        .umount('main', '/run/netns/b', true)
        .mark('lazy')
        .umount('main', '/run/netns/b')
        .mark('again');
      const t = await run(b);
      const n1 = obsOf(t, b, 'n1');
      const n2 = obsOf(t, b, 'n2');
      expect(obsOf(t, b, 'bound').id).toBe(n1.id);
      expect(obsOf(t, b, 'bound-fd').id).toBe(n2.id);
      expect(obsOf(t, b, 'open-path').id).toBe(n1.id);
      expect(heldAfter(t, b, 'moved', n1.id)).toBe(true);
      expect(heldAfter(t, b, 'moved', n2.id)).toBe(true); // the fd is closed: the mount holds it
      expect(heldAfter(t, b, 'umounted', n1.id)).toBe(false);
      expect(heldAfter(t, b, 'umounted', n2.id)).toBe(true);
      expect(errnoOf(t, b, 'lazy')).toBe(null);
      expect(heldAfter(t, b, 'lazy', n2.id)).toBe(false); // nothing else uses the mount
      expect(errnoOf(t, b, 'again')).toBe('EINVAL'); // not a mount point any more
    });

    it('bind: a bind mount copied into a new mount namespace keeps the netns until that namespace dies', async () => {
      const b = new IrBuilder('bind-copy')
        .unshare('main', ['user', 'mnt'])
        .unshare('main', ['net'])
        .read('main', 'net', 'n1')
        .mark('n1')
        .bind('main', proc('main', 'net'), '/run/netns/a')
        .fork('main', 'c', ['mnt'])
        .umount('main', '/run/netns/a')
        .unshare('main', ['net'])
        .mark('moved')
        .open('c', atPath('/run/netns/a'), 'f')
        .mark('seen-by-child')
        .close('c', 'f')
        .exit('c')
        .mark('exited');
      const t = await run(b);
      const n1 = obsOf(t, b, 'n1');
      expect(heldAfter(t, b, 'moved', n1.id)).toBe(true); // the child's copy of the mount
      expect(obsOf(t, b, 'seen-by-child').id).toBe(n1.id);
      // the child's mount namespace dies with it (its zombie holds no nsproxy) and drops its mounts
      expect(heldAfter(t, b, 'exited', n1.id)).toBe(false);
    });

    it('fork/exit: a child task keeps the netns it shares', async () => {
      const b = new IrBuilder('child')
        .unshare('main', ['user'])
        .unshare('main', ['net'])
        .read('main', 'net', 'n1')
        .mark('n1')
        .fork('main', 'c')
        .mark('fork')
        .unshare('main', ['net'])
        .mark('moved')
        .read('c', 'net', 'cn')
        .mark('cn')
        .exit('c')
        .mark('exited')
        .read('c', 'net')
        .mark('dead');
      const t = await run(b);
      const n1 = obsOf(t, b, 'n1');
      expect(stepOf(t, b, 'fork').ns).toEqual([]); // no new namespace
      expect(obsOf(t, b, 'cn').id).toBe(n1.id);
      expect(heldAfter(t, b, 'moved', n1.id)).toBe(true);
      expect(heldAfter(t, b, 'exited', n1.id)).toBe(false);
      expect(errnoOf(t, b, 'dead')).toBe('ESRCH');
    });

    it('wait: a zombie keeps its user namespace until it is reaped; EAGAIN before it exits, ECHILD after', async () => {
      const b = new IrBuilder('zombie', ['main', 'other'])
        .fork('main', 'c', ['user'])
        .mark('fork')
        .wait('main', 'c')
        .mark('early')
        .read('c', 'net', 'cn')
        .exit('c')
        .mark('exited')
        .sleep(200)
        .mark('zombie')
        .wait('main', 'c')
        .mark('reaped')
        .sleep(300)
        .mark('later')
        .wait('main', 'c')
        .mark('again')
        .wait('main', 'other')
        .mark('not-a-child');
      const t = await run(b);
      const cu = obsOf(t, b, 'fork');
      expect(cu.type).toBe('user');
      expect(errnoOf(t, b, 'early')).toBe('EAGAIN');
      expect(heldAfter(t, b, 'exited', cu.id)).toBe(true);
      expect(heldAfter(t, b, 'zombie', cu.id)).toBe(true); // the zombie's creds
      expect(errnoOf(t, b, 'reaped')).toBe(null);
      expect(heldAfter(t, b, 'later', cu.id)).toBe(false); // put_cred_rcu, then free_user_ns
      expect(errnoOf(t, b, 'again')).toBe('ECHILD');
      expect(errnoOf(t, b, 'not-a-child')).toBe('ECHILD'); // a sibling (both are the sandbox's)
    });

    it('pidfd: a pidfd keeps a reaped task pid namespace held, not its netns', async () => {
      const b = new IrBuilder('pidfd')
        .unshare('main', ['user'])
        .fork('main', 'c', ['pid', 'net'], 'pfd')
        .mark('fork')
        .pidfd('main', 'c', 'p2')
        .mark('pidfd')
        .read('c', 'pid', 'cp')
        .mark('cp')
        .read('c', 'net', 'cn')
        .mark('cn')
        .exit('c')
        .wait('main', 'c')
        .sleep(300)
        .mark('reaped')
        .close('main', 'pfd')
        .close('main', 'p2')
        .sleep(300)
        .mark('closed')
        .pidfd('main', 'c', 'p3')
        .mark('gone');
      const t = await run(b);
      const cp = obsOf(t, b, 'cp');
      const cn = obsOf(t, b, 'cn');
      expect(stepOf(t, b, 'fork').ns.map((o) => o.id)).toEqual([cp.id, cn.id]);
      expect(errnoOf(t, b, 'pidfd')).toBe(null);
      expect(heldAfter(t, b, 'reaped', cp.id)).toBe(true); // struct pid -> pid namespace
      expect(heldAfter(t, b, 'reaped', cn.id)).toBe(false);
      expect(heldAfter(t, b, 'closed', cp.id)).toBe(false);
      expect(errnoOf(t, b, 'gone')).toBe('ESRCH');
    });

    it('exec: drops O_CLOEXEC nsfs fds, keeps the others under their names', async () => {
      const b = new IrBuilder('exec')
        .unshare('main', ['user'])
        .unshare('main', ['net'])
        .read('main', 'net', 'n1')
        .mark('n1')
        .open('main', proc('main', 'net'), 'a', true)
        .unshare('main', ['net'])
        .read('main', 'net', 'n2')
        .mark('n2')
        .open('main', proc('main', 'net'), 'b')
        .unshare('main', ['net'])
        .mark('moved')
        .exec('main')
        .mark('exec')
        .close('main', 'a')
        .mark('close-a')
        .close('main', 'b')
        .mark('close-b');
      const t = await run(b);
      const n1 = obsOf(t, b, 'n1');
      const n2 = obsOf(t, b, 'n2');
      expect([heldAfter(t, b, 'moved', n1.id), heldAfter(t, b, 'moved', n2.id)]).toEqual([true, true]);
      expect(errnoOf(t, b, 'exec')).toBe(null);
      expect([heldAfter(t, b, 'exec', n1.id), heldAfter(t, b, 'exec', n2.id)]).toEqual([false, true]);
      expect(errnoOf(t, b, 'close-a')).toBe('EBADF');
      expect(errnoOf(t, b, 'close-b')).toBe(null);
      expect(heldAfter(t, b, 'close-b', n2.id)).toBe(false);
    });

    it('setns: through an fd after every other holder is gone', async () => {
      const b = new IrBuilder('setns')
        .unshare('main', ['user'])
        .fork('main', 'c', ['net'])
        .mark('fork')
        .open('main', proc('c', 'net'), 'f')
        .exit('c')
        .wait('main', 'c')
        .sleep(100)
        .mark('alone')
        .setns('main', 'f', ['uts'])
        .mark('wrong-type')
        .setns('main', 'f', ['net'])
        .mark('setns')
        .read('main', 'net')
        .mark('after');
      const t = await run(b);
      const cn = obsOf(t, b, 'fork');
      expect(heldAfter(t, b, 'alone', cn.id)).toBe(true);
      expect(errnoOf(t, b, 'wrong-type')).toBe('EINVAL');
      expect(errnoOf(t, b, 'setns')).toBe(null);
      expect(obsOf(t, b, 'setns').id).toBe(cn.id);
      expect(obsOf(t, b, 'after').id).toBe(cn.id);
      // the netns the task entered still has its /proc/net entries: its own walk shows them
      expect(obsOf(t, b, 'after').proc).toEqual(cn.proc);
    });

    it('setns: a pidfd with several namespace flags', async () => {
      const b = new IrBuilder('setns-pidfd')
        .unshare('main', ['user'])
        .fork('main', 'c', ['net', 'uts'], 'pfd')
        .mark('fork')
        .setns('main', 'pfd', ['net', 'uts'])
        .mark('setns')
        .read('main', 'net')
        .mark('net')
        .read('main', 'uts')
        .mark('uts');
      const t = await run(b);
      const [cn, cu] = stepOf(t, b, 'fork').ns;
      expect(errnoOf(t, b, 'setns')).toBe(null);
      expect(stepOf(t, b, 'setns').ns).toEqual([]); // a pidfd is not an nsfs file
      expect([obsOf(t, b, 'net').id, obsOf(t, b, 'uts').id]).toEqual([cn!.id, cu!.id]);
    });

    it('pid namespaces: pid_for_children is ENOENT before the first child, a second unshare is EINVAL, fork after its init died is ENOMEM', async () => {
      const b = new IrBuilder('pidns')
        .unshare('main', ['user'])
        .unshare('main', ['pid'])
        .mark('unshare')
        .read('main', 'pid_for_children')
        .mark('pfc-early')
        .unshare('main', ['pid'])
        .mark('twice')
        .fork('main', 'init')
        .mark('init')
        .read('init', 'pid')
        .mark('init-pid')
        .read('main', 'pid_for_children')
        .mark('pfc')
        .exit('init')
        .fork('main', 'late')
        .mark('late')
        .read('late', 'pid')
        .mark('late-read');
      const t = await run(b);
      expect(stepOf(t, b, 'unshare').ns).toEqual([]); // the caller stays in its pid namespace
      expect(errnoOf(t, b, 'pfc-early')).toBe('ENOENT');
      expect(errnoOf(t, b, 'twice')).toBe('EINVAL');
      expect(errnoOf(t, b, 'init')).toBe(null);
      expect(obsOf(t, b, 'pfc').id).toBe(obsOf(t, b, 'init-pid').id);
      expect(errnoOf(t, b, 'late')).toBe('ENOMEM');
      expect(errnoOf(t, b, 'late-read')).toBe('ESRCH'); // never born
    });

    it('thread: a thread task runs its own steps; setns to a time namespace while multithreaded is EUSERS', async () => {
      const b = new IrBuilder('thread')
        .unshare('main', ['user'])
        .read('main', 'net', 'orig')
        .mark('orig')
        .unshare('main', ['time'])
        .mark('time')
        .open('main', proc('main', 'time_for_children'), 't')
        .thread('main', 'th')
        .mark('thread')
        .unshare('th', ['net'])
        .mark('th-net')
        .read('th', 'net')
        .mark('th-read')
        .read('main', 'net')
        .mark('main-read')
        .setns('main', 't', ['time'])
        .mark('mt')
        .unshare('main', ['user'])
        .mark('mt-user')
        .exit('th')
        .mark('th-exit')
        .read('th', 'net')
        .mark('th-dead')
        .setns('main', 't', ['time'])
        .mark('st');
      const t = await run(b);
      expect(errnoOf(t, b, 'thread')).toBe(null);
      expect(stepOf(t, b, 'time').ns.map((o) => o.type)).toEqual(['time']); // time_for_children
      const thNet = obsOf(t, b, 'th-net');
      expect(obsOf(t, b, 'th-read').id).toBe(thNet.id);
      expect(thNet.id).not.toBe(obsOf(t, b, 'orig').id);
      expect(obsOf(t, b, 'main-read').id).toBe(obsOf(t, b, 'orig').id);
      expect(errnoOf(t, b, 'mt')).toBe('EUSERS');
      expect(errnoOf(t, b, 'mt-user')).toBe('EINVAL'); // unshare(CLONE_NEWUSER) in a multithreaded process
      expect(heldAfter(t, b, 'th-exit', thNet.id)).toBe(false); // the thread's own nsproxy
      expect(errnoOf(t, b, 'th-dead')).toBe('ESRCH');
      expect(errnoOf(t, b, 'st')).toBe(null); // single-threaded again
      expect(obsOf(t, b, 'st').id).toBe(stepOf(t, b, 'time').ns[0]!.id);
    });

    it('exec: the other threads of the process die; the caller goes on under its name', async () => {
      const b = new IrBuilder('exec-thread')
        .thread('main', 'th')
        .exec('th')
        .mark('exec')
        .read('main', 'net')
        .mark('main-dead')
        .read('th', 'net')
        .mark('th-alive');
      const t = await run(b);
      expect(errnoOf(t, b, 'exec')).toBe(null);
      expect(errnoOf(t, b, 'main-dead')).toBe('ESRCH');
      expect(errnoOf(t, b, 'th-alive')).toBe(null);
    });

    it('ioctl: NS_GET_USERNS and NS_GET_PARENT open the owner and the parent', async () => {
      const b = new IrBuilder('ioctl')
        .unshare('main', ['user'])
        .read('main', 'user', 'mu')
        .mark('mu')
        .fork('main', 'c', ['user', 'net'])
        .mark('fork')
        .open('main', proc('c', 'net'), 'cn')
        .ioctl('main', 'cn', 'get-userns', 'owner')
        .mark('owner')
        .ioctl('main', 'owner', 'get-parent', 'parent')
        .mark('parent')
        .ioctl('main', 'cn', 'get-parent', 'bad')
        .mark('bad');
      const t = await run(b);
      const [cu] = stepOf(t, b, 'fork').ns;
      expect(obsOf(t, b, 'owner').id).toBe(cu!.id);
      expect(obsOf(t, b, 'parent').id).toBe(obsOf(t, b, 'mu').id);
      expect(errnoOf(t, b, 'bad')).toBe('EINVAL'); // a netns has no parent
    });

    it('shmat/shmdt: an attached segment keeps its ipc namespace', async () => {
      const b = new IrBuilder('shm')
        .unshare('main', ['user'])
        .unshare('main', ['ipc'])
        .read('main', 'ipc', 'i1')
        .mark('i1')
        .shmat('main', 'seg')
        .unshare('main', ['ipc'])
        .mark('moved')
        .shmdt('main', 'seg')
        .mark('detached')
        .shmdt('main', 'seg')
        .mark('again');
      const t = await run(b);
      const i1 = obsOf(t, b, 'i1');
      expect(heldAfter(t, b, 'moved', i1.id)).toBe(true);
      expect(heldAfter(t, b, 'detached', i1.id)).toBe(false);
      expect(errnoOf(t, b, 'again')).toBe('EINVAL');
    });

    it('mount-proc: refused outside a pid namespace owned by the caller, allowed in one', async () => {
      const b = new IrBuilder('mount-proc')
        .unshare('main', ['user', 'mnt'])
        .mountProc('main', '/p')
        .mark('host-pidns')
        .unshare('main', ['pid'])
        .fork('main', 'c', ['mnt'])
        .mountProc('c', '/p')
        .mark('own-pidns');
      const t = await run(b);
      expect(errnoOf(t, b, 'host-pidns')).toBe('EPERM');
      expect(errnoOf(t, b, 'own-pidns')).toBe(null);
    });

    it('set-limit: max_net_namespaces in the task user namespace; ENOSPC while a dead netns is still charged', async () => {
      const b = new IrBuilder('limit')
        .unshare('main', ['user'])
        .setLimit('main', 'net', 2)
        .mark('set')
        .unshare('main', ['net'])
        .unshare('main', ['net'])
        .mark('second')
        .unshare('main', ['net'])
        .mark('fast')
        .sleep(300)
        .unshare('main', ['net'])
        .mark('slow');
      const t = await run(b);
      expect(errnoOf(t, b, 'set')).toBe(null);
      expect(errnoOf(t, b, 'second')).toBe(null);
      expect(errnoOf(t, b, 'fast')).toBe('ENOSPC'); // the first netns waits for cleanup_net
      expect(errnoOf(t, b, 'slow')).toBe(null);
    });

    it('fork: all eight types at once (clone3); the kernel makes them in create_new_namespaces order; exec enters time_for_children', async () => {
      const all = ['user', 'pid', 'net', 'mnt', 'uts', 'ipc', 'cgroup', 'time'] as const;
      const b = new IrBuilder('fork-all')
        .fork('main', 'c', [...all])
        .mark('fork')
        .unshare('main', ['time'])
        .mark('unshare-time')
        .read('main', 'time')
        .mark('before')
        .exec('main')
        .read('main', 'time')
        .mark('after');
      const t = await run(b);
      const made = stepOf(t, b, 'fork').ns;
      expect(made.map((o) => o.type)).toEqual([...all]);
      const inode = (type: string): number => made.find((o) => o.type === type)!.inode;
      // copy_creds (user) first, then create_new_namespaces: mnt, uts, ipc, pid, cgroup, net, time
      const order = ['user', 'mnt', 'uts', 'ipc', 'pid', 'cgroup', 'net', 'time'].map(inode);
      expect(order).toEqual([...order].sort((x, y) => x - y));
      const tfc = obsOf(t, b, 'unshare-time');
      expect(obsOf(t, b, 'before').id).not.toBe(tfc.id); // unshare(CLONE_NEWTIME): children only
      expect(obsOf(t, b, 'after').id).toBe(tfc.id); // ... and the caller after execve (exec_task_namespaces)
    });

    it('next-inode: the lowest free proc inode number is what the next namespace gets', async () => {
      const b = new IrBuilder('next')
        .unshare('main', ['user'])
        .nextInode('free')
        .mark('next')
        .unshare('main', ['uts'])
        .mark('uts')
        .nextInode()
        .mark('next2');
      const t = await run(b);
      const next = stepOf(t, b, 'next').next;
      expect(typeof next).toBe('number');
      expect(obsOf(t, b, 'uts').inode).toBe(next);
      expect(stepOf(t, b, 'next2').next).toBeGreaterThan(next!);
    });
  },
);

const CATALOG = 'test/fixtures/scenarios';
const catalog = readdirSync(join(PACKAGE_ROOT, CATALOG)).filter((f) => f.endsWith('.nsl'));

describe.skipIf(!available.ok)(
  `catalog scenarios on the live kernel${available.ok ? '' : ` (skipped: ${available.why})`}`,
  () => {
    it.each(catalog)('%s: every expectation holds', async (f) => {
      const s = parseScenario(readFileSync(join(PACKAGE_ROOT, CATALOG, f), 'utf8'), `${CATALOG}/${f}`);
      const trace = parseTrace(await runProbe(s, { tracefs: false }), `<probe ${f}>`);
      expect(trace.complete).toBe(true);
      for (const r of evaluateExpectations(s, trace)) expect(r.status, `${r.text}: ${r.detail}`).toBe('pass');
      expectBoundedRefs(trace);
    });
  },
);
