// gzip members (RFC 1952) as a recipe: the header bytes verbatim, the decompressed content, and
// the gzip level that re-deflates it. A recipe is only made after re-encoding reproduced the
// member byte for byte, so a rebuilt member is the original file, not a look-alike.
import { DeltaError } from '../errors.js';
import { crc32 } from './crc32.js';
import { GZIP_LEVELS, gzipDeflate } from './deflate.js';
import { inflateRaw } from './inflate.js';

export { crc32 };

/** Length of the gzip header at the start of `bytes`, or 0 when it is not one we can keep. */
export function gzipHeaderLength(bytes: Uint8Array): number {
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b || bytes[2] !== 8) return 0;
  const flg = bytes[3];
  if (flg & 0xe0) return 0;
  let p = 10;
  if (flg & 4) {
    if (p + 2 > bytes.length) return 0;
    p += 2 + (bytes[p] | (bytes[p + 1] << 8));
  }
  for (const bit of [8, 16]) {
    if (flg & bit) {
      while (p < bytes.length && bytes[p] !== 0) p++;
      p++;
    }
  }
  if (flg & 2) p += 2;
  return p + 8 <= bytes.length ? p : 0;
}

export interface GzipRecipe {
  /** The header bytes, kept verbatim (name, mtime, flags). */
  readonly header: Uint8Array;
  readonly level: number;
  /** The decompressed content. */
  readonly content: Uint8Array;
}

const u32le = (b: Uint8Array, at: number) =>
  (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;

/** Inflates a single-member gzip file (header and trailer checked), at most `maxSize` bytes out. */
export function gunzipMember(bytes: Uint8Array, maxSize: number, exactSize?: number): Uint8Array {
  const h = gzipHeaderLength(bytes);
  if (!h) throw new DeltaError('DELTA_DECOMPRESS', 'not a gzip member');
  const { data, end } = inflateRaw(bytes, h, maxSize, exactSize);
  if (end + 8 !== bytes.length) throw new DeltaError('DELTA_DECOMPRESS', 'gzip member has trailing bytes');
  if (u32le(bytes, end) !== crc32(data) || u32le(bytes, end + 4) !== data.length >>> 0)
    throw new DeltaError('DELTA_DECOMPRESS', 'gzip trailer does not match its content');
  return data;
}

/** header + deflate(level) + crc32 + size: the member rebuilt from a recipe, in chunks. */
export function gzipRebuild(recipe: GzipRecipe, sink: (chunk: Uint8Array) => void): void {
  sink(recipe.header);
  gzipDeflate(recipe.content, recipe.level, sink);
  const t = new Uint8Array(8);
  const dv = new DataView(t.buffer);
  dv.setUint32(0, crc32(recipe.content), true);
  dv.setUint32(4, recipe.content.length >>> 0, true);
  sink(t);
}

/** Levels worth trying first: what the header's XFL says (2: best), then the usual default. */
const levelsFor = (header: Uint8Array): number[] => {
  const first = header[8] === 2 ? [9, 6] : [6, 9];
  return [...first, ...GZIP_LEVELS.filter((l) => !first.includes(l)).reverse()];
};

/**
 * The recipe for `bytes` when it is a gzip member our encoder reproduces exactly, else
 * undefined. Tries up to `tries` levels (each is a full re-deflate).
 */
export function gzipRecipe(bytes: Uint8Array, maxSize: number, tries = 2): GzipRecipe | undefined {
  const h = gzipHeaderLength(bytes);
  if (!h) return undefined;
  let content: Uint8Array;
  try {
    content = gunzipMember(bytes, maxSize);
  } catch {
    return undefined;
  }
  const header = bytes.slice(0, h);
  const stop = new Error('differs');
  for (const level of levelsFor(header).slice(0, tries)) {
    let at = h;
    try {
      // Stops at the first differing chunk: a member from another encoder costs one block.
      gzipDeflate(content, level, (c) => {
        if (at + c.length > bytes.length - 8) throw stop;
        for (let i = 0; i < c.length; i++) if (c[i] !== bytes[at + i]) throw stop;
        at += c.length;
      });
    } catch (e) {
      if (e !== stop) throw e;
      continue;
    }
    if (at === bytes.length - 8) return { header, level, content };
  }
  return undefined;
}
