// A pull reader over one stream of a patch: stored bytes, or one zstd frame decoded by fzstd
// (pure JS, so it runs in wasm). Output is capped at the declared raw size, so a decompression
// bomb ends as an error after at most one block past what the header promised.
import { Decompress } from 'fzstd';
import { DeltaError } from '../errors.js';
import type { RandomAccess } from '../io.js';
import { parseBlockHeader, parseFrameHeader } from './frame.js';

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

export class StreamReader {
  private queue: Uint8Array[] = [];
  private queued = 0;
  private produced = 0;
  private consumed = 0;
  private wirePos: number;
  private wireEnd: number;
  private decoder: Decompress | undefined;
  private frameDone = false;
  private checksumBytes = 0;

  constructor(
    private readonly patch: RandomAccess,
    private readonly spec: StreamSpec,
    maxWindow: number,
  ) {
    this.wirePos = spec.offset;
    this.wireEnd = spec.offset + spec.compressedSize;
    if (spec.codec === CODEC_ZSTD && spec.rawSize > 0) {
      const head = patch.read(this.wirePos, Math.min(18, spec.compressedSize));
      const frame = parseFrameHeader(head, `stream ${spec.name}`, maxWindow);
      if (frame.contentSize !== undefined && frame.contentSize !== spec.rawSize)
        throw this.corrupt('frame content size differs from the header');
      this.checksumBytes = frame.checksum ? 4 : 0;
      this.decoder = new Decompress((chunk) => this.onData(chunk));
      this.decoder.push(head.slice(0, frame.headerSize));
      this.wirePos += frame.headerSize;
    } else if (spec.codec === CODEC_STORED) {
      if (spec.compressedSize !== spec.rawSize) throw this.corrupt('stored stream size differs');
    } else if (spec.rawSize > 0) {
      throw this.corrupt(`unknown codec ${spec.codec}`);
    }
  }

  /** Raw bytes not read yet. */
  get remaining(): number {
    return this.spec.rawSize - this.consumed;
  }

  /** Exactly n bytes, or a DELTA_PATCH_INVALID error when the stream has fewer. */
  read(n: number): Uint8Array {
    if (this.spec.codec === CODEC_ZSTD && n > 0 && n <= this.remaining) {
      while (this.queued === 0) this.refill();
      const head = this.queue[0];
      if (head.length === n) {
        this.queue.shift();
        this.queued -= n;
        this.consumed += n;
        return head;
      }
    }
    const out = new Uint8Array(n);
    let o = 0;
    this.pipe(n, (chunk) => {
      out.set(chunk, o);
      o += chunk.length;
    });
    return out;
  }

  /** Passes exactly n bytes to sink in chunks (views valid only during the call). */
  pipe(n: number, sink: (chunk: Uint8Array) => void): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.remaining)
      throw this.corrupt(`an entry asks for ${n} bytes but only ${this.remaining} remain`);
    let left = n;
    while (left > 0) {
      if (this.spec.codec === CODEC_STORED) {
        const k = Math.min(left, 1 << 20);
        sink(this.patch.read(this.wirePos, k));
        this.wirePos += k;
        left -= k;
        this.consumed += k;
        continue;
      }
      while (this.queued === 0) this.refill();
      const head = this.queue[0];
      const k = Math.min(left, head.length);
      sink(head.subarray(0, k));
      if (k === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(k);
      this.queued -= k;
      left -= k;
      this.consumed += k;
    }
  }

  /** After the last entry: the stream must be used up exactly. */
  finish(): void {
    if (this.remaining !== 0) throw this.corrupt(`${this.remaining} bytes left unused`);
  }

  private refill(): void {
    const decoder = this.decoder;
    if (!decoder || this.frameDone) throw this.corrupt('ends before its declared size');
    if (this.wirePos + 3 > this.wireEnd) throw this.truncated();
    const block = parseBlockHeader(this.patch.read(this.wirePos, 3), `stream ${this.spec.name}`);
    let size = block.wireSize;
    if (block.last) size += this.checksumBytes;
    if (this.wirePos + size > this.wireEnd) throw this.truncated();
    const bytes = this.patch.read(this.wirePos, size);
    this.wirePos += size;
    if (block.last) {
      this.frameDone = true;
      if (this.wirePos !== this.wireEnd) throw this.corrupt('has bytes after its zstd frame');
    }
    try {
      decoder.push(bytes, block.last);
    } catch (e) {
      if (e instanceof DeltaError) throw e;
      throw new DeltaError('DELTA_DECOMPRESS', `stream ${this.spec.name}: ${(e as Error).message}`);
    }
  }

  private onData(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.produced += chunk.length;
    if (this.produced > this.spec.rawSize) throw this.corrupt('decompresses to more than its declared size');
    // fzstd hands out a fresh array per block (it copies into its window separately).
    this.queue.push(chunk);
    this.queued += chunk.length;
  }

  private corrupt(message: string): DeltaError {
    return new DeltaError('DELTA_PATCH_INVALID', `stream ${this.spec.name} ${message}`);
  }

  private truncated(): DeltaError {
    return new DeltaError('DELTA_PATCH_TRUNCATED', `stream ${this.spec.name} is cut short`);
  }
}
