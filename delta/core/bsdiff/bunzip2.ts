import { BsdiffError, corrupt } from './errors.js';

/*
 * A small bzip2 decoder (the format of bzip2 1.0.x: stream header "BZh1".."BZh9", blocks of
 * Huffman-coded MTF/RLE2 symbols over a Burrows-Wheeler transform, RLE1 on top, CRC32 per
 * block and per stream). Pure and bounded: every count read from the input is checked before
 * it sizes an allocation or a loop, output stops at `maxOutput`, and both CRCs are verified,
 * so damaged data is an error and never a wrong result. Randomised blocks (written only by
 * bzip2 before 0.9.5) are refused.
 */

const BLOCK_MAGIC_HI = 0x314159;
const BLOCK_MAGIC_LO = 0x265359;
const EOS_MAGIC_HI = 0x177245;
const EOS_MAGIC_LO = 0x385090;
const MAX_GROUPS = 6;
const MAX_ALPHA = 258;
const MAX_CODE_LEN = 20;
const GROUP_SIZE = 50;
const MAX_SELECTORS = 18002; // bzip2 1.0.8 reads more but uses at most this many

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

class BitReader {
  pos = 0;
  private buf = 0;
  private count = 0;
  constructor(private readonly data: Uint8Array) {}

  /** Reads n <= 24 bits, most significant first. */
  bits(n: number): number {
    while (this.count < n) {
      if (this.pos >= this.data.length) throw corrupt('the bzip2 data is truncated');
      this.buf = (this.buf << 8) | this.data[this.pos++];
      this.count += 8;
    }
    this.count -= n;
    return (this.buf >>> this.count) & ((1 << n) - 1);
  }

  bit(): number {
    return this.bits(1);
  }

  /** Drops the padding bits after a stream so the next stream starts on a byte. */
  alignToByte(): void {
    this.count -= this.count & 7;
  }

  /** Whole bytes not yet consumed (bits already buffered count as consumed). */
  bytesLeft(): number {
    return this.data.length - this.pos + (this.count >> 3);
  }
}

/** Canonical Huffman decoding tables in bzip2's limit/base/perm form. */
interface Table {
  limit: Int32Array;
  base: Int32Array;
  perm: Int32Array;
  minLen: number;
  maxLen: number;
}

function makeTable(lengths: Uint8Array, alphaSize: number): Table {
  let minLen = 32;
  let maxLen = 0;
  for (let i = 0; i < alphaSize; i++) {
    if (lengths[i] > maxLen) maxLen = lengths[i];
    if (lengths[i] < minLen) minLen = lengths[i];
  }
  const perm = new Int32Array(MAX_ALPHA);
  const base = new Int32Array(MAX_CODE_LEN + 2);
  const limit = new Int32Array(MAX_CODE_LEN + 2);
  let pp = 0;
  for (let len = minLen; len <= maxLen; len++)
    for (let s = 0; s < alphaSize; s++) if (lengths[s] === len) perm[pp++] = s;
  for (let s = 0; s < alphaSize; s++) base[lengths[s] + 1]++;
  for (let i = 1; i < base.length; i++) base[i] += base[i - 1];
  let vec = 0;
  for (let len = minLen; len <= maxLen; len++) {
    vec += base[len + 1] - base[len];
    limit[len] = vec - 1;
    vec <<= 1;
  }
  for (let len = minLen + 1; len <= maxLen; len++) base[len] = ((limit[len - 1] + 1) << 1) - base[len];
  return { limit, base, perm, minLen, maxLen };
}

/** Output that grows by doubling up to a hard limit. */
class Output {
  bytes: Uint8Array;
  length = 0;
  constructor(
    initial: number,
    private readonly max: number,
  ) {
    this.bytes = new Uint8Array(Math.min(Math.max(initial, 0), max));
  }
  /** Makes room for n more bytes; with `soft`, only up to the limit (a capacity hint). */
  reserve(n: number, soft = false): void {
    let need = this.length + n;
    if (need > this.max) {
      if (!soft)
        throw new BsdiffError('DELTA_LIMIT', `bzip2 data expands past the limit of ${this.max} bytes`);
      need = this.max;
    }
    if (need <= this.bytes.length) return;
    const next = new Uint8Array(Math.min(this.max, Math.max(need, this.bytes.length * 2, 1 << 16)));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }
}

export interface Bunzip2Limits {
  /** Hard cap on the decompressed size (DELTA_LIMIT beyond it): the decompression-bomb guard. */
  maxOutput: number;
  /** Expected size, to allocate the output once; a hint, not a check. */
  expectedSize?: number;
}

/** Decompresses one bzip2 stream, or several concatenated ones (as pbzip2 writes), to bytes. */
export function bunzip2(input: Uint8Array, limits: Bunzip2Limits): Uint8Array {
  if (!(input instanceof Uint8Array))
    throw new BsdiffError('DELTA_BAD_ARGUMENT', 'bunzip2 takes a Uint8Array');
  const out = new Output(limits.expectedSize ?? 0, limits.maxOutput);
  const r = new BitReader(input);
  // The BWT array grows with the block (small streams stay small); RLE1 caps a block's
  // pre-RLE size at 5/4 of its output, so maxOutput bounds it too.
  const work = { tt: new Uint32Array(0) };
  do {
    if (r.bits(8) !== 0x42 || r.bits(8) !== 0x5a || r.bits(8) !== 0x68)
      throw corrupt('bzip2 data does not start with "BZh"');
    const level = r.bits(8) - 0x30;
    if (level < 1 || level > 9) throw corrupt('the bzip2 header names no block size 1-9');
    const maxBlock = Math.min(level * 100000, Math.ceil(limits.maxOutput * 1.25) + 5);
    let streamCrc = 0;
    for (;;) {
      const hi = r.bits(24);
      const lo = r.bits(24);
      if (hi === EOS_MAGIC_HI && lo === EOS_MAGIC_LO) {
        const want = ((r.bits(16) << 16) | r.bits(16)) >>> 0;
        if (want !== streamCrc) throw corrupt('the bzip2 stream CRC does not match');
        r.alignToByte();
        break;
      }
      if (hi !== BLOCK_MAGIC_HI || lo !== BLOCK_MAGIC_LO) throw corrupt('a bzip2 block header is damaged');
      const blockCrc = ((r.bits(16) << 16) | r.bits(16)) >>> 0;
      const got = decodeBlock(r, work, maxBlock, out);
      if (got !== blockCrc) throw corrupt('a bzip2 block CRC does not match');
      streamCrc = (((streamCrc << 1) | (streamCrc >>> 31)) ^ blockCrc) >>> 0;
    }
  } while (r.bytesLeft() > 0);
  return out.bytes.length === out.length ? out.bytes : out.bytes.slice(0, out.length);
}

/** Decodes one block into `out`; returns the CRC of what it wrote. */
function decodeBlock(r: BitReader, work: { tt: Uint32Array }, maxBlock: number, out: Output): number {
  if (r.bit())
    throw new BsdiffError('DELTA_UNSUPPORTED', 'randomised bzip2 blocks (bzip2 < 0.9.5) are not supported');
  const origPtr = r.bits(24);

  // Symbol map: which byte values occur, in 16 groups of 16.
  const seqToUnseq = new Uint8Array(256);
  let nInUse = 0;
  const used16 = r.bits(16);
  for (let i = 0; i < 16; i++) {
    if (used16 & (0x8000 >> i)) {
      const used = r.bits(16);
      for (let j = 0; j < 16; j++) if (used & (0x8000 >> j)) seqToUnseq[nInUse++] = i * 16 + j;
    }
  }
  if (nInUse === 0) throw corrupt('a bzip2 block uses no symbols');
  const alphaSize = nInUse + 2;

  const nGroups = r.bits(3);
  if (nGroups < 2 || nGroups > MAX_GROUPS) throw corrupt('a bzip2 block has a bad Huffman group count');
  const nSelectors = r.bits(15);
  if (nSelectors < 1) throw corrupt('a bzip2 block has no selectors');
  const selectors = new Uint8Array(Math.min(nSelectors, MAX_SELECTORS));
  const mtfGroups = [0, 1, 2, 3, 4, 5];
  for (let i = 0; i < nSelectors; i++) {
    let j = 0;
    while (r.bit()) if (++j >= nGroups) throw corrupt('a bzip2 selector is out of range');
    const g = mtfGroups[j];
    for (; j > 0; j--) mtfGroups[j] = mtfGroups[j - 1];
    mtfGroups[0] = g;
    if (i < selectors.length) selectors[i] = g;
  }

  const tables: Table[] = [];
  const lengths = new Uint8Array(MAX_ALPHA);
  for (let t = 0; t < nGroups; t++) {
    let len = r.bits(5);
    for (let s = 0; s < alphaSize; s++) {
      for (;;) {
        if (len < 1 || len > MAX_CODE_LEN) throw corrupt('a bzip2 code length is out of range');
        if (!r.bit()) break;
        len += r.bit() ? -1 : 1;
      }
      lengths[s] = len;
    }
    tables.push(makeTable(lengths, alphaSize));
  }

  // Huffman -> RUNA/RUNB runs and MTF indices -> bytes into tt (low 8 bits), with counts.
  const counts = new Int32Array(256);
  const mtf = new Uint8Array(256);
  for (let i = 0; i < 256; i++) mtf[i] = i;
  const eob = nInUse + 1;
  let groupNo = -1;
  let groupLeft = 0;
  let table = tables[0];
  const nextSymbol = (): number => {
    if (groupLeft === 0) {
      if (++groupNo >= selectors.length) throw corrupt('a bzip2 block runs out of selectors');
      table = tables[selectors[groupNo]];
      groupLeft = GROUP_SIZE;
    }
    groupLeft--;
    let n = table.minLen;
    let v = r.bits(n);
    while (v > table.limit[n]) {
      if (++n > table.maxLen) throw corrupt('a bzip2 Huffman code is invalid');
      v = (v << 1) | r.bit();
    }
    const k = v - table.base[n];
    if (k < 0 || k >= alphaSize) throw corrupt('a bzip2 Huffman code is invalid');
    return table.perm[k];
  };

  let tt = work.tt;
  const room = (n: number): void => {
    if (n <= tt.length) return;
    const next = new Uint32Array(Math.min(maxBlock, Math.max(n, tt.length * 2, 1 << 15)));
    next.set(tt);
    tt = next;
    work.tt = next;
  };
  let nblock = 0;
  let sym = nextSymbol();
  while (sym !== eob) {
    if (sym <= 1) {
      // RUNA (0) / RUNB (1): a bijective base-2 run length of the front symbol.
      let run = 0;
      let weight = 1;
      do {
        if (weight > maxBlock) throw corrupt('a bzip2 run is too long');
        run += (sym + 1) * weight;
        weight <<= 1;
        sym = nextSymbol();
      } while (sym <= 1);
      if (run > maxBlock - nblock) throw corrupt('a bzip2 block is longer than its declared size');
      const b = seqToUnseq[mtf[0]];
      counts[b] += run;
      room(nblock + run);
      tt.fill(b, nblock, nblock + run);
      nblock += run;
    } else {
      if (nblock >= maxBlock) throw corrupt('a bzip2 block is longer than its declared size');
      const idx = sym - 1;
      if (idx >= nInUse) throw corrupt('a bzip2 MTF index is out of range');
      const m = mtf[idx];
      mtf.copyWithin(1, 0, idx);
      mtf[0] = m;
      const b = seqToUnseq[m];
      counts[b]++;
      if (nblock === tt.length) room(nblock + 1);
      tt[nblock++] = b;
      sym = nextSymbol();
    }
  }
  if (origPtr >= nblock) throw corrupt('a bzip2 block has a bad BWT origin');

  // Inverse Burrows-Wheeler: link each position to its successor in the high 24 bits.
  const cftab = new Int32Array(256);
  for (let i = 0, sum = 0; i < 256; i++) {
    cftab[i] = sum;
    sum += counts[i];
  }
  for (let i = 0; i < nblock; i++) {
    const b = tt[i] & 0xff;
    tt[cftab[b]++] |= i << 8;
  }

  // Walk the chain, undoing RLE1 (four equal bytes are followed by a repeat count 0-255).
  let crc = 0xffffffff;
  let pos = tt[origPtr] >>> 8;
  let last = -1;
  let run = 0;
  out.reserve(nblock, true);
  let bytes = out.bytes;
  let o = out.length;
  for (let k = 0; k < nblock; k++) {
    const e = tt[pos];
    const b = e & 0xff;
    pos = e >>> 8;
    if (run === 4) {
      if (b > 0) {
        out.length = o;
        out.reserve(b);
        out.reserve(b + (nblock - k), true);
        bytes = out.bytes;
        for (let i = 0; i < b; i++) {
          bytes[o++] = last;
          crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ last) & 0xff];
        }
      }
      run = 0;
      last = -1;
      continue;
    }
    if (b === last) run++;
    else {
      run = 1;
      last = b;
    }
    if (o === bytes.length) {
      out.length = o;
      out.reserve(1);
      bytes = out.bytes;
    }
    bytes[o++] = b;
    crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff];
  }
  out.length = o;
  return ~crc >>> 0;
}
