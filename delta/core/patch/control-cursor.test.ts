import { describe, expect, it } from 'vitest';
import { type BsdiffControl, decodeControls, encodeControls, isBsdiffError } from '../bsdiff/index.js';
import { EncodedControls } from './control-cursor.js';

let seed = 7;
const rand = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const big = [0, 1, 127, 128, 16383, 16384, 2 ** 31, 2 ** 52 - 1];
const list = (n: number): BsdiffControl[] =>
  Array.from({ length: n }, () => ({
    add: rand(4) ? rand(5000) : big[rand(big.length)],
    copy: rand(3) ? rand(300) : big[rand(big.length)],
    seek: (rand(2) ? -1 : 1) * (rand(4) ? rand(100000) : big[rand(big.length)]) || 0,
  }));
const walk = (c: EncodedControls) => {
  const out: BsdiffControl[] = [];
  c.rewind();
  while (c.next()) out.push({ add: c.add, copy: c.copy, seek: c.seek });
  return out;
};
const outcome = (f: () => unknown): string => {
  try {
    return JSON.stringify(f());
  } catch (e) {
    expect(isBsdiffError(e), String(e)).toBe(true);
    return `error ${(e as { code: string }).code}`;
  }
};

describe('EncodedControls reads the kernel encoding without decoding it into objects', () => {
  it('yields exactly what decodeControls yields, twice (rewind)', () => {
    for (const n of [0, 1, 2, 50, 3000]) {
      const controls = list(n);
      const c = new EncodedControls(encodeControls(controls), n + 1);
      expect(c.count).toBe(n);
      expect(walk(c)).toEqual(controls);
      expect(walk(c)).toEqual(controls);
    }
  });

  it('accepts and refuses the same byte strings as decodeControls (truncated, damaged, trailing)', () => {
    const bytes = encodeControls(list(40));
    const cases: Uint8Array[] = [];
    for (let n = 0; n < bytes.length; n++) cases.push(bytes.subarray(0, n));
    for (let k = 0; k < 600; k++) {
      const b = bytes.slice();
      b[rand(b.length)] = rand(3) ? rand(256) : 0x80;
      cases.push(b);
    }
    cases.push(Uint8Array.from([...bytes, 0]));
    cases.push(Uint8Array.from([1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0])); // 2^53
    cases.push(Uint8Array.from([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0])); // 2^53 - 1
    cases.push(Uint8Array.from([1, 0x81, 0x00, 0, 0])); // non-minimal
    for (const b of cases) {
      const want = outcome(() => decodeControls(b, { maxEntries: 1000 }));
      const got = outcome(() => walk(new EncodedControls(b, 1000)));
      expect(got).toBe(want);
    }
  });

  it('refuses a count above the limit before reading the columns', () => {
    const bytes = encodeControls(list(10));
    expect(outcome(() => new EncodedControls(bytes, 9))).toBe('error DELTA_LIMIT');
  });
});
