import {
  assembleBsdiff40,
  type Bsdiff40Limits,
  type BsdiffStreams,
  decodeBsdiff40,
  encodeBsdiff40Parts,
} from '../../core/bsdiff/index.js';
import { bzip2Compress } from './bzip2-host.js';

/** Default read limit: a BSDIFF40 patch may declare at most 4 GiB of output. */
export const DEFAULT_BSDIFF40_LIMITS: Bsdiff40Limits = { maxNewSize: 2 ** 32 };

/** Writes a classic BSDIFF40 patch (bzip2 -9 blocks, as Debian's bsdiff does) that stock bspatch applies. */
export async function writeBsdiff40(streams: BsdiffStreams, newSize: number): Promise<Uint8Array> {
  const parts = encodeBsdiff40Parts(streams, newSize);
  const [control, diff, extra] = await Promise.all([
    bzip2Compress(parts.control),
    bzip2Compress(parts.diff),
    bzip2Compress(parts.extra),
  ]);
  return assembleBsdiff40({ control, diff, extra }, newSize);
}

/** Reads a BSDIFF40 patch (e.g. from Debian's bsdiff) with the pure decoder; apply it with bspatch. */
export async function readBsdiff40(
  bytes: Uint8Array,
  limits: Bsdiff40Limits = DEFAULT_BSDIFF40_LIMITS,
): Promise<{ streams: BsdiffStreams; newSize: number }> {
  return decodeBsdiff40(bytes, limits);
}
