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
  let start = -1;
  // Allocated on the first read(): callers that only use readInto never need it.
  let cache: Uint8Array | undefined;
  let buf: Uint8Array = new Uint8Array(0);
  return {
    size,
    readInto: (target, pos) => readInto(source, target, offset + pos),
    read(pos, length) {
      if (length > block) return source.read(offset + pos, length);
      cache ??= shared && shared.length >= block ? shared : new Uint8Array(Math.min(block, size));
      if (start < 0 || pos < start || pos + length > start + buf.length) {
        start = pos;
        buf = cache.subarray(0, Math.min(block, size - pos));
        readInto(source, buf, offset + pos);
      }
      return buf.subarray(pos - start, pos - start + length);
    },
  };
}
