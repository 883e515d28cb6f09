import { describe, expect, it, vi } from 'vitest';
import { compress } from 'zstd-napi';
import { bytesSource, concatBytes } from '../delta/core/io.js';
import { CODEC_ZSTD, StreamReader } from '../delta/core/zstd/index.js';
import { corpus } from './testing/zstd.js';

// wasm/src/zstd-decoder.ts in Node: delta/core's StreamReader with the C kernel behind it, as in
// the component, but with the kernel driven from JS (the WIT import mocked by a class over the
// real module), so the decoder pool can be watched: how many kernel decoders exist, reuse across
// streams, a bound when streams are abandoned, and what a taken-back decoder's owner gets.

const made: number[] = [];

vi.mock('aloft:engine/kernels@0.1.0', async () => {
  const { loadZstdKernel } = await import('./testing/zstd.js');
  const z = await loadZstdKernel();
  class Zstd {
    private readonly self: number;
    constructor(capacity: number) {
      made.push(capacity);
      this.self = z.k['zstd-new'](capacity);
    }
    reset(window: number): boolean {
      return z.k['zstd-reset'](this.self, window) === 1;
    }
    block(wire: Uint8Array, room: number): Uint8Array {
      const got = z.block(this.self, wire, room);
      if (typeof got === 'number') throw got; // as componentize-qjs throws a result's err
      return got;
    }
  }
  return { default: { Zstd } };
});
vi.mock('../delta/core/zstd/decoder.js', () => import('./src/zstd-decoder.js'));

const data = corpus(600_000, 3);
const frame = new Uint8Array(compress(data, { compressionLevel: 9, windowLog: 18, contentSizeFlag: false }));

const reader = (f = frame, rawSize = data.length) =>
  new StreamReader(
    bytesSource(f),
    { name: 'diff', codec: CODEC_ZSTD, offset: 0, compressedSize: f.length, rawSize },
    1 << 24,
  );

const readAll = (r: StreamReader, chunk = 70_000) => {
  const parts: Uint8Array[] = [];
  while (r.remaining > 0) r.pipe(Math.min(chunk, r.remaining), (c) => parts.push(c.slice()));
  r.finish();
  return concatBytes(parts);
};

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
};

describe('ZstdDecoder over the C kernel (wasm/src/zstd-decoder.ts)', () => {
  it('reads streams through StreamReader exactly, reusing one kernel decoder', () => {
    const before = made.length;
    for (let i = 0; i < 5; i++) expect(Buffer.compare(readAll(reader(), 1 + i * 40_000), data)).toBe(0);
    expect(made.length - before).toBeLessThanOrEqual(1);
    expect(made.length).toBeGreaterThan(0); // the kernel decoded them, not delta/core's decoder
  });

  it('leases on the first block: a reader made but never read holds no decoder', () => {
    const before = made.length;
    for (let i = 0; i < 20; i++) reader();
    expect(made.length).toBe(before);
  });

  it('keeps the pool bounded when streams are abandoned half-read', () => {
    readAll(reader());
    const before = made.length;
    for (let i = 0; i < 30; i++) reader().read(1000); // never finished, never returned
    expect(made.length - before).toBeLessThanOrEqual(8);
    expect(Buffer.compare(readAll(reader()), data)).toBe(0);
  });

  it('gives a stream that outlived its lease a typed error, not another stream bytes', () => {
    const open = Array.from({ length: 9 }, () => reader());
    for (const r of open) r.read(1000); // nine leases of one size class: the ninth takes the first's
    expect(codeOf(() => readAll(open[0]))).toMatch(
      /^DELTA_DECOMPRESS: stream diff: zstd: decoder taken back/,
    );
    for (const r of open.slice(1)) expect(readAll(r).length).toBe(data.length - 1000);
  });

  it('turns kernel errors into DELTA_DECOMPRESS and frees the decoder', () => {
    const bad = frame.slice();
    bad[bad.length >> 1] ^= 0xff;
    bad[(bad.length >> 1) + 1] ^= 0x55;
    const before = made.length;
    for (let i = 0; i < 10; i++)
      expect(codeOf(() => readAll(reader(bad)))).toMatch(/^DELTA_DECOMPRESS: stream diff: zstd: /);
    expect(made.length - before).toBeLessThanOrEqual(1);
    expect(Buffer.compare(readAll(reader()), data)).toBe(0);
  });

  it('sizes decoders by content when the content fits the window (small streams, big windows)', async () => {
    const { ZstdDecoder, capacityFor } = await import('./src/zstd-decoder.js');
    expect(capacityFor(1 << 24, 3000)).toBe(1 << 16);
    expect(capacityFor(1 << 20, 50 << 20)).toBe((1 << 20) + (1 << 18));
    expect(new ZstdDecoder(1 << 24, 3000).footprint).toBeLessThan(200_000);
    const small = corpus(3000, 4);
    const f = new Uint8Array(compress(small, { compressionLevel: 3, windowLog: 24, contentSizeFlag: false }));
    const before = made.length;
    expect(Buffer.compare(readAll(reader(f, small.length)), small)).toBe(0);
    expect(made.slice(before).every((c) => c <= 1 << 16)).toBe(true);
  });
});
