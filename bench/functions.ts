// Containers as functions: latency and throughput of one short call ("echo hi" in busybox) made
// three ways on the same engine in the same run:
//   cold      run(): a fresh container per call (create, attach, start, wait, remove) over the API
//   warm      the warm pool: containers created ahead, a call pays attach, start, wait, remove
//   docker    `docker run --rm --network none` through the docker CLI, the baseline
// Every mode makes the same bounded number of calls at the same concurrency.
//
//   npm run build && node dist/bench/functions.js [--requests 40] [--concurrency 4] [--out FILE]
import { execFile } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { BASE_IMAGES, dockerClient, ensureBaseImages } from '../sdk/docker/index.js';
import {
  collect,
  FUNCTION_LABEL,
  LocalBackend,
  run,
  sweepFunctions,
  WarmPool,
} from '../sdk/functions/index.js';

const SCOPE = `bench.${process.pid}`;
const IMAGE = BASE_IMAGES.busybox;

interface Result {
  mode: string;
  p50: number;
  p95: number;
  rps: number;
  failures: number;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function measure(
  mode: string,
  requests: number,
  concurrency: number,
  call: () => Promise<void>,
): Promise<Result> {
  const times: number[] = [];
  let failures = 0;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next++ < requests) {
      const t = performance.now();
      try {
        await call();
        times.push(performance.now() - t);
      } catch (e) {
        failures++;
        process.stderr.write(`${mode}: ${(e as Error).message}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wall = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  return { mode, p50: pct(times, 50), p95: pct(times, 95), rps: times.length / wall, failures };
}

function dockerCli(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'docker',
      [
        'run',
        '--rm',
        '--network',
        'none',
        '--log-driver',
        'none',
        '--label',
        `${FUNCTION_LABEL}=${SCOPE}`,
        IMAGE,
        'echo',
        'hi',
      ],
      (err, stdout) => {
        if (err) reject(err);
        else if (stdout !== 'hi\n') reject(new Error(`unexpected output ${JSON.stringify(stdout)}`));
        else resolve();
      },
    );
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '40' },
      concurrency: { type: 'string', default: '4' },
      out: { type: 'string', default: 'bench/results/functions.md' },
    },
  });
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  await ensureBaseImages();
  const spec = { image: IMAGE, args: ['echo', 'hi'], network: 'none', labels: { [FUNCTION_LABEL]: SCOPE } };
  const backend = new LocalBackend();
  const pool = new WarmPool(spec, { size: concurrency + 2 });
  const results: Result[] = [];
  try {
    // One untimed call per mode first: image and page caches warm for everyone alike.
    await run(IMAGE, ['true'], { network: 'none', scope: SCOPE });
    await dockerCli();
    results.push(
      await measure('cold (run(), fresh container)', requests, concurrency, async () => {
        const out = await run(IMAGE, ['echo', 'hi'], { network: 'none', scope: SCOPE, backend });
        if (out.toString() !== 'hi\n') throw new Error('bad output');
      }),
    );
    await pool.warmed();
    results.push(
      await measure('warm pool', requests, concurrency, async () => {
        const r = await collect(await pool.start({ env: {} }), IMAGE, { timeoutMs: 60_000 });
        if (r.stdout.toString() !== 'hi\n') throw new Error('bad output');
      }),
    );
    results.push(await measure('docker run --rm (CLI)', requests, concurrency, dockerCli));
  } finally {
    await pool.close();
    await sweepFunctions({ scope: SCOPE });
  }
  const info = await dockerClient().version();
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Docker ${info.Version}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} at the end`;
  const lines = [
    `# Functions benchmark`,
    '',
    `${requests} calls of \`echo hi\` (${IMAGE}, no network) per mode at concurrency ${concurrency}; ${new Date().toISOString()}.`,
    `Machine: ${machine}.`,
    '',
    '| mode | p50 ms | p95 ms | calls/s | failures |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.mode} | ${r.p50.toFixed(0)} | ${r.p95.toFixed(0)} | ${r.rps.toFixed(2)} | ${r.failures} |`,
    ),
    '',
  ];
  const text = lines.join('\n');
  process.stdout.write(text);
  await writeFile(`${values.out}.tmp`, text);
  await rename(`${values.out}.tmp`, values.out);
}

main().catch((e) => {
  process.stderr.write(`bench/functions: ${(e as Error).message}\n`);
  process.exit(1);
});
