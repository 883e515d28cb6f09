// The C tar-walk kernel (wasm/kernels/tar-walk.c), which the qjs-kernels bundle uses for
// delta/core/tar/walk-plain.ts, walks exactly as the TypeScript does: on tars GNU tar writes in
// each format, and on headers mutated in every field the walk reads (checksum, size, type, the
// first byte) and cut at every limit.
import { beforeAll, describe, expect, it } from 'vitest';
import { type PlainWalk, walkPlain } from '../delta/core/tar/walk-plain.js';
import { gnuTarBytes, noise } from '../delta/node/testing/fixtures.js';
import { compileAdapter } from './kernels.mjs';
import { type Adapter, instantiateAdapter } from './testing/adapter.js';

const AT = 1 << 16;
let k: Adapter;
let top: number;

beforeAll(async () => {
  k = await instantiateAdapter(await compileAdapter(), 64, (n, align) => {
    top = Math.ceil(top / align) * align + n;
    return top - n;
  });
});

/** The kernel's walk of `buf` from `at`, as walkPlain returns it. */
function kernelWalk(buf: Uint8Array, at: number, limit: number, metaFrom: number): PlainWalk {
  top = AT + buf.length + 64;
  new Uint8Array(k.memory.buffer, AT, buf.length).set(buf);
  const ret = top;
  top += 16;
  k['tar-walk'](AT, buf.length, at, limit, metaFrom, ret);
  const [spans, n, meta, m] = new Uint32Array(k.memory.buffer, ret, 4);
  return {
    spans: [...new Uint32Array(k.memory.buffer, spans, n)],
    meta: new Uint8Array(k.memory.buffer, meta, m).slice(),
  };
}

/** Both walks, from `at` with the meta from `metaFrom` (default: a block before, when there is one). */
const same = (buf: Uint8Array, at: number, limit: number, metaFrom = Math.max(0, at - 512)) => {
  const want = walkPlain(buf, at, limit, metaFrom);
  const got = kernelWalk(buf, at, limit, metaFrom);
  const spans = Array.from(want.spans);
  expect(got.spans).toEqual(spans);
  expect(got.meta).toEqual(want.meta);
  // The meta is every byte from metaFrom to the last data start that is not data.
  let gap = 0;
  let from = metaFrom;
  for (let i = 1; i < spans.length; i += 2)
    if (spans[i + 1] > 0) {
      gap += spans[i] - from;
      from = spans[i] + spans[i + 1];
    }
  expect(want.meta.length).toBe(gap);
  return spans;
};

const tree = {
  'a/b.txt': noise(700, 1),
  'a/empty': new Uint8Array(0),
  'c.bin': noise(5000, 2),
  [`${'long/'.repeat(30)}name`]: noise(10, 3),
  'd/e/f.txt': noise(512, 4),
};

describe('tar-walk kernel', () => {
  for (const format of ['gnu', 'posix', 'ustar'] as const) {
    it(`walks a ${format} tar as walk-plain.ts does, from every header and at every limit`, () => {
      const tar = gnuTarBytes(tree, format);
      let walked = 0;
      for (let at = 0; at + 512 <= tar.length; at += 512) {
        // posix tars start entries with pax records, gnu's long name has one: the walk stops there.
        walked += same(tar, at, tar.length)[0] > at ? 1 : 0;
        same(tar, at, at + 512 + 700);
        same(tar.subarray(0, Math.min(tar.length, at + 1024)), at, tar.length);
      }
      expect(walked).toBeGreaterThan(2);
    });
  }

  it('stops where walk-plain.ts stops on mutated headers', () => {
    const tar = gnuTarBytes(
      { 'x.txt': noise(100, 5), 'y.txt': noise(3000, 6), 'z.txt': noise(1, 7) },
      'ustar',
    );
    // The fields the walk reads, and bytes around them; every value a field's byte can take.
    const fields = [
      0, 1, 123, 124, 125, 130, 133, 134, 135, 136, 147, 148, 150, 153, 154, 155, 156, 157, 257, 511,
    ];
    const values = [
      0, 0x20, 0x2f, 0x30, 0x37, 0x38, 0x39, 0x4b, 0x4c, 0x4e, 0x53, 0x67, 0x78, 0x7f, 0x80, 0xff,
    ];
    let stops = 0;
    for (const field of fields)
      for (const v of values) {
        const b = tar.slice();
        b[field] = v;
        const r = same(b, 0, b.length);
        if (r[0] === 0) stops++;
        // The same byte in the second header, where the first one walks.
        const second = 512 + 512 * Math.ceil(100 / 512);
        const c = tar.slice();
        c[second + field] = v;
        same(c, 0, c.length);
      }
    expect(stops).toBeGreaterThan(50);
    // Random headers: nothing walks, both ways.
    for (let i = 0; i < 100; i++) expect(same(noise(2048, 900 + i), 0, 2048)[0]).toBe(0);
  });

  it('gives sizes in both shapes of the size field, and none for types that carry no data', () => {
    const tar = gnuTarBytes({ 'f.bin': noise(1025, 8) }, 'ustar');
    const first = same(tar, 0, tar.length);
    // The directory '.' (no data), then f.bin's 1025 bytes: the walk ends at the end marker.
    expect(first).toEqual([512 + 512 + 1536, 512, 0, 1024, 1025]);
    // node-tar's shape: ten digits, a space, a NUL (the checksum is fixed up to match).
    const b = tar.slice();
    const h = 512;
    b.set(new TextEncoder().encode('0000002001 \0'), h + 124);
    let sum = 8 * 0x20;
    for (let i = 0; i < 512; i++) if (i < 148 || i >= 156) sum += b[h + i];
    b.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), h + 148);
    const r = same(b, h, b.length);
    expect(r.slice(1, 3)).toEqual([h + 512, 1025]);
  });
});
