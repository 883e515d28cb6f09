import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BridgeClient, encodeFrame } from '../../sdk/bridge-client/index.js';
import { BridgeServer, type Resource } from '../bridge/index.js';
import { type ExecContext, executors } from './executors.js';
import type { DockerRuntime } from './runtime.js';

// The hand-over and lock executors against a real bridge (unix sockets) and a stub engine.

const flight: Resource = { name: 'flight', command() {}, attach() {} };
let dir: string;
let bridge: BridgeServer;
let reports: Array<{ state: string; detail?: Record<string, unknown> }>;
let running: Record<string, boolean>;

function ctx(): ExecContext {
  const runtime = {
    state: async (v: string) => ({ running: running[v] ?? false, exitCode: running[v] ? 0 : 3 }),
  } as unknown as DockerRuntime;
  return {
    dataDir: dir,
    runtime,
    bridge,
    imageSources: {} as ExecContext['imageSources'],
    openSlot: async () => dir,
    patch: async () => {},
    report: (state, detail) => reports.push({ state, detail }),
    pollMs: 20,
  };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aloft-exec-'));
  bridge = new BridgeServer([flight]);
  reports = [];
  running = { '1': true, '2': true };
  for (const v of ['1', '2']) await bridge.openSlot({ id: v, app: 'drone', version: v, dir: join(dir, v) });
});
afterEach(async () => {
  await bridge.close();
  await rm(dir, { recursive: true, force: true });
});

/** A v1 that takes the flight controller and then ignores every hand-over request. */
async function stubbornV1(): Promise<() => void> {
  const s = connect(join(dir, '1', 'bridge.sock'));
  await new Promise((r) => s.once('connect', r));
  s.resume();
  s.write(encodeFrame({ t: 'hello', app: 'drone', version: '1' }));
  s.write(encodeFrame({ t: 'acquire', r: 'flight' }));
  const end = Date.now() + 2000;
  while (bridge.leases.holderOf('flight') !== '1' && Date.now() < end)
    await new Promise((r) => setTimeout(r, 5));
  return () => s.destroy();
}

describe('hand-over executor', () => {
  it('after the hand-over timeout moves the lease to v2 anyway and says so', async () => {
    bridge.setPolicy({ eligible: new Set(['1']) });
    const close = await stubbornV1();
    bridge.setPolicy({ eligible: new Set(['1', '2']), handoverTo: '2' });
    const v2 = await BridgeClient.connect(
      { app: 'drone', version: '2', socketPath: join(dir, '2', 'bridge.sock') },
      3000,
    );
    const granted = v2.acquire('flight');
    await executors['hand-over']({ action: 'hand-over', from: '1', to: '2', timeoutMs: 300 }, ctx());
    await granted;
    expect(bridge.leases.holderOf('flight')).toBe('2');
    expect(reports.map((r) => r.state)).toEqual(['handing-over', 'handover-timeout']);
    v2.close();
    close();
  });

  it('ends as soon as v2 says "kill me", and fails if v2 dies first', async () => {
    bridge.setPolicy({ eligible: new Set(['1', '2']), handoverTo: '2' });
    const v2 = await BridgeClient.connect(
      { app: 'drone', version: '2', socketPath: join(dir, '2', 'bridge.sock') },
      3000,
    );
    setTimeout(() => v2.handoverComplete(), 50);
    await executors['hand-over']({ action: 'hand-over', from: '1', to: '2', timeoutMs: 60_000 }, ctx());
    expect(reports.map((r) => r.state)).toEqual(['handing-over']);
    running['2'] = false;
    await expect(
      executors['hand-over']({ action: 'hand-over', from: '1', to: '2', timeoutMs: 60_000 }, ctx()),
    ).rejects.toMatchObject({ code: 'DEVICE_HANDOVER_FAILED' });
    v2.close();
  });
});

describe('wait-lock executor', () => {
  it('waits for an update lock, reporting why, and gives up after its bound', async () => {
    bridge.setPolicy({ eligible: new Set(['1']) });
    const v1 = await BridgeClient.connect(
      { app: 'drone', version: '1', socketPath: join(dir, '1', 'bridge.sock') },
      3000,
    );
    v1.lock('landing');
    const end = Date.now() + 2000;
    while (!bridge.lockOf('1') && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    setTimeout(() => v1.unlock(), 100);
    await executors['wait-lock']({ action: 'wait-lock', version: '1', timeoutMs: 5000 }, ctx());
    expect(reports[0]).toMatchObject({ state: 'waiting-lock', detail: { reason: 'landing' } });
    v1.lock('still landing');
    while (!bridge.lockOf('1')) await new Promise((r) => setTimeout(r, 5));
    await expect(
      executors['wait-lock']({ action: 'wait-lock', version: '1', timeoutMs: 100 }, ctx()),
    ).rejects.toMatchObject({
      code: 'DEVICE_UPDATE_LOCKED',
    });
    v1.close();
  });
});
