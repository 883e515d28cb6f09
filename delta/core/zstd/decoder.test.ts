import { decompress as fzstdDecompress } from 'fzstd';
import { describe, expect, it } from 'vitest';
import { Compressor } from 'zstd-napi';
import { noise } from '../../node/testing/fixtures.js';
import { isDeltaError } from '../errors.js';
import { bytesSource, concatBytes } from '../io.js';
import { CODEC_STORED, CODEC_ZSTD, StreamReader } from './reader.js';

const zstd = (bytes: Uint8Array, params: Record<string, number | boolean>): Uint8Array => {
  const c = new Compressor();
  c.setParameters({ contentSizeFlag: false, checksumFlag: false, ...params });
  return new Uint8Array(c.compress(bytes));
};

/** A reader of one zstd frame that decodes to `rawSize` bytes. */
const reader = (frame: Uint8Array, rawSize: number) =>
  new StreamReader(
    bytesSource(frame),
    { name: 't', codec: CODEC_ZSTD, offset: 0, compressedSize: frame.length, rawSize },
    1 << 24,
  );

const decode = (frame: Uint8Array, rawSize: number, chunk = 1 << 30): Uint8Array => {
  const r = reader(frame, rawSize);
  const parts: Uint8Array[] = [];
  while (r.remaining > 0) r.pipe(Math.min(chunk, r.remaining), (c) => parts.push(c.slice()));
  r.finish();
  return concatBytes(parts);
};

// Shapes that exercise every literal and sequence mode: text (Huffman, repeats), binary-like
// mostly-zero diffs (RLE, long matches), noise (raw blocks), and a mix across block borders.
const text = new TextEncoder().encode(
  Array.from({ length: 6000 }, (_, i) => `line ${i % 700} of the ${i % 3 ? 'quick' : 'lazy'} file\n`).join(
    '',
  ),
);
const sparse = Uint8Array.from(noise(600_000, 3), (b, i) => (i % 61 === 0 ? b : i % 4099 < 9 ? 7 : 0));
const mixed = concatBytes([noise(150_000, 5), text, sparse.subarray(0, 200_000), noise(70_000, 9), text]);
const periodic = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251);
// Runs of short periods (1-5 bytes) and lengths around the decoder's 32-byte copy-by-hand limit:
// overlapping matches, copied in doubling whole periods.
const runs = concatBytes(
  Array.from({ length: 400 }, (_, i) => {
    const period = noise(1 + (i % 5), i);
    const n = [31, 32, 33, 64, 65, 1000, 4999][i % 7];
    return concatBytes([
      noise(3, 100 + i),
      Uint8Array.from({ length: n }, (_, k) => period[k % period.length]),
    ]);
  }),
);
const inputs: Record<string, Uint8Array> = { text, sparse, mixed, periodic, runs, tiny: text.subarray(0, 5) };

describe('zstd decoder (own, allocation-free per block)', () => {
  for (const [name, data] of Object.entries(inputs))
    for (const level of [1, 3, 9, 19])
      it(`${name} at level ${level} decodes to the input, like fzstd`, () => {
        const frame = zstd(data, { compressionLevel: level, windowLog: 20 });
        const got = decode(frame, data.length, 40_000);
        expect(got.length).toBe(data.length);
        expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
        expect(Buffer.from(fzstdDecompress(frame)).equals(Buffer.from(data))).toBe(true);
      });

  it('small windows (offsets across many window shifts), checksums and content sizes', () => {
    for (const windowLog of [10, 12, 17]) {
      const frame = zstd(mixed, { compressionLevel: 19, windowLog, checksumFlag: true });
      expect(Buffer.from(decode(frame, mixed.length, 777)).equals(Buffer.from(mixed))).toBe(true);
    }
    const single = zstd(text, { compressionLevel: 5, contentSizeFlag: true });
    expect(Buffer.from(decode(single, text.length)).equals(Buffer.from(text))).toBe(true);
  });

  it('the reader holds a fixed footprint: window plus one block, whatever the stream length', () => {
    const big = concatBytes(Array.from({ length: 12 }, (_, i) => (i % 2 ? sparse : mixed)));
    const frame = zstd(big, { compressionLevel: 3, windowLog: 20 });
    const r = reader(frame, big.length);
    const before = r.footprint;
    expect(before).toBeLessThanOrEqual((1 << 20) + 4 * (128 << 10) + 64);
    let n = 0;
    r.pipe(big.length, (c) => {
      for (let i = 0; i < c.length; i += 4093)
        if (c[i] !== big[n + i]) throw new Error(`differs at ${n + i}`);
      n += c.length;
    });
    expect(n).toBe(big.length);
    expect(r.footprint).toBe(before);
  });

  it('corrupted frames end in a DeltaError, never a crash or a hang', () => {
    const frame = zstd(mixed, { compressionLevel: 9, windowLog: 18 });
    let seed = 1;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    let errors = 0;
    for (let k = 0; k < 300; k++) {
      const bad = frame.slice();
      for (let j = 0; j < 1 + (k % 4); j++) bad[6 + (rand() % (bad.length - 6))] ^= 1 << (rand() % 8);
      try {
        decode(bad, mixed.length);
      } catch (e) {
        expect(isDeltaError(e), String(e)).toBe(true);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(0);
  });

  it('read(n) returns copies of the next n bytes, within a block and across blocks', () => {
    const frame = zstd(mixed, { compressionLevel: 3, windowLog: 17 });
    for (const codec of ['zstd', 'stored'] as const) {
      const r =
        codec === 'zstd'
          ? reader(frame, mixed.length)
          : new StreamReader(
              bytesSource(mixed),
              {
                name: 't',
                codec: CODEC_STORED,
                offset: 0,
                compressedSize: mixed.length,
                rawSize: mixed.length,
              },
              1 << 24,
            );
      const parts: Uint8Array[] = [];
      for (let i = 0; r.remaining > 0; i++)
        parts.push(r.read(Math.min([1, 7, 0, 1000, 130_000][i % 5], r.remaining)));
      r.finish();
      // Copies: still the stream's bytes after every later read has moved the reader on.
      expect(Buffer.from(concatBytes(parts)).equals(Buffer.from(mixed)), codec).toBe(true);
      expect(() => r.read(1)).toThrow(/asks for 1 bytes but only 0 remain/);
    }
  });
});
