/**
 * Developer logging, for people working on nk-runtime itself: `DEBUG=nk:* nk-runtime ...` prints
 * what the runtime decides and receives (messages from the init, state writes), on stderr. It is
 * not the learner's narration (-E), which shows kernel calls. Without DEBUG in the environment the
 * `debug` library is not even loaded: every command would pay for it at start-up.
 */
type Log = (format: string, ...args: unknown[]) => void;

function logger(namespace: string): Log {
  if (!process.env.DEBUG) return () => undefined;
  return (require('debug') as typeof import('debug'))(namespace);
}

export const log = {
  runtime: logger('nk:runtime'),
  state: logger('nk:state'),
  init: logger('nk:init'),
};
