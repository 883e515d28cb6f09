import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import type { Sha256Factory } from '../core/index.js';

/** node:crypto behind the core's hash port (several times faster than the pure fallback). */
export const nodeSha256: Sha256Factory = () => {
  const h = createHash('sha256');
  return {
    update: (bytes) => void h.update(bytes),
    digest: () => new Uint8Array(h.digest()),
  };
};

/** sha256 of a file through one reused buffer (a read stream allocates a chunk per read). */
export async function sha256File(path: string): Promise<{ sha256: Uint8Array; size: number }> {
  const h = createHash('sha256');
  const buf = new Uint8Array(1 << 16);
  const fd = openSync(path, 'r');
  let size = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, size);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      size += n;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: new Uint8Array(h.digest()), size };
}
