import { BsdiffError, corrupt } from './errors.js';
import type { BsdiffControl } from './types.js';

/*
 * Control list encoding (version 1), built for a general-purpose compressor behind it:
 *
 *   varint count, then three columns of `count` varints each:
 *   add[0..count), copy[0..count), zigzag(seek)[0..count)
 *
 * Columns keep similar numbers together (adds are small and alike, seeks are signed and
 * noisy), which compresses better than interleaved triples. Varints are unsigned LEB128,
 * minimal (no redundant 0x80 continuation bytes) and at most 2^53 - 1, so each list has exactly
 * one encoding and decode can reject anything else.
 */

const MAX_VARINT_BYTES = 8; // 8 * 7 = 56 bits covers 2^53 - 1

const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);
const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

/** Compact binary encoding of the control list; see the format note above. */
export function encodeControls(controls: BsdiffControl[]): Uint8Array {
  const n = controls.length;
  const out = new Uint8Array(MAX_VARINT_BYTES * (1 + 3 * n));
  let o = 0;
  const put = (v: number): void => {
    while (v >= 0x80) {
      out[o++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    out[o++] = v;
  };
  const check = (v: number, i: number, what: string, signed: boolean): number => {
    if (!Number.isSafeInteger(v) || (!signed && v < 0) || (signed && Math.abs(v) > 2 ** 52 - 1))
      throw new BsdiffError('DELTA_BAD_ARGUMENT', `control ${i}: ${what} ${v} cannot be encoded`);
    return v;
  };
  put(n);
  for (let i = 0; i < n; i++) put(check(controls[i].add, i, 'add', false));
  for (let i = 0; i < n; i++) put(check(controls[i].copy, i, 'copy', false));
  for (let i = 0; i < n; i++) put(zigzag(check(controls[i].seek, i, 'seek', true)));
  return out.slice(0, o);
}

/** Decodes encodeControls' output; rejects truncation, trailing bytes, non-minimal varints and more than maxEntries controls. */
export function decodeControls(bytes: Uint8Array, limits: { maxEntries: number }): BsdiffControl[] {
  if (!(bytes instanceof Uint8Array))
    throw new BsdiffError('DELTA_BAD_ARGUMENT', 'decodeControls takes a Uint8Array');
  let p = 0;
  const get = (): number => {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (p >= bytes.length) throw corrupt('the control list is truncated');
      const b = bytes[p++];
      v += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (b === 0 && i > 0) throw corrupt('the control list holds a non-minimal varint');
        if (!Number.isSafeInteger(v)) throw corrupt('the control list holds a value above 2^53');
        return v;
      }
      scale *= 0x80;
    }
    throw corrupt('the control list holds a varint longer than 8 bytes');
  };
  const n = get();
  if (n > limits.maxEntries)
    throw new BsdiffError(
      'DELTA_LIMIT',
      `the control list declares ${n} entries, more than the limit of ${limits.maxEntries}`,
    );
  // Each entry takes at least 3 bytes: a count the bytes cannot hold is corrupt, not a reason to allocate.
  if (n * 3 > bytes.length - p)
    throw corrupt(`the control list declares ${n} entries but holds only ${bytes.length} bytes`);
  const controls: BsdiffControl[] = new Array(n);
  for (let i = 0; i < n; i++) controls[i] = { add: get(), copy: 0, seek: 0 };
  for (let i = 0; i < n; i++) controls[i].copy = get();
  for (let i = 0; i < n; i++) controls[i].seek = unzigzag(get());
  if (p !== bytes.length) throw corrupt(`the control list has ${bytes.length - p} trailing bytes`);
  return controls;
}
