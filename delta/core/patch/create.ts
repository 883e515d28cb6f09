// Makes a patch from two whole inputs in memory (the host side; apply is the streaming side).
// A tar pair is diffed file by file; anything else is one bsdiff of the whole file.
import { type BsdiffStreams, encodeControls, splitBsdiff } from '../bsdiff/index.js';
import type { Sha256Factory } from '../hash.js';
import { bytesSource, concatBytes } from '../io.js';
import { type DataRegion, detectTar, scanTar, type TarLayout } from '../tar/index.js';
import { CODEC_STORED, CODEC_ZSTD } from '../zstd/index.js';
import {
  type Digest,
  encodeHead,
  FORMAT_VERSION,
  GZIP_FORMAT_VERSION,
  type PatchHead,
  STREAMS,
  type StreamName,
} from './format.js';
import { planGzip, streamsCost } from './gzip-create.js';
import { matchRegions } from './match.js';
import {
  encodeTable,
  FILE_DIGEST_BYTES,
  type Item,
  type MetaOp,
  OP_BSDIFF,
  OP_GZIP,
  OP_LITERAL,
  OP_REF,
} from './table.js';

/** The compression port: returns one zstd frame. `fast` is for estimates that are thrown away. */
export type Compress = (bytes: Uint8Array, options?: { fast?: boolean }) => Uint8Array;

export interface CreateInput {
  /** Old and new layers, uncompressed. */
  readonly old: Uint8Array;
  readonly new: Uint8Array;
  /** Digest of OLD as the user holds it (gzip or not). */
  readonly source: Digest;
  /** NEW was gzip (the patch rebuilds its tar). */
  readonly newGzip: boolean;
  readonly sha256: Sha256Factory;
  readonly compress: Compress;
  /** 'file' forces one whole-file bsdiff even for tars. */
  readonly mode?: 'auto' | 'file';
  /** false: never rebuild .gz files from their content (then the patch stays format 1). */
  readonly gzip?: boolean;
  /**
   * The diff port (default: splitBsdiff, bsdiff with big files scanned in two halves so that a
   * host can share one file between two threads); a host may answer from diffs it made ahead.
   */
  readonly bsdiff?: (oldBytes: Uint8Array, newBytes: Uint8Array) => BsdiffStreams;
  readonly progress?: (done: number, total: number) => void;
}

export interface CreateStats {
  readonly kind: PatchHead['kind'];
  readonly files: number;
  readonly referenced: number;
  readonly diffed: number;
  readonly literal: number;
  /** Changed gzip files rebuilt from their decompressed content (counted apart from diffed). */
  readonly gzip: number;
  readonly streams: PatchHead['streams'];
}

export interface CreateResult {
  readonly parts: Uint8Array[];
  readonly size: number;
  readonly head: PatchHead;
  readonly stats: CreateStats;
}

const tryScan = (bytes: Uint8Array): TarLayout | undefined => {
  if (!detectTar(bytes)) return undefined;
  try {
    return scanTar(bytesSource(bytes));
  } catch {
    return undefined;
  }
};

const wholeFile = (bytes: Uint8Array): TarLayout => ({
  regions: bytes.length ? [{ path: '', typeflag: '0', offset: 0, size: bytes.length, metaBefore: 0 }] : [],
  meta: new Uint8Array(0),
  entryCount: 0,
});

/** Bytes that will not squeeze to nothing: a cheap stand-in for the compressed cost of a diff. */
const diffCost = (s: BsdiffStreams): number => {
  let n = s.extra.length + s.controls.length * 6;
  for (let i = 0; i < s.diff.length; i++) if (s.diff[i] !== 0) n++;
  return n;
};

export function createPatch(input: CreateInput): CreateResult {
  const { sha256 } = input;
  let oldLayout = input.mode === 'file' ? undefined : tryScan(input.old);
  let newLayout = oldLayout ? tryScan(input.new) : undefined;
  const kind: PatchHead['kind'] = oldLayout && newLayout ? 'tar' : 'file';
  if (kind === 'file') {
    oldLayout = wholeFile(input.old);
    newLayout = wholeFile(input.new);
  }
  const oldL = oldLayout as TarLayout;
  const newL = newLayout as TarLayout;

  const diff = input.bsdiff ?? splitBsdiff;
  const streams: Record<StreamName, Uint8Array[]> = { table: [], ctrl: [], diff: [], extra: [], lit: [] };
  const addBsdiff = (s: BsdiffStreams) => {
    const ctrl = encodeControls(s.controls);
    streams.ctrl.push(ctrl);
    streams.diff.push(s.diff);
    streams.extra.push(s.extra);
    return { ctrl: ctrl.length, diff: s.diff.length, extra: s.extra.length };
  };

  // Meta: a bsdiff against the old meta when that compresses smaller than the meta itself.
  let meta: MetaOp = { op: 'literal', size: newL.meta.length };
  if (newL.meta.length) {
    const s = diff(oldL.meta, newL.meta);
    const asDiff = concatBytes([encodeControls(s.controls), s.diff, s.extra]);
    if (input.compress(asDiff, { fast: true }).length < input.compress(newL.meta, { fast: true }).length)
      meta = { op: 'bsdiff', size: newL.meta.length, ...addBsdiff(s) };
    else streams.lit.push(newL.meta);
  }

  const matches =
    kind === 'tar'
      ? matchRegions(oldL.regions, newL.regions, input.old, input.new, sha256)
      : newL.regions.map(() =>
          oldL.regions.length ? { how: 'diff' as const, old: 0 } : { how: 'none' as const },
        );
  const slice = (bytes: Uint8Array, r: DataRegion) => bytes.subarray(r.offset, r.offset + r.size);
  const shaOf = (bytes: Uint8Array) => {
    const h = sha256();
    h.update(bytes);
    return h.digest();
  };
  let referenced = 0;
  let diffed = 0;
  let literal = 0;
  let gzipped = 0;
  const fastSize = (b: Uint8Array) => input.compress(b, { fast: true }).length;
  const total = newL.regions.reduce((n, r) => n + r.size, 0);
  let done = 0;
  const items = newL.regions.map((r, i): Item => {
    const m = matches[i];
    const data = slice(input.new, r);
    done += r.size;
    input.progress?.(done, total);
    if (m.how === 'same') {
      referenced++;
      return { op: OP_REF, metaBefore: r.metaBefore, oldIndex: m.old };
    }
    const oldData = m.how === 'diff' ? slice(input.old, oldL.regions[m.old]) : undefined;
    const s = oldData && diff(oldData, data);
    // A .gz file gzip made: diff its content instead, when that is cheaper than the bytes.
    const gz = input.gzip === false || kind !== 'tar' ? undefined : planGzip(data, oldData, diff, fastSize);
    if (gz && gz.cost < (s ? streamsCost(s, fastSize) : fastSize(data))) {
      gzipped++;
      streams.lit.push(gz.recipe.header);
      return {
        op: OP_GZIP,
        metaBefore: r.metaBefore,
        base: gz.base,
        oldIndex: m.how === 'diff' ? m.old : 0,
        size: r.size,
        sha256: shaOf(data).slice(0, FILE_DIGEST_BYTES),
        level: gz.recipe.level,
        headerSize: gz.recipe.header.length,
        rawSize: gz.recipe.content.length,
        oldRawSize: gz.oldRawSize,
        ...addBsdiff(gz.streams),
      };
    }
    if (s && m.how === 'diff') {
      if (diffCost(s) < data.length * 0.95) {
        diffed++;
        return {
          op: OP_BSDIFF,
          metaBefore: r.metaBefore,
          oldIndex: m.old,
          size: r.size,
          sha256: shaOf(data).slice(0, FILE_DIGEST_BYTES),
          ...addBsdiff(s),
        };
      }
    }
    literal++;
    streams.lit.push(data);
    return {
      op: OP_LITERAL,
      metaBefore: r.metaBefore,
      size: r.size,
      sha256: shaOf(data).slice(0, FILE_DIGEST_BYTES),
    };
  });
  streams.table.push(encodeTable({ meta, items }));

  const encoded = STREAMS.map((name) => {
    const raw = concatBytes(streams[name]);
    const z = raw.length ? input.compress(raw) : raw;
    return z.length < raw.length
      ? { codec: CODEC_ZSTD, bytes: z, raw: raw.length }
      : { codec: CODEC_STORED, bytes: raw, raw: raw.length };
  });
  const head: PatchHead = {
    // Format 1 readers still apply a patch with no gzip entry.
    version: gzipped ? Math.max(FORMAT_VERSION, GZIP_FORMAT_VERSION) : 1,
    kind,
    source: input.source,
    target: { size: input.new.length, sha256: shaOf(input.new), gzip: input.newGzip },
    oldLayout: { size: input.old.length, regions: oldL.regions.length, metaSize: oldL.meta.length },
    streams: Object.fromEntries(
      STREAMS.map((name, i) => [
        name,
        { codec: encoded[i].codec, compressedSize: encoded[i].bytes.length, rawSize: encoded[i].raw },
      ]),
    ) as PatchHead['streams'],
  };
  const parts = [encodeHead(head), ...encoded.map((e) => e.bytes)];
  return {
    parts,
    size: parts.reduce((n, p) => n + p.length, 0),
    head,
    stats: {
      kind,
      files: newL.regions.length,
      referenced,
      diffed,
      literal,
      gzip: gzipped,
      streams: head.streams,
    },
  };
}
