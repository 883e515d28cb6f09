// A bitmap over a patch's blocks, bit i of byte i>>3 (LSB first). Devices keep the blocks they
// HAVE on disk; repair requests carry the blocks they MISS. Both are one byte per 8 blocks.

export function emptyBitmap(blocks: number): Uint8Array {
  return new Uint8Array(Math.ceil(blocks / 8));
}

export function hasBit(map: Uint8Array, i: number): boolean {
  return (map[i >> 3] & (1 << (i & 7))) !== 0;
}

export function setBit(map: Uint8Array, i: number): void {
  map[i >> 3] |= 1 << (i & 7);
}

export function countBits(map: Uint8Array, blocks: number): number {
  let n = 0;
  for (let i = 0; i < blocks; i++) if (hasBit(map, i)) n++;
  return n;
}

/** The complement over `blocks`: what a device still lacks, as sent in a repair request. */
export function invertBitmap(map: Uint8Array, blocks: number): Uint8Array {
  const out = emptyBitmap(blocks);
  for (let i = 0; i < blocks; i++) if (!hasBit(map, i)) setBit(out, i);
  return out;
}

export function* setIndices(map: Uint8Array, blocks: number): Generator<number> {
  for (let i = 0; i < blocks; i++) if (hasBit(map, i)) yield i;
}
