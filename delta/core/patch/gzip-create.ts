// Create side of gzip entries: is this new file a gzip member we rebuild exactly, and what is
// its content best diffed against? The answer is only given after gzipRecipe re-encoded the
// file and got every byte back (see delta/core/deflate).
import { type BsdiffStreams, encodeControls } from '../bsdiff/index.js';
import { type GzipRecipe, gunzipMember, gzipHeaderLength, gzipRecipe } from '../deflate/index.js';
import { concatBytes } from '../io.js';
import { GZ_BASE_INFLATED, GZ_BASE_NONE, GZ_BASE_RAW, type GzipBase } from './table.js';

/** Largest decompressed gzip content create considers (apply's own ceiling is maxFileBytes). */
export const MAX_GZIP_CONTENT = 256 << 20;

export interface GzipPlan {
  readonly recipe: GzipRecipe;
  readonly base: GzipBase;
  /** The inflated old content's size (GZ_BASE_INFLATED), else 0. */
  readonly oldRawSize: number;
  readonly streams: BsdiffStreams;
  /** Estimated patch bytes (fast compression of the streams and the header). */
  readonly cost: number;
}

export const looksGzip = (bytes: Uint8Array): boolean =>
  bytes.length >= 18 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 8;

/** Fast-compressed size of a bsdiff's streams: what it will roughly cost in the patch. */
export const streamsCost = (
  s: BsdiffStreams,
  compress: (b: Uint8Array) => number,
  extraBytes: Uint8Array = new Uint8Array(0),
): number => compress(concatBytes([encodeControls(s.controls), s.diff, s.extra, extraBytes]));

export function planGzip(
  data: Uint8Array,
  old: Uint8Array | undefined,
  diff: (oldBytes: Uint8Array, newBytes: Uint8Array) => BsdiffStreams,
  compress: (b: Uint8Array) => number,
): GzipPlan | undefined {
  if (!looksGzip(data)) return undefined;
  const recipe = gzipRecipe(data, MAX_GZIP_CONTENT);
  if (!recipe) return undefined;
  let base: GzipBase = GZ_BASE_NONE;
  let baseBytes: Uint8Array = new Uint8Array(0);
  if (old?.length) {
    let inflated: Uint8Array | undefined;
    if (gzipHeaderLength(old))
      try {
        inflated = gunzipMember(old, MAX_GZIP_CONTENT);
      } catch {
        inflated = undefined;
      }
    base = inflated ? GZ_BASE_INFLATED : GZ_BASE_RAW;
    baseBytes = inflated ?? old;
  }
  const streams = diff(baseBytes, recipe.content);
  const plan = {
    recipe,
    base,
    oldRawSize: base === GZ_BASE_INFLATED ? baseBytes.length : 0,
    streams: { ...streams, diff: streams.diff.slice() },
    cost: streamsCost(streams, compress, recipe.header),
  };
  // A raw (non-gzip) old file rarely helps the content; without it the content is plain text.
  if (base === GZ_BASE_RAW) {
    const alone = diff(new Uint8Array(0), recipe.content);
    const cost = streamsCost(alone, compress, recipe.header);
    if (cost < plan.cost)
      return { ...plan, base: GZ_BASE_NONE, streams: { ...alone, diff: alone.diff.slice() }, cost };
  }
  return plan;
}
