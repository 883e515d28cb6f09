import { bunzip2 } from './bunzip2.js';
import { BsdiffError, corrupt } from './errors.js';
import type { BsdiffControl, BsdiffStreams } from './types.js';

/*
 * Classic BSDIFF40 patches (Colin Percival's bsdiff 4.x, Debian's `bsdiff`/`bspatch`):
 *
 *   0   8  "BSDIFF40"
 *   8   8  X = length of the bzip2'd control block      (offtin: 8-byte little-endian
 *   16  8  Y = length of the bzip2'd diff block          magnitude, sign in the top bit
 *   24  8  newsize                                       of the last byte)
 *   32  X  bzip2(control triples: add, copy, seek as offtin each)
 *   32+X    Y  bzip2(diff)
 *   32+X+Y  .. bzip2(extra), to the end of the file
 */

export const BSDIFF40_MAGIC = 'BSDIFF40';
const HEADER_BYTES = 32;
const CONTROL_BYTES = 24;
const MAGIC_BYTES = new TextEncoder().encode(BSDIFF40_MAGIC);

export interface Bsdiff40Limits {
  /** Largest NEW the caller accepts (DELTA_LIMIT above it): the allocation guard. */
  maxNewSize: number;
  /** Most controls accepted; default newSize + 1024 (bsdiff writes at most one per new byte). */
  maxControls?: number;
}

/** Reads a sign-magnitude 64-bit integer; magnitudes of 2^53 and above are refused. */
export function offtin(b: Uint8Array, at: number): number {
  // Bits 53..62 live in byte 7 (low 7 bits) and the top 3 bits of byte 6.
  if ((b[at + 7] & 0x7f) !== 0 || b[at + 6] >= 0x20)
    throw corrupt(`a BSDIFF40 integer at byte ${at} is 2^53 or more`);
  let v = 0;
  for (let i = 6; i >= 0; i--) v = v * 256 + b[at + i];
  return b[at + 7] & 0x80 && v !== 0 ? -v : v;
}

export function offtout(v: number, b: Uint8Array, at: number): void {
  if (!Number.isSafeInteger(v)) throw new BsdiffError('DELTA_BAD_ARGUMENT', `${v} is not a safe integer`);
  let m = Math.abs(v);
  for (let i = 0; i < 8; i++) {
    b[at + i] = m % 256;
    m = Math.floor(m / 256);
  }
  if (v < 0) b[at + 7] |= 0x80;
}

/** Parses a BSDIFF40 patch into streams (decompressing with the pure bzip2 decoder). */
export function decodeBsdiff40(
  patch: Uint8Array,
  limits: Bsdiff40Limits,
): { streams: BsdiffStreams; newSize: number } {
  if (!(patch instanceof Uint8Array))
    throw new BsdiffError('DELTA_BAD_ARGUMENT', 'decodeBsdiff40 takes a Uint8Array');
  if (patch.length < HEADER_BYTES || MAGIC_BYTES.some((c, i) => patch[i] !== c))
    throw new BsdiffError('DELTA_CORRUPT', 'not a BSDIFF40 patch (no "BSDIFF40" header)');
  const ctrlLen = offtin(patch, 8);
  const diffLen = offtin(patch, 16);
  const newSize = offtin(patch, 24);
  const body = patch.length - HEADER_BYTES;
  if (ctrlLen < 0 || diffLen < 0 || ctrlLen > body || diffLen > body - ctrlLen)
    throw corrupt(
      `the BSDIFF40 block lengths (${ctrlLen}, ${diffLen}) do not fit the ${patch.length}-byte patch`,
    );
  if (newSize < 0) throw corrupt(`the BSDIFF40 new size ${newSize} is negative`);
  if (newSize > limits.maxNewSize)
    throw new BsdiffError(
      'DELTA_LIMIT',
      `the patch declares a ${newSize}-byte output, above the limit of ${limits.maxNewSize}`,
    );
  const maxControls = limits.maxControls ?? newSize + 1024;

  const ctrlEnd = HEADER_BYTES + ctrlLen;
  const ctrlRaw = bunzip2(patch.subarray(HEADER_BYTES, ctrlEnd), { maxOutput: maxControls * CONTROL_BYTES });
  if (ctrlRaw.length % CONTROL_BYTES !== 0)
    throw corrupt('the BSDIFF40 control block is not a whole number of triples');
  const controls: BsdiffControl[] = new Array(ctrlRaw.length / CONTROL_BYTES);
  let sumAdd = 0;
  let sumCopy = 0;
  for (let i = 0, at = 0; i < controls.length; i++, at += CONTROL_BYTES) {
    const c = { add: offtin(ctrlRaw, at), copy: offtin(ctrlRaw, at + 8), seek: offtin(ctrlRaw, at + 16) };
    if (c.add < 0 || c.copy < 0) throw corrupt(`BSDIFF40 control ${i} has a negative length`);
    sumAdd += c.add;
    sumCopy += c.copy;
    if (sumAdd + sumCopy > newSize)
      throw corrupt(`BSDIFF40 control ${i} writes past the ${newSize}-byte output`);
    controls[i] = c;
  }
  if (sumAdd + sumCopy !== newSize)
    throw corrupt(`the BSDIFF40 controls produce ${sumAdd + sumCopy} bytes, not ${newSize}`);

  // The stream sizes are now known exactly: nothing may decompress past them.
  const diff = bunzip2(patch.subarray(ctrlEnd, ctrlEnd + diffLen), {
    maxOutput: sumAdd,
    expectedSize: sumAdd,
  });
  const extra = bunzip2(patch.subarray(ctrlEnd + diffLen), { maxOutput: sumCopy, expectedSize: sumCopy });
  if (diff.length !== sumAdd || extra.length !== sumCopy)
    throw corrupt('a BSDIFF40 data block is shorter than its controls say');
  return { streams: { controls, diff, extra }, newSize };
}

/** The uncompressed parts of a BSDIFF40 patch; a host compresses each block with bzip2 and calls assembleBsdiff40. */
export interface Bsdiff40Parts {
  newSize: number;
  /** Control triples in offtin form, 24 bytes each. */
  control: Uint8Array;
  diff: Uint8Array;
  extra: Uint8Array;
}

export function encodeBsdiff40Parts(streams: BsdiffStreams, newSize: number): Bsdiff40Parts {
  const control = new Uint8Array(streams.controls.length * CONTROL_BYTES);
  streams.controls.forEach((c, i) => {
    offtout(c.add, control, i * CONTROL_BYTES);
    offtout(c.copy, control, i * CONTROL_BYTES + 8);
    offtout(c.seek, control, i * CONTROL_BYTES + 16);
  });
  return { newSize, control, diff: streams.diff, extra: streams.extra };
}

/** Header + the three bzip2-compressed blocks, in BSDIFF40 order. */
export function assembleBsdiff40(
  compressed: { control: Uint8Array; diff: Uint8Array; extra: Uint8Array },
  newSize: number,
): Uint8Array {
  const { control, diff, extra } = compressed;
  const out = new Uint8Array(HEADER_BYTES + control.length + diff.length + extra.length);
  out.set(MAGIC_BYTES, 0);
  offtout(control.length, out, 8);
  offtout(diff.length, out, 16);
  offtout(newSize, out, 24);
  out.set(control, HEADER_BYTES);
  out.set(diff, HEADER_BYTES + control.length);
  out.set(extra, HEADER_BYTES + control.length + diff.length);
  return out;
}
