import { Encoder } from 'cbor-x';
import { ProtocolError } from './errors.js';

// Plain RFC 8949 data items only: no cbor-x records (tag 105), no typed-array tags (64..87),
// no tag 259 around maps, and minimal map-length headers. Other CBOR decoders (the device's
// C side, cbor2, the COSE libraries) must read what we write.
// (useTag259ForMaps is a cbor-x option its typings omit.)
const encoder = new Encoder({
  useRecords: false,
  tagUint8Array: false,
  useTag259ForMaps: false,
  variableMapSize: true,
  mapsAsObjects: true,
} as ConstructorParameters<typeof Encoder>[0]);

// COSE headers use integer labels, so they decode into Maps (RFC 9052 §3).
const mapDecoder = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false });

/**
 * Encodes to a fresh plain Uint8Array. cbor-x hands back a Node Buffer view into its reusable
 * scratch space; copying costs little and keeps `.slice()` a real copy for every caller.
 */
export function encodeCbor(value: unknown): Uint8Array {
  return new Uint8Array(encoder.encode(value));
}

/**
 * Decodes one CBOR item of at most `maxBytes`. The size check comes first so an oversized
 * message never reaches the decoder; trailing bytes and truncated items are malformed.
 */
export function decodeCbor(bytes: Uint8Array, maxBytes: number, what: string, asMaps = false): unknown {
  if (!(bytes instanceof Uint8Array))
    throw new ProtocolError('PROTOCOL_MALFORMED', `${what}: not a byte string`);
  if (bytes.length > maxBytes)
    throw new ProtocolError(
      'PROTOCOL_OVERSIZED',
      `${what}: ${bytes.length} bytes exceeds the ${maxBytes}-byte limit`,
    );
  try {
    return (asMaps ? mapDecoder : encoder).decode(bytes);
  } catch (e) {
    throw new ProtocolError('PROTOCOL_MALFORMED', `${what}: not valid CBOR (${(e as Error).message})`);
  }
}
