import { cpus, loadavg } from 'node:os';
import { runDroneDemo } from '../examples/drone/index.js';

// Longest control gap at the flight controller during an update, hand-over against
// download-then-kill and kill-then-download, same machine, same run. Target for hand-over: no
// missed tick of the 100 Hz loop (<= 20 ms). The baseline row is the same measure over a quiet
// period: what the machine's own scheduling jitter costs before any update happens.
//
// Run: npm run build && node dist/bench/handover.js [--json]

const json = process.argv.includes('--json');
const log = json ? () => {} : (l: string) => process.stderr.write(`${l}\n`);
const load0 = loadavg()[0];
const r = await runDroneDemo({ killThenDownload: true, healthWindowMs: 2000, log });

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const rows = [
  '| strategy | switch gap (ms) | longest gap in update (ms) | gaps > 20 ms | new version in control after (s) | update incl. health window (s) | state kept |',
  '|---|---|---|---|---|---|---|',
  `| (no update: baseline jitter) | - | ${fmt(r.baselineGapMs)} | - | - | - | - |`,
  ...r.runs.map(
    (x) =>
      `| ${x.strategy} | ${fmt(x.switchGapMs)} | ${fmt(x.maxGapMs)} | ${x.missedTicks} | ${(x.newInControlMs / 1000).toFixed(2)} | ${(x.updateMs / 1000).toFixed(2)} | ${x.stateKept ? 'yes' : 'no'} |`,
  ),
];
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load average ${load0.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end, node ${process.versions.node}`;
if (json) process.stdout.write(`${JSON.stringify({ machine, ...r })}\n`);
else process.stdout.write(`\n${machine}\n\n${rows.join('\n')}\n`);
