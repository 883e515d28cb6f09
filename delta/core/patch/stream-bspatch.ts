// bspatch for the streaming applier: the kernel's control semantics (Percival's bsdiff 4), but
// OLD is read at the offsets the controls name (RandomAccess: positional reads of the OLD file)
// and diff/extra come from the patch's decompressing readers, so memory is a few 64 KiB chunks
// whatever the file size. The kernel's bspatchChunks needs OLD and both streams in memory, which
// for a 25 MB binary is 50 MB: past the device's budget.
import type { BsdiffControl } from '../bsdiff/index.js';
import { DeltaError } from '../errors.js';
import type { RandomAccess } from '../io.js';
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
    if (!Number.isSafeInteger(add) || !Number.isSafeInteger(copy) || !Number.isSafeInteger(seek))
      throw corrupt(`control ${i} is not a safe integer`);
    if (add < 0 || copy < 0) throw corrupt(`control ${i} has a negative length`);
    if (add > newSize - newPos || copy > newSize - newPos - add)
      throw corrupt(`control ${i} writes past the end`);
    if (add > 0 && (oldPos < 0 || add > oldSize - oldPos))
      throw corrupt(`control ${i} reads outside the old file`);
    newPos += add + copy;
    d += add;
    e += copy;
    oldPos += add + seek;
    if (!Number.isSafeInteger(oldPos)) throw corrupt(`control ${i} moves the old cursor out of range`);
  }
  if (newPos !== newSize) throw corrupt(`controls make ${newPos} bytes, not ${newSize}`);
  if (d !== diffLen || e !== extraLen) throw corrupt('controls do not use the diff and extra bytes exactly');
}

/**
 * bspatch's add step: out[i] = diff[i] + old[i] (mod 256) over two chunks of equal length, into
 * a new array. A port so a wasm build can run it as a compiled kernel; the default is the loop below.
 */
export type AddBytes = (diff: Uint8Array, old: Uint8Array) => Uint8Array;

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
  readonly addBytes?: AddBytes;
  /** A reused buffer of at least 64 KiB for the sums (apply rebuilds hundreds of files in a row). */
  readonly scratch?: Uint8Array;
}

export function streamBspatch(input: StreamPatchInput): void {
  const { old, diff, extra, sink, addBytes } = input;
  const controls = Array.isArray(input.controls) ? arrayControls(input.controls) : input.controls;
  checkControls(controls, old.size, input.newSize, input.diffLen, input.extraLen);
  controls.rewind();
  // One reused buffer: sinks consume each chunk before returning (hash, copy to the writer).
  const sum = input.scratch && input.scratch.length >= CHUNK ? input.scratch : new Uint8Array(CHUNK);
  let oldPos = 0;
  let at = 0;
  // One sink for every control (a closure per control was young-generation churn).
  const addSink = (d: Uint8Array) => {
    for (let o = 0; o < d.length; o += CHUNK) {
      const n = Math.min(CHUNK, d.length - o);
      const base = old.read(at, n);
      if (addBytes) sink(addBytes(d.subarray(o, o + n), base));
      else {
        for (let k = 0; k < n; k++) sum[k] = d[o + k] + base[k];
        sink(sum.subarray(0, n));
      }
      at += n;
    }
  };
  while (controls.next()) {
    const { add, copy, seek } = controls;
    at = oldPos;
    if (add > 0) diff.pipe(add, addSink);
    if (copy > 0) extra.pipe(copy, sink);
    oldPos += add + seek;
  }
}
