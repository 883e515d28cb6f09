import { sha256 } from '@noble/hashes/sha2.js';
import { decodeCbor, encodeCbor } from './cbor.js';
import { signSign1, type TrustedKey, verifySign1 } from './cose.js';
import { ProtocolError } from './errors.js';
import { equalBytes } from './hex.js';
import { BLOCK_HASH_BYTES, LIMITS } from './limits.js';
import { type Manifest, manifestFromWire, manifestToWire } from './manifest.js';
import type { BlockMessage } from './messages.js';

/** What the device knows when a manifest arrives. `now` is Unix ms: pure code reads no clock. */
export interface DeviceFacts {
  readonly fleet: string;
  readonly keys: readonly TrustedKey[];
  /** The highest sequence installed; a manifest must be above it. */
  readonly installedSeq: number;
  /** `sha256:` image ID the device runs, or undefined when it runs nothing yet. */
  readonly currentImage: string | undefined;
  readonly now: number;
}

export function signManifest(manifest: Manifest, secretKey: Uint8Array): Uint8Array {
  return signSign1(encodeCbor(manifestToWire(manifest)), secretKey);
}

/** Verifies the signature and the schema, without any device policy: for tools and publishers. */
export function openManifest(envelope: Uint8Array, keys: readonly TrustedKey[]): Manifest {
  const payload = verifySign1(envelope, keys, LIMITS.manifest);
  return manifestFromWire(decodeCbor(payload, LIMITS.manifest, 'manifest'));
}

/**
 * The device's whole decision on an inbound manifest, in a fixed order: size and shape,
 * key, signature, schema, fleet, expiry, sequence, precursor. Throws a ProtocolError whose
 * code the device puts in its state; returns the manifest when it may be downloaded.
 */
export function admitManifest(envelope: Uint8Array, facts: DeviceFacts): Manifest {
  const m = openManifest(envelope, facts.keys);
  if (m.fleet !== facts.fleet)
    throw new ProtocolError(
      'PROTOCOL_WRONG_FLEET',
      `manifest is for fleet '${m.fleet}', this device is in '${facts.fleet}'`,
    );
  if (m.expiresAt <= facts.now)
    throw new ProtocolError(
      'PROTOCOL_EXPIRED',
      `manifest ${m.sequence} expired at ${m.expiresAt} (now ${facts.now}); publish it again`,
    );
  if (m.sequence <= facts.installedSeq)
    throw new ProtocolError(
      'PROTOCOL_REPLAYED',
      `manifest sequence ${m.sequence} is not above the installed ${facts.installedSeq}; publish with a higher --sequence`,
    );
  if (m.patch.kind === 'delta' && m.precursor !== facts.currentImage)
    throw new ProtocolError(
      'PROTOCOL_WRONG_PRECURSOR',
      `the delta applies to ${m.precursor.slice(0, 19)}…, this device runs ${facts.currentImage?.slice(0, 19) ?? 'nothing'}…; it asked for a full image`,
    );
  return m;
}

/**
 * A SHA-256 port: pure JS (noble) by default; a host may lend a native one (node:crypto is about
 * 10x faster), which matters when every block of every device is hashed on arrival.
 */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/** Checks one block against the manifest: the right patch, an index in range, the expected
 * length and the signed per-block hash. Returns the bytes to write at index * blockSize. */
export function checkBlock(m: Manifest, block: BlockMessage, hash: Sha256 = sha256): Uint8Array {
  const { size, blockSize, digest, blockHashes } = m.patch;
  if (!equalBytes(block.digest, digest))
    throw new ProtocolError('PROTOCOL_BLOCK_MISMATCH', 'block belongs to another patch');
  const count = Math.ceil(size / blockSize);
  if (block.index >= count)
    throw new ProtocolError(
      'PROTOCOL_BLOCK_MISMATCH',
      `block ${block.index} is past the last (${count - 1})`,
    );
  const expected = block.index === count - 1 ? size - block.index * blockSize : blockSize;
  if (block.data.length !== expected)
    throw new ProtocolError(
      'PROTOCOL_BLOCK_MISMATCH',
      `block ${block.index} has ${block.data.length} bytes, expected ${expected}`,
    );
  const want = blockHashes.subarray(block.index * BLOCK_HASH_BYTES, (block.index + 1) * BLOCK_HASH_BYTES);
  if (!equalBytes(hash(block.data).subarray(0, BLOCK_HASH_BYTES), want))
    throw new ProtocolError(
      'PROTOCOL_BLOCK_MISMATCH',
      `block ${block.index} does not match the signed manifest's hash`,
    );
  return block.data;
}

/** What a publisher needs to describe a patch: its digest and per-block hashes. */
export function describePatch(
  patch: Uint8Array,
  blockSize: number,
  hash: Sha256 = sha256,
): { digest: Uint8Array; blockHashes: Uint8Array } {
  const count = Math.ceil(patch.length / blockSize);
  const blockHashes = new Uint8Array(count * BLOCK_HASH_BYTES);
  for (let i = 0; i < count; i++)
    blockHashes.set(
      hash(patch.subarray(i * blockSize, (i + 1) * blockSize)).subarray(0, BLOCK_HASH_BYTES),
      i * BLOCK_HASH_BYTES,
    );
  return { digest: hash(patch), blockHashes };
}
