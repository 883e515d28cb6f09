import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDir, buildDroneImages, DRONE_IMAGES } from '../../examples/drone/images.js';
import { type ChildAgent, spawnAgent } from '../testing/child-agent.js';
import { removeDeviceContainers, runningVersions, saveUnderTag } from '../testing/rig.js';
import type { AgentState } from './agent.js';
import { readJournal, writeFileAtomic } from './index.js';
import type { UpdateRequest } from './types.js';

// kill -9 of the agent in every state of one hand-over update (download, apply, load,
// hand-over, health window), each followed by a restart on the same --data-dir: the device must
// end with exactly one version running, holding its leases.
const deviceId = `crash-${process.pid}`;
let dataDir: string;
let agent: ChildAgent | undefined;
let tar: string;

beforeAll(async () => {
  await buildDroneImages();
  await mkdir(join(buildDir(), 'test'), { recursive: true });
  tar = join(buildDir(), 'test', 'drone-crash-2.tar');
  await saveUnderTag(DRONE_IMAGES.v2, 'aloft/drone-crash:2', tar);
  dataDir = await mkdtemp(join(tmpdir(), 'aloft-crash-'));
});
afterAll(async () => {
  await agent?.stop();
  await removeDeviceContainers(deviceId);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const RANK: Record<string, number> = {
  downloading: 1,
  applying: 2,
  loading: 3,
  'hand-over': 4,
  'waiting-lock': 4,
  starting: 4,
  'handing-over': 4,
  stopping: 4,
  health: 5,
  commit: 6,
  running: 6,
};
const rankOf = (s: AgentState) => (s.target === '2' || s.version === '2' ? (RANK[s.state] ?? 0) : 0);

describe('agent killed with SIGKILL at each state of an update', () => {
  it('ends with exactly one healthy version holding every lease', async () => {
    agent = await spawnAgent(dataDir, deviceId);
    const install: UpdateRequest = {
      release: { version: '1', image: DRONE_IMAGES.v1 },
      source: { kind: 'engine' },
    };
    await writeFileAtomic(join(dataDir, 'request.json'), JSON.stringify(install));
    await agent.waitFor((s) => s.state === 'running' && s.version === '1' && s.leases.flight === '1');

    const update: UpdateRequest = {
      release: { version: '2', image: 'aloft/drone-crash:2' },
      // ~3 s of download at this rate: the kill lands in the middle of it.
      source: { kind: 'tar', path: tar, bytesPerSecond: 40 << 20 },
      strategy: 'hand-over',
      healthWindowMs: 4000,
    };
    await writeFileAtomic(join(dataDir, 'request.json'), JSON.stringify(update));

    const killedIn: string[] = [];
    for (const stage of ['downloading', 'applying', 'loading', 'handing-over', 'health']) {
      const s = await agent.waitFor((x) => rankOf(x) >= RANK[stage] || x.last?.version === '2');
      if (s.state === 'running' && s.version === '2') break;
      if (killedIn.includes(s.state)) continue; // a state can pass before we react: not killed twice
      await agent.kill9();
      killedIn.push(s.state);
      // While no agent runs, the containers fly on: at most one app holds the (absent) bridge.
      const alive = await runningVersions(deviceId);
      expect(alive.length).toBeGreaterThanOrEqual(1);
      agent = await spawnAgent(dataDir, deviceId);
    }
    process.stdout.write(`killed the agent in: ${killedIn.join(', ')}\n`);
    expect(killedIn).toEqual(expect.arrayContaining(['downloading', 'health']));
    expect(killedIn.length).toBeGreaterThanOrEqual(4);

    const final = await agent.waitFor(
      (x) =>
        x.state === 'running' &&
        x.version === '2' &&
        ['flight', 'camera', 'ground', 'thermal'].every((r) => x.leases[r] === '2'),
      180_000,
    );
    expect(final.last).toMatchObject({ version: '2', result: 'updated' });
    expect(await runningVersions(deviceId)).toEqual(['2']);
    expect((await readJournal(dataDir))?.current?.version).toBe('2');
  });
});
