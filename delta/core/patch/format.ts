// The Aloft patch container:
//   "ALOFTDLT" | u32 big-endian head length | CBOR head | streams, back to back.
// The head is plain CBOR (readable by `delta info` without decompressing anything); the entry
// table and the data travel in compressed streams, in a fixed order (see STREAMS).
import { Encoder } from 'cbor-x';
import { DeltaError } from '../errors.js';
import type { RandomAccess } from '../io.js';
import type { StreamSpec } from '../zstd/index.js';
import type { ApplyLimits } from './limits.js';

export const MAGIC = 'ALOFTDLT';
/**
 * 2 adds gzip entries (OP_GZIP). A patch without them is still written as 1, so readers from
 * before gzip entries apply it; a 1-only reader refuses a 2 by name ("format version 2; this
 * Aloft reads 1": update Aloft on the device).
 */
export const FORMAT_VERSION = 2;
/** The first version with gzip entries. */
export const GZIP_FORMAT_VERSION = 2;
/** Every version this reader applies. */
export const READ_VERSIONS: readonly number[] = [1, 2];
/** table: CBOR entry table; ctrl/diff/extra: bsdiff streams of all entries; lit: literal bytes. */
export const STREAMS = ['table', 'ctrl', 'diff', 'extra', 'lit'] as const;
export type StreamName = (typeof STREAMS)[number];

export interface Digest {
  readonly size: number;
  readonly sha256: Uint8Array;
  /** The input was gzip: digests and sizes are of the file as given, layer* of the tar inside. */
  readonly gzip: boolean;
}

export interface PatchHead {
  readonly version: number;
  /** 'tar': per-file delta of a tar layer; 'file': one bsdiff of a plain file. */
  readonly kind: 'tar' | 'file';
  readonly source: Digest;
  /** Of the rebuilt output, which is always uncompressed (a gzip NEW is rebuilt as its tar). */
  readonly target: Digest;
  /** The layout apply must find in OLD (after gunzip): a check before any work. */
  readonly oldLayout: { readonly size: number; readonly regions: number; readonly metaSize: number };
  readonly streams: Record<StreamName, { codec: number; compressedSize: number; rawSize: number }>;
}

export const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

const invalid = (message: string) => new DeltaError('DELTA_PATCH_INVALID', message);

export function encodeHead(head: PatchHead): Uint8Array {
  const body = cbor.encode([
    head.version,
    head.kind,
    [head.source.size, head.source.sha256, head.source.gzip],
    [head.target.size, head.target.sha256, head.target.gzip],
    [head.oldLayout.size, head.oldLayout.regions, head.oldLayout.metaSize],
    STREAMS.map((s) => [head.streams[s].codec, head.streams[s].compressedSize, head.streams[s].rawSize]),
  ]);
  const out = new Uint8Array(12 + body.length);
  for (let i = 0; i < 8; i++) out[i] = MAGIC.charCodeAt(i);
  new DataView(out.buffer).setUint32(8, body.length);
  out.set(body, 12);
  return out;
}

export const isAloftPatch = (head: Uint8Array): boolean =>
  head.length >= 8 && String.fromCharCode(...head.subarray(0, 8)) === MAGIC;

const size = (v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(`${what} is not a size`);
  if (v > max)
    throw new DeltaError('DELTA_PATCH_TOO_LARGE', `${what} of ${v} bytes exceeds the limit of ${max}`);
  return v;
};

const digest = (v: unknown, what: string, max: number): Digest => {
  if (!Array.isArray(v) || v.length !== 3) throw invalid(`${what} digest is malformed`);
  const sha = v[1];
  if (!(sha instanceof Uint8Array) || sha.length !== 32) throw invalid(`${what} sha256 is malformed`);
  if (typeof v[2] !== 'boolean') throw invalid(`${what} gzip flag is malformed`);
  return { size: size(v[0], `${what} size`, max), sha256: new Uint8Array(sha), gzip: v[2] };
};

export interface DecodedHead {
  readonly head: PatchHead;
  readonly specs: Record<StreamName, StreamSpec>;
  readonly headBytes: number;
}

/** Reads and checks the head; every declared size is bounded and the streams fill the file. */
export function decodeHead(patch: RandomAccess, limits: ApplyLimits): DecodedHead {
  if (patch.size < 12) throw new DeltaError('DELTA_PATCH_TRUNCATED', 'too short to be an Aloft patch');
  const pre = patch.read(0, 12);
  if (!isAloftPatch(pre)) throw invalid('not an Aloft patch (bad magic)');
  const headLen = new DataView(pre.buffer, pre.byteOffset, 12).getUint32(8);
  if (headLen > limits.maxHeadBytes)
    throw new DeltaError('DELTA_PATCH_TOO_LARGE', `head of ${headLen} bytes`);
  if (12 + headLen > patch.size) throw new DeltaError('DELTA_PATCH_TRUNCATED', 'cut short inside its head');
  let raw: unknown;
  try {
    raw = cbor.decode(patch.read(12, headLen));
  } catch (e) {
    throw invalid(`head is not valid CBOR (${(e as Error).message})`);
  }
  if (!Array.isArray(raw) || raw.length < 6) throw invalid('head is malformed');
  const [version, kind, src, dst, oldLayout, streams] = raw;
  if (typeof version !== 'number' || !READ_VERSIONS.includes(version))
    throw new DeltaError(
      'DELTA_PATCH_VERSION',
      `format version ${version}; this Aloft reads ${READ_VERSIONS.join(' and ')}: update Aloft, or make the patch with the matching version`,
    );
  if (kind !== 'tar' && kind !== 'file') throw invalid(`unknown kind ${String(kind)}`);
  if (!Array.isArray(oldLayout) || oldLayout.length !== 3) throw invalid('old layout is malformed');
  if (!Array.isArray(streams) || streams.length !== STREAMS.length)
    throw invalid('stream table is malformed');
  const head: PatchHead = {
    version,
    kind,
    source: digest(src, 'source', Number.MAX_SAFE_INTEGER),
    target: digest(dst, 'target', limits.maxTargetBytes),
    oldLayout: {
      size: size(oldLayout[0], 'old layer size'),
      regions: size(oldLayout[1], 'old region count'),
      metaSize: size(oldLayout[2], 'old meta size', limits.maxMetaBytes),
    },
    streams: {} as PatchHead['streams'],
  };
  const specs = {} as Record<StreamName, StreamSpec>;
  let offset = 12 + headLen;
  STREAMS.forEach((name, i) => {
    const s = streams[i];
    if (!Array.isArray(s) || s.length !== 3) throw invalid(`stream ${name} is malformed`);
    const rawMax = name === 'table' ? limits.maxTableBytes : limits.maxTargetBytes + limits.maxMetaBytes;
    const entry = {
      codec: size(s[0], `stream ${name} codec`, 255),
      compressedSize: size(s[1], `stream ${name} compressed size`),
      rawSize: size(s[2], `stream ${name} size`, rawMax),
    };
    head.streams[name] = entry;
    specs[name] = { name, offset, ...entry };
    offset += entry.compressedSize;
  });
  if (offset > patch.size)
    throw new DeltaError('DELTA_PATCH_TRUNCATED', `cut short: ${patch.size} of ${offset} bytes`);
  if (offset < patch.size) throw invalid(`${patch.size - offset} unexpected bytes after the last stream`);
  return { head, specs, headBytes: 12 + headLen };
}
