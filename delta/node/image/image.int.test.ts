import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureBaseImages } from '../../../sdk/docker/index.js';
import { isImageError } from '../../core/image/index.js';
import {
  aloftLayerEngine,
  applyImagePatch,
  copyImage,
  createImagePatch,
  imagePatchInfo,
  type LayerDeltaEngine,
  loadImageIntoDocker,
  readImage,
  routeImageCommand,
} from './index.js';
import {
  buildAppImages,
  buildSecurityUpdateImages,
  diffIds,
  imageId,
  removeTestImages,
  sh,
  TEST_REPO,
} from './testing/fixtures.js';
import { dockerSaveToOci, fileSize, verifyImage } from './testing/oci.js';
import { RUN_ID, RUN_LABEL, runLeftovers } from './testing/test-run.js';

// The engine that fills the layer-delta port; the image code is the same whatever it is.
const engine: LayerDeltaEngine = aloftLayerEngine;

let work: string;
let app: [string, string];
let sec: [string, string];
const ids = new Map<string, { id: string; diffIds: string[] }>();
const saved = (tag: string) => join(work, `${tag.replace(/[/:]/g, '_')}.tar`);

/** docker load, then the engine's own view of the image: its ID and layer DiffIDs. */
async function loadAndInspect(tar: string, tag: string) {
  await sh('docker', ['rmi', '-f', tag]).catch(() => undefined);
  await loadImageIntoDocker(tar);
  return { id: await imageId(tag), diffIds: await diffIds(tag) };
}

beforeAll(async () => {
  await ensureBaseImages();
  // No cleanup first: nothing of this run exists yet, and what other runs made is theirs.
  work = await mkdtemp(join(tmpdir(), 'aloft-image-int-'));
  app = await buildAppImages();
  sec = await buildSecurityUpdateImages(['libexpat1'], 'expat');
  for (const tag of [...app, ...sec]) {
    await sh('docker', ['save', tag, '-o', saved(tag)]);
    ids.set(tag, { id: await imageId(tag), diffIds: await diffIds(tag) });
  }
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  await removeTestImages();
  // Another run on this engine may be mid-test: only this run's images may go, and all of them.
  expect(await runLeftovers()).toEqual([]);
});

describe('image files on the real Docker Engine', () => {
  it("builds this run's own images: named and labelled with its id, so no other run touches them", async () => {
    const mine = await sh('docker', [
      'images',
      '--format',
      '{{.Repository}}:{{.Tag}}',
      '--filter',
      `label=${RUN_LABEL}=${RUN_ID}`,
    ]);
    expect(mine.split('\n').filter(Boolean).sort()).toEqual([...app, ...sec].sort());
    for (const tag of [...app, ...sec])
      expect(tag).toMatch(new RegExp(`^${TEST_REPO}/[a-z]+-${RUN_ID}:[12]$`));
  });

  it('reads a docker save, writes it back, and docker load gives the same image ID and DiffIDs', async () => {
    const [, v2] = app;
    const { model, files } = await readImage(saved(v2));
    await files.close();
    expect(model.format).toBe('docker-save');
    expect(model.imageId).toBe(ids.get(v2)?.id);
    expect(model.layers.map((l) => l.diffId)).toEqual(ids.get(v2)?.diffIds);
    const copy = join(work, 'copy.tar');
    await copyImage(saved(v2), copy);
    expect(await loadAndInspect(copy, v2)).toEqual(ids.get(v2));
  });

  it('reads OCI layouts (folder, tar, Docker 25-style docker save) with the same IDs', async () => {
    const [v1] = app;
    const dir = join(work, 'oci-dir');
    await dockerSaveToOci(saved(v1), dir, { container: 'dir', gzip: 'zlib', dockerManifest: false });
    const ociTar = join(work, 'oci.tar');
    await dockerSaveToOci(saved(v1), ociTar, { container: 'tar', gzip: 'none', dockerManifest: true });
    for (const p of [dir, ociTar]) {
      const { model, files } = await readImage(p);
      await files.close();
      expect(model.imageId).toBe(ids.get(v1)?.id);
      expect(model.layers.map((l) => l.diffId)).toEqual(ids.get(v1)?.diffIds);
    }
    expect((await readImage(dir)).model.layers[0].compression).toBe('gzip');
    // Docker 20.10 loads the Docker 25-style archive through its manifest.json.
    expect(await loadAndInspect(ociTar, v1)).toEqual(ids.get(v1));
  });
});

describe('image patches, verified by docker load', () => {
  it('app v1 -> v2: the shared base layer is referenced, the app layer diffed; apply --from-docker', async () => {
    const [v1, v2] = app;
    const patch = join(work, 'app.patch');
    const summary = await createImagePatch(saved(v1), saved(v2), patch, { engine });
    expect(summary.mode).toBe('delta');
    expect(summary.layers.map((l) => l.how)).toEqual(['ref', 'delta']);
    expect(summary.patchBytes).toBeLessThan((await fileSize(saved(v2))) / 50);
    const info = await imagePatchInfo(patch);
    expect(info.layers.map((l) => l.how)).toEqual(['referenced', 'diffed']);

    const out = join(work, 'app-v2-rebuilt.tar');
    const r = await applyImagePatch({ docker: v1 }, patch, out, { engine });
    expect(r.imageId).toBe(ids.get(v2)?.id);
    expect(await loadAndInspect(out, v2)).toEqual(ids.get(v2));
  });

  it('a base-layer security update (libexpat1 from two Debian versions) rebuilds the same image', async () => {
    const [v1, v2] = sec;
    const patch = join(work, 'sec.patch');
    const summary = await createImagePatch(saved(v1), saved(v2), patch, { engine });
    expect(summary.layers[0]).toMatchObject({ how: 'delta', base: [0] });
    expect(summary.layers[1].how).toBe('ref');
    const out = join(work, 'sec-v2.tar');
    await applyImagePatch({ path: saved(v1) }, patch, out, { engine });
    expect(await loadAndInspect(out, v2)).toEqual(ids.get(v2));
  });

  it('gzip OCI layers made by zlib are rebuilt byte for byte', async () => {
    const [v1, v2] = sec;
    const a = join(work, 'sec1-oci');
    const b = join(work, 'sec2-oci');
    await dockerSaveToOci(saved(v1), a, { container: 'dir', gzip: 'zlib', dockerManifest: false });
    await dockerSaveToOci(saved(v2), b, { container: 'dir', gzip: 'zlib', dockerManifest: false });
    const patch = join(work, 'sec-oci.patch');
    await createImagePatch(a, b, patch, { engine });
    const info = await imagePatchInfo(patch);
    expect(info.layers.map((l) => l.blob)).toEqual(['gzip-rebuilt', 'gzip-rebuilt']);
    const out = join(work, 'sec2-rebuilt-oci');
    const r = await applyImagePatch({ path: a }, patch, out, { engine });
    expect(r.uncompressed).toEqual([]);
    const want = await verifyImage(b);
    expect(await verifyImage(out)).toEqual(want);
    expect((await readdir(join(out, 'blobs/sha256'))).sort()).toEqual(
      (await readdir(join(b, 'blobs/sha256'))).sort(),
    );
  });

  it('gzip layers zlib cannot reproduce are written uncompressed with fixed digests, and still load', async () => {
    const [v1, v2] = app;
    const a = join(work, 'app1-gnu.tar');
    const b = join(work, 'app2-gnu.tar');
    await dockerSaveToOci(saved(v1), a, { container: 'tar', gzip: 'gnu', dockerManifest: true });
    await dockerSaveToOci(saved(v2), b, { container: 'tar', gzip: 'gnu', dockerManifest: true });
    const patch = join(work, 'app-gnu.patch');
    await createImagePatch(a, b, patch, { engine });
    const info = await imagePatchInfo(patch);
    expect(info.layers.map((l) => l.blob)).toEqual(['gzip-uncompressed', 'gzip-uncompressed']);
    const out = join(work, 'app2-gnu-rebuilt.tar');
    const r = await applyImagePatch({ path: a }, patch, out, { engine });
    expect(r.uncompressed).toEqual([0, 1]);
    const got = await verifyImage(out);
    expect(got.imageId).toBe(ids.get(v2)?.id);
    expect(got.blobs).toEqual(got.diffIds);
    expect(await loadAndInspect(out, v2)).toEqual(ids.get(v2));
  });

  it('refuses the wrong old image, naming both digests, and writes nothing', async () => {
    const patch = join(work, 'app.patch');
    const out = join(work, 'never.tar');
    const err = await applyImagePatch({ path: saved(sec[0]) }, patch, out, { engine }).catch((e) => e);
    expect(isImageError(err) && err.code).toBe('IMAGE_SOURCE_MISMATCH');
    expect(err.message).toContain(ids.get(sec[0])?.id);
    expect(err.message).toContain(ids.get(app[0])?.id);
    expect(existsSync(out)).toBe(false);
    expect((await readdir(work)).filter((f) => f.startsWith('.aloft-tmp'))).toEqual([]);
  });

  it('the delta command routes images: create, info --json, apply --from-docker --load; other inputs pass', async () => {
    const [v1, v2] = app;
    const patch = join(work, 'cli.patch');
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
      writes.push(String(c));
      return true;
    });
    try {
      expect(await routeImageCommand('create', [saved(v1), saved(v2), '-o', patch])).toBe(0);
      expect(await routeImageCommand('info', [patch, '--json'])).toBe(0);
      await sh('docker', ['rmi', '-f', v2]);
      expect(await routeImageCommand('apply', ['--from-docker', v1, patch, '--load'])).toBe(0);
      expect(await routeImageCommand('create', [patch, patch, '-o', join(work, 'x')])).toBeUndefined();
      expect(await routeImageCommand('info', [saved(v1)])).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
    const info = JSON.parse(writes[1]);
    expect(info.layers.map((l: { how: string }) => l.how)).toEqual(['referenced', 'diffed']);
    expect(writes[2]).toContain(ids.get(v2)?.id);
    expect({ id: await imageId(v2), diffIds: await diffIds(v2) }).toEqual(ids.get(v2));
  });

  it('--max-ratio: a delta larger than R x the full image becomes a full-image payload', async () => {
    const [v1, v2] = sec;
    const patch = join(work, 'full.patch');
    const summary = await createImagePatch(saved(v1), saved(v2), patch, { engine, maxRatio: 0.001 });
    expect(summary.mode).toBe('full');
    expect(summary.fullBytes).toBe(summary.patchBytes);
    const out = join(work, 'full-v2.tar');
    await applyImagePatch(undefined, patch, out, { engine });
    expect(await loadAndInspect(out, v2)).toEqual(ids.get(v2));
  });
});
