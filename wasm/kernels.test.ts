import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileAdapter } from './kernels.mjs';
import { type Adapter, type AdapterMemory, instantiateAdapter } from './testing/adapter.js';
import { noise } from './testing/layers.js';

// The C kernels as the engine runs them (adapter.c on a memory it does not own), driven directly:
// SHA-256 against node:crypto at every padding edge and across split updates.

let k: Adapter;
let memory: AdapterMemory;
let top = 1024;
// A bump allocator standing in for the engine's cabi_realloc (memory is never given back here).
const alloc = (n: number, align = 8) => {
  top = Math.ceil(top / align) * align;
  const p = top;
  top += n;
  const need = top - memory.buffer.byteLength;
  if (need > 0) memory.grow(Math.ceil(need / 65536));
  return p;
};
const put = (bytes: Uint8Array) => {
  const p = alloc(bytes.length || 1, 1);
  new Uint8Array(memory.buffer, p, bytes.length).set(bytes);
  return p;
};
const retList = (call: (retptr: number) => void) => {
  const ret = alloc(8);
  call(ret);
  const [ptr, len] = new Uint32Array(memory.buffer, ret, 2);
  return new Uint8Array(memory.buffer, ptr, len).slice();
};

beforeAll(async () => {
  k = await instantiateAdapter(await compileAdapter(), 2, alloc);
  memory = k.memory;
}, 60_000);

const kernelSha = (parts: Uint8Array[], ctx = k['sha256-new']()) => {
  for (const p of parts) k['sha256-update'](ctx, put(p), p.length);
  return Buffer.from(retList((r) => k['sha256-digest'](ctx, r))).toString('hex');
};
const nodeSha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('sha256 kernel', () => {
  it.each([0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 65_536 + 7])('%i bytes', (n) => {
    const b = noise(n, n + 1);
    expect(kernelSha([b])).toBe(nodeSha(b));
  });

  it('gives the same digest however the input is split', () => {
    const b = noise(200_003, 9);
    const cuts = [0, 1, 2, 63, 64, 130, 4096, 100_000, 200_003];
    const parts = cuts.slice(1).map((c, i) => b.subarray(cuts[i], c));
    expect(kernelSha(parts)).toBe(nodeSha(b));
  });

  it('starts over after a digest, so a context can be reused', () => {
    const ctx = k['sha256-new']();
    expect(kernelSha([noise(100, 1)], ctx)).toBe(nodeSha(noise(100, 1)));
    expect(kernelSha([noise(70, 2)], ctx)).toBe(nodeSha(noise(70, 2)));
    expect(kernelSha([], ctx)).toBe(nodeSha(new Uint8Array(0)));
  });
});
