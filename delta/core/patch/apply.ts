// Rebuilds the output from OLD and a patch, streaming: output leaves through `sink` as it is
// made. Memory holds the old and new tar meta (headers: ~1 KiB a file), one changed file's
// encoded control list, the zstd windows (≤ 1 MiB each as create writes them) and a few 64 KiB
// buffers; OLD, diff and extra are read as they are used, never whole (apply-memory.test.ts).
// Every rebuilt file and the whole output are hash-checked before apply returns.
// The kernel's errors module, not bsdiff/index.js: that would load the whole diffing kernel
// (suffix array, bzip2, BSDIFF40), which apply never runs, and module code is start-up memory.
import { isBsdiffError } from '../bsdiff/errors.js';
import { DeltaError, hex, sameBytes } from '../errors.js';
import type { Sha256, Sha256Factory } from '../hash.js';
import { bytesSource, type RandomAccess, readInto } from '../io.js';
import { pagedRegion, regionSource } from '../io-cache.js';
import { BlockScratch, StreamReader } from '../zstd/index.js';
import { ApplyOutput } from './apply-output.js';
import { type BspatchKernel, kernelBspatch } from './bspatch-port.js';
import { EncodedControls } from './control-cursor.js';
import { EntryOutput } from './entry-output.js';
import { type DecodedHead, GZIP_FORMAT_VERSION, type StreamName } from './format.js';
import { rebuildGzipEntry } from './gzip-entry.js';
import type { ApplyLimits } from './limits.js';
import { readOldLayout } from './old-layout.js';
import { KernelOutput, type OutputKernel } from './output-kernel.js';
import { streamBspatch } from './stream-bspatch.js';
import {
  type BsdiffLengths,
  decodeTable,
  GZ_BASE_NONE,
  OP_BSDIFF,
  OP_GZIP,
  OP_LITERAL,
  OP_REF,
} from './table.js';

export interface ApplyInput {
  readonly patch: RandomAccess;
  /** The old layer, uncompressed (the adapter gunzips and checks the source digest first). */
  readonly old: RandomAccess;
  readonly decoded: DecodedHead;
  readonly sha256: Sha256Factory;
  readonly limits: ApplyLimits;
  readonly sink: (chunk: Uint8Array) => void;
  readonly progress?: (done: number, total: number) => void;
  /** bspatch over whole entries as a compiled kernel (the wasm build); see bspatch-port.ts. */
  readonly bspatch?: BspatchKernel;
  /**
   * The output stream as a compiled kernel (the wasm build; see output-kernel.ts): it hashes and
   * writes the output itself, through its own io, so `sink` is not called.
   */
  readonly output?: OutputKernel;
}

const COPY_CHUNK = 1 << 16;
const VIEW_CHUNK = 1 << 20;
/** Where the output kernel hashes a changed file itself. */
const UNHASHED: Sha256 = { update: () => {}, digest: () => new Uint8Array(0) };
const invalid = (message: string) => new DeltaError('DELTA_PATCH_INVALID', message);

export function applyPatch(input: ApplyInput): void {
  const { patch, old, decoded, limits, sha256 } = input;
  const { head, specs } = decoded;
  if (old.size !== head.oldLayout.size)
    throw new DeltaError(
      'DELTA_SOURCE_MISMATCH',
      `OLD layer is ${old.size} bytes; the patch expects ${head.oldLayout.size}`,
    );
  const layout = readOldLayout(old, head.kind, head.oldLayout.metaSize);
  if (layout.regions.length !== head.oldLayout.regions || layout.meta.length !== head.oldLayout.metaSize)
    throw new DeltaError('DELTA_SOURCE_MISMATCH', 'OLD does not have the layout the patch was made from');

  // One set of block buffers for all streams: they are read one call at a time.
  const blocks = new BlockScratch();
  const open = (name: StreamName) => new StreamReader(patch, specs[name], limits.maxWindowBytes, blocks);
  const table = decodeTable(open('table').read(specs.table.rawSize), layout.regions.length);
  const ctrl = open('ctrl');
  const diff = open('diff');
  const extra = open('extra');
  const lit = open('lit');

  const target = head.target.size;
  // bspatch's output and OLD read-ahead buffers, shared by every changed file (one at a time);
  // unchanged files are copied through its first half (never while bspatch runs).
  const scratch = new Uint8Array(2 * COPY_CHUNK);
  const copyBuf = scratch.subarray(0, COPY_CHUNK);
  const copier = input.output && new KernelOutput(input.output, target, input.progress);
  const out = copier ?? new ApplyOutput(target, sha256(), input.sink, input.progress);
  const emit = (chunk: Uint8Array) => out.write(chunk);

  // Every bspatch call writes through this one sink (entry-output.ts says why).
  const output = new EntryOutput(emit);
  const sink = (c: Uint8Array) => output.write(c);
  /**
   * bspatch of one entry into `output` (set up by the caller: collect or pass), or with `direct`
   * and both kernels, straight into the output kernel.
   */
  const patchFile = (oldRegion: RandomAccess, lengths: BsdiffLengths, size: number, direct = false) => {
    if (size > limits.maxFileBytes)
      throw new DeltaError(
        'DELTA_PATCH_TOO_LARGE',
        `a ${size}-byte file exceeds the ${limits.maxFileBytes}-byte limit`,
      );
    if (lengths.diff > size || lengths.extra > size) throw invalid('bsdiff streams longer than their file');
    try {
      const list = ctrl.read(lengths.ctrl);
      const k = input.bspatch;
      if (k?.load(list, size + 1, oldRegion.size, size, lengths.diff, lengths.extra)) {
        kernelBspatch(k, {
          old: oldRegion,
          diff,
          extra,
          diffLen: lengths.diff,
          extraLen: lengths.extra,
          sink,
          into: direct && copier ? () => copier.patch(k) : undefined,
        });
        return;
      }
      // No kernel, or the list fails its checks: delta/core's loop, whose checks say what is wrong.
      streamBspatch({
        controls: new EncodedControls(list, size + 1),
        old: oldRegion,
        diff,
        extra,
        newSize: size,
        diffLen: lengths.diff,
        extraLen: lengths.extra,
        sink,
        scratch,
      });
    } catch (e) {
      if (isBsdiffError(e)) throw invalid(`bsdiff entry: ${e.message}`);
      throw e;
    }
  };

  // The new tar's meta (headers, padding, trailer) first: it is small and interleaves with data.
  const m = table.meta;
  if (m.size > limits.maxMetaBytes) throw new DeltaError('DELTA_PATCH_TOO_LARGE', `meta of ${m.size} bytes`);
  let newMeta: Uint8Array;
  if (m.op === 'literal') newMeta = lit.read(m.size);
  else {
    // Straight into one buffer of the declared size (the controls were checked to make exactly
    // m.size bytes): a tar of 2000 entries has ~1 MB of meta, and parts plus a copy were twice that.
    const meta = new Uint8Array(m.size);
    output.collect(meta);
    patchFile(bytesSource(layout.meta), m, m.size);
    if (output.collected !== m.size) throw invalid('meta rebuilt to the wrong size');
    newMeta = meta;
  }

  copier?.begin(newMeta, old.size);
  let metaPos = 0;
  const metaShort = () => invalid('entries use more meta bytes than the patch holds');
  const emitMeta = (n: number) => {
    if (n > newMeta.length - metaPos) throw metaShort();
    metaPos += n;
    if (!n) return;
    if (copier) copier.copy(n, 0, 0);
    else emit(newMeta.subarray(metaPos - n, metaPos));
  };
  const verify = (digest: Uint8Array, expected: Uint8Array, what: string) => {
    const got = digest.subarray(0, expected.length);
    if (!sameBytes(got, expected))
      throw new DeltaError(
        'DELTA_OUTPUT_MISMATCH',
        `${what} rebuilt with sha256 ${hex(got)}, expected ${hex(expected)}`,
      );
  };
  /** A changed file's output, hashed on its own to be checked: by the output kernel, if there is one. */
  const checked = (expected: Uint8Array, what: string) => {
    if (copier) {
      copier.beginFile();
      return { hash: UNHASHED, out: emit, done: () => verify(copier.fileDigest(), expected, what) };
    }
    const h = sha256();
    return {
      hash: h,
      out: (c: Uint8Array) => {
        h.update(c);
        emit(c);
      },
      done: () => verify(h.digest(), expected, what),
    };
  };

  table.items.forEach((item, i) => {
    if (copier && item.op === OP_REF) {
      // The header before it and the file, as four numbers: the kernel copies both.
      const m = item.metaBefore;
      if (m > newMeta.length - metaPos) throw metaShort();
      metaPos += m;
      const r = layout.regions[item.oldIndex];
      copier.copy(m, r.offset, r.size);
      return;
    }
    emitMeta(item.metaBefore);
    if (item.op === OP_REF) {
      const r = layout.regions[item.oldIndex];
      // A source of views hands out its window, in pieces of up to 1 MiB: `out` copies a small
      // one once (staged) and passes a large one on as it is.
      const step = old.views ? VIEW_CHUNK : COPY_CHUNK;
      for (let o = 0; o < r.size; o += step) {
        const n = Math.min(step, r.size - o);
        if (old.views) emit(old.read(r.offset + o, n));
        else {
          const chunk = copyBuf.subarray(0, n);
          readInto(old, chunk, r.offset + o);
          emit(chunk);
        }
      }
    } else if (item.op === OP_BSDIFF) {
      const r = layout.regions[item.oldIndex];
      const c = checked(item.sha256, `file #${i}`);
      const start = out.written;
      output.pass(c.hash);
      // A source of views (the wasm engine's) keeps pages of OLD as views; others read into a
      // block. Behind the bspatch kernel's own 4 pages they are a second level: a big file's
      // seeks (mariadbd) otherwise fetch its OLD from the host 30 times over (1.7 GB for 46 MB).
      const base = old.views
        ? pagedRegion(old, r.offset, r.size, input.bspatch ? 16 : 4)
        : regionSource(old, r.offset, r.size);
      // The output kernel takes the bytes as they are made: it checks no size against the target.
      if (copier && item.size > target - out.written) throw invalid(`file #${i} is larger than the output`);
      patchFile(base, item, item.size, true);
      if (out.written - start !== item.size) throw invalid(`file #${i} rebuilt to the wrong size`);
      c.done();
    } else if (item.op === OP_LITERAL) {
      if (item.size > target - out.written) throw invalid(`file #${i} is larger than the output`);
      const c = checked(item.sha256, `file #${i}`);
      lit.pipe(item.size, c.out);
      c.done();
    } else if (item.op === OP_GZIP) {
      if (head.version < GZIP_FORMAT_VERSION)
        throw invalid(`file #${i}: gzip entry in a format ${head.version} patch`);
      if (item.size > target - out.written) throw invalid(`file #${i} is larger than the output`);
      const r = item.base === GZ_BASE_NONE ? undefined : layout.regions[item.oldIndex];
      const c = checked(item.sha256, `file #${i}`);
      rebuildGzipEntry({
        item,
        oldFile: r && regionSource(old, r.offset, r.size),
        streams: { ctrl, diff, extra, lit },
        limits,
        what: `file #${i}`,
        out: c.out,
        bspatch: (base, lengths, into) => {
          output.collect(into);
          patchFile(base, lengths, into.length);
        },
      });
      c.done();
    }
  });
  emitMeta(newMeta.length - metaPos);
  for (const s of [ctrl, diff, extra, lit]) s.finish();
  if (out.written !== target) throw invalid(`rebuilt ${out.written} bytes; the patch declares ${target}`);
  const got = out.digest();
  if (!sameBytes(got, head.target.sha256))
    throw new DeltaError(
      'DELTA_OUTPUT_MISMATCH',
      `output sha256 ${hex(got)} differs from the patch's target ${hex(head.target.sha256)}`,
    );
}
