import { describe, expect, it } from 'vitest';
import { Compressor } from 'zstd-napi';
import { mutate, xorshift } from '../core/bsdiff/testing/random.js';
import { bytesSource, concatBytes } from '../core/io.js';
import { CODEC_ZSTD, StreamReader } from '../core/zstd/index.js';
import { jobSize, OVERLAP_LOG, zstdCompress } from './compress.js';

// toEqual walks a typed array element by element (seconds per MB): compare as buffers.
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

const decode = (frame: Uint8Array, rawSize: number): Uint8Array => {
  const spec = { name: 't', codec: CODEC_ZSTD, offset: 0, compressedSize: frame.length, rawSize };
  const r = new StreamReader(bytesSource(frame), spec, 1 << 24);
  const parts: Uint8Array[] = [];
  while (r.remaining > 0) r.pipe(r.remaining, (c) => parts.push(c.slice()));
  r.finish();
  return concatBytes(parts);
};

// A diff-stream-like input: long zero runs with sparse differences, and text that repeats
// (level 19 is slow on anything noisier: this keeps the test at seconds).
const input = (size: number): Uint8Array => {
  const rnd = xorshift(7);
  const out = new Uint8Array(size);
  for (let i = 0; i < size >> 1; i += 1 + (rnd() % 4000)) out[i] = rnd();
  const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog '.repeat(1000));
  for (let at = size >> 1; at < size; at += text.length)
    out.set(mutate(rnd, text, 20).subarray(0, size - at), at);
  return out;
};

describe('zstdCompress', () => {
  it('cuts big streams into jobs as a function of size alone', () => {
    expect(jobSize(3 << 20)).toBe(Math.ceil((3 << 20) / 2));
    expect(jobSize(5 << 20)).toBe(Math.ceil((5 << 20) / 2));
    expect(jobSize(40 << 20)).toBe(8 << 20);
  });

  it('writes one frame that the device decoder reads, the same bytes for any thread count', () => {
    const bytes = input(2.5 * (1 << 20));
    const frame = zstdCompress(bytes);
    expect(same(decode(frame, bytes.length), bytes)).toBe(true);
    expect(same(zstdCompress(bytes), frame)).toBe(true);
    for (const nbWorkers of [1, 3]) {
      const c = new Compressor();
      c.setParameters({
        compressionLevel: 19,
        windowLog: 20,
        contentSizeFlag: false,
        checksumFlag: false,
        nbWorkers,
        jobSize: jobSize(bytes.length),
        overlapLog: OVERLAP_LOG,
      });
      expect(same(c.compress(bytes), frame)).toBe(true);
    }
  });

  it('compresses small streams on one thread, as before', () => {
    const bytes = input(300_000);
    const c = new Compressor();
    c.setParameters({ compressionLevel: 19, windowLog: 20, contentSizeFlag: false, checksumFlag: false });
    expect(same(zstdCompress(bytes), c.compress(bytes))).toBe(true);
  });
});
