// The entry table read straight from its bytes. cbor-x's generic decode built every row as an
// array before decodeTable's checks read it: ~3.8 us a row in the wasm engine's QuickJS (lodash's
// 1054 rows: 4 ms of a 33 ms apply). This reads the heads encodeTable writes (cbor-x's encoder:
// definite lengths, integers up to 32 bits, float64 above, 8-byte digests) into the items
// directly. It never throws: on anything else it returns undefined and decodeTable takes the
// generic path, whose checks word every refusal.
import type { Item, MetaOp, Table } from './table.js';
import {
  FILE_DIGEST_BYTES,
  GZ_BASE_INFLATED,
  GZ_BASE_NONE,
  GZ_BASE_RAW,
  OP_BSDIFF,
  OP_GZIP,
  OP_LITERAL,
  OP_REF,
} from './table-codes.js';

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
      // Spelled out like the reference rows, the common heads read inline: tzdata's 484 changed
      // files took 2.4 ms through ints() and sizes(), 1.5 ms so.
      x = b[p];
      const oldIndex = last + 1 + (x < 0x18 ? x : int(b, p, view));
      p += HEAD[x];
      x = b[p];
      const size = x < 0x18 ? x : x === 0x19 ? (b[p + 1] << 8) | b[p + 2] : int(b, p, view);
      p += HEAD[x];
      x = b[p];
      const ctrl = x < 0x18 ? x : x === 0x19 ? (b[p + 1] << 8) | b[p + 2] : int(b, p, view);
      p += HEAD[x];
      x = b[p];
      const diff = x < 0x18 ? x : x === 0x19 ? (b[p + 1] << 8) | b[p + 2] : int(b, p, view);
      p += HEAD[x];
      x = b[p];
      const extra = x < 0x18 ? x : x === 0x19 ? (b[p + 1] << 8) | b[p + 2] : int(b, p, view);
      p += HEAD[x];
      if (b[p] !== DIGEST_HEAD || p + 1 + FILE_DIGEST_BYTES > end) return undefined;
      const sha256 = b.subarray(p + 1, p + 1 + FILE_DIGEST_BYTES);
      p += 1 + FILE_DIGEST_BYTES;
      if (!(oldIndex >= 0 && oldIndex < oldRegions && size >= 0 && ctrl >= 0 && diff >= 0 && extra >= 0))
        return undefined;
      last = oldIndex;
      items.push({ op: OP_BSDIFF, metaBefore, oldIndex, size, ctrl, diff, extra, sha256 });
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
