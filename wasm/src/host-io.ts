// The `io` import as delta/core's ports, batched. Every call across the component boundary costs
// microseconds of glue in a JS host and copies its bytes twice (into the component's memory, then
// into a QuickJS array), and the core reads in pieces of 64 KiB and less (up to 1 MiB when it
// copies an unchanged file through) and writes pieces as small as a tar header: forward reads are
// served from a read-ahead window that starts at 256 KiB (larger windows fetch bytes a bsdiff'd
// file never uses) and doubles, up to 2 MiB, while the reads run on without a gap (an unchanged
// file copied through); small output pieces leave in batches of up to 1 MiB, large ones as they
// come. Reads hand out views (`views`), so delta/core keeps pages of OLD for bspatch as views
// instead of copying blocks.
import io from 'aloft:engine/io@0.1.0';
import type { RandomAccess } from './delta-core.js';

export type Blob = 'old' | 'patch';

const WINDOW = 1 << 18;
const MAX_WINDOW = 1 << 21;
const BATCH = 1 << 20;
/** Pieces from this size on skip the batch. */
const DIRECT = 1 << 16;
/** A read this far past the previous one still counts as going forward (a tar header skipped). */
const SKIP = 1 << 16;

/**
 * RandomAccess over a host blob; u64 travels as a JS number inside QuickJS. A read that goes
 * forward from the previous one fetches a whole window; any other read fetches just its bytes,
 * so bsdiff's seeks cost no more than before. Each window is a fresh array: views handed out
 * earlier (the decoded patch head keeps some) stay valid.
 */
export function hostBlob(blob: Blob, size: number): RandomAccess {
  let start = 0;
  let window: Uint8Array = new Uint8Array(0);
  let lastEnd = -1;
  let next = WINDOW;
  return {
    size,
    views: true,
    read(offset, length) {
      const end = offset + length;
      const forward = lastEnd >= 0 && offset >= lastEnd && offset - lastEnd <= SKIP;
      next = offset === lastEnd ? Math.min(2 * next, MAX_WINDOW) : WINDOW;
      lastEnd = end;
      if (offset >= start && end <= start + window.length)
        return window.subarray(offset - start, end - start);
      if (!forward || length >= next) return io.read(blob, offset, length);
      start = offset;
      window = io.read(blob, offset, Math.min(next, size - offset));
      return window.subarray(0, length);
    },
  };
}

/**
 * The output sink: pieces under 64 KiB are copied into a 1 MiB batch that leaves when full and at
 * flush(); larger ones leave as they come.
 */
export function hostSink(): { sink: (chunk: Uint8Array) => void; flush: () => void } {
  const batch = new Uint8Array(BATCH);
  let used = 0;
  const flush = () => {
    if (used) io.write(batch.subarray(0, used));
    used = 0;
  };
  return {
    sink(chunk) {
      // A large piece leaves as it is: io.write copies it into the call anyway (the batch would be
      // a second copy of each of its bytes), and at this size the call costs little beside the copy.
      if (chunk.length >= DIRECT) {
        flush();
        io.write(chunk);
        return;
      }
      if (used + chunk.length > batch.length) flush();
      batch.set(chunk, used);
      used += chunk.length;
    },
    flush,
  };
}
