import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createGzip } from 'node:zlib';
import { aloftLayerEngine, createImagePatch, saveImageFromDocker } from '../../delta/index.js';
import { dockerClient, ensureBaseImages, pingDocker } from '../../sdk/docker/index.js';
import { DEFAULT_BLOCK_SIZE, describePatch, type Manifest, signManifest } from '../../sdk/protocol/index.js';
import { DeviceReceiver, nodeSha256, Publisher, startEmbeddedBroker } from '../../sdk/transport/index.js';
import { generateKeyPairPem, readPublicKey, readSecretKey } from '../../sdk/transport/key-files.js';
import { buildDroneImages, DRONE_IMAGES, runDroneDemo } from '../drone/index.js';

/** The figures `aloft demo` prints; `--json` prints them as one object. */
export interface DemoFigures {
  /** `docker save aloft/drone:2 | gzip -9`: what a device would download without Aloft. */
  fullImageBytes: number;
  /** The image delta v1 -> v2. */
  patchBytes: number;
  /** Every payload byte the publisher put on the wire: signed manifest plus blocks. */
  bytesSent: number;
  /** Publish -> every block on the device and the patch digest verified. */
  transferSeconds: number;
  /** transferSeconds plus rebuild, load and hand-over until v2 was in control. */
  updateSeconds: number;
  /** The image the device rebuilt from the delta has v2's image ID. */
  imageIdVerified: boolean;
  /** Gap in the 100 Hz setpoint stream when control moved from v1 to v2. */
  handoverGapMs: number;
  /** Longest setpoint gap over the whole hand-over update, the machine's own jitter included. */
  handoverLongestGapMs: number;
  /** Gap when control moved from v2 to the next version under download-then-kill. */
  downloadThenKillGapMs: number;
  baselineGapMs: number;
}

const FLEET = 'demo';

/**
 * The end-to-end demo on this machine: builds the drone app v1 and v2, makes the v1 -> v2
 * image delta, signs it and sends it through the embedded MQTT broker to the device, which
 * flies v1, rebuilds v2 from the patch against the running v1 image (checking its image ID),
 * and switches to it by hand-over; then a download-then-kill update for comparison.
 */
export async function runDemo(log: (line: string) => void): Promise<DemoFigures> {
  await pingDocker();
  log('building base and drone images');
  await ensureBaseImages();
  await buildDroneImages();
  const docker = dockerClient();
  const v1Id = (await docker.getImage(DRONE_IMAGES.v1).inspect()).Id;
  const v2Id = (await docker.getImage(DRONE_IMAGES.v2).inspect()).Id;

  const dir = await mkdtemp(join(tmpdir(), 'aloft-demo-'));
  const broker = await startEmbeddedBroker();
  try {
    const v1Tar = join(dir, 'v1.tar');
    const v2Tar = join(dir, 'v2.tar');
    await saveImageFromDocker(DRONE_IMAGES.v1, v1Tar);
    await saveImageFromDocker(DRONE_IMAGES.v2, v2Tar);
    const fullImageBytes = await gzipSize(v2Tar);
    const patchPath = join(dir, 'v1-v2.patch');
    const made = await createImagePatch(v1Tar, v2Tar, patchPath, { engine: aloftLayerEngine });
    log(`image delta v1 -> v2: ${made.patchBytes} B (docker save | gzip -9: ${fullImageBytes} B)`);

    const keys = generateKeyPairPem();
    await writeFile(join(dir, 'key.pem'), keys.privatePem, { mode: 0o600 });
    await writeFile(join(dir, 'key.pub.pem'), keys.publicPem);
    const trusted = await readPublicKey(join(dir, 'key.pub.pem'));
    const patch = new Uint8Array(await readFile(patchPath));
    const now = Date.now();
    const { digest, blockHashes } = describePatch(patch, DEFAULT_BLOCK_SIZE, nodeSha256);
    const manifest: Manifest = {
      version: 1,
      fleet: FLEET,
      sequence: 2,
      precursor: v1Id,
      target: { imageId: v2Id, diffIds: (await docker.getImage(v2Id).inspect()).RootFS.Layers ?? [] },
      patch: { kind: 'delta', digest, size: patch.length, blockSize: DEFAULT_BLOCK_SIZE, blockHashes },
      strategy: { name: 'hand-over', timeoutMs: 60_000 },
      issuedAt: now,
      expiresAt: now + 3_600_000,
    };
    const envelope = signManifest(manifest, await readSecretKey(join(dir, 'key.pem')));

    const t0 = performance.now();
    const receiver = new DeviceReceiver({
      url: broker.url,
      fleet: FLEET,
      device: 'drone-1',
      keys: [trusted],
      dataDir: join(dir, 'device'),
      initial: { seq: 1, image: v1Id, version: '1' },
    });
    const ready = new Promise<string>((resolve) => {
      receiver.on('patch-ready', (_m, path) => resolve(path));
    });
    receiver.on('rejected', (e) => log(`device rejected the update: ${e.message}`));
    await receiver.start();
    const publisher = new Publisher({ url: broker.url, fleet: FLEET });
    await publisher.start();
    let received: string;
    try {
      await publisher.publish(envelope, patch, [trusted]);
      received = await withTimeout(ready, 120_000, 'the device did not receive the whole patch');
    } finally {
      await publisher.stop();
      await receiver.stop();
    }
    const transferSeconds = (performance.now() - t0) / 1000;
    const bytesSent = publisher.stats.bytesOut;
    log(`device: patch complete and verified after ${bytesSent} B over MQTT`);

    // The device must rebuild v2 from the patch: remove the v2 image the build left in the
    // engine, so the agent's delta source applies the patch against the running v1, checks the
    // image ID against the signed manifest and loads the result before the hand-over.
    const flight = await runDroneDemo({
      log,
      healthWindowMs: 2000,
      beforeHandOver: async () => {
        await docker.getImage(DRONE_IMAGES.v2).remove({ force: true });
        log('removed aloft/drone:2 from the engine: the device rebuilds it from the delta');
      },
      v2Request: {
        release: { version: '2', image: v2Id },
        source: { kind: 'delta', patchPath: received, baseImage: v1Id },
      },
    });
    const rebuilt = await docker
      .getImage(v2Id)
      .inspect()
      .then((i) => i.Id)
      .catch(() => undefined);
    return {
      fullImageBytes,
      patchBytes: made.patchBytes,
      bytesSent,
      transferSeconds,
      updateSeconds: transferSeconds + flight.v2InControlMs / 1000,
      imageIdVerified: rebuilt === v2Id,
      handoverGapMs: flight.runs[0].switchGapMs,
      handoverLongestGapMs: flight.handoverGapMs,
      downloadThenKillGapMs: flight.downloadThenKillGapMs,
      baselineGapMs: flight.baselineGapMs,
    };
  } finally {
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function gzipSize(path: string): Promise<number> {
  let n = 0;
  const gz = createReadStream(path).pipe(createGzip({ level: 9 }));
  for await (const chunk of gz) n += (chunk as Buffer).length;
  return n;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
