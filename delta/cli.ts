import type { Command } from '../sdk/cli/command.js';
import { UsageError } from '../sdk/cli/command.js';
import { applyHelp, runApply } from './cli-apply.js';
import { createHelp, runCreate } from './cli-create.js';
import { infoHelp, runInfo } from './cli-info.js';

const help = `usage: delta <create|apply|info> ...   (delta <command> --help for more)

  delta create OLD NEW -o PATCH [--format aloft|bsdiff40] [--json]
  delta apply OLD PATCH -o OUT [--json]
  delta info PATCH [--json]

Exit status: 0 success, 1 error (one line on stderr naming the file), 2 usage error.
`;

const sub: Record<string, { help: string; run: (argv: string[]) => Promise<number> }> = {
  create: { help: createHelp, run: runCreate },
  apply: { help: applyHelp, run: runApply },
  info: { help: infoHelp, run: runInfo },
};

export const deltaCommand: Command = {
  name: 'delta',
  summary: 'create, apply and inspect binary and container-layer deltas',
  help,
  async run(argv) {
    const [name, ...rest] = argv;
    if (!name) throw new UsageError('no command given (create, apply or info)');
    const command = sub[name];
    if (!command) throw new UsageError(`unknown command '${name}' (create, apply or info)`);
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(command.help);
      return 0;
    }
    return command.run(rest);
  },
};
