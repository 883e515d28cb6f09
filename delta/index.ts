// `aloft/delta`: the delta engine for Node hosts. The pure core (no I/O, runs in wasm) is
// `aloft/delta/core`.
export { deltaCommand } from './cli.js';
export { DeltaError, type DeltaErrorCode, isDeltaError } from './core/index.js';
export { type ApplyOptions, type ApplySummary, applyPatchFile } from './node/apply.js';
export { zstdCompress } from './node/compress.js';
export { type CreateOptions, type CreateSummary, createPatchFile } from './node/create.js';
export { type Description, describePatchFile } from './node/describe.js';
export { type FileSource, openFileSource } from './node/file-source.js';
export { nodeSha256, sha256File } from './node/hash.js';
export {
  type ApplyImagePatchOptions,
  type ApplyImageSummary,
  aloftLayerEngine,
  applyImagePatch,
  type CreateImagePatchOptions,
  type CreateImageSummary,
  createImagePatch,
  imagePatchInfo,
  isImageInput,
  loadImageIntoDocker,
  saveImageFromDocker,
} from './node/image/index.js';
