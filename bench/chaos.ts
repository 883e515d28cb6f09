// Chaos engine benchmark on the real Docker Engine: precision of injected latency, time from
// the API call to the fault being active, and time to full restore.
//
//   npm run build && node dist/bench/chaos.js [--rounds 3] [--json out.json] [--md bench/results/chaos.md]
//
// Precision: the median RTT measured from INSIDE the target (busybox ping to the bridge
// gateway), with the fault minus without it, against the configured delay.
// Activation and restore: a host-side TCP probe connects to a listener in the target every
// 10 ms; the fault is active when a connect takes more than half the delay (the SYN-ACK leaves
// the target through the fault) and restored when connects are fast again.
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ChaosEngine } from '../sdk/chaos/engine.js';
import { run } from '../sdk/chaos/exec.js';
import { ensureInjectorImage } from '../sdk/chaos/injector-image.js';
import { serveChaos } from '../sdk/chaos/server.js';
import { BASE_IMAGES, dockerClient } from '../sdk/docker/index.js';

const LABEL = 'io.aloft.chaos';
const DELAYS = [50, 200, 500];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function pingMedian(id: string, gw: string, count: number): Promise<number> {
  const r = await run(
    'docker',
    ['exec', id, 'ping', '-c', String(count), '-i', '0.2', '-W', '3', gw],
    120_000,
  );
  const t = [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  if (!t.length) throw new Error(`no ping reply: ${r.stdout}${r.stderr}`);
  return median(t);
}

/** One TCP connect from the host to the target; resolves with its duration in ms. */
function connectMs(host: string, port: number): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = connect({ host, port });
    const done = () => {
      s.destroy();
      resolve(performance.now() - t0);
    };
    s.once('connect', done);
    s.once('error', done);
    s.setTimeout(3000, done);
  });
}

/**
 * Probes every 10 ms (bounded by timeoutMs) until `ok(connect time)` holds three times in a
 * row (one slow connect on a busy machine is not a fault); returns when the first of them began.
 */
async function probeUntil(
  host: string,
  port: number,
  ok: (ms: number) => boolean,
  timeoutMs: number,
): Promise<number> {
  const end = performance.now() + timeoutMs;
  let first = Number.NaN;
  let streak = 0;
  while (performance.now() < end) {
    const started = performance.now();
    const ms = await connectMs(host, port);
    if (ok(ms)) {
      if (streak++ === 0) first = started;
      if (streak >= 3) return first;
    } else streak = 0;
    await sleep(10);
  }
  return Number.NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string' }, json: { type: 'string' }, md: { type: 'string' } },
  });
  const rounds = Math.max(1, Math.min(10, Number(values.rounds ?? 3)));
  await ensureInjectorImage();
  const docker = dockerClient();
  const stateDir = await mkdtemp(join(tmpdir(), 'aloft-chaos-bench-'));
  const engine = new ChaosEngine({ docker, stateDir, seed: 1 });
  await engine.start();
  const { server, url } = await serveChaos(engine, { port: 0 });
  const target = await docker.createContainer({
    Image: BASE_IMAGES.busybox,
    Cmd: ['httpd', '-f', '-p', '8080', '-h', '/tmp'],
    Labels: { [LABEL]: 'bench', 'bench-target': 'yes' },
  });
  await target.start();
  const info = await target.inspect();
  const net = Object.values(info.NetworkSettings.Networks)[0];
  const ip = net.IPAddress;
  const gw = net.Gateway || '172.17.0.1';
  const rows: {
    configured: number;
    baseline: number;
    during: number;
    rise: number;
    error: number;
    activeMs: number;
    restoreMs: number;
    restoredRtt: number;
  }[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const delay of DELAYS) {
        const baseline = await pingMedian(target.id, gw, 9);
        const name = `bench${delay}r${round}`;
        const t0 = performance.now();
        const res = await fetch(`${url}/policy/`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            name,
            criteria: 'bench-target=yes',
            failures: `latency:${delay}ms`,
            frequency: '3600',
          }).toString(),
        });
        if (res.status !== 201) throw new Error(`POST /policy/: ${res.status} ${await res.text()}`);
        const activeAt = await probeUntil(ip, 8080, (ms) => ms > delay / 2, 30_000);
        const during = await pingMedian(target.id, gw, 15);
        const t1 = performance.now();
        const del = await fetch(`${url}/policy/${name}`, { method: 'DELETE' });
        if (del.status !== 200) throw new Error(`DELETE: ${del.status}`);
        const restoredAt = await probeUntil(ip, 8080, (ms) => ms < Math.min(20, delay / 2), 30_000);
        const restoredRtt = await pingMedian(target.id, gw, 5);
        const row = {
          configured: delay,
          baseline,
          during,
          rise: during - baseline,
          error: during - baseline - delay,
          activeMs: activeAt - t0,
          restoreMs: Math.max(restoredAt - t1, 0),
          restoredRtt,
        };
        rows.push(row);
        process.stderr.write(`bench chaos: ${JSON.stringify(row)}\n`);
      }
    }
  } finally {
    if (process.env.ALOFT_BENCH_DEBUG === '1')
      for (const e of engine.audit.recent()) process.stderr.write(`${JSON.stringify(e)}\n`);
    await engine.stop();
    server.close();
    await target.remove({ force: true });
    await rm(stateDir, { recursive: true, force: true });
  }
  const f = (x: number, d = 1) => x.toFixed(d);
  const lines = [
    `chaos latency benchmark, userspace path (NFQUEUE helper), ${rounds} round(s), ${new Date().toISOString()}, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${cpus().length} cores`,
    '| configured ms | median RTT rise ms (min..max) | error ms | POST /policy/ -> fault active on the wire ms (median) | DELETE call -> fully restored ms (median) | RTT after restore ms |',
    '|---:|---:|---:|---:|---:|---:|',
  ];
  for (const d of DELAYS) {
    const r = rows.filter((x) => x.configured === d);
    const rise = r.map((x) => x.rise);
    lines.push(
      `| ${d} | ${f(median(rise))} (${f(Math.min(...rise))}..${f(Math.max(...rise))}) | ${f(median(r.map((x) => x.error)), 2)} | ${f(median(r.map((x) => x.activeMs)), 0)} | ${f(median(r.map((x) => x.restoreMs)), 0)} | ${f(median(r.map((x) => x.restoredRtt)), 3)} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.json) await writeFile(values.json, `${JSON.stringify({ rows }, null, 1)}\n`);
  if (values.md) {
    const text = `# Chaos benchmark\n\n${lines[0]}.\nLatency is measured from inside the target (busybox ping to the bridge gateway); activation and restore are seen by a host-side TCP probe every 10 ms (three hits in a row).\n\n${lines.slice(1).join('\n')}\n`;
    await writeFile(`${values.md}.tmp`, text);
    await rename(`${values.md}.tmp`, values.md);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench chaos: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
