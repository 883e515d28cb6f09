import { Compressor } from 'zstd-napi';
import type { Compress } from '../core/index.js';

// Level 19 with a 1 MiB window and no content size in the frame: the device decodes with
// fzstd, which allocates one window per stream (or the whole content when the frame is
// single-segment), so the window is what bounds apply memory. Measured on 30 MB of x86-64
// code: windowLog 27 + long-distance matching saved 0.15% and took 3x longer; on libssl3 patch
// streams windowLog 19..23 differ by 0.04%, while fzstd shifts its whole window per block.
const WINDOW_LOG = Number(process.env.ALOFT_ZSTD_WINDOW_LOG ?? 20);

/**
 * zstd's own threads for the level-19 streams (one frame still: zstd cuts the input into jobs
 * that each start from the previous job's last window of bytes). The frame depends only on the
 * job size, never on the thread count (checked: 1, 2 and 4 threads give the same bytes), so the
 * patch is the same on any machine; two threads also on one core, where they only time-share.
 */
const THREADS = 2;
/** Inputs up to this size are one job: zstd compresses them on the calling thread as before. */
const ONE_JOB_MAX = 2 << 20;
/** Job size cap for big streams (more jobs than threads even out jobs of unequal speed). */
const JOB_MAX = 8 << 20;
/**
 * Each job starts from the previous job's last window >> (9 - OVERLAP_LOG) bytes, which it
 * re-indexes: level 19's default (the whole 1 MiB window) costs that much CPU per job; a quarter
 * of it measured the same bytes over the corpus streams (-0.01%) for less work.
 */
export const OVERLAP_LOG = 7;

/**
 * Job size as a function of the input size alone: two equal jobs up to 16 MiB, 8 MiB jobs
 * above. A job boundary costs little where the data repeats within the window, but some places
 * cost more (on mariadb's 42 MB diff stream, 6 and 12 MiB jobs: +1.2% and +0.4%; 8 and 16 MiB:
 * +0.09% and +0.01%); over the bench corpus this rule costs +0.06% of patch bytes and cuts the
 * compression wall time by about a third on two cores.
 */
export const jobSize = (inputSize: number): number =>
  inputSize > 2 * JOB_MAX ? JOB_MAX : Math.max(1 << 20, Math.ceil(inputSize / 2));

let best: Compressor | undefined;
let fast: Compressor | undefined;

const params = (level: number) => ({
  compressionLevel: level,
  windowLog: WINDOW_LOG,
  contentSizeFlag: false,
  checksumFlag: false,
});

/** Native zstd (host only). */
export const zstdCompress: Compress = (bytes, options) => {
  if (options?.fast) {
    if (!fast) {
      fast = new Compressor();
      fast.setParameters(params(9));
    }
    return new Uint8Array(fast.compress(bytes));
  }
  best ??= new Compressor();
  best.setParameters(
    bytes.length > ONE_JOB_MAX
      ? { ...params(19), nbWorkers: THREADS, jobSize: jobSize(bytes.length), overlapLog: OVERLAP_LOG }
      : params(19),
  );
  return new Uint8Array(best.compress(bytes));
};
