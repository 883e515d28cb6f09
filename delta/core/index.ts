// The pure delta core: tar layout, patch format, create and streaming apply. No I/O: adapters in
// delta/node (and the wasm component) fill the ports (RandomAccess, Sha256Factory, Compress).
export { DeltaError, type DeltaErrorCode, hex, isDeltaError, sameBytes } from './errors.js';
export { pureSha256, type Sha256, type Sha256Factory, sha256Of } from './hash.js';
export { ByteBuilder, bytesSource, concatBytes, type RandomAccess } from './io.js';
export * from './patch/index.js';
export * from './tar/index.js';
export { CODEC_STORED, CODEC_ZSTD, StreamReader, type StreamSpec } from './zstd/index.js';
