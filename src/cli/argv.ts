/**
 * The hot path of the command line, read without yargs: loading yargs and every command module
 * costs more than a whole `start` needs. Only plain forms are read here: the commands of a
 * container's life, with the flags containerd and podman send (shared/CLIENTS.md). Anything else
 * (--help, --version, an unknown option, a missing ID, list, spec) returns undefined, and yargs
 * reads the line instead, so its help and its error messages stay the only ones.
 */
import { DEFAULT_ROOT } from '../runtime/state-store';

export type HotCommand = 'create' | 'start' | 'run' | 'state' | 'kill' | 'delete' | 'exec';

/** What yargs would have given the command's handler, for the same line. */
export interface Parsed {
  command: HotCommand;
  args: Record<string, unknown>;
}

/** Options by name: where the value goes, and whether it takes one (a flag does not). */
type Options = Record<string, { key: string; flag?: boolean; repeatable?: boolean }>;

const GLOBAL: Options = {
  '--root': { key: 'root' },
  '--log': { key: 'log' },
  '--log-format': { key: 'logFormat' },
  '--debug': { key: 'debug', flag: true },
  '--step': { key: 'step', flag: true },
  '--systemd-cgroup': { key: 'systemdCgroup', flag: true },
};

const BUNDLE: Options = {
  '--bundle': { key: 'bundle' },
  '-b': { key: 'bundle' },
  '--pid-file': { key: 'pid-file' },
  '--console-socket': { key: 'console-socket' },
  '--no-pivot': { key: 'no-pivot', flag: true },
  '--no-new-keyring': { key: 'no-new-keyring', flag: true },
  '--preserve-fds': { key: 'preserve-fds' },
  '--dry-run': { key: 'dry-run', flag: true },
};

const EXEC: Options = {
  '--process': { key: 'process' },
  '-p': { key: 'process' },
  '--cwd': { key: 'cwd' },
  '--env': { key: 'env', repeatable: true },
  '-e': { key: 'env', repeatable: true },
  '--user': { key: 'user' },
  '-u': { key: 'user' },
  '--detach': { key: 'detach', flag: true },
  '-d': { key: 'detach', flag: true },
  '--pid-file': { key: 'pid-file' },
  '--tty': { key: 'tty', flag: true },
  '--console-socket': { key: 'console-socket' },
  '--preserve-fds': { key: 'preserve-fds' },
  '-t': { key: 'tty', flag: true },
  '--dry-run': { key: 'dry-run', flag: true },
};

/**
 * Each command: its options, its positionals, the optional ones with their defaults, and `rest`,
 * the name for everything after the positionals (exec's command: `exec ID sh -c "..."`, where
 * `-c` belongs to the command, not to us).
 */
const COMMANDS: Record<HotCommand, { options: Options; positionals: string[]; optional?: Record<string, string>; rest?: string }> = {
  create: { options: BUNDLE, positionals: ['container-id'] },
  run: {
    options: { ...BUNDLE, '--detach': { key: 'detach', flag: true }, '-d': { key: 'detach', flag: true }, '--timeout': { key: 'timeout' }, '--timeout-grace': { key: 'timeout-grace' }, '--result': { key: 'result' } },
    positionals: ['container-id'],
  },
  start: { options: {}, positionals: ['container-id'] },
  state: { options: {}, positionals: ['container-id'] },
  kill: { options: { '--all': { key: 'all', flag: true }, '-a': { key: 'all', flag: true } }, positionals: ['container-id'], optional: { signal: 'SIGTERM' } },
  delete: { options: { '--force': { key: 'force', flag: true }, '-f': { key: 'force', flag: true } }, positionals: ['container-id'] },
  exec: { options: EXEC, positionals: ['container-id'], rest: 'command' },
};

export function parseHot(argv: string[]): Parsed | undefined {
  const args: Record<string, unknown> = { root: DEFAULT_ROOT, educational: 0, debug: false, step: false, logFormat: 'text', systemdCgroup: false };
  let command: HotCommand | undefined;
  const positionals: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (/^-E+$/.test(token) || token === '--educational') {
      args.educational = (args.educational as number) + (token === '--educational' ? 1 : token.length - 1);
      continue;
    }
    if (!token.startsWith('-') || token === '-') {
      if (command === undefined) {
        if (!Object.hasOwn(COMMANDS, token)) return undefined;
        command = token as HotCommand;
        continue;
      }
      positionals.push(token);
      const { rest, positionals: required } = COMMANDS[command];
      if (rest && positionals.length === required.length) {
        args[rest] = argv.slice(i + 1);
        break;
      }
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.startsWith('--') && eq > 0 ? token.slice(0, eq) : token;
    const option = GLOBAL[name] ?? (command ? COMMANDS[command].options[name] : undefined);
    // Unknown, given twice, or a flag with a value: yargs decides what that means.
    if (!option || seen.has(option.key) || (option.flag && name !== token)) return undefined;
    if (!option.repeatable) seen.add(option.key);
    if (option.flag) {
      args[option.key] = true;
      continue;
    }
    const value = name !== token ? token.slice(eq + 1) : argv[++i];
    if (value === undefined || (name === token && value.startsWith('-'))) return undefined;
    args[option.key] = option.repeatable ? [...((args[option.key] as string[]) ?? []), value] : value;
  }
  if (!command) return undefined;
  const { positionals: required, optional = {} } = COMMANDS[command];
  const extra = Object.keys(optional);
  if (positionals.length < required.length || positionals.length > required.length + extra.length) return undefined;
  if (args.logFormat !== 'text' && args.logFormat !== 'json') return undefined;
  [...required, ...extra].forEach((key, i) => (args[key] = positionals[i] ?? optional[key]));
  if (command === 'create' || command === 'run') args.bundle ??= '.';
  for (const { key, flag, repeatable } of Object.values(COMMANDS[command].options)) {
    if (flag) args[key] ??= false;
    if (repeatable) args[key] ??= [];
  }
  const rest = COMMANDS[command].rest;
  if (rest) args[rest] ??= [];
  return { command, args };
}
