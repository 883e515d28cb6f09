/**
 * Errors of the bsdiff kernel. Every one carries a literal `code` so callers (the patch
 * container, the `delta` CLI) can branch on it without parsing messages.
 *  - DELTA_CORRUPT: the patch data is inconsistent (out-of-bounds control, bad bzip2, sizes
 *    that do not add up); the patch is damaged or was made for other input.
 *  - DELTA_LIMIT: a declared size or count exceeds the limit the caller set.
 *  - DELTA_UNSUPPORTED: a well-formed but unsupported variant (e.g. randomised bzip2 blocks).
 *  - DELTA_BAD_ARGUMENT: the caller passed an invalid value (a negative size, a non-integer).
 */
export type BsdiffErrorCode = 'DELTA_CORRUPT' | 'DELTA_LIMIT' | 'DELTA_UNSUPPORTED' | 'DELTA_BAD_ARGUMENT';

export class BsdiffError extends Error {
  override name = 'BsdiffError';
  readonly code: BsdiffErrorCode;
  constructor(code: BsdiffErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export const isBsdiffError = (e: unknown): e is BsdiffError => e instanceof BsdiffError;

/** Shorthand for the most common failure: the patch does not describe a valid rebuild. */
export const corrupt = (what: string): BsdiffError =>
  new BsdiffError('DELTA_CORRUPT', `${what}; the patch is damaged or was made for another file`);
