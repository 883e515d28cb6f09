// What the qjs-kernels bundle gets for delta/core/deflate's `./deflate.js`, `./inflate.js` and
// `./crc32.js` (wasm/build.mjs): gzipDeflate, GZIP_LEVELS, inflateRaw and crc32 with the same
// signatures, on the C `gzip-codec` kernel (one codec for the engine's life: its 0.45 MB is never
// given back).
import kernels from 'aloft:engine/kernels@0.1.0';
import { kernelCodec } from './deflate-kernel.js';

export { GZIP_LEVELS } from './deflate-kernel.js';
export const { gzipDeflate, inflateRaw, crc32 } = kernelCodec(() => new kernels.GzipCodec());
