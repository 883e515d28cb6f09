export { decodeControls, encodeControls } from './controls.js';
export { bsdiff } from './diff.js';
export { BsdiffError, type BsdiffErrorCode, isBsdiffError } from './errors.js';
export { bspatch, bspatchChunks, PATCH_CHUNK_BYTES, validateStreams } from './patch.js';
export { suffixArray } from './suffix-array.js';
export type { BsdiffControl, BsdiffStreams } from './types.js';
