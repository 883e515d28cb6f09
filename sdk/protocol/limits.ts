// Size caps applied to every inbound message BEFORE it is decoded. A 16 KiB block plus its
// envelope fits BLOCK; a manifest carries 8 bytes of hash per block, so MANIFEST admits
// patches of up to 64 Ki blocks (1 GiB at the default 16 KiB block size).

export const DEFAULT_BLOCK_SIZE = 16 * 1024;
export const MAX_BLOCK_SIZE = 256 * 1024;
export const MIN_BLOCK_SIZE = 1024;
export const MAX_BLOCKS = 64 * 1024;
/** Bytes of sha256 kept per block in the manifest: enough to refuse a tampered block on arrival. */
export const BLOCK_HASH_BYTES = 8;

export const LIMITS = {
  manifest: 4096 + MAX_BLOCKS * BLOCK_HASH_BYTES,
  block: MAX_BLOCK_SIZE + 256,
  repair: 256 + MAX_BLOCKS / 8,
  state: 2048,
  fullRequest: 1024,
} as const;
