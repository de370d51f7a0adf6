/**
 * What nk-runtime needs from a config beyond its schema, checked before anything is made, so
 * that an unsupported config fails with a reason and leaves nothing behind.
 */
import { UserError } from '../errors';
import type { Spec } from '../oci/spec';

export function checkSupported(spec: Spec): void {
  const namespaces = spec.linux?.namespaces ?? [];
  const has = (type: string) => namespaces.some((n) => n.type === type);
  const isNew = (type: string) => namespaces.some((n) => n.type === type && !n.path);

  if (!spec.process) throw new UserError('config.json: process: is required to create a container');
  if (has('user')) {
    throw new UserError(
      'config.json: linux.namespaces: user namespaces are not supported yet',
      'Node.js and Bun always run several threads, and the kernel refuses unshare(CLONE_NEWUSER) in a multi-threaded process (EINVAL, man 2 unshare); remove the "user" entry',
    );
  }
  if (has('time')) throw new UserError('config.json: linux.namespaces: time namespaces are not supported yet', 'remove the "time" entry');
  if (!isNew('mount')) {
    throw new UserError(
      'config.json: linux.namespaces: a new mount namespace is required',
      'nk-runtime builds the rootfs with mount and pivot_root, which would change the host if done in its mount namespace; add {"type": "mount"}',
    );
  }
  if (spec.hostname !== undefined && !isNew('uts')) {
    throw new UserError('config.json: hostname: setting a hostname needs a new UTS namespace', 'add {"type": "uts"} to linux.namespaces, or remove hostname');
  }
}
