import { describe, expect, it } from 'vitest';
import { bsdiff } from './diff.js';
import { concat, mutate, randomBytes, xorshift } from './testing/random.js';
import { referenceBsdiff } from './testing/reference-diff.js';

// The inverse-suffix-array shortcut must only skip work: every control, diff and extra byte
// has to be what Percival's scan (the reference) decides. OLDs below and above
// NARROW_BUCKETS_BELOW (64 KiB) cover both bucket tables the search starts from.
// The shortcut is forced on and off too: 'auto' rarely turns it on for test-sized inputs.
const same = (old: Uint8Array, nw: Uint8Array) => {
  const ref = referenceBsdiff(old, nw);
  for (const shortcut of ['auto', 'always', 'never'] as const) {
    const fast = bsdiff(old, nw, { shortcut });
    expect(fast.controls).toEqual(ref.controls);
    expect(fast.diff).toEqual(ref.diff);
    expect(fast.extra).toEqual(ref.extra);
  }
};

describe('bsdiff decides exactly as the reference scan', () => {
  it('on random mutations over small and large alphabets', () => {
    const rnd = xorshift(11);
    for (let round = 0; round < 50; round++) {
      const old = randomBytes(rnd, rnd() % 6000, [2, 3, 4, 16, 256][round % 5]);
      same(old, mutate(rnd, old, rnd() % 30));
    }
  });

  it('on relinked-code-like changes (a shifted pointer every few bytes)', () => {
    const rnd = xorshift(13);
    for (const step of [3, 5, 8, 13, 64]) {
      const old = randomBytes(rnd, step === 64 ? 20_000 : 70_000, step % 2 ? 256 : 8);
      const nw = old.slice();
      for (let i = rnd() % step; i < nw.length; i += step) nw[i] = (nw[i] + 1 + (i % 3)) & 0xff;
      same(
        old,
        concat(randomBytes(rnd, 50), nw.subarray(0, 30_000), old.subarray(100, 9000), nw.subarray(30_000)),
      );
    }
  });

  it('on runs, periodic data and edges of OLD', () => {
    const zeros = new Uint8Array(50_000);
    const nz = zeros.slice();
    nz[25_000] = 1;
    same(zeros, nz);
    same(nz, zeros);
    const periodic = Uint8Array.from({ length: 40_000 }, (_, i) => i % 7);
    same(periodic, concat(periodic.subarray(3), periodic.subarray(0, 50)));
    const rnd = xorshift(17);
    const old = randomBytes(rnd, 3000, 4);
    same(old, concat(old.subarray(2990), old, old.subarray(0, 20)));
    same(old, concat(old.subarray(1500), Uint8Array.of(3, 3, 3), old.subarray(2998)));
    same(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 1, 2, 2));
  });
});
