import { DeltaError } from '../errors.js';
import { type RandomAccess, readInto } from '../io.js';
import { type DataRegion, scanTarSpans } from '../tar/index.js';
import type { PatchHead } from './format.js';

export interface OldLayout {
  readonly regions: ReadonlyArray<Pick<DataRegion, 'offset' | 'size'>>;
  readonly meta: Uint8Array;
}

/**
 * The old side as the patch expects it: a tar's layout, or the whole file as one region.
 * `metaSize`: the meta size the patch declares (a hint for one right-sized buffer; OLD's real
 * meta is what counts, and apply compares the two afterwards).
 */
export function readOldLayout(old: RandomAccess, kind: PatchHead['kind'], metaSize?: number): OldLayout {
  if (kind === 'file')
    return { regions: old.size > 0 ? [{ offset: 0, size: old.size }] : [], meta: new Uint8Array(0) };
  try {
    // A source of views (the wasm engine's) hands out its window: no copy into a buffer.
    return scanTarSpans(old.views ? old : reusingReads(old), metaSize ?? 64 * 1024);
  } catch (e) {
    if (e instanceof DeltaError)
      throw new DeltaError(
        'DELTA_SOURCE_MISMATCH',
        `OLD is not the tar this patch was made from (${e.message})`,
      );
    throw e;
  }
}

/**
 * The scan reads 64 KiB or more where headers lie and skips the data; it copies what it keeps
 * before its next read, so one reused buffer serves every read. (Fresh arrays were 64 KiB of
 * garbage per file: 18 MB for libc6's 285 files, which V8 frees only when it gets round to it.)
 */
function reusingReads(source: RandomAccess): RandomAccess {
  let buf = new Uint8Array(0);
  return {
    size: source.size,
    read(offset, length) {
      if (buf.length < length) buf = new Uint8Array(length);
      const view = buf.subarray(0, length);
      readInto(source, view, offset);
      return view;
    },
  };
}
