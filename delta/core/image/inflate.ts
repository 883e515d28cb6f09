import { Decompress } from 'fzstd';
import { ImageError } from './errors.js';

/**
 * zstd-decompresses `z` (pure JS, fzstd) and refuses to produce more than `max` bytes, so a
 * patch cannot declare a decompression bomb in its header or meta section.
 */
export function inflateBounded(z: Uint8Array, max: number, what: string): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  const d = new Decompress((chunk) => {
    total += chunk.length;
    if (total > max)
      throw new ImageError('IMAGE_PATCH_FORMAT', `${what} decompresses to more than ${max} bytes`);
    parts.push(chunk);
  });
  try {
    d.push(z, true);
  } catch (e) {
    if (e instanceof ImageError) throw e;
    throw new ImageError('IMAGE_PATCH_FORMAT', `${what} does not decompress (${(e as Error).message})`);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
