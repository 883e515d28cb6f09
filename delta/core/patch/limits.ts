/**
 * Ceilings for everything a patch declares. A hostile patch can declare anything; nothing is
 * allocated or decoded past these, so a bad patch ends in an error within bounded memory.
 */
export interface ApplyLimits {
  /** Largest CBOR head. */
  readonly maxHeadBytes: number;
  /** Largest decoded entry table. */
  readonly maxTableBytes: number;
  /** Largest output (the rebuilt layer). */
  readonly maxTargetBytes: number;
  /** Largest single file rebuilt by bsdiff (streamed; its control list is held in memory). */
  readonly maxFileBytes: number;
  /** Largest tar meta (headers, padding) held in memory. */
  readonly maxMetaBytes: number;
  /** Largest zstd window: the decoder keeps one window per open stream. */
  readonly maxWindowBytes: number;
}

export const DEFAULT_LIMITS: ApplyLimits = {
  maxHeadBytes: 1 << 20,
  maxTableBytes: 64 << 20,
  maxTargetBytes: 2 ** 40,
  maxFileBytes: 1 << 30,
  maxMetaBytes: 256 << 20,
  maxWindowBytes: 1 << 24,
};
