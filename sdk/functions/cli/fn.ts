import type { Command } from '../../cli/command.js';
import { runMain, UsageError } from '../../cli/command.js';

const subcommands: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run-command.js')).fnRunCommand,
  serve: async () => (await import('./serve-command.js')).fnServeCommand,
  sweep: async () => (await import('./sweep-command.js')).fnSweepCommand,
};

const help = `usage: aloft fn <run|serve|sweep> [options]   (aloft fn <sub-command> --help for more)

Containers as functions:
  run     run an image like a function: stdin in, stdout out, its exit code becomes ours
  serve   a CGI/1.1 gateway: one fresh container per HTTP request
  sweep   remove function containers left behind by processes that no longer run
`;

export const fnCommand: Command = {
  name: 'aloft fn',
  summary: 'containers as functions: run, and a CGI gateway',
  help,
  async run(argv) {
    const [name, ...rest] = argv;
    if (!name) throw new UsageError('no sub-command given');
    const load = subcommands[name];
    if (!load) throw new UsageError(`unknown sub-command '${name}'`);
    return runMain(await load(), rest);
  },
};
