import * as fs from 'node:fs';
import type { Argv } from 'yargs';
import { UserError } from '../../errors';
import type { LinuxResources } from '../../linux/cgroups';
import { update } from '../../runtime/update';
import { requireRoot, runCommand } from '../report';
import { contextFor, withId, type Args } from './options';

/** The flags of runc's update, and where each value goes in LinuxResources. */
const FLAGS: Record<string, { group: keyof LinuxResources; key: string; bytes?: boolean; text?: boolean; describe: string }> = {
  memory: { group: 'memory', key: 'limit', bytes: true, describe: 'memory limit in bytes (k, m, g suffixes; -1: none)' },
  'memory-reservation': { group: 'memory', key: 'reservation', bytes: true, describe: 'memory soft limit' },
  'memory-swap': { group: 'memory', key: 'swap', bytes: true, describe: 'memory plus swap limit (-1: none)' },
  'cpu-shares': { group: 'cpu', key: 'shares', describe: 'CPU shares (relative weight)' },
  'cpu-quota': { group: 'cpu', key: 'quota', describe: 'CPU time (µs) per period; -1: none' },
  'cpu-period': { group: 'cpu', key: 'period', describe: 'CPU CFS period (µs)' },
  'cpu-rt-runtime': { group: 'cpu', key: 'realtimeRuntime', describe: 'realtime runtime (µs) per realtime period' },
  'cpu-rt-period': { group: 'cpu', key: 'realtimePeriod', describe: 'realtime period (µs)' },
  'cpuset-cpus': { group: 'cpu', key: 'cpus', text: true, describe: 'CPUs allowed: 0-3,6' },
  'cpuset-mems': { group: 'cpu', key: 'mems', text: true, describe: 'memory nodes allowed: 0-1' },
  'pids-limit': { group: 'pids', key: 'limit', describe: 'most processes and threads (-1: none)' },
  'blkio-weight': { group: 'blockIO', key: 'weight', describe: 'block I/O weight (10-1000)' },
};

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "512m" -> 536870912, as runc (units.RAMInBytes: binary units); "-1" stays -1. */
export function parseBytes(flag: string, value: string): number {
  const match = /^(-1|\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(String(value).trim());
  if (!match) throw new UserError(`--${flag} ${value}: not a size`, 'a number of bytes, optionally with k, m, g or t: 512m');
  return match[1] === '-1' ? -1 : Math.floor(Number(match[1]) * UNITS[match[2].toLowerCase()]);
}

function parseInteger(flag: string, value: string): number {
  if (!/^-?\d+$/.test(String(value).trim())) throw new UserError(`--${flag} ${value}: must be a whole number`);
  return Number(value);
}

/** --resources FILE (or - for stdin), then the flags on top of it. */
export function changesFrom(args: Record<string, unknown>, readStdin = () => fs.readFileSync(0, 'utf8')): LinuxResources {
  let changes: Record<string, Record<string, unknown>> = {};
  const source = args.resources as string | undefined;
  if (source !== undefined) {
    const text = source === '-' ? readStdin() : fs.readFileSync(source, 'utf8');
    try {
      changes = JSON.parse(text);
    } catch (err) {
      throw new UserError(`--resources ${source}: not valid JSON: ${(err as Error).message}`, 'give a LinuxResources object: {"memory": {"limit": 104857600}}');
    }
    if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
      throw new UserError(`--resources ${source}: must be a JSON object (the runtime-spec's LinuxResources)`);
    }
  }
  for (const [flag, { group, key, bytes, text }] of Object.entries(FLAGS)) {
    const value = args[flag];
    if (value === undefined) continue;
    const parsed = text ? String(value) : bytes ? parseBytes(flag, String(value)) : parseInteger(flag, String(value));
    changes[group] = { ...(changes[group] ?? {}), [key]: parsed };
  }
  return changes as LinuxResources;
}

export const updateCommand = {
  command: 'update <container-id>',
  describe: 'change the resource limits of a container (its cgroup)',
  builder: (y: Argv) => {
    let built = withId(y).option('resources', { alias: 'r', type: 'string', describe: 'a LinuxResources JSON file; - reads it from stdin' });
    for (const [flag, { describe }] of Object.entries(FLAGS)) built = built.option(flag, { type: 'string', describe });
    return built.option('cpu-share', { type: 'string', hidden: true, describe: 'runc\'s spelling of --cpu-shares' });
  },
  handler: (args: Args<{ 'container-id': string; 'cpu-share'?: string } & Record<string, unknown>>) =>
    runCommand(`update ${args['container-id']}`, args, () => {
      requireRoot();
      if (args['cpu-share'] !== undefined) args['cpu-shares'] ??= args['cpu-share'];
      update(contextFor(args), args['container-id'], changesFrom(args));
    }),
};
