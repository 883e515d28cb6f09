import type { Command } from './command.js';
import { runMain, UsageError } from './command.js';

// The `aloft` command is the composition root of the CLI: each sub-command lives with the code
// it drives (delta/cli.ts, sdk/chaos/cli.ts, ...) and is loaded only when asked for, so that
// `aloft delta` never pays for dockerode or mqtt.
const commands: Record<string, () => Promise<Command>> = {
  delta: async () => (await import('../../delta/cli.js')).deltaCommand,
  chaos: async () => (await import('../chaos/cli.js')).chaosCommand,
  demo: async () => (await import('../../examples/demo/cli.js')).demoCommand,
  fn: async () => (await import('../functions/cli/fn.js')).fnCommand,
  device: async () => (await import('../../device/cli.js')).deviceCommand,
  keygen: async () => (await import('../transport/keygen-command.js')).keygenCommand,
  publish: async () => (await import('../transport/publish-command.js')).publishCommand,
  fleet: async () => (await import('../transport/fleet-status-command.js')).fleetCommand,
};

const help = `usage: aloft <command> [options]   (aloft <command> --help for more)

Commands:
  delta     create, apply and inspect binary and container-image deltas (same as \`delta\`)
  chaos     failure injection: Entropy-compatible engine and API (serve, create, ls, lsi, rm)
  demo      run the end-to-end demo on this machine
  fn        containers as functions: run an image like a call, serve HTTP via CGI (aloft fn --help)
  device    the on-device agent: bridge, update strategies, hand-over, roll-back (run, update, status)
  keygen    make an Ed25519 key pair for signing update manifests
  publish   sign an update and broadcast it to a fleet over MQTT (answers repairs)
  fleet     fleet status: a live table of devices, their phase and progress
`;

const aloftCommand: Command = {
  name: 'aloft',
  summary: 'Aloft fleet toolkit',
  help,
  async run(argv) {
    const [name, ...rest] = argv;
    if (!name) throw new UsageError('no command given');
    if (name === '--version' || name === '-v') {
      const { readFile } = await import('node:fs/promises');
      const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'));
      process.stdout.write(`${pkg.version}\n`);
      return 0;
    }
    const load = commands[name];
    if (!load) throw new UsageError(`unknown command '${name}'`);
    const command = await load();
    return runMain(command, rest);
  },
};

runMain(aloftCommand, process.argv.slice(2));
