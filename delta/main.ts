import { runMain } from '../sdk/cli/command.js';
import { deltaCommand } from './cli.js';

runMain(deltaCommand, process.argv.slice(2));
