import { cpus, loadavg } from 'node:os';
import { type DemoFigures, runDemo } from '../examples/demo/run.js';

// Publish to v2 in control, end to end, over the real path of `aloft demo`: image delta made on
// the host, signed and sent in blocks over the embedded MQTT broker, rebuilt by the device
// agent against the running v1 image, loaded, and switched by hand-over. Medians of --runs
// (default 3), and the bytes a device would have downloaded without Aloft, same run.
//
// Run: npm run build && node dist/bench/update.js [--runs N]

const at = process.argv.indexOf('--runs');
const runs = at > 0 ? Math.max(1, Math.min(10, Number(process.argv[at + 1]) || 3)) : 3;
const load0 = loadavg()[0];
const results: DemoFigures[] = [];
for (let i = 0; i < runs; i++)
  results.push(await runDemo((l) => process.stderr.write(`run ${i + 1}: ${l}\n`)));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const m = (k: keyof DemoFigures) => median(results.map((r) => Number(r[k])));
const rows = [
  '| measure | median | all runs |',
  '|---|---|---|',
  ...(
    [
      ['full image, docker save + gzip -9 (bytes)', 'fullImageBytes', 0],
      ['bytes sent over MQTT', 'bytesSent', 0],
      ['publish -> patch verified on the device (s)', 'transferSeconds', 2],
      ['publish -> v2 in control (s)', 'updateSeconds', 2],
      ['control gap at the switch, hand-over (ms)', 'handoverGapMs', 1],
      ['control gap at the switch, download-then-kill (ms)', 'downloadThenKillGapMs', 1],
      ['longest gap with no update: machine jitter (ms)', 'baselineGapMs', 1],
    ] as const
  ).map(
    ([label, key, digits]) =>
      `| ${label} | ${m(key).toFixed(digits)} | ${results.map((r) => Number(r[key]).toFixed(digits)).join(', ')} |`,
  ),
];
const verified = results.every((r) => r.imageIdVerified);
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load average ${load0.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end, node ${process.versions.node}`;
process.stdout.write(
  `\n${machine}\nrebuilt image ID matched v2 in every run: ${verified}\n\n${rows.join('\n')}\n`,
);
if (!verified) process.exitCode = 1;
