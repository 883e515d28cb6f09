import { execFileSync } from 'node:child_process';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isDeltaError, sameBytes } from '../errors.js';
import { concatBytes } from '../io.js';
import { gzipDeflate } from './deflate.js';
import { crc32, gunzipMember, gzipRebuild, gzipRecipe } from './gzip.js';
import { inflateRaw } from './inflate.js';
import { dynamicThenStored } from './testing/streams.js';

// The reference is the real GNU gzip (Debian's /usr/bin/gzip): our encoder must match it byte
// for byte, so every case here is made by the program itself.
const gzip = (data: Uint8Array, level: number): Uint8Array =>
  new Uint8Array(execFileSync('gzip', [`-${level}`, '-n', '-c'], { input: data, maxBuffer: 1 << 28 }));

const rng = (seed: number) => {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
};
const noise = (n: number, seed: number) => {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => r() & 0xff);
};
const WORDS =
  'the of and to in is that for it as with was on be by at this had not are but from or have an'.split(' ');
const text = (n: number, seed: number) => {
  const r = rng(seed);
  let s = '';
  while (s.length < n)
    s += `${WORDS[r() % WORDS.length]}${r() % 11 === 0 ? '.\n' : ' '}${r() % 97 === 0 ? r() : ''}`;
  return new TextEncoder().encode(s.slice(0, n));
};
const concat = (...parts: Uint8Array[]) => concatBytes(parts);

const cases: [string, Uint8Array][] = [
  ['empty', new Uint8Array(0)],
  ['one byte', Uint8Array.of(65)],
  ['two bytes', Uint8Array.of(0, 0)],
  ['short text', new TextEncoder().encode('hello hello hello world\n')],
  ['incompressible 100 KiB', noise(100 << 10, 1)],
  ['1 MiB of zeros', new Uint8Array(1 << 20)],
  ['long runs', Uint8Array.from({ length: 300_000 }, (_, i) => (i >> 12) & 0xff)],
  ['text 70 KiB', text(70 << 10, 2)],
  ['text 1.5 MiB', text(3 << 19, 3)],
  ['text then noise then text', concat(text(40_000, 4), noise(50_000, 5), text(90_000, 4))],
  ['window edge 65536', text(65536, 6)],
  ['window edge 65274', text(65274, 7)],
  ['window edge 32768+1', text(32769, 8)],
  ['repeated noise block', concat(noise(20_000, 9), noise(20_000, 9), noise(20_000, 9))],
];

const deflateAll = (data: Uint8Array, level: number) => {
  const parts: Uint8Array[] = [];
  gzipDeflate(data, level, (c) => parts.push(c));
  return concat(...parts);
};

describe('gzipDeflate reproduces GNU gzip byte for byte', () => {
  for (const level of [9, 6]) {
    it(`level ${level}: every generated input`, () => {
      for (const [name, data] of cases) {
        const ref = gzip(data, level);
        const body = ref.subarray(10, ref.length - 8);
        expect(sameBytes(deflateAll(data, level), body), `${name} at -${level}`).toBe(true);
      }
    });
  }

  it('levels 4, 5, 7 and 8 on text', () => {
    const data = concat(text(80_000, 11), noise(3000, 12), text(50_000, 13));
    for (const level of [4, 5, 7, 8]) {
      const ref = gzip(data, level);
      expect(deflateAll(data, level), `-${level}`).toEqual(ref.subarray(10, ref.length - 8));
    }
  });

  it('gzipRecipe finds the level and gzipRebuild gives back the exact member', () => {
    const data = text(200_000, 21);
    for (const level of [9, 6]) {
      const gz = gzip(data, level);
      const r = gzipRecipe(gz, 1 << 24);
      expect(r?.level).toBe(level);
      const parts: Uint8Array[] = [];
      gzipRebuild(r as NonNullable<typeof r>, (c) => parts.push(c));
      expect(concat(...parts)).toEqual(gz);
    }
  });

  it('a member from another encoder is not claimed', () => {
    // zlib's deflate differs from gzip 1.x from the first block on text like this.
    const data = text(100_000, 31);
    const gz = gzip(data, 9);
    const forged = gz.slice();
    forged[forged.length - 12] ^= 1; // a different stream: not ours, whatever it inflates to
    expect(gzipRecipe(forged, 1 << 24)).toBeUndefined();
  });
});

describe('inflate', () => {
  it('round-trips gzip output at every size class', () => {
    for (const [name, data] of cases) {
      const gz = gzip(data, 9);
      expect(sameBytes(gunzipMember(gz, 1 << 24), data), name).toBe(true);
      expect(crc32(data)).toBe(new DataView(gz.buffer, gz.byteOffset).getUint32(gz.length - 8, true));
    }
  });

  it('stops at the ceiling: a bomb is an error, not memory', () => {
    const gz = gzip(new Uint8Array(4 << 20), 9);
    let err: unknown;
    try {
      gunzipMember(gz, 1 << 20);
    } catch (e) {
      err = e;
    }
    expect(isDeltaError(err) && /more than/.test(String(err))).toBe(true);
    expect(() => gunzipMember(gz, 1 << 24, 1000)).toThrow(/more than 1000/);
  });

  it('every truncation and many corruptions end in a DeltaError or a checked result', () => {
    const data = text(20_000, 41);
    const gz = gzip(data, 9);
    for (let n = 0; n < gz.length; n += 7) expect(() => gunzipMember(gz.subarray(0, n), 1 << 20)).toThrow();
    const r = rng(5);
    for (let i = 0; i < 300; i++) {
      const m = gz.slice();
      m[10 + (r() % (m.length - 18))] ^= 1 << (r() & 7);
      try {
        expect(gunzipMember(m, 1 << 20)).toEqual(data);
      } catch (e) {
        expect(isDeltaError(e), String(e)).toBe(true);
      }
    }
    expect(() => inflateRaw(Uint8Array.of(0xff, 0xff), 0, 100)).toThrow(/deflate data/);
  });

  it('a stored block after a Huffman block starts after the bytes the end code peeked', () => {
    // zlib is the reference: the stored block's length sits at the byte after the header bits.
    for (let count = 0; count < 16; count++) {
      const stream = dynamicThenStored(count, [7, 8, 9]);
      const expected = new Uint8Array(inflateRawSync(stream));
      expect(expected.length).toBe(count + 3);
      const r = inflateRaw(stream, 0, 1 << 20);
      expect(sameBytes(r.data, expected), `${count} literals`).toBe(true);
      expect(r.end).toBe(stream.length);
    }
  });
});
