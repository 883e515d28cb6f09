// Test helpers for the patch container (not part of the public face).
import { compress } from 'zstd-napi';
import { type BsdiffControl, encodeControls } from '../../core/bsdiff/index.js';
import { bytesSource, concatBytes } from '../../core/io.js';
import { applyPatch } from '../../core/patch/apply.js';
import { type Compress, createPatch } from '../../core/patch/create.js';
import { decodeHead, encodeHead, type PatchHead, STREAMS, type StreamName } from '../../core/patch/format.js';
import { type ApplyLimits, DEFAULT_LIMITS } from '../../core/patch/limits.js';
import { decodeTable, encodeTable, type Table } from '../../core/patch/table.js';
import { CODEC_STORED, CODEC_ZSTD, StreamReader } from '../../core/zstd/index.js';
import { nodeSha256 as pureSha256 } from '../hash.js';

export const testCompress: Compress = (bytes) =>
  new Uint8Array(compress(bytes, { compressionLevel: 3, windowLog: 20, contentSizeFlag: false }));

export const digestOf = (bytes: Uint8Array, gzip = false) => {
  const h = pureSha256();
  h.update(bytes);
  return { size: bytes.length, sha256: h.digest(), gzip };
};

export function makePatch(old: Uint8Array, nw: Uint8Array): Uint8Array {
  return concatBytes(
    createPatch({
      old,
      new: nw,
      source: digestOf(old),
      newGzip: false,
      sha256: pureSha256,
      compress: testCompress,
    }).parts,
  );
}

/** Applies in memory; returns the output or throws what apply throws. */
export function applyInMemory(
  old: Uint8Array,
  patch: Uint8Array,
  limits: Partial<ApplyLimits> = {},
): Uint8Array {
  const all = { ...DEFAULT_LIMITS, ...limits };
  const p = bytesSource(patch);
  const parts: Uint8Array[] = [];
  applyPatch({
    patch: p,
    old: bytesSource(old),
    decoded: decodeHead(p, all),
    sha256: pureSha256,
    limits: all,
    sink: (c) => parts.push(c.slice()),
  });
  return concatBytes(parts);
}

/** Assembles a patch by hand (hostile tests): raw streams are stored unless given as zstd. */
export function assemble(
  base: Omit<PatchHead, 'streams'>,
  streams: Partial<Record<StreamName, Uint8Array | { zstd: Uint8Array; rawSize: number }>>,
): Uint8Array {
  const enc = STREAMS.map((name) => {
    const s = streams[name] ?? new Uint8Array(0);
    if (s instanceof Uint8Array) return { codec: CODEC_STORED, bytes: s, rawSize: s.length };
    return { codec: CODEC_ZSTD, bytes: s.zstd, rawSize: s.rawSize };
  });
  const head: PatchHead = {
    ...base,
    streams: Object.fromEntries(
      STREAMS.map((n, i) => [
        n,
        { codec: enc[i].codec, compressedSize: enc[i].bytes.length, rawSize: enc[i].rawSize },
      ]),
    ) as PatchHead['streams'],
  };
  return concatBytes([encodeHead(head), ...enc.map((e) => e.bytes)]);
}

/** Decodes a patch into its raw streams, lets `edit` change the table, and re-assembles it. */
export function withTable(patch: Uint8Array, edit: (t: Table) => void): Uint8Array {
  const p = bytesSource(patch);
  const { head, specs } = decodeHead(p, DEFAULT_LIMITS);
  const raw = Object.fromEntries(
    STREAMS.map((n) => [
      n,
      new StreamReader(p, specs[n], DEFAULT_LIMITS.maxWindowBytes).read(specs[n].rawSize),
    ]),
  ) as Record<StreamName, Uint8Array>;
  const table = decodeTable(raw.table, head.oldLayout.regions);
  edit(table);
  const { streams: _, ...base } = head;
  return assemble(base, { ...raw, table: encodeTable(table) });
}

export const table = (t: Table) => encodeTable(t);
export const controls = (c: BsdiffControl[]) => encodeControls(c);
