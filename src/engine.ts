/**
 * What nk-runtime is running on. The same sources run two ways:
 *   - under Node: `bin/nk-runtime` loads the compiled files in lib/;
 *   - as one executable made by `bun build --compile` (see src/main.ts): Bun and every module,
 *     koffi's native file included, in a single file.
 */
export const isBun = typeof process.versions.bun === 'string';

/** Bun names the script of a compiled executable `/$bunfs/root/<name>`. */
export const isSingleExecutable = isBun && (process.argv[1] ?? '').startsWith('/$bunfs/');

/** The hidden first argument that makes the single executable the container's init. */
export const INIT_ARGUMENT = '__init';
