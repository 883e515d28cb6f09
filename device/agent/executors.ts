import type { BridgeServer } from '../bridge/index.js';
import { DeviceError } from '../errors.js';
import type { FetchStage, ImageSource } from './image-source.js';
import type { DockerRuntime } from './runtime.js';
import type { Action, StepOf } from './steps.js';
import type { ImageSourceSpec, Release, UpdateRecord } from './types.js';

export interface ExecContext {
  dataDir: string;
  runtime: DockerRuntime;
  bridge: BridgeServer;
  imageSources: Record<ImageSourceSpec['kind'], ImageSource>;
  /** Opens the version's bridge slot (its socket folder) before its container starts. */
  openSlot(release: Release, handover: boolean): Promise<string>;
  /** Durably records facts learnt while a step runs (e.g. the leases v1 held). */
  patch(p: Partial<UpdateRecord>): Promise<void>;
  report(state: string, detail?: Record<string, unknown>): void;
  /** Polling period while waiting on the engine (locks, health). */
  pollMs: number;
}

type Executor<A extends Action> = (step: StepOf<A>, ctx: ExecContext) => Promise<void>;
type ExecutorMap = { [A in Exclude<Action, 'phase' | 'finish'>]: Executor<A> };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How long a new version may take to boot and take its leases before its health window. */
export const BOOT_TIMEOUT_MS = 60_000;

/** Runs each kind of step. 'phase' and 'finish' are journal writes the agent does itself. */
export const executors: ExecutorMap = {
  async fetch(step, ctx) {
    const stageOf: Record<FetchStage, string> = {
      downloading: 'downloading',
      applying: 'applying',
      loading: 'loading',
    };
    await ctx.imageSources[step.source.kind].fetch(step.release, step.source, {
      dataDir: ctx.dataDir,
      runtime: ctx.runtime,
      report: (stage, done, total) =>
        ctx.report(stageOf[stage], { target: step.release.version, done, total }),
    });
  },

  async 'wait-lock'(step, ctx) {
    const deadline = Date.now() + step.timeoutMs;
    let reported = false;
    for (;;) {
      const lock = ctx.bridge.lockOf(step.version);
      if (!lock) return;
      if (!reported) {
        // Say that we wait, and why: an operator watching the fleet must not think we hang.
        ctx.report('waiting-lock', { version: step.version, reason: lock.reason, timeoutMs: step.timeoutMs });
        reported = true;
      }
      if (Date.now() > deadline)
        throw new DeviceError(
          'DEVICE_UPDATE_LOCKED',
          `v${step.version} held its update lock ('${lock.reason}') for more than ${step.timeoutMs} ms; the update was not applied: send it again later`,
        );
      await sleep(Math.min(ctx.pollMs, 50));
    }
  },

  async stop(step, ctx) {
    if (step.record) {
      const held = ctx.bridge.leases.leasesOf(step.version);
      if (held.length) await ctx.patch({ required: held });
    }
    ctx.report('stopping', { version: step.version });
    await ctx.runtime.stop(step.version);
  },

  async 'remove-container'(step, ctx) {
    await ctx.runtime.remove(step.version);
  },

  async 'remove-image'(step, ctx) {
    ctx.report('deleting', { image: step.image });
    await ctx.runtime.removeImage(step.image);
  },

  async start(step, ctx) {
    ctx.report('starting', { version: step.release.version, handover: step.handover });
    const dir = await ctx.openSlot(step.release, step.handover);
    await ctx.runtime.start(step.release, dir, step.handover ? { ALOFT_HANDOVER: '1' } : {});
  },

  async 'hand-over'(step, ctx) {
    const held = ctx.bridge.leases.leasesOf(step.from);
    if (held.length) await ctx.patch({ required: held });
    ctx.report('handing-over', { from: step.from, to: step.to, resources: held, timeoutMs: step.timeoutMs });
    const { bridge } = ctx;
    let onComplete: (id: string) => void = () => {};
    const completed = new Promise<void>((resolve) => {
      onComplete = (id) => {
        if (id === step.from || id === step.to) resolve();
      };
      bridge.on('complete', onComplete);
    });
    try {
      const deadline = Date.now() + step.timeoutMs;
      let done = false;
      void completed.then(() => {
        done = true;
      });
      while (!done) {
        const st = await ctx.runtime.state(step.to);
        if (!st?.running)
          throw new DeviceError(
            'DEVICE_HANDOVER_FAILED',
            `v${step.to} exited (code ${st?.exitCode ?? '?'}) during the hand-over; v${step.from} keeps its leases`,
          );
        if (Date.now() > deadline) {
          // balena's rule: after the hand-over timeout the old version is killed anyway.
          ctx.report('handover-timeout', { from: step.from, to: step.to, timeoutMs: step.timeoutMs });
          bridge.takeOver(step.from);
          return;
        }
        await Promise.race([completed, sleep(ctx.pollMs)]);
      }
    } finally {
      bridge.off('complete', onComplete);
    }
  },

  async health(step, ctx) {
    ctx.report('health', { version: step.version, windowMs: step.windowMs, required: step.required });
    let started = Date.now();
    const fail = (why: string): never => {
      throw new DeviceError(
        'DEVICE_HEALTH_FAILED',
        `v${step.version} ${why} (${Date.now() - started} ms into a ${step.windowMs} ms health window)`,
      );
    };
    const alive = async () => {
      const st = await ctx.runtime.state(step.version);
      if (!st?.running) fail(`exited with code ${st?.exitCode ?? '?'}`);
      const h = ctx.bridge.healthOf(step.version);
      if (h && !h.ok) fail(`reported itself unhealthy${h.detail ? `: ${h.detail}` : ''}`);
    };
    const holdsAll = () => {
      const asked = ctx.bridge.requestedBy(step.version);
      return (
        ctx.bridge.isConnected(step.version) &&
        asked.length > 0 &&
        asked.every((r) => ctx.bridge.leases.holderOf(r) === step.version)
      );
    };
    // The window is measured from the moment v2 is up (connected, holding what it asked for),
    // not from `docker start`: on a loaded device the boot alone can outlast a short window.
    const bootBy = started + Math.max(step.windowMs, BOOT_TIMEOUT_MS);
    while (!holdsAll()) {
      await alive();
      if (Date.now() > bootBy)
        fail(`did not connect to the bridge and take its leases in ${BOOT_TIMEOUT_MS} ms`);
      await sleep(Math.min(ctx.pollMs, 50));
    }
    started = Date.now();
    const deadline = started + step.windowMs;
    let disconnected = false;
    const onDisconnect = (id: string) => {
      if (id === step.version) disconnected = true;
    };
    ctx.bridge.on('disconnect', onDisconnect);
    try {
      for (;;) {
        await alive();
        if (Date.now() >= deadline) break;
        await sleep(disconnected ? 20 : Math.min(ctx.pollMs, deadline - Date.now()));
      }
    } finally {
      ctx.bridge.off('disconnect', onDisconnect);
    }
    if (!ctx.bridge.isConnected(step.version)) fail('is not connected to the bridge');
    // v2 must hold everything it asked for. What v1 held and v2 no longer asks for is allowed
    // (a downgrade may drop the thermal camera) but reported.
    const asked = ctx.bridge.requestedBy(step.version);
    if (!asked.length) fail('asked for no resource at all');
    const missing = asked.filter((r) => ctx.bridge.leases.holderOf(r) !== step.version);
    if (missing.length) fail(`does not hold ${missing.join(', ')}`);
    const dropped = step.required.filter((r) => !asked.includes(r));
    if (dropped.length) ctx.report('health', { version: step.version, passed: true, dropped });
  },
};
