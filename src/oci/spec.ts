/**
 * The types of config.json, from the OCI runtime specification v1.2
 * (https://github.com/opencontainers/runtime-spec: config.md, config-linux.md, runtime.md).
 *
 * Field names are exactly the JSON names. Every field the specification marks OPTIONAL is optional
 * here too. Integers are plain `number`s: JSON.parse gives nothing else. A 64-bit value above
 * 2^53 (say an rlimit of 18446744073709551615) loses precision on the way in; code that passes
 * such a value to the kernel must treat it as "unlimited".
 *
 * Only the Linux parts are here: nk-runtime runs Linux containers. Windows, Solaris, z/OS and VM
 * sections may be present in a file and are ignored.
 */

/** The whole of config.json. */
export interface Spec {
  /** The version of the specification the bundle follows, e.g. "1.2.0". */
  ociVersion: string;
  /** The program the container runs. Needed for `create`; a bundle may leave it out otherwise. */
  process?: Process;
  /** The container's root filesystem. */
  root?: Root;
  /** The container's hostname, set in its own UTS namespace. */
  hostname?: string;
  /** The container's NIS domain name, set in its own UTS namespace. */
  domainname?: string;
  /** Filesystems mounted on top of the root, in order. */
  mounts?: Mount[];
  /** Programs run at points of the container's life. */
  hooks?: Hooks;
  /** Free-form metadata: keys like "org.example.key". */
  annotations?: Record<string, string>;
  /** Linux-specific settings: namespaces, cgroups, devices, ... */
  linux?: Linux;
}

/** A Spec that validateSpec accepted: it has the `process` and `root` that `create` needs. */
export type ValidatedSpec = Spec & { process: Process; root: Root };

/** The container's root filesystem. */
export interface Root {
  /** Path to the root filesystem, absolute or relative to the bundle directory. */
  path: string;
  /** Make the root filesystem read-only inside the container. */
  readonly?: boolean;
}

/** The program a container runs, and how it runs. */
export interface Process {
  /** Give the process a pseudo-terminal as its stdio. */
  terminal?: boolean;
  /** The size of that terminal, in characters. Ignored when terminal is false. */
  consoleSize?: Box;
  /** Who the process runs as. */
  user: User;
  /** The program and its arguments, like execve(2)'s argv: args[0] is the program. */
  args?: string[];
  /** The environment, as "KEY=VALUE" strings. */
  env?: string[];
  /** The working directory, an absolute path inside the container. */
  cwd: string;
  /** The capability sets the process keeps. */
  capabilities?: Capabilities;
  /** Resource limits, set with setrlimit(2). */
  rlimits?: Rlimit[];
  /** Set no_new_privs, so that execve can never grant more privileges (setuid bits, file caps). */
  noNewPrivileges?: boolean;
  /** AppArmor profile name. */
  apparmorProfile?: string;
  /** Value written to /proc/self/oom_score_adj, from -1000 to 1000. */
  oomScoreAdj?: number;
  /** Scheduling policy and priority, set with sched_setattr(2). */
  scheduler?: Scheduler;
  /** SELinux label of the process. */
  selinuxLabel?: string;
  /** I/O priority, set with ioprio_set(2). */
  ioPriority?: IOPriority;
}

/** Width and height of a terminal. */
export interface Box {
  height: number;
  width: number;
}

/** The user and groups a process runs as. */
export interface User {
  uid: number;
  gid: number;
  /** The umask of the process. */
  umask?: number;
  /** Supplementary group IDs. */
  additionalGids?: number[];
}

/** Capability names, like "CAP_KILL", in each of the five sets. man 7 capabilities */
export interface Capabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

/** One resource limit. The type names the resource the way <sys/resource.h> does. */
export interface Rlimit {
  /** "RLIMIT_NOFILE", "RLIMIT_NPROC", ... */
  type: string;
  soft: number;
  hard: number;
}

/** Scheduling attributes of a process. man 2 sched_setattr */
export interface Scheduler {
  /** "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE". */
  policy: string;
  nice?: number;
  priority?: number;
  flags?: string[];
  runtime?: number;
  deadline?: number;
  period?: number;
}

/** I/O scheduling class and priority. man 2 ioprio_set */
export interface IOPriority {
  /** "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE" or "IOPRIO_CLASS_IDLE". */
  class: string;
  priority: number;
}

/** One filesystem mounted into the container. */
export interface Mount {
  /** Where it goes: an absolute path inside the container. */
  destination: string;
  /** The filesystem type ("proc", "tmpfs", ...), or "bind"/"none" for bind mounts. */
  type?: string;
  /** A device, a directory to bind, or a name like "proc". */
  source?: string;
  /** fstab-style options: "ro", "nosuid", "mode=755", "rbind", ... */
  options?: string[];
  /** ID mappings for an idmapped mount. */
  uidMappings?: IDMapping[];
  gidMappings?: IDMapping[];
}

/** A range of user or group IDs mapped from the container to the host. */
export interface IDMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** A program run at a point of the container's life. It gets the container's State on stdin. */
export interface Hook {
  /** Absolute path of the program on the host. */
  path: string;
  /** Its argv, args[0] included. */
  args?: string[];
  /** Its environment, as "KEY=VALUE" strings. */
  env?: string[];
  /** Seconds before the hook is killed; more than zero. */
  timeout?: number;
}

/** The hook lists, one per point of the container's life, run in order. */
export interface Hooks {
  /** Deprecated: use createRuntime, createContainer and startContainer. */
  prestart?: Hook[];
  /** After the namespaces exist, before pivot_root; run in the runtime's namespaces. */
  createRuntime?: Hook[];
  /** After the namespaces exist, before pivot_root; run in the container's namespaces. */
  createContainer?: Hook[];
  /** Just before the container's program starts; run in the container's namespaces. */
  startContainer?: Hook[];
  /** After the container's program started; run in the runtime's namespaces. */
  poststart?: Hook[];
  /** After the container was deleted; run in the runtime's namespaces. */
  poststop?: Hook[];
}

/** The kinds of namespace a container can have. man 7 namespaces */
export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

/** Every NamespaceType, for checking and listing. */
export const NAMESPACE_TYPES: readonly NamespaceType[] = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'];

/** A namespace the container gets: a new one, or the existing one at `path`. */
export interface LinuxNamespace {
  type: NamespaceType;
  /** An existing namespace to join, e.g. /proc/1234/ns/net. Without it, a new one is made. */
  path?: string;
}

/** Linux-specific settings. */
export interface Linux {
  /** User namespace ID mappings. */
  uidMappings?: IDMapping[];
  gidMappings?: IDMapping[];
  /** Kernel parameters set in the container, e.g. {"net.ipv4.ip_forward": "1"}. */
  sysctl?: Record<string, string>;
  /** Cgroup limits. */
  resources?: LinuxResources;
  /** The container's cgroup, absolute or relative to the runtime's own cgroup. */
  cgroupsPath?: string;
  /** The namespaces the container gets. */
  namespaces?: LinuxNamespace[];
  /** Device nodes to create in the container's /dev. */
  devices?: LinuxDevice[];
  /** The seccomp filter. */
  seccomp?: Seccomp;
  /** Propagation of the container's root mount: "private", "rslave", ... */
  rootfsPropagation?: string;
  /** Paths hidden from the container (covered by /dev/null or an empty tmpfs). */
  maskedPaths?: string[];
  /** Paths made read-only in the container. */
  readonlyPaths?: string[];
  /** SELinux context for the container's mounts. */
  mountLabel?: string;
  /** Intel Resource Director Technology settings. */
  intelRdt?: IntelRdt;
  /** The execution domain, set with personality(2). */
  personality?: Personality;
  /** Clock offsets for a time namespace, keyed by clock name ("monotonic", "boottime"). */
  timeOffsets?: Record<string, TimeOffset>;
}

/** An offset of one clock in a time namespace. */
export interface TimeOffset {
  secs?: number;
  nanosecs?: number;
}

/** A device node to create in the container. */
export interface LinuxDevice {
  /** Where, inside the container: /dev/fuse. */
  path: string;
  /** "c" (character), "b" (block), "u" (unbuffered character) or "p" (FIFO). */
  type: string;
  major?: number;
  minor?: number;
  /** Permission bits, e.g. 438 (0666). */
  fileMode?: number;
  uid?: number;
  gid?: number;
}

/** Cgroup settings. */
export interface LinuxResources {
  /** The device allow/deny list of the devices controller. */
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIO;
  hugepageLimits?: LinuxHugepageLimit[];
  network?: LinuxNetwork;
  /** RDMA limits, keyed by device name. */
  rdma?: Record<string, LinuxRdma>;
  /** Raw cgroup v2 files and values, e.g. {"memory.high": "100M"}. */
  unified?: Record<string, string>;
}

/** One rule of the devices controller. */
export interface LinuxDeviceCgroup {
  allow: boolean;
  /** "a" (all), "b" or "c". */
  type?: string;
  major?: number;
  minor?: number;
  /** Some of "r", "w", "m". */
  access?: string;
}

/** Memory limits, in bytes; -1 means unlimited. */
export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  /** Memory plus swap. */
  swap?: number;
  /** Deprecated: kernel memory limit. */
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

/** CPU limits. Times are in microseconds. */
export interface LinuxCPU {
  /** Relative weight against other cgroups. */
  shares?: number;
  /** CPU time allowed per period; -1 means unlimited. */
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  /** CPUs the container may use, e.g. "0-3,6". */
  cpus?: string;
  /** Memory nodes the container may use. */
  mems?: string;
  /** 1 makes the cgroup SCHED_IDLE. */
  idle?: number;
}

/** Process-count limit. */
export interface LinuxPids {
  /** The most tasks the cgroup may hold; -1 means unlimited. */
  limit: number;
}

/** Block I/O weights and throttles. */
export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

/** A weight for one block device. */
export interface LinuxWeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}

/** A rate limit (bytes or operations per second) for one block device. */
export interface LinuxThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

/** A hugetlb limit for one page size. */
export interface LinuxHugepageLimit {
  /** "2MB", "1GB", ... */
  pageSize: string;
  /** Bytes. */
  limit: number;
}

/** Network class and priorities. */
export interface LinuxNetwork {
  classID?: number;
  priorities?: { name: string; priority: number }[];
}

/** RDMA limits for one device. */
export interface LinuxRdma {
  hcaHandles?: number;
  hcaObjects?: number;
}

/**
 * The seccomp filter, kept loose: nk-runtime reads defaultAction and syscalls, and leaves the
 * rest to the seccomp module.
 */
export interface Seccomp {
  /** "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", ... */
  defaultAction: string;
  defaultErrnoRet?: number;
  /** "SCMP_ARCH_X86_64", ... */
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompSyscall[];
}

/** A seccomp rule: what to do when one of these syscalls is called. */
export interface SeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
}

/** A condition on one syscall argument. */
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  /** "SCMP_CMP_EQ", "SCMP_CMP_MASKED_EQ", ... */
  op: string;
}

/** Intel RDT (cache and memory bandwidth allocation) settings. */
export interface IntelRdt {
  closID?: string;
  schemata?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  enableCMT?: boolean;
  enableMBM?: boolean;
}

/** The execution domain of the container. */
export interface Personality {
  /** "LINUX" or "LINUX32". */
  domain: string;
  flags?: string[];
}

/** The life stages of a container. runtime.md, "State"; "paused" is runc's addition (a frozen cgroup). */
export type ContainerStatus = 'creating' | 'created' | 'running' | 'stopped' | 'paused';

/** What `nk-runtime state` prints, and what hooks read on stdin. */
export interface State {
  ociVersion: string;
  id: string;
  status: ContainerStatus;
  /** The container's init process, as the host sees it. Present while created or running. */
  pid?: number;
  /** Absolute path of the bundle directory. */
  bundle: string;
  annotations?: Record<string, string>;
}
