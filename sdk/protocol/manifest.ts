import { ProtocolError } from './errors.js';
import { BLOCK_HASH_BYTES, MAX_BLOCK_SIZE, MAX_BLOCKS, MIN_BLOCK_SIZE } from './limits.js';
import { array, bytes, DIGEST, type Fields, NAME, oneOf, record, text, uint } from './schema.js';

export const MANIFEST_VERSION = 1;

/** balena-compatible strategy names (ARCHITECTURE.md, "Update strategies"). */
export const STRATEGIES = [
  'download-then-kill',
  'kill-then-download',
  'delete-then-download',
  'hand-over',
] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** What the patch is: a delta from the precursor image, or a full image (no precursor needed). */
export const PATCH_KINDS = ['delta', 'full'] as const;
export type PatchKind = (typeof PATCH_KINDS)[number];

/** The signed description of one update. Times are Unix milliseconds. */
export interface Manifest {
  readonly version: number;
  readonly fleet: string;
  /** Strictly increasing per fleet: a device refuses any sequence not above its last one. */
  readonly sequence: number;
  /** `sha256:` digest of the image the delta applies to (ignored by devices when kind is full). */
  readonly precursor: string;
  readonly target: { readonly imageId: string; readonly diffIds: readonly string[] };
  readonly patch: {
    readonly kind: PatchKind;
    /** sha256 of the whole patch, 32 bytes: checked once every block is in. */
    readonly digest: Uint8Array;
    readonly size: number;
    readonly blockSize: number;
    /** The first BLOCK_HASH_BYTES of each block's sha256, concatenated. */
    readonly blockHashes: Uint8Array;
  };
  readonly strategy: { readonly name: Strategy; readonly timeoutMs: number };
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export function blockCount(size: number, blockSize: number): number {
  return Math.ceil(size / blockSize);
}

/** Manifest -> plain CBOR map with short keys (the wire form; see README "Protocol"). */
export function manifestToWire(m: Manifest): Fields {
  return {
    v: m.version,
    fleet: m.fleet,
    seq: m.sequence,
    pre: m.precursor,
    img: m.target.imageId,
    diffs: [...m.target.diffIds],
    kind: m.patch.kind,
    pd: m.patch.digest,
    ps: m.patch.size,
    bs: m.patch.blockSize,
    bh: m.patch.blockHashes,
    strat: m.strategy.name,
    tmo: m.strategy.timeoutMs,
    iat: m.issuedAt,
    exp: m.expiresAt,
  };
}

/** Schema-checks a decoded manifest payload; throws PROTOCOL_MALFORMED naming the bad field. */
export function manifestFromWire(value: unknown): Manifest {
  const what = 'manifest';
  const o = record(value, what);
  const version = uint(o, 'v', what);
  if (version !== MANIFEST_VERSION)
    throw new ProtocolError(
      'PROTOCOL_MALFORMED',
      `manifest: version ${version} is not ${MANIFEST_VERSION}; upgrade the device`,
    );
  const size = uint(o, 'ps', what);
  const blockSize = uint(o, 'bs', what, MAX_BLOCK_SIZE);
  if (blockSize < MIN_BLOCK_SIZE)
    throw new ProtocolError(
      'PROTOCOL_MALFORMED',
      `manifest: block size ${blockSize} is below ${MIN_BLOCK_SIZE}`,
    );
  const n = blockCount(size, blockSize);
  if (size === 0 || n > MAX_BLOCKS)
    throw new ProtocolError(
      'PROTOCOL_MALFORMED',
      `manifest: a patch of ${size} bytes must be 1..${MAX_BLOCKS} blocks`,
    );
  const diffs = array(o, 'diffs', what, 1024);
  for (const d of diffs) if (typeof d !== 'string' || !DIGEST.test(d)) return badDiff();
  const manifest: Manifest = {
    version,
    fleet: text(o, 'fleet', what, 64, NAME),
    sequence: uint(o, 'seq', what),
    precursor: text(o, 'pre', what, 71, DIGEST),
    target: { imageId: text(o, 'img', what, 71, DIGEST), diffIds: diffs as string[] },
    patch: {
      kind: oneOf(o, 'kind', what, PATCH_KINDS),
      digest: bytes(o, 'pd', what, { exact: 32 }),
      size,
      blockSize,
      blockHashes: bytes(o, 'bh', what, { exact: n * BLOCK_HASH_BYTES }),
    },
    strategy: { name: oneOf(o, 'strat', what, STRATEGIES), timeoutMs: uint(o, 'tmo', what) },
    issuedAt: uint(o, 'iat', what),
    expiresAt: uint(o, 'exp', what),
  };
  return manifest;
}

function badDiff(): never {
  throw new ProtocolError('PROTOCOL_MALFORMED', "manifest: field 'diffs' must hold sha256: digests");
}
