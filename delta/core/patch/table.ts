// The entry table: how to rebuild the output from the old layer and the streams, in output order.
// Rows are small CBOR arrays (zstd squeezes the repetition); old regions are referred to by index
// relative to the previous one, so "the next old file" is a 0 that compresses to nearly nothing.
import { DeltaError } from '../errors.js';
import { cbor } from './format.js';
import {
  FILE_DIGEST_BYTES,
  GZ_BASE_INFLATED,
  GZ_BASE_NONE,
  GZ_BASE_RAW,
  type GzipBase,
  OP_BSDIFF,
  OP_GZIP,
  OP_LITERAL,
  OP_REF,
} from './table-codes.js';
import { readPlainTable } from './table-plain.js';

// The codes stay importable from here, where they always were.
export * from './table-codes.js';

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
