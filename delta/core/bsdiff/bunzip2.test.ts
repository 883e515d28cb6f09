import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bunzip2 } from './bunzip2.js';
import { isBsdiffError } from './errors.js';
import { concat, randomBytes, xorshift } from './testing/random.js';

// bzip2 is a host tool (scripts/packages); these tests use it only to make reference streams.
const bzip2 = (data: Uint8Array, level = 9): Uint8Array =>
  new Uint8Array(execFileSync('bzip2', [`-${level}`, '-c'], { input: data, maxBuffer: 1 << 28 }));
const big = { maxOutput: 1 << 28 };

/** vitest's toEqual walks typed arrays element by element, far too slowly for megabytes. */
const same = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isBsdiffError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('bunzip2', () => {
  const rnd = xorshift(5);
  const samples: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['one byte', Uint8Array.of(42)],
    ['four equal', Uint8Array.of(9, 9, 9, 9)],
    ['five equal', Uint8Array.of(9, 9, 9, 9, 9)],
    ['long run', new Uint8Array(100_000).fill(7)],
    [
      'runs of every length',
      concat(...Array.from({ length: 300 }, (_, i) => new Uint8Array(i).fill(i & 0xff))),
    ],
    ['random', randomBytes(rnd, 300_000)],
    ['small alphabet', randomBytes(rnd, 250_000, 3)],
    ['text', new TextEncoder().encode('the quick brown fox jumps over the lazy dog\n'.repeat(30_000))],
    [
      'multi-block',
      concat(randomBytes(rnd, 150_000, 16), new Uint8Array(200_000), randomBytes(rnd, 100_000)),
    ],
  ];
  for (const [name, data] of samples) {
    it(`decodes ${name} (${data.length} bytes) like bzip2 does`, () => {
      for (const level of [1, 9]) expect(same(bunzip2(bzip2(data, level), big), data)).toBe(true);
    });
  }

  it('decodes concatenated streams', () => {
    const a = randomBytes(rnd, 1000);
    const b = randomBytes(rnd, 2000, 4);
    expect(same(bunzip2(concat(bzip2(a), bzip2(b)), big), concat(a, b))).toBe(true);
  });

  it('stops at maxOutput with DELTA_LIMIT (decompression bomb)', () => {
    const bomb = bzip2(new Uint8Array(5_000_000));
    expect(bomb.length).toBeLessThan(200);
    expect(code(() => bunzip2(bomb, { maxOutput: 1_000_000 }))).toBe('DELTA_LIMIT');
    expect(bunzip2(bomb, { maxOutput: 5_000_000 }).length).toBe(5_000_000);
  });

  it('rejects every truncation with DELTA_CORRUPT', () => {
    const z = bzip2(randomBytes(rnd, 5000, 8));
    for (let cut = 0; cut < z.length; cut++)
      expect(code(() => bunzip2(z.subarray(0, cut), big))).toBe('DELTA_CORRUPT');
  });

  it('rejects trailing garbage and a bad header', () => {
    const z = bzip2(Uint8Array.of(1, 2, 3));
    expect(code(() => bunzip2(concat(z, Uint8Array.of(0)), big))).toBe('DELTA_CORRUPT');
    expect(code(() => bunzip2(new TextEncoder().encode('BZh0'), big))).toBe('DELTA_CORRUPT');
    expect(code(() => bunzip2(new TextEncoder().encode('PK\x03\x04'), big))).toBe('DELTA_CORRUPT');
  });

  it('turns every single-bit flip into an error or the CRC-verified original, never a hang', () => {
    const data = randomBytes(rnd, 600, 16);
    const z = bzip2(data);
    for (let bit = 0; bit < z.length * 8; bit++) {
      const m = z.slice();
      m[bit >> 3] ^= 0x80 >> (bit & 7);
      try {
        expect(same(bunzip2(m, { maxOutput: 1 << 20 }), data)).toBe(true);
      } catch (e) {
        expect(isBsdiffError(e)).toBe(true);
      }
    }
  });

  it('survives random garbage after a valid header', () => {
    for (let i = 0; i < 300; i++) {
      const junk = concat(new TextEncoder().encode('BZh91AY&SY'), randomBytes(rnd, 1 + (rnd() % 400)));
      expect(code(() => bunzip2(junk, { maxOutput: 1 << 20 }))).toMatch(/DELTA_(CORRUPT|UNSUPPORTED|LIMIT)/);
    }
  });
});
