// What the qjs-kernels bundle gets for delta/core/tar's `./header-sum.js` (wasm/build.mjs): the
// same sum from the C kernel (wasm/kernels/tar-sum.c), one call per header instead of a loop
// QuickJS interprets.
import kernels from 'aloft:engine/kernels@0.1.0';

/**
 * The unsigned sum of a 512-byte header's bytes (those at `at` in `block`), the checksum field
 * (148..155) counted as spaces. The kernel sums the last 512 bytes of what it gets: a header at
 * the end of `block` goes as it is, with no subarray.
 */
export const headerSum = (block: Uint8Array, at = 0): number =>
  kernels.tarHeaderSum(at + 512 === block.length ? block : block.subarray(at, at + 512));
