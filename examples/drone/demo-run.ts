import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Agent, type AgentState, type ImageSource, type UpdateRequest } from '../../device/agent/index.js';
import { removeDeviceContainers } from '../../device/agent/runtime.js';
import { buildDroneImages, DRONE_IMAGES } from './images.js';
import { droneHardware } from './resources.js';

export interface StrategyRun {
  strategy: string;
  /** Longest time between two setpoints reaching the flight controller, over the update. */
  maxGapMs: number;
  /** Setpoint gaps above 20 ms (two periods of the 100 Hz loop) over the update. */
  missedTicks: number;
  /** The gap at the moment control moved from the old to the new version. */
  switchGapMs: number;
  /** From the update request to the first setpoint from the new version. */
  newInControlMs: number;
  /** From the update request to the update committed (health window included). */
  updateMs: number;
  /** Whether the setpoint sequence continued across the switch (state handed over). */
  stateKept: boolean;
}

export interface DroneDemoResult {
  handoverGapMs: number;
  downloadThenKillGapMs: number;
  killThenDownloadGapMs?: number;
  /** Request to v2 in control (hand-over run). */
  v2InControlMs: number;
  updateSeconds: number;
  /** Longest setpoint gap over a quiet period with no update: the machine's own jitter. */
  baselineGapMs: number;
  runs: StrategyRun[];
}

export interface DroneDemoOptions {
  /** How v2 reaches the device in the hand-over run (default: already in the engine). */
  v2Request?: Partial<UpdateRequest>;
  /** Extra image sources, e.g. the MQTT/delta one for `kind: 'delta'`. */
  imageSources?: Partial<Record<'engine' | 'tar' | 'delta', ImageSource>>;
  /** Also measure kill-then-download, fetching v2 from a `docker save` tarball after the kill. */
  killThenDownload?: boolean;
  healthWindowMs?: number;
  log?: (line: string) => void;
  /** Runs once v1 flies, just before the hand-over (e.g. to remove v2 so a delta must rebuild it). */
  beforeHandOver?: () => Promise<void>;
}

const BASE = ['flight', 'camera', 'ground'];

/**
 * The drone demo: builds v1 and v2, flies v1 under an in-process agent, updates to v2 by
 * hand-over and measures the control gap at the flight controller, then does the same with
 * download-then-kill (and optionally kill-then-download) for comparison. Used by `aloft demo`
 * and bench/handover.ts. Cleans up its containers and data dir.
 */
export async function runDroneDemo(opts: DroneDemoOptions = {}): Promise<DroneDemoResult> {
  const log = opts.log ?? (() => {});
  const health = opts.healthWindowMs ?? 3000;
  log('building drone images v1, v2');
  await buildDroneImages();
  const deviceId = `demo-${process.pid}-${randomBytes(3).toString('hex')}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'aloft-demo-'));
  const hw = droneHardware();
  const agent = await Agent.start({
    dataDir,
    deviceId,
    resources: hw.all,
    pollMs: 100,
    ...(opts.imageSources ? { imageSources: opts.imageSources } : {}),
  });
  const settled = (v: string, leases: string[]) =>
    agent.waitFor(
      (s: AgentState) => s.state === 'running' && s.version === v && leases.every((r) => s.leases[r] === v),
      300_000,
    );
  try {
    log('installing v1');
    await agent.submit({ release: { version: '1', image: DRONE_IMAGES.v1 }, source: { kind: 'engine' } });
    await settled('1', BASE);
    await waitFor(() => hw.flight.lastCommand()?.holder === '1', 30_000);
    const b0 = performance.now();
    await sleep(2000);
    const baselineGapMs = hw.flight.stats(b0).maxGapMs;
    log(`v1 flying; baseline longest setpoint gap ${baselineGapMs.toFixed(1)} ms`);

    const measure = async (strategy: UpdateRequest['strategy'], request: UpdateRequest, leases: string[]) => {
      const from = agent.status().version!;
      const to = request.release.version;
      log(`updating v${from} -> v${to} by ${strategy}`);
      const t0 = performance.now();
      await agent.submit({ ...request, strategy, healthWindowMs: health });
      const done = await agent.waitFor((s) => s.last?.version === to, 300_000);
      if (done.last?.result !== 'updated')
        throw new Error(`update to v${to} by ${strategy} failed: ${done.last?.reason}`);
      await settled(to, leases);
      const t1 = performance.now();
      const st = hw.flight.stats(t0, t1);
      const sw = st.switches.find((g) => g.holder === to);
      const run: StrategyRun = {
        strategy: strategy!,
        maxGapMs: st.maxGapMs,
        missedTicks: st.missedTicks,
        switchGapMs: sw?.gapMs ?? Number.NaN,
        newInControlMs: sw ? sw.at - t0 : Number.NaN,
        updateMs: t1 - t0,
        stateKept: st.seqBreaks === 0,
      };
      log(
        `  ${strategy}: switch gap ${run.switchGapMs.toFixed(1)} ms, longest gap ${run.maxGapMs.toFixed(1)} ms, v${to} in control after ${(run.newInControlMs / 1000).toFixed(2)} s`,
      );
      return run;
    };

    await opts.beforeHandOver?.();
    const runs: StrategyRun[] = [];
    runs.push(
      await measure(
        'hand-over',
        { release: { version: '2', image: DRONE_IMAGES.v2 }, source: { kind: 'engine' }, ...opts.v2Request },
        [...BASE, 'thermal'],
      ),
    );
    runs.push(
      await measure(
        'download-then-kill',
        { release: { version: '3', image: DRONE_IMAGES.v1 }, source: { kind: 'engine' } },
        BASE,
      ),
    );
    if (opts.killThenDownload) {
      // A real fetch after the kill: v2 saved under a tag of its own, untagged, loaded back. The
      // random part: pids repeat across pid namespaces, and another run must not remove this tag.
      const tag = `aloft/drone-bench:${process.pid}-${randomBytes(3).toString('hex')}`;
      const tar = join(dataDir, 'v2.tar');
      await run('docker', ['tag', DRONE_IMAGES.v2, tag]);
      await run('docker', ['save', '-o', tar, tag]);
      await run('docker', ['rmi', tag]);
      try {
        runs.push(
          await measure(
            'kill-then-download',
            { release: { version: '4', image: tag }, source: { kind: 'tar', path: tar } },
            [...BASE, 'thermal'],
          ),
        );
      } finally {
        await run('docker', ['rmi', '-f', tag]).catch(() => {});
      }
    }
    return {
      handoverGapMs: runs[0].maxGapMs,
      downloadThenKillGapMs: runs[1].maxGapMs,
      ...(runs[2] ? { killThenDownloadGapMs: runs[2].maxGapMs } : {}),
      v2InControlMs: runs[0].newInControlMs,
      updateSeconds: runs[0].updateMs / 1000,
      baselineGapMs,
      runs,
    };
  } finally {
    await agent.stop();
    for (const r of hw.all) await r.close?.();
    await removeDeviceContainers(deviceId);
    await rm(dataDir, { recursive: true, force: true });
  }
}

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('drone demo: v1 never took control of the flight controller');
    await sleep(20);
  }
}
