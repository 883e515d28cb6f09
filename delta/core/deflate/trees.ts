// The block side of a classic (gzip 1.x style) deflate encoder: the symbol buffers, the
// block-end heuristic and the Huffman trees, written from RFC 1951 and the well-known zlib
// design (frequency heap with depth tie-break, length-limited by the "ar" reshuffle). Every
// choice here changes output bytes, so each follows the classic encoder exactly: tree building
// order, the 4096-symbol flush estimate, the 0x8000 symbol buffer, and stored > static > dynamic
// preference on ties.
import type { BitWriter } from './bits.js';

const MAX_BITS = 15;
const MAX_BL_BITS = 7;
const LENGTH_CODES = 29;
const LITERALS = 256;
const END_BLOCK = 256;
const L_CODES = LITERALS + 1 + LENGTH_CODES;
const D_CODES = 30;
const BL_CODES = 19;
const HEAP_SIZE = 2 * L_CODES + 1;
const REP_3_6 = 16;
const REPZ_3_10 = 17;
const REPZ_11_138 = 18;
/** Symbol buffer size: a block ends when LIT_BUFSIZE-1 symbols or DIST_BUFSIZE matches are queued. */
const LIT_BUFSIZE = 0x8000;
const DIST_BUFSIZE = LIT_BUFSIZE;

const EXTRA_LBITS = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const EXTRA_DBITS = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];
const EXTRA_BLBITS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7];
const BL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

const LENGTH_CODE = new Uint8Array(256);
const BASE_LENGTH = new Int32Array(LENGTH_CODES);
const DIST_CODE = new Uint8Array(512);
const BASE_DIST = new Int32Array(D_CODES);
{
  let length = 0;
  let code = 0;
  for (; code < LENGTH_CODES - 1; code++) {
    BASE_LENGTH[code] = length;
    for (let n = 0; n < 1 << EXTRA_LBITS[code]; n++) LENGTH_CODE[length++] = code;
  }
  // Length 258 has two codes (284 + 31, or 285); the shorter 285 is used.
  LENGTH_CODE[length - 1] = code;
  let dist = 0;
  for (code = 0; code < 16; code++) {
    BASE_DIST[code] = dist;
    for (let n = 0; n < 1 << EXTRA_DBITS[code]; n++) DIST_CODE[dist++] = code;
  }
  dist >>= 7;
  for (; code < D_CODES; code++) {
    BASE_DIST[code] = dist << 7;
    for (let n = 0; n < 1 << (EXTRA_DBITS[code] - 7); n++) DIST_CODE[256 + dist++] = code;
  }
}
const dCode = (dist: number) => (dist < 256 ? DIST_CODE[dist] : DIST_CODE[256 + (dist >> 7)]);

const reverse = (code: number, len: number): number => {
  let r = 0;
  for (let i = 0; i < len; i++) {
    r = (r << 1) | (code & 1);
    code >>= 1;
  }
  return r;
};

/**
 * A tree as the classic encoder keeps it: `fc` is frequency, later the code (a C union), `dl`
 * is the parent, later the bit length. The unions are kept on purpose: the scan guard and the
 * forced codes write through them exactly as the reference does.
 */
interface Tree {
  readonly fc: Uint16Array;
  readonly dl: Uint16Array;
  readonly elems: number;
  readonly maxLength: number;
  readonly extra: readonly number[];
  readonly extraBase: number;
  /** Static tree bit lengths (for static_len), or undefined for the bit-length tree. */
  readonly staticLen?: Uint16Array;
  maxCode: number;
}

const newTree = (
  size: number,
  elems: number,
  maxLength: number,
  extra: readonly number[],
  extraBase: number,
  staticLen?: Uint16Array,
): Tree => ({
  fc: new Uint16Array(size),
  dl: new Uint16Array(size),
  elems,
  maxLength,
  extra,
  extraBase,
  staticLen,
  maxCode: 0,
});

function genCodes(fc: Uint16Array, dl: Uint16Array, maxCode: number, blCount: Uint16Array): void {
  const next = new Uint16Array(MAX_BITS + 1);
  let code = 0;
  for (let bits = 1; bits <= MAX_BITS; bits++) {
    code = ((code + blCount[bits - 1]) << 1) & 0xffff;
    next[bits] = code;
  }
  for (let n = 0; n <= maxCode; n++) {
    const len = dl[n];
    if (len === 0) continue;
    fc[n] = reverse(next[len]++, len);
  }
}

const STATIC_L_CODE = new Uint16Array(L_CODES + 2);
const STATIC_L_LEN = new Uint16Array(L_CODES + 2);
const STATIC_D_CODE = new Uint16Array(D_CODES);
const STATIC_D_LEN = new Uint16Array(D_CODES).fill(5);
{
  const count = new Uint16Array(MAX_BITS + 1);
  for (let n = 0; n < L_CODES + 2; n++) {
    const len = n < 144 ? 8 : n < 256 ? 9 : n < 280 ? 7 : 8;
    STATIC_L_LEN[n] = len;
    count[len]++;
  }
  genCodes(STATIC_L_CODE, STATIC_L_LEN, L_CODES + 1, count);
  for (let n = 0; n < D_CODES; n++) STATIC_D_CODE[n] = reverse(n, 5);
}

export class BlockEncoder {
  private readonly ltree = newTree(HEAP_SIZE, L_CODES, MAX_BITS, EXTRA_LBITS, LITERALS + 1, STATIC_L_LEN);
  private readonly dtree = newTree(2 * D_CODES + 1, D_CODES, MAX_BITS, EXTRA_DBITS, 0, STATIC_D_LEN);
  private readonly bltree = newTree(2 * BL_CODES + 1, BL_CODES, MAX_BL_BITS, EXTRA_BLBITS, 0);
  private readonly heap = new Int32Array(HEAP_SIZE);
  private readonly depth = new Uint8Array(HEAP_SIZE);
  private readonly blCount = new Uint16Array(MAX_BITS + 1);
  private heapLen = 0;
  private heapMax = 0;
  private optLen = 0;
  private staticLen = 0;

  private readonly lBuf = new Uint8Array(LIT_BUFSIZE);
  private readonly dBuf = new Uint16Array(DIST_BUFSIZE);
  private readonly flagBuf = new Uint8Array(LIT_BUFSIZE / 8);
  private lastLit = 0;
  private lastDist = 0;
  private lastFlags = 0;
  private flags = 0;
  private flagBit = 1;

  constructor(
    private readonly out: BitWriter,
    /** The 4096-symbol block-end estimate runs above level 2 only. */
    private readonly estimate: boolean,
  ) {
    this.initBlock();
  }

  private initBlock(): void {
    this.ltree.fc.fill(0, 0, L_CODES);
    this.dtree.fc.fill(0, 0, D_CODES);
    this.bltree.fc.fill(0, 0, BL_CODES);
    this.ltree.fc[END_BLOCK] = 1;
    this.optLen = 0;
    this.staticLen = 0;
    this.lastLit = 0;
    this.lastDist = 0;
    this.lastFlags = 0;
    this.flags = 0;
    this.flagBit = 1;
  }

  /**
   * Queues a literal (dist 0, lc = byte) or a match (dist ≥ 1, lc = length - 3). Returns true
   * when the block should end here. `inLength` is the input bytes since the block start.
   */
  tally(dist: number, lc: number, inLength: number): boolean {
    this.lBuf[this.lastLit++] = lc;
    if (dist === 0) this.ltree.fc[lc]++;
    else {
      dist--;
      this.ltree.fc[LENGTH_CODE[lc] + LITERALS + 1]++;
      this.dtree.fc[dCode(dist)]++;
      this.dBuf[this.lastDist++] = dist;
      this.flags |= this.flagBit;
    }
    this.flagBit <<= 1;
    if ((this.lastLit & 7) === 0) {
      this.flagBuf[this.lastFlags++] = this.flags;
      this.flags = 0;
      this.flagBit = 1;
    }
    if (this.estimate && (this.lastLit & 0xfff) === 0) {
      let outLength = this.lastLit * 8;
      for (let d = 0; d < D_CODES; d++) outLength += this.dtree.fc[d] * (5 + EXTRA_DBITS[d]);
      outLength = Math.floor(outLength / 8);
      if (this.lastDist < this.lastLit >>> 1 && outLength < inLength >>> 1) return true;
    }
    return this.lastLit === LIT_BUFSIZE - 1 || this.lastDist === DIST_BUFSIZE;
  }

  private smaller(fc: Uint16Array, n: number, m: number): boolean {
    return fc[n] < fc[m] || (fc[n] === fc[m] && this.depth[n] <= this.depth[m]);
  }

  private downHeap(fc: Uint16Array, k: number): void {
    const heap = this.heap;
    const v = heap[k];
    let j = k << 1;
    while (j <= this.heapLen) {
      if (j < this.heapLen && this.smaller(fc, heap[j + 1], heap[j])) j++;
      if (this.smaller(fc, v, heap[j])) break;
      heap[k] = heap[j];
      k = j;
      j <<= 1;
    }
    heap[k] = v;
  }

  private buildTree(t: Tree): void {
    const { fc, dl, elems } = t;
    const heap = this.heap;
    const depth = this.depth;
    let maxCode = -1;
    let node = elems;
    this.heapLen = 0;
    this.heapMax = HEAP_SIZE;
    for (let n = 0; n < elems; n++) {
      if (fc[n] !== 0) {
        heap[++this.heapLen] = maxCode = n;
        depth[n] = 0;
      } else dl[n] = 0;
    }
    // At least two codes, so every used symbol gets at least one bit.
    while (this.heapLen < 2) {
      const added = maxCode < 2 ? ++maxCode : 0;
      heap[++this.heapLen] = added;
      fc[added] = 1;
      depth[added] = 0;
      this.optLen--;
      if (t.staticLen) this.staticLen -= t.staticLen[added];
    }
    t.maxCode = maxCode;
    for (let n = this.heapLen >> 1; n >= 1; n--) this.downHeap(fc, n);
    do {
      const n = heap[1];
      heap[1] = heap[this.heapLen--];
      this.downHeap(fc, 1);
      const m = heap[1];
      heap[--this.heapMax] = n;
      heap[--this.heapMax] = m;
      fc[node] = fc[n] + fc[m];
      depth[node] = Math.max(depth[n], depth[m]) + 1;
      dl[n] = dl[m] = node;
      heap[1] = node++;
      this.downHeap(fc, 1);
    } while (this.heapLen >= 2);
    heap[--this.heapMax] = heap[1];
    this.genBitLengths(t);
    genCodes(fc, dl, maxCode, this.blCount);
  }

  private genBitLengths(t: Tree): void {
    const { fc, dl, maxCode, maxLength, extra, extraBase, staticLen } = t;
    const heap = this.heap;
    const blCount = this.blCount;
    blCount.fill(0);
    let overflow = 0;
    dl[heap[this.heapMax]] = 0;
    let h = this.heapMax + 1;
    for (; h < HEAP_SIZE; h++) {
      const n = heap[h];
      let bits = dl[dl[n]] + 1;
      if (bits > maxLength) {
        bits = maxLength;
        overflow++;
      }
      dl[n] = bits;
      if (n > maxCode) continue;
      blCount[bits]++;
      const xbits = n >= extraBase ? extra[n - extraBase] : 0;
      const f = fc[n];
      this.optLen += f * (bits + xbits);
      if (staticLen) this.staticLen += f * (staticLen[n] + xbits);
    }
    if (overflow === 0) return;
    do {
      let bits = maxLength - 1;
      while (blCount[bits] === 0) bits--;
      blCount[bits]--;
      blCount[bits + 1] += 2;
      blCount[maxLength]--;
      overflow -= 2;
    } while (overflow > 0);
    for (let bits = maxLength; bits !== 0; bits--) {
      let n = blCount[bits];
      while (n !== 0) {
        const m = heap[--h];
        if (m > maxCode) continue;
        if (dl[m] !== bits) {
          this.optLen += (bits - dl[m]) * fc[m];
          dl[m] = bits;
        }
        n--;
      }
    }
  }

  private scanTree(t: Tree): void {
    const dl = t.dl;
    const bl = this.bltree.fc;
    const maxCode = t.maxCode;
    let prevlen = -1;
    let nextlen = dl[0];
    let count = 0;
    let maxCount = 7;
    let minCount = 4;
    if (nextlen === 0) {
      maxCount = 138;
      minCount = 3;
    }
    dl[maxCode + 1] = 0xffff; // guard, also read by sendTree
    for (let n = 0; n <= maxCode; n++) {
      const curlen = nextlen;
      nextlen = dl[n + 1];
      if (++count < maxCount && curlen === nextlen) continue;
      if (count < minCount) bl[curlen] += count;
      else if (curlen !== 0) {
        if (curlen !== prevlen) bl[curlen]++;
        bl[REP_3_6]++;
      } else if (count <= 10) bl[REPZ_3_10]++;
      else bl[REPZ_11_138]++;
      count = 0;
      prevlen = curlen;
      if (nextlen === 0) {
        maxCount = 138;
        minCount = 3;
      } else if (curlen === nextlen) {
        maxCount = 6;
        minCount = 3;
      } else {
        maxCount = 7;
        minCount = 4;
      }
    }
  }

  private sendTree(t: Tree): void {
    const dl = t.dl;
    const out = this.out;
    const bc = this.bltree.fc;
    const bl = this.bltree.dl;
    const code = (c: number) => out.bits(bc[c], bl[c]);
    const maxCode = t.maxCode;
    let prevlen = -1;
    let nextlen = dl[0];
    let count = 0;
    let maxCount = 7;
    let minCount = 4;
    if (nextlen === 0) {
      maxCount = 138;
      minCount = 3;
    }
    for (let n = 0; n <= maxCode; n++) {
      const curlen = nextlen;
      nextlen = dl[n + 1];
      if (++count < maxCount && curlen === nextlen) continue;
      if (count < minCount) {
        do code(curlen);
        while (--count !== 0);
      } else if (curlen !== 0) {
        if (curlen !== prevlen) {
          code(curlen);
          count--;
        }
        code(REP_3_6);
        out.bits(count - 3, 2);
      } else if (count <= 10) {
        code(REPZ_3_10);
        out.bits(count - 3, 3);
      } else {
        code(REPZ_11_138);
        out.bits(count - 11, 7);
      }
      count = 0;
      prevlen = curlen;
      if (nextlen === 0) {
        maxCount = 138;
        minCount = 3;
      } else if (curlen === nextlen) {
        maxCount = 6;
        minCount = 3;
      } else {
        maxCount = 7;
        minCount = 4;
      }
    }
  }

  private compressBlock(lc: Uint16Array, ll: Uint16Array, dc: Uint16Array, dlen: Uint16Array): void {
    const out = this.out;
    let dx = 0;
    let fx = 0;
    let flag = 0;
    for (let lx = 0; lx < this.lastLit; lx++) {
      if ((lx & 7) === 0) flag = this.flagBuf[fx++];
      let v = this.lBuf[lx];
      if ((flag & 1) === 0) out.bits(lc[v], ll[v]);
      else {
        let code = LENGTH_CODE[v];
        out.bits(lc[code + LITERALS + 1], ll[code + LITERALS + 1]);
        let extra = EXTRA_LBITS[code];
        if (extra !== 0) out.bits(v - BASE_LENGTH[code], extra);
        v = this.dBuf[dx++];
        code = dCode(v);
        out.bits(dc[code], dlen[code]);
        extra = EXTRA_DBITS[code];
        if (extra !== 0) out.bits(v - BASE_DIST[code], extra);
      }
      flag >>= 1;
    }
    out.bits(lc[END_BLOCK], ll[END_BLOCK]);
  }

  /**
   * Ends the block: `stored` is the block's input when it is still in the window (else
   * undefined, and a stored block is not an option).
   */
  flushBlock(stored: Uint8Array | undefined, storedLen: number, eof: boolean): void {
    this.flagBuf[this.lastFlags] = this.flags;
    this.buildTree(this.ltree);
    this.buildTree(this.dtree);
    this.scanTree(this.ltree);
    this.scanTree(this.dtree);
    this.buildTree(this.bltree);
    let maxBlIndex = BL_CODES - 1;
    for (; maxBlIndex >= 3; maxBlIndex--) if (this.bltree.dl[BL_ORDER[maxBlIndex]] !== 0) break;
    this.optLen += 3 * (maxBlIndex + 1) + 5 + 5 + 4;

    let optLenB = (this.optLen + 3 + 7) >>> 3;
    const staticLenB = (this.staticLen + 3 + 7) >>> 3;
    if (staticLenB <= optLenB) optLenB = staticLenB;
    const out = this.out;
    const last = eof ? 1 : 0;
    if (stored && storedLen + 4 <= optLenB) {
      out.bits(last, 3);
      out.align();
      out.bits(storedLen & 0xffff, 16);
      out.bits(~storedLen & 0xffff, 16);
      out.bytes(stored.subarray(0, storedLen));
    } else if (staticLenB === optLenB) {
      out.bits(2 + last, 3);
      this.compressBlock(STATIC_L_CODE, STATIC_L_LEN, STATIC_D_CODE, STATIC_D_LEN);
    } else {
      out.bits(4 + last, 3);
      const lcodes = this.ltree.maxCode + 1;
      const dcodes = this.dtree.maxCode + 1;
      out.bits(lcodes - 257, 5);
      out.bits(dcodes - 1, 5);
      out.bits(maxBlIndex + 1 - 4, 4);
      for (let r = 0; r <= maxBlIndex; r++) out.bits(this.bltree.dl[BL_ORDER[r]], 3);
      this.sendTree(this.ltree);
      this.sendTree(this.dtree);
      this.compressBlock(this.ltree.fc, this.ltree.dl, this.dtree.fc, this.dtree.dl);
    }
    this.initBlock();
    if (eof) out.align();
  }
}
