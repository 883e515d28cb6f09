import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DeviceError } from '../errors.js';
import { deltaSource } from './delta-source.js';
import type { DockerRuntime } from './runtime.js';
import type { ImageSourceSpec, Release } from './types.js';

export type FetchStage = 'downloading' | 'applying' | 'loading';

export interface FetchContext {
  dataDir: string;
  runtime: DockerRuntime;
  report(stage: FetchStage, done?: number, total?: number): void;
}

/**
 * The port through which a new image reaches the engine. Implementations must be idempotent
 * and resumable: the agent may be killed at any byte and calls fetch again after a restart.
 * The MQTT/delta path (protocol + image-delta issues) plugs in as another implementation.
 */
export interface ImageSource {
  fetch(release: Release, spec: ImageSourceSpec, ctx: FetchContext): Promise<void>;
}

/** The image is already in the engine (built locally, or loaded by another tool). */
export const engineSource: ImageSource = {
  async fetch(release, _spec, ctx) {
    if (!(await ctx.runtime.imageLabels(release.image)))
      throw new DeviceError(
        'DEVICE_FETCH_FAILED',
        `image ${release.image} is not in the local engine: build or load it first`,
      );
  },
};

/**
 * A `docker save` tarball: downloaded (copied, resuming at the partial file's size, optionally
 * rate-limited to imitate a thin link), checked (sha256, the 'applying' stage of a full image),
 * then loaded into the engine.
 */
export const tarSource: ImageSource = {
  async fetch(release, spec, ctx) {
    if (spec.kind !== 'tar')
      throw new DeviceError('DEVICE_FETCH_FAILED', `tar source given a ${spec.kind} spec`);
    const dir = join(ctx.dataDir, 'downloads');
    await mkdir(dir, { recursive: true });
    const done = join(dir, `${safe(release.version)}.tar`);
    const part = `${done}.part`;
    const total = (await stat(spec.path)).size;
    if (!(await exists(done))) {
      await copyResumable(spec.path, part, total, spec.bytesPerSecond, (n) =>
        ctx.report('downloading', n, total),
      );
      await rename(part, done);
    }
    ctx.report('applying', 0, total);
    await sha256File(done);
    ctx.report('loading', 0, total);
    await loadTar(ctx.runtime, done);
    if (!(await ctx.runtime.imageLabels(release.image)))
      throw new DeviceError(
        'DEVICE_FETCH_FAILED',
        `loading ${done} did not give image ${release.image}: the tarball holds another image`,
      );
    await rm(done, { force: true });
  },
};

export const defaultImageSources: Record<ImageSourceSpec['kind'], ImageSource> = {
  engine: engineSource,
  tar: tarSource,
  delta: deltaSource,
};

async function copyResumable(
  from: string,
  to: string,
  total: number,
  bytesPerSecond: number | undefined,
  progress: (n: number) => void,
): Promise<void> {
  const have = (await exists(to)) ? (await stat(to)).size : 0;
  const out = await open(to, 'a');
  const started = Date.now();
  let written = 0;
  let lastReport = Date.now();
  progress(have);
  try {
    if (have >= total) return;
    for await (const chunk of createReadStream(from, { start: have, highWaterMark: 256 * 1024 })) {
      await out.write(chunk as Buffer);
      written += (chunk as Buffer).length;
      if (bytesPerSecond) {
        const ahead = (written / bytesPerSecond) * 1000 - (Date.now() - started);
        if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
      }
      if (Date.now() - lastReport > 200) {
        lastReport = Date.now();
        progress(have + written);
      }
    }
    await out.sync();
  } finally {
    await out.close();
  }
  progress(total);
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function loadTar(runtime: DockerRuntime, path: string): Promise<void> {
  const stream = await runtime.docker.loadImage(createReadStream(path));
  await new Promise<void>((resolve, reject) => {
    runtime.docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const failed = out?.find((o) => o.error);
      if (err || failed)
        reject(
          new DeviceError('DEVICE_FETCH_FAILED', `docker load failed: ${err?.message ?? failed?.error}`),
        );
      else resolve();
    });
  });
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );
const safe = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, '_');
