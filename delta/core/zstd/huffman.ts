// Huffman-coded literals for the zstd decoder (RFC 8878 §4.2): the tree description (weights,
// direct or FSE-compressed) and the 1- or 4-stream decoding into a caller's buffer. The table
// lives in preallocated arrays and is kept for "treeless" blocks that reuse it.
import { DeltaError } from '../errors.js';
import { BackwardBits, FseTable, highBit, readFseTable } from './fse.js';

const corrupt = (message: string) => new DeltaError('DELTA_DECOMPRESS', `zstd: ${message}`);
const MAX_BITS = 11;

export class HuffmanTable {
  readonly symbol = new Uint8Array(1 << MAX_BITS);
  readonly nbBits = new Uint8Array(1 << MAX_BITS);
  maxBits = 0;
  private readonly weights = new Uint8Array(260);
  private readonly rankStart = new Uint32Array(MAX_BITS + 2);
  private readonly fse = new FseTable(6, 255);
  private readonly norm = new Int16Array(256);
  private readonly bits = new BackwardBits();

  /** Reads a tree description at `pos`; returns the position after it. */
  read(src: Uint8Array, pos: number, end: number): number {
    if (pos >= end) throw corrupt('Huffman tree description is cut short');
    const header = src[pos++];
    const w = this.weights;
    let count: number;
    if (header < 128) {
      const stop = pos + header;
      if (header === 0 || stop > end) throw corrupt('Huffman weights are cut short');
      const at = readFseTable(src, pos, stop, this.fse, this.norm);
      count = this.decodeWeights(src, at, stop);
      pos = stop;
    } else {
      count = header - 127;
      const stop = pos + ((count + 1) >> 1);
      if (stop > end) throw corrupt('Huffman weights are cut short');
      for (let i = 0; i < count; i++) {
        const b = src[pos + (i >> 1)];
        w[i] = i & 1 ? b & 15 : b >> 4;
      }
      pos = stop;
    }
    this.build(count);
    return pos;
  }

  /** Two interleaved FSE states share one table until the stream runs out (RFC 8878 §4.2.1.2). */
  private decodeWeights(src: Uint8Array, start: number, end: number): number {
    const t = this.fse;
    const b = this.bits;
    b.init(src, start, end);
    let s1 = b.read(t.accuracyLog);
    let s2 = b.read(t.accuracyLog);
    if (b.bitPos < 0) throw corrupt('Huffman weight stream is cut short');
    const w = this.weights;
    let n = 0;
    while (n < 256) {
      w[n++] = t.symbol[s1];
      s1 = t.baseline[s1] + b.read(t.nbBits[s1]);
      if (b.bitPos < 0) {
        w[n++] = t.symbol[s2];
        break;
      }
      w[n++] = t.symbol[s2];
      s2 = t.baseline[s2] + b.read(t.nbBits[s2]);
      if (b.bitPos < 0) {
        w[n++] = t.symbol[s1];
        break;
      }
    }
    return n;
  }

  /** From `count` explicit weights (the last symbol's weight is implied) to a decoding table. */
  private build(count: number): void {
    const w = this.weights;
    let total = 0;
    for (let i = 0; i < count; i++) {
      if (w[i] > MAX_BITS) throw corrupt('Huffman weight too large');
      if (w[i]) total += 1 << (w[i] - 1);
    }
    if (total === 0) throw corrupt('Huffman weights are all zero');
    const maxBits = highBit(total) + 1;
    if (maxBits > MAX_BITS) throw corrupt('Huffman code longer than 11 bits');
    const rest = (1 << maxBits) - total;
    if (rest & (rest - 1)) throw corrupt('Huffman weights do not form a complete tree');
    if (count > 255) throw corrupt('too many Huffman weights');
    w[count] = highBit(rest) + 1;
    const symbols = count + 1;
    const rank = this.rankStart;
    rank.fill(0);
    for (let i = 0; i < symbols; i++) rank[w[i]]++;
    // Codes are assigned by increasing weight, then symbol: each weight's first table slot.
    let next = 0;
    for (let k = 1; k <= maxBits; k++) {
      const c = rank[k];
      rank[k] = next;
      next += c << (k - 1);
    }
    for (let i = 0; i < symbols; i++) {
      const k = w[i];
      if (!k) continue;
      const len = 1 << (k - 1);
      const at = rank[k];
      this.symbol.fill(i, at, at + len);
      this.nbBits.fill(maxBits + 1 - k, at, at + len);
      rank[k] = at + len;
    }
    this.maxBits = maxBits;
  }

  /** Decodes exactly `size` literals from one backward stream src[start, end) into out[at..]. */
  decodeStream(src: Uint8Array, start: number, end: number, out: Uint8Array, at: number, size: number): void {
    const b = this.bits;
    b.init(src, start, end);
    const max = this.maxBits;
    const sym = this.symbol;
    const nb = this.nbBits;
    for (let i = 0; i < size; i++) {
      const idx = b.peek(max);
      out[at + i] = sym[idx];
      b.bitPos -= nb[idx];
    }
    if (b.bitPos !== 0) throw corrupt('Huffman stream not consumed exactly');
  }
}
