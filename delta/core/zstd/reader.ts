// A pull reader over one stream of a patch: stored bytes, or one zstd frame decoded by our own
// decoder (pure TS, so it runs in wasm) one block at a time. Output is capped at the declared raw
// size, so a decompression bomb ends as an error after at most one block past what the header
// promised. Memory per reader is fixed when it opens: the zstd window plus one compressed block,
// whatever the stream's length; reading allocates nothing (pipe hands out views).
import { DeltaError } from '../errors.js';
import { type RandomAccess, readInto } from '../io.js';
import { BlockScratch } from './block-scratch.js';
import { ZstdDecoder } from './decoder.js';
import { MAX_BLOCK, parseBlockHeader, parseFrameHeader } from './frame.js';

export const CODEC_STORED = 0;
export const CODEC_ZSTD = 1;

export interface StreamSpec {
  readonly name: string;
  readonly codec: number;
  /** Absolute offset of the stream in the patch. */
  readonly offset: number;
  readonly compressedSize: number;
  readonly rawSize: number;
}

const STORED_CHUNK = 1 << 16;

export class StreamReader {
  /** Unread bytes are cur[curPos, cur.length): a view of the decoder's window or `stored`. */
  private cur: Uint8Array = new Uint8Array(0);
  private curPos = 0;
  private produced = 0;
  private consumed = 0;
  private wirePos: number;
  private wireEnd: number;
  private decoder: ZstdDecoder | undefined;
  private frameDone = false;
  private checksumBytes = 0;
  /** Room for one compressed block (header, body, checksum) plus 4 bytes the bit readers may peek at. */
  private wireSize = 0;
  private stored: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly patch: RandomAccess,
    private readonly spec: StreamSpec,
    maxWindow: number,
    /** Block buffers shared with the patch's other readers (apply); by default this reader's own. */
    private readonly scratch = new BlockScratch(),
  ) {
    this.wirePos = spec.offset;
    this.wireEnd = spec.offset + spec.compressedSize;
    if (spec.codec === CODEC_ZSTD && spec.rawSize > 0) {
      const head = patch.read(this.wirePos, Math.min(18, spec.compressedSize));
      const frame = parseFrameHeader(head, `stream ${spec.name}`, maxWindow);
      if (frame.contentSize !== undefined && frame.contentSize !== spec.rawSize)
        throw this.corrupt('frame content size differs from the header');
      this.checksumBytes = frame.checksum ? 4 : 0;
      this.decoder = new ZstdDecoder(frame.windowSize, spec.rawSize, scratch);
      this.wireSize = Math.min(3 + MAX_BLOCK + 4, spec.compressedSize) + 4;
      this.wirePos += frame.headerSize;
    } else if (spec.codec === CODEC_STORED) {
      if (spec.compressedSize !== spec.rawSize) throw this.corrupt('stored stream size differs');
      this.stored = new Uint8Array(Math.min(STORED_CHUNK, spec.rawSize));
    } else if (spec.rawSize > 0) {
      throw this.corrupt(`unknown codec ${spec.codec}`);
    }
  }

  /** Raw bytes not read yet. */
  get remaining(): number {
    return this.spec.rawSize - this.consumed;
  }

  /** Exactly n bytes in a new array, or a DELTA_PATCH_INVALID error when the stream has fewer. */
  read(n: number): Uint8Array {
    // Within the current block (a changed file's control list, mostly): one copy, no sink.
    if (n <= this.cur.length - this.curPos && n > 0 && Number.isSafeInteger(n)) {
      const out = this.cur.slice(this.curPos, this.curPos + n);
      this.skip(n);
      return out;
    }
    const out = new Uint8Array(n);
    let o = 0;
    this.pipe(n, (chunk) => {
      out.set(chunk, o);
      o += chunk.length;
    });
    return out;
  }

  /** Bytes this reader holds whatever it reads (window, block and copy buffers). */
  get footprint(): number {
    return (this.decoder?.footprint ?? 0) + this.wireSize + this.stored.length;
  }

  /** Passes exactly n bytes to sink in chunks (views valid only during the call). */
  pipe(n: number, sink: (chunk: Uint8Array) => void): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.remaining)
      throw this.corrupt(`an entry asks for ${n} bytes but only ${this.remaining} remain`);
    let left = n;
    while (left > 0) {
      const k = this.take(left);
      sink(this.cur.subarray(this.curPos, this.curPos + k));
      this.skip(k);
      left -= k;
    }
  }

  /**
   * For loops that must not allocate per call (bspatch): makes at least one byte available
   * and returns how many (at most `max`, ≥ 1) are at `buffer[offset...]`; `skip` consumes them.
   * The caller keeps within `remaining` (pipe checks that for a whole entry).
   */
  take(max: number): number {
    if (this.curPos === this.cur.length) {
      if (this.remaining <= 0) throw this.corrupt('ends before its declared size');
      this.fill();
    }
    return Math.min(max, this.cur.length - this.curPos);
  }

  get buffer(): Uint8Array {
    return this.cur;
  }

  get offset(): number {
    return this.curPos;
  }

  skip(k: number): void {
    this.curPos += k;
    this.consumed += k;
  }

  /** After the last entry: the stream must be used up exactly. */
  finish(): void {
    if (this.remaining !== 0) throw this.corrupt(`${this.remaining} bytes left unused`);
  }

  private fill(): void {
    if (this.spec.codec === CODEC_STORED) {
      const k = Math.min(this.stored.length, this.spec.rawSize - this.produced);
      const view = this.stored.subarray(0, k);
      readInto(this.patch, view, this.wirePos);
      this.wirePos += k;
      this.produced += k;
      this.cur = view;
      this.curPos = 0;
      return;
    }
    while (this.curPos === this.cur.length) this.refill();
  }

  private refill(): void {
    const decoder = this.decoder;
    if (!decoder || this.frameDone) throw this.corrupt('ends before its declared size');
    if (this.wirePos + 3 > this.wireEnd) throw this.truncated();
    const wire = this.scratch.wire(this.wireSize);
    readInto(this.patch, wire.subarray(0, 3), this.wirePos);
    const block = parseBlockHeader(wire, `stream ${this.spec.name}`);
    let size = block.wireSize;
    if (block.last) size += this.checksumBytes;
    if (this.wirePos + size > this.wireEnd) throw this.truncated();
    // The frame header's checksum flag adds 4 bytes after the last block; they are not checked:
    // every rebuilt file and the output are sha256-verified instead.
    readInto(this.patch, wire.subarray(3, size), this.wirePos + 3);
    wire.fill(0, size, size + 4);
    this.wirePos += size;
    if (block.last) {
      this.frameDone = true;
      if (this.wirePos !== this.wireEnd) throw this.corrupt('has bytes after its zstd frame');
    }
    let chunk: Uint8Array;
    try {
      chunk = decoder.decodeBlock(wire, 3, 3 + block.bodySize, block.type, block.rleSize);
    } catch (e) {
      if (e instanceof DeltaError) throw new DeltaError(e.code, `stream ${this.spec.name}: ${e.message}`);
      throw new DeltaError('DELTA_DECOMPRESS', `stream ${this.spec.name}: ${(e as Error).message}`);
    }
    this.onData(chunk);
  }

  private onData(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.produced += chunk.length;
    if (this.produced > this.spec.rawSize) throw this.corrupt('decompresses to more than its declared size');
    // A view of the decoder's window: consumed before the next refill (take refills only when
    // the current view is used up).
    this.cur = chunk;
    this.curPos = 0;
  }

  private corrupt(message: string): DeltaError {
    return new DeltaError('DELTA_PATCH_INVALID', `stream ${this.spec.name} ${message}`);
  }

  private truncated(): DeltaError {
    return new DeltaError('DELTA_PATCH_TRUNCATED', `stream ${this.spec.name} is cut short`);
  }
}
