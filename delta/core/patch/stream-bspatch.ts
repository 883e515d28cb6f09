// bspatch for the streaming applier: the kernel's control semantics (Percival's bsdiff 4), but
// OLD is read at the offsets the controls name (RandomAccess: positional reads of the OLD file)
// and diff/extra come from the patch's decompressing readers, so memory is a few 64 KiB chunks
// whatever the file size. The kernel's bspatchChunks needs OLD and both streams in memory, which
// for a 25 MB binary is 50 MB: past the device's budget.
import type { BsdiffControl } from '../bsdiff/index.js';
import { DeltaError } from '../errors.js';
import { type RandomAccess, readInto } from '../io.js';
import type { StreamReader } from '../zstd/index.js';
import { arrayControls, type ControlSource } from './control-cursor.js';

const CHUNK = 1 << 16;
const corrupt = (message: string) => new DeltaError('DELTA_PATCH_INVALID', `bsdiff entry: ${message}`);

/** Every control checked against OLD, NEW and the stream lengths before any byte is written. */
export function checkControls(
  list: BsdiffControl[] | ControlSource,
  oldSize: number,
  newSize: number,
  diffLen: number,
  extraLen: number,
): void {
  let newPos = 0;
  let oldPos = 0;
  let d = 0;
  let e = 0;
  const controls = Array.isArray(list) ? arrayControls(list) : list;
  controls.rewind();
  for (let i = 0; controls.next(); i++) {
    const { add, copy, seek } = controls;
    const problem = controlProblem(add, copy, seek, oldPos, newPos, oldSize, newSize);
    // One throw naming `i`: with one per check, TurboFan boxed `i` for the messages in the hot
    // loop itself (a heap number per control: 1.8 MB of garbage on mariadb's 110k controls).
    if (problem) throw corrupt(`control ${i} ${problem}`);
    newPos += add + copy;
    d += add;
    e += copy;
    oldPos += add + seek;
  }
  if (newPos !== newSize) throw corrupt(`controls make ${newPos} bytes, not ${newSize}`);
  if (d !== diffLen || e !== extraLen) throw corrupt('controls do not use the diff and extra bytes exactly');
}

/** What is wrong with one control at these cursors, or '' (checkControls' per-control test). */
function controlProblem(
  add: number,
  copy: number,
  seek: number,
  oldPos: number,
  newPos: number,
  oldSize: number,
  newSize: number,
): string {
  if (!Number.isSafeInteger(add) || !Number.isSafeInteger(copy) || !Number.isSafeInteger(seek))
    return 'is not a safe integer';
  if (add < 0 || copy < 0) return 'has a negative length';
  if (add > newSize - newPos || copy > newSize - newPos - add) return 'writes past the end';
  if (add > 0 && (oldPos < 0 || add > oldSize - oldPos)) return 'reads outside the old file';
  if (!Number.isSafeInteger(oldPos + add + seek)) return 'moves the old cursor out of range';
  return '';
}

export interface StreamPatchInput {
  /** Decoded controls, or a cursor over the encoded list (apply's path: no objects per control). */
  readonly controls: BsdiffControl[] | ControlSource;
  /** OLD region: read(offset within the region, length). */
  readonly old: RandomAccess;
  readonly diff: StreamReader;
  readonly extra: StreamReader;
  readonly newSize: number;
  readonly diffLen: number;
  readonly extraLen: number;
  readonly sink: (chunk: Uint8Array) => void;
  /** A reused buffer of at least 128 KiB (output and OLD read-ahead; apply rebuilds hundreds of files in a row). */
  readonly scratch?: Uint8Array;
}

export function streamBspatch(input: StreamPatchInput): void {
  const { old } = input;
  const controls = Array.isArray(input.controls) ? arrayControls(input.controls) : input.controls;
  checkControls(controls, old.size, input.newSize, input.diffLen, input.extraLen);
  controls.rewind();
  gathered(input, controls);
}

/**
 * No allocation per control: OLD is read ahead into one buffer, diff and extra are read in place
 * (StreamReader.take), and the output is gathered into 64 KiB chunks for the sink. (A view per
 * control for each of OLD, diff and the sum was ~400 bytes of garbage per control: 40 MB over
 * typescript's 100k controls, which made V8 grow its young generation.)
 */
function gathered(input: StreamPatchInput, controls: ControlSource): void {
  const { old, diff, extra, sink } = input;
  const scratch =
    input.scratch && input.scratch.length >= 2 * CHUNK ? input.scratch : new Uint8Array(2 * CHUNK);
  const out = scratch.subarray(0, CHUNK);
  const base = scratch.subarray(CHUNK, 2 * CHUNK);
  let fill = 0;
  let baseStart = 0;
  let baseEnd = 0;
  let oldPos = 0;
  while (controls.next()) {
    const { add, copy, seek } = controls;
    let at = oldPos;
    for (let left = add; left > 0; ) {
      let k = diff.take(Math.min(left, CHUNK - fill));
      if (at < baseStart || at >= baseEnd) {
        // checkControls proved [at, at + left) lies inside OLD. A view only at OLD's end: this
        // runs once per seek (~100k times for a 25 MB binary), and a view each time was 7 MB of
        // young-generation garbage, enough to make V8 double its new space twice (RSS).
        const n = Math.min(CHUNK, old.size - at);
        readInto(old, n === CHUNK ? base : base.subarray(0, n), at);
        baseStart = at;
        baseEnd = at + n;
      }
      k = Math.min(k, baseEnd - at);
      const d = diff.buffer;
      const dOff = diff.offset;
      const bOff = at - baseStart;
      for (let i = 0; i < k; i++) out[fill + i] = d[dOff + i] + base[bOff + i];
      diff.skip(k);
      fill += k;
      at += k;
      left -= k;
      if (fill === CHUNK) {
        sink(out);
        fill = 0;
      }
    }
    for (let left = copy; left > 0; ) {
      const k = extra.take(Math.min(left, CHUNK - fill));
      const e = extra.buffer;
      const eOff = extra.offset;
      // A loop, not out.set(e.subarray(...)): a view per copy run is garbage, and the runs are
      // short (extra is ~2% of a changed file's bytes).
      for (let i = 0; i < k; i++) out[fill + i] = e[eOff + i];
      extra.skip(k);
      fill += k;
      left -= k;
      if (fill === CHUNK) {
        sink(out);
        fill = 0;
      }
    }
    oldPos += add + seek;
  }
  if (fill > 0) sink(out.subarray(0, fill));
}
