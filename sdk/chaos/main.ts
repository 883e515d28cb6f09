#!/usr/bin/env node
// `aloft chaos` as a program of its own (the integration tests spawn it as a child process).
import { runMain } from '../cli/command.js';
import { chaosCommand } from './cli.js';

runMain(chaosCommand, process.argv.slice(2));
