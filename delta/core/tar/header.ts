// A byte codec for one 512-byte tar header block (POSIX ustar, GNU, v7). It only reads: the
// delta engine never re-encodes a header, it re-emits the raw bytes it found, which is what makes
// the rebuilt layer byte-identical whatever tool wrote it (GNU tar, Docker, dpkg-deb).
import { DeltaError } from '../errors.js';
import { headerSum } from './header-sum.js';

export const BLOCK = 512;

export interface TarHeader {
  readonly name: string;
  readonly typeflag: string;
  readonly size: number;
  readonly linkname: string;
  readonly magic: 'ustar' | 'gnu' | 'v7';
  /** GNU sparse ('S'): another 512-byte block of sparse map follows this header. */
  readonly sparseExtended: boolean;
}

/** Latin-1 decoding: one char per byte, so distinct byte names never collide as keys. */
export const latin1 = (bytes: Uint8Array, start = 0, end = bytes.length): string => {
  // Whole runs through fromCharCode, not `s +=` a char at a time: that built a string per byte
  // (1.5 MB of garbage for tzdata's 900 headers, enough to make V8 grow its young generation).
  // Runs of 4096 keep the argument count far below engine limits.
  if (end - start === 1) return String.fromCharCode(bytes[start]);
  let s = '';
  for (let i = start; i < end; i += 4096)
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  return s;
};

const cstring = (block: Uint8Array, off: number, len: number): string => {
  let end = off;
  while (end < off + len && block[end] !== 0) end++;
  return latin1(block, off, end);
};

/**
 * Octal (ustar) or base-256 (GNU, first byte has the high bit set) number field. `at`: where the
 * header block starts in `block` (error messages count from there).
 */
export function readNumber(block: Uint8Array, off: number, len: number, at = 0): number {
  if (block[off] & 0x80) {
    if (block[off] === 0xff) throw new DeltaError('DELTA_TAR_INVALID', 'negative base-256 size field');
    let v = block[off] & 0x7f;
    for (let i = off + 1; i < off + len; i++) {
      v = v * 256 + block[i];
      if (v > Number.MAX_SAFE_INTEGER) throw new DeltaError('DELTA_TAR_INVALID', 'size field overflows');
    }
    return v;
  }
  let v = 0;
  let i = off;
  while (i < off + len && (block[i] === 0x20 || block[i] === 0)) {
    if (block[i] === 0) return 0;
    i++;
  }
  for (; i < off + len; i++) {
    const c = block[i];
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37)
      throw new DeltaError('DELTA_TAR_INVALID', `bad octal digit in header at ${i - at}`);
    v = v * 8 + (c - 0x30);
  }
  return v;
}

// The two number fields every header has, read in straight lines for the shapes tar writers use
// (GNU, Go, dpkg: 11 digits and a NUL; node-tar: 10 digits, a space and a NUL; the checksum: 6
// digits and a NUL or space), where readNumber gives the same value; any other bytes go to
// readNumber, so its errors stay the only ones. QuickJS (the wasm build) ran readNumber's loop at
// ~1.6 us a field, these at ~0.5-0.9. `d ^ 0x30` is the digit's value for '0'..'7' and has a bit
// above 7 set for every other byte, so one OR of them all tells whether each was a digit.

const isEnd = (c: number) => c === 0 || c === 0x20;

/** The size field (124..135). */
export function readSize(b: Uint8Array, at: number): number {
  const v = plainSize(b, at);
  return v >= 0 ? v : readNumber(b, at + 124, 12, at);
}

/** The size field in the writers' shapes (ten or eleven digits and an end); -1 for any other. */
export function plainSize(b: Uint8Array, at: number): number {
  const o = at + 124;
  const d0 = b[o] ^ 0x30;
  const d1 = b[o + 1] ^ 0x30;
  const d2 = b[o + 2] ^ 0x30;
  const d3 = b[o + 3] ^ 0x30;
  const d4 = b[o + 4] ^ 0x30;
  const d5 = b[o + 5] ^ 0x30;
  const d6 = b[o + 6] ^ 0x30;
  const d7 = b[o + 7] ^ 0x30;
  const d8 = b[o + 8] ^ 0x30;
  const d9 = b[o + 9] ^ 0x30;
  if ((d0 | d1 | d2 | d3 | d4 | d5 | d6 | d7 | d8 | d9) < 8) {
    // Ten digits: 30 bits, small ints in any engine (four high digits, then six).
    const v =
      (((d0 * 8 + d1) * 8 + d2) * 8 + d3) * 262144 +
      (((((d4 * 8 + d5) * 8 + d6) * 8 + d7) * 8 + d8) * 8 + d9);
    const c10 = b[o + 10];
    if (isEnd(c10)) return v;
    if ((c10 ^ 0x30) < 8 && isEnd(b[o + 11])) return v * 8 + (c10 ^ 0x30);
  }
  return -1;
}

/** The checksum field (148..155) as stored. */
export function readStoredSum(b: Uint8Array, at: number): number {
  const v = plainStoredSum(b, at);
  return v >= 0 ? v : readNumber(b, at + 148, 8, at);
}

/** The checksum field in the writers' shape (six digits and an end); -1 for any other. */
export function plainStoredSum(b: Uint8Array, at: number): number {
  const o = at + 148;
  const d0 = b[o] ^ 0x30;
  const d1 = b[o + 1] ^ 0x30;
  const d2 = b[o + 2] ^ 0x30;
  const d3 = b[o + 3] ^ 0x30;
  const d4 = b[o + 4] ^ 0x30;
  const d5 = b[o + 5] ^ 0x30;
  if ((d0 | d1 | d2 | d3 | d4 | d5) < 8 && isEnd(b[o + 6]))
    return ((((d0 * 8 + d1) * 8 + d2) * 8 + d3) * 8 + d4) * 8 + d5;
  return -1;
}

/** Whether the block at `at` is all zeros. */
export const isZeroBlock = (block: Uint8Array, at = 0): boolean => {
  for (let i = at; i < at + BLOCK; i++) if (block[i] !== 0) return false;
  return true;
};

/** The header checksum: the sum of all bytes with the checksum field read as spaces. */
export function checksumOk(block: Uint8Array, at = 0): boolean {
  if (block.length < at + BLOCK) return false;
  return sumMatches(block, at, readStoredSum(block, at));
}

function sumMatches(block: Uint8Array, at: number, stored: number): boolean {
  const unsigned = headerSum(block, at);
  if (stored === unsigned) return true;
  // Old tars summed signed bytes: each byte over 127 counts 256 less.
  let high = 0;
  for (let i = 0; i < BLOCK; i++) if (block[at + i] > 127 && (i < 148 || i >= 156)) high++;
  return stored === unsigned - 256 * high;
}

/** The magic field (257..264) read as bytes: "ustar  \0" is GNU, any other "ustar..." POSIX. */
export function headerMagic(block: Uint8Array, at = 0): TarHeader['magic'] {
  const m = at + 257;
  if (
    block[m] !== 0x75 ||
    block[m + 1] !== 0x73 ||
    block[m + 2] !== 0x74 ||
    block[m + 3] !== 0x61 ||
    block[m + 4] !== 0x72
  )
    return 'v7';
  return block[m + 5] === 0x20 && block[m + 6] === 0x20 && block[m + 7] === 0 ? 'gnu' : 'ustar';
}

/** The typeflag byte (a NUL reads as '0', a regular file). */
export const typeflagCode = (block: Uint8Array, at = 0): number => block[at + 156] || 0x30;

/**
 * What a reader needs to walk past a header without its names: the checks parseHeader makes, in
 * its order (so the same error), and no strings. OLD's layout in apply reads only offsets and
 * sizes, and QuickJS (the wasm build) pays for every string and object a header makes.
 */
export function checkHeader(block: Uint8Array, at = 0): number {
  if (block.length < at + BLOCK) throw new DeltaError('DELTA_TAR_INVALID', 'short header block');
  // checksumOk's steps without its call and second length check (QuickJS pays for each).
  if (!sumMatches(block, at, readStoredSum(block, at)))
    throw new DeltaError('DELTA_TAR_INVALID', 'header checksum mismatch');
  return readSize(block, at);
}

/** GNU sparse ('S') with the extended flag: another 512-byte block of sparse map follows. */
export const sparseExtended = (
  block: Uint8Array,
  at: number,
  magic: TarHeader['magic'],
  typeflag: number,
): boolean => magic === 'gnu' && typeflag === 0x53 && block[at + 482] !== 0;

/**
 * Parses a header block (the 512 bytes at `at`, or `block` itself); throws DELTA_TAR_INVALID when
 * it is not one.
 */
export function parseHeader(block: Uint8Array, at = 0): TarHeader {
  const size = checkHeader(block, at);
  const magic = headerMagic(block, at);
  let name = cstring(block, at, 100);
  if (magic === 'ustar') {
    const prefix = cstring(block, at + 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  const code = typeflagCode(block, at);
  return {
    name,
    typeflag: String.fromCharCode(code),
    size,
    linkname: cstring(block, at + 157, 100),
    magic,
    sparseExtended: sparseExtended(block, at, magic, code),
  };
}

/** Pax extended records: "<len> <key>=<value>\n", repeated. Values stay latin-1 like names. */
export function parsePax(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    let sp = pos;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const len = Number(latin1(data, pos, sp));
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) {
      // NUL padding after the last record is common; anything else is malformed.
      if (data.subarray(pos).every((b) => b === 0)) break;
      throw new DeltaError('DELTA_TAR_INVALID', 'malformed pax record');
    }
    const record = latin1(data, sp + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}
