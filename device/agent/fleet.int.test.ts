import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveImageFromDocker } from '../../delta/node/image/index.js';
import { buildDroneImages, type DroneImages } from '../../examples/drone/images.js';
import { dockerClient } from '../../sdk/docker/index.js';
import { type DeviceState, openManifest } from '../../sdk/protocol/index.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../sdk/transport/index.js';
import { generateKeyPairPem, readPublicKey } from '../../sdk/transport/key-files.js';
import { publishCommand } from '../../sdk/transport/publish-command.js';
import { type Rig, runningVersions, settledOn, startRig } from '../testing/rig.js';
import { RUN_ID, removeRunImages, runLeftovers, runTag } from '../testing/test-run.js';
import { type FleetLink, startFleetLink } from './fleet-link.js';

// The whole path on one machine: `aloft publish` of a v1 -> v2 image delta on the embedded
// broker; the device's receiver downloads and verifies it, the policy (built-in default: a
// flying drone switches only by hand-over) says update, the agent applies the delta against the
// image it runs, loads it, hands the drone over to v2 and commits; the receiver records it.
// Images, tags, device and fleet are this run's own (test-run.ts), so runs can share the engine.
const run = promisify(execFile);
let images: DroneImages;
let rig: Rig;
let broker: EmbeddedBroker;
let link: FleetLink | undefined;

beforeAll(async () => {
  images = await buildDroneImages({ run: RUN_ID });
  broker = await startEmbeddedBroker();
  rig = await startRig('fleet');
});
afterAll(async () => {
  await link?.stop();
  await rig?.close();
  await broker?.close();
  await removeRunImages();
  expect(await runLeftovers()).toEqual([]);
});

describe('updates over MQTT into the agent', () => {
  it('applies a published image delta by hand-over and reports it installed', async () => {
    const fleet = `f${RUN_ID}`;
    await rig.agent.submit({ release: { version: '1', image: images.v1 }, source: { kind: 'engine' } });
    await settledOn(rig.agent, '1', ['flight', 'camera', 'ground']);

    // v2 for this test only (v2 plus one small layer), so that the device can lack it.
    const dir = rig.dataDir;
    const ctx = join(dir, 'v2-fleet');
    await mkdir(ctx);
    await writeFile(join(ctx, 'note.txt'), `fleet test ${fleet}\n`);
    await writeFile(join(ctx, 'Dockerfile'), `FROM ${images.v2}\nCOPY note.txt /app/note.txt\n`);
    const tag = runTag('fleet');
    await run('docker', ['build', '-q', '-t', tag, ctx], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    const v2Id = (await dockerClient().getImage(tag).inspect()).Id;
    const v1Id = (await dockerClient().getImage(images.v1).inspect()).Id;
    await saveImageFromDocker(images.v1, join(dir, 'v1.tar'));
    await saveImageFromDocker(tag, join(dir, 'v2.tar'));
    // The device must rebuild v2 itself from the delta and the image it runs.
    await run('docker', ['rmi', tag]);
    const keys = generateKeyPairPem();
    await writeFile(join(dir, 'fleet.key'), keys.privatePem, { mode: 0o600 });
    await writeFile(join(dir, 'fleet.pub'), keys.publicPem);

    link = await startFleetLink({
      agent: rig.agent,
      url: broker.url,
      fleet,
      deviceId: rig.deviceId,
      trust: [join(dir, 'fleet.pub')],
      dataDir: dir,
      flightState: () => ((rig.hw.flight.lastCommand()?.ageMs ?? 1e9) < 500 ? 'flying' : 'landed'),
      // The link starts too poor for the default policy to begin a download; it recovers as soon
      // as the device says it waits, so the blocks it ignored must come back by repair.
      facts: () => ({ linkQuality }),
    });
    let linkQuality = 10;
    let waited: DeviceState | undefined;
    link.receiver.on('state', (s) => {
      if (s.phase === 'waiting' && !waited) {
        waited = s;
        linkQuality = 90;
      }
    });
    const status = await publishCommand.run([
      '--broker',
      broker.url,
      '--fleet',
      fleet,
      '--key',
      join(dir, 'fleet.key'),
      // Two images: publish makes the image patch and reads precursor, target and DiffIDs from them.
      '--from',
      join(dir, 'v1.tar'),
      '--to',
      join(dir, 'v2.tar'),
      '--out',
      join(dir, 'published'),
      '--strategy',
      'download-then-kill',
      '--sequence',
      '7',
      '--linger',
      '10',
    ]);
    expect(status).toBe(0);
    const manifest = openManifest(new Uint8Array(await readFile(join(dir, 'published/manifest.cbor'))), [
      await readPublicKey(join(dir, 'fleet.pub')),
    ]);
    expect(manifest).toMatchObject({ precursor: v1Id, target: { imageId: v2Id }, patch: { kind: 'delta' } });
    const done = await rig.agent.waitFor((s) => s.last?.version === '7', 240_000);
    expect(done.last).toMatchObject({ result: 'updated' });
    expect(waited).toMatchObject({
      targetSeq: 7,
      reason: expect.stringContaining('no download on a poor link'),
    });
    expect(link.receiver.stats.repairs).toBeGreaterThan(0);
    // The manifest asked for download-then-kill; the policy switched a flying drone by hand-over.
    expect(rig.states.some((s) => s.state === 'handing-over')).toBe(true);
    await settledOn(rig.agent, '7', ['flight', 'camera', 'ground', 'thermal']);
    expect(await runningVersions(rig.deviceId)).toEqual(['7']);
    await expect.poll(() => link?.receiver.state?.phase, { timeout: 10_000 }).toBe('running');
    // The image running now is the one the delta rebuilt, with the very same ID.
    expect((await dockerClient().getImage(v2Id).inspect()).Id).toBe(v2Id);
    expect(rig.states.some((s) => s.state === 'applying')).toBe(true);
  });
});
