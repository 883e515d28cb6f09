// The header checksum's sum, a module of its own so that the wasm build can take it from a C
// kernel (wasm/build.mjs resolves it to wasm/src/tar-header-sum.ts): QuickJS ran this loop at
// ~11 us a header, a fifth of reading OLD's layout.

/**
 * The unsigned sum of a 512-byte header's bytes (those at `at` in `block`), the checksum field
 * (148..155) counted as spaces.
 */
export function headerSum(block: Uint8Array, at = 0): number {
  // Four bytes a step: two bytes summed per 16-bit lane, which 128 words cannot overflow (Int32
  // and `| 0`: small ints in any engine).
  const aligned = (block.byteOffset + at) % 4 === 0;
  const b = aligned ? block : block.slice(at, at + 512);
  const o = aligned ? at : 0;
  const words = new Int32Array(b.buffer, b.byteOffset + o, 128);
  let sums = 0;
  for (let i = 0; i < 128; i++) sums = (sums + (words[i] & 0xff00ff) + ((words[i] >>> 8) & 0xff00ff)) | 0;
  let unsigned = (sums & 0xffff) + (sums >>> 16) + 8 * 0x20;
  for (let i = 148; i < 156; i++) unsigned -= b[o + i];
  return unsigned;
}
