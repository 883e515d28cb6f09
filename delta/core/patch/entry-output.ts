// Where bspatch's output goes during apply. One object serves every entry of a patch, and
// bspatch gets one sink function for the whole apply: V8 inlines the sink into bspatch's
// optimized loop, and a new closure per entry (meta, each file, each gzip content) was a new
// call target each time, so the loop deoptimized and compiled again, file after file (each
// TurboFan compile is CPU and a few MB of compiler memory at its peak).
import { DeltaError } from '../errors.js';
import type { Sha256 } from '../hash.js';

export class EntryOutput {
  private into: Uint8Array | undefined;
  private filled = 0;
  private hash: Sha256 | undefined;

  /** `emit`: the output stream (apply's size check, output hash and sink). */
  constructor(private readonly emit: (chunk: Uint8Array) => void) {}

  /** The next entry fills `buf` (the new meta, a gzip entry's content), never past its end. */
  collect(buf: Uint8Array): void {
    this.into = buf;
    this.filled = 0;
    this.hash = undefined;
  }

  /** The next entry goes to the output, hashed on the way (a rebuilt file). */
  pass(hash: Sha256): void {
    this.into = undefined;
    this.hash = hash;
  }

  /** Bytes collected since collect(). */
  get collected(): number {
    return this.filled;
  }

  write(chunk: Uint8Array): void {
    const into = this.into;
    if (into) {
      if (chunk.length > into.length - this.filled)
        throw new DeltaError('DELTA_PATCH_INVALID', 'an entry rebuilds past its declared size');
      into.set(chunk, this.filled);
      this.filled += chunk.length;
    } else {
      (this.hash as Sha256).update(chunk);
      this.emit(chunk);
    }
  }
}
