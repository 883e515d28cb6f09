import { runMain } from '../sdk/cli/command.js';
import { deviceCommand } from './cli.js';

// Entry for running the agent as its own process (tests kill -9 it): same as `aloft device`.
await runMain(deviceCommand, process.argv.slice(2));
