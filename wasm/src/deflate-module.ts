// What the qjs-kernels bundle gets for delta/core/deflate's `./deflate.js` and `./inflate.js`
// (wasm/build.mjs): gzipDeflate, GZIP_LEVELS and inflateRaw with the same signatures, on the C
// `gzip-codec` kernel (one codec for the engine's life: its 0.45 MB is never given back).
import kernels from 'aloft:engine/kernels@0.1.0';
import { kernelCodec } from './deflate-kernel.js';

export { GZIP_LEVELS } from './deflate-kernel.js';
export const { gzipDeflate, inflateRaw } = kernelCodec(() => new kernels.GzipCodec());
