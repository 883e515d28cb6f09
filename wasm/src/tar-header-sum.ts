// What the qjs-kernels bundle gets for delta/core/tar's `./header-sum.js` (wasm/build.mjs): the
// same sum from the C kernel (wasm/kernels/tar-sum.c), one call per header instead of a loop
// QuickJS interprets.
import kernels from 'aloft:engine/kernels@0.1.0';

/** The unsigned sum of a 512-byte header's bytes, the checksum field (148..155) counted as spaces. */
export const headerSum = (block: Uint8Array): number =>
  kernels.tarHeaderSum(block.length === 512 ? block : block.subarray(0, 512));
