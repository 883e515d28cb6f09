// A Zstandard block decoder (RFC 8878 §3.1.1) that allocates only when it is made: the window,
// the literals buffer and every entropy table are sized once, and each block decodes straight
// into the window. The caller gets a view of the block's bytes, valid until the next block.
// (fzstd allocated a fresh 128 KiB array per block plus tables: at 40 MB of output that garbage
// outgrew everything else apply holds, because V8 frees array buffers only at its own pace.)
import { DeltaError } from '../errors.js';
import { BlockScratch } from './block-scratch.js';
import { MAX_BLOCK } from './frame.js';
import { BackwardBits, FseTable, readFseTable } from './fse.js';
import { HuffmanTable } from './huffman.js';

const corrupt = (message: string) => new DeltaError('DELTA_DECOMPRESS', `zstd: ${message}`);

// Literal-length and match-length codes: baselines and extra bits (RFC 8878 §3.1.1.3.2.1.1).
const LL_BASE = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512,
  1024, 2048, 4096, 8192, 16384, 32768, 65536,
];
const LL_BITS = [
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14,
  15, 16,
];
const ML_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
  32, 33, 34, 35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051, 4099, 8195, 16387, 32771,
  65539,
];
const ML_BITS = [
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1,
  2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
];
// Predefined distributions (RFC 8878 §3.1.1.3.2.2).
const LL_DEFAULT = [
  4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1,
  -1,
];
const ML_DEFAULT = [
  1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
];
const OF_DEFAULT = [
  1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
];

const predefined = (norm: number[], log: number, maxSymbol: number): FseTable => {
  const t = new FseTable(log, maxSymbol);
  t.build(Int16Array.from(norm), norm.length, log);
  return t;
};
// Built on first use (shared: never modified after building).
let defaults: { ll: FseTable; ml: FseTable; of: FseTable } | undefined;
const defaultTables = () => {
  defaults ??= {
    ll: predefined(LL_DEFAULT, 6, 35),
    ml: predefined(ML_DEFAULT, 6, 52),
    of: predefined(OF_DEFAULT, 5, 31),
  };
  return defaults;
};

/**
 * Room after the history: the window moves to the front when less than a block is left, so a
 * window of W costs W + 2 blocks and one move of W bytes per block of output (a memmove: cheap
 * next to decoding, and far cheaper than a second window of memory per stream).
 */
const SLACK = 2 * MAX_BLOCK;

export class ZstdDecoder {
  /** History (up to windowSize bytes before `pos`) followed by room for the next block. */
  private readonly buf: Uint8Array;
  private pos = 0;
  /** Bytes decoded in this frame (offsets may not reach before its start). */
  private total = 0;
  /** This block's literals: a view of the scratch's buffer, fetched per block (it may be shared). */
  private literals: Uint8Array = new Uint8Array(0);
  /** The literals buffer size this stream needs. */
  private readonly literalsSize: number;
  private readonly huffman = new HuffmanTable();
  private hasHuffman = false;
  private readonly ll = new FseTable(9, 35);
  private readonly ml = new FseTable(9, 52);
  private readonly of = new FseTable(8, 31);
  private llT: FseTable | undefined;
  private mlT: FseTable | undefined;
  private ofT: FseTable | undefined;
  private readonly norm = new Int16Array(64);
  private readonly bits = new BackwardBits();
  private readonly rep = [1, 4, 8];
  private readonly blockMax: number;

  /**
   * windowSize: from the frame header (for single-segment frames, the content size).
   * contentLimit: the most the frame may produce (the stream's declared size); no offset can
   * reach further back, so the window shrinks to it, and output past it is an error.
   * scratch: block buffers shared with other decoders that never decode at the same time.
   */
  constructor(
    private readonly windowSize: number,
    private readonly contentLimit = Number.MAX_SAFE_INTEGER,
    private readonly scratch = new BlockScratch(),
  ) {
    this.blockMax = Math.min(MAX_BLOCK, Math.max(windowSize, 1));
    // Literals never exceed a block's output, nor the whole content of a small stream.
    this.literalsSize = Math.min(this.blockMax, contentLimit) + 8;
    this.buf = new Uint8Array(
      contentLimit <= windowSize ? contentLimit : windowSize + Math.min(SLACK, 2 * this.blockMax),
    );
  }

  /** Bytes this decoder holds (for memory accounting in tests). */
  get footprint(): number {
    return this.buf.length + this.literalsSize;
  }

  /**
   * Decodes one block whose body (without its 3-byte header) is src[start, end). `type` is the
   * block type (0 raw, 1 RLE, 2 compressed); for RLE, `rleSize` is the repeat count. Returns
   * the decoded bytes as a view of the window.
   */
  decodeBlock(src: Uint8Array, start: number, end: number, type: number, rleSize: number): Uint8Array {
    const room = this.makeRoom();
    const from = this.pos;
    if (type === 0 || type === 1) {
      const n = type === 0 ? end - start : rleSize;
      if (n > room) throw this.tooLong(n);
      if (type === 0) this.buf.set(src.subarray(start, end), from);
      else this.buf.fill(src[start], from, from + n);
      this.pos += n;
    } else if (type === 2) {
      if (end - start > this.blockMax) throw corrupt('compressed block larger than the block maximum');
      this.compressed(src, start, end, from + room);
    } else throw corrupt('reserved block type');
    this.total += this.pos - from;
    return this.buf.subarray(from, this.pos);
  }

  /**
   * How much the next block may write; first moves the last windowSize bytes to the front when
   * a full block might not fit after them.
   */
  private makeRoom(): number {
    const room = Math.min(this.blockMax, this.contentLimit - this.total);
    if (this.pos + room > this.buf.length) {
      const keep = Math.min(this.windowSize, this.pos);
      this.buf.copyWithin(0, this.pos - keep, this.pos);
      this.pos = keep;
    }
    return room;
  }

  private tooLong(blockBytes: number): DeltaError {
    return blockBytes > this.blockMax
      ? corrupt('block decodes past the block maximum')
      : corrupt('decompresses to more than its declared size');
  }

  private compressed(src: Uint8Array, start: number, end: number, limit: number): void {
    let p = start;
    // Literals section header.
    const b0 = src[p];
    const litType = b0 & 3;
    const sf = (b0 >> 2) & 3;
    let regen: number;
    let comp = 0;
    let streams = 1;
    if (litType < 2) {
      if ((sf & 1) === 0) {
        regen = b0 >> 3;
        p += 1;
      } else if (sf === 1) {
        regen = (b0 >> 4) + (src[p + 1] << 4);
        p += 2;
      } else {
        regen = (b0 >> 4) + (src[p + 1] << 4) + (src[p + 2] << 12);
        p += 3;
      }
    } else {
      if (sf < 2) {
        streams = sf === 0 ? 1 : 4;
        regen = (b0 >> 4) | ((src[p + 1] & 63) << 4);
        comp = (src[p + 1] >> 6) | (src[p + 2] << 2);
        p += 3;
      } else if (sf === 2) {
        streams = 4;
        regen = (b0 >> 4) | (src[p + 1] << 4) | ((src[p + 2] & 3) << 12);
        comp = (src[p + 2] >> 2) | (src[p + 3] << 6);
        p += 4;
      } else {
        streams = 4;
        regen = (b0 >> 4) | (src[p + 1] << 4) | ((src[p + 2] & 63) << 12);
        comp = (src[p + 2] >> 6) | (src[p + 3] << 2) | (src[p + 4] << 10);
        p += 5;
      }
    }
    if (p > end) throw corrupt('literals header is cut short');
    if (regen > this.blockMax) throw corrupt('literals larger than the block maximum');
    // Every literal is output, so more than the content's size cannot be right.
    if (regen > this.literalsSize - 8) throw corrupt('decompresses to more than its declared size');
    const lit = this.scratch.literals(this.literalsSize);
    this.literals = lit;
    if (litType === 0) {
      if (p + regen > end) throw corrupt('raw literals are cut short');
      lit.set(src.subarray(p, p + regen), 0);
      p += regen;
    } else if (litType === 1) {
      if (p >= end) throw corrupt('RLE literals are cut short');
      lit.fill(src[p], 0, regen);
      p += 1;
    } else {
      const stop = p + comp;
      if (stop > end) throw corrupt('compressed literals are cut short');
      if (litType === 2) {
        p = this.huffman.read(src, p, stop);
        this.hasHuffman = true;
      } else if (!this.hasHuffman) throw corrupt('treeless literals without a previous Huffman table');
      this.huffmanLiterals(src, p, stop, regen, streams);
      p = stop;
    }
    this.sequences(src, p, end, regen, limit);
  }

  private huffmanLiterals(src: Uint8Array, p: number, end: number, regen: number, streams: number): void {
    const h = this.huffman;
    if (streams === 1) {
      h.decodeStream(src, p, end, this.literals, 0, regen);
      return;
    }
    if (p + 6 > end) throw corrupt('Huffman jump table is cut short');
    const s1 = src[p] | (src[p + 1] << 8);
    const s2 = src[p + 2] | (src[p + 3] << 8);
    const s3 = src[p + 4] | (src[p + 5] << 8);
    const a = p + 6;
    const b = a + s1;
    const c = b + s2;
    const d = c + s3;
    if (d > end) throw corrupt('Huffman streams overrun their section');
    const part = (regen + 3) >> 2;
    if (part * 3 > regen) throw corrupt('too few literals for four streams');
    h.decodeStream(src, a, b, this.literals, 0, part);
    h.decodeStream(src, b, c, this.literals, part, part);
    h.decodeStream(src, c, d, this.literals, 2 * part, part);
    h.decodeStream(src, d, end, this.literals, 3 * part, regen - 3 * part);
  }

  private sequences(src: Uint8Array, p: number, end: number, litSize: number, limit: number): void {
    if (p >= end) throw corrupt('sequences section is missing');
    let n = src[p++];
    if (n >= 128) {
      if (n === 255) {
        if (p + 2 > end) throw corrupt('sequence count is cut short');
        n = src[p] + (src[p + 1] << 8) + 0x7f00;
        p += 2;
      } else {
        if (p + 1 > end) throw corrupt('sequence count is cut short');
        n = ((n - 128) << 8) + src[p++];
      }
    }
    const buf = this.buf;
    const lit = this.literals;
    if (n === 0) {
      if (p !== end) throw corrupt('bytes after the literals of a block without sequences');
      if (this.pos + litSize > limit) throw this.tooLong(litSize);
      buf.set(lit.subarray(0, litSize), this.pos);
      this.pos += litSize;
      return;
    }
    if (p >= end) throw corrupt('sequence modes are cut short');
    const modes = src[p++];
    if (modes & 3) throw corrupt('reserved bits set in sequence modes');
    const d = defaultTables();
    p = this.table('ll', (modes >> 6) & 3, d.ll, src, p, end);
    p = this.table('of', (modes >> 4) & 3, d.of, src, p, end);
    p = this.table('ml', (modes >> 2) & 3, d.ml, src, p, end);
    const llT = this.llT as FseTable;
    const ofT = this.ofT as FseTable;
    const mlT = this.mlT as FseTable;
    const bits = this.bits;
    bits.init(src, p, end);
    let llS = bits.read(llT.accuracyLog);
    let ofS = bits.read(ofT.accuracyLog);
    let mlS = bits.read(mlT.accuracyLog);
    const rep = this.rep;
    const history = this.total;
    const start = this.pos;
    let out = this.pos;
    let litPos = 0;
    for (let i = 0; i < n; i++) {
      const ofCode = ofT.symbol[ofS];
      const mlCode = mlT.symbol[mlS];
      const llCode = llT.symbol[llS];
      if (ofCode > 31 || mlCode > 52 || llCode > 35) throw corrupt('sequence code out of range');
      // Shifts, not 2 **: keeps the value an int (a double here was a heap number per sequence).
      let offset = (ofCode < 30 ? 1 << ofCode : 2 ** ofCode) + bits.read(ofCode);
      const ml = ML_BASE[mlCode] + bits.read(ML_BITS[mlCode]);
      const ll = LL_BASE[llCode] + bits.read(LL_BITS[llCode]);
      if (offset > 3) {
        rep[2] = rep[1];
        rep[1] = rep[0];
        rep[0] = offset -= 3;
      } else {
        const idx = offset - (ll !== 0 ? 1 : 0);
        if (idx === 0) offset = rep[0];
        else {
          offset = idx === 3 ? rep[0] - 1 : rep[idx];
          if (idx > 1) rep[2] = rep[1];
          rep[1] = rep[0];
          rep[0] = offset;
        }
      }
      if (i + 1 < n) {
        llS = llT.baseline[llS] + bits.read(llT.nbBits[llS]);
        mlS = mlT.baseline[mlS] + bits.read(mlT.nbBits[mlS]);
        ofS = ofT.baseline[ofS] + bits.read(ofT.nbBits[ofS]);
      }
      if (bits.bitPos < 0) throw corrupt('sequence bit stream is cut short');
      if (ll > litSize - litPos) throw corrupt('sequences use more literals than the block has');
      if (out + ll + ml > limit) throw this.tooLong(out + ll + ml - start);
      // Short runs by hand: a subarray per sequence was most of apply's garbage.
      if (ll > 32) buf.set(lit.subarray(litPos, litPos + ll), out);
      else for (let k = 0; k < ll; k++) buf[out + k] = lit[litPos + k];
      out += ll;
      litPos += ll;
      if (offset === 0 || offset > history + (out - start) || offset > this.windowSize)
        throw corrupt('match offset reaches before the window');
      const from = out - offset;
      if (offset >= ml) buf.copyWithin(out, from, from + ml);
      else if (ml <= 32) for (let k = 0; k < ml; k++) buf[out + k] = buf[from + k];
      // A long overlapping match (a run) repeats its last `offset` bytes: whole periods, doubling.
      else
        for (let k = 0; k < ml; k += Math.min(offset + k, ml - k))
          buf.copyWithin(out + k, from, from + Math.min(offset + k, ml - k));
      out += ml;
    }
    if (bits.bitPos !== 0) throw corrupt('sequence bit stream not consumed exactly');
    const rest = litSize - litPos;
    if (out + rest > limit) throw this.tooLong(out + rest - start);
    buf.set(lit.subarray(litPos, litSize), out);
    this.pos = out + rest;
  }

  private table(
    which: 'll' | 'of' | 'ml',
    mode: number,
    def: FseTable,
    src: Uint8Array,
    p: number,
    end: number,
  ): number {
    const own = this[which];
    const key = `${which}T` as const;
    if (mode === 0) this[key] = def;
    else if (mode === 1) {
      if (p >= end) throw corrupt('RLE table is cut short');
      own.setRle(src[p++]);
      this[key] = own;
    } else if (mode === 2) {
      p = readFseTable(src, p, end, own, this.norm);
      this[key] = own;
    } else if (!this[key]) throw corrupt('repeated sequence table without a previous one');
    return p;
  }
}
