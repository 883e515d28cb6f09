import { DeltaError } from '../errors.js';
import type { RandomAccess } from '../io.js';
import { type DataRegion, scanTar } from '../tar/index.js';
import type { PatchHead } from './format.js';

export interface OldLayout {
  readonly regions: ReadonlyArray<Pick<DataRegion, 'offset' | 'size'>>;
  readonly meta: Uint8Array;
}

/** The old side as the patch expects it: a tar's layout, or the whole file as one region. */
export function readOldLayout(old: RandomAccess, kind: PatchHead['kind']): OldLayout {
  if (kind === 'file')
    return { regions: old.size > 0 ? [{ offset: 0, size: old.size }] : [], meta: new Uint8Array(0) };
  try {
    const layout = scanTar(old);
    return { regions: layout.regions, meta: layout.meta };
  } catch (e) {
    if (e instanceof DeltaError)
      throw new DeltaError(
        'DELTA_SOURCE_MISMATCH',
        `OLD is not the tar this patch was made from (${e.message})`,
      );
    throw e;
  }
}
