import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DeltaError } from '../core/errors.js';
import type { RandomAccess } from '../core/io.js';

/** A file as a RandomAccess: positional reads on demand, so nothing is held but what is asked. */
export interface FileSource extends RandomAccess {
  close(): void;
}

export function openFileSource(path: string): FileSource {
  return new FdSource(path);
}

/**
 * A class, not closures: bspatch's optimized loop inlines reads of OLD, and a method shared by
 * every source is one call target (a closure per file source deoptimized it; see core/io.ts).
 */
class FdSource implements FileSource {
  private readonly fd: number;
  readonly size: number;

  constructor(private readonly path: string) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  read(offset: number, length: number): Uint8Array {
    const buf = new Uint8Array(length);
    this.readInto(buf, offset);
    return buf;
  }

  readInto(target: Uint8Array, offset: number): void {
    let got = 0;
    while (got < target.length) {
      const n = readSync(this.fd, target, got, target.length - got, offset + got);
      if (n === 0)
        throw new DeltaError('DELTA_PATCH_TRUNCATED', `${this.path} changed size while being read`);
      got += n;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
