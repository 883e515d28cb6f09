import type { Command } from '../../sdk/cli/command.js';
import { parseCommandLine } from '../../sdk/cli/command.js';

const help = `usage: aloft demo [--json]

Runs Aloft end to end on this machine (the Docker Engine must answer; scripts/setup.sh starts
it): builds the drone app v1 and v2 as local images, makes the v1 -> v2 image delta, signs it
and sends it over the embedded MQTT broker to a device, rebuilds v2 there against the running
v1 image (checking its image ID) while the simulated drone flies v1, and switches to v2 by
hand-over; it measures the gap in the 100 Hz control loop at the switch, and the same gap under
download-then-kill for comparison.

  --json   print the figures as one JSON object on the last line of stdout
`;

export const demoCommand: Command = {
  name: 'aloft demo',
  summary: 'run the end-to-end demo',
  help,
  async run(argv) {
    const { values } = parseCommandLine(argv, { json: { type: 'boolean', default: false } }, false);
    const { runDemo } = await import('./run.js');
    const log = (line: string) => process.stderr.write(`demo: ${line}\n`);
    const f = await runDemo(log);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(f)}\n`);
    } else {
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      const rows: Array<[string, string]> = [
        ['full image (docker save | gzip -9)', kb(f.fullImageBytes)],
        ['image delta v1 -> v2', kb(f.patchBytes)],
        [
          'bytes sent over MQTT',
          `${kb(f.bytesSent)} (1/${Math.round(f.fullImageBytes / f.bytesSent)} of the full image)`,
        ],
        ['image rebuilt on the device has the v2 ID', f.imageIdVerified ? 'yes' : 'NO'],
        ['time to update (publish -> v2 in control)', `${f.updateSeconds.toFixed(2)} s`],
        ['control gap at the switch, hand-over', `${f.handoverGapMs.toFixed(1)} ms`],
        ['control gap at the switch, download-then-kill', `${f.downloadThenKillGapMs.toFixed(1)} ms`],
        ['longest gap during the hand-over update', `${f.handoverLongestGapMs.toFixed(1)} ms`],
        ['longest gap with no update (machine jitter)', `${f.baselineGapMs.toFixed(1)} ms`],
      ];
      const w = Math.max(...rows.map(([k]) => k.length));
      for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
    }
    return f.imageIdVerified ? 0 : 1;
  },
};
