import { decode, encode } from 'cbor-x';
import { isSha256Digest } from './digest.js';
import { ImageError } from './errors.js';
import { inflateBounded } from './inflate.js';

// The image patch container:
//   "ALOFTIMG" | u8 format version | u32 BE header length | zstd(CBOR header) | section bytes...
// Sections follow the header back to back, in the order of `sections`; each is hash-checked
// on read. Meta files (manifests, configs, repositories, VERSION, json) travel together in one
// zstd section: they are small, JSON-alike and compress far better as one stream.

export const IMAGE_PATCH_MAGIC = 'ALOFTIMG';
export const IMAGE_PATCH_VERSION = 1;
const PREFIX = 13;
/** Headers are small (one entry per file of the image); refuse anything absurd before decoding. */
const MAX_HEADER = 16 * 1024 * 1024;

/** How the stored blob of a layer is made from its uncompressed tar. */
export type BlobRecipe =
  | { c: 'none' }
  | {
      c: 'gzip';
      digest: string;
      size: number;
      /** Present when the creator reproduced the blob byte for byte with these zlib settings. */
      zlib?: { level: number; memLevel: number; strategy: number; header: Uint8Array };
    };

export type LayerSource =
  | { how: 'ref'; old: number }
  | { how: 'delta'; base: number[]; section: number }
  | { how: 'full'; section: number };

export type PatchEntry =
  | { t: 'dir'; path: string; mode: number; mtime: number }
  | { t: 'symlink'; path: string; link: string; mode: number; mtime: number }
  | { t: 'meta'; path: string; mode: number; mtime: number; off: number; size: number; sha256: string }
  | {
      t: 'layer';
      path: string;
      mode: number;
      mtime: number;
      /** Index into target.diffIds. */
      layer: number;
      tarSize: number;
      blob: BlobRecipe;
      src: LayerSource;
    };

export interface ImageRef {
  imageId: string;
  diffIds: string[];
}

export interface ImagePatchHeader {
  v: 1;
  /** `full`: the whole new image, no old image needed (create --max-ratio fallback). */
  mode: 'delta' | 'full';
  source?: ImageRef;
  target: ImageRef & { format: 'docker-save' | 'oci'; container: 'tar' | 'dir'; repoTags: string[] };
  entries: PatchEntry[];
  /** The section holding all meta files, zstd-compressed, and its uncompressed size. */
  meta: { section: number; size: number };
  sections: Array<{ length: number; sha256: string; codec: 'zstd' | 'layer-delta' }>;
}

/**
 * The CBOR header is zstd-compressed: it is mostly hex digests and paths that repeat (a
 * docker-save names every layer by a 64-digit ID twice), and on a thin link it outweighs a
 * small layer delta. `compress` is the host's encoder; decoding is pure JS (fzstd).
 */
export function encodeImagePatchHeader(
  h: ImagePatchHeader,
  compress: (b: Uint8Array) => Uint8Array,
): Uint8Array {
  const body = compress(encode(h) as Uint8Array);
  const out = new Uint8Array(PREFIX + body.length);
  out.set(new TextEncoder().encode(IMAGE_PATCH_MAGIC), 0);
  out[8] = IMAGE_PATCH_VERSION;
  new DataView(out.buffer).setUint32(9, body.length);
  out.set(body, PREFIX);
  return out;
}

/** Does this look like an image patch? (8 bytes are enough.) */
export function isImagePatch(head: Uint8Array): boolean {
  return head.length >= 8 && new TextDecoder().decode(head.subarray(0, 8)) === IMAGE_PATCH_MAGIC;
}

/** Header length from the first 13 bytes, so a reader knows how much more to read. */
export function imagePatchHeaderLength(prefix: Uint8Array): number {
  if (prefix.length < PREFIX || !isImagePatch(prefix))
    throw new ImageError('IMAGE_PATCH_FORMAT', 'not an Aloft image patch (bad magic)');
  if (prefix[8] !== IMAGE_PATCH_VERSION)
    throw new ImageError(
      'IMAGE_PATCH_FORMAT',
      `image patch format version ${prefix[8]} is not supported (this Aloft reads ${IMAGE_PATCH_VERSION}): upgrade Aloft`,
    );
  const len = new DataView(prefix.buffer, prefix.byteOffset).getUint32(9);
  if (len > MAX_HEADER) throw new ImageError('IMAGE_PATCH_FORMAT', `image patch header claims ${len} bytes`);
  return PREFIX + len;
}

const bad = (what: string): never => {
  throw new ImageError('IMAGE_PATCH_FORMAT', `image patch header is invalid: ${what}`);
};
const isNat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isStr = (v: unknown): v is string => typeof v === 'string';
const obj = (v: unknown, what: string): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : bad(what);

/** A path inside the image: relative, no `..`, so nothing is ever written outside the output. */
export function isSafeImagePath(p: unknown): p is string {
  return (
    isStr(p) &&
    p.length > 0 &&
    p.length < 4096 &&
    !p.startsWith('/') &&
    !p.split('/').includes('..') &&
    !p.includes('\0')
  );
}

function checkRef(v: unknown, what: string): ImageRef {
  const r = obj(v, what);
  if (!isSha256Digest(r.imageId)) bad(`${what}.imageId`);
  if (!Array.isArray(r.diffIds) || !r.diffIds.every(isSha256Digest)) bad(`${what}.diffIds`);
  return r as unknown as ImageRef;
}

/** Decodes and schema-checks a header: a hostile patch fails here, before any byte is written. */
export function decodeImagePatchHeader(bytes: Uint8Array): ImagePatchHeader {
  const headerEnd = imagePatchHeaderLength(bytes);
  if (bytes.length < headerEnd) bad('truncated');
  let raw: unknown;
  try {
    raw = decode(inflateBounded(bytes.subarray(PREFIX, headerEnd), MAX_HEADER, 'image patch header'));
  } catch (e) {
    if (e instanceof ImageError) throw e;
    bad('CBOR does not decode');
  }
  const h = obj(raw, 'root');
  if (h.v !== 1) bad('v');
  if (h.mode !== 'delta' && h.mode !== 'full') bad('mode');
  if (h.mode === 'delta') checkRef(h.source, 'source');
  const target = checkRef(h.target, 'target') as ImagePatchHeader['target'];
  if (target.format !== 'docker-save' && target.format !== 'oci') bad('target.format');
  if (target.container !== 'tar' && target.container !== 'dir') bad('target.container');
  if (!Array.isArray(target.repoTags) || !target.repoTags.every(isStr)) bad('target.repoTags');
  if (!Array.isArray(h.sections)) bad('sections');
  const sections = h.sections as unknown[];
  for (const s of sections) {
    const o = obj(s, 'section');
    if (!isNat(o.length) || !isSha256Digest(o.sha256) || (o.codec !== 'zstd' && o.codec !== 'layer-delta'))
      bad('section');
  }
  const isSection = (n: unknown) => isNat(n) && n < sections.length;
  const meta = obj(h.meta, 'meta');
  if (!isSection(meta.section) || !isNat(meta.size)) bad('meta');
  if (!Array.isArray(h.entries)) bad('entries');
  const sourceLayers = h.mode === 'delta' ? (h.source as ImageRef).diffIds.length : 0;
  for (const x of h.entries as unknown[]) {
    const e = obj(x, 'entry');
    if (!isSafeImagePath(e.path) || !isNat(e.mode) || !isNat(e.mtime))
      bad(`entry ${String(e.path).slice(0, 80)}`);
    if (e.t === 'dir') continue;
    if (e.t === 'symlink') {
      if (!isStr(e.link)) bad(`symlink ${e.path}`);
    } else if (e.t === 'meta') {
      if (
        !isNat(e.off) ||
        !isNat(e.size) ||
        (e.off as number) + (e.size as number) > (meta.size as number) ||
        !isSha256Digest(e.sha256)
      )
        bad(`meta ${e.path}`);
    } else if (e.t === 'layer') {
      if (!isNat(e.layer) || e.layer >= target.diffIds.length || !isNat(e.tarSize)) bad(`layer ${e.path}`);
      const b = obj(e.blob, `layer ${e.path} blob`);
      if (b.c === 'gzip') {
        if (!isSha256Digest(b.digest) || !isNat(b.size)) bad(`layer ${e.path} blob`);
        if (b.zlib !== undefined) {
          const z = obj(b.zlib, 'zlib');
          if (
            !isNat(z.level) ||
            !isNat(z.memLevel) ||
            !isNat(z.strategy) ||
            !(z.header instanceof Uint8Array)
          )
            bad('zlib');
        }
      } else if (b.c !== 'none') bad(`layer ${e.path} blob`);
      const s = obj(e.src, `layer ${e.path} src`);
      if (s.how === 'ref') {
        if (!isNat(s.old) || s.old >= sourceLayers) bad(`layer ${e.path} ref`);
      } else if (s.how === 'delta') {
        if (
          !isSection(s.section) ||
          !Array.isArray(s.base) ||
          s.base.length === 0 ||
          !s.base.every((j) => isNat(j) && j < sourceLayers)
        )
          bad(`layer ${e.path} delta`);
      } else if (s.how === 'full') {
        if (!isSection(s.section)) bad(`layer ${e.path} full`);
      } else bad(`layer ${e.path} src`);
    } else bad(`entry type ${String(e.t)}`);
  }
  return h as unknown as ImagePatchHeader;
}

/** Byte offset of each section in the patch file, after the header. */
export function sectionOffsets(h: ImagePatchHeader, headerLength: number): number[] {
  let off = headerLength;
  return h.sections.map((s) => {
    const at = off;
    off += s.length;
    return at;
  });
}
