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

/** Octal (ustar) or base-256 (GNU, first byte has the high bit set) number field. */
export function readNumber(block: Uint8Array, off: number, len: number): number {
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
    if (c < 0x30 || c > 0x37) throw new DeltaError('DELTA_TAR_INVALID', `bad octal digit in header at ${i}`);
    v = v * 8 + (c - 0x30);
  }
  return v;
}

export const isZeroBlock = (block: Uint8Array): boolean => {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
};

/** The header checksum: the sum of all bytes with the checksum field read as spaces. */
export function checksumOk(block: Uint8Array): boolean {
  if (block.length < BLOCK) return false;
  const stored = readNumber(block, 148, 8);
  const unsigned = headerSum(block);
  if (stored === unsigned) return true;
  // Old tars summed signed bytes: each byte over 127 counts 256 less.
  let high = 0;
  for (let i = 0; i < BLOCK; i++) if (block[i] > 127 && (i < 148 || i >= 156)) high++;
  return stored === unsigned - 256 * high;
}

/** The magic field (257..264) read as bytes: "ustar  \0" is GNU, any other "ustar..." POSIX. */
export function headerMagic(block: Uint8Array): TarHeader['magic'] {
  if (
    block[257] !== 0x75 ||
    block[258] !== 0x73 ||
    block[259] !== 0x74 ||
    block[260] !== 0x61 ||
    block[261] !== 0x72
  )
    return 'v7';
  return block[262] === 0x20 && block[263] === 0x20 && block[264] === 0 ? 'gnu' : 'ustar';
}

/** The typeflag byte (a NUL reads as '0', a regular file). */
export const typeflagCode = (block: Uint8Array): number => (block[156] === 0 ? 0x30 : block[156]);

/**
 * What a reader needs to walk past a header without its names: the checks parseHeader makes, in
 * its order (so the same error), and no strings. OLD's layout in apply reads only offsets and
 * sizes, and QuickJS (the wasm build) pays for every string and object a header makes.
 */
export function checkHeader(block: Uint8Array): number {
  if (block.length !== BLOCK) throw new DeltaError('DELTA_TAR_INVALID', 'short header block');
  if (!checksumOk(block)) throw new DeltaError('DELTA_TAR_INVALID', 'header checksum mismatch');
  return readNumber(block, 124, 12);
}

/** GNU sparse ('S') with the extended flag: another 512-byte block of sparse map follows. */
export const sparseExtended = (block: Uint8Array, magic: TarHeader['magic'], typeflag: number): boolean =>
  magic === 'gnu' && typeflag === 0x53 && block[482] !== 0;

/** Parses a header block; throws DELTA_TAR_INVALID when it is not one. */
export function parseHeader(block: Uint8Array): TarHeader {
  const size = checkHeader(block);
  const magic = headerMagic(block);
  let name = cstring(block, 0, 100);
  if (magic === 'ustar') {
    const prefix = cstring(block, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  const code = typeflagCode(block);
  return {
    name,
    typeflag: String.fromCharCode(code),
    size,
    linkname: cstring(block, 157, 100),
    magic,
    sparseExtended: sparseExtended(block, magic, code),
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
