/**
 * The config's hooks: programs run at fixed points of a container's life, each reading the
 * container's state (JSON) on stdin. OCI runtime-spec, config.md "Hooks" and runtime.md
 * "Lifecycle". Where each point is, and who runs it:
 *
 *   prestart, createRuntime  create, after the namespaces and mounts, before pivot_root;
 *                            the runtime runs them, in the host's namespaces (create.ts)
 *   createContainer          right after, in the container's namespaces: the init runs them
 *                            (their path is still the host's: pivot_root has not happened)
 *   startContainer           start, just before the program, inside the container (the init)
 *   poststart                start, once the program runs: the runtime (start.ts)
 *   poststop                 delete, once the container is gone: the runtime (delete.ts)
 *
 * A hook that fails before the program starts fails the command; poststart and poststop
 * failures are warnings, as the spec says.
 */
import { UserError } from '../errors';
import type { Kernel } from '../linux/kernel';
import type { Hook, Hooks, State } from '../oci/spec';
import type { SavedState } from './state-store';

export type HookPoint = keyof Hooks;

const WHERE: Record<HookPoint, string> = {
  prestart: 'A prestart hook (the old name of createRuntime): after the namespaces exist, before pivot_root, in the host\'s namespaces.',
  createRuntime: 'A createRuntime hook: after the namespaces exist, before pivot_root, in the host\'s namespaces.',
  createContainer: 'A createContainer hook: run by the init, in the container\'s namespaces, before pivot_root.',
  startContainer: 'A startContainer hook: run by the init inside the container, just before the program.',
  poststart: 'A poststart hook: the program runs now.',
  poststop: 'A poststop hook: the container is gone.',
};

/**
 * Run the hooks of one point, in order. `warn` given: a failure is reported there and the rest
 * still run (poststart, poststop); without it a failure throws.
 */
export function runHooks(k: Kernel, point: HookPoint, hooks: Hook[] | undefined, state: State, warn?: (message: string) => void): void {
  (hooks ?? []).forEach((hook, i) => {
    const field = `hooks.${point}[${i}]`;
    let failure: string | undefined;
    try {
      const r = k.because(field, WHERE[point]).runToEnd({
        file: hook.path,
        argv: hook.args?.length ? hook.args : [hook.path],
        env: hook.env ?? [],
        input: JSON.stringify(state),
        timeoutMs: hook.timeout ? hook.timeout * 1000 : undefined,
      });
      if (r.timedOut) failure = `did not finish within its timeout of ${hook.timeout} s`;
      else if (r.signal) failure = `was killed by ${r.signal}`;
      else if (r.status !== 0) failure = `exited with code ${r.status}`;
      const said = r.output.trim().split('\n').pop();
      if (failure && said) failure += `: ${said}`;
    } catch (err) {
      failure = `could not be run: ${(err as { code?: string }).code ?? (err as Error).message}`;
    }
    if (!failure) return;
    const message = `config.json: ${field}: ${hook.path} ${failure}`;
    if (!warn) throw new UserError(message, 'the hook is the config\'s own program: check it, or remove it from config.json');
    warn(message);
  });
}

/** The state a hook reads, from what the state store keeps. */
export function hookState(saved: SavedState, status: State['status']): State {
  return {
    ociVersion: saved.ociVersion,
    id: saved.id,
    status,
    ...(status === 'stopped' ? {} : { pid: saved.pid }),
    bundle: saved.bundle,
    ...(saved.annotations ? { annotations: saved.annotations } : {}),
  };
}

/** Does the config have hooks the runtime must run during create (so the init must pause)? */
export function hasRuntimeHooks(hooks: Hooks | undefined): boolean {
  return (hooks?.prestart?.length ?? 0) + (hooks?.createRuntime?.length ?? 0) > 0;
}
