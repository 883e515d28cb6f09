import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DeviceError } from '../errors.js';
import type { ImageSource } from './image-source.js';

/** What the agent needs from the image-delta engine (delta/node/image). */
interface DeltaImageApi {
  applyImagePatch(
    old: { docker: string } | undefined,
    patchPath: string,
    out: string,
    opts: { engine: unknown; container?: 'tar' | 'dir' },
  ): Promise<{ imageId: string }>;
  aloftLayerEngine: unknown;
  loadImageIntoDocker(tar: string): Promise<string>;
}

// Resolved at run time: delta/index.ts is the engine's public face once it exists; until then
// its image module. Keeps `aloft device` usable (engine and tar sources) without the delta engine.
const CANDIDATES = ['../../delta/index.js', '../../delta/node/image/index.js'];

async function deltaApi(): Promise<DeltaImageApi> {
  for (const path of CANDIDATES) {
    try {
      const mod = (await import(/* @vite-ignore */ path)) as Partial<DeltaImageApi>;
      if (
        typeof mod.applyImagePatch === 'function' &&
        typeof mod.loadImageIntoDocker === 'function' &&
        mod.aloftLayerEngine
      )
        return mod as DeltaImageApi;
    } catch {
      // try the next one
    }
  }
  throw new DeviceError(
    'DEVICE_FETCH_FAILED',
    'the image-delta engine is not available (delta/ exports no applyImagePatch): build Aloft with delta/',
  );
}

/**
 * A verified patch (downloaded by the MQTT receiver) applied against the image the engine runs
 * now — the device keeps no copy of the old tarball — then loaded. Stages: applying, loading.
 * Idempotent: if the target image is already there, nothing happens.
 */
export const deltaSource: ImageSource = {
  async fetch(release, spec, ctx) {
    if (spec.kind !== 'delta')
      throw new DeviceError('DEVICE_FETCH_FAILED', `delta source given a ${spec.kind} spec`);
    if (await ctx.runtime.imageLabels(release.image)) return;
    const api = await deltaApi();
    const dir = join(ctx.dataDir, 'downloads');
    await mkdir(dir, { recursive: true });
    const out = join(dir, `${release.version.replace(/[^a-zA-Z0-9_.-]/g, '_')}.image.tar`);
    try {
      ctx.report('applying');
      const summary = await api.applyImagePatch({ docker: spec.baseImage }, spec.patchPath, out, {
        engine: api.aloftLayerEngine,
        container: 'tar',
      });
      if (release.image.startsWith('sha256:') && summary.imageId !== release.image)
        throw new DeviceError(
          'DEVICE_FETCH_FAILED',
          `the patch rebuilt image ${summary.imageId}, but the manifest promised ${release.image}: nothing was loaded`,
        );
      ctx.report('loading');
      await api.loadImageIntoDocker(out);
    } finally {
      await rm(out, { force: true });
    }
    if (!(await ctx.runtime.imageLabels(release.image)))
      throw new DeviceError(
        'DEVICE_FETCH_FAILED',
        `after docker load the engine still has no image ${release.image}`,
      );
  },
};
