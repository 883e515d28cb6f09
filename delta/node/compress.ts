import { Compressor } from 'zstd-napi';
import type { Compress } from '../core/index.js';

// Level 19 with a 1 MiB window and no content size in the frame: the device decodes with
// fzstd, which allocates one window per stream (or the whole content when the frame is
// single-segment), so the window is what bounds apply memory. Measured on 30 MB of x86-64
// code: windowLog 27 + long-distance matching saved 0.15% and took 3x longer; on libssl3 patch
// streams windowLog 19..23 differ by 0.04%, while fzstd shifts its whole window per block.
const WINDOW_LOG = Number(process.env.ALOFT_ZSTD_WINDOW_LOG ?? 20);

let best: Compressor | undefined;
let fast: Compressor | undefined;

const make = (level: number) => {
  const c = new Compressor();
  c.setParameters({
    compressionLevel: level,
    windowLog: WINDOW_LOG,
    contentSizeFlag: false,
    checksumFlag: false,
  });
  return c;
};

/** Native zstd (host only). */
export const zstdCompress: Compress = (bytes, options) => {
  if (options?.fast) {
    fast ??= make(9);
    return new Uint8Array(fast.compress(bytes));
  }
  best ??= make(19);
  return new Uint8Array(best.compress(bytes));
};
