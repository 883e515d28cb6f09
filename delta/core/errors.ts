/** Every failure the delta engine raises on purpose. One code per thing a caller can act on. */
export type DeltaErrorCode =
  | 'DELTA_TAR_INVALID'
  | 'DELTA_PATCH_INVALID'
  | 'DELTA_PATCH_TRUNCATED'
  | 'DELTA_PATCH_TOO_LARGE'
  | 'DELTA_PATCH_VERSION'
  | 'DELTA_SOURCE_MISMATCH'
  | 'DELTA_OUTPUT_MISMATCH'
  | 'DELTA_DECOMPRESS';

export class DeltaError extends Error {
  override name = 'DeltaError';
  constructor(
    readonly code: DeltaErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const isDeltaError = (e: unknown): e is DeltaError => e instanceof DeltaError;

export const hex = (bytes: Uint8Array): string => {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
};

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};
