import { type Command, parseCommandLine } from '../../cli/command.js';
import { sweepFunctions } from '../labels.js';

const help = `usage: aloft fn sweep [--name GATEWAY]

Removes function containers (and Swarm services and configs) whose owning process no longer
runs. With --name, removes everything of that gateway, running or not: use it only when that
gateway is down.
`;

export const fnSweepCommand: Command = {
  name: 'aloft fn sweep',
  summary: 'remove leftover function containers',
  help,
  async run(argv) {
    const { values } = parseCommandLine(argv, { name: { type: 'string' } }, false);
    const n = await sweepFunctions(values.name ? { scope: `gateway.${values.name}` } : { orphansOnly: true });
    process.stdout.write(`removed ${n}\n`);
    return 0;
  },
};
