// Benchmark of the signed CBOR update protocol over real Mosquitto on loopback:
//   1. wire bytes / patch bytes for one device on a clean link (target <= 1.02)
//   2. blocks sent again after N forced disconnects (target: only those in flight)
//   3. time to update 200 in-process devices from one publish
//   4. CBOR vs JSON size of each message type
// Payload: a real file nobody here wrote (a Debian .deb from the apt cache, else a binary
// from node_modules). Run: npm run build && node dist/bench/protocol.js [--devices N] [--quick]

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ed25519 } from '@noble/curves/ed25519.js';
import { projectRoot } from '../sdk/project-root.js';
import {
  describePatch,
  emptyBitmap,
  encodeBlock,
  encodeFullImageRequest,
  encodeRepair,
  encodeState,
  invertBitmap,
  type Manifest,
  manifestToWire,
  setBit,
  signManifest as sign,
  toHex,
  trustedKey,
} from '../sdk/protocol/index.js';
import {
  DeviceReceiver,
  hostPort,
  mosquittoUrl,
  nodeSha256,
  Publisher,
  TcpProxy,
} from '../sdk/transport/index.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '200' },
    quick: { type: 'boolean', default: false },
    payload: { type: 'string' },
  },
});
const root = projectRoot();
const url = mosquittoUrl();
const secretKey = ed25519.utils.randomSecretKey();
const key = { secretKey, trusted: trustedKey(ed25519.getPublicKey(secretKey)) };
const imageDigest = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function makeManifest(
  patch: Uint8Array,
  f: { fleet: string; sequence: number; precursor: string; target: string; now: number },
): Manifest {
  const { digest, blockHashes } = describePatch(patch, 16384, nodeSha256);
  return {
    version: 1,
    fleet: f.fleet,
    sequence: f.sequence,
    precursor: f.precursor,
    target: { imageId: f.target, diffIds: [f.target] },
    patch: { kind: 'delta', digest, size: patch.length, blockSize: 16384, blockHashes },
    strategy: { name: 'download-then-kill', timeoutMs: 60_000 },
    issuedAt: f.now,
    expiresAt: f.now + 3_600_000,
  };
}
const precursor = imageDigest(new TextEncoder().encode('bench v1'));

function pickPayload(): { bytes: Uint8Array; source: string } {
  if (args.payload) return { bytes: new Uint8Array(readFileSync(args.payload)), source: args.payload };
  const apt = '/var/cache/apt/archives';
  if (existsSync(apt)) {
    // The largest .deb between 2 and 4 MiB: real compressed data, a plausible patch size.
    const debs = readdirSync(apt)
      .filter((n) => n.endsWith('.deb'))
      .map((n) => ({ n, size: statSync(join(apt, n)).size }))
      .filter((d) => d.size >= 2 << 20 && d.size <= 4 << 20)
      .sort((a, b) => b.size - a.size || a.n.localeCompare(b.n));
    if (debs[0])
      return { bytes: new Uint8Array(readFileSync(join(apt, debs[0].n))), source: join(apt, debs[0].n) };
  }
  // Fallback: a third-party binary that npm ci always installs.
  const rel = 'node_modules/@bytecodealliance/jco-transpile/vendor/wasm-tools.core.wasm';
  return { bytes: new Uint8Array(readFileSync(join(root, rel))), source: rel };
}

const work = await mkdtemp(join(tmpdir(), 'aloft-bench-protocol-'));
let fleetCounter = 0;
const fleet = () => `bench${process.pid}x${fleetCounter++}`;
const blocksOf = (n: number) => Math.ceil(n / 16384);

async function device(fleetName: string, name: string, brokerUrl: string, onReady: () => void, extra = {}) {
  const dir = join(work, fleetName, name);
  await mkdir(dir, { recursive: true });
  const r = new DeviceReceiver({
    url: brokerUrl,
    fleet: fleetName,
    device: name,
    keys: [key.trusted],
    dataDir: dir,
    initial: { seq: 1, image: precursor, version: 'v1' },
    mqttVersion: 5,
    repairAfterMs: 1000,
    reconnectPeriodMs: 200,
    onPatchReady: () => onReady(),
    ...extra,
  });
  await r.start();
  return r;
}

async function wireRatio(patch: Uint8Array) {
  const f = fleet();
  const proxy = await new TcpProxy(hostPort(url)).start();
  let done!: () => void;
  const ready = new Promise<void>((r) => (done = r));
  const d = await device(f, 'clean', proxy.url, () => done());
  const pub = new Publisher({ url, fleet: f, mqttVersion: 5 });
  await pub.start();
  const before = { ...proxy.bytes };
  await pub.publish(
    sign(
      makeManifest(patch, { fleet: f, sequence: 2, precursor, target: imageDigest(patch), now: Date.now() }),
      key.secretKey,
    ),
    patch,
    [key.trusted],
  );
  await ready;
  (await d.state) && new Promise((r) => setTimeout(r, 300)); // let the final state report go out
  const down = proxy.bytes.down - before.down;
  const up = proxy.bytes.up - before.up;
  await d.stop();
  await pub.stop();
  await proxy.close();
  return { down, up, ratioDown: down / patch.length, ratioBoth: (down + up) / patch.length };
}

async function disconnects(patch: Uint8Array, drops: number, cleanSession = false) {
  const f = fleet();
  const proxy = await new TcpProxy(hostPort(url)).start();
  let done!: () => void;
  const ready = new Promise<void>((r) => (done = r));
  const d = await device(f, `drops${drops}`, proxy.url, () => done(), { cleanSession });
  const total = blocksOf(patch.length);
  const at = new Set(Array.from({ length: drops }, (_, i) => Math.floor((total * (i + 1)) / (drops + 1))));
  d.on('block', () => {
    if (at.delete(d.stats.blocks)) proxy.dropAll();
  });
  // 2 MB/s: a link slow enough that every drop lands mid-transfer.
  const pub = new Publisher({ url, fleet: f, mqttVersion: 5, maxBytesPerSecond: 2_000_000 });
  await pub.start();
  const t0 = performance.now();
  await pub.publish(
    sign(
      makeManifest(patch, { fleet: f, sequence: 2, precursor, target: imageDigest(patch), now: Date.now() }),
      key.secretKey,
    ),
    patch,
    [key.trusted],
  );
  await ready;
  const seconds = (performance.now() - t0) / 1000;
  const r = {
    drops: proxy.drops,
    total,
    repaired: pub.stats.repairedBlocks,
    duplicates: d.stats.duplicates,
    repairs: d.stats.repairs,
    seconds,
  };
  await d.stop();
  await pub.stop();
  await proxy.close();
  return r;
}

async function fleetUpdate(patch: Uint8Array, n: number) {
  const f = fleet();
  let readyCount = 0;
  let allDone!: () => void;
  const all = new Promise<void>((r) => (allDone = r));
  const devices: DeviceReceiver[] = [];
  const t0 = performance.now();
  // Connect in batches of 20: a fleet boots over time, and 200 simultaneous CONNECTs on 2 cores
  // would measure the handshake storm, not the update.
  for (let i = 0; i < n; i += 20)
    devices.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(20, n - i) }, (_, j) =>
          device(f, `d${String(i + j).padStart(3, '0')}`, url, () => {
            if (++readyCount === n) allDone();
          }),
        ),
      )),
    );
  const connectSeconds = (performance.now() - t0) / 1000;
  const pub = new Publisher({ url, fleet: f, mqttVersion: 5 });
  await pub.start();
  // CPU seconds spent (this process: publisher + all devices; and Mosquitto): on a shared,
  // loaded machine wall time mostly measures the neighbours, CPU time measures us.
  const cpu0 = process.cpuUsage();
  const broker0 = mosquittoCpu();
  const t1 = performance.now();
  await pub.publish(
    sign(
      makeManifest(patch, { fleet: f, sequence: 2, precursor, target: imageDigest(patch), now: Date.now() }),
      key.secretKey,
    ),
    patch,
    [key.trusted],
  );
  const broadcastSeconds = (performance.now() - t1) / 1000;
  const timeout = setTimeout(() => allDone(), 300_000);
  await all;
  clearTimeout(timeout);
  const seconds = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const broker1 = mosquittoCpu();
  const r = {
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    brokerCpuSeconds: broker0 !== undefined && broker1 !== undefined ? broker1 - broker0 : undefined,
    devices: n,
    ready: readyCount,
    connectSeconds,
    broadcastSeconds,
    seconds,
    repairRequests: pub.stats.repairRequests,
    repaired: pub.stats.repairedBlocks,
    duplicates: devices.reduce((a, d) => a + d.stats.duplicates, 0),
  };
  for (let i = 0; i < devices.length; i += 50)
    await Promise.all(devices.slice(i, i + 50).map((d) => d.stop()));
  await pub.stop();
  return r;
}

/** Mosquitto's user+system CPU seconds, from the pid file scripts/services.sh writes. */
function mosquittoCpu(): number | undefined {
  try {
    const pid = readFileSync(
      join(process.env.ALOFT_STATE_DIR ?? '/var/tmp/aloft', 'mosquitto.pid'),
      'utf8',
    ).trim();
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s)
  } catch {
    return undefined;
  }
}

function messageSizes(patch: Uint8Array) {
  const m = makeManifest(patch, {
    fleet: 'drones',
    sequence: 1732680000000,
    precursor,
    target: imageDigest(patch),
    now: Date.now(),
  });
  const envelope = sign(m, key.secretKey);
  const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
  const wire = manifestToWire(m);
  // JSON equivalent: same fields, byte strings as base64, a detached Ed25519 signature (JWS-like).
  const manifestJson = JSON.stringify({
    payload: { ...wire, pd: b64(m.patch.digest), bh: b64(m.patch.blockHashes) },
    kid: toHex(key.trusted.kid),
    alg: 'EdDSA',
    sig: b64(new Uint8Array(64)),
  });
  const block = { digest: m.patch.digest, index: 7, data: patch.subarray(7 * 16384, 8 * 16384) };
  const have = emptyBitmap(blocksOf(patch.length));
  for (let i = 0; i < blocksOf(patch.length); i += 3) setBit(have, i);
  const missing = invertBitmap(have, blocksOf(patch.length));
  const state = {
    device: 'drone-017',
    phase: 'downloading' as const,
    version: 'v1',
    installedSeq: 1732600000000,
    targetSeq: 1732680000000,
    have: 120,
    total: 250,
    at: Date.now(),
  };
  const full = { device: 'drone-017', sequence: 1732680000000, have: precursor, want: imageDigest(patch) };
  return [
    ['manifest (COSE_Sign1)', envelope.length, manifestJson.length],
    [
      'block (16 KiB)',
      encodeBlock(block).length,
      JSON.stringify({ d: b64(block.digest), i: 7, b: b64(block.data) }).length,
    ],
    [
      'repair (bitmap)',
      encodeRepair({ digest: m.patch.digest, device: 'drone-017', missing }).length,
      JSON.stringify({ d: b64(m.patch.digest), dev: 'drone-017', miss: b64(missing) }).length,
    ],
    ['state', encodeState(state).length, JSON.stringify(state).length],
    ['full-image request', encodeFullImageRequest(full).length, JSON.stringify(full).length],
  ] as Array<[string, number, number]>;
}

const { bytes: payload, source } = pickPayload();
const n = Number(args.devices);
const small = payload.subarray(0, Math.min(payload.length, 1 << 20));
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
try {
  const lines: string[] = [];
  const say = (s = '') => {
    lines.push(s);
    process.stdout.write(`${s}\n`);
  };
  say(`## Protocol benchmark (${new Date().toISOString()})`);
  say(
    `machine: ${cpus().length} x ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; broker: Mosquitto ${url} (MQTT 5)`,
  );
  say(`payload: ${source} (${payload.length} B, ${blocksOf(payload.length)} blocks of 16 KiB)`);
  say();
  const w = await wireRatio(payload);
  say('| clean link, 1 device | value |');
  say('|---|---|');
  say(`| bytes broker->device / patch | ${w.ratioDown.toFixed(4)} (${w.down} B for ${payload.length} B) |`);
  say(`| bytes both ways / patch | ${w.ratioBoth.toFixed(4)} (${w.up} B device->broker) |`);
  say();
  say(
    '| forced disconnects | broker session | blocks | re-sent by repair | arrived twice | repair requests | seconds |',
  );
  say('|---|---|---|---|---|---|---|');
  const cases: Array<[number, boolean]> = args.quick
    ? [
        [3, false],
        [3, true],
      ]
    : [
        [1, false],
        [3, false],
        [5, false],
        [1, true],
        [3, true],
        [5, true],
      ];
  for (const [drops, clean] of cases) {
    const r = await disconnects(payload, drops, clean);
    const session = clean ? 'none: repairs' : 'kept: broker queues';
    say(
      `| ${r.drops} | ${session} | ${r.total} | ${r.repaired} | ${r.duplicates} | ${r.repairs} | ${r.seconds.toFixed(2)} |`,
    );
  }
  say();
  const f = await fleetUpdate(small, args.quick ? Math.min(n, 50) : n);
  say(`| fleet update through Mosquitto (${kib(small.length)} patch) | value |`);
  say('|---|---|');
  say(`| devices updated | ${f.ready}/${f.devices} |`);
  say(
    `| publish -> every device verified | ${f.seconds.toFixed(2)} s (broadcast took ${f.broadcastSeconds.toFixed(2)} s) |`,
  );
  const brokerCpu = f.brokerCpuSeconds === undefined ? 'n/a' : `${f.brokerCpuSeconds.toFixed(2)} s`;
  say(
    `| CPU: devices + publisher / Mosquitto | ${f.cpuSeconds.toFixed(2)} s / ${brokerCpu} (load avg ${loadavg()[0].toFixed(1)}) |`,
  );
  say(
    `| repair requests / blocks re-sent / duplicates | ${f.repairRequests} / ${f.repaired} / ${f.duplicates} |`,
  );
  say(`| (connecting ${f.devices} devices, not in the figure above) | ${f.connectSeconds.toFixed(2)} s |`);
  say();
  say('| message | CBOR bytes | JSON bytes | CBOR/JSON |');
  say('|---|---|---|---|');
  for (const [what, cbor, json] of messageSizes(payload))
    say(`| ${what} | ${cbor} | ${json} | ${(cbor / json).toFixed(2)} |`);
  await mkdir(join(root, 'bench/results'), { recursive: true });
  await writeFile(join(root, 'bench/results/protocol.md'), `${lines.join('\n')}\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
process.exit(0);
