import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DeltaError } from '../core/errors.js';
import type { RandomAccess } from '../core/io.js';

/** A file as a RandomAccess: positional reads on demand, so nothing is held but what is asked. */
export interface FileSource extends RandomAccess {
  close(): void;
}

export function openFileSource(path: string): FileSource {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const fill = (buf: Uint8Array, offset: number) => {
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, offset + got);
      if (n === 0) throw new DeltaError('DELTA_PATCH_TRUNCATED', `${path} changed size while being read`);
      got += n;
    }
  };
  return {
    size,
    read(offset, length) {
      const buf = new Uint8Array(length);
      fill(buf, offset);
      return buf;
    },
    readInto: (target, offset) => fill(target, offset),
    close: () => closeSync(fd),
  };
}
