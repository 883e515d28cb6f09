import { BsdiffError } from './errors.js';

/*
 * An exactly invertible x86-64 branch filter, in the spirit of the BCJ filters of xz/7-Zip and
 * of Courgette/Zucchini: the rel32 operand of CALL (E8) and JMP (E9) becomes the absolute
 * target offset. When code moves between versions, every call to an unmoved function changes
 * its relative operand but keeps its absolute target, so bsdiff's diff stream stays zeros.
 *
 * Only operands whose top byte is 0x00 or 0xFF (|rel32| < 16 MiB, i.e. plausible branches) are
 * converted, modulo 2^25 so the converted operand keeps that property. Invertibility: the
 * decoder must see, at every position it tests, the very bytes the encoder tested. A
 * conversion rewrites the 4 bytes after its opcode, which both sides skip; the only hazard is
 * a conversion at j rewriting the operand window of an earlier opcode i (j <= i + 3) that was
 * tested and left alone. Both sides therefore refuse to convert within 3 bytes after such an
 * opcode, so encode and decode take identical decisions and decode(encode(x)) == x for all x.
 */

const isBranch = (b: number): boolean => b === 0xe8 || b === 0xe9;
const SPAN = 1 << 25;
const HALF = 1 << 24;

function transform(input: Uint8Array, encode: boolean): Uint8Array {
  if (!(input instanceof Uint8Array))
    throw new BsdiffError('DELTA_BAD_ARGUMENT', 'x86Filter takes a Uint8Array');
  const b = input.slice();
  const end = b.length - 4;
  let blockedUntil = -1; // no conversion at positions <= this one
  for (let i = 0; i < end; i++) {
    if (!isBranch(b[i])) continue;
    const top = b[i + 4];
    if ((top !== 0x00 && top !== 0xff) || i <= blockedUntil) {
      // Tested and left alone: its operand window must not be rewritten later.
      blockedUntil = i + 3;
      continue;
    }
    const v = b[i + 1] | (b[i + 2] << 8) | (b[i + 3] << 16) | (b[i + 4] << 24); // int32
    const here = i + 5;
    let w = encode ? v + here : v - here;
    w = ((((w + HALF) % SPAN) + SPAN) % SPAN) - HALF; // back into [-2^24, 2^24)
    b[i + 1] = w & 0xff;
    b[i + 2] = (w >> 8) & 0xff;
    b[i + 3] = (w >> 16) & 0xff;
    b[i + 4] = (w >> 24) & 0xff;
    i += 4;
  }
  return b;
}

/** Pre/post filter for x86-64 code: diff encode(old) against encode(new), then decode what bspatch rebuilds. */
export const x86Filter = {
  encode: (bytes: Uint8Array): Uint8Array => transform(bytes, true),
  decode: (bytes: Uint8Array): Uint8Array => transform(bytes, false),
};
