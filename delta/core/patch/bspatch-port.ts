// bspatch over a whole entry as a compiled kernel (the wasm build: wasm/kernels/bspatch.c). The
// QuickJS engine walked controls at ~20 us each (python3.11's update: 30k controls, most of its
// apply once the codecs were C); the kernel walks them in C and this loop only feeds it: diff and
// extra in pieces of up to 128 KiB, OLD in 1 MiB pages, output in chunks of up to 64 KiB.
import { DeltaError } from '../errors.js';
import type { RandomAccess } from '../io.js';
import type { StreamReader } from '../zstd/index.js';

/** What the kernel's run() says next (wasm/kernels/bspatch.c has the same numbers). */
export const BSPATCH_DONE = 0;
export const BSPATCH_MORE = 1;
export const BSPATCH_NEED_DIFF = 2;
export const BSPATCH_NEED_EXTRA = 3;
export const BSPATCH_NEED_OLD = 4;

/** OLD's pages as the kernel holds them. */
export const BSPATCH_PAGE = 1 << 20;
const FEED = 1 << 17;

export interface BspatchKernel {
  /**
   * Loads an entry's encoded controls and checks them as EncodedControls and checkControls do:
   * false when they fail, and apply then takes delta/core's own path, which says what is wrong.
   */
  load(
    controls: Uint8Array,
    maxEntries: number,
    oldSize: number,
    newSize: number,
    diffLen: number,
    extraLen: number,
  ): boolean;
  feedDiff(bytes: Uint8Array): void;
  feedExtra(bytes: Uint8Array): void;
  /** OLD's bytes from page * BSPATCH_PAGE, a whole page (or up to OLD's end). */
  feedOld(page: number, bytes: Uint8Array): void;
  /** Up to 64 KiB of output. */
  run(): Uint8Array;
  /** After run(): its status (BSPATCH_*) in the low 3 bits, the OLD page it needs above. */
  next(): number;
}

export interface KernelPatchInput {
  readonly old: RandomAccess;
  readonly diff: StreamReader;
  readonly extra: StreamReader;
  readonly diffLen: number;
  readonly extraLen: number;
  readonly sink: (chunk: Uint8Array) => void;
  /** In place of run() and `sink`: runs the kernel straight into the output (the output kernel's patch()). */
  readonly into?: () => void;
}

const broken = (what: string) =>
  new DeltaError('DELTA_PATCH_INVALID', `bsdiff entry: the bspatch kernel ${what} (a kernel bug)`);

/** Hands the kernel the next piece (at most FEED bytes, at most `left`) of a stream, in place. */
function feed(stream: StreamReader, left: number, to: (bytes: Uint8Array) => void): number {
  const n = stream.take(Math.min(left, FEED));
  const at = stream.offset;
  to(stream.buffer.subarray(at, at + n));
  stream.skip(n);
  return n;
}

/** Runs an entry the kernel has loaded (load() returned true). */
export function kernelBspatch(kernel: BspatchKernel, input: KernelPatchInput): void {
  const { old, diff, extra, sink, into } = input;
  let diffLeft = input.diffLen;
  let extraLeft = input.extraLen;
  // What run() would stop to ask for first, handed over before it asks: diff and extra (their
  // first pieces) and OLD when it is one page, which every add then reads. A small entry (most
  // are) then runs in one run() instead of up to four, each a run() and a next() through the glue.
  if (diffLeft > 0) {
    diffLeft -= feed(diff, diffLeft, (b) => kernel.feedDiff(b));
    if (old.size <= BSPATCH_PAGE) kernel.feedOld(0, old.read(0, old.size));
  }
  if (extraLeft > 0) extraLeft -= feed(extra, extraLeft, (b) => kernel.feedExtra(b));
  for (;;) {
    if (into) into();
    else {
      const out = kernel.run();
      if (out.length > 0) sink(out);
    }
    const next = kernel.next();
    const status = next & 7;
    if (status === BSPATCH_DONE) {
      if (diffLeft !== 0 || extraLeft !== 0) throw broken('finished before using its diff and extra bytes');
      return;
    }
    if (status === BSPATCH_NEED_DIFF) {
      if (diffLeft <= 0) throw broken('asked for more diff bytes than the entry has');
      diffLeft -= feed(diff, diffLeft, (b) => kernel.feedDiff(b));
    } else if (status === BSPATCH_NEED_EXTRA) {
      if (extraLeft <= 0) throw broken('asked for more extra bytes than the entry has');
      extraLeft -= feed(extra, extraLeft, (b) => kernel.feedExtra(b));
    } else if (status === BSPATCH_NEED_OLD) {
      const page = next >>> 3;
      const start = page * BSPATCH_PAGE;
      if (start >= old.size) throw broken('asked for a page past OLD');
      kernel.feedOld(page, old.read(start, Math.min(BSPATCH_PAGE, old.size - start)));
    } else if (status !== BSPATCH_MORE) throw broken(`returned status ${status}`);
  }
}
