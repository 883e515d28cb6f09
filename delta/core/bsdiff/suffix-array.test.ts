import { describe, expect, it } from 'vitest';
import { suffixArray } from './suffix-array.js';
import { xorshift } from './testing/random.js';

function naive(s: Uint8Array): number[] {
  const idx = Array.from({ length: s.length + 1 }, (_, i) => i);
  idx.sort((a, b) => {
    const n = Math.min(s.length - a, s.length - b);
    for (let k = 0; k < n; k++) if (s[a + k] !== s[b + k]) return s[a + k] - s[b + k];
    return s.length - a - (s.length - b);
  });
  return idx;
}

describe('suffixArray (SA-IS)', () => {
  it('sorts the empty and one-byte texts', () => {
    expect([...suffixArray(new Uint8Array(0))]).toEqual([0]);
    expect([...suffixArray(Uint8Array.of(7))]).toEqual([1, 0]);
  });

  it('matches a naive sort on small texts over several alphabets', () => {
    const rnd = xorshift(42);
    for (let round = 0; round < 400; round++) {
      const n = rnd() % 200;
      const alphabet = [1, 2, 3, 4, 256][round % 5];
      const s = new Uint8Array(n);
      for (let i = 0; i < n; i++) s[i] = rnd() % alphabet;
      expect([...suffixArray(s)]).toEqual(naive(s));
    }
  });

  it('handles periodic and run-heavy texts (deep recursion)', () => {
    const cases = [
      new Uint8Array(1000),
      Uint8Array.from({ length: 999 }, (_, i) => i % 3),
      Uint8Array.from({ length: 1024 }, (_, i) => (i & (i >> 3)) % 2),
      new TextEncoder().encode('mississippi'.repeat(40)),
      Uint8Array.from({ length: 777 }, (_, i) => 255 - (i % 2)),
    ];
    for (const s of cases) expect([...suffixArray(s)]).toEqual(naive(s));
  });
});
