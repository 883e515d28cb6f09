import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { type DroneHardware, droneHardware } from '../../examples/drone/resources.js';
import { dockerClient } from '../../sdk/docker/index.js';
import { Agent, type AgentState } from '../agent/index.js';
import { DEVICE_LABEL, removeDeviceContainers } from '../agent/runtime.js';
import { RUN_ID, runTag } from './test-run.js';

export { removeDeviceContainers };

const run = promisify(execFile);

/** An in-process agent with the simulated drone, a temp data dir and a unique device id. */
export interface Rig {
  agent: Agent;
  hw: DroneHardware;
  dataDir: string;
  deviceId: string;
  states: AgentState[];
  close(): Promise<void>;
}

export async function startRig(name: string): Promise<Rig> {
  const deviceId = `${name}-${RUN_ID}-${Date.now().toString(36)}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'aloft-dev-'));
  const hw = droneHardware();
  const agent = await Agent.start({ dataDir, deviceId, resources: hw.all, pollMs: 100 });
  const states: AgentState[] = [];
  agent.on('state', (s: AgentState) => states.push(s));
  return {
    agent,
    hw,
    dataDir,
    deviceId,
    states,
    async close() {
      await agent.stop();
      await removeDeviceContainers(deviceId);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Versions of this device's app whose containers run, straight from the engine. */
export async function runningVersions(deviceId: string): Promise<string[]> {
  const list = await dockerClient().listContainers({ filters: { label: [`${DEVICE_LABEL}=${deviceId}`] } });
  return list.map((c) => c.Labels['io.aloft.version']).sort();
}

/** Resolves when the agent has settled on `version` (running, every lease it wants held by it). */
export function settledOn(agent: Agent, version: string, leases: string[], timeoutMs = 240_000) {
  return agent.waitFor(
    (s) => s.state === 'running' && s.version === version && leases.every((r) => s.leases[r] === version),
    timeoutMs,
  );
}

/**
 * `docker save IMAGE` to FILE under this run's tag runTag(name), then drops the tag, so loading
 * it is real; resolves to the tag. A tag of the run's own: with a fixed one another run's rmi
 * could land between this tag and the save, and this rmi untag what another run updates to.
 */
export async function saveUnderTag(image: string, name: string, file: string): Promise<string> {
  const tag = runTag(name);
  await run('docker', ['tag', image, tag]);
  try {
    await run('docker', ['save', '-o', file, tag]);
  } finally {
    await run('docker', ['rmi', tag]);
  }
  return tag;
}

/** Sends one JSON message to the drone's ground link, as a ground station would. */
export async function groundSend(url: string, msg: unknown): Promise<void> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify(msg));
  await new Promise((r) => setTimeout(r, 50));
  ws.close();
}
