import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DecompressStream } from 'zstd-napi';
import {
  fixDigestsForUncompressed,
  ImageError,
  type ImageFileInfo,
  type ImageModel,
  type PatchEntry,
  parseImage,
  sha256Digest,
  type Uncompressed,
} from '../../core/image/index.js';
import { saveImageFromDocker } from './docker.js';
import { writeGzipWithRecipe } from './gzip-recipe.js';
import { type OpenedImage, openImageFiles } from './image-files.js';
import type { LayerDeltaEngine } from './layer-engine.js';
import { concatLayers, hashTap, materializeLayer, withTempDir } from './layers.js';
import { type OpenedPatch, openImagePatch } from './patch-file.js';
import { type OutputFile, writeImage } from './write-image.js';

export type OldImage = { path: string } | { docker: string };

export interface ApplyImagePatchOptions {
  engine: LayerDeltaEngine;
  /** Write a folder or a tar; by default what the NEW image was. */
  container?: 'tar' | 'dir';
  log?: (line: string) => void;
}

export interface ApplyImageSummary {
  imageId: string;
  diffIds: string[];
  /** Layers whose gzip blob could not be rebuilt and were written uncompressed. */
  uncompressed: number[];
  out: string;
  /** docker-save (loadable by `docker load`) or a plain OCI layout. */
  format: 'docker-save' | 'oci';
}

type LayerEntry = Extract<PatchEntry, { t: 'layer' }>;

async function openOld(old: OldImage, dir: string): Promise<{ files: OpenedImage; label: string }> {
  if ('path' in old) return { files: await openImageFiles(old.path), label: old.path };
  const tar = join(dir, 'old-image.tar');
  await saveImageFromDocker(old.docker, tar);
  return { files: await openImageFiles(tar), label: `docker image ${old.docker}` };
}

/**
 * Rebuilds NEW from OLD and an image patch. Every layer is checked against its DiffID and
 * the config against the image ID; gzip blobs are rebuilt and checked against their digest,
 * or written uncompressed with fixed manifest digests. The output appears only when whole.
 */
export async function applyImagePatch(
  old: OldImage | undefined,
  patchPath: string,
  out: string,
  opts: ApplyImagePatchOptions,
): Promise<ApplyImageSummary> {
  const log = opts.log ?? (() => {});
  const patch = await openImagePatch(patchPath);
  try {
    const h = patch.header;
    if (h.mode === 'delta' && !old)
      throw new ImageError(
        'IMAGE_SOURCE_MISMATCH',
        `${patchPath} is a delta: give the old image it was made from`,
      );
    return await withTempDir(async (dir) => {
      let oldImage: { files: OpenedImage; model: ImageModel; label: string } | undefined;
      try {
        if (h.mode === 'delta' && old && h.source) {
          const o = await openOld(old, dir);
          const model = await parseImage(o.files).catch(async (e) => {
            await o.files.close();
            throw e;
          });
          oldImage = { ...o, model };
          if (model.imageId !== h.source.imageId)
            throw new ImageError(
              'IMAGE_SOURCE_MISMATCH',
              `${o.label} is image ${model.imageId}, but ${patchPath} was made from image ${h.source.imageId}: apply it to that image`,
            );
        }
        return await rebuild(patch, oldImage, dir, out, opts, log);
      } finally {
        await oldImage?.files.close();
      }
    });
  } finally {
    await patch.close();
  }
}

async function rebuild(
  patch: OpenedPatch,
  old: { files: OpenedImage; model: ImageModel } | undefined,
  dir: string,
  out: string,
  opts: ApplyImagePatchOptions,
  log: (line: string) => void,
): Promise<ApplyImageSummary> {
  const h = patch.header;
  const metaAll = await patch.metaBytes();
  const meta = new Map<string, Uint8Array>();
  for (const e of h.entries) {
    if (e.t !== 'meta') continue;
    const bytes = metaAll.subarray(e.off, e.off + e.size);
    if (sha256Digest(bytes) !== e.sha256)
      throw new ImageError('IMAGE_PATCH_FORMAT', `${patch.path}: ${e.path} is corrupt`);
    meta.set(e.path, bytes);
  }
  const oldTars = new Map<number, string>();
  const oldTar = async (j: number): Promise<string> => {
    let t = oldTars.get(j);
    if (!t) {
      if (!old) throw new ImageError('IMAGE_SOURCE_MISMATCH', 'the patch needs an old image');
      t = (await materializeLayer(old.files, old.model.layers[j], dir, `old-${j}`)).tar;
      oldTars.set(j, t);
    }
    return t;
  };

  const layerFiles = new Map<string, string>();
  const uncompressed: Uncompressed[] = [];
  const uncompressedLayers: number[] = [];
  for (const e of h.entries) {
    if (e.t !== 'layer') continue;
    const diffId = h.target.diffIds[e.layer];
    const tar = join(dir, `new-${e.layer}.tar`);
    await rebuildLayer(patch, e, tar, oldTar, opts.engine, dir);
    const { tap, result } = hashTap();
    await pipeline(createReadStream(tar), tap, createWriteStream('/dev/null'));
    const got = result();
    if (got.digest !== diffId || got.size !== e.tarSize)
      throw new ImageError(
        'IMAGE_DIGEST_MISMATCH',
        `rebuilt layer ${e.layer} has DiffID ${got.digest}, expected ${diffId}: the patch does not fit this old image`,
      );
    let file = tar;
    if (e.blob.c === 'gzip') {
      let ok = false;
      if (e.blob.zlib) {
        const gz = join(dir, `new-${e.layer}.gz`);
        const r = await writeGzipWithRecipe(tar, e.blob.zlib, gz);
        ok = r.digest === e.blob.digest;
        if (ok) file = gz;
      }
      if (!ok) {
        uncompressed.push({ blobDigest: e.blob.digest, diffId, tarSize: got.size });
        uncompressedLayers.push(e.layer);
      }
    }
    layerFiles.set(e.path, file);
    log(`layer ${e.layer} ${diffId.slice(7, 19)}: ${e.src.how}, verified`);
  }

  const fixed = uncompressed.length
    ? fixDigestsForUncompressed(meta, uncompressed)
    : { meta, renamed: new Map<string, string>() };
  const files: OutputFile[] = [];
  const written = new Set<string>();
  for (const e of h.entries) {
    const path = fixed.renamed.get(e.path) ?? e.path;
    if (written.has(path)) continue;
    written.add(path);
    const info: ImageFileInfo = { path, type: 'file', size: 0, mode: e.mode, mtime: e.mtime };
    if (e.t === 'dir') files.push({ info: { ...info, type: 'dir' } });
    else if (e.t === 'symlink') files.push({ info: { ...info, type: 'symlink', linkname: e.link } });
    else if (e.t === 'meta') {
      const bytes = fixed.meta.get(path) as Uint8Array;
      files.push({ info: { ...info, size: bytes.length }, bytes });
    } else {
      const file = layerFiles.get(e.path) as string;
      files.push({ info: { ...info, size: (await stat(file)).size }, file });
    }
  }
  await writeImage(out, opts.container ?? h.target.container, files);
  return {
    imageId: h.target.imageId,
    diffIds: h.target.diffIds,
    uncompressed: uncompressedLayers,
    out,
    format: h.target.format,
  };
}

async function rebuildLayer(
  patch: OpenedPatch,
  e: LayerEntry,
  tar: string,
  oldTar: (j: number) => Promise<string>,
  engine: LayerDeltaEngine,
  dir: string,
): Promise<void> {
  const src = e.src;
  if (src.how === 'ref') {
    await copyFile(await oldTar(src.old), tar);
    return;
  }
  const section = join(dir, `section-${src.section}`);
  await patch.sectionToFile(src.section, section);
  if (src.how === 'full') {
    await pipeline(createReadStream(section), new DecompressStream(), createWriteStream(tar));
    return;
  }
  const bases = await Promise.all(src.base.map(oldTar));
  let base = bases[0];
  if (bases.length > 1) {
    base = join(dir, `base-${e.layer}.tar`);
    await concatLayers(bases, base);
  }
  await engine.apply(base, section, tar);
}
