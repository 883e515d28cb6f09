// FSE (finite state entropy) tables for the zstd decoder (RFC 8878 §4.1): reading a normalised
// distribution from a block and spreading it into a decoding table. Tables are preallocated at
// their largest size and rebuilt in place, so decoding a block allocates nothing.
import { DeltaError } from '../errors.js';

const corrupt = (message: string) => new DeltaError('DELTA_DECOMPRESS', `zstd: ${message}`);

/** Index of the highest set bit (v > 0). */
export const highBit = (v: number): number => 31 - Math.clz32(v);

/** One decoding table: for each state, the symbol, how many bits to read and the next base. */
export class FseTable {
  readonly symbol: Uint8Array;
  readonly nbBits: Uint8Array;
  readonly baseline: Uint16Array;
  accuracyLog = 0;
  // Scratch for building: the normalised counts and each symbol's next state.
  private readonly next: Uint16Array;

  constructor(
    readonly maxLog: number,
    readonly maxSymbol: number,
  ) {
    const size = 1 << maxLog;
    this.symbol = new Uint8Array(size);
    this.nbBits = new Uint8Array(size);
    this.baseline = new Uint16Array(size);
    this.next = new Uint16Array(maxSymbol + 1);
  }

  /** A one-state table that always yields `symbol` and reads no bits (RLE mode). */
  setRle(symbol: number): void {
    if (symbol > this.maxSymbol) throw corrupt(`RLE symbol ${symbol} out of range`);
    this.accuracyLog = 0;
    this.symbol[0] = symbol;
    this.nbBits[0] = 0;
    this.baseline[0] = 0;
  }

  /** Spreads normalised counts (RFC 8878 §4.1.1); -1 is a "less than one" probability. */
  build(norm: Int16Array, symbols: number, log: number): void {
    const size = 1 << log;
    let high = size - 1;
    const next = this.next;
    for (let s = 0; s < symbols; s++) {
      if (norm[s] === -1) {
        this.symbol[high--] = s;
        next[s] = 1;
      } else next[s] = norm[s];
    }
    const step = (size >> 1) + (size >> 3) + 3;
    const mask = size - 1;
    let pos = 0;
    for (let s = 0; s < symbols; s++) {
      for (let i = 0; i < norm[s]; i++) {
        this.symbol[pos] = s;
        do pos = (pos + step) & mask;
        while (pos > high);
      }
    }
    if (pos !== 0) throw corrupt('FSE distribution does not fill its table');
    for (let u = 0; u < size; u++) {
      const s = this.symbol[u];
      const state = next[s]++;
      const bits = log - highBit(state);
      this.nbBits[u] = bits;
      this.baseline[u] = (state << bits) - size;
    }
    this.accuracyLog = log;
  }
}

/**
 * Reads a normalised distribution (RFC 8878 §4.1.1) from `src` at `pos` into `norm`, builds
 * `table`, and returns the position after it. `end` bounds the read.
 */
export function readFseTable(
  src: Uint8Array,
  pos: number,
  end: number,
  table: FseTable,
  norm: Int16Array,
): number {
  const start = pos;
  let bitPos = 0;
  // Forward little-endian bit reads; bytes past `end` read as zero (then the size check fails).
  const peek = (n: number): number => {
    const byte = start + (bitPos >> 3);
    let v = 0;
    for (let i = 3; i >= 0; i--) v = v * 256 + (byte + i < end ? src[byte + i] : 0);
    return Math.floor(v / 2 ** (bitPos & 7)) & ((1 << n) - 1);
  };
  if (pos >= end) throw corrupt('FSE table header is cut short');
  const log = peek(4) + 5;
  bitPos += 4;
  if (log > table.maxLog) throw corrupt(`FSE accuracy log ${log} exceeds ${table.maxLog}`);
  let remaining = (1 << log) + 1;
  let threshold = 1 << log;
  let nbBits = log + 1;
  let s = 0;
  while (remaining > 1) {
    if (s > table.maxSymbol) throw corrupt('FSE distribution has too many symbols');
    const max = 2 * threshold - 1 - remaining;
    let count: number;
    const low = peek(nbBits - 1);
    if (low < max) {
      count = low;
      bitPos += nbBits - 1;
    } else {
      count = peek(nbBits);
      if (count >= threshold) count -= max;
      bitPos += nbBits;
    }
    count--;
    remaining -= count < 0 ? -count : count;
    // Cannot happen for any bit pattern (count ≤ remaining - 1 by construction); kept so a
    // mistake here ends in an error rather than an endless threshold loop.
    if (remaining < 1) throw corrupt('FSE distribution overflows its table');
    norm[s++] = count;
    if (count === 0) {
      // Runs of zero-probability symbols: 2-bit repeat counts, 3 meaning "and more".
      for (;;) {
        const r = peek(2);
        bitPos += 2;
        for (let i = 0; i < r; i++) {
          if (s > table.maxSymbol) throw corrupt('FSE zero run past the last symbol');
          norm[s++] = 0;
        }
        if (r !== 3) break;
      }
    }
    while (remaining < threshold) {
      nbBits--;
      threshold >>= 1;
    }
    if (start + (bitPos >> 3) > end) throw corrupt('FSE table header is cut short');
  }
  if (remaining !== 1) throw corrupt('FSE distribution does not sum to its table size');
  const after = start + ((bitPos + 7) >> 3);
  if (after > end) throw corrupt('FSE table header is cut short');
  table.build(norm, s, log);
  return after;
}

/**
 * A backward bit stream (RFC 8878 §4.1: read from the end, after the highest set bit of the last
 * byte). Reads below the start yield zeros and leave `bitPos` negative, which callers check.
 */
export class BackwardBits {
  src: Uint8Array = new Uint8Array(0);
  private base = 0;
  bitPos = 0;

  init(src: Uint8Array, start: number, end: number): void {
    if (end <= start) throw corrupt('empty bit stream');
    const last = src[end - 1];
    if (last === 0) throw corrupt('bit stream does not end with a marker bit');
    this.src = src;
    this.base = start;
    this.bitPos = (end - 1 - start) * 8 + highBit(last);
  }

  /** The n (≤ 25) bits just below the cursor, without moving it. */
  peek(n: number): number {
    let p = this.bitPos - n;
    if (p < 0) {
      if (p + n <= 0) return 0;
      const shift = -p;
      p = 0;
      return this.extract(0, n - shift) << shift;
    }
    return this.extract(p, n);
  }

  /** Reads n (≤ 31) bits. */
  read(n: number): number {
    if (n === 0) return 0;
    if (n > 25) {
      const high = this.read(n - 16);
      return high * 65536 + this.read(16);
    }
    const v = this.peek(n);
    this.bitPos -= n;
    return v;
  }

  private extract(p: number, n: number): number {
    const src = this.src;
    const i = this.base + (p >> 3);
    const v = src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24);
    return (v >>> (p & 7)) & ((1 << n) - 1);
  }
}
