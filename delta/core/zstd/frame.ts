// The Zstandard frame format (RFC 8878 §3.1): frame and block headers. The reader decodes one
// block at a time (at most 128 KiB out), and it refuses windows and dictionaries before the
// decoder allocates for them.
import { DeltaError } from '../errors.js';

export const ZSTD_MAGIC = 0xfd2fb528;
export const MAX_BLOCK = 128 * 1024;

export interface FrameHeader {
  readonly headerSize: number;
  readonly windowSize: number;
  readonly contentSize: number | undefined;
  readonly checksum: boolean;
}

const bad = (what: string, message: string) => new DeltaError('DELTA_DECOMPRESS', `${what}: ${message}`);

const le = (b: Uint8Array, off: number, n: number): number => {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + b[off + i];
  return v;
};

/** Parses a frame header from its first (up to) 18 bytes. */
export function parseFrameHeader(b: Uint8Array, what: string, maxWindow: number): FrameHeader {
  if (b.length < 6 || le(b, 0, 4) !== ZSTD_MAGIC) throw bad(what, 'not a zstd frame');
  const fhd = b[4];
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  if (fhd & 8) throw bad(what, 'reserved bit set in zstd frame header');
  const checksum = ((fhd >> 2) & 1) === 1;
  const dictBytes = [0, 1, 2, 4][fhd & 3];
  const fcsBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag];
  const headerSize = 5 + (single ? 0 : 1) + dictBytes + fcsBytes;
  if (b.length < headerSize) throw bad(what, 'truncated zstd frame header');
  let pos = 5;
  let windowSize = 0;
  if (!single) {
    const wd = b[pos++];
    const base = 2 ** (10 + (wd >> 3));
    windowSize = base + (base / 8) * (wd & 7);
  }
  if (dictBytes && le(b, pos, dictBytes) !== 0) throw bad(what, 'zstd dictionaries are not used by Aloft');
  pos += dictBytes;
  let contentSize: number | undefined;
  if (fcsBytes) contentSize = le(b, pos, fcsBytes) + (fcsBytes === 2 ? 256 : 0);
  if (single) windowSize = contentSize ?? 0;
  if (windowSize > maxWindow)
    throw bad(what, `zstd window of ${windowSize} bytes exceeds the ${maxWindow}-byte limit`);
  return { headerSize, windowSize, contentSize, checksum };
}

export interface BlockHeader {
  /** On the wire, header included. */
  readonly wireSize: number;
  readonly bodySize: number;
  /** 0 raw, 1 RLE, 2 compressed. */
  readonly type: number;
  /** For RLE blocks: how many times the byte repeats. */
  readonly rleSize: number;
  readonly last: boolean;
}

/** Block header (RFC 8878 §3.1.1.2). */
export function parseBlockHeader(b: Uint8Array, what: string): BlockHeader {
  const v = b[0] | (b[1] << 8) | (b[2] << 16);
  const type = (v >> 1) & 3;
  const size = v >>> 3;
  if (type === 3) throw bad(what, 'reserved zstd block type');
  if (size > MAX_BLOCK) throw bad(what, 'zstd block larger than 128 KiB');
  const bodySize = type === 1 ? 1 : size;
  return { wireSize: 3 + bodySize, bodySize, type, rleSize: type === 1 ? size : 0, last: (v & 1) === 1 };
}
