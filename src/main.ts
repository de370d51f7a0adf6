/**
 * The entry of the single executable (`make single`: bun build --compile): one file that is
 * both the CLI and the container's init. `create` starts the init as `nk-runtime __init`; any
 * other first argument is a command. The choice comes before anything else is loaded: the init
 * needs neither yargs nor the commands, and the CLI does not need the init.
 */
import { mark } from './log';
mark('main: first line');
import { INIT_ARGUMENT } from './engine';

if (process.argv[2] === INIT_ARGUMENT) require('./init/main');
else require('./cli/main');
