export {
  type ApplyImagePatchOptions,
  type ApplyImageSummary,
  applyImagePatch,
  type OldImage,
} from './apply.js';
export { imageHelp, routeImageCommand } from './cli.js';
export { copyImage } from './copy-image.js';
export {
  type CreateImagePatchOptions,
  type CreateImageSummary,
  createImagePatch,
  type LayerReport,
} from './create.js';
export { loadImageIntoDocker, saveImageFromDocker } from './docker.js';
export { findZlibRecipe, gzipHeaderLength, type ZlibRecipe } from './gzip-recipe.js';
export { type OpenedImage, openImageFiles } from './image-files.js';
export { formatImagePatchInfo, type ImagePatchInfo, imagePatchInfo } from './info.js';
export { aloftLayerEngine, type LayerDeltaEngine, zstdPatchFromEngine } from './layer-engine.js';
export { sha256File, withTempDir } from './layers.js';
export { isImageInput, readImage } from './read-image.js';
export { type OutputFile, writeImage } from './write-image.js';
