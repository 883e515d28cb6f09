import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDir, buildDroneImages, type DroneImages } from '../../examples/drone/images.js';
import { groundSend, type Rig, runningVersions, saveUnderTag, settledOn, startRig } from '../testing/rig.js';
import { RUN_ID, removeRunImages, runLeftovers, runTag } from '../testing/test-run.js';

// Every strategy end to end on the real engine, chained on one device so that each step costs
// one container start: v1 -> (hand-over) v2 -> (download-then-kill) v3 -> (kill-then-download,
// from a tarball) v4 -> (delete-then-download) v5 -> crashing v6 rolled back -> update lock.
// Every image and tag is this run's own (test-run.ts): another run on the engine removes only its.
const BASE = ['flight', 'camera', 'ground'];
let rig: Rig;
let images: DroneImages;
let dir: string | undefined;
let tars: { v2: string; v1: string };
const tags = { v3: runTag(3), v4: runTag(4), v5: runTag(5) };

beforeAll(async () => {
  images = await buildDroneImages({ run: RUN_ID });
  dir = await mkdtemp(join(buildDir(), `test-${RUN_ID}-`));
  tars = { v2: join(dir, 'drone-test-4.tar'), v1: join(dir, 'drone-test-5.tar') };
  await saveUnderTag(images.v2, '4', tars.v2);
  await saveUnderTag(images.v1, '5', tars.v1);
  // v3 under a tag of its own: delete-then-download deletes the image of the version it replaces.
  await promisify(execFile)('docker', ['tag', images.v1, tags.v3]);
  rig = await startRig('strategies');
});
afterAll(async () => {
  await rig?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  await removeRunImages();
  expect(await runLeftovers()).toEqual([]);
});

const statesSince = (i: number) => rig.states.slice(i).map((s) => s.state);

describe.sequential('update strategies on the real engine', { timeout: 300_000 }, () => {
  it('installs v1, which takes the flight controller, camera and ground link', async () => {
    await rig.agent.submit({ release: { version: '1', image: images.v1 }, source: { kind: 'engine' } });
    await settledOn(rig.agent, '1', BASE);
    await expect.poll(() => rig.hw.flight.lastCommand()?.holder, { timeout: 10_000 }).toBe('1');
    expect(await runningVersions(rig.deviceId)).toEqual(['1']);
  });

  it('hand-over (from the image label, a balena alias): v2 takes every lease with v1 state', async () => {
    const t0 = performance.now();
    // No strategy given: io.balena.update.strategy=hand-over on the image decides.
    await rig.agent.submit({
      release: { version: '2', image: images.v2 },
      source: { kind: 'engine' },
      healthWindowMs: 1500,
    });
    const done = await settledOn(rig.agent, '2', [...BASE, 'thermal']);
    expect(done.last).toMatchObject({ version: '2', result: 'updated' });
    const stats = rig.hw.flight.stats(t0);
    const switches = stats.switches.map((g) => `${g.prevHolder}->${g.holder}`);
    expect(switches).toEqual(['1->2']);
    // The setpoint sequence continued across the switch: the state blob moved with the lease.
    expect(stats.seqBreaks).toBe(0);
    expect(await runningVersions(rig.deviceId)).toEqual(['2']);
    process.stdout.write(
      `hand-over: longest control gap ${stats.maxGapMs.toFixed(1)} ms, ${stats.missedTicks} gaps > 20 ms\n`,
    );
  });

  it('download-then-kill: v2 is stopped, then v3 started; v3 takes the leases', async () => {
    const i = rig.states.length;
    await rig.agent.submit({
      release: { version: '3', image: tags.v3 },
      source: { kind: 'engine' },
      strategy: 'download-then-kill',
      healthWindowMs: 1500,
    });
    await settledOn(rig.agent, '3', BASE);
    const seen = statesSince(i);
    expect(seen.indexOf('stopping')).toBeLessThan(seen.indexOf('starting'));
    expect(await runningVersions(rig.deviceId)).toEqual(['3']);
  });

  it('kill-then-download: v3 is stopped before the tarball of v4 downloads and loads', async () => {
    const i = rig.states.length;
    await rig.agent.submit({
      release: { version: '4', image: tags.v4 },
      source: { kind: 'tar', path: tars.v2 },
      strategy: 'kill-then-download',
      healthWindowMs: 1500,
    });
    await settledOn(rig.agent, '4', [...BASE, 'thermal']);
    const seen = statesSince(i);
    expect(seen.indexOf('stopping')).toBeGreaterThan(-1);
    expect(seen.indexOf('stopping')).toBeLessThan(seen.indexOf('downloading'));
    expect(seen).toContain('loading');
    expect(await runningVersions(rig.deviceId)).toEqual(['4']);
  });

  it('delete-then-download: v4 container and image are deleted before v5 downloads', async () => {
    const i = rig.states.length;
    await rig.agent.submit({
      release: { version: '5', image: tags.v5 },
      source: { kind: 'tar', path: tars.v1 },
      strategy: 'delete-then-download',
      healthWindowMs: 1500,
    });
    await settledOn(rig.agent, '5', BASE);
    const seen = statesSince(i);
    expect(seen.indexOf('deleting')).toBeGreaterThan(-1);
    expect(seen.indexOf('deleting')).toBeLessThan(seen.indexOf('downloading'));
    expect(await rig.agent.runtime.imageLabels(tags.v4)).toBeUndefined();
    expect(await runningVersions(rig.deviceId)).toEqual(['5']);
  });

  it('a v6 that crashes in its health window is rolled back: v5 runs again with its leases', async () => {
    await rig.agent.submit({
      release: { version: '6', image: images.v2crash },
      source: { kind: 'engine' },
      strategy: 'hand-over',
      healthWindowMs: 8000,
    });
    const s = await rig.agent.waitFor((x) => x.last?.version === '6', 120_000);
    expect(s.last).toMatchObject({ result: 'rolled-back' });
    expect(s.last?.reason).toMatch(/exited with code 3|not running|exited/);
    await settledOn(rig.agent, '5', BASE);
    expect(await runningVersions(rig.deviceId)).toEqual(['5']);
    await expect.poll(() => rig.hw.flight.lastCommand()?.holder, { timeout: 10_000 }).toBe('5');
  });

  it('waits for an update lock, says so, and gives up after the lock timeout', async () => {
    const url = await rig.hw.ground.url();
    await groundSend(url, { op: 'lock', ms: 4000 });
    await expect.poll(() => rig.agent.bridge.lockOf('5')?.reason, { timeout: 5000 }).toMatch(/manoeuvre/);
    await rig.agent.submit({
      release: { version: '7', image: images.v1 },
      source: { kind: 'engine' },
      strategy: 'download-then-kill',
      lockTimeoutMs: 300,
    });
    const failed = await rig.agent.waitFor((x) => x.last?.version === '7', 30_000);
    expect(failed.last).toMatchObject({ result: 'failed' });
    expect(failed.last?.reason).toMatch(/update lock/);
    expect(
      rig.states.some((x) => x.state === 'waiting-lock' && x.detail?.reason === 'manoeuvre for 4000 ms'),
    ).toBe(true);

    // Again with a longer bound: the agent waits for the unlock, then updates.
    const i = rig.states.length;
    await rig.agent.submit({
      release: { version: '8', image: images.v1 },
      source: { kind: 'engine' },
      strategy: 'download-then-kill',
      lockTimeoutMs: 30_000,
      healthWindowMs: 1000,
    });
    await settledOn(rig.agent, '8', BASE);
    expect(statesSince(i)).toContain('waiting-lock');
    expect(await runningVersions(rig.deviceId)).toEqual(['8']);
  });
});
