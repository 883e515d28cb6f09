export {
  admitManifest,
  checkBlock,
  type DeviceFacts,
  describePatch,
  openManifest,
  type Sha256,
  signManifest,
} from './admit.js';
export { countBits, emptyBitmap, hasBit, invertBitmap, setBit, setIndices } from './bitmap.js';
export { decodeCbor, encodeCbor } from './cbor.js';
export { KEY_ID_BYTES, keyId, signSign1, type TrustedKey, trustedKey, verifySign1 } from './cose.js';
export { isProtocolError, ProtocolError, type ProtocolErrorCode } from './errors.js';
export { equalBytes, fromHex, toHex } from './hex.js';
export { BLOCK_HASH_BYTES, DEFAULT_BLOCK_SIZE, LIMITS, MAX_BLOCK_SIZE, MAX_BLOCKS } from './limits.js';
export {
  blockCount,
  MANIFEST_VERSION,
  type Manifest,
  manifestFromWire,
  manifestToWire,
  PATCH_KINDS,
  type PatchKind,
  STRATEGIES,
  type Strategy,
} from './manifest.js';
export {
  type BlockMessage,
  type DeviceState,
  decodeBlock,
  decodeFullImageRequest,
  decodeRepair,
  decodeState,
  encodeBlock,
  encodeFullImageRequest,
  encodeRepair,
  encodeState,
  type FullImageRequest,
  PHASES,
  type Phase,
  type RepairRequest,
} from './messages.js';
export { topics } from './topics.js';
