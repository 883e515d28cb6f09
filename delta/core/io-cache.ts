import { type RandomAccess, readInto } from './io.js';

/**
 * A view of [offset, offset+size) of a source, with a small read-ahead block: bsdiff controls
 * read OLD mostly forward in short runs, and one positional read per run would be a syscall
 * per few bytes. `shared`: a caller's buffer of at least `block` bytes to use as the cache, so
 * rebuilding hundreds of files one after another allocates it once (a view is then valid only
 * until the next region using the same buffer reads).
 */
export function regionSource(
  source: RandomAccess,
  offset: number,
  size: number,
  block = 1 << 16,
  shared?: Uint8Array,
): RandomAccess {
  return new RegionSource(source, offset, size, block, shared);
}

const EMPTY = new Uint8Array(0);

/**
 * A class rather than closures: apply makes one per changed file, and bspatch's optimized loop
 * inlines `readInto`; a method shared by all regions is the same call target every time, where
 * a new closure per file deoptimized the loop once more (see io.ts, BytesSource).
 */
class RegionSource implements RandomAccess {
  private start = -1;
  // Allocated on the first read(): callers that only use readInto never need it.
  private cache: Uint8Array | undefined;
  private buf: Uint8Array = EMPTY;

  constructor(
    private readonly source: RandomAccess,
    private readonly offset: number,
    readonly size: number,
    private readonly block: number,
    private readonly shared: Uint8Array | undefined,
  ) {}

  readInto(target: Uint8Array, pos: number): void {
    readInto(this.source, target, this.offset + pos);
  }

  read(pos: number, length: number): Uint8Array {
    const { block, size } = this;
    if (length > block) return this.source.read(this.offset + pos, length);
    const shared = this.shared;
    this.cache ??= shared && shared.length >= block ? shared : new Uint8Array(Math.min(block, size));
    if (this.start < 0 || pos < this.start || pos + length > this.start + this.buf.length) {
      this.start = pos;
      this.buf = this.cache.subarray(0, Math.min(block, size - pos));
      readInto(this.source, this.buf, this.offset + pos);
    }
    return this.buf.subarray(pos - this.start, pos - this.start + length);
  }
}
