// Raw inflate (RFC 1951), pure TypeScript, with a hard output ceiling: a patch declares the
// decompressed size of every gzip member it rebuilds, and inflating past it (a bomb, or a
// different OLD) stops with an error before more memory is taken.
import { DeltaError } from '../errors.js';

const fail = (message: string) => new DeltaError('DELTA_DECOMPRESS', `deflate data: ${message}`);

const LEN_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
  227, 258,
];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
  6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A decoding table indexed by the next `bits` input bits: entry = symbol << 4 | code length. */
interface Huffman {
  readonly table: Int32Array;
  readonly bits: number;
}

function buildHuffman(lengths: Uint8Array, n: number): Huffman {
  const count = new Uint16Array(16);
  let max = 0;
  for (let i = 0; i < n; i++) {
    count[lengths[i]]++;
    if (lengths[i] > max) max = lengths[i];
  }
  count[0] = 0;
  // Over-subscribed sets are corrupt; incomplete ones are legal (a single distance code).
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = (left << 1) - count[len];
    if (left < 0) throw fail('over-subscribed Huffman code');
  }
  const bits = Math.max(max, 1);
  const table = new Int32Array(1 << bits).fill(-1);
  const next = new Uint16Array(16);
  let code = 0;
  for (let len = 1; len <= 15; len++) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
  }
  for (let sym = 0; sym < n; sym++) {
    const len = lengths[sym];
    if (len === 0) continue;
    let c = next[len]++;
    let r = 0;
    for (let i = 0; i < len; i++) {
      r = (r << 1) | (c & 1);
      c >>= 1;
    }
    const entry = (sym << 4) | len;
    for (let i = r; i < 1 << bits; i += 1 << len) table[i] = entry;
  }
  return { table, bits };
}

const FIXED_LIT = (() => {
  const l = new Uint8Array(288);
  for (let i = 0; i < 288; i++) l[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
  return buildHuffman(l, 288);
})();
const FIXED_DIST = buildHuffman(new Uint8Array(30).fill(5), 30);

export interface InflateResult {
  readonly data: Uint8Array;
  /** Offset in the input just past the final block (the gzip trailer starts here). */
  readonly end: number;
}

/**
 * Inflates the raw deflate stream at `input[offset..]`. With `exactSize`, the output buffer is
 * that size and any other length is an error; otherwise it grows up to `maxSize`.
 */
export function inflateRaw(
  input: Uint8Array,
  offset: number,
  maxSize: number,
  exactSize?: number,
): InflateResult {
  let pos = offset;
  let bitBuf = 0;
  let bitCnt = 0;
  let out = new Uint8Array(exactSize ?? Math.min(maxSize, Math.max(1024, (input.length - offset) * 4)));
  let outLen = 0;
  const ceiling = exactSize ?? maxSize;

  const need = (n: number) => {
    while (bitCnt < n) {
      if (pos >= input.length) throw fail('cut short');
      bitBuf |= input[pos++] << bitCnt;
      bitCnt += 8;
    }
  };
  const take = (n: number): number => {
    need(n);
    const v = bitBuf & ((1 << n) - 1);
    bitBuf >>>= n;
    bitCnt -= n;
    return v;
  };
  const decode = (h: Huffman): number => {
    // Peek up to h.bits; near the end of input fewer bits may remain, which is fine if the
    // code is short enough.
    while (bitCnt < h.bits && pos < input.length) {
      bitBuf |= input[pos++] << bitCnt;
      bitCnt += 8;
    }
    const e = h.table[bitBuf & ((1 << h.bits) - 1)];
    if (e < 0) throw fail('invalid Huffman code');
    const len = e & 15;
    if (len > bitCnt) throw fail('cut short');
    bitBuf >>>= len;
    bitCnt -= len;
    return e >> 4;
  };
  const room = (n: number) => {
    if (outLen + n <= out.length) return;
    if (outLen + n > ceiling) throw fail(`decompresses to more than ${ceiling} bytes`);
    let cap = out.length * 2;
    while (cap < outLen + n) cap *= 2;
    const next = new Uint8Array(Math.min(cap, ceiling));
    next.set(out.subarray(0, outLen));
    out = next;
  };

  let final = 0;
  do {
    final = take(1);
    const type = take(2);
    if (type === 0) {
      // A stored block starts at the next byte: give back whole bytes a Huffman lookup peeked.
      pos -= bitCnt >> 3;
      bitBuf = 0;
      bitCnt = 0;
      if (pos + 4 > input.length) throw fail('cut short');
      const len = input[pos] | (input[pos + 1] << 8);
      const nlen = input[pos + 2] | (input[pos + 3] << 8);
      if ((len ^ 0xffff) !== nlen) throw fail('stored block length check failed');
      pos += 4;
      if (pos + len > input.length) throw fail('cut short');
      room(len);
      out.set(input.subarray(pos, pos + len), outLen);
      outLen += len;
      pos += len;
      continue;
    }
    let lit: Huffman;
    let dist: Huffman;
    if (type === 1) {
      lit = FIXED_LIT;
      dist = FIXED_DIST;
    } else if (type === 2) {
      const hlit = take(5) + 257;
      const hdist = take(5) + 1;
      const hclen = take(4) + 4;
      if (hlit > 286 || hdist > 30) throw fail('too many length or distance codes');
      const cl = new Uint8Array(19);
      for (let i = 0; i < hclen; i++) cl[CL_ORDER[i]] = take(3);
      const clh = buildHuffman(cl, 19);
      const lengths = new Uint8Array(hlit + hdist);
      for (let i = 0; i < hlit + hdist; ) {
        const sym = decode(clh);
        if (sym < 16) lengths[i++] = sym;
        else {
          let rep = 0;
          let val = 0;
          if (sym === 16) {
            if (i === 0) throw fail('repeat with no previous length');
            val = lengths[i - 1];
            rep = 3 + take(2);
          } else if (sym === 17) rep = 3 + take(3);
          else rep = 11 + take(7);
          if (i + rep > hlit + hdist) throw fail('code lengths overflow');
          lengths.fill(val, i, i + rep);
          i += rep;
        }
      }
      if (lengths[256] === 0) throw fail('no end-of-block code');
      lit = buildHuffman(lengths.subarray(0, hlit), hlit);
      dist = buildHuffman(lengths.subarray(hlit), hdist);
    } else throw fail('reserved block type');

    for (;;) {
      const sym = decode(lit);
      if (sym < 256) {
        if (outLen >= out.length) room(1);
        out[outLen++] = sym;
      } else if (sym === 256) break;
      else {
        const li = sym - 257;
        if (li >= 29) throw fail('bad length code');
        const len = LEN_BASE[li] + take(LEN_EXTRA[li]);
        const di = decode(dist);
        if (di >= 30) throw fail('bad distance code');
        const d = DIST_BASE[di] + take(DIST_EXTRA[di]);
        if (d > outLen) throw fail('distance before the start of the output');
        room(len);
        let from = outLen - d;
        const end = outLen + len;
        if (d >= len) {
          out.copyWithin(outLen, from, from + len);
          outLen = end;
        } else if (d === 1) {
          out.fill(out[from], outLen, end);
          outLen = end;
        } else while (outLen < end) out[outLen++] = out[from++];
      }
    }
  } while (!final);
  if (exactSize !== undefined && outLen !== exactSize)
    throw fail(`decompresses to ${outLen} bytes, not the declared ${exactSize}`);
  return { data: outLen === out.length ? out : out.subarray(0, outLen), end: pos - (bitCnt >> 3) };
}
