import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DeviceError } from '../errors.js';
import type { ImageSource } from './image-source.js';

// Loaded on first use, so that `aloft device` with engine or tar sources never pays for the
// delta engine's native zstd and tar code.
const deltaApi = () => import('../../delta/index.js');

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
