/**
 * A kernel that changes nothing: it records every call and answers as Linux would when the call
 * works, or fails with the errno a test asks for. Unit tests use it to walk code that would need
 * root, and to assert which calls were made, in which order.
 */
import { POLL } from './constants';
import { formatCall } from './format';
import { KERNEL_CALLS, KernelError, type Child, type ChildExit, type KernelCall, type KernelOps } from './kernel';

export interface FakeCall {
  call: KernelCall;
  args: unknown[];
  text: string;
}

export class FakeKernel {
  readonly calls: FakeCall[] = [];
  private failures = new Map<KernelCall, { code: string; when?: (args: unknown[]) => boolean }>();
  private nextFd = 10;
  private nextPid = 4000;
  private mask = 0o022;

  /** Make `call` fail with `code` (for example 'EPERM'), optionally only for some arguments. */
  failWith(call: KernelCall, code: string, when?: (args: unknown[]) => boolean): this {
    this.failures.set(call, { code, when });
    return this;
  }

  /** The recorded calls as text, one per line: handy in assertions. */
  get texts(): string[] {
    return this.calls.map((c) => c.text);
  }

  /** The KernelOps view of this fake. */
  get ops(): KernelOps {
    const ops = {} as Record<KernelCall, (...args: unknown[]) => unknown>;
    for (const call of KERNEL_CALLS) ops[call] = (...args: unknown[]) => this.record(call, args);
    return ops as unknown as KernelOps;
  }

  private record(call: KernelCall, args: unknown[]): unknown {
    const text = formatCall(call, args);
    this.calls.push({ call, args, text });
    const failure = this.failures.get(call);
    if (failure && (!failure.when || failure.when(args))) throw new KernelError(call, failure.code, text);
    switch (call) {
      case 'open':
      case 'openat2':
        return this.nextFd++;
      case 'socketpair':
        return [this.nextFd++, this.nextFd++];
      case 'connectUnix':
      case 'receiveFd':
      case 'bpfProgLoad':
      case 'bpfProgGetFdById':
        return this.nextFd++;
      case 'bpfProgQuery':
        // a new cgroup: no program attached
        return [];
      case 'ptyNumber':
        return 0;
      case 'poll':
        // the other end has written
        return POLL.IN;
      case 'capget':
        // root's full set, as the init holds it
        return (1n << 41n) - 1n;
      case 'runToEnd':
        return { status: 0, signal: null, timedOut: false, output: '' };
      case 'umask': {
        const previous = this.mask;
        this.mask = args[0] as number;
        return previous;
      }
      case 'spawn':
        return fakeChild(this.nextPid++);
      case 'adoptChild':
        return fakeChild(args[0] as number);
      case 'execve':
        // A real execve never returns; the fake ends the walk here with a recognisable error.
        throw new FakeExecveError(text);
      default:
        return undefined;
    }
  }
}

/** Thrown by the fake execve: the point where a real container's program would have started. */
export class FakeExecveError extends Error {
  constructor(readonly text: string) {
    super(`fake execve: ${text}`);
  }
}

/** Nothing was started: a child that has already ended, well. */
function fakeChild(pid: number): Child {
  const exit: ChildExit = { code: 0, signal: null };
  return { pid, exited: Promise.resolve(exit), hasExited: true, ref() {}, unref() {} };
}
