// delta/core's ZstdDecoder for the shipped component (qjs-kernels): the same constructor and
// decodeBlock contract, decoding with zstd's own C decoder (the `zstd` kernel, wasm/kernels/
// zstd-kernel.c) instead of delta/core's TypeScript one, which QuickJS interprets at 1-14 MB/s.
// wasm/build.mjs resolves delta/core/zstd's `./decoder.js` to this file for that build only, so
// StreamReader (frame header, window limit, declared sizes, errors) is the same code as in Node.
//
// A kernel decoder's memory (DCtx and buffer, from the engine's cabi_realloc) is never given back,
// so decoders are pooled: leased on a stream's first block, returned when its frame ends, its
// declared size is reached or it fails. A stream abandoned half-way (another part of its apply
// failed) keeps its lease; when a size class has POOL_PER_CLASS decoders and none is free, the one
// used longest ago is taken back (every stream of a live apply was used more recently).
import kernels from 'aloft:engine/kernels@0.1.0';
import { DeltaError } from '../../delta/core/errors.js';
import type { BlockScratch } from '../../delta/core/zstd/block-scratch.js';
import { MAX_BLOCK } from '../../delta/core/zstd/frame.js';

type Kernel = InstanceType<typeof kernels.Zstd>;

interface Slot {
  readonly kernel: Kernel;
  readonly capacity: number;
  owner: ZstdDecoder | undefined;
  used: number;
}

/** Apply opens at most five streams at once (table, ctrl, diff, extra, lit). */
const POOL_PER_CLASS = 8;
/** zstd's DCtx (ZSTD_estimateDCtxSize in this build: 95,808) and the kernel's state, for footprint. */
const DCTX_BYTES = 95_832;
const pool: Slot[] = [];
let clock = 0;

/**
 * The buffer a stream needs, rounded up to a size class so that decoders can be reused: its whole
 * content when that fits in the window (no history ever moves), else the window and two blocks
 * (the window moves to the front when a block no longer fits after it).
 */
export function capacityFor(windowSize: number, contentLimit: number): number {
  const small = contentLimit <= windowSize;
  const need = Math.max(small ? contentLimit : windowSize, 1 << 16);
  return 2 ** Math.ceil(Math.log2(need)) + (small ? 0 : 2 * MAX_BLOCK);
}

function lease(owner: ZstdDecoder, capacity: number): Slot {
  let pick: Slot | undefined;
  for (const s of pool)
    if (!s.owner && s.capacity >= capacity && (!pick || s.capacity < pick.capacity)) pick = s;
  if (!pick) {
    const same = pool.filter((s) => s.capacity === capacity);
    if (same.length >= POOL_PER_CLASS) pick = same.reduce((a, b) => (b.used < a.used ? b : a));
    else {
      pick = { kernel: new kernels.Zstd(capacity), capacity, owner: undefined, used: 0 };
      pool.push(pick);
    }
  }
  pick.owner = owner;
  pick.used = ++clock;
  return pick;
}

const corrupt = (message: string) => new DeltaError('DELTA_DECOMPRESS', `zstd: ${message}`);

/** zstd's error codes (zstd_errors.h) and the kernel's own, as delta/core's decoder words them. */
function failure(code: number, roomWasBlock: boolean): DeltaError {
  switch (code) {
    case 20:
      return corrupt('corrupt block (its literals, tables or sequences do not decode)');
    case 24:
      return corrupt('corrupt literals header');
    case 44:
    case 46:
    case 48:
      return corrupt('corrupt Huffman or FSE table');
    case 70:
      return corrupt(
        roomWasBlock ? 'block decodes past the block maximum' : 'decompresses to more than its declared size',
      );
    case 72:
    case 200:
      return corrupt('block is cut short or larger than the block maximum');
    default:
      return corrupt(`block does not decode (zstd error ${code})`);
  }
}

export class ZstdDecoder {
  private slot: Slot | undefined;
  private finished = false;
  private total = 0;
  private readonly blockMax: number;
  private readonly capacity: number;

  /**
   * windowSize: from the frame header (for single-segment frames, the content size).
   * contentLimit: the most the frame may produce (the stream's declared size).
   * The scratch buffers of delta/core's decoder are not needed: the kernel decodes in its own.
   */
  constructor(
    private readonly windowSize: number,
    private readonly contentLimit = Number.MAX_SAFE_INTEGER,
    _scratch?: BlockScratch,
  ) {
    this.blockMax = Math.min(MAX_BLOCK, Math.max(windowSize, 1));
    this.capacity = capacityFor(windowSize, contentLimit);
  }

  /** Bytes this decoder holds once it decodes (for memory accounting). */
  get footprint(): number {
    return this.capacity + DCTX_BYTES;
  }

  /**
   * Decodes one block whose body is src[start, end), its 3-byte header just before it (as
   * StreamReader lays out a block). `type` and `rleSize` are read by the kernel from the header.
   * Returns the decoded bytes (a fresh array).
   */
  decodeBlock(src: Uint8Array, start: number, end: number, _type: number, _rleSize: number): Uint8Array {
    if (start < 3) throw corrupt('block header missing before its body');
    const room = Math.min(this.blockMax, this.contentLimit - this.total);
    const slot = this.lease();
    let out: Uint8Array;
    try {
      out = slot.kernel.block(src.subarray(start - 3, end), room);
    } catch (e) {
      this.release();
      throw failure(
        typeof e === 'number' ? e : Number((e as { payload?: unknown })?.payload ?? -1),
        room === this.blockMax,
      );
    }
    this.total += out.length;
    if ((src[start - 3] & 1) === 1 || this.total >= this.contentLimit) this.release();
    return out;
  }

  private lease(): Slot {
    if (this.finished) throw corrupt('a block after its frame ended or failed');
    if (this.slot) {
      if (this.slot.owner !== this)
        throw corrupt(`decoder taken back: more than ${POOL_PER_CLASS} streams were open at once`);
      this.slot.used = ++clock;
      return this.slot;
    }
    const slot = lease(this, this.capacity);
    if (!slot.kernel.reset(this.windowSize)) {
      slot.owner = undefined;
      throw corrupt(`a window of ${this.windowSize} bytes is not supported`);
    }
    this.slot = slot;
    return slot;
  }

  private release(): void {
    if (this.slot?.owner === this) this.slot.owner = undefined;
    this.slot = undefined;
    this.finished = true;
  }
}
