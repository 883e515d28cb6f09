// The C tar-header-sum kernel (wasm/kernels/tar-sum.c), which the qjs-kernels bundle uses for
// delta/core/tar/header-sum.ts, gives the TypeScript sum on real headers and on any 512 bytes.
import { describe, expect, it } from 'vitest';
import { headerSum } from '../delta/core/tar/header-sum.js';
import { gnuTarBytes, noise } from '../delta/node/testing/fixtures.js';
import { compileAdapter } from './kernels.mjs';
import { instantiateAdapter } from './testing/adapter.js';

describe('tar-header-sum kernel', () => {
  it('sums like delta/core on real headers and random blocks', async () => {
    let top = 1 << 16;
    const k = await instantiateAdapter(await compileAdapter(), 4, (n, align) => {
      top = Math.ceil(top / align) * align + n;
      return top - n;
    });
    const blocks: Uint8Array[] = [];
    const tar = gnuTarBytes({ 'a/b.txt': noise(700, 1), [`${'long/'.repeat(30)}name`]: noise(10, 2) });
    for (let o = 0; o + 512 <= tar.length; o += 512) blocks.push(tar.subarray(o, o + 512));
    for (let i = 0; i < 200; i++) blocks.push(noise(512, 100 + i));
    blocks.push(new Uint8Array(512).fill(255), new Uint8Array(512));
    const at = 1024;
    for (const b of blocks) {
      new Uint8Array(k.memory.buffer, at, 512).set(b);
      expect(k['tar-header-sum'](at, 512)).toBe(headerSum(b));
    }
    // A longer list ends with the header (delta/core's scan hands over the padding before it).
    for (const [i, b] of blocks.entries()) {
      const pad = noise(1 + ((i * 37) % 511), 500 + i);
      new Uint8Array(k.memory.buffer, at, pad.length).set(pad);
      new Uint8Array(k.memory.buffer, at + pad.length, 512).set(b);
      expect(k['tar-header-sum'](at, pad.length + 512)).toBe(headerSum(b));
    }
  });
});
