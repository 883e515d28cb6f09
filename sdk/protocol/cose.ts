import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Tag } from 'cbor-x';
import { decodeCbor, encodeCbor } from './cbor.js';
import { ProtocolError } from './errors.js';
import { equalBytes } from './hex.js';

// COSE_Sign1 (RFC 9052 §4.2) with EdDSA/Ed25519 (RFC 9053 §2.2, alg -8):
//   18([ protected: bstr .cbor {1: -8, 4: kid}, unprotected: {}, payload: bstr, signature: bstr ])
// The signature covers Sig_structure = ["Signature1", protected, external_aad = h'', payload].
// The key id travels in the protected header, so swapping it invalidates the signature.

const COSE_SIGN1_TAG = 18;
const HEADER_ALG = 1;
const HEADER_KID = 4;
const ALG_EDDSA = -8;
export const KEY_ID_BYTES = 8;

/** A raw 32-byte Ed25519 public key and its id (the first 8 bytes of its sha256). */
export interface TrustedKey {
  readonly kid: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function keyId(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).slice(0, KEY_ID_BYTES);
}

export function trustedKey(publicKey: Uint8Array): TrustedKey {
  if (publicKey.length !== 32)
    throw new TypeError(`an Ed25519 public key is 32 bytes, got ${publicKey.length}`);
  return { kid: keyId(publicKey), publicKey };
}

function sigStructure(protectedHeader: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedHeader, new Uint8Array(0), payload]);
}

/** Signs `payload` with a raw 32-byte Ed25519 secret key; returns the tagged COSE_Sign1 bytes. */
export function signSign1(payload: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const publicKey = ed25519.getPublicKey(secretKey);
  const protectedHeader = encodeCbor(
    new Map<number, number | Uint8Array>([
      [HEADER_ALG, ALG_EDDSA],
      [HEADER_KID, keyId(publicKey)],
    ]),
  );
  const signature = ed25519.sign(sigStructure(protectedHeader, payload), secretKey);
  return encodeCbor(new Tag([protectedHeader, new Map(), payload, signature], COSE_SIGN1_TAG));
}

/**
 * Checks a COSE_Sign1 envelope and returns its payload. Order matters: size, shape, algorithm,
 * key id, then the signature; each failure has its own code so the device can report it.
 */
export function verifySign1(envelope: Uint8Array, keys: readonly TrustedKey[], maxBytes: number): Uint8Array {
  const item = decodeCbor(envelope, maxBytes, 'COSE_Sign1', true);
  // The tag is required: an untagged array could be any other COSE structure.
  const parts = item instanceof Tag && item.tag === COSE_SIGN1_TAG ? item.value : undefined;
  if (!Array.isArray(parts) || parts.length !== 4)
    throw new ProtocolError('PROTOCOL_MALFORMED', 'COSE_Sign1: expected tag 18 around a 4-element array');
  const [protectedHeader, , payload, signature] = parts;
  if (
    !(protectedHeader instanceof Uint8Array) ||
    !(payload instanceof Uint8Array) ||
    !(signature instanceof Uint8Array)
  )
    throw new ProtocolError(
      'PROTOCOL_MALFORMED',
      'COSE_Sign1: protected header, payload and signature must be byte strings',
    );
  const header = decodeCbor(protectedHeader, 256, 'COSE protected header', true);
  if (!(header instanceof Map) || header.get(HEADER_ALG) !== ALG_EDDSA)
    throw new ProtocolError(
      'PROTOCOL_MALFORMED',
      'COSE_Sign1: the protected header must name alg -8 (EdDSA)',
    );
  const kid = header.get(HEADER_KID);
  if (!(kid instanceof Uint8Array))
    throw new ProtocolError('PROTOCOL_MALFORMED', 'COSE_Sign1: the protected header must carry a kid');
  const key = keys.find((k) => equalBytes(k.kid, kid));
  if (!key)
    throw new ProtocolError(
      'PROTOCOL_UNKNOWN_KEY',
      'COSE_Sign1: signed by a key this device does not trust; add its public key to the device',
    );
  let ok = false;
  try {
    ok =
      signature.length === 64 &&
      ed25519.verify(signature, sigStructure(protectedHeader, payload), key.publicKey);
  } catch {
    ok = false;
  }
  if (!ok)
    throw new ProtocolError(
      'PROTOCOL_BAD_SIGNATURE',
      'COSE_Sign1: the signature does not verify; the manifest was forged or altered',
    );
  return payload;
}
