// Test data for the zstd kernel's tests (wasm/zstd-*.test.ts).
import { noise } from './layers.js';

/**
 * Text-like bytes, deterministic from a seed: words drawn from a seeded list, so zstd makes
 * Huffman literals, FSE tables and matches near and far of them (noise would give raw blocks).
 */
export function corpus(n: number, seed: number): Uint8Array {
  const words = Buffer.from(noise(4096, seed))
    .toString('base64')
    .match(/.{1,7}/g) as string[];
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; ) {
    x = (x * 1103515245 + 12345) >>> 0;
    i += out.write(`${words[x % words.length]} `, i);
  }
  return out;
}
