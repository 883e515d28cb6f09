// SHA-256 throughput alone, by CPU time: the C kernel as the component runs it (the adapter
// module, wasm/kernels/adapter.c, on a memory of its own, fed 64 KiB pieces as apply does)
// against node:crypto (SHA-NI on CPUs that have it). Apply hashes every rebuilt byte (the layer's
// digest) and each changed file again, so bytes hashed / the kernel's speed is a floor under the
// component's apply time that no other work can lower (bench/wasm.ts prints it).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Kernels from '../kernels.mjs';
import { type Adapter, instantiateAdapter } from './adapter.js';
import { noise } from './layers.js';

const PIECE = 1 << 16;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export interface HashSpeed {
  /** MB/s by CPU time, medians of `rounds` after as many warm-up rounds. */
  readonly kernelMBs: number;
  readonly nodeMBs: number;
}

/** Hashes `mib` MiB `rounds` times with each, alternating; checks both give the same digest. */
export async function sha256Speed(root: string, mib = 4, rounds = 9): Promise<HashSpeed> {
  const kernels: typeof Kernels = await import(pathToFileURL(join(root, 'wasm/kernels.mjs')).href);
  const size = mib << 20;
  // A bump allocator stands in for the engine's cabi_realloc (a few contexts and digests).
  let top = size + 1024;
  const alloc = (n: number, align: number) => {
    top = Math.ceil(top / align) * align + n;
    if (top > k.memory.buffer.byteLength) throw new Error('hash-speed: out of memory');
    return top - n;
  };
  const k: Adapter = await instantiateAdapter(await kernels.compileAdapter(), (size >> 16) + 2, alloc);
  const memory = k.memory;
  const data = new Uint8Array(memory.buffer, 0, size);
  data.set(noise(size, 7));
  const ctx = k['sha256-new']();
  const ret = alloc(8, 8);
  const kernelHex = () => {
    for (let o = 0; o < size; o += PIECE) k['sha256-update'](ctx, o, Math.min(PIECE, size - o));
    k['sha256-digest'](ctx, ret);
    const [ptr] = new Uint32Array(memory.buffer, ret, 1);
    return Buffer.from(new Uint8Array(memory.buffer, ptr, 32)).toString('hex');
  };
  const nodeHex = () => createHash('sha256').update(data).digest('hex');
  const kernelMs: number[] = [];
  const nodeMs: number[] = [];
  // The first rounds run V8's baseline wasm code, until the kernel is tiered up: not counted.
  for (let r = 0; r < 2 * rounds; r++) {
    const c0 = cpuMs();
    const a = kernelHex();
    const c1 = cpuMs();
    const b = nodeHex();
    const c2 = cpuMs();
    if (a !== b) throw new Error(`hash-speed: the kernel's digest ${a} is not node:crypto's ${b}`);
    if (r >= rounds) {
      kernelMs.push(c1 - c0);
      nodeMs.push(c2 - c1);
    }
  }
  const mbs = (ms: number) => size / 1e3 / Math.max(ms, 1e-3);
  return { kernelMBs: mbs(median(kernelMs)), nodeMBs: mbs(median(nodeMs)) };
}
