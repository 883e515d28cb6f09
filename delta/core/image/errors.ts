export type ImageErrorCode =
  | 'IMAGE_FORMAT'
  | 'IMAGE_MISSING_FILE'
  | 'IMAGE_SOURCE_MISMATCH'
  | 'IMAGE_DIGEST_MISMATCH'
  | 'IMAGE_PATCH_FORMAT'
  | 'IMAGE_UNSUPPORTED';

/** A problem with a container image or an image patch, with a code a caller can branch on. */
export class ImageError extends Error {
  override name = 'ImageError';
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const isImageError = (e: unknown): e is ImageError => e instanceof ImageError;
