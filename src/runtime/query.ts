/** `nk-runtime state` and `nk-runtime list`: read-only views of the state store. */
import type { RuntimeContext } from './context';
import { deriveStatus, type Status } from './status';

/** The OCI state of a container (runtime-spec "State"), with runc's extra fields. */
export interface OciState {
  ociVersion: string;
  id: string;
  status: Status;
  pid: number;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
}

export function containerState(ctx: RuntimeContext, id: string): OciState {
  const container = ctx.store.existing(id); // checks the ID too
  const saved = container.readState();
  const status = deriveStatus(container, saved);
  return {
    ociVersion: saved.ociVersion,
    id: saved.id,
    status,
    // As runc: the pid of a stopped container is 0, since the number may belong to another process now.
    pid: status === 'stopped' ? 0 : (saved.pid ?? 0),
    bundle: saved.bundle,
    rootfs: saved.rootfs,
    created: saved.created,
    ...(saved.annotations ? { annotations: saved.annotations } : {}),
  };
}

export function listContainers(ctx: RuntimeContext): OciState[] {
  const states: OciState[] = [];
  for (const id of ctx.store.ids()) {
    try {
      states.push(containerState(ctx, id));
    } catch {
      // removed while we listed
    }
  }
  return states;
}
