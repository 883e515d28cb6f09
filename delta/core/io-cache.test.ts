// pagedRegion (bspatch's OLD in the wasm engine): the same bytes as the region itself for any
// read, page boundaries included, and a bounded number of source reads for jumping patterns.
import { describe, expect, it } from 'vitest';
import { noise } from '../node/testing/fixtures.js';
import { bytesSource, type RandomAccess } from './io.js';
import { pagedRegion } from './io-cache.js';

function counting(bytes: Uint8Array): RandomAccess & { reads: number } {
  const src = bytesSource(bytes);
  const s = {
    size: bytes.length,
    views: true,
    reads: 0,
    read(offset: number, length: number) {
      s.reads++;
      return src.read(offset, length);
    },
  };
  return s;
}

describe('pagedRegion', () => {
  const all = noise((5 << 20) + 12345, 3);
  const offset = 777;
  const size = all.length - offset - 1000;

  it('reads what the region holds, within and across 1 MiB pages', () => {
    const src = counting(all);
    const region = pagedRegion(src, offset, size);
    expect(region.size).toBe(size);
    let x = 12345;
    for (let i = 0; i < 2000; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      const length = 1 + (x % 70_000);
      const pos = (x >>> 3) % (size - length);
      const got = region.read(pos, length);
      expect(got.length).toBe(length);
      expect(Buffer.from(got).equals(Buffer.from(all.subarray(offset + pos, offset + pos + length)))).toBe(
        true,
      );
    }
    // The region's last bytes: the last page is shorter than 1 MiB.
    expect(
      Buffer.from(region.read(size - 5, 5)).equals(
        Buffer.from(all.subarray(offset + size - 5, offset + size)),
      ),
    ).toBe(true);
  });

  it('keeps four pages: jumps among them read nothing more', () => {
    const src = counting(all);
    const region = pagedRegion(src, offset, size);
    for (let round = 0; round < 50; round++)
      for (const mib of [0, 3, 1, 2]) region.read(mib * (1 << 20) + 1000 + round * 100, 200);
    expect(src.reads).toBe(4);
    region.read(4 * (1 << 20) + 5, 10); // a fifth page drops the least recently used (page 0)
    region.read(3 * (1 << 20) + 5, 10);
    expect(src.reads).toBe(5);
    region.read(5, 10);
    expect(src.reads).toBe(6);
  });

  it('keeps as many pages as asked', () => {
    const src = counting(all);
    const region = pagedRegion(src, offset, size, 1);
    region.read(10, 10);
    region.read(20, 10);
    region.read((1 << 20) + 10, 10);
    region.read(30, 10);
    expect(src.reads).toBe(3);
  });
});
