// The entry table: how to rebuild the output from the old layer and the streams, in output order.
// Rows are small CBOR arrays (zstd squeezes the repetition); old regions are referred to by index
// relative to the previous one, so "the next old file" is a 0 that compresses to nearly nothing.
import { DeltaError } from '../errors.js';
import { cbor } from './format.js';

export const OP_REF = 0;
export const OP_BSDIFF = 1;
export const OP_LITERAL = 2;
/** A gzip member rebuilt from its content (format 2): see gzip-entry.ts. */
export const OP_GZIP = 3;

/** What the content of an OP_GZIP entry is bsdiffed against. */
export const GZ_BASE_NONE = 0;
export const GZ_BASE_RAW = 1;
export const GZ_BASE_INFLATED = 2;
export type GzipBase = typeof GZ_BASE_NONE | typeof GZ_BASE_RAW | typeof GZ_BASE_INFLATED;

/**
 * Per-file check: the first 8 bytes of the file's sha256. The whole output is checked against
 * its full sha256 anyway; per file, 64 bits catch a wrong rebuild as surely and cost 24 bytes
 * less per changed file (tzdata changes ~500 small files: 12 KB of incompressible digest).
 */
export const FILE_DIGEST_BYTES = 8;

export interface BsdiffLengths {
  readonly ctrl: number;
  readonly diff: number;
  readonly extra: number;
}

export type MetaOp = { op: 'literal'; size: number } | ({ op: 'bsdiff'; size: number } & BsdiffLengths);

export type Item =
  | { op: typeof OP_REF; metaBefore: number; oldIndex: number }
  | ({
      op: typeof OP_BSDIFF;
      metaBefore: number;
      oldIndex: number;
      size: number;
      sha256: Uint8Array;
    } & BsdiffLengths)
  | { op: typeof OP_LITERAL; metaBefore: number; size: number; sha256: Uint8Array }
  | GzipItem;

/**
 * A gzip member rebuilt as header (from the lit stream) + deflate(level, content) + trailer,
 * where content = bspatch(base, ctrl/diff/extra). `size` is the member's size, `rawSize` the
 * content's, `oldRawSize` the inflated old file's (GZ_BASE_INFLATED only, else 0): both are
 * declared so apply can refuse them before allocating.
 */
export type GzipItem = {
  op: typeof OP_GZIP;
  metaBefore: number;
  base: GzipBase;
  /** Unused (0) when base is GZ_BASE_NONE. */
  oldIndex: number;
  size: number;
  sha256: Uint8Array;
  level: number;
  headerSize: number;
  rawSize: number;
  oldRawSize: number;
} & BsdiffLengths;

export interface Table {
  readonly meta: MetaOp;
  readonly items: Item[];
}

export function encodeTable(table: Table): Uint8Array {
  let last = -1;
  const rel = (index: number) => {
    const d = index - (last + 1);
    last = index;
    return d;
  };
  const m = table.meta;
  const rows = table.items.map((it) => {
    if (it.op === OP_REF) return [it.metaBefore, it.op, rel(it.oldIndex)];
    if (it.op === OP_BSDIFF)
      return [it.metaBefore, it.op, rel(it.oldIndex), it.size, it.ctrl, it.diff, it.extra, it.sha256];
    if (it.op === OP_GZIP)
      return [
        it.metaBefore,
        it.op,
        it.base,
        it.base === GZ_BASE_NONE ? 0 : rel(it.oldIndex),
        it.size,
        it.sha256,
        it.level,
        it.headerSize,
        it.rawSize,
        it.oldRawSize,
        it.ctrl,
        it.diff,
        it.extra,
      ];
    return [it.metaBefore, it.op, it.size, it.sha256];
  });
  return cbor.encode([m.op === 'literal' ? [0, m.size] : [1, m.size, m.ctrl, m.diff, m.extra], rows]);
}

const invalid = (message: string) => new DeltaError('DELTA_PATCH_INVALID', `entry table: ${message}`);

const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(`${what} is not a size`);
  return v;
};

const sha = (v: unknown): Uint8Array => {
  if (!(v instanceof Uint8Array) || v.length !== FILE_DIGEST_BYTES) throw invalid('bad file digest');
  return v;
};

/**
 * Decodes and checks the shape of every row; the applier checks values against its inputs.
 * Tables as encodeTable writes them are read straight from their bytes (readPlainTable); any
 * other encoding, and every malformed table, goes through cbor-x and the checks below, so a bad
 * table is refused with the same words whichever reader saw it first.
 */
export function decodeTable(bytes: Uint8Array, oldRegions: number): Table {
  return readPlainTable(bytes, oldRegions) ?? decodeGenericTable(bytes, oldRegions);
}

export function decodeGenericTable(bytes: Uint8Array, oldRegions: number): Table {
  let raw: unknown;
  try {
    raw = cbor.decode(bytes);
  } catch (e) {
    throw invalid(`not valid CBOR (${(e as Error).message})`);
  }
  if (!Array.isArray(raw) || raw.length !== 2 || !Array.isArray(raw[0]) || !Array.isArray(raw[1]))
    throw invalid('malformed');
  const [m, rows] = raw as [unknown[], unknown[]];
  let meta: MetaOp;
  if (m[0] === 0 && m.length === 2) meta = { op: 'literal', size: num(m[1], 'meta size') };
  else if (m[0] === 1 && m.length === 5)
    meta = {
      op: 'bsdiff',
      size: num(m[1], 'meta size'),
      ctrl: num(m[2], 'ctrl'),
      diff: num(m[3], 'diff'),
      extra: num(m[4], 'extra'),
    };
  else throw invalid('bad meta row');
  let last = -1;
  const index = (v: unknown): number => {
    const d = v as number;
    if (typeof d !== 'number' || !Number.isSafeInteger(d)) throw invalid('bad old index');
    const i = last + 1 + d;
    if (i < 0 || i >= oldRegions) throw invalid(`old file #${i} does not exist (OLD has ${oldRegions})`);
    last = i;
    return i;
  };
  const items = rows.map((row): Item => {
    if (!Array.isArray(row) || row.length < 3) throw invalid('malformed row');
    const metaBefore = num(row[0], 'meta length');
    switch (row[1]) {
      case OP_REF:
        if (row.length !== 3) throw invalid('malformed reference row');
        return { op: OP_REF, metaBefore, oldIndex: index(row[2]) };
      case OP_BSDIFF:
        if (row.length !== 8) throw invalid('malformed bsdiff row');
        return {
          op: OP_BSDIFF,
          metaBefore,
          oldIndex: index(row[2]),
          size: num(row[3], 'size'),
          ctrl: num(row[4], 'ctrl'),
          diff: num(row[5], 'diff'),
          extra: num(row[6], 'extra'),
          sha256: sha(row[7]),
        };
      case OP_LITERAL:
        if (row.length !== 4) throw invalid('malformed literal row');
        return { op: OP_LITERAL, metaBefore, size: num(row[2], 'size'), sha256: sha(row[3]) };
      case OP_GZIP: {
        if (row.length !== 13) throw invalid('malformed gzip row');
        const base = row[2];
        if (base !== GZ_BASE_NONE && base !== GZ_BASE_RAW && base !== GZ_BASE_INFLATED)
          throw invalid(`unknown gzip base ${String(base)}`);
        if (base === GZ_BASE_NONE && row[3] !== 0) throw invalid('gzip row without a base names an old file');
        const oldRawSize = num(row[9], 'old content size');
        if (base !== GZ_BASE_INFLATED && oldRawSize !== 0)
          throw invalid('old content size without inflation');
        return {
          op: OP_GZIP,
          metaBefore,
          base,
          oldIndex: base === GZ_BASE_NONE ? 0 : index(row[3]),
          size: num(row[4], 'size'),
          sha256: sha(row[5]),
          level: num(row[6], 'gzip level'),
          headerSize: num(row[7], 'gzip header size'),
          rawSize: num(row[8], 'content size'),
          oldRawSize,
          ctrl: num(row[10], 'ctrl'),
          diff: num(row[11], 'diff'),
          extra: num(row[12], 'extra'),
        };
      }
      default:
        throw invalid(`unknown operation ${String(row[1])}`);
    }
  });
  return { meta, items };
}

// The plain reader. cbor-x's generic decode built every row as an array before the checks read
// it: ~3.8 us a row in the wasm engine's QuickJS (lodash's 1054 rows: 4 ms of a 33 ms apply).
// This reads the heads encodeTable writes (cbor-x's encoder: definite lengths, integers up to 32
// bits, float64 above, 8-byte digests) into the items directly. It never throws: on anything
// else it returns undefined and decodeTable takes the generic path.

/** Bytes of the CBOR item head starting with each initial byte, 0 when the plain reader stops. */
const HEAD = new Uint8Array(256);
for (let b = 0; b < 0x18; b++) {
  HEAD[b] = 1; // unsigned 0..23
  HEAD[0x20 + b] = 1; // negative -1..-24
}
for (const major of [0x00, 0x20]) {
  HEAD[major + 0x18] = 2;
  HEAD[major + 0x19] = 3;
  HEAD[major + 0x1a] = 5;
}
HEAD[0xfb] = 9; // float64: cbor-x's encoding of integers past 32 bits

/** The integer at p (its head is HEAD[b[p]] bytes long), NaN when it is not one the reader takes. */
function int(b: Uint8Array, p: number, view: DataView): number {
  const h = b[p];
  if (h < 0x18) return h;
  if (p + HEAD[h] > b.length) return Number.NaN;
  switch (h) {
    case 0x18:
      return b[p + 1];
    case 0x19:
      return (b[p + 1] << 8) | b[p + 2];
    case 0x1a:
      return view.getUint32(p + 1);
    case 0x38:
      return -1 - b[p + 1];
    case 0x39:
      return -1 - ((b[p + 1] << 8) | b[p + 2]);
    case 0x3a:
      return -1 - view.getUint32(p + 1);
    case 0xfb: {
      const v = view.getFloat64(p + 1);
      return Number.isSafeInteger(v) ? v : Number.NaN;
    }
    default:
      return h >= 0x20 && h < 0x38 ? 0x1f - h : Number.NaN;
  }
}

/** A size as num() takes it: a safe integer >= 0 (NaN and negatives fail). */
const isSize = (v: number): boolean => v >= 0 && Number.isSafeInteger(v);

/** Whether v[from, to) are all sizes. */
function sizes(v: number[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isSize(v[i])) return false;
  return true;
}

/** Reads n integers from p into v[at...]; returns the position after them. */
function ints(b: Uint8Array, p: number, view: DataView, n: number, v: number[], at = 0): number {
  for (let i = 0; i < n; i++) {
    v[at + i] = int(b, p, view);
    p += HEAD[b[p]];
  }
  return p;
}

/** An 8-byte digest's head (a byte string of FILE_DIGEST_BYTES). */
const DIGEST_HEAD = 0x40 + FILE_DIGEST_BYTES;

/** The digest whose head is at p (a view, as cbor-x gives it), or undefined. */
const digestAt = (b: Uint8Array, p: number): Uint8Array | undefined =>
  b[p] === DIGEST_HEAD && p + 1 + FILE_DIGEST_BYTES <= b.length
    ? b.subarray(p + 1, p + 1 + FILE_DIGEST_BYTES)
    : undefined;

/** The table as encodeTable wrote it, or undefined (then the generic path decides). */
export function readPlainTable(b: Uint8Array, oldRegions: number): Table | undefined {
  const end = b.length;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (end < 4 || b[0] !== 0x82) return undefined;
  let p = 1;
  let meta: MetaOp;
  if (b[p] === 0x82 && b[p + 1] === 0) {
    const size = int(b, p + 2, view);
    p += 2 + HEAD[b[p + 2]];
    if (!isSize(size)) return undefined;
    meta = { op: 'literal', size };
  } else if (b[p] === 0x85 && b[p + 1] === 1) {
    p += 2;
    const size = int(b, p, view);
    p += HEAD[b[p]];
    const ctrl = int(b, p, view);
    p += HEAD[b[p]];
    const diff = int(b, p, view);
    p += HEAD[b[p]];
    const extra = int(b, p, view);
    p += HEAD[b[p]];
    if (!(isSize(size) && isSize(ctrl) && isSize(diff) && isSize(extra))) return undefined;
    meta = { op: 'bsdiff', size, ctrl, diff, extra };
  } else return undefined;
  // The row count: a definite array head; every row takes at least 4 bytes.
  const h = b[p];
  let count: number;
  if (h >= 0x80 && h < 0x98) count = h - 0x80;
  else if (h === 0x98) count = b[p + 1];
  else if (h === 0x99) count = (b[p + 1] << 8) | b[p + 2];
  else if (h === 0x9a && p + 5 <= end) count = view.getUint32(p + 1);
  else return undefined;
  p += h < 0x98 ? 1 : h === 0x98 ? 2 : h === 0x99 ? 3 : 5;
  if (!(count <= (end - p) / 4)) return undefined;
  const items: Item[] = [];
  const v: number[] = [];
  let last = -1;
  // int() gives safe integers or NaN, so `>= 0` is num()'s check. Most rows are references whose
  // meta length is a tar header or two (a 16-bit integer) and whose index is the next old file
  // (0): those are read inline, as calls are what QuickJS charges most for (~85 ns each).
  for (let r = 0; r < count; r++) {
    const head = b[p];
    let x = b[p + 1];
    let metaBefore: number;
    if (x < 0x18) {
      metaBefore = x;
      p += 2;
    } else if (x === 0x19) {
      metaBefore = (b[p + 2] << 8) | b[p + 3];
      p += 4;
    } else {
      metaBefore = int(b, p + 1, view);
      p += 1 + HEAD[x];
    }
    const op = b[p++];
    if (!(metaBefore >= 0)) return undefined;
    if (op === OP_REF && head === 0x83) {
      x = b[p];
      const oldIndex = last + 1 + (x < 0x18 ? x : int(b, p, view));
      p += HEAD[x];
      if (!(oldIndex >= 0 && oldIndex < oldRegions)) return undefined;
      last = oldIndex;
      items.push({ op: OP_REF, metaBefore, oldIndex });
    } else if (op === OP_BSDIFF && head === 0x88) {
      p = ints(b, p, view, 5, v);
      const oldIndex = last + 1 + v[0];
      const sha256 = digestAt(b, p);
      p += 1 + FILE_DIGEST_BYTES;
      if (!(sha256 && oldIndex >= 0 && oldIndex < oldRegions && sizes(v, 1, 5))) return undefined;
      last = oldIndex;
      items.push({
        op: OP_BSDIFF,
        metaBefore,
        oldIndex,
        size: v[1],
        ctrl: v[2],
        diff: v[3],
        extra: v[4],
        sha256,
      });
    } else if (op === OP_LITERAL && head === 0x84) {
      const size = int(b, p, view);
      p += HEAD[b[p]];
      const sha256 = digestAt(b, p);
      p += 1 + FILE_DIGEST_BYTES;
      if (!(sha256 && isSize(size))) return undefined;
      items.push({ op: OP_LITERAL, metaBefore, size, sha256 });
    } else if (op === OP_GZIP && head === 0x8d) {
      // base, old index, size, digest, then level, header size, content sizes, ctrl, diff, extra
      p = ints(b, p, view, 3, v);
      const sha256 = digestAt(b, p);
      p = ints(b, p + 1 + FILE_DIGEST_BYTES, view, 7, v, 3);
      const base = v[0];
      if (base !== GZ_BASE_NONE && base !== GZ_BASE_RAW && base !== GZ_BASE_INFLATED) return undefined;
      if (!(sha256 && sizes(v, 2, 10))) return undefined;
      if ((base === GZ_BASE_NONE && v[1] !== 0) || (base !== GZ_BASE_INFLATED && v[6] !== 0))
        return undefined;
      let oldIndex = 0;
      if (base !== GZ_BASE_NONE) {
        oldIndex = last + 1 + v[1];
        if (!(oldIndex >= 0 && oldIndex < oldRegions)) return undefined;
        last = oldIndex;
      }
      items.push({
        op: OP_GZIP,
        metaBefore,
        base,
        oldIndex,
        size: v[2],
        sha256,
        level: v[3],
        headerSize: v[4],
        rawSize: v[5],
        oldRawSize: v[6],
        ctrl: v[7],
        diff: v[8],
        extra: v[9],
      });
    } else return undefined;
  }
  return p === end ? { meta, items } : undefined;
}
