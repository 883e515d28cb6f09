import { type Command, parseCommandLine, UsageError } from '../cli/command.js';
import { FleetWatcher, renderFleetTable } from './fleet-status.js';

const help = `usage: aloft fleet status --broker URL --fleet NAME [--once] [--json] [--wait MS]

Shows every device of a fleet from its retained state topic: phase (idle, downloading,
verifying, applying, handing-over, running, failed, offline), progress n/N, running version,
installed sequence, age of the report and the last message it refused (and why).

  --broker URL   mqtt://host:port
  --fleet NAME   fleet name
  --once         print the table once (after --wait ms for retained states) and exit
  --json         with --once: print the states as JSON lines instead of a table
  --wait MS      how long --once collects states (default 1500)
  --mqtt 4|5|auto

Without --once the table is redrawn live until Ctrl-C.
`;

export const fleetCommand: Command = {
  name: 'aloft fleet',
  summary: 'watch a fleet: a live table of devices and their progress',
  help,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'status')
      throw new UsageError(
        sub ? `unknown fleet command '${sub}' (try: status)` : 'fleet needs a command: status',
      );
    const { values: v } = parseCommandLine(
      rest,
      {
        broker: { type: 'string' },
        fleet: { type: 'string' },
        once: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        wait: { type: 'string', default: '1500' },
        mqtt: { type: 'string', default: 'auto' },
      },
      false,
    );
    if (!v.broker) throw new UsageError('fleet status needs --broker URL');
    if (!v.fleet) throw new UsageError('fleet status needs --fleet NAME');
    if (!/^\d+$/.test(v.wait)) throw new UsageError(`--wait '${v.wait}' must be milliseconds`);
    const mqttVersion = v.mqtt === '4' ? 4 : v.mqtt === '5' ? 5 : 'auto';
    const watcher = new FleetWatcher(v.broker, v.fleet, mqttVersion);
    await watcher.start();
    if (v.once) {
      await new Promise((r) => setTimeout(r, Number(v.wait)));
      await watcher.stop();
      const states = [...watcher.devices.values()];
      if (v.json) for (const s of states) process.stdout.write(`${JSON.stringify(s)}\n`);
      else
        process.stdout.write(
          `${renderFleetTable(states, Date.now())}\n${states.length} device(s) in ${v.fleet}\n`,
        );
      return 0;
    }
    const draw = () => {
      const table = renderFleetTable(watcher.devices.values(), Date.now());
      // Clear the screen and redraw: a live table, like top.
      process.stdout.write(
        `\x1b[H\x1b[2J${v.fleet} @ ${v.broker}  (${watcher.devices.size} devices, Ctrl-C to quit)\n\n${table}\n`,
      );
    };
    const timer = setInterval(draw, 1000);
    draw();
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    clearInterval(timer);
    await watcher.stop();
    return 0;
  },
};
