/**
 * The file calls of nk-runtime's own work: its state dir, /proc and cgroup files, the fifos, the
 * files the init reads in the rootfs. They are node:fs's calls, by the same names, and under
 * Node they are node:fs itself. Under Bun (the single executable) they are the C library's,
 * through bun:ffi (files-bun.ts): Bun's node:fs costs 1.4-1.7 ms to load, in every process, and
 * a container's lifecycle starts four; the calls themselves are the same system calls.
 *
 * Import it as node:fs is imported, `import { files as fs } from '../linux/files'`: the code
 * reads the same. Only the calls listed here exist; a command off the hot path (spec, trace,
 * update...) may use node:fs itself. test/unit/files.test.ts keeps node:fs off the hot path.
 *
 * These are not kernel steps (they are not narrated): for the calls a learner should watch,
 * the kernel layer (kernel.ts) has its own (open, mkdirAll, writeFile...).
 */
import type * as NodeFs from 'node:fs';
import { isBun } from '../engine';

export type Files = Pick<
  typeof NodeFs,
  | 'constants'
  | 'existsSync'
  | 'openSync'
  | 'closeSync'
  | 'readSync'
  | 'writeSync'
  | 'readFileSync'
  | 'writeFileSync'
  | 'appendFileSync'
  | 'mkdirSync'
  | 'rmdirSync'
  | 'unlinkSync'
  | 'renameSync'
  | 'symlinkSync'
  | 'chownSync'
  | 'readlinkSync'
  | 'statSync'
  | 'lstatSync'
  | 'statfsSync'
  | 'readdirSync'
  | 'rmSync'
>;

export const files: Files = isBun ? (require('./files-bun') as typeof import('./files-bun')).bunFiles() : (require('node:fs') as Files);
