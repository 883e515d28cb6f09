import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runMain } from '../cli/command.js';
import { projectRoot } from '../project-root.js';
import {
  countBits,
  type DeviceState,
  decodeState,
  encodeBlock,
  encodeCbor,
  LIMITS,
  type Manifest,
  openManifest,
  type ProtocolError,
  topics,
} from '../protocol/index.js';
import { hostPort, TcpProxy } from './fault-proxy.js';
import { fleetCommand } from './fleet-status-command.js';
import {
  DeviceReceiver,
  type DownloadGate,
  type EmbeddedBroker,
  FleetWatcher,
  mosquittoUrl,
  Publisher,
  startEmbeddedBroker,
} from './index.js';
import { readPublicKey } from './key-files.js';
import { keygenCommand } from './keygen-command.js';
import { publishCommand } from './publish-command.js';
import { imageDigest, makeManifest, realPayload, sign, testKeys } from './testing/fixtures.js';

// One conformance body, two brokers: aedes (embedded, MQTT 3.1.1) and Mosquitto (MQTT 5).
const root = projectRoot();
// Names this run's folder and image tags: the pid to tell runs apart, random bytes because pids
// repeat across pid namespaces (another run on this engine or in this clone must not share them).
const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;
const { bytes: payload, source } = realPayload(root, 1_200_000); // ~74 blocks of 16 KiB
const v1 = new TextEncoder().encode('image v1');
const precursor = imageDigest(v1);
const target = imageDigest(payload);
const key = testKeys(1);
const stranger = testKeys(2);
const dirs: string[] = [];
let aedes: EmbeddedBroker;
let deviceScript: string;

beforeAll(async () => {
  aedes = await startEmbeddedBroker();
  // The kill -9 test needs the device as a real process: compile just its entry (and what it
  // imports) with tsc, inside the repo so that node_modules resolves.
  const out = join(root, `.aloft-tmp-protocol-${RUN_ID}`);
  dirs.push(out);
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '--outDir',
      out,
      '--rootDir',
      root,
      '--module',
      'NodeNext',
      '--moduleResolution',
      'NodeNext',
      '--target',
      'ES2022',
      '--skipLibCheck',
      '--types',
      'node',
      join(root, 'sdk/transport/testing/device-process.ts'),
    ],
    { stdio: 'inherit' },
  );
  deviceScript = join(out, 'sdk/transport/testing/device-process.js');
}, 120_000);

afterAll(async () => {
  await aedes?.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'aloft-protocol-'));
  dirs.push(d);
  return d;
};
const fleetName = () => `t${Math.random().toString(36).slice(2, 10)}`;
const until = <T>(what: string, f: (resolve: (v: T) => void) => void, ms = 60_000) =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    f((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });

describe.each([
  ['aedes (embedded, MQTT 3.1.1)', () => aedes.url, 4 as const],
  ['mosquitto (MQTT 5)', mosquittoUrl, 5 as const],
])('%s', (_name, url, mqttVersion) => {
  const newReceiver = async (fleet: string, device: string, brokerUrl = url(), extra = {}) => {
    const r = new DeviceReceiver({
      url: brokerUrl,
      fleet,
      device,
      keys: [key.trusted],
      dataDir: await tempDir(),
      initial: { seq: 3, image: precursor, version: 'v1' },
      mqttVersion,
      repairAfterMs: 500,
      reconnectPeriodMs: 200,
      ...extra,
    });
    await r.start();
    return r;
  };
  const newPublisher = async (fleet: string, extra = {}) => {
    const p = new Publisher({ url: url(), fleet, mqttVersion, ...extra });
    await p.start();
    return p;
  };
  const manifestFor = (fleet: string, sequence = 10) =>
    makeManifest(payload, { fleet, sequence, precursor, target, now: Date.now() });

  it(`transfers a real binary (${source}) end to end, with retained state a fleet watcher sees`, async () => {
    const fleet = fleetName();
    const watcher = new FleetWatcher(url(), fleet, mqttVersion);
    await watcher.start();
    let onReady: (m: Manifest, p: string) => void = () => {};
    const ready = new Promise<[Manifest, string]>((resolve) => {
      onReady = (m, p) => resolve([m, p]);
    });
    const device = await newReceiver(fleet, 'd1', url(), {
      onPatchReady: (m: Manifest, p: string) => onReady(m, p),
    });
    const pub = await newPublisher(fleet);
    try {
      const m = manifestFor(fleet);
      await pub.publish(sign(m, key.secretKey), payload, [key.trusted]);
      const [got, path] = await ready;
      expect(got.sequence).toBe(10);
      expect(Buffer.compare(await readFile(path), Buffer.from(payload))).toBe(0);
      expect(device.stats.blocks).toBe(Math.ceil(payload.length / 16384));
      expect(pub.stats.repairedBlocks).toBe(0);
      await device.markInstalled(got, 'v2');
      await until<void>('fleet watcher to see d1 running v2', (done) => {
        const check = () =>
          watcher.devices.get('d1')?.version === 'v2' &&
          watcher.devices.get('d1')?.phase === 'running' &&
          done();
        watcher.onChange = check;
        check();
      });
      expect(watcher.devices.get('d1')?.installedSeq).toBe(10);
    } finally {
      await device.stop();
      await pub.stop();
      await watcher.stop();
    }
  });

  it.each([
    ['a kept broker session', false],
    ['no broker session (repairs)', true],
  ])(
    'resumes after the link drops three times mid-transfer with %s; only missing blocks are sent again',
    async (_how, cleanSession) => {
      const fleet = fleetName();
      const proxy = await new TcpProxy(hostPort(url())).start();
      let ready!: () => void;
      const done = new Promise<void>((r) => (ready = r));
      const device = await newReceiver(fleet, 'flaky', proxy.url, {
        onPatchReady: () => ready(),
        cleanSession,
      });
      const missingAsked: number[] = [];
      device.on('repair-sent', (n) => missingAsked.push(n));
      const total = Math.ceil(payload.length / 16384);
      const dropAt = new Set([Math.floor(total * 0.2), Math.floor(total * 0.45), Math.floor(total * 0.7)]);
      device.on('block', () => {
        if (dropAt.delete(device.stats.blocks)) proxy.dropAll();
      });
      // Paced like a thin link, so the drops land while blocks are still on their way.
      const pub = await newPublisher(fleet, { maxBytesPerSecond: 1_000_000 });
      try {
        await pub.publish(sign(manifestFor(fleet), key.secretKey), payload, [key.trusted]);
        await until('the flaky device to finish', (r) => done.then(() => r(undefined)));
        expect(proxy.drops).toBeGreaterThanOrEqual(3);
        expect(device.stats.blocks).toBe(total);
        // Re-sent = answers to repairs; never more than what the device said it lacked.
        const asked = missingAsked.reduce((a, b) => a + b, 0);
        expect(pub.stats.repairedBlocks).toBeLessThanOrEqual(asked);
        expect(pub.stats.repairedBlocks).toBeLessThan(total);
        expect(pub.stats.broadcastBlocks).toBe(total);
        // Without a session the blocks broadcast during the outages can only come by repair.
        if (cleanSession) expect(pub.stats.repairedBlocks).toBeGreaterThan(0);
        // Whatever arrived twice (QoS 1 redelivery, a repair racing the session replay) is bounded
        // by what was re-sent plus what was in flight at each drop.
        expect(device.stats.duplicates).toBeLessThanOrEqual(pub.stats.repairedBlocks + 3 * 40);
      } finally {
        await device.stop();
        await pub.stop();
        await proxy.close();
      }
    },
  );

  it('survives kill -9 of the device process and resumes from its on-disk bitmap', async () => {
    const fleet = fleetName();
    const dataDir = await tempDir();
    const total = Math.ceil(payload.length / 16384);
    const config = {
      url: url(),
      fleet,
      device: 'k9',
      dataDir,
      publicKeyHex: key.publicKeyHex,
      image: precursor,
      mqttVersion,
      repairAfterMs: 400,
    };
    const pub = await newPublisher(fleet, { maxBytesPerSecond: 600_000 });
    const first = spawnDevice(deviceScript, config);
    try {
      await first.next((e) => e.event === 'started');
      const broadcast = pub.publish(sign(manifestFor(fleet), key.secretKey), payload, [key.trusted]);
      await first.next((e) => e.event === 'block' && e.have >= Math.floor(total / 3));
      first.child.kill('SIGKILL');
      await first.exited;
      const onDisk = countBits(new Uint8Array(await readFile(join(dataDir, 'download/have.bitmap'))), total);
      expect(onDisk).toBeGreaterThan(0);
      expect(onDisk).toBeLessThan(total);
      const second = spawnDevice(deviceScript, config);
      try {
        const started = await second.next((e) => e.event === 'started');
        expect(started.have).toBeGreaterThanOrEqual(onDisk);
        const ready = await second.next((e) => e.event === 'ready', 90_000);
        // The second life wrote exactly the blocks the first did not have.
        expect(ready.stats.blocks).toBe(total - started.have);
        const patch = await readFile(ready.path);
        expect(Buffer.compare(patch, Buffer.from(payload))).toBe(0);
      } finally {
        second.child.kill('SIGKILL');
        await second.exited;
      }
      await broadcast;
    } finally {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
      await pub.stop();
    }
  });

  it('a device that joins after the broadcast gets everything by repair; on MQTT 5 two publishers share it', async () => {
    const fleet = fleetName();
    const a = await newPublisher(fleet);
    const b = await newPublisher(fleet);
    const envelope = sign(manifestFor(fleet), key.secretKey);
    const total = Math.ceil(payload.length / 16384);
    try {
      await a.publish(envelope, payload, [key.trusted]);
      b.offer(envelope, payload, [key.trusted]);
      let ready!: (p: string) => void;
      const done = new Promise<string>((r) => (ready = r));
      const late = await newReceiver(fleet, 'late', url(), {
        onPatchReady: (_m: Manifest, p: string) => ready(p),
      });
      try {
        const path = await until<string>('the late device', (r) => done.then(r));
        expect(Buffer.compare(await readFile(path), Buffer.from(payload))).toBe(0);
        const resent = a.stats.repairedBlocks + b.stats.repairedBlocks;
        if (mqttVersion === 5) {
          // $share: each repair request reached exactly one publisher.
          expect(a.stats.repairRequests + b.stats.repairRequests).toBe(late.stats.repairs);
          expect(resent).toBe(total);
        } else {
          // MQTT 3.1.1 has no shared subscriptions: both answer, the device drops duplicates.
          expect(a.stats.repairRequests).toBe(late.stats.repairs);
          expect(b.stats.repairRequests).toBe(late.stats.repairs);
          expect(resent).toBeGreaterThanOrEqual(total);
        }
        expect(late.stats.blocks).toBe(total);
      } finally {
        await late.stop();
      }
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('asks the update policy before downloading: a wait keeps no block until it lifts, a refusal keeps nothing', async () => {
    const fleet = fleetName();
    const total = Math.ceil(payload.length / 16384);
    let answer: DownloadGate = { action: 'wait', reason: 'battery 20 % is below 30 %', retryAt: 0 };
    const asked: number[] = [];
    const states: DeviceState[] = [];
    const rejected: ProtocolError[] = [];
    let ready!: () => void;
    const done = new Promise<void>((r) => (ready = r));
    const device = await newReceiver(fleet, 'gated', url(), {
      beforeDownload: (m: Manifest) => {
        asked.push(m.sequence);
        return answer;
      },
      onPatchReady: () => ready(),
    });
    device.on('state', (s) => states.push(s));
    device.on('rejected', (e) => rejected.push(e));
    const pub = await newPublisher(fleet);
    try {
      await pub.publish(sign(manifestFor(fleet, 10), key.secretKey), payload, [key.trusted]);
      // Asked again after at least a second: by then every broadcast block has reached the device.
      await until<void>('the policy to be asked twice', (r) => {
        const t = setInterval(() => {
          if (asked.length < 2) return;
          clearInterval(t);
          r();
        }, 50);
      });
      expect(device.stats.blocks).toBe(0);
      expect(states.at(-1)).toMatchObject({ phase: 'waiting', targetSeq: 10, reason: answer.reason });
      answer = { action: 'update' };
      await until('the download after the wait', (r) => done.then(() => r(undefined)));
      expect(device.stats.blocks).toBe(total);
      expect(pub.stats.repairedBlocks).toBeGreaterThanOrEqual(total);

      answer = { action: 'refuse', reason: 'rule "no-updates-in-flight" matched' };
      await pub.publish(sign(manifestFor(fleet, 11), key.secretKey), payload, [key.trusted]);
      await until<void>('the refusal', (r) => {
        const t = setInterval(() => {
          if (!rejected.length) return;
          clearInterval(t);
          r();
        }, 50);
      });
      // Sequence 10 was asked until it could go, then 11 once: a refusal is final.
      expect(new Set(asked.slice(0, -1))).toEqual(new Set([10]));
      expect(asked.at(-1)).toBe(11);
      expect(rejected[0].code).toBe('PROTOCOL_POLICY_REFUSED');
      expect(rejected[0].message).toContain('no-updates-in-flight');
      expect(device.stats.blocks).toBe(total);
      expect(device.patchPath).toBeUndefined();
      expect(device.state?.rejection?.code).toBe('PROTOCOL_POLICY_REFUSED');
      expect(device.state?.phase).toBe('running');
    } finally {
      await device.stop();
      await pub.stop();
    }
  });

  it('a device on another image asks for the full image and alone receives it, on its own topics', async () => {
    const fleet = fleetName();
    const delta = payload.subarray(0, 100_000);
    const full = payload;
    const ready = new Map<string, (m: Manifest) => void>();
    const got = (name: string) => new Promise<Manifest>((r) => ready.set(name, r));
    const strayGot = got('stray');
    const peerGot = got('peer');
    const stray = await newReceiver(fleet, 'stray', url(), {
      initial: { seq: 3, image: imageDigest(new TextEncoder().encode('some other image')), version: 'v0' },
      onPatchReady: (m: Manifest) => ready.get('stray')?.(m),
    });
    const peer = await newReceiver(fleet, 'peer', url(), {
      onPatchReady: (m: Manifest) => ready.get('peer')?.(m),
    });
    const pub = await newPublisher(fleet);
    const requests: string[] = [];
    pub.on('full-image-request', (r) => {
      requests.push(r.device);
      const m = makeManifest(full, { fleet, sequence: 10, precursor: target, target, now: Date.now() });
      void pub.sendTo(r.device, sign({ ...m, patch: { ...m.patch, kind: 'full' } }, key.secretKey), full, [
        key.trusted,
      ]);
    });
    try {
      const deltaManifest = makeManifest(delta, { fleet, sequence: 10, precursor, target, now: Date.now() });
      await pub.publish(sign(deltaManifest, key.secretKey), delta, [key.trusted]);
      const [s, p] = await until<[Manifest, Manifest]>('both devices', (r) => {
        Promise.all([strayGot, peerGot]).then(r);
      });
      expect(p.patch.kind).toBe('delta');
      expect(s.patch.kind).toBe('full');
      expect(requests).toContain('stray');
      expect(requests).not.toContain('peer');
      expect(Buffer.compare(await readFile(stray.patchPath as string), Buffer.from(full))).toBe(0);
      // The full image went to the stray device only: the peer saw the delta's blocks, no more.
      expect(peer.stats.blocks).toBe(Math.ceil(delta.length / 16384));
      expect(stray.stats.blocks).toBe(Math.ceil(full.length / 16384));
      expect(stray.state?.rejection?.code).toBe('PROTOCOL_WRONG_PRECURSOR');
    } finally {
      await stray.stop();
      await peer.stop();
      await pub.stop();
    }
  });

  it('aloft publish --patch broadcasts to a device and aloft fleet status lists it', async () => {
    const fleet = fleetName();
    const dir = await tempDir();
    await quiet(() => keygenCommand.run(['--out', dir]));
    const keys = [await readPublicKey(join(dir, 'aloft.pub'))];
    const patchFile = join(dir, 'patch.bin');
    await writeFile(patchFile, payload);
    let ready!: (p: string) => void;
    const done = new Promise<string>((r) => (ready = r));
    const device = await newReceiver(fleet, 'cli', url(), {
      keys,
      onPatchReady: (_m: Manifest, p: string) => ready(p),
    });
    try {
      const args = [
        '--broker',
        url(),
        '--fleet',
        fleet,
        '--key',
        join(dir, 'aloft.key'),
        '--patch',
        patchFile,
        '--precursor',
        precursor,
        '--target',
        target,
        '--linger',
        '0',
        '--mqtt',
        String(mqttVersion),
      ];
      expect(await quiet(() => publishCommand.run(args))).toBe(0);
      const path = await until<string>('the patch from aloft publish', (r) => done.then(r));
      expect(Buffer.compare(await readFile(path), Buffer.from(payload))).toBe(0);
      const out = await quiet(
        () =>
          fleetCommand.run([
            'status',
            '--broker',
            url(),
            '--fleet',
            fleet,
            '--once',
            '--wait',
            '800',
            '--mqtt',
            String(mqttVersion),
          ]),
        true,
      );
      expect(out).toMatch(/^cli\s+verifying\s+\d+\/\d+ \(100%\)/m);
    } finally {
      await device.stop();
    }
  });

  it('a forged, replayed, expired, tampered, oversized or foreign-precursor manifest and a tampered block change nothing', async () => {
    const fleet = fleetName();
    const device = await newReceiver(fleet, 'victim');
    const pub = await newPublisher(fleet);
    const raw = await rawClient(url(), mqttVersion);
    const rejected: string[] = [];
    device.on('rejected', (e: ProtocolError) => rejected.push(e.code));
    const fullRequests: string[] = [];
    pub.on('full-image-request', (r) => fullRequests.push(r.device));
    const expectRejection = async (code: string, send: () => Promise<unknown>) => {
      const seen = until<DeviceState>(`state to show ${code}`, (r) => {
        const check = (s: DeviceState) => s.rejection?.code === code && r(s);
        device.on('state', check);
      });
      await send();
      const s = await seen;
      // Retained state as others see it carries the reason too.
      const retained = await retainedState(url(), mqttVersion, fleet, 'victim', code);
      expect(retained.rejection?.code).toBe(code);
      expect(s.phase).toBe('running');
      expect(s.targetSeq).toBeUndefined(); // no download started
    };
    const publishManifest = (bytes: Uint8Array) =>
      raw.publishAsync(topics.manifest(fleet), Buffer.from(bytes), { qos: 1, retain: true });
    try {
      const good = sign(manifestFor(fleet, 20), key.secretKey);
      await expectRejection('PROTOCOL_UNKNOWN_KEY', () =>
        publishManifest(sign(manifestFor(fleet, 21), stranger.secretKey)),
      );
      const tampered = Uint8Array.from(good);
      tampered[40] ^= 0x01;
      await expectRejection('PROTOCOL_BAD_SIGNATURE', () => publishManifest(tampered));
      await expectRejection('PROTOCOL_REPLAYED', () =>
        publishManifest(sign(manifestFor(fleet, 2), key.secretKey)),
      );
      const expired = { ...manifestFor(fleet, 22), expiresAt: Date.now() - 1 };
      await expectRejection('PROTOCOL_EXPIRED', () => publishManifest(sign(expired, key.secretKey)));
      await expectRejection('PROTOCOL_OVERSIZED', () => publishManifest(new Uint8Array(LIMITS.manifest + 1)));
      await expectRejection('PROTOCOL_MALFORMED', () => publishManifest(encodeCbor({ hello: 'drone' })));
      const foreign = makeManifest(payload, {
        fleet,
        sequence: 23,
        precursor: imageDigest(new Uint8Array([9])),
        target,
        now: Date.now(),
      });
      await expectRejection('PROTOCOL_WRONG_PRECURSOR', () => publishManifest(sign(foreign, key.secretKey)));
      await until('the publisher to get a full-image request', (r) => {
        const check = () => fullRequests.includes('victim') && r(undefined);
        pub.on('full-image-request', check);
        check();
      });
      expect(device.state?.installedSeq).toBe(3);

      // Now a good update, with a tampered block injected ahead of the real ones.
      let ready!: (p: string) => void;
      const done = new Promise<string>((r) => (ready = r));
      device.on('patch-ready', (_m, p) => ready(p));
      const m = manifestFor(fleet, 24);
      const envelope = sign(m, key.secretKey);
      await publishManifest(envelope);
      await until('download to start', (r) => {
        const check = () => device.state?.phase === 'downloading' && r(undefined);
        device.on('state', check);
        check();
      });
      const bad = Uint8Array.from(payload.subarray(0, 16384));
      bad[100] ^= 0xff;
      await raw.publishAsync(
        topics.blocks(fleet, m.patch.digest),
        Buffer.from(encodeBlock({ digest: m.patch.digest, index: 0, data: bad })),
        { qos: 1 },
      );
      await until('the tampered block to be refused', (r) => {
        const check = () => device.stats.rejectedBlocks > 0 && r(undefined);
        device.on('rejected', check);
        check();
      });
      expect(device.state?.have).toBe(0);
      // The publisher has not broadcast yet: repairs are answered for the whole patch.
      pub.offer(envelope, payload, [key.trusted]);
      const path = await until<string>('the good patch', (r) => done.then(r));
      expect(Buffer.compare(await readFile(path), Buffer.from(payload))).toBe(0);
      expect(rejected).toContain('PROTOCOL_BLOCK_MISMATCH');
    } finally {
      await raw.publishAsync(topics.manifest(fleet), '', { qos: 1, retain: true });
      await raw.endAsync();
      await device.stop();
      await pub.stop();
    }
  });
});

/** Runs a command with stdout captured; returns the exit status, or the output when asked. */
async function quiet(f: () => Promise<number>): Promise<number>;
async function quiet(f: () => Promise<number>, output: true): Promise<string>;
async function quiet(f: () => Promise<number>, output = false): Promise<number | string> {
  const out = capture(process.stdout);
  try {
    const status = await f();
    return output ? out.text : status;
  } finally {
    out.restore();
  }
}

/** Keeps what is written to a stream (and shows none of it) until `restore()`. */
function capture(stream: NodeJS.WriteStream) {
  const write = stream.write;
  const c = {
    text: '',
    restore: () => {
      stream.write = write;
    },
  };
  stream.write = ((chunk: string) => {
    c.text += chunk;
    return true;
  }) as typeof stream.write;
  return c;
}

function rawClient(url: string, protocolVersion: 4 | 5): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = connect(url, { protocolVersion, reconnectPeriod: 0 });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

async function retainedState(
  url: string,
  v: 4 | 5,
  fleet: string,
  device: string,
  code: string,
): Promise<DeviceState> {
  const c = await rawClient(url, v);
  try {
    return await until<DeviceState>(
      'retained state',
      (r) => {
        c.on('message', (_t, p) => {
          const s = decodeState(new Uint8Array(p));
          if (s.rejection?.code === code) r(s);
        });
        void c.subscribeAsync(topics.state(fleet, device), { qos: 1 });
      },
      10_000,
    );
  } finally {
    await c.endAsync();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: JSON lines from the device process, read by field.
type DeviceEvent = Record<string, any> & { event: string };

function spawnDevice(script: string, config: object) {
  const child: ChildProcess = spawn(process.execPath, [script, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const events: DeviceEvent[] = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  child.stdout?.on('data', (d) => {
    buf += d.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      events.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let cursor = 0;
  const next = (pred: (e: DeviceEvent) => boolean, ms = 60_000) =>
    until<DeviceEvent>(
      'a device event',
      (resolve) => {
        const scan = () => {
          while (cursor < events.length) {
            const e = events[cursor++];
            if (pred(e)) return resolve(e);
          }
          waiters.push(scan);
        };
        scan();
      },
      ms,
    );
  return { child, next, exited };
}

describe('aloft publish with images: --from/--to, or an already-made image patch (--patch, IDs from its header)', () => {
  const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();
  const tags: string[] = [];
  afterAll(() => {
    for (const t of tags) execFileSync('docker', ['rmi', '-f', t], { stdio: 'ignore' });
  });

  /** A tiny image from one file (docker import), saved as a docker-save tar. */
  const tinyImage = async (dir: string, name: string, text: string): Promise<[string, string]> => {
    const root = join(dir, name);
    execFileSync('mkdir', ['-p', join(root, 'etc')]);
    await writeFile(join(root, 'etc/release'), text);
    const tag = `aloft-transport-test/${name}:${RUN_ID}`;
    execFileSync('tar', ['-C', root, '-cf', `${root}.tar`, '.']);
    docker('import', '--change', 'LABEL io.aloft.transport-test=1', `${root}.tar`, tag);
    tags.push(tag);
    docker('save', '-o', `${root}.image.tar`, tag);
    return [`${root}.image.tar`, docker('image', 'inspect', '--format', '{{.Id}}', tag)];
  };

  /** Keys, OLD and NEW (docker-save tars) and the image patch OLD -> NEW: made once, shared. */
  let made: ReturnType<typeof makeRig> | undefined;
  const rig = () => (made ??= makeRig());
  async function makeRig() {
    const dir = await tempDir();
    await quiet(() => keygenCommand.run(['--out', join(dir, 'keys')]));
    const keys = [await readPublicKey(join(dir, 'keys/aloft.pub'))];
    const [oldTar, oldId] = await tinyImage(dir, 'old', 'v1\n'.repeat(1000));
    const [newTar, newId] = await tinyImage(dir, 'new', `${'v1\n'.repeat(1000)}v2\n`);
    const { createImagePatch, aloftLayerEngine } = await import('../../delta/index.js');
    const patch = join(dir, 'v1-v2.patch');
    const created = await createImagePatch(oldTar, newTar, patch, { engine: aloftLayerEngine });
    const args = (fleet: string, broker: string) => [
      '--broker',
      broker,
      '--fleet',
      fleet,
      '--key',
      join(dir, 'keys/aloft.key'),
    ];
    return { dir, keys, oldTar, oldId, newTar, newId, patch, created, args };
  }

  /** A device on `image` that resolves with the first patch it downloads (manifest, path). */
  const device = async (fleet: string, name: string, image: string) => {
    const { dir, keys } = await rig();
    let ready!: (v: [Manifest, string]) => void;
    const got = new Promise<[Manifest, string]>((r) => (ready = r));
    const receiver = new DeviceReceiver({
      url: aedes.url,
      fleet,
      device: name,
      keys,
      dataDir: join(dir, `${fleet}-${name}`),
      initial: { seq: 1, image },
      repairAfterMs: 300,
      onPatchReady: (m, p) => ready([m, p]),
    });
    await receiver.start();
    return { receiver, got: () => until<[Manifest, string]>(`${name}'s patch`, (r) => got.then(r)) };
  };

  /** Rebuilds the image a patch makes (from OLD when given) and returns its image ID. */
  const rebuild = async (patch: string, old?: string) => {
    const { applyImagePatch, aloftLayerEngine } = await import('../../delta/index.js');
    const out = join((await rig()).dir, `rebuilt-${Math.random().toString(36).slice(2)}.tar`);
    const r = await applyImagePatch(old ? { path: old } : undefined, patch, out, {
      engine: aloftLayerEngine,
      container: 'tar',
    });
    return r.imageId;
  };

  it.each([
    ['--from OLD --to NEW', false],
    ['--patch FILE --to NEW (an already-made image patch)', true],
  ])('%s: a device that runs another image is sent NEW in full, alone', async (_how, withPatch) => {
    const r = await rig();
    const fleet = fleetName();
    const stray = await device(fleet, 'stray', imageDigest(new TextEncoder().encode('neither')));
    const peer = await device(fleet, 'peer', r.oldId);
    try {
      const source = withPatch
        ? ['--patch', r.patch, '--to', r.newTar]
        : ['--from', r.oldTar, '--to', r.newTar];
      const published = quiet(() =>
        publishCommand.run([...r.args(fleet, aedes.url), ...source, '--sequence', '5', '--linger', '2']),
      );
      const [[full, fullPath], [delta, deltaPath]] = await Promise.all([stray.got(), peer.got()]);
      expect(await published).toBe(0);
      expect(full).toMatchObject({
        sequence: 5,
        precursor: r.newId,
        target: { imageId: r.newId },
        patch: { kind: 'full' },
      });
      expect(await rebuild(fullPath)).toBe(r.newId);
      // The delta's precursor, target and DiffIDs came from the images, or from the patch and NEW.
      expect(delta).toMatchObject({
        precursor: r.oldId,
        target: { imageId: r.newId, diffIds: r.created.layers.map((l) => l.diffId) },
        patch: { kind: 'delta' },
      });
      expect(await rebuild(deltaPath, r.oldTar)).toBe(r.newId);
      expect(peer.receiver.stats.blocks).toBe(Math.ceil(delta.patch.size / delta.patch.blockSize));
      expect(r.oldId).not.toBe(r.newId);
    } finally {
      await stray.receiver.stop();
      await peer.receiver.stop();
    }
  });

  it('--patch FILE alone: precursor, target and DiffIDs from its header; a full-image request is logged, nothing sent', async () => {
    const r = await rig();
    const fleet = fleetName();
    const stray = await device(fleet, 'stray', imageDigest(new TextEncoder().encode('neither')));
    const peer = await device(fleet, 'peer', r.oldId);
    const err = capture(process.stderr);
    try {
      const published = quiet(() =>
        publishCommand.run([...r.args(fleet, aedes.url), '--patch', r.patch, '--linger', '1']),
      );
      const [delta, deltaPath] = await peer.got();
      expect(await published).toBe(0);
      expect(delta).toMatchObject({
        precursor: r.oldId,
        target: { imageId: r.newId, diffIds: r.created.layers.map((l) => l.diffId) },
        patch: { kind: 'delta' },
      });
      expect(await rebuild(deltaPath, r.oldTar)).toBe(r.newId);
      expect(err.text).toMatch(
        /^full image requested by stray \(runs sha256:[0-9a-f]{12}…\): publish with --to NEW \(the target image, docker save or OCI\) to answer it$/m,
      );
      expect(stray.receiver.stats.blocks).toBe(0);
      expect(stray.receiver.state?.rejection?.code).toBe('PROTOCOL_WRONG_PRECURSOR');
    } finally {
      err.restore();
      await stray.receiver.stop();
      await peer.receiver.stop();
    }
  });

  it('--patch FILE alone, FILE a full-image patch: the manifest is a full image of its target', async () => {
    const r = await rig();
    const { createImagePatch, aloftLayerEngine } = await import('../../delta/index.js');
    const patch = join(r.dir, 'v2-full.patch');
    await createImagePatch(r.newTar, r.newTar, patch, { engine: aloftLayerEngine, full: true });
    const out = join(r.dir, 'out-full');
    const args = ['--fleet', fleetName(), '--key', join(r.dir, 'keys/aloft.key'), '--patch', patch];
    expect(await quiet(() => publishCommand.run([...args, '--out', out]))).toBe(0);
    const m = openManifest(new Uint8Array(await readFile(join(out, 'manifest.cbor'))), r.keys);
    expect(m).toMatchObject({
      precursor: r.newId,
      target: { imageId: r.newId, diffIds: r.created.layers.map((l) => l.diffId) },
      patch: { kind: 'full' },
    });
    expect(await rebuild(join(out, 'patch'))).toBe(r.newId);
  });

  it('--patch FILE with a --to, --precursor, --target, --diff-id, --from or --full its header contradicts: one line, exit 1, nothing published or written', async () => {
    const r = await rig();
    const fleet = fleetName();
    const watcher = await rawClient(mosquittoUrl(), 5);
    const seen: string[] = [];
    watcher.on('message', (t) => seen.push(t));
    await watcher.subscribeAsync(`aloft/${fleet}/#`, { qos: 1 });
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as () => never);
    const diffIds = r.created.layers.map((l) => l.diffId).join(' ');
    try {
      const cases: Array<[string[], string]> = [
        [
          ['--patch', r.patch, '--to', r.oldTar],
          `aloft publish: ${r.oldTar} is image ${r.oldId}, but the patch ${r.patch} makes image ${r.newId}: give --to the image the patch was made to (TRANSPORT_INPUT)`,
        ],
        [
          ['--patch', r.patch, '--to', r.newTar, '--target', r.oldId],
          `aloft publish: --target ${r.oldId} is not the image ID of ${r.newTar} (${r.newId}), which the patch ${r.patch} makes: drop --target or correct it (TRANSPORT_INPUT)`,
        ],
        [
          ['--patch', r.patch, '--precursor', r.newId],
          `aloft publish: --precursor ${r.newId} is not the precursor image ID the patch ${r.patch} records (${r.oldId}): drop --precursor or correct it (TRANSPORT_INPUT)`,
        ],
        [
          ['--patch', r.patch, '--target', r.oldId],
          `aloft publish: --target ${r.oldId} is not the target image ID the patch ${r.patch} records (${r.newId}): drop --target or correct it (TRANSPORT_INPUT)`,
        ],
        [
          ['--patch', r.patch, '--diff-id', r.oldId, '--diff-id', r.newId],
          `aloft publish: --diff-id ${r.oldId} ${r.newId} is not the target's DiffIDs the patch ${r.patch} records (${diffIds}): drop --diff-id or correct it (TRANSPORT_INPUT)`,
        ],
        [
          ['--patch', r.patch, '--from', r.newTar],
          `aloft publish: ${r.newTar} is image ${r.newId}, but the patch ${r.patch} applies to image ${r.oldId}: give --from the image the patch was made from, or drop --from (TRANSPORT_INPUT)`,
        ],
        [
          ['--patch', r.patch, '--full'],
          `aloft publish: --full, but the patch ${r.patch} is a delta from image ${r.oldId}: drop --full (TRANSPORT_INPUT)`,
        ],
      ];
      for (const [source, line] of cases) {
        const out = join(r.dir, `out-${fleet}`);
        const err = capture(process.stderr);
        // Not quiet(): runMain waits for stdout to drain through the real write.
        await runMain(publishCommand, [...r.args(fleet, mosquittoUrl()), ...source, '--out', out]).finally(
          err.restore,
        );
        expect(exit).toHaveBeenLastCalledWith(1);
        expect(err.text).toBe(`${line}\n`);
        expect(existsSync(out)).toBe(false);
      }
      // Nothing reached the fleet's topics: a marker published after both runs is all there is.
      await until<void>('the marker', (done) => {
        watcher.on('message', (t) => t.endsWith('/marker') && done());
        void watcher.publishAsync(`aloft/${fleet}/marker`, 'x', { qos: 1 });
      });
      expect(seen).toEqual([`aloft/${fleet}/marker`]);
    } finally {
      exit.mockRestore();
      await watcher.endAsync();
    }
  });
});
