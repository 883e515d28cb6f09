export { digestHex, isSha256Digest, sha256Digest, shortDigest, toHex } from './digest.js';
export { ImageError, type ImageErrorCode, isImageError } from './errors.js';
export { type FixedImage, fixDigestsForUncompressed, type Uncompressed } from './fix-digests.js';
export { inflateBounded } from './inflate.js';
export {
  blobPath,
  compressionOf,
  type ImageFileInfo,
  type ImageFileSet,
  type ImageLayer,
  type ImageModel,
  type LayerCompression,
  MEDIA,
  normalizePath,
  parseImage,
  parseJson,
} from './model.js';
export {
  type BlobRecipe,
  decodeImagePatchHeader,
  encodeImagePatchHeader,
  IMAGE_PATCH_MAGIC,
  IMAGE_PATCH_VERSION,
  type ImagePatchHeader,
  type ImageRef,
  imagePatchHeaderLength,
  isImagePatch,
  isSafeImagePath,
  type LayerSource,
  type PatchEntry,
  sectionOffsets,
} from './patch-format.js';
export {
  type BaseStrategy,
  type LayerListing,
  type LayerPlan,
  layerSimilarity,
  planImagePatch,
} from './plan.js';
export {
  BLOCK,
  encodeTarHeader,
  paddedSize,
  parsePax,
  parseTarHeader,
  type RawTarHeader,
  type TarEntryType,
  type TarHeaderInput,
} from './tar-header.js';
