import { BsdiffError, corrupt } from './errors.js';
import type { BsdiffStreams } from './types.js';

/** Output chunk size of bspatchChunks: large enough to amortise the sink call, small enough to bound memory. */
export const PATCH_CHUNK_BYTES = 1 << 16;

/**
 * Checks every control against the bounds of OLD, NEW and the two streams before a single
 * byte is written, so a hostile patch fails fast (O(controls)) and never allocates NEW first.
 */
export function validateStreams(oldSize: number, streams: BsdiffStreams, newSize: number): void {
  if (!Number.isSafeInteger(newSize) || newSize < 0)
    throw new BsdiffError('DELTA_BAD_ARGUMENT', `new size ${newSize} is not a non-negative integer`);
  if (
    typeof streams !== 'object' ||
    streams === null ||
    !Array.isArray(streams.controls) ||
    !(streams.diff instanceof Uint8Array) ||
    !(streams.extra instanceof Uint8Array)
  )
    throw new BsdiffError(
      'DELTA_BAD_ARGUMENT',
      'bspatch takes { controls: BsdiffControl[], diff: Uint8Array, extra: Uint8Array }',
    );
  const { controls, diff, extra } = streams;
  let newPos = 0;
  let oldPos = 0;
  let diffPos = 0;
  let extraPos = 0;
  for (let i = 0; i < controls.length; i++) {
    const c = controls[i];
    const add = c?.add;
    const copy = c?.copy;
    const seek = c?.seek;
    if (!Number.isSafeInteger(add) || !Number.isSafeInteger(copy) || !Number.isSafeInteger(seek))
      throw corrupt(`control ${i} holds a value that is not a safe integer`);
    if (add < 0 || copy < 0) throw corrupt(`control ${i} has a negative length (add ${add}, copy ${copy})`);
    if (add > newSize - newPos || copy > newSize - newPos - add)
      throw corrupt(`control ${i} writes past the end of the ${newSize}-byte output`);
    if (add > 0 && (oldPos < 0 || add > oldSize - oldPos))
      throw corrupt(
        `control ${i} reads old bytes [${oldPos}, ${oldPos + add}) outside the ${oldSize}-byte old file`,
      );
    if (add > diff.length - diffPos) throw corrupt(`control ${i} reads past the end of the diff stream`);
    if (copy > extra.length - extraPos) throw corrupt(`control ${i} reads past the end of the extra stream`);
    newPos += add + copy;
    diffPos += add;
    extraPos += copy;
    oldPos += add + seek;
    if (!Number.isSafeInteger(oldPos)) throw corrupt(`control ${i} moves the old cursor out of range`);
  }
  if (newPos !== newSize)
    throw corrupt(`the controls produce ${newPos} bytes but the new size is ${newSize}`);
  if (diffPos !== diff.length || extraPos !== extra.length)
    throw corrupt('the diff or extra stream holds bytes that no control uses');
}

/** Rebuilds new; throws a BsdiffError (DELTA_CORRUPT) on any control value that would read/write out of bounds, or when the total size != newSize. */
export function bspatch(oldBytes: Uint8Array, streams: BsdiffStreams, newSize: number): Uint8Array {
  checkOld(oldBytes);
  validateStreams(oldBytes.length, streams, newSize);
  const out = new Uint8Array(newSize);
  const { controls, diff, extra } = streams;
  const old = oldBytes;
  let newPos = 0;
  let oldPos = 0;
  let diffPos = 0;
  let extraPos = 0;
  for (let i = 0; i < controls.length; i++) {
    const { add, copy, seek } = controls[i];
    for (let k = 0; k < add; k++) out[newPos + k] = diff[diffPos + k] + old[oldPos + k];
    newPos += add;
    diffPos += add;
    if (copy > 0) out.set(extra.subarray(extraPos, extraPos + copy), newPos);
    newPos += copy;
    extraPos += copy;
    oldPos += add + seek;
  }
  return out;
}

/**
 * Same as bspatch, emitting NEW in chunks of at most PATCH_CHUNK_BYTES (bounded extra memory)
 * for a caller that streams to a file. Everything is validated before the first chunk, so a
 * bad patch throws before `sink` is called. Each chunk is a fresh array the sink may keep.
 */
export function bspatchChunks(
  oldBytes: Uint8Array,
  streams: BsdiffStreams,
  newSize: number,
  sink: (chunk: Uint8Array) => void,
): void {
  checkOld(oldBytes);
  validateStreams(oldBytes.length, streams, newSize);
  const { controls, diff, extra } = streams;
  const old = oldBytes;
  let remaining = newSize;
  let chunk = new Uint8Array(Math.min(PATCH_CHUNK_BYTES, remaining));
  let fill = 0;
  const flush = (): void => {
    sink(chunk);
    remaining -= chunk.length;
    chunk = new Uint8Array(Math.min(PATCH_CHUNK_BYTES, remaining));
    fill = 0;
  };
  let oldPos = 0;
  let diffPos = 0;
  let extraPos = 0;
  for (let i = 0; i < controls.length; i++) {
    const { add, copy, seek } = controls[i];
    let left = add;
    while (left > 0) {
      const n = Math.min(left, chunk.length - fill);
      for (let k = 0; k < n; k++) chunk[fill + k] = diff[diffPos + k] + old[oldPos + k];
      fill += n;
      diffPos += n;
      oldPos += n;
      left -= n;
      if (fill === chunk.length) flush();
    }
    left = copy;
    while (left > 0) {
      const n = Math.min(left, chunk.length - fill);
      chunk.set(extra.subarray(extraPos, extraPos + n), fill);
      fill += n;
      extraPos += n;
      left -= n;
      if (fill === chunk.length) flush();
    }
    oldPos += seek;
  }
}

function checkOld(oldBytes: Uint8Array): void {
  if (!(oldBytes instanceof Uint8Array))
    throw new BsdiffError('DELTA_BAD_ARGUMENT', 'bspatch takes the old file as a Uint8Array');
}
