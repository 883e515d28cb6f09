export {
  assembleBsdiff40,
  BSDIFF40_MAGIC,
  type Bsdiff40Limits,
  type Bsdiff40Parts,
  decodeBsdiff40,
  encodeBsdiff40Parts,
} from './bsdiff40.js';
export { type Bunzip2Limits, bunzip2 } from './bunzip2.js';
export { decodeControls, encodeControls } from './controls.js';
export {
  type BsdiffOptions,
  bsdiff,
  bsdiffScan,
  indexOld,
  inverse,
  type OldIndex,
  type ScanOptions,
} from './diff.js';
export { BsdiffError, type BsdiffErrorCode, isBsdiffError } from './errors.js';
export { bspatch, bspatchChunks, PATCH_CHUNK_BYTES, validateStreams } from './patch.js';
export { joinParts, SPLIT_MIN_BYTES, sharedRank, splitBsdiff, splitPoints } from './split.js';
export { suffixArray } from './suffix-array.js';
export type { BsdiffControl, BsdiffStreams } from './types.js';
export { x86Filter } from './x86-filter.js';
