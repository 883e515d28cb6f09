import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { DeltaError, type Digest } from '../core/index.js';
import { nodeSha256 } from './hash.js';

export const isGzip = (head: Uint8Array): boolean =>
  head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 8;

export interface LoadedInput {
  /** The layer: the file, or what its gzip holds. */
  readonly bytes: Uint8Array;
  /** Of the file as given. */
  readonly digest: Digest;
}

/** Reads a whole input for create (the host holds both sides in memory). */
export function loadInput(path: string): LoadedInput {
  const raw = new Uint8Array(readFileSync(path));
  const h = nodeSha256();
  h.update(raw);
  const gzip = isGzip(raw);
  let bytes = raw;
  if (gzip) {
    try {
      bytes = new Uint8Array(gunzipSync(raw));
    } catch (e) {
      throw new DeltaError(
        'DELTA_TAR_INVALID',
        `${path}: looks like gzip but does not decompress (${(e as Error).message})`,
      );
    }
  }
  return { bytes, digest: { size: raw.length, sha256: h.digest(), gzip } };
}

/** Streams a gzip file into a plain file (apply's OLD, so it can be read at random offsets). */
export async function gunzipToFile(from: string, to: string): Promise<void> {
  try {
    await pipeline(createReadStream(from), createGunzip(), createWriteStream(to));
  } catch (e) {
    throw new DeltaError(
      'DELTA_SOURCE_MISMATCH',
      `${from}: gzip does not decompress (${(e as Error).message})`,
    );
  }
}
