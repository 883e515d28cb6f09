/** Random access to bytes: a file on the host (fs reads), a buffer, a blob in wasm. */
export interface RandomAccess {
  readonly size: number;
  /** Exactly `length` bytes at `offset` (the caller keeps within size). */
  read(offset: number, length: number): Uint8Array;
  /** Optional: fill `target` from `offset` without allocating (the streaming paths reuse buffers). */
  readInto?(target: Uint8Array, offset: number): void;
  /**
   * Optional: read() hands out views of bytes the source holds or fetches in large pieces anyway
   * (the wasm engine's host blobs), so callers may keep views instead of copying into their own
   * buffers. Sources without it (files: a read allocates) are read into reused buffers.
   */
  readonly views?: boolean;
}

/** Reads into a caller's buffer when the source can, else copies from read(). */
export const readInto = (source: RandomAccess, target: Uint8Array, offset: number): void => {
  if (source.readInto) source.readInto(target, offset);
  else target.set(source.read(offset, target.length));
};

/**
 * Bytes in memory as a RandomAccess. A class, not an object of closures: bspatch's hot loop reads
 * OLD through `readInto`, and V8 inlines that call; one method shared by every instance keeps
 * the call target the same from file to file, where a fresh closure per source made the
 * optimized loop deoptimize and compile again (each compile costs memory and CPU).
 */
class BytesSource implements RandomAccess {
  readonly size: number;
  constructor(private readonly bytes: Uint8Array) {
    this.size = bytes.length;
  }
  read(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, offset + length);
  }
  readInto(target: Uint8Array, offset: number): void {
    target.set(this.bytes.subarray(offset, offset + target.length));
  }
}

export const bytesSource = (bytes: Uint8Array): RandomAccess => new BytesSource(bytes);

/** An append-only byte buffer that doubles its capacity. */
export class ByteBuilder {
  private buf: Uint8Array;
  length = 0;
  constructor(capacity = 4096) {
    this.buf = new Uint8Array(capacity);
  }
  push(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.length + bytes.length) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }
  /** The bytes so far: the buffer itself when exactly full (no copy; a later push reallocates). */
  bytes(): Uint8Array {
    return this.length === this.buf.length ? this.buf : this.buf.slice(0, this.length);
  }
}

export const concatBytes = (parts: Uint8Array[]): Uint8Array => {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
