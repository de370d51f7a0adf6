/**
 * Developer logging, for people working on nk-runtime itself: `DEBUG=nk:* nk-runtime ...` prints
 * what the runtime decides and receives (messages from the init, state writes, timings), on
 * stderr. It is not the learner's narration (-E), which shows kernel calls.
 */
import createDebug from 'debug';

export const log = {
  runtime: createDebug('nk:runtime'),
  state: createDebug('nk:state'),
  init: createDebug('nk:init'),
};
