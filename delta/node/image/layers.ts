import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { DecompressStream } from 'zstd-napi';
import { ImageError, type ImageLayer, type LayerListing, shortDigest } from '../../core/image/index.js';
import type { OpenedImage } from './image-files.js';
import { scanTar } from './image-files.js';

/** A temporary folder removed with everything in it, whatever happens inside `fn`. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>, parent = tmpdir()): Promise<T> {
  const dir = await mkdtemp(join(parent, 'aloft-image-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function hashTap(): { tap: Transform; result: () => { digest: string; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  return { tap, result: () => ({ digest: `sha256:${hash.digest('hex')}`, size }) };
}

export async function sha256File(path: string): Promise<{ digest: string; size: number }> {
  const { tap, result } = hashTap();
  await pipeline(createReadStream(path), tap, new PassThrough().resume());
  return result();
}

/** A layer of an image, uncompressed on disk, its DiffID checked. */
export interface MaterializedLayer {
  tar: string;
  size: number;
  /** The stored blob, kept when it was compressed (to find a gzip recipe). */
  blob?: string;
}

/**
 * Writes the uncompressed tar of `layer` to `dir`, hashing it on the way: a layer whose
 * bytes do not match the DiffID in the config is an error, not a silently wrong delta.
 */
export async function materializeLayer(
  image: OpenedImage,
  layer: ImageLayer,
  dir: string,
  name: string,
  keepBlob = false,
): Promise<MaterializedLayer> {
  const tar = join(dir, `${name}.tar`);
  const { tap, result } = hashTap();
  let blob: string | undefined;
  if (layer.compression === 'none') {
    await pipeline(image.stream(layer.path), tap, createWriteStream(tar));
  } else {
    if (keepBlob) {
      blob = join(dir, `${name}.blob`);
      await pipeline(image.stream(layer.path), createWriteStream(blob));
    }
    const source = blob ? createReadStream(blob) : image.stream(layer.path);
    const decompress = layer.compression === 'gzip' ? createGunzip() : new DecompressStream();
    await pipeline(source, decompress, tap, createWriteStream(tar));
  }
  const got = result();
  if (got.digest !== layer.diffId)
    throw new ImageError(
      'IMAGE_DIGEST_MISMATCH',
      `${image.path}: layer ${layer.index} (${layer.path}) has DiffID ${got.digest}, but the config says ${layer.diffId}: the image is corrupt`,
    );
  return { tar, size: got.size, blob };
}

/** Paths and sizes in a layer tar, for choosing the most similar old layer. */
export async function listLayer(tarFile: string, diffId: string): Promise<LayerListing> {
  const fh = await open(tarFile, 'r');
  try {
    const { entries } = await scanTar(fh, tarFile);
    return { diffId, files: entries.map((e) => ({ path: e.path, size: e.size })) };
  } catch {
    // A layer the outer-tar scanner cannot list still diffs; it just scores 0 everywhere.
    return { diffId, files: [] };
  } finally {
    await fh.close();
  }
}

/**
 * Joins several layer tars into one tar stream (each without its end-of-archive blocks), the
 * "all old files" base for a layer delta.
 */
export async function concatLayers(tars: string[], out: string): Promise<void> {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (const t of tars) {
      const fh = await open(t, 'r');
      let end: number;
      try {
        end = (await scanTar(fh, t)).end;
      } finally {
        await fh.close();
      }
      if (end > 0) for await (const c of createReadStream(t, { start: 0, end: end - 1 })) yield c as Buffer;
    }
    yield new Uint8Array(1024);
  }
  await pipeline(chunks(), createWriteStream(out));
}

export const describeLayer = (l: ImageLayer): string => `layer ${l.index} ${shortDigest(l.diffId)}`;
