/**
 * The eight namespace types, in the kernel's `CLONE_NEW*` vocabulary.
 *
 * @remarks Since 0.1.0
 * @public
 */
export const NS_TYPES = ['user', 'pid', 'net', 'mnt', 'uts', 'ipc', 'cgroup', 'time'] as const;

/** @public */
export type NsType = (typeof NS_TYPES)[number];

/** @public */
export function isNsType(s: string): s is NsType {
  return (NS_TYPES as readonly string[]).includes(s);
}

/**
 * Fixed inode numbers of the initial namespaces (include/uapi/linux/nsfs.h: enum init_ns_ino;
 * NET and MNT are fixed since 6.18, dynamic before).
 *
 * @public
 */
export const INIT_INODE: Readonly<Record<NsType, number>> = {
  ipc: 0xefffffff,
  uts: 0xeffffffe,
  user: 0xeffffffd,
  pid: 0xeffffffc,
  cgroup: 0xeffffffb,
  time: 0xeffffffa,
  net: 0xeffffff9,
  mnt: 0xeffffff8,
};
