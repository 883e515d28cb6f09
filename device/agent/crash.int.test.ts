import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDir, buildDroneImages, type DroneImages } from '../../examples/drone/images.js';
import { type ChildAgent, spawnAgent } from '../testing/child-agent.js';
import { removeDeviceContainers, runningVersions, saveUnderTag } from '../testing/rig.js';
import { RUN_ID, removeRunImages, runLeftovers } from '../testing/test-run.js';
import { readJournal, writeFileAtomic } from './index.js';
import type { UpdateRequest } from './types.js';

// The agent is SIGKILLed in every state of one hand-over update — download, apply, load,
// hand-over, health window — and restarted on the same --data-dir each time. The kills in the
// first four states happen at crash points (ALOFT_DEVICE_CRASH_AT: the agent SIGKILLs itself
// the moment it enters the state, so the test does not race a fast stage); the one in the
// health window comes from outside (kill -9 from the test). The device must end with exactly
// one version running, holding its leases, and must never run none. Images, tags and the device
// id are this run's own (test-run.ts): another run on the engine neither sees nor removes them.
const deviceId = `crash-${RUN_ID}`;
const ALL = ['flight', 'camera', 'ground', 'thermal'];
let images: DroneImages;
let dataDir: string;
let agent: ChildAgent | undefined;
let tarDir: string | undefined;
let tar: string;
let tag: string;

beforeAll(async () => {
  images = await buildDroneImages({ run: RUN_ID });
  tarDir = await mkdtemp(join(buildDir(), `test-${RUN_ID}-`));
  tar = join(tarDir, 'drone-crash-2.tar');
  tag = await saveUnderTag(images.v2, 'crash', tar);
  dataDir = await mkdtemp(join(tmpdir(), 'aloft-crash-'));
});
afterAll(async () => {
  await agent?.stop();
  await removeDeviceContainers(deviceId);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  if (tarDir) await rm(tarDir, { recursive: true, force: true });
  await removeRunImages();
  expect(await runLeftovers()).toEqual([]);
});

describe('agent killed with SIGKILL at each state of an update', () => {
  it('resumes or rolls back, and ends with exactly one healthy version holding every lease', async () => {
    agent = await spawnAgent(dataDir, deviceId);
    const install: UpdateRequest = {
      release: { version: '1', image: images.v1 },
      source: { kind: 'engine' },
    };
    await writeFileAtomic(join(dataDir, 'request.json'), JSON.stringify(install));
    await agent.waitFor((s) => s.state === 'running' && s.version === '1' && s.leases.flight === '1');
    await agent.stop();

    const update: UpdateRequest = {
      release: { version: '2', image: tag },
      // ~2.5 s of download at this rate, so the kill lands in the middle of it.
      source: { kind: 'tar', path: tar, bytesPerSecond: 40 << 20 },
      strategy: 'hand-over',
      healthWindowMs: 5000,
    };
    await writeFileAtomic(join(dataDir, 'request.json'), JSON.stringify(update));

    let resumedAt: number | undefined;
    // downloading@4: the fourth progress report, ~0.6 s (some MB) into the download.
    for (const point of ['downloading@4', 'applying', 'loading', 'handing-over']) {
      const state = point.split('@')[0];
      agent = await spawnAgent(dataDir, deviceId, point);
      if (state === 'applying') {
        const first = await agent.waitFor((s) => s.state === 'downloading' || s.state === 'applying');
        resumedAt = first.state === 'downloading' ? Number(first.detail?.done) : undefined;
      }
      expect(await agent.exited).toBe('SIGKILL');
      expect(agent.states.at(-1)?.state).toBe(state);
      // No agent: the app containers fly on. v1 never stops before v2 holds the leases.
      expect((await runningVersions(deviceId)).length).toBeGreaterThanOrEqual(1);
    }
    // The download resumed where the killed agent stopped, not from byte 0.
    expect(resumedAt).toBeGreaterThan(0);

    agent = await spawnAgent(dataDir, deviceId);
    // After the interrupted hand-over v1 takes the controls back before the hand-over is redone.
    await agent.waitFor((s) => s.leases.flight === '1');
    await agent.waitFor((s) => s.state === 'health' && s.target === '2');
    await agent.kill9();
    expect(await runningVersions(deviceId)).toEqual(['2']);

    agent = await spawnAgent(dataDir, deviceId);
    const final = await agent.waitFor(
      (x) => x.state === 'running' && x.version === '2' && ALL.every((r) => x.leases[r] === '2'),
      180_000,
    );
    expect(final.last).toMatchObject({ version: '2', result: 'updated' });
    expect(await runningVersions(deviceId)).toEqual(['2']);
    expect((await readJournal(dataDir))?.current?.version).toBe('2');
  }, 420_000);
});
