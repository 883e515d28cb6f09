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

const PAGE = 1 << 20;
const PAGES = 4;

/**
 * A region of a `views` source for bspatch's OLD reads: up to `pages` (four) 1 MiB pages, each
 * one read() of the source kept as a view, least recently used dropped. bsdiff's controls jump around OLD
 * (python3.11's update: 18k of its 30k controls leave a 64 KiB window), but stay within a few
 * MiB: four pages missed 24 times there, where the 64 KiB block cache read 1.2 GB in 18k reads.
 */
export function pagedRegion(source: RandomAccess, offset: number, size: number, pages = PAGES): RandomAccess {
  return new PagedRegion(source, offset, size, pages);
}

class PagedRegion implements RandomAccess {
  readonly views = true;
  /** Most recently used last. */
  private readonly pages: { start: number; bytes: Uint8Array }[] = [];

  constructor(
    private readonly source: RandomAccess,
    private readonly offset: number,
    readonly size: number,
    private readonly keep: number,
  ) {}

  read(pos: number, length: number): Uint8Array {
    const start = pos - (pos % PAGE);
    // A read across a page boundary (rare: adds are short) goes to the source as it is.
    if (pos + length > start + PAGE) return this.source.read(this.offset + pos, length);
    const pages = this.pages;
    let page = pages[pages.length - 1];
    if (page === undefined || page.start !== start) {
      const i = pages.findIndex((p) => p.start === start);
      if (i >= 0) page = pages.splice(i, 1)[0];
      else {
        page = { start, bytes: this.source.read(this.offset + start, Math.min(PAGE, this.size - start)) };
        if (pages.length >= this.keep) pages.shift();
      }
      pages.push(page);
    }
    return page.bytes.subarray(pos - start, pos - start + length);
  }
}
