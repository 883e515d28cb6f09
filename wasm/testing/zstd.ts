// Test helpers for the zstd kernel (wasm/zstd-*.test.ts): text that zstd compresses with every
// kind of block, and the kernel module driven from JS as the engine's lowered imports call it.
import { compileZstd } from '../kernels.mjs';
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

// The project's lib (ES2023, no DOM) leaves out the WebAssembly namespace Node provides.
declare const WebAssembly: {
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer; grow(pages: number): number };
  instantiate(
    bytes: Uint8Array,
    imports: object,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

export interface ZstdKernel {
  'zstd-new'(capacity: number): number;
  'zstd-reset'(self: number, window: number): number;
  'zstd-block'(self: number, wire: number, len: number, room: number, retptr: number): void;
}

export interface LoadedZstdKernel {
  readonly k: ZstdKernel;
  /** The memory's bytes now (a new view after any growth). */
  bytes(): Uint8Array;
  /** Every block cabi_realloc handed out, [address, size], in order. */
  readonly blocks: [number, number][];
  /** The kernel's cabi_realloc: a bump allocator above the first 64 KiB (the "engine's"). */
  alloc(n: number, align: number): number;
  /** zstd-block on `wire` (copied into the memory): the decoded bytes, or the err code. */
  block(self: number, wire: Uint8Array, room: number): Uint8Array | number;
}

/**
 * The kernel (compileZstd) instantiated on a fresh memory; with `canary`, every byte of it
 * (growth included) starts as that value, so writes outside the handed-out blocks show.
 */
export async function loadZstdKernel(canary?: number): Promise<LoadedZstdKernel> {
  const memory = new WebAssembly.Memory({ initial: 4 });
  const bytes = () => new Uint8Array(memory.buffer);
  if (canary !== undefined) bytes().fill(canary);
  const blocks: [number, number][] = [];
  let top = 1 << 16;
  const alloc = (n: number, align: number) => {
    top = Math.ceil(top / align) * align;
    const at = top;
    top += n;
    while (top > memory.buffer.byteLength) {
      const before = memory.buffer.byteLength;
      memory.grow(16);
      if (canary !== undefined) bytes().fill(canary, before);
    }
    blocks.push([at, n]);
    return at;
  };
  const { instance } = await WebAssembly.instantiate(await compileZstd(), {
    env: { memory, cabi_realloc: (_o: number, _s: number, align: number, n: number) => alloc(n, align) },
  });
  const k = instance.exports as unknown as ZstdKernel;
  const ret = alloc(12, 4);
  let wire = 0;
  let wireSize = 0;
  const block = (self: number, input: Uint8Array, room: number) => {
    if (input.length > wireSize) {
      wireSize = Math.max(input.length, 1 << 17);
      wire = alloc(wireSize, 8);
    }
    bytes().set(input, wire);
    k['zstd-block'](self, wire, input.length, room, ret);
    const view = new DataView(memory.buffer);
    if (view.getUint8(ret) !== 0) return view.getUint32(ret + 4, true);
    const at = view.getUint32(ret + 4, true);
    return bytes().slice(at, at + view.getUint32(ret + 8, true));
  };
  return { k, bytes, blocks, alloc, block };
}
